/* gemm.c: C = alpha op(A) op(B) + beta C, row-major.
 *
 * Dimension letters, as in nn_gemm.h and in every comment below:
 *     op(A): (M, K)    op(B): (K, N)    C: (M, N)
 * i runs over M (rows of C), j over N (columns of C), k over K (the sum).
 *
 * Two versions with the same signature: nn_gemm_naive, one dot product per
 * element of C in double, the reference; and nn_gemm, tested against it
 * (tests/lib/test-gemm.c) and timed against OpenBLAS (bench/bench-gemm.c).
 * nn_gemm has three code paths, chosen at run time: "scalar" (portable C,
 * any CPU), "avx2" (AVX2 with fused multiply-add) and "avx512" (AVX-512F).
 *
 * ---- Same bits on every machine -------------------------------------------
 * The kit promises: same seed, same bits, on every machine and at every
 * thread count.  So every element of C is computed by ONE fixed sequence of
 * IEEE float operations, whatever the path, the CPU or the threads:
 *
 *     for each block of K, k0 = 0, KC, 2 KC, ...  (KC = 256, a constant):
 *         acc = 0
 *         for k = k0 .. min(K, k0 + KC) - 1, in order:
 *             acc = fma(a_ik, b_kj, acc)            a_ik b_kj + acc, rounded once
 *         first block, beta == 0:   c = alpha acc   (C is not read: it may be garbage)
 *         first block, beta != 0:   c = fma(alpha, acc, beta c)
 *         later blocks:             c = fma(alpha, acc, c)
 *
 * Fused multiply-add is one correctly rounded IEEE 754 operation, so it gives
 * the same bits on every CPU that has it, and the C library's fmaf() gives
 * those same bits in software on a CPU that has not (slowly).  What would
 * break the promise is a different ORDER: summing k in another order, or in
 * several partial sums (as a kernel that splits k over vector lanes does,
 * or -ffast-math lets the compiler do), or moving the block boundaries.  No
 * path does.  A vector instruction computes 8 (AVX2) or 16 (AVX-512)
 * neighbouring j at once, lane by lane, each lane exactly the sequence
 * above: the width changes the speed, never the result.  Which tiles are
 * computed when, whether an operand is packed or read in place, and which
 * thread computes a tile change nothing either: each element is still that
 * one sequence.  tests/lib/test-gemm.c checks every path this CPU has, and
 * 1, 2 and 3 threads, bit for bit (memcmp) on odd shapes.
 *
 * ---- Why blocking --------------------------------------------------------
 * C = A B does 2 M N K flops on M K + K N + M N numbers: each number of A is
 * used N times and each number of B M times.  A fast kernel fetches each
 * once into a cache level where it stays while it is reused (the scheme of
 * GotoBLAS and BLIS):
 *
 *   1. A block of KC rows and NC columns of op(B) is packed into one
 *      contiguous buffer of slivers of NR columns (it stays in L2/L3).
 *   2. A block of MC rows and KC columns of op(A) (it stays in L2) is
 *      multiplied by the whole B block.
 *   3. Inside, a micro-kernel computes one MR x NR tile of C from an A
 *      sliver and a B sliver, keeping the MR x NR accumulators in vector
 *      registers for all KC steps of k: per step it loads NR numbers of B,
 *      broadcasts MR numbers of A, and does MR NR fused multiply-adds.
 *
 *     for j0 over N in steps of NC:
 *       for k0 over K in steps of KC:         (the block boundaries above)
 *         pack the B block op(B)[k0:k0+KC, j0:j0+NC]
 *         for i0 over M in steps of MC:      the A block op(A)[i0:i0+MC, k0:k0+KC]
 *           for each B sliver (NR columns), for each A sliver (MR rows):
 *             C tile (+)= micro-kernel
 *
 * Packing B makes its layouts look alike to the micro-kernel and keeps a
 * sliver in L1.  It is also a cost, K N copies per call, which a small or
 * skinny product (the MLP at batch 16: M = 16) cannot amortise.  The
 * micro-kernel reads A in place (it broadcasts single numbers, from any
 * layout) and B in place when op(B) rows are contiguous (B not
 * transposed), so the driver packs only what pays: see PACK_B_MIN_M. */
#include <config.h>

#include "nn_gemm.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpupath.h"
#include "nn_core.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

