/* Tests of chapter 9's exercises (exercises/09-shap/ex09-shap.c).
 *
 * Expected values come from independent truths: deck 000's weights and the
 * income example worked by hand, the Shapley value as the average over all
 * M! orders of the features (a different formula from the one the exercise
 * asks for), log-gamma for large factorials, definitions recomputed here in
 * their own loops (with the test's own network code), and numpy's
 * percentile rule applied to a list sorted with qsort.  None is copied from
 * the solution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex09-shap.h"

/* ---- 9.1: the weight of a coalition ------------------------------------------- */

static void ex_9_1(void)
{
    double got[3] = {ex_shapley_weight(0, 3), ex_shapley_weight(1, 3), ex_shapley_weight(2, 3)};
    double want[3] = {1.0 / 3, 1.0 / 6, 1.0 / 3};
    nn_ex_note("entries: w(0, 3), w(1, 3), w(2, 3)");
    nn_ex_close_doubles(got, want, 3, 1e-12, 0, "the weights of deck 000 for three features: 1/3, 1/6, 1/3");

    /* 0! 3! / 4! = 1/4, 1! 2! / 4! = 1/12, 2! 1! / 4! = 1/12, 3! 0! / 4! = 1/4. */
    double got4[4], want4[4] = {0.25, 1.0 / 12, 1.0 / 12, 0.25};
    for (int s = 0; s < 4; s++)
        got4[s] = ex_shapley_weight(s, 4);
    nn_ex_note("entries: w(s, 4) for s = 0..3");
    nn_ex_close_doubles(got4, want4, 4, 1e-12, 0, "four features: 1/4, 1/12, 1/12, 1/4");

    /* Sum over s of C(19, s) w(s, 20) = 1: the coalitions without i. */
    double sum = 0, binom = 1;
    for (int s = 0; s < 20; s++) {
        sum += binom * ex_shapley_weight(s, 20);
        binom = binom * (19 - s) / (s + 1);
    }
    nn_ex_note("sum over s of C(19, s) w(s, 20)");
    nn_ex_close(sum, 1, 1e-10, 0, "the weights of every coalition without i sum to 1 (M = 20)");

    double big[3] = {ex_shapley_weight(25, 50), ex_shapley_weight(0, 50), ex_shapley_weight(40, 50)}, want_big[3];
    const int s_big[3] = {25, 0, 40};
    for (int k = 0; k < 3; k++)
        want_big[k] = exp(lgamma(s_big[k] + 1.0) + lgamma(50.0 - s_big[k]) - lgamma(51.0));
    nn_ex_note("entries: w(25, 50), w(0, 50), w(40, 50) (from log-gamma)");
    nn_ex_close_doubles(big, want_big, 3, 1e-9, 0, "no overflow at M = 50");
}

/* ---- 9.2: Shapley values from a table ------------------------------------------ */

/* The average over all M! orders (Heap's algorithm) of each feature's
 * marginal contribution when it joins the features before it. */
static void shapley_by_orders(double *phi, const double *v, int M)
{
    int perm[8], c[8] = {0}, count = 0;
    for (int i = 0; i < M; i++) {
        perm[i] = i;
        phi[i] = 0;
    }
    for (;;) {
        unsigned S = 0;
        for (int k = 0; k < M; k++) {
            phi[perm[k]] += v[S | 1u << perm[k]] - v[S];
            S |= 1u << perm[k];
        }
        count++;
        int i = 1;
        while (i < M && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= M)
            break;
        int j = (i % 2) ? c[i] : 0;
        int t = perm[j];
        perm[j] = perm[i];
        perm[i] = t;
        c[i]++;
    }
    for (int i = 0; i < M; i++)
        phi[i] /= count;
}

