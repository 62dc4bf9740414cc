/* Tests of chapter 6's exercises (exercises/06-pooling/ex06-pooling.c).
 *
 * Independent truths: deck 003's worked example and values worked by hand
 * from it, counts of overlapping windows, the kit's max pool
 * (nn_maxpool_forward), and central differences of losses the test computes
 * with its own loops.  None is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex06-pooling.h"

static const double duke[16] = {1, 2, 2, 4, 2, 5, 1, 8, 3, 0, 4, 4, 6, 1, 7, 6};

/* ---- 6.1 ------------------------------------------------------------------------ */

static void ex_6_1(void)
{
    double out[4] = {0};
    int argmax[4] = {0};
    static const double want[4] = {5, 8, 6, 7};
    ex_maxpool(out, argmax, duke, 4, 4, 2, 2);
    nn_ex_close_doubles(out, want, 4, 0, 0, "deck 003: the 4x4 example gives [[5,8],[6,7]]");
    /* 5 at (1,1), 8 at (1,3), 6 at (3,0), 7 at (3,2) */
    const long arg_got[4] = {argmax[0], argmax[1], argmax[2], argmax[3]};
    static const long arg_want[4] = {5, 7, 12, 14};
    nn_ex_note("the maxima are at (1,1) (1,3) (3,0) (3,2), and W = 4");
    nn_ex_ints(arg_got, arg_want, 4, "argmax holds r W + c of each maximum");

    double neg[16], neg_out[4] = {0};
    int neg_arg[4];
    for (int q = 0; q < 16; q++)
        neg[q] = -1.0 - q;                 /* -1 .. -16: each window's max is its top-left */
    ex_maxpool(neg_out, neg_arg, neg, 4, 4, 2, 2);
    static const double want_neg[4] = {-1, -3, -9, -11};
    nn_ex_note("input -1, -2, ..., -16 in reading order");
    nn_ex_close_doubles(neg_out, want_neg, 4, 0, 0, "all-negative windows give their (negative) maximum");

    enum { H = 9, W = 11, F = 3, S = 2, H2 = 4, W2 = 5 };
    nn_rng rng = nn_rng_new(61);
    nn_ex_seed(61);
    double x[H * W], got[H2 * W2] = {0}, ref[H2 * W2];
    float xf[H * W], of[H2 * W2];
    int arg[H2 * W2], ref_arg[H2 * W2];
    for (int q = 0; q < H * W; q++) {
        x[q] = nn_rng_normal(&rng);
        xf[q] = (float)x[q];
    }
    nn_pool_dims d;
    nn_pool_dims_make(&d, 1, 1, H, W, F, S);
    nn_maxpool_forward(of, ref_arg, xf, &d);
    for (int q = 0; q < H2 * W2; q++)
        ref[q] = x[ref_arg[q]];
    ex_maxpool(got, arg, x, H, W, F, S);
    nn_ex_note("a random 9x11 plane, 3x3 windows, stride 2: output 4x5");
    nn_ex_close_doubles(got, ref, H2 * W2, 0, 0, "overlapping 3x3 windows with stride 2 match the kit's max pool");
}

/* ---- 6.2 ------------------------------------------------------------------------ */

static double avg_loss(const double *x, const double *g, int H, int W, int F, int S)
{
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    sum += x[(i * S + u) * W + j * S + v];
            loss += sum / (F * F) * g[i * W2 + j];
        }
    return loss;
}

