/*
 * input_limits.h — the caps that keep hostile evidence from exhausting time and
 * memory (SPEC §8): one process-wide set, safe by default, which the
 * --max-* options change before any input is read (as libgit2's global
 * options are set once, before work).  Every reader of outside data takes
 * its cap from here, so that an option reaches every path to a parser.
 */
#ifndef RB_INPUT_LIMITS_H
#define RB_INPUT_LIMITS_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "error.h"

typedef struct rb_limits {
    size_t input_bytes;    /* --max-input-size: a file, a ledger, or a bundle's members in all */
    size_t markdown_bytes; /* --max-markdown-size: libcmark-gfm is quadratic on some lines */
    double archive_ratio;  /* --max-archive-ratio: unpacked bytes per archive byte */
    size_t json_depth;     /* --max-json-depth: nesting of arrays and objects */
    size_t yaml_nodes;     /* --max-yaml-nodes: nodes built, every alias at its expanded size */
    size_t xml_entities;   /* --max-xml-entities: entity declarations in a DOCTYPE */
    size_t query_seconds;  /* --max-query-seconds: the time of one query on a ledger */
    size_t query_bytes;    /* --max-query-memory: SQLite's heap, beyond the ledger images it holds */
    size_t query_temp_bytes; /* --max-query-temp: SQLite's temporary files (sorts, temporary tables) */
} rb_limits;

/* jansson refuses documents nested deeper than this whatever the limit. */
#define RB_JSON_DEPTH_CEILING 2048

/* 2 GiB, 1 MiB, 200, 256, 10^6, 0 (a DOCTYPE that declares entities is
 * refused; none is ever expanded), 60 s, 1 GiB and 2 GiB. */
extern const rb_limits rb_limits_default;

/* The limits in force: the defaults until rb_limits_set. */
const rb_limits *rb_limits_get(void);
void rb_limits_set(const rb_limits *limits);

/* Whether option (without its dashes, "max-json-depth") is a limit. */
int rb_limits_is_option(const char *option);

/* Sets the limit of option from its argument: a count, or for sizes a
 * count of bytes with an optional K, M or G (powers of 1024).  RB_EUSAGE
 * naming the option and the accepted range on a bad value. */
rb_code rb_limits_parse(rb_limits *limits, const char *option, const char *arg, rb_error *err);

/* The options' lines for a command's --help. */
void rb_limits_help(FILE *out);

/*
 * Parses JSON text with jansson (flags as json_loadb's) and refuses values
 * nested deeper than the --max-json-depth limit: NULL, with e->text saying
 * where (at 'a.0.b', the jsonpath.h path of the first value too deep) and
 * e->line, e->column as jansson sets them for its own errors, line 1 and
 * column 0 for the depth limit, which is found after parsing.  The caller
 * owns the value.
 */
json_t *rb_json_parse(const char *text, size_t len, size_t flags, json_error_t *e);

/* "LINE:COLUMN" of a parse error, or "LINE" when it has no column. */
typedef struct rb_json_place {
    char text[48];
} rb_json_place;
rb_json_place rb_json_error_place(const json_error_t *e);

#endif
