/* test-batchnorm.c: batch normalization against torch.nn.BatchNorm1d
 * (tests/ref/batchnorm_torch.py wrote tests/ref/batchnorm_torch.txt),
 * central-difference gradient checks, the defining property (each unit's
 * output has mean beta and standard deviation |gamma| over the batch), and
 * the error for a batch of one; BatchNorm2d against the 1-d layer on
 * transposed data and by central differences. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "nn_batchnorm.h"

enum { B = 8, K = 5, B_TEST = 3, MAX_VALUES = 64 };

typedef struct {
    char name[32];
    int count;
    float v[MAX_VALUES];
} named_values;

static named_values ref[32];
static int n_ref;

static void load_reference(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open %s (run tests/ref/batchnorm_torch.py to make it)", path);
    char name[32];
    int count;
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#' || c == '\n') {
            while (c != '\n' && c != EOF)
                c = fgetc(f);
            continue;
        }
        ungetc(c, f);
        if (fscanf(f, "%31s %d", name, &count) != 2 || count < 1 || count > MAX_VALUES || n_ref == 32)
            nn_tap_bail_out("%s: malformed line after entry %d", path, n_ref);
        named_values *r = &ref[n_ref++];
        snprintf(r->name, sizeof r->name, "%s", name);
        r->count = count;
        for (int i = 0; i < count; i++)
            if (fscanf(f, "%f", &r->v[i]) != 1)
                nn_tap_bail_out("%s: %s holds fewer than %d values", path, name, count);
    }
    fclose(f);
}

static const float *want(const char *name, int count)
{
    for (int i = 0; i < n_ref; i++)
        if (!strcmp(ref[i].name, name)) {
            if (ref[i].count != count)
                nn_tap_bail_out("reference %s has %d values, expected %d", name, ref[i].count, count);
            return ref[i].v;
        }
    nn_tap_bail_out("reference %s is missing", name);
}

static void against_torch(void)
{
    const float *x1 = want("x1", B * K), *x2 = want("x2", B * K), *x3 = want("x3", B_TEST * K);
    const float *gamma = want("gamma", K), *beta = want("beta", K), *d_out = want("d_out", B * K);
    float out[B * K], mean[K], rstd[K], running_mean[K], running_var[K];
    float d_in[B * K] = {0}, d_gamma[K] = {0}, d_beta[K] = {0}, out3[B_TEST * K];
    for (int k = 0; k < K; k++) {
        running_mean[k] = 0;   /* torch's reset_running_stats */
        running_var[k] = 1;
    }
    /* Tolerances: one normalization in double, stored in float: a few ulps
     * (1e-6 relative) on values of order 1-10.  The gradient of the fifth
     * unit (std 0.01, so rstd about 90 and d_in about 100) carries torch's
     * float rounding of rstd times 100, hence its atol. */
    nn_is_int(nn_batchnorm_forward(out, mean, rstd, x1, gamma, beta, running_mean, running_var, B, K,
                                   NN_BN_MOMENTUM, NN_BN_EPS), NN_OK, "training forward on batch 1");
    nn_is_close_floats(out, want("out1", B * K), B * K, 1e-5, 1e-5, "training output equals torch's");
    nn_is_close_floats(running_mean, want("running_mean1", K), K, 1e-5, 1e-6, "running mean after batch 1");
    nn_is_close_floats(running_var, want("running_var1", K), K, 1e-5, 1e-6,
                       "running var after batch 1 (unbiased, momentum 0.1)");
    nn_batchnorm_backward(d_in, d_gamma, d_beta, d_out, x1, gamma, mean, rstd, B, K);
    nn_is_close_floats(d_in, want("d_in", B * K), B * K, 1e-4, 1e-4, "d_in equals torch's");
    nn_is_close_floats(d_gamma, want("d_gamma", K), K, 1e-5, 1e-5, "d_gamma equals torch's");
    nn_is_close_floats(d_beta, want("d_beta", K), K, 1e-5, 1e-5, "d_beta equals torch's");

    float out2[B * K], mean1[K], rstd1[K];
    memcpy(mean1, mean, sizeof mean);
    memcpy(rstd1, rstd, sizeof rstd);
    nn_batchnorm_forward(out2, mean, rstd, x2, gamma, beta, running_mean, running_var, B, K,
                         NN_BN_MOMENTUM, NN_BN_EPS);
    nn_is_close_floats(running_mean, want("running_mean2", K), K, 1e-5, 1e-6, "running mean after batch 2");
    nn_is_close_floats(running_var, want("running_var2", K), K, 1e-5, 1e-6, "running var after batch 2");
    nn_batchnorm_eval(out3, x3, gamma, beta, running_mean, running_var, B_TEST, K, NN_BN_EPS);
    nn_is_close_floats(out3, want("out3", B_TEST * K), B_TEST * K, 1e-5, 1e-5,
                       "eval output (running statistics) equals torch's");

    /* Backward adds: a second call doubles the gradients. */
    float d_beta_once[K];
    memcpy(d_beta_once, d_beta, sizeof d_beta);
    nn_batchnorm_backward(NULL, d_gamma, d_beta, d_out, x1, gamma, mean1, rstd1, B, K);
    int doubled = 1;
    for (int k = 0; k < K; k++)
        doubled &= fabsf(d_beta[k] - 2 * d_beta_once[k]) <= 1e-5f * (1 + fabsf(d_beta[k]));
    nn_ok(doubled, "backward adds into d_beta (+=), and d_in = NULL is allowed");
}

