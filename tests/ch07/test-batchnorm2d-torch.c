/* test-batchnorm2d-torch.c: lib/batchnorm.c's BatchNorm2d (nn_batchnorm2d_*)
 * against torch.nn.BatchNorm2d in training and evaluation mode
 * (tests/ch07/batchnorm2d_reference.txt, written by
 * tests/ch07/batchnorm2d_reference.py): outputs, running statistics after
 * one and two steps, and the input, gamma and beta gradients. */
#include <math.h>
#include <stdlib.h>

#include "nnlab.h"
#include "fixed-values.h"

/* Tolerances.  The lib sums the N H W values of a channel in double, torch in
 * float with its own order: normalised outputs (of order 1) agree to a few
 * float roundings; running statistics are one blend of those sums; the
 * gradients add the two batch means of backward, whose terms cancel, so they
 * are held to 1e-4 of themselves plus 1e-5 of their largest entry. */
#define OUT_RTOL 1e-5
#define OUT_ATOL 1e-5
#define RUNNING_RTOL 1e-5
#define RUNNING_ATOL 1e-6
#define GRAD_RTOL 1e-4
#define GRAD_ATOL_OF_MAX 1e-5

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(x[i]));
    return m;
}

static void check_grad(const float *got, const float *want, size_t n, const char *what)
{
    nn_is_close_floats(got, want, n, GRAD_RTOL, GRAD_ATOL_OF_MAX * max_abs(want, n), "%s", what);
}

/* One case of the reference file: N images of C channels, HW positions. */
static void run_case(const ref_file *ref, const char *prefix, int N, int C, int HW, int with_eval)
{
    char name[64];
    size_t n = (size_t)N * C * HW;
#define GET(array, count) (snprintf(name, sizeof name, "%s.%s", prefix, array), ref_get(ref, name, count))
    const float *x1 = GET("x1", n), *gamma = GET("gamma", C), *beta = GET("beta", C);
    const float *d_out = GET("d_out", n);
    float *out = nn_floats(n), *mean = nn_floats(C), *rstd = nn_floats(C);
    float *running_mean = nn_floats(C), *running_var = nn_floats(C);
    float *d_in = nn_floats(n), *d_gamma = nn_floats(C), *d_beta = nn_floats(C);
    for (int c = 0; c < C; c++)
        running_var[c] = 1;   /* torch's reset_running_stats: mean 0, variance 1 */

    int status = nn_batchnorm2d_forward(out, mean, rstd, x1, gamma, beta, running_mean, running_var, N, C,
                                        HW, NN_BN_MOMENTUM, NN_BN_EPS);
    nn_ok(status == NN_OK, "%s: training forward on %d x %d x %d runs", prefix, N, C, HW);
    nn_is_close_floats(out, GET("out1", n), n, OUT_RTOL, OUT_ATOL, "%s: training output as torch's", prefix);
    nn_is_close_floats(running_mean, GET("running_mean1", C), C, RUNNING_RTOL, RUNNING_ATOL,
                       "%s: running mean after one step", prefix);
    nn_is_close_floats(running_var, GET("running_var1", C), C, RUNNING_RTOL, RUNNING_ATOL,
                       "%s: running variance after one step (unbiased, N HW - 1)", prefix);

    nn_batchnorm2d_backward(d_in, d_gamma, d_beta, d_out, x1, gamma, mean, rstd, N, C, HW);
    char label[96];
    snprintf(label, sizeof label, "%s: d_in as torch's", prefix);
    check_grad(d_in, GET("d_in", n), n, label);
    snprintf(label, sizeof label, "%s: d_gamma as torch's", prefix);
    check_grad(d_gamma, GET("d_gamma", C), C, label);
    snprintf(label, sizeof label, "%s: d_beta as torch's", prefix);
    check_grad(d_beta, GET("d_beta", C), C, label);

    if (with_eval) {
        nn_batchnorm2d_forward(out, mean, rstd, GET("x2", n), gamma, beta, running_mean, running_var, N, C,
                               HW, NN_BN_MOMENTUM, NN_BN_EPS);
        nn_is_close_floats(running_mean, GET("running_mean2", C), C, RUNNING_RTOL, RUNNING_ATOL,
                           "%s: running mean after two steps", prefix);
        nn_is_close_floats(running_var, GET("running_var2", C), C, RUNNING_RTOL, RUNNING_ATOL,
                           "%s: running variance after two steps", prefix);
        size_t n3 = (size_t)2 * C * HW;
        float *out3 = nn_floats(n3);
        nn_batchnorm2d_eval(out3, GET("x3", n3), gamma, beta, running_mean, running_var, 2, C, HW, NN_BN_EPS);
        nn_is_close_floats(out3, GET("out3", n3), n3, OUT_RTOL, OUT_ATOL,
                           "%s: evaluation output (running statistics) as torch's", prefix);
        free(out3);
    }
#undef GET
    float *all[] = {out, mean, rstd, running_mean, running_var, d_in, d_gamma, d_beta};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

int main(void)
{
    nn_tap_timeout(30);
    ref_file ref;
    ref_load(&ref, "tests/ch07/batchnorm2d_reference.txt");
    run_case(&ref, "main", 4, 3, 25, 1);
    run_case(&ref, "single", 1, 2, 9, 0);
    /* one image of one pixel has no batch statistics: torch refuses it too */
    float x[2] = {1, 2}, out[2], mean[2], rstd[2], g[2] = {1, 1}, b[2] = {0, 0};
    nn_ok(nn_batchnorm2d_forward(out, mean, rstd, x, g, b, NULL, NULL, 1, 2, 1, NN_BN_MOMENTUM, NN_BN_EPS) ==
              NN_ERR, "training on N HW = 1 value per channel is refused");
    ref_free(&ref);
    return nn_tap_done();
}
