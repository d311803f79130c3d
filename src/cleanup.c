/*
 * cleanup.c — removing what the process made, at exit and on the signals
 * that end a run (cleanup.h).
 */
#include "cleanup.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

typedef struct entry {
    char *path; /* owned; prepared before the handler may need it */
    bool dir;
} entry;

static entry *entries;
static size_t n_entries, cap_entries;
static bool installed;

static const int handled[] = {SIGHUP, SIGINT, SIGTERM};
#define N_HANDLED (sizeof handled / sizeof handled[0])

/* Removes every entry, newest first; only async-signal-safe calls. */
static void remove_all(void)
{
    for (size_t i = n_entries; i-- > 0;) {
        if (entries[i].dir)
            rmdir(entries[i].path);
        else
            unlink(entries[i].path);
    }
}

/* The handler runs with all handled signals blocked and its own action
 * already reset to the default (SA_RESETHAND): the signal raised again is
 * delivered when it returns, and ends the process as it would have. */
static void on_signal(int sig)
{
    remove_all();
    raise(sig);
}

static void hold(sigset_t *saved);
static void release(const sigset_t *saved);

static void at_exit(void)
{
    sigset_t saved;
    hold(&saved);
    remove_all();
    for (size_t i = 0; i < n_entries; i++)
        free(entries[i].path);
    free(entries);
    entries = NULL;
    n_entries = cap_entries = 0;
    release(&saved);
}

static void install(void)
{
    installed = true;
    atexit(at_exit);
    struct sigaction action = {.sa_handler = on_signal, .sa_flags = SA_RESETHAND};
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < N_HANDLED; i++)
        sigaddset(&action.sa_mask, handled[i]);
    for (size_t i = 0; i < N_HANDLED; i++) {
        struct sigaction old;
        if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(handled[i], &action, NULL);
    }
}

/* The list changes only while the handled signals are held back. */
static void hold(sigset_t *saved)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < N_HANDLED; i++)
        sigaddset(&set, handled[i]);
    sigprocmask(SIG_BLOCK, &set, saved);
    if (!installed)
        install();
}

static void release(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

static void add_held(const char *path, bool dir)
{
    rb_grow((void **)&entries, &cap_entries, n_entries + 1, sizeof *entries);
    entries[n_entries++] = (entry){rb_xstrdup(path), dir};
}

/* The newest entry for path, or n_entries. */
static size_t find_held(const char *path)
{
    for (size_t i = n_entries; i-- > 0;)
        if (strcmp(entries[i].path, path) == 0)
            return i;
    return n_entries;
}

static void forget_held(size_t i)
{
    free(entries[i].path);
    memmove(entries + i, entries + i + 1, (n_entries - i - 1) * sizeof *entries);
    n_entries--;
}

int rb_cleanup_mkstemp(char *template)
{
    sigset_t saved;
    hold(&saved);
    int fd = mkstemp(template);
    if (fd >= 0)
        add_held(template, false);
    release(&saved);
    return fd;
}

char *rb_cleanup_mkdtemp(char *template)
{
    sigset_t saved;
    hold(&saved);
    char *dir = mkdtemp(template);
    if (dir)
        add_held(dir, true);
    release(&saved);
    return dir;
}

void rb_cleanup_add(const char *path)
{
    sigset_t saved;
    hold(&saved);
    add_held(path, false);
    release(&saved);
}

void rb_cleanup_forget(const char *path)
{
    sigset_t saved;
    hold(&saved);
    size_t i = find_held(path);
    if (i < n_entries)
        forget_held(i);
    release(&saved);
}

void rb_cleanup_remove(const char *path)
{
    sigset_t saved;
    hold(&saved);
    size_t i = find_held(path);
    if (i < n_entries) {
        if (entries[i].dir)
            rmdir(path);
        else
            unlink(path);
        forget_held(i);
    }
    release(&saved);
}
