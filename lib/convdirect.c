/* convdirect.c: convolutions with few input channels and 4 x 4 to 7 x 7
 * filters (LeNet-5's 5 x 5 layers), forward and backward, without im2col.
 * Dimension letters as in nn_conv.h; r = (c, u, v) numbers the C F F
 * weights of one filter, p = (i, j) the H2 W2 output pixels of one image.
 *
 * ---- Why not im2col + GEMM here ---------------------------------------------
 * LeNet-5's second convolution (6 -> 16 channels, 5 x 5, 14 x 14 -> 10 x 10)
 * as three GEMMs is skinny in every product: the forward product
 * out (16, P) = w (16, 150) . col (150, P) has M = 16 rows, not enough for
 * nn_gemm's 6-row tiles; d_col = w^T d_out sums over only K = 16 terms, so it
 * writes a 150 x P matrix it has hardly computed, and col2im reads it back;
 * d_w unrolls the input a second time.  Here every product is computed
 * straight from the images, with the long dimension in the vector lanes:
 *
 *   forward      lanes = VL filters k:  out[k, p] for R x T pixels at once,
 *                acc = fma(x[c, i+u, j+v], w[k, c, u, v], acc) over r;
 *   weight grad  lanes = VL filters k:  d_w[k, r] for U x F weights r at once,
 *                acc = fma(x[c, i+u, j+v], d_out[k, i, j], acc) over p;
 *   input grad   lanes = VL input columns x:  for each (u, v), the d_col number
 *                sum_k w[k, c, u, v] d_out[k, i, j] of every column at once,
 *                added to d_in[c, y, x] as col2im adds it.
 *
 * ---- The same bits as im2col + GEMM ------------------------------------------
 * Each output element is computed by the very sequence of IEEE operations
 * that lib/conv.c's im2col + nn_gemm path uses (see lib/gemm.c's header),
 * so NNLAB_CONV=gemm, every CPU path here and any number of threads give
 * the same bits (tests/lib/test-conv.c checks it with memcmp):
 *
 *   forward      acc = 0; for r in order: acc = fma(w, x, acc) (padding zeros
 *                included, as im2col writes them); out = acc + b.  The C F F
 *                terms must fit in one of nn_gemm's K blocks (KC = 256): one
 *                block, no intermediate rounding into C.
 *   weight grad  per chunk of groups of G images (conv.c's D_W_CHUNKS and
 *                group_size): the group's g H2 W2 columns in blocks of 256,
 *                acc = 0; for each column in order: acc = fma(x, d_out, acc);
 *                partial = acc for the chunk's first block, partial + acc
 *                after; conv.c then adds the partials in chunk order.
 *   input grad   d_col[r, p] = fma chain over k = 0 .. K-1 from 0 (K <= 256:
 *                one block); d_in[c, y, x] += d_col[(c, u, v), (y+P-u, x+P-v)]
 *                for (u, v) in order, only where that output exists.
 *
 * A scalar version of each (fmaf, for CPUs without FMA and NNLAB_GEMM=scalar)
 * does the same operations one element at a time.  Which path runs follows
 * nn_gemm's choice: "scalar" -> scalar, "avx2" -> 256-bit vectors,
 * otherwise AVX-512 where the CPU has it (512-bit vectors over 16 filters,
 * 256-bit ones, with AVX-512's 32 registers, for 8 filters or fewer). */
#include <config.h>

#include "convdirect.h"

#include <math.h>
#include <string.h>

#include "nn_gemm.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define DIRECT_HAVE_X86 1
#include <immintrin.h>
#endif

/* nn_gemm's K block (lib/gemm.c, KC): where its partial sums are rounded. */
enum { DIRECT_KC = 256 };

int nn_convdirect_applies(const nn_conv_dims *d)
{
    return d->S == 1 && d->F >= 4 && d->F <= 7 && d->C * d->F * d->F <= DIRECT_KC &&
           d->K <= DIRECT_KC;
}

/* ---- The plan: lanes, tiles and padded buffers -----------------------------
 * Register budgets: a path with 32 vector registers (AVX-512) keeps 24
 * accumulators, AVX2's 16 registers keep 12.  The forward tile is R rows of
 * T columns (T splits W2 into equal parts of at most 16, or of the budget);
 * the weight-gradient tile is U filter rows of F weights; the d_col tile is
 * RR weights r of PV vectors of pixels, with the PV vectors of d_out it
 * multiplies (budget 4/3 is the register count: 32 or 16). */
