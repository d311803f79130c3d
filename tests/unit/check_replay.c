/*
 * check_replay.c — unit tests of the replay simulator: the generator, each
 * component's semantics (driven through a minimal model, so that timers
 * and outcomes are real), the simulator's ordering and the model loader.
 *
 * Component tests use a generated model: one input type per operation
 * ("take", "apply", ...) whose arguments are the event's fields of the
 * same names, and whose every outcome is emitted as an output of that
 * name; a component's timers emit "fired" and then call `fail` (a retry)
 * or `expire` (a wake budget).  Outputs are read as "+SECONDS key outcome".
 */
#include "unit.h"

#include <inttypes.h>

#include "replay/component.h"
#include "replay/model.h"
#include "replay/prng.h"
#include "replay/sim.h"
#include "timeutil.h"
#include "util.h"

/* ---- the generic harness ---- */

static void emit_outcomes(rb_buf *y, const rp_op *op, const char *indent)
{
    rb_buf_printf(y, "%son:\n", indent);
    for (size_t o = 0; op->outcomes[o]; o++)
        rb_buf_printf(y, "%s  %s: {emit: o.%s}\n", indent, op->outcomes[o], op->outcomes[o]);
}

/* A model of one component `c` of this configuration (YAML flow mapping). */
static rp_model *component_model(const char *type_name, const char *config)
{
    const rp_component_type *t = rp_component_find(type_name);
    ck_assert_ptr_nonnull(t);
    rb_buf y = {0};
    rb_buf_printf(&y, "model: unit\ncomponents:\n  c: {type: %s%s%s}\ninputs:\n", type_name, *config ? ", " : "",
                  config);
    json_t *outcomes = json_object();
    for (size_t i = 0; i < t->n_ops; i++) {
        const rp_op *op = &t->ops[i];
        rb_buf_printf(&y, "  %s:\n    - do: c.%s\n", op->name, op->name);
        const char *const acl_args[] = {"sender", "target", "intent", NULL};
        const char *const *args = op->args ? op->args : acl_args;
        if (args[0]) {
            rb_buf_puts(&y, "      args: {");
            for (size_t a = 0; args[a]; a++)
                rb_buf_printf(&y, "%s%s: \"{%s}\"", a ? ", " : "", args[a], args[a]);
            rb_buf_puts(&y, "}\n");
        }
        emit_outcomes(&y, op, "      ");
        for (size_t o = 0; op->outcomes[o]; o++) {
            char *name = rb_xasprintf("o.%s", op->outcomes[o]);
            json_object_set_new(outcomes, name, json_array());
            free(name);
        }
    }
    if (t->timers) {
        rb_buf_puts(&y, "timers:\n");
        for (size_t i = 0; t->timers[i]; i++) {
            const char *then = strcmp(t->timers[i], "retry") == 0 ? "fail" : "expire";
            rb_buf_printf(&y, "  c.%s:\n    - {emit: o.fired, fields: {attempt: \"{attempt}\"}}\n    - do: c.%s\n",
                          t->timers[i], then);
            emit_outcomes(&y, &t->ops[rp_component_op(t, then)], "      ");
        }
        json_object_set_new(outcomes, "o.fired", json_pack("[s]", "attempt"));
    }
    char *outputs = json_dumps(outcomes, JSON_COMPACT | JSON_SORT_KEYS);
    rb_buf_printf(&y, "outputs: %s\n", outputs);
    free(outputs);
    json_decref(outcomes);
    FILE *f = fopen("model.yaml", "w");
    ck_assert_ptr_nonnull(f);
    fputs(y.data, f);
    fclose(f);
    rb_buf_free(&y);
    rp_model *m;
    rb_error err;
    rb_code rc = rp_model_load("./model.yaml", &m, &err);
    ck_assert_msg(rc == RB_OK, "model: %s", err.message);
    return m;
}

typedef struct recorder {
    int64_t start;
    json_t *lines;
} recorder;