/* a * b + c must be rounded twice where the source says so (alpha acc is a
 * plain product) and once only where fmaf() says so: no contraction. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#if defined(HAVE_BLAS)
#if defined(HAVE_CBLAS_H)
#include <cblas.h>
#else
#include <openblas/cblas.h>
#endif
#endif

#if defined(__GNUC__) && defined(__x86_64__)
#define GEMM_HAVE_X86_PATHS 1
#include <immintrin.h>
#endif

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

/* ---- Block sizes ----------------------------------------------------------
 * KC = 256 is part of the result (it fixes where partial sums are rounded
 * into C), so it is the same on every path.  The others only change speed:
 * MR x NR = 6 x 16: the AVX2 tile, 12 registers of 8 floats for the
 * accumulators, 2 for a row of the B sliver and 1 for the broadcast a_ik, of
 * the 16 there are (the AVX-512 path does 6 x 32, two B slivers at once, in
 * 12 of its 32 registers).  A B sliver, 256 x 16 floats, is 16 KiB, half
 * the L1 cache; the A block, MC = 96 rows, 96 KiB of L2; the B block,
 * NC = 3072 columns, 3 MiB, fits the shared cache. */
enum { MR = 6, NR = 16, KC = 256, MC = 96, NC = 3072 };

/* Below this many multiply-adds (M N K) the threads cost more than they save. */
#define GEMM_PARALLEL_MIN_MULADDS (1 << 20)

/* OpenMP directives, written so a build without OpenMP sees nothing. */
#if defined(_OPENMP)
#define OMP(directive) _Pragma(#directive)
#else
#define OMP(directive)
#endif

#if defined(__GNUC__)
#define GEMM_INLINE static inline __attribute__((always_inline))
#else
#define GEMM_INLINE static inline
#endif

/* The micro-kernels' loops over the MR rows of a tile are unrolled, so the
 * accumulators, indexed by constants, live in registers. */
#if defined(__GNUC__)
#define GEMM_UNROLL _Pragma("GCC unroll 6")
#else
#define GEMM_UNROLL
#endif

static int min_int(int a, int b) { return a < b ? a : b; }

/* ---- The write-back, the last lines of the sequence above ------------------
 * One element, in scalar code.  Every path uses this formula (the vector
 * paths lane by lane, with the same operations); beta c with beta == 1 is
 * exactly c, so later blocks (beta_block = 1) need no special case. */
GEMM_INLINE float write_back(float acc, float c, float alpha, float beta, int overwrite)
{
    return overwrite ? alpha * acc : fmaf(alpha, acc, beta * c);
}

/* ---- The scalar path -------------------------------------------------------
 * The sequence above as loops, with the C library's fmaf(): on a CPU with
 * FMA the compiler or the library uses the instruction, on one without the
 * library computes the correctly rounded result in software.  Row by row of
 * C, one K block at a time, with the row's accumulators in acc: for each k,
 * acc[j] = fma(a_ik, b_kj, acc[j]) for all j, so every element sees its k
 * in order.  No packing: this path is for clarity and portability. */
static void gemm_scalar(int trans_a, int trans_b, int M, int N, int K, float alpha,
                        const float *A, int lda, const float *B, int ldb, float beta,
                        float *C, int ldc)
{
    float *acc = nn_malloc(sizeof(float) * (size_t)N);
    for (int i = 0; i < M; i++) {
        float *c = &C[(size_t)i * ldc];
        for (int k0 = 0; k0 < K; k0 += KC) {
            const int k_end = min_int(K, k0 + KC);
            const int overwrite = k0 == 0 && beta == 0.0f;
            const float beta_block = k0 == 0 ? beta : 1.0f;
            for (int j = 0; j < N; j++)
                acc[j] = 0.0f;
            for (int k = k0; k < k_end; k++) {
                const float a_ik = trans_a ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                for (int j = 0; j < N; j++) {
                    const float b_kj = trans_b ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j];
                    acc[j] = fmaf(a_ik, b_kj, acc[j]);
                }
            }
            for (int j = 0; j < N; j++)
                c[j] = write_back(acc[j], c[j], alpha, beta_block, overwrite);
        }
    }
    free(acc);
}

/* C = beta C, for K == 0 or alpha == 0 where there is nothing to add;
 * beta == 0 writes zeros without reading C (it may hold NaN garbage). */