#define CLAMP_ROWS(n, most) ((n) < 1 ? 1 : (n) > (most) ? (most) : (n))
#define FWD_ROWS(T, budget) CLAMP_ROWS((budget) / (T), 4)
#define DW_ROWS(F, budget) CLAMP_ROWS(((budget) + 1) / (F), (F))
#define DCOL_ROWS(PV, budget) CLAMP_ROWS(((budget) * 4 / 3 - 1 - (PV)) / (PV), 8)

typedef struct {
    int C, H, W, K, F, P, H2, W2;
    int KP;         /* K rounded up to whole vectors of filters */
    int lanes;      /* of the vectors (1 for the scalar path) */
    int T, R, XH, XW; /* forward: tile R x T; padded image (C, XH, XW) */
    int HP, WP;     /* weight gradient: padded images (C, HP, WP) */
    int PV, PP;     /* input gradient: PV vectors of pixels per tile; H2 W2 padded to PP */
} direct_plan;

enum { PATH_SCALAR, PATH_AVX2, PATH_AVX512 };

static int direct_path(void)
{
    const char *gemm = nn_gemm_path();
    if (!strcmp(gemm, "scalar"))
        return PATH_SCALAR;
#if defined(DIRECT_HAVE_X86)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return PATH_SCALAR;
    if (!strcmp(gemm, "avx2") || !__builtin_cpu_supports("avx512f") ||
        !__builtin_cpu_supports("avx512vl"))
        return PATH_AVX2;
    return PATH_AVX512;
#else
    return PATH_SCALAR;
#endif
}

static int round_up(int n, int m) { return (n + m - 1) / m * m; }

/* kind: 'f' forward, 'w' weight gradient, 'i' input gradient (its lanes
 * run over columns, not filters). */
static direct_plan plan_make(const nn_conv_dims *d, int path, int kind)
{
    direct_plan pl = {d->C, d->H, d->W, d->K, d->F, d->P, d->H2, d->W2, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0};
    const int budget = path == PATH_AVX2 ? 12 : 24;
    if (path == PATH_AVX2)
        pl.lanes = 8;
    else if (path == PATH_AVX512)
        pl.lanes = kind == 'i' ? (d->W > 8 ? 16 : 8) : (d->K > 8 ? 16 : 8);
    pl.KP = round_up(d->K, pl.lanes);
    if (path != PATH_SCALAR) {
        const int most = budget < 16 ? budget : 16, parts = (d->W2 + most - 1) / most;
        pl.T = (d->W2 + parts - 1) / parts;
        pl.R = FWD_ROWS(pl.T, budget);
    }
    pl.XH = round_up(d->H2, pl.R) + d->F - 1;
    pl.XW = round_up(d->W2, pl.T) + d->F - 1;
    pl.HP = d->H + 2 * d->P + (path == PATH_SCALAR ? 0 : DW_ROWS(d->F, budget) - 1);
    pl.WP = d->W + 2 * d->P;
    const int vectors = (d->H2 * d->W2 + pl.lanes - 1) / pl.lanes, tiles = (vectors + 7) / 8;
    if (path != PATH_SCALAR)
        pl.PV = (vectors + tiles - 1) / tiles;
    pl.PP = round_up(d->H2 * d->W2, pl.PV * pl.lanes);
    return pl;
}

/* ---- The vector kernels ---------------------------------------------------- */
#if defined(DIRECT_HAVE_X86)

/* p + 1, hidden from the optimiser.  The kernels read x[t + v] for every
 * pair (t, v); told that the next step's x[t + v] is this step's
 * x[t + v + 1], GCC keeps those numbers in scalar registers from step to
 * step, runs out of them and spills, where one broadcast load from the
 * cache per use is cheaper (measured: the d_w kernel twice as fast). */
static inline const float *opaque_next(const float *p)
{
    p++;
    __asm__("" : "+r"(p));
    return p;
}

#define VEC __m256
#define VL 8
#define KNAME(x) x##_v8
#define KTARGET "avx2,fma"
#define V_ZERO() _mm256_setzero_ps()
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_SET1(x) _mm256_set1_ps(x)
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_MASK __m256i
#define V_MASK_RANGE(lo, hi) mask_range_v8((lo), (hi))
#define V_MASK_NONE() _mm256_setzero_si256()
#define V_MASKZ_LOADU(m, p) _mm256_maskload_ps((p), (m))
#define V_MASK_STOREU(p, m, v) _mm256_maskstore_ps((p), (m), (v))
#define V_MASK_ADD(s, m, t) _mm256_blendv_ps((s), _mm256_add_ps((s), (t)), _mm256_castsi256_ps(m))

