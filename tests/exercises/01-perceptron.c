/* Tests of chapter 1's exercises (exercises/01-perceptron/ex01-perceptron.c).
 *
 * Every expected value comes from an independent truth: the truth tables of
 * the gates, the margin update applied by hand, the primal perceptron (which
 * the dual one with a linear kernel must equal), the dual margins a kernel
 * must make positive, central differences of the lecture's gradient of the
 * logistic loss, and its asymptotic form for large |z|.  None is copied from
 * the solution.  The harness (lib/nn_exercise.h) runs each exercise in
 * its own process with a time limit and knows whether it was attempted. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex01-perceptron.h"

/* ---- 1.1: truth tables --------------------------------------------------------- */

/* The unit's raw values (w0, w1, b) go to the checker, which runs this
 * predicate on them: the truth table is computed by kit code. */
typedef struct {
    const int *truth;
    const char *name;
} gate_ctx;

static int computes_gate(const double *v, size_t n, const void *context, char *why, size_t len)
{
    static const double inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const gate_ctx *g = context;
    (void)n;
    for (int i = 0; i < 4; i++) {
        double z = v[0] * inputs[i][0] + v[1] * inputs[i][1] + v[2];
        int out = z > 0;
        if (out != g->truth[i]) {
            snprintf(why, len,
                     "%s(%g, %g): expected %d, got %d\n"
                     "your unit: w = (%g, %g), b = %g, so z = w.x + b = %g and the output is [z > 0] = %d",
                     g->name, inputs[i][0], inputs[i][1], g->truth[i], out, v[0], v[1], v[2], z, out);
            return 0;
        }
    }
    return 1;
}

static void check_gate(void (*unit)(double[2], double *), const int truth[4], const char *name,
                       const char *case_name)
{
    double w[2] = {0, 0}, b = 0;
    unit(w, &b);
    const double v[3] = {w[0], w[1], b};
    const gate_ctx g = {truth, name};
    nn_ex_holds(v, 3, computes_gate, &g, case_name);
}

static void ex_1_1(void)
{
    static const int nand[4] = {1, 1, 1, 0}, nor[4] = {1, 0, 0, 0};
    check_gate(ex_nand_unit, nand, "NAND", "NAND truth table");
    check_gate(ex_nor_unit, nor, "NOR", "NOR truth table");
}

/* ---- 1.2: one step, against the lecture's formula ------------------------------- */

enum { N12 = 5 };

static double score(const double *w, double b, const double *x, size_t n)
{
    double z = b;
    for (size_t j = 0; j < n; j++)
        z += w[j] * x[j];
    return z;
}

static void draw(nn_rng *rng, double *v, size_t n)
{
    for (size_t j = 0; j < n; j++)
        v[j] = 2 * nn_rng_uniform(rng) - 1;
}