static void record_output(void *ctx, rp_sim *sim, const rp_output *out)
{
    (void)sim;
    recorder *r = ctx;
    const json_t *attempt = json_object_get(out->fields, "attempt");
    const char *key = out->key ? json_string_value(out->key) : "-", *outcome = out->type + 2;
    double at = (double)(out->at - r->start) / 1e6;
    char *line = json_is_integer(attempt)
                     ? rb_xasprintf("+%.3f %s %s %" PRId64, at, key, outcome, (int64_t)json_integer_value(attempt))
                     : rb_xasprintf("+%.3f %s %s", at, key, outcome);
    json_array_append_new(r->lines, json_string(line));
    free(line);
}

/* Runs events (JSON objects, with "at" in seconds after the start instead
 * of ts) through m; returns the output lines. */
/* Whether simulate_with adds the inputs to the schedule last first. */
static bool add_reversed;

static json_t *simulate_with(const rp_model *m, const char *events_json, const rp_sim_opts *opts)
{
    json_t *events = unit_json(events_json);
    rp_schedule s = {0};
    int64_t start;
    ck_assert(rb_time_parse("2026-01-01T00:00:00Z", &start));
    size_t i;
    json_t *e;
    json_array_foreach(events, i, e) {
        const char *type = json_string_value(json_object_get(e, "type"));
        rp_input_item item = {.at = start + (int64_t)(json_number_value(json_object_get(e, "at")) * 1e6),
                              .order = i, .fields = e, .key = json_object_get(e, "key"),
                              .handler = rp_model_input(m, type), .line = (long)i + 1, .index = i};
        ck_assert_msg(item.handler != NULL, "no input %s", type);
        rp_schedule_add(&s, &item);
    }
    for (size_t a = 0, b = s.n ? s.n - 1 : 0; add_reversed && a < b; a++, b--) {
        rp_input_item swap = s.items[a];
        s.items[a] = s.items[b];
        s.items[b] = swap;
    }
    rp_schedule_sort(&s);
    recorder r = {start, json_array()};
    rp_observer obs = {.output = record_output, .ctx = &r};
    rp_sim *sim;
    rb_error err;
    ck_assert(rp_sim_new(m, opts, &sim, &err) == RB_OK);
    rb_code rc = rp_sim_run(sim, &s, &obs, 1, &err);
    ck_assert_msg(rc == RB_OK, "run: %s", err.message);
    rp_sim_free(sim);
    rp_schedule_free(&s);
    json_decref(events);
    return r.lines;
}

static json_t *simulate(const rp_model *m, const char *events_json)
{
    rp_sim_opts opts = {.seed = 1};
    return simulate_with(m, events_json, &opts);
}

#define ck_assert_outputs(type, config, events, expected)                             \
    do {                                                                              \
        unit_enter_workdir();                                                         \
        rp_model *m_ = component_model(type, config);                                 \
        json_t *lines_ = simulate(m_, events);                                          \
        ck_assert_json_eq(lines_, expected);                                            \
        json_decref(lines_);                                                          \
        rp_model_free(m_);                                                            \
    } while (0)

/* ---- the generator ---- */

START_TEST(test_prng_reference)
{
    /* Reference values from an independent implementation of
     * splitmix64 seeding and xoshiro256**. */
    rp_prng p;
    rp_prng_seed(&p, 42);
    ck_assert_uint_eq(rp_prng_next(&p), UINT64_C(0x15780b2e0c2ec716));
    ck_assert_uint_eq(rp_prng_next(&p), UINT64_C(0x6104d9866d113a7e));
    ck_assert_uint_eq(rp_prng_next(&p), UINT64_C(0xae17533239e499a1));
    rp_prng q;
    rp_prng_seed(&q, 43);
    ck_assert_uint_ne(rp_prng_next(&q), UINT64_C(0x15780b2e0c2ec716));
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(rp_prng_below(&p, 7), 7);
    ck_assert_uint_eq(rp_prng_below(&p, 0), 0);
}
END_TEST

/* ---- lifecycle ---- */

static const char *const lifecycle_config =
    "states: [queued, delivered, done, dead_letter], terminal: [done, dead_letter], "
    "transitions: [{from: queued, to: delivered}, {from: delivered, to: done}, {from: dead_letter, to: queued}], "
    "retry: {limit: 3, backoff: 2s, factor: 2, max: 5s}";

