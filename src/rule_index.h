/*
 * rule_index.h — which rules an event goes to.
 *
 * A pack has dozens of rules and an event log millions of events, most of
 * which no rule but a few can want: a `before` about requeues never looks
 * at a `delivered`.  The index files each rule under the event types it
 * can want — those its `events:` and its check's interest (check_kind.h)
 * restrict `type` to — or under "any type" when they do not; an event
 * meets only the rules of its type and of any type, in ruleset order.
 * Each of those is then asked as before: `events:` must match and one
 * selector of interest must not be false.
 */
#ifndef RB_RULE_INDEX_H
#define RB_RULE_INDEX_H

#include <jansson.h>
#include <stddef.h>

#include "pack.h"

typedef struct rb_rule_index rb_rule_index;

/* The index of rs's event rules (the caller frees it). */
rb_rule_index *rb_rule_index_new(const rb_ruleset *rs);
void rb_rule_index_free(rb_rule_index *ix);

/* The rules that may want an event with these fields: their indices in
 * the ruleset, ascending, in out (room for every rule); returns how many. */
size_t rb_rule_index_candidates(const rb_rule_index *ix, const json_t *fields, size_t *out);

/* Whether rule (index r) wants the event: `events:` matches and its
 * check's interest is not false on it. */
bool rb_rule_index_wants(const rb_rule_index *ix, size_t r, const json_t *fields);

#endif