/* All bits set in lanes lo .. hi-1. */
__attribute__((target("avx2,fma"))) static inline __m256i mask_range_v8(int lo, int hi)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i ge_lo = _mm256_cmpgt_epi32(lane, _mm256_set1_epi32(lo - 1));
    const __m256i lt_hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(hi), lane);
    return _mm256_and_si256(ge_lo, lt_hi);
}

#include "convdirect-kernels.h"

#undef VEC
#undef VL
#undef KNAME
#undef KTARGET
#undef V_ZERO
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_ADD
#undef V_FMA
#undef V_MASK
#undef V_MASK_RANGE
#undef V_MASK_NONE
#undef V_MASKZ_LOADU
#undef V_MASK_STOREU
#undef V_MASK_ADD

#define VEC __m512
#define VL 16
#define KNAME(x) x##_v16
#define KTARGET "avx2,fma,avx512f"
#define V_ZERO() _mm512_setzero_ps()
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_SET1(x) _mm512_set1_ps(x)
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_MASK __mmask16
#define V_MASK_RANGE(lo, hi) ((__mmask16)(((1u << (hi)) - 1u) & ~((1u << (lo)) - 1u)))
#define V_MASK_NONE() ((__mmask16)0)
#define V_MASKZ_LOADU(m, p) _mm512_maskz_loadu_ps((m), (p))
#define V_MASK_STOREU(p, m, v) _mm512_mask_storeu_ps((p), (m), (v))
#define V_MASK_ADD(s, m, t) _mm512_mask_add_ps((s), (m), (s), (t))

#include "convdirect-kernels.h"

/* The entry points of each CPU path: the kernels above inlined with the
 * path's target and register budget. */
__attribute__((target("avx2,fma"))) static void
fwd_avx2(float *out, const float *xp, const float *wt, const float *bias, const direct_plan *pl)
{
    fwd_image_v8(out, xp, wt, bias, pl, 12);
}

__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void
fwd_avx512(float *out, const float *xp, const float *wt, const float *bias, const direct_plan *pl)
{
    if (pl->lanes == 16)
        fwd_image_v16(out, xp, wt, bias, pl, 24);
    else
        fwd_image_v8(out, xp, wt, bias, pl, 24);
}

__attribute__((target("avx2,fma"))) static void
dw_avx2(float *part, const float *xps, const float *gts, const direct_plan *pl, int g, int accumulate)
{
    dw_dispatch_v8(part, xps, gts, pl, g, accumulate, 12);
}

__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void
dw_avx512(float *part, const float *xps, const float *gts, const direct_plan *pl, int g, int accumulate)
{
    if (pl->lanes == 16)
        dw_dispatch_v16(part, xps, gts, pl, g, accumulate, 24);
    else
        dw_dispatch_v8(part, xps, gts, pl, g, accumulate, 24);
}

__attribute__((target("avx2,fma"))) static void
din_avx2(float *dx, const float *gp, float *dcol, const float *w, const direct_plan *pl)
{
    din_dispatch_v8(dx, gp, dcol, w, pl, 12);
}

__attribute__((target("avx2,fma,avx512f,avx512vl"))) static void
din_avx512(float *dx, const float *gp, float *dcol, const float *w, const direct_plan *pl)
{
    if (pl->lanes == 16)
        din_dispatch_v16(dx, gp, dcol, w, pl, 24);
    else
        din_dispatch_v8(dx, gp, dcol, w, pl, 24);
}
#endif /* DIRECT_HAVE_X86 */

/* ---- Forward ----------------------------------------------------------------
 * Scratch: the packed weights wt (C F F, KP), wt[r, k] = w[k, r] (zero for
 * k >= K), the bias padded to KP, and the image with P zeros around it and
 * zeros below and right of it as far as the last tile reads (XH x XW per
 * channel): zeroed once per call, the interior rewritten per image. */
size_t nn_convdirect_forward_scratch(const nn_conv_dims *d)
{
    const direct_plan pl = plan_make(d, direct_path(), 'f');
    return (size_t)d->C * d->F * d->F * pl.KP + pl.KP + (size_t)d->C * pl.XH * pl.XW;
}

static void pad_into(float *xp, int rows, int cols, const float *x, const nn_conv_dims *d)
{
    for (int c = 0; c < d->C; c++)
        for (int y = 0; y < d->H; y++)
            memcpy(xp + ((size_t)c * rows + y + d->P) * cols + d->P,
                   x + ((size_t)c * d->H + y) * d->W, sizeof(float) * d->W);
}

