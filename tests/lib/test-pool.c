/* test-pool.c: max, average, L2 and global average pooling of lib/pool.c
 * against the Duke deck's worked example, the decks' shape rules, central
 * differences, and PyTorch (tests/ch06/pool_reference.txt, written by
 * tests/ch06/pool_reference.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "../ch05/reference.h"

/* Max and average are one float sum of F^2 terms (or none): PyTorch agrees
 * to rounding.  L2 adds a sqrt. */
#define TORCH_RTOL 1e-6
#define TORCH_ATOL 1e-6
#define TORCH_L2_RTOL 1e-5
/* Central differences in float: max and avg are piecewise linear (exact up
 * to rounding), L2 is smooth away from 0. */
#define GRADCHECK_EPS 1e-2
#define GRADCHECK_TOL 3e-3

static void test_shapes_and_errors(void)
{
    nn_pool_dims d;
    /* deck 002: 224x224x64 pooled 2x2, stride 2 -> 112x112x64, depth preserved */
    nn_ok(nn_pool_dims_make(&d, 1, 64, 224, 224, 2, 2) == NN_OK && d.H2 == 112 && d.W2 == 112 &&
          nn_pool_out_size(&d) == (size_t)112 * 112 * 64,
          "deck 002: 224x224x64, 2x2 stride 2 gives 112x112x64");
    /* overlapping pooling (AlexNet, deck 004): 3x3, stride 2 on 55x55 -> 27x27 */
    nn_ok(nn_pool_dims_make(&d, 1, 96, 55, 55, 3, 2) == NN_OK && d.H2 == 27 && d.W2 == 27,
          "overlapping 3x3 stride 2: 55 -> 27");
    /* an odd size loses its last row and column (floor) */
    nn_ok(nn_pool_dims_make(&d, 1, 1, 7, 7, 2, 2) == NN_OK && d.H2 == 3, "7x7 pooled 2x2/2 gives 3x3 (floor)");

    nn_ok(nn_pool_dims_make(&d, 1, 1, 3, 3, 4, 1) == NN_ERR, "a 4x4 window on a 3x3 input is refused");
    nn_contains(nn_last_error(), "pool height: window 4 is larger than the input 3", "message names window and input");
    nn_ok(strstr(nn_last_error(), "pad") == NULL, "pooling is not told to pad (the kit's pools never pad)");
    nn_ok(nn_pool_dims_make(&d, 1, 1, 8, 8, 2, 0) == NN_ERR, "stride 0 is refused");
    nn_contains(nn_last_error(), "stride 0", "message names the stride");
    nn_ok(nn_pool_dims_make(&d, 0, 1, 8, 8, 2, 2) == NN_ERR, "an empty batch is refused");
    nn_pool_dims_make(&d, 1, 1, 4, 4, 2, 2);
    nn_pool_dims bad = d;
    bad.H2 = 3;
    float x[16] = {0}, y[9], dx[16];
    int idx[9];
    nn_ok(nn_maxpool_forward(y, idx, x, &bad) == NN_ERR, "max forward refuses an inconsistent output size");
    nn_contains(nn_last_error(), "nn_pool_dims_make", "message says how to make the dims");
    nn_ok(nn_avgpool_backward(dx, y, &bad) == NN_ERR, "avg backward refuses it too");
    nn_ok(nn_global_avgpool_forward(y, x, 1, 1, 0, 4) == NN_ERR, "global average pool refuses an empty plane");
    nn_contains(nn_last_error(), "empty dimension", "message says a dimension is empty");
}

/* Duke deck 003: 2x2 max pool, stride 2 on
 *     1 2 2 4
 *     2 5 1 8
 *     3 0 4 4
 *     6 1 7 6      gives  [[5, 8], [6, 7]]. */
