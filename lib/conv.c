/* conv.c: 2-D convolution (cross-correlation), forward and backward.
 * Dimension letters as in nn_conv.h: N C H W in, K F S P filter, H2 W2 out. */
#include <config.h>

#include "nn_conv.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif
#if defined(__GNUC__) && defined(__x86_64__)
#define CONV_HAVE_AVX2 1
#include <immintrin.h>
#endif

#include "convdirect.h"
#include "nn_core.h"
#include "nn_gemm.h"
#include "winograd.h"

int nn_out_size(const char *what, int in, int F, int S, int P, int *out)
{
    if (in < 1)
        return nn_error("%s: input size %d is empty: give an input of at least 1 pixel", what, in);
    if (F < 1)
        return nn_error("%s: filter size %d is impossible: use a filter of at least 1 x 1", what, F);
    if (S < 1)
        return nn_error("%s: stride %d is impossible: the stride must be at least 1", what, S);
    if (P < 0)
        return nn_error("%s: padding %d is negative: use a padding of 0 or more", what, P);
    /* Pooling windows never pad (nn_pool.h): their message says so. */
    if (F > in + 2 * P && strncmp(what, "pool", 4) == 0)
        return nn_error("%s: window %d is larger than the input %d: use a window of at most %d",
                        what, F, in, in);
    if (F > in + 2 * P)
        return nn_error("%s: filter %d is larger than the padded input %d + 2*%d = %d: "
                        "use a filter of at most %d, or pad by at least %d",
                        what, F, in, P, in + 2 * P, in + 2 * P, (F - in + 1) / 2);
    /* W2 = (W - F + 2P) / S + 1, the division rounded down (PyTorch's
     * ceil_mode=False): a step that would leave the padded input is not taken. */
    *out = (in - F + 2 * P) / S + 1;
    return NN_OK;
}

int nn_conv_dims_make(nn_conv_dims *d, int N, int C, int H, int W, int K, int F, int S, int P)
{
    if (N < 1 || C < 1 || K < 1)
        return nn_error("conv2d: batch %d, channels %d and filters %d must all be at least 1",
                        N, C, K);
    nn_conv_dims t = {N, C, H, W, K, F, S, P, 0, 0};
    if (nn_out_size("conv2d height", H, F, S, P, &t.H2) != NN_OK ||
        nn_out_size("conv2d width", W, F, S, P, &t.W2) != NN_OK)
        return NN_ERR;
    *d = t;
    return NN_OK;
}

size_t nn_conv_in_size(const nn_conv_dims *d) { return (size_t)d->N * d->C * d->H * d->W; }
size_t nn_conv_out_size(const nn_conv_dims *d) { return (size_t)d->N * d->K * d->H2 * d->W2; }
size_t nn_conv_weight_size(const nn_conv_dims *d) { return (size_t)d->K * d->C * d->F * d->F; }

/* Every kernel re-derives the output size from the struct, so a hand-filled
 * or stale nn_conv_dims cannot make it read out of bounds. */
static int check_dims(const nn_conv_dims *d, const char *fn)
{
    nn_conv_dims t;
    if (!d)
        return nn_error("%s: no dimensions given (make them with nn_conv_dims_make)", fn);
    if (nn_conv_dims_make(&t, d->N, d->C, d->H, d->W, d->K, d->F, d->S, d->P) != NN_OK)
        return NN_ERR;
    if (t.H2 != d->H2 || t.W2 != d->W2)
        return nn_error("%s: output size %d x %d does not match the input, filter, stride and "
                        "padding (they give %d x %d): make the dimensions with nn_conv_dims_make",
                        fn, d->H2, d->W2, t.H2, t.W2);
    return NN_OK;
}

/* ---- The reference: the formula as loops, in double ------------------------ */

int nn_conv2d_forward_naive(float *out, const float *in, const float *w, const float *b,
                            const nn_conv_dims *d)
{
    if (check_dims(d, "nn_conv2d_forward_naive") != NN_OK)
        return NN_ERR;
    const int C = d->C, H = d->H, W = d->W, K = d->K, F = d->F, S = d->S, P = d->P;
    for (int n = 0; n < d->N; n++)
        for (int k = 0; k < K; k++)
            for (int i = 0; i < d->H2; i++)
                for (int j = 0; j < d->W2; j++) {
                    double z = b ? b[k] : 0.0;
                    for (int c = 0; c < C; c++)
                        for (int u = 0; u < F; u++)
                            for (int v = 0; v < F; v++) {
                                int y = i * S + u - P, x = j * S + v - P;
                                if (y < 0 || y >= H || x < 0 || x >= W)
                                    continue;   /* zero padding */
                                z += (double)in[(((size_t)n * C + c) * H + y) * W + x] *
                                     w[(((size_t)k * C + c) * F + u) * F + v];
                            }
                    out[(((size_t)n * K + k) * d->H2 + i) * d->W2 + j] = (float)z;
                }
    return NN_OK;
}