static void fwd_scalar(float *out, const float *xp, const float *wt, const float *bias,
                       const direct_plan *pl)
{
    const int F = pl->F;
    for (int k = 0; k < pl->K; k++)
        for (int i = 0; i < pl->H2; i++)
            for (int j = 0; j < pl->W2; j++) {
                float acc = 0.0f;
                const float *wr = wt + k;
                for (int c = 0; c < pl->C; c++)
                    for (int u = 0; u < F; u++)
                        for (int v = 0; v < F; v++, wr += pl->KP)
                            acc = fmaf(*wr, xp[((size_t)c * pl->XH + i + u) * pl->XW + j + v], acc);
                out[((size_t)k * pl->H2 + i) * pl->W2 + j] = acc + bias[k];
            }
}

void nn_convdirect_forward(float *out, const float *in, const float *w, const float *b,
                           const nn_conv_dims *d, int n0, int n1, float *scratch)
{
    const int path = direct_path(), CFF = d->C * d->F * d->F;
    const direct_plan pl = plan_make(d, path, 'f');
    float *wt = scratch, *bias = wt + (size_t)CFF * pl.KP, *xp = bias + pl.KP;
    const size_t image = (size_t)d->C * pl.XH * pl.XW;
    memset(wt, 0, sizeof(float) * ((size_t)CFF * pl.KP + pl.KP + image));
    for (int k = 0; k < d->K; k++) {
        for (int r = 0; r < CFF; r++)
            wt[(size_t)r * pl.KP + k] = w[(size_t)k * CFF + r];
        bias[k] = b ? b[k] : 0.0f;
    }
    const size_t in_stride = (size_t)d->C * d->H * d->W, out_stride = (size_t)d->K * d->H2 * d->W2;
    for (int n = n0; n < n1; n++) {
        pad_into(xp, pl.XH, pl.XW, in + n * in_stride, d);
        float *y = out + n * out_stride;
#if defined(DIRECT_HAVE_X86)
        if (path == PATH_AVX512) {
            fwd_avx512(y, xp, wt, bias, &pl);
            continue;
        }
        if (path == PATH_AVX2) {
            fwd_avx2(y, xp, wt, bias, &pl);
            continue;
        }
#endif
        fwd_scalar(y, xp, wt, bias, &pl);
    }
}

/* ---- Weight gradient --------------------------------------------------------
 * Scratch: the group's g images padded (C, HP, WP) each, its d_out
 * transposed to (H2 W2, KP) per image (zero for k >= K), and the partial
 * sums (C F F, KP). */
size_t nn_convdirect_weight_grad_scratch(const nn_conv_dims *d, int G)
{
    const direct_plan pl = plan_make(d, direct_path(), 'w');
    return (size_t)G * ((size_t)d->C * pl.HP * pl.WP + (size_t)d->H2 * d->W2 * pl.KP) +
           (size_t)d->C * d->F * d->F * pl.KP;
}

static void dw_scalar(float *part, const float *xps, const float *gts, const direct_plan *pl, int g,
                      int accumulate)
{
    const int F = pl->F, HW2 = pl->H2 * pl->W2, cols = g * HW2;
    const size_t image = (size_t)pl->C * pl->HP * pl->WP, grad_image = (size_t)HW2 * pl->KP;
    for (int k = 0; k < pl->K; k++)
        for (int c = 0; c < pl->C; c++)
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++) {
                    float *pr = part + ((size_t)(c * F + u) * F + v) * pl->KP + k;
                    for (int q0 = 0; q0 < cols; q0 += DIRECT_KC) {
                        const int q_end = cols - q0 < DIRECT_KC ? cols : q0 + DIRECT_KC;
                        float acc = 0.0f;
                        for (int q = q0; q < q_end; q++) {
                            const int t = q / HW2, p = q - t * HW2, i = p / pl->W2, j = p - i * pl->W2;
                            const float x = xps[t * image + ((size_t)c * pl->HP + i + u) * pl->WP + j + v];
                            acc = fmaf(x, gts[t * grad_image + (size_t)p * pl->KP + k], acc);
                        }
                        *pr = !accumulate && q0 == 0 ? acc : *pr + acc;
                    }
                }
}

