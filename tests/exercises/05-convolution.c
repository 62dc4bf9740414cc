/* Tests of chapter 5's exercises (exercises/05-convolution/ex05-convolution.c).
 *
 * Independent truths: deck 002's output sizes and worked example, the
 * window positions counted one by one, a dilated example worked by hand,
 * the kit's reference convolution (nn_conv2d_forward_naive, which has no
 * dilation) run on the filter spread out with zeros, and central
 * differences of a loss the test computes with its own loop.  None is
 * copied from the solution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex05-convolution.h"

/* ---- 5.1 ------------------------------------------------------------------------ */

/* The number of window corners x = -P, -P + S, ... whose last tap,
 * x + D (F - 1), is still on the padded input (at most W - 1 + P). */
static long count_positions(int W, int F, int S, int P, int D)
{
    long count = 0;
    for (int x = -P; x + D * (F - 1) <= W - 1 + P; x += S)
        count++;
    return count;
}

static void ex_5_1(void)
{
    const long s[2] = {ex_conv_output_size(7, 3, 1, 0, 1), ex_conv_output_size(7, 3, 2, 0, 1)};
    static const long want_s[2] = {5, 3};
    nn_ex_note("W=7, F=3, P=0, D=1: index 0 is stride 1 (want 5), index 1 stride 2 (want 3)");
    nn_ex_ints(s, want_s, 2, "D = 1 is deck 002's rule: 5 with stride 1, 3 with stride 2");

    const long d[2] = {ex_conv_output_size(7, 3, 1, 0, 2), ex_conv_output_size(7, 3, 2, 0, 2)};
    static const long want_d[2] = {3, 2};
    nn_ex_note("W=7, F=3, D=2: the taps at 0, 2, 4 span 5 pixels, so corners 0, 1, 2 (want 3) with "
               "stride 1, corners 0, 2 (want 2) with stride 2");
    nn_ex_ints(d, want_d, 2, "a 3x3 filter with dilation 2 spans 5: 3 on a 7x7 input, 2 with stride 2");

    enum { CASES = 12 * 4 * 3 * 3 * 3 };
    long got[CASES], want[CASES];
    int q = 0;
    for (int W = 1; W <= 12; W++)
        for (int F = 1; F <= 4; F++)
            for (int S = 1; S <= 3; S++)
                for (int P = 0; P <= 2; P++)
                    for (int D = 1; D <= 3; D++, q++) {
                        got[q] = ex_conv_output_size(W, F, S, P, D);
                        want[q] = count_positions(W, F, S, P, D);
                    }
    nn_ex_note("every W in 1..12, F in 1..4, S in 1..3, P in 0..2, D in 1..3 (D fastest, then P, S, F, W)");
    nn_ex_ints(got, want, CASES, "agrees with counting the window positions one by one");

    const long edge[6] = {ex_conv_output_size(5, 3, 1, 0, 0), ex_conv_output_size(5, 3, 1, 0, 3),
                          ex_conv_output_size(5, 3, 0, 0, 1), ex_conv_output_size(5, 3, 1, -1, 1),
                          ex_conv_output_size(7, 3, 1, 0, 3), ex_conv_output_size(3, 3, 2, 2, 3)};
    static const long want_edge[6] = {0, 0, 0, 0, 1, 1};
    nn_ex_note("indices: 0 D=0, 1 W=5 with F=3, D=3 (extent 7), 2 S=0, 3 P=-1 (want 0 each); 4 W=7, F=3, "
               "D=3: extent 7 = W, 5 W=3, P=2, F=3, D=3: extent 7 = W + 2P (want 1 each)");
    nn_ex_ints(edge, want_edge, 6, "impossible sizes give 0, the largest possible dilated filter gives 1");
}

/* ---- 5.2 ------------------------------------------------------------------------ */

/* The kit's reference convolution (no dilation) with the F x F filter
 * spread out into an E x E one, E = D (F - 1) + 1, zeros between taps. */
