/*
 * error.h — errors carried as a code and a message.
 *
 * Every function that can fail takes an rb_error* last and returns its code
 * (RB_OK on success).  The message names the file, the place in it and what
 * was expected, so that the command line can print it as it is.
 */
#ifndef RB_ERROR_H
#define RB_ERROR_H

typedef enum rb_code {
    RB_OK = 0,
    RB_EUSAGE,    /* bad command line: exit 2 */
    RB_EINPUT,    /* unreadable or invalid evidence: exit 2 */
    RB_ERULE,     /* invalid rule file or parameter: exit 2 */
    RB_EKIND,     /* an input is not of the kind its name or --kind says
                     (XML that is not JUnit): exit 2 when it was named, a
                     skipped entry when a directory walk found it */
    RB_EINTERNAL  /* a bug or resource failure: exit 3 */
} rb_code;

typedef struct rb_error {
    rb_code code;
    char message[2048];
} rb_error;

/* Clears err to RB_OK. */
void rb_error_clear(rb_error *err);

/* Sets code and a printf-style message; returns code, so callers can
 * write `return rb_error_set(err, RB_EINPUT, "...")`.  err may be NULL. */
rb_code rb_error_set(rb_error *err, rb_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The process exit status for a code: 2 for usage, input, kind and rule
 * errors, 3 for internal ones (rbaudit(1), EXIT STATUS). */
int rb_error_exit_status(rb_code code);

#endif
