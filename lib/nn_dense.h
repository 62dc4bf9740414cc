/* nn_dense.h: the dense (fully connected) layer.
 *
 * For a batch of B inputs of I features and O outputs, with W stored (O, I)
 * as PyTorch's nn.Linear stores it:
 *
 *     forward:   out = in W^T + b            out (B, O), in (B, I), W (O, I), b (O)
 *     backward:  dW  += d_out^T in            (O, I)
 *                db  += sum over the batch of d_out   (O)
 *                d_in += d_out W              (B, I)   (skipped when d_in is NULL)
 *
 * This is z^l = W^l a^(l-1) + b^l of the lectures, one example per row. */
#ifndef NN_DENSE_H
#define NN_DENSE_H

void nn_dense_forward(float *out, const float *in, const float *W, const float *b,
                      int B, int I, int O);
void nn_dense_backward(float *d_in, float *d_W, float *d_b, const float *d_out,
                       const float *in, const float *W, int B, int I, int O);

#endif
