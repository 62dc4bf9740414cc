/* Tests of chapter 7's exercises (exercises/07-cnn/ex07-cnn.c).
 *
 * Independent truths: LeNet-5's shapes and parameter count worked by hand
 * from deck 002's output-size rule and deck 004's description; central
 * differences of losses this test computes with its own loops; values of
 * the softmax worked by hand; BatchNorm2d's definition written out here;
 * confusion counts of a hand-made list.  None is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex07-cnn.h"

/* ---- 7.1 ------------------------------------------------------------------------ */

static void ex_7_1(void)
{
    /* LeNet-5 as in the chapter: conv 6 5x5 P2, avg pool 2, conv 16 5x5, avg pool 2, 120, 84, 10.
     * By hand: 6 (25 + 1) = 156; 16 (6 25 + 1) = 2416; 120 (400 + 1) = 48120;
     * 84 (120 + 1) = 10164; 10 (84 + 1) = 850; total 61706. */
    const ex_layer lenet[7] = {{EX_CONV, 6, 5, 1, 2},  {EX_POOL, 0, 2, 2, 0}, {EX_CONV, 16, 5, 1, 0},
                               {EX_POOL, 0, 2, 2, 0},  {EX_DENSE, 120, 0, 0, 0}, {EX_DENSE, 84, 0, 0, 0},
                               {EX_DENSE, 10, 0, 0, 0}};
    int c[7] = {0}, h[7] = {0}, w[7] = {0};
    long params = ex_layer_shapes(c, h, w, lenet, 7, 1, 28, 28);
    nn_ex_int(params, 61706, "LeNet-5 on 28x28: 61706 parameters");
    /* Every layer's (C, H, W), in order: the raw values go to the checker. */
    static const long want_shapes[21] = {6, 28, 28, 6, 14, 14, 16, 10, 10, 16, 5, 5, 120, 1, 1, 84, 1, 1, 10, 1, 1};
    long got_shapes[21];
    for (int l = 0; l < 7; l++)
        got_shapes[3 * l] = c[l], got_shapes[3 * l + 1] = h[l], got_shapes[3 * l + 2] = w[l];
    nn_ex_ints(got_shapes, want_shapes, 21, "LeNet-5 on 28x28: every output shape");
    /* AlexNet's first layer on 227x227x3: (227 - 11)/4 + 1 = 55; then a
     * 3x3 pool with stride 2: (55 - 3)/2 + 1 = 27; a 5x5 conv with P = 2
     * and stride 2 on a 10x8 input: (10 - 5 + 4)/2 + 1 = 5 and (8 - 5 + 4)/2 + 1 = 4 (rounded down). */
    const ex_layer alex[2] = {{EX_CONV, 96, 11, 4, 0}, {EX_POOL, 0, 3, 2, 0}};
    int c2[2] = {0}, h2[2] = {0}, w2[2] = {0};
    long p2 = ex_layer_shapes(c2, h2, w2, alex, 2, 3, 227, 227);
    const ex_layer odd[1] = {{EX_CONV, 4, 5, 2, 2}};
    int c3[1] = {0}, h3[1] = {0}, w3[1] = {0};
    long p3 = ex_layer_shapes(c3, h3, w3, odd, 1, 2, 10, 8);
    /* Parameters, then (C, H, W) of each output: 96 (3 121 + 1) = 34944 and
     * 4 (2 25 + 1) = 204. */
    const long want_strided[11] = {96L * (3 * 121 + 1), 96, 55, 55, 96, 27, 27, 4L * (2 * 25 + 1), 4, 5, 4};
    const long got_strided[11] = {p2, c2[0], h2[0], w2[0], c2[1], h2[1], w2[1], p3, c3[0], h3[0], w3[0]};
    nn_ex_ints(got_strided, want_strided, 11, "stride and padding: (W - F + 2P)/S + 1, rounded down");
    const ex_layer bad[3] = {{EX_CONV, 8, 3, 1, 0}, {EX_POOL, 0, 2, 2, 0}, {EX_POOL, 0, 8, 8, 0}};
    int c4[3], h4[3], w4[3];
    long p4 = ex_layer_shapes(c4, h4, w4, bad, 3, 1, 12, 12);   /* 10x10 -> 5x5: an 8x8 pool does not fit */
    nn_ex_int(p4, -1, "a pool larger than its input returns -1");
}

