# gen-nested.awk — deterministic Beam bus evidence shaped like the real
# thing, for `make bench`: nested objects, escaped strings, unicode, arrays
# of objects, every form of number, mixed time formats.
#
# Usage: awk -v events=N -v keys=K -f gen-nested.awk
#
# The flat lines of gen-events.awk let a plain-line scanner skip most of the
# work; real bus exports do not look like that.  Here every bus event has a
# `detail` object (two and three levels deep: detail.route.hops is an array
# of objects), failures say why in escaped text (quotes, backslashes, \n,
# \uXXXX, surrogate pairs) and in raw UTF-8, numbers come as integers,
# negatives, fractions and exponents, and `ts` is RFC 3339 in UTC, with an
# offset or with microseconds, or epoch milliseconds.  Lines average about
# 220 bytes, as the flat ones do.
#
# The traffic exercises the default packs (rules/beam) in proportions a
# busy day of a bus with ACL trouble might have.  Per message:
#   80 %   queued, delivered, acked (1 in 10 an async fan-out that promises
#          only acknowledgement: accepted)
#   8 %    a retryable failure (TIMEOUT, RATE_LIMITED, TARGET_UNAVAILABLE),
#          queued again with retry_count 1, then delivered and acked
#   1 %    stuck in delivered, no ack ever (4 in 10 an async fan-out)
#   0.3 %  a retry storm: failed RATE_LIMITED and queued again past the
#          retry limit, never terminal
#   rest   queued, delivered, acked over a longer route
# unless its sender-target pair is broken by an ACL incident (one starts
# every four and a half minutes on average and lasts one to twenty-one):
# then it fails FORBIDDEN (detail.error_code) into a dead letter.  An
# incident raises one alert and its inbox signal (acknowledged, in one case
# of ten with no owner); at its end an operator checks the audit history
# and fixes the exact ACL entry (one fix in twenty with a wildcard), or,
# for search-agent, nothing is fixed; then every dead letter of the pair is
# exported (nine in ten) and requeued, and goes through.  Now and then an
# agent health or Shield policy changes (most after a traffic validation).
# About 2.3 % of the lines are the failed FORBIDDEN events the bench's
# selective rule selects.  A message starts on one 10 ms tick in four
# (about 90 events a second, so 10^6 events span three hours and 10^7 a
# day and a half); one in a hundred is in env demo, a few in staging and
# preview.
#
# Nonces are taken from K keys in turn (as in gen-events.awk), so the open
# keys stay the same however many events are made.  Events come out in time
# order (seq breaks ties of equal ts).  Randomness is a MINSTD generator
# with a fixed seed: the same arguments give the same bytes under any awk.

function rand_next() {
    state = (state * 48271) % 2147483647
    return state / 2147483647
}

function pick(list, n) { return list[int(rand_next() * n)] }

# Days since 1970-01-01 to a civil date (proleptic Gregorian), into
# civil_y, civil_m, civil_d.
function civil(days,    era, doe, yoe, doy, mp) {
    days += 719468
    era = int(days / 146097)
    doe = days - era * 146097
    yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
    doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
    mp = int((5 * doy + 2) / 153)
    civil_d = doy - int((153 * mp + 2) / 5) + 1
    civil_m = mp < 10 ? mp + 3 : mp - 9
    civil_y = era * 400 + yoe + (civil_m <= 2)
}

# RFC 3339 of epoch milliseconds ms at an offset of off minutes; micro
# adds three digits of microseconds.
function rfc3339(ms, off, micro,    local, s, days, frac, zone) {
    local = ms + off * 60000
    s = int(local / 1000)
    frac = sprintf(".%03d", local - s * 1000)
    if (micro)
        frac = frac sprintf("%03d", (ms * 7) % 1000)
    days = int(s / 86400)
    s -= days * 86400
    civil(days)
    zone = off == 0 ? "Z" : sprintf("%s%02d:%02d", off < 0 ? "-" : "+", int((off < 0 ? -off : off) / 60),
                                    (off < 0 ? -off : off) % 60)
    return sprintf("\"%04d-%02d-%02dT%02d:%02d:%02d%s%s\"", civil_y, civil_m, civil_d, int(s / 3600),
                   int(s / 60) % 60, s % 60, frac, zone)
}

