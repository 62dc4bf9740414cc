/* test-loss.c: the three losses of nn_loss.h against hand-worked values,
 * their stability at huge logits, and their backward passes against central
 * differences of their forward passes. */
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "test-child.h"

enum { B = 3, C = 4, N = 6 };

/* ---- Losses as functions of one flat float array, for the checker ------- */
typedef struct {
    float *x;             /* predictions or logits, perturbed by the checker */
    const float *target;  /* MSE and BCE targets */
    const int *labels;    /* softmax cross-entropy labels */
    size_t n;
    int rows, cols;
} loss_ctx;

static double mse_loss(void *p)
{
    loss_ctx *c = p;
    return nn_mse_forward(c->x, c->target, c->n);
}

static double bce_loss(void *p)
{
    loss_ctx *c = p;
    return nn_bce_logits_forward(c->x, c->target, c->n);
}

static double xent_loss(void *p)
{
    loss_ctx *c = p;
    return nn_softmax_xent_forward(NULL, c->x, c->labels, c->rows, c->cols);
}

static int label_out_of_range(void *arg)
{
    (void)arg;
    float logits[2] = {0, 0}, probs[2];
    int bad = 2;
    nn_softmax_xent_forward(probs, logits, &bad, 1, 2);
    return 0;
}

int main(void)
{
    nn_tap_timeout(10);

    /* ---- MSE --------------------------------------------------------------
     * p = (1, 2, 3), t = (1.5, 2, 1): errors (-0.5, 0, 2), L = (0.25 + 0 + 4)/3;
     * dL/dp = 2 (p - t)/3 = (-1/3, 0, 4/3). */
    {
        float p[3] = {1, 2, 3}, t[3] = {1.5f, 2, 1}, d[3] = {1, 1, 1};
        nn_is_close(nn_mse_forward(p, t, 3), 4.25 / 3, 1e-15, 0, "MSE of (1,2,3) vs (1.5,2,1) is 4.25/3");
        nn_mse_backward(d, p, t, 3);
        float want[3] = {1 - 1.0f / 3, 1, 1 + 4.0f / 3};
        nn_is_close_floats(d, want, 3, 1e-7, 0, "MSE backward adds 2 (p - t)/n = (-1/3, 0, 4/3) to 1");
        nn_is_close(nn_mse_forward(p, p, 3), 0, 0, 0, "MSE of a perfect prediction is 0");
    }

    /* ---- BCE from logits -------------------------------------------------
     * L(z, y) = -y log s - (1 - y) log(1 - s), s = sigmoid(z).
     * z = 0: s = 1/2 and L = log 2 for any y. */
    {
        float z[2] = {0, 0}, y[2] = {1, 0};
        nn_is_close(nn_bce_logits_forward(z, y, 2), log(2.0), 1e-15, 0, "BCE at z = 0 is log 2");
        float z2 = 2, y2 = 1;
        nn_is_close(nn_bce_logits_forward(&z2, &y2, 1), log1p(exp(-2.0)), 1e-15, 0,
                    "BCE(z = 2, y = 1) = log(1 + e^-2)");
        /* Soft targets, by the textbook formula in double. */
        float zs[3] = {-1.5f, 0.25f, 2.0f}, ys[3] = {0.2f, 0.7f, 0.9f};
        double want = 0;
        for (int i = 0; i < 3; i++) {
            double s = 1 / (1 + exp(-(double)zs[i]));
            want += -(double)ys[i] * log(s) - (1 - (double)ys[i]) * log(1 - s);
        }
        nn_is_close(nn_bce_logits_forward(zs, ys, 3), want / 3, 1e-12, 0,
                    "BCE with soft targets equals -y log s - (1-y) log(1-s), averaged");

        /* Stability: at |z| = 1000 sigmoid rounds to 0 or 1 and the textbook
         * formula gives log 0 = -inf; the log-sum-exp form gives the exact limit. */
        float zb[4] = {1000, -1000, 1000, -1000}, yb[4] = {1, 0, 0, 1};
        nn_is_close(nn_bce_logits_forward(zb, yb, 1), 0, 0, 0, "BCE(z = 1000, y = 1) is exactly 0");
        nn_is_close(nn_bce_logits_forward(zb + 1, yb + 1, 1), 0, 0, 0, "BCE(z = -1000, y = 0) is exactly 0");
        nn_is_close(nn_bce_logits_forward(zb + 2, yb + 2, 1), 1000, 0, 0,
                    "BCE(z = 1000, y = 0) is exactly 1000 (not inf)");
        nn_is_close(nn_bce_logits_forward(zb + 3, yb + 3, 1), 1000, 0, 0,
                    "BCE(z = -1000, y = 1) is exactly 1000 (not inf)");
        float db[4] = {0};
        nn_bce_logits_backward(db, zb, yb, 4);
        float wantb[4] = {0, 0, 0.25f, -0.25f};
        nn_is_close_floats(db, wantb, 4, 0, 0, "BCE backward at z = +-1000: (sigmoid - y)/n = 0, 0, 1/4, -1/4");
        float dz[2] = {0.5f, 0.5f};
        nn_bce_logits_backward(dz, z, y, 2);
        float wantz[2] = {0.5f - 0.25f, 0.5f + 0.25f};
        nn_is_close_floats(dz, wantz, 2, 0, 0, "BCE backward adds (1/2 - y)/2 at z = 0");
    }

    /* ---- Softmax and cross-entropy ----------------------------------------
     * exp of the logits (0, log 2, log 3, -30) is (1, 2, 3, 9.4e-14), so the
     * softmax is (1, 2, 3)/6 up to a share of 1.6e-14 for the last entry. */
    {
        float z[4] = {0, (float)log(2.0), (float)log(3.0), -30};
        float p[4];
        nn_softmax(p, z, 1, 4);
        float want[4] = {1.0f / 6, 2.0f / 6, 3.0f / 6, 0};
        nn_is_close_floats(p, want, 4, 1e-6, 1e-12, "softmax(0, log 2, log 3, -30) = (1, 2, 3, ~0)/6");

        /* Logits 1000 and 1001: naive exp overflows; the shifted form gives
         * (1, e)/(1 + e) and a loss of log(1 + e) for label 0. */
        float big[2] = {1000, 1001}, pb[2];
        int label0 = 0;
        double loss = nn_softmax_xent_forward(pb, big, &label0, 1, 2);
        nn_ok(isfinite(loss) && nn_all_finite(pb, 2), "softmax cross-entropy of logits (1000, 1001) is finite");
        nn_is_close(loss, log1p(exp(1.0)), 1e-6, 0, "and equals log(1 + e) for label 0");
        float wantb[2] = {(float)(1 / (1 + exp(1.0))), (float)(exp(1.0) / (1 + exp(1.0)))};
        nn_is_close_floats(pb, wantb, 2, 1e-6, 0, "softmax(1000, 1001) = (1, e)/(1 + e)");
        float neg[2] = {-1000, 0};
        nn_is_close(nn_softmax_xent_forward(NULL, neg, &label0, 1, 2), 1000, 1e-12, 0,
                    "cross-entropy of logits (-1000, 0), label 0, is 1000 (not inf); probs may be NULL");

        /* Shift invariance: adding a constant to a row changes nothing.  The
         * logits and the shift are multiples of 1/4, exact in float. */
        float rows[B * C] = {0.5f, -1.25f, 2.0f, 0.75f, -3.0f, 1.5f, 0.25f, -0.5f, 1.0f, 1.0f, -2.0f, 0.0f};
        float shifted[B * C], p1[B * C], p2[B * C];
        for (int i = 0; i < B * C; i++)
            shifted[i] = rows[i] + (i / C == 1 ? 64.0f : -32.0f);
        int labels[B] = {2, 0, 3};
        double l1 = nn_softmax_xent_forward(p1, rows, labels, B, C);
        double l2 = nn_softmax_xent_forward(p2, shifted, labels, B, C);
        nn_is_close(l2, l1, 1e-12, 0, "cross-entropy is invariant to adding a constant per row");
        nn_is_close_floats(p2, p1, B * C, 1e-6, 0, "softmax is invariant to adding a constant per row");
        int sums_ok = 1;
        for (int b = 0; b < B; b++) {
            double s = 0;
            for (int c = 0; c < C; c++)
                s += p1[b * C + c];
            if (fabs(s - 1) > 1e-6) {
                nn_diag("row %d sums to %.9g", b, s);
                sums_ok = 0;
            }
        }
        nn_ok(sums_ok, "every softmax row sums to 1 (within 1e-6)");
        float ps[B * C];
        nn_softmax(ps, rows, B, C);
        nn_is_close_floats(ps, p1, B * C, 0, 0, "nn_softmax and the probabilities saved by the forward agree");
        /* By hand, row by row: L = mean_b (log sum_c exp z_bc - z_{b,y_b}). */
        double want_l = 0;
        for (int b = 0; b < B; b++) {
            double s = 0;
            for (int c = 0; c < C; c++)
                s += exp((double)rows[b * C + c]);
            want_l += log(s) - rows[b * C + labels[b]];
        }
        nn_is_close(l1, want_l / B, 1e-12, 0, "cross-entropy equals mean(log sum exp z - z_y) computed directly");

        /* Hand backward: logits (0, 0), label 0: p = (1/2, 1/2), dL/dz = (-1/2, 1/2). */
        float zero2[2] = {0, 0}, p0[2], d0[2] = {1, 1};
        nn_is_close(nn_softmax_xent_forward(p0, zero2, &label0, 1, 2), log(2.0), 1e-15, 0,
                    "cross-entropy of logits (0, 0) is log 2");
        nn_softmax_xent_backward(d0, p0, &label0, 1, 2);
        float want0[2] = {0.5f, 1.5f};
        nn_is_close_floats(d0, want0, 2, 0, 0, "its backward adds (p - onehot) = (-1/2, 1/2) to 1");
    }

    /* ---- Gradient checks ------------------------------------------------- */
    {
        float x[N] = {0.3f, -1.2f, 2.5f, 0.8f, -0.4f, 1.9f}, t[N] = {0.5f, -1.0f, 1.5f, 1.8f, 0.0f, 2.0f};
        float d[N] = {0};
        loss_ctx c = {x, t, NULL, N, 0, 0};
        nn_mse_backward(d, x, t, N);
        /* MSE is quadratic: central differences are exact up to rounding. */
        nn_gradcheck_floats("MSE backward", mse_loss, &c, x, d, N, 1e-2, 1e-5);
    }
    {
        float z[N] = {-3.0f, -0.7f, 0.2f, 1.1f, 2.4f, -1.6f}, y[N] = {0.0f, 1.0f, 0.3f, 0.0f, 1.0f, 0.8f};
        float d[N] = {0};
        loss_ctx c = {z, y, NULL, N, 0, 0};
        nn_bce_logits_backward(d, z, y, N);
        nn_gradcheck_floats("BCE-from-logits backward", bce_loss, &c, z, d, N, 1e-2, 1e-3);
    }
    {
        float z[B * C] = {0.5f, -1.2f, 2.0f, 0.7f, -3.0f, 1.5f, 0.2f, -0.4f, 1.1f, 0.9f, -2.0f, 0.1f};
        int labels[B] = {2, 0, 3};
        float p[B * C], d[B * C] = {0};
        loss_ctx c = {z, NULL, labels, B * C, B, C};
        nn_softmax_xent_forward(p, z, labels, B, C);
        nn_softmax_xent_backward(d, p, labels, B, C);
        nn_gradcheck_floats("softmax cross-entropy backward", xent_loss, &c, z, d, B * C, 1e-2, 1e-3);
        /* Each row of the gradient sums to 0: sum_c p_c - 1 = 0. */
        double worst = 0;
        for (int b = 0; b < B; b++) {
            double s = 0;
            for (int k = 0; k < C; k++)
                s += d[b * C + k];
            worst = fmax(worst, fabs(s));
        }
        nn_is_close(worst, 0, 0, 1e-7, "each row of the cross-entropy gradient sums to 0");
    }

    /* A label outside 0..C-1 is a bug in the caller: it aborts with a
     * message instead of reading past the row. */
    child_result r;
    run_child(label_out_of_range, NULL, &r);
    nn_ok(r.signal == SIGABRT && strstr(r.err, "labels[b]"), "a label out of range aborts with a message");

    return nn_tap_done();
}
