/* act.c: activation functions and their derivatives. */
#include "nn_act.h"

#include <math.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "nn_core.h"
#include "nn_vmath.h"

static const char *const act_names[NN_ACT_COUNT] = {
    [NN_IDENTITY] = "identity", [NN_SIGMOID] = "sigmoid", [NN_TANH] = "tanh",
    [NN_RELU] = "relu", [NN_LEAKY_RELU] = "leaky_relu", [NN_ELU] = "elu",
};

const char *nn_act_name(nn_activation act)
{
    return (act >= 0 && act < NN_ACT_COUNT) ? act_names[act] : "unknown";
}

int nn_act_parse(const char *name, nn_activation *act)
{
    for (int i = 0; i < NN_ACT_COUNT; i++)
        if (strcmp(name, act_names[i]) == 0) {
            *act = (nn_activation)i;
            return NN_OK;
        }
    return nn_error("unknown activation '%s': choose one of identity, sigmoid, tanh, relu, "
                    "leaky_relu, elu", name);
}

double nn_sigmoid(double z)
{
    /* exp of a large positive number overflows; evaluate the form whose
     * exponential is at most 1. */
    if (z >= 0)
        return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

double nn_act_value(nn_activation act, double z)
{
    switch (act) {
    case NN_IDENTITY: return z;
    case NN_SIGMOID: return nn_sigmoid(z);
    case NN_TANH: return tanh(z);
    case NN_RELU: return z > 0 ? z : 0.0;
    case NN_LEAKY_RELU: return z > 0 ? z : NN_LEAKY_SLOPE * z;
    case NN_ELU: return z > 0 ? z : NN_ELU_ALPHA * expm1(z);
    case NN_ACT_COUNT: break;
    }
    NN_ASSERT(!"activation out of range");
    return 0;
}

double nn_act_derivative(nn_activation act, double z)
{
    switch (act) {
    case NN_IDENTITY: return 1.0;
    case NN_SIGMOID: {
        double s = nn_sigmoid(z);
        return s * (1.0 - s);
    }
    case NN_TANH: {
        double t = tanh(z);
        return 1.0 - t * t;
    }
    case NN_RELU: return z > 0 ? 1.0 : 0.0;
    case NN_LEAKY_RELU: return z > 0 ? 1.0 : NN_LEAKY_SLOPE;
    case NN_ELU: return z > 0 ? 1.0 : NN_ELU_ALPHA * exp(z);
    case NN_ACT_COUNT: break;
    }
    NN_ASSERT(!"activation out of range");
    return 0;
}

/* ReLU, forward and backward, without a branch per element.  About half of
 * a trained network's pre-activations are negative, in no pattern a branch
 * predictor can learn, so a compiled `z > 0 ? z : 0` that jumps costs a
 * misprediction every other element: a quarter of chapter 7's training time
 * went there.  SSE2 (every x86-64 CPU) does four elements with a compare and
 * a mask instead.  The bits are those of the plain loop below, on every
 * path: max_ps(z, 0) is defined as z > 0 ? z : 0 (NaN and -0 give +0, as the
 * loop does), and the backward adds d_out masked to +0 where z <= 0, which
 * is exactly the loop's `+= 0.0f`. */
static void relu_forward(float *out, const float *in, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128 zero = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(out + i, _mm_max_ps(_mm_loadu_ps(in + i), zero));
#endif
    for (; i < n; i++)
        out[i] = in[i] > 0 ? in[i] : 0.0f;
}

static void relu_backward(float *d_in, const float *d_out, const float *in, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128 zero = _mm_setzero_ps();
    for (; i + 4 <= n; i += 4) {
        __m128 pass = _mm_and_ps(_mm_cmpgt_ps(_mm_loadu_ps(in + i), zero), _mm_loadu_ps(d_out + i));
        _mm_storeu_ps(d_in + i, _mm_add_ps(_mm_loadu_ps(d_in + i), pass));
    }
#endif
    for (; i < n; i++)
        d_in[i] += in[i] > 0 ? d_out[i] : 0.0f;
}

/* d_in += d_out (1 - a^2), four at a time: the same four IEEE operations per
 * element as the scalar tail (a a, 1 - that, d_out times that, d_in plus
 * that; no fused multiply-add), so the same bits. */
static void tanh_backward(float *d_in, const float *d_out, const float *out, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128 one = _mm_set1_ps(1.0f);
    for (; i + 4 <= n; i += 4) {
        const __m128 a = _mm_loadu_ps(out + i);
        const __m128 slope = _mm_sub_ps(one, _mm_mul_ps(a, a));
        _mm_storeu_ps(d_in + i, _mm_add_ps(_mm_loadu_ps(d_in + i), _mm_mul_ps(_mm_loadu_ps(d_out + i), slope)));
    }
#endif
    for (; i < n; i++)
        d_in[i] += d_out[i] * (1.0f - out[i] * out[i]);
}

void nn_act_forward(nn_activation act, float *out, const float *in, size_t n)
{
    switch (act) {
    case NN_RELU:
        relu_forward(out, in, n);
        return;
    case NN_LEAKY_RELU:
        for (size_t i = 0; i < n; i++)
            out[i] = in[i] > 0 ? in[i] : (float)NN_LEAKY_SLOPE * in[i];
        return;
    /* The float layers use the kit's own tanh and sigmoid (nn_vmath.h): the
     * same bits on every machine and C library, and vectorised; within 2 ulp
     * of the exact values. */
    case NN_TANH:
        nn_tanhf_array(out, in, n);
        return;
    case NN_SIGMOID:
        nn_sigmoidf_array(out, in, n);
        return;
    default:
        for (size_t i = 0; i < n; i++)
            out[i] = (float)nn_act_value(act, in[i]);
        return;
    }
}

void nn_act_backward(nn_activation act, float *d_in, const float *d_out,
                     const float *in, const float *out, size_t n)
{
    switch (act) {
    case NN_SIGMOID: /* f' = a (1 - a) with a the saved output */
        for (size_t i = 0; i < n; i++)
            d_in[i] += d_out[i] * out[i] * (1.0f - out[i]);
        return;
    case NN_TANH: /* f' = 1 - a^2 */
        tanh_backward(d_in, d_out, out, n);
        return;
    case NN_RELU:
        relu_backward(d_in, d_out, in, n);
        return;
    case NN_ELU: /* for z <= 0, f' = exp(z) = a + alpha with alpha = 1 */
        for (size_t i = 0; i < n; i++)
            d_in[i] += d_out[i] * (in[i] > 0 ? 1.0f : out[i] + (float)NN_ELU_ALPHA);
        return;
    default:
        for (size_t i = 0; i < n; i++)
            d_in[i] += d_out[i] * (float)nn_act_derivative(act, in[i]);
        return;
    }
}