# The `ts` of time ms in form f: 0 UTC with milliseconds, 1 epoch
# milliseconds, 2 an offset, 3 UTC with microseconds.
function stamp(ms, f) {
    if (f == 1)
        return sprintf("%.0f", ms)
    if (f == 2)
        return rfc3339(ms, offsets[int(ms / 1000) % n_offsets], 0)
    return rfc3339(ms, 0, f == 3)
}

# Schedules an event `delay` ticks from now: its text after ts (and seq
# for bus events), the form of its ts.  Emitted in tick order, and in
# scheduling order within a tick.
function later(delay, body, seq, f,    t) {
    t = now + (delay < 0 ? 0 : int(delay))
    if (t in pending)
        pending[t] = pending[t] "\036"
    pending[t] = pending[t] (seq ? "S" : "-") f body
}

function emit_tick(t,    n, i, spec, ms, line) {
    if (!(t in pending))
        return
    n = split(pending[t], specs, "\036")
    delete pending[t]
    for (i = 1; i <= n && written < events; i++) {
        spec = specs[i]
        written++
        # Distinct, increasing times within the tick, all before the next.
        ms = base + t * 10 + (i <= 9 ? i - 1 : 9)
        line = "{\"ts\":" stamp(ms, substr(spec, 2, 1) + 0)
        if (substr(spec, 1, 1) == "S")
            line = line ",\"seq\":" written
        print line substr(spec, 3) "}"
    }
}

# The common part of a bus event of the current message; who is 2 for its
# sender, target and intent, 1 for its intent only (what an ack repeats),
# 0 for neither.
function bus(type, who) {
    return ",\"type\":\"" type "\",\"source\":\"beam.bus\",\"env\":\"" env "\",\"key\":\"" key "\"" \
        (who == 2 ? ",\"sender\":\"" sender "\",\"target\":\"" target "\"" : "") \
        (who ? ",\"intent\":\"" intent "\"" : "")
}

function number_form(    r) {
    r = rand_next()
    if (r < 0.4) return int(rand_next() * 90) + 3
    if (r < 0.7) return sprintf("%.2f", rand_next() * 40)
    if (r < 0.85) return sprintf("%.1fe%d", 1 + rand_next() * 8, 1 + int(rand_next() * 2))
    if (r < 0.95) return sprintf("%.0fE-%d", 1 + rand_next() * 8, 1 + int(rand_next() * 3))
    return 0
}

function hops(n,    out, i) {
    out = ""
    for (i = 0; i < n; i++)
        out = out "{\"agent\":\"" pick(gateways, n_gateways) "\",\"ms\":" number_form() "},"
    return out "{\"agent\":\"" target "\",\"ms\":" number_form() "}"
}

# detail.route: the region, and with n >= 0 the hops (n gateways, then
# the target).
function route(n) {
    return "\"route\":{\"region\":\"" region "\"" (n < 0 ? "" : ",\"hops\":[" hops(n) "]") "}"
}

