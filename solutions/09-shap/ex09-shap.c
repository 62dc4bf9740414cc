/* Chapter 9 exercises: Shapley weights, Shapley values from a table,
 * permutation importance, ICE and partial dependence, a bootstrap interval.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch09`, see a hint with `make hint EX=9.1`, and your score with
 * `make grade`.  Chapter 9 (chapters/09-shap/ch09-shap.c) explains each idea
 * and does something close to each exercise: read it, but write your own. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex09-shap.h"

/* Given: the tiny network's prediction for one row. */
double ex_tiny_net_predict(const ex_tiny_net *net, const double *x)
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

/* ---- Exercise 9.1: the weight of a coalition --------------------------------
 * In deck 000, SHAP_Age(x0) = w1 MC_{Age,{Age}} + ... + w4 MC_{Age,{Age,Gender,Job}}
 * with w1 + w2 + w3 + w4 = 1.  The weight of a coalition S that feature i
 * joins, with s = |S| members before i, is
 *
 *     w(s, M) = s! (M - s - 1)! / M!,
 *
 * the probability that in a random order of the M features exactly the
 * members of S come before i.  Factorials overflow a double past 170!, and
 * lose precision long before: find a form that never builds them. */
double ex_shapley_weight(int s, int M)
{
    /* BEGIN SOLUTION */
    double binom = 1; /* C(M-1, s), built as a product of ratios */
    for (int k = 1; k <= s; k++)
        binom = binom * (M - 1 - s + k) / k;
    return 1.0 / (M * binom);
    /* END SOLUTION */
}

/* ---- Exercise 9.2: Shapley values from a table of coalition values ----------
 * Given v(S) for every coalition S (the chapter gets them by retraining, as
 * deck 000 does, or by filling in from a background set), the Shapley value
 * of feature i is
 *
 *     phi_i = sum over S not containing i of w(|S|, M) (v(S + {i}) - v(S)),
 *
 * every marginal contribution of i, weighted.  With coalitions as bit masks,
 * "S does not contain i" is !(S >> i & 1) and S + {i} is S | (1 << i). */
void ex_shapley_from_table(double *phi, const double *v, int M)
{
    /* BEGIN SOLUTION */
    for (int i = 0; i < M; i++) {
        double sum = 0;
        for (unsigned S = 0; S < (1u << M); S++) {
            if (S >> i & 1)
                continue;
            int s = 0;
            for (unsigned m = S; m; m &= m - 1)
                s++;
            sum += ex_shapley_weight(s, M) * (v[S | 1u << i] - v[S]);
        }
        phi[i] = sum;
    }
    /* END SOLUTION */
}

/* ---- Exercise 9.3: one permutation-importance estimate ----------------------
 * Deck 001: permute the values of one column and see how much worse the
 * model predicts.  The chapter scores with R^2; here, with the mean squared
 * error MSE = (1/n) sum_i (f(x_i) - y_i)^2, the importance of feature j is
 *
 *     MSE(f, X with column j shuffled by perm) - MSE(f, X),
 *
 * where the shuffled row i takes x_{perm[i], j} and keeps its other values.
 * Work on a copy of each row: the caller's X must not change. */
double ex_permutation_importance(const ex_tiny_net *net, const double *X, const double *y, int n, int j,
                                 const int *perm)
{
    /* BEGIN SOLUTION */
    int d = net->d;
    double row[8], before = 0, after = 0;
    for (int i = 0; i < n; i++) {
        double e = ex_tiny_net_predict(net, X + (size_t)i * d) - y[i];
        before += e * e;
        memcpy(row, X + (size_t)i * d, (size_t)d * sizeof *row);
        row[j] = X[(size_t)perm[i] * d + j];
        e = ex_tiny_net_predict(net, row) - y[i];
        after += e * e;
    }
    return (after - before) / n;
    /* END SOLUTION */
}

/* ---- Exercise 9.4: ICE curves and partial dependence -------------------------
 * Deck 001's second way of holding the other predictors constant: keep each
 * observation's own values, vary only x_j over a grid, and draw one curve per
 * observation (individual conditional expectation, ICE).  Their average over
 * the observations is the partial dependence PD_j(z) = (1/n) sum_r f(x_r
 * with x_rj = z). */
void ex_ice_pd(double *ice, double *pd, const ex_tiny_net *net, const double *X, int n, int j,
               const double *grid, int G)
{
    /* BEGIN SOLUTION */
    int d = net->d;
    double row[8];
    for (int g = 0; g < G; g++)
        pd[g] = 0;
    for (int r = 0; r < n; r++) {
        memcpy(row, X + (size_t)r * d, (size_t)d * sizeof *row);
        for (int g = 0; g < G; g++) {
            row[j] = grid[g];
            ice[(size_t)r * G + g] = ex_tiny_net_predict(net, row);
            pd[g] += ice[(size_t)r * G + g] / n;
        }
    }
    /* END SOLUTION */
}

/* ---- Exercise 9.5: a bootstrap percentile interval ----------------------------
 * Deck 001: "take the top 97.5th percentile and bottom 2.5th percentile to
 * build a 95% confidence interval".  Here the estimate is the mean of x; the
 * resamples are given (draws), so the answer is reproducible.  Sort the B
 * resample means; the q-th percentile sits at position q (B - 1) of the
 * sorted list (0-based), interpolated linearly between its two neighbours. */
void ex_bootstrap_interval(double *lo, double *hi, const double *x, int n, const int *draws, int B, double level)
{
    /* BEGIN SOLUTION */
    double *means = malloc((size_t)B * sizeof *means);
    for (int b = 0; b < B; b++) {
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += x[draws[(size_t)b * n + i]];
        means[b] = sum / n;
    }
    for (int a = 1; a < B; a++) { /* insertion sort: B is small */
        double key = means[a];
        int k = a - 1;
        while (k >= 0 && means[k] > key) {
            means[k + 1] = means[k];
            k--;
        }
        means[k + 1] = key;
    }
    double qs[2] = {(1 - level) / 2, (1 + level) / 2}, out[2];
    for (int t = 0; t < 2; t++) {
        double pos = qs[t] * (B - 1);
        int below = (int)floor(pos);
        int above = below + 1 < B ? below + 1 : below;
        out[t] = means[below] + (pos - below) * (means[above] - means[below]);
    }
    *lo = out[0];
    *hi = out[1];
    free(means);
    /* END SOLUTION */
}