static void scale_c(int M, int N, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        float *c = &C[(size_t)i * ldc];
        if (beta == 0.0f)
            for (int j = 0; j < N; j++)
                c[j] = 0.0f;
        else if (beta != 1.0f)
            for (int j = 0; j < N; j++)
                c[j] *= beta;
    }
}

#if defined(GEMM_HAVE_X86_PATHS)

/* ---- Operands as the micro-kernel sees them ------------------------------
 * An A sliver is MR rows of op(A) over kc steps of k: a_ik at
 * a[i * row_step + k * k_step].  Packed, row_step = 1 and k_step = MR (MR
 * contiguous numbers per k); read in place from A stored (M, K),
 * row_step = lda and k_step = 1; from A stored (K, M), row_step = 1 and
 * k_step = lda.  A B sliver is kc rows of NR contiguous numbers of op(B),
 * b_kj at b[k * b_step + j]: packed, b_step = NR; in place from B stored
 * (K, N), b_step = ldb. */
typedef struct {
    const float *a;
    long row_step, k_step;
} a_sliver;

/* Pack one sliver of A, op(A)[i0 : i0+rows, k0 : k0+kc] with
 * rows <= MR (only the bottom edge of C is packed: see PACK_B_MIN_M): for k = 0 .. kc-1, the MR numbers op(A)[i0 + r][k0 + k]
 * contiguous.  Rows past `rows` (the bottom edge of C) are zero. */
static void pack_a_sliver(float *restrict dst, int trans_a, const float *A, int lda, int i0,
                          int rows, int k0, int kc)
{
    if (trans_a) {
        /* A stored (K, M): the numbers of one k are contiguous. */
        if (rows == MR) {
            for (int k = 0; k < kc; k++, dst += MR)
                memcpy(dst, &A[(size_t)(k0 + k) * lda + i0], sizeof(float) * MR);
            return;
        }
        for (int k = 0; k < kc; k++, dst += MR) {
            const float *src = &A[(size_t)(k0 + k) * lda + i0];
            int r = 0;
            for (; r < rows; r++)
                dst[r] = src[r];
            for (; r < MR; r++)
                dst[r] = 0.0f;
        }
    } else {
        /* A stored (M, K): one number from each of `rows` rows per k. */
        const float *src[MR];
        for (int r = 0; r < rows; r++)
            src[r] = &A[(size_t)(i0 + r) * lda + k0];
        for (int k = 0; k < kc; k++, dst += MR) {
            int r = 0;
            for (; r < rows; r++)
                dst[r] = src[r][k];
            for (; r < MR; r++)
                dst[r] = 0.0f;
        }
    }
}

/* Pack one sliver of the B block, op(B)[k0 : k0+kc, j0 : j0+cols] with
 * cols <= NR, from B stored (K, N) (not transposed; pack_b_transposed_avx2
 * below packs B stored (N, K)): for k = 0 .. kc-1, the row
 * op(B)[k0 + k][j0 .. j0+NR-1] contiguous.  Columns past `cols` (the right
 * edge of C) are zero. */
static void pack_b_sliver(float *restrict dst, const float *B, int ldb, int k0, int kc, int j0,
                          int cols)
{
    /* A whole sliver copies a constant NR numbers per k, a memcpy the
     * compiler turns into a few vector moves (a loop would become a library
     * call per k). */
    if (cols == NR) {
        for (int k = 0; k < kc; k++, dst += NR)
            memcpy(dst, &B[(size_t)(k0 + k) * ldb + j0], sizeof(float) * NR);
        return;
    }
    for (int k = 0; k < kc; k++, dst += NR) {
        const float *src = &B[(size_t)(k0 + k) * ldb + j0];
        int c = 0;
        for (; c < cols; c++)
            dst[c] = src[c];
        for (; c < NR; c++)
            dst[c] = 0.0f;
    }
}

/* A sliver (cols <= NR = 16 columns) of B stored (N, K), packed 8 k at a
 * time: two 8 x 8 blocks (rows j0..j0+7 and j0+8..j0+15 of B, columns
 * k..k+7) transposed with unpack and permute instructions; rows past `cols`
 * read as zeros.  Only moves numbers: the result is the scalar
 * pack_b_sliver's, faster. */
