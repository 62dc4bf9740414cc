/* ex08-saliency.h: the functions of chapter 8's exercises.
 *
 * Exercises 8.1, 8.2 and 8.5 explain a tiny network on a flat input of D
 * values (an image of H x W pixels, one channel, row-major):
 *
 *     s(x) = w2 . relu(W1 x + b1) + b2        W1 (Hd, D), b1 (Hd), w2 (Hd)
 *     P(x) = sigmoid(s(x))                    the probability of the class
 *
 * ex_tiny_score and ex_tiny_prob below compute them; use them, they are not
 * exercises. */
#ifndef EX08_SALIENCY_H
#define EX08_SALIENCY_H

#include <math.h>

typedef struct {
    int D, Hd;             /* inputs, hidden units */
    const double *W1;      /* (Hd, D) */
    const double *b1;      /* (Hd) */
    const double *w2;      /* (Hd) */
    double b2;
} ex_tiny_net;

static inline double ex_tiny_score(const ex_tiny_net *net, const double *x)
{
    double s = net->b2;
    for (int h = 0; h < net->Hd; h++) {
        double z = net->b1[h];
        for (int q = 0; q < net->D; q++)
            z += net->W1[h * net->D + q] * x[q];
        s += net->w2[h] * (z > 0 ? z : 0);
    }
    return s;
}

static inline double ex_tiny_prob(const ex_tiny_net *net, const double *x)
{
    return 1 / (1 + exp(-ex_tiny_score(net, x)));
}

/* Exercise 8.1: occlusion with a patch of patch x patch pixels, moved with
 * `stride` over the H x W image (top-left corners at 0, stride, 2 stride, ...
 * while the patch fits).  Each patch sets its pixels to `fill`; the drop
 * P(x) - P(occluded) is added to every pixel under the patch, and map[p]
 * (H W) is the MEAN drop over the patches that covered pixel p, 0 for a
 * pixel no patch covers.  Returns the number of patch positions. */
int ex_occlusion(double *map, const ex_tiny_net *net, const double *x, int H, int W, int patch, int stride,
                 double fill);

/* Exercise 8.2: the input gradient of the score, grad[q] = ds/dx_q (D), by a
 * hand-written backward pass through the tiny network. */
void ex_tiny_input_gradient(double *grad, const ex_tiny_net *net, const double *x);

/* Exercise 8.3: Integrated Gradients of F(x) = (a . x)^2 (n inputs), whose
 * gradient is dF/dx = 2 (a . x) a, from `baseline` to x by the right Riemann
 * sum with `steps` steps:
 *     attr[i] = (x_i - x'_i) (1/m) sum_{k=1..m} dF/dx_i (x' + (k/m)(x - x')).
 * Returns the completeness gap |sum_i attr_i - (F(x) - F(x'))| / |F(x) - F(x')|
 * (F(x) != F(x') in every test). */
double ex_integrated_gradients(double *attr, const double *a, const double *x, const double *baseline, int n,
                               int steps);

/* Exercise 8.4: one FGSM step against logistic regression
 *     p = sigmoid(w . x + b),   J = -y log p - (1 - y) log(1 - p),  y in {0, 1}:
 *     x_adv = clip(x + eps sign(dJ/dx), 0, 1)   (n inputs; sign(0) = 0). */
void ex_fgsm_logistic(double *x_adv, const double *w, double b, const double *x, int y, int n, double eps);

/* Exercise 8.5: the area under the deletion curve.  Order the D pixels by
 * decreasing map value (equal values: the lower index first).  For
 * t = 0, 1, ..., steps set the first round(t D / steps) pixels of the order to
 * 0 (the others keep their value from x) and record P; return the trapezoid
 * area of P over the fraction t / steps in [0, 1]. */
double ex_deletion_auc(const ex_tiny_net *net, const double *x, const double *map, int steps);

#endif
