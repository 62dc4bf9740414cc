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

/* A channel's sum is a chain of N HW dependent double additions, each
 * waiting for the one before: one channel at a time, the loop runs at the
 * adder's latency, not its throughput.  So the channels are taken LANES at
 * a time, their chains interleaved: lane l still adds its channel's values
 * in the order n = 0..N-1, p = 0..HW-1, so every sum, and every bit of the
 * result, is that of one channel at a time, only several chains are in
 * flight at once. */
enum { LANES = 8 };

/* The sums of channels c0 .. c0+lanes-1: sum[l] of in, and squares[l] of
 * (in - mu[l])^2 when mu is given.  Inlined with lanes a constant (8, or 1
 * for the channels left over) so the partial sums live in registers. */
static inline __attribute__((always_inline)) void
channel_sums(double *sum, const double *mu, const float *in, int c0, int lanes, int N, int C, int HW)
{
    double acc[LANES] = {0};
    for (int n = 0; n < N; n++) {
        const float *x = in + BN2D_AT(n, c0, 0);
        for (int p = 0; p < HW; p++)
            for (int l = 0; l < lanes; l++) {
                double v = x[(size_t)l * HW + p];
                if (mu) {
                    double centred = v - mu[l];
                    acc[l] += centred * centred;
                } else {
                    acc[l] += v;
                }
            }
    }
    for (int l = 0; l < lanes; l++)
        sum[l] = acc[l];
}

/* The backward pass's two sums per channel, interleaved the same way. */
static inline __attribute__((always_inline)) void
channel_grad_sums(double *sum_dout, double *sum_dout_xhat, const float *d_out, const float *in,
                  const float *mean, const float *rstd, int c0, int lanes, int N, int C, int HW)
{
    double acc[LANES] = {0}, acc_xhat[LANES] = {0};
    for (int n = 0; n < N; n++) {
        const size_t base = BN2D_AT(n, c0, 0);
        for (int p = 0; p < HW; p++)
            for (int l = 0; l < lanes; l++) {
                size_t i = base + (size_t)l * HW + p;
                double xhat = (in[i] - mean[c0 + l]) * (double)rstd[c0 + l];
                acc[l] += d_out[i];
                acc_xhat[l] += d_out[i] * xhat;
            }
    }
    for (int l = 0; l < lanes; l++) {
        sum_dout[l] = acc[l];
        sum_dout_xhat[l] = acc_xhat[l];
    }
}

static int lanes_at(int c0, int C) { return C - c0 < LANES ? C - c0 : LANES; }

int nn_batchnorm2d_forward(float *out, float *mean, float *rstd, const float *in,
                           const float *gamma, const float *beta, float *running_mean,
                           float *running_var, int N, int C, int HW, double momentum, double eps)
{
    double count = (double)N * HW;
    if (N < 1 || HW < 1 || count < 2)
        return nn_error("2-d batch normalization needs at least 2 values per channel to compute statistics "
                        "(got %d examples of %d positions): train with a larger batch, or use the running "
                        "statistics (eval)", N, HW);
    for (int c0 = 0; c0 < C; c0 += LANES) {
        const int lanes = lanes_at(c0, C);
        double sum[LANES], mu[LANES], squares[LANES], r[LANES];
        if (lanes == LANES)
            channel_sums(sum, NULL, in, c0, LANES, N, C, HW);
        else
            for (int l = 0; l < lanes; l++)
                channel_sums(sum + l, NULL, in, c0 + l, 1, N, C, HW);
        for (int l = 0; l < lanes; l++)
            mu[l] = sum[l] / count;
        if (lanes == LANES)
            channel_sums(squares, mu, in, c0, LANES, N, C, HW);
        else
            for (int l = 0; l < lanes; l++)
                channel_sums(squares + l, mu + l, in, c0 + l, 1, N, C, HW);
        for (int l = 0; l < lanes; l++) {
            const int c = c0 + l;
            r[l] = 1.0 / sqrt(squares[l] / count + eps);   /* biased variance */
            mean[c] = (float)mu[l];
            rstd[c] = (float)r[l];
            for (int n = 0; n < N; n++)
                for (int p = 0; p < HW; p++) {
                    size_t i = BN2D_AT(n, c, p);
                    out[i] = (float)(gamma[c] * ((in[i] - mu[l]) * r[l]) + beta[c]);
                }
            if (running_mean && running_var) {
                running_mean[c] = (float)((1 - momentum) * running_mean[c] + momentum * mu[l]);
                running_var[c] = (float)((1 - momentum) * running_var[c] + momentum * squares[l] / (count - 1));
            }
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
    for (int c0 = 0; c0 < C; c0 += LANES) {
        const int lanes = lanes_at(c0, C);
        double sum_dout[LANES], sum_dout_xhat[LANES];
        if (lanes == LANES)
            channel_grad_sums(sum_dout, sum_dout_xhat, d_out, in, mean, rstd, c0, LANES, N, C, HW);
        else
            for (int l = 0; l < lanes; l++)
                channel_grad_sums(sum_dout + l, sum_dout_xhat + l, d_out, in, mean, rstd, c0 + l, 1, N, C, HW);
        for (int l = 0; l < lanes; l++) {
            const int c = c0 + l;
            d_beta[c] += (float)sum_dout[l];
            d_gamma[c] += (float)sum_dout_xhat[l];
            if (!d_in)
                continue;
            double mean_dout = sum_dout[l] / count, mean_dout_xhat = sum_dout_xhat[l] / count;
            for (int n = 0; n < N; n++)
                for (int p = 0; p < HW; p++) {
                    size_t i = BN2D_AT(n, c, p);
                    double xhat = (in[i] - mean[c]) * (double)rstd[c];
                    d_in[i] += (float)(gamma[c] * rstd[c] * (d_out[i] - mean_dout - xhat * mean_dout_xhat));
                }
        }
    }
}
