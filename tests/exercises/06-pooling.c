/* Tests of chapter 6's exercises (exercises/06-pooling/ex06-pooling.c).
 *
 * Independent truths: deck 003's worked example and values worked by hand
 * from it (in the comments), counts of the windows covering a pixel, the
 * kit's max pool (nn_maxpool_forward) on an explicitly padded copy, and
 * central differences of losses the test computes with its own loops.  None
 * is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex06-pooling.h"

static const double duke[16] = {1, 2, 2, 4, 2, 5, 1, 8, 3, 0, 4, 4, 6, 1, 7, 6};

/* ---- 6.1 ------------------------------------------------------------------------ */

static void ex_6_1(void)
{
    double out[9] = {0};
    int argmax[9] = {0};
    static const double want[4] = {5, 8, 6, 7};
    ex_maxpool(out, argmax, duke, 4, 4, 2, 2, 0);
    nn_ex_note("P = 0");
    nn_ex_close_doubles(out, want, 4, 0, 0, "deck 003: the 4x4 example gives [[5,8],[6,7]]");
    const long arg_got[4] = {argmax[0], argmax[1], argmax[2], argmax[3]};
    static const long arg_want[4] = {5, 7, 12, 14};
    nn_ex_note("P = 0; the maxima are at (1,1) (1,3) (3,0) (3,2), and W = 4");
    nn_ex_ints(arg_got, arg_want, 4, "argmax holds r W + c of each maximum");

    /* A constant 4x4 plane, 3x3 windows, stride 1: every input of a window is
     * a maximum, and the first in reading order is its top-left corner. */
    double flat[16];
    for (int q = 0; q < 16; q++)
        flat[q] = 2.5;
    int tie_arg[4] = {-1, -1, -1, -1};
    ex_maxpool(out, tie_arg, flat, 4, 4, 3, 1, 0);
    const long tie_got[4] = {tie_arg[0], tie_arg[1], tie_arg[2], tie_arg[3]};
    static const long tie_want[4] = {0, 1, 4, 5};
    nn_ex_note("a constant 4x4 plane, 3x3 windows, stride 1, P = 0: the top-left corners are 0, 1, 4, 5");
    nn_ex_ints(tie_got, tie_want, 4, "ties go to the first maximum in reading order");

    /* in = -1, -2, ..., -16, 2x2 windows, stride 2, P = 1: output 3x3.  A
     * window's maximum is its real input nearest the top-left: worked by hand,
     * -1 -2 -4 / -5 -6 -8 / -13 -14 -16. */
    double neg[16];
    for (int q = 0; q < 16; q++)
        neg[q] = -1.0 - q;
    ex_maxpool(out, argmax, neg, 4, 4, 2, 2, 1);
    static const double want_neg[9] = {-1, -2, -4, -5, -6, -8, -13, -14, -16};
    nn_ex_note("input -1, -2, ..., -16 in reading order, 2x2 windows, stride 2, P = 1 (output 3x3)");
    nn_ex_close_doubles(out, want_neg, 9, 0, 0,
                        "padding never wins: all-negative border windows give their (negative) maximum");

    /* A constant 3x3 plane, 3x3 windows, stride 2, P = 1: output 2x2.  The
     * first real input of window (i, j) is (i, j) itself: 0, 1, 3, 4. */
    double five[9];
    for (int q = 0; q < 9; q++)
        five[q] = 5;
    int pad_arg[4] = {-1, -1, -1, -1};
    ex_maxpool(out, pad_arg, five, 3, 3, 3, 2, 1);
    const long pad_got[4] = {pad_arg[0], pad_arg[1], pad_arg[2], pad_arg[3]};
    static const long pad_want[4] = {0, 1, 3, 4};
    nn_ex_note("a constant 3x3 plane, 3x3 windows, stride 2, P = 1: the first inputs inside the plane "
               "are (0,0) (0,1) (1,0) (1,1)");
    nn_ex_ints(pad_got, pad_want, 4, "a padded window's argmax is an input inside the plane");

    /* The kit's max pool (no padding of its own) on a copy padded with
     * -infinity gives the same maxima; its argmax, in the padded plane's
     * coordinates, maps back to the input. */
    enum { H = 9, W = 11, F = 3, S = 2, P = 1, HP = H + 2 * P, WP = W + 2 * P, H2 = 5, W2 = 6 };
    nn_rng rng = nn_rng_new(61);
    nn_ex_seed(61);
    double x[H * W], got[H2 * W2] = {0}, ref[H2 * W2];
    float xf[HP * WP], of[H2 * W2];
    int arg[H2 * W2], ref_arg[H2 * W2];
    for (int q = 0; q < HP * WP; q++)
        xf[q] = -INFINITY;
    for (int r = 0; r < H; r++)
        for (int c = 0; c < W; c++) {
            x[r * W + c] = nn_rng_normal(&rng);
            xf[(r + P) * WP + c + P] = (float)x[r * W + c];
        }
    nn_pool_dims d;
    nn_pool_dims_make(&d, 1, 1, HP, WP, F, S);
    nn_maxpool_forward(of, ref_arg, xf, &d);
    for (int q = 0; q < H2 * W2; q++)
        ref[q] = x[(ref_arg[q] / WP - P) * W + ref_arg[q] % WP - P];
    ex_maxpool(got, arg, x, H, W, F, S, P);
    nn_ex_note("a random 9x11 plane, 3x3 windows, stride 2, P = 1: output 5x6");
    nn_ex_close_doubles(got, ref, H2 * W2, 0, 0,
                        "padded overlapping 3x3 windows with stride 2 match the kit's max pool of a padded copy");
}

