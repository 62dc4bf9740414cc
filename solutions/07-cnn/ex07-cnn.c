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
    /* BEGIN SOLUTION */
    long params = 0;
    for (int l = 0; l < n_layers; l++) {
        const ex_layer *L = &layers[l];
        if (L->kind == EX_DENSE) {
            if (L->K < 1)
                return -1;
            params += (long)L->K * ((long)C * H * W + 1);
            C = L->K, H = 1, W = 1;
        } else {
            int P = L->kind == EX_CONV ? L->P : 0;
            if (L->F < 1 || L->S < 1 || P < 0 || (L->kind == EX_CONV && L->K < 1))
                return -1;
            if (H + 2 * P < L->F || W + 2 * P < L->F)
                return -1;
            int H2 = (H - L->F + 2 * P) / L->S + 1, W2 = (W - L->F + 2 * P) / L->S + 1;
            if (L->kind == EX_CONV) {
                params += (long)L->K * ((long)C * L->F * L->F + 1);
                C = L->K;
            }
            H = H2, W = W2;
        }
        out_c[l] = C, out_h[l] = H, out_w[l] = W;
    }
    return params;
    /* END SOLUTION */
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
    /* BEGIN SOLUTION */
    for (int b = 0; b < B; b++) {
        const double *xb = x + (size_t)b * D, *gy = d_y + (size_t)b * D;
        double z[256], a[256], da[256];
        NN_ASSERT(Hd <= 256);
        for (int h = 0; h < Hd; h++) {
            double s = b1[h];
            for (int d = 0; d < D; d++)
                s += W1[(size_t)h * D + d] * xb[d];
            z[h] = s;
            a[h] = s > 0 ? s : 0;
            da[h] = 0;
        }
        for (int d = 0; d < D; d++) {
            d_b2[d] += gy[d];
            for (int h = 0; h < Hd; h++) {
                d_W2[(size_t)d * Hd + h] += gy[d] * a[h];
                da[h] += gy[d] * W2[(size_t)d * Hd + h];
            }
            d_x[(size_t)b * D + d] += gy[d];   /* the skip: the "+ 1" */
        }
        for (int h = 0; h < Hd; h++) {
            double dz = z[h] > 0 ? da[h] : 0;
            d_b1[h] += dz;
            for (int d = 0; d < D; d++) {
                d_W1[(size_t)h * D + d] += dz * xb[d];
                d_x[(size_t)b * D + d] += dz * W1[(size_t)h * D + d];
            }
        }
    }
    /* END SOLUTION */
}

/* ---- Exercise 7.3: softmax cross-entropy for a batch ---------------------------
 * L = (1/B) sum_b ( -z_{b,y_b} + log sum_c exp(z_{b,c}) ).  Compute the
 * log-sum-exp after subtracting each row's maximum, so that exp never
 * overflows.  The gradient of row b is (softmax(z_b) - onehot(y_b)) / B. */
double ex_softmax_xent(double *d_logits, const double *logits, const int *labels, int B, int C)
{
    /* BEGIN SOLUTION */
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const double *z = logits + (size_t)b * C;
        double top = z[0], sum = 0;
        for (int c = 1; c < C; c++)
            top = fmax(top, z[c]);
        for (int c = 0; c < C; c++)
            sum += exp(z[c] - top);
        double log_sum = top + log(sum);
        loss += log_sum - z[labels[b]];
        for (int c = 0; c < C; c++)
            d_logits[(size_t)b * C + c] = (exp(z[c] - log_sum) - (c == labels[b] ? 1.0 : 0.0)) / B;
    }
    return loss / B;
    /* END SOLUTION */
}

/* ---- Exercise 7.4: BatchNorm2d's per-channel statistics --------------------------
 * A filter is the same feature wherever it fires, so channel c is normalised
 * over every value it has in the batch: N images times H W positions.  The
 * values of channel c in image n are in[((n C + c) H + i) W + j]. */
void ex_batchnorm2d(double *out, double *mean, double *var, const double *in, const double *gamma,
                    const double *beta, int N, int C, int H, int W, double eps)
{
    /* BEGIN SOLUTION */
    size_t HW = (size_t)H * W;
    for (int c = 0; c < C; c++) {
        double sum = 0, squares = 0;
        for (int n = 0; n < N; n++)
            for (size_t p = 0; p < HW; p++)
                sum += in[((size_t)n * C + c) * HW + p];
        double mu = sum / ((double)N * HW);
        for (int n = 0; n < N; n++)
            for (size_t p = 0; p < HW; p++) {
                double centred = in[((size_t)n * C + c) * HW + p] - mu;
                squares += centred * centred;
            }
        mean[c] = mu;
        var[c] = squares / ((double)N * HW);
        double r = 1 / sqrt(var[c] + eps);
        for (int n = 0; n < N; n++)
            for (size_t p = 0; p < HW; p++) {
                size_t i = ((size_t)n * C + c) * HW + p;
                out[i] = gamma[c] * (in[i] - mu) * r + beta[c];
            }
    }
    /* END SOLUTION */
}

/* ---- Exercise 7.5: the confusion matrix and per-class recall -----------------------
 * Section 10 of the chapter prints these for its network.  Count first,
 * then read recall off the diagonal and the row sums, then look at the
 * off-diagonal pairs. */
int ex_confusion(long *confusion, double *recall, const int *truth, const int *pred, int n, int K)
{
    /* BEGIN SOLUTION */
    for (int q = 0; q < K * K; q++)
        confusion[q] = 0;
    for (int i = 0; i < n; i++)
        confusion[truth[i] * K + pred[i]]++;
    for (int k = 0; k < K; k++) {
        long row = 0;
        for (int j = 0; j < K; j++)
            row += confusion[k * K + j];
        recall[k] = row > 0 ? (double)confusion[k * K + k] / row : 0.0;
    }
    int best = -1;
    long most = 0;
    for (int a = 0; a < K; a++)
        for (int b = a + 1; b < K; b++) {
            long both = confusion[a * K + b] + confusion[b * K + a];
            if (both > most)
                most = both, best = a * K + b;
        }
    return best;
    /* END SOLUTION */
}
