/* ex01-perceptron.h: the functions of chapter 1's exercises.
 *
 * Notation of the lectures: an input x in R^n, a label y in {-1, +1}, the
 * weights w and the bias b; the score is z = w.x + b and the perceptron
 * predicts sign(z).  Logic gates use x in {0, 1}^2 and a threshold unit
 * that outputs 1 when z > 0 and 0 otherwise. */
#ifndef EX01_PERCEPTRON_H
#define EX01_PERCEPTRON_H

#include <stddef.h>

/* Exercise 1.1: choose w[0], w[1] and b so that the threshold unit
 * computes NAND (ex_nand_unit) or NOR (ex_nor_unit). */
void ex_nand_unit(double w[2], double *b);
void ex_nor_unit(double w[2], double *b);

/* Exercise 1.2: one step of the perceptron with margin gamma >= 0 on the
 * example (x, y).  When y (w.x + b) <= gamma, update w <- w + y x and
 * b <- b + y and return 1; otherwise change nothing and return 0. */
int ex_margin_perceptron_step(double *w, double *b, const double *x, int y, size_t n, double gamma);

/* Exercise 1.3: the dual (kernel) perceptron with K(x, x') = (1 + x.x')^degree.
 * From alpha = 0, sweep over the m examples (row i of X, shape (m, n), label
 * y[i]) in order; a mistake, y[i] sum_k alpha[k] y[k] K(x_k, x_i) <= 0, adds 1
 * to alpha[i].  Stops after a sweep without mistakes or after max_epochs
 * sweeps.  Returns the total number of mistakes, the sum of alpha[0..m-1]. */
long ex_kernel_perceptron_train(long *alpha, const double *X, const int *y, size_t m, size_t n,
                                int degree, int max_epochs);

/* Exercise 1.4: the second derivative of the logistic loss of one example,
 * L = log(1 + exp(-y z)) with z = w.x + b: returns d2L/dz2, accurate for any
 * z, and writes the Hessian over (w, b) into H, (n + 1) x (n + 1) row-major,
 * the bias last. */
double ex_logistic_hessian(double *H, const double *w, double b, const double *x, int y, size_t n);

#endif
