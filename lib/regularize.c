/* regularize.c: dropout (standard and inverted) and norm penalties. */
#include "nn_regularize.h"

#include <math.h>

#include "nn_core.h"

void nn_dropout_forward(float *out, float *mask, const float *in, size_t n,
                        double p, nn_dropout_kind kind, nn_rng *rng)
{
    NN_ASSERT(p >= 0 && p < 1);
    /* The factor a kept unit is multiplied by: 1 for the decks' dropout, which
     * rescales at test time instead, 1/(1-p) for inverted dropout. */
    float keep_scale = kind == NN_DROPOUT_INVERTED ? (float)(1.0 / (1.0 - p)) : 1.0f;
    for (size_t i = 0; i < n; i++) {
        mask[i] = nn_rng_uniform(rng) < p ? 0.0f : keep_scale;
        out[i] = mask[i] * in[i];
    }
}

void nn_dropout_backward(float *d_in, const float *d_out, const float *mask, size_t n)
{
    /* in the forward pass this was: out[i] = mask[i] * in[i]; so */
    for (size_t i = 0; i < n; i++)
        d_in[i] += mask[i] * d_out[i];
}

void nn_dropout_eval(float *out, const float *in, size_t n, double p, nn_dropout_kind kind)
{
    float scale = kind == NN_DROPOUT_STANDARD ? (float)(1.0 - p) : 1.0f;
    for (size_t i = 0; i < n; i++)
        out[i] = scale * in[i];
}

double nn_l2_penalty(const float *W, size_t n) { return 0.5 * nn_dot(W, W, n); }

void nn_l2_penalty_backward(float *d_W, const float *W, size_t n, double alpha)
{
    for (size_t i = 0; i < n; i++)
        d_W[i] += (float)(alpha * W[i]);
}

double nn_l1_penalty(const float *W, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += fabs(W[i]);
    return 0.5 * sum;
}

void nn_l1_penalty_backward(float *d_W, const float *W, size_t n, double alpha)
{
    /* |w| has no derivative at 0; any value in [-1, 1] is a subgradient, and
     * 0 keeps a weight that is exactly zero where it is. */
    for (size_t i = 0; i < n; i++)
        d_W[i] += (float)(0.5 * alpha * (W[i] > 0 ? 1.0 : W[i] < 0 ? -1.0 : 0.0));
}
