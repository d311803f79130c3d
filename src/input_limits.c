/*
 * input_limits.c — the process-wide caps on hostile input (input_limits.h) and their
 * command-line options.
 */
#include "input_limits.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "util.h"

const rb_limits rb_limits_default = {
    .input_bytes = (size_t)2 << 30,
    .markdown_bytes = (size_t)1 << 20,
    .archive_ratio = 200.0,
    .json_depth = 256,
    .yaml_nodes = 1000000,
    .xml_entities = 0,
    .query_seconds = 60,
    .query_bytes = (size_t)1 << 30,
    .query_temp_bytes = (size_t)2 << 30,
};

static rb_limits current;
static const rb_limits *in_force = &rb_limits_default;

const rb_limits *rb_limits_get(void)
{
    return in_force;
}

void rb_limits_set(const rb_limits *limits)
{
    current = *limits;
    in_force = &current;
}

typedef enum { SIZE, COUNT, RATIO } limit_type;

typedef struct limit_option {
    const char *name;
    limit_type type;
    size_t offset;     /* of the field in rb_limits */
    uint64_t min, max; /* accepted range */
    const char *help;
} limit_option;

static const limit_option options[] = {
    {"max-input-size", SIZE, offsetof(rb_limits, input_bytes), 1, SIZE_MAX,
     "larger inputs (a file, a ledger, a bundle's members in\n"
     "                        all) are refused (default 2G)"},
    {"max-markdown-size", SIZE, offsetof(rb_limits, markdown_bytes), 1, SIZE_MAX,
     "larger Markdown reports are refused (default 1M)"},
    {"max-archive-ratio", RATIO, offsetof(rb_limits, archive_ratio), 1, 1000000,
     "an archive that unpacks to more than N times its size\n"
     "                        is refused (default 200)"},
    {"max-json-depth", COUNT, offsetof(rb_limits, json_depth), 1, RB_JSON_DEPTH_CEILING,
     "JSON nested deeper is refused (default 256, at most 2048)"},
    {"max-yaml-nodes", COUNT, offsetof(rb_limits, yaml_nodes), 1, UINT32_MAX,
     "a YAML file that builds more nodes, every alias counted at\n"
     "                        its expanded size, is refused (default 1000000)"},
    {"max-xml-entities", COUNT, offsetof(rb_limits, xml_entities), 0, 10000,
     "internal entities an XML DOCTYPE may declare; they are\n"
     "                        never expanded, external ones never read (default 0)"},
    {"max-query-seconds", COUNT, offsetof(rb_limits, query_seconds), 1, 1000000,
     "a query on a ledger (an sql rule's, a source's, a diff's)\n"
     "                        that runs longer is stopped (default 60)"},
    {"max-query-memory", SIZE, offsetof(rb_limits, query_bytes), (uint64_t)1 << 20, SIZE_MAX,
     "the memory SQLite may take for queries, beyond the\n"
     "                        ledgers it holds (default 1G)"},
    {"max-query-temp", SIZE, offsetof(rb_limits, query_temp_bytes), 1, SIZE_MAX,
     "the temporary files SQLite may write for queries\n"
     "                        (sorts, temporary tables; default 2G)"},
};

static const limit_option *find_option(const char *name)
{
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        if (strcmp(options[i].name, name) == 0)
            return &options[i];
    return NULL;
}

int rb_limits_is_option(const char *option)
{
    return find_option(option) != NULL;
}

/* "64M" and the like; false on anything else or on overflow. */
static bool parse_amount(const char *arg, bool with_unit, uint64_t *out)
{
    if (!*arg || *arg == '-' || *arg == '+' || *arg == ' ')
        return false;
    char *end;
    errno = 0;
    uint64_t n = strtoull(arg, &end, 10);
    if (errno || end == arg)
        return false;
    unsigned shift = 0;
    if (with_unit && *end) {
        const char *units = "KMG";
        const char *u = strchr(units, *end);
        if (!u || end[1])
            return false;
        shift = 10 * (unsigned)(u - units + 1);
        end++;
    }
    if (*end || (shift && n > (UINT64_MAX >> shift)))
        return false;
    *out = n << shift;
    return true;
}

