/* Chapter 4 exercises: the L1 penalty, inverted dropout, early stopping.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch04`, see a hint with `make hint EX=4.1`, and your score with
 * `make grade`.  Chapter 4 (chapters/04-regularization/ch04-regularization.c)
 * explains each technique; lib/regularize.c has the library's versions:
 * read them after you have written yours. */
#include <math.h>

#include "nnlab.h"
#include "ex04-regularization.h"

/* ---- Exercise 4.1: the L1 penalty and its subgradient -------------------------
 * Deck 001 adds alpha Omega(W) to the loss, with Omega(W) = 1/2 ||W||_1, the
 * sum of |W_i| halved.  Its derivative is alpha/2 sign(W_i): a constant pull
 * toward zero whatever the size of the weight, which is why L1 makes weights
 * exactly zero where L2 only makes them small.  |w| has no derivative at 0;
 * use the subgradient 0 there, so a zero weight stays at zero.
 *
 * Return alpha Omega(W) and ADD the subgradient to dW (dW already holds the
 * gradient of the data loss: do not overwrite it). */
double ex_l1_penalty(double *dW, const double *W, size_t n, double alpha)
{
    /* TODO(4.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("4.1");
    (void)dW;
    (void)W;
    (void)n;
    (void)alpha;
    return 0;
}

/* ---- Exercise 4.2: inverted dropout, forward and backward ----------------------
 * The decks drop each unit with probability p during training and scale the
 * weights by 1 - p at test time.  Inverted dropout moves the scaling into
 * training: a kept unit is multiplied by 1/(1-p), so the expected output
 * equals the input and the test-time network needs no change:
 *
 *     mask_i = 0 if u_i < p, else 1/(1-p);      out_i = mask_i in_i.
 *
 * The backward pass sends the gradient through the same mask, and ADDS:
 *
 *     d_in_i += mask_i d_out_i. */
void ex_inverted_dropout_forward(double *out, double *mask, const double *in, const double *u, size_t n,
                                 double p)
{
    /* TODO(4.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("4.2");
    (void)out;
    (void)mask;
    (void)in;
    (void)u;
    (void)n;
    (void)p;
}

void ex_dropout_backward(double *d_in, const double *d_out, const double *mask, size_t n)
{
    /* TODO(4.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("4.2");
    (void)d_in;
    (void)d_out;
    (void)mask;
    (void)n;
}

/* ---- Exercise 4.3: early stopping with a minimum improvement -----------------
 * "Stop training when validation error stops decreasing" (deck 004).  The
 * chapter's early stopper counts an epoch as an improvement whenever its loss
 * is below the best so far, however slightly; on a long flat tail, noise
 * then keeps resetting the count.  Keras's EarlyStopping has min_delta for
 * this: an epoch improves only when its loss is below best - min_delta (by
 * MORE than min_delta); only then does it become the new best and reset the
 * count.  A smaller loss that does not beat best - min_delta is not a new
 * best.  When the count reaches `patience`, stop after that epoch.
 *
 * Example, patience 2, min_delta 0.1:  losses 5 4 3.95 3.92 3.5 ...  -> best
 * epoch 1, stop after epoch 3 (3.95 and 3.92 are below 4 but not below 3.9).
 *
 * Return the best epoch; set *stopped_epoch to the last epoch run. */
int ex_early_stopping(const double *val_loss, int n_epochs, int patience, double min_delta,
                      int *stopped_epoch)
{
    /* TODO(4.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("4.3");
    (void)val_loss;
    (void)n_epochs;
    (void)patience;
    (void)min_delta;
    (void)stopped_epoch;
    return 0;
}
