/* Chapter 2 exercises: slopes of newer activations, reverse mode, a dense layer's
 * backward pass, the cost of a training step.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch02`, see a hint with `make hint EX=2.1`, and your score with
 * `make grade`.  Chapter 2 (chapters/02-backprop/ch02-backprop.c) derives
 * each of these: read it first, then write them without looking. */
#include <math.h>
#include <stddef.h>

#include "nnlab.h"
#include "ex02-backprop.h"

/* ---- Exercise 2.1: derivatives of newer activations -----------------------------
 * Backpropagation multiplies by f'(z^l) at every layer (BP2).  The chapter
 * derives f' for sigmoid, tanh and the ReLU family; derive and write it for
 * four activations it does not cover (sigma is the sigmoid, Phi and phi the
 * standard normal's distribution function and density):
 *
 *     softplus    f = log(1 + e^z)                  (a smooth ReLU)
 *     SiLU/swish  f = z sigma(z)
 *     GELU        f = z Phi(z),  Phi(z) = (1 + erf(z / sqrt 2)) / 2
 *     hard tanh   f = -1 below -1, z on [-1, 1], 1 above
 *
 * At hard tanh's kinks (z = -1 and z = 1) take the slope 0, as PyTorch does.
 * softplus' must stay finite for any z: e^800 overflows.  f is one of the
 * ex_activation values of ex02-backprop.h; return 0 for any other value. */
double ex_activation_slope(ex_activation f, double z)
{
    /* TODO(2.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("2.1");
    (void)f;
    (void)z;
    return 0;
}

/* ---- Exercise 2.2: reverse mode on a graph with two inputs --------------------
 * The chapter runs deck 001's logistic-regression graph backwards: one input
 * W, one fork (p feeds xi5 and xi6).  Do the same for a graph in which both
 * inputs fork,
 *
 *     f(x1, x2) = log x1 + x1 x2 - sin x2,     x1 > 0:
 *
 *     v1 = log x1,  v2 = x1 x2,  v3 = sin x2,  v4 = v1 + v2,  f = v4 - v3.
 *
 * Evaluate the nodes forward and return f; then one backward sweep from
 * df/df = 1 gives both partial derivatives at once: store df/dx1 in grad[0]
 * and df/dx2 in grad[1].  x1 feeds v1 and v2, x2 feeds v2 and v3: each
 * input's adjoint is the sum over its children. */
double ex_reverse_mode(double x1, double x2, double grad[2])
{
    /* TODO(2.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("2.2");
    (void)x1;
    (void)x2;
    (void)grad;
    return 0;
}

/* ---- Exercise 2.3: a dense layer's backward pass ---------------------------------
 * Forward was out[n][o] = sum_i in[n][i] W[o][i] + b[o] for a batch of B rows.
 * By the chain rule, with d_out[n][o] = dL/d(out[n][o]):
 *
 *     dL/dW[o][i]  = sum_n d_out[n][o] in[n][i]        (BP4, summed over the batch)
 *     dL/db[o]     = sum_n d_out[n][o]                 (BP3)
 *     dL/din[n][i] = sum_o d_out[n][o] W[o][i]         (the (W^l)^T delta^l of BP2)
 *
 * ADD (+=) these into d_W, d_b and d_in (the caller clears them), and leave
 * d_in alone when it is NULL.  Row-major: W[o][i] is W[o * I + i]. */
void ex_dense_backward(double *d_in, double *d_W, double *d_b, const double *d_out,
                       const double *in, const double *W, int B, int I, int O)
{
    /* TODO(2.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("2.3");
    (void)d_in;
    (void)d_W;
    (void)d_b;
    (void)d_out;
    (void)in;
    (void)W;
    (void)B;
    (void)I;
    (void)O;
}

/* ---- Exercise 2.4: counting the multiply-adds of a training step ----------------
 * The chapter counts a network's parameters, n[l] (n[l-1] + 1) for layer l.
 * Time goes to multiply-adds instead.  For a batch of B examples, layer l's
 * forward pass z = W a + b costs B n[l] n[l-1] of them (the bias adds are
 * not counted).  Its backward pass (your 2.3) costs the same again for dL/dW,
 * and again for dL/d(in), except in layer 1, whose input is the data and
 * needs no gradient.  Return the forward cost when training is 0, and the
 * cost of forward plus backward when it is 1, for layer sizes n[0..L]. */
long ex_count_multiply_adds(int L, const int *n, long B, int training)
{
    /* TODO(2.4): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("2.4");
    (void)L;
    (void)n;
    (void)B;
    (void)training;
    return 0;
}