static void ex_9_2(void)
{
    /* Deck 000's example with the chapter's income data: Age bit 0, Gender
     * bit 1, Job bit 2; v[S] = Predict_S(x0) in k$. */
    const double v[8] = {50, 40, 47.5, 37, 42.5, 33, 39, 30};
    double phi[3] = {0, 0, 0};
    ex_shapley_from_table(phi, v, 3);
    /* Age:    1/3 (40 - 50) + 1/6 (37 - 47.5) + 1/6 (33 - 42.5) + 1/3 (30 - 39)
     * Gender: 1/3 (47.5 - 50) + 1/6 (37 - 40) + 1/6 (39 - 42.5) + 1/3 (30 - 33)
     * Job:    1/3 (42.5 - 50) + 1/6 (33 - 40) + 1/6 (39 - 47.5) + 1/3 (30 - 37) */
    double want[3] = {-10.0 / 3 - 10.5 / 6 - 9.5 / 6 - 9.0 / 3, -2.5 / 3 - 3.0 / 6 - 3.5 / 6 - 3.0 / 3,
                      -7.5 / 3 - 7.0 / 6 - 8.5 / 6 - 7.0 / 3};
    nn_ex_note("v = (50, 40, 47.5, 37, 42.5, 33, 39, 30) indexed by mask (Age 1, Gender 2, Job 4)");
    nn_ex_close_doubles(phi, want, 3, 1e-12, 1e-12, "deck 000's income example worked by hand");

    enum { M = 5 };
    nn_ex_seed(9);
    nn_rng rng = nn_rng_new(9);
    double game[1 << M], got[M] = {0}, brute[M];
    for (int S = 0; S < (1 << M); S++)
        game[S] = nn_rng_range(&rng, -3, 3);
    ex_shapley_from_table(got, game, M);
    shapley_by_orders(brute, game, M);
    nn_ex_note("v(S) ~ U[-3, 3] for all 32 coalitions");
    nn_ex_close_doubles(got, brute, M, 1e-10, 1e-12, "a random 5-feature game against the average over all 120 orders");
    double total = 0;
    for (int i = 0; i < M; i++)
        total += got[i];
    nn_ex_note("sum of phi against v(all) - v({}) = %.6f", game[(1 << M) - 1] - game[0]);
    nn_ex_close(total, game[(1 << M) - 1] - game[0], 1e-10, 1e-12, "additivity: the values sum to v(all) - v({})");
}

/* ---- 9.3 and 9.4: the tiny network, written again here ------------------------- */

static double tiny_net(const ex_tiny_net *net, const double *x)
{
    double out = net->b2;
    for (int h = 0; h < net->H; h++) {
        double z = net->b1[h];
        for (int j = 0; j < net->d; j++)
            z += net->W1[h * net->d + j] * x[j];
        out += net->W2[h] * tanh(z);
    }
    return out;
}

static ex_tiny_net random_net(nn_rng *rng, int d, int H, int ignored)
{
    ex_tiny_net net;
    memset(&net, 0, sizeof net);
    net.d = d;
    net.H = H;
    for (int h = 0; h < H; h++) {
        for (int j = 0; j < d; j++)
            net.W1[h * d + j] = j == ignored ? 0 : nn_rng_range(rng, -1.5, 1.5);
        net.b1[h] = nn_rng_range(rng, -0.5, 0.5);
        net.W2[h] = nn_rng_range(rng, -2, 2);
    }
    net.b2 = 0.25;
    return net;
}

static double mse(const ex_tiny_net *net, const double *X, const double *y, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        double e = tiny_net(net, X + i * net->d) - y[i];
        s += e * e;
    }
    return s / n;
}

static void ex_9_3(void)
{
    /* By hand: H = 1, W1 = (1, 0), b1 = 0, W2 = 1, b2 = 0, so f(x) = tanh(x0).
     * Rows x = (0, 5) and (a, 7) with a = atanh(0.5), targets y = f(x)
     * exactly, and the permutation swapping the two rows: the shuffled
     * predictions are tanh(a) = 0.5 and tanh(0) = 0, the errors 0.5 and
     * -0.5, so the MSE goes from 0 to 0.25. */
    ex_tiny_net lin;
    memset(&lin, 0, sizeof lin);
    lin.d = 2;
    lin.H = 1;
    lin.W1[0] = 1;
    lin.W2[0] = 1;
    double a = atanh(0.5);
    double X[4] = {0, 5, a, 7}, y[2] = {0, 0.5};
    int swap[2] = {1, 0};
    nn_ex_note("f(x) = tanh(x0); rows (0, 5) and (atanh 0.5, 7), y = f(x); perm swaps the rows");
    nn_ex_close(ex_permutation_importance(&lin, X, y, 2, 0, swap), 0.25, 1e-12, 1e-12,
                "hand-worked: a linear net and two rows swapped");

    enum { N = 30, D = 4 };
    nn_ex_seed(33);
    nn_rng rng = nn_rng_new(33);
    ex_tiny_net net = random_net(&rng, D, 5, 3);
    double Xr[N * D], yr[N], original[N * D];
    int perm[N];
    for (int i = 0; i < N * D; i++)
        Xr[i] = nn_rng_range(&rng, -2, 2);
    for (int i = 0; i < N; i++)
        yr[i] = tiny_net(&net, Xr + i * D) + 0.3 * nn_rng_normal(&rng);
    nn_rng_permutation(&rng, perm, N);
    memcpy(original, Xr, sizeof Xr);
    double got[2], want[2];
    got[0] = ex_permutation_importance(&net, Xr, yr, N, 1, perm);
    got[1] = ex_permutation_importance(&net, Xr, yr, N, 3, perm);
    double Xp[N * D];
    memcpy(Xp, original, sizeof Xp);
    for (int i = 0; i < N; i++)
        Xp[i * D + 1] = original[perm[i] * D + 1];
    want[0] = mse(&net, Xp, yr, N) - mse(&net, original, yr, N);
    want[1] = 0;
    nn_ex_note("4 features, 5 hidden units, 30 rows; entries: importance of feature 1, of feature 3 (weights 0)");
    nn_ex_close_doubles(got, want, 2, 1e-10, 1e-12, "a random tiny net against the definition, and an ignored feature scores 0");
    double changed = 0;
    for (int i = 0; i < N * D; i++)
        changed = fmax(changed, fabs(Xr[i] - original[i]));
    double after[2] = {got[0], changed}, want_after[2] = {want[0], 0};
    nn_ex_note("entries: the importance of feature 1 again, then max |X after - X before|");
    nn_ex_close_doubles(after, want_after, 2, 1e-10, 0, "X is left unchanged");
}

