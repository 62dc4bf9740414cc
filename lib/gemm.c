/* gemm.c: C = alpha op(A) op(B) + beta C, row-major.
 *
 * Dimension letters, as in nn_gemm.h and in every comment below:
 *     op(A): (M, K)    op(B): (K, N)    C: (M, N)
 * i runs over M (rows of C), j over N (columns of C), k over K (the sum).
 *
 * Two versions with the same signature: nn_gemm_naive, one dot product per
 * element of C in double, the reference; and nn_gemm, a blocked kernel in the
 * style of GotoBLAS and BLIS, tested against it (tests/lib/test-gemm.c) and
 * timed against OpenBLAS (bench/bench-gemm.c).
 *
 * ---- Why blocking --------------------------------------------------------
 * C = A B does 2 M N K flops on M K + K N + M N numbers: each number of A is
 * used N times and each number of B M times.  A triple loop fetches them
 * from memory again for every use; a fast kernel fetches each once into a
 * cache level where it stays while it is reused.  Three levels of blocks:
 *
 *   1. A block of KC rows and NC columns of op(B) is packed into one
 *      contiguous buffer (it stays in the L3/L2 cache).
 *   2. A block of MC rows and KC columns of op(A) is packed into a second
 *      buffer (it stays in the L2 cache) and multiplied by the whole B block.
 *   3. Inside, a micro-kernel computes one MR x NR tile of C from a sliver of
 *      MR rows of the A block and a sliver of NR columns of the B block,
 *      keeping the MR x NR partial sums in vector registers for all KC steps
 *      of k: per step it loads MR numbers of A and NR of B and does MR NR
 *      multiplications and additions.  The B sliver (KC x NR) stays in L1.
 *
 *     for j0 over N in steps of NC:             B block  op(B)[k0:k0+KC, j0:j0+NC]
 *       for k0 over K in steps of KC:           packed into slivers of NR columns
 *         for i0 over M in steps of MC:         A block  op(A)[i0:i0+MC, k0:k0+KC]
 *           for jr over the block's N, step NR: packed into slivers of MR rows
 *             for ir over the block's M, step MR:
 *               C[ir:ir+MR, jr:jr+NR] (+)= alpha * A sliver . B sliver
 *
 * Packing also makes the transposes free: whichever of the four layouts
 * A and B come in, the packed slivers have the same layout, so there is
 * one micro-kernel.  Slivers at the edges (M not a multiple of MR, N not a
 * multiple of NR) are padded with zeros and only the valid part of the
 * tile is written back.
 *
 * ---- Same numbers on every machine ---------------------------------------
 * The kit promises: same seed, same numbers.  So every element of C is
 * computed by one fixed sequence of float operations, whatever the CPU:
 *
 *     for each block of K, k0 = 0, KC, 2 KC, ... (KC is a constant):
 *         acc = 0;  for k = k0 .. min(K, k0+KC)-1 in order:  acc = acc + a_ik * b_kj
 *         first block:   c = alpha * acc            (beta == 0: C is not read)
 *                        c = alpha * acc + beta * c  (beta != 0)
 *         later blocks:  c = alpha * acc + c
 *
 * A vector instruction does this for 4 (SSE2) or 8 (AVX2) neighbouring j
 * at once, lane by lane, so the vector width changes the speed and never the result.  Two
 * things would change it, and are excluded:
 *   - fused multiply-add (a * b + c rounded once instead of twice): the
 *     AVX2 path below is compiled for "avx2" only, which has no FMA
 *     instructions, and the compiler may not contract a * b + c anyway
 *     (GCC does not under -std=c11; clang is told so below);
 *   - reordering the sum over k (as -ffast-math or a kernel that splits k
 *     over vector lanes would): the kit never uses either.
 * The generic path (SSE2, every x86-64) and the AVX2 path are one source
 * compiled twice (the SSE2 one doing each tile in two halves of columns, as
 * its registers are half as wide); test-gemm checks they agree bit for bit.
 * With OpenMP (used only when OMP_NUM_THREADS is set, see nn_gemm), each
 * thread takes a band of columns of C and computes it exactly as one thread
 * would: one thread or several, same bits (test-gemm checks 1, 2 and 3).  Only NNLAB_GEMM=blas (OpenBLAS, which uses
 * FMA and its own blocking) gives different roundings; it is there for
 * comparison and is never the default. */
#include <config.h>

#include "nn_gemm.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_core.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