/* The defining property: over the batch, each unit's output has mean beta_k
 * and (biased) standard deviation |gamma_k| sqrt(var / (var + eps)). */
static void normalizes(void)
{
    enum { BB = 64, KK = 3 };
    nn_rng rng = nn_rng_new(5);
    float x[BB * KK], out[BB * KK], mean[KK], rstd[KK];
    const float gamma[KK] = {2, -0.5f, 1}, beta[KK] = {1, 0, -3};
    nn_rng_fill_normal(&rng, x, BB * KK, 7, 3);
    nn_batchnorm_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, BB, KK, NN_BN_MOMENTUM, NN_BN_EPS);
    for (int k = 0; k < KK; k++) {
        double m = 0, s = 0;
        for (int b = 0; b < BB; b++)
            m += out[b * KK + k];
        m /= BB;
        for (int b = 0; b < BB; b++)
            s += (out[b * KK + k] - m) * (out[b * KK + k] - m);
        s = sqrt(s / BB);
        nn_is_close(m, beta[k], 0, 1e-5, "unit %d: output mean is beta", k);
        nn_is_close(s, fabs(gamma[k]), 1e-4, 0, "unit %d: output std is |gamma|", k);
    }
}

/* Gradient check: L = sum_bk w_bk out_bk with fixed random w. */
typedef struct {
    float *x, *gamma, *beta, *w;
    int B, K;
} bn_ctx;

static double bn_loss(void *p)
{
    bn_ctx *c = p;
    float out[6 * 3], mean[3], rstd[3];
    nn_batchnorm_forward(out, mean, rstd, c->x, c->gamma, c->beta, NULL, NULL, c->B, c->K, NN_BN_MOMENTUM,
                         NN_BN_EPS);
    double loss = 0;
    for (int i = 0; i < c->B * c->K; i++)
        loss += (double)c->w[i] * out[i];
    return loss;
}

static void gradient_check(void)
{
    enum { BB = 6, KK = 3 };
    nn_rng rng = nn_rng_new(11);
    float x[BB * KK], w[BB * KK], gamma[KK] = {1.5f, -0.7f, 0.9f}, beta[KK] = {0.2f, -0.1f, 0.4f};
    float out[BB * KK], mean[KK], rstd[KK];
    float d_x[BB * KK] = {0}, d_gamma[KK] = {0}, d_beta[KK] = {0};
    nn_rng_fill_normal(&rng, x, BB * KK, 0.5, 1);
    nn_rng_fill_normal(&rng, w, BB * KK, 0, 1);
    nn_batchnorm_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, BB, KK, NN_BN_MOMENTUM, NN_BN_EPS);
    nn_batchnorm_backward(d_x, d_gamma, d_beta, w, x, gamma, mean, rstd, BB, KK);
    bn_ctx ctx = {x, gamma, beta, w, BB, KK};
    /* Central differences in float with eps 1e-2 on inputs of order 1:
     * truncation error eps^2 ~ 1e-4 and rounding 1e-7 / 1e-2 ~ 1e-5, so a
     * relative error of 1e-3 separates right from wrong (measured: 1e-5). */
    nn_gradcheck_floats("batchnorm d_in", bn_loss, &ctx, x, d_x, BB * KK, 1e-2, 1e-3);
    nn_gradcheck_floats("batchnorm d_gamma", bn_loss, &ctx, gamma, d_gamma, KK, 1e-2, 1e-3);
    nn_gradcheck_floats("batchnorm d_beta", bn_loss, &ctx, beta, d_beta, KK, 1e-2, 1e-3);
}

static void batch_of_one(void)
{
    float x[3] = {1, 2, 3}, out[3], mean[3], rstd[3], gamma[3] = {1, 1, 1}, beta[3] = {0, 0, 0};
    nn_is_int(nn_batchnorm_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, 1, 3, NN_BN_MOMENTUM,
                                   NN_BN_EPS), NN_ERR, "training on a batch of one example is refused");
    nn_contains(nn_last_error(), "at least 2 examples", "the message says why");
}