START_TEST(test_lifecycle_backoff_and_dead_letter)
{
    /* Retries at +2s, then 4s later, then capped at 5s; the fourth failure
     * exhausts the limit of 3. */
    ck_assert_outputs("lifecycle", lifecycle_config,
                      "[{\"at\":0,\"type\":\"start\",\"key\":\"n\"},{\"at\":0,\"type\":\"fail\",\"key\":\"n\"}]",
                      "[\"+0.000 n ok\",\"+0.000 n retry\",\"+2.000 n fired 1\",\"+2.000 n retry\","
                      "\"+6.000 n fired 2\",\"+6.000 n retry\",\"+11.000 n fired 3\",\"+11.000 n exhausted\"]");
}
END_TEST

START_TEST(test_lifecycle_transitions)
{
    /* A duplicate start, an invalid jump, a move, the terminal state, and a
     * retry dropped because the key moved on before it fired. */
    ck_assert_outputs("lifecycle", lifecycle_config,
                      "[{\"at\":0,\"type\":\"start\",\"key\":\"n\"},{\"at\":0.5,\"type\":\"start\",\"key\":\"n\"},"
                      "{\"at\":1,\"type\":\"fail\",\"key\":\"n\"},"
                      "{\"at\":1.5,\"type\":\"go\",\"key\":\"n\",\"to\":\"done\"},"
                      "{\"at\":2,\"type\":\"go\",\"key\":\"n\",\"to\":\"delivered\"},"
                      "{\"at\":2.5,\"type\":\"go\",\"key\":\"n\",\"to\":\"done\"},"
                      "{\"at\":3,\"type\":\"go\",\"key\":\"n\",\"to\":\"queued\"},"
                      "{\"at\":3.5,\"type\":\"is\",\"key\":\"n\",\"state\":\"done\"},"
                      "{\"at\":4,\"type\":\"go\",\"key\":\"m\",\"to\":\"done\"}]",
                      "[\"+0.000 n ok\",\"+0.500 n duplicate\",\"+1.000 n retry\",\"+1.500 n invalid\","
                      "\"+2.000 n ok\",\"+2.500 n ok\",\"+3.000 n terminal\",\"+3.500 n yes\",\"+4.000 m unknown\"]");
}
END_TEST

/* ---- acl ---- */

START_TEST(test_acl_exact_and_wildcards)
{
    ck_assert_outputs("acl",
                      "allow: [{sender: a, target: b, intent: x}, {sender: \"ops-*\", target: \"*\", intent: \"*\"}]",
                      "[{\"at\":0,\"type\":\"check\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"x\"},"
                      "{\"at\":1,\"type\":\"check\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"y\"},"
                      "{\"at\":2,\"type\":\"check\",\"sender\":\"ops-1\",\"target\":\"z\",\"intent\":\"q\"},"
                      "{\"at\":3,\"type\":\"grant\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"y\"},"
                      "{\"at\":4,\"type\":\"grant\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"y\"},"
                      "{\"at\":5,\"type\":\"check\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"y\"},"
                      "{\"at\":6,\"type\":\"revoke\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"x\"},"
                      "{\"at\":7,\"type\":\"check\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"x\"},"
                      "{\"at\":8,\"type\":\"revoke\",\"sender\":\"a\",\"target\":\"b\",\"intent\":\"x\"},"
                      "{\"at\":9,\"type\":\"check\",\"sender\":\"a\",\"intent\":\"x\"}]",
                      "[\"+0.000 - allow\",\"+1.000 - deny\",\"+2.000 - allow\",\"+3.000 - ok\",\"+4.000 - exists\","
                      "\"+5.000 - allow\",\"+6.000 - ok\",\"+7.000 - deny\",\"+8.000 - absent\",\"+9.000 - deny\"]");
}
END_TEST

/* ---- rate_limit ---- */

