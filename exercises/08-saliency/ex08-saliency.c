/* Chapter 8 exercises: occlusion, a hand-written input gradient, the
 * Integrated Gradients sum and its completeness gap, one FGSM step, and the
 * area under a deletion curve.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch08`, see a hint with `make hint EX=8.1`, and your score with
 * `make grade`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "ex08-saliency.h"

/* ---- Exercise 8.1: occlusion -------------------------------------------------
 * Zeiler and Fergus: hide a part of the image, see how much the probability
 * falls.  Keep a sum and a count per pixel; a pixel can lie under several
 * patches when stride < patch, and under none when the patches do not reach
 * the last rows or columns.  The chapter averages over (C, H, W) images and a
 * batch of copies; here it is one channel and one copy at a time. */
int ex_occlusion(double *map, const ex_tiny_net *net, const double *x, int H, int W, int patch, int stride,
                 double fill)
{
    /* TODO(8.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("8.1");
    (void)map;
    (void)net;
    (void)x;
    (void)H;
    (void)W;
    (void)patch;
    (void)stride;
    (void)fill;
    return 0;
}

/* ---- Exercise 8.2: the input gradient by hand ----------------------------------
 * Forward: z = W1 x + b1, h = relu(z), s = w2 . h + b2.  Backward, one line
 * per forward line read from the bottom: ds/dh, then ds/dz (ReLU: 1 where
 * z > 0, else 0), then ds/dx = W1^T ds/dz.  This is what the chapter's
 * nn_model_backward does layer by layer; here write it out yourself. */
void ex_tiny_input_gradient(double *grad, const ex_tiny_net *net, const double *x)
{
    /* TODO(8.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("8.2");
    (void)grad;
    (void)net;
    (void)x;
}

/* ---- Exercise 8.3: Integrated Gradients and its completeness gap ---------------
 * Sundararajan et al.: the attributions of an exact integral add up to
 * F(x) - F(x'); the Riemann sum only approximately.  Evaluate the gradient at
 * the m points x' + (k/m)(x - x'), k = 1..m, average, multiply by x - x'. */
double ex_integrated_gradients(double *attr, const double *a, const double *x, const double *baseline, int n,
                               int steps)
{
    /* TODO(8.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("8.3");
    (void)attr;
    (void)a;
    (void)x;
    (void)baseline;
    (void)n;
    (void)steps;
    return 0;
}

/* ---- Exercise 8.4: one FGSM step ----------------------------------------------
 * Goodfellow et al.: move every input by eps in the direction that raises
 * the loss.  For logistic regression the loss's gradient with respect to the
 * INPUT has the same shape as the one with respect to the weights that
 * chapter 1 used, with the roles of w and x exchanged. */
void ex_fgsm_logistic(double *x_adv, const double *w, double b, const double *x, int y, int n, double eps)
{
    /* TODO(8.4): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("8.4");
    (void)x_adv;
    (void)w;
    (void)b;
    (void)x;
    (void)y;
    (void)n;
    (void)eps;
}

/* ---- Exercise 8.5: the area under a deletion curve ---------------------------------
 * Petsiuk et al.: delete the most important pixels first; a faithful map
 * makes P fall fast, so the area is small.  Sort indices by map value (a
 * stable rule for ties), then build the T + 1 images.  The trapezoid rule on
 * T equal intervals of width 1/T: sum of (P_t + P_{t+1}) / (2 T). */
double ex_deletion_auc(const ex_tiny_net *net, const double *x, const double *map, int steps)
{
    /* TODO(8.5): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("8.5");
    (void)net;
    (void)x;
    (void)map;
    (void)steps;
    return 0;
}
