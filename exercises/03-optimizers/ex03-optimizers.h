/* ex03-optimizers.h: the functions of chapter 3's exercises.
 *
 * Notation of the decks: W the weights, g the gradient of the loss at the
 * point named, nu the velocity, alpha the momentum, epsilon the learning
 * rate (deck 001's Nesterov slide), theta = W + alpha nu the look-ahead
 * point; Adam's m and v the averages of g and g^2 with rates beta1 and beta2
 * (deck 000), lambda AdamW's weight decay; c the clipping threshold. */
#ifndef EX03_OPTIMIZERS_H
#define EX03_OPTIMIZERS_H

#include <stddef.h>

/* Exercise 3.1: one Nesterov step kept in the look-ahead variable
 * theta = W + alpha nu, with g the gradient at theta: updates nu as deck 001
 * does (nu = alpha nu - epsilon g) and theta so that it stays W + alpha nu. */
void ex_nesterov_lookahead_step(double *theta, double *nu, const double *g, size_t n, double alpha,
                                double epsilon);

/* Exercise 3.2: step t (t = 1 for the first) of AdamW: Adam with bias
 * correction on the gradient g, plus a decay of the weights themselves,
 *     w = w - alpha lambda w - alpha m^ / (sqrt(v^) + eps)     (element by element),
 * the decay taken from w before the step and kept out of m and v. */
void ex_adamw_step(double *w, double *m, double *v, const double *g, size_t n, long t, double alpha,
                   double beta1, double beta2, double eps, double lambda);

/* Exercise 3.3: gradient clipping by value: every g_i is clipped into
 * [-c, c].  Returns the number of components changed. */
long ex_clip_by_value(double *g, size_t n, double c);

#endif