__attribute__((target("avx2")))
static void pack_b_transposed_avx2(float *restrict dst, const float *B, int ldb, int k0, int kc,
                                   int j0, int cols)
{
    int k = 0;
    for (; k + 8 <= kc; k += 8) {
        for (int half = 0; half < 2; half++) {
            const float *src = &B[(size_t)(j0 + 8 * half) * ldb + k0 + k];
            __m256 r[8];
            for (int q = 0; q < 8; q++)
                r[q] = 8 * half + q < cols ? _mm256_loadu_ps(src + (size_t)q * ldb)
                                           : _mm256_setzero_ps();
            __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
            __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
            __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
            __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
            __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
            __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
            __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
            __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
            float *d = dst + (size_t)k * NR + 8 * half;
            _mm256_storeu_ps(d + 0 * NR, _mm256_permute2f128_ps(u0, u4, 0x20));
            _mm256_storeu_ps(d + 1 * NR, _mm256_permute2f128_ps(u1, u5, 0x20));
            _mm256_storeu_ps(d + 2 * NR, _mm256_permute2f128_ps(u2, u6, 0x20));
            _mm256_storeu_ps(d + 3 * NR, _mm256_permute2f128_ps(u3, u7, 0x20));
            _mm256_storeu_ps(d + 4 * NR, _mm256_permute2f128_ps(u0, u4, 0x31));
            _mm256_storeu_ps(d + 5 * NR, _mm256_permute2f128_ps(u1, u5, 0x31));
            _mm256_storeu_ps(d + 6 * NR, _mm256_permute2f128_ps(u2, u6, 0x31));
            _mm256_storeu_ps(d + 7 * NR, _mm256_permute2f128_ps(u3, u7, 0x31));
        }
    }
    for (; k < kc; k++)
        for (int c = 0; c < NR; c++)
            dst[(size_t)k * NR + c] = c < cols ? B[(size_t)(j0 + c) * ldb + k0 + k] : 0.0f;
}

/* ---- The AVX2 micro-kernel -------------------------------------------------
 * One MR x NR = 6 x 16 tile: acc[i] holds row i of the tile in two vectors
 * of 8 (lo: columns 0-7, hi: 8-15).  Per k: load the B row (two vectors),
 * and for each of the 6 rows broadcast a_ik and do two fused multiply-adds,
 * acc = fma(a_ik, b_k, acc): the sequence at the top of the file, 16 lanes
 * at a time.  The tile is written back whole with vector operations (the
 * same formula as write_back), or, at the edges of C (rows x cols of it
 * valid), through a small array and the scalar write_back. */
__attribute__((target("avx2,fma")))
GEMM_INLINE void kernel_avx2(int kc, a_sliver a, const float *b, long b_step, float *C, int ldc,
                             int rows, int cols, float alpha, float beta, int overwrite)
{
    __m256 lo[MR], hi[MR];
    GEMM_UNROLL
    for (int i = 0; i < MR; i++)
        lo[i] = hi[i] = _mm256_setzero_ps();
    /* Ask for the tile of C now; it is needed after the k loop. */
    for (int i = 0; i < rows; i++) {
        _mm_prefetch((const char *)&C[(size_t)i * ldc], _MM_HINT_T0);
        _mm_prefetch((const char *)&C[(size_t)i * ldc + NR - 1], _MM_HINT_T0);
    }
    const float *a_k = a.a;
    _Pragma("GCC unroll 4")
    for (int k = 0; k < kc; k++, a_k += a.k_step, b += b_step) {
        const __m256 b_lo = _mm256_loadu_ps(b), b_hi = _mm256_loadu_ps(b + 8);
        GEMM_UNROLL
        for (int i = 0; i < MR; i++) {
            const __m256 a_ik = _mm256_broadcast_ss(a_k + i * a.row_step);
            lo[i] = _mm256_fmadd_ps(a_ik, b_lo, lo[i]);
            hi[i] = _mm256_fmadd_ps(a_ik, b_hi, hi[i]);
        }
    }
    const __m256 alpha_v = _mm256_set1_ps(alpha), beta_v = _mm256_set1_ps(beta);
    if (rows == MR && cols == NR) {
        GEMM_UNROLL
        for (int i = 0; i < MR; i++) {
            float *c = &C[(size_t)i * ldc];
            if (overwrite) {
                _mm256_storeu_ps(c, _mm256_mul_ps(alpha_v, lo[i]));
                _mm256_storeu_ps(c + 8, _mm256_mul_ps(alpha_v, hi[i]));
            } else {
                __m256 c_lo = _mm256_loadu_ps(c), c_hi = _mm256_loadu_ps(c + 8);
                if (beta != 1.0f) {
                    c_lo = _mm256_mul_ps(beta_v, c_lo);
                    c_hi = _mm256_mul_ps(beta_v, c_hi);
                }
                _mm256_storeu_ps(c, _mm256_fmadd_ps(alpha_v, lo[i], c_lo));
                _mm256_storeu_ps(c + 8, _mm256_fmadd_ps(alpha_v, hi[i], c_hi));
            }
        }
        return;
    }
    float tile[MR][NR];
    GEMM_UNROLL
    for (int i = 0; i < MR; i++) {
        _mm256_storeu_ps(tile[i], lo[i]);
        _mm256_storeu_ps(tile[i] + 8, hi[i]);
    }
    for (int i = 0; i < rows; i++) {
        float *c = &C[(size_t)i * ldc];
        for (int j = 0; j < cols; j++)
            c[j] = write_back(tile[i][j], c[j], alpha, beta, overwrite);
    }
}

