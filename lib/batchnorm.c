/* batchnorm.c: batch normalization, training and inference, forward and backward.
 *
 * Letters: B examples (rows), K units (columns), b and k their indices.
 * Statistics are accumulated in double: a float sum of B squares loses digits
 * the normalization then divides by. */
#include "nn_batchnorm.h"

#include <math.h>
#include <stdlib.h>

#include "nn_core.h"

int nn_batchnorm_forward(float *out, float *mean, float *rstd, const float *in,
                         const float *gamma, const float *beta, float *running_mean,
                         float *running_var, int B, int K, double momentum, double eps)
{
    if (B < 2)
        return nn_error("batch normalization needs a batch of at least 2 examples to compute statistics "
                        "(got %d): train with a larger batch, or use the running statistics (eval)", B);
    for (int k = 0; k < K; k++) {
        double sum = 0;
        for (int b = 0; b < B; b++)
            sum += in[(size_t)b * K + k];
        double mu = sum / B, squares = 0;
        for (int b = 0; b < B; b++) {
            double centred = in[(size_t)b * K + k] - mu;
            squares += centred * centred;
        }
        double var = squares / B;                 /* biased: the batch's own spread */
        double r = 1.0 / sqrt(var + eps);
        mean[k] = (float)mu;
        rstd[k] = (float)r;
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)b * K + k;
            out[i] = (float)(gamma[k] * ((in[i] - mu) * r) + beta[k]);
        }
        if (running_mean && running_var) {
            running_mean[k] = (float)((1 - momentum) * running_mean[k] + momentum * mu);
            running_var[k] = (float)((1 - momentum) * running_var[k] + momentum * squares / (B - 1));
        }
    }
    return NN_OK;
}

void nn_batchnorm_eval(float *out, const float *in, const float *gamma, const float *beta,
                       const float *running_mean, const float *running_var, int B, int K, double eps)
{
    for (int k = 0; k < K; k++) {
        double r = 1.0 / sqrt((double)running_var[k] + eps);
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)b * K + k;
            out[i] = (float)(gamma[k] * ((in[i] - running_mean[k]) * r) + beta[k]);
        }
    }
}

void nn_batchnorm_backward(float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                           const float *in, const float *gamma, const float *mean, const float *rstd,
                           int B, int K)
{
    for (int k = 0; k < K; k++) {
        /* in the forward pass this was: out = gamma xhat + beta, xhat = (in - mu) rstd */
        double sum_dout = 0, sum_dout_xhat = 0;
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)b * K + k;
            double xhat = (in[i] - mean[k]) * (double)rstd[k];
            sum_dout += d_out[i];
            sum_dout_xhat += d_out[i] * xhat;
        }
        d_beta[k] += (float)sum_dout;
        d_gamma[k] += (float)sum_dout_xhat;
        if (!d_in)
            continue;
        double mean_dout = sum_dout / B, mean_dout_xhat = sum_dout_xhat / B;
        for (int b = 0; b < B; b++) {
            size_t i = (size_t)b * K + k;
            double xhat = (in[i] - mean[k]) * (double)rstd[k];
            d_in[i] += (float)(gamma[k] * rstd[k] * (d_out[i] - mean_dout - xhat * mean_dout_xhat));
        }
    }
}

/* ---- BatchNorm2d --------------------------------------------------------------
 * Channel c of example n is the contiguous run in[(n C + c) HW .. + HW); the
 * statistics of channel c gather N such runs.  The loops are the 1-d ones
 * with b replaced by the pair (n, p). */
#define BN2D_AT(n, c, p) (((size_t)(n) * C + (size_t)(c)) * HW + (size_t)(p))

int nn_batchnorm2d_forward(float *out, float *mean, float *rstd, const float *in,
                           const float *gamma, const float *beta, float *running_mean,
                           float *running_var, int N, int C, int HW, double momentum, double eps)
{
    double count = (double)N * HW;
    if (N < 1 || HW < 1 || count < 2)
        return nn_error("2-d batch normalization needs at least 2 values per channel to compute statistics "
                        "(got %d examples of %d positions): train with a larger batch, or use the running "
                        "statistics (eval)", N, HW);
    for (int c = 0; c < C; c++) {
        double sum = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++)
                sum += in[BN2D_AT(n, c, p)];
        double mu = sum / count, squares = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                double centred = in[BN2D_AT(n, c, p)] - mu;
                squares += centred * centred;
            }
        double r = 1.0 / sqrt(squares / count + eps);   /* biased variance */
        mean[c] = (float)mu;
        rstd[c] = (float)r;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = BN2D_AT(n, c, p);
                out[i] = (float)(gamma[c] * ((in[i] - mu) * r) + beta[c]);
            }
        if (running_mean && running_var) {
            running_mean[c] = (float)((1 - momentum) * running_mean[c] + momentum * mu);
            running_var[c] = (float)((1 - momentum) * running_var[c] + momentum * squares / (count - 1));
        }
    }
    return NN_OK;
}

void nn_batchnorm2d_eval(float *out, const float *in, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, int N, int C, int HW,
                         double eps)
{
    for (int c = 0; c < C; c++) {
        double r = 1.0 / sqrt((double)running_var[c] + eps);
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = BN2D_AT(n, c, p);
                out[i] = (float)(gamma[c] * ((in[i] - running_mean[c]) * r) + beta[c]);
            }
    }
}

void nn_batchnorm2d_backward(float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                             const float *in, const float *gamma, const float *mean, const float *rstd,
                             int N, int C, int HW)
{
    double count = (double)N * HW;
    for (int c = 0; c < C; c++) {
        double sum_dout = 0, sum_dout_xhat = 0;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = BN2D_AT(n, c, p);
                double xhat = (in[i] - mean[c]) * (double)rstd[c];
                sum_dout += d_out[i];
                sum_dout_xhat += d_out[i] * xhat;
            }
        d_beta[c] += (float)sum_dout;
        d_gamma[c] += (float)sum_dout_xhat;
        if (!d_in)
            continue;
        double mean_dout = sum_dout / count, mean_dout_xhat = sum_dout_xhat / count;
        for (int n = 0; n < N; n++)
            for (int p = 0; p < HW; p++) {
                size_t i = BN2D_AT(n, c, p);
                double xhat = (in[i] - mean[c]) * (double)rstd[c];
                d_in[i] += (float)(gamma[c] * rstd[c] * (d_out[i] - mean_dout - xhat * mean_dout_xhat));
            }
    }
}
