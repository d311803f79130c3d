/*
 * check_waiver.c — waiver files (every malformed case, expiry at the
 * boundary, matching by fingerprint and by rule and key, expired and
 * unused waivers) and baselines.
 */
#include "unit.h"

#include <stdio.h>
#include <unistd.h>

#include "baseline.h"
#include "timeutil.h"
#include "util.h"
#include "waiver.h"

static int64_t at(const char *time)
{
    int64_t us;
    ck_assert(rb_time_parse(time, &us));
    return us;
}

/* Two findings of rule R-A-001 (keys k1, k2) with fixed fingerprints. */
static void two_findings(rb_findings *list)
{
    const char *keys[] = {"k1", "k2"};
    for (int i = 0; i < 2; i++) {
        rb_finding *f = rb_finding_builtin("R-A-001", RB_SEV_ERROR, "m");
        json_t *key = json_string(keys[i]);
        rb_finding_set_key(f, key);
        json_decref(key);
        snprintf(f->fingerprint, sizeof f->fingerprint, "fp%d", i + 1);
        rb_findings_add(list, f);
    }
}

/* Applies the waiver text at `now`; returns "rule:key" of what was
 * reported and suppressed, as "REPORTED|SUPPRESSED". */
static char *apply(const char *text, const char *now)
{
    unit_write_file("w.yaml", text);
    rb_evidence *ev = rb_evidence_new();
    rb_waivers *w;
    rb_error err;
    ck_assert_msg(rb_waivers_load("w.yaml", ev, &w, &err) == RB_OK, "%s", err.message);
    rb_findings found = {0}, suppressed = {0};
    two_findings(&found);
    rb_waivers_apply(w, at(now), &found, &suppressed);
    rb_buf b = {0};
    rb_buf_puts(&b, "");
    for (size_t i = 0; i < found.n; i++)
        rb_buf_printf(&b, "%s%s:%s", i ? "," : "", found.items[i]->rule_id, json_string_value(found.items[i]->key));
    rb_buf_puts(&b, "|");
    for (size_t i = 0; i < suppressed.n; i++)
        rb_buf_printf(&b, "%s%s", i ? "," : "", json_string_value(suppressed.items[i]->key));
    rb_findings_clear(&found);
    rb_findings_clear(&suppressed);
    rb_waivers_free(w);
    rb_evidence_free(ev);
    return rb_buf_take(&b);
}

#define expect_apply(text, now, expected)                                                   \
    do {                                                                                    \
        char *got_ = apply((text), (now));                                                  \
        ck_assert_msg(strcmp(got_, (expected)) == 0, "got '%s', expected '%s'", got_, (expected)); \
        free(got_);                                                                         \
    } while (0)

static const char *by_key = "- {rule: R-A-001, key: k1, reason: r, owner: o, expires: 2026-04-12}\n";
static const char *by_fp = "- {fingerprint: fp2, reason: r, owner: o, expires: \"2026-04-12T10:00:00+02:00\"}\n";

START_TEST(matches_by_rule_and_key_or_fingerprint)
{
    unit_enter_workdir();
    expect_apply(by_key, "2026-04-12T00:00:00Z", "R-A-001:k2|k1");
    expect_apply(by_fp, "2026-04-12T00:00:00Z", "R-A-001:k1|k2");
}
END_TEST

START_TEST(a_date_holds_through_its_day)
{
    unit_enter_workdir();
    expect_apply(by_key, "2026-04-12T23:59:59.999999Z", "R-A-001:k2|k1");
    expect_apply(by_key, "2026-04-13T00:00:00Z", "R-A-001:k1,R-A-001:k2,RBA-WAIVER-EXPIRED:R-A-001:k1|");
    /* a time: now == expiry is expired (08:00Z is 10:00+02:00) */
    expect_apply(by_fp, "2026-04-12T07:59:59Z", "R-A-001:k1|k2");
    expect_apply(by_fp, "2026-04-12T08:00:00Z", "R-A-001:k1,R-A-001:k2,RBA-WAIVER-EXPIRED:fp2|");
}
END_TEST

START_TEST(unused_waivers_are_reported)
{
    unit_enter_workdir();
    expect_apply("- {rule: R-A-001, key: k9, reason: r, owner: o, expires: 2027-01-01}\n", "2026-04-12T00:00:00Z",
                 "R-A-001:k1,R-A-001:k2,RBA-WAIVER-UNUSED:R-A-001:k9|");
    expect_apply("", "2026-04-12T00:00:00Z", "R-A-001:k1,R-A-001:k2|");
}
END_TEST

