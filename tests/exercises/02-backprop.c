/* Tests of chapter 2's exercises (exercises/02-backprop/ex02-backprop.c).
 *
 * Expected values come from independent truths: central differences of
 * functions this test writes itself (the four activations, the
 * function f(x1, x2) as one formula, a dense layer's forward pass), derivatives
 * worked by hand, and multiply-add counts worked by hand.  None
 * is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex02-backprop.h"

/* ---- 2.1: slopes of newer activations --------------------------------------------- */

/* The activations themselves, written here: f'(z) is checked against their
 * central differences. */
static double activation_value(ex_activation f, double z)
{
    switch (f) {
    case EX_SOFTPLUS: return fmax(z, 0) + log1p(exp(-fabs(z)));
    case EX_SILU: return z / (1 + exp(-z));
    case EX_GELU: return 0.5 * z * (1 + erf(z / sqrt(2.0)));
    default: return fmax(-1, fmin(1, z));
    }
}

static double central_slope(ex_activation f, double z)
{
    const double eps = 1e-6;
    return (activation_value(f, z + eps) - activation_value(f, z - eps)) / (2 * eps);
}

/* Six points of central differences, then z = 0, where each of the three
 * smooth ones has slope 1/2 (sigma(0), sigma(0) + 0, Phi(0) + 0). */
static void check_smooth(ex_activation f, const char *case_name)
{
    static const double points[6] = {-2.7, -0.6, -0.02, 0.03, 0.8, 3.1};
    double got[7], want[7];
    for (int i = 0; i < 6; i++) {
        got[i] = ex_activation_slope(f, points[i]);
        want[i] = central_slope(f, points[i]);
    }
    got[6] = ex_activation_slope(f, 0);
    want[6] = 0.5;
    nn_ex_note("z = -2.7 -0.6 -0.02 0.03 0.8 3.1, then z = 0 (want 1/2)");
    nn_ex_close_doubles(got, want, 7, 1e-7, 1e-9, case_name);
}

static void ex_2_1(void)
{
    check_smooth(EX_SOFTPLUS, "softplus' agrees with central differences and is 1/2 at 0");

    /* softplus' = sigma(z) is 1 - e^-800 = 1 and e^-800 = 0 to double
     * precision at z = 800 and -800, and e^-40 / (1 + e^-40) at z = -40. */
    static const double far[3] = {800, -800, -40};
    const double far_want[3] = {1, 0, exp(-40) / (1 + exp(-40))};
    double far_got[3];
    for (int i = 0; i < 3; i++)
        far_got[i] = ex_activation_slope(EX_SOFTPLUS, far[i]);
    nn_ex_note("z = 800, -800, -40");
    nn_ex_close_doubles(far_got, far_want, 3, 1e-12, 1e-300, "softplus' stays finite for large |z|");

    check_smooth(EX_SILU, "SiLU' agrees with central differences and is 1/2 at 0");
    check_smooth(EX_GELU, "GELU' agrees with central differences and is 1/2 at 0");

    static const double kinks[7] = {-3, -1, -0.5, 0, 0.5, 1, 3};
    static const double hard_want[7] = {0, 0, 1, 1, 1, 0, 0};
    double got[7];
    for (int i = 0; i < 7; i++)
        got[i] = ex_activation_slope(EX_HARD_TANH, kinks[i]);
    nn_ex_note("z = -3 -1 -0.5 0 0.5 1 3 (at the kinks -1 and 1 the slope 0, as PyTorch)");
    nn_ex_close_doubles(got, hard_want, 7, 0, 1e-15, "hard tanh' is 1 strictly inside (-1, 1) and 0 outside");
}

/* ---- 2.2: reverse mode with two forking inputs ---------------------------------------- */

static double two_input_f(double x1, double x2) { return log(x1) + x1 * x2 - sin(x2); }

