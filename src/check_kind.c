/*
 * check_kind.c — the table of check kinds (check_kind.h) and what every kind shares.
 */
#include "check_kind.h"

#include <string.h>

static const rb_check_kind *const kinds[] = {
    &rb_check_match,
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

const rb_check_kind *rb_check_kind_find(const char *name)
{
    for (size_t i = 0; i < N_KINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

const rb_check_kind *rb_check_kind_of(const json_t *rule_spec, int *count)
{
    const rb_check_kind *found = NULL;
    *count = 0;
    for (size_t i = 0; i < N_KINDS; i++) {
        if (json_object_get(rule_spec, kinds[i]->name)) {
            if (!found)
                found = kinds[i];
            ++*count;
        }
    }
    return found;
}

const char *rb_check_kind_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (size_t i = 0; i < N_KINDS; i++) {
            if (i)
                strcat(names, ", ");
            strcat(names, kinds[i]->name);
        }
    }
    return names;
}

void rb_run_emit(rb_run *run, rb_finding *f)
{
    rb_finding_seal(f);
    rb_findings_add(run->findings, f);
}
