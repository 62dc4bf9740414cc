/* Tests of chapter 4's exercises (exercises/04-regularization/ex04-regularization.c).
 *
 * Expected values come from independent truths: the deck's formulas worked
 * by hand, central differences of the penalty the test writes itself, the
 * law of large numbers for dropout's expectation, and hand-traced
 * validation curves for early stopping.  None is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex04-regularization.h"

/* ---- 4.1: the L1 penalty ------------------------------------------------------- */

/* alpha/2 sum |W_i|, written independently of the exercise. */
static double l1_by_definition(const double *W, size_t n, double alpha)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += fabs(W[i]);
    return alpha * sum / 2;
}

static void ex_4_1(void)
{
    /* By hand, alpha = 0.1: Omega = 1/2 (1 + 2 + 0 + 0.5) = 1.75, alpha Omega = 0.175;
     * subgradient alpha/2 sign(W) = (0.05, -0.05, 0, 0.05). */
    double W[4] = {1, -2, 0, 0.5}, dW[4] = {0, 0, 0, 0};
    double penalty = ex_l1_penalty(dW, W, 4, 0.1);
    double got[5] = {penalty, dW[0], dW[1], dW[2], dW[3]}, want[5] = {0.175, 0.05, -0.05, 0, 0.05};
    nn_ex_note("W = (1, -2, 0, 0.5), alpha = 0.1; entries: penalty, dW0..dW3");
    nn_ex_close_doubles(got, want, 5, 1e-12, 1e-15, "hand-worked penalty and subgradient of W = (1, -2, 0, 0.5)");

    /* dW holds the data gradient already: the penalty's part is added. */
    double dW2[4] = {1, 1, 1, 1}, want2[4] = {1.05, 0.95, 1, 1.05};
    ex_l1_penalty(dW2, W, 4, 0.1);
    nn_ex_note("dW starts at (1, 1, 1, 1)");
    nn_ex_close_doubles(dW2, want2, 4, 1e-12, 1e-15, "the subgradient is added to dW, not written over it");

    /* Central differences away from the kink. */
    enum { N = 12 };
    nn_ex_seed(4);
    nn_rng rng = nn_rng_new(4);
    double V[N], dV[N] = {0}, numeric[N];
    for (int i = 0; i < N; i++) {
        V[i] = nn_rng_range(&rng, -2, 2);
        if (fabs(V[i]) < 0.01)
            V[i] = 0.5;
    }
    ex_l1_penalty(dV, V, N, 0.3);
    for (int i = 0; i < N; i++) {
        double saved = V[i], h = 1e-6;
        V[i] = saved + h;
        double up = l1_by_definition(V, N, 0.3);
        V[i] = saved - h;
        double down = l1_by_definition(V, N, 0.3);
        V[i] = saved;
        numeric[i] = (up - down) / (2 * h);
    }
    nn_ex_rel_error(dV, numeric, N, 1e-6, "the subgradient matches central differences where no weight is 0");
}

/* ---- 4.2: inverted dropout ------------------------------------------------------ */

static void ex_4_2(void)
{
    /* p = 0.5: units with u < 0.5 are dropped, the others doubled. */
    double in[4] = {1, 2, 3, 4}, u[4] = {0.1, 0.7, 0.5, 0.49}, out[4] = {0}, mask[4] = {0};
    ex_inverted_dropout_forward(out, mask, in, u, 4, 0.5);
    double got[8] = {mask[0], mask[1], mask[2], mask[3], out[0], out[1], out[2], out[3]};
    double want[8] = {0, 2, 2, 0, 0, 4, 6, 0};
    nn_ex_note("in = (1, 2, 3, 4), u = (0.1, 0.7, 0.5, 0.49), p = 0.5; entries: mask0..3, out0..3");
    nn_ex_close_doubles(got, want, 8, 1e-12, 0, "hand-worked mask and output with p = 0.5");

    /* E[out_i] = in_i: average over many masks drawn by the test. */
    enum { UNITS = 4, DRAWS = 40000 };
    const double p = 0.3;
    nn_ex_seed(42);
    nn_rng rng = nn_rng_new(42);
    double mean[UNITS] = {0}, draws[UNITS], outs[UNITS], masks[UNITS];
    for (int d = 0; d < DRAWS; d++) {
        for (int i = 0; i < UNITS; i++)
            draws[i] = nn_rng_uniform(&rng);
        ex_inverted_dropout_forward(outs, masks, in, draws, UNITS, p);
        for (int i = 0; i < UNITS; i++)
            mean[i] += outs[i] / DRAWS;
    }
    /* One output has standard deviation in_i sqrt(p / (1 - p)); allow 5
     * standard errors of the mean for the largest input, 4. */
    nn_ex_note("p = 0.3, %d draws; the mean of out_i should be in_i = (1, 2, 3, 4)", DRAWS);
    nn_ex_close_doubles(mean, in, UNITS, 0, 5 * 4 * sqrt(p / (1 - p)) / sqrt(DRAWS),
                        "the average output over many masks equals the input");

    double u0[4] = {0, 0.2, 0.5, 0.999}, out0[4] = {0}, mask0[4] = {0};
    ex_inverted_dropout_forward(out0, mask0, in, u0, 4, 0.0);
    nn_ex_close_doubles(out0, in, 4, 0, 0, "p = 0 keeps every unit unchanged");

    double d_out[4] = {10, 20, 30, 40}, d_in[4] = {1, 1, 1, 1};
    double mask_given[4] = {0, 2, 2, 0}, want_d_in[4] = {1, 41, 61, 1};
    ex_dropout_backward(d_in, d_out, mask_given, 4);
    nn_ex_note("mask = (0, 2, 2, 0), d_out = (10, 20, 30, 40), d_in starts at (1, 1, 1, 1)");
    nn_ex_close_doubles(d_in, want_d_in, 4, 1e-12, 0, "backward adds mask times d_out into d_in");
}