/* ---- BatchNorm2d ------------------------------------------------------------
 * Channel c of a (N, C, HW) batch is a unit whose "batch" is its N HW values.
 * Transposing to (N HW, C) rows, row n HW + p holding position p of example
 * n, makes it exactly the 1-d layer's input; the statistics then sum the same
 * numbers in the same order, so every output must agree to the bit.  The
 * shapes cover lib/batchnorm.c's split of the work: channels eight at a time
 * and one at a time for the rest (C = 4, 19, 16), runs of HW values four at
 * a time and one at a time for the rest (HW = 5, 7, 16). */
static void to_rows(float *rows, const float *nchw, int N, int C, int HW)
{
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int p = 0; p < HW; p++)
                rows[((size_t)n * HW + p) * C + c] = nchw[((size_t)n * C + c) * HW + p];
}

static void bn2d_equals_1d(int N, int C, int HW)
{
    const size_t n_all = (size_t)N * C * HW;
    const int R = N * HW;
    nn_rng rng = nn_rng_new(21);
    float *x = nn_floats(n_all), *d_out = nn_floats(n_all), *gamma = nn_floats(C), *beta = nn_floats(C);
    nn_rng_fill_normal(&rng, x, n_all, 1.5, 2);
    nn_rng_fill_normal(&rng, d_out, n_all, 0, 1);
    nn_rng_fill_normal(&rng, gamma, C, 1, 0.5);
    nn_rng_fill_normal(&rng, beta, C, 0, 0.5);

    float *out2 = nn_floats(n_all), *mean2 = nn_floats(C), *rstd2 = nn_floats(C), *rm2 = nn_floats(C);
    float *rv2 = nn_floats(C), *d_x2 = nn_floats(n_all), *d_gamma2 = nn_floats(C), *d_beta2 = nn_floats(C);
    float *eval2 = nn_floats(n_all);
    float *x_rows = nn_floats(n_all), *d_out_rows = nn_floats(n_all), *out1 = nn_floats(n_all);
    float *mean1 = nn_floats(C), *rstd1 = nn_floats(C), *rm1 = nn_floats(C), *rv1 = nn_floats(C);
    float *d_x1 = nn_floats(n_all), *d_gamma1 = nn_floats(C), *d_beta1 = nn_floats(C);
    float *eval1 = nn_floats(n_all), *want_rows = nn_floats(n_all);
    for (int c = 0; c < C; c++)
        rv1[c] = rv2[c] = 1;   /* nn_floats zeroes the rest */
    nn_is_int(nn_batchnorm2d_forward(out2, mean2, rstd2, x, gamma, beta, rm2, rv2, N, C, HW,
                                     NN_BN_MOMENTUM, NN_BN_EPS), NN_OK, "bn2d (%d, %d, %d): training forward", N, C, HW);
    nn_batchnorm2d_backward(d_x2, d_gamma2, d_beta2, d_out, x, gamma, mean2, rstd2, N, C, HW);
    nn_batchnorm2d_eval(eval2, x, gamma, beta, rm2, rv2, N, C, HW, NN_BN_EPS);

    to_rows(x_rows, x, N, C, HW);
    to_rows(d_out_rows, d_out, N, C, HW);
    nn_batchnorm_forward(out1, mean1, rstd1, x_rows, gamma, beta, rm1, rv1, R, C, NN_BN_MOMENTUM, NN_BN_EPS);
    nn_batchnorm_backward(d_x1, d_gamma1, d_beta1, d_out_rows, x_rows, gamma, mean1, rstd1, R, C);
    nn_batchnorm_eval(eval1, x_rows, gamma, beta, rm1, rv1, R, C, NN_BN_EPS);

    to_rows(want_rows, out2, N, C, HW);
    nn_is_close_floats(want_rows, out1, n_all, 0, 0, "bn2d (%d, %d, %d) output equals 1-d bn on transposed data "
                       "(bit-exact)", N, C, HW);
    nn_is_close_floats(mean2, mean1, C, 0, 0, "bn2d saved mean equals 1-d");
    nn_is_close_floats(rstd2, rstd1, C, 0, 0, "bn2d saved rstd equals 1-d");
    nn_is_close_floats(rm2, rm1, C, 0, 0, "bn2d running mean equals 1-d (momentum 0.1)");
    nn_is_close_floats(rv2, rv1, C, 0, 0, "bn2d running var equals 1-d (unbiased over N HW)");
    to_rows(want_rows, d_x2, N, C, HW);
    nn_is_close_floats(want_rows, d_x1, n_all, 0, 0, "bn2d d_in equals 1-d");
    nn_is_close_floats(d_gamma2, d_gamma1, C, 0, 0, "bn2d d_gamma equals 1-d");
    nn_is_close_floats(d_beta2, d_beta1, C, 0, 0, "bn2d d_beta equals 1-d");
    to_rows(want_rows, eval2, N, C, HW);
    nn_is_close_floats(want_rows, eval1, n_all, 0, 0, "bn2d eval equals 1-d eval");

    /* Backward adds, and d_in = NULL is allowed. */
    float *d_gamma_once = nn_floats(C);
    memcpy(d_gamma_once, d_gamma2, sizeof(float) * C);
    nn_batchnorm2d_backward(NULL, d_gamma2, d_beta2, d_out, x, gamma, mean2, rstd2, N, C, HW);
    int doubled = 1;
    for (int c = 0; c < C; c++)
        doubled &= fabsf(d_gamma2[c] - 2 * d_gamma_once[c]) <= 1e-5f * (1 + fabsf(d_gamma2[c]));
    nn_ok(doubled, "bn2d backward adds into d_gamma (+=)");
    float *all[] = {x, d_out, gamma, beta, out2, mean2, rstd2, rm2, rv2, d_x2, d_gamma2, d_beta2, eval2, x_rows,
                    d_out_rows, out1, mean1, rstd1, rm1, rv1, d_x1, d_gamma1, d_beta1, eval1, want_rows,
                    d_gamma_once};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
}