/* ---- The AVX-512 micro-kernel ------------------------------------------------
 * The AVX2 kernel with vectors of 16: a 6 x 32 tile from one A sliver and
 * two B slivers side by side (b0: columns 0-15, b1: 16-31), or 6 x 16 from
 * one (`two` = 0) at the right edge.  Same k loop, same fused multiply-add
 * per lane, same write-back: the same bits as the other paths.  Compiled
 * with a target attribute and used only on CPUs that report avx512f;
 * tests/lib/test-gemm.c compares it bit for bit with the other paths on
 * every CPU that has AVX-512 (written on an AVX2-only AMD EPYC, it has
 * since passed on a Zen 4 and a Zen 5). */
__attribute__((target("avx512f")))
GEMM_INLINE void kernel_avx512(int kc, a_sliver a, const float *b0, const float *b1, long b_step,
                               float *C, int ldc, int rows, int cols, float alpha, float beta,
                               int overwrite, const int two)
{
    __m512 v0[MR], v1[MR];
    GEMM_UNROLL
    for (int i = 0; i < MR; i++)
        v0[i] = v1[i] = _mm512_setzero_ps();
    const float *a_k = a.a;
    for (int k = 0; k < kc; k++, a_k += a.k_step, b0 += b_step, b1 += b_step) {
        const __m512 b_0 = _mm512_loadu_ps(b0);
        const __m512 b_1 = two ? _mm512_loadu_ps(b1) : _mm512_setzero_ps();
        GEMM_UNROLL
        for (int i = 0; i < MR; i++) {
            const __m512 a_ik = _mm512_set1_ps(a_k[i * a.row_step]);
            v0[i] = _mm512_fmadd_ps(a_ik, b_0, v0[i]);
            if (two)
                v1[i] = _mm512_fmadd_ps(a_ik, b_1, v1[i]);
        }
    }
    const int width = two ? 2 * NR : NR;
    const __m512 alpha_v = _mm512_set1_ps(alpha), beta_v = _mm512_set1_ps(beta);
    if (rows == MR && cols == width) {
        GEMM_UNROLL
        for (int i = 0; i < MR; i++) {
            float *c = &C[(size_t)i * ldc];
            for (int h = 0; h < 1 + two; h++) {
                const __m512 acc = h ? v1[i] : v0[i];
                if (overwrite) {
                    _mm512_storeu_ps(c + 16 * h, _mm512_mul_ps(alpha_v, acc));
                } else {
                    __m512 c_v = _mm512_loadu_ps(c + 16 * h);
                    if (beta != 1.0f)
                        c_v = _mm512_mul_ps(beta_v, c_v);
                    _mm512_storeu_ps(c + 16 * h, _mm512_fmadd_ps(alpha_v, acc, c_v));
                }
            }
        }
        return;
    }
    float tile[MR][2 * NR];
    GEMM_UNROLL
    for (int i = 0; i < MR; i++) {
        _mm512_storeu_ps(tile[i], v0[i]);
        _mm512_storeu_ps(tile[i] + NR, v1[i]);
    }
    for (int i = 0; i < rows; i++) {
        float *c = &C[(size_t)i * ldc];
        for (int j = 0; j < cols; j++)
            c[j] = write_back(tile[i][j], c[j], alpha, beta, overwrite);
    }
}