static void reference_dilated(double *out, const double *x, int H, int W, const double *k, int F, int S,
                              int P, int D, double b)
{
    int E = D * (F - 1) + 1;
    float *xf = nn_floats((size_t)H * W), *kf = nn_floats((size_t)E * E), bf[1] = {(float)b};
    for (int q = 0; q < H * W; q++)
        xf[q] = (float)x[q];
    memset(kf, 0, (size_t)E * E * sizeof *kf);
    for (int u = 0; u < F; u++)
        for (int v = 0; v < F; v++)
            kf[u * D * E + v * D] = (float)k[u * F + v];
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, 1, 1, H, W, 1, E, S, P) != NN_OK)
        nn_die_last();
    float *of = nn_floats((size_t)d.H2 * d.W2);
    nn_conv2d_forward_naive(of, xf, kf, bf, &d);
    for (int q = 0; q < d.H2 * d.W2; q++)
        out[q] = of[q];
    free(xf);
    free(kf);
    free(of);
}

static void ex_5_2(void)
{
    static const double image[25] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1,
                                     0, 0, 1, 1, 0, 0, 1, 1, 0, 0};
    static const double x_filter[9] = {1, 0, 1, 0, 1, 0, 1, 0, 1};
    static const double feature[9] = {4, 3, 4, 2, 4, 3, 2, 3, 4};
    double out[9] = {0};
    ex_conv2d(out, image, 5, 5, x_filter, 3, 1, 0, 1, 0.0);
    nn_ex_note("D = 1, S = 1, P = 0");
    nn_ex_close_doubles(out, feature, 9, 0, 1e-12,
                        "D = 1: deck 002's 5x5 image and the X filter give [[4,3,4],[2,4,3],[2,3,4]]");

    /* By hand: in[r][c] = 5 r + c on 5x5, the 2x2 filter [[1,0],[0,1]] with
     * D = 2 adds in[i][j] and in[i+2][j+2]: 5i + j + 5(i+2) + j+2 = 10i + 2j + 12,
     * on a 3x3 output. */
    double ramp[25], hand[9] = {0}, want_hand[9];
    for (int q = 0; q < 25; q++)
        ramp[q] = q;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            want_hand[i * 3 + j] = 10 * i + 2 * j + 12;
    static const double diagonal[4] = {1, 0, 0, 1};
    ex_conv2d(hand, ramp, 5, 5, diagonal, 2, 1, 0, 2, 0.0);
    nn_ex_note("in[r][c] = 5r + c (5x5), filter [[1,0],[0,1]], D = 2, S = 1, P = 0: want 10i + 2j + 12");
    nn_ex_close_doubles(hand, want_hand, 9, 0, 1e-12, "by hand: [[1,0],[0,1]] with dilation 2 on a ramp");

    nn_rng rng = nn_rng_new(52);
    nn_ex_seed(52);
    enum { H = 9, W = 8, F = 3 };
    double x[H * W], k[F * F], got[9 * 8] = {0}, ref[9 * 8];
    for (int q = 0; q < H * W; q++)
        x[q] = nn_rng_normal(&rng);
    for (int q = 0; q < F * F; q++)
        k[q] = nn_rng_normal(&rng);
    ex_conv2d(got, x, H, W, k, F, 1, 2, 2, 0.25);
    reference_dilated(ref, x, H, W, k, F, 1, 2, 2, 0.25);
    nn_ex_note("a random 9x8 image, a random 3x3 filter, D=2, S=1, P=2, b=0.25: output 9x8 (same size)");
    nn_ex_close_doubles(got, ref, H * W, 1e-5, 1e-5,
                        "dilation 2 equals the kit's reference with the filter spread out with zeros");

    enum { H3 = 11, W3 = 10 };
    double x3[H3 * W3], got3[3 * 3] = {0}, ref3[3 * 3];
    for (int q = 0; q < H3 * W3; q++)
        x3[q] = nn_rng_normal(&rng);
    ex_conv2d(got3, x3, H3, W3, k, F, 3, 1, 3, -0.5);
    reference_dilated(ref3, x3, H3, W3, k, F, 3, 1, 3, -0.5);
    nn_ex_note("a random 11x10 image, the same filter, D=3 (extent 7), S=3, P=1, b=-0.5: output 3x2");
    nn_ex_close_doubles(got3, ref3, 6, 1e-5, 1e-5,
                        "dilation 3, stride 3 and padding 1 match the reference on the spread filter");
}

/* ---- 5.3 ------------------------------------------------------------------------ */

