/* vmath-kernels.h: the vector tanh and sigmoid of lib/vmath.c, written once
 * for a vector of floats and included twice by vmath.c: for AVX2 + FMA
 * registers (__m256, 8 lanes) and for AVX-512 registers (__m512, 16).
 * Not a public header: it has no include guard on purpose, and it expects
 * these names defined by the includer (one line each there):
 *
 *   VEC, VECI, VMASK       the float vector, the int32 vector, a lane mask
 *   VL                     the number of lanes
 *   KNAME(x)               x with the width's suffix (x_v8, x_v16)
 *   KTARGET                the target attribute string of the operations
 *   V_LOADU(p) V_STOREU(p, v) V_SET1(x)
 *   V_ADD V_SUB V_MUL V_DIV V_MIN (a, b)   one IEEE operation per lane
 *   V_FMA(a, b, c)         a b + c rounded once;  V_FNMA(a, b, c): c - a b, once
 *   V_AND V_ANDNOT V_OR V_XOR (a, b)       bit operations (ANDNOT: ~a & b)
 *   V_LT(a, b), V_UNORD(a, b)              lane masks: a < b, a or b NaN
 *   V_SELECT(m, t, f)      t in the lanes of m, f elsewhere
 *   VI_SET1 VI_ADD VI_SUB (a, b), VI_SLLI VI_SRLI (a, n), VI_ZERO()
 *   V_TO_INT(v)            an integral float to int32 (exact)
 *   V_FROM_BITS(i)         the int32 lanes' bits as floats
 *
 * Every function does, lane by lane, exactly the operations of the scalar
 * nn_tanhf / nn_sigmoidf in vmath.c, in the same order: the same bits.
 * Where the scalar code branches, both sides are computed and V_SELECT
 * keeps the lane's side, which changes no rounding of the kept one. */

#define KINLINE static inline __attribute__((always_inline, target(KTARGET)))

/* k = round(y / ln 2) and p = e^r - 1 for y <= 0 (vmath.c's reduce_expm1) */
KINLINE VEC KNAME(reduce_expm1)(VEC y, VECI *k)
{
    const VEC magic = V_SET1(ROUND_MAGIC);
    VEC kf = V_SUB(V_FMA(y, V_SET1(INV_LN2), magic), magic);
    VEC r = V_FMA(kf, V_SET1(-LN2_HI), y);
    r = V_FMA(kf, V_SET1(-LN2_LO), r);
    VEC q = V_FMA(V_SET1(C8), r, V_SET1(C7));
    q = V_FMA(q, r, V_SET1(C6));
    q = V_FMA(q, r, V_SET1(C5));
    q = V_FMA(q, r, V_SET1(C4));
    q = V_FMA(q, r, V_SET1(C3));
    q = V_FMA(q, r, V_SET1(C2));
    *k = V_TO_INT(kf);
    return V_FMA(V_MUL(r, r), q, r);
}

/* 2^k from its exponent bits (vmath.c's pow2i) */
KINLINE VEC KNAME(pow2i)(VECI k)
{
    return V_FROM_BITS(VI_SLLI(VI_ADD(k, VI_SET1(127)), 23));
}

/* num / (big + small) with the sum's rounding folded back (divide_sum) */
KINLINE VEC KNAME(divide_sum)(VEC num, VEC big, VEC small)
{
    VEC d = V_ADD(big, small);
    VEC d_err = V_SUB(small, V_SUB(d, big));
    VEC q = V_DIV(num, d);
    VEC residual = V_FNMA(q, d, num);
    residual = V_FNMA(q, d_err, residual);
    return V_ADD(q, V_DIV(residual, d));
}

__attribute__((target(KTARGET))) static void KNAME(tanh)(float *out, const float *in, size_t n)
{
    const VEC sign = V_SET1(-0.0f), one = V_SET1(1.0f);
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        VEC x = V_LOADU(in + i);
        VEC a = V_MIN(V_ANDNOT(sign, x), V_SET1(TANH_CLAMP));
        VECI k;
        VEC p = KNAME(reduce_expm1)(V_MUL(V_SET1(-2.0f), a), &k);
        VEC s = KNAME(pow2i)(k);
        /* both forms of the scalar code, chosen per lane before one division */
        VMASK small_a = V_LT(a, V_SET1(TANH_SPLIT));
        VEC m = V_FMA(s, p, V_SUB(s, one));
        VEC e = V_FMA(s, p, s);
        VEC num = V_SELECT(small_a, V_XOR(m, sign), V_ADD(e, e));
        VEC big = V_SELECT(small_a, V_SET1(2.0f), one);
        VEC q = KNAME(divide_sum)(num, big, V_SELECT(small_a, m, e));
        VEC t = V_SELECT(small_a, q, V_SUB(one, q));
        t = V_OR(V_ANDNOT(sign, t), V_AND(sign, x));
        V_STOREU(out + i, V_SELECT(V_UNORD(x, x), V_ADD(x, x), t));
    }
    tanh_scalar(out + i, in + i, n - i);
}

__attribute__((target(KTARGET))) static void KNAME(sigmoid)(float *out, const float *in, size_t n)
{
    const VEC sign = V_SET1(-0.0f), one = V_SET1(1.0f);
    const VECI zero = VI_ZERO();
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        VEC x = V_LOADU(in + i);
        VEC a = V_MIN(V_ANDNOT(sign, x), V_SET1(SIGMOID_CLAMP));
        VECI k;
        VEC p = KNAME(reduce_expm1)(V_XOR(a, sign), &k);
        VECI k1 = VI_SUB(zero, VI_SRLI(VI_SUB(zero, k), 1));
        VECI k2 = VI_SUB(k, k1);
        VEC s1 = KNAME(pow2i)(k1);
        VEC e = V_MUL(V_FMA(s1, p, s1), KNAME(pow2i)(k2));
        VMASK negative = V_LT(x, V_SET1(0.0f));
        VEC sg = KNAME(divide_sum)(V_SELECT(negative, e, one), one, e);
        V_STOREU(out + i, V_SELECT(V_UNORD(x, x), V_ADD(x, x), sg));
    }
    sigmoid_scalar(out + i, in + i, n - i);
}

#undef KINLINE
