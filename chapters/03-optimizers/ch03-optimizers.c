/* Chapter 3: Optimizers
 * =====================
 *
 * Chapter 2 computed the gradient of the loss with respect to every weight.
 * This chapter is about what to do with it: how big a step to take, in which
 * direction, using what memory of earlier steps, from which starting point,
 * and on inputs of which scale.  The decks call the answer "the family of
 * optimizers" and end with the question "which optimizer is the best?"; the
 * sections below answer it with measurements:
 *
 *   section 1  gradient descent: full batch, stochastic, mini-batch
 *   section 2  the learning-rate test (1, 0.1, 0.01 with decay 1e-6), and divergence
 *   section 3  the optimizers in the decks' notation: momentum, Nesterov,
 *              AdaGrad, RMSProp, Adadelta, Adam; learning-rate decay
 *   section 4  trajectories on a ravine, Rosenbrock's valley and a saddle
 *   section 5  every optimizer on a real data set (the digits), same net, same seed
 *   section 6  initialization: zero, N(0, 1/m), N(0, 2/m), normalized uniform
 *   section 7  exploding and vanishing gradients: the diagonal-matrix example;
 *              a cliff, and gradient clipping
 *   section 8  feature normalization and batch normalization
 *
 * Notation.  The decks write the same update in several ways; each section
 * uses its deck's letters and says how they map onto torch.optim's, which
 * the library (lib/nn_optim.h) follows:
 *
 *   deck 000:  Delta w = -alpha dE/dw,   v = beta v - alpha g,   w = w + v
 *   deck 001:  W* = W - lambda g,         nu = alpha nu + (1 - alpha) g,  W* = W - lambda nu
 *              AdaGrad/RMSProp/Adam with epsilon the learning rate and delta the small constant
 *   torch:     p = p - lr g,              b = mu b + g,  p = p - lr b
 *
 * Build and run:   make ch03-optimizers && ./ch03-optimizers
 * Options:         --full for longer runs, --only SECTION, --lr RATE (the learning-rate test)
 * Figures:         make figures, or ./ch03-optimizers --out DIR, then in DIR
 *                  gnuplot plots/03-optimizers/NAME.gp for each script
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define CHAPTER "03-optimizers"

/* Losses are drawn on a log scale: clamp them away from zero first. */
#define LOG_FLOOR 1e-12

static double log_clamp(double x) { return x > LOG_FLOOR ? x : LOG_FLOOR; }

/* ======================================================================
 * Section 1. Gradient descent: full batch, stochastic, mini-batch
 * ======================================================================
 *
 * Deck 000 writes gradient descent for a linear model w^T X with the mean
 * squared error over m examples:
 *
 *     E(w)        = (1/m) sum_i (w^T X_i - y_i)^2
 *     Delta w_k   = -alpha dE/dw_k = -alpha (2/m) sum_i (w^T X_i - y_i) X_ik
 *     w_{i+1}     = w_i + Delta w
 *
 * "Gradient descent" proper takes the sum over all m training examples for
 * every step.  Stochastic gradient descent (SGD) estimates the gradient from
 * one example, so it takes m cheap, noisy steps per pass over the data (an
 * epoch); mini-batch gradient descent uses a batch of a few dozen, the
 * compromise every library defaults to (Keras and the decks' practical test:
 * 32).  The estimate from a batch is unbiased, its noise shrinks like
 * 1/sqrt(batch), and the noise is not all bad: it is what lets SGD leave
 * the flat regions and shallow minima a full-batch method would stay in.
 *
 * The data: the diabetes set (442 patients, 10 measurements, the disease
 * progression a year later), features and target standardized (section 8
 * shows why).  A constant feature X_i0 = 1 carries the bias w_0. */
typedef struct {
    int m, d;           /* examples; weights including the bias w_0 */
    double *X;          /* (m, d), X[i][0] = 1 */
    double *y;          /* (m) */
} regression_data;

static void regression_from_dataset(regression_data *r, const nn_dataset *ds, int standardize_target)
{
    r->m = ds->n;
    r->d = ds->d + 1;
    r->X = nn_doubles((size_t)r->m * r->d);
    r->y = nn_doubles((size_t)r->m);
    double mean = 0, var = 0;
    for (int i = 0; i < r->m; i++)
        mean += ds->t[i];
    mean /= r->m;
    for (int i = 0; i < r->m; i++)
        var += (ds->t[i] - mean) * (ds->t[i] - mean);
    double sd = standardize_target ? sqrt(var / r->m) : 1;
    for (int i = 0; i < r->m; i++) {
        r->X[(size_t)i * r->d] = 1;
        for (int k = 1; k < r->d; k++)
            r->X[(size_t)i * r->d + k] = ds->x[(size_t)i * ds->d + k - 1];
        r->y[i] = standardize_target ? (ds->t[i] - mean) / sd : ds->t[i];
    }
}

static void regression_free(regression_data *r)
{
    free(r->X);
    free(r->y);
}

/* E(w) over all m examples. */
static double regression_loss(const regression_data *r, const double *w)
{
    double E = 0;
    for (int i = 0; i < r->m; i++) {
        double residual = -r->y[i];
        for (int k = 0; k < r->d; k++)
            residual += w[k] * r->X[(size_t)i * r->d + k];
        E += residual * residual;
    }
    return E / r->m;
}

/* g = dE/dw over the batch idx[0..B): (2/B) sum_i (w^T X_i - y_i) X_i. */
static void regression_gradient(const regression_data *r, const int *idx, int B, const double *w, double *g)
{
    for (int k = 0; k < r->d; k++)
        g[k] = 0;
    for (int j = 0; j < B; j++) {
        const double *x = &r->X[(size_t)idx[j] * r->d];
        double residual = -r->y[idx[j]];
        for (int k = 0; k < r->d; k++)
            residual += w[k] * x[k];
        for (int k = 0; k < r->d; k++)
            g[k] += 2 * residual * x[k] / B;
    }
}

/* Mini-batch gradient descent, Delta w = -alpha g, for `epochs` passes;
 * batch = m is gradient descent, batch = 1 is SGD.  E after each epoch goes
 * to loss[epoch] (loss[0]: before training).  Each epoch visits the
 * examples in a new random order. */
static void gradient_descent(const regression_data *r, int batch, double alpha, int epochs, nn_rng *rng,
                             double *w, double *loss)
{
    int *order = nn_malloc(sizeof(int) * (size_t)r->m);
    double *g = nn_doubles((size_t)r->d);
    nn_rng_permutation(rng, order, (size_t)r->m);
    loss[0] = regression_loss(r, w);
    for (int epoch = 1; epoch <= epochs; epoch++) {
        nn_rng_shuffle(rng, order, (size_t)r->m);
        for (int start = 0; start < r->m; start += batch) {
            int B = r->m - start < batch ? r->m - start : batch;
            regression_gradient(r, order + start, B, w, g);
            for (int k = 0; k < r->d; k++)
                w[k] += -alpha * g[k];
        }
        loss[epoch] = regression_loss(r, w);
    }
    free(order);
    free(g);
}

/* The exact minimum E(w*) for comparison: w* solves the normal equations
 * X^T X w = X^T y (Gaussian elimination with partial pivoting; d is 11). */
static double regression_minimum(const regression_data *r)
{
    int d = r->d;
    double *A = nn_doubles((size_t)d * (d + 1)), *w = nn_doubles((size_t)d);
    for (int i = 0; i < r->m; i++)
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < d; k++)
                A[j * (d + 1) + k] += r->X[(size_t)i * d + j] * r->X[(size_t)i * d + k];
            A[j * (d + 1) + d] += r->X[(size_t)i * d + j] * r->y[i];
        }
    for (int c = 0; c < d; c++) {
        int pivot = c;
        for (int j = c + 1; j < d; j++)
            if (fabs(A[j * (d + 1) + c]) > fabs(A[pivot * (d + 1) + c]))
                pivot = j;
        for (int k = 0; k <= d; k++) {
            double tmp = A[c * (d + 1) + k];
            A[c * (d + 1) + k] = A[pivot * (d + 1) + k];
            A[pivot * (d + 1) + k] = tmp;
        }
        for (int j = c + 1; j < d; j++) {
            double factor = A[j * (d + 1) + c] / A[c * (d + 1) + c];
            for (int k = c; k <= d; k++)
                A[j * (d + 1) + k] -= factor * A[c * (d + 1) + k];
        }
    }
    for (int c = d - 1; c >= 0; c--) {
        double sum = A[c * (d + 1) + d];
        for (int k = c + 1; k < d; k++)
            sum -= A[c * (d + 1) + k] * w[k];
        w[c] = sum / A[c * (d + 1) + c];
    }
    double E = regression_loss(r, w);
    free(A);
    free(w);
    return E;
}

static void section_gradient_descent(const regression_data *r, int epochs, uint64_t seed)
{
    /* Same number of epochs, so the same number of examples seen; the
     * learning rate shrinks with the batch because a single example's
     * gradient is noisier (and its step happens 442 times per epoch). */
    static const struct { const char *name; int batch; double alpha; } runs[] = {
        {"gradient descent (batch m = 442)", 442, 0.1},
        {"mini-batch (32)", 32, 0.05},
        {"stochastic (1)", 1, 0.005},
    };
    enum { RUNS = 3 };
    double *loss[RUNS];
    nn_say("\n1. Gradient descent on the diabetes regression, E(w) = (1/m) sum (w^T X_i - y_i)^2\n");
    nn_say("   %-34s %6s %8s %10s %12s\n", "method", "alpha", "updates", "E(epoch 1)", "E(final)");
    for (int k = 0; k < RUNS; k++) {
        nn_rng rng = nn_rng_new(seed);
        double w[16] = {0};
        loss[k] = nn_doubles((size_t)epochs + 1);
        gradient_descent(r, runs[k].batch, runs[k].alpha, epochs, &rng, w, loss[k]);
        long updates = (long)epochs * ((r->m + runs[k].batch - 1) / runs[k].batch);
        nn_say("   %-34s %6g %8ld %10.4f %12.6f\n", runs[k].name, runs[k].alpha, updates, loss[k][1],
               loss[k][epochs]);
    }
    double E_min = regression_minimum(r);
    nn_say("   exact minimum E(w*) = %.6f (normal equations)\n", E_min);
    nn_say("   After one epoch the stochastic and mini-batch versions are far ahead: they have\n"
           "   taken 442 and 14 steps for gradient descent's one.  Later gradient descent closes in\n"
           "   on w* while the noisy versions hover above it at the level their noise allows.\n");
    nn_claim(loss[1][1] < loss[0][1] && loss[2][1] < loss[0][1], "noisy-ahead-after-one-epoch",
             "after one epoch mini-batch (%.4f) and stochastic (%.4f) are below gradient descent (%.4f)", loss[1][1],
             loss[2][1], loss[0][1]);
    nn_claim(loss[0][epochs] < loss[1][epochs] && loss[0][epochs] < loss[2][epochs], "gd-closes-in",
             "after %d epochs gradient descent (%.6f) is below mini-batch (%.6f) and stochastic (%.6f)", epochs,
             loss[0][epochs], loss[1][epochs], loss[2][epochs]);

    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "batch-sizes") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "epoch excess_gd excess_minibatch excess_sgd");
    for (int e = 0; e <= epochs; e++)
        fprintf(f, "%d %.8g %.8g %.8g\n", e, log_clamp(loss[0][e] - E_min), log_clamp(loss[1][e] - E_min),
                log_clamp(loss[2][e] - E_min));
    nn_fig_cmd(&fig, "set title 'Gradient descent, mini-batch and stochastic (diabetes, linear model)'");
    nn_fig_cmd(&fig, "set xlabel 'epoch (passes over the 442 examples)'");
    nn_fig_cmd(&fig, "set ylabel 'E(w) - E(w*)'");
    nn_fig_cmd(&fig, "set logscale y");
    nn_fig_cmd(&fig, "names = 'gradient-descent mini-batch-32 stochastic'");
    nn_fig_cmd(&fig, "plot for [k=2:4] '%s' using 1:k with lines ls k-1 title word(names, k-1)",
               nn_fig_path(&fig, NULL));
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
    for (int k = 0; k < RUNS; k++)
        free(loss[k]);
}

/* ======================================================================
 * Section 2. The learning-rate test, and divergence
 * ======================================================================
 *
 * Deck 000's practical test trains the same model with
 *     lr = 1, 0.1, 0.01,   momentum 0,   decay 1e-6
 * ("decay" is Keras's: lr_t = lr / (1 + decay t) after t updates; with
 * 1e-6 it changes the rate by less than 0.1% over this run, so the test is
 * really about lr).  Too small a rate converges slowly; too large a rate
 * makes each step overshoot the minimum by more than it started from, and
 * the loss grows geometrically until it overflows.  Printing that loss would
 * print "nan"; the library instead stops at the step where a parameter or
 * the loss stopped being finite or exploded, and says so.
 *
 * For E(w) = (1/m) ||X w - y||^2 the reason is exact: along the eigenvector
 * of the Hessian H = (2/m) X^T X with the largest eigenvalue lambda_max, one
 * step multiplies the error by (1 - lr lambda_max); that has magnitude above
 * 1, so the error grows, exactly when lr > 2 / lambda_max.
 *
 * The run computes those eigenvalues (Jacobi's method below) and checks the
 * claim against them: the rate that diverges lies above 2 / lambda_max, the
 * two that converge below it.  (The bound is exact for full-batch gradient
 * descent; a mini-batch's Hessian differs from H, so near 2 / lambda_max
 * mini-batch SGD may go either way.  The decks' rates are far from it.)
 * The ratio lambda_max / lambda_min is the condition number: the factor by
 * which the slowest direction is slower than the fastest at the largest
 * stable rate, the ravine of section 4 measured on real data.
 *
 * Decay that matters.  With a constant rate, mini-batch SGD does not settle
 * at the minimum: every step follows a noisy gradient, and near w* the
 * noise alone moves w by about lr times its size, so the loss wobbles above
 * E(w*) at a level set by lr.  Shrinking the rate as training goes on,
 * lr_t = lr / (1 + decay t), shrinks the wobble with it.  The run repeats
 * lr = 0.1 with decay 0.01 (the rate is 0.1 / 8 after the last of 700
 * steps) and measures, over the last 5 epochs, the mean excess E - E(w*)
 * and its spread (standard deviation over the steps): the claim is that
 * the decayed run is lower on both.
 *
 * This run uses the library's SGD (lib/optim.c): it is the didactic loop of
 * section 1 in float, plus decay and the divergence check. */

/* The eigenvalues of the Hessian H = (2/m) X^T X of E(w), by Jacobi's method:
 * rotate pairs of coordinates until H is diagonal (d is 11: a few sweeps of
 * 55 rotations).  eig receives the d eigenvalues in no particular order. */
static void hessian_eigenvalues(const regression_data *r, double *eig)
{
    int d = r->d;
    double *H = nn_doubles((size_t)d * d);
    for (int i = 0; i < r->m; i++)
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                H[j * d + k] += 2.0 / r->m * r->X[(size_t)i * d + j] * r->X[(size_t)i * d + k];
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int j = 0; j < d; j++)
            for (int k = 0; k < d; k++)
                if (j != k)
                    off += H[j * d + k] * H[j * d + k];
                else
                    diag += H[j * d + k] * H[j * d + k];
        if (off <= 1e-30 * diag)
            break;
        for (int p = 0; p < d; p++)
            for (int q = p + 1; q < d; q++) {
                double hpq = H[p * d + q];
                if (fabs(hpq) < 1e-300)
                    continue;
                /* the rotation by angle theta with tan(2 theta) = 2 H_pq / (H_qq - H_pp) zeroes H_pq */
                double tau = (H[q * d + q] - H[p * d + p]) / (2 * hpq);
                double t = (tau >= 0 ? 1 : -1) / (fabs(tau) + sqrt(1 + tau * tau));
                double c = 1 / sqrt(1 + t * t), sn = t * c;
                for (int k = 0; k < d; k++) {   /* H <- H G, columns p and q */
                    double hkp = H[k * d + p], hkq = H[k * d + q];
                    H[k * d + p] = c * hkp - sn * hkq;
                    H[k * d + q] = sn * hkp + c * hkq;
                }
                for (int k = 0; k < d; k++) {   /* H <- G^T H, rows p and q */
                    double hpk = H[p * d + k], hqk = H[q * d + k];
                    H[p * d + k] = c * hpk - sn * hqk;
                    H[q * d + k] = sn * hpk + c * hqk;
                }
            }
    }
    for (int j = 0; j < d; j++)
        eig[j] = H[j * d + j];
    free(H);
}

