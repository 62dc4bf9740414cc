/* ex09-shap.h: the functions of chapter 9's exercises.
 *
 * Notation of deck 000 and the chapter: M features (players), a coalition S
 * is a subset of them, written as a bit mask (feature i is bit i, so
 * S = 5 = 0b101 is {feature 0, feature 2}); v(S) is the value of a
 * coalition and phi_i the Shapley (SHAP) value of feature i. */
#ifndef EX09_SHAP_H
#define EX09_SHAP_H

/* A tiny network for exercises 9.3 and 9.4, in double:
 *     f(x) = b2 + sum_h W2[h] tanh(b1[h] + sum_j W1[h*d + j] x[j]),   H <= 8, d <= 8. */
typedef struct {
    int d, H;
    double W1[64], b1[8], W2[8], b2;
} ex_tiny_net;

/* f(x) for one row x (d values); given, in ex09-shap.c. */
double ex_tiny_net_predict(const ex_tiny_net *net, const double *x);

/* Exercise 9.1: Shapley's weight of a coalition of s features among M,
 * s! (M - s - 1)! / M!, for 0 <= s <= M - 1 and M up to 60 (no overflow). */
double ex_shapley_weight(int s, int M);

/* Exercise 9.2: exact Shapley values from a table of coalition values.
 * v has 2^M entries, v[S] the value of coalition S (a bit mask); fill
 * phi[0..M-1].  1 <= M <= 16. */
void ex_shapley_from_table(double *phi, const double *v, int M);

/* Exercise 9.3: one permutation-importance estimate, as an increase in the
 * mean squared error: X is (n, d) row-major, y (n), perm a permutation of
 * 0..n-1.  Return MSE(f, X with column j taken from row perm[i] in row i)
 * minus MSE(f, X).  X must be left unchanged. */
double ex_permutation_importance(const ex_tiny_net *net, const double *X, const double *y, int n, int j,
                                 const int *perm);

/* Exercise 9.4: ICE curves and their average.  For every row r of X (n, d)
 * and grid point g: ice[r*G + g] = f(row r with x_j = grid[g]); pd[g] the
 * mean over the rows.  X must be left unchanged. */
void ex_ice_pd(double *ice, double *pd, const ex_tiny_net *net, const double *X, int n, int j,
               const double *grid, int G);

/* Exercise 9.5: a bootstrap percentile interval for the mean.  draws is
 * (B, n): resample b takes the values x[draws[b*n + i]], i < n.  Compute the
 * mean of every resample, then the (1 - level)/2 and (1 + level)/2
 * percentiles of those B means, interpolated linearly between order
 * statistics as numpy.percentile does by default (position q (B - 1) in the
 * sorted list).  2 <= B <= 10000, 0 < level < 1. */
void ex_bootstrap_interval(double *lo, double *hi, const double *x, int n, const int *draws, int B, double level);

#endif