int nn_conv2d_backward_naive(float *d_in, float *d_w, float *d_b, const float *d_out,
                             const float *in, const float *w, const nn_conv_dims *d)
{
    if (check_dims(d, "nn_conv2d_backward_naive") != NN_OK)
        return NN_ERR;
    const int C = d->C, H = d->H, W = d->W, K = d->K, F = d->F, S = d->S, P = d->P;
    size_t n_in = nn_conv_in_size(d), n_w = nn_conv_weight_size(d);
    double *g_in = nn_doubles(n_in), *g_w = nn_doubles(n_w), *g_b = nn_doubles((size_t)K);
    for (int n = 0; n < d->N; n++)
        for (int k = 0; k < K; k++)
            for (int i = 0; i < d->H2; i++)
                for (int j = 0; j < d->W2; j++) {
                    double g = d_out[(((size_t)n * K + k) * d->H2 + i) * d->W2 + j];
                    /* in the forward pass this was: out[n,k,i,j] = b[k] + sum in[..] w[k,c,u,v];
                     * so d out / d b[k] = 1, d out / d w = in[..], d out / d in[..] = w: */
                    g_b[k] += g;
                    for (int c = 0; c < C; c++)
                        for (int u = 0; u < F; u++)
                            for (int v = 0; v < F; v++) {
                                int y = i * S + u - P, x = j * S + v - P;
                                if (y < 0 || y >= H || x < 0 || x >= W)
                                    continue;
                                size_t ii = (((size_t)n * C + c) * H + y) * W + x;
                                size_t wi = (((size_t)k * C + c) * F + u) * F + v;
                                g_w[wi] += g * in[ii];
                                g_in[ii] += g * w[wi];
                            }
                }
    if (d_in)
        for (size_t i = 0; i < n_in; i++)
            d_in[i] += (float)g_in[i];
    if (d_w)
        for (size_t i = 0; i < n_w; i++)
            d_w[i] += (float)g_w[i];
    if (d_b)
        for (int k = 0; k < K; k++)
            d_b[k] += (float)g_b[k];
    free(g_in);
    free(g_w);
    free(g_b);
    return NN_OK;
}

/* ---- The fast version: im2col + GEMM ---------------------------------------
 *
 * Unroll every F x F x C patch the filter sees into a column of a matrix
 *
 *     col (C F F, H2 W2):  col[(c,u,v), (i,j)] = in[c, i S + u - P, j S + v - P]
 *
 * and the whole layer, for one image, is one matrix product:
 *
 *     out (K, H2 W2) = w (K, C F F) . col (C F F, H2 W2)
 *
 * The backward pass is two more:
 *
 *     d_w   (K, C F F)     += d_out (K, H2 W2) . col^T (H2 W2, C F F)
 *     d_col (C F F, H2 W2)  = w^T (C F F, K) . d_out (K, H2 W2)
 *
 * and col2im adds d_col back onto the pixels each column came from (a pixel
 * seen by several patches collects all their contributions).
 *
 * A GEMM is fast when all three of its sizes are large.  Late layers have
 * small images (LeNet-5's last convolution has H2 W2 = 1: one image gives a
 * matrix-vector product), so G images are unrolled side by side into one
 * col of G H2 W2 columns, and each product above covers the G images at once.
 * G is chosen to give about GROUP_COLUMNS columns: enough for the GEMM's
 * blocking, few enough that col stays in the cache.  The outputs come back as
 * (K, G H2 W2) and are put into NCHW order with the bias; d_out is gathered
 * the other way for the backward products. */
enum { GROUP_COLUMNS = 1024 };

/* The weight gradient sums over the batch in this many chunks (see
 * nn_conv2d_backward): a constant, so the order of the sum, and the bits,
 * are the same for any number of threads. */
enum { D_W_CHUNKS = 8 };

/* For filter offset v: the output columns j whose input column j S + v - P
 * lies inside [0, W) form one run [j_lo, j_hi). */
static void valid_run(int v, int S, int P, int W, int W2, int *j_lo, int *j_hi)
{
    int lo = P - v > 0 ? (P - v + S - 1) / S : 0;
    int last = W - 1 - v + P;          /* j S <= last */
    int hi = last < 0 ? 0 : last / S + 1;
    if (hi > W2)
        hi = W2;
    if (lo > hi)
        lo = hi;
    *j_lo = lo;
    *j_hi = hi;
}

/* n contiguous floats, in whole vectors where it can: a memcpy of a fixed
 * size is a few register moves, while a loop of unknown length would be
 * compiled into a library call per (short) row. */
static inline void copy_row(float *restrict dst, const float *restrict src, int n)
{
    int j = 0;
    for (; j + 8 <= n; j += 8)
        memcpy(dst + j, src + j, 8 * sizeof(float));
    if (j + 4 <= n) {
        memcpy(dst + j, src + j, 4 * sizeof(float));
        j += 4;
    }
    for (int t = 0; t < 3; t++)
        if (j + t < n)
            dst[j + t] = src[j + t];
}

/* Stride 1 (every layer of the kit's nets): the image is first copied into
 * `padded`, (C, H + 2P, W + 2P) with P zeros around each channel (the
 * caller zeroes the buffer once; only the interior is rewritten), and then
 * every row of col is one contiguous run of a padded row, no bounds to
 * test.  For P = 0 the image itself is the padded one. */
static size_t padded_size(const nn_conv_dims *d)
{
    return d->S == 1 && d->P > 0 ? (size_t)d->C * (d->H + 2 * d->P) * (d->W + 2 * d->P) : 0;
}

