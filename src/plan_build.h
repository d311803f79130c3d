/*
 * plan_build.h — the engine's side of the plan (plan.h): working out, from
 * a ruleset, which texts a line must hold for some rule to want its event.
 *
 * A rule wants an event its `events:` selects and its check kind is
 * interested in (check_kind.h, interest): a `before` only its firsts and
 * thens, a `match` only what it matches.  Each selector needs texts
 * (selector.h rb_selector_needs); a rule's needs are those of `events:`
 * with those of one of its interest selectors.
 */
#ifndef RB_PLAN_BUILD_H
#define RB_PLAN_BUILD_H

#include "pack.h"
#include "plan.h"

/* The plan of rs.  The caller owns it (rb_plan_free). */
rb_plan *rb_plan_build(const rb_ruleset *rs);

#endif
