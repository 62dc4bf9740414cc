/* Tests of chapter 8's exercises (exercises/08-saliency/ex08-saliency.c).
 *
 * Independent truths: values worked by hand (a network whose active unit is
 * known, the closed form of Integrated Gradients on (a . x)^2, the FGSM sign
 * of logistic regression, a two-pixel deletion curve), central differences,
 * and loops written here in another order (for each pixel, the patches that
 * cover it; qsort for the deletion order).  None is copied from the
 * solution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex08-saliency.h"

static double sigmoid(double z)
{
    return 1 / (1 + exp(-z));
}

/* A random tiny net: weights N(0, 1), biases N(0, 0.3^2). */
typedef struct {
    double W1[8 * 32], b1[8], w2[8];
    ex_tiny_net net;
} random_net;

static void make_net(random_net *r, int D, int Hd, nn_rng *rng)
{
    for (int q = 0; q < Hd * D; q++)
        r->W1[q] = nn_rng_normal(rng);
    for (int h = 0; h < Hd; h++) {
        r->b1[h] = 0.3 * nn_rng_normal(rng);
        r->w2[h] = nn_rng_normal(rng);
    }
    r->net = (ex_tiny_net){D, Hd, r->W1, r->b1, r->w2, 0.1};
}

/* ---- 8.1 ------------------------------------------------------------------------ */

static void ex_8_1(void)
{
    nn_rng rng = nn_rng_new(81);
    nn_ex_seed(81);
    random_net r;
    make_net(&r, 9, 4, &rng);
    double x[25], img[25], map[25] = {0}, want[26], got[26];
    for (int q = 0; q < 9; q++)
        x[q] = nn_rng_uniform(&rng);
    /* patch 1: the drop of each pixel set to the fill on its own */
    ex_occlusion(map, &r.net, x, 3, 3, 1, 1, 0.5);
    for (int p = 0; p < 9; p++) {
        memcpy(img, x, sizeof(double) * 9);
        img[p] = 0.5;
        want[p] = ex_tiny_prob(&r.net, x) - ex_tiny_prob(&r.net, img);
    }
    nn_ex_note("3x3 image, patch 1, stride 1, fill 0.5");
    nn_ex_close_doubles(map, want, 9, 1e-12, 1e-15, "patch 1, stride 1: each pixel's drop on its own");

    /* 5x5, patch 2, stride 1: for each pixel, every patch position that
     * covers it, in the other loop order. */
    make_net(&r, 25, 6, &rng);
    for (int q = 0; q < 25; q++)
        x[q] = nn_rng_uniform(&rng);
    memset(map, 0, sizeof map);
    ex_occlusion(map, &r.net, x, 5, 5, 2, 1, 0.0);
    double base = ex_tiny_prob(&r.net, x);
    for (int p = 0; p < 25; p++) {
        int pi = p / 5, pj = p % 5, count = 0;
        double sum = 0;
        for (int i0 = pi - 1; i0 <= pi; i0++)
            for (int j0 = pj - 1; j0 <= pj; j0++) {
                if (i0 < 0 || j0 < 0 || i0 + 2 > 5 || j0 + 2 > 5)
                    continue;
                memcpy(img, x, sizeof x);
                img[i0 * 5 + j0] = img[i0 * 5 + j0 + 1] = img[(i0 + 1) * 5 + j0] = img[(i0 + 1) * 5 + j0 + 1] = 0;
                sum += base - ex_tiny_prob(&r.net, img);
                count++;
            }
        want[p] = sum / count;
    }
    nn_ex_note("5x5 image, patch 2, stride 1 (each inner pixel under 4 patches), fill 0");
    nn_ex_close_doubles(map, want, 25, 1e-12, 1e-15, "overlapping 2x2 patches on a 5x5 image match a brute-force loop");

    /* 5x5, patch 2, stride 2: corners (0,0) (0,2) (2,0) (2,2), four
     * positions; row 4 and column 4 are never covered. */
    memset(map, 0, sizeof map);
    got[0] = ex_occlusion(map, &r.net, x, 5, 5, 2, 2, 0.0);
    want[0] = 4;
    for (int p = 0; p < 25; p++) {
        int pi = p / 5, pj = p % 5;
        got[1 + p] = map[p];
        if (pi == 4 || pj == 4) {
            want[1 + p] = 0;
            continue;
        }
        int i0 = pi / 2 * 2, j0 = pj / 2 * 2;
        memcpy(img, x, sizeof x);
        img[i0 * 5 + j0] = img[i0 * 5 + j0 + 1] = img[(i0 + 1) * 5 + j0] = img[(i0 + 1) * 5 + j0 + 1] = 0;
        want[1 + p] = base - ex_tiny_prob(&r.net, img);
    }
    nn_ex_note("5x5 image, patch 2, stride 2: entry 0 is the returned count (4), then the 25 map values");
    nn_ex_close_doubles(got, want, 26, 1e-12, 1e-15, "uncovered pixels get 0 and the position count is right");
}

/* ---- 8.2 ------------------------------------------------------------------------ */

