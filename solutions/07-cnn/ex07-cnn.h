/* ex07-cnn.h: the functions of chapter 7's exercises.
 *
 * Arrays are row-major doubles; images NCHW as in the chapter. */
#ifndef EX07_CNN_H
#define EX07_CNN_H

/* Exercise 7.1: shapes and parameters of a layer list.
 * A layer is a convolution (K filters of F x F, stride S, zero padding P,
 * with biases), a max or average pool (F x F window, stride S, no padding,
 * no parameters) or a dense layer (K outputs, with biases; it flattens its
 * input).  Starting from an input (C, H, W), fill out_c/out_h/out_w[l] with
 * layer l's output shape (a dense layer's output is (K, 1, 1)) and return
 * the total number of learnable parameters; return -1 (and stop) at the
 * first layer that does not fit its input: a window larger than the padded
 * input, a stride, window or filter count below 1. */
enum { EX_CONV, EX_POOL, EX_DENSE };
typedef struct {
    int kind;          /* EX_CONV, EX_POOL or EX_DENSE */
    int K, F, S, P;    /* K: filters or outputs; F, S, P as in the chapter */
} ex_layer;
long ex_layer_shapes(int *out_c, int *out_h, int *out_w, const ex_layer *layers, int n_layers, int C, int H,
                     int W);

/* Exercise 7.2: the backward pass of a residual block.
 * For a batch of B rows of D features, with W1 (Hd, D), b1 (Hd), W2 (D, Hd),
 * b2 (D) and a = ReLU(x W1^T + b1) (B, Hd):
 *     y = x + a W2^T + b2                         (B, D)    H(x) = F(x) + x
 * Given d_y = dL/dy (B, D), ADD dL/dx into d_x (B, D), and the parameter
 * gradients into d_W1, d_b1, d_W2, d_b2.  The forward values are not saved:
 * recompute what you need from x. */
void ex_residual_backward(double *d_x, double *d_W1, double *d_b1, double *d_W2, double *d_b2,
                          const double *d_y, const double *x, const double *W1, const double *b1,
                          const double *W2, int B, int D, int Hd);

/* Exercise 7.3: softmax cross-entropy for a batch.
 * logits (B, C), labels (B) in 0..C-1.  Return the mean over the batch of
 * -log softmax(z_b)_{y_b}, and write (overwrite) its gradient dL/dz into
 * d_logits (B, C).  Must stay finite for logits of any size. */
double ex_softmax_xent(double *d_logits, const double *logits, const int *labels, int B, int C);

/* Exercise 7.4: BatchNorm2d in training mode.
 * in (N, C, H, W): for each channel c, mean[c] and var[c] (biased, 1/(N H W))
 * over all N H W values of that channel, and
 *     out = gamma[c] (in - mean[c]) / sqrt(var[c] + eps) + beta[c]. */
void ex_batchnorm2d(double *out, double *mean, double *var, const double *in, const double *gamma,
                    const double *beta, int N, int C, int H, int W, double eps);

/* Exercise 7.5: the confusion matrix and per-class recall.
 * truth and pred (n) hold classes 0..K-1.  Fill confusion (K, K) with the
 * counts, row = true class, column = predicted class; recall[k] = the share
 * of class k's examples predicted as k (0 for a class with no examples);
 * and return the most confused pair as a K + b with a < b: the pair with
 * the most mistakes in either direction, confusion[a][b] + confusion[b][a]
 * (the first such pair in the order (0,1), (0,2), ..., (1,2), ... on a tie),
 * or -1 when there is no mistake at all. */
int ex_confusion(long *confusion, double *recall, const int *truth, const int *pred, int n, int K);

#endif
