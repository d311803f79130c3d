/*
 * prefilter.h — which lines of an event log can matter to a ruleset,
 * decided from the line's text before it is parsed, as grep-style tools do.
 *
 * Every rule that reads events needs some texts in the line for its
 * `events:` (and, for a check kind with an event_filter, the check's own
 * selector) to match: selector.h rb_selector_needs.  A line that holds the
 * needs of no rule cannot be selected by any rule, so the event log reader
 * only takes its order and time from it (line_scan.h).  The needs hold only
 * for text without escapes: a line with a backslash is always parsed.
 */
#ifndef RB_PREFILTER_H
#define RB_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "pack.h"

typedef struct rb_prefilter rb_prefilter;

/* The prefilter of rs, or NULL when some rule may use an event whatever
 * its text (then every line is parsed).  The caller owns it: free with
 * rb_prefilter_free. */
rb_prefilter *rb_prefilter_new(const rb_ruleset *rs);
void rb_prefilter_free(rb_prefilter *pf);

/* Whether some rule may use the event of line (n bytes, without escapes). */
bool rb_prefilter_may_select(const rb_prefilter *pf, const char *line, size_t n);

#endif
