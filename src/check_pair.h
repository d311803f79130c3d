/*
 * check_pair.h — what `before` and `after` share: a `first` and a `then`
 * selector in one key group, an optional `within`, and correlation of the
 * `then` selector with the first it is paired with ("{first.FIELD}").
 */
#ifndef RB_CHECK_PAIR_H
#define RB_CHECK_PAIR_H

#include "check_kind.h"

typedef struct rb_pair {
    rb_selector *first, *then;
    bool has_within;
    int64_t within;   /* microseconds */
    bool correlated;  /* `then` names {first.…} */
} rb_pair;

/* Compiles {first, then, within?} into rule->check_data (an rb_pair). */
rb_code rb_pair_compile(rb_rule *rule, const rb_check_src *src, rb_error *err);
void rb_pair_free(void *pair);

/* A pair's check reacts to its firsts and its thens only (check_kind.h,
 * interest). */
size_t rb_pair_interest(const rb_rule *rule, const rb_selector **out, size_t max);

/* Whether ev may be a `then`: it matches the parts of `then` that do not
 * name the first. */
bool rb_pair_is_then(const rb_pair *p, const rb_event *ev);

/* Whether first and then make a pair: then is at most `within` after first
 * (inclusive), and the whole `then` selector holds with first bound. */
bool rb_pair_matches(const rb_pair *p, const rb_event *first, const rb_event *then);

#endif
