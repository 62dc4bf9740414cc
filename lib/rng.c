/* rng.c: PCG32 (PCG-XSH-RR 64/32), uniform and normal draws, shuffling. */
#include "nn_rng.h"

#include <math.h>

#include "nn_core.h"

#define PCG_MULTIPLIER 6364136223846793005ULL

static void step(nn_rng *rng) { rng->state = rng->state * PCG_MULTIPLIER + rng->inc; }

void nn_rng_seed(nn_rng *rng, uint64_t seed, uint64_t stream)
{
    /* As the reference: start from 0 with the stream, step, add the seed, step. */
    rng->state = 0;
    rng->inc = (stream << 1) | 1u;
    step(rng);
    rng->state += seed;
    step(rng);
    rng->has_spare = 0;
    rng->spare = 0;
}

nn_rng nn_rng_new(uint64_t seed)
{
    nn_rng rng;
    nn_rng_seed(&rng, seed, 54);
    return rng;
}

uint32_t nn_rng_u32(nn_rng *rng)
{
    uint64_t old = rng->state;
    step(rng);
    /* Output function XSH-RR: xorshift the high bits down, then rotate by
     * the top five bits of the old state. */
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31u));
}

uint32_t nn_rng_below(nn_rng *rng, uint32_t bound)
{
    /* Reject the few values that would make some residues more likely:
     * threshold = 2^32 mod bound. */
    NN_ASSERT(bound > 0);
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t r = nn_rng_u32(rng);
        if (r >= threshold)
            return r % bound;
    }
}

double nn_rng_uniform(nn_rng *rng)
{
    /* 27 + 26 = 53 bits, the double's mantissa: (a 2^26 + b) / 2^53. */
    uint32_t a = nn_rng_u32(rng) >> 5, b = nn_rng_u32(rng) >> 6;
    return ((double)a * 67108864.0 + (double)b) * (1.0 / 9007199254740992.0);
}

double nn_rng_range(nn_rng *rng, double lo, double hi) { return lo + (hi - lo) * nn_rng_uniform(rng); }

double nn_rng_normal(nn_rng *rng)
{
    if (rng->has_spare) {
        rng->has_spare = 0;
        return rng->spare;
    }
    /* Box-Muller: with u1 in (0, 1] and u2 in [0, 1),
     * r = sqrt(-2 ln u1) and theta = 2 pi u2 give two independent normals
     * r cos(theta) and r sin(theta). */
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = 1.0 - nn_rng_uniform(rng);
    double u2 = nn_rng_uniform(rng);
    double r = sqrt(-2.0 * log(u1));
    rng->spare = r * sin(two_pi * u2);
    rng->has_spare = 1;
    return r * cos(two_pi * u2);
}

void nn_rng_fill_uniform(nn_rng *rng, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)nn_rng_range(rng, lo, hi);
}

void nn_rng_fill_normal(nn_rng *rng, float *x, size_t n, double mean, double std)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(mean + std * nn_rng_normal(rng));
}

void nn_rng_shuffle(nn_rng *rng, int *idx, size_t n)
{
    /* Fisher-Yates: swap each position with a uniformly chosen earlier-or-equal one. */
    for (size_t i = n; i > 1; i--) {
        size_t j = nn_rng_below(rng, (uint32_t)i);
        int tmp = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = tmp;
    }
}

void nn_rng_permutation(nn_rng *rng, int *idx, size_t n)
{
    for (size_t i = 0; i < n; i++)
        idx[i] = (int)i;
    nn_rng_shuffle(rng, idx, n);
}