typedef struct {
    const ex_tiny_net *net;
    double *x;
} score_ctx;

static void ex_8_2(void)
{
    /* z1 = 1 - 0.5 + 1 = 1.5 > 0, z2 = -1 + 0.25 + 2 - 5 = -3.75 < 0: only
     * unit 1 passes gradient, ds/dx = w2[0] W1[0, :] = 2 (1, -2, 0.5). */
    static const double W1[6] = {1, -2, 0.5, -1, 1, 1}, b1[2] = {0, -5}, w2[2] = {2, 3};
    ex_tiny_net net = {3, 2, W1, b1, w2, 0.7};
    double x[3] = {1, 0.25, 2}, grad[3] = {0};
    static const double want[3] = {2, -4, 1};
    ex_tiny_input_gradient(grad, &net, x);
    nn_ex_note("W1 = [[1, -2, 0.5], [-1, 1, 1]], b1 = (0, -5), w2 = (2, 3), x = (1, 0.25, 2)");
    nn_ex_close_doubles(grad, want, 3, 1e-12, 1e-12, "a hand-worked network: only the active unit's row of W1 counts");

    nn_rng rng = nn_rng_new(82);
    nn_ex_seed(82);
    random_net r;
    make_net(&r, 12, 5, &rng);
    double xr[12], g[12] = {0}, numeric[12];
    for (int q = 0; q < 12; q++)
        xr[q] = nn_rng_normal(&rng);
    for (int q = 0; q < 12; q++) {
        double saved = xr[q];
        xr[q] = saved + 1e-6;
        double up = ex_tiny_score(&r.net, xr);
        xr[q] = saved - 1e-6;
        double down = ex_tiny_score(&r.net, xr);
        xr[q] = saved;
        numeric[q] = (up - down) / 2e-6;
    }
    ex_tiny_input_gradient(g, &r.net, xr);
    nn_ex_note("a random net of 12 inputs and 5 hidden units, central differences with h = 1e-6");
    nn_ex_rel_error(g, numeric, 12, 1e-6, "gradient matches central differences");
}

/* ---- 8.3 ------------------------------------------------------------------------ */

static double dot(const double *a, const double *b, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void ex_8_3(void)
{
    enum { N = 6, M = 7 };
    nn_rng rng = nn_rng_new(83);
    nn_ex_seed(83);
    double a[N], x[N], base[N], zero[N] = {0}, attr[N] = {0}, want[N];
    for (int i = 0; i < N; i++) {
        a[i] = nn_rng_normal(&rng);
        x[i] = nn_rng_uniform(&rng);
        base[i] = 0.2 * nn_rng_uniform(&rng);
    }
    /* Along x' + t (x - x') the gradient is 2 (a.x' + t a.(x - x')) a, and
     * the mean of t = k/m over k = 1..m is (m + 1) / (2m). */
    double ax = dot(a, x, N);
    for (int i = 0; i < N; i++)
        want[i] = a[i] * x[i] * ax * (M + 1) / M;
    double gap = ex_integrated_gradients(attr, a, x, zero, N, M);
    nn_ex_note("F(x) = (a . x)^2, baseline 0, m = 7 steps");
    nn_ex_close_doubles(attr, want, N, 1e-12, 1e-14,
                        "linear path, baseline 0: attributions a_i x_i (a . x) (m + 1) / m");

    double ab = dot(a, base, N), adiff = ax - ab;
    double attr2[N] = {0};
    for (int i = 0; i < N; i++)
        want[i] = (x[i] - base[i]) * 2 * a[i] * (ab + (double)(M + 1) / (2 * M) * adiff);
    ex_integrated_gradients(attr2, a, x, base, N, M);
    nn_ex_note("the same F and m, a baseline with entries in [0, 0.2)");
    nn_ex_close_doubles(attr2, want, N, 1e-12, 1e-14, "a non-zero baseline");

    /* Baseline 0: sum attr = (a.x)^2 (m + 1) / m, F(x) - F(0) = (a.x)^2. */
    nn_ex_note("baseline 0, m = 7: the sum overshoots by exactly 1/7");
    nn_ex_close(gap, 1.0 / M, 1e-10, 0, "the completeness gap is 1/m for baseline 0");
}

/* ---- 8.4 ------------------------------------------------------------------------ */

static double bce(const double *w, double b, const double *x, int y, int n)
{
    double p = sigmoid(dot(w, x, n) + b);
    return y ? -log(p) : -log(1 - p);
}

static void ex_8_4(void)
{
    enum { N = 6 };
    static const double w[N] = {0.8, -1.2, 0.3, -0.4, 2.0, -0.1};
    static const double x[N] = {0.5, 0.3, 0.95, 0.02, 0.7, 0.4};
    const double b = -0.2, eps = 0.1;
    double adv[N] = {0}, want[N];
    /* y = 1: dJ/dx = (p - 1) w, p < 1: the opposite sign of w. */
    for (int i = 0; i < N; i++)
        want[i] = fmin(1, fmax(0, x[i] - eps * (w[i] > 0 ? 1 : -1)));
    ex_fgsm_logistic(adv, w, b, x, 1, N, eps);
    nn_ex_note("w = (0.8, -1.2, 0.3, -0.4, 2, -0.1), b = -0.2, x = (0.5, 0.3, 0.95, 0.02, 0.7, 0.4), eps 0.1");
    nn_ex_close_doubles(adv, want, N, 0, 1e-15, "y = 1: the step lowers w . x where it can");

    double adv0[N] = {0}, want0[N];
    for (int i = 0; i < N; i++)
        want0[i] = fmin(1, fmax(0, x[i] + eps * (w[i] > 0 ? 1 : -1)));
    ex_fgsm_logistic(adv0, w, b, x, 0, N, eps);
    nn_ex_note("the same, y = 0: 0.95 + 0.1 is clipped to 1, 0.02 - ... to 0 where w < 0");
    nn_ex_close_doubles(adv0, want0, N, 0, 1e-15, "y = 0: the step raises w . x, clipped to [0, 1]");

    nn_ex_note("J(x_adv) for y = 1, against J of the x_adv computed here (J(x) = %.4f)", bce(w, b, x, 1, N));
    nn_ex_close(bce(w, b, adv, 1, N), bce(w, b, want, 1, N), 1e-12, 0, "the loss rises after the step");
}

/* ---- 8.5 ------------------------------------------------------------------------ */

typedef struct {
    double value;
    int index;
} ranked;

static int by_value_desc(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->value != b->value)
        return a->value < b->value ? 1 : -1;
    return a->index - b->index;
}

