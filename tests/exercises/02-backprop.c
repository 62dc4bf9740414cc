/* Tests of chapter 2's exercises (exercises/02-backprop/ex02-backprop.c).
 *
 * Expected values come from independent truths: central differences of
 * functions this test writes itself (the activations from the library, the
 * logistic loss as one formula, a dense layer's forward pass), the numbers
 * of deck 001's worked example, and parameter counts worked by hand.  None
 * is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex02-backprop.h"

/* ---- 2.1: activation slopes ------------------------------------------------------ */

static double central_slope(nn_activation f, double z)
{
    const double eps = 1e-6;
    return (nn_act_value(f, z + eps) - nn_act_value(f, z - eps)) / (2 * eps);
}

static void ex_2_1(void)
{
    static const double points[6] = {-2.7, -0.6, -0.02, 0.03, 0.8, 3.1};
    double got[7], want[7];

    for (int i = 0; i < 6; i++) {
        got[i] = ex_activation_slope(NN_SIGMOID, points[i]);
        want[i] = central_slope(NN_SIGMOID, points[i]);
    }
    got[6] = ex_activation_slope(NN_SIGMOID, 0);
    want[6] = 0.25;
    nn_ex_note("z = -2.7 -0.6 -0.02 0.03 0.8 3.1, then z = 0 (want 1/4)");
    nn_ex_close_doubles(got, want, 7, 1e-7, 1e-9, "sigmoid' agrees with central differences and is 1/4 at 0");

    for (int i = 0; i < 6; i++) {
        got[i] = ex_activation_slope(NN_TANH, points[i]);
        want[i] = central_slope(NN_TANH, points[i]);
    }
    got[6] = ex_activation_slope(NN_TANH, 0);
    want[6] = 1;
    nn_ex_note("z = -2.7 -0.6 -0.02 0.03 0.8 3.1, then z = 0 (want 1)");
    nn_ex_close_doubles(got, want, 7, 1e-7, 1e-9, "tanh' agrees with central differences and is 1 at 0");

    static const double kinks[5] = {-3, -0.5, 0, 0.5, 3};
    static const double relu_want[5] = {0, 0, 0, 1, 1}, leaky_want[5] = {0.01, 0.01, 0.01, 1, 1};
    for (int i = 0; i < 5; i++)
        got[i] = ex_activation_slope(NN_RELU, kinks[i]);
    nn_ex_note("z = -3 -0.5 0 0.5 3 (at 0 the left derivative, as PyTorch)");
    nn_ex_close_doubles(got, relu_want, 5, 0, 1e-15, "relu' is 1 for z > 0 and 0 for z <= 0");
    for (int i = 0; i < 5; i++)
        got[i] = ex_activation_slope(NN_LEAKY_RELU, kinks[i]);
    nn_ex_note("z = -3 -0.5 0 0.5 3 (slope NN_LEAKY_SLOPE = 0.01 for z <= 0)");
    nn_ex_close_doubles(got, leaky_want, 5, 0, 1e-15, "leaky relu' is 1 for z > 0 and 0.01 for z <= 0");

    for (int i = 0; i < 6; i++) {
        got[i] = ex_activation_slope(NN_ELU, points[i]);
        want[i] = central_slope(NN_ELU, points[i]);
    }
    nn_ex_note("z = -2.7 -0.6 -0.02 0.03 0.8 3.1 (elu' = e^z below 0, 1 above)");
    nn_ex_close_doubles(got, want, 6, 1e-7, 1e-9, "elu' agrees with central differences on both sides of 0");
}

/* ---- 2.2: the logistic graph in reverse mode ----------------------------------------- */

static double logistic_loss(double X, double y, double W)
{
    double p = 1 / (1 + exp(-W * X));
    return -y * log(p) - (1 - y) * log(1 - p);
}