/* ---- The blocked driver ------------------------------------------------------
 * One K block of one column band: the B block's slivers against the A
 * block's, for C[i0 : i0+mc, j0 : j0+nc].  Each operand sliver is either
 * packed or read in place (A always in place, B as gemm_job's pack_b
 * says: see PACK_B_MIN_M); the edge slivers
 * (fewer than MR rows or NR columns) are always packed, padded with zeros,
 * so the micro-kernels always compute whole tiles. */
typedef struct {
    int trans_a, trans_b, M, K, lda, ldb, ldc;
    const float *A, *B;
    float alpha, beta, *C;
    int pack_b;
    float *a_edge;             /* the bottom edge sliver of A, packed */
    float *b_pack;             /* the packed B block, or only its edge sliver */
} gemm_job;

/* Where the A sliver of rows i0 + ir .. i0 + ir + MR-1 is: in place, or
 * at the bottom edge (mc - ir < MR rows left) the packed edge sliver. */
static a_sliver a_sliver_at(const gemm_job *g, int i0, int ir, int k0, int mc)
{
    if (mc - ir < MR)   /* the bottom edge: packed with zero rows */
        return (a_sliver){g->a_edge, 1, MR};
    const int i = i0 + ir;
    if (g->trans_a)
        return (a_sliver){&g->A[(size_t)k0 * g->lda + i], 1, g->lda};
    return (a_sliver){&g->A[(size_t)i * g->lda + k0], g->lda, 1};
}

/* Where B sliver t (columns j0 + t NR ..) is, and its step from k to k+1. */
static const float *b_sliver_at(const gemm_job *g, int t, int j0, int nc, int k0, long *b_step)
{
    *b_step = NR;
    if (g->pack_b)
        return &g->b_pack[(size_t)t * KC * NR];
    if (nc - t * NR < NR)   /* the right edge: packed with zero columns */
        return g->b_pack;
    *b_step = g->ldb;
    return &g->B[(size_t)k0 * g->ldb + j0 + t * NR];
}

__attribute__((target("avx2,fma")))
static void run_block_avx2(const gemm_job *g, int j0, int nc, int k0, int kc, int i0, int mc)
{
    const int overwrite = k0 == 0 && g->beta == 0.0f;
    const float beta_block = k0 == 0 ? g->beta : 1.0f;
    for (int t = 0; t * NR < nc; t++) {
        long b_step;
        const float *b = b_sliver_at(g, t, j0, nc, k0, &b_step);
        const int cols = min_int(NR, nc - t * NR);
        for (int ir = 0; ir < mc; ir += MR)
            kernel_avx2(kc, a_sliver_at(g, i0, ir, k0, mc), b, b_step,
                        &g->C[(size_t)(i0 + ir) * g->ldc + j0 + t * NR], g->ldc,
                        min_int(MR, mc - ir), cols, g->alpha, beta_block, overwrite);
    }
}

/* The same loops, two B slivers per kernel call when they are neighbours
 * with the same step (both packed or both in place). */
__attribute__((target("avx2,fma,avx512f")))
static void run_block_avx512(const gemm_job *g, int j0, int nc, int k0, int kc, int i0, int mc)
{
    const int overwrite = k0 == 0 && g->beta == 0.0f;
    const float beta_block = k0 == 0 ? g->beta : 1.0f;
    const int n_slivers = (nc + NR - 1) / NR;
    for (int t = 0; t < n_slivers;) {
        long b_step, b_step_next = 0;
        const float *b = b_sliver_at(g, t, j0, nc, k0, &b_step), *b_next = b;
        if (t + 1 < n_slivers)
            b_next = b_sliver_at(g, t + 1, j0, nc, k0, &b_step_next);
        const int two = t + 1 < n_slivers && b_step_next == b_step;
        const int cols = min_int(two ? 2 * NR : NR, nc - t * NR);
        for (int ir = 0; ir < mc; ir += MR) {
            const a_sliver a = a_sliver_at(g, i0, ir, k0, mc);
            float *c = &g->C[(size_t)(i0 + ir) * g->ldc + j0 + t * NR];
            const int rows = min_int(MR, mc - ir);
            if (two)
                kernel_avx512(kc, a, b, b_next, b_step, c, g->ldc, rows, cols, g->alpha,
                              beta_block, overwrite, 1);
            else
                kernel_avx512(kc, a, b, b, b_step, c, g->ldc, rows, cols, g->alpha, beta_block,
                              overwrite, 0);
        }
        t += two ? 2 : 1;
    }
}

typedef void run_block_fn(const gemm_job *g, int j0, int nc, int k0, int kc, int i0, int mc);