# A message from its start: what happens to it, tick by tick.
function message(m,    r, d, retry, i, code) {
    key = sprintf("n-%07d", m % keys)
    i = int(rand_next() * n_senders)
    sender = senders[i]
    pair = i * n_targets
    i = int(rand_next() * n_targets)
    pair += i
    target = targets[i]
    intent = intents[i]
    r = rand_next()
    env = r < 0.95 ? "production" : r < 0.98 ? "staging" : r < 0.99 ? "demo" : "preview"
    region = pick(regions, n_regions)
    r = rand_next()
    f = r < 0.4 ? 0 : r < 0.75 ? 1 : r < 0.85 ? 2 : 3
    later(0, bus("queued", 2) ",\"detail\":{\"attempt\":1}", 1, f)
    r = rand_next()
    d = 2 + int(rand_next() * 18)
    if (broken[pair] > now) {
        forbidden(d)
    } else if (r < 0.8) {
        if (rand_next() < 0.1)
            later(d, bus("delivered", 2) ",\"transport\":\"async\",\"acknowledgement\":\"accepted\",\"detail\":{" route(-1) "}", 1, f)
        else
            later(d, bus("delivered", 2) ",\"detail\":{" route(-1) "}", 1, f)
        later(d + 5 + rand_next() * 95, bus("acked", 1) ",\"detail\":{\"ms\":" number_form() "}", 1, f)
    } else if (r < 0.88) {
        code = pick(transient, n_transient)
        later(d, bus("failed", 2) ",\"detail\":{\"error_code\":\"" code "\",\"retryable\":true,\"message\":\"" \
              messages[code] "\"," route(1) "}", 1, f)
        d += 100 + rand_next() * 200
        later(d, bus("queued", 2) ",\"retry_count\":1,\"detail\":{\"attempt\":2,\"backoff_ms\":" number_form() "}", 1, f)
        later(d + 3, bus("delivered", 2) ",\"detail\":{" route(-1) "}", 1, f)
        later(d + 20, bus("acked", 1) ",\"detail\":{\"ms\":" number_form() "}", 1, f)
    } else if (r < 0.89) {
        later(d, bus("delivered", 2) (rand_next() < 0.4 ? ",\"transport\":\"async\",\"acknowledgement\":\"accepted\"" : "") \
              ",\"detail\":{" route(-1) "}", 1, f)
    } else if (r < 0.893) {
        for (retry = 0; retry <= 6; retry++) {
            later(d, bus("failed", 2) ",\"detail\":{\"error_code\":\"RATE_LIMITED\",\"retryable\":true,\"message\":\"" \
                  messages["RATE_LIMITED"] "\",\"attempt\":" retry + 1 "}", 1, f)
            d += 50 * (retry + 1)
            later(d, bus("queued", 2) ",\"retry_count\":" retry + 1 ",\"detail\":{\"attempt\":" retry + 2 ",\"clock_skew_ms\":-" \
                  int(rand_next() * 9) "}", 1, f)
            d += 5
        }
    } else {
        later(d, bus("delivered", 2) ",\"detail\":{" route(2) "}", 1, f)
        later(d + 40, bus("acked", 1) ",\"detail\":{\"ms\":" number_form() ",\"parent\":null}", 1, f)
    }
}

# FORBIDDEN: the message's sender may not call its target while their
# pair is broken (an ACL incident).  It fails into a dead letter, which
# waits for the incident to end (incident_end).
function forbidden(d,    t_dl) {
    later(d, bus("failed", 2) ",\"detail\":{\"error_code\":\"FORBIDDEN\",\"retryable\":false,\"message\":\"acl denies \\\"" \
          sender "\\\" \\u2192 " intent "\"," route(1) "}", 1, f)
    t_dl = d + 1 + int(rand_next() * 3)
    later(t_dl, bus("dead_letter", 2) ",\"detail\":{\"error_code\":\"FORBIDDEN\",\"attempt\":1}", 1, f)
    if (pair in dead)
        dead[pair] = dead[pair] "\036"
    dead[pair] = dead[pair] key "\037" env "\037" sender "\037" target "\037" intent "\037" \
        region "\037" f "\037" (now + t_dl)
}

