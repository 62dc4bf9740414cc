/* nn_conv.h: the 2-D convolution layer (cross-correlation, as in every
 * framework), and the output-size rule it shares with pooling.
 *
 * Dimension letters, used in every shape comment of conv.c and pool.c:
 *     N  images in the batch          C  input channels (the decks' depth D)
 *     H, W  input height and width    K  filters (output channels)
 *     F  filter side (F x F)          S  stride       P  zero padding
 *     H2, W2  output height and width
 *
 * Output size (deck 002, "CNN over the image channels"):
 *
 *     W2 = (W - F + 2P) / S + 1        H2 = (H - F + 2P) / S + 1
 *
 * When (W - F + 2P) is not a multiple of S the division is rounded DOWN, as
 * PyTorch does (ceil_mode=False): the last few rows/columns of the padded
 * input that a whole step cannot reach are never seen by the filter.  A
 * filter larger than the padded input, a stride or filter below 1, negative
 * padding or an empty input is an error (NN_ERR and a message), never a crash.
 *
 * The layer, for image n, filter k and output position (i, j):
 *
 *     out[n,k,i,j] = b[k] + sum_c sum_u sum_v  in[n, c, i S + u - P, j S + v - P] w[k,c,u,v]
 *
 * with in[...] = 0 outside the image (zero padding).  Shapes, NCHW and the
 * weight layout of PyTorch's nn.Conv2d:
 *     in (N, C, H, W)   w (K, C, F, F)   b (K)   out (N, K, H2, W2)
 *
 * Backward ADDS (+=) into d_in, d_w and d_b; any of them may be NULL when not
 * needed.  Two versions with the same signature:
 *     nn_conv2d_forward_naive / backward_naive   the formula above as loops,
 *                                                 in double: the reference;
 *     nn_conv2d_forward / backward                im2col + nn_gemm (and direct
 *                                                 kernels: for one input channel,
 *                                                 and for 4x4..7x7 filters in
 *                                                 lib/convdirect.c): the fast one,
 *                                                 the same bits on every machine
 *                                                 and thread count.
 * A test keeps them equal (tests/lib/test-conv.c).
 *
 * 3 x 3 filters, stride 1, padding 1, with many channels (the two-conv
 * net's second layer, 32 -> 64): the fast version computes these by
 * Winograd's F(2x2, 3x3) (lib/winograd.c, Lavin & Gray 2015): each 2 x 2
 * block of outputs from a 4 x 4 block of inputs with 16 multiplications per
 * channel pair instead of 36, as 16 GEMMs of (K, C) by (C, tiles), between
 * transforms made of additions.  Forward, d_in (the same convolution of
 * d_out with the filters turned 180 degrees) and, for small images, d_w;
 * only on shapes where it was measured to be faster (lib/conv.c lists
 * them).  Its rounding differs from im2col's by a few units in the last
 * place (tests/lib/test-winograd.c names the tolerances); its bits are the
 * same on every path and thread count, like the rest.
 *
 * NNLAB_CONV (for tests and benchmarks): unset or "auto", the fastest for
 * each layer; "gemm", im2col + nn_gemm for every layer and gradient;
 * "winograd", Winograd for every 3 x 3, stride 1, padding 1 layer, however
 * few its channels. */
#ifndef NN_CONV_H
#define NN_CONV_H

#include <stddef.h>

/* The output size shared by conv and pool: *out = floor((in - F + 2P) / S) + 1.
 * `what` names the caller in the message ("conv2d width"; a name starting
 * with "pool" gets a pooling window's wording, without padding advice).
 * NN_ERR with a message when the sizes are impossible. */
int nn_out_size(const char *what, int in, int F, int S, int P, int *out);

typedef struct {
    int N, C, H, W;   /* input  (N, C, H, W) */
    int K, F, S, P;   /* weight (K, C, F, F), stride S, zero padding P */
    int H2, W2;       /* output (N, K, H2, W2): computed by nn_conv_dims_make */
} nn_conv_dims;

/* Fills d and computes H2, W2; NN_ERR with a message on impossible sizes. */
int nn_conv_dims_make(nn_conv_dims *d, int N, int C, int H, int W, int K, int F, int S, int P);

/* Element counts of the four arrays, for allocation. */
size_t nn_conv_in_size(const nn_conv_dims *d);      /* N C H W */
size_t nn_conv_out_size(const nn_conv_dims *d);     /* N K H2 W2 */
size_t nn_conv_weight_size(const nn_conv_dims *d);  /* K C F F */

/* bias may be NULL (no bias).  Return NN_OK, or NN_ERR when d is inconsistent. */
int nn_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                      const nn_conv_dims *d);
int nn_conv2d_backward(float *d_in, float *d_w, float *d_b, const float *d_out,
                       const float *in, const float *w, const nn_conv_dims *d);

int nn_conv2d_forward_naive(float *out, const float *in, const float *w, const float *b,
                            const nn_conv_dims *d);
int nn_conv2d_backward_naive(float *d_in, float *d_w, float *d_b, const float *d_out,
                             const float *in, const float *w, const nn_conv_dims *d);

/* The fast kernels keep one scratch buffer per thread for the unrolled
 * matrices (reused from call to call); this frees it. */
void nn_conv_free_workspace(void);

#endif
