/* ex06-pooling.h: the functions of chapter 6's exercises.
 *
 * One plane of H x W values, row-major; F x F windows with stride S and no
 * padding, so the output is H2 x W2 with H2 = (H - F)/S + 1 and
 * W2 = (W - F)/S + 1 (rounded down).  The window of output (i, j) is
 *     Omega(i, j) = { (i S + u, j S + v) : 0 <= u, v < F }   (deck 004). */
#ifndef EX06_POOLING_H
#define EX06_POOLING_H

/* Exercise 6.1: max pooling.  out[i W2 + j] = max over Omega(i, j) of in,
 * and argmax[i W2 + j] = r W + c, the position (r, c) of that maximum in
 * the input (the first one in reading order if several are equal). */
void ex_maxpool(double *out, int *argmax, const double *in, int H, int W, int F, int S);

/* Exercise 6.2: the backward pass of average pooling
 * (out = (1/F^2) sum over Omega of in).  ADD dL/d in into d_in (H, W),
 * given d_out = dL/d out (H2, W2). */
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S);

/* Exercise 6.3: L2 pooling, out = sqrt(sum over Omega of in^2), and its
 * backward pass: ADD d_out * in / out to every input of the window (nothing
 * for a window whose out is 0, where the square root has no derivative). */
void ex_l2pool(double *out, const double *in, int H, int W, int F, int S);
void ex_l2pool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S);

#endif