static const float *pad_channels(float *padded, const float *x, const nn_conv_dims *d)
{
    const int H = d->H, W = d->W, P = d->P, HP = H + 2 * P, WP = W + 2 * P;
    if (!padded)
        return x;
    for (int c = 0; c < d->C; c++)
        for (int y = 0; y < H; y++)
            memcpy(padded + ((size_t)c * HP + y + P) * WP + P, x + ((size_t)c * H + y) * W,
                   sizeof(float) * W);
    return padded;
}

/* One image x (C, H, W) into H2 W2 columns of col, whose rows are ld floats
 * apart; `padded` as above (NULL when P = 0 or S > 1). */
static void im2col(float *col, size_t ld, const float *x, const nn_conv_dims *d, float *padded)
{
    const int H = d->H, W = d->W, F = d->F, S = d->S, P = d->P, H2 = d->H2, W2 = d->W2;
    if (S == 1) {
        const int HP = H + 2 * P, WP = W + 2 * P;
        const float *xp = pad_channels(padded, x, d);
        for (int c = 0; c < d->C; c++)
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    float *row = col + (((size_t)c * F + u) * F + v) * ld;
                    const float *src = xp + ((size_t)c * HP + u) * WP + v;
                    for (int i = 0; i < H2; i++)
                        copy_row(row + (size_t)i * W2, src + (size_t)i * WP, W2);
                }
        return;
    }
    for (int c = 0; c < d->C; c++)
        for (int u = 0; u < F; u++)
            for (int v = 0; v < F; v++) {
                float *row = col + (((size_t)c * F + u) * F + v) * ld;
                int j_lo, j_hi;
                valid_run(v, S, P, W, W2, &j_lo, &j_hi);
                for (int i = 0; i < H2; i++) {
                    float *dst = row + (size_t)i * W2;
                    int y = i * S + u - P;
                    if (y < 0 || y >= H) {
                        for (int j = 0; j < W2; j++)
                            dst[j] = 0.0f;
                        continue;
                    }
                    const float *src = x + ((size_t)c * H + y) * W + v - P;
                    for (int j = 0; j < j_lo; j++)
                        dst[j] = 0.0f;
                    for (int j = j_lo; j < j_hi; j++)
                        dst[j] = src[(size_t)j * S];
                    for (int j = j_hi; j < W2; j++)
                        dst[j] = 0.0f;
                }
            }
}

/* The adjoint of im2col: x += col2im(d_col). */
static void col2im_add(float *x, const float *col, size_t ld, const nn_conv_dims *d)
{
    const int H = d->H, W = d->W, F = d->F, S = d->S, P = d->P, H2 = d->H2, W2 = d->W2;
    for (int c = 0; c < d->C; c++)
        for (int u = 0; u < F; u++)
            for (int v = 0; v < F; v++) {
                const float *row = col + (((size_t)c * F + u) * F + v) * ld;
                int j_lo, j_hi;
                valid_run(v, S, P, W, W2, &j_lo, &j_hi);
                for (int i = 0; i < H2; i++) {
                    int y = i * S + u - P;
                    if (y < 0 || y >= H)
                        continue;
                    const float *src = row + (size_t)i * W2;
                    float *dst = x + ((size_t)c * H + y) * W + v - P;
                    if (S == 1)
                        for (int j = j_lo; j < j_hi; j++)
                            dst[j] += src[j];
                    else
                        for (int j = j_lo; j < j_hi; j++)
                            dst[(size_t)j * S] += src[j];
                }
            }
}

/* A 1 x 1 filter with stride 1 and no padding needs no unrolling: the
 * image itself, (C, H W), is already the col matrix. */
static int is_pointwise(const nn_conv_dims *d) { return d->F == 1 && d->S == 1 && d->P == 0; }

/* The unrolled matrices are megabytes.  Allocated afresh on every call they
 * would come from new zeroed pages (the C library maps large blocks from the
 * system and returns them on free), and touching those pages costs more than
 * the arithmetic of a small layer.  So the kernels keep one scratch buffer
 * per thread that only grows; nn_conv_free_workspace returns it. */
static _Thread_local float *scratch;
static _Thread_local size_t scratch_floats;

/* Every thread's buffer is also kept in this table (a thread takes the next
 * free slot at its first call), so it stays reachable for as long as the
 * program runs: OpenMP's worker threads keep theirs from call to call, and
 * a leak checker at exit sees memory in use, not memory lost.  A thread
 * past the table's end still works, with its buffer in thread-local storage
 * only. */
enum { SCRATCH_SLOTS = 256 };
static float *scratch_table[SCRATCH_SLOTS];
static atomic_int scratch_slots_used;
static _Thread_local int scratch_slot = -1;   /* -1: none yet, SCRATCH_SLOTS: table full */

float *nn_conv_workspace(size_t floats)
{
    if (scratch_slot < 0) {
        const int slot = atomic_fetch_add(&scratch_slots_used, 1);
        scratch_slot = slot < SCRATCH_SLOTS ? slot : SCRATCH_SLOTS;
    }
    if (floats > scratch_floats) {
        free(scratch);
        scratch = nn_malloc(sizeof(float) * floats);
        scratch_floats = floats;
        if (scratch_slot < SCRATCH_SLOTS)
            scratch_table[scratch_slot] = scratch;
    }
    return scratch;
}

