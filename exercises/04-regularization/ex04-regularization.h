/* ex04-regularization.h: the functions of chapter 4's exercises.
 *
 * Notation of the decks: W the weights, alpha the strength of a penalty
 * Omega(W), p the probability of dropping a unit (keep it with 1 - p). */
#ifndef EX04_REGULARIZATION_H
#define EX04_REGULARIZATION_H

#include <stddef.h>

/* Exercise 4.1: the L1 penalty of deck 001, alpha Omega(W) with
 * Omega(W) = 1/2 ||W||_1 = 1/2 sum_i |W_i|.  Returns alpha Omega(W) and ADDS
 * its subgradient alpha/2 sign(W_i) to dW_i (0 where W_i = 0). */
double ex_l1_penalty(double *dW, const double *W, size_t n, double alpha);

/* Exercise 4.2: inverted dropout.  u[i] are uniform draws in [0, 1) given
 * by the caller (so results are reproducible): unit i is dropped when
 * u[i] < p.  Forward: mask[i] = 0 for a dropped unit, 1/(1-p) for a kept
 * one; out[i] = mask[i] in[i].  0 <= p < 1. */
void ex_inverted_dropout_forward(double *out, double *mask, const double *in, const double *u, size_t n,
                                 double p);
/* Backward: ADD mask[i] d_out[i] to d_in[i]. */
void ex_dropout_backward(double *d_in, const double *d_out, const double *mask, size_t n);

/* Exercise 4.3: early stopping with a minimum improvement.  val_loss[e] is
 * the validation loss after epoch e (e = 0 .. n_epochs-1).  Epoch e is a new
 * best when val_loss[e] < val_loss[best] - min_delta (epoch 0 is the first
 * best).  Training stops after the first epoch that completes `patience`
 * epochs in a row without a new best.  Returns the best epoch among those
 * run; *stopped_epoch receives the last epoch run (n_epochs - 1 when
 * patience never runs out).  n_epochs >= 1, patience >= 1, min_delta >= 0. */
int ex_early_stopping(const double *val_loss, int n_epochs, int patience, double min_delta,
                      int *stopped_epoch);

#endif
