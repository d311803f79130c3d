/*
 * cleanup.h — the files and directories this process makes for itself and
 * must never leave behind: a report being written beside its destination
 * (report.c), the private copy of a ledger read with its write-ahead log or
 * hot journal (ledger_copy.c).
 *
 * Each is registered while it exists.  The code that made it removes it
 * (or renames it into place) and forgets it; whatever is still registered
 * when the process exits, or when SIGINT, SIGTERM or SIGHUP arrives, is
 * removed then.  After that the signal takes its default action, so the
 * process still dies of it and a shell sees 128+N, as if rbaudit had no
 * handler.  A signal the process was started with ignored stays ignored.
 *
 * A signal may arrive between any two instructions, so the handler only
 * calls unlink(2), rmdir(2) and raise(3), on paths copied when they were
 * registered, and the list of them only changes with those signals
 * blocked.  Entries are removed newest first: a directory registered
 * before the files in it is removed after them.
 */
#ifndef RB_CLEANUP_H
#define RB_CLEANUP_H

/* mkstemp(3), with the file registered before any signal can see it
 * made: returns its descriptor, or -1 with errno set. */
int rb_cleanup_mkstemp(char *template);

/* mkdtemp(3) likewise, registered as a directory: returns template, or
 * NULL with errno set. */
char *rb_cleanup_mkdtemp(char *template);

/* Registers a file to remove, which need not exist yet (a file another
 * library may create, such as SQLite's -shm). */
void rb_cleanup_add(const char *path);

/* Forgets a path that is no longer this process's to remove (a report
 * renamed into place). */
void rb_cleanup_forget(const char *path);

/* Removes a registered path now (unlink, or rmdir for a directory; one
 * that is already gone is fine) and forgets it. */
void rb_cleanup_remove(const char *path);

#endif