void nn_conv_free_workspace(void)
{
    free(scratch);
    scratch = NULL;
    scratch_floats = 0;
    if (scratch_slot >= 0 && scratch_slot < SCRATCH_SLOTS)
        scratch_table[scratch_slot] = NULL;
}

static int group_size(const nn_conv_dims *d)
{
    if (is_pointwise(d))
        return 1;
    int g = GROUP_COLUMNS / (d->H2 * d->W2);
    return g < 1 ? 1 : g > d->N ? d->N : g;
}

/* ---- A direct kernel for the first layer ---------------------------------
 *
 * A net's first convolution sees the image: C = 1 channel.  As a GEMM it is
 * w (K, F F) . col (F F, H2 W2) with a sum over only F F = 9 or 25 terms, too
 * short for the GEMM's tiles (each tile is written back after 9 steps), and
 * im2col copies every pixel F F times.  So for C = 1 and stride 1 the
 * forward pass slides the filters over the image directly:
 *
 *     out[n,k,i,j] = b[k] + sum_u sum_v  x[n, i + u - P, j + v - P] w[k,u,v]
 *
 * computed exactly as the GEMM path computes it, so the two give the same
 * bits (tests/lib/test-conv.c checks it with memcmp): the image is copied
 * once into a buffer with P zeros around it (the zeros im2col writes), the
 * sum runs over (u, v) in order as acc = fma(w[k,u,v], x, acc) from
 * acc = 0, and then out = acc + b[k].  The AVX2 version computes 8
 * neighbouring j in one register, 32 j for two filters at a time (8
 * accumulators); the scalar version, for CPUs without FMA and for
 * NNLAB_GEMM=scalar, does the same with fmaf(). */
/* NNLAB_CONV chooses the algorithm, for tests and benchmarks: unset or
 * "auto", the fastest for each layer; "gemm", im2col + nn_gemm for every
 * layer and every gradient; "winograd", Winograd F(2x2, 3x3) (lib/winograd.c)
 * for every 3 x 3, stride 1, padding 1 layer, however few its channels.  Any
 * other value is reported on stderr (once) and auto is used. */
enum { CONV_AUTO, CONV_GEMM, CONV_WINOGRAD };

static int conv_mode(void)
{
    static atomic_int warned;
    const char *env = getenv("NNLAB_CONV");
    if (!env || !*env || !strcmp(env, "auto"))
        return CONV_AUTO;
    if (!strcmp(env, "gemm"))
        return CONV_GEMM;
    if (!strcmp(env, "winograd"))
        return CONV_WINOGRAD;
    if (!atomic_exchange(&warned, 1))
        fprintf(stderr, "%s: warning: NNLAB_CONV=%s: unknown; use auto, gemm or winograd; "
                "using auto\n", nn_program_name(), env);
    return CONV_AUTO;
}

static int use_direct(const nn_conv_dims *d)
{
    return d->C == 1 && d->S == 1 && d->F * d->F <= 256 && conv_mode() != CONV_GEMM;
}

enum { DIRECT_COLS = 32 };   /* output columns per block: 4 vectors of 8 */

/* The padded image: rows H + 2P, each `stride` floats, zeros around it and
 * past its right edge as far as a block of DIRECT_COLS outputs reads. */
static int direct_stride(const nn_conv_dims *d)
{
    const int blocks = (d->W2 + DIRECT_COLS - 1) / DIRECT_COLS;
    return blocks * DIRECT_COLS + d->F - 1;
}

static void pad_image(float *xp, const float *x, const nn_conv_dims *d)
{
    const int stride = direct_stride(d), P = d->P;
    memset(xp, 0, sizeof(float) * (size_t)stride * (d->H + 2 * P));
    for (int y = 0; y < d->H; y++)
        memcpy(xp + (size_t)(y + P) * stride + P, x + (size_t)y * d->W, sizeof(float) * d->W);
}

static void direct_image_scalar(float *out, const float *xp, const float *w, const float *b,
                                const nn_conv_dims *d)
{
    const int F = d->F, H2 = d->H2, W2 = d->W2, stride = direct_stride(d);
    for (int k = 0; k < d->K; k++)
        for (int i = 0; i < H2; i++)
            for (int j = 0; j < W2; j++) {
                float acc = 0.0f;
                for (int u = 0; u < F; u++)
                    for (int v = 0; v < F; v++)
                        acc = fmaf(w[((size_t)k * F + u) * F + v], xp[(size_t)(i + u) * stride + j + v], acc);
                out[((size_t)k * H2 + i) * W2 + j] = acc + (b ? b[k] : 0.0f);
            }
}

#if defined(CONV_HAVE_AVX2)
/* Filters k .. k + n_filters - 1 (1 or 2) on output row i, columns j0 ..
 * j0 + 31 (those below W2 are stored). */
