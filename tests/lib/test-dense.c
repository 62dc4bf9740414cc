/* test-dense.c: the dense layer out = in W^T + b against a hand-worked
 * example, its backward against central differences for W, b and the input,
 * the += convention, NULL gradients, and sizes that cross the GEMM blocks
 * against a plain double loop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

/* L = sum_{n,o} g[n][o] out[n][o]: its gradient wrt out is g, so the
 * backward pass with d_out = g must give dL/dW, dL/db, dL/din. */
typedef struct {
    float *in, *W, *b, *out;   /* in (B, I), W (O, I), b (O), out (B, O) */
    const float *g;            /* (B, O) */
    int B, I, O;
} dense_ctx;

static double dense_loss(void *p)
{
    dense_ctx *c = p;
    nn_dense_forward(c->out, c->in, c->W, c->b, c->B, c->I, c->O);
    return nn_dot(c->g, c->out, (size_t)c->B * c->O);
}

static void fill(nn_rng *rng, float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(2 * nn_rng_uniform(rng) - 1);
}

/* The layer by definition, in double: out[n][o] = b[o] + sum_i in[n][i] W[o][i]. */
static void dense_by_definition(double *out, const float *in, const float *W, const float *b, int B, int I, int O)
{
    for (int n = 0; n < B; n++)
        for (int o = 0; o < O; o++) {
            double s = b[o];
            for (int i = 0; i < I; i++)
                s += (double)in[n * I + i] * W[o * I + i];
            out[n * O + o] = s;
        }
}