/* What to pack.  The micro-kernel broadcasts single numbers of A, which
 * it can read from any layout in place: A is never packed (packing it was
 * measured no faster, and slower when N is small and each A sliver serves
 * only N / NR tiles), only its bottom edge, padded with zero rows.  B must
 * be packed when it is transposed (the micro-kernel needs NR contiguous j),
 * and is when M is large: each B sliver then serves M / MR tiles from the
 * L1 cache, worth its copy, where the rows of B in place, ldb apart, would
 * evict one another (512^3: 45 GFLOP/s in place, 67 packed).  For small M
 * it is read in place, except its right edge. */
enum { PACK_B_MIN_M = 96 };

/* The columns j_begin .. j_end-1 of C (a multiple of NR apart, except at N),
 * with buffers for the A edge sliver (MR x KC) and the packed B block
 * (KC x NC, or one sliver when B is read in place). */
static void gemm_band(gemm_job g, int j_begin, int j_end, run_block_fn *run)
{
    for (int j0 = j_begin; j0 < j_end; j0 += NC) {
        const int nc = min_int(NC, j_end - j0);
        const int n_slivers = (nc + NR - 1) / NR;
        for (int k0 = 0; k0 < g.K; k0 += KC) {
            const int kc = min_int(KC, g.K - k0);
            for (int s = 0; s < n_slivers; s++) {
                const int cols = min_int(NR, nc - s * NR);
                if (g.pack_b && g.trans_b)
                    pack_b_transposed_avx2(&g.b_pack[(size_t)s * KC * NR], g.B, g.ldb, k0, kc,
                                           j0 + s * NR, cols);
                else if (g.pack_b)
                    pack_b_sliver(&g.b_pack[(size_t)s * KC * NR], g.B, g.ldb, k0, kc, j0 + s * NR,
                                  cols);
                else if (cols < NR)
                    pack_b_sliver(g.b_pack, g.B, g.ldb, k0, kc, j0 + s * NR, cols);
            }
            for (int i0 = 0; i0 < g.M; i0 += MC) {
                const int mc = min_int(MC, g.M - i0);
                if (mc % MR)
                    pack_a_sliver(g.a_edge, g.trans_a, g.A, g.lda, i0 + mc / MR * MR, mc % MR, k0, kc);
                run(&g, j0, nc, k0, kc, i0, mc);
            }
        }
    }
}

/* Packing buffers, one pair per thread, kept from call to call (fresh
 * pages from the system on every call would cost more than a small
 * product's arithmetic); they only grow.  Each thread's is also kept in a
 * table (a thread takes the next slot at its first call), so it stays
 * reachable while the program runs: OpenMP's worker threads keep theirs,
 * and a leak checker at exit sees memory in use, not memory lost.  A
 * thread past the table's end still works, with its buffer in thread-local
 * storage only. */
enum { PACK_SLOTS = 256 };
static float *pack_table[PACK_SLOTS];
static atomic_int pack_slots_used;
static _Thread_local int pack_slot = -1;   /* -1: none yet, PACK_SLOTS: table full */
static _Thread_local float *pack_space;
static _Thread_local size_t pack_space_floats;

static float *pack_buffers(size_t floats)
{
    if (pack_slot < 0) {
        const int slot = atomic_fetch_add(&pack_slots_used, 1);
        pack_slot = slot < PACK_SLOTS ? slot : PACK_SLOTS;
    }
    if (floats > pack_space_floats) {
        free(pack_space);
        /* Aligned to a cache line, so no vector load of a packed row
         * straddles two lines. */
        pack_space = aligned_alloc(64, (sizeof(float) * floats + 63) / 64 * 64);
        if (!pack_space)
            pack_space = nn_malloc(sizeof(float) * floats);
        pack_space_floats = floats;
        if (pack_slot < PACK_SLOTS)
            pack_table[pack_slot] = pack_space;
    }
    return pack_space;
}

/* Band `band` of n_bands: whole NR-column slivers, with this thread's
 * packing buffers. */
static void run_band(gemm_job job, int band, int n_bands, int n_slivers, int N, run_block_fn *run)
{
    const int j_begin = NR * (int)((long)n_slivers * band / n_bands);
    const int j_end = min_int(N, NR * (int)((long)n_slivers * (band + 1) / n_bands));
    const int nc = min_int(NC, j_end - j_begin);
    const size_t a_floats = (size_t)MR * KC;
    const size_t b_floats = (size_t)(job.pack_b ? (nc + NR - 1) / NR : 1) * NR * KC;
    job.a_edge = pack_buffers(a_floats + b_floats);
    job.b_pack = job.a_edge + a_floats;
    gemm_band(job, j_begin, j_end, run);
}

