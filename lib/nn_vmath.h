/* nn_vmath.h: the kit's own float tanh and sigmoid, same bits everywhere.
 *
 * libm's tanh() and exp() are not required to round the same way on every C
 * library, and a per-element double call is slow.  These functions evaluate
 * a documented range reduction and polynomial using only IEEE +, -, *, /
 * (each correctly rounded), fmaf() (one rounding), comparisons and exact bit
 * operations (sign, exponent assembly), in one fixed order, so every path
 * and every machine gives identical bits:
 *   "scalar": portable C with the C library's fmaf();
 *   "avx2":   8 floats at a time with AVX2 + FMA, the same operations in the
 *             same order;
 *   "avx512": 16 at a time with AVX-512F, again the same operations
 *             (tests/lib/test-vmath.c checks memcmp equality of all three).
 * The environment variable NNLAB_VMATH sets the path at the first call
 * ("auto", the default, takes the widest the CPU has).
 *
 * Accuracy (measured by tests/lib/test-vmath.c against double libm over
 * every 37th float with |x| in [2^-20, 16], 13 million inputs, plus 2^20
 * random bit patterns and 2^20 random floats in [-20, 20]): within
 * NN_VMATH_MAX_ULP = 2 ulp of the exact value (measured worst: tanh 1.89 ulp
 * near x = 0.507, sigmoid 1.45 ulp near x = -7.62).  Sigmoid outputs
 * below 2^-126 (subnormal) are within 2 units of the smallest subnormal.
 * tanh(+-0) = +-0, tanh(x) = x for tiny x, tanh(-x) = -tanh(x),
 * tanh(+-inf) = +-1, sigmoid(-inf) = 0, sigmoid(+inf) = 1, NaN gives NaN. */
#ifndef NN_VMATH_H
#define NN_VMATH_H

#include <stddef.h>

#define NN_VMATH_MAX_ULP 2

float nn_tanhf(float x);
float nn_sigmoidf(float x);
/* out[i] = f(in[i]) for i < n; out may equal in. */
void nn_tanhf_array(float *out, const float *in, size_t n);
void nn_sigmoidf_array(float *out, const float *in, size_t n);

/* "auto", "scalar", "avx2" or "avx512"; NN_ERR with a message when the CPU
 * lacks it. */
int nn_vmath_use_path(const char *name);
const char *nn_vmath_path(void);

#endif
