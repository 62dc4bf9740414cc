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
    /* BEGIN SOLUTION */
    int n = H * W, positions = 0;
    double base = ex_tiny_prob(net, x);
    double *sum = calloc((size_t)n, sizeof *sum), *img = malloc(sizeof *img * (size_t)n);
    int *count = calloc((size_t)n, sizeof *count);
    for (int i0 = 0; i0 + patch <= H; i0 += stride)
        for (int j0 = 0; j0 + patch <= W; j0 += stride) {
            memcpy(img, x, sizeof *img * (size_t)n);
            for (int i = i0; i < i0 + patch; i++)
                for (int j = j0; j < j0 + patch; j++)
                    img[i * W + j] = fill;
            double drop = base - ex_tiny_prob(net, img);
            for (int i = i0; i < i0 + patch; i++)
                for (int j = j0; j < j0 + patch; j++) {
                    sum[i * W + j] += drop;
                    count[i * W + j]++;
                }
            positions++;
        }
    for (int p = 0; p < n; p++)
        map[p] = count[p] ? sum[p] / count[p] : 0;
    free(sum);
    free(img);
    free(count);
    return positions;
    /* END SOLUTION */
}

/* ---- Exercise 8.2: the input gradient by hand ----------------------------------
 * Forward: z = W1 x + b1, h = relu(z), s = w2 . h + b2.  Backward, one line
 * per forward line read from the bottom: ds/dh, then ds/dz (ReLU: 1 where
 * z > 0, else 0), then ds/dx = W1^T ds/dz.  This is what the chapter's
 * nn_model_backward does layer by layer; here write it out yourself. */
void ex_tiny_input_gradient(double *grad, const ex_tiny_net *net, const double *x)
{
    /* BEGIN SOLUTION */
    for (int q = 0; q < net->D; q++)
        grad[q] = 0;
    for (int h = 0; h < net->Hd; h++) {
        double z = net->b1[h];
        for (int q = 0; q < net->D; q++)
            z += net->W1[h * net->D + q] * x[q];
        double dz = z > 0 ? net->w2[h] : 0;
        for (int q = 0; q < net->D; q++)
            grad[q] += dz * net->W1[h * net->D + q];
    }
    /* END SOLUTION */
}

/* ---- Exercise 8.3: Integrated Gradients and its completeness gap ---------------
 * Sundararajan et al.: the attributions of an exact integral add up to
 * F(x) - F(x'); the Riemann sum only approximately.  Evaluate the gradient at
 * the m points x' + (k/m)(x - x'), k = 1..m, average, multiply by x - x'. */
double ex_integrated_gradients(double *attr, const double *a, const double *x, const double *baseline, int n,
                               int steps)
{
    /* BEGIN SOLUTION */
    double ax = 0, ab = 0, sum = 0;
    for (int i = 0; i < n; i++) {
        attr[i] = 0;
        ax += a[i] * x[i];
        ab += a[i] * baseline[i];
    }
    for (int k = 1; k <= steps; k++) {
        double t = (double)k / steps, ap = 0;
        for (int i = 0; i < n; i++)
            ap += a[i] * (baseline[i] + t * (x[i] - baseline[i]));
        for (int i = 0; i < n; i++)
            attr[i] += 2 * ap * a[i];
    }
    for (int i = 0; i < n; i++) {
        attr[i] *= (x[i] - baseline[i]) / steps;
        sum += attr[i];
    }
    double change = ax * ax - ab * ab;
    return fabs(sum - change) / fabs(change);
    /* END SOLUTION */
}

/* ---- Exercise 8.4: one FGSM step ----------------------------------------------
 * Goodfellow et al.: move every input by eps in the direction that raises
 * the loss.  For logistic regression the loss's gradient with respect to the
 * INPUT has the same shape as the one with respect to the weights that
 * chapter 1 used, with the roles of w and x exchanged. */
void ex_fgsm_logistic(double *x_adv, const double *w, double b, const double *x, int y, int n, double eps)
{
    /* BEGIN SOLUTION */
    double z = b;
    for (int i = 0; i < n; i++)
        z += w[i] * x[i];
    double p = 1 / (1 + exp(-z));
    for (int i = 0; i < n; i++) {
        double g = (p - y) * w[i];
        double step = g > 0 ? eps : g < 0 ? -eps : 0;
        x_adv[i] = fmin(1, fmax(0, x[i] + step));
    }
    /* END SOLUTION */
}

/* ---- Exercise 8.5: the area under a deletion curve ---------------------------------
 * Petsiuk et al.: delete the most important pixels first; a faithful map
 * makes P fall fast, so the area is small.  Sort indices by map value (a
 * stable rule for ties), then build the T + 1 images.  The trapezoid rule on
 * T equal intervals of width 1/T: sum of (P_t + P_{t+1}) / (2 T). */
double ex_deletion_auc(const ex_tiny_net *net, const double *x, const double *map, int steps)
{
    /* BEGIN SOLUTION */
    int n = net->D;
    int *order = malloc(sizeof *order * (size_t)n);
    double *img = malloc(sizeof *img * (size_t)n), *p = malloc(sizeof *p * (size_t)(steps + 1));
    for (int q = 0; q < n; q++)
        order[q] = q;
    for (int q = 1; q < n; q++)               /* insertion sort: stable */
        for (int r = q; r > 0 && map[order[r]] > map[order[r - 1]]; r--) {
            int t = order[r];
            order[r] = order[r - 1];
            order[r - 1] = t;
        }
    for (int t = 0; t <= steps; t++) {
        memcpy(img, x, sizeof *img * (size_t)n);
        int upto = (int)floor((double)t * n / steps + 0.5);
        for (int r = 0; r < upto; r++)
            img[order[r]] = 0;
        p[t] = ex_tiny_prob(net, img);
    }
    double area = 0;
    for (int t = 0; t < steps; t++)
        area += (p[t] + p[t + 1]) / (2.0 * steps);
    free(order);
    free(img);
    free(p);
    return area;
    /* END SOLUTION */
}