__attribute__((target("avx2,fma")))
static inline __attribute__((always_inline)) void
direct_block_avx2(float *out, const float *xp, const float *w, const float *b,
                  const nn_conv_dims *d, int k, int i, int j0, const int n_filters)
{
    const int F = d->F, H2 = d->H2, W2 = d->W2, stride = direct_stride(d);
    __m256 acc[2][4];
    for (int f = 0; f < 2; f++)
        for (int q = 0; q < 4; q++)
            acc[f][q] = _mm256_setzero_ps();
    for (int u = 0; u < F; u++) {
        const float *row = xp + (size_t)(i + u) * stride + j0;
        for (int v = 0; v < F; v++) {
            const __m256 x0 = _mm256_loadu_ps(row + v), x1 = _mm256_loadu_ps(row + v + 8);
            const __m256 x2 = _mm256_loadu_ps(row + v + 16), x3 = _mm256_loadu_ps(row + v + 24);
            for (int f = 0; f < n_filters; f++) {
                const __m256 wk = _mm256_broadcast_ss(&w[((size_t)(k + f) * F + u) * F + v]);
                acc[f][0] = _mm256_fmadd_ps(wk, x0, acc[f][0]);
                acc[f][1] = _mm256_fmadd_ps(wk, x1, acc[f][1]);
                acc[f][2] = _mm256_fmadd_ps(wk, x2, acc[f][2]);
                acc[f][3] = _mm256_fmadd_ps(wk, x3, acc[f][3]);
            }
        }
    }
    for (int f = 0; f < n_filters; f++) {
        const __m256 bias = _mm256_set1_ps(b ? b[k + f] : 0.0f);
        float *o = out + ((size_t)(k + f) * H2 + i) * W2;
        float row[DIRECT_COLS];
        for (int q = 0; q < 4; q++)
            _mm256_storeu_ps(row + 8 * q, _mm256_add_ps(acc[f][q], bias));
        const int n = W2 - j0 < DIRECT_COLS ? W2 - j0 : DIRECT_COLS;
        memcpy(o + j0, row, sizeof(float) * (size_t)n);
    }
}

__attribute__((target("avx2,fma")))
static void direct_image_avx2(float *out, const float *xp, const float *w, const float *b,
                              const nn_conv_dims *d)
{
    for (int k = 0; k < d->K; k += 2)
        for (int i = 0; i < d->H2; i++)
            for (int j0 = 0; j0 < d->W2; j0 += DIRECT_COLS) {
                if (k + 1 < d->K)
                    direct_block_avx2(out, xp, w, b, d, k, i, j0, 2);
                else
                    direct_block_avx2(out, xp, w, b, d, k, i, j0, 1);
            }
}
#endif

/* The vector version where the CPU has AVX2 and FMA and nn_gemm is not
 * told to use its scalar path (NNLAB_GEMM=scalar: then this is scalar too,
 * which is how the test compares the two). */
int nn_conv_vector(void)
{
#if defined(CONV_HAVE_AVX2)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           strcmp(nn_gemm_path(), "scalar") != 0;
#else
    return 0;
#endif
}

/* Threads (only when OMP_NUM_THREADS is set, as for nn_gemm) take whole
 * images: each output is computed by one thread, as it would be by one. */
int nn_conv_threads(void)
{
#if defined(_OPENMP)
    const char *env = getenv("OMP_NUM_THREADS");
    if (env && *env && !omp_in_parallel())
        return omp_get_max_threads();
#endif
    return 1;
}

#if defined(_OPENMP)
#define CONV_OMP(directive) _Pragma(#directive)
#else
#define CONV_OMP(directive)
#endif

/* ---- Winograd F(2x2, 3x3) for 3 x 3 filters -----------------------------
 * A 3 x 3, stride 1, padding 1 layer with enough channels is computed by
 * lib/winograd.c: 16 products of (K, C) by (C, tiles) instead of one of
 * (K, 9 C) by (9 C, 4 tiles), 2.25 times fewer multiply-adds, for additions
 * and copies before and after that grow with C + K (the products with
 * C K).  Where it was measured to pay (bench/README-conv.md, one Zen 4
 * core, batch 64, against im2col + GEMM):
 *   - at least WINOGRAD_MIN_CHANNELS channels in and out of the convolution
 *     actually computed (the forward pass reads C and writes K; d_in reads
 *     K and writes C): 32 -> 64 at 14 x 14 is 1.3-1.6 times faster, 24 -> 48
 *     1.3, 16 -> 32 at 28 x 28 no faster, 8 -> 16 slower;
 *   - rows whose tiles fill most of the 8 lanes of the vector transforms:
 *     TW = ceil(W / 2) tiles per row, in blocks of 8, at least 3/4 of the
 *     lanes used (W = 14: 7 of 8; W = 7: 4 of 8, and 32 -> 64 there was
 *     no faster forward and slower for d_in);
 *   - for d_w also at least WINOGRAD_DW_MIN_CHANNELS channels and at most
 *     WINOGRAD_DW_MAX_WIDTH columns: its products sum over the tiles with
 *     the transforms of both in and d_out around them (32 -> 64: 14 x 14
 *     1.4 times faster, 28 x 28 slower, 24 -> 48 the same). */
enum { WINOGRAD_MIN_CHANNELS = 24, WINOGRAD_DW_MIN_CHANNELS = 32, WINOGRAD_DW_MAX_WIDTH = 16 };