/* ---- 6.2 ------------------------------------------------------------------------ */

/* The forward pass with uncounted padding, written out: sum over the
 * window's inputs inside the plane, divided by how many there are. */
static double avg_loss(const double *x, const double *g, int H, int W, int F, int S, int P)
{
    int H2 = (H + 2 * P - F) / S + 1, W2 = (W + 2 * P - F) / S + 1;
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            int count = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int r = i * S - P + u, c = j * S - P + v;
                    if (r >= 0 && r < H && c >= 0 && c < W) {
                        sum += x[r * W + c];
                        count++;
                    }
                }
            loss += sum / count * g[i * W2 + j];
        }
    return loss;
}

static void ex_6_2(void)
{
    static const double g[4] = {1, 2, 3, 4};
    static const double want[16] = {0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5,
                                    0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1};
    double d[16] = {0};
    ex_avgpool_backward(d, g, 4, 4, 2, 2, 0);
    nn_ex_note("P = 0: each window's 4 inputs receive d_out / 4");
    nn_ex_close_doubles(d, want, 16, 0, 1e-12, "deck 003's example with dL/ds = [[1,2],[3,4]]");

    /* 5x5, 3x3 windows, stride 2, d_out = 1: a pixel gets (windows covering it) / 9 */
    double ones[4] = {1, 1, 1, 1}, d5[25], want5[25];
    for (int r = 0; r < 5; r++)
        for (int c = 0; c < 5; c++) {
            int rows = (r <= 2) + (r >= 2), cols = (c <= 2) + (c >= 2);
            d5[r * 5 + c] = 1.0;              /* and it must add to what is there */
            want5[r * 5 + c] = 1.0 + rows * cols / 9.0;
        }
    ex_avgpool_backward(d5, ones, 5, 5, 3, 2, 0);
    nn_ex_note("5x5 plane filled with 1 before the call, 3x3 windows, stride 2, P = 0, d_out = 1: the "
               "centre is in 4 windows, the middle of an edge in 2, a corner in 1");
    nn_ex_close_doubles(d5, want5, 25, 0, 1e-12, "overlapping windows add their shares");

    /* 2x2 plane, 2x2 windows, stride 1, P = 1: 3x3 windows covering 1, 2, 1 /
     * 2, 4, 2 / 1, 2, 1 inputs, d_out = 1..9.  By hand: d_in(0,0) = 1/1 + 2/2 +
     * 4/2 + 5/4 = 5.25, d_in(0,1) = 2/2 + 3/1 + 5/4 + 6/2 = 8.25,
     * d_in(1,0) = 4/2 + 5/4 + 7/1 + 8/2 = 14.25, d_in(1,1) = 5/4 + 6/2 + 8/2 + 9/1 = 17.25. */
    static const double g9[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, want_pad[4] = {5.25, 8.25, 14.25, 17.25};
    double d2[4] = {0};
    ex_avgpool_backward(d2, g9, 2, 2, 2, 1, 1);
    nn_ex_note("2x2 plane, 2x2 windows, stride 1, P = 1 (output 3x3), d_out = 1, 2, ..., 9; dividing by "
               "F^2 = 4 everywhere would count the padding");
    nn_ex_close_doubles(d2, want_pad, 4, 0, 1e-12, "padding: each window divides by the number of inputs it covers");

    enum { H = 7, W = 8, F = 3, S = 2, P = 1, H2 = 4, W2 = 4 };
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
        double up = avg_loss(x, gg, H, W, F, S, P);
        x[q] = saved - 1e-6;
        double down = avg_loss(x, gg, H, W, F, S, P);
        x[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    ex_avgpool_backward(analytic, gg, H, W, F, S, P);
    nn_ex_note("7x8 plane, 3x3 windows, stride 2, P = 1, L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6, "gradient matches central differences");
}

/* ---- 6.3 ------------------------------------------------------------------------ */

static double lp_loss(const double *x, const double *g, int H, int W, int F, int S, double p)
{
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    sum += pow(fabs(x[(i * S + u) * W + j * S + v]), p);
            loss += pow(sum, 1 / p) * g[i * W2 + j];
        }
    return loss;
}

static void ex_6_3(void)
{
    /* (1+4+4+25), (4+16+1+64), (9+0+36+1), (16+16+49+36) */
    double out[4] = {0};
    const double want2[4] = {sqrt(34.0), sqrt(85.0), sqrt(46.0), sqrt(117.0)};
    ex_lppool(out, duke, 4, 4, 2, 2, 2);
    nn_ex_close_doubles(out, want2, 4, 1e-12, 0,
                        "p = 2 is L2 pooling: deck 003's example gives sqrt(34), sqrt(85), sqrt(46), sqrt(117)");

    /* deck 003's plane with every second input negated, p = 1: the window
     * sums of |in| are 1+2+2+5, 2+4+1+8, 3+0+6+1, 4+4+7+6 */
    double alt[16], out1[4] = {0};
    for (int q = 0; q < 16; q++)
        alt[q] = q % 2 ? -duke[q] : duke[q];
    ex_lppool(out1, alt, 4, 4, 2, 2, 1);
    static const double want1[4] = {10, 15, 10, 21};
    nn_ex_note("deck 003's plane with inputs 1, 3, 5, ... negated, p = 1");
    nn_ex_close_doubles(out1, want1, 4, 1e-12, 0, "p = 1 sums the magnitudes");

    /* -deck 003, p = 3: cube roots of 1+8+8+125, 8+64+1+512, 27+0+216+1, 64+64+343+216 */
    double negd[16], out3[4] = {0};
    for (int q = 0; q < 16; q++)
        negd[q] = -duke[q];
    ex_lppool(out3, negd, 4, 4, 2, 2, 3);
    const double want3[4] = {cbrt(142.0), cbrt(585.0), cbrt(244.0), cbrt(687.0)};
    nn_ex_note("deck 003's plane negated, p = 3: cube roots of 142, 585, 244, 687");
    nn_ex_close_doubles(out3, want3, 4, 1e-12, 0, "p = 3 on negative inputs uses |in|");

    enum { H = 6, W = 7, F = 2, S = 2, H2 = 3, W2 = 3 };
    const double p = 3;
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
        double up = lp_loss(x, g, H, W, F, S, p);
        x[q] = saved - 1e-6;
        double down = lp_loss(x, g, H, W, F, S, p);
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
                    sum += pow(fabs(x[(i * S + u) * W + j * S + v]), p);
            o[i * W2 + j] = pow(sum, 1 / p);
        }
    ex_lppool_backward(analytic, g, x, o, H, W, F, S, p);
    nn_ex_note("6x7 plane, 2x2 windows, stride 2, p = 3, L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6, "gradient matches central differences");

    /* first window all zeros, second (3, 4): out 0 and cbrt(91); d_out = (1, 10):
     * d_in = 10 sign(a) a^2 / out^2 */
    const double c91 = cbrt(91.0);
    double z[8] = {0, 0, 3, 0, 0, 0, 0, -4}, zo[2] = {0, c91}, zg[2] = {1, 10}, dz[8] = {0};
    ex_lppool_backward(dz, zg, z, zo, 2, 4, 2, 2, 3);
    const double want_z[8] = {0, 0, 90 / (c91 * c91), 0, 0, 0, 0, -160 / (c91 * c91)};
    nn_ex_note("2x4 plane [[0,0,3,0],[0,0,0,-4]], p = 3: window 0 is all zeros (out 0), window 1 has "
               "out cbrt(91), d_out = (1, 10)");
    nn_ex_close_doubles(dz, want_z, 8, 1e-12, 1e-12,
                        "a window of zeros gets gradient 0, not NaN, and the others are right");
}

int main(void)
{
    nn_ex_init("06-pooling");
    nn_ex_hint(2, "Loop over the window's F x F offsets and skip a position (r, c) = (i S - P + u, "
                  "j S - P + v) outside 0 <= r < H, 0 <= c < W. Start from no candidate (at = -1) and "
                  "take a position when there is none yet or when in[r W + c] > in[at] (strictly).");
    nn_ex_run("6.1", "Max pooling with padding, and its argmax",
              "A padded position is not a value at all, so it can be neither the maximum nor its "
              "argmax. Which comparison keeps the first of several equal maxima?",
              ex_6_1);
    nn_ex_hint(2, "For output (i, j) clip the window's rows i S - P .. i S - P + F - 1 and columns "
                  "likewise to the plane; n(i, j) is the number of rows times columns left, and each "
                  "of those inputs gets d_out[i W2 + j] / n(i, j), added.");
    nn_ex_run("6.2", "The backward pass of average pooling with padding",
              "Write the forward pass for one border window: how many inputs does it average? Each "
              "of them gets an equal share of d_out, and overlapping windows add up.",
              ex_6_2);
    nn_ex_hint(2, "Forward: sum pow(fabs(in), p) over the window, then pow(sum, 1 / p). Backward: skip "
                  "windows whose out is 0; otherwise add d_out * sign(in) * pow(fabs(in), p - 1) / "
                  "pow(out, p - 1) to each input of the window.");
    nn_ex_run("6.3", "Lp pooling forward and backward",
              "Differentiate (sum |a|^p)^(1/p) with the chain rule, then write the result with out "
              "itself. The sign of a matters for odd p.",
              ex_6_3);
    return nn_ex_done();
}