/* GCC never contracts a * b + c under -std=c11; clang does unless told. */
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
 * MR x NR = 6 x 16: 12 AVX2 registers of 8 floats hold the tile, 2 more a
 * row of the B sliver and 1 the broadcast a_ik, of the 16 there are (the
 * classic BLIS Haswell shape; the SSE2 path does it in two 6 x 8 halves,
 * see micro_kernel).  KC = 256: a B sliver is 256 x 16 floats =
 * 16 KiB, half an L1 cache.  MC = 96 (16 slivers): the A block is 96 KiB of
 * L2.  NC = 3072: the B block, 3 MiB, fits the shared cache; the kit's
 * shapes rarely have N > NC at all.  KC is part of the result (it fixes
 * where partial sums are rounded into C), so it is the same on every path;
 * the others only change the speed. */
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

static int min_int(int a, int b) { return a < b ? a : b; }

/* Pack one sliver of the A block, op(A)[i0 : i0+rows, k0 : k0+kc] with
 * rows <= MR: for k = 0 .. kc-1, the column op(A)[i0 + r][k0 + k],
 * r = 0 .. MR-1, so the micro-kernel reads MR contiguous numbers per k.
 * Rows past `rows` (the bottom edge of C) are zero. */
GEMM_INLINE void pack_a_sliver(float *restrict dst, int trans_a, const float *A, int lda,
                               int i0, int rows, int k0, int kc)
{
    for (int k = 0; k < kc; k++, dst += MR) {
        int r = 0;
        if (trans_a) {
            /* A stored (K, M): the MR numbers are contiguous in row k. */
            const float *src = &A[(size_t)(k0 + k) * lda + i0];
            for (; r < rows; r++)
                dst[r] = src[r];
        } else {
            /* A stored (M, K): one number from each of MR rows. */
            for (; r < rows; r++)
                dst[r] = A[(size_t)(i0 + r) * lda + k0 + k];
        }
        for (; r < MR; r++)
            dst[r] = 0.0f;
    }
}

/* Pack one sliver of the B block, op(B)[k0 : k0+kc, j0 : j0+cols] with
 * cols <= NR: for k = 0 .. kc-1, the row op(B)[k0 + k][j0 + c],
 * c = 0 .. NR-1, contiguous.  Columns past `cols` (the right edge of C)
 * are zero. */
GEMM_INLINE void pack_b_sliver(float *restrict dst, int trans_b, const float *B, int ldb,
                               int k0, int kc, int j0, int cols)
{
    if (!trans_b) {
        /* B stored (K, N): a row segment per k. */
        for (int k = 0; k < kc; k++, dst += NR) {
            const float *src = &B[(size_t)(k0 + k) * ldb + j0];
            int c = 0;
            for (; c < cols; c++)
                dst[c] = src[c];
            for (; c < NR; c++)
                dst[c] = 0.0f;
        }
    } else {
        /* B stored (N, K): column j of op(B) is row j of B, contiguous in k.
         * Walk k in the outer loop so the writes are contiguous; the NR rows
         * being read are NR sequential streams, which the caches follow. */
        const float *src[NR];
        for (int c = 0; c < cols; c++)
            src[c] = &B[(size_t)(j0 + c) * ldb + k0];
        for (int k = 0; k < kc; k++, dst += NR) {
            int c = 0;
            for (; c < cols; c++)
                dst[c] = src[c][k];
            for (; c < NR; c++)
                dst[c] = 0.0f;
        }
    }
}

/* The micro-kernel: one MR x NR tile of C from an A sliver (kc x MR) and a
 * B sliver (kc x NR).
 *
 *     acc[i][j] = sum over k = 0 .. kc-1, in order, of a[k][i] * b[k][j]
 *
 * acc is a local array indexed by constants once the i loop is unrolled,
 * so the compiler keeps it in registers; the j loop over contiguous numbers
 * becomes vector instructions, each a_ik broadcast to all lanes.  The
 * registers decide how many columns fit at once: AVX2 has 16 of 8 floats,
 * enough for all 6 x 16 (12 registers, 2 for a row of B, 1 for a_ik); SSE2
 * has 16 of 4 floats, so the generic path does the tile as two halves of
 * 6 x 8, each over all of k.  `width` (NR or NR / 2) is a constant in each
 * path, and the halves change when an element is computed, never how.
 *
 * Then the tile is written back, only its valid rows and columns (rows x
 * cols) at the edges: overwrite (first K block, beta == 0): c = alpha acc,
 * C not read; otherwise c = alpha acc + beta c (beta is 1 after the first
 * K block). */
