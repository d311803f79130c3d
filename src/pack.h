/*
 * pack.h — rule packs: loading rule files and directories into a ruleset.
 *
 * A rule file is YAML: a list of rules, or a mapping with `rules:` (that
 * list), `sources:` (how inputs map to events, loader.h) and `config:`
 * (which files are config and which of their lists are keyed,
 * config_diff.h).  A pack is a
 * directory `rules/<pack>/` of such files; its `tests/` directory and
 * hidden entries are not rules.
 */
#ifndef RB_PACK_H
#define RB_PACK_H

#include "config_diff.h"
#include "error.h"
#include "loader.h"
#include "rule.h"

/* Told of each mistake in a rule file when loading goes on past mistakes
 * (`rules lint`); err names the file and line. */
typedef void (*rb_rule_diag)(void *ctx, const rb_error *err);

typedef struct rb_ruleset {
    rb_rule **rules;     /* sorted by id after rb_ruleset_finish */
    size_t n, cap;
    rb_source *sources;
    size_t n_sources, cap_sources;
    rb_config_set config; /* `config:` entries and the files of `changes` rules */
    rb_rule_diag diag;   /* NULL: the first mistake stops loading */
    void *diag_ctx;
} rb_ruleset;

rb_ruleset *rb_ruleset_new(void);
void rb_ruleset_free(rb_ruleset *rs);

/* Loads a rule file, a pack directory or a directory of packs.  Overrides
 * in ov (may be NULL) are applied to the rules they name. */
rb_code rb_ruleset_load(rb_ruleset *rs, const char *path, rb_overrides *ov, rb_error *err);

/* Loads what a command line chose: every --rules path and --pack name (a
 * pack of the default rule directory), or the default packs when neither
 * is given; then checks that every --param override was used, and sorts. */
rb_code rb_ruleset_load_chosen(rb_ruleset *rs, char *const *paths, size_t n_paths, char *const *packs,
                               size_t n_packs, rb_overrides *ov, rb_error *err);

/* Sorts the rules by id; call once after loading. */
void rb_ruleset_finish(rb_ruleset *rs);

/* The rule with this id, or NULL. */
const rb_rule *rb_ruleset_find(const rb_ruleset *rs, const char *id);

/* Where the shipped data (rule packs, replay models) is: the source tree
 * when this binary runs from its build tree, else the installed
 * $(pkgdatadir) (under the same staging root as the binary, for make
 * install DESTDIR=ROOT).  The string is static. */
const char *rb_data_dir(void);

/* The default packs: rb_data_dir()/rules.  Static. */
const char *rb_default_rules_dir(void);

#endif
