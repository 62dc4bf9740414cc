/* ex02-backprop.h: the functions of chapter 2's exercises.
 *
 * Notation of the decks: z the pre-activation, a = f(z) the activation,
 * layer l computes z^l = W^l a^(l-1) + b^l with W^l stored (O, I) row-major
 * (W[o * I + i] is the weight to output o from input i). */
#ifndef EX02_BACKPROP_H
#define EX02_BACKPROP_H

/* The activations of exercise 2.1 (none of them is in the library). */
typedef enum { EX_SOFTPLUS, EX_SILU, EX_GELU, EX_HARD_TANH } ex_activation;

/* Exercise 2.1: f'(z) for f = softplus log(1 + e^z), SiLU z sigma(z), GELU
 * z Phi(z) and hard tanh (clip z into [-1, 1]; slope 0 at z = +-1).  Any
 * other f: return 0. */
double ex_activation_slope(ex_activation f, double z);

/* Exercise 2.2: f(x1, x2) = log x1 + x1 x2 - sin x2 (x1 > 0) evaluated
 * forward node by node, then differentiated in one reverse-mode sweep.
 * Returns f; stores df/dx1 in grad[0] and df/dx2 in grad[1]. */
double ex_reverse_mode(double x1, double x2, double grad[2]);

/* Exercise 2.3: the backward pass of a dense layer.  Forward was
 *     out[n][o] = sum_i in[n][i] W[o][i] + b[o]      n < B, o < O, i < I.
 * Given d_out = dL/d(out) (B, O), ADD into the gradients:
 *     d_W (O, I) += dL/dW,   d_b (O) += dL/db,   d_in (B, I) += dL/d(in)
 * and skip d_in when it is NULL (the first layer needs no dL/dx). */
void ex_dense_backward(double *d_in, double *d_W, double *d_b, const double *d_out,
                       const double *in, const double *W, int B, int I, int O);

/* Exercise 2.4: the number of multiply-adds of a fully connected network
 * with layer sizes n[0] (inputs), ..., n[L] (outputs) on a batch of B
 * examples: the forward pass (training 0), or forward and backward passes,
 * without the first layer's unneeded dL/dx (training 1). */
long ex_count_multiply_adds(int L, const int *n, long B, int training);

#endif
