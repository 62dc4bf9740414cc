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
    /* TODO(9.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("9.1");
    (void)s;
    (void)M;
    return 0;
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
    /* TODO(9.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("9.2");
    (void)phi;
    (void)v;
    (void)M;
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
    /* TODO(9.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("9.3");
    (void)net;
    (void)X;
    (void)y;
    (void)n;
    (void)j;
    (void)perm;
    return 0;
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
    /* TODO(9.4): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("9.4");
    (void)ice;
    (void)pd;
    (void)net;
    (void)X;
    (void)n;
    (void)j;
    (void)grid;
    (void)G;
}

/* ---- Exercise 9.5: a bootstrap percentile interval ----------------------------
 * Deck 001: "take the top 97.5th percentile and bottom 2.5th percentile to
 * build a 95% confidence interval".  Here the estimate is the mean of x; the
 * resamples are given (draws), so the answer is reproducible.  Sort the B
 * resample means; the q-th percentile sits at position q (B - 1) of the
 * sorted list (0-based), interpolated linearly between its two neighbours. */
void ex_bootstrap_interval(double *lo, double *hi, const double *x, int n, const int *draws, int B, double level)
{
    /* TODO(9.5): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("9.5");
    (void)lo;
    (void)hi;
    (void)x;
    (void)n;
    (void)draws;
    (void)B;
    (void)level;
}
