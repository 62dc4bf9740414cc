/* vmath.c: float tanh and sigmoid from the kit's own range reduction and
 * polynomial, identical bits on every path and machine (see nn_vmath.h).
 *
 * Both functions rest on e^y for y <= 0, written with a Cody-Waite
 * reduction:
 *   k = round(y / ln 2)                 (by adding and subtracting 1.5 * 2^23)
 *   r = y - k ln2_hi - k ln2_lo         (two fmaf; |r| <= ln 2 / 2 ~ 0.347)
 *   p = e^r - 1 = r + r^2 (1/2! + r/3! + ... + r^6/8!)   (Horner, fmaf)
 *   e^y = 2^k (1 + p)                   (2^k assembled from its exponent bits)
 * The Taylor series cut after r^8/8! leaves a relative error below
 * 0.347^8 / 9! < 6e-10, a hundredth of a float ulp, so the result's error is
 * the rounding of the few operations after it.  ln2_hi has its low 12 bits
 * zero, so k ln2_hi is exact for the |k| <= 150 used here.
 *
 * tanh.  For a = |x| < 0.55, with m = e^(-2a) - 1 = expm1(-2a) in (-1, 0]:
 *   tanh(a) = (1 - e^(-2a)) / (1 + e^(-2a)) = -m / (2 + m).
 * m is computed as fmaf(2^k, p, 2^k - 1): for k = 0 it is p itself, so
 * small inputs keep their relative accuracy (no 1 - e cancellation), and
 * tanh(x) = x for tiny x.  2^k - 1 is exact for k >= -24.  For a >= 0.55,
 * tanh(a) = 1 - 2e / (1 + e) with e = e^(-2a) = fmaf(2^k, p, 2^k): the
 * error of the quotient (at most 1/2) shrinks in the subtraction.  Both
 * divisions are by a rounded sum 2 + m or 1 + e; divide_sum() folds that
 * sum's rounding error back in (without it the bound is 2.5 ulp).  a is clamped to
 * 10, where tanh is 1 in float (1 - tanh(9.1) < 2^-25).  The sign of x is
 * copied on at the end (odd symmetry by construction).
 *
 * sigmoid.  With e = e^(-|x|):  1 / (1 + e) for x >= 0,  e / (1 + e) for
 * x < 0 (the exponential never exceeds 1, so nothing overflows).  |x| is
 * clamped to 104, past which sigmoid(-|x|) rounds to 0 in float.  The
 * division by 1 + e uses divide_sum(), as for tanh.  Below
 * -87, e^(-|x|) is subnormal, so 2^k is applied as 2^k1 2^k2 (k1 = k/2):
 * e = fmaf(2^k1, p, 2^k1) * 2^k2, the second product rounding only into the
 * subnormal range. */
#include "nn_vmath.h"

#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpupath.h"
#include "nn_core.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define VMATH_HAVE_AVX2 1
#include <immintrin.h>
#endif

static const float ROUND_MAGIC = 12582912.0f; /* 1.5 * 2^23 */
static const float INV_LN2 = 1.44269504088896341f;
static const float LN2_HI = 0.693145751953125f; /* 0x3f317200 */
static const float LN2_LO = 1.42860682030941723e-6f;
static const float C2 = 1.0f / 2, C3 = 1.0f / 6, C4 = 1.0f / 24, C5 = 1.0f / 120,
                   C6 = 1.0f / 720, C7 = 1.0f / 5040, C8 = 1.0f / 40320;
static const float TANH_CLAMP = 10.0f, TANH_SPLIT = 0.55f, SIGMOID_CLAMP = 104.0f;