typedef struct {
    double lambda_max, lambda_min, stable_below, condition;
} hessian_summary;

static hessian_summary summarize_hessian(const regression_data *r)
{
    double eig[64];
    NN_ASSERT(r->d <= 64);
    hessian_eigenvalues(r, eig);
    hessian_summary h = {eig[0], eig[0], 0, 0};
    for (int j = 1; j < r->d; j++) {
        h.lambda_max = fmax(h.lambda_max, eig[j]);
        h.lambda_min = fmin(h.lambda_min, eig[j]);
    }
    h.stable_below = 2 / h.lambda_max;
    h.condition = h.lambda_max / h.lambda_min;
    return h;
}
typedef struct {
    double final_loss;
    long diverged_step;          /* 0: did not diverge */
    char message[256];
} lr_result;

/* The loss after every epoch goes to loss_per_epoch (epochs + 1 entries),
 * and, when loss_per_step is not NULL, after every update (1 + updates
 * entries); entries after a divergence are NaN. */
static int updates_per_epoch(const regression_data *r, int batch) { return (r->m + batch - 1) / batch; }

static lr_result learning_rate_run(const regression_data *r, double lr, double decay, int epochs, uint64_t seed,
                                   double *loss_per_epoch, double *loss_per_step)
{
    lr_result result = {0, 0, ""};
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, lr);
    cfg.decay = decay;
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, (size_t)r->d) != NN_OK)
        nn_die_last();
    float *w = nn_floats((size_t)r->d), *g = nn_floats((size_t)r->d);
    double *wd = nn_doubles((size_t)r->d), *gd = nn_doubles((size_t)r->d);
    int *order = nn_malloc(sizeof(int) * (size_t)r->m);
    enum { BATCH = 32 };
    nn_rng rng = nn_rng_new(seed);
    nn_rng_permutation(&rng, order, (size_t)r->m);
    double E0 = regression_loss(r, wd);
    for (int e = 0; e <= epochs; e++)
        loss_per_epoch[e] = NAN;
    if (loss_per_step)
        for (long t = 0; t <= (long)epochs * updates_per_epoch(r, BATCH); t++)
            loss_per_step[t] = NAN;
    loss_per_epoch[0] = E0;
    if (loss_per_step)
        loss_per_step[0] = E0;
    for (int epoch = 1; epoch <= epochs && !result.diverged_step; epoch++) {
        nn_rng_shuffle(&rng, order, (size_t)r->m);
        for (int start = 0; start < r->m; start += BATCH) {
            int B = r->m - start < BATCH ? r->m - start : BATCH;
            for (int k = 0; k < r->d; k++)
                wd[k] = w[k];
            regression_gradient(r, order + start, B, wd, gd);
            for (int k = 0; k < r->d; k++)
                g[k] = (float)gd[k];
            int status = nn_optim_step(&opt, w, g);
            if (status == NN_OK) {
                for (int k = 0; k < r->d; k++)
                    wd[k] = w[k];
                double E = regression_loss(r, wd);
                status = nn_optim_check_loss(&opt, E, E0, 1e6);
                if (loss_per_step)
                    loss_per_step[opt.t] = E;
            }
            if (status != NN_OK) {
                result.diverged_step = opt.t;
                snprintf(result.message, sizeof result.message, "%s", nn_last_error());
                break;
            }
        }
        for (int k = 0; k < r->d; k++)
            wd[k] = w[k];
        if (!result.diverged_step)
            result.final_loss = loss_per_epoch[epoch] = regression_loss(r, wd);
    }
    nn_optim_free(&opt);
    free(w);
    free(g);
    free(wd);
    free(gd);
    free(order);
    return result;
}

/* Mean and standard deviation of x[from..to-1] - offset, skipping NaN. */
static void excess_stats(const double *x, long from, long to, double offset, double *mean, double *sd)
{
    double sum = 0, sum2 = 0;
    long n = 0;
    for (long t = from; t < to; t++)
        if (isfinite(x[t])) {
            sum += x[t] - offset;
            sum2 += (x[t] - offset) * (x[t] - offset);
            n++;
        }
    *mean = n ? sum / n : NAN;
    *sd = n ? sqrt(fmax(0, sum2 / n - *mean * *mean)) : NAN;
}

/* Returns the number of rates that diverged.  With the decks' three rates
 * (claims on), it also runs the decay comparison and checks the section's
 * claims. */
static int section_learning_rate_test(const regression_data *r, const double *rates, int n_rates, int epochs,
                                      uint64_t seed, int fatal)
{
    const double decay = 1e-6, real_decay = 0.01;
    int diverged = 0, claims = n_rates == 3;
    double *loss[8], *per_step[8], first[8], final[8];
    long diverged_at[8];
    int per_epoch = updates_per_epoch(r, 32);
    long steps = (long)epochs * per_epoch;
    nn_say("\n2. The learning-rate test: SGD, mini-batch 32, momentum 0, decay %g, %d epochs\n", decay, epochs);
    hessian_summary h = summarize_hessian(r);
    double E_min = regression_minimum(r);
    nn_say("   Hessian H = (2/m) X^T X: lambda_max %.4g, lambda_min %.4g, condition number %.3g;\n"
           "   gradient descent is stable for lr < 2 / lambda_max = %.4g\n", h.lambda_max, h.lambda_min, h.condition,
           h.stable_below);
    for (int k = 0; k < n_rates; k++) {
        loss[k] = nn_doubles((size_t)epochs + 1);
        per_step[k] = nn_doubles((size_t)steps + 1);
        lr_result res = learning_rate_run(r, rates[k], decay, epochs, seed, loss[k], per_step[k]);
        diverged_at[k] = res.diverged_step;
        first[k] = loss[k][1];
        final[k] = res.final_loss;
        if (res.diverged_step) {
            diverged++;
            if (fatal)
                nn_die(1, "the learning-rate test %s", res.message);
            nn_say("   lr = %-5g %s\n", rates[k], res.message);
        } else {
            nn_say("   lr = %-5g E after epoch 1: %.4f, after %d: %.4f\n", rates[k], loss[k][1], epochs,
                   res.final_loss);
        }
    }
    double *decayed = NULL;
    if (claims) {
        /* rates are the decks' 1, 0.1, 0.01 */
        nn_say("   A rate past 2 / lambda_max diverges within a few steps.  0.1 is near the minimum after\n"
               "   one epoch but its noisy steps keep it a little above; 0.01 starts slower and ends lower.\n");
        nn_claim(diverged_at[0] > 0 && diverged_at[0] <= 10 && rates[0] > h.stable_below && !diverged_at[1] &&
                 !diverged_at[2] && rates[1] < h.stable_below, "lr-test-divergence",
                 "lr = %g, above 2 / lambda_max = %.3g, diverges at step %ld; %g and %g, below it, converge",
                 rates[0], h.stable_below, diverged_at[0], rates[1], rates[2]);
        nn_claim(first[1] < first[2] && final[2] < final[1], "lr-test-fast-vs-low",
                 "lr = 0.1 is lower after epoch 1 (%.4f vs %.4f), lr = 0.01 is lower after %d epochs (%.4f vs %.4f)",
                 first[1], first[2], epochs, final[2], final[1]);

        double *decayed_epochs = nn_doubles((size_t)epochs + 1);
        decayed = nn_doubles((size_t)steps + 1);
        learning_rate_run(r, rates[1], real_decay, epochs, seed, decayed_epochs, decayed);
        long window = 5L * per_epoch;
        double mean_const, sd_const, mean_decay, sd_decay;
        excess_stats(per_step[1], steps - window + 1, steps + 1, E_min, &mean_const, &sd_const);
        excess_stats(decayed, steps - window + 1, steps + 1, E_min, &mean_decay, &sd_decay);
        nn_say("   Decay that matters: lr = 0.1 / (1 + %g t), over the last 5 epochs (E - E(w*), E(w*) = %.6f):\n"
               "   constant lr 0.1:  mean %.2e, std %.2e\n"
               "   decayed:          mean %.2e, std %.2e\n", real_decay, E_min, mean_const, sd_const, mean_decay,
               sd_decay);
        nn_claim(mean_decay < mean_const && sd_decay < sd_const, "decay-calms-wobble",
                 "decay lowers the end-of-training excess loss from %.2e to %.2e and its wobble from %.2e to %.2e",
                 mean_const, mean_decay, sd_const, sd_decay);
        free(decayed_epochs);
    }

    /* The figure, two panels.  Left: the first steps of every rate, on a log
     * scale wide enough for the diverging one.  Right: the runs that converge,
     * as the excess E - E(w*) over all epochs, where the gap between them is
     * visible (on the left's scale they are one line). */
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "learning-rate-test", 1100, 480) != NN_OK)
        nn_die_last();
    char columns[256] = "step epoch", names[256] = "";
    for (int k = 0; k < n_rates; k++) {
        snprintf(columns + strlen(columns), sizeof columns - strlen(columns), " E_lr=%g", rates[k]);
        snprintf(names + strlen(names), sizeof names - strlen(names), "%slr=%g", k ? " " : "", rates[k]);
    }
    if (decayed)
        snprintf(columns + strlen(columns), sizeof columns - strlen(columns), " E_lr=%g_decay=%g", rates[1],
                 real_decay);
    FILE *f = nn_fig_data(&fig, NULL, columns);
    /* A diverged run ends where it diverged: gnuplot skips the "nan" rows. */
    for (long t = 0; t <= steps; t++) {
        fprintf(f, "%ld %.6g", t, (double)t / per_epoch);
        for (int k = 0; k <= n_rates; k++) {
            const double *run = k < n_rates ? per_step[k] : decayed;
            if (!run)
                continue;
            if (isfinite(run[t]))
                fprintf(f, " %.10g", run[t]);
            else
                fprintf(f, " nan");
        }
        fprintf(f, "\n");
    }
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title nn_text('The learning-rate test (SGD, mini-batch 32, decay "
                     "1e-6; 2 / lambda_max = %.3g)') noenhanced", h.stable_below);
    nn_fig_cmd(&fig, "names = '%s'", names);
    nn_fig_cmd(&fig, "data = '%s'", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "set title 'the first 20 updates'");
    nn_fig_cmd(&fig, "set xlabel 'update step t'; set ylabel 'training loss E(w)'");
    nn_fig_cmd(&fig, "set logscale y; set format y nn_pow10; set xrange [0:20]; set key top left");
    nn_fig_cmd(&fig, "plot for [k=3:%d] data using 1:k with linespoints ls k-2 title word(names, k-2)", n_rates + 2);
    nn_fig_cmd(&fig, "set title 'the rates that converge, %d epochs'", epochs);
    nn_fig_cmd(&fig, "set xlabel 'epoch'; set ylabel 'E(w) - E(w*), E(w*) = %.4f'", E_min);
    nn_fig_cmd(&fig, "set xrange [0:%d]; set yrange [*:*]; set key top right", epochs);
    nn_fig_cmd(&fig, "E_min = %.10g", E_min);
    nn_fig_cmd(&fig, "clamp(v) = v > 1e-6 ? v : 1e-6");
    char plot[1024] = "plot ";
    int first_curve = 1;
    for (int k = 0; k < n_rates; k++) {
        if (diverged_at[k])
            continue;
        snprintf(plot + strlen(plot), sizeof plot - strlen(plot),
                 "%sdata using 2:(clamp($%d - E_min)) with lines ls %d title 'lr=%g'", first_curve ? "" : ", ",
                 k + 3, k + 1, rates[k]);
        first_curve = 0;
    }
    if (decayed)
        snprintf(plot + strlen(plot), sizeof plot - strlen(plot),
                 "%sdata using 2:(clamp($%d - E_min)) with lines ls 8 lw 1.5 title 'lr=%g, decay %g'",
                 first_curve ? "" : ", ", n_rates + 3, rates[1], real_decay);
    if (!first_curve || decayed)
        nn_fig_cmd(&fig, "%s", plot);
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
    for (int k = 0; k < n_rates; k++) {
        free(loss[k]);
        free(per_step[k]);
    }
    free(decayed);
    return diverged;
}

/* ======================================================================
 * Section 3. The optimizers, in the decks' notation
 * ======================================================================
 *
 * Plain gradient descent treats every direction alike.  In a ravine (a loss
 * much steeper across than along; deck 001, "poor conditioning") a rate
 * small enough for the steep direction crawls along the shallow one, and a
 * larger one oscillates across.  Two remedies, and their combination:
 *
 * Momentum: remember the direction of travel.  Deck 000 writes
 *     v_{i+1} = beta v_i - alpha g,          w_{i+1} = w_i + v_{i+1}
 * (alpha the learning rate, beta the momentum).  Oscillating components of
 * g cancel in v, the consistent ones add up: along a constant slope the step
 * grows to alpha g / (1 - beta), ten times the plain step for beta = 0.9.
 * Deck 001 writes momentum as an exponential average instead:
 *     nu = alpha nu + (1 - alpha) g,           W* = W - lambda nu
 * (here alpha is the momentum and lambda the rate).  Run deck 000's form
 * with beta = alpha and some rate a; both velocities start at 0, and by
 * induction nu = -(1 - alpha) v / a after every step (substitute into the
 * two recursions).  The updates W - lambda nu and w + v then coincide when
 * a = lambda (1 - alpha): deck 001's method with (alpha, lambda) is deck
 * 000's with beta = alpha and learning rate lambda (1 - alpha).
 * torch writes  b = mu b + g,  p = p - lr b : deck 000's with v = -lr b.
 *
 * Nesterov momentum (deck 001): take the gradient where momentum is about to
 * carry you, not where you are:
 *     W~ = W + alpha nu,   g = grad at W~,   nu = alpha nu - epsilon g,   W = W + nu
 * (the slide writes W~ = W + nu; the alpha is Goodfellow et al.'s, whose
 * chapter 8 the deck follows, and without it the method is a different one).
 * torch's form, b = mu b + g,  p = p - lr (g + mu b), is the same method
 * written for the look-ahead point itself: p = W~ at every step.
 *
 * Adaptive rates: divide each parameter's step by the size of its own recent
 * gradients, so steep directions take small steps and shallow ones large.
 *   AdaGrad (deck 001):   r_i = r_i + g_i^2,                 W_i = W_i - epsilon g_i / (delta + sqrt(r_i))
 *   RMSProp (deck 001):   r_i = rho r_i + (1 - rho) g_i^2,   same update
 * AdaGrad's r only grows, so its rates only shrink ("might decrease too
 * fast"); RMSProp forgets old gradients.  Deck 000 writes AdaGrad
 * differently in two ways.  First, the small constant sits inside the root,
 * alpha / sqrt(G + eps), where torch and deck 001 put it outside,
 * alpha / (sqrt(G) + eps).  The two steps differ by the factor
 * sqrt(G + eps) / (sqrt(G) + eps): for eps = 1e-10 it is 1.41 at G = 1e-10
 * and 100 at G = 1e-14 (the run prints the table).  A step is changed by
 * more than 1% once G < 50 eps, which for one gradient (G = g^2) means
 * |g| below about 7e-5: not rare for a weight deep in a network whose
 * gradient vanishes (section 7), and exactly the weights an adaptive method
 * is meant to help.  Second, deck 000 adds g_t^2 to G only after the step:
 *     w_(t+1) = w_t - alpha / sqrt(G_t + eps) g_t,    G_(t+1) = G_t + g_t^2,
 * so its first step divides by sqrt(0 + eps) = 1e-5 and is 1e5 alpha g_1
 * long, where the add-first order of deck 001 and torch makes the first step
 * alpha g_1 / |g_1|, of length alpha per coordinate.  The run measures both
 * first steps on Rosenbrock.  The kit follows torch (and deck 001).
 *   Adadelta (deck 000):  E[g^2] = gamma E[g^2] + (1 - gamma) g^2
 *                         Delta w = sqrt(E[Delta w^2] + eps) / sqrt(E[g^2] + eps) g
 *                         E[Delta w^2] = gamma E[Delta w^2] + (1 - gamma) Delta w^2,   w = w - Delta w
 * The ratio of two root-mean-squares has the units of w: Adadelta needs no
 * learning rate (torch's lr multiplies Delta w and defaults to 1).
 *   Adam (decks 000 and 001): RMSProp + momentum, both as averages,
 *                         m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2
 *                         m^ = m / (1 - beta1^t),  v^ = v / (1 - beta2^t)
 *                         w = w - alpha m^ / (sqrt(v^) + eps)
 * The bias correction: m and v start at 0, so after t steps of a constant g,
 * m = (1 - beta1^t) g, too small by exactly the factor it is divided by.
 *
 * Below, each method is written as its deck writes it, in double, one plain
 * loop per parameter.  tests/ch03/test-ch03-units.c runs each beside the
 * library's version (lib/optim.c, torch's notation) with the mapping given
 * by deck_to_lib(), and checks the trajectories agree. */