static void ex_1_2(void)
{
    nn_rng rng = nn_rng_new(7);
    double w[N12], x[N12], b, got[N12 + 1], want[N12 + 1];
    nn_ex_seed(7);

    /* A right example inside the margin: y has the sign of the score, and
     * gamma is 0.5 beyond its margin, so the chapter's rule would not move
     * but this one must. */
    draw(&rng, w, N12);
    draw(&rng, x, N12);
    b = 0.25;
    int y = score(w, b, x, N12) > 0 ? 1 : -1;
    double inside = y * score(w, b, x, N12), gamma = inside + 0.5;
    for (int j = 0; j < N12; j++)
        want[j] = w[j] + y * x[j];
    want[N12] = b + y;
    memcpy(got, w, sizeof w);
    got[N12] = b;
    int returned_inside = ex_margin_perceptron_step(got, &got[N12], x, y, N12, gamma);
    nn_ex_note("example: y = %+d, y (w.x + b) = %.4g > 0, gamma = %.4g; got[%d] is b", y, inside, gamma,
               N12);
    nn_ex_close_doubles(got, want, N12 + 1, 0, 1e-12,
                        "updates a right example closer than gamma: w <- w + y x, b <- b + y");

    /* By hand: w = (1, 2), b = 0.5, x = (1, 1), y = +1 gives the margin
     * 1 + 2 + 0.5 = 3.5, exactly gamma, so w becomes (2, 3) and b 1.5. */
    double wh[2] = {1, 2}, bh = 0.5;
    const double xh[2] = {1, 1};
    int returned_edge = ex_margin_perceptron_step(wh, &bh, xh, +1, 2, 3.5);
    const double edge_got[3] = {wh[0], wh[1], bh}, edge_want[3] = {2, 3, 1.5};
    nn_ex_note("w = (1, 2), b = 0.5, x = (1, 1), y = +1: the margin is 3.5 = gamma; index 2 is b");
    nn_ex_close_doubles(edge_got, edge_want, 3, 0, 1e-12, "a margin of exactly gamma updates");

    /* Beyond the margin: the same example with gamma below its margin. */
    double wc[N12];
    memcpy(wc, w, sizeof w);
    double bc = b;
    int returned_beyond = ex_margin_perceptron_step(wc, &bc, x, y, N12, inside / 2);
    double ret_got[N12 + 4], ret_want[N12 + 4];
    ret_got[0] = returned_inside;
    ret_got[1] = returned_edge;
    ret_got[2] = returned_beyond;
    ret_want[0] = 1;
    ret_want[1] = 1;
    ret_want[2] = 0;
    for (int j = 0; j < N12; j++) {
        ret_got[3 + j] = wc[j];
        ret_want[3 + j] = w[j];
    }
    ret_got[N12 + 3] = bc;
    ret_want[N12 + 3] = b;
    nn_ex_note("indices 0, 1: the returns of the two updates above (want 1); index 2: the return on the "
               "first example with gamma = %.4g, below its margin %.4g (want 0); then w and b, which it "
               "must leave alone", inside / 2, inside);
    nn_ex_close_doubles(ret_got, ret_want, N12 + 4, 0, 0,
                        "returns 1 when it updates and 0 beyond the margin, which it leaves alone");
}

/* ---- 1.3: the dual perceptron ---------------------------------------------------- */

/* K(x, x') = (1 + x.x')^degree, written out for the checker. */
static double kernel(const double *a, const double *b, size_t n, int degree)
{
    double k = 1 + score(a, 0, b, n), power = 1;
    for (int d = 0; d < degree; d++)
        power *= k;
    return power;
}

/* The checker's predicate on the runner's alpha: every example has a
 * positive dual margin y_i sum_k alpha_k y_k K(x_k, x_i). */
typedef struct {
    const double *X;
    const int *y;
    size_t m, n;
    int degree;
} dual_ctx;

static int dual_separates(const double *alpha, size_t count, const void *context, char *why, size_t len)
{
    const dual_ctx *t = context;
    (void)count;
    for (size_t i = 0; i < t->m; i++) {
        double z = 0;
        for (size_t k = 0; k < t->m; k++)
            z += alpha[k] * t->y[k] * kernel(t->X + k * t->n, t->X + i * t->n, t->n, t->degree);
        if (t->y[i] * z <= 0) {
            snprintf(why, len,
                     "with your alpha = (%g, %g, %g, %g), example %zu (label %+d) has the dual margin "
                     "y z = %g <= 0: it is not separated",
                     alpha[0], alpha[1], alpha[2], alpha[3], i, t->y[i], t->y[i] * z);
            return 0;
        }
    }
    return 1;
}