START_TEST(test_rate_limit_refill)
{
    /* Two tokens, one more per second: a third take at once is limited;
     * after 1s one token is back; buckets are separate. */
    ck_assert_outputs("rate_limit", "rate: 1, per: 1s, burst: 2",
                      "[{\"at\":0,\"type\":\"take\",\"bucket\":\"s\"},{\"at\":0,\"type\":\"take\",\"bucket\":\"s\"},"
                      "{\"at\":0,\"type\":\"take\",\"bucket\":\"s\"},{\"at\":0,\"type\":\"take\",\"bucket\":\"t\"},"
                      "{\"at\":0.5,\"type\":\"take\",\"bucket\":\"s\"},{\"at\":1,\"type\":\"take\",\"bucket\":\"s\"},"
                      "{\"at\":1,\"type\":\"take\",\"bucket\":\"s\"},{\"at\":10,\"type\":\"take\",\"bucket\":\"s\",\"cost\":2},"
                      "{\"at\":10,\"type\":\"take\",\"bucket\":\"s\"}]",
                      "[\"+0.000 - ok\",\"+0.000 - ok\",\"+0.000 - limited\",\"+0.000 - ok\",\"+0.500 - limited\","
                      "\"+1.000 - ok\",\"+1.000 - limited\",\"+10.000 - ok\",\"+10.000 - limited\"]");
}
END_TEST

/* ---- stream ---- */

START_TEST(test_stream_gap_snapshot_resume)
{
    ck_assert_outputs("stream", "start: 1",
                      "[{\"at\":0,\"type\":\"apply\",\"key\":\"r\",\"seq\":1},{\"at\":1,\"type\":\"apply\",\"key\":\"r\",\"seq\":2},"
                      "{\"at\":2,\"type\":\"apply\",\"key\":\"r\",\"seq\":2},{\"at\":3,\"type\":\"apply\",\"key\":\"r\",\"seq\":4},"
                      "{\"at\":4,\"type\":\"apply\",\"key\":\"r\",\"seq\":5},{\"at\":5,\"type\":\"resume\",\"key\":\"r\"},"
                      "{\"at\":6,\"type\":\"snapshot\",\"key\":\"r\",\"seq\":5},{\"at\":7,\"type\":\"resume\",\"key\":\"r\",\"from\":5},"
                      "{\"at\":8,\"type\":\"resume\",\"key\":\"r\",\"from\":6},{\"at\":9,\"type\":\"apply\",\"key\":\"r\",\"seq\":6},"
                      "{\"at\":10,\"type\":\"apply\",\"key\":\"r\",\"seq\":\"x\"}]",
                      "[\"+0.000 r applied\",\"+1.000 r applied\",\"+2.000 r duplicate\",\"+3.000 r gap\",\"+4.000 r closed\","
                      "\"+5.000 r no_snapshot\",\"+6.000 r ok\",\"+7.000 r bad_resume\",\"+8.000 r resumed\",\"+9.000 r applied\","
                      "\"+10.000 r invalid\"]");
}
END_TEST

START_TEST(test_stream_open_edge_applies_over_gap)
{
    ck_assert_outputs("stream", "fail_closed: false",
                      "[{\"at\":0,\"type\":\"apply\",\"key\":\"r\",\"seq\":1},{\"at\":1,\"type\":\"apply\",\"key\":\"r\",\"seq\":3}]",
                      "[\"+0.000 r applied\",\"+1.000 r applied\"]");
}
END_TEST

/* ---- coalescer ---- */

START_TEST(test_coalescer_budget)
{
    /* One wake, one request joins it, the third is over max_waiters; the
     * wake outlives its budget; a later wake becomes hot in time and its
     * budget timer is dropped. */
    ck_assert_outputs("coalescer", "budget: 10s, max_waiters: 2",
                      "[{\"at\":0,\"type\":\"request\",\"key\":\"app\"},{\"at\":1,\"type\":\"request\",\"key\":\"app\"},"
                      "{\"at\":2,\"type\":\"request\",\"key\":\"app\"},{\"at\":20,\"type\":\"request\",\"key\":\"app\"},"
                      "{\"at\":25,\"type\":\"ready\",\"key\":\"app\"},{\"at\":26,\"type\":\"request\",\"key\":\"app\"},"
                      "{\"at\":27,\"type\":\"ready\",\"key\":\"app\"}]",
                      "[\"+0.000 app started\",\"+1.000 app coalesced\",\"+2.000 app over_budget\",\"+10.000 app fired\","
                      "\"+10.000 app expired\",\"+20.000 app started\",\"+25.000 app ok\",\"+26.000 app hot\","
                      "\"+27.000 app already\"]");
}
END_TEST

