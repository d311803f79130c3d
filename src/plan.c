/*
 * plan.c — checking a line against the plan of a pass (plan.h).
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

void rb_plan_free(rb_plan *plan)
{
    if (!plan)
        return;
    for (size_t a = 0; a < plan->n_alts; a++) {
        for (size_t g = 0; g < plan->alts[a].n; g++) {
            rb_plan_group *group = &plan->alts[a].groups[g];
            for (size_t t = 0; t < group->n; t++)
                free(group->texts[t]);
            free(group->texts);
            free(group->lens);
        }
        free(plan->alts[a].groups);
    }
    free(plan->alts);
    for (size_t m = 0; m < plan->n_members; m++)
        free(plan->members[m]);
    free(plan->members);
    free(plan);
}

static bool group_holds(const rb_plan_group *group, const char *line, size_t n, const char *decoded, size_t dn)
{
    for (size_t t = 0; t < group->n; t++)
        if (memmem(line, n, group->texts[t], group->lens[t]) ||
            (decoded && memmem(decoded, dn, group->texts[t], group->lens[t])))
            return true;
    return false;
}

bool rb_plan_may_select(const rb_plan *plan, const char *line, size_t n, const char *decoded, size_t dn)
{
    if (plan->every_line)
        return true;
    for (size_t a = 0; a < plan->n_alts; a++) {
        const rb_plan_alt *alt = &plan->alts[a];
        size_t g = 0;
        while (g < alt->n && group_holds(&alt->groups[g], line, n, decoded, dn))
            g++;
        if (g == alt->n)
            return true;
    }
    return false;
}
