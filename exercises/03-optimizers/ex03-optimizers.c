/* Chapter 3 exercises: Nesterov in the look-ahead variable, AdamW, clipping by value.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch03`, see a hint with `make hint EX=3.1`, and your score with
 * `make grade`.  Chapter 3 (chapters/03-optimizers/ch03-optimizers.c,
 * section 3) writes every optimizer of the decks in plain loops; these are
 * the variations it leaves to you. */
#include <math.h>

#include "nnlab.h"
#include "ex03-optimizers.h"

/* ---- Exercise 3.1: Nesterov in the look-ahead variable -----------------------
 * The chapter writes deck 001's Nesterov step, which takes the gradient at a
 * point it never stores, the look-ahead point W~ = W + alpha nu:
 *
 *     g = grad(W + alpha nu),   nu = alpha nu - epsilon g,   W = W + nu.
 *
 * Libraries (torch, lib/optim.c) keep theta = W + alpha nu instead, so that
 * the gradient is taken at the parameters they hold.  Derive the step in
 * theta: with g the gradient at theta, find the new nu, then the new
 * theta = W_new + alpha nu_new written with theta, nu_new and g only (W
 * must disappear).  Update theta and nu in place. */
void ex_nesterov_lookahead_step(double *theta, double *nu, const double *g, size_t n, double alpha,
                                double epsilon)
{
    /* TODO(3.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("3.1");
    (void)theta;
    (void)nu;
    (void)g;
    (void)n;
    (void)alpha;
    (void)epsilon;
}

/* ---- Exercise 3.2: AdamW, Adam with decoupled weight decay -------------------
 * L2 regularisation adds lambda w to the gradient.  Inside Adam that term is
 * then divided by sqrt(v^) like the rest, so weights with large gradients are
 * hardly decayed at all.  AdamW (Loshchilov and Hutter) decouples the two:
 * the decay shrinks w directly, and only the loss's gradient g feeds the
 * moments.  With the chapter's Adam (m, v, bias correction m^ and v^), for
 * every i, with w_i the value before the step:
 *
 *     w_i = w_i - alpha lambda w_i - alpha m^_i / (sqrt(v^_i) + eps).
 *
 * m and v are updated from g alone; t counts the steps, 1 for the first. */
void ex_adamw_step(double *w, double *m, double *v, const double *g, size_t n, long t, double alpha,
                   double beta1, double beta2, double eps, double lambda)
{
    /* TODO(3.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("3.2");
    (void)w;
    (void)m;
    (void)v;
    (void)g;
    (void)n;
    (void)t;
    (void)alpha;
    (void)beta1;
    (void)beta2;
    (void)eps;
    (void)lambda;
}

/* ---- Exercise 3.3: clipping the gradient by value ----------------------------
 * The chapter clips by norm: the step keeps its direction and loses its
 * excess length.  The other remedy in use (Keras' clipvalue,
 * torch.nn.utils.clip_grad_value_) clips every component on its own into
 * [-c, c]:
 *
 *     g_i = min(max(g_i, -c), c).
 *
 * It is cheaper and bounds each weight's step, but it turns the step: a
 * gradient (10, 1) clipped at c = 1 becomes (1, 1), at 45 degrees.  Return
 * how many components were changed (a component exactly at +-c is not). */
long ex_clip_by_value(double *g, size_t n, double c)
{
    /* TODO(3.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("3.3");
    (void)g;
    (void)n;
    (void)c;
    return 0;
}
