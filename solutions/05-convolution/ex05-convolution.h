/* ex05-convolution.h: the functions of chapter 5's exercises.
 *
 * Notation of the lectures (deck 002): an input of side W, a filter of side
 * F, stride S, zero padding P, and here a dilation D >= 1 (the taps of the
 * filter D pixels apart, an extent of D (F - 1) + 1); the output side is
 * W2 = (W - D (F - 1) - 1 + 2P)/S + 1, rounded down.  One channel, one
 * filter: the image is (H, W) row-major, the filter (F, F), the output
 * (H2, W2).  Like every framework, the "convolution" is a cross-correlation
 * (deck 004):
 *     out[i][j] = b + sum_u sum_v in[i S + u D - P][j S + v D - P] k[u][v],
 * with in[..] = 0 outside the image. */
#ifndef EX05_CONVOLUTION_H
#define EX05_CONVOLUTION_H

/* Exercise 5.1: the output side W2 for an input side W, filter F, stride S,
 * padding P and dilation D; 0 when no output is possible (W < 1, F < 1,
 * S < 1, P < 0, D < 1, or a dilated filter wider than the padded input). */
int ex_conv_output_size(int W, int F, int S, int P, int D);

/* Exercise 5.2: the dilated, strided, zero-padded convolution above, with
 * bias b.  out has room for H2 x W2 values (the sizes of exercise 5.1). */
void ex_conv2d(double *out, const double *in, int H, int W, const double *k, int F, int S, int P,
               int D, double b);

/* Exercise 5.3: the input gradient.  Given d_out = dL/d out (H2, W2), ADD
 * dL/d in (H, W) into d_in (the kit's backward functions add, so that a
 * tensor used twice collects both gradients). */
void ex_conv2d_input_grad(double *d_in, const double *d_out, int H, int W, const double *k, int F,
                          int S, int P, int D);

#endif