void nn_convdirect_weight_grad(float *partial, const float *d_out, const float *in,
                               const nn_conv_dims *d, int n0, int n1, int G, float *scratch)
{
    const int path = direct_path(), CFF = d->C * d->F * d->F, HW2 = d->H2 * d->W2;
    const direct_plan pl = plan_make(d, path, 'w');
    const size_t image = (size_t)d->C * pl.HP * pl.WP, grad_image = (size_t)HW2 * pl.KP;
    float *xps = scratch, *gts = xps + (size_t)G * image, *part = gts + (size_t)G * grad_image;
    /* zeros: the padding, and the lanes k >= K of d_out^T */
    memset(scratch, 0, sizeof(float) * (size_t)G * (image + grad_image));
    const size_t in_stride = (size_t)d->C * d->H * d->W, out_stride = (size_t)d->K * HW2;
    for (int n = n0; n < n1; n += G) {
        const int g = G < n1 - n ? G : n1 - n;
        for (int t = 0; t < g; t++) {
            pad_into(xps + t * image, pl.HP, pl.WP, in + (n + t) * in_stride, d);
            const float *dy = d_out + (n + t) * out_stride;
            float *gt = gts + t * grad_image;
            for (int k = 0; k < d->K; k++)
                for (int p = 0; p < HW2; p++)
                    gt[(size_t)p * pl.KP + k] = dy[(size_t)k * HW2 + p];
        }
        const int accumulate = n > n0;
#if defined(DIRECT_HAVE_X86)
        if (path == PATH_AVX512) {
            dw_avx512(part, xps, gts, &pl, g, accumulate);
            continue;
        }
        if (path == PATH_AVX2) {
            dw_avx2(part, xps, gts, &pl, g, accumulate);
            continue;
        }
#endif
        dw_scalar(part, xps, gts, &pl, g, accumulate);
    }
    for (int k = 0; k < d->K; k++)
        for (int r = 0; r < CFF; r++)
            partial[(size_t)k * CFF + r] = part[(size_t)r * pl.KP + k];
}

/* ---- Input gradient ---------------------------------------------------------
 * Per image: d_out copied to gp (K, PP), zeros past H2 W2; then per channel
 * c, d_col of its F F rows, (F F, PP) in dcol (F floats of margin before
 * it, 16 + P after: the shifted masked loads of col2im address them but
 * read none), and col2im of that channel.  d_col never leaves the L1 cache. */
size_t nn_convdirect_input_grad_scratch(const nn_conv_dims *d)
{
    const direct_plan pl = plan_make(d, direct_path(), 'i');
    return (size_t)(d->K + d->F * d->F) * pl.PP + d->F + 16 + d->P;
}

static void din_scalar(float *dx, const float *gp, float *dcol, const float *w,
                       const direct_plan *pl)
{
    const int C = pl->C, F = pl->F, FF = F * F, P = pl->P, HW2 = pl->H2 * pl->W2;
    for (int c = 0; c < C; c++) {
        for (int rr = 0; rr < FF; rr++)
            for (int p = 0; p < HW2; p++) {
                float t = 0.0f;
                for (int k = 0; k < pl->K; k++)
                    t = fmaf(w[((size_t)k * C + c) * FF + rr], gp[(size_t)k * pl->PP + p], t);
                dcol[(size_t)rr * pl->PP + p] = t;
            }
        float *x = dx + (size_t)c * pl->H * pl->W;
        for (int u = 0; u < F; u++)
            for (int v = 0; v < F; v++)
                for (int i = 0; i < pl->H2; i++)
                    for (int j = 0; j < pl->W2; j++) {
                        const int y = i + u - P, xx = j + v - P;
                        if (y >= 0 && y < pl->H && xx >= 0 && xx < pl->W)
                            x[(size_t)y * pl->W + xx] += dcol[(size_t)(u * F + v) * pl->PP + i * pl->W2 + j];
                    }
    }
}

void nn_convdirect_input_grad(float *d_in, const float *d_out, const float *w,
                              const nn_conv_dims *d, int n0, int n1, float *scratch)
{
    const int path = direct_path(), HW2 = d->H2 * d->W2;
    const direct_plan pl = plan_make(d, path, 'i');
    float *gp = scratch, *dcol = gp + (size_t)d->K * pl.PP + d->F;
    memset(gp, 0, sizeof(float) * (size_t)d->K * pl.PP);
    const size_t in_stride = (size_t)d->C * d->H * d->W, out_stride = (size_t)d->K * HW2;
    for (int n = n0; n < n1; n++) {
        const float *dy = d_out + n * out_stride;
        for (int k = 0; k < d->K; k++)
            memcpy(gp + (size_t)k * pl.PP, dy + (size_t)k * HW2, sizeof(float) * HW2);
        float *dx = d_in + n * in_stride;
#if defined(DIRECT_HAVE_X86)
        if (path == PATH_AVX512) {
            din_avx512(dx, gp, dcol, w, &pl);
            continue;
        }
        if (path == PATH_AVX2) {
            din_avx2(dx, gp, dcol, w, &pl);
            continue;
        }
#endif
        din_scalar(dx, gp, dcol, w, &pl);
    }
}