static void ex_2_2(void)
{
    double loss = 0;
    double g = ex_logistic_gradient(3, 1, 3, &loss);
    /* by hand: dL/dW = -y X (1 - p) = -3 e^-9 / (1 + e^-9) */
    nn_ex_note("dL/dW = -y X (1 - p) with p = 1 / (1 + e^-9): raising W raises p towards y = 1, so the "
               "loss falls and the derivative is negative");
    nn_ex_close(g, -3 * exp(-9) / (1 + exp(-9)), 1e-9, 0,
                "deck 001's example X = 3, y = 1, W = 3: dL/dW = -3.7018e-4 (negative)");
    nn_ex_note("L = -log p = log(1 + e^-9)");
    nn_ex_close(loss, log1p(exp(-9)), 1e-9, 0, "the loss at X = 3, y = 1, W = 3 is -log p");

    static const double cases[4][3] = {{-1.5, 0, 0.4}, {2, 0, -0.7}, {0.5, 1, 1.2}, {-2.5, 1, 0.3}};
    double got[4], want[4], eps = 1e-6;
    for (int k = 0; k < 4; k++) {
        double X = cases[k][0], y = cases[k][1], W = cases[k][2], l;
        got[k] = ex_logistic_gradient(X, y, W, &l);
        want[k] = (logistic_loss(X, y, W + eps) - logistic_loss(X, y, W - eps)) / (2 * eps);
    }
    nn_ex_note("(X, y, W) = (-1.5, 0, 0.4), (2, 0, -0.7), (0.5, 1, 1.2), (-2.5, 1, 0.3); for y = 0 the "
               "gradient flows through xi6 = 1 - p and xi7 = log xi6");
    nn_ex_close_doubles(got, want, 4, 1e-6, 1e-10, "dL/dW agrees with central differences for y = 0 and y = 1");
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

/* ---- 2.4: counting parameters ---------------------------------------------------------- */

static void ex_2_4(void)
{
    const int deck[4] = {2, 4, 4, 1}, fashion[3] = {784, 256, 10}, linear[2] = {64, 10};
    nn_ex_note("layer 1: 4 (2 + 1) = 12, layer 2: 4 (4 + 1) = 20, output: 1 (4 + 1) = 5");
    nn_ex_int(ex_count_parameters(3, deck), 37, "deck 001's 2-4-4-1 network has 37 parameters");
    const long got[2] = {ex_count_parameters(2, fashion), ex_count_parameters(1, linear)};
    static const long want[2] = {203530, 650};
    nn_ex_note("index 0: 784-256-10 has 256 (784 + 1) + 10 (256 + 1) = 203530; index 1: 64-10 has "
               "10 (64 + 1) = 650");
    nn_ex_ints(got, want, 2, "784-256-10 has 203530 parameters, 64-10 has 650");
}

int main(void)
{
    nn_ex_init("02-backprop");
    nn_ex_hint(2, "Compute f first where the derivative is written with it: s = 1 / (1 + exp(-z)) then s (1 - s); "
                  "t = tanh(z) then 1 - t t.  For the kinked ones test z > 0 (so z = 0 takes the left slope).");
    nn_ex_run("2.1", "Derivatives of the activations",
              "Some derivatives are easiest written with the function's own value (sigmoid, tanh). "
              "For the kinked ones, the instructions say which side z = 0 takes.",
              ex_2_1);
    nn_ex_hint(2, "Store every xi forward; then bar5 = -y, bar7 = -(1 - y), bar6 = bar7 / xi6, "
                  "bar4 = bar5 / xi4 - bar6 (two paths), bar3 = -bar4 / xi3^2, bar2 = bar3, bar1 = bar2 e^xi1, "
                  "dL/dW = -X bar1.  The answer at (3, 1, 3) is negative.");
    nn_ex_run("2.2", "The logistic-regression graph in reverse mode (deck 001)",
              "Run the graph forward keeping every intermediate value, then go backward node by node "
              "with the chain rule. One node feeds two others: its gradient is a sum.",
              ex_2_2);
    nn_ex_hint(2, "Three nested loops over n < B, o < O, i < I: with g = d_out[n*O + o], d_b[o] += g, "
                  "d_W[o*I + i] += g in[n*I + i], and (if d_in) d_in[n*I + i] += g W[o*I + i].");
    nn_ex_run("2.3", "A dense layer's backward pass",
              "Write out one output o of one example n: which inputs and weights does it touch? Every "
              "d_ buffer accumulates (+=), and d_in may be NULL.",
              ex_2_3);
    nn_ex_hint(2, "Sum over l = 1..L of n[l] * (n[l-1] + 1): the weights plus one bias per unit.");
    nn_ex_run("2.4", "Counting parameters",
              "Each unit of a dense layer has one weight per input and one bias.",
              ex_2_4);
    return nn_ex_done();
}
