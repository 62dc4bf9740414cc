/* nn_regularize.h: regularizers: dropout and norm penalties.
 *
 * Dropout with drop probability p (PyTorch's p; the decks also speak of the
 * keep probability 1 - p, "an input node is included with prob 0.8"):
 *
 *   standard (the decks):  train  h~ = mu * h,            mu ~ Bernoulli(1 - p)
 *                          test   h~ = (1 - p) h          ("scale the weights")
 *   inverted (PyTorch):    train  h~ = mu * h / (1 - p)
 *                          test   h~ = h
 *
 * Both have E[h~ during training] = h~ at test time, so the next layer sees
 * activations of the same expected size in both phases.  The forward pass
 * stores the mask it drew (0, or the factor it kept with: 1 or 1/(1-p)), and
 * the backward pass routes the gradient through the same mask:
 *   d_in += mask * d_out.
 *
 * Norm penalties (deck 001): L_R(W) = L(W) + alpha Omega(W),
 *   L2: Omega = 1/2 ||W||_2^2,  dOmega/dW = W         ("weight decay")
 *   L1: Omega = 1/2 ||W||_1,    dOmega/dW = 1/2 sign(W)  (subgradient 0 at 0)
 * The deck writes the 1/2 on the L1 norm too; it only rescales alpha.
 * Penalize weights, not biases: a bias shifts a unit without making the
 * function any less smooth. */
#ifndef NN_REGULARIZE_H
#define NN_REGULARIZE_H

#include <stddef.h>

#include "nn_rng.h"

typedef enum { NN_DROPOUT_STANDARD, NN_DROPOUT_INVERTED } nn_dropout_kind;

void nn_dropout_forward(float *out, float *mask, const float *in, size_t n,
                        double p, nn_dropout_kind kind, nn_rng *rng);
void nn_dropout_backward(float *d_in, const float *d_out, const float *mask, size_t n);
/* Test time: standard scales by (1 - p), inverted is the identity. */
void nn_dropout_eval(float *out, const float *in, size_t n, double p, nn_dropout_kind kind);

double nn_l2_penalty(const float *W, size_t n);                  /* 1/2 ||W||_2^2 */
void nn_l2_penalty_backward(float *d_W, const float *W, size_t n, double alpha);
double nn_l1_penalty(const float *W, size_t n);                  /* 1/2 ||W||_1 */
void nn_l1_penalty_backward(float *d_W, const float *W, size_t n, double alpha);

#endif
