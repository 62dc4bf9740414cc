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
    /* BEGIN SOLUTION */
    /* NAND = NOT AND: flip the signs of AND's weights and bias. */
    w[0] = -1;
    w[1] = -1;
    *b = 1.5;
    /* END SOLUTION */
}

void ex_nor_unit(double w[2], double *b)
{
    /* BEGIN SOLUTION */
    /* NOR = NOT OR; OR is w = (1, 1), b = -0.5. */
    w[0] = -1;
    w[1] = -1;
    *b = 0.5;
    /* END SOLUTION */
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
    /* BEGIN SOLUTION */
    double z = *b;
    for (size_t j = 0; j < n; j++)
        z += w[j] * x[j];
    if (y * z > gamma)
        return 0;
    for (size_t j = 0; j < n; j++)
        w[j] += y * x[j];
    *b += y;
    return 1;
    /* END SOLUTION */
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
    /* BEGIN SOLUTION */
    long mistakes = 0;
    for (size_t i = 0; i < m; i++)
        alpha[i] = 0;
    for (int epoch = 0; epoch < max_epochs; epoch++) {
        long sweep_mistakes = 0;
        for (size_t i = 0; i < m; i++) {
            double z = 0;
            for (size_t k = 0; k < m; k++) {
                if (alpha[k] == 0)
                    continue;
                double dot = 1;
                for (size_t j = 0; j < n; j++)
                    dot += X[k * n + j] * X[i * n + j];
                z += (double)alpha[k] * y[k] * pow(dot, degree);
            }
            if (y[i] * z > 0)
                continue;
            alpha[i]++;
            sweep_mistakes++;
        }
        mistakes += sweep_mistakes;
        if (sweep_mistakes == 0)
            break;
    }
    return mistakes;
    /* END SOLUTION */
}

/* ---- Exercise 1.4: logistic-regression loss and gradient ---------------------
 * The lecture writes the logistic loss in two cases; both are
 *
 *     L = log(1 + exp(-y z)),   z = w.x + b,
 *
 * and its gradient is dL/dz = -y sigma(-y z), so dL/dw = -y sigma(-y z) x and
 * dL/db = -y sigma(-y z).  exp(-y z) overflows for y z below about -710: for
 * u = -y z > 0 use log(1 + exp(u)) = u + log(1 + exp(-u)) (log1p helps). */
double ex_logistic_loss(double *grad_w, double *grad_b, const double *w, double b,
                        const double *x, int y, size_t n)
{
    /* BEGIN SOLUTION */
    double z = b;
    for (size_t j = 0; j < n; j++)
        z += w[j] * x[j];
    double u = -y * z;
    double loss = u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
    /* sigma(u), computed on the side where exp cannot overflow */
    double sigma_u = u >= 0 ? 1 / (1 + exp(-u)) : exp(u) / (1 + exp(u));
    double dz = -y * sigma_u;
    for (size_t j = 0; j < n; j++)
        grad_w[j] = dz * x[j];
    *grad_b = dz;
    return loss;
    /* END SOLUTION */
}