typedef enum {
    DECK_SGD,              /* Delta w = -alpha g                          (deck 000) */
    DECK_MOMENTUM,         /* v = beta v - alpha g, w = w + v             (deck 000) */
    DECK_MOMENTUM_AVERAGE, /* nu = alpha nu + (1-alpha) g, W = W - lambda nu (deck 001) */
    DECK_NESTEROV,         /* gradient at W + alpha nu                    (deck 001) */
    DECK_ADAGRAD,          /* r = r + g^2                                  (deck 001) */
    DECK_RMSPROP,          /* r = rho r + (1-rho) g^2                      (deck 001) */
    DECK_ADADELTA,         /* ratio of RMS of updates and of gradients    (deck 000) */
    DECK_ADAM,             /* averages of g and g^2, bias corrected       (deck 000) */
    DECK_METHODS
} deck_method;

static const char *const deck_method_names[DECK_METHODS] = {
    "sgd", "momentum", "momentum-avg", "nesterov", "adagrad", "rmsprop", "adadelta", "adam"};

typedef struct {
    deck_method method;
    double rate;      /* alpha (deck 000), lambda or epsilon (deck 001) */
    double beta;      /* momentum beta / alpha, RMSProp rho, Adadelta gamma, Adam beta1 */
    double beta2;     /* Adam beta2 */
    double delta;     /* the small constant: delta (deck 001), eps (deck 000) */
    int n;
    long t;           /* steps taken */
    double *v;        /* (n) velocity v / nu, Adam's first moment m */
    double *r;        /* (n) accumulated squared gradients r, E[g^2], Adam's v */
    double *u;        /* (n) Adadelta's E[Delta w^2] */
} deck_optimizer;

static void deck_init(deck_optimizer *o, deck_method method, int n, double rate, double beta, double beta2,
                      double delta)
{
    o->method = method;
    o->rate = rate;
    o->beta = beta;
    o->beta2 = beta2;
    o->delta = delta;
    o->n = n;
    o->t = 0;
    o->v = nn_doubles((size_t)n);
    o->r = nn_doubles((size_t)n);
    o->u = nn_doubles((size_t)n);
}

/* The decks' constants for each method: the values torch uses as defaults
 * (momentum 0.9 where torch has none), with the given rate. */
static void deck_init_default(deck_optimizer *o, deck_method method, int n, double rate)
{
    switch (method) {
    case DECK_RMSPROP: deck_init(o, method, n, rate, 0.99, 0, 1e-8); break;
    case DECK_ADAGRAD: deck_init(o, method, n, rate, 0, 0, 1e-10); break;
    case DECK_ADADELTA: deck_init(o, method, n, rate, 0.9, 0, 1e-6); break;
    case DECK_ADAM: deck_init(o, method, n, rate, 0.9, 0.999, 1e-8); break;
    case DECK_SGD: deck_init(o, method, n, rate, 0, 0, 0); break;
    default: deck_init(o, method, n, rate, 0.9, 0, 0); break;
    }
}

static void deck_free(deck_optimizer *o)
{
    free(o->v);
    free(o->r);
    free(o->u);
}

/* Where the next gradient must be taken: W, or for Nesterov W + alpha nu. */
static void deck_lookahead(const deck_optimizer *o, const double *w, double *where)
{
    for (int i = 0; i < o->n; i++)
        where[i] = o->method == DECK_NESTEROV ? w[i] + o->beta * o->v[i] : w[i];
}

/* One step of the method with gradient g (taken at deck_lookahead's point). */
static void deck_step(deck_optimizer *o, double *w, const double *g)
{
    o->t++;
    for (int i = 0; i < o->n; i++) {
        switch (o->method) {
        case DECK_SGD:
            w[i] += -o->rate * g[i];
            break;
        case DECK_MOMENTUM:
        case DECK_NESTEROV:
            o->v[i] = o->beta * o->v[i] - o->rate * g[i];
            w[i] += o->v[i];
            break;
        case DECK_MOMENTUM_AVERAGE:
            o->v[i] = o->beta * o->v[i] + (1 - o->beta) * g[i];
            w[i] -= o->rate * o->v[i];
            break;
        case DECK_ADAGRAD:
            o->r[i] += g[i] * g[i];
            w[i] -= o->rate / (o->delta + sqrt(o->r[i])) * g[i];
            break;
        case DECK_RMSPROP:
            o->r[i] = o->beta * o->r[i] + (1 - o->beta) * g[i] * g[i];
            w[i] -= o->rate / (o->delta + sqrt(o->r[i])) * g[i];
            break;
        case DECK_ADADELTA: {
            o->r[i] = o->beta * o->r[i] + (1 - o->beta) * g[i] * g[i];
            double delta_w = sqrt(o->u[i] + o->delta) / sqrt(o->r[i] + o->delta) * g[i];
            o->u[i] = o->beta * o->u[i] + (1 - o->beta) * delta_w * delta_w;
            w[i] -= o->rate * delta_w;
            break;
        }
        case DECK_ADAM: {
            o->v[i] = o->beta * o->v[i] + (1 - o->beta) * g[i];
            o->r[i] = o->beta2 * o->r[i] + (1 - o->beta2) * g[i] * g[i];
            double m_hat = o->v[i] / (1 - pow(o->beta, (double)o->t));
            double v_hat = o->r[i] / (1 - pow(o->beta2, (double)o->t));
            w[i] -= o->rate / (sqrt(v_hat) + o->delta) * m_hat;
            break;
        }
        default:
            NN_ASSERT(!"unknown deck method");
        }
    }
}

/* The same method in the library's (torch's) terms. */
static nn_optim_config deck_to_lib(const deck_optimizer *o)
{
    nn_optim_config c;
    switch (o->method) {
    case DECK_SGD:
        return nn_optim_defaults(NN_SGD, o->rate);
    case DECK_MOMENTUM:
    case DECK_NESTEROV:
        c = nn_optim_defaults(NN_SGD, o->rate);
        c.momentum = o->beta;
        c.nesterov = o->method == DECK_NESTEROV;
        return c;
    case DECK_MOMENTUM_AVERAGE:      /* nu = (1 - alpha) b: fold (1 - alpha) into the rate */
        c = nn_optim_defaults(NN_SGD, o->rate * (1 - o->beta));
        c.momentum = o->beta;
        return c;
    case DECK_ADAGRAD:
        c = nn_optim_defaults(NN_ADAGRAD, o->rate);
        c.eps = o->delta;
        return c;
    case DECK_RMSPROP:
    case DECK_ADADELTA:
        c = nn_optim_defaults(o->method == DECK_RMSPROP ? NN_RMSPROP : NN_ADADELTA, o->rate);
        c.alpha = o->beta;
        c.eps = o->delta;
        return c;
    case DECK_ADAM:
        c = nn_optim_defaults(NN_ADAM, o->rate);
        c.beta1 = o->beta;
        c.beta2 = o->beta2;
        c.eps = o->delta;
        return c;
    default:
        NN_ASSERT(!"unknown deck method");
        return nn_optim_defaults(NN_SGD, o->rate);
    }
}

/* Gradient clipping (deck 001) rescales a gradient longer than u to length
 * u; section 7 defines it beside the cliff that motivates it.  The library's
 * nn_clip_grad_norm does the same, and the comparison below runs both. */
static void deck_clip(double *g, int n, double u);

/* Learning-rate decay (decks, Keras): alpha_t = alpha / (1 + decay t), t the
 * updates done so far.  torch: Adagrad's lr_decay, or LambdaLR with
 * lambda k: 1 / (1 + decay k) stepped after every update. */
static double deck_decayed_rate(double alpha, double decay, long t) { return alpha / (1 + decay * (double)t); }

/* The deck's form and the library's, side by side: `steps` steps of one
 * method on Rosenbrock's function f = (1 - x)^2 + 100 (y - x^2)^2 from
 * (-1.2, 1), optionally with clipping and decay in both.  Returns the largest
 * difference between the two positions (for Nesterov: the deck's look-ahead
 * point W + alpha nu against the library's p), relative to the size of the
 * position.  The deck's runs in double, the library's in float. */
static double rosenbrock_gradient(const double *p, double *g)
{
    double x = p[0], y = p[1];
    g[0] = -2 * (1 - x) - 400 * x * (y - x * x);
    g[1] = 200 * (y - x * x);
    return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
}

static double compare_deck_and_lib(deck_method method, double rate, double clip, double decay, int steps)
{
    deck_optimizer deck;
    deck_init_default(&deck, method, 2, rate);
    nn_optim_config cfg = deck_to_lib(&deck);
    cfg.decay = decay;
    nn_optim lib;
    if (nn_optim_init(&lib, &cfg, 2) != NN_OK)
        nn_die_last();
    double w[2] = {-1.2, 1.0}, where[2], g[2], worst = 0;
    float p[2] = {-1.2f, 1.0f}, gf[2];
    for (int t = 0; t < steps; t++) {
        deck_lookahead(&deck, w, where);
        rosenbrock_gradient(where, g);
        if (clip > 0)
            deck_clip(g, 2, clip);
        deck.rate = deck_decayed_rate(rate, decay, deck.t);
        deck_step(&deck, w, g);

        double pd[2] = {p[0], p[1]};
        rosenbrock_gradient(pd, g);
        gf[0] = (float)g[0];
        gf[1] = (float)g[1];
        if (clip > 0)
            nn_clip_grad_norm(gf, 2, clip);
        if (nn_optim_step(&lib, p, gf) != NN_OK)
            nn_die_last();

        deck_lookahead(&deck, w, where);
        for (int i = 0; i < 2; i++) {
            double diff = fabs(where[i] - p[i]) / (1 + fabs(where[i]));
            worst = diff > worst ? diff : worst;
        }
    }
    deck_free(&deck);
    nn_optim_free(&lib);
    return worst;
}

/* Rates for the side-by-side runs on Rosenbrock (stable for each method). */
static const double deck_rates[DECK_METHODS] = {0.001, 0.0002, 0.002, 0.0002, 0.2, 0.01, 1.0, 0.02};

static void section_deck_forms(int steps)
{
    nn_say("\n3. The decks' forms (double) against the library's torch-style forms (float),\n"
           "   %d steps on Rosenbrock from (-1.2, 1): largest relative difference of the positions\n", steps);
    for (int m = 0; m < DECK_METHODS; m++)
        nn_say("   %-13s rate %-7g %9.2e\n", deck_method_names[m], deck_rates[m],
               compare_deck_and_lib((deck_method)m, deck_rates[m], 0, 0, steps));
    nn_say("   %-13s rate %-7g %9.2e   (clipped to norm 10)\n", "momentum", 0.001,
           compare_deck_and_lib(DECK_MOMENTUM, 0.001, 10, 0, steps));
    nn_say("   %-13s rate %-7g %9.2e   (decay 0.01: lr / (1 + 0.01 t))\n", "sgd", 0.001,
           compare_deck_and_lib(DECK_SGD, 0.001, 0, 0.01, steps));
    /* Deck 000's AdaGrad against torch's: where eps sits, and when G is updated. */
    const double eps = 1e-10;
    nn_say("   AdaGrad, eps = %g: step with eps outside the root / inside = sqrt(G + eps) / (sqrt(G) + eps)\n   G:    ",
           eps);
    static const double G_values[] = {1e-6, 1e-8, 1e-10, 1e-12, 1e-14};
    double ratio[5];
    for (int k = 0; k < 5; k++)
        nn_say(" %9.0e", G_values[k]);
    nn_say("\n   ratio:");
    for (int k = 0; k < 5; k++) {
        ratio[k] = sqrt(G_values[k] + eps) / (sqrt(G_values[k]) + eps);
        nn_say(" %9.3g", ratio[k]);
    }
    nn_say("\n");
    nn_claim(fabs(ratio[2] - sqrt(2.0)) < 1e-3 && ratio[4] > 99 && ratio[4] < 101 && ratio[0] < 1.0001,
             "adagrad-eps-placement", "the two eps placements differ %.2fx at G = 1e-10 and %.0fx at G = 1e-14, "
             "%.5fx at G = 1e-6", ratio[2], ratio[4], ratio[0]);
    double start[2] = {-1.2, 1.0}, g[2];
    rosenbrock_gradient(start, g);
    double after_first = deck_rates[DECK_ADAGRAD] / sqrt(0 + eps) * sqrt(g[0] * g[0] + g[1] * g[1]);
    double add_first = deck_rates[DECK_ADAGRAD] * sqrt(2.0);  /* alpha g_i / |g_i| in each of 2 coordinates */
    nn_say("   first AdaGrad step (rate %g) from (-1.2, 1): length %.3g when G is updated after the step (deck 000),\n"
           "   %.3g when it is updated first (deck 001, torch)\n", deck_rates[DECK_ADAGRAD], after_first, add_first);
    nn_claim(after_first > 1e5 * add_first, "adagrad-update-order",
             "deck 000's order (divide by G_t, then add g_t^2) makes the first step %.3g long, %.2g times the "
             "add-first step", after_first, after_first / add_first);
    nn_say("   momentum-avg is deck 001's nu = alpha nu + (1 - alpha) g, run by the library as\n"
           "   momentum alpha with rate lambda (1 - alpha); nesterov compares the deck's look-ahead\n"
           "   point W + alpha nu with the library's parameters.\n");
}