static void ex_6_2(void)
{
    static const double g[4] = {1, 2, 3, 4};
    static const double want[16] = {0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5,
                                    0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1};
    double d[16] = {0};
    ex_avgpool_backward(d, g, 4, 4, 2, 2);
    nn_ex_note("each window's 4 inputs receive d_out / 4");
    nn_ex_close_doubles(d, want, 16, 0, 1e-12, "deck 003's example with dL/ds = [[1,2],[3,4]]");

    /* 5x5, 3x3 windows, stride 2, d_out = 1: a pixel gets (windows covering it) / 9 */
    double ones[4] = {1, 1, 1, 1}, d5[25], want5[25];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 5; c++) {
            int rows = (r <= 2) + (r >= 2), cols = (c <= 2) + (c >= 2);
            d5[r * 5 + c] = 1.0;              /* and it must add to what is there */
            want5[r * 5 + c] = 1.0 + rows * cols / 9.0;
        }
    ex_avgpool_backward(d5, ones, 5, 5, 3, 2);
    nn_ex_note("5x5 plane filled with 1 before the call, 3x3 windows, stride 2, d_out = 1: the centre "
               "is in 4 windows, the middle of an edge in 2, a corner in 1");
    nn_ex_close_doubles(d5, want5, 25, 0, 1e-12, "overlapping windows add their shares");

    enum { H = 7, W = 8, F = 3, S = 2, H2 = 3, W2 = 3 };
    nn_rng rng = nn_rng_new(62);
    nn_ex_seed(62);
    double x[H * W], gg[H2 * W2], analytic[H * W] = {0}, numeric[H * W];
    for (int q = 0; q < H * W; q++)
        x[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H2 * W2; q++)
        gg[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H * W; q++) {
        double saved = x[q];
        x[q] = saved + 1e-6;
        double up = avg_loss(x, gg, H, W, F, S);
        x[q] = saved - 1e-6;
        double down = avg_loss(x, gg, H, W, F, S);
        x[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    ex_avgpool_backward(analytic, gg, H, W, F, S);
    nn_ex_note("7x8 plane, 3x3 windows, stride 2, L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6, "gradient matches central differences");
}

/* ---- 6.3 ------------------------------------------------------------------------ */

static double l2_loss(const double *x, const double *g, int H, int W, int F, int S)
{
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    double a = x[(i * S + u) * W + j * S + v];
                    sum += a * a;
                }
            loss += sqrt(sum) * g[i * W2 + j];
        }
    return loss;
}

static void ex_6_3(void)
{
    /* (1+4+4+25), (4+16+1+64), (9+0+36+1), (16+16+49+36) */
    double out[4] = {0};
    const double want[4] = {sqrt(34.0), sqrt(85.0), sqrt(46.0), sqrt(117.0)};
    ex_l2pool(out, duke, 4, 4, 2, 2);
    nn_ex_close_doubles(out, want, 4, 1e-12, 0, "deck 003's example: sqrt(34), sqrt(85), sqrt(46), sqrt(117)");

    enum { H = 6, W = 7, F = 2, S = 2, H2 = 3, W2 = 3 };
    nn_rng rng = nn_rng_new(63);
    nn_ex_seed(63);
    double x[H * W], g[H2 * W2], o[H2 * W2], analytic[H * W] = {0}, numeric[H * W];
    for (int q = 0; q < H * W; q++)
        x[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H2 * W2; q++)
        g[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H * W; q++) {
        double saved = x[q];
        x[q] = saved + 1e-6;
        double up = l2_loss(x, g, H, W, F, S);
        x[q] = saved - 1e-6;
        double down = l2_loss(x, g, H, W, F, S);
        x[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    /* the backward pass is given the true forward output, so 6.3's two halves
     * are graded separately */
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    sum += x[(i * S + u) * W + j * S + v] * x[(i * S + u) * W + j * S + v];
            o[i * W2 + j] = sqrt(sum);
        }
    ex_l2pool_backward(analytic, g, x, o, H, W, F, S);
    nn_ex_note("6x7 plane, 2x2 windows, stride 2, L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6, "gradient matches central differences");

    /* first window all zeros, second not */
    double z[8] = {0, 0, 3, 0, 0, 0, 0, 4}, zo[2] = {0, 5}, zg[2] = {1, 10}, dz[8] = {0};
    /* 2x4 plane, 2x2 windows, stride 2: window 0 = columns 0-1, window 1 = columns 2-3 */
    ex_l2pool_backward(dz, zg, z, zo, 2, 4, 2, 2);
    static const double want_z[8] = {0, 0, 6, 0, 0, 0, 0, 8};   /* 10 * x / 5 */
    nn_ex_note("2x4 plane [[0,0,3,0],[0,0,0,4]]: window 0 is all zeros (out 0), window 1 has out 5, d_out = (1, 10)");
    nn_ex_close_doubles(dz, want_z, 8, 0, 1e-12,
                        "a window of zeros gets gradient 0, not NaN, and the others are right");
}

int main(void)
{
    nn_ex_init("06-pooling");
    nn_ex_run("6.1", "Max pooling and its argmax",
              "Start each window from its first element (not from 0: inputs can be negative) and "
              "replace it only by a strictly larger one; the index of (r, c) is r W + c.",
              ex_6_1);
    nn_ex_run("6.2", "The backward pass of average pooling",
              "Loop over the outputs and their windows as in the forward pass, and add "
              "d_out[i W2 + j] / (F F) to each input of the window.",
              ex_6_2);
    nn_ex_run("6.3", "L2 pooling forward and backward",
              "Forward: sum the squares of the window, then sqrt.  Backward: skip windows whose out "
              "is 0; otherwise add d_out * in / out to each input of the window.",
              ex_6_3);
    return nn_ex_done();
}
