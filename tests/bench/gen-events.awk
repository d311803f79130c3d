# gen-events.awk — deterministic synthetic Beam evidence for `make bench`.
#
# Usage: awk -v events=N -v keys=K [-v format=sql] -f gen-events.awk
#
# Writes N events of the Beam bus vocabulary (rules/beam/README.md) as JSON
# Lines, or with format=sql the same rows as SQL for an `events` table.
# Messages run through queued, delivered and acked; about one in 100 fails
# FORBIDDEN into a dead letter, whose evidence is exported before it is
# requeued; about one tick in 1000 carries an ACL change, one in 50 of those
# a wildcard (what BEAM-ACL-001 reports).  Nonces are taken from K keys in
# turn, so the number of open keys stays the same however many events are
# made.  Randomness is a MINSTD generator with a fixed seed: the same
# arguments give the same bytes under any awk.

function rand_next() {
    state = (state * 48271) % 2147483647
    return state / 2147483647
}

# RFC 3339 time of tick t (10 ms apart from 2026-04-12T00:00:00Z).
function stamp(t,    ms, s, day) {
    ms = t * 10
    s = int(ms / 1000)
    day = int(s / 86400)
    s -= day * 86400
    return sprintf("2026-04-%02dT%02d:%02d:%02d.%03dZ", 12 + day, int(s / 3600), int(s / 60) % 60,
                   s % 60, ms % 1000)
}

function emit(ts, type, src, key, sender, target, intent, extra) {
    written++
    if (format == "sql") {
        printf "INSERT INTO events VALUES(%d,'%s','%s','%s','production','%s','%s','%s','%s',%s,%s,%s);\n", \
            written, ts, type, src, key, sender, target, intent, \
            extra_sql["retry_count"], extra_sql["error_code"], extra_sql["actor"]
        return
    }
    printf "{\"ts\":\"%s\",\"seq\":%d,\"type\":\"%s\",\"source\":\"%s\",\"env\":\"production\",\"key\":\"%s\",\"sender\":\"%s\",\"target\":\"%s\",\"intent\":\"%s\",\"transport\":\"sync\"%s}\n", \
        ts, written, type, src, key, sender, target, intent, extra
}

# The event of stage `stage` of message m, or nothing when that message
# has no such stage.
function message_event(m, stage, ts,    k, sender, target, intent, failing) {
    k = sprintf("n-%07d", m % keys)
    sender = senders[m % n_senders]
    target = targets[m % n_targets]
    intent = intents[m % n_targets]
    failing = fails[m % 1024]
    split("", extra_sql)
    extra_sql["retry_count"] = "NULL"; extra_sql["error_code"] = "NULL"; extra_sql["actor"] = "NULL"
    if (stage == 0) {
        extra_sql["retry_count"] = 0
        emit(ts, "queued", "beam.bus", k, sender, target, intent, ",\"retry_count\":0")
    } else if (stage == 1 && failing) {
        extra_sql["error_code"] = "'FORBIDDEN'"
        emit(ts, "failed", "beam.bus", k, sender, target, intent, ",\"error_code\":\"FORBIDDEN\",\"retryable\":false")
    } else if (stage == 1) {
        emit(ts, "delivered", "beam.bus", k, sender, target, intent, "")
    } else if (stage == 2 && failing) {
        extra_sql["error_code"] = "'FORBIDDEN'"
        emit(ts, "dead_letter", "beam.bus", k, sender, target, intent, ",\"error_code\":\"FORBIDDEN\"")
    } else if (stage == 2) {
        emit(ts, "acked", "beam.bus", k, sender, target, intent, "")
    } else if (stage == 3 && failing) {
        extra_sql["actor"] = "'ops-ana'"
        emit(ts, "evidence_exported", "beam.bus", k, sender, target, intent, ",\"actor\":\"ops-ana\",\"export\":\"exports/" k ".json\"")
    } else if (stage == 4 && failing) {
        extra_sql["actor"] = "'ops-ana'"
        emit(ts, "requeued", "beam.bus", k, sender, target, intent, ",\"actor\":\"ops-ana\",\"reason\":\"retry after ACL fix\"")
    }
}

function acl_event(ts,    wildcard) {
    wildcard = rand_next() < 0.02
    split("", extra_sql)
    extra_sql["retry_count"] = "NULL"; extra_sql["error_code"] = "NULL"; extra_sql["actor"] = "'ops-bob'"
    emit(ts, "acl_changed", "beam.acl", "acl-" written, wildcard ? "*" : senders[written % n_senders],
         targets[written % n_targets], intents[written % n_targets], ",\"actor\":\"ops-bob\",\"action\":\"allow\"")
}

BEGIN {
    if (events == "" || keys == "" || keys < 1) {
        print "usage: awk -v events=N -v keys=K [-v format=sql] -f gen-events.awk" > "/dev/stderr"
        exit 2
    }
    state = 20260412
    n_senders = split("billing-agent quote-desk orders-agent sales-agent support-agent", s, " ")
    for (i = 1; i <= n_senders; i++) senders[i - 1] = s[i]
    n_targets = split("ledger-agent pricing-agent tax-agent quote-agent inbox-agent search-agent", s, " ")
    for (i = 1; i <= n_targets; i++) targets[i - 1] = s[i]
    split("invoice.post quote.request tax.quote quote.approve inbox.notify search.query", s, " ")
    for (i = 1; i <= n_targets; i++) intents[i - 1] = s[i]
    # Which message slots fail: fixed per slot so that a failing message
    # has all of its stages.
    for (i = 0; i < 1024; i++) fails[i] = rand_next() < 0.01
    if (format == "sql") {
        print "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
        print "CREATE TABLE events (seq INTEGER PRIMARY KEY, ts TEXT, type TEXT, source TEXT, env TEXT, key TEXT, sender TEXT, target TEXT, intent TEXT, retry_count INTEGER, error_code TEXT, actor TEXT);"
    }
    # Tick t carries stage s of message t - 3s: five messages in flight at
    # each step, so the output is already in time order.
    written = 0
    for (t = 0; written < events; t++) {
        ts = stamp(t)
        for (stage = 0; stage < 5 && written < events; stage++)
            if (t - 3 * stage >= 0)
                message_event(t - 3 * stage, stage, ts)
        if (t % 1000 == 999 && written < events)
            acl_event(ts)
    }
    if (format == "sql")
        print "COMMIT;"
}
