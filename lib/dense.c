/* dense.c: the dense layer as two GEMMs and a bias sum.
 * Dimension letters: B batch, I inputs, O outputs. */
#include "nn_dense.h"

#include <stddef.h>

#include "nn_gemm.h"

void nn_dense_forward(float *out, const float *in, const float *W, const float *b,
                      int B, int I, int O)
{
    /* out (B, O) = in (B, I) . W^T (I, O) */
    nn_gemm(NN_NO_TRANS, NN_TRANS, B, O, I, 1.0f, in, I, W, I, 0.0f, out, O);
    if (b)
        for (int n = 0; n < B; n++)
            for (int o = 0; o < O; o++)
                out[(size_t)n * O + o] += b[o];
}

void nn_dense_backward(float *d_in, float *d_W, float *d_b, const float *d_out,
                       const float *in, const float *W, int B, int I, int O)
{
    /* in the forward pass this was: out[n][o] = sum_i in[n][i] W[o][i] + b[o]; so */
    /* dW (O, I) += d_out^T (O, B) . in (B, I) */
    if (d_W)
        nn_gemm(NN_TRANS, NN_NO_TRANS, O, I, B, 1.0f, d_out, O, in, I, 1.0f, d_W, I);
    /* db (O) += sum_n d_out[n] */
    if (d_b)
        for (int n = 0; n < B; n++)
            for (int o = 0; o < O; o++)
                d_b[o] += d_out[(size_t)n * O + o];
    /* d_in (B, I) += d_out (B, O) . W (O, I) */
    if (d_in)
        nn_gemm(NN_NO_TRANS, NN_NO_TRANS, B, I, O, 1.0f, d_out, O, W, I, 1.0f, d_in, I);
}