/* ---- 7.2 ------------------------------------------------------------------------ */

enum { RB = 3, RD = 4, RH = 5 };

/* L = sum of g * y, y = x + ReLU(x W1^T + b1) W2^T + b2 */
static double block_loss(const double *x, const double *W1, const double *b1, const double *W2, const double *b2,
                         const double *g)
{
    double loss = 0;
    for (int b = 0; b < RB; b++) {
        double a[RH];
        for (int h = 0; h < RH; h++) {
            double s = b1[h];
            for (int d = 0; d < RD; d++)
                s += W1[h * RD + d] * x[b * RD + d];
            a[h] = s > 0 ? s : 0;
        }
        for (int d = 0; d < RD; d++) {
            double y = x[b * RD + d] + b2[d];
            for (int h = 0; h < RH; h++)
                y += W2[d * RH + h] * a[h];
            loss += g[b * RD + d] * y;
        }
    }
    return loss;
}

/* central differences of block_loss with respect to v[0..n) */
static void numeric_grad(double *out, double *v, int n, double *x, double *W1, double *b1, double *W2, double *b2,
                         const double *g)
{
    for (int i = 0; i < n; i++) {
        double keep = v[i], eps = 1e-6;
        v[i] = keep + eps;
        double up = block_loss(x, W1, b1, W2, b2, g);
        v[i] = keep - eps;
        double down = block_loss(x, W1, b1, W2, b2, g);
        v[i] = keep;
        out[i] = (up - down) / (2 * eps);
    }
}

static void ex_7_2(void)
{
    nn_ex_seed(72);
    nn_rng rng = nn_rng_new(72);
    double x[RB * RD], W1[RH * RD], b1[RH], W2[RD * RH], b2[RD], g[RB * RD];
    double *all[6] = {x, W1, b1, W2, b2, g};
    int sizes[6] = {RB * RD, RH * RD, RH, RD * RH, RD, RB * RD};
    for (int k = 0; k < 6; k++)
        for (int i = 0; i < sizes[k]; i++)
            all[k][i] = nn_rng_normal(&rng);
    double d_x[RB * RD] = {0}, d_W1[RH * RD] = {0}, d_b1[RH] = {0}, d_W2[RD * RH] = {0}, d_b2[RD] = {0};
    ex_residual_backward(d_x, d_W1, d_b1, d_W2, d_b2, g, x, W1, b1, W2, RB, RD, RH);
    double n_x[RB * RD], n_W1[RH * RD], n_b1[RH], n_W2[RD * RH], n_b2[RD];
    numeric_grad(n_x, x, RB * RD, x, W1, b1, W2, b2, g);
    numeric_grad(n_W1, W1, RH * RD, x, W1, b1, W2, b2, g);
    numeric_grad(n_b1, b1, RH, x, W1, b1, W2, b2, g);
    numeric_grad(n_W2, W2, RD * RH, x, W1, b1, W2, b2, g);
    numeric_grad(n_b2, b2, RD, x, W1, b1, W2, b2, g);
    nn_ex_note("B = 3 rows of D = 4, Hd = 5 hidden units, L = sum g * y");
    nn_ex_close_doubles(d_x, n_x, RB * RD, 1e-5, 1e-7, "d_x: the identity path adds d_y to the branch's gradient");
    double got1[RH * RD + RH], want1[RH * RD + RH];
    memcpy(got1, d_W1, sizeof d_W1), memcpy(got1 + RH * RD, d_b1, sizeof d_b1);
    memcpy(want1, n_W1, sizeof n_W1), memcpy(want1 + RH * RD, n_b1, sizeof n_b1);
    nn_ex_close_doubles(got1, want1, RH * RD + RH, 1e-5, 1e-7, "d_W1 and d_b1 match central differences");
    double got2[RD * RH + RD], want2[RD * RH + RD];
    memcpy(got2, d_W2, sizeof d_W2), memcpy(got2 + RD * RH, d_b2, sizeof d_b2);
    memcpy(want2, n_W2, sizeof n_W2), memcpy(want2 + RD * RH, n_b2, sizeof n_b2);
    nn_ex_close_doubles(got2, want2, RD * RH + RD, 1e-5, 1e-7, "d_W2 and d_b2 match central differences");
}

