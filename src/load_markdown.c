/*
 * load_markdown.c — Markdown reports (drill and parity reports, SPEC §3.5),
 * parsed by libcmark-gfm with its table extension into one document:
 *
 *   headings  [{level, text, line}]
 *   sections  {heading text: the plain text under it, up to the next heading}
 *   tables    [{heading, line, columns: [...], rows: [{column: cell}]}]
 *   links     [{text, url, line}]
 *   code      [{info, text, line}]   (fenced and indented blocks)
 *   text      the whole report as plain text
 *
 * Text before the first heading is the section "".  A heading that comes
 * back later adds its text to the same section.  libcmark-gfm is quadratic
 * on some pathological lines, so reports over a size cap are refused
 * (SPEC §8).
 */
#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdlib.h>
#include <string.h>

#include "jsonpath.h"
#include "loader.h"
#include "util.h"

/* Appends the plain text of a node's subtree: text and code literals, a
 * space for line breaks, a newline between blocks. */
static void append_text(rb_buf *b, cmark_node *node)
{
    cmark_iter *it = cmark_iter_new(node);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type type = cmark_node_get_type(n);
        if (ev == CMARK_EVENT_EXIT) {
            if (n != node && cmark_node_first_child(n) && (type & CMARK_NODE_TYPE_MASK) == CMARK_NODE_TYPE_BLOCK &&
                b->len && b->data[b->len - 1] != '\n')
                rb_buf_putc(b, '\n');
            continue;
        }
        if (type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE || type == CMARK_NODE_CODE_BLOCK ||
            type == CMARK_NODE_HTML_INLINE)
            rb_buf_puts(b, cmark_node_get_literal(n) ? cmark_node_get_literal(n) : "");
        else if (type == CMARK_NODE_SOFTBREAK || type == CMARK_NODE_LINEBREAK)
            rb_buf_putc(b, ' ');
    }
    cmark_iter_free(it);
}

static json_t *text_of(cmark_node *node)
{
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    append_text(&b, node);
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == ' '))
        b.data[--b.len] = '\0';
    json_t *j = rb_json_text(b.data, b.len);
    rb_buf_free(&b);
    return j;
}

/* What the walk builds. */
typedef struct md_doc {
    json_t *headings, *sections, *tables, *links, *code;
    const char *heading;  /* current section (borrowed from headings) */
} md_doc;

static void add_to_section(md_doc *d, cmark_node *block)
{
    json_t *text = text_of(block);
    json_t *old = json_object_get(d->sections, d->heading);
    if (old && json_string_length(old)) {
        char *joined = rb_xasprintf("%s\n%s", json_string_value(old), json_string_value(text));
        json_object_set_new(d->sections, d->heading, json_string(joined));
        free(joined);
        json_decref(text);
    } else {
        json_object_set_new(d->sections, d->heading, text);
    }
}

static void add_table(md_doc *d, cmark_node *table)
{
    json_t *columns = json_array(), *rows = json_array();
    for (cmark_node *r = cmark_node_first_child(table); r; r = cmark_node_next(r)) {
        bool header = cmark_gfm_extensions_get_table_row_is_header(r);
        json_t *row = header ? NULL : json_object();
        size_t i = 0;
        for (cmark_node *c = cmark_node_first_child(r); c; c = cmark_node_next(c), i++) {
            json_t *cell = text_of(c);
            if (header) {
                json_array_append_new(columns, cell);
                continue;
            }
            const json_t *col = json_array_get(columns, i);
            char *name = col ? NULL : rb_xasprintf("%zu", i + 1);
            json_object_set_new(row, col ? json_string_value(col) : name, cell);
            free(name);
        }
        if (row)
            json_array_append_new(rows, row);
    }
    json_array_append_new(d->tables, json_pack("{s:s, s:i, s:o, s:o}", "heading", d->heading, "line",
                                               cmark_node_get_start_line(table), "columns", columns, "rows", rows));
}

/* Links anywhere under a block. */
static void add_links(md_doc *d, cmark_node *block)
{
    cmark_iter *it = cmark_iter_new(block);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_LINK)
            continue;
        const char *url = cmark_node_get_url(n);
        json_array_append_new(d->links, json_pack("{s:o, s:o, s:i}", "text", text_of(n), "url",
                                                  rb_json_text(url ? url : "", url ? strlen(url) : 0), "line",
                                                  cmark_node_get_start_line(block)));
    }
    cmark_iter_free(it);
}