static int winograd_shape(const nn_conv_dims *d)
{
    return d->F == 3 && d->S == 1 && d->P == 1;
}

static int winograd_pays(const nn_conv_dims *d, int in_channels, int out_channels)
{
    const int TW = (d->W + 1) / 2, lanes = 8 * ((TW + 7) / 8);
    return in_channels >= WINOGRAD_MIN_CHANNELS && out_channels >= WINOGRAD_MIN_CHANNELS &&
           4 * TW >= 3 * lanes;
}

static int use_winograd(const nn_conv_dims *d, int in_channels, int out_channels)
{
    const int mode = conv_mode();
    return winograd_shape(d) && (mode == CONV_WINOGRAD ||
                                 (mode == CONV_AUTO && winograd_pays(d, in_channels, out_channels)));
}

static int use_winograd_d_w(const nn_conv_dims *d)
{
    const int mode = conv_mode();
    return winograd_shape(d) &&
           (mode == CONV_WINOGRAD ||
            (mode == CONV_AUTO && winograd_pays(d, d->C, d->K) && d->C >= WINOGRAD_DW_MIN_CHANNELS &&
             d->K >= WINOGRAD_DW_MIN_CHANNELS && d->W <= WINOGRAD_DW_MAX_WIDTH));
}

static void direct_forward(float *out, const float *in, const float *w, const float *b,
                           const nn_conv_dims *d)
{
    const int vector = nn_conv_vector(), threads = nn_conv_threads();
    const size_t pad_floats = (size_t)direct_stride(d) * (d->H + 2 * d->P);
    const size_t in_stride = (size_t)d->H * d->W, out_stride = (size_t)d->K * d->H2 * d->W2;
    CONV_OMP(omp parallel num_threads(threads) if (threads > 1))
    {
        float *xp = nn_malloc(sizeof(float) * pad_floats);
        CONV_OMP(omp for schedule(static))
        for (int n = 0; n < d->N; n++) {
            pad_image(xp, in + n * in_stride, d);
#if defined(CONV_HAVE_AVX2)
            if (vector) {
                direct_image_avx2(out + n * out_stride, xp, w, b, d);
                continue;
            }
#endif
            direct_image_scalar(out + n * out_stride, xp, w, b, d);
        }
        free(xp);
    }
    (void)vector;
}

/* ---- Filters of 4 x 4 to 7 x 7 (LeNet-5's): lib/convdirect.c -----------------
 * Forward, d_in and d_w without im2col, with the bits of the im2col + GEMM
 * path below (NNLAB_CONV=gemm turns it off, for the tests).  Threads take
 * consecutive images (the forward pass and d_in) or whole chunks (d_w). */
static int use_convdirect(const nn_conv_dims *d)
{
    return nn_convdirect_applies(d) && conv_mode() != CONV_GEMM;
}

/* This thread's share n0 .. n1-1 of n items, inside a parallel region (all
 * of them outside one). */
static void thread_share(int n, int *n0, int *n1)
{
#if defined(_OPENMP)
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    *n0 = (int)((long)n * t / nt);
    *n1 = (int)((long)n * (t + 1) / nt);
#else
    *n0 = 0;
    *n1 = n;
#endif
}

static void convdirect_forward(float *out, const float *in, const float *w, const float *b,
                               const nn_conv_dims *d)
{
    const int threads = nn_conv_threads();
    const size_t floats = nn_convdirect_forward_scratch(d);
    CONV_OMP(omp parallel num_threads(threads) if (threads > 1 && d->N > 1))
    {
        int n0, n1;
        thread_share(d->N, &n0, &n1);
        nn_convdirect_forward(out, in, w, b, d, n0, n1, nn_conv_workspace(floats));
    }
}

static void convdirect_input_grad(float *d_in, const float *d_out, const float *w,
                                  const nn_conv_dims *d)
{
    const int threads = nn_conv_threads();
    const size_t floats = nn_convdirect_input_grad_scratch(d);
    CONV_OMP(omp parallel num_threads(threads) if (threads > 1 && d->N > 1))
    {
        int n0, n1;
        thread_share(d->N, &n0, &n1);
        nn_convdirect_input_grad(d_in, d_out, w, d, n0, n1, nn_conv_workspace(floats));
    }
}

