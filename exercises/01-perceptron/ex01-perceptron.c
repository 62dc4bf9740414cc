/* Chapter 1 exercises: threshold units, the perceptron with a margin and with
 * a kernel, the curvature of the logistic loss.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch01`, see a hint with `make hint EX=1.2`, and your score with
 * `make grade`. */
#include <math.h>

#include "nnlab.h"
#include "ex01-perceptron.h"

/* ---- Exercise 1.1: NAND and NOR threshold units ------------------------------
 * A threshold unit outputs 1 when w[0] x1 + w[1] x2 + b > 0, and 0 otherwise.
 * The lecture builds AND (w = (1, 1), b = -1.5) and OR from it.  Pick weights
 * and a bias that make the unit compute NAND (0 only when x1 = x2 = 1), then
 * NOR (1 only when x1 = x2 = 0). */
void ex_nand_unit(double w[2], double *b)
{
    /* TODO(1.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("1.1");
    (void)w;
    (void)b;
}

void ex_nor_unit(double w[2], double *b)
{
    /* TODO(1.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("1.1");
    (void)w;
    (void)b;
}

/* ---- Exercise 1.2: one step of the perceptron with a margin -----------------
 * The chapter's perceptron moves only on a mistake, a margin y (w.x + b) <= 0,
 * so it stops at the first separating line it meets, which may pass within
 * a hair of some example.  The margin perceptron asks for more: it also
 * updates an example that is on the right side but closer than gamma >= 0,
 *
 *     if y (w.x + b) <= gamma:   w <- w + y x,   b <- b + y.
 *
 * A margin of exactly gamma still updates; gamma = 0 is the chapter's rule.
 * Return 1 when you updated, 0 when the example's margin was beyond gamma. */
int ex_margin_perceptron_step(double *w, double *b, const double *x, int y, size_t n, double gamma)
{
    /* TODO(1.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("1.2");
    (void)w;
    (void)b;
    (void)x;
    (void)y;
    (void)n;
    (void)gamma;
    return 0;
}

/* ---- Exercise 1.3: the perceptron in dual form, with a kernel ----------------
 * The chapter remarks that from w = 0 every w the rule makes is a sum of the
 * vectors y_i f(x_i), one for each mistake on example i.  So w never needs
 * to be stored: keep alpha[i], the number of mistakes made on example i, and
 * score x as
 *
 *     z(x) = sum_j alpha[j] y[j] K(x_j, x),    K(x, x') = (1 + x.x')^degree.
 *
 * With degree 1, K(x, x') = f(x).f(x') for f(x) = (x, 1), and this is exactly
 * the chapter's perceptron with its bias; with degree 2 the unit separates
 * with a conic, which the plain perceptron cannot (XOR).
 *
 * Start from alpha = 0.  Sweep over the m examples in order (row i of X is
 * x_i, its label y[i]); on a mistake, y[i] z(x_i) <= 0, add 1 to alpha[i].
 * Stop after the first sweep without a mistake, or after max_epochs sweeps.
 * Return the total number of mistakes. */
long ex_kernel_perceptron_train(long *alpha, const double *X, const int *y, size_t m, size_t n,
                                int degree, int max_epochs)
{
    /* TODO(1.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("1.3");
    (void)alpha;
    (void)X;
    (void)y;
    (void)m;
    (void)n;
    (void)degree;
    (void)max_epochs;
    return 0;
}

/* ---- Exercise 1.4: the curvature of the logistic loss ------------------------
 * The chapter writes L = log(1 + exp(-y z)), z = w.x + b, and its gradient
 * dL/dz = -y sigma(-y z).  Newton's method, and any check of how fast
 * gradient descent can go, needs the next derivative.  Differentiate once
 * more:
 *
 *     d2L/dz2 = sigma(z) sigma(-z)          (the same for y = +1 and y = -1),
 *
 * and since z is linear in theta = (w, b) with dz/dtheta = (x, 1), the
 * Hessian over theta is the rank-one matrix
 *
 *     H = d2L/dz2 (x, 1) (x, 1)^T,   (n + 1) x (n + 1), row-major, b last.
 *
 * Fill H and return d2L/dz2.  Mind the precision for large |z|: sigma(z) is 1
 * to double precision already at z = 40, so 1 - sigma(z) is 0 there while
 * sigma(-z) is still about 4e-18. */
double ex_logistic_hessian(double *H, const double *w, double b, const double *x, int y, size_t n)
{
    /* TODO(1.4): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("1.4");
    (void)H;
    (void)w;
    (void)b;
    (void)x;
    (void)y;
    (void)n;
    return 0;
}