/* The test's own dilated forward pass, for the central differences. */
static double loss_of(const double *x, int H, int W, const double *k, int F, int S, int P, int D,
                      const double *g, int H2, int W2)
{
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double z = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int r = i * S + u * D - P, c = j * S + v * D - P;
                    if (r >= 0 && r < H && c >= 0 && c < W)
                        z += x[r * W + c] * k[u * F + v];
                }
            loss += z * g[i * W2 + j];
        }
    return loss;
}

static void ex_5_3(void)
{
    /* 5x5 input, 2x2 filter, D=2, S=1, P=0 (3x3 output): d_out = 1 at
     * output (1, 2) only; its taps read pixels (1,2), (1,4), (3,2), (3,4). */
    static const double k2[4] = {1, 2, 3, 4};
    double g1[9] = {0}, d1[25] = {0}, want1[25] = {0};
    g1[1 * 3 + 2] = 1;
    want1[1 * 5 + 2] = 1;
    want1[1 * 5 + 4] = 2;
    want1[3 * 5 + 2] = 3;
    want1[3 * 5 + 4] = 4;
    ex_conv2d_input_grad(d1, g1, 5, 5, k2, 2, 1, 0, 2);
    nn_ex_note("5x5 input, filter [[1,2],[3,4]], D = 2, dL/d out = 1 at output (1,2) and 0 elsewhere");
    nn_ex_close_doubles(d1, want1, 25, 0, 1e-12,
                        "a single output's gradient is the dilated filter laid on its window");

    enum { H = 9, W = 8, F = 3, S = 2, P = 1, D = 2, H2 = 4, W2 = 3 };
    nn_rng rng = nn_rng_new(53);
    nn_ex_seed(53);
    double x[H * W], k[F * F], g[H2 * W2], analytic[H * W] = {0}, numeric[H * W];
    for (int q = 0; q < H * W; q++)
        x[q] = nn_rng_normal(&rng);
    for (int q = 0; q < F * F; q++)
        k[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H2 * W2; q++)
        g[q] = nn_rng_normal(&rng);
    for (int q = 0; q < H * W; q++) {
        double saved = x[q];
        x[q] = saved + 1e-6;
        double up = loss_of(x, H, W, k, F, S, P, D, g, H2, W2);
        x[q] = saved - 1e-6;
        double down = loss_of(x, H, W, k, F, S, P, D, g, H2, W2);
        x[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    ex_conv2d_input_grad(analytic, g, H, W, k, F, S, P, D);
    nn_ex_note("9x8 input, random 3x3 filter, D=2, S=2, P=1 (output 4x3), L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6,
                    "gradient matches central differences (dilation 2, stride 2, padding 1)");

    double added[H * W], want[H * W];
    for (int q = 0; q < H * W; q++) {
        added[q] = 1.0;
        want[q] = 1.0 + numeric[q];
    }
    ex_conv2d_input_grad(added, g, H, W, k, F, S, P, D);
    nn_ex_note("the same problem, d_in filled with 1 before the call");
    nn_ex_close_doubles(added, want, H * W, 1e-6, 1e-6, "adds into d_in instead of overwriting it");
}

int main(void)
{
    nn_ex_init("05-convolution");
    nn_ex_hint(2, "Rule out the impossible cases first and return 0. Then E = D (F - 1) + 1 takes F's place in "
                  "deck 002's rule, and C's integer division rounds down for you.");
    nn_ex_run("5.1", "The output size with dilation",
              "How many pixels does a 3-tap filter with its taps D apart cover? That number plays the part "
              "F plays in deck 002's rule.",
              ex_5_1);
    nn_ex_hint(2, "Compute H2 and W2 with your 5.1; tap (u, v) of output (i, j) reads pixel "
                  "(i S + u D - P, j S + v D - P); skip (count as 0) any position outside the image.");
    nn_ex_run("5.2", "A dilated, strided, zero-padded convolution",
              "Start from the chapter's loops. The window still starts at (i S - P, j S - P): what changes "
              "is how far apart the taps inside it are.",
              ex_5_2);
    nn_ex_hint(2, "Run your 5.2 loops; where the forward pass did sum += in[..] * k[u F + v], do "
                  "d_in[..] += d_out[i W2 + j] * k[u F + v] at the same dilated position instead.");
    nn_ex_run("5.3", "The input gradient of the dilated convolution",
              "Each output was a sum of input-times-filter products: send d_out back along every one "
              "of those products, to the pixel the product read.",
              ex_5_3);
    return nn_ex_done();
}