static void ex_2_2(void)
{
    double grad[2] = {0, 0};
    double f = ex_reverse_mode(2, 5, grad);
    nn_ex_note("f(2, 5) = log 2 + 2 * 5 - sin 5 = %.6f", two_input_f(2, 5));
    nn_ex_close(f, log(2.0) + 10 - sin(5.0), 1e-12, 0, "f(2, 5) = log 2 + 10 - sin 5");
    /* by hand: df/dx1 = 1/x1 + x2, df/dx2 = x1 - cos x2 */
    const double want_hand[2] = {0.5 + 5, 2 - cos(5.0)};
    nn_ex_note("index 0: df/dx1 = 1/x1 + x2 = 5.5; index 1: df/dx2 = x1 - cos x2 = %.6f", 2 - cos(5.0));
    nn_ex_close_doubles(grad, want_hand, 2, 1e-12, 0, "the gradient at (2, 5) is (1/2 + 5, 2 - cos 5)");

    static const double points[4][2] = {{0.3, -1.2}, {1.7, 0.4}, {4, 2.5}, {0.05, 3}};
    double got[8], want[8];
    const double eps = 1e-6;
    for (int k = 0; k < 4; k++) {
        double x1 = points[k][0], x2 = points[k][1], g[2] = {0, 0};
        ex_reverse_mode(x1, x2, g);
        got[2 * k] = g[0];
        got[2 * k + 1] = g[1];
        want[2 * k] = (two_input_f(x1 + eps * x1, x2) - two_input_f(x1 - eps * x1, x2)) / (2 * eps * x1);
        want[2 * k + 1] = (two_input_f(x1, x2 + eps) - two_input_f(x1, x2 - eps)) / (2 * eps);
    }
    nn_ex_note("(x1, x2) = (0.3, -1.2), (1.7, 0.4), (4, 2.5), (0.05, 3); entries df/dx1, df/dx2 for each");
    nn_ex_close_doubles(got, want, 8, 1e-6, 1e-9, "the gradient agrees with central differences");
}

/* ---- 2.3: dense backward -------------------------------------------------------------- */

enum { B = 3, I = 4, O = 2 };

/* L = sum_n,o c[n][o] out[n][o], so dL/d(out) = c. */
static double dense_loss(const double *in, const double *W, const double *b, const double *c)
{
    double L = 0;
    for (int n = 0; n < B; n++)
        for (int o = 0; o < O; o++) {
            double out = b[o];
            for (int i = 0; i < I; i++)
                out += in[n * I + i] * W[o * I + i];
            L += c[n * O + o] * out;
        }
    return L;
}

static void ex_2_3(void)
{
    nn_rng rng = nn_rng_new(9);
    nn_ex_seed(9);
    double in[B * I], W[O * I], b[O], c[B * O];
    for (int k = 0; k < B * I; k++)
        in[k] = nn_rng_normal(&rng);
    for (int k = 0; k < O * I; k++)
        W[k] = nn_rng_normal(&rng);
    for (int k = 0; k < O; k++)
        b[k] = nn_rng_normal(&rng);
    for (int k = 0; k < B * O; k++)
        c[k] = nn_rng_normal(&rng);

    /* numeric gradients of the test's own loss */
    const double eps = 1e-6;
    double num_W[O * I], num_b[O], num_in[B * I];
    for (int k = 0; k < O * I; k++) {
        double saved = W[k];
        W[k] = saved + eps;
        double up = dense_loss(in, W, b, c);
        W[k] = saved - eps;
        num_W[k] = (up - dense_loss(in, W, b, c)) / (2 * eps);
        W[k] = saved;
    }
    for (int k = 0; k < O; k++) {
        double saved = b[k];
        b[k] = saved + eps;
        double up = dense_loss(in, W, b, c);
        b[k] = saved - eps;
        num_b[k] = (up - dense_loss(in, W, b, c)) / (2 * eps);
        b[k] = saved;
    }
    for (int k = 0; k < B * I; k++) {
        double saved = in[k];
        in[k] = saved + eps;
        double up = dense_loss(in, W, b, c);
        in[k] = saved - eps;
        num_in[k] = (up - dense_loss(in, W, b, c)) / (2 * eps);
        in[k] = saved;
    }

    double d_in[B * I] = {0}, d_W[O * I] = {0}, d_b[O] = {0};
    ex_dense_backward(d_in, d_W, d_b, c, in, W, B, I, O);
    double got[O * I + O], want[O * I + O];
    memcpy(got, d_W, sizeof d_W);
    memcpy(got + O * I, d_b, sizeof d_b);
    memcpy(want, num_W, sizeof num_W);
    memcpy(want + O * I, num_b, sizeof num_b);
    nn_ex_note("B = 3, I = 4, O = 2, L = sum c * out so d_out = c; entries 0-7 are dW (o * I + i), 8-9 db");
    nn_ex_rel_error(got, want, O * I + O, 1e-7, "dL/dW and dL/db agree with central differences");
    nn_ex_note("entries n * I + i of dL/din, B = 3, I = 4");
    nn_ex_rel_error(d_in, num_in, B * I, 1e-7, "dL/din agrees with central differences");

    /* += : start from ones, expect 1 + gradient everywhere */
    double acc_in[B * I], acc_W[O * I], acc_b[O];
    for (int k = 0; k < B * I; k++)
        acc_in[k] = 1;
    for (int k = 0; k < O * I; k++)
        acc_W[k] = 1;
    for (int k = 0; k < O; k++)
        acc_b[k] = 1;
    ex_dense_backward(acc_in, acc_W, acc_b, c, in, W, B, I, O);
    double acc_got[B * I + O * I + O], acc_want[B * I + O * I + O];
    int at = 0;
    for (int k = 0; k < B * I; k++, at++) {
        acc_got[at] = acc_in[k];
        acc_want[at] = 1 + num_in[k];
    }
    for (int k = 0; k < O * I; k++, at++) {
        acc_got[at] = acc_W[k];
        acc_want[at] = 1 + num_W[k];
    }
    for (int k = 0; k < O; k++, at++) {
        acc_got[at] = acc_b[k];
        acc_want[at] = 1 + num_b[k];
    }
    nn_ex_note("buffers holding 1 should hold 1 + gradient afterwards: entries d_in (%d), then d_W (%d), "
               "then d_b (%d)", B * I, O * I, O);
    nn_ex_close_doubles(acc_got, acc_want, B * I + O * I + O, 0, 1e-6,
                        "gradients are added (+=), not overwritten");

    double only_W[O * I] = {0}, only_b[O] = {0};
    ex_dense_backward(NULL, only_W, only_b, c, in, W, B, I, O);
    nn_ex_note("called with d_in = NULL: dW must still be computed");
    nn_ex_rel_error(only_W, num_W, O * I, 1e-7, "d_in = NULL is allowed (the first layer)");
}

