/* winograd.h: internal to lib/conv.c and lib/winograd.c (not in nnlab.h).
 *
 * The Winograd F(2x2, 3x3) kernels for a 3 x 3, stride 1, padding 1
 * convolution (lib/winograd.c explains the algorithm).  Dimension letters of
 * nn_conv.h; such a layer keeps the size, H2 = H and W2 = W. */
#ifndef NN_WINOGRAD_H
#define NN_WINOGRAD_H

#include <stddef.h>

/* out (N, K, H, W) = conv(in (N, C, H, W), w (K, C, 3, 3)) + b (b may be NULL),
 * or, when accumulate is 1, out += conv(in, w) (b ignored). */
void nn_winograd_forward(float *out, const float *in, const float *w, const float *b, int N,
                         int C, int H, int W, int K, int accumulate);

/* d_in (N, C, H, W) += the gradient of the layer's input for d_out (N, K, H, W):
 * the forward convolution of d_out with the filters turned 180 degrees and
 * their two channel axes swapped. */
void nn_winograd_backward_input(float *d_in, const float *d_out, const float *w, int N, int C,
                                int H, int W, int K);

/* d_w (K, C, 3, 3) += the gradient of the filters, summed over the batch. */
void nn_winograd_backward_weights(float *d_w, const float *d_out, const float *in, int N, int C,
                                  int H, int W, int K);

/* From lib/conv.c: its per-thread scratch buffer (it only grows;
 * nn_conv_free_workspace frees it), the number of threads its kernels use,
 * and whether its vector paths may run (AVX2 with FMA, nn_gemm not on its
 * scalar path). */
float *nn_conv_workspace(size_t floats);
int nn_conv_threads(void);
int nn_conv_vector(void);

#endif
