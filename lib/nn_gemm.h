/* nn_gemm.h: general matrix multiply, the kernel under dense and conv layers.
 *
 *     C = alpha * op(A) * op(B) + beta * C
 *
 * Row-major, as every array in the kit.  op(X) is X or X^T as trans_x says.
 * Shapes (dimension letters used in every GEMM comment of the kit):
 *     op(A): (M, K)    op(B): (K, N)    C: (M, N)
 * lda, ldb, ldc are the row strides of A, B, C as stored (A stored (M, K)
 * has lda >= K; stored transposed, (K, M), it has lda >= M).
 * beta == 0 overwrites C without reading it (so C may hold garbage).
 *
 * nn_gemm is the blocked kernel; nn_gemm_naive is the triple loop (in
 * double) it is tested against, same signature, same result up to float
 * rounding. */
#ifndef NN_GEMM_H
#define NN_GEMM_H

enum { NN_NO_TRANS = 0, NN_TRANS = 1 };

void nn_gemm(int trans_a, int trans_b, int M, int N, int K,
             float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc);

void nn_gemm_naive(int trans_a, int trans_b, int M, int N, int K,
                   float alpha, const float *A, int lda, const float *B, int ldb,
                   float beta, float *C, int ldc);

/* nn_gemm's code paths: "scalar" (portable C with the C library's fmaf(),
 * any CPU), "avx2" (AVX2 with FMA), "avx512" (AVX-512F) and, in a
 * --with-blas build, "blas" (OpenBLAS's cblas_sgemm).  scalar, avx2 and
 * avx512 give the same bits: every element of C is one fixed sequence of
 * fused multiply-adds in k order, in blocks of 256 (lib/gemm.c says it
 * exactly, tests/lib/test-gemm.c checks every path the CPU has against it);
 * blas rounds differently and is only for comparison.  The environment
 * variable NNLAB_GEMM sets the path at the first call; the default is
 * "auto", the fastest this CPU has (avx512, else avx2, else scalar).
 *   nn_gemm_use_path: "auto", "scalar", "avx2", "avx512" or "blas"; NN_ERR
 *                     with a message when this CPU or build lacks that path.
 *   nn_gemm_path:     the name of the path nn_gemm uses now.
 *
 * Threads: nn_gemm runs on one thread unless the environment variable
 * OMP_NUM_THREADS is set (OMP_NUM_THREADS=2 ./program); then on that many,
 * or as many as omp_set_num_threads() asked for since.  The results are the
 * same bits whatever the number. */
int nn_gemm_use_path(const char *name);
const char *nn_gemm_path(void);

#endif
