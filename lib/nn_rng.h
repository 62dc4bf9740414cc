/* nn_rng.h: PCG32, a small seeded random number generator.
 *
 * Algorithm: PCG-XSH-RR 64/32 (M. E. O'Neill, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number
 * Generation", 2014).  A 64-bit linear congruential state
 *     state <- state * 6364136223846793005 + inc      (inc odd: the stream)
 * is scrambled into 32 output bits by an xorshift and a data-dependent
 * rotation.  It uses only integer arithmetic, so the same seed gives the same
 * bits on every machine; tests/lib/test-rng.c checks the first outputs
 * against the reference implementation's published demo (seed 42, stream 54).
 *
 * Uniform draws are exact functions of those bits.  Normal draws use the
 * Box-Muller transform, which calls log, sqrt and cos: identical wherever
 * libm rounds those correctly (glibc does), and in any case identical once
 * rounded to float, which is how the kit stores weights.
 *
 * Never rand(): its sequence differs between C libraries. */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint64_t state;
    uint64_t inc;        /* stream selector, always odd */
    double spare;        /* Box-Muller makes normals in pairs: the second waits here */
    int has_spare;
} nn_rng;

/* pcg32_srandom_r of the reference: seed and stream (sequence) number. */
void nn_rng_seed(nn_rng *rng, uint64_t seed, uint64_t stream);
/* Shorthand: stream 54, the reference demo's, so seed 42 reproduces it. */
nn_rng nn_rng_new(uint64_t seed);

uint32_t nn_rng_u32(nn_rng *rng);
/* Uniform integer in [0, bound), without modulo bias.  bound > 0. */
uint32_t nn_rng_below(nn_rng *rng, uint32_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double nn_rng_uniform(nn_rng *rng);
/* Uniform double in [lo, hi). */
double nn_rng_range(nn_rng *rng, double lo, double hi);
/* Standard normal N(0, 1) (Box-Muller). */
double nn_rng_normal(nn_rng *rng);

/* x[i] ~ U[lo, hi) and x[i] ~ N(mean, std^2), for i < n. */
void nn_rng_fill_uniform(nn_rng *rng, float *x, size_t n, double lo, double hi);
void nn_rng_fill_normal(nn_rng *rng, float *x, size_t n, double mean, double std);

/* Fisher-Yates shuffle of idx[0..n); nn_rng_permutation first sets idx[i] = i. */
void nn_rng_shuffle(nn_rng *rng, int *idx, size_t n);
void nn_rng_permutation(nn_rng *rng, int *idx, size_t n);

#endif
