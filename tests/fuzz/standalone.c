/*
 * standalone.c — main() for the fuzz targets in a build without libFuzzer:
 * runs the target once on each file named on the command line, as a
 * libFuzzer binary does with file arguments, so that `make check` replays
 * the seeds and every input a fuzzer once crashed on under the sanitizers.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "util.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        unsigned char *data;
        size_t len;
        rb_error err;
        if (rb_read_file(argv[i], (size_t)1 << 26, &data, &len, &err)) {
            fprintf(stderr, "%s: %s\n", argv[0], err.message);
            return 2;
        }
        LLVMFuzzerTestOneInput(data, len);
        free(data);
    }
    return 0;
}
