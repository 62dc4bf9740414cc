/* Chapter 6 exercises: max pooling with padding and its argmax, the
 * backward pass of average pooling with uncounted padding, Lp pooling
 * forward and backward.  The chapter's pools have no padding and fixed
 * kinds; these are the variants PyTorch's pooling layers also offer.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch06`, see a hint with `make hint EX=6.1`, and your score with
 * `make grade`. */
#include <math.h>

#include "nnlab.h"
#include "ex06-pooling.h"

/* ---- Exercise 6.1: max pooling with padding, and its argmax -----------------
 * Deck 003's example (P = 0): 2x2 windows, stride 2 on
 *     1 2 2 4 / 2 5 1 8 / 3 0 4 4 / 6 1 7 6   give   [[5, 8], [6, 7]].
 * With P > 0 the windows at the border reach outside the plane.  Those
 * positions hold nothing: they must never be the maximum, whatever the
 * signs of the inputs (padding with 0 would beat an all-negative window).
 * Scan each window in reading order over its positions inside the plane;
 * keep the largest value and its position r W + c, replacing it only by a
 * strictly larger value, so that ties keep the first: the backward pass
 * routes the whole gradient to that one input. */
void ex_maxpool(double *out, int *argmax, const double *in, int H, int W, int F, int S, int P)
{
    /* BEGIN SOLUTION */
    int H2 = (H + 2 * P - F) / S + 1, W2 = (W + 2 * P - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            int at = -1;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int r = i * S - P + u, c = j * S - P + v;
                    if (r < 0 || r >= H || c < 0 || c >= W)
                        continue;
                    if (at < 0 || in[r * W + c] > in[at])
                        at = r * W + c;
                }
            out[i * W2 + j] = in[at];
            argmax[i * W2 + j] = at;
        }
    /* END SOLUTION */
}

/* ---- Exercise 6.2: the backward pass of average pooling with padding -------
 * With count_include_pad=False a border window averages only the n(i, j)
 * inputs it covers: out(i, j) = (1/n(i, j)) sum of those inputs.  So each of
 * them receives d_out(i, j) / n(i, j), and the padded positions nothing.
 * With stride S < F the windows overlap and an input collects a share from
 * each window it lies in: ADD, never overwrite. */
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S, int P)
{
    /* BEGIN SOLUTION */
    int H2 = (H + 2 * P - F) / S + 1, W2 = (W + 2 * P - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            int r0 = i * S - P, c0 = j * S - P;
            int r1 = r0 + F < H ? r0 + F : H, c1 = c0 + F < W ? c0 + F : W;
            if (r0 < 0)
                r0 = 0;
            if (c0 < 0)
                c0 = 0;
            double share = d_out[i * W2 + j] / ((r1 - r0) * (c1 - c0));
            for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                    d_in[r * W + c] += share;
        }
    /* END SOLUTION */
}

/* ---- Exercise 6.3: Lp pooling -------------------------------------------------
 * "L2 pooling is also common" (deck 002); the chapter writes p = 2.  The
 * p-norm of the window generalises it: p = 1 sums the magnitudes, p = 2 is
 * L2 pooling, and as p grows it tends to max pooling of |in|.  Use |in|: for
 * odd p a negative input would otherwise subtract.  Its derivative is
 *     d out / d in = sign(in) |in|^(p-1) / out^(p-1),
 * and a window of zeros (out = 0) gets no gradient. */
void ex_lppool(double *out, const double *in, int H, int W, int F, int S, double p)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    sum += pow(fabs(in[(i * S + u) * W + j * S + v]), p);
            out[i * W2 + j] = pow(sum, 1 / p);
        }
    /* END SOLUTION */
}

void ex_lppool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S, double p)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double o = out[i * W2 + j];
            if (o == 0)
                continue;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int idx = (i * S + u) * W + j * S + v;
                    double a = in[idx], sign = a > 0 ? 1 : a < 0 ? -1 : 0;
                    d_in[idx] += d_out[i * W2 + j] * sign * pow(fabs(a), p - 1) / pow(o, p - 1);
                }
        }
    /* END SOLUTION */
}