/* ---- 4.3: early stopping -------------------------------------------------------- */

/* Runs early stopping on one loss curve and checks (best, stopped).  The
 * expected epochs are worked by hand in the comments. */
static void check_stopping(const double *losses, int n, int patience, double min_delta,
                           long want_best, long want_stopped, const char *case_name)
{
    int stopped = -1;
    int best = ex_early_stopping(losses, n, patience, min_delta, &stopped);
    const long got[2] = {best, stopped}, want[2] = {want_best, want_stopped};
    char curve[256] = "";
    for (int e = 0; e < n; e++)
        snprintf(curve + strlen(curve), sizeof curve - strlen(curve), "%s%g", e ? " " : "", losses[e]);
    nn_ex_note("losses %s, patience %d, min_delta %g: index 0 is the best epoch (want %ld), index 1 "
               "the last epoch run (want %ld)", curve, patience, min_delta, want_best, want_stopped);
    nn_ex_ints(got, want, 2, case_name);
}

static void ex_4_3(void)
{
    /* 4 beats 5 - 0.1; 3.95 and 3.92 do not beat 3.9: two epochs without a new best */
    static const double example[] = {5, 4, 3.95, 3.92, 3.5, 3, 2};
    check_stopping(example, 7, 2, 0.1, 1, 3,
                   "the example of the instructions: best epoch 1, stop after epoch 3");
    /* each loss beats the last by 1 > 0.5: never stops */
    static const double falling[] = {9, 8, 7, 6, 5, 4};
    check_stopping(falling, 6, 1, 0.5, 5, 5, "a loss that keeps falling never stops early");
    /* the drop from 3 to 2.5 (0.5 > 0.2)
     * is a new best; 2.4 and 2.35 are smaller but within 0.2 of 2.5: they are
     * not new bests, so the best stays at epoch 1 */
    static const double creep[] = {3, 2.5, 2.4, 2.35, 1};
    check_stopping(creep, 5, 2, 0.2, 1, 3, "a smaller loss within min_delta of the best is not a new best");
    /* min_delta 0: the chapter's rule; a tie is not an improvement */
    static const double tie[] = {3, 2, 2, 2, 1};
    check_stopping(tie, 5, 2, 0, 1, 3, "with min_delta 0 a tie is not an improvement");
    /* patience 1: 3.5 does not beat 3 - 0.25 */
    static const double bump[] = {4, 3, 3.5, 1};
    check_stopping(bump, 4, 1, 0.25, 1, 2, "patience 1 stops at the first epoch without a new best");
}

int main(void)
{
    nn_ex_init("04-regularization");
    nn_ex_hint(2, "Loop once over W: add fabs(W[i]) to a sum and add 0.5 * alpha * sign(W[i]) to dW[i] "
                  "(sign 0 at 0); return 0.5 * alpha * sum.");
    nn_ex_run("4.1", "The L1 penalty and its subgradient",
              "The derivative of |w| is a sign: what is it at w = 0? Mind the lecture's factor 1/2, "
              "and that dW accumulates.",
              ex_4_1);
    nn_ex_hint(2, "mask[i] = (u[i] < p) ? 0 : 1 / (1 - p); out[i] = mask[i] * in[i]. Backward: "
                  "d_in[i] += mask[i] * d_out[i] (add, do not assign).");
    nn_ex_run("4.2", "Inverted dropout, forward and backward",
              "Inverted dropout scales at training time so nothing changes at test time. Which u[i] "
              "drop a unit, and what scale keeps the mean of out equal to in?",
              ex_4_2);
    nn_ex_hint(2, "Keep best, the index of the current best epoch, and a counter of the epochs since it "
                  "changed. Epoch e is a new best only if val_loss[e] < val_loss[best] - min_delta: then "
                  "best = e and the counter restarts; otherwise the counter grows, and when it reaches "
                  "patience you stop after epoch e.");
    nn_ex_run("4.3", "Early stopping with a minimum improvement",
              "Compare each epoch with the best epoch so far, not with the epoch before it. What must be "
              "true of a loss for it to count as an improvement, once min_delta is in play?",
              ex_4_3);
    return nn_ex_done();
}
