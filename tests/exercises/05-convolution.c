/* Tests of chapter 5's exercises (exercises/05-convolution/ex05-convolution.c).
 *
 * Independent truths: deck 002's output sizes and worked example, deck 004's
 * detector formula applied by hand, the kit's reference convolution
 * (nn_conv2d_forward_naive), and central differences of a loss the test
 * computes with its own loop.  None is copied from the solution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex05-convolution.h"

/* ---- 5.1 ------------------------------------------------------------------------ */

static void ex_5_1(void)
{
    const long s[2] = {ex_conv_output_size(7, 3, 1, 0), ex_conv_output_size(7, 3, 2, 0)};
    static const long want_s[2] = {5, 3};
    nn_ex_note("W=7, F=3, P=0: index 0 is stride 1 (want 5), index 1 stride 2 (want 3)");
    nn_ex_ints(s, want_s, 2, "deck 002: a 7x7 input and a 3x3 filter give 5 with stride 1, 3 with stride 2");
    const long r[2] = {ex_conv_output_size(7, 3, 3, 0), ex_conv_output_size(28, 3, 2, 1)};
    static const long want_r[2] = {2, 14};
    nn_ex_note("index 0: W=7, F=3, S=3, P=0: (7 - 3 + 0)/3 = 1.33 -> 1, plus 1 = 2; index 1: W=28, F=3, "
               "S=2, P=1: (28 - 3 + 2)/2 = 13.5 -> 13, plus 1 = 14");
    nn_ex_ints(r, want_r, 2, "rounds down when the stride does not divide W - F + 2P");
    const long p[2] = {ex_conv_output_size(28, 3, 1, 1), ex_conv_output_size(32, 5, 1, 2)};
    static const long want_p[2] = {28, 32};
    nn_ex_note("index 0: W=28, F=3, P=1 keeps 28; index 1: W=32, F=5, P=2 keeps 32");
    nn_ex_ints(p, want_p, 2, "padding P = (F - 1)/2 keeps the size");
    const long edge[5] = {ex_conv_output_size(5, 7, 1, 0), ex_conv_output_size(5, 3, 0, 0),
                          ex_conv_output_size(5, 3, 1, -1), ex_conv_output_size(5, 5, 1, 0),
                          ex_conv_output_size(3, 7, 1, 2)};
    static const long want_edge[5] = {0, 0, 0, 1, 1};
    nn_ex_note("indices: 0 F=7 > W=5, 1 S=0, 2 P=-1 (want 0 each); 3 F = W = 5, 4 F = W + 2P = 7 "
               "(want 1 each)");
    nn_ex_ints(edge, want_edge, 5, "impossible sizes give 0, the largest possible filter gives 1");
}

/* ---- 5.2 ------------------------------------------------------------------------ */

static void ex_5_2(void)
{
    static const double image[25] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1,
                                     0, 0, 1, 1, 0, 0, 1, 1, 0, 0};
    static const double x_filter[9] = {1, 0, 1, 0, 1, 0, 1, 0, 1};
    static const double feature[9] = {4, 3, 4, 2, 4, 3, 2, 3, 4};
    double out[9] = {0};
    ex_conv2d(out, image, 5, 5, x_filter, 3, 1, 0, 0.0);
    nn_ex_close_doubles(out, feature, 9, 0, 1e-12, "deck 002: the 5x5 image and the X filter give [[4,3,4],[2,4,3],[2,3,4]]");

    nn_rng rng = nn_rng_new(52);
    nn_ex_seed(52);
    double img[6 * 7], same[6 * 7] = {0};
    for (int q = 0; q < 42; q++)
        img[q] = nn_rng_normal(&rng);
    static const double identity[9] = {0, 0, 0, 0, 1, 0, 0, 0, 0};
    ex_conv2d(same, img, 6, 7, identity, 3, 1, 1, 0.0);
    nn_ex_note("a random 6x7 image, F=3, S=1, P=1");
    nn_ex_close_doubles(same, img, 42, 0, 1e-12, "the identity filter with padding 1 reproduces the image");

    /* all 16 binary 2x2 patches [[a,b],[c,d]] side by side in a 2x32 image,
     * stride 2: output j is patch j */
    double patches[2 * 32], edge[16] = {0}, want[16];
    static const double edge_filter[4] = {-1, 1, -1, 1};
    for (int p = 0; p < 16; p++) {
        double a = (p >> 3) & 1, b = (p >> 2) & 1, c = (p >> 1) & 1, d = p & 1;
        patches[2 * p] = a;
        patches[2 * p + 1] = b;
        patches[32 + 2 * p] = c;
        patches[32 + 2 * p + 1] = d;
        want[p] = -a + b - c + d - 1;
    }
    ex_conv2d(edge, patches, 2, 32, edge_filter, 2, 2, 0, -1.0);
    nn_ex_note("deck 004: [[a,b],[c,d]] * [[-1,1],[-1,1]] - 1 = -a + b - c + d - 1; the 16 patches side by side, stride 2");
    nn_ex_close_doubles(edge, want, 16, 0, 1e-12, "deck 004: the edge detector with bias -1 on every 2x2 patch");

    /* stride 2, padding 1 on a 7x9 image against the kit's reference */
    enum { H = 7, W = 9, F = 3 };
    double x[H * W], k[F * F], got[4 * 5] = {0}, ref[4 * 5];
    for (int q = 0; q < H * W; q++)
        x[q] = nn_rng_normal(&rng);
    for (int q = 0; q < F * F; q++)
        k[q] = nn_rng_normal(&rng);
    float xf[H * W], kf[F * F], bf[1] = {0.5f}, of[4 * 5];
    for (int q = 0; q < H * W; q++)
        xf[q] = (float)x[q];
    for (int q = 0; q < F * F; q++)
        kf[q] = (float)k[q];
    nn_conv_dims d;
    nn_conv_dims_make(&d, 1, 1, H, W, 1, F, 2, 1);    /* 4 x 5 output */
    nn_conv2d_forward_naive(of, xf, kf, bf, &d);
    for (int q = 0; q < 20; q++)
        ref[q] = of[q];
    ex_conv2d(got, x, H, W, k, F, 2, 1, 0.5);
    nn_ex_note("a random 7x9 image, a random 3x3 filter, S=2, P=1, b=0.5: output 4x5");
    nn_ex_close_doubles(got, ref, 20, 1e-5, 1e-5, "stride 2 and padding 1 match the kit's reference convolution");
}

