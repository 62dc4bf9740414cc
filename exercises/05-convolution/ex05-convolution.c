/* Chapter 5 exercises: output size, a strided padded convolution, the input
 * gradient.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch05`, see a hint with `make hint EX=5.2`, and your score with
 * `make grade`. */
#include "nnlab.h"
#include "ex05-convolution.h"

/* ---- Exercise 5.1: the output size -------------------------------------------
 * Deck 002: W2 = (W - F + 2P)/S + 1.  A 7x7 input and a 3x3 filter give 5 with
 * stride 1 and 3 with stride 2.  When (W - F + 2P) is not a multiple of S,
 * round down (a step that would leave the padded input is not taken).
 * Return 0 for impossible sizes: W < 1, F < 1, S < 1, P < 0, or F > W + 2P. */
int ex_conv_output_size(int W, int F, int S, int P)
{
    /* TODO(5.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("5.1");
    (void)W;
    (void)F;
    (void)S;
    (void)P;
    return 0;
}

/* ---- Exercise 5.2: a strided, zero-padded convolution ------------------------
 * For every output position (i, j), 0 <= i < H2, 0 <= j < W2, lay the filter
 * on the padded image with its top-left corner at (i S - P, j S - P), multiply
 * pointwise, add the products and the bias:
 *     out[i W2 + j] = b + sum_{u,v < F} in[(i S + u - P) W + (j S + v - P)] k[u F + v]
 * where a position outside the image counts as 0 (zero padding). */
void ex_conv2d(double *out, const double *in, int H, int W, const double *k, int F, int S, int P,
               double b)
{
    /* TODO(5.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("5.2");
    (void)out;
    (void)in;
    (void)H;
    (void)W;
    (void)k;
    (void)F;
    (void)S;
    (void)P;
    (void)b;
}

/* ---- Exercise 5.3: the input gradient ----------------------------------------
 * In the forward pass, pixel (i S + u - P, j S + v - P) was multiplied by
 * k[u][v] and added to out[i][j].  So (deck 004, dz/da = w) each such pixel
 * receives d_out[i][j] k[u][v]: loop over the same (i, j, u, v) as the
 * forward pass and ADD d_out[i W2 + j] * k[u F + v] to d_in at that pixel
 * (skip padding positions).  A pixel covered by several windows collects
 * several contributions. */
void ex_conv2d_input_grad(double *d_in, const double *d_out, int H, int W, const double *k, int F,
                          int S, int P)
{
    /* TODO(5.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("5.3");
    (void)d_in;
    (void)d_out;
    (void)H;
    (void)W;
    (void)k;
    (void)F;
    (void)S;
    (void)P;
}
