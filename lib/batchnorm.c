/* batchnorm.c: batch normalization, training and inference, forward and backward.
 *
 * Letters: B examples (rows), K units (columns), b and k their indices.
 * Statistics are accumulated in double: a float sum of B squares loses digits
 * the normalization then divides by. */
#include "nn_batchnorm.h"

#include <math.h>
#include <stdlib.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

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

/* The element-wise passes over one channel's run of HW values, in double as
 * the formulas above.  SSE2 (every x86-64 CPU) does four values per step,
 * two doubles per register; every value goes through the same operations
 * in the same order as in the scalar loop that finishes the run, so the
 * bits are the same either way. */
#ifdef __SSE2__
static inline __m128d low_pair(__m128 v) { return _mm_cvtps_pd(v); }
static inline __m128d high_pair(__m128 v) { return _mm_cvtps_pd(_mm_movehl_ps(v, v)); }
static inline __m128 join_pairs(__m128d lo, __m128d hi)
{
    return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
}
#endif

/* training forward: out = gamma ((in - mu) r) + beta, mu and r doubles */
static void normalise_run(float *out, const float *in, int n, double mu, double r, float gamma, float beta)
{
    int p = 0;
#ifdef __SSE2__
    const __m128d mu2 = _mm_set1_pd(mu), r2 = _mm_set1_pd(r), g2 = _mm_set1_pd(gamma), b2 = _mm_set1_pd(beta);
    for (; p + 4 <= n; p += 4) {
        __m128 x = _mm_loadu_ps(in + p);
        __m128d lo = _mm_add_pd(_mm_mul_pd(g2, _mm_mul_pd(_mm_sub_pd(low_pair(x), mu2), r2)), b2);
        __m128d hi = _mm_add_pd(_mm_mul_pd(g2, _mm_mul_pd(_mm_sub_pd(high_pair(x), mu2), r2)), b2);
        _mm_storeu_ps(out + p, join_pairs(lo, hi));
    }
#endif
    for (; p < n; p++)
        out[p] = (float)(gamma * ((in[p] - mu) * r) + beta);
}

/* evaluation: out = gamma ((in - running_mean) r) + beta, the difference in float */
static void normalise_run_eval(float *out, const float *in, int n, float mean, double r, float gamma, float beta)
{
    int p = 0;
#ifdef __SSE2__
    const __m128 mean4 = _mm_set1_ps(mean);
    const __m128d r2 = _mm_set1_pd(r), g2 = _mm_set1_pd(gamma), b2 = _mm_set1_pd(beta);
    for (; p + 4 <= n; p += 4) {
        __m128 centred = _mm_sub_ps(_mm_loadu_ps(in + p), mean4);
        __m128d lo = _mm_add_pd(_mm_mul_pd(g2, _mm_mul_pd(low_pair(centred), r2)), b2);
        __m128d hi = _mm_add_pd(_mm_mul_pd(g2, _mm_mul_pd(high_pair(centred), r2)), b2);
        _mm_storeu_ps(out + p, join_pairs(lo, hi));
    }
#endif
    for (; p < n; p++)
        out[p] = (float)(gamma * ((in[p] - mean) * r) + beta);
}

/* backward: d_in += gamma rstd (d_out - mean(d_out) - xhat mean(d_out xhat)),
 * xhat = (in - mean) rstd with the difference in float, gamma rstd a float
 * product */
static void d_in_run(float *d_in, const float *d_out, const float *in, int n, float mean, float rstd,
                     float gamma_rstd, double mean_dout, double mean_dout_xhat)
{
    int p = 0;
#ifdef __SSE2__
    const __m128 mean4 = _mm_set1_ps(mean);
    const __m128d rstd2 = _mm_set1_pd(rstd), gr2 = _mm_set1_pd(gamma_rstd), md2 = _mm_set1_pd(mean_dout),
                  mdx2 = _mm_set1_pd(mean_dout_xhat);
    for (; p + 4 <= n; p += 4) {
        __m128 centred = _mm_sub_ps(_mm_loadu_ps(in + p), mean4), g = _mm_loadu_ps(d_out + p);
        __m128d xhat_lo = _mm_mul_pd(low_pair(centred), rstd2), xhat_hi = _mm_mul_pd(high_pair(centred), rstd2);
        __m128d lo = _mm_mul_pd(gr2, _mm_sub_pd(_mm_sub_pd(low_pair(g), md2), _mm_mul_pd(xhat_lo, mdx2)));
        __m128d hi = _mm_mul_pd(gr2, _mm_sub_pd(_mm_sub_pd(high_pair(g), md2), _mm_mul_pd(xhat_hi, mdx2)));
        _mm_storeu_ps(d_in + p, _mm_add_ps(_mm_loadu_ps(d_in + p), join_pairs(lo, hi)));
    }
#endif
    for (; p < n; p++) {
        double xhat = (in[p] - mean) * (double)rstd;
        d_in[p] += (float)(gamma_rstd * (d_out[p] - mean_dout - xhat * mean_dout_xhat));
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
                normalise_run(out + BN2D_AT(n, c, 0), in + BN2D_AT(n, c, 0), HW, mu[l], r[l], gamma[c], beta[c]);
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
            normalise_run_eval(out + BN2D_AT(n, c, 0), in + BN2D_AT(n, c, 0), HW, running_mean[c], r, gamma[c],
                               beta[c]);
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
                d_in_run(d_in + BN2D_AT(n, c, 0), d_out + BN2D_AT(n, c, 0), in + BN2D_AT(n, c, 0), HW, mean[c],
                         rstd[c], gamma[c] * rstd[c], mean_dout, mean_dout_xhat);
        }
    }
}