/* ---- 5.3 ------------------------------------------------------------------------ */

/* The test's own forward pass, for the central differences. */
static double loss_of(const double *x, int H, int W, const double *k, int F, int S, int P,
                      const double *g, int H2, int W2)
{
    double loss = 0;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double z = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int r = i * S + u - P, c = j * S + v - P;
                    if (r >= 0 && r < H && c >= 0 && c < W)
                        z += x[r * W + c] * k[u * F + v];
                }
            loss += z * g[i * W2 + j];
        }
    return loss;
}

static void ex_5_3(void)
{
    /* 4x4 input, 2x2 filter, S=1, P=0: d_out = 1 at output (1, 2) only */
    static const double k2[4] = {1, 2, 3, 4};
    double g1[9] = {0}, d1[16] = {0};
    g1[1 * 3 + 2] = 1;
    static const double want1[16] = {0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0};
    ex_conv2d_input_grad(d1, g1, 4, 4, k2, 2, 1, 0);
    nn_ex_note("4x4 input, filter [[1,2],[3,4]], dL/d out = 1 at output (1,2) and 0 elsewhere");
    nn_ex_close_doubles(d1, want1, 16, 0, 1e-12, "a single output's gradient is the filter laid on its window");

    enum { H = 7, W = 6, F = 3, S = 2, P = 1, H2 = 4, W2 = 3 };
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
        double up = loss_of(x, H, W, k, F, S, P, g, H2, W2);
        x[q] = saved - 1e-6;
        double down = loss_of(x, H, W, k, F, S, P, g, H2, W2);
        x[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    ex_conv2d_input_grad(analytic, g, H, W, k, F, S, P);
    nn_ex_note("7x6 input, random 3x3 filter, S=2, P=1, L = sum out * g with random g");
    nn_ex_rel_error(analytic, numeric, H * W, 1e-6, "gradient matches central differences (stride 2, padding 1)");

    double added[H * W], want[H * W];
    for (int q = 0; q < H * W; q++) {
        added[q] = 1.0;
        want[q] = 1.0 + numeric[q];
    }
    ex_conv2d_input_grad(added, g, H, W, k, F, S, P);
    nn_ex_note("the same problem, d_in filled with 1 before the call");
    nn_ex_close_doubles(added, want, H * W, 1e-6, 1e-6, "adds into d_in instead of overwriting it");
}

int main(void)
{
    nn_ex_init("05-convolution");
    nn_ex_hint(2, "Check the impossible cases first and return 0; then integer division rounds down for you.");
    nn_ex_run("5.1", "The output size (W - F + 2P)/S + 1",
              "Some (W, F, S, P) have no valid output: decide those first. Integer division in C "
              "already rounds down.",
              ex_5_1);
    nn_ex_hint(2, "Compute H2 and W2 with your 5.1; the filter's top-left corner for output (i, j) is at "
                  "(i S - P, j S - P); skip (count as 0) any position outside the image.");
    nn_ex_run("5.2", "A strided, zero-padded convolution",
              "Use your 5.1 for the output size. Where does the window of output (i, j) start once "
              "there is padding, and what do positions outside the image contribute?",
              ex_5_2);
    nn_ex_hint(2, "Copy your 5.2 loops; where the forward pass did sum += in[..] * k[u F + v], do "
                  "d_in[..] += d_out[i W2 + j] * k[u F + v] instead.");
    nn_ex_run("5.3", "The input gradient",
              "Each output was a sum of input-times-filter products: send d_out back along every one "
              "of those products.",
              ex_5_3);
    return nn_ex_done();
}
