/*
 * feed.h — the trace as one run reads it: a source of inputs for the
 * simulator (sim.h) that reads the trace as the run goes, ahead of the
 * simulation.
 *
 * Every event read goes to the comparison at once (compare.h): a captured
 * output then waits for its simulated one, which the simulation makes
 * soon after, with its key.  Inputs wait in a queue for the simulator.
 * Before the simulator takes an input of time T, the trace is read up to
 * T plus a window (a minute of trace time, or a bounded number of
 * inputs): outputs captured within it are compared as they are simulated,
 * and only an output the trace has later than that costs the comparison a
 * copy of the model's state.  Memory holds the window, not the trace.
 *
 * Injected inputs (a what-if patch's events, sorted) are merged in: at
 * one time, after the trace's.
 *
 * When the trace turns out not to be in time order, the feed ends, and
 * rp_feed_restart tells the caller that the run is void (trace.h).
 *
 * Ownership: the feed borrows the trace, the key table, the comparison
 * and the injected schedule; rp_feed_free releases what it holds.
 */
#ifndef RP_FEED_H
#define RP_FEED_H

#include <stdbool.h>

#include "error.h"
#include "replay/compare.h"
#include "replay/keys.h"
#include "replay/sim.h"
#include "replay/trace.h"

typedef struct rp_feed rp_feed;

/* A feed of trace t, from the start of a pass (rp_trace_rewind first). */
rp_feed *rp_feed_new(rp_trace *t, rp_keys *keys, rp_compare *c, const rp_schedule *injected);
void rp_feed_free(rp_feed *f);

/* The feed as the simulator's source. */
rp_source rp_feed_source(rp_feed *f);

/* Whether the trace was found out of time order (the run is void). */
bool rp_feed_restart(const rp_feed *f);

/* Whether the last error came from reading the trace (not from the run). */
bool rp_feed_failed(const rp_feed *f);

/* Reads the rest of the trace, for its errors: after the simulation
 * failed, an error in the trace is the one to report. */
rb_code rp_feed_drain(rp_feed *f, rb_error *err);

#endif