static void ex_9_4(void)
{
    enum { N = 12, D = 3, G = 7 };
    nn_ex_seed(44);
    nn_rng rng = nn_rng_new(44);
    ex_tiny_net net = random_net(&rng, D, 6, -1);
    double X[N * D], original[N * D], grid[G];
    for (int i = 0; i < N * D; i++)
        X[i] = nn_rng_range(&rng, -1.5, 1.5);
    memcpy(original, X, sizeof X);
    for (int g = 0; g < G; g++)
        grid[g] = -1.5 + 0.5 * g;
    double ice[N * G] = {0}, pd[G] = {0}, want_ice[N * G];
    ex_ice_pd(ice, pd, &net, X, N, 2, grid, G);
    for (int r = 0; r < N; r++)
        for (int g = 0; g < G; g++) {
            double row[D];
            memcpy(row, original + r * D, sizeof row);
            row[2] = grid[g];
            want_ice[r * G + g] = tiny_net(&net, row);
        }
    nn_ex_note("3 features, 6 hidden units, 12 rows, feature 2 on a grid of 7 from -1.5 to 1.5");
    nn_ex_close_doubles(ice, want_ice, N * G, 1e-12, 1e-12, "ICE curves of a random tiny net against the definition");

    /* tanh(z) ~ z for tiny z: W2 = 1000, W1 = w/1000 makes f linear to ~1e-6
     * relative, f(x) = 0.5 + sum_j w_j x_j. */
    ex_tiny_net lin;
    memset(&lin, 0, sizeof lin);
    lin.d = D;
    lin.H = 1;
    const double w[D] = {0.7, -1.2, 2.0};
    for (int j = 0; j < D; j++)
        lin.W1[j] = w[j] / 1000;
    lin.W2[0] = 1000;
    lin.b2 = 0.5;
    double pd_lin[G] = {0}, want_pd[G], ice_lin[N * G], mean_pred = 0, mean_x0 = 0;
    ex_ice_pd(ice_lin, pd_lin, &lin, original, N, 0, grid, G);
    for (int r = 0; r < N; r++) {
        mean_pred += (0.5 + w[0] * original[r * D] + w[1] * original[r * D + 1] + w[2] * original[r * D + 2]) / N;
        mean_x0 += original[r * D] / N;
    }
    for (int g = 0; g < G; g++)
        want_pd[g] = mean_pred + w[0] * (grid[g] - mean_x0);
    nn_ex_note("f(x) = 0.5 + 0.7 x0 - 1.2 x1 + 2 x2 (tanh in its linear range); PD on x0");
    nn_ex_close_doubles(pd_lin, want_pd, G, 1e-4, 1e-4, "PD of a linear net: mean prediction plus w_j (z - mean x_j)");

    double changed = 0;
    for (int i = 0; i < N * D; i++)
        changed = fmax(changed, fabs(X[i] - original[i]));
    double got2[2] = {pd[G - 1], changed}, want2[2] = {0, 0};
    for (int r = 0; r < N; r++)
        want2[0] += want_ice[r * G + G - 1] / N;
    nn_ex_note("entries: PD at the last grid point, then max |X after - X before|");
    nn_ex_close_doubles(got2, want2, 2, 1e-12, 1e-12, "X is left unchanged");
}

/* ---- 9.5: a bootstrap percentile interval --------------------------------------- */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile's default rule on a qsort'ed copy. */
static double numpy_percentile(const double *values, int n, double q)
{
    double *s = malloc((size_t)n * sizeof *s);
    memcpy(s, values, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, compare_doubles);
    double pos = q * (n - 1);
    int lo = (int)floor(pos), hi = lo + 1 < n ? lo + 1 : lo;
    double out = s[lo] + (pos - lo) * (s[hi] - s[lo]);
    free(s);
    return out;
}