/* ---- Scalar path -------------------------------------------------------- */
static float pow2i(int k) /* 2^k for -126 <= k <= 127, exactly */
{
    uint32_t bits = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* k = round(y / ln 2) and p = e^r - 1 for y <= 0, as the header describes. */
static float reduce_expm1(float y, int *k)
{
    float kf = fmaf(y, INV_LN2, ROUND_MAGIC) - ROUND_MAGIC;
    float r = fmaf(kf, -LN2_HI, y);
    r = fmaf(kf, -LN2_LO, r);
    float q = fmaf(C8, r, C7);
    q = fmaf(q, r, C6);
    q = fmaf(q, r, C5);
    q = fmaf(q, r, C4);
    q = fmaf(q, r, C3);
    q = fmaf(q, r, C2);
    *k = (int)kf;
    return fmaf(r * r, q, r);
}

/* num / (big + small) with |small| <= big, almost correctly rounded: the
 * sum's rounding error (Fast2Sum, exact) and the quotient's residual (one
 * fmaf, exact) are folded back in one correction step. */
static float divide_sum(float num, float big, float small)
{
    float d = big + small;
    float d_err = small - (d - big);
    float q = num / d;
    float residual = fmaf(-q, d, num);
    residual = fmaf(-q, d_err, residual);
    return q + residual / d;
}

float nn_tanhf(float x)
{
    if (x != x)
        return x + x;
    float a = fabsf(x);
    a = a < TANH_CLAMP ? a : TANH_CLAMP;
    int k;
    float p = reduce_expm1(-2.0f * a, &k);
    float s = pow2i(k);
    float t;
    if (a < TANH_SPLIT) { /* -m / (2 + m), m = e^(-2a) - 1 */
        float m = fmaf(s, p, s - 1.0f);
        t = divide_sum(-m, 2.0f, m);
    } else { /* 1 - 2e / (1 + e), e = e^(-2a) */
        float e = fmaf(s, p, s);
        t = 1.0f - divide_sum(e + e, 1.0f, e);
    }
    return copysignf(t, x);
}

float nn_sigmoidf(float x)
{
    if (x != x)
        return x + x;
    float a = fabsf(x);
    a = a < SIGMOID_CLAMP ? a : SIGMOID_CLAMP;
    int k;
    float p = reduce_expm1(-a, &k);
    int k1 = -(-k / 2), k2 = k - k1;
    float s1 = pow2i(k1);
    float e = fmaf(s1, p, s1) * pow2i(k2);
    return divide_sum(x < 0 ? e : 1.0f, 1.0f, e);
}

static void tanh_scalar(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = nn_tanhf(in[i]);
}

static void sigmoid_scalar(float *out, const float *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = nn_sigmoidf(in[i]);
}

/* ---- Vector paths: the same operations on 8 or 16 lanes, in the same order.
 * lib/vmath-kernels.h holds the code once; it is compiled here twice. */
#if defined(VMATH_HAVE_AVX2)
#define VEC __m256
#define VECI __m256i
#define VMASK __m256
#define VL 8
#define KNAME(x) x##_v8
#define KTARGET "avx2,fma"
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps((p), (v))
#define V_SET1(x) _mm256_set1_ps(x)
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_MIN(a, b) _mm256_min_ps((a), (b))
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_FNMA(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#define V_AND(a, b) _mm256_and_ps((a), (b))
#define V_ANDNOT(a, b) _mm256_andnot_ps((a), (b))
#define V_OR(a, b) _mm256_or_ps((a), (b))
#define V_XOR(a, b) _mm256_xor_ps((a), (b))
#define V_LT(a, b) _mm256_cmp_ps((a), (b), _CMP_LT_OQ)
#define V_UNORD(a, b) _mm256_cmp_ps((a), (b), _CMP_UNORD_Q)
#define V_SELECT(m, t, f) _mm256_blendv_ps((f), (t), (m))
#define VI_SET1(x) _mm256_set1_epi32(x)
#define VI_ZERO() _mm256_setzero_si256()
#define VI_ADD(a, b) _mm256_add_epi32((a), (b))
#define VI_SUB(a, b) _mm256_sub_epi32((a), (b))
#define VI_SLLI(a, n) _mm256_slli_epi32((a), (n))
#define VI_SRLI(a, n) _mm256_srli_epi32((a), (n))
#define V_TO_INT(v) _mm256_cvtps_epi32(v)
#define V_FROM_BITS(i) _mm256_castsi256_ps(i)
#include "vmath-kernels.h"
#undef VEC
#undef VECI
#undef VMASK
#undef VL
#undef KNAME
#undef KTARGET
#undef V_LOADU
#undef V_STOREU
#undef V_SET1
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_MIN
#undef V_FMA
#undef V_FNMA
#undef V_AND
#undef V_ANDNOT
#undef V_OR
#undef V_XOR
#undef V_LT
#undef V_UNORD
#undef V_SELECT
#undef VI_SET1
#undef VI_ZERO
#undef VI_ADD
#undef VI_SUB
#undef VI_SLLI
#undef VI_SRLI
#undef V_TO_INT
#undef V_FROM_BITS

/* AVX-512F has no float bit operations (those are AVX-512DQ): they go
 * through the integer ones, which move the same bits. */
#define VEC __m512
#define VECI __m512i
#define VMASK __mmask16
#define VL 16
#define KNAME(x) x##_v16
#define KTARGET "avx512f"
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps((p), (v))
#define V_SET1(x) _mm512_set1_ps(x)
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_MIN(a, b) _mm512_min_ps((a), (b))
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_FNMA(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define V_BITS(op, a, b) \
    _mm512_castsi512_ps(op(_mm512_castps_si512(a), _mm512_castps_si512(b)))
#define V_AND(a, b) V_BITS(_mm512_and_si512, (a), (b))
#define V_ANDNOT(a, b) V_BITS(_mm512_andnot_si512, (a), (b))
#define V_OR(a, b) V_BITS(_mm512_or_si512, (a), (b))
#define V_XOR(a, b) V_BITS(_mm512_xor_si512, (a), (b))
#define V_LT(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_LT_OQ)
#define V_UNORD(a, b) _mm512_cmp_ps_mask((a), (b), _CMP_UNORD_Q)
#define V_SELECT(m, t, f) _mm512_mask_blend_ps((m), (f), (t))
#define VI_SET1(x) _mm512_set1_epi32(x)
#define VI_ZERO() _mm512_setzero_si512()
#define VI_ADD(a, b) _mm512_add_epi32((a), (b))
#define VI_SUB(a, b) _mm512_sub_epi32((a), (b))
#define VI_SLLI(a, n) _mm512_slli_epi32((a), (n))
#define VI_SRLI(a, n) _mm512_srli_epi32((a), (n))
#define V_TO_INT(v) _mm512_cvtps_epi32(v)
#define V_FROM_BITS(i) _mm512_castsi512_ps(i)
#include "vmath-kernels.h"
#endif

/* ---- Choosing a path, as nn_gemm does (lib/cpupath.c) ------------------- */
static const char *const path_names[] = {"unset", "scalar", "avx2", "avx512"};
static atomic_int current_path = NN_PATH_UNSET;

int nn_vmath_use_path(const char *name)
{
    int path;
    if (nn_cpu_path_named("nn_vmath", "auto, scalar, avx2 or avx512", name, &path) != NN_OK)
        return NN_ERR;
    atomic_store(&current_path, path);
    return NN_OK;
}

/* The first call reads NNLAB_VMATH (auto when unset). */
static int path_in_use(void)
{
    return nn_cpu_path_in_use(&current_path, "NNLAB_VMATH", nn_vmath_use_path);
}

const char *nn_vmath_path(void)
{
    return path_names[path_in_use()];
}

void nn_tanhf_array(float *out, const float *in, size_t n)
{
#if defined(VMATH_HAVE_AVX2)
    const int path = path_in_use();
    if (path == NN_PATH_AVX512) {
        tanh_v16(out, in, n);
        return;
    }
    if (path == NN_PATH_AVX2) {
        tanh_v8(out, in, n);
        return;
    }
#endif
    tanh_scalar(out, in, n);
}

void nn_sigmoidf_array(float *out, const float *in, size_t n)
{
#if defined(VMATH_HAVE_AVX2)
    const int path = path_in_use();
    if (path == NN_PATH_AVX512) {
        sigmoid_v16(out, in, n);
        return;
    }
    if (path == NN_PATH_AVX2) {
        sigmoid_v8(out, in, n);
        return;
    }
#endif
    sigmoid_scalar(out, in, n);
}
