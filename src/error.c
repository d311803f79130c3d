/*
 * error.c — setting and mapping rb_error values (see error.h).
 */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

void rb_error_clear(rb_error *err)
{
    if (err) {
        err->code = RB_OK;
        err->message[0] = '\0';
    }
}

rb_code rb_error_set(rb_error *err, rb_code code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int rb_error_exit_status(rb_code code)
{
    switch (code) {
    case RB_OK:
        return 0;
    case RB_EUSAGE:
    case RB_EINPUT:
    case RB_ERULE:
    case RB_EKIND:
        return 2;
    case RB_EINTERNAL:
    default:
        return 3;
    }
}