/* ---- 7.3 ------------------------------------------------------------------------ */

static double xent(const double *z, const int *y, int B, int C)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int c = 0; c < C; c++)
            sum += exp(z[b * C + c]);
        loss += log(sum) - z[b * C + y[b]];
    }
    return loss / B;
}

static void ex_7_3(void)
{
    /* equal logits: p = 1/C, loss log C, gradient (1/C - [c = y]) / B */
    enum { B = 2, C = 4 };
    double z[B * C], d[B * C] = {0}, want[B * C];
    int y[B] = {1, 3};
    for (int i = 0; i < B * C; i++)
        z[i] = 0.7;
    double loss = ex_softmax_xent(d, z, y, B, C);
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++)
            want[b * C + c] = (0.25 - (c == y[b])) / B;
    double got_all[B * C + 1], want_all[B * C + 1];
    memcpy(got_all, d, sizeof d), memcpy(want_all, want, sizeof want);
    got_all[B * C] = loss, want_all[B * C] = log(4.0);
    nn_ex_close_doubles(got_all, want_all, B * C + 1, 1e-12, 1e-12,
                        "equal logits: loss log C and gradient (1/C - [c = y]) / B");

    nn_ex_seed(73);
    nn_rng rng = nn_rng_new(73);
    enum { B2 = 3, C2 = 5 };
    double z2[B2 * C2], d2[B2 * C2] = {0}, num[B2 * C2];
    int y2[B2] = {0, 4, 2};
    for (int i = 0; i < B2 * C2; i++)
        z2[i] = 2 * nn_rng_normal(&rng);
    ex_softmax_xent(d2, z2, y2, B2, C2);
    for (int i = 0; i < B2 * C2; i++) {
        double keep = z2[i];
        z2[i] = keep + 1e-6;
        double up = xent(z2, y2, B2, C2);
        z2[i] = keep - 1e-6;
        double down = xent(z2, y2, B2, C2);
        z2[i] = keep;
        num[i] = (up - down) / 2e-6;
    }
    nn_ex_rel_error(d2, num, B2 * C2, 1e-6, "gradient matches central differences");

    /* logits 1000 and 0: loss of the second class = 1000 + log(1 + e^-1000) ~ 1000 */
    double big[2] = {1000, 0}, dbig[2] = {0};
    int ybig[1] = {1};
    double lbig = ex_softmax_xent(dbig, big, ybig, 1, 2);
    double got_big[3] = {lbig, dbig[0], dbig[1]}, want_big[3] = {1000, 1, -1};
    nn_ex_close_doubles(got_big, want_big, 3, 1e-12, 1e-12, "logits of 1000 stay finite");
}

/* ---- 7.4 ------------------------------------------------------------------------ */

static void ex_7_4(void)
{
    enum { N = 2, C = 3, H = 2, W = 3, HW = H * W };
    nn_ex_seed(74);
    nn_rng rng = nn_rng_new(74);
    double in[N * C * HW], out[N * C * HW] = {0}, mean[C] = {0}, var[C] = {0};
    double gamma[C] = {1.5, -0.5, 2}, beta[C] = {0.1, 0.2, -0.3};
    for (int i = 0; i < N * C * HW; i++)
        in[i] = 3 * nn_rng_normal(&rng) + 1;
    ex_batchnorm2d(out, mean, var, in, gamma, beta, N, C, H, W, 1e-5);
    double want_stats[2 * C], got_stats[2 * C], want_out[N * C * HW];
    for (int c = 0; c < C; c++) {
        double s = 0, ss = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++)
                s += in[(n * C + c) * HW + p];
        double m = s / (N * HW);
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++)
                ss += (in[(n * C + c) * HW + p] - m) * (in[(n * C + c) * HW + p] - m);
        want_stats[c] = m, want_stats[C + c] = ss / (N * HW);
        got_stats[c] = mean[c], got_stats[C + c] = var[c];
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                int i = (n * C + c) * HW + p;
                want_out[i] = gamma[c] * (in[i] - m) / sqrt(ss / (N * HW) + 1e-5) + beta[c];
            }
    }
    nn_ex_note("in (2, 3, 2, 3): each channel's 12 values");
    nn_ex_close_doubles(got_stats, want_stats, 2 * C, 1e-12, 1e-12, "per-channel mean and biased variance");
    nn_ex_close_doubles(out, want_out, N * C * HW, 1e-10, 1e-12, "normalised output with gamma and beta");
}

