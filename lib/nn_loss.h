/* nn_loss.h: losses, numerically stable, each a forward/backward pair.
 *
 * forward returns the loss averaged over examples (PyTorch's reduction='mean')
 * in double; backward ADDS dL/d(input) into its gradient buffer, which starts
 * the backward pass of a network.
 *
 *   MSE:   L = (1/n) sum_i (p_i - t_i)^2                  dL/dp_i = 2 (p_i - t_i) / n
 *   BCE from logits z, targets y in [0, 1]:
 *          L = (1/n) sum_i  max(z,0) - z y + log(1 + exp(-|z|))
 *                                                          dL/dz_i = (sigmoid(z_i) - y_i) / n
 *     (the same as -y log s - (1-y) log(1-s) with s = sigmoid(z), but never
 *      takes the log of a rounded-to-zero probability)
 *   Softmax cross-entropy, logits (B, C), integer labels:
 *          L = (1/B) sum_b  -z_{b,y_b} + log sum_c exp(z_{b,c})
 *     with the log-sum-exp taken after subtracting max_c z_{b,c};
 *                                                          dL/dz_{b,c} = (p_{b,c} - [c = y_b]) / B
 */
#ifndef NN_LOSS_H
#define NN_LOSS_H

#include <stddef.h>

double nn_mse_forward(const float *pred, const float *target, size_t n);
void nn_mse_backward(float *d_pred, const float *pred, const float *target, size_t n);

double nn_bce_logits_forward(const float *logits, const float *target, size_t n);
void nn_bce_logits_backward(float *d_logits, const float *logits, const float *target, size_t n);

/* probs (B, C) is saved for backward: the softmax of each row. */
void nn_softmax(float *probs, const float *logits, int B, int C);
double nn_softmax_xent_forward(float *probs, const float *logits, const int *labels, int B, int C);
void nn_softmax_xent_backward(float *d_logits, const float *probs, const int *labels, int B, int C);

#endif