/* ======================================================================
 * Section 4. Trajectories on three surfaces
 * ======================================================================
 *
 * Three 2-D losses, each a picture of one of deck 001's "challenges in
 * optimization", and every optimizer started from the same point:
 *
 *   ravine      f = (x^2 + 25 y^2) / 2          curvatures 1 and 25 (condition number 25)
 *   rosenbrock  f = (1 - x)^2 + 100 (y - x^2)^2  a curved, flat-bottomed valley; minimum (1, 1)
 *   saddle      f = x^2 / 2 + y^4 / 4 - y^2 / 2  a saddle at (0, 0), minima at (0, +-1), f = -1/4
 *
 * The saddle start lies almost on the ridge (y = 1e-3): the gradient in y,
 * y^3 - y, is tiny there, so plain gradient descent creeps away from the
 * saddle point, geometrically but slowly: |y| grows by the factor
 * (1 + lr) per step, and from 1e-3 to 1/2 that takes log(500) / log(1 + lr)
 * steps, 314 at lr = 0.02.  The methods that divide by the gradient's size
 * (RMSProp, Adam, AdaGrad) take steps of about lr whatever the gradient, so
 * they leave the ridge within a few steps.  That is the escape.  Arriving
 * at a minimum is a second event: the path must also bring x from -2 to 0,
 * a plain bowl on which dividing by the gradient's size buys nothing.  The
 * run therefore measures the two apart, the escape both at each optimizer's
 * tuned rate and at one shared rate, and checks two claims: at the shared
 * rate RMSProp and Adam escape more than three times sooner than SGD; and at
 * the tuned rates RMSProp escapes more than ten times sooner than SGD, yet
 * arrives no sooner.
 *
 * Each optimizer gets one learning rate per surface (a fair race needs each
 * runner at its own pace), picked from the grid 1e-4, 2e-4, 5e-4, ..., 10 for
 * a fast run that does not depend on a lucky jump; edit lr[] below and rerun
 * to see how sensitive each method is.  The table reports the steps needed
 * to come within PATH_TOL of the minimum, and the final gap. */
typedef struct {
    const char *name;
    const char *title;
    const char *formula;            /* the same f for gnuplot, in x and y */
    double start[2];
    double f_min;
    double xrange[2], yrange[2];
    const char *levels;             /* contour levels for the figure */
    double lr[7];                   /* per optimizer, in the order of path_optimizers */
    int n_minima;
    double minima[2][2];            /* where f = f_min, marked in the figure (the saddle's
                                       other minimum, (0, -1), is outside its frame) */
} surface;

static const char *const path_optimizers[7] = {"sgd", "momentum", "nesterov", "adagrad",
                                               "rmsprop", "adadelta", "adam"};

static const surface surfaces[3] = {
    {"ravine", "ravine f = (x^2 + 25 y^2)/2", "0.5*(x**2 + 25*y**2)", {-4.5, 1.2}, 0, {-5, 2}, {-1.6, 1.6},
     "0.02, 0.1, 0.5, 2, 5, 10, 20, 30",
     {0.05, 0.01, 0.01, 1.0, 0.05, 1.0, 0.2}, 1, {{0, 0}}},
    {"rosenbrock", "Rosenbrock f = (1-x)^2 + 100 (y-x^2)^2", "(1-x)**2 + 100*(y-x**2)**2", {-1.2, 1.0}, 0,
     {-1.6, 1.6}, {-0.6, 1.6}, "0.05, 0.5, 2, 8, 32, 128, 512",
     {0.002, 0.002, 0.001, 0.5, 0.01, 1.0, 0.2}, 1, {{1, 1}}},
    {"saddle", "saddle f = x^2/2 + y^4/4 - y^2/2", "0.5*x**2 + 0.25*y**4 - 0.5*y**2", {-2.0, 0.001}, -0.25,
     {-2.5, 1}, {-0.3, 1.5}, "-0.2, -0.1, 0, 0.5, 1, 2, 3",
     {0.1, 0.02, 0.02, 0.2, 0.02, 1.0, 0.05}, 1, {{0, 1}}},
};

static double surface_value(const surface *s, const float *p, float *grad)
{
    double x = p[0], y = p[1];
    if (!strcmp(s->name, "ravine")) {
        grad[0] = (float)x;
        grad[1] = (float)(25 * y);
        return 0.5 * (x * x + 25 * y * y);
    }
    if (!strcmp(s->name, "rosenbrock")) {
        grad[0] = (float)(-2 * (1 - x) - 400 * x * (y - x * x));
        grad[1] = (float)(200 * (y - x * x));
        return (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
    }
    grad[0] = (float)x;
    grad[1] = (float)(y * y * y - y);
    return 0.5 * x * x + 0.25 * y * y * y * y - 0.5 * y * y;
}

#define PATH_TOL 1e-4
/* The figures draw the first steps of each path; the data files hold all. */
#define PATH_FIGURE_STEPS 300

typedef struct {
    long steps_to_tol;     /* -1: never within the run */
    long escape_step;      /* first step with |y| >= ESCAPE_Y; -1: never (used on the saddle) */
    long diverged_step;    /* 0: never */
    double final_gap;      /* f - f_min at the end */
    double box[4];         /* x min, x max, y min, y max of the first PATH_FIGURE_STEPS steps */
} path_result;

/* The saddle's minima are at y = +-1 and its saddle point at y = 0: a path
 * has escaped once it is halfway, |y| >= 1/2. */
#define ESCAPE_Y 0.5

/* Runs `steps` steps of optimizer k on s; the path (steps + 1 points) goes to
 * f when f is not NULL. */
static path_result run_path(const surface *s, int k, int steps, FILE *f)
{
    path_result res = {-1, -1, 0, 0, {s->start[0], s->start[0], s->start[1], s->start[1]}};
    nn_optim_config cfg;
    if (nn_optim_parse(path_optimizers[k], s->lr[k], &cfg) != NN_OK)
        nn_die_last();
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, 2) != NN_OK)
        nn_die_last();
    float p[2] = {(float)s->start[0], (float)s->start[1]}, g[2];
    double value = surface_value(s, p, g);
    for (int t = 0; t <= steps; t++) {
        if (f)
            fprintf(f, "%d %.7g %.7g %.7g\n", t, p[0], p[1], value);
        if (res.steps_to_tol < 0 && value - s->f_min < PATH_TOL)
            res.steps_to_tol = t;
        if (res.escape_step < 0 && fabs(p[1]) >= ESCAPE_Y)
            res.escape_step = t;
        if (t <= PATH_FIGURE_STEPS) {
            res.box[0] = fmin(res.box[0], p[0]);
            res.box[1] = fmax(res.box[1], p[0]);
            res.box[2] = fmin(res.box[2], p[1]);
            res.box[3] = fmax(res.box[3], p[1]);
        }
        if (t == steps)
            break;
        if (nn_optim_step(&opt, p, g) != NN_OK) {
            res.diverged_step = opt.t;
            break;
        }
        value = surface_value(s, p, g);
        /* Every surface starts below 1e3: a loss past 1e9 has exploded. */
        if (nn_optim_check_loss(&opt, value, 1e3, 1e6) != NN_OK) {
            res.diverged_step = opt.t;
            break;
        }
    }
    res.final_gap = value - s->f_min;
    nn_optim_free(&opt);
    return res;
}

static void section_paths(int steps)
{
    nn_say("\n4. Trajectories from a shared start: steps to reach f - f_min < %g (of %d), final f - f_min\n",
           PATH_TOL, steps);
    nn_say("   %-10s", "optimizer");
    for (int s = 0; s < 3; s++)
        nn_say(" | %-10s %7s %8s %9s", surfaces[s].name, "lr", "steps", "gap");
    nn_say("\n");
    path_result results[3][7];
    for (int s = 0; s < 3; s++) {
        const surface *sf = &surfaces[s];
        char name[64];
        snprintf(name, sizeof name, "paths-%s", sf->name);
        nn_fig fig;
        if (nn_fig_begin_sized(&fig, CHAPTER, name, 1150, 720) != NN_OK)
            nn_die_last();
        for (int k = 0; k < 7; k++) {
            FILE *f = nn_fig_data(&fig, path_optimizers[k], "step x y f");
            results[s][k] = run_path(sf, k, steps, f);
        }
        /* Contours: gnuplot evaluates f on a grid and writes its level lines
         * to a table (a datablock, so no file is written beside the
         * figure), then draws them under the paths (FIGURES.md). */
        /* The frame: the surface's own window, widened to hold every path
         * drawn (a momentum path may swing far out). */
        double range[4] = {sf->xrange[0], sf->xrange[1], sf->yrange[0], sf->yrange[1]};
        for (int k = 0; k < 7; k++)
            if (!results[s][k].diverged_step)
                for (int c = 0; c < 4; c++)
                    range[c] = c % 2 ? fmax(range[c], results[s][k].box[c]) : fmin(range[c], results[s][k].box[c]);
        for (int c = 0; c < 4; c += 2) {
            double pad = 0.03 * (range[c + 1] - range[c]);
            range[c] -= pad;
            range[c + 1] += pad;
        }
        nn_fig_cmd(&fig, "f(x, y) = %s", sf->formula);
        nn_fig_cmd(&fig, "set xrange [%g:%g]; set yrange [%g:%g]", range[0], range[1], range[2], range[3]);
        nn_fig_cmd(&fig, "set isosamples 150, 150; set samples 150, 150");
        nn_fig_cmd(&fig, "set contour base; unset surface; set view map");
        nn_fig_cmd(&fig, "set cntrparam levels discrete %s", sf->levels);
        nn_fig_cmd(&fig, "set table $contours");
        nn_fig_cmd(&fig, "splot f(x, y)");
        nn_fig_cmd(&fig, "unset table; unset contour");
        nn_fig_cmd(&fig, "set size ratio -1");
        nn_fig_cmd(&fig, "set title '%s: the first %d of %d steps from (%g, %g)' noenhanced", sf->title,
                   steps < PATH_FIGURE_STEPS ? steps : PATH_FIGURE_STEPS, steps, sf->start[0], sf->start[1]);
        nn_fig_cmd(&fig, "set xlabel 'x'; set ylabel 'y'");
        nn_fig_cmd(&fig, "set key outside right top vertical Left reverse");
        nn_fig_cmd(&fig, "$minima << EOD");
        for (int m = 0; m < sf->n_minima; m++)
            nn_fig_cmd(&fig, "%g %g", sf->minima[m][0], sf->minima[m][1]);
        nn_fig_cmd(&fig, "EOD");
        nn_fig_cmd(&fig, "$start << EOD\n%g %g\nEOD", sf->start[0], sf->start[1]);
        nn_fig_cmd(&fig, "plot $contours using 1:2 with lines lc rgb '#BBBBBB' lw 1 notitle, \\");
        for (int k = 0; k < 7; k++)
            nn_fig_cmd(&fig, "  '%s' every ::0::%d using 2:3 with linespoints ls %d pi 10 title '%s (lr %g)', \\",
                       nn_fig_path(&fig, path_optimizers[k]), PATH_FIGURE_STEPS, k + 1, path_optimizers[k], sf->lr[k]);
        nn_fig_cmd(&fig, "  $minima using 1:2 with points pt 3 ps 3 lw 2.5 lc rgb '#000000' title 'minimum (%g, %g)', \\",
                   sf->minima[0][0], sf->minima[0][1]);
        nn_fig_cmd(&fig, "  $start using 1:2 with points pt 6 ps 2.5 lw 2 lc rgb '#000000' title 'start'");
        if (nn_fig_end(&fig) != NN_OK)
            nn_die_last();
    }
    for (int k = 0; k < 7; k++) {
        nn_say("   %-10s", path_optimizers[k]);
        for (int s = 0; s < 3; s++) {
            const path_result *r = &results[s][k];
            char steps_text[32];
            if (r->diverged_step)
                snprintf(steps_text, sizeof steps_text, "div@%ld", r->diverged_step);
            else if (r->steps_to_tol >= 0)
                snprintf(steps_text, sizeof steps_text, "%ld", r->steps_to_tol);
            else
                snprintf(steps_text, sizeof steps_text, "-");
            if (r->diverged_step)
                nn_say(" | %-10s %7g %8s %9s", "", surfaces[s].lr[k], steps_text, "diverged");
            else
                nn_say(" | %-10s %7g %8s %9.2e", "", surfaces[s].lr[k], steps_text, r->final_gap);
        }
        nn_say("\n");
    }
    nn_say("   (\"-\": not within %g after %d steps; --steps or --full runs longer)\n", PATH_TOL, steps);

    /* The saddle: leaving it and arriving at a minimum are two events.
     * Arrival also needs x -> 0, which has nothing to do with the saddle, and
     * each optimizer above runs at its own rate; so the escape is measured on
     * its own (the first step with |y| >= 1/2), once at the tuned rates and
     * once with every optimizer at one shared rate. */
    const surface *saddle = &surfaces[2];
    surface shared = *saddle;
    const double shared_lr = 0.02;
    for (int k = 0; k < 7; k++)
        shared.lr[k] = shared_lr;
    path_result at_shared[7];
    nn_say("\n   The saddle, escape (first step with |y| >= %g) and arrival (f - f_min < %g) measured apart:\n",
           ESCAPE_Y, PATH_TOL);
    nn_say("   %-10s %8s %8s %8s | %s\n", "optimizer", "lr", "escape", "arrival", "escape at the shared lr 0.02");
    for (int k = 0; k < 7; k++) {
        at_shared[k] = run_path(&shared, k, steps, NULL);
        const path_result *r = &results[2][k];
        char escape[16], arrival[16], shared_escape[16];
        snprintf(escape, sizeof escape, r->escape_step >= 0 ? "%ld" : "-", r->escape_step);
        snprintf(arrival, sizeof arrival, r->steps_to_tol >= 0 ? "%ld" : "-", r->steps_to_tol);
        snprintf(shared_escape, sizeof shared_escape, at_shared[k].escape_step >= 0 ? "%ld" : "-",
                 at_shared[k].escape_step);
        nn_say("   %-10s %8g %8s %8s | %s\n", path_optimizers[k], saddle->lr[k], escape, arrival, shared_escape);
    }
    /* path_optimizers: 0 sgd, 1 momentum, 4 rmsprop, 6 adam */
    long sgd_escape = at_shared[0].escape_step, rms_escape = at_shared[4].escape_step,
         adam_escape = at_shared[6].escape_step;
    nn_claim(sgd_escape > 0 && rms_escape > 0 && adam_escape > 0 && 3 * rms_escape < sgd_escape &&
             3 * adam_escape < sgd_escape, "saddle-adaptive-escape",
             "at one shared rate %g, RMSProp and Adam leave the saddle in %ld and %ld steps, plain SGD in %ld",
             shared_lr, rms_escape, adam_escape, sgd_escape);
    const path_result *sgd_tuned = &results[2][0], *rms_tuned = &results[2][4];
    nn_claim(rms_tuned->escape_step > 0 && 10 * rms_tuned->escape_step < sgd_tuned->escape_step &&
             rms_tuned->steps_to_tol >= sgd_tuned->steps_to_tol, "saddle-escape-is-not-arrival",
             "at the tuned rates RMSProp escapes in %ld steps against SGD's %ld, yet arrives no sooner "
             "(%ld steps against %ld)", rms_tuned->escape_step, sgd_tuned->escape_step, rms_tuned->steps_to_tol,
             sgd_tuned->steps_to_tol);
}

/* ======================================================================
 * Section 5. Which optimizer is the best?  Loss curves on the digits
 * ======================================================================
 *
 * The decks close the optimizer slides with that question.  An answer with
 * data: the same network (64 inputs, a hidden layer, 10 classes, softmax
 * cross-entropy), the same initial weights (same seed), the same mini-batches
 * in the same order, trained on the 1797 8x8 digits shipped in data/ with
 * each optimizer at its usual learning rate.
 *
 * The network is general enough for sections 6 and 8 too: L dense layers,
 * the same activation after each hidden one, and optionally batch
 * normalization between a hidden layer's dense part and its activation.
 * Its parameters live in one buffer (the optimizer's flat loop), its
 * gradients in another of the same layout. */
enum { MAX_LAYERS = 12 };

typedef enum { INIT_ZERO, INIT_XAVIER, INIT_HE, INIT_NORMALIZED, INIT_COUNT } init_kind;
static const char *const init_names[INIT_COUNT] = {"zero", "N(0,1/m)", "N(0,2/m)", "U(+-sqrt(6/(m+n)))"};

