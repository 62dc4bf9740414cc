/* convdirect.h: lib/convdirect.c's kernels, for lib/conv.c only (not part of
 * nnlab.h).  Convolutions with stride 1, 4 x 4 to 7 x 7 filters and at most
 * 256 weights per filter (C F F <= 256, K <= 256), computed without im2col,
 * with exactly the bits of conv.c's im2col + nn_gemm path (see convdirect.c).
 * Each works on images n0 .. n1-1 of the batch, with a scratch buffer of the
 * size its _scratch function gives (floats; the caller's, per thread). */
#ifndef NN_CONVDIRECT_H
#define NN_CONVDIRECT_H

#include <stddef.h>

#include "nn_conv.h"

/* 1 when the layer is one of these (stride 1, F in 4..7, C F F <= 256, K <= 256). */
int nn_convdirect_applies(const nn_conv_dims *d);

/* out[n] = conv(in[n], w) + b for n0 <= n < n1; b may be NULL. */
size_t nn_convdirect_forward_scratch(const nn_conv_dims *d);
void nn_convdirect_forward(float *out, const float *in, const float *w, const float *b,
                           const nn_conv_dims *d, int n0, int n1, float *scratch);

/* partial (K, C F F) = the weight gradient of images n0 .. n1-1, summed as
 * im2col + nn_gemm sums them in groups of G images (partial is overwritten). */
size_t nn_convdirect_weight_grad_scratch(const nn_conv_dims *d, int G);
void nn_convdirect_weight_grad(float *partial, const float *d_out, const float *in,
                               const nn_conv_dims *d, int n0, int n1, int G, float *scratch);

/* d_in[n] += the input gradient of image n, for n0 <= n < n1. */
size_t nn_convdirect_input_grad_scratch(const nn_conv_dims *d);
void nn_convdirect_input_grad(float *d_in, const float *d_out, const float *w,
                              const nn_conv_dims *d, int n0, int n1, float *scratch);

#endif
