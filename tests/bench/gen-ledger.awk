# gen-ledger.awk — a deterministic SQLite ledger and what its restore lost,
# gained and changed, for `make bench` (rbaudit diff against sqldiff).
#
# Usage: awk -v rows=N [-v part=restore] -f gen-ledger.awk | sqlite3 FILE
#
# Without part, the SQL of a Beam ledger of N rows in three tables, the
# kinds of key `rbaudit diff` pairs rows by:
#   intents        nonce TEXT PRIMARY KEY          half of the rows
#   notifications  id INTEGER PRIMARY KEY          four tenths
#   audit_log      no key (a multiset of rows)     a tenth
# With part=restore, the SQL that turns a copy of it into a "restore" with
# a few hundred differences (for N = 10^6: 100 intents missing, 80 added
# and 125 changed; 50 notifications missing, 40 added and 66 changed; 10
# audit rows missing and 14 added).  The copy is not vacuumed, so the rows
# of audit_log keep their rowids and `sqldiff --primarykey`, which pairs
# the rows of a keyless table by rowid, finds the same differences as
# `rbaudit diff`, which compares them as a multiset.  Values depend only on
# the row number: the same N gives the same bytes under any awk.

function stamp(i,    s) {
    s = i * 7
    return sprintf("2026-04-%02dT%02d:%02d:%02dZ", 1 + int(s / 86400) % 28, int(s / 3600) % 24, int(s / 60) % 60, s % 60)
}

function intent_row(i) {
    printf "INSERT INTO intents VALUES('n-%07d','%s','%s','%s','%s',%d,'%s');\n", i, senders[i % 5], targets[i % 6],
        intents[i % 6], states[i % 7], i % 4, stamp(i)
}

function notification_row(i) {
    printf "INSERT INTO notifications VALUES(%d,'%s','%s',%s,%s,'%s');\n", i, i % 3 ? "beta_request" : "critical_alert",
        i % 11 ? "acknowledged" : "new", i % 5 ? "'ops-ana'" : "NULL", i % 5 ? "'reply by mail'" : "NULL", stamp(i)
}

function audit_row(i) {
    printf "INSERT INTO audit_log VALUES('%s','ops-%s','%s','agent %d');\n", stamp(i), i % 2 ? "bob" : "ana",
        i % 4 ? "acl_changed" : "audit_history_checked", i % 97
}

BEGIN {
    if (rows < 10) {
        print "usage: awk -v rows=N [-v part=restore] -f gen-ledger.awk" > "/dev/stderr"
        exit 2
    }
    split("billing-agent quote-desk orders-agent sales-agent support-agent", s, " ")
    for (i = 1; i <= 5; i++) senders[i - 1] = s[i]
    split("ledger-agent pricing-agent tax-agent quote-agent inbox-agent search-agent", s, " ")
    for (i = 1; i <= 6; i++) targets[i - 1] = s[i]
    split("invoice.post quote.request tax.quote quote.approve inbox.notify search.query", s, " ")
    for (i = 1; i <= 6; i++) intents[i - 1] = s[i]
    split("queued delivered acked failed dead_letter requeued acked", s, " ")
    for (i = 1; i <= 7; i++) states[i - 1] = s[i]
    n_intents = int(rows / 2)
    n_notifications = int(rows * 4 / 10)
    n_audit = rows - n_intents - n_notifications
    print "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
    if (part == "restore") {
        print "DELETE FROM intents WHERE rowid % 5003 = 17;"
        print "UPDATE intents SET state = 'acked', retries = retries + 1 WHERE rowid % 4001 = 3;"
        for (i = 0; i < int(n_intents / 6250); i++)
            intent_row(n_intents + i)
        print "DELETE FROM notifications WHERE id % 8009 = 5;"
        print "UPDATE notifications SET owner = 'ops-bob', next_action = NULL WHERE id % 6007 = 1;"
        for (i = 0; i < int(n_notifications / 10000); i++)
            notification_row(n_notifications + i)
        print "DELETE FROM audit_log WHERE rowid % 10007 = 9;"
        for (i = 0; i < int(n_audit / 6667); i++)
            audit_row(n_audit + i)
        print "COMMIT;"
        exit 0
    }
    print "CREATE TABLE intents (nonce TEXT PRIMARY KEY, sender TEXT, target TEXT, intent TEXT, state TEXT, retries INTEGER, updated_at TEXT);"
    print "CREATE TABLE notifications (id INTEGER PRIMARY KEY, kind TEXT, state TEXT, owner TEXT, next_action TEXT, created_at TEXT);"
    print "CREATE TABLE audit_log (ts TEXT, actor TEXT, action TEXT, subject TEXT);"
    for (i = 0; i < n_intents; i++)
        intent_row(i)
    for (i = 0; i < n_notifications; i++)
        notification_row(i)
    for (i = 0; i < n_audit; i++)
        audit_row(i)
    print "COMMIT;"
}