static void ex_1_3(void)
{
    /* A random set separated with margin at least 0.1 by a unit vector
     * through the origin.  The test runs the chapter's primal perceptron on
     * f(x) = (x, 1) in the same order and counts its mistakes per example:
     * with degree 1 the dual form must make the same ones. */
    enum { M = 60, N = 3 };
    const uint64_t seed = 11;
    nn_rng rng = nn_rng_new(seed);
    double u[N], X[M * N];
    int y[M];
    draw(&rng, u, N);
    for (int i = 0; i < M;) {
        double *x = X + i * N;
        draw(&rng, x, N);
        double z = score(u, 0, x, N);
        if (fabs(z) < 0.1)
            continue;
        y[i] = z > 0 ? 1 : -1;
        i++;
    }
    double w[N] = {0}, b = 0;
    long primal[M] = {0}, primal_total = 0;
    for (int epoch = 0; epoch < 100000; epoch++) {
        long sweep = 0;
        for (int i = 0; i < M; i++) {
            const double *x = X + i * N;
            if (y[i] * score(w, b, x, N) > 0)
                continue;
            for (int j = 0; j < N; j++)
                w[j] += y[i] * x[j];
            b += y[i];
            primal[i]++;
            sweep++;
        }
        primal_total += sweep;
        if (sweep == 0)
            break;
    }
    long alpha[M];
    for (int i = 0; i < M; i++)
        alpha[i] = 0;
    nn_ex_seed(seed);
    long returned = ex_kernel_perceptron_train(alpha, X, y, M, N, 1, 100000);
    nn_ex_note("index i: the mistakes on example i of %d random separable points in R^%d; the primal "
               "perceptron made %ld in all", M, N, primal_total);
    nn_ex_ints(alpha, primal, M, "degree 1 makes the primal perceptron's mistakes, example by example");
    nn_ex_int(returned, primal_total, "returns the total number of mistakes");

    /* XOR: no line separates it, but (1 + x.x')^2 contains the product
     * x1 x2, and x1 + x2 - 2 x1 x2 is XOR itself. */
    static const double X_xor[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    static const int y_xor[4] = {-1, +1, +1, -1};
    long alpha_xor[4] = {0, 0, 0, 0};
    ex_kernel_perceptron_train(alpha_xor, X_xor, y_xor, 4, 2, 2, 1000);
    const double alpha_got[4] = {(double)alpha_xor[0], (double)alpha_xor[1], (double)alpha_xor[2],
                                 (double)alpha_xor[3]};
    const dual_ctx xor_set = {X_xor, y_xor, 4, 2, 2};
    nn_ex_holds(alpha_got, 4, dual_separates, &xor_set, "a quadratic kernel separates XOR");

    /* With degree 1 XOR is not separable: every sweep makes a mistake. */
    const int max_epochs = 50;
    long alpha_lin[4] = {0, 0, 0, 0};
    long mistakes = ex_kernel_perceptron_train(alpha_lin, X_xor, y_xor, 4, 2, 1, max_epochs);
    nn_ex_note("XOR with degree 1 in %d sweeps: between %d (one mistake per sweep) and %d (four) mistakes",
               max_epochs, max_epochs, 4 * max_epochs);
    nn_ex_range((double)mistakes, max_epochs, 4.0 * max_epochs, "degree 1 stops after max_epochs on XOR");
}

/* ---- 1.4: the curvature of the logistic loss ----------------------------------------- */

enum { N14 = 4, P14 = N14 + 1 };

/* sigma(t), on the side where exp cannot overflow. */
static double test_sigmoid(double t)
{
    return t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t));
}

/* The lecture's gradient over theta = (w, b): dL/dz = -y sigma(-y z), times
 * (x, 1). */
static void lecture_gradient(double *g, const double *w, double b, const double *x, int y)
{
    double dz = -y * test_sigmoid(-y * score(w, b, x, N14));
    for (int j = 0; j < N14; j++)
        g[j] = dz * x[j];
    g[N14] = dz;
}

