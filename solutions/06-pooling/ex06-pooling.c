/* Chapter 6 exercises: max pooling with its argmax, the backward pass of
 * average pooling, L2 pooling forward and backward.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch06`, see a hint with `make hint EX=6.1`, and your score with
 * `make grade`. */
#include <math.h>

#include "nnlab.h"
#include "ex06-pooling.h"

/* ---- Exercise 6.1: max pooling and its argmax --------------------------------
 * Deck 003's example: 2x2 windows, stride 2 on
 *     1 2 2 4 / 2 5 1 8 / 3 0 4 4 / 6 1 7 6   give   [[5, 8], [6, 7]].
 * For each output (i, j) scan the window Omega(i, j) in reading order, keep
 * the largest value and its position r W + c (replace only on a strictly
 * larger value, so ties keep the first).  Careful: inputs can be negative. */
void ex_maxpool(double *out, int *argmax, const double *in, int H, int W, int F, int S)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            int at = (i * S) * W + j * S;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int idx = (i * S + u) * W + j * S + v;
                    if (in[idx] > in[at])
                        at = idx;
                }
            out[i * W2 + j] = in[at];
            argmax[i * W2 + j] = at;
        }
    /* END SOLUTION */
}

/* ---- Exercise 6.2: the backward pass of average pooling ----------------------
 * In the forward pass out[i][j] = (1/F^2) sum over Omega(i, j) of in, so every
 * input of the window receives d_out[i][j] / F^2.  With stride S < F the
 * windows overlap and a pixel collects a share from each window it lies in:
 * ADD, never overwrite. */
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++)
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    d_in[(i * S + u) * W + j * S + v] += d_out[i * W2 + j] / (F * F);
    /* END SOLUTION */
}

/* ---- Exercise 6.3: L2 pooling ------------------------------------------------
 * "L2 pooling is also common" (deck 002): out = sqrt(sum over Omega of in^2),
 * PyTorch's lp_pool2d with p = 2.  Its derivative is d out / d in = in / out;
 * a window of zeros (out = 0) gets no gradient. */
void ex_l2pool(double *out, const double *in, int H, int W, int F, int S)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            double sum = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    double a = in[(i * S + u) * W + j * S + v];
                    sum += a * a;
                }
            out[i * W2 + j] = sqrt(sum);
        }
    /* END SOLUTION */
}

void ex_l2pool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S)
{
    /* BEGIN SOLUTION */
    int H2 = (H - F) / S + 1, W2 = (W - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            if (out[i * W2 + j] == 0)
                continue;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    int idx = (i * S + u) * W + j * S + v;
                    d_in[idx] += d_out[i * W2 + j] * in[idx] / out[i * W2 + j];
                }
        }
    /* END SOLUTION */
}
