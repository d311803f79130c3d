/*
 * prng.h — the simulator's pseudo-random numbers: xoshiro256** seeded
 * through splitmix64 (Blackman and Vigna), so that a seed gives the same
 * sequence on every machine and every run.
 */
#ifndef RP_PRNG_H
#define RP_PRNG_H

#include <stdint.h>

typedef struct rp_prng {
    uint64_t s[4];
} rp_prng;

/* Expands one 64-bit seed into the generator's state. */
void rp_prng_seed(rp_prng *p, uint64_t seed);

/* The next 64 random bits. */
uint64_t rp_prng_next(rp_prng *p);

/* A uniform integer in [0, n); 0 when n is 0.  Unbiased (rejection). */
uint64_t rp_prng_below(rp_prng *p, uint64_t n);

#endif