static void ex_1_4(void)
{
    const uint64_t seed = 3;
    nn_rng rng = nn_rng_new(seed);
    double H[P14 * P14], x[N14], zero[N14] = {0};
    nn_ex_seed(seed);
    draw(&rng, x, N14);

    nn_ex_close(ex_logistic_hessian(H, zero, 0, x, +1, N14), 0.25, 1e-12, 0, "d2L/dz2 at z = 0 is 1/4");

    /* Column k of H is the derivative of the gradient along theta_k:
     * central differences of the lecture's gradient, for y = -1 then +1. */
    double analytic[2 * P14 * P14] = {0}, numeric[2 * P14 * P14];
    double w[N14];
    draw(&rng, w, N14);
    double b = 0.3;
    const double eps = 1e-6;
    for (int pass = 0; pass < 2; pass++) {
        int y = pass ? +1 : -1;
        ex_logistic_hessian(analytic + pass * P14 * P14, w, b, x, y, N14);
        for (int k = 0; k < P14; k++) {
            double *param = k < N14 ? &w[k] : &b;
            double saved = *param, up[P14], down[P14];
            *param = saved + eps;
            lecture_gradient(up, w, b, x, y);
            *param = saved - eps;
            lecture_gradient(down, w, b, x, y);
            *param = saved;
            for (int j = 0; j < P14; j++)
                numeric[pass * P14 * P14 + j * P14 + k] = (up[j] - down[j]) / (2 * eps);
        }
    }
    nn_ex_note("indices 0..%d: H for y = -1, row-major over (w_1..w_%d, b); then H for y = +1; z = %.4g",
               P14 * P14 - 1, N14, score(w, b, x, N14));
    nn_ex_rel_error(analytic, numeric, 2 * P14 * P14, 1e-7,
                    "Hessian matches central differences of the lecture's gradient");

    /* For |z| >= 30, sigma(z) sigma(-z) = e^-|z| / (1 + e^-|z|)^2
     * = e^-|z| (1 - 2 e^-|z| + ...), to a relative 3 e^-2|z| < 1e-25. */
    static const double zs[5] = {30, -30, 40, 300, -800};
    double got[5], want[5], one[1] = {1}, H1[4];
    for (int i = 0; i < 5; i++) {
        got[i] = ex_logistic_hessian(H1, one, zs[i] - 1, one, i % 2 ? -1 : 1, 1);
        want[i] = exp(-fabs(zs[i])) * (1 - 2 * exp(-fabs(zs[i])));
    }
    nn_ex_note("z = 30, -30, 40, 300, -800 (w = 1, x = 1, b = z - 1)");
    nn_ex_close_doubles(got, want, 5, 1e-12, 1e-300, "curvature keeps its precision for large |z|");
}

int main(void)
{
    nn_ex_init("01-perceptron");
    nn_ex_hint(2, "A threshold unit outputs 1 when w.x + b > 0. AND is w = (1, 1), b = -1.5: "
                  "NOT flips a unit by negating its weights and bias.");
    nn_ex_run("1.1", "NAND and NOR threshold units",
              "A threshold unit outputs 1 when w.x + b > 0. Start from a unit you know (AND) and ask "
              "what flipping the signs of w and b does to every output.",
              ex_1_1);
    nn_ex_hint(2, "Compute the margin y (w.x + b). If it is greater than gamma, return 0 and touch nothing; "
                  "otherwise add y x to w and y to b and return 1. y is an int: y * x[j] is a double.");
    nn_ex_run("1.2", "The perceptron with a margin",
              "The chapter's rule moves on y (w.x + b) <= 0. Which examples does raising that threshold "
              "to gamma add, and does the update itself change?",
              ex_1_2);
    nn_ex_hint(2, "Set alpha to 0. For example i, z = sum over k of alpha[k] y[k] (1 + x_k.x_i)^degree; if "
                  "y[i] z <= 0, alpha[i]++ and count a mistake. Stop when a sweep has none or after "
                  "max_epochs sweeps.");
    nn_ex_run("1.3", "The perceptron in dual form, with a kernel",
              "Every update adds y_i f(x_i) to w, so w is a weighted sum of the examples. What do the "
              "weights count, and how do you score a point without ever forming w?",
              ex_1_3);
    nn_ex_hint(2, "sigma'(t) = sigma(t) sigma(-t), and d/dz of -y sigma(-y z) is y^2 sigma(-y z) sigma(y z). "
                  "Compute it as e / (1 + e)^2 with e = exp(-|z|); then H[j][k] = that times x~_j x~_k, "
                  "x~ = (x, 1).");
    nn_ex_run("1.4", "The curvature of the logistic loss",
              "Differentiate the chapter's dL/dz = -y sigma(-y z) once more in z. What does y^2 = 1 do, "
              "and how does z depend on w and b? For large z, which of sigma(z) and 1 - sigma(z) is still "
              "accurate?",
              ex_1_4);
    return nn_ex_done();
}