GEMM_INLINE void micro_kernel(int kc, const float *restrict a, const float *restrict b,
                              float *restrict C, int ldc, int rows, int cols,
                              float alpha, float beta, int overwrite, const int width)
{
    for (int j0 = 0; j0 < cols; j0 += width) {
        float acc[MR][NR] = {{0.0f}};
        const float *a_k = a, *b_k = b + j0;
        for (int k = 0; k < kc; k++, a_k += MR, b_k += NR) {
#if defined(__GNUC__)
#pragma GCC unroll MR
#endif
            for (int i = 0; i < MR; i++) {
                const float a_ik = a_k[i];
                for (int j = 0; j < width; j++)
                    acc[i][j] += a_ik * b_k[j];
            }
        }
        float *c0 = &C[j0];
        if (rows == MR && j0 + width <= cols) {
            /* Whole tile: constant bounds, so these loops vectorise too. */
            for (int i = 0; i < MR; i++) {
                float *c = &c0[(size_t)i * ldc];
                if (overwrite)
                    for (int j = 0; j < width; j++)
                        c[j] = alpha * acc[i][j];
                else
                    for (int j = 0; j < width; j++)
                        c[j] = alpha * acc[i][j] + beta * c[j];
            }
        } else {
            const int n_cols = min_int(width, cols - j0);
            for (int i = 0; i < rows; i++) {
                float *c = &c0[(size_t)i * ldc];
                for (int j = 0; j < n_cols; j++)
                    c[j] = overwrite ? alpha * acc[i][j] : alpha * acc[i][j] + beta * c[j];
            }
        }
    }
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

/* One column of tiles: the B sliver (kc x NR) against every A sliver of
 * the A block (mc rows), C[0 : mc, 0 : cols] of the given corner.  The B
 * sliver stays in L1 while the A block streams past it from L2.  This is
 * the only part whose speed depends on the instruction set, so it is the
 * part compiled once per code path (below). */
GEMM_INLINE void tile_column(int kc, int mc, const float *a_pack, const float *b_sliver,
                             float *C, int ldc, int cols, float alpha, float beta, int overwrite,
                             const int width)
{
    for (int ir = 0; ir < mc; ir += MR)
        micro_kernel(kc, &a_pack[(size_t)ir * KC], b_sliver, &C[(size_t)ir * ldc], ldc,
                     min_int(MR, mc - ir), cols, alpha, beta, overwrite, width);
}

typedef void tile_column_fn(int kc, int mc, const float *a_pack, const float *b_sliver,
                            float *C, int ldc, int cols, float alpha, float beta, int overwrite);

/* ---- Code paths -----------------------------------------------------------
 * The same tile_column compiled for plain x86-64 (SSE2) and for AVX2 (no
 * FMA: see the top of the file); nn_gemm picks the widest the CPU has. */
static void tile_column_generic(int kc, int mc, const float *a_pack, const float *b_sliver,
                                float *C, int ldc, int cols, float alpha, float beta, int overwrite)
{
    tile_column(kc, mc, a_pack, b_sliver, C, ldc, cols, alpha, beta, overwrite, NR / 2);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define GEMM_HAVE_AVX2_PATH 1
__attribute__((target("avx2")))
static void tile_column_avx2(int kc, int mc, const float *a_pack, const float *b_sliver,
                             float *C, int ldc, int cols, float alpha, float beta, int overwrite)
{
    tile_column(kc, mc, a_pack, b_sliver, C, ldc, cols, alpha, beta, overwrite, NR);
}
#endif

/* The blocked GEMM, loops as in the sketch at the top of the file, for the
 * columns j_begin .. j_end-1 of C (a multiple of NR apart, except at N).
 * a_pack holds one A block (MC x KC), b_pack one B block (KC x NC), both
 * in whole slivers. */
static void gemm_blocked(int trans_a, int trans_b, int M, int j_begin, int j_end, int K,
                         float alpha, const float *A, int lda, const float *B, int ldb,
                         float beta, float *C, int ldc, float *a_pack, float *b_pack,
                         tile_column_fn *run_tile_column)
{
    for (int j0 = j_begin; j0 < j_end; j0 += NC) {
        const int nc = min_int(NC, j_end - j0);
        const int n_b_slivers = (nc + NR - 1) / NR;
        for (int k0 = 0; k0 < K; k0 += KC) {
            const int kc = min_int(KC, K - k0);
            /* First K block: C = alpha A B + beta C; later ones add on top. */
            const int overwrite = k0 == 0 && beta == 0.0f;
            const float beta_block = k0 == 0 ? beta : 1.0f;
            for (int s = 0; s < n_b_slivers; s++)
                pack_b_sliver(&b_pack[(size_t)s * KC * NR], trans_b, B, ldb,
                              k0, kc, j0 + s * NR, min_int(NR, nc - s * NR));
            for (int i0 = 0; i0 < M; i0 += MC) {
                const int mc = min_int(MC, M - i0);
                for (int s = 0; s * MR < mc; s++)
                    pack_a_sliver(&a_pack[(size_t)s * KC * MR], trans_a, A, lda,
                                  i0 + s * MR, min_int(MR, mc - s * MR), k0, kc);
                for (int s = 0; s < n_b_slivers; s++)
                    run_tile_column(kc, mc, a_pack, &b_pack[(size_t)s * KC * NR],
                                    &C[(size_t)i0 * ldc + j0 + s * NR], ldc,
                                    min_int(NR, nc - s * NR), alpha, beta_block, overwrite);
            }
        }
    }
}

enum { PATH_UNSET, PATH_GENERIC, PATH_AVX2, PATH_BLAS };
static const char *const path_names[] = {"unset", "generic", "avx2", "blas"};
static atomic_int current_path = PATH_UNSET;

static int cpu_has_avx2(void)
{
#if defined(GEMM_HAVE_AVX2_PATH)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return 0;
#endif
}

static int best_path(void)
{
    return cpu_has_avx2() ? PATH_AVX2 : PATH_GENERIC;
}

int nn_gemm_use_path(const char *name)
{
    int path;
    if (!name || !strcmp(name, "auto")) {
        path = best_path();
    } else if (!strcmp(name, "generic")) {
        path = PATH_GENERIC;
    } else if (!strcmp(name, "avx2")) {
        if (!cpu_has_avx2())
            return nn_error("nn_gemm: path 'avx2': this CPU (or compiler) has no AVX2; "
                            "use 'generic' or 'auto'");
        path = PATH_AVX2;
    } else if (!strcmp(name, "blas")) {
#if defined(HAVE_BLAS)
        path = PATH_BLAS;
#else
        return nn_error("nn_gemm: path 'blas': nnlab was built without OpenBLAS; "
                        "reconfigure with --with-blas (apt-get install libopenblas-dev)");
#endif
    } else {
        return nn_error("nn_gemm: unknown path '%s'; use auto, generic, avx2 or blas", name);
    }
    atomic_store(&current_path, path);
    return NN_OK;
}

/* The first call reads NNLAB_GEMM (auto when unset); a bad value is
 * reported on stderr, not silently ignored, and auto is used. */
static int path_in_use(void)
{
    int path = atomic_load(&current_path);
    if (path != PATH_UNSET)
        return path;
    const char *env = getenv("NNLAB_GEMM");
    if (env && *env && nn_gemm_use_path(env) != NN_OK) {
        fprintf(stderr, "%s: warning: NNLAB_GEMM=%s: %s; using auto\n", nn_program_name(), env,
                nn_last_error());
        nn_clear_error();
        env = NULL;
    }
    if (!env || !*env)
        nn_gemm_use_path("auto");
    return atomic_load(&current_path);
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
    tile_column_fn *run_tile_column = tile_column_generic;
#if defined(GEMM_HAVE_AVX2_PATH)
    if (path == PATH_AVX2)
        run_tile_column = tile_column_avx2;
#endif
    /* With OpenMP, the threads split C into bands of whole NR-column
     * slivers and each runs the blocked GEMM on its own band with its own
     * packing buffers: no thread waits for another until the end (on a busy
     * machine every wait can cost a whole time slice), and each element of
     * C is computed by one thread exactly as with one.  Each thread packs
     * all of A, M K copies, little next to its M N K / threads
     * multiply-adds. */
    const int n_slivers = (N + NR - 1) / NR;
    int n_bands = 1;
#if defined(_OPENMP)
    if ((double)M * N * K >= GEMM_PARALLEL_MIN_MULADDS && threads_requested() && !omp_in_parallel())
        n_bands = min_int(omp_get_max_threads(), n_slivers);
#endif
    OMP(omp parallel for num_threads(n_bands) schedule(static) if (n_bands > 1))
    for (int band = 0; band < n_bands; band++) {
        const int j_begin = NR * (int)((long)n_slivers * band / n_bands);
        const int j_end = min_int(N, NR * (int)((long)n_slivers * (band + 1) / n_bands));
        /* Packing buffers sized for the blocks this band needs, whole slivers. */
        const int mc = min_int(MC, M), nc = min_int(NC, j_end - j_begin);
        float *a_pack = nn_malloc(sizeof(float) * (size_t)((mc + MR - 1) / MR * MR) * KC);
        float *b_pack = nn_malloc(sizeof(float) * (size_t)((nc + NR - 1) / NR * NR) * KC);
        gemm_blocked(trans_a, trans_b, M, j_begin, j_end, K, alpha, A, lda, B, ldb, beta, C, ldc,
                     a_pack, b_pack, run_tile_column);
        free(a_pack);
        free(b_pack);
    }
}