# An ACL incident on a sender-target pair: the pair is broken from now for
# one to twenty-one minutes; half a minute in, an alert and its inbox
# signal (acknowledged three minutes later, in one case of ten with no
# owner).
function incident_start(    p, ticks, alert, actor, who) {
    p = int(rand_next() * n_senders * n_targets)
    if (broken[p] > now)
        return
    ticks = 6000 + int(rand_next() * 120000)
    broken[p] = now + ticks
    ends[now + ticks] = ends[now + ticks] " " p
    alert = sprintf("al-%d", ++alerts)
    actor = pick(operators, n_operators)
    later(3000, ",\"type\":\"alert_raised\",\"source\":\"beam.alerts\",\"env\":\"production\",\"alert\":\"" alert \
          "\",\"level\":\"critical\",\"summary\":\"dead letters on " intents[p % n_targets] " (FORBIDDEN) — " \
          senders[int(p / n_targets)] " → " targets[p % n_targets] " \\ud83d\\udea8\"", 0, 2)
    later(6000, ",\"type\":\"inbox_updated\",\"source\":\"beam.inbox\",\"env\":\"production\",\"signal\":\"" alert \
          "\",\"class\":\"critical_alert\",\"status\":\"new\"", 0, 3)
    if (rand_next() < 0.9)
        who = ",\"owner\":\"" actor "\",\"next_action\":\"fix the ACL entry\\nthen requeue (runbook §FM4)\""
    else
        who = ",\"owner\":\"\""
    later(24000, ",\"type\":\"inbox_updated\",\"source\":\"beam.inbox\",\"env\":\"production\",\"signal\":\"" alert \
          "\",\"class\":\"critical_alert\",\"status\":\"acknowledged\"" who, 0, 3)
}

# The end of an incident: for most pairs an operator checks the audit
# history and fixes the exact ACL entry (in one fix of twenty with a
# wildcard); a search-agent pair heals with no fix.  Then each of its dead
# letters is exported (nine in ten) and requeued, one after another, and
# goes through.
function incident_end(p,    n, i, t, at, fixed, actor) {
    actor = pick(operators, n_operators)
    sender = senders[int(p / n_targets)]
    target = targets[p % n_targets]
    intent = intents[p % n_targets]
    fixed = target != "search-agent"
    t = 0
    if (fixed) {
        if (rand_next() < 0.95)
            later(0, ",\"type\":\"audit_history_checked\",\"source\":\"beam.acl\",\"env\":\"production\",\"actor\":\"" actor \
                  "\",\"sender\":\"" sender "\",\"target\":\"" target "\"", 0, 1)
        t = 3000 + int(rand_next() * 9000)
        later(t, ",\"type\":\"acl_changed\",\"source\":\"beam.acl\",\"env\":\"production\",\"actor\":\"" actor \
              "\",\"sender\":\"" (rand_next() < 0.05 ? "*" : sender) "\",\"target\":\"" target "\",\"intent\":\"" intent \
              "\",\"action\":\"allow\",\"change\":{\"before\":[],\"after\":[{\"sender\":\"" sender "\",\"intent\":\"" intent "\"}]}", 0, 1)
    }
    n = (p in dead) ? split(dead[p], letters, "\036") : 0
    delete dead[p]
    for (i = 1; i <= n; i++) {
        split(letters[i], l, "\037")
        key = l[1]; env = l[2]; region = l[6]; f = l[7]
        at = t + 3000 + 20 * i
        if (at < l[8] - now + 100)
            at = l[8] - now + 100
        if (rand_next() < 0.9)
            later(at, bus("evidence_exported", 0) ",\"target\":\"" target "\",\"actor\":\"" actor "\",\"export\":\"" \
                  (rand_next() < 0.5 ? "s3://beam-exports/" key ".json" : "C:\\\\exports\\\\" key ".json") "\"", 1, f)
        later(at + 50, bus("requeued", 2) ",\"actor\":\"" actor "\",\"reason\":\"" (fixed ? "retry after ACL fix" : "retry") "\"", 1, f)
        later(at + 55, bus("delivered", 2) ",\"detail\":{" route(0) ",\"requeued\":true}", 1, f)
        later(at + 80, bus("acked", 1) ",\"detail\":{\"ms\":" number_form() "}", 1, f)
    }
}