static void test_duke_example(void)
{
    static const float x[16] = {1, 2, 2, 4, 2, 5, 1, 8, 3, 0, 4, 4, 6, 1, 7, 6};
    static const float want[4] = {5, 8, 6, 7};
    static const int want_idx[4] = {5, 7, 12, 14};   /* (1,1) (1,3) (3,0) (3,2) */
    nn_pool_dims d;
    nn_pool_dims_make(&d, 1, 1, 4, 4, 2, 2);
    float y[4], dx[16] = {0};
    int idx[4];
    nn_maxpool_forward(y, idx, x, &d);
    nn_is_close_floats(y, want, 4, 0, 0, "deck 003: 4x4 max pooled 2x2/2 gives [[5,8],[6,7]]");
    nn_ok(memcmp(idx, want_idx, sizeof idx) == 0, "argmax indices are 5 7 12 14 (y W + x)");
    /* deck 004's indicator: the gradient goes to the argmax only */
    static const float g[4] = {1, 2, 3, 4};
    nn_maxpool_backward(dx, g, idx, &d);
    static const float want_dx[16] = {0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 3, 0, 4, 0};
    nn_is_close_floats(dx, want_dx, 16, 0, 0, "max backward routes each gradient to its argmax");
    /* average: (1+2+2+5)/4 = 2.5, (2+4+1+8)/4 = 3.75, (3+0+6+1)/4 = 2.5, (4+4+7+6)/4 = 5.25 */
    static const float want_avg[4] = {2.5f, 3.75f, 2.5f, 5.25f};
    nn_avgpool_forward(y, x, &d);
    nn_is_close_floats(y, want_avg, 4, 0, 1e-7, "the same input average-pooled");
    /* L2: sqrt(1+4+4+25) = sqrt(34) */
    nn_l2pool_forward(y, x, &d);
    nn_is_close(y[0], sqrt(34.0), 1e-6, 0, "the same input L2-pooled: first window sqrt(34)");
    /* global average pooling: the mean of all 16 */
    float mean;
    nn_global_avgpool_forward(&mean, x, 1, 1, 4, 4);
    nn_is_close(mean, 56.0 / 16, 1e-7, 0, "global average pool is the plane's mean 3.5");
}

static void test_edge_cases(void)
{
    nn_pool_dims d;
    nn_pool_dims_make(&d, 1, 1, 2, 2, 2, 2);
    /* ties: the first in reading order, as PyTorch */
    float x[4] = {3, 3, 3, 3}, y[1];
    int idx[1];
    nn_maxpool_forward(y, idx, x, &d);
    nn_is_int(idx[0], 0, "a tie goes to the first position");
    /* a NaN is not hidden by max pooling */
    float xn[4] = {1, NAN, 2, 0};
    nn_maxpool_forward(y, idx, xn, &d);
    nn_ok(isnan(y[0]), "a NaN in the window propagates");
    /* L2 of an all-zero window: output 0 and gradient 0, not NaN */
    float z[4] = {0}, dz[4] = {0}, g[1] = {1};
    nn_l2pool_forward(y, z, &d);
    nn_l2pool_backward(dz, g, z, y, &d);
    nn_ok(y[0] == 0 && dz[0] == 0 && dz[3] == 0, "L2 pool of zeros: output 0, gradient 0 (no NaN)");
    /* overlapping windows that share a maximum add both gradients to it */
    nn_pool_dims_make(&d, 1, 1, 3, 5, 3, 2);
    float xo[15] = {0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0};
    float yo[2], dxo[15] = {0}, go[2] = {1, 10};
    int io[2];
    nn_maxpool_forward(yo, io, xo, &d);
    nn_maxpool_backward(dxo, go, io, &d);
    nn_ok(io[0] == 7 && io[1] == 7 && dxo[7] == 11, "overlapping 3x3/2: a shared maximum collects both gradients");
}

/* Gradient checks with L = sum(out * g). */
typedef enum { KIND_MAX, KIND_AVG, KIND_L2, KIND_GLOBAL } pool_kind;
typedef struct {
    pool_kind kind;
    const nn_pool_dims *d;
    float *x, *y, *g;
    int *idx;
    size_t n_out;
} pool_problem;

static void pool_forward(pool_problem *pb)
{
    const nn_pool_dims *d = pb->d;
    switch (pb->kind) {
    case KIND_MAX: nn_maxpool_forward(pb->y, pb->idx, pb->x, d); break;
    case KIND_AVG: nn_avgpool_forward(pb->y, pb->x, d); break;
    case KIND_L2: nn_l2pool_forward(pb->y, pb->x, d); break;
    case KIND_GLOBAL: nn_global_avgpool_forward(pb->y, pb->x, d->N, d->C, d->H, d->W); break;
    }
}

static double pool_loss(void *ctx)
{
    pool_problem *pb = ctx;
    pool_forward(pb);
    double loss = 0;
    for (size_t i = 0; i < pb->n_out; i++)
        loss += (double)pb->y[i] * pb->g[i];
    return loss;
}