static void ex_9_5(void)
{
    /* x = (1, 2, 3, 10); resample means: (1,1,2,2) 1.5, (3,3,3,3) 3,
     * (10,10,10,1) 7.75, (2,3,10,1) 4, (1,2,2,3) 2.  Sorted: 1.5 2 3 4 7.75.
     * 2.5%: position 0.1 -> 1.5 + 0.1 (2 - 1.5) = 1.55;
     * 97.5%: position 3.9 -> 4 + 0.9 (7.75 - 4) = 7.375. */
    const double x[4] = {1, 2, 3, 10};
    const int draws[20] = {0, 0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 0, 1, 2, 3, 0, 0, 1, 1, 2};
    double lo = 0, hi = 0;
    ex_bootstrap_interval(&lo, &hi, x, 4, draws, 5, 0.95);
    double got[2] = {lo, hi}, want[2] = {1.55, 7.375};
    nn_ex_note("x = (1, 2, 3, 10), 5 given resamples; entries: lo, hi of the 95%% interval");
    nn_ex_close_doubles(got, want, 2, 1e-12, 1e-12, "hand-worked: 5 resamples of 4 values");

    enum { N = 25, B = 200 };
    nn_ex_seed(55);
    nn_rng rng = nn_rng_new(55);
    double data[N], means[B];
    int *idx = malloc((size_t)B * N * sizeof *idx);
    for (int i = 0; i < N; i++)
        data[i] = nn_rng_normal(&rng) * 3 + 10;
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int i = 0; i < N; i++) {
            idx[b * N + i] = (int)nn_rng_below(&rng, N);
            sum += data[idx[b * N + i]];
        }
        means[b] = sum / N;
    }
    ex_bootstrap_interval(&lo, &hi, data, N, idx, B, 0.95);
    double got2[2] = {lo, hi}, want2[2] = {numpy_percentile(means, B, 0.025), numpy_percentile(means, B, 0.975)};
    nn_ex_note("25 values ~ N(10, 9), 200 resamples; entries: lo, hi");
    nn_ex_close_doubles(got2, want2, 2, 1e-12, 1e-12, "200 resamples against an independent sort");

    double lo90 = 0, hi90 = 0;
    ex_bootstrap_interval(&lo90, &hi90, data, N, idx, B, 0.90);
    double got3[2] = {lo90, hi90}, want3[2] = {numpy_percentile(means, B, 0.05), numpy_percentile(means, B, 0.95)};
    nn_ex_note("the same resamples, level 0.90: entries lo, hi");
    nn_ex_close_doubles(got3, want3, 2, 1e-12, 1e-12, "a 90% interval: the 5th and 95th percentiles");
    free(idx);
}

int main(void)
{
    nn_ex_init("09-shap");
    nn_ex_hint(2, "w(s, M) = 1 / (M C(M-1, s)). Build C(M-1, s) as a running product: start at 1 and, for k = 1..s, "
                  "multiply by (M - 1 - s + k) / k; every partial product is itself a binomial coefficient, so "
                  "nothing overflows.");
    nn_ex_run("9.1", "The weight of a coalition",
              "What does the weight count? C(M-1, s) counts the coalitions of size s without i; how does w(s, M) "
              "relate to it, without ever computing a factorial?",
              ex_9_1);
    nn_ex_hint(2, "Two nested loops: over features i, then over masks S; skip the masks that contain i. The size "
                  "|S| is the number of set bits of S (clear the lowest with S & (S - 1) until 0); add "
                  "w(|S|, M) (v[S | 1 << i] - v[S]).");
    nn_ex_run("9.2", "Shapley values from a table of coalition values",
              "The formula above the function is already a loop: which coalitions does it visit for one feature?",
              ex_9_2);
    nn_ex_hint(2, "Two sums of squared errors over the rows: one with each row as it is, one with a local copy of "
                  "the row whose column j comes from row perm[i]. Divide by n at the end.");
    nn_ex_run("9.3", "One permutation-importance estimate",
              "Never write into X: what do you need to copy to predict one shuffled row?",
              ex_9_3);
    nn_ex_hint(2, "For each row, copy it once into a local array; then for each grid value overwrite only column j "
                  "and predict. PD accumulates the same predictions divided by n.");
    nn_ex_run("9.4", "ICE curves and partial dependence",
              "An ICE value is one prediction of a modified copy of one row; PD is the mean of a column of ice.",
              ex_9_4);
    nn_ex_hint(2, "First the B resample means, then sort them. For a percentile q, the position is p = q (B - 1): "
                  "take the sorted means at floor(p) and the next one, and interpolate by p - floor(p).");
    nn_ex_run("9.5", "A bootstrap percentile interval",
              "First the B resample means, then sort them. Where in the sorted list does a percentile sit?",
              ex_9_5);
    return nn_ex_done();
}