typedef struct {
    int L;                              /* dense layers (L - 1 hidden) */
    int width[MAX_LAYERS + 1];          /* width[0] inputs ... width[L] classes */
    nn_activation act;
    int batchnorm;
    float *params, *grads;              /* (n_params) each, one allocation per role */
    size_t n_params;
    float *W[MAX_LAYERS + 1], *b[MAX_LAYERS + 1];          /* W[l] (width[l], width[l-1]), b[l] (width[l]) */
    float *gamma[MAX_LAYERS + 1], *beta[MAX_LAYERS + 1];   /* (width[l]), hidden layers with batch norm */
    float *dW[MAX_LAYERS + 1], *db[MAX_LAYERS + 1], *dgamma[MAX_LAYERS + 1], *dbeta[MAX_LAYERS + 1];
    float *running;                     /* running means and variances, one allocation */
    float *run_mean[MAX_LAYERS + 1], *run_var[MAX_LAYERS + 1];
    /* Buffers for a batch of up to `capacity` rows. */
    int capacity;
    float *z[MAX_LAYERS + 1];           /* (B, width[l]) dense outputs */
    float *zn[MAX_LAYERS + 1];          /* (B, width[l]) after batch norm */
    float *a[MAX_LAYERS + 1];           /* (B, width[l]) activations */
    float *mean[MAX_LAYERS + 1], *rstd[MAX_LAYERS + 1];    /* (width[l]) batch statistics */
    float *d_z[MAX_LAYERS + 1], *d_zn[MAX_LAYERS + 1], *d_a[MAX_LAYERS + 1];
    float *probs;                       /* (B, width[L]) */
} mlp;

/* W_ij for a layer with m inputs and n outputs (deck 001, "parameter
 * initialization"); biases start at 0. */
static void init_weights(float *W, int n, int m, init_kind kind, nn_rng *rng)
{
    size_t count = (size_t)n * m;
    switch (kind) {
    case INIT_ZERO: nn_zero(W, count); break;
    case INIT_XAVIER: nn_rng_fill_normal(rng, W, count, 0, sqrt(1.0 / m)); break;
    case INIT_HE: nn_rng_fill_normal(rng, W, count, 0, sqrt(2.0 / m)); break;
    case INIT_NORMALIZED: {
        double limit = sqrt(6.0 / (m + n));
        nn_rng_fill_uniform(rng, W, count, -limit, limit);
        break;
    }
    default: NN_ASSERT(!"unknown init");
    }
}

static void mlp_init(mlp *net, int L, const int *width, nn_activation act, int batchnorm, init_kind init,
                     int capacity, nn_rng *rng)
{
    NN_ASSERT(L >= 1 && L <= MAX_LAYERS);
    memset(net, 0, sizeof *net);
    net->L = L;
    net->act = act;
    net->batchnorm = batchnorm;
    net->capacity = capacity;
    memcpy(net->width, width, sizeof(int) * (size_t)(L + 1));
    nn_piece params[4 * MAX_LAYERS], grads[4 * MAX_LAYERS], running[2 * MAX_LAYERS];
    int np = 0, nr = 0;
    for (int l = 1; l <= L; l++) {
        size_t n = (size_t)width[l], m = (size_t)width[l - 1];
        params[np] = (nn_piece){"W", n * m, &net->W[l]};
        grads[np++] = (nn_piece){"dW", n * m, &net->dW[l]};
        params[np] = (nn_piece){"b", n, &net->b[l]};
        grads[np++] = (nn_piece){"db", n, &net->db[l]};
        if (batchnorm && l < L) {
            params[np] = (nn_piece){"gamma", n, &net->gamma[l]};
            grads[np++] = (nn_piece){"dgamma", n, &net->dgamma[l]};
            params[np] = (nn_piece){"beta", n, &net->beta[l]};
            grads[np++] = (nn_piece){"dbeta", n, &net->dbeta[l]};
            running[nr++] = (nn_piece){"running_mean", n, &net->run_mean[l]};
            running[nr++] = (nn_piece){"running_var", n, &net->run_var[l]};
        }
    }
    net->params = nn_alloc_pieces(params, np, &net->n_params);
    net->grads = nn_alloc_pieces(grads, np, NULL);
    net->running = nr ? nn_alloc_pieces(running, nr, NULL) : NULL;
    for (int l = 1; l <= L; l++) {
        init_weights(net->W[l], width[l], width[l - 1], init, rng);
        if (batchnorm && l < L)
            for (int j = 0; j < width[l]; j++) {
                net->gamma[l][j] = 1;        /* start as the identity: H' itself */
                net->run_var[l][j] = 1;
            }
        size_t Bn = (size_t)capacity * width[l];
        net->z[l] = nn_floats(Bn);
        net->zn[l] = nn_floats(Bn);
        net->a[l] = nn_floats(Bn);
        net->d_z[l] = nn_floats(Bn);
        net->d_zn[l] = nn_floats(Bn);
        net->d_a[l] = nn_floats(Bn);
        net->mean[l] = nn_floats((size_t)width[l]);
        net->rstd[l] = nn_floats((size_t)width[l]);
    }
    net->probs = nn_floats((size_t)capacity * width[L]);
}

static void mlp_free(mlp *net)
{
    free(net->params);
    free(net->grads);
    free(net->running);
    for (int l = 1; l <= net->L; l++) {
        free(net->z[l]);
        free(net->zn[l]);
        free(net->a[l]);
        free(net->d_z[l]);
        free(net->d_zn[l]);
        free(net->d_a[l]);
        free(net->mean[l]);
        free(net->rstd[l]);
    }
    free(net->probs);
}

/* The input of hidden layer l's activation: z, or batch-normalized z. */
static float *mlp_pre_activation(mlp *net, int l) { return net->batchnorm ? net->zn[l] : net->z[l]; }

/* Forward pass of B rows; returns the mean cross-entropy.  train selects
 * batch statistics (and updates the running ones) or running statistics. */
static double mlp_forward(mlp *net, const float *x, const int *labels, int B, int train)
{
    NN_ASSERT(B <= net->capacity);
    const float *a_prev = x;
    for (int l = 1; l <= net->L; l++) {
        int n = net->width[l];
        nn_dense_forward(net->z[l], a_prev, net->W[l], net->b[l], B, net->width[l - 1], n);
        if (l == net->L)
            break;
        if (net->batchnorm) {
            if (train) {
                if (nn_batchnorm_forward(net->zn[l], net->mean[l], net->rstd[l], net->z[l], net->gamma[l],
                                         net->beta[l], net->run_mean[l], net->run_var[l], B, n, NN_BN_MOMENTUM,
                                         NN_BN_EPS) != NN_OK)
                    nn_die_last();
            } else {
                nn_batchnorm_eval(net->zn[l], net->z[l], net->gamma[l], net->beta[l], net->run_mean[l],
                                  net->run_var[l], B, n, NN_BN_EPS);
            }
        }
        nn_act_forward(net->act, net->a[l], mlp_pre_activation(net, l), (size_t)B * n);
        a_prev = net->a[l];
    }
    return nn_softmax_xent_forward(net->probs, net->z[net->L], labels, B, net->width[net->L]);
}

/* Backward pass after a training forward: adds into net->grads. */
static void mlp_backward(mlp *net, const float *x, const int *labels, int B)
{
    int L = net->L;
    nn_zero(net->d_z[L], (size_t)B * net->width[L]);
    nn_softmax_xent_backward(net->d_z[L], net->probs, labels, B, net->width[L]);
    for (int l = L; l >= 1; l--) {
        const float *a_prev = l == 1 ? x : net->a[l - 1];
        float *d_prev = l == 1 ? NULL : net->d_a[l - 1];
        if (d_prev)
            nn_zero(d_prev, (size_t)B * net->width[l - 1]);
        nn_dense_backward(d_prev, net->dW[l], net->db[l], net->d_z[l], a_prev, net->W[l], B, net->width[l - 1],
                          net->width[l]);
        if (l == 1)
            break;
        int h = l - 1;                              /* the hidden layer below */
        size_t count = (size_t)B * net->width[h];
        float *d_pre = net->batchnorm ? net->d_zn[h] : net->d_z[h];
        nn_zero(d_pre, count);
        nn_act_backward(net->act, d_pre, net->d_a[h], mlp_pre_activation(net, h), net->a[h], count);
        if (net->batchnorm) {
            nn_zero(net->d_z[h], count);
            nn_batchnorm_backward(net->d_z[h], net->dgamma[h], net->dbeta[h], net->d_zn[h], net->z[h],
                                  net->gamma[h], net->mean[h], net->rstd[h], B, net->width[h]);
        }
    }
}

/* Classification accuracy on a whole set, in eval mode. */
static double mlp_accuracy(mlp *net, const nn_dataset *ds)
{
    int correct = 0, K = net->width[net->L];
    for (int start = 0; start < ds->n; start += net->capacity) {
        int B = ds->n - start < net->capacity ? ds->n - start : net->capacity;
        mlp_forward(net, ds->x + (size_t)start * ds->d, ds->y + start, B, 0);
        for (int i = 0; i < B; i++)
            correct += (int)nn_argmax(net->probs + (size_t)i * K, (size_t)K) == ds->y[start + i];
    }
    return (double)correct / ds->n;
}

typedef struct {
    double *loss;          /* (epochs + 1): mean mini-batch loss per epoch; [0] before training */
    double test_accuracy;
    long diverged_step;    /* 0: never */
    char message[256];
} train_result;

/* Mini-batch training; the batch order comes from `seed` alone, so two runs
 * with the same seed see the same batches. */
static train_result mlp_train(mlp *net, const nn_dataset *train, const nn_dataset *test, const nn_optim_config *cfg,
                              int epochs, int batch, uint64_t seed)
{
    train_result res = {nn_doubles((size_t)epochs + 1), 0, 0, ""};
    for (int e = 0; e <= epochs; e++)
        res.loss[e] = NAN;
    nn_optim opt;
    if (nn_optim_init(&opt, cfg, net->n_params) != NN_OK)
        nn_die_last();
    nn_rng rng = nn_rng_new(seed);
    int *order = nn_malloc(sizeof(int) * (size_t)train->n), *labels = nn_malloc(sizeof(int) * (size_t)batch);
    float *x = nn_floats((size_t)batch * train->d);
    nn_rng_permutation(&rng, order, (size_t)train->n);
    res.loss[0] = mlp_forward(net, train->x, train->y, net->capacity < train->n ? net->capacity : train->n, 0);
    for (int epoch = 1; epoch <= epochs && !res.diverged_step; epoch++) {
        nn_rng_shuffle(&rng, order, (size_t)train->n);
        double sum = 0;
        int batches = 0;
        for (int start = 0; start + batch <= train->n; start += batch) {
            for (int i = 0; i < batch; i++) {
                nn_copy(x + (size_t)i * train->d, train->x + (size_t)order[start + i] * train->d, (size_t)train->d);
                labels[i] = train->y[order[start + i]];
            }
            nn_zero(net->grads, net->n_params);
            double loss = mlp_forward(net, x, labels, batch, 1);
            mlp_backward(net, x, labels, batch);
            if (nn_optim_check_loss(&opt, loss, res.loss[0], 1e6) != NN_OK ||
                nn_optim_step(&opt, net->params, net->grads) != NN_OK) {
                res.diverged_step = opt.t;
                snprintf(res.message, sizeof res.message, "%s", nn_last_error());
                break;
            }
            sum += loss;
            batches++;
        }
        res.loss[epoch] = res.diverged_step ? NAN : sum / batches;
    }
    res.test_accuracy = res.diverged_step ? 0 : mlp_accuracy(net, test);
    nn_optim_free(&opt);
    free(order);
    free(labels);
    free(x);
    return res;
}

/* The digits, pixels scaled from 0..16 to [0, 1], split 80/20. */
static void load_digits_split(nn_dataset *train, nn_dataset *test, uint64_t seed)
{
    nn_dataset all;
    if (nn_load_digits(&all, NULL) != NN_OK)
        nn_die_last();
    for (size_t i = 0; i < (size_t)all.n * all.d; i++)
        all.x[i] /= 16;
    nn_rng rng = nn_rng_new(seed);
    if (nn_split(&all, 0.8, &rng, train, test) != NN_OK)
        nn_die_last();
    nn_dataset_free(&all);
}

/* Learning rates for the digits: torch's defaults for the adaptive methods
 * that have one that suits (Adadelta 1; RMSprop and Adam run at 3e-3, three
 * times torch's default 1e-3), 0.1 for SGD and 0.05 with momentum (whose
 * steps are up to 1 / (1 - 0.9) = 10 times larger). */
static const double digits_lr[7] = {0.1, 0.05, 0.05, 0.05, 0.003, 1.0, 0.003};

static void section_digits(const nn_dataset *train, const nn_dataset *test, int epochs, int hidden, uint64_t seed)
{
    enum { BATCH = 32 };
    int width[3] = {train->d, hidden, 10};
    train_result res[7];
    nn_say("\n5. Which optimizer is the best?  64-%d-10 ReLU network on the digits (%d train, %d test),\n"
           "   mini-batch %d, %d epochs, same initial weights and batches for all\n",
           hidden, train->n, test->n, BATCH, epochs);
    nn_say("   %-10s %7s %12s %12s %10s\n", "optimizer", "lr", "loss ep. 1", "loss final", "test acc");
    for (int k = 0; k < 7; k++) {
        nn_rng init_rng = nn_rng_new(seed);
        mlp net;
        mlp_init(&net, 2, width, NN_RELU, 0, INIT_HE, 256, &init_rng);
        nn_optim_config cfg;
        if (nn_optim_parse(path_optimizers[k], digits_lr[k], &cfg) != NN_OK)
            nn_die_last();
        res[k] = mlp_train(&net, train, test, &cfg, epochs, BATCH, seed + 1);
        if (res[k].diverged_step)
            nn_say("   %-10s %7g %s\n", path_optimizers[k], digits_lr[k], res[k].message);
        else
            nn_say("   %-10s %7g %12.4f %12.5f %9.1f%%\n", path_optimizers[k], digits_lr[k], res[k].loss[1],
                   res[k].loss[epochs], 100 * res[k].test_accuracy);
        mlp_free(&net);
    }
    int best_loss = 0, best_acc = 0, worst_acc = 0;
    for (int k = 1; k < 7; k++) {
        if (res[k].diverged_step)
            continue;
        if (res[k].loss[epochs] < res[best_loss].loss[epochs])
            best_loss = k;
        if (res[k].test_accuracy > res[best_acc].test_accuracy)
            best_acc = k;
        if (res[k].test_accuracy < res[worst_acc].test_accuracy)
            worst_acc = k;
    }
    nn_say("   Lowest training loss: %s; best test accuracy: %s.  The test accuracies lie within\n"
           "   %.1f points of each other: with its rate tuned no optimizer is far behind on this\n"
           "   problem; what differs is how fast the training loss falls.  Rerun with another\n"
           "   --seed before naming a winner.\n",
           path_optimizers[best_loss], path_optimizers[best_acc],
           100 * (res[best_acc].test_accuracy - res[worst_acc].test_accuracy));

    /* One split's test set is 359 digits: one digit is 0.28 points.  The
     * same race on two more splits (seeds + 1, + 2) shows how much of the
     * table is the split. */
    enum { SPLITS = 3 };
    double acc[SPLITS][7];
    for (int k = 0; k < 7; k++)
        acc[0][k] = res[k].test_accuracy;
    for (int sp = 1; sp < SPLITS; sp++) {
        nn_dataset other_train, other_test;
        load_digits_split(&other_train, &other_test, seed + (uint64_t)sp);
        for (int k = 0; k < 7; k++) {
            nn_rng init_rng = nn_rng_new(seed + (uint64_t)sp);
            mlp net;
            mlp_init(&net, 2, width, NN_RELU, 0, INIT_HE, 256, &init_rng);
            nn_optim_config cfg;
            if (nn_optim_parse(path_optimizers[k], digits_lr[k], &cfg) != NN_OK)
                nn_die_last();
            train_result r = mlp_train(&net, &other_train, &other_test, &cfg, epochs, BATCH, seed + 1 + (uint64_t)sp);
            acc[sp][k] = r.diverged_step ? 0 : r.test_accuracy;
            free(r.loss);
            mlp_free(&net);
        }
        nn_dataset_free(&other_train);
        nn_dataset_free(&other_test);
    }
    nn_say("   test accuracy over %d splits (seeds %llu-%llu), min-max:", SPLITS, (unsigned long long)seed,
           (unsigned long long)seed + SPLITS - 1);
    double widest = 0, lowest = 1, highest = 0;
    for (int k = 0; k < 7; k++) {
        double lo = 1, hi = 0;
        for (int sp = 0; sp < SPLITS; sp++) {
            lo = fmin(lo, acc[sp][k]);
            hi = fmax(hi, acc[sp][k]);
        }
        widest = fmax(widest, hi - lo);
        lowest = fmin(lowest, lo);
        highest = fmax(highest, hi);
        nn_say("%s %s %.1f-%.1f%%", k % 4 ? "," : "\n  ", path_optimizers[k], 100 * lo, 100 * hi);
    }
    nn_say("\n   The widest range of one optimizer over the splits is %.1f points; all runs lie in %.1f-%.1f%%.\n",
           100 * widest, 100 * lowest, 100 * highest);
    nn_claim(highest - lowest < 0.05, "digits-no-optimizer-far-behind",
             "with its rate tuned, every optimizer on every one of %d splits ends within 5 points: %.1f-%.1f%%",
             SPLITS, 100 * lowest, 100 * highest);
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "digits-loss") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "epoch sgd momentum nesterov adagrad rmsprop adadelta adam");
    for (int e = 0; e <= epochs; e++) {
        fprintf(f, "%d", e);
        for (int k = 0; k < 7; k++)
            if (isfinite(res[k].loss[e]))
                fprintf(f, " %.8g", log_clamp(res[k].loss[e]));
            else
                fprintf(f, " nan");
        fprintf(f, "\n");
    }
    nn_fig_cmd(&fig, "set title 'Every optimizer on the digits: same network, same seed'");
    nn_fig_cmd(&fig, "set xlabel 'epoch'; set ylabel 'training cross-entropy (mean over the epoch)'");
    nn_fig_cmd(&fig, "set logscale y; set key top right");
    nn_fig_cmd(&fig, "names = 'sgd momentum nesterov adagrad rmsprop adadelta adam'");
    nn_fig_cmd(&fig, "plot for [k=2:8] '%s' using 1:k with linespoints ls k-1 pi 4 title word(names, k-1)",
               nn_fig_path(&fig, NULL));
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
    for (int k = 0; k < 7; k++)
        free(res[k].loss);
}