static void test_gradcheck(void)
{
    static const int shapes[][6] = {{2, 2, 6, 6, 2, 2}, {1, 2, 7, 9, 3, 2}, {2, 1, 5, 5, 2, 1}, {1, 3, 8, 7, 3, 3}};
    static const char *const names[] = {"max", "avg", "L2", "global avg"};
    nn_rng rng = nn_rng_new(3);
    for (int kind = KIND_MAX; kind <= KIND_GLOBAL; kind++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int *v = shapes[s];
            nn_pool_dims d;
            nn_pool_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5]);
            size_t n_in = nn_pool_in_size(&d);
            size_t n_out = kind == KIND_GLOBAL ? (size_t)d.N * d.C : nn_pool_out_size(&d);
            pool_problem pb = {(pool_kind)kind, &d, nn_floats(n_in), nn_floats(n_out), nn_floats(n_out),
                               malloc(sizeof(int) * n_out), n_out};
            /* distinct values 0.1 apart (a shuffled ramp), so a step of eps
             * never changes which element is the maximum */
            for (size_t i = 0; i < n_in; i++)
                pb.x[i] = (float)(0.1 * ((double)i - n_in / 2.0));
            for (size_t i = n_in - 1; i > 0; i--) {
                size_t j = nn_rng_u32(&rng) % (i + 1);
                float t = pb.x[i];
                pb.x[i] = pb.x[j];
                pb.x[j] = t;
            }
            for (size_t i = 0; i < n_out; i++)
                pb.g[i] = (float)nn_rng_normal(&rng);
            pool_forward(&pb);
            float *dx = nn_floats(n_in);
            switch (kind) {
            case KIND_MAX: nn_maxpool_backward(dx, pb.g, pb.idx, &d); break;
            case KIND_AVG: nn_avgpool_backward(dx, pb.g, &d); break;
            case KIND_L2: nn_l2pool_backward(dx, pb.g, pb.x, pb.y, &d); break;
            case KIND_GLOBAL: nn_global_avgpool_backward(dx, pb.g, d.N, d.C, d.H, d.W); break;
            }
            char what[128];
            snprintf(what, sizeof what, "gradcheck %s pool d_in, N%d C%d %dx%d F%d S%d", names[kind],
                     d.N, d.C, d.H, d.W, d.F, d.S);
            nn_gradcheck_floats(what, pool_loss, &pb, pb.x, dx, n_in, GRADCHECK_EPS, GRADCHECK_TOL);
            free(pb.x); free(pb.y); free(pb.g); free(pb.idx); free(dx);
        }
}

static void test_pytorch(void)
{
    const char *file = "tests/ch06/pool_reference.txt";
    FILE *f = ref_open(file);
    ref_case rc;
    int cases = 0;
    while (ref_next(f, &rc, 6, file)) {
        const int *v = rc.ints;
        nn_pool_dims d;
        if (nn_pool_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5]) != NN_OK)
            nn_tap_bail_out("%s: case %s: %s", file, rc.kind, nn_last_error());
        size_t n_x, n_out;
        float *x = ref_array(&rc, "x", &n_x), *g = ref_array(&rc, "g", &n_out);
        float *want = ref_array(&rc, "out", NULL), *want_dx = ref_array(&rc, "d_in", NULL);
        if (n_x != nn_pool_in_size(&d) || n_out != nn_pool_out_size(&d))
            nn_tap_bail_out("%s: case %s: array sizes do not match the shape", file, rc.kind);
        float *y = nn_floats(n_out), *dx = nn_floats(n_x);
        int *idx = malloc(sizeof(int) * n_out);
        char name[96];
        snprintf(name, sizeof name, "%s pool N%d C%d %dx%d F%d S%d", rc.kind, d.N, d.C, d.H, d.W, d.F, d.S);
        double rtol = TORCH_RTOL;
        if (strcmp(rc.kind, "max") == 0) {
            nn_maxpool_forward(y, idx, x, &d);
            nn_maxpool_backward(dx, g, idx, &d);
            float *want_idx = ref_array(&rc, "idx", NULL);
            int same = 1;
            for (size_t i = 0; i < n_out; i++)
                same &= idx[i] == (int)want_idx[i];
            nn_ok(same, "PyTorch max pool indices, %s", name);
        } else if (strcmp(rc.kind, "avg") == 0) {
            nn_avgpool_forward(y, x, &d);
            nn_avgpool_backward(dx, g, &d);
        } else {
            rtol = TORCH_L2_RTOL;
            nn_l2pool_forward(y, x, &d);
            nn_l2pool_backward(dx, g, x, y, &d);
        }
        nn_is_close_floats(y, want, n_out, rtol, TORCH_ATOL, "PyTorch forward, %s", name);
        nn_is_close_floats(dx, want_dx, n_x, rtol, TORCH_ATOL, "PyTorch d_in, %s", name);
        free(y); free(dx); free(idx);
        ref_case_free(&rc);
        cases++;
    }
    fclose(f);
    nn_ok(cases == 30, "read %d PyTorch reference cases (10 shapes x max, avg, L2)", cases);
}

int main(void)
{
    nn_tap_timeout(60);
    test_shapes_and_errors();
    test_duke_example();
    test_edge_cases();
    test_gradcheck();
    test_pytorch();
    return nn_tap_done();
}
