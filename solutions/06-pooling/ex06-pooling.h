/* ex06-pooling.h: the functions of chapter 6's exercises.
 *
 * One plane of H x W values, row-major; F x F windows with stride S and P
 * rows and columns of padding on every side, so the output is H2 x W2 with
 * H2 = (H + 2P - F)/S + 1 and W2 = (W + 2P - F)/S + 1 (rounded down).  The
 * window of output (i, j) is
 *     Omega(i, j) = { (i S - P + u, j S - P + v) : 0 <= u, v < F }
 * (deck 004, shifted by the padding).  Padding is not data: a position of
 * Omega outside the plane holds no value, and every function below works on
 * the positions inside the plane only.  0 <= P < F, so every window holds at
 * least one of them. */
#ifndef EX06_POOLING_H
#define EX06_POOLING_H

/* Exercise 6.1: max pooling with padding (PyTorch's max_pool2d(padding=P)).
 * out[i W2 + j] = max of in over the positions of Omega(i, j) inside the
 * plane, and argmax[i W2 + j] = r W + c, the position (r, c) of that maximum
 * in the input; when several are equal, the first one in reading order. */
void ex_maxpool(double *out, int *argmax, const double *in, int H, int W, int F, int S, int P);

/* Exercise 6.2: the backward pass of average pooling with padding that is
 * not counted (PyTorch's avg_pool2d(padding=P, count_include_pad=False)):
 * out(i, j) is the mean of in over the n(i, j) positions of Omega(i, j)
 * inside the plane.  ADD dL/d in into d_in (H, W), given d_out = dL/d out. */
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S, int P);

/* Exercise 6.3: Lp pooling without padding (P = 0), p >= 1:
 * out = (sum over Omega of |in|^p)^(1/p), the p-norm of the window, and its
 * backward pass: ADD d_out * sign(in) |in|^(p-1) / out^(p-1) to every input
 * of the window (nothing for a window whose out is 0). */
void ex_lppool(double *out, const double *in, int H, int W, int F, int S, double p);
void ex_lppool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S, double p);

#endif
