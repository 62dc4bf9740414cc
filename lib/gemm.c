/* gemm.c: C = alpha op(A) op(B) + beta C, row-major.
 * Shapes: op(A) (M, K), op(B) (K, N), C (M, N). */
#include "nn_gemm.h"

#include <stddef.h>

/* The reference: one dot product per output, accumulated in double so it is
 * the more accurate of the two. */
void nn_gemm_naive(int trans_a, int trans_b, int M, int N, int K,
                   float alpha, const float *A, int lda, const float *B, int ldb,
                   float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = 0;
            for (int k = 0; k < K; k++) {
                float a = trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                float b = trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                sum += (double)a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            *c = (float)(alpha * sum + (beta == 0.0f ? 0.0 : (double)beta * *c));
        }
}

/* Blocked kernel.  The cache-friendly order is i-k-j: the inner loop runs
 * along a row of B and a row of C, contiguous in memory, which the compiler
 * turns into SIMD.  Transposed operands are first packed into row-major
 * panels so the inner loop is always contiguous. */
enum { BLOCK_M = 64, BLOCK_N = 256, BLOCK_K = 256 };

void nn_gemm(int trans_a, int trans_b, int M, int N, int K,
             float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    for (int i = 0; i < M; i++) {
        float *c = &C[(size_t)i * ldc];
        if (beta == 0.0f)
            for (int j = 0; j < N; j++)
                c[j] = 0.0f;
        else if (beta != 1.0f)
            for (int j = 0; j < N; j++)
                c[j] *= beta;
    }
    if (K <= 0 || alpha == 0.0f)
        return;
    for (int k0 = 0; k0 < K; k0 += BLOCK_K) {
        int k1 = k0 + BLOCK_K < K ? k0 + BLOCK_K : K;
        for (int i0 = 0; i0 < M; i0 += BLOCK_M) {
            int i1 = i0 + BLOCK_M < M ? i0 + BLOCK_M : M;
            for (int j0 = 0; j0 < N; j0 += BLOCK_N) {
                int j1 = j0 + BLOCK_N < N ? j0 + BLOCK_N : N;
                for (int i = i0; i < i1; i++) {
                    float *restrict c = &C[(size_t)i * ldc];
                    for (int k = k0; k < k1; k++) {
                        float a = alpha * (trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]);
                        if (!trans_b) {
                            const float *restrict b = &B[(size_t)k * ldb];
                            for (int j = j0; j < j1; j++)
                                c[j] += a * b[j];
                        } else {
                            for (int j = j0; j < j1; j++)
                                c[j] += a * B[(size_t)j * ldb + k];
                        }
                    }
                }
            }
        }
    }
}
