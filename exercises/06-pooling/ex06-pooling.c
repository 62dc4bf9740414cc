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
    /* TODO(6.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("6.1");
    (void)out;
    (void)argmax;
    (void)in;
    (void)H;
    (void)W;
    (void)F;
    (void)S;
    (void)P;
}

/* ---- Exercise 6.2: the backward pass of average pooling with padding -------
 * With count_include_pad=False a border window averages only the n(i, j)
 * inputs it covers: out(i, j) = (1/n(i, j)) sum of those inputs.  So each of
 * them receives d_out(i, j) / n(i, j), and the padded positions nothing.
 * With stride S < F the windows overlap and an input collects a share from
 * each window it lies in: ADD, never overwrite. */
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S, int P)
{
    /* TODO(6.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("6.2");
    (void)d_in;
    (void)d_out;
    (void)H;
    (void)W;
    (void)F;
    (void)S;
    (void)P;
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
    /* TODO(6.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("6.3");
    (void)out;
    (void)in;
    (void)H;
    (void)W;
    (void)F;
    (void)S;
    (void)p;
}

void ex_lppool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S, double p)
{
    /* TODO(6.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("6.3");
    (void)d_in;
    (void)d_out;
    (void)in;
    (void)out;
    (void)H;
    (void)W;
    (void)F;
    (void)S;
    (void)p;
}
