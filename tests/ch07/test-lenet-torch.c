/* test-lenet-torch.c: the chapter's LeNet-5, composed in this test from the
 * lib's layers (nn_conv2d_*, nn_avgpool_*, nn_dense_*, nn_act_* tanh,
 * nn_softmax_xent_*), against PyTorch on fixed weights and a fixed batch
 * (tests/ch07/lenet_reference.txt, written by tests/ch07/lenet_reference.py):
 * logits, loss and the gradient of every parameter tensor.  The same weights
 * in lib/model.c's sequential model (the architecture string of nn_model.h)
 * must give the same numbers.
 *
 * Shapes (B = 4):
 *   x (4,1,28,28) -conv1 6@5x5 pad 2-> c1 (4,6,28,28) -tanh-> a1 -avgpool 2-> p1 (4,6,14,14)
 *   -conv2 16@5x5-> c2 (4,16,10,10) -tanh-> a2 -avgpool 2-> p2 (4,16,5,5) = (4,400)
 *   -fc1-> z3 (4,120) -tanh-> a3 -fc2-> z4 (4,84) -tanh-> a4 -fc3-> logits (4,10) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "fixed-values.h"

/* Tolerances, one per kind of number.  Both sides compute in float32 with
 * different summation orders (im2col + GEMM here, torch's own kernels there):
 * a logit is a sum of a few hundred products, good to ~1e-6 of its inputs'
 * scale; the loss is one log-sum-exp of those; a gradient accumulates the
 * rounding of every layer above it, so it is compared to 1e-4 of itself
 * plus 1e-5 of its tensor's largest entry (a near-zero entry is not held to
 * a relative bound it cannot meet). */
#define LOGIT_RTOL 1e-5
#define LOGIT_ATOL 1e-6
#define LOSS_RTOL 1e-6
#define GRAD_RTOL 1e-4
#define GRAD_ATOL_OF_MAX 1e-5
/* fc1.weight's gradient is checked at every 7th entry and by its sum and sum
 * of squares (double on the torch side, over 48,000 float terms here). */
#define SUMS_RTOL 1e-4

enum { B = 4, CLASSES = 10 };
static const int labels[B] = {3, 7, 0, 9};

/* Parameters in torch's order and layout: one buffer, named pointers. */
typedef struct {
    float *w1, *b1;   /* (6,1,5,5) (6)       */
    float *w2, *b2;   /* (16,6,5,5) (16)     */
    float *w3, *b3;   /* (120,400) (120)     */
    float *w4, *b4;   /* (84,120) (84)       */
    float *w5, *b5;   /* (10,84) (10)        */
} lenet;

static const size_t sizes[10] = {150, 6, 2400, 16, 48000, 120, 10080, 84, 840, 10};
static const int fan_in[5] = {25, 150, 400, 120, 84};
static const char *const names[10] = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                      "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                      "fc3.weight", "fc3.bias"};

static float *alloc_lenet(lenet *n, size_t *total)
{
    nn_piece pieces[10] = {{names[0], sizes[0], &n->w1}, {names[1], sizes[1], &n->b1},
                           {names[2], sizes[2], &n->w2}, {names[3], sizes[3], &n->b2},
                           {names[4], sizes[4], &n->w3}, {names[5], sizes[5], &n->b3},
                           {names[6], sizes[6], &n->w4}, {names[7], sizes[7], &n->b4},
                           {names[8], sizes[8], &n->w5}, {names[9], sizes[9], &n->b5}};
    return nn_alloc_pieces(pieces, 10, total);
}

/* The fixed values of tests/ch07/fixed_values.py: tensor t from stream t,
 * weights sqrt(12 / fan-in) uniform, biases 0.2 uniform. */
static void fixed_params(float *params)
{
    float *p = params;
    for (int t = 0; t < 10; t++) {
        nn_fixed_tensor(p, sizes[t], (uint32_t)t, t % 2 == 0 ? sqrt(12.0 / fan_in[t / 2]) : 0.2);
        p += sizes[t];
    }
}

