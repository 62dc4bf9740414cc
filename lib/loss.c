/* loss.c: MSE, binary cross-entropy from logits, softmax cross-entropy. */
#include "nn_loss.h"

#include <math.h>

#include "nn_act.h"
#include "nn_core.h"

double nn_mse_forward(const float *pred, const float *target, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double e = (double)pred[i] - target[i];
        sum += e * e;
    }
    return n ? sum / (double)n : 0.0;
}

void nn_mse_backward(float *d_pred, const float *pred, const float *target, size_t n)
{
    /* in the forward pass this was: sum += (p - t)^2, then / n */
    for (size_t i = 0; i < n; i++)
        d_pred[i] += (float)(2.0 * ((double)pred[i] - target[i]) / (double)n);
}

double nn_bce_logits_forward(const float *logits, const float *target, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double z = logits[i], y = target[i];
        sum += (z > 0 ? z : 0.0) - z * y + log1p(exp(-fabs(z)));
    }
    return n ? sum / (double)n : 0.0;
}

void nn_bce_logits_backward(float *d_logits, const float *logits, const float *target, size_t n)
{
    for (size_t i = 0; i < n; i++)
        d_logits[i] += (float)((nn_sigmoid(logits[i]) - target[i]) / (double)n);
}

void nn_softmax(float *probs, const float *logits, int B, int C)
{
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        float *p = probs + (size_t)b * C;
        /* Subtracting the row maximum leaves the softmax unchanged and keeps
         * every exponential in (0, 1]. */
        float zmax = z[nn_argmax(z, (size_t)C)];
        double sum = 0;
        for (int c = 0; c < C; c++)
            sum += exp((double)z[c] - zmax);
        for (int c = 0; c < C; c++)
            p[c] = (float)(exp((double)z[c] - zmax) / sum);
    }
}

double nn_softmax_xent_forward(float *probs, const float *logits, const int *labels, int B, int C)
{
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * C;
        NN_ASSERT(labels[b] >= 0 && labels[b] < C);
        float zmax = z[nn_argmax(z, (size_t)C)];
        double sum = 0;
        for (int c = 0; c < C; c++)
            sum += exp((double)z[c] - zmax);
        double log_sum_exp = zmax + log(sum);
        loss += log_sum_exp - z[labels[b]];
        if (probs)
            for (int c = 0; c < C; c++)
                probs[(size_t)b * C + c] = (float)exp((double)z[c] - log_sum_exp);
    }
    return B ? loss / B : 0.0;
}

void nn_softmax_xent_backward(float *d_logits, const float *probs, const int *labels, int B, int C)
{
    float inv_B = 1.0f / (float)B;
    for (int b = 0; b < B; b++)
        for (int c = 0; c < C; c++) {
            float p = probs[(size_t)b * C + c];
            d_logits[(size_t)b * C + c] += (p - (c == labels[b] ? 1.0f : 0.0f)) * inv_B;
        }
}
