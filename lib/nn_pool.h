/* nn_pool.h: max, average and L2 pooling, and global average pooling.
 *
 * Pooling downsamples each channel on its own: an F x F window slides with
 * stride S over every (n, c) plane and is replaced by one number.  Depth is
 * preserved (deck 002: 224x224x64 pooled 2x2, stride 2 gives 112x112x64).
 * The output size is the convolution's rule with P = 0, from the one helper
 * nn_out_size (nn_conv.h): H2 = floor((H - F) / S) + 1, likewise W2.  The
 * kit's pools do not pad (PyTorch's default padding=0, ceil_mode=False).
 *
 * Shapes: in (N, C, H, W), out (N, C, H2, W2), argmax (N, C, H2, W2).
 * For output (n, c, i, j) the window is the set of input positions
 *     Omega(i, j) = { (i S + u, j S + v) : 0 <= u, v < F }
 * and
 *     max:  out = max_{Omega} in                    (deck 004, s = max a)
 *     avg:  out = (1 / F^2) sum_{Omega} in
 *     L2:   out = sqrt( sum_{Omega} in^2 )           (PyTorch's lp_pool2d, p = 2)
 *
 * Backward ADDS into d_in:
 *     max:  d_in[argmax] += d_out    (the indicator of deck 004: the gradient
 *           goes to the position of the maximum and nowhere else)
 *     avg:  d_in[Omega]  += d_out / F^2
 *     L2:   d_in[Omega]  += d_out in / out   (0 where out = 0: the window is all
 *           zeros, where sqrt has no derivative; PyTorch gives NaN there)
 *
 * The max pool saves, in a caller buffer, the index of each maximum within its
 * (H, W) plane: y W + x, like PyTorch's return_indices.  Ties go to the first
 * position in reading order; a NaN in a window wins (it propagates). */
#ifndef NN_POOL_H
#define NN_POOL_H

#include <stddef.h>

#include "nn_conv.h"

typedef struct {
    int N, C, H, W;   /* input  (N, C, H, W) */
    int F, S;         /* window F x F, stride S */
    int H2, W2;       /* output (N, C, H2, W2): computed by nn_pool_dims_make */
} nn_pool_dims;

int nn_pool_dims_make(nn_pool_dims *d, int N, int C, int H, int W, int F, int S);
size_t nn_pool_in_size(const nn_pool_dims *d);   /* N C H W */
size_t nn_pool_out_size(const nn_pool_dims *d);  /* N C H2 W2 */

int nn_maxpool_forward(float *out, int *argmax, const float *in, const nn_pool_dims *d);
int nn_maxpool_backward(float *d_in, const float *d_out, const int *argmax, const nn_pool_dims *d);

int nn_avgpool_forward(float *out, const float *in, const nn_pool_dims *d);
int nn_avgpool_backward(float *d_in, const float *d_out, const nn_pool_dims *d);

/* L2 backward needs the forward's input and output. */
int nn_l2pool_forward(float *out, const float *in, const nn_pool_dims *d);
int nn_l2pool_backward(float *d_in, const float *d_out, const float *in, const float *out,
                       const nn_pool_dims *d);

/* Global average pooling: one number per channel, the mean of its H x W plane.
 *     out (N, C) = mean over (H, W) of in (N, C, H, W);   d_in += d_out / (H W) */
int nn_global_avgpool_forward(float *out, const float *in, int N, int C, int H, int W);
int nn_global_avgpool_backward(float *d_in, const float *d_out, int N, int C, int H, int W);

#endif