int nn_conv2d_forward(float *out, const float *in, const float *w, const float *b,
                      const nn_conv_dims *d)
{
    if (check_dims(d, "nn_conv2d_forward") != NN_OK)
        return NN_ERR;
    if (use_convdirect(d)) {
        convdirect_forward(out, in, w, b, d);
        return NN_OK;
    }
    if (use_direct(d)) {
        direct_forward(out, in, w, b, d);
        return NN_OK;
    }
    if (use_winograd(d, d->C, d->K)) {
        nn_winograd_forward(out, in, w, b, d->N, d->C, d->H, d->W, d->K, 0);
        return NN_OK;
    }
    const int K = d->K, CFF = d->C * d->F * d->F, HW2 = d->H2 * d->W2, G = group_size(d);
    const size_t in_stride = (size_t)d->C * d->H * d->W, out_stride = (size_t)K * HW2;
    const size_t col_size = is_pointwise(d) ? 0 : (size_t)CFF * G * HW2;
    const size_t grouped_size = G > 1 ? (size_t)K * G * HW2 : 0, pad_size = padded_size(d);
    const int n_groups = (d->N + G - 1) / G, threads = nn_conv_threads();
    /* Threads (when OMP_NUM_THREADS is set) take whole groups of images,
     * each with its own workspace; each output is computed as by one. */
    CONV_OMP(omp parallel num_threads(threads) if (threads > 1 && n_groups > 1))
    {
        float *space = nn_conv_workspace(col_size + grouped_size + pad_size);
        float *col = col_size ? space : NULL, *grouped = grouped_size ? space + col_size : NULL;
        float *padded = pad_size ? space + col_size + grouped_size : NULL;
        if (padded)
            memset(padded, 0, sizeof(float) * pad_size);
        CONV_OMP(omp for schedule(static))
        for (int group = 0; group < n_groups; group++) {
            const int n0 = group * G, g = G < d->N - n0 ? G : d->N - n0, cols = g * HW2;
            if (col)
                for (int t = 0; t < g; t++)
                    im2col(col + (size_t)t * HW2, (size_t)cols, in + (n0 + t) * in_stride, d, padded);
            const float *B = col ? col : in + n0 * in_stride;
            float *y = out + n0 * out_stride;
            if (g == 1) {
                /* One image: start from the bias, add w . col on top (beta = 1). */
                for (int k = 0; k < K; k++) {
                    float bk = b ? b[k] : 0.0f;
                    for (int p = 0; p < HW2; p++)
                        y[(size_t)k * HW2 + p] = bk;
                }
                nn_gemm(NN_NO_TRANS, NN_NO_TRANS, K, HW2, CFF, 1.0f, w, CFF, B, HW2, 1.0f, y, HW2);
                continue;
            }
            /* grouped (K, g H2 W2) -> out (g, K, H2 W2), plus the bias */
            nn_gemm(NN_NO_TRANS, NN_NO_TRANS, K, cols, CFF, 1.0f, w, CFF, B, cols, 0.0f, grouped,
                    cols);
            for (int t = 0; t < g; t++)
                for (int k = 0; k < K; k++) {
                    const float *src = grouped + (size_t)k * cols + (size_t)t * HW2;
                    float *dst = y + t * out_stride + (size_t)k * HW2, bk = b ? b[k] : 0.0f;
                    for (int p = 0; p < HW2; p++)
                        dst[p] = src[p] + bk;
                }
        }
    }
    return NN_OK;
}

/* d_out of images n0 .. n0+g-1 as one (K, g H2 W2) matrix: d_out itself for
 * one image, else gathered into `grouped`. */
static const float *group_d_out(float *grouped, const float *d_out, int n0, int g,
                                const nn_conv_dims *d)
{
    const int K = d->K, HW2 = d->H2 * d->W2, cols = g * HW2;
    const size_t out_stride = (size_t)K * HW2;
    if (g == 1)
        return d_out + n0 * out_stride;
    for (int t = 0; t < g; t++)
        for (int k = 0; k < K; k++)
            memcpy(grouped + (size_t)k * cols + (size_t)t * HW2,
                   d_out + (n0 + t) * out_stride + (size_t)k * HW2, sizeof(float) * HW2);
    return grouped;
}