/* ======================================================================
 * Section 6. Initialization
 * ======================================================================
 *
 * Deck 001: "Goal: break symmetry between units, so that each unit computes
 * a different function.  Initialize all weights (not biases) randomly.
 * Scale of initialization?  Large -> gradient explosion, small -> gradient
 * vanishing."  With m inputs and n outputs per layer, the four choices:
 *
 *   zero                 W_ij = 0: every unit of a layer computes the same
 *                        function and receives the same gradient, forever
 *   N(0, 1/m)            Var(z) = m Var(W) Var(a) = Var(a): unit variance kept
 *                        through linear (and tanh, near 0) layers
 *   N(0, 2/m)  (He)      ReLU zeroes half of its inputs, halving the
 *                        variance; twice the variance makes up for it
 *   U(+-sqrt(6/(m+n)))   (normalized, Glorot & Bengio) Var = 2/(m+n): a
 *                        compromise between keeping the activations' variance
 *                        (1/m) and the gradients' (1/n) on the way back
 *
 * A warning about names.  The deck calls N(0, 1/m) "Xavier", and the code
 * below follows it (INIT_XAVIER).  Elsewhere that name means the (m + n)
 * forms of Glorot and Bengio: torch's xavier_normal_ draws N(0, 2/(m+n))
 * and xavier_uniform_ the U(+-sqrt(6/(m+n))) of the last line.  N(0, 1/m)
 * is LeCun's initialization (LeCun et al., "Efficient BackProp", 1998; deck
 * 004's N(0, 1/D)); torch's kaiming_normal_ with nonlinearity='linear' gives
 * it.  He's N(0, 2/m) is kaiming_normal_ with the default 'relu'.
 *
 * The measurement: a deep network (DEPTH hidden layers of WIDTH units), one
 * forward and backward pass of a batch of digits, and per layer the standard
 * deviation of the activations a^l and of the gradients dL/dW^l.  A good
 * initialization keeps both roughly constant from layer to layer. */
typedef struct {
    double act_std[MAX_LAYERS + 1];     /* std of a^l over the batch and units */
    double grad_std[MAX_LAYERS + 1];    /* std of dL/dW^l over its entries */
} layer_stats;

static double std_of(const float *x, size_t n)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += x[i];
    mean /= n;
    for (size_t i = 0; i < n; i++)
        var += (x[i] - mean) * (x[i] - mean);
    return sqrt(var / n);
}

static layer_stats init_statistics(const nn_dataset *data, nn_activation act, init_kind init, int depth, int width,
                                   int B, uint64_t seed)
{
    int widths[MAX_LAYERS + 1];
    widths[0] = data->d;
    for (int l = 1; l <= depth; l++)
        widths[l] = width;
    widths[depth + 1] = 10;
    nn_rng rng = nn_rng_new(seed);
    mlp net;
    mlp_init(&net, depth + 1, widths, act, 0, init, B, &rng);
    nn_zero(net.grads, net.n_params);
    mlp_forward(&net, data->x, data->y, B, 1);
    mlp_backward(&net, data->x, data->y, B);
    layer_stats st;
    memset(&st, 0, sizeof st);
    for (int l = 1; l <= depth + 1; l++) {
        st.act_std[l] = l <= depth ? std_of(net.a[l], (size_t)B * width) : std_of(net.z[l], (size_t)B * 10);
        st.grad_std[l] = std_of(net.dW[l], (size_t)widths[l] * widths[l - 1]);
    }
    mlp_free(&net);
    return st;
}

/* Zero initialization, trained: how many different functions do the first
 * hidden layer's units compute afterwards?  Counts distinct rows of W^1. */
static int distinct_units_after_zero_init(const nn_dataset *train, const nn_dataset *test, int epochs, uint64_t seed)
{
    int width[3] = {train->d, 16, 10};
    nn_rng rng = nn_rng_new(seed);
    mlp net;
    mlp_init(&net, 2, width, NN_TANH, 0, INIT_ZERO, 64, &rng);
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.1);
    train_result res = mlp_train(&net, train, test, &cfg, epochs, 32, seed);
    int distinct = 0;
    for (int j = 0; j < 16; j++) {
        int same = 0;
        for (int k = 0; k < j && !same; k++)
            same = memcmp(net.W[1] + (size_t)j * train->d, net.W[1] + (size_t)k * train->d,
                          sizeof(float) * (size_t)train->d) == 0;
        distinct += !same;
    }
    free(res.loss);
    mlp_free(&net);
    return distinct;
}

static void section_initialization(const nn_dataset *train, const nn_dataset *test, int depth, uint64_t seed)
{
    enum { WIDTH = 64, B = 256 };
    static const nn_activation acts[2] = {NN_TANH, NN_RELU};
    layer_stats st[2][INIT_COUNT];
    nn_say("\n6. Initialization: %d hidden layers of %d units, one batch of %d digits;\n"
           "   std of the activations a^l and of the gradients dL/dW^l, first and last hidden layer\n",
           depth, WIDTH, B);
    nn_say("   %-5s %-20s %11s %11s %13s %13s\n", "act", "init", "std a^1", "std a^last", "std dW^1",
           "std dW^last");
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < INIT_COUNT; i++) {
            st[a][i] = init_statistics(train, acts[a], (init_kind)i, depth, WIDTH, B, seed);
            nn_say("   %-5s %-20s %11.3e %11.3e %13.3e %13.3e\n", nn_act_name(acts[a]), init_names[i],
                   st[a][i].act_std[1], st[a][i].act_std[depth], st[a][i].grad_std[1], st[a][i].grad_std[depth]);
        }
    int distinct = distinct_units_after_zero_init(train, test, 3, seed);
    nn_say("   Zero initialization: every activation and every hidden gradient is exactly 0, and after\n"
           "   3 epochs of SGD the 16 hidden units of a 64-16-10 tanh network compute %d distinct\n"
           "   function%s: symmetry never breaks.  With ReLU, N(0,1/m) and the normalized uniform\n"
           "   lose variance layer after layer (ReLU zeroes half of it) while N(0,2/m) keeps it;\n"
           "   with tanh (slope below 1 away from 0) N(0,1/m) shrinks slowly and N(0,2/m) holds up.\n",
           distinct, distinct == 1 ? "" : "s");
    /* st[0] tanh, st[1] relu; the ratio of the last hidden layer's spread to the first's */
    int zero_all = 1;
    for (int a = 0; a < 2; a++)
        zero_all = zero_all && st[a][INIT_ZERO].act_std[depth] == 0 && st[a][INIT_ZERO].grad_std[1] == 0;
    nn_claim(zero_all && distinct == 1, "zero-init-symmetry",
             "zero initialization: activations and hidden gradients exactly 0, and %d distinct hidden unit%s after "
             "3 epochs", distinct, distinct == 1 ? "" : "s");
#define KEPT(a, i) (st[a][i].act_std[depth] / st[a][i].act_std[1])
    nn_claim(KEPT(1, INIT_XAVIER) < 0.3 && KEPT(1, INIT_NORMALIZED) < 0.3 && KEPT(1, INIT_HE) > 0.5 &&
             KEPT(1, INIT_HE) < 2, "relu-init-variance",
             "ReLU: std a^last / std a^1 is %.2f for N(0,1/m) and %.2f for the normalized uniform, %.2f for "
             "N(0,2/m)", KEPT(1, INIT_XAVIER), KEPT(1, INIT_NORMALIZED), KEPT(1, INIT_HE));
    nn_claim(KEPT(0, INIT_XAVIER) < 1 && KEPT(0, INIT_XAVIER) > 0.3 && KEPT(0, INIT_HE) > 0.8, "tanh-init-variance",
             "tanh: std a^last / std a^1 is %.2f for N(0,1/m) (shrinks slowly), %.2f for N(0,2/m) (holds up)",
             KEPT(0, INIT_XAVIER), KEPT(0, INIT_HE));
#undef KEPT

    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "init-statistics", 1100, 800) != NN_OK)
        nn_die_last();
    for (int a = 0; a < 2; a++) {
        FILE *f = nn_fig_data(&fig, nn_act_name(acts[a]),
                              "layer act_xavier act_he act_normalized grad_xavier grad_he grad_normalized");
        for (int l = 1; l <= depth + 1; l++) {
            fprintf(f, "%d", l);
            for (int i = INIT_XAVIER; i < INIT_COUNT; i++)
                fprintf(f, " %.6g", log_clamp(st[a][i].act_std[l]));
            for (int i = INIT_XAVIER; i < INIT_COUNT; i++)
                fprintf(f, " %.6g", log_clamp(st[a][i].grad_std[l]));
            fprintf(f, "\n");
        }
    }
    nn_fig_cmd(&fig, "set multiplot layout 2,2 title 'Per-layer statistics under each initialization "
                     "(zero: all exactly 0, not drawn on a log scale)'");
    nn_fig_cmd(&fig, "set logscale y; set xlabel 'layer l (%d: the output layer, its logits z)'; set key bottom left",
               depth + 1);
    for (int a = 0; a < 2; a++) {
        const char *name = nn_act_name(acts[a]);
        nn_fig_cmd(&fig, "set title '%s: std of the activations a^l'", name);
        nn_fig_cmd(&fig, "data = '%s'", nn_fig_path(&fig, name));
        nn_fig_cmd(&fig, "plot data using 1:2 with linespoints ls 1 title 'N(0,1/m)', "
                         "data using 1:3 with linespoints ls 2 title 'N(0,2/m)', "
                         "data using 1:4 with linespoints ls 3 title 'U(+-sqrt(6/(m+n)))'");
        nn_fig_cmd(&fig, "set title '%s: std of the gradients dL/dW^l'", name);
        nn_fig_cmd(&fig, "plot data using 1:5 with linespoints ls 1 title 'N(0,1/m)', "
                         "data using 1:6 with linespoints ls 2 title 'N(0,2/m)', "
                         "data using 1:7 with linespoints ls 3 title 'U(+-sqrt(6/(m+n)))'");
    }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* ======================================================================
 * Section 7. Exploding and vanishing gradients, cliffs, and clipping
 * ======================================================================
 *
 * Deck 001's example: n linear layers with the same diagonal weight matrix,
 *     h^1 = W x,  h^i = W h^(i-1),  W = [[a, 0], [0, b]],  so  h^n = [a^n x_1, b^n x_2].
 * With x = (1, 1), the gradient of the output y = h^n with respect to the
 * weights is  (dh^n_1/da, dh^n_2/db) = (n a^(n-1), n b^(n-1)):
 *
 *   a = 1,   b = 2:    y -> (1, 2^n),  gradient (n, n 2^(n-1))   explodes
 *   a = 0.5, b = 0.9:  y -> (0, 0),    gradient -> (0, 0)        vanishes, eventually
 *
 * "Eventually" matters.  n b^(n-1) is a product of two factors: n, because
 * the shared weight b acts in all n layers and each contributes one term to
 * its gradient, and b^(n-1), the signal that survives n - 1 layers.  The
 * first grows linearly, the second shrinks geometrically, and the product
 * first rises: its logarithm log n + (n - 1) log b has derivative
 * 1/n - log(1/b), zero at
 *
 *     n* = 1 / log(1/b) = 9.49 for b = 0.9     (1.44 for a = 0.5),
 *
 * so dy/db climbs to about 3.9 at n = 9 and 10 and is still above 1 at
 * n = 30.  Only well past n* does the geometric factor win; the run below
 * goes to depth 150, where dy/db is about 2e-5.  The closer b is to 1, the
 * later the peak (n* = 99.5 for b = 0.99): a layer that shrinks its input
 * only a little lets the gradient grow with depth for a long time before it
 * vanishes.  The claims the run checks: the peak is at the integer next to
 * n*, and by the last depth the gradient is below 1e-4 of its peak.
 *
 * A deep network multiplies its gradient by one Jacobian per layer in the
 * same way; when their sizes stay away from 1 the product explodes or
 * vanishes exponentially in depth.  Below, the gradient is computed by
 * backpropagation through the n layers (the weight is shared, so its
 * gradient is the sum of one term per layer), and the figure shows it
 * against depth.  Nothing but a better-scaled network (initialization,
 * section 6; normalization, section 8; ReLU instead of saturating units)
 * cures the vanishing gradient.  The exploding one has a cheap remedy,
 * clipping, shown on a cliff after the table. */
static void diagonal_chain_gradient(double a, double b, const double x[2], int n, double y[2], double grad[2])
{
    double *h1 = nn_doubles((size_t)n + 1), *h2 = nn_doubles((size_t)n + 1);
    h1[0] = x[0];
    h2[0] = x[1];
    for (int i = 1; i <= n; i++) {
        h1[i] = a * h1[i - 1];
        h2[i] = b * h2[i - 1];
    }
    y[0] = h1[n];
    y[1] = h2[n];
    /* delta_k = dy_k / dh^i_k, starting from 1 at the output; going down:
     * in the forward pass this was: h^i_1 = a h^(i-1)_1; so dy_1/da gains
     * delta_1 h^(i-1)_1 and delta_1 becomes delta_1 a. */
    double delta1 = 1, delta2 = 1;
    grad[0] = grad[1] = 0;
    for (int i = n; i >= 1; i--) {
        grad[0] += delta1 * h1[i - 1];
        grad[1] += delta2 * h2[i - 1];
        delta1 *= a;
        delta2 *= b;
    }
    free(h1);
    free(h2);
}

