/* test-resblock-torch.c: a residual block composed from the lib's layers
 * against PyTorch (tests/ch07/resblock_reference.txt, written by
 * tests/ch07/resblock_reference.py): the output and every gradient,
 * including d_x.
 *
 * Deck 003's H(x) = F(x) + x, as ResNet's basic block, with
 * (N, C, H, W) = (2, 4, 6, 6) and batch norm in training mode:
 *     c1 = conv1(x)   b1 = bn1(c1)   r1 = relu(b1)
 *     c2 = conv2(r1)  b2 = bn2(c2)   s = b2 + x      out = relu(s)
 * (3x3 convolutions with padding 1 and no bias: the batch norm after each
 * has its own shift beta). */
#include <math.h>
#include <stdlib.h>

#include "nnlab.h"
#include "fixed-values.h"

/* Tolerances: the output passes through two convolutions (36 products each)
 * and two batch norms in float; gradients come back through all of them and
 * the batch norms' cancelling means. */
#define OUT_RTOL 1e-5
#define OUT_ATOL 1e-5
#define GRAD_RTOL 1e-4
#define GRAD_ATOL_OF_MAX 1e-5

enum { N = 2, C = 4, H = 6, W = 6, HW = H * W, SIZE = N * C * HW, WSIZE = C * C * 9 };

static void check_grad(const float *got, const ref_file *ref, const char *name, size_t n)
{
    const float *want = ref_get(ref, name, n);
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(want[i]));
    nn_is_close_floats(got, want, n, GRAD_RTOL, GRAD_ATOL_OF_MAX * m, "%s as torch's", name);
}

int main(void)
{
    nn_tap_timeout(30);
    ref_file ref;
    ref_load(&ref, "tests/ch07/resblock_reference.txt");
    const float *x = ref_get(&ref, "x", SIZE), *w1 = ref_get(&ref, "w1", WSIZE);
    const float *w2 = ref_get(&ref, "w2", WSIZE), *d_out = ref_get(&ref, "d_out", SIZE);
    const float *gamma1 = ref_get(&ref, "gamma1", C), *beta1 = ref_get(&ref, "beta1", C);
    const float *gamma2 = ref_get(&ref, "gamma2", C), *beta2 = ref_get(&ref, "beta2", C);

    nn_conv_dims cd;
    if (nn_conv_dims_make(&cd, N, C, H, W, C, 3, 1, 1) != NN_OK)
        nn_tap_bail_out("conv dims: %s", nn_last_error());
    float *c1 = nn_floats(SIZE), *b1 = nn_floats(SIZE), *r1 = nn_floats(SIZE), *c2 = nn_floats(SIZE);
    float *b2 = nn_floats(SIZE), *s = nn_floats(SIZE), *out = nn_floats(SIZE);
    float mean1[C], rstd1[C], mean2[C], rstd2[C];

    /* forward */
    nn_conv2d_forward(c1, x, w1, NULL, &cd);
    if (nn_batchnorm2d_forward(b1, mean1, rstd1, c1, gamma1, beta1, NULL, NULL, N, C, HW, NN_BN_MOMENTUM,
                               NN_BN_EPS) != NN_OK)
        nn_tap_bail_out("bn1: %s", nn_last_error());
    nn_act_forward(NN_RELU, r1, b1, SIZE);
    nn_conv2d_forward(c2, r1, w2, NULL, &cd);
    nn_batchnorm2d_forward(b2, mean2, rstd2, c2, gamma2, beta2, NULL, NULL, N, C, HW, NN_BN_MOMENTUM,
                           NN_BN_EPS);
    for (int i = 0; i < SIZE; i++)
        s[i] = b2[i] + x[i];                       /* H(x) = F(x) + x */
    nn_act_forward(NN_RELU, out, s, SIZE);
    nn_is_close_floats(out, ref_get(&ref, "out", SIZE), SIZE, OUT_RTOL, OUT_ATOL,
                       "block output relu(F(x) + x) as torch's");

    /* backward (every buffer starts at 0: the lib's backward adds) */
    float *d_s = nn_floats(SIZE), *d_c2 = nn_floats(SIZE), *d_r1 = nn_floats(SIZE);
    float *d_b1 = nn_floats(SIZE), *d_c1 = nn_floats(SIZE), *d_x = nn_floats(SIZE);
    float *d_w1 = nn_floats(WSIZE), *d_w2 = nn_floats(WSIZE);
    float d_gamma1[C] = {0}, d_beta1[C] = {0}, d_gamma2[C] = {0}, d_beta2[C] = {0};
    nn_act_backward(NN_RELU, d_s, d_out, s, out, SIZE);
    /* in the forward pass this was s = b2 + x: d_s flows to both, unchanged */
    nn_axpy(d_x, 1.0f, d_s, SIZE);
    nn_batchnorm2d_backward(d_c2, d_gamma2, d_beta2, d_s, c2, gamma2, mean2, rstd2, N, C, HW);
    nn_conv2d_backward(d_r1, d_w2, NULL, d_c2, r1, w2, &cd);
    nn_act_backward(NN_RELU, d_b1, d_r1, b1, r1, SIZE);
    nn_batchnorm2d_backward(d_c1, d_gamma1, d_beta1, d_b1, c1, gamma1, mean1, rstd1, N, C, HW);
    nn_conv2d_backward(d_x, d_w1, NULL, d_c1, x, w1, &cd);

    check_grad(d_x, &ref, "d_x", SIZE);
    check_grad(d_w1, &ref, "d_w1", WSIZE);
    check_grad(d_gamma1, &ref, "d_gamma1", C);
    check_grad(d_beta1, &ref, "d_beta1", C);
    check_grad(d_w2, &ref, "d_w2", WSIZE);
    check_grad(d_gamma2, &ref, "d_gamma2", C);
    check_grad(d_beta2, &ref, "d_beta2", C);

    float *all[] = {c1, b1, r1, c2, b2, s, out, d_s, d_c2, d_r1, d_b1, d_c1, d_x, d_w1, d_w2};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    ref_free(&ref);
    nn_conv_free_workspace();
    return nn_tap_done();
}