/* ---- pool ---- */

START_TEST(test_pool_quorum_refusal)
{
    ck_assert_outputs("pool", "members: [a, b, c], quorum: 2",
                      "[{\"at\":0,\"type\":\"drain\",\"member\":\"a\"},{\"at\":1,\"type\":\"drain\",\"member\":\"b\"},"
                      "{\"at\":2,\"type\":\"check\",\"member\":\"a\"},{\"at\":3,\"type\":\"down\",\"member\":\"c\"},"
                      "{\"at\":4,\"type\":\"quorum\"},{\"at\":5,\"type\":\"up\",\"member\":\"a\"},"
                      "{\"at\":6,\"type\":\"quorum\"},{\"at\":7,\"type\":\"check\",\"member\":\"z\"},"
                      "{\"at\":8,\"type\":\"drain\",\"member\":\"c\"}]",
                      "[\"+0.000 - ok\",\"+1.000 - below_quorum\",\"+2.000 - draining\",\"+3.000 - ok\","
                      "\"+4.000 - below_quorum\",\"+5.000 - ok\",\"+6.000 - ok\",\"+7.000 - unknown\",\"+8.000 - not_up\"]");
}
END_TEST

/* ---- leader ---- */

START_TEST(test_leader_single_role_and_lease)
{
    ck_assert_outputs("leader", "lease: 10s",
                      "[{\"at\":0,\"type\":\"acquire\",\"candidate\":\"a\"},{\"at\":1,\"type\":\"acquire\",\"candidate\":\"b\"},"
                      "{\"at\":2,\"type\":\"acquire\",\"candidate\":\"a\"},{\"at\":5,\"type\":\"renew\",\"candidate\":\"a\"},"
                      "{\"at\":14,\"type\":\"acquire\",\"candidate\":\"b\"},{\"at\":16,\"type\":\"acquire\",\"candidate\":\"b\"},"
                      "{\"at\":17,\"type\":\"check\",\"candidate\":\"a\"},{\"at\":18,\"type\":\"release\",\"candidate\":\"a\"},"
                      "{\"at\":19,\"type\":\"release\",\"candidate\":\"b\"},{\"at\":20,\"type\":\"acquire\",\"candidate\":\"a\"}]",
                      "[\"+0.000 - elected\",\"+1.000 - refused\",\"+2.000 - already\",\"+5.000 - ok\",\"+14.000 - refused\","
                      "\"+16.000 - elected\",\"+17.000 - follower\",\"+18.000 - not_leader\",\"+19.000 - ok\","
                      "\"+20.000 - elected\"]");
}
END_TEST

/* ---- the simulator ---- */

START_TEST(test_sim_order_is_independent_of_feed_order)
{
    /* Timers run before inputs at the same time, and inputs at one time in
     * their canonical order, whatever order they were added in. */
    unit_enter_workdir();
    rp_model *m = component_model("lifecycle", lifecycle_config);
    /* The retry due at +2s runs before the input at +2s, and the next
     * retry is dropped: the key left the state it failed in. */
    const char *a = "[{\"at\":0,\"type\":\"start\",\"key\":\"n\"},{\"at\":0,\"type\":\"fail\",\"key\":\"n\"},"
                    "{\"at\":2,\"type\":\"go\",\"key\":\"n\",\"to\":\"delivered\"}]";
    const char *expected = "[\"+0.000 n ok\",\"+0.000 n retry\",\"+2.000 n fired 1\",\"+2.000 n retry\","
                           "\"+2.000 n ok\"]";
    json_t *got = simulate(m, a);
    ck_assert_json_eq(got, expected);
    json_decref(got);
    add_reversed = true;
    got = simulate(m, a);
    add_reversed = false;
    ck_assert_json_eq(got, expected);
    json_decref(got);
    rp_model_free(m);
}
END_TEST