static void compare_grads(const ref_file *ref, const float *grads, const char *who)
{
    const float *g = grads;
    for (int t = 0; t < 10; t++) {
        char name[64];
        if (t == 4) {
            size_t n7 = (sizes[4] + 6) / 7;
            const float *want = ref_get(ref, "grad.fc1.weight.every7", n7);
            float *every7 = nn_floats(n7);
            double sum = 0, squares = 0, max = 0;
            for (size_t j = 0; j < sizes[4]; j++) {
                sum += g[j], squares += (double)g[j] * g[j];
                if (j % 7 == 0)
                    every7[j / 7] = g[j];
            }
            for (size_t j = 0; j < n7; j++)
                max = fmax(max, fabs(want[j]));
            nn_is_close_floats(every7, want, n7, GRAD_RTOL, GRAD_ATOL_OF_MAX * max,
                               "%s: d loss / d fc1.weight, every 7th entry", who);
            const float *sums = ref_get(ref, "grad.fc1.weight.sums", 2);
            nn_is_close(sum, sums[0], SUMS_RTOL, GRAD_ATOL_OF_MAX * max, "%s: sum of d fc1.weight", who);
            nn_is_close(squares, sums[1], SUMS_RTOL, 0, "%s: sum of squares of d fc1.weight", who);
            free(every7);
        } else {
            snprintf(name, sizeof name, "grad.%s", names[t]);
            const float *want = ref_get(ref, name, sizes[t]);
            double max = 0;
            for (size_t j = 0; j < sizes[t]; j++)
                max = fmax(max, fabs(want[j]));
            nn_is_close_floats(g, want, sizes[t], GRAD_RTOL, GRAD_ATOL_OF_MAX * max,
                               "%s: d loss / d %s (%zu values)", who, names[t], sizes[t]);
        }
        g += sizes[t];
    }
}

