/*
 * cmd_version.c — `rbaudit version`: the program and library versions.
 */
#include <archive.h>
#include <cmark-gfm.h>
#include <git2.h>
#include <jansson.h>
#include <libxml/xmlversion.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "commands.h"

static int run_version(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("Usage: rbaudit version\n\nPrints the version of rbaudit and of the libraries it uses.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "rbaudit: version: unexpected argument '%s' (see 'rbaudit version --help')\n", argv[1]);
        return 2;
    }
    int major, minor, rev;
    git_libgit2_version(&major, &minor, &rev);
    printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
    printf("libraries: jansson %s, libyaml %s, libgit2 %d.%d.%d, sqlite %s, libxml2 %s, %s, "
           "cmark-gfm %s, %s\n",
           JANSSON_VERSION, yaml_get_version_string(), major, minor, rev, sqlite3_libversion(),
           LIBXML_DOTTED_VERSION, archive_version_string(), cmark_version_string(),
           OPENSSL_VERSION_TEXT);
    return 0;
}

const rb_command rb_cmd_version = {
    .name = "version",
    .summary = "print the version of rbaudit and its libraries",
    .run = run_version,
};