static void ex_8_5(void)
{
    /* Two pixels, Hd = 1: s = relu(x1 + 2 x2), P = sigmoid(s).  x = (1, 1),
     * map (0.1, 0.9): pixel 2 goes first.  P: sigmoid(3), sigmoid(1),
     * sigmoid(0) = 0.5; trapezoid on [0, 1/2, 1]. */
    static const double W1[2] = {1, 2}, b1[1] = {0}, w2[1] = {1};
    ex_tiny_net net = {2, 1, W1, b1, w2, 0};
    const double x[2] = {1, 1}, map2[2] = {0.1, 0.9};
    double want = (sigmoid(3) + sigmoid(1)) / 4 + (sigmoid(1) + 0.5) / 4;
    nn_ex_note("two pixels, x = (1, 1), map = (0.1, 0.9), steps 2");
    nn_ex_close(ex_deletion_auc(&net, x, map2, 2), want, 1e-12, 0, "two pixels, two steps, worked by hand");

    enum { D = 16, T = 8 };
    nn_rng rng = nn_rng_new(85);
    nn_ex_seed(85);
    random_net r;
    make_net(&r, D, 6, &rng);
    double xr[D], map[D], img[D], p[T + 1];
    for (int q = 0; q < D; q++) {
        xr[q] = nn_rng_uniform(&rng);
        map[q] = q % 5 == 0 ? 0.25 : nn_rng_normal(&rng);   /* a few ties */
    }
    ranked order[D];
    for (int q = 0; q < D; q++)
        order[q] = (ranked){map[q], q};
    qsort(order, D, sizeof *order, by_value_desc);
    for (int t = 0; t <= T; t++) {
        memcpy(img, xr, sizeof img);
        for (int k = 0; k < t * D / T; k++)   /* D / T = 2 pixels per step, exactly */
            img[order[k].index] = 0;
        p[t] = ex_tiny_prob(&r.net, img);
    }
    double area = 0;
    for (int t = 0; t < T; t++)
        area += 0.5 * (p[t] + p[t + 1]) / T;
    nn_ex_note("16 pixels, 8 steps (2 pixels each), map with ties at 0.25 (lower index first)");
    nn_ex_close(ex_deletion_auc(&r.net, xr, map, T), area, 1e-12, 0,
                "a random image and map match the curve computed here");
}

int main(void)
{
    nn_ex_init("08-saliency");
    nn_ex_run("8.1", "Occlusion with a given patch and stride",
              "Keep two arrays, a running sum of drops and a count, one entry per pixel; divide at the end, and "
              "leave a pixel with count 0 at 0.",
              ex_8_1);
    nn_ex_run("8.2", "The input gradient by a hand-written backward pass",
              "Recompute each hidden unit's pre-activation: only the units with z > 0 pass a gradient back, "
              "and each passes its w2 times its row of W1.",
              ex_8_2);
    nn_ex_run("8.3", "An Integrated Gradients Riemann sum and its completeness gap",
              "The path point for step k is x' + (k/m)(x - x'); the gradient formula is in the header.  Compare "
              "the sum of the attributions with F(x) - F(x') at the end.",
              ex_8_3);
    nn_ex_run("8.4", "One FGSM step",
              "Differentiate J with respect to x, not w: the factor (p - y) is the same as in chapter 1.  Then "
              "take only the sign, and clip.",
              ex_8_4);
    nn_ex_run("8.5", "The area under a deletion curve",
              "Build the order first (a stable sort), then one image per step with the first pixels of the "
              "order set to 0; the areas are trapezoids of width 1/steps.",
              ex_8_5);
    return nn_ex_done();
}
