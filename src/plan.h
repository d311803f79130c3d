/*
 * plan.h — what one pass of the engine needs from the lines of an event
 * log, as plain data that a loader can use without knowing rules.
 *
 * A rule can want an event only when the event's line holds certain texts:
 * `type: dead_letter` needs "\"dead_letter\"" in the line, a `contains`
 * needs its text, and so on (the engine works them out from the rules'
 * selectors: plan_build.h).  The plan is an OR of alternatives, one per
 * distinct need of a rule, each an AND of groups, each an OR of texts.  A
 * line that satisfies no alternative is wanted by no rule: the reader need
 * not build its event, only take its order and time (line_scan.h), as grep
 * passes over lines before anything parses them.
 *
 * The texts hold for a string as it appears in JSON without escapes.  A
 * string written with escapes is checked decoded: the reader passes the
 * decoded strings of a line, each between quotes, as `decoded`.
 *
 * A line some rule wants need not be built whole either: the plan names
 * the top-level members that rules read (their selectors, keys, fields and
 * messages), and the reader may build only those.  What a finding shows
 * of an event is read whole again from the line (evidence.h).
 */
#ifndef RB_PLAN_H
#define RB_PLAN_H

#include <stdbool.h>
#include <stddef.h>

/* Texts of which one must be in the line. */
typedef struct rb_plan_group {
    char **texts;
    size_t *lens;
    size_t n;
} rb_plan_group;

/* Groups that must all hold: what one rule needs. */
typedef struct rb_plan_alt {
    rb_plan_group *groups;
    size_t n;
} rb_plan_alt;

/* Alternatives of which one must hold for some rule to want a line.  With
 * none, no rule wants any line (a ruleset without event rules). */
typedef struct rb_plan {
    bool every_line;      /* some rule may want a line whatever its text */
    rb_plan_alt *alts;
    size_t n_alts;
    bool every_member;    /* some rule may read any member of an event */
    char **members;       /* else the members rules read, in strcmp order */
    size_t n_members;
    bool unread_members;  /* a pass that reads lines itself (a replay):
                             an event no rule wants comes with its line
                             and top-level members (evidence.h) */
} rb_plan;

/* Whether some rule may want the event of line (n bytes); decoded (dn
 * bytes; may be NULL) holds its strings that have escapes, decoded, each
 * between quotes. */
bool rb_plan_may_select(const rb_plan *plan, const char *line, size_t n, const char *decoded, size_t dn);

/* Frees a plan and everything in it. */
void rb_plan_free(rb_plan *plan);

#endif