int main(void)
{
    nn_tap_timeout(60);
    ref_file ref;
    ref_load(&ref, "tests/ch07/lenet_reference.txt");

    lenet p, g;
    size_t n_params;
    float *params = alloc_lenet(&p, &n_params);
    float *grads = alloc_lenet(&g, &n_params);
    nn_is_int((long)n_params, 61706, "LeNet-5 has 61,706 parameters");
    fixed_params(params);

    float *x = nn_floats(B * 28 * 28);
    nn_fixed_tensor(x, B * 28 * 28, 100, 2.0);

    nn_conv_dims cd1, cd2;
    nn_pool_dims pd1, pd2;
    if (nn_conv_dims_make(&cd1, B, 1, 28, 28, 6, 5, 1, 2) != NN_OK ||
        nn_pool_dims_make(&pd1, B, 6, 28, 28, 2, 2) != NN_OK ||
        nn_conv_dims_make(&cd2, B, 6, 14, 14, 16, 5, 1, 0) != NN_OK ||
        nn_pool_dims_make(&pd2, B, 16, 10, 10, 2, 2) != NN_OK)
        nn_tap_bail_out("LeNet-5 dims: %s", nn_last_error());

    /* activations and their gradients */
    size_t n_c1 = nn_conv_out_size(&cd1), n_p1 = nn_pool_out_size(&pd1);
    size_t n_c2 = nn_conv_out_size(&cd2), n_p2 = nn_pool_out_size(&pd2);
    float *c1 = nn_floats(n_c1), *a1 = nn_floats(n_c1), *p1 = nn_floats(n_p1);
    float *c2 = nn_floats(n_c2), *a2 = nn_floats(n_c2), *p2 = nn_floats(n_p2);
    float *z3 = nn_floats(B * 120), *a3 = nn_floats(B * 120), *z4 = nn_floats(B * 84);
    float *a4 = nn_floats(B * 84), *logits = nn_floats(B * CLASSES), *probs = nn_floats(B * CLASSES);
    float *d_c1 = nn_floats(n_c1), *d_a1 = nn_floats(n_c1), *d_p1 = nn_floats(n_p1);
    float *d_c2 = nn_floats(n_c2), *d_a2 = nn_floats(n_c2), *d_p2 = nn_floats(n_p2);
    float *d_z3 = nn_floats(B * 120), *d_a3 = nn_floats(B * 120), *d_z4 = nn_floats(B * 84);
    float *d_a4 = nn_floats(B * 84), *d_logits = nn_floats(B * CLASSES);

    /* forward, one lib call per layer */
    nn_conv2d_forward(c1, x, p.w1, p.b1, &cd1);
    nn_act_forward(NN_TANH, a1, c1, n_c1);
    nn_avgpool_forward(p1, a1, &pd1);
    nn_conv2d_forward(c2, p1, p.w2, p.b2, &cd2);
    nn_act_forward(NN_TANH, a2, c2, n_c2);
    nn_avgpool_forward(p2, a2, &pd2);
    nn_dense_forward(z3, p2, p.w3, p.b3, B, 400, 120);
    nn_act_forward(NN_TANH, a3, z3, B * 120);
    nn_dense_forward(z4, a3, p.w4, p.b4, B, 120, 84);
    nn_act_forward(NN_TANH, a4, z4, B * 84);
    nn_dense_forward(logits, a4, p.w5, p.b5, B, 84, CLASSES);
    double loss = nn_softmax_xent_forward(probs, logits, labels, B, CLASSES);

    nn_is_close_floats(logits, ref_get(&ref, "logits", B * CLASSES), B * CLASSES, LOGIT_RTOL, LOGIT_ATOL,
                       "lib layers: logits (4 x 10) as torch's");
    nn_is_close(loss, ref_get(&ref, "loss", 1)[0], LOSS_RTOL, 0, "lib layers: softmax cross-entropy as torch's");

    /* backward, the same layers in reverse; every gradient buffer starts at 0
     * (backward adds) */
    nn_zero(grads, n_params);
    nn_softmax_xent_backward(d_logits, probs, labels, B, CLASSES);
    nn_dense_backward(d_a4, g.w5, g.b5, d_logits, a4, p.w5, B, 84, CLASSES);
    nn_act_backward(NN_TANH, d_z4, d_a4, z4, a4, B * 84);
    nn_dense_backward(d_a3, g.w4, g.b4, d_z4, a3, p.w4, B, 120, 84);
    nn_act_backward(NN_TANH, d_z3, d_a3, z3, a3, B * 120);
    nn_dense_backward(d_p2, g.w3, g.b3, d_z3, p2, p.w3, B, 400, 120);
    nn_avgpool_backward(d_a2, d_p2, &pd2);
    nn_act_backward(NN_TANH, d_c2, d_a2, c2, a2, n_c2);
    nn_conv2d_backward(d_p1, g.w2, g.b2, d_c2, p1, p.w2, &cd2);
    nn_avgpool_backward(d_a1, d_p1, &pd1);
    nn_act_backward(NN_TANH, d_c1, d_a1, c1, a1, n_c1);
    nn_conv2d_backward(NULL, g.w1, g.b1, d_c1, x, p.w1, &cd1);
    compare_grads(&ref, grads, "lib layers");

    /* The sequential model of lib/model.c: its parameter buffer is laid out
     * layer by layer, w then b, as torch's (nn_model.h). */
    nn_model *m = nn_model_new("conv:6:5:1:2 tanh avgpool:2 conv:16:5 tanh avgpool:2 dense:120 tanh "
                               "dense:84 tanh dense:10", 1, 28, 28, B);
    if (!m) {
        nn_ok(0, "nn_model_new builds LeNet-5: %s", nn_last_error());
    } else {
        nn_is_int((long)nn_model_param_count(m), (long)n_params, "nn_model: LeNet-5's 61,706 parameters");
        nn_copy(nn_model_params(m), params, n_params);
        float *model_logits = nn_floats(B * CLASSES), *model_d = nn_floats(B * CLASSES);
        nn_zero(nn_model_grads(m), n_params);
        nn_model_forward(m, model_logits, x, B, 0, NULL);
        nn_is_close_floats(model_logits, ref_get(&ref, "logits", B * CLASSES), B * CLASSES, LOGIT_RTOL,
                           LOGIT_ATOL, "nn_model: logits as torch's");
        double model_loss = nn_softmax_xent_forward(probs, model_logits, labels, B, CLASSES);
        nn_is_close(model_loss, ref_get(&ref, "loss", 1)[0], LOSS_RTOL, 0, "nn_model: loss as torch's");
        nn_softmax_xent_backward(model_d, probs, labels, B, CLASSES);
        nn_model_backward(m, NULL, model_d, B);
        compare_grads(&ref, nn_model_grads(m), "nn_model");
        free(model_logits);
        free(model_d);
        nn_model_free(m);
    }

    float *all[] = {x, c1, a1, p1, c2, a2, p2, z3, a3, z4, a4, logits, probs, d_c1, d_a1, d_p1, d_c2,
                    d_a2, d_p2, d_z3, d_a3, d_z4, d_a4, d_logits, params, grads};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
    ref_free(&ref);
    nn_conv_free_workspace();
    return nn_tap_done();
}