/* Gradient clipping (deck 001): if ||g|| > u, g = g u / ||g||.  The step
 * keeps its direction and loses its excess length, so one cliff in the loss
 * cannot throw the weights across the landscape. */
static void deck_clip(double *g, int n, double u)
{
    double norm = 0;
    for (int i = 0; i < n; i++)
        norm += g[i] * g[i];
    norm = sqrt(norm);
    if (norm > u)
        for (int i = 0; i < n; i++)
            g[i] = g[i] * u / norm;
}

/* A cliff, made of the example above.  Fit the exploding chain's second
 * output to a target: the loss of the depth-n chain with weight b,
 *
 *     E(b) = (b^n - t)^2 / 2,      dE/db = (b^n - t) n b^(n-1),
 *
 * with n = 30 and t = 2, is minimal at b* = t^(1/n) = 1.0234.  Its
 * curvature there is E''(b*) = (n b*^(n-1))^2, about 3400, so gradient
 * descent is stable near b* for rates below 2 / E''(b*) = 5.9e-4; CLIFF_LR
 * = 1e-4 is a comfortable choice.  But the loss is a cliff: at b = 1.2,
 * 0.18 to the right, b^n is already 237 and the gradient 1.4e6, so the first
 * step of that same rate moves b by 140, to where b^30 is 1e64 and the
 * loss 1e128: the run has diverged in one step.  Clipping the gradient to norm CLIFF_CLIP = 10 caps
 * every step at CLIFF_LR CLIFF_CLIP = 1e-3: gradient descent walks down
 * the cliff face in small steps and, once the gradient is below the cap near
 * b*, is plain gradient descent again.  Both runs are measured below: the
 * unclipped one diverges, the clipped one converges. */
enum { CLIFF_DEPTH = 30, CLIFF_MAX_STEPS = 2000 };
#define CLIFF_TARGET 2.0
#define CLIFF_START 1.2
#define CLIFF_LR 1e-4
#define CLIFF_CLIP 10.0

static double cliff_loss(double b, double *grad)
{
    double power = pow(b, CLIFF_DEPTH);
    *grad = (power - CLIFF_TARGET) * CLIFF_DEPTH * pow(b, CLIFF_DEPTH - 1);
    return 0.5 * (power - CLIFF_TARGET) * (power - CLIFF_TARGET);
}

typedef struct {
    long diverged_step;     /* 0: never */
    long converged_step;    /* first step with |b - b*| < 1e-6; -1: never */
    double first_step;      /* |b_1 - b_0| */
    double final_b;
    int n_path;             /* points in path (at most CLIFF_MAX_STEPS + 1) */
    double path[CLIFF_MAX_STEPS + 1];
} cliff_run;

static void run_cliff(double clip, cliff_run *run)
{
    double b = CLIFF_START, g, b_star = pow(CLIFF_TARGET, 1.0 / CLIFF_DEPTH);
    double E0 = cliff_loss(b, &g);
    run->diverged_step = 0;
    run->converged_step = -1;
    run->path[0] = b;
    run->n_path = 1;
    for (long t = 1; t <= CLIFF_MAX_STEPS; t++) {
        cliff_loss(b, &g);
        if (clip > 0)
            deck_clip(&g, 1, clip);
        double next = b - CLIFF_LR * g;
        if (t == 1)
            run->first_step = fabs(next - b);
        b = next;
        double E = cliff_loss(b, &g);
        if (!isfinite(E) || !isfinite(g) || E > 1e6 * E0) {
            run->diverged_step = t;
            break;
        }
        run->path[run->n_path++] = b;
        if (run->converged_step < 0 && fabs(b - b_star) < 1e-6)
            run->converged_step = t;
    }
    run->final_b = b;
}

static void section_exploding(int max_depth)
{
    const double x[2] = {1, 1};
    nn_say("\n7. Exploding and vanishing gradients: h^n = W^n x, W = diag(a, b), x = (1, 1)\n");
    nn_say("   %5s | %-28s | %-28s\n", "n", "a=1, b=2: dy/da, dy/db", "a=0.5, b=0.9: dy/da, dy/db");
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "exploding-vanishing", 1100, 480) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "n explode_a explode_b vanish_a vanish_b");
    double peak = 0, last = 0;
    int peak_n = 0;
    for (int n = 1; n <= max_depth; n++) {
        double y[2], g1[2], g2[2];
        diagonal_chain_gradient(1, 2, x, n, y, g1);
        diagonal_chain_gradient(0.5, 0.9, x, n, y, g2);
        fprintf(f, "%d %.8g %.8g %.8g %.8g\n", n, log_clamp(g1[0]), log_clamp(g1[1]), log_clamp(g2[0]),
                log_clamp(g2[1]));
        if (g2[1] > peak) {
            peak = g2[1];
            peak_n = n;
        }
        last = g2[1];
        if (n == 1 || n == 5 || n == 9 || n == 10 || n == 20 || n == 30 || n == 50 || n == 100 ||
            n == max_depth)
            nn_say("   %5d | %12.4g %15.4g | %12.4g %15.4g\n", n, g1[0], g1[1], g2[0], g2[1]);
    }
    double n_star = 1 / log(1 / 0.9);
    nn_say("   dy/db for b = 0.9 peaks at n = %d (n* = 1/log(1/0.9) = %.2f) at %.3f, and is %.2g at n = %d\n",
           peak_n, n_star, peak, last, max_depth);
    nn_claim(abs(peak_n - (int)lround(n_star)) <= 1, "vanishing-peak",
             "with b = 0.9 the gradient n b^(n-1) first grows, peaking at n = %d next to n* = 1/log(1/b) = %.2f",
             peak_n, n_star);
    nn_claim(max_depth >= 100 && last < 1e-4 * peak, "vanishing-deep",
             "by depth %d it has vanished: %.2g, below 1e-4 of its peak %.3f", max_depth, last, peak);
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title 'The diagonal-matrix example: gradient size against depth n'");
    nn_fig_cmd(&fig, "set xlabel 'depth n'; set ylabel '|dy/dweight| (log scale)'");
    nn_fig_cmd(&fig, "set logscale y; set format y nn_pow10; set key top left");
    nn_fig_cmd(&fig, "data = '%s'", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "set title 'a = 1, b = 2: explodes'");
    nn_fig_cmd(&fig, "plot data using 1:2 with lines ls 1 title 'dy/da = n a^(n-1) = n', "
                     "data using 1:3 with lines ls 2 title 'dy/db = n 2^(n-1)'");
    nn_fig_cmd(&fig, "set title 'a = 0.5, b = 0.9: vanishes, after a rise'");
    nn_fig_cmd(&fig, "set yrange [1e-6:30]; set key bottom left");
    nn_fig_cmd(&fig, "set arrow 1 from %g, graph 0 to %g, graph 1 nohead dt 2 lc rgb '#777777'", n_star, n_star);
    nn_fig_cmd(&fig, "set label 1 'n* = 1/log(1/0.9) = %.2f' at %g, graph 0.95 left offset 1,0", n_star, n_star);
    nn_fig_cmd(&fig, "plot data using 1:4 with lines ls 3 title 'dy/da = n 0.5^(n-1)', "
                     "data using 1:5 with lines ls 4 title 'dy/db = n 0.9^(n-1)'");
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();

    static cliff_run plain, clipped;
    run_cliff(0, &plain);
    run_cliff(CLIFF_CLIP, &clipped);
    double b_star = pow(CLIFF_TARGET, 1.0 / CLIFF_DEPTH), g;
    cliff_loss(b_star, &g);
    double curvature = pow(CLIFF_DEPTH * pow(b_star, CLIFF_DEPTH - 1), 2);
    nn_say("\n   A cliff: E(b) = (b^%d - %g)^2 / 2 from b = %g, minimum at b* = %.4f, stable rates below\n"
           "   2 / E''(b*) = %.2g; gradient descent with rate %g\n", CLIFF_DEPTH, CLIFF_TARGET, CLIFF_START, b_star,
           2 / curvature, CLIFF_LR);
    nn_say("   unclipped:              first step %.3g, diverged at step %ld\n", plain.first_step,
           plain.diverged_step);
    nn_say("   clipped to ||g|| <= %g: first step %.3g, |b - b*| < 1e-6 after %ld steps\n", CLIFF_CLIP,
           clipped.first_step, clipped.converged_step);
    nn_claim(plain.diverged_step > 0 && plain.diverged_step <= 3, "cliff-unclipped-diverges",
             "unclipped, one step from the cliff face moves b by %.3g and the run diverges at step %ld",
             plain.first_step, plain.diverged_step);
    nn_claim(!clipped.diverged_step && clipped.converged_step > 0, "cliff-clipped-converges",
             "clipped to ||g|| <= %g, the same rate reaches |b - b*| < 1e-6 in %ld steps", CLIFF_CLIP,
             clipped.converged_step);

    if (nn_fig_begin(&fig, CHAPTER, "cliff") != NN_OK)
        nn_die_last();
    f = nn_fig_data(&fig, "loss", "b E(b)");
    for (int k = 0; k <= 400; k++) {
        double b = 0.9 + 0.35 * k / 400;
        fprintf(f, "%.8g %.8g\n", b, log_clamp(cliff_loss(b, &g)));
    }
    f = nn_fig_data(&fig, "path", "step b E(b) (clipped gradient descent)");
    for (int t = 0; t < clipped.n_path; t++)
        fprintf(f, "%d %.8g %.8g\n", t, clipped.path[t], log_clamp(cliff_loss(clipped.path[t], &g)));
    nn_fig_cmd(&fig, "set title 'A cliff: E(b) = (b^{%d} - %g)^2/2, gradient descent with rate %g from b = %g'",
               CLIFF_DEPTH, CLIFF_TARGET, CLIFF_LR, CLIFF_START);
    nn_fig_cmd(&fig, "set xlabel 'weight b'; set ylabel 'E(b) (log scale)'");
    nn_fig_cmd(&fig, "set logscale y; set format y nn_pow10; set key top left");
    nn_fig_cmd(&fig, "set xrange [0.9:1.25]; set yrange [1e-12:1e6]");
    nn_fig_cmd(&fig, "set label 1 \"unclipped: the first step moves b by %.0f,\\nfar out of the frame; "
                     "the run diverges at step %ld\" at graph 0.42, graph 0.3 left",
               plain.first_step, plain.diverged_step);
    nn_fig_cmd(&fig, "set arrow 1 from first %g, graph 0.12 to first %g, graph 0.12 lc rgb '#D55E00' lw 2",
               CLIFF_START, 0.91);
    nn_fig_cmd(&fig, "set label 2 'b*' at %g, graph 0.06 left offset 0.5,0", b_star);
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines ls 8 lw 1.5 title 'E(b)', \\", nn_fig_path(&fig, "loss"));
    nn_fig_cmd(&fig, "     '%s' using 2:3 with linespoints ls 1 pi 10 title 'clipped to ||g|| <= %g: %ld steps to b*', \\",
               nn_fig_path(&fig, "path"), CLIFF_CLIP, clipped.converged_step);
    nn_fig_cmd(&fig, "     keyentry with vectors lc rgb '#D55E00' lw 2 title 'unclipped first step (towards b = %.0f)'",
               CLIFF_START - plain.first_step);
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* ======================================================================
 * Section 8. Feature normalization and batch normalization
 * ======================================================================
 *
 * Feature normalization (deck 001): x' = (x - mu) / sigma per feature, with
 * mu and sigma of the training set, so that every feature has mean 0 and
 * variance 1.  Why it "speeds up learning": the Hessian of section 2's
 * regression loss is H = (2/m) X^T X; with raw features measured in years,
 * mg/dl and mm Hg its eigenvalues span many orders of magnitude, the stable
 * learning rate is set by the largest (2 / lambda_max) and progress along
 * the smallest is then hopelessly slow: the ravine of section 4, stretched.
 * Standardized, the eigenvalues are those of the correlation matrix.
 *
 * The run: for raw and standardized diabetes features, find the largest
 * learning rate of the grid 1, 0.3, 0.1, 0.03, ... that does not diverge
 * (the library reports the divergences), and train with it.  Beside it the
 * run prints what decides that rate: lambda_max, 2 / lambda_max, lambda_min
 * and the condition number lambda_max / lambda_min of H for both, and it
 * checks two claims: in both cases the largest stable rate of the grid sits
 * just below 2 / lambda_max (the grid's next rate is above it), and
 * standardizing cuts the condition number by more than a factor 1000 and
 * ends lower. */
static double best_stable_run(const regression_data *r, int epochs, uint64_t seed, double *loss, double *lr_found,
                              int *tried)
{
    double lr = 1;
    *tried = 0;
    for (int k = 0; k < 30; k++) {
        lr = pow(10.0, -(k / 2)) * (k % 2 ? 0.3 : 1);       /* 1, 0.3, 0.1, 0.03, ... */
        (*tried)++;
        lr_result res = learning_rate_run(r, lr, 0, epochs, seed, loss, NULL);
        if (!res.diverged_step) {
            *lr_found = lr;
            return res.final_loss;
        }
    }
    nn_die(1, "no stable learning rate down to %g: the data must be broken", lr);
}

/* Batch normalization (deck 001), in the deck's letters: for a mini-batch
 * H (N rows, K units),
 *     mu = (1/N) sum_i H_i,:       sigma = sqrt((1/N) sum_i (H - mu)_i^2 + delta)
 *     H' = (H - mu) / sigma,       out = gamma H' + beta
 * The backward pass, one chain-rule step per forward line, from the output
 * back (the library's nn_batchnorm_backward folds these into one formula;
 * tests/ch03/test-ch03-units.c checks both agree):
 *     dH'_i    = dout_i gamma                               (out = gamma H' + beta)
 *     dgamma  += sum_i dout_i H'_i,  dbeta += sum_i dout_i
 *     dsigma   = sum_i dH'_i (H_i - mu) (-1 / sigma^2)       (H' = (H - mu) / sigma)
 *     dmu      = sum_i dH'_i (-1 / sigma) + dsigma dsigma/dmu, and
 *                dsigma/dmu = -(1 / (N sigma)) sum_i (H_i - mu) = 0
 *     dH_i     = dH'_i / sigma + dsigma (H_i - mu) / (N sigma) + dmu / N */
static void deck_batchnorm_forward(double *out, double *mu, double *sigma, const double *H, const double *gamma,
                                   const double *beta, int N, int K, double delta)
{
    for (int k = 0; k < K; k++) {
        mu[k] = 0;
        for (int i = 0; i < N; i++)
            mu[k] += H[i * K + k] / N;
        double var = 0;
        for (int i = 0; i < N; i++)
            var += (H[i * K + k] - mu[k]) * (H[i * K + k] - mu[k]) / N;
        sigma[k] = sqrt(var + delta);
        for (int i = 0; i < N; i++)
            out[i * K + k] = gamma[k] * (H[i * K + k] - mu[k]) / sigma[k] + beta[k];
    }
}

static void deck_batchnorm_backward(double *dH, double *dgamma, double *dbeta, const double *dout, const double *H,
                                    const double *gamma, const double *mu, const double *sigma, int N, int K)
{
    for (int k = 0; k < K; k++) {
        double dsigma = 0, dmu = 0, centred_sum = 0;
        for (int i = 0; i < N; i++) {
            double centred = H[i * K + k] - mu[k];
            double dHn = dout[i * K + k] * gamma[k];
            dgamma[k] += dout[i * K + k] * centred / sigma[k];
            dbeta[k] += dout[i * K + k];
            dsigma += dHn * centred * (-1 / (sigma[k] * sigma[k]));
            dmu += -dHn / sigma[k];
            centred_sum += centred;
        }
        dmu += dsigma * (-centred_sum / (N * sigma[k]));
        for (int i = 0; i < N; i++) {
            double centred = H[i * K + k] - mu[k];
            dH[i * K + k] += dout[i * K + k] * gamma[k] / sigma[k] + dsigma * centred / (N * sigma[k]) + dmu / N;
        }
    }
}

/* The deck's batch norm (double) against the library's (float) on a random
 * batch of N rows, K units: the largest relative differences of the outputs
 * and of the gradients (d_in, d_gamma, d_beta together). */
static void compare_batchnorm_forms(int N, int K, uint64_t seed, double *forward_diff, double *backward_diff)
{
    nn_rng rng = nn_rng_new(seed);
    size_t NK = (size_t)N * K;
    float *H = nn_floats(NK), *dout = nn_floats(NK), *gamma = nn_floats((size_t)K), *beta = nn_floats((size_t)K);
    nn_rng_fill_normal(&rng, H, NK, 2, 3);
    nn_rng_fill_normal(&rng, dout, NK, 0, 1);
    nn_rng_fill_normal(&rng, gamma, (size_t)K, 1, 0.5);
    nn_rng_fill_normal(&rng, beta, (size_t)K, 0, 0.5);
    double *Hd = nn_doubles(NK), *doutd = nn_doubles(NK), *gd = nn_doubles((size_t)K), *bd = nn_doubles((size_t)K);
    for (size_t i = 0; i < NK; i++) {
        Hd[i] = H[i];
        doutd[i] = dout[i];
    }
    for (int k = 0; k < K; k++) {
        gd[k] = gamma[k];
        bd[k] = beta[k];
    }
    double *out_d = nn_doubles(NK), *mu = nn_doubles((size_t)K), *sigma = nn_doubles((size_t)K);
    double *dH_d = nn_doubles(NK), *dgamma_d = nn_doubles((size_t)K), *dbeta_d = nn_doubles((size_t)K);
    deck_batchnorm_forward(out_d, mu, sigma, Hd, gd, bd, N, K, NN_BN_EPS);
    deck_batchnorm_backward(dH_d, dgamma_d, dbeta_d, doutd, Hd, gd, mu, sigma, N, K);

    float *out = nn_floats(NK), *mean = nn_floats((size_t)K), *rstd = nn_floats((size_t)K);
    float *dH = nn_floats(NK), *dgamma = nn_floats((size_t)K), *dbeta = nn_floats((size_t)K);
    if (nn_batchnorm_forward(out, mean, rstd, H, gamma, beta, NULL, NULL, N, K, NN_BN_MOMENTUM, NN_BN_EPS) != NN_OK)
        nn_die_last();
    nn_batchnorm_backward(dH, dgamma, dbeta, dout, H, gamma, mean, rstd, N, K);

    double *lib = nn_doubles(NK + 2 * (size_t)K), *deck = nn_doubles(NK + 2 * (size_t)K);
    for (size_t i = 0; i < NK; i++) {
        lib[i] = out[i];
        deck[i] = out_d[i];
    }
    *forward_diff = nn_rel_error(lib, deck, NK, NULL);
    for (size_t i = 0; i < NK; i++) {
        lib[i] = dH[i];
        deck[i] = dH_d[i];
    }
    for (int k = 0; k < K; k++) {
        lib[NK + k] = dgamma[k];
        deck[NK + k] = dgamma_d[k];
        lib[NK + K + k] = dbeta[k];
        deck[NK + K + k] = dbeta_d[k];
    }
    *backward_diff = nn_rel_error(lib, deck, NK + 2 * (size_t)K, NULL);
    float *floats[] = {H, dout, gamma, beta, out, mean, rstd, dH, dgamma, dbeta};
    for (size_t i = 0; i < sizeof floats / sizeof *floats; i++)
        free(floats[i]);
    double *doubles[] = {Hd, doutd, gd, bd, out_d, mu, sigma, dH_d, dgamma_d, dbeta_d, lib, deck};
    for (size_t i = 0; i < sizeof doubles / sizeof *doubles; i++)
        free(doubles[i]);
}

/* Batch normalization in training: the same deep sigmoid network with and
 * without it, plain SGD.  Sigmoid units saturate and their derivative is at
 * most 1/4, so gradients shrink layer by layer (section 7); normalizing each
 * layer's input keeps the units in their responsive range.  At test time the
 * network uses the running statistics, not the test batch's own. */
static void section_normalization(const nn_dataset *diabetes, const nn_dataset *train, const nn_dataset *test,
                                  int epochs_regression, int epochs_bn, uint64_t seed)
{
    nn_say("\n8. Feature normalization: SGD on the diabetes regression, raw vs standardized features\n");
    regression_data raw, standard;
    nn_dataset copy = *diabetes;
    copy.x = nn_floats((size_t)diabetes->n * diabetes->d);
    nn_copy(copy.x, diabetes->x, (size_t)diabetes->n * diabetes->d);
    regression_from_dataset(&raw, &copy, 1);
    nn_standardize(&copy, &copy, NULL);
    regression_from_dataset(&standard, &copy, 1);
    free(copy.x);
    double *loss_raw = nn_doubles((size_t)epochs_regression + 1), *loss_std = nn_doubles((size_t)epochs_regression + 1);
    double lr_raw, lr_std;
    int tried_raw, tried_std;
    double final_raw = best_stable_run(&raw, epochs_regression, seed, loss_raw, &lr_raw, &tried_raw);
    double final_std = best_stable_run(&standard, epochs_regression, seed, loss_std, &lr_std, &tried_std);
    nn_say("   raw features:          largest stable lr %-8g (%d rates tried), E after %d epochs %.4f\n", lr_raw,
           tried_raw, epochs_regression, final_raw);
    nn_say("   standardized features: largest stable lr %-8g (%d rates tried), E after %d epochs %.4f\n", lr_std,
           tried_std, epochs_regression, final_std);
    /* The eigenvalues behind it: the grid's largest stable rate should sit
     * just below 2 / lambda_max, and the grid's next rate above it. */
    hessian_summary h_raw = summarize_hessian(&raw), h_std = summarize_hessian(&standard);
    nn_say("   Hessian (2/m) X^T X:   %12s %12s %12s %12s\n", "lambda_max", "2/lambda_max", "lambda_min", "condition");
    nn_say("   raw features:          %12.4g %12.4g %12.4g %12.3g\n", h_raw.lambda_max, h_raw.stable_below,
           h_raw.lambda_min, h_raw.condition);
    nn_say("   standardized features: %12.4g %12.4g %12.4g %12.3g\n", h_std.lambda_max, h_std.stable_below,
           h_std.lambda_min, h_std.condition);
    /* the grid steps down by 1/0.3 and 0.3/0.1 alternately: the next larger
     * rate is lr / 0.3 after a 0.3, and lr * 10/3 after a power of ten */
    double next_raw = fabs(lr_raw / pow(10, floor(log10(lr_raw) + 1e-9)) - 1) < 1e-6 ? lr_raw * 3 : lr_raw / 0.3;
    double next_std = fabs(lr_std / pow(10, floor(log10(lr_std) + 1e-9)) - 1) < 1e-6 ? lr_std * 3 : lr_std / 0.3;
    nn_claim(lr_raw < h_raw.stable_below && h_raw.stable_below < next_raw && lr_std < h_std.stable_below &&
             h_std.stable_below < next_std, "stable-rate-is-2-over-lambda-max",
             "the largest stable rate of the grid sits just below 2 / lambda_max, raw (%g < %.3g < %g) and "
             "standardized (%g < %.3g < %g)", lr_raw, h_raw.stable_below, next_raw, lr_std, h_std.stable_below,
             next_std);
    nn_claim(h_std.condition * 1000 < h_raw.condition && final_std < final_raw, "standardizing-conditions",
             "standardizing cuts the condition number from %.3g to %.3g, and the loss after %d epochs from %.4f "
             "to %.4f", h_raw.condition, h_std.condition, epochs_regression, final_raw, final_std);
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "feature-normalization") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "epoch raw standardized");
    for (int e = 0; e <= epochs_regression; e++)
        fprintf(f, "%d %.8g %.8g\n", e, log_clamp(loss_raw[e]), log_clamp(loss_std[e]));
    nn_fig_cmd(&fig, "set title 'Feature normalization: SGD at the largest stable rate of each'");
    nn_fig_cmd(&fig, "set xlabel 'epoch'; set ylabel 'training loss E(w) (target standardized)'");
    nn_fig_cmd(&fig, "set logscale y");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines ls 2 title 'raw features (lr %g)', "
                     "'' using 1:3 with lines ls 1 title 'standardized (lr %g)'",
               nn_fig_path(&fig, NULL), lr_raw, lr_std);
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
    free(loss_raw);
    free(loss_std);
    regression_free(&raw);
    regression_free(&standard);

    double forward_diff, backward_diff;
    compare_batchnorm_forms(32, 16, seed, &forward_diff, &backward_diff);
    nn_say("\n   Batch normalization in the deck's letters (double) against lib/batchnorm.c (float),\n"
           "   a batch of 32 x 16: relative difference %.1e forward, %.1e backward\n", forward_diff,
           backward_diff);

    enum { DEPTH = 4, WIDTH = 64, BATCH = 32 };
    nn_say("\n   Batch normalization: %d sigmoid hidden layers of %d on the digits, SGD lr 0.1, %d epochs\n", DEPTH,
           WIDTH, epochs_bn);
    int widths[DEPTH + 2];
    widths[0] = train->d;
    for (int l = 1; l <= DEPTH; l++)
        widths[l] = WIDTH;
    widths[DEPTH + 1] = 10;
    train_result res[2];
    for (int bn = 0; bn < 2; bn++) {
        nn_rng rng = nn_rng_new(seed);
        mlp net;
        mlp_init(&net, DEPTH + 1, widths, NN_SIGMOID, bn, INIT_XAVIER, 256, &rng);
        nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.1);
        res[bn] = mlp_train(&net, train, test, &cfg, epochs_bn, BATCH, seed + 1);
        nn_say("   %-22s loss after epoch 1 %.4f, after %d %.4f, test accuracy %.1f%%%s\n",
               bn ? "with batch norm:" : "without:", res[bn].loss[1], epochs_bn, res[bn].loss[epochs_bn],
               100 * res[bn].test_accuracy, bn ? " (running statistics)" : "");
        mlp_free(&net);
    }
    nn_claim(res[1].loss[epochs_bn] < 0.5 * res[0].loss[epochs_bn] && res[1].test_accuracy > res[0].test_accuracy + 0.2,
             "batchnorm-trains-deep-sigmoid",
             "after %d epochs the sigmoid network with batch norm has loss %.4f and test accuracy %.1f%%, without "
             "%.4f and %.1f%%", epochs_bn, res[1].loss[epochs_bn], 100 * res[1].test_accuracy, res[0].loss[epochs_bn],
             100 * res[0].test_accuracy);
    if (nn_fig_begin(&fig, CHAPTER, "batchnorm") != NN_OK)
        nn_die_last();
    f = nn_fig_data(&fig, NULL, "epoch without with_batchnorm");
    for (int e = 0; e <= epochs_bn; e++)
        fprintf(f, "%d %.8g %.8g\n", e, log_clamp(res[0].loss[e]), log_clamp(res[1].loss[e]));
    nn_fig_cmd(&fig, "set title 'Batch normalization: %d sigmoid layers, SGD lr 0.1, same seed'", DEPTH);
    nn_fig_cmd(&fig, "set xlabel 'epoch'; set ylabel 'training cross-entropy'");
    nn_fig_cmd(&fig, "set logscale y");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 2 pi 2 title 'without', "
                     "'' using 1:3 with linespoints ls 1 pi 2 title 'with batch norm'",
               nn_fig_path(&fig, NULL));
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
    free(res[0].loss);
    free(res[1].loss);
}