int main(void)
{
    nn_tap_timeout(10);

    /* ---- Hand-worked, B = 2 examples, I = 3 inputs, O = 2 outputs ----------
     *   W = [1 2 3; 4 5 6], b = (0.5, -1), in = [1 0 -1; 2 1 0]
     *   out[0] = (1 - 3 + 0.5, 4 - 6 - 1)  = (-1.5, -3)
     *   out[1] = (2 + 2 + 0.5, 8 + 5 - 1)  = ( 4.5, 12)
     * With d_out = [1 0; 0 2]:
     *   dW   = d_out^T in = [1 0 -1; 4 2 0]
     *   db   = column sums of d_out = (1, 2)
     *   d_in = d_out W    = [1 2 3; 8 10 12] */
    {
        const float W[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -1}, in[6] = {1, 0, -1, 2, 1, 0};
        float out[4] = {NAN, NAN, NAN, NAN};
        nn_dense_forward(out, in, W, b, 2, 3, 2);
        const float want_out[4] = {-1.5f, -3, 4.5f, 12};
        nn_is_close_floats(out, want_out, 4, 0, 0, "forward: hand-worked 2x3 example (out held NaN before)");
        nn_dense_forward(out, in, W, NULL, 2, 3, 2);
        const float want_nob[4] = {-2, -2, 4, 13};
        nn_is_close_floats(out, want_nob, 4, 0, 0, "forward with b NULL has no bias");

        const float d_out[4] = {1, 0, 0, 2};
        float dW[6] = {0}, db[2] = {0}, d_in[6] = {0};
        nn_dense_backward(d_in, dW, db, d_out, in, W, 2, 3, 2);
        const float want_dW[6] = {1, 0, -1, 4, 2, 0}, want_db[2] = {1, 2}, want_din[6] = {1, 2, 3, 8, 10, 12};
        nn_is_close_floats(dW, want_dW, 6, 0, 0, "backward: dW = d_out^T in by hand");
        nn_is_close_floats(db, want_db, 2, 0, 0, "backward: db = column sums of d_out");
        nn_is_close_floats(d_in, want_din, 6, 0, 0, "backward: d_in = d_out W by hand");

        /* += : a second call adds the same again. */
        nn_dense_backward(d_in, dW, db, d_out, in, W, 2, 3, 2);
        float twice_dW[6], twice_db[2], twice_din[6];
        for (int i = 0; i < 6; i++) {
            twice_dW[i] = 2 * want_dW[i];
            twice_din[i] = 2 * want_din[i];
        }
        twice_db[0] = 2 * want_db[0];
        twice_db[1] = 2 * want_db[1];
        nn_is_close_floats(dW, twice_dW, 6, 0, 0, "backward twice doubles dW (gradients accumulate)");
        nn_is_close_floats(db, twice_db, 2, 0, 0, "backward twice doubles db");
        nn_is_close_floats(d_in, twice_din, 6, 0, 0, "backward twice doubles d_in");

        /* NULL means "not needed": the others are unaffected. */
        float dW2[6] = {0}, db2[2] = {0}, d_in2[6] = {0};
        nn_dense_backward(NULL, dW2, db2, d_out, in, W, 2, 3, 2);
        nn_ok(memcmp(dW2, want_dW, sizeof dW2) == 0 && memcmp(db2, want_db, sizeof db2) == 0,
              "d_in NULL (first layer): dW and db as before");
        nn_dense_backward(d_in2, NULL, NULL, d_out, in, W, 2, 3, 2);
        nn_ok(memcmp(d_in2, want_din, sizeof d_in2) == 0, "dW and db NULL (frozen layer): d_in as before");
    }

    /* ---- Gradient checks, B = 4, I = 5, O = 3 ------------------------------ */
    {
        enum { NB = 4, NI = 5, NO = 3 };
        nn_rng rng = nn_rng_new(2024);
        float in[NB * NI], W[NO * NI], b[NO], out[NB * NO], g[NB * NO];
        fill(&rng, in, NB * NI);
        fill(&rng, W, NO * NI);
        fill(&rng, b, NO);
        fill(&rng, g, NB * NO);
        float dW[NO * NI] = {0}, db[NO] = {0}, d_in[NB * NI] = {0};
        nn_dense_forward(out, in, W, b, NB, NI, NO);
        nn_dense_backward(d_in, dW, db, g, in, W, NB, NI, NO);
        dense_ctx c = {in, W, b, out, g, NB, NI, NO};
        /* L is linear in each of W, b, in separately: central differences
         * are exact but for float rounding of out: ~1e-7 |L| / (2 eps) with eps 1e-2. */
        nn_gradcheck_floats("dense dL/dW", dense_loss, &c, W, dW, NO * NI, 1e-2, 1e-4);
        nn_gradcheck_floats("dense dL/db", dense_loss, &c, b, db, NO, 1e-2, 1e-4);
        nn_gradcheck_floats("dense dL/din", dense_loss, &c, in, d_in, NB * NI, 1e-2, 1e-4);
    }

    /* ---- Sizes that cross the GEMM's blocks, against the definition ------ */
    {
        enum { NB = 70, NI = 300, NO = 260 };
        nn_rng rng = nn_rng_new(7);
        float *in = nn_floats(NB * NI), *W = nn_floats(NO * NI), *b = nn_floats(NO);
        float *out = nn_floats(NB * NO), *d_out = nn_floats(NB * NO);
        float *dW = nn_floats(NO * NI), *db = nn_floats(NO), *d_in = nn_floats(NB * NI);
        double *want = nn_doubles(NB * NO);
        float *want_f = nn_floats(NB * NO);
        fill(&rng, in, NB * NI);
        fill(&rng, W, NO * NI);
        fill(&rng, b, NO);
        fill(&rng, d_out, NB * NO);
        nn_dense_forward(out, in, W, b, NB, NI, NO);
        dense_by_definition(want, in, W, b, NB, NI, NO);
        for (int i = 0; i < NB * NO; i++)
            want_f[i] = (float)want[i];
        /* 300 float products of |x| <= 1: error <= 300 x 2^-24 x 300 / 2 ~ 3e-3
         * in the worst case, ~1e-5 typically.  atol 1e-4. */
        nn_is_close_floats(out, want_f, NB * NO, 1e-5, 1e-4, "forward (70x300 -> 260) equals the definition");

        nn_dense_backward(d_in, dW, db, d_out, in, W, NB, NI, NO);
        double *want_dW = nn_doubles(NO * NI), *want_din = nn_doubles(NB * NI), *want_db = nn_doubles(NO);
        for (int n = 0; n < NB; n++)
            for (int o = 0; o < NO; o++) {
                double g = d_out[n * NO + o];
                want_db[o] += g;
                for (int i = 0; i < NI; i++) {
                    want_dW[o * NI + i] += g * in[n * NI + i];
                    want_din[n * NI + i] += g * W[o * NI + i];
                }
            }
        double *got = nn_doubles(NO * NI);
        for (int i = 0; i < NO * NI; i++)
            got[i] = dW[i];
        nn_is_close_doubles(got, want_dW, NO * NI, 1e-5, 1e-4, "dW (260x300) equals the definition");
        for (int i = 0; i < NB * NI; i++)
            got[i] = d_in[i];
        nn_is_close_doubles(got, want_din, NB * NI, 1e-5, 1e-4, "d_in (70x300) equals the definition");
        for (int i = 0; i < NO; i++)
            got[i] = db[i];
        nn_is_close_doubles(got, want_db, NO, 1e-5, 1e-5, "db (260) equals the definition");
        free(in), free(W), free(b), free(out), free(d_out), free(dW), free(db), free(d_in);
        free(want), free(want_f), free(want_dW), free(want_din), free(want_db), free(got);
    }

    return nn_tap_done();
}