#endif /* GEMM_HAVE_X86_PATHS */

/* ---- Choosing a path ---------------------------------------------------- */
/* lib/cpupath.c chooses among the CPU paths (as it does for lib/vmath.c);
 * "blas", OpenBLAS for comparison, is nn_gemm's own fifth. */
enum { PATH_BLAS = NN_PATH_AVX512 + 1 };
static const char *const path_names[] = {"unset", "scalar", "avx2", "avx512", "blas"};
static atomic_int current_path = NN_PATH_UNSET;

int nn_gemm_use_path(const char *name)
{
    int path;
    if (name && !strcmp(name, "blas")) {
#if defined(HAVE_BLAS)
        path = PATH_BLAS;
#else
        return nn_error("nn_gemm: path 'blas': nnlab was built without OpenBLAS; "
                        "reconfigure with --with-blas (apt-get install libopenblas-dev)");
#endif
    } else if (nn_cpu_path_named("nn_gemm", "auto, scalar, avx2, avx512 or blas", name, &path) !=
               NN_OK) {
        return NN_ERR;
    }
    atomic_store(&current_path, path);
    return NN_OK;
}

/* The first call reads NNLAB_GEMM (auto when unset). */
static int path_in_use(void)
{
    return nn_cpu_path_in_use(&current_path, "NNLAB_GEMM", nn_gemm_use_path);
}

const char *nn_gemm_path(void)
{
    return path_names[path_in_use()];
}

#if defined(_OPENMP)
/* Threads only on request.  OpenMP's default, one thread per core, is a
 * poor one for the kit: `make -j2 check` runs two tests at once on two
 * cores, and when threads outnumber free cores, libgomp's idle threads spin
 * on the cores the working ones need (bench/README.md measured 10 times
 * slower than one thread).  So nn_gemm uses omp_get_max_threads() threads
 * only when OMP_NUM_THREADS is set, as in OMP_NUM_THREADS=2 ./ch02-backprop,
 * and one otherwise. */
static int threads_requested(void)
{
    const char *env = getenv("OMP_NUM_THREADS");
    return env && *env;
}
#endif

void nn_gemm(int trans_a, int trans_b, int M, int N, int K,
             float alpha, const float *A, int lda, const float *B, int ldb,
             float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
    if (K <= 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    const int path = path_in_use();
#if defined(HAVE_BLAS)
    if (path == PATH_BLAS) {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb,
                    beta, C, ldc);
        return;
    }
#endif
#if defined(GEMM_HAVE_X86_PATHS)
    if (path == NN_PATH_AVX2 || path == NN_PATH_AVX512) {
        run_block_fn *run = path == NN_PATH_AVX512 ? run_block_avx512 : run_block_avx2;
        /* With OpenMP, the threads split C into bands of whole NR-column
         * slivers and each runs the blocked GEMM on its own band with its
         * own packing buffers: no thread waits for another until the end,
         * and each element of C is computed by one thread, by the sequence
         * at the top of the file, whatever the number of threads. */
        const int n_slivers = (N + NR - 1) / NR;
        int n_bands = 1;
#if defined(_OPENMP)
        if ((double)M * N * K >= GEMM_PARALLEL_MIN_MULADDS && threads_requested() &&
            !omp_in_parallel())
            n_bands = min_int(omp_get_max_threads(), n_slivers);
#endif
        const gemm_job job = {trans_a, trans_b, M, K, lda, ldb, ldc, A, B, alpha, beta, C,
                              trans_b || M >= PACK_B_MIN_M, NULL, NULL};
        /* One band needs no parallel region: entering one, even for a
         * team of one thread, costs libgomp system calls, which a small
         * product (Winograd makes hundreds per layer) pays every call. */
        if (n_bands == 1) {
            run_band(job, 0, 1, n_slivers, N, run);
            return;
        }
        OMP(omp parallel for num_threads(n_bands) schedule(static))
        for (int band = 0; band < n_bands; band++)
            run_band(job, band, n_bands, n_slivers, N, run);
        return;
    }
#endif
    gemm_scalar(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