/* ======================================================================
 * The program
 * ====================================================================== */
static const char *const sections[] = {"all", "gd", "lr-test", "optimizers", "paths", "digits", "init",
                                       "gradients", "normalization", NULL};

static int wanted(const char *only, const char *section) { return !strcmp(only, "all") || !strcmp(only, section); }

#ifndef CH03_NO_MAIN
int main(int argc, char **argv)
{
    int full = 0, epochs = 0, steps = 0;
    double lr = 0;
    const char *only = "all";
    nn_option options[] = {
        NN_OPT_FLAG("full", "longer runs: more epochs and steps, a deeper network", &full),
        NN_OPT_CHOICE("only", "SECTION", "run one section of the chapter", &only, sections),
        NN_OPT_DOUBLE("lr", "RATE", "run only the learning-rate test, at this rate; a rate that diverges exits 1 "
                      "(unset: the decks' 1, 0.1 and 0.01, in the whole program)", &lr,
                      1e-9, 1e6),
        NN_OPT_INT("epochs", "N", "epochs on the digits (unset: 15, or 60 with --full)", &epochs, 1, 10000),
        NN_OPT_INT("steps", "N", "steps of each trajectory (unset: 1000, or 5000 with --full)", &steps, 1, 1000000),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch03-optimizers", "gradient descent, momentum, adaptive rates, initialization "
                 "and normalization", options, &common);
    if (lr > 0 && strcmp(only, "all") && strcmp(only, "lr-test"))
        nn_usage_error("--lr sets the rate of the learning-rate test: use it with --only lr-test (or alone)");
    if (!epochs)
        epochs = full ? 60 : 15;
    if (!steps)
        steps = full ? 5000 : 1000;
    int regression_epochs = full ? 200 : 50;

    nn_say("Chapter 3: optimizers (seed %llu%s)\n", (unsigned long long)common.seed, full ? ", full run" : "");
    nn_dataset diabetes;
    if (nn_load_diabetes(&diabetes, NULL) != NN_OK)
        nn_die_last();
    nn_dataset diabetes_std = diabetes;
    diabetes_std.x = nn_floats((size_t)diabetes.n * diabetes.d);
    nn_copy(diabetes_std.x, diabetes.x, (size_t)diabetes.n * diabetes.d);
    nn_standardize(&diabetes_std, &diabetes_std, NULL);
    regression_data regression;
    regression_from_dataset(&regression, &diabetes_std, 1);
    free(diabetes_std.x);

    if (lr > 0) {
        /* Only the learning-rate test, with the rate asked for. */
        section_learning_rate_test(&regression, &lr, 1, regression_epochs, common.seed, 1);
        regression_free(&regression);
        nn_dataset_free(&diabetes);
        return 0;
    }
    if (wanted(only, "gd"))
        section_gradient_descent(&regression, regression_epochs, common.seed);
    if (wanted(only, "lr-test")) {
        static const double rates[3] = {1, 0.1, 0.01};
        section_learning_rate_test(&regression, rates, 3, regression_epochs, common.seed, 0);
    }
    if (wanted(only, "optimizers"))
        section_deck_forms(200);
    if (wanted(only, "paths"))
        section_paths(steps);
    nn_dataset train = {0}, test = {0};
    if (wanted(only, "digits") || wanted(only, "init") || wanted(only, "normalization"))
        load_digits_split(&train, &test, common.seed);
    if (wanted(only, "digits"))
        section_digits(&train, &test, epochs, full ? 128 : 64, common.seed);
    if (wanted(only, "init"))
        section_initialization(&train, &test, full ? 10 : 8, common.seed);
    if (wanted(only, "gradients"))
        section_exploding(full ? 300 : 150);
    if (wanted(only, "normalization"))
        section_normalization(&diabetes, &train, &test, regression_epochs, full ? 60 : epochs, common.seed);
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    nn_dataset_free(&diabetes);
    regression_free(&regression);
    nn_say("\nFigures: %s/plots/%s/*.gp (render with gnuplot, or make figures)\n", common.out_dir, CHAPTER);
    return 0;
}
#endif
