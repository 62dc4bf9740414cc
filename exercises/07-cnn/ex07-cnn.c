/* Chapter 7 exercises: the shapes and parameters of a layer list, the
 * backward pass of a residual block, softmax cross-entropy for a batch,
 * BatchNorm2d's per-channel statistics, the confusion matrix.
 *
 * Replace each stub (the lines that call NN_TODO) with your code; the
 * comment above each function says what it must do.  Check your work with
 * `make check-ch07`, see a hint with `make hint EX=7.1`, and your score with
 * `make grade`. */
#include <math.h>

#include "nnlab.h"
#include "ex07-cnn.h"

/* ---- Exercise 7.1: shapes and parameters of a layer list ---------------------
 * Deck 002's rule for a convolution: W2 = (W - F + 2P)/S + 1 (rounded down),
 * the same for H, depth K; parameters K (C F F + 1).  A pool keeps the depth
 * and uses the same rule with P = 0; it has no parameters.  A dense layer of
 * K outputs after an input of C x H x W values has K (C H W + 1).  The
 * chapter prints such a table for its networks (section 6): here the student
 * computes it for any list. */
long ex_layer_shapes(int *out_c, int *out_h, int *out_w, const ex_layer *layers, int n_layers, int C, int H,
                     int W)
{
    /* TODO(7.1): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("7.1");
    (void)out_c;
    (void)out_h;
    (void)out_w;
    (void)layers;
    (void)n_layers;
    (void)C;
    (void)H;
    (void)W;
    return 0;
}

/* ---- Exercise 7.2: the backward pass of a residual block ----------------------
 * Deck 003: H(x) = F(x) + x, so dL/dx = dL/dH (dF/dx + 1): the gradient
 * through the branch F, plus d_y itself through the skip.  The branch is
 * dense -> ReLU -> dense; work backwards through it one line at a time
 * (z = x W1^T + b1, a = ReLU(z), F = a W2^T + b2), as the chapter's
 * backward functions do. */
void ex_residual_backward(double *d_x, double *d_W1, double *d_b1, double *d_W2, double *d_b2,
                          const double *d_y, const double *x, const double *W1, const double *b1,
                          const double *W2, int B, int D, int Hd)
{
    /* TODO(7.2): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("7.2");
    (void)d_x;
    (void)d_W1;
    (void)d_b1;
    (void)d_W2;
    (void)d_b2;
    (void)d_y;
    (void)x;
    (void)W1;
    (void)b1;
    (void)W2;
    (void)B;
    (void)D;
    (void)Hd;
}

/* ---- Exercise 7.3: softmax cross-entropy for a batch ---------------------------
 * L = (1/B) sum_b ( -z_{b,y_b} + log sum_c exp(z_{b,c}) ).  Compute the
 * log-sum-exp after subtracting each row's maximum, so that exp never
 * overflows.  The gradient of row b is (softmax(z_b) - onehot(y_b)) / B. */
double ex_softmax_xent(double *d_logits, const double *logits, const int *labels, int B, int C)
{
    /* TODO(7.3): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("7.3");
    (void)d_logits;
    (void)logits;
    (void)labels;
    (void)B;
    (void)C;
    return 0;
}

/* ---- Exercise 7.4: BatchNorm2d's per-channel statistics --------------------------
 * A filter is the same feature wherever it fires, so channel c is normalised
 * over every value it has in the batch: N images times H W positions.  The
 * values of channel c in image n are in[((n C + c) H + i) W + j]. */
void ex_batchnorm2d(double *out, double *mean, double *var, const double *in, const double *gamma,
                    const double *beta, int N, int C, int H, int W, double eps)
{
    /* TODO(7.4): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("7.4");
    (void)out;
    (void)mean;
    (void)var;
    (void)in;
    (void)gamma;
    (void)beta;
    (void)N;
    (void)C;
    (void)H;
    (void)W;
    (void)eps;
}

/* ---- Exercise 7.5: the confusion matrix and per-class recall -----------------------
 * Section 10 of the chapter prints these for its network.  Count first,
 * then read recall off the diagonal and the row sums, then look at the
 * off-diagonal pairs. */
int ex_confusion(long *confusion, double *recall, const int *truth, const int *pred, int n, int K)
{
    /* TODO(7.5): write your code here (read the comment above), then delete the NN_TODO line. */
    NN_TODO("7.5");
    (void)confusion;
    (void)recall;
    (void)truth;
    (void)pred;
    (void)n;
    (void)K;
    return 0;
}