typedef struct {
    float *x, *gamma, *beta, *w;
} bn2d_ctx;

static double bn2d_loss(void *p)
{
    bn2d_ctx *c = p;
    float out[2 * 3 * 4], mean[3], rstd[3];
    nn_batchnorm2d_forward(out, mean, rstd, c->x, c->gamma, c->beta, NULL, NULL, 2, 3, 4, NN_BN_MOMENTUM,
                           NN_BN_EPS);
    double loss = 0;
    for (int i = 0; i < 2 * 3 * 4; i++)
        loss += (double)c->w[i] * out[i];
    return loss;
}

static void bn2d_gradient_check(void)
{
    enum { NN = 2, CC = 3, PP = 4, SZ = NN * CC * PP };
    nn_rng rng = nn_rng_new(23);
    float x[SZ], w[SZ], gamma[CC] = {1.2f, -0.8f, 0.6f}, beta[CC] = {0.1f, 0.3f, -0.2f};
    float out[SZ], mean[CC], rstd[CC], d_x[SZ] = {0}, d_gamma[CC] = {0}, d_beta[CC] = {0};
    nn_rng_fill_normal(&rng, x, SZ, -0.5, 1);
    nn_rng_fill_normal(&rng, w, SZ, 0, 1);
    nn_batchnorm2d_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, NN, CC, PP, NN_BN_MOMENTUM, NN_BN_EPS);
    nn_batchnorm2d_backward(d_x, d_gamma, d_beta, w, x, gamma, mean, rstd, NN, CC, PP);
    bn2d_ctx ctx = {x, gamma, beta, w};
    /* Same step and tolerance as the 1-d check above, for the same reasons. */
    nn_gradcheck_floats("bn2d d_in", bn2d_loss, &ctx, x, d_x, SZ, 1e-2, 1e-3);
    nn_gradcheck_floats("bn2d d_gamma", bn2d_loss, &ctx, gamma, d_gamma, CC, 1e-2, 1e-3);
    nn_gradcheck_floats("bn2d d_beta", bn2d_loss, &ctx, beta, d_beta, CC, 1e-2, 1e-3);
}

static void bn2d_too_few_values(void)
{
    float x[2] = {1, 2}, out[2], mean[2], rstd[2], gamma[2] = {1, 1}, beta[2] = {0, 0};
    nn_is_int(nn_batchnorm2d_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, 1, 2, 1, NN_BN_MOMENTUM,
                                     NN_BN_EPS), NN_ERR, "bn2d: one example of one position is refused");
    nn_contains(nn_last_error(), "at least 2 values", "the message says why");
    nn_is_int(nn_batchnorm2d_forward(out, mean, rstd, x, gamma, beta, NULL, NULL, 1, 1, 2, NN_BN_MOMENTUM,
                                     NN_BN_EPS), NN_OK, "bn2d: one example of two positions is enough");
}

int main(void)
{
    nn_tap_timeout(30);
    const char *srcdir = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ref/batchnorm_torch.txt", srcdir && *srcdir ? srcdir : NNLAB_SRCDIR);
    load_reference(path);
    against_torch();
    normalizes();
    gradient_check();
    batch_of_one();
    bn2d_equals_1d(3, 4, 5);
    bn2d_equals_1d(2, 19, 7);
    bn2d_equals_1d(2, 16, 16);
    bn2d_gradient_check();
    bn2d_too_few_values();
    return nn_tap_done();
}