/* ---- 2.4: the cost of a training step --------------------------------------------- */

static void ex_2_4(void)
{
    const int deck[4] = {2, 4, 4, 1}, fashion[3] = {784, 256, 10}, linear[2] = {64, 10};
    nn_ex_note("layer 1: 4 x 2 = 8, layer 2: 4 x 4 = 16, output: 1 x 4 = 4");
    nn_ex_int(ex_count_multiply_adds(3, deck, 1, 0), 28,
              "deck 001's 2-4-4-1 network: 28 multiply-adds per example forward");
    const long got[2] = {ex_count_multiply_adds(2, fashion, 64, 1), ex_count_multiply_adds(1, linear, 10, 1)};
    /* 784-256-10: forward 256 x 784 + 10 x 256 = 203264 per example; dW the
     * same; d_in only for layer 2 (2560). 64-10: forward and dW only. */
    static const long want[2] = {64L * (203264 + 203264 + 2560), 10L * (640 + 640)};
    nn_ex_note("index 0: 784-256-10, batch 64: 64 (203264 forward + 203264 for dW + 2560 for layer 2's "
               "d_in); index 1: 64-10, batch 10: 10 (640 + 640), no d_in at all");
    nn_ex_ints(got, want, 2, "a training step costs forward, dW and every d_in but the first layer's");
}

int main(void)
{
    nn_ex_init("02-backprop");
    nn_ex_hint(2, "softplus' is the sigmoid; for SiLU use the product rule with sigma' = sigma (1 - sigma); for "
                  "GELU the product rule with Phi' = phi = e^(-z^2/2) / sqrt(2 pi). Compute sigma(z) with exp of "
                  "a non-positive number only.");
    nn_ex_run("2.1", "Derivatives of newer activations",
              "Each smooth one is a product or a composition of functions whose derivatives you know "
              "(the sigmoid's from the chapter). Which exp can overflow, and how do you avoid it?",
              ex_2_1);
    nn_ex_hint(2, "Forward: v1..v4 and f. Backward: f-bar = 1, so v4-bar = 1 and v3-bar = -1; then v1-bar = "
                  "v2-bar = v4-bar. x1-bar = v1-bar / x1 + v2-bar x2 (two children), x2-bar = v2-bar x1 + "
                  "v3-bar cos x2.");
    nn_ex_run("2.2", "Reverse mode on a graph with two forking inputs",
              "Go from f back to the inputs, one node at a time, each adjoint the adjoint of the node "
              "above times a local derivative. How many children does each input have?",
              ex_2_2);
    nn_ex_hint(2, "Three nested loops over n < B, o < O, i < I: with g = d_out[n*O + o], d_b[o] += g, "
                  "d_W[o*I + i] += g in[n*I + i], and (if d_in) d_in[n*I + i] += g W[o*I + i].");
    nn_ex_run("2.3", "A dense layer's backward pass",
              "Write out one output o of one example n: which inputs and weights does it touch? Every "
              "d_ buffer accumulates (+=), and d_in may be NULL.",
              ex_2_3);
    nn_ex_hint(2, "Per layer, c = B n[l] n[l-1]. Forward adds c; training adds c for dW and, for l >= 2 only, "
                  "c for d_in.");
    nn_ex_run("2.4", "Counting the multiply-adds of a training step",
              "Each weight takes part in one multiply-add per example in the forward pass. How many "
              "times is each weight used in the backward pass, and which layer needs one fewer?",
              ex_2_4);
    return nn_ex_done();
}