/* Code blocks anywhere under a block (also inside lists and quotes). */
static void add_code(md_doc *d, cmark_node *block)
{
    cmark_iter *it = cmark_iter_new(block);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER || cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK)
            continue;
        const char *info = cmark_node_get_fence_info(n), *lit = cmark_node_get_literal(n);
        json_array_append_new(d->code, json_pack("{s:o, s:o, s:i}", "info",
                                                 rb_json_text(info ? info : "", info ? strlen(info) : 0), "text",
                                                 rb_json_text(lit ? lit : "", lit ? strlen(lit) : 0), "line",
                                                 cmark_node_get_start_line(n)));
    }
    cmark_iter_free(it);
}

static void walk_blocks(md_doc *d, cmark_node *root)
{
    for (cmark_node *b = cmark_node_first_child(root); b; b = cmark_node_next(b)) {
        if (cmark_node_get_type(b) == CMARK_NODE_HEADING) {
            json_t *text = text_of(b);
            json_array_append_new(d->headings, json_pack("{s:i, s:O, s:i}", "level", cmark_node_get_heading_level(b),
                                                         "text", text, "line", cmark_node_get_start_line(b)));
            if (!json_object_get(d->sections, json_string_value(text)))
                json_object_set_new(d->sections, json_string_value(text), json_string(""));
            d->heading = json_object_iter_key(json_object_iter_at(d->sections, json_string_value(text)));
            json_decref(text);
            add_links(d, b);
            continue;
        }
        if (strcmp(cmark_node_get_type_string(b), "table") == 0)
            add_table(d, b);
        add_to_section(d, b);
        add_links(d, b);
        add_code(d, b);
    }
}

/* Lines for findings: each listed node at its line, a table's rows on the
 * lines after its header and delimiter, and a section at its heading. */
static rb_linemap *line_map(const json_t *doc)
{
    static const char *const lists[] = {"headings", "tables", "links", "code", NULL};
    rb_linemap *m = rb_linemap_new();
    for (const char *const *list = lists; *list; list++) {
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(doc, *list), i, item) {
            long line = (long)json_integer_value(json_object_get(item, "line"));
            char *path = rb_xasprintf("%s.%zu", *list, i);
            rb_linemap_set(m, path, line);
            size_t j;
            json_t *row;
            json_array_foreach(json_object_get(item, "rows"), j, row) {
                char *row_path = rb_xasprintf("%s.rows.%zu", path, j);
                rb_linemap_set(m, row_path, line + 2 + (long)j);
                free(row_path);
            }
            free(path);
            if (strcmp(*list, "headings") == 0) {
                char *section = rb_jsonpath_child_key("sections", json_string_value(json_object_get(item, "text")));
                if (!rb_linemap_get(m, section))
                    rb_linemap_set(m, section, line);
                free(section);
            }
        }
    }
    return m;
}

static rb_code load_markdown(rb_evidence *ev, rb_input *in, const unsigned char *data, size_t len,
                             const rb_load_opts *opts, rb_error *err)
{
    /* Parsing time grows faster than the size of a hostile report. */
    size_t cap = rb_limits_get()->markdown_bytes;
    if (len > cap)
        return rb_error_set(err, RB_EINPUT, "%s: %zu bytes is over the Markdown size cap of %zu bytes "
                            "(--max-markdown-size; libcmark-gfm is slow on hostile reports)", in->path, len, cap);
    cmark_gfm_core_extensions_ensure_registered();
    cmark_parser *parser = cmark_parser_new(CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8);
    cmark_syntax_extension *table = cmark_find_syntax_extension("table");
    if (table)
        cmark_parser_attach_syntax_extension(parser, table);
    cmark_parser_feed(parser, (const char *)data, len);
    cmark_node *root = cmark_parser_finish(parser);
    md_doc d = {json_array(), json_object(), json_array(), json_array(), json_array(), ""};
    json_object_set_new(d.sections, "", json_string(""));
    d.heading = json_object_iter_key(json_object_iter_at(d.sections, ""));
    walk_blocks(&d, root);
    if (json_string_length(json_object_get(d.sections, "")) == 0)
        json_object_del(d.sections, "");
    json_t *doc = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "headings", d.headings, "sections", d.sections,
                            "tables", d.tables, "links", d.links, "code", d.code, "text", text_of(root));
    cmark_node_free(root);
    cmark_parser_free(parser);
    rb_evidence_add_document(ev, (rb_origin){.input = in, .line = 1}, doc, line_map(doc), NULL);
    return RB_OK;
}

static const char *const markdown_suffixes[] = {".md", ".markdown", NULL};

const rb_loader rb_loader_markdown = {
    .kind = "markdown",
    .suffixes = markdown_suffixes,
    .sniff = NULL,
    .load = load_markdown,
};