# Background: agent health and Shield policy changes.
function background(    r, agent, who) {
    r = rand_next()
    if (r < 0.0004) {
        agent = pick(targets, n_targets)
        later(0, ",\"type\":\"agent_health_changed\",\"source\":\"beam.directory\",\"env\":\"production\",\"target\":\"" agent \
              "\",\"status\":\"" (rand_next() < 0.5 ? "degraded" : "online") "\",\"probe\":{\"latency_ms\":" number_form() \
              ",\"checks\":[{\"name\":\"/health\",\"ok\":true},{\"name\":\"/ready\",\"ok\":" (rand_next() < 0.8 ? "true" : "false") "}]}", 0, 0)
    } else if (r < 0.00045) {
        agent = pick(senders, n_senders)
        who = pick(operators, n_operators)
        if (rand_next() < 0.85)
            later(0, ",\"type\":\"traffic_validated\",\"source\":\"beam.shield\",\"env\":\"production\",\"actor\":\"" who \
                  "\",\"sender\":\"" agent "\",\"verdict\":\"valid\",\"evidence\":\"volume matches the \\\"spring sale\\\" plan\"", 0, 0)
        later(6000, ",\"type\":\"shield_policy_changed\",\"source\":\"beam.shield\",\"env\":\"production\",\"actor\":\"" who \
              "\",\"sender\":\"" agent "\",\"policy\":\"rate_limit\",\"from\":\"20/s\",\"to\":\"500/s\"", 0, 0)
    }
}

BEGIN {
    if (events == "" || keys == "" || keys < 1) {
        print "usage: awk -v events=N -v keys=K -f gen-nested.awk" > "/dev/stderr"
        exit 2
    }
    state = 20260412
    base = 1775952000000 # 2026-04-12T00:00:00Z
    n_senders = split("billing-agent quote-desk orders-agent sales-agent support-agent", s, " ")
    for (i = 1; i <= n_senders; i++) senders[i - 1] = s[i]
    n_targets = split("ledger-agent pricing-agent tax-agent quote-agent inbox-agent search-agent", s, " ")
    for (i = 1; i <= n_targets; i++) targets[i - 1] = s[i]
    split("invoice.post quote.request tax.quote quote.approve inbox.notify search.query", s, " ")
    for (i = 1; i <= n_targets; i++) intents[i - 1] = s[i]
    n_regions = split("eu-west-1 eu-central-1 us-east-1 ap-south-1", s, " ")
    for (i = 1; i <= n_regions; i++) regions[i - 1] = s[i]
    n_gateways = split("gw-1 gw-2 gw-3 relay-eu", s, " ")
    for (i = 1; i <= n_gateways; i++) gateways[i - 1] = s[i]
    n_operators = split("ops-ana ops-bob ops-cy ops-dana ops-élodie", s, " ")
    for (i = 1; i <= n_operators; i++) operators[i - 1] = s[i]
    n_offsets = split("120 -300 330", s, " ")
    for (i = 1; i <= n_offsets; i++) offsets[i - 1] = s[i]
    n_transient = split("TIMEOUT RATE_LIMITED TARGET_UNAVAILABLE", s, " ")
    for (i = 1; i <= n_transient; i++) transient[i - 1] = s[i]
    messages["TIMEOUT"] = "no reply in 30 s; gateway said:\\n\\tupstream timeout"
    messages["RATE_LIMITED"] = "429 \\u00abslow down\\u00bb — quota 20/s"
    messages["TARGET_UNAVAILABLE"] = "agent offline (last seen \\\"degraded\\\") \\ud83d\\udd34"
    written = 0
    m = 0
    for (now = 0; written < events; now++) {
        if (now in ends) {
            n_ended = split(ends[now], ended, " ")
            delete ends[now]
            for (e = 1; e <= n_ended; e++)
                incident_end(ended[e] + 0)
        }
        if (rand_next() < 1 / 27000)
            incident_start()
        if (rand_next() < 0.25)
            message(m++)
        background()
        emit_tick(now)
    }
}