int nn_conv2d_backward(float *d_in, float *d_w, float *d_b, const float *d_out,
                       const float *in, const float *w, const nn_conv_dims *d)
{
    if (check_dims(d, "nn_conv2d_backward") != NN_OK)
        return NN_ERR;
    const int K = d->K, CFF = d->C * d->F * d->F, HW2 = d->H2 * d->W2, G = group_size(d);
    const size_t in_stride = (size_t)d->C * d->H * d->W, out_stride = (size_t)K * HW2;
    const int pointwise = is_pointwise(d);
    const size_t cfg_size = pointwise ? 0 : (size_t)CFF * G * HW2;
    const size_t grouped_size = G > 1 ? (size_t)K * G * HW2 : 0, pad_size = padded_size(d);
    const int n_groups = (d->N + G - 1) / G, threads = nn_conv_threads();
    /* in the forward pass this was: out[k, p] = b[k] + sum_r w[k, r] col[r, p]; so
     * d_b[k] += the sum of d_out over the batch and the pixels, in double,
     * in four interleaved partial sums (independent additions run in
     * parallel; a fixed order, the same on every machine). */
    if (d_b)
        for (int n = 0; n < d->N; n++)
            for (int k = 0; k < K; k++) {
                const float *g = d_out + n * out_stride + (size_t)k * HW2;
                double part[4] = {0, 0, 0, 0};
                int p = 0;
                for (; p + 4 <= HW2; p += 4)
                    for (int q = 0; q < 4; q++)
                        part[q] += g[p + q];
                for (; p < HW2; p++)
                    part[0] += g[p];
                d_b[k] += (float)((part[0] + part[1]) + (part[2] + part[3]));
            }
    /* d_in: every group of images on its own (in threads, when asked), as
     * d_col = w^T d_out and col2im, each image's d_in written by one thread. */
    const int direct = use_convdirect(d);
    if (d_in && direct) {
        convdirect_input_grad(d_in, d_out, w, d);
    } else if (d_in && use_winograd(d, d->K, d->C)) {
        nn_winograd_backward_input(d_in, d_out, w, d->N, d->C, d->H, d->W, d->K);
    } else if (d_in) {
        CONV_OMP(omp parallel num_threads(threads) if (threads > 1 && n_groups > 1))
        {
            float *space = nn_conv_workspace(cfg_size + grouped_size);
            float *d_col = cfg_size ? space : NULL, *grouped = grouped_size ? space + cfg_size : NULL;
            CONV_OMP(omp for schedule(static))
            for (int group = 0; group < n_groups; group++) {
                const int n0 = group * G, g = G < d->N - n0 ? G : d->N - n0, cols = g * HW2;
                const float *gd = group_d_out(grouped, d_out, n0, g, d);
                if (pointwise) {
                    nn_gemm(NN_TRANS, NN_NO_TRANS, CFF, HW2, K, 1.0f, w, CFF, gd, HW2, 1.0f,
                            d_in + n0 * in_stride, HW2);
                    continue;
                }
                nn_gemm(NN_TRANS, NN_NO_TRANS, CFF, cols, K, 1.0f, w, CFF, gd, cols, 0.0f, d_col, cols);
                for (int t = 0; t < g; t++)
                    col2im_add(d_in + (n0 + t) * in_stride, d_col + (size_t)t * HW2, (size_t)cols, d);
            }
        }
    }
    /* d_w = sum over the batch, in a fixed order that does not depend on the
     * number of threads: the groups of images are split into D_W_CHUNKS
     * consecutive chunks (fewer when there are fewer groups); each chunk
     * sums its groups in order into its own partial gradient (nn_gemm,
     * partial = d_out col^T for the first group, partial += for the next),
     * and then d_w += partial_0, += partial_1, ... in chunk order.  The
     * threads (when asked) take whole chunks. */
    if (d_w && use_winograd_d_w(d)) {
        nn_winograd_backward_weights(d_w, d_out, in, d->N, d->C, d->H, d->W, d->K);
    } else if (d_w) {
        const int n_chunks = n_groups < D_W_CHUNKS ? n_groups : D_W_CHUNKS;
        /* With 16 filters or more, the product is computed transposed,
         * d_w^T (C F F, K) = col (C F F, g H2 W2) . d_out^T: then nn_gemm
         * reads the large col in place and packs only the small d_out, and
         * K fills its 16-column slivers.  Each element is the same sum in the
         * same order either way, so the bits do not change. */
        const int transposed = K >= 16 && !direct;
        const size_t n_w = (size_t)K * CFF;
        float *partials = nn_malloc(sizeof(float) * n_w * (size_t)n_chunks);
        CONV_OMP(omp parallel num_threads(threads) if (threads > 1 && n_chunks > 1))
        {
            float *space = nn_conv_workspace(direct ? nn_convdirect_weight_grad_scratch(d, G)
                                                    : cfg_size + grouped_size + pad_size);
            float *col = cfg_size && !direct ? space : NULL;
            float *grouped = grouped_size && !direct ? space + cfg_size : NULL;
            float *padded = pad_size && !direct ? space + cfg_size + grouped_size : NULL;
            if (padded)
                memset(padded, 0, sizeof(float) * pad_size);
            CONV_OMP(omp for schedule(static))
            for (int chunk = 0; chunk < n_chunks; chunk++) {
                const int first = (int)((long)n_groups * chunk / n_chunks);
                const int last = (int)((long)n_groups * (chunk + 1) / n_chunks);
                float *partial = partials + n_w * (size_t)chunk;
                if (direct) {
                    nn_convdirect_weight_grad(partial, d_out, in, d, first * G,
                                              last * G < d->N ? last * G : d->N, G, space);
                    continue;
                }
                for (int group = first; group < last; group++) {
                    const int n0 = group * G, g = G < d->N - n0 ? G : d->N - n0, cols = g * HW2;
                    const float *gd = group_d_out(grouped, d_out, n0, g, d);
                    if (col)
                        for (int t = 0; t < g; t++)
                            im2col(col + (size_t)t * HW2, (size_t)cols, in + (n0 + t) * in_stride,
                                   d, padded);
                    const float *unrolled = col ? col : in + n0 * in_stride;
                    const float beta = group == first ? 0.0f : 1.0f;
                    if (transposed)
                        nn_gemm(NN_NO_TRANS, NN_TRANS, CFF, K, cols, 1.0f, unrolled, cols, gd, cols,
                                beta, partial, K);
                    else
                        nn_gemm(NN_NO_TRANS, NN_TRANS, K, CFF, cols, 1.0f, gd, cols, unrolled, cols,
                                beta, partial, CFF);
                }
            }
        }
        for (int chunk = 0; chunk < n_chunks; chunk++) {
            const float *partial = partials + n_w * (size_t)chunk;
            if (transposed)
                for (int k = 0; k < K; k++)
                    for (int r = 0; r < CFF; r++)
                        d_w[(size_t)k * CFF + r] += partial[(size_t)r * K + k];
            else
                for (size_t e = 0; e < n_w; e++)
                    d_w[e] += partial[e];
        }
        free(partials);
    }
    return NN_OK;
}