rb_code rb_limits_parse(rb_limits *limits, const char *option, const char *arg, rb_error *err)
{
    const limit_option *o = find_option(option);
    if (!o)
        return rb_error_set(err, RB_EUSAGE, "--%s: not a limit", option);
    uint64_t n;
    if (!parse_amount(arg, o->type == SIZE, &n) || n < o->min || n > o->max) {
        if (o->type == SIZE)
            return rb_error_set(err, RB_EUSAGE, "--%s %s: expected a size in bytes, with K, M or G for "
                                "powers of 1024 (e.g. 64M), of at least %" PRIu64, option, arg, o->min);
        return rb_error_set(err, RB_EUSAGE, "--%s %s: expected a whole number from %" PRIu64 " to %" PRIu64,
                            option, arg, o->min, o->max);
    }
    char *field = (char *)limits + o->offset;
    if (o->type == RATIO)
        *(double *)(void *)field = (double)n;
    else
        *(size_t *)(void *)field = (size_t)n;
    return RB_OK;
}

void rb_limits_help(FILE *out)
{
    for (size_t i = 0; i < sizeof options / sizeof *options; i++) {
        int width = fprintf(out, "  --%s %s", options[i].name, options[i].type == SIZE ? "SIZE" : "N");
        if (width > 22)
            fprintf(out, "\n%24s%s\n", "", options[i].help);
        else
            fprintf(out, "%*s%s\n", 24 - width, "", options[i].help);
    }
}

static bool is_container(const json_t *v)
{
    return json_is_object(v) || json_is_array(v);
}

/* Whether v holds containers more than levels deep. */
static bool deeper_than(const json_t *v, size_t levels)
{
    if (!is_container(v))
        return false;
    if (levels == 0)
        return true;
    const char *key;
    const json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
            if (deeper_than(child, levels - 1))
                return true;
    } else {
        json_array_foreach(v, i, child)
            if (deeper_than(child, levels - 1))
                return true;
    }
    return false;
}

/* The path (jsonpath.h) below path of the first container under v more
 * than levels deep; v must hold one.  Owned by the caller. */
static char *too_deep_path(const json_t *v, const char *path, size_t levels)
{
    if (levels == 0)
        return rb_xstrdup(path);
    const char *key;
    const json_t *child;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
            if (deeper_than(child, levels - 1)) {
                char *child_path = rb_jsonpath_child_key(path, key);
                char *found = too_deep_path(child, child_path, levels - 1);
                free(child_path);
                return found;
            }
    } else {
        json_array_foreach(v, i, child)
            if (deeper_than(child, levels - 1)) {
                char *child_path = rb_jsonpath_child_index(path, i);
                char *found = too_deep_path(child, child_path, levels - 1);
                free(child_path);
                return found;
            }
    }
    return rb_xstrdup(path);
}

json_t *rb_json_parse(const char *text, size_t len, size_t flags, json_error_t *e)
{
    json_t *v = json_loadb(text, len, flags, e);
    if (!v && e && json_error_code(e) == json_error_stack_overflow)
        snprintf(e->text, sizeof e->text, "nested deeper than %d levels (jansson's own limit, the ceiling of "
                 "--max-json-depth)", RB_JSON_DEPTH_CEILING);
    size_t limit = in_force->json_depth;
    if (!v || limit >= RB_JSON_DEPTH_CEILING || !deeper_than(v, limit))
        return v;
    if (e) {
        char *path = too_deep_path(v, "", limit);
        e->line = 1;
        e->column = e->position = 0;
        snprintf(e->text, sizeof e->text, "nested deeper than %zu levels, at '%.80s%s' (the --max-json-depth "
                 "limit)", limit, path, strlen(path) > 80 ? "..." : "");
        free(path);
    }
    json_decref(v);
    return NULL;
}

rb_json_place rb_json_error_place(const json_error_t *e)
{
    rb_json_place p;
    if (e->column > 0)
        snprintf(p.text, sizeof p.text, "%d:%d", e->line, e->column);
    else
        snprintf(p.text, sizeof p.text, "%d", e->line);
    return p;
}