/* ---- 7.5 ------------------------------------------------------------------------ */

static void ex_7_5(void)
{
    enum { K = 4, n = 10 };
    /* class 3 never occurs; 1 <-> 2 confused three times, 0 -> 1 once */
    static const int truth[n] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
    static const int pred[n] = {0, 0, 1, 1, 2, 2, 2, 2, 1, 3};
    long conf[K * K];
    double recall[K];
    for (int i = 0; i < K * K; i++)
        conf[i] = -7;
    for (int k = 0; k < K; k++)
        recall[k] = -7;
    int pair = ex_confusion(conf, recall, truth, pred, n, K);
    static const long want_conf[K * K] = {2, 1, 0, 0, 0, 1, 2, 0, 0, 1, 2, 1, 0, 0, 0, 0};
    double got_c[K * K], want_c[K * K];
    for (int i = 0; i < K * K; i++)
        got_c[i] = (double)conf[i], want_c[i] = (double)want_conf[i];
    nn_ex_close_doubles(got_c, want_c, K * K, 0, 0, "confusion counts");
    const double want_recall[K] = {2.0 / 3, 1.0 / 3, 0.5, 0};
    nn_ex_close_doubles(recall, want_recall, K, 1e-12, 1e-12, "per-class recall, 0 for an empty class");
    static const int same[3] = {0, 1, 2};
    long conf2[9];
    double rec2[3];
    int none = ex_confusion(conf2, rec2, same, same, 3, 3);
    /* Classes 1 and 2 are the most confused pair: 1 K + 2 with K = 4; a
     * perfect prediction has none: -1. */
    const long want_pairs[2] = {1 * K + 2, -1}, got_pairs[2] = {pair, none};
    nn_ex_ints(got_pairs, want_pairs, 2, "most confused pair, and -1 without mistakes");
}

int main(void)
{
    nn_ex_init("07-cnn");
    nn_ex_run("7.1", "Shapes and parameters of a layer list",
              "Keep the current (C, H, W) and update it layer by layer.  A convolution has K (C F F + 1) "
              "parameters and output (K, (H - F + 2P)/S + 1, ...); check the window fits before dividing.",
              ex_7_1);
    nn_ex_run("7.2", "The backward pass of a residual block",
              "Recompute z = x W1^T + b1 and a = ReLU(z) for each row.  d_W2 += d_y a^T, d_b2 += d_y, "
              "d_a = d_y W2; d_z = d_a where z > 0; then d_W1, d_b1, and d_x gets d_z W1 PLUS d_y.",
              ex_7_2);
    nn_ex_run("7.3", "Softmax cross-entropy for a batch",
              "Per row: m = max z, lse = m + log sum exp(z - m), loss += lse - z_y; "
              "gradient exp(z - lse) minus 1 at the label, all divided by B.",
              ex_7_3);
    nn_ex_run("7.4", "BatchNorm2d's per-channel statistics",
              "For channel c loop over every image n and every position p: index ((n C + c) H W + p). "
              "The variance divides by N H W (biased).",
              ex_7_4);
    nn_ex_run("7.5", "The confusion matrix and per-class recall",
              "confusion[truth K + pred]++; recall = diagonal / row sum; for the pair, compare "
              "confusion[a][b] + confusion[b][a] over a < b and keep a strictly larger one.",
              ex_7_5);
    return nn_ex_done();
}