START_TEST(malformed_waivers_name_their_line)
{
    unit_enter_workdir();
    static const struct {
        const char *text, *message;
    } cases[] = {
        {"- {rule: R-A-001, key: k1, owner: o, expires: 2027-01-01}\n", "w.yaml:1: a waiver needs 'reason'"},
        {"- {rule: R-A-001, key: k1, reason: r, expires: 2027-01-01}\n", "a waiver needs 'owner'"},
        {"- rule: R-A-001\n  key: k1\n  reason: r\n  owner: o\n", "w.yaml:1: a waiver needs 'expires'"},
        {"- rule: R-A-001\n  key: k1\n  reason: \"\"\n  owner: o\n  expires: 2027-01-01\n", "w.yaml:3: a waiver needs 'reason'"},
        {"- rule: R-A-001\n  key: k1\n  reason: r\n  owner: o\n  expires: 2027-13-01\n", "w.yaml:5: 'expires' is not a date"},
        {"- {fingerprint: a, rule: R, key: k, reason: r, owner: o, expires: 2027-01-01}\n", "not both"},
        {"- {reason: r, owner: o, expires: 2027-01-01}\n", "by 'fingerprint', or by 'rule' and 'key'"},
        {"- {rule: R-A-001, reason: r, owner: o, expires: 2027-01-01}\n", "needs 'key' too"},
        {"- {fingerprint: a, reason: r, owner: o, expires: 2027-01-01, why: x}\n", "unknown key 'why'"},
        {"- just text\n", "a waiver must be a mapping"},
        {"rule: x\n", "expected a list of waivers"},
        {"- [unclosed\n", "w.yaml:"},
        {"- {fingerprint: a, reason: r, owner: o, expires: 2027-01-01}\n---\n- {}\n", "expected one YAML document"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unit_write_file("w.yaml", cases[i].text);
        rb_evidence *ev = rb_evidence_new();
        rb_waivers *w;
        rb_error err;
        rb_error_clear(&err);
        ck_assert_int_eq(rb_waivers_load("w.yaml", ev, &w, &err), RB_EINPUT);
        ck_assert_msg(strstr(err.message, cases[i].message), "case %zu: '%s' lacks '%s'", i, err.message,
                      cases[i].message);
        rb_waivers_free(w);
        rb_evidence_free(ev);
    }
}
END_TEST

START_TEST(baselines_suppress_known_fingerprints)
{
    unit_enter_workdir();
    unit_write_file("old.json", "{\"schema\":\"rbaudit-report/1\",\"fingerprints\":\"rbaudit/v2\","
                           "\"findings\":[{\"fingerprint\":\"fp1\"}],\"suppressed\":[{\"fingerprint\":\"zz\"}]}");
    rb_baseline *b;
    rb_error err;
    ck_assert_int_eq(rb_baseline_load("old.json", &b, &err), RB_OK);
    rb_findings found = {0}, suppressed = {0};
    two_findings(&found);
    ck_assert_int_eq(rb_baseline_apply(b, &found, &suppressed), 1);
    ck_assert_int_eq(found.n, 1);
    ck_assert_str_eq(found.items[0]->fingerprint, "fp2");
    ck_assert_json_eq(json_object_get(suppressed.items[0]->extra, "suppressed_by"), "{\"kind\":\"baseline\"}");
    rb_findings_clear(&found);
    rb_findings_clear(&suppressed);
    rb_baseline_free(b);
    unit_write_file("bad.json", "{\"schema\":\"rbaudit-report/1\",\"fingerprints\":\"rbaudit/v2\","
                           "\"findings\":[{}],\"suppressed\":[]}");
    ck_assert_int_eq(rb_baseline_load("bad.json", &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "findings[0] has no 'fingerprint'"));
    rb_baseline_free(b);
    /* fingerprints of another scheme are refused, not compared */
    unit_write_file("v3.json", "{\"schema\":\"rbaudit-report/1\",\"fingerprints\":\"rbaudit/v3\","
                           "\"findings\":[],\"suppressed\":[]}");
    ck_assert_int_eq(rb_baseline_load("v3.json", &b, &err), RB_EINPUT);
    ck_assert_ptr_nonnull(strstr(err.message, "v3.json: its fingerprints are \"rbaudit/v3\", not \"rbaudit/v2\""));
    rb_baseline_free(b);
}
END_TEST

static Suite *waiver_suite(void)
{
    Suite *s = suite_create("waiver");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, matches_by_rule_and_key_or_fingerprint);
    tcase_add_test(tc, a_date_holds_through_its_day);
    tcase_add_test(tc, unused_waivers_are_reported);
    tcase_add_test(tc, malformed_waivers_name_their_line);
    tcase_add_test(tc, baselines_suppress_known_fingerprints);
    suite_add_tcase(s, tc);
    return s;
}

RB_UNIT_MAIN(waiver_suite)
