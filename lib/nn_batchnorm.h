/* nn_batchnorm.h: batch normalization of a (B, K) batch of activations.
 *
 * Deck 001: for a mini-batch H of B rows (examples) and K columns (units),
 * each unit k is normalized over the batch, then scaled and shifted by
 * learnable gamma and beta ("normalization can reduce expressive power; allows
 * the network to control the range of normalization"):
 *
 *   mu_k    = (1/B) sum_b H_bk
 *   sigma_k = sqrt((1/B) sum_b (H_bk - mu_k)^2 + delta)      delta = eps, 1e-5 in torch
 *   H'_bk   = (H_bk - mu_k) / sigma_k
 *   out_bk  = gamma_k H'_bk + beta_k
 *
 * Training uses the batch's own mu and sigma (the biased variance, 1/B).  For
 * inference, when there may be a single example, it uses running averages
 * kept during training, as torch.nn.BatchNorm1d does (momentum 0.1):
 *
 *   running_mean <- (1 - momentum) running_mean + momentum mu
 *   running_var  <- (1 - momentum) running_var  + momentum (B / (B - 1)) var
 *
 * with the unbiased variance (B - 1 in the denominator) in the running one.
 * Start them at 0 and 1 (torch's reset_running_stats).
 *
 * Backward, with xhat = H' and rstd = 1 / sigma saved by forward:
 *
 *   d_beta_k  += sum_b d_out_bk
 *   d_gamma_k += sum_b d_out_bk xhat_bk
 *   d_in_bk   += gamma_k rstd_k (d_out_bk - mean_b(d_out_.k)
 *                                        - xhat_bk mean_b(d_out_.k xhat_.k))
 *
 * (the two means are what flows back through mu and sigma, which depend on
 * every example of the batch). */
#ifndef NN_BATCHNORM_H
#define NN_BATCHNORM_H

#define NN_BN_EPS 1e-5
#define NN_BN_MOMENTUM 0.1

/* Training: out (B, K); saves mean (K) and rstd (K) for backward; updates
 * running_mean/running_var (K) when they are not NULL.  NN_ERR when B < 2
 * (one example has no batch statistics: torch refuses it too). */
int nn_batchnorm_forward(float *out, float *mean, float *rstd, const float *in,
                         const float *gamma, const float *beta, float *running_mean,
                         float *running_var, int B, int K, double momentum, double eps);
/* Inference with the running statistics: out (B, K), any B >= 1. */
void nn_batchnorm_eval(float *out, const float *in, const float *gamma, const float *beta,
                       const float *running_mean, const float *running_var, int B, int K, double eps);
/* Backward of the training forward.  d_in (B, K) may be NULL; adds. */
void nn_batchnorm_backward(float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                           const float *in, const float *gamma, const float *mean, const float *rstd,
                           int B, int K);

/* ---- BatchNorm2d ------------------------------------------------------------
 * For images (N, C, H, W) each channel c is one unit: its statistics run over
 * the N H W positions of every example (torch.nn.BatchNorm2d), so a filter's
 * response is normalised the same way wherever in the image it fires.  With
 * HW = H W, the formulas above hold with the batch sum sum_b replaced by
 * sum_n sum_p over the N HW values of the channel, and B by N HW (the
 * running variance's unbiased factor is N HW / (N HW - 1)).  Same
 * conventions: biased variance in the normalisation, momentum, eps, running
 * statistics updated when not NULL, backward adds, d_in may be NULL. */

/* Training: out (N, C, HW); mean (C) and rstd (C) saved for backward.
 * NN_ERR when N HW < 2. */
int nn_batchnorm2d_forward(float *out, float *mean, float *rstd, const float *in,
                           const float *gamma, const float *beta, float *running_mean,
                           float *running_var, int N, int C, int HW, double momentum, double eps);
void nn_batchnorm2d_eval(float *out, const float *in, const float *gamma, const float *beta,
                         const float *running_mean, const float *running_var, int N, int C, int HW,
                         double eps);
void nn_batchnorm2d_backward(float *d_in, float *d_gamma, float *d_beta, const float *d_out,
                             const float *in, const float *gamma, const float *mean, const float *rstd,
                             int N, int C, int HW);

#endif
