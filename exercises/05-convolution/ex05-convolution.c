/* Chapter 5 exercises: the output size, the convolution and its input
 * gradient, all three with a dilated (atrous) filter.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch05`, see a hint with `make hint EX=5.2`, and your score with
 * `make grade`.
 *
 * The chapter writes the strided, zero-padded convolution with a dense
 * filter.  A dilated filter (dilation D >= 1) spreads its F x F taps D pixels
 * apart: tap (u, v) reads the pixel (u D, v D) from the window's corner, so
 * the filter covers an extent of D (F - 1) + 1 pixels with the same F^2
 * weights.  D = 1 is the chapter's convolution.  Stacked dilated layers see
 * a wide context cheaply (WaveNet, DeepLab). */
#include "nnlab.h"
#include "ex05-convolution.h"

/* ---- Exercise 5.1: the output size with dilation ------------------------------
 * Deck 002's W2 = (W - F + 2P)/S + 1 counts where a filter of extent F fits
 * on the padded input.  A dilated filter has extent E = D (F - 1) + 1: use E
 * for F.  When the stride does not divide the remainder, round down.
 * Return 0 for impossible sizes: W < 1, F < 1, S < 1, P < 0, D < 1, or an
 * extent E larger than W + 2P. */
int ex_conv_output_size(int W, int F, int S, int P, int D)
{
    /* TODO(5.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("5.1");
    (void)W;
    (void)F;
    (void)S;
    (void)P;
    (void)D;
    return 0;
}

/* ---- Exercise 5.2: a dilated, strided, zero-padded convolution ---------------
 * For every output position (i, j), 0 <= i < H2, 0 <= j < W2, the window's
 * corner is at (i S - P, j S - P) on the image and tap (u, v) reads D u rows
 * and D v columns further:
 *     out[i W2 + j] = b + sum_{u,v < F} in[(i S + u D - P) W + (j S + v D - P)] k[u F + v]
 * where a position outside the image counts as 0 (zero padding). */
void ex_conv2d(double *out, const double *in, int H, int W, const double *k, int F, int S, int P,
               int D, double b)
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
    (void)D;
    (void)b;
}

/* ---- Exercise 5.3: the input gradient of the dilated convolution -------------
 * Given d_out = dL/d out (H2, W2), ADD dL/d in (H, W) into d_in: every pixel
 * collects the contributions of all the (output, tap) pairs that read it in
 * the forward pass of 5.2 (padding positions receive nothing).  With
 * dilation a pixel is read by fewer taps of one window, but by as many
 * windows in all. */
void ex_conv2d_input_grad(double *d_in, const double *d_out, int H, int W, const double *k, int F,
                          int S, int P, int D)
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
    (void)D;
}