START_TEST(test_sim_jitter_uses_the_seed)
{
    unit_enter_workdir();
    rp_model *m = component_model("lifecycle", "states: [q, dead_letter], transitions: [], "
                                               "retry: {limit: 1, backoff: 10s, jitter: 0.5}");
    const char *events = "[{\"at\":0,\"type\":\"start\",\"key\":\"n\"},{\"at\":0,\"type\":\"fail\",\"key\":\"n\"}]";
    rp_sim_opts one = {.seed = 1}, two = {.seed = 2};
    json_t *a = simulate_with(m, events, &one), *b = simulate_with(m, events, &one), *c = simulate_with(m, events, &two);
    ck_assert(json_equal(a, b));
    ck_assert(!json_equal(a, c));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    rp_model_free(m);
}
END_TEST

START_TEST(test_model_errors_name_the_line)
{
    unit_enter_workdir();
    FILE *f = fopen("m.yaml", "w");
    fputs("model: m\ncomponents:\n  c: {type: pool}\ninputs:\n  x:\n    - do: c.fly\noutputs: {y: []}\n", f);
    fclose(f);
    rp_model *m;
    rb_error err;
    ck_assert_int_eq(rp_model_load("./m.yaml", &m, &err), RB_ERULE);
    ck_assert_ptr_null(m);
    ck_assert_str_eq(err.message, "./m.yaml:6: do: component c (pool) has no operation 'fly'");
    f = fopen("m.yaml", "w");
    fputs("model: m\ncomponents:\n  c: {type: pool}\ninputs:\n  x: {emit: z}\noutputs: {y: []}\n", f);
    fclose(f);
    ck_assert_int_eq(rp_model_load("./m.yaml", &m, &err), RB_ERULE);
    ck_assert_str_eq(err.message, "./m.yaml:5: emit: 'z' is not an output type (expected a type declared under outputs:)");
    f = fopen("m.yaml", "w");
    fputs("model: m\ncomponents:\n  c: {type: lifecycle, states: [a], transitions: [{from: a, to: b}]}\n"
          "inputs:\n  x: stop\noutputs: {y: []}\n", f);
    fclose(f);
    ck_assert_int_eq(rp_model_load("./m.yaml", &m, &err), RB_ERULE);
    ck_assert_str_eq(err.message, "./m.yaml:3: component c: transitions names no declared state (expected one of states:)");
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *prng = tcase_create("prng"), *lifecycle = tcase_create("lifecycle"), *acl = tcase_create("acl"),
          *rate = tcase_create("rate_limit"), *stream = tcase_create("stream"), *coal = tcase_create("coalescer"),
          *pool = tcase_create("pool"), *leader = tcase_create("leader"), *sim = tcase_create("sim");
    tcase_add_test(prng, test_prng_reference);
    tcase_add_test(lifecycle, test_lifecycle_backoff_and_dead_letter);
    tcase_add_test(lifecycle, test_lifecycle_transitions);
    tcase_add_test(acl, test_acl_exact_and_wildcards);
    tcase_add_test(rate, test_rate_limit_refill);
    tcase_add_test(stream, test_stream_gap_snapshot_resume);
    tcase_add_test(stream, test_stream_open_edge_applies_over_gap);
    tcase_add_test(coal, test_coalescer_budget);
    tcase_add_test(pool, test_pool_quorum_refusal);
    tcase_add_test(leader, test_leader_single_role_and_lease);
    tcase_add_test(sim, test_sim_order_is_independent_of_feed_order);
    tcase_add_test(sim, test_sim_jitter_uses_the_seed);
    tcase_add_test(sim, test_model_errors_name_the_line);
    TCase *all[] = {prng, lifecycle, acl, rate, stream, coal, pool, leader, sim};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        suite_add_tcase(s, all[i]);
    return s;
}

RB_UNIT_MAIN(replay_suite)
