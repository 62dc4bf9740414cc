/* test-conv.c: the conv2d layer of lib/conv.c against independent truths:
 * the output-size rule with the decks' examples, the hand-worked 5x5 example
 * of deck 002, the Foundations deck's edge and L-shape detectors, the naive
 * reference over many shapes, central differences, and PyTorch's conv2d
 * (tests/ch05/conv_reference.txt, written by tests/ch05/conv_reference.py). */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "nnlab.h"
#include "../ch05/reference.h"

/* Tolerances, one per kind of comparison.
 * fast vs naive: float GEMM accumulation against a double loop over up to
 * C F F (forward) or N H2 W2 (weight gradient) terms of size ~1. */
#define FAST_NAIVE_RTOL 1e-5
#define FAST_NAIVE_ATOL 1e-4
/* PyTorch's values are exact to float precision (computed in float64). */
#define TORCH_OUT_RTOL 1e-5
#define TORCH_OUT_ATOL 2e-5
#define TORCH_DIN_ATOL 2e-5
#define TORCH_DW_ATOL 1e-4     /* sums over N H2 W2 terms */
#define TORCH_DB_ATOL 1e-4
/* Central differences in float on a loss that is linear in each variable:
 * the only error is rounding, relative error well under 1e-3. */
#define GRADCHECK_EPS 1e-2
#define GRADCHECK_TOL 2e-3

static void fill_normal(nn_rng *rng, float *x, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * nn_rng_normal(rng));
}

static void test_output_size(void)
{
    int out = -1;
    /* deck 002, "Stride": a 7x7 input and a 3x3 filter */
    nn_ok(nn_out_size("test", 7, 3, 1, 0, &out) == NN_OK && out == 5, "7x7, F=3, S=1 gives 5x5 (got %d)", out);
    nn_ok(nn_out_size("test", 7, 3, 2, 0, &out) == NN_OK && out == 3, "7x7, F=3, S=2 gives 3x3 (got %d)", out);
    /* (7 - 3 + 0) / 3 = 1.33: floored to 1, so 2 outputs, as PyTorch */
    nn_ok(nn_out_size("test", 7, 3, 3, 0, &out) == NN_OK && out == 2,
          "7x7, F=3, S=3 does not divide: floor gives 2 (got %d)", out);
    /* 'same' padding: F=3, P=1 keeps the size; F=5, P=2 too */
    nn_ok(nn_out_size("test", 28, 3, 1, 1, &out) == NN_OK && out == 28, "28, F=3, P=1 keeps 28");
    nn_ok(nn_out_size("test", 32, 5, 1, 0, &out) == NN_OK && out == 28, "LeNet-5: 32, F=5 gives 28");
    /* a filter as large as the padded input gives one output */
    nn_ok(nn_out_size("test", 3, 7, 1, 2, &out) == NN_OK && out == 1, "3 + 2*2 = 7 = F gives 1");

    nn_ok(nn_out_size("conv2d width", 5, 7, 1, 0, &out) == NN_ERR, "filter larger than the input is refused");
    nn_contains(nn_last_error(), "filter 7 is larger than the padded input 5", "message names the filter and the padded input");
    nn_contains(nn_last_error(), "pad by at least 1", "message suggests the padding that fixes it");
    nn_contains(nn_last_error(), "conv2d width", "message names the caller");
    nn_ok(nn_out_size("conv2d width", 5, 3, 0, 0, &out) == NN_ERR, "stride 0 is refused");
    nn_contains(nn_last_error(), "stride 0", "message names the stride");
    nn_ok(nn_out_size("conv2d width", 5, 3, -2, 0, &out) == NN_ERR, "negative stride is refused");
    nn_ok(nn_out_size("conv2d width", 5, 3, 1, -1, &out) == NN_ERR, "negative padding is refused");
    nn_contains(nn_last_error(), "padding -1", "message names the padding");
    nn_ok(nn_out_size("conv2d width", 5, 0, 1, 0, &out) == NN_ERR, "a 0 x 0 filter is refused");
    nn_ok(nn_out_size("conv2d width", 0, 1, 1, 0, &out) == NN_ERR, "an empty input is refused");

    nn_conv_dims d;
    nn_ok(nn_conv_dims_make(&d, 1, 3, 4, 4, 2, 5, 1, 0) == NN_ERR, "conv dims: 5x5 filter on 4x4 refused");
    nn_contains(nn_last_error(), "conv2d height", "message says which dimension");
    nn_ok(nn_conv_dims_make(&d, 1, 0, 4, 4, 2, 3, 1, 0) == NN_ERR, "conv dims: 0 channels refused");
    nn_ok(nn_conv_dims_make(&d, 2, 3, 7, 9, 4, 3, 2, 1) == NN_OK && d.H2 == 4 && d.W2 == 5,
          "conv dims: 7x9, F=3, S=2, P=1 gives 4x5");
    /* a hand-edited, inconsistent struct is caught by the kernels */
    float x[2 * 3 * 7 * 9] = {0}, w[4 * 3 * 3 * 3] = {0}, y[2 * 4 * 4 * 5];
    nn_conv_dims bad = d;
    bad.W2 = 6;
    nn_ok(nn_conv2d_forward(y, x, w, NULL, &bad) == NN_ERR, "forward refuses dims whose output size is wrong");
    nn_contains(nn_last_error(), "nn_conv_dims_make", "message says how to make the dims");
    bad = d;
    bad.S = 0;
    nn_ok(nn_conv2d_backward(NULL, w, NULL, y, x, w, &bad) == NN_ERR, "backward refuses stride 0");
    nn_ok(nn_conv2d_forward_naive(y, x, w, NULL, NULL) == NN_ERR, "naive forward refuses missing dims");
}

/* Deck 002, "The convolution operation": the 5x5 binary image, the 3x3
 * filter [[1,0,1],[0,1,0],[1,0,1]], slid one pixel at a time.  Worked by
 * hand: the first position covers rows 0-2, columns 0-2 and gives
 * 1+1 (corners of row 0) + 1 (centre) + 0+1 (corners of row 2) = 4, and so on. */
static void test_deck_example(void)
{
    static const float image[25] = {1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1,
                                    0, 0, 1, 1, 0, 0, 1, 1, 0, 0};
    static const float filter[9] = {1, 0, 1, 0, 1, 0, 1, 0, 1};
    static const float convolved[9] = {4, 3, 4, 2, 4, 3, 2, 3, 4};
    nn_conv_dims d;
    float out[9], out_naive[9];
    nn_ok(nn_conv_dims_make(&d, 1, 1, 5, 5, 1, 3, 1, 0) == NN_OK && d.H2 == 3 && d.W2 == 3,
          "deck 002: 5x5 image, 3x3 filter gives a 3x3 convolved feature");
    nn_conv2d_forward(out, image, filter, NULL, &d);
    nn_conv2d_forward_naive(out_naive, image, filter, NULL, &d);
    nn_is_close_floats(out, convolved, 9, 0, 0, "deck 002: fast conv gives the convolved feature [[4,3,4],[2,4,3],[2,3,4]]");
    nn_is_close_floats(out_naive, convolved, 9, 0, 0, "deck 002: naive conv gives the same");
    nn_is_close(out[0], 4, 0, 0, "deck 002: the first step of the slide is 4");
}

/* Deck 004: two hand-made 2x2 detectors with bias and ReLU, applied to all
 * 16 binary 2x2 patches [[a,b],[c,d]] (a batch of 16 one-channel images). */
static void test_foundations_detectors(void)
{
    float patches[16 * 4], out[16 * 2];
    for (int p = 0; p < 16; p++)
        for (int q = 0; q < 4; q++)
            patches[p * 4 + q] = (float)((p >> (3 - q)) & 1);   /* a b c d */
    static const float filters[2 * 4] = {-1, 1, -1, 1,     /* black-white vertical edge */
                                         -1, 1, -1, -1};   /* black L shape */
    static const float biases[2] = {-1, 0};
    nn_conv_dims d;
    nn_conv_dims_make(&d, 16, 1, 2, 2, 2, 2, 1, 0);
    nn_conv2d_forward(out, patches, filters, biases, &d);
    int edge_ok = 1, l_ok = 1, formula_ok = 1;
    for (int p = 0; p < 16; p++) {
        float a = patches[p * 4], b = patches[p * 4 + 1], c = patches[p * 4 + 2], e = patches[p * 4 + 3];
        float edge = fmaxf(0, out[p * 2]), l_shape = fmaxf(0, out[p * 2 + 1]);
        /* max(0, -a + b - c + d - 1) and max(0, -a + b - c - d), as the deck writes them */
        formula_ok &= edge == fmaxf(0, -a + b - c + e - 1) && l_shape == fmaxf(0, -a + b - c - e);
        int is_edge = a == 0 && b == 1 && c == 0 && e == 1;
        int is_l = a == 0 && b == 1 && c == 0 && e == 0;
        edge_ok &= (edge > 0) == is_edge;
        l_ok &= (l_shape > 0) == is_l;
    }
    nn_ok(formula_ok, "deck 004: conv + bias + ReLU equals the deck's max(0, ...) formulas on all 16 patches");
    nn_ok(edge_ok, "deck 004: the vertical-edge detector fires only on [[0,1],[0,1]]");
    nn_ok(l_ok, "deck 004: the L-shape detector fires only on [[0,1],[0,0]]");
}

/* Shapes for lib/convdirect.c, used by both tests below. */
#define DIRECT_SHAPES                                                                        \
    {3, 2, 9, 11, 5, 4, 1, 1}, {2, 3, 17, 19, 9, 5, 1, 2}, {2, 1, 40, 37, 17, 5, 1, 2},     \
    {11, 6, 14, 14, 16, 5, 1, 0}, {2, 5, 12, 10, 7, 6, 1, 3}, {3, 4, 9, 9, 3, 7, 1, 1},    \
    {1, 10, 8, 8, 20, 5, 1, 0}, {70, 1, 6, 6, 2, 5, 1, 2}, {2, 1, 28, 28, 6, 5, 1, 2},     \
    {3, 2, 7, 30, 1, 5, 1, 0},

/* The fast version equals the naive one, forward and backward, and backward
 * adds into what the gradient buffers already hold. */
static void test_fast_vs_naive(void)
{
    static const int shapes[][8] = {
        /* N C H W K F S P */
        {1, 1, 5, 5, 1, 3, 1, 0},   {2, 3, 7, 7, 4, 3, 1, 1},   {2, 2, 9, 8, 3, 3, 2, 1},
        {1, 4, 10, 10, 5, 1, 1, 0}, {2, 3, 11, 13, 2, 5, 3, 2}, {1, 2, 6, 6, 3, 1, 2, 1},
        {3, 8, 12, 12, 16, 3, 1, 1}, {2, 1, 28, 28, 6, 5, 1, 2}, {1, 6, 14, 14, 16, 5, 1, 0},
        {2, 5, 4, 4, 3, 6, 1, 1},   {1, 2, 9, 9, 2, 4, 3, 0},   {2, 16, 7, 7, 8, 3, 2, 1},
        /* 400 output pixels: groups of 2 images, the last group partial */
        {5, 2, 20, 20, 3, 3, 1, 1}, {64, 16, 5, 5, 12, 5, 1, 0},
        /* lib/convdirect.c (F 4..7, C F F <= 256): odd K around the vector
         * widths 8 and 16, W2 over 16 (split tiles), padding, F = 4, 6, 7,
         * C F F = 250, LeNet-5's conv2 over two groups of images, and
         * groups whose columns cross nn_gemm's K blocks of 256 */
        DIRECT_SHAPES
    };
    nn_rng rng = nn_rng_new(5);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int *v = shapes[s];
        nn_conv_dims d;
        if (nn_conv_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) != NN_OK)
            nn_tap_bail_out("shape %zu: %s", s, nn_last_error());
        size_t n_in = nn_conv_in_size(&d), n_out = nn_conv_out_size(&d), n_w = nn_conv_weight_size(&d);
        float *x = nn_floats(n_in), *w = nn_floats(n_w), *b = nn_floats((size_t)d.K);
        float *y = nn_floats(n_out), *y_ref = nn_floats(n_out), *g = nn_floats(n_out);
        float *dx = nn_floats(n_in), *dw = nn_floats(n_w), *db = nn_floats((size_t)d.K);
        float *dx_ref = nn_floats(n_in), *dw_ref = nn_floats(n_w), *db_ref = nn_floats((size_t)d.K);
        fill_normal(&rng, x, n_in, 1);
        fill_normal(&rng, w, n_w, 0.5);
        fill_normal(&rng, b, (size_t)d.K, 0.5);
        fill_normal(&rng, g, n_out, 1);
        /* both start from the same non-zero gradients: backward must add */
        fill_normal(&rng, dx, n_in, 1);
        fill_normal(&rng, dw, n_w, 1);
        fill_normal(&rng, db, (size_t)d.K, 1);
        nn_copy(dx_ref, dx, n_in);
        nn_copy(dw_ref, dw, n_w);
        nn_copy(db_ref, db, (size_t)d.K);
        char name[96];
        snprintf(name, sizeof name, "N%d C%d %dx%d K%d F%d S%d P%d", d.N, d.C, d.H, d.W, d.K, d.F, d.S, d.P);
        nn_conv2d_forward(y, x, w, b, &d);
        nn_conv2d_forward_naive(y_ref, x, w, b, &d);
        nn_is_close_floats(y, y_ref, n_out, FAST_NAIVE_RTOL, FAST_NAIVE_ATOL, "fast == naive forward, %s", name);
        nn_conv2d_backward(dx, dw, db, g, x, w, &d);
        nn_conv2d_backward_naive(dx_ref, dw_ref, db_ref, g, x, w, &d);
        nn_is_close_floats(dx, dx_ref, n_in, FAST_NAIVE_RTOL, FAST_NAIVE_ATOL, "fast == naive d_in (added), %s", name);
        nn_is_close_floats(dw, dw_ref, n_w, FAST_NAIVE_RTOL, FAST_NAIVE_ATOL, "fast == naive d_w (added), %s", name);
        nn_is_close_floats(db, db_ref, (size_t)d.K, FAST_NAIVE_RTOL, FAST_NAIVE_ATOL, "fast == naive d_b (added), %s", name);
        free(x); free(w); free(b); free(y); free(y_ref); free(g);
        free(dx); free(dw); free(db); free(dx_ref); free(dw_ref); free(db_ref);
    }

    /* NULL gradients are skipped; the others are still right. */
    nn_conv_dims d;
    nn_conv_dims_make(&d, 2, 3, 6, 6, 2, 3, 1, 1);
    size_t n_in = nn_conv_in_size(&d), n_out = nn_conv_out_size(&d), n_w = nn_conv_weight_size(&d);
    float *x = nn_floats(n_in), *w = nn_floats(n_w), *g = nn_floats(n_out);
    float *dx = nn_floats(n_in), *dx_ref = nn_floats(n_in);
    fill_normal(&rng, x, n_in, 1);
    fill_normal(&rng, w, n_w, 1);
    fill_normal(&rng, g, n_out, 1);
    nn_ok(nn_conv2d_backward(dx, NULL, NULL, g, x, w, &d) == NN_OK, "backward with only d_in requested");
    nn_conv2d_backward_naive(dx_ref, NULL, NULL, g, x, w, &d);
    nn_is_close_floats(dx, dx_ref, n_in, FAST_NAIVE_RTOL, FAST_NAIVE_ATOL, "d_in alone equals the naive d_in");
    free(x); free(w); free(g); free(dx); free(dx_ref);
}

/* Same bits from every way lib/conv.c can compute a layer: the direct
 * first-layer kernel (C = 1) and im2col + GEMM (NNLAB_CONV=gemm forces it),
 * nn_gemm's scalar path and the vector path of this CPU (the direct kernel
 * follows nn_gemm's choice), and 1 or 2 OpenMP threads.  memcmp, not a
 * tolerance: the kit promises the same bits on every machine. */
typedef struct {
    const char *what;
    void (*set)(int which);
    int not_winograd;   /* only shapes Winograd never takes (its bits differ from im2col's) */
} conv_setting;

static void set_conv_path(int which)
{
    if (which)
        setenv("NNLAB_CONV", "gemm", 1);
    else
        unsetenv("NNLAB_CONV");
}

static void set_gemm_path(int which)
{
    if (nn_gemm_use_path(which ? "scalar" : "auto") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
}

/* 1 when nn_gemm (and so lib/convdirect.c) can take this path here. */
static int cpu_path(const char *name)
{
    const int ok = nn_gemm_use_path(name) == NN_OK;
    nn_clear_error();
    nn_gemm_use_path("auto");
    return ok;
}

static void set_avx2_or_scalar(int which)
{
    if (nn_gemm_use_path(which ? "scalar" : "avx2") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
}

static void set_avx512_or_avx2(int which)
{
    if (nn_gemm_use_path(which ? "avx2" : "avx512") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
}

static void set_threads(int which)
{
    setenv("OMP_NUM_THREADS", which ? "2" : "1", 1);
#if defined(_OPENMP)
    omp_set_num_threads(which ? 2 : 1);
#endif
}

/* Forward and backward of one shape under setting 0 and setting 1. */
static int conv_same_bits(const int *v, void (*set)(int which))
{
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    size_t n_in = nn_conv_in_size(&d), n_out = nn_conv_out_size(&d), n_w = nn_conv_weight_size(&d);
    nn_rng rng = nn_rng_new(17);
    float *x = nn_floats(n_in), *w = nn_floats(n_w), *b = nn_floats((size_t)d.K), *g = nn_floats(n_out);
    fill_normal(&rng, x, n_in, 1);
    fill_normal(&rng, w, n_w, 0.5);
    fill_normal(&rng, b, (size_t)d.K, 0.5);
    fill_normal(&rng, g, n_out, 1);
    float *y[2], *dx[2], *dw[2], *db[2];
    for (int s = 0; s < 2; s++) {
        y[s] = nn_floats(n_out);
        dx[s] = nn_floats(n_in);
        dw[s] = nn_floats(n_w);
        db[s] = nn_floats((size_t)d.K);
        set(s);
        nn_conv2d_forward(y[s], x, w, b, &d);
        nn_conv2d_backward(dx[s], dw[s], db[s], g, x, w, &d);
    }
    set(0);
    int same = !memcmp(y[0], y[1], sizeof(float) * n_out) && !memcmp(dx[0], dx[1], sizeof(float) * n_in) &&
               !memcmp(dw[0], dw[1], sizeof(float) * n_w) && !memcmp(db[0], db[1], sizeof(float) * d.K);
    if (!same)
        nn_diag("N%d C%d %dx%d K%d F%d S%d P%d: results differ", d.N, d.C, d.H, d.W, d.K, d.F, d.S, d.P);
    for (int s = 0; s < 2; s++) {
        free(y[s]); free(dx[s]); free(dw[s]); free(db[s]);
    }
    free(x); free(w); free(b); free(g);
    return same;
}

static void test_same_bits(void)
{
    /* First layers (C = 1: the direct kernel) of LeNet-5 and the two-conv
     * net, odd sizes (W2 over one block of 32 columns, odd K), and layers
     * with C > 1 (im2col + GEMM, grouped and not). */
    static const int shapes[][8] = {
        {3, 1, 28, 28, 6, 5, 1, 2}, {2, 1, 28, 28, 32, 3, 1, 1}, {2, 1, 40, 37, 3, 3, 1, 1},
        {1, 1, 9, 9, 5, 5, 1, 2},   {1, 1, 5, 5, 1, 3, 1, 0},    {3, 6, 14, 14, 16, 5, 1, 0},
        {5, 32, 14, 14, 64, 3, 1, 1}, {2, 3, 11, 13, 2, 5, 3, 2},
        DIRECT_SHAPES
    };
    static const conv_setting settings[] = {
        {"the direct kernels and im2col + GEMM", set_conv_path, 1},
        {"the vector and the scalar path", set_gemm_path, 0},
        {"the AVX2 and the scalar path", set_avx2_or_scalar, 0},
        {"the AVX-512 and the AVX2 path", set_avx512_or_avx2, 0},
        {"1 and 2 threads", set_threads, 0},
    };
    /* (Layers with C > 1 and 3 x 3 filters may go to Winograd, whose bits
     * differ from im2col's: tests/lib/test-winograd.c checks those.) */
    for (size_t t = 0; t < sizeof settings / sizeof settings[0]; t++) {
        if ((settings[t].set == set_avx2_or_scalar && !cpu_path("avx2")) ||
            (settings[t].set == set_avx512_or_avx2 && !cpu_path("avx512"))) {
            nn_skip("this CPU does not have both paths", "conv2d: %s give the same bits",
                    settings[t].what);
            continue;
        }
        int all = 1, n = 0;
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            const int *sh = shapes[s];
            if (settings[t].not_winograd && sh[1] > 1 && sh[5] == 3 && sh[6] == 1 && sh[7] == 1)
                continue;
            all &= conv_same_bits(shapes[s], settings[t].set);
            n++;
        }
        nn_ok(all, "conv2d forward and backward: %s give the same bits (memcmp) on %d shapes",
              settings[t].what, n);
        nn_gemm_use_path("auto");
    }
    unsetenv("OMP_NUM_THREADS");
}

/* Central differences: L = sum(out * g) for a fixed random g, so
 * dL/d out = g and the analytic gradients are one backward call. */
typedef struct {
    const nn_conv_dims *d;
    float *x, *w, *b, *g, *y;
} conv_problem;

static double conv_loss(void *ctx)
{
    conv_problem *pb = ctx;
    nn_conv2d_forward(pb->y, pb->x, pb->w, pb->b, pb->d);
    size_t n = nn_conv_out_size(pb->d);
    double loss = 0;
    for (size_t i = 0; i < n; i++)
        loss += (double)pb->y[i] * pb->g[i];
    return loss;
}

static void test_gradcheck(void)
{
    static const int shapes[][8] = {
        {2, 2, 5, 5, 3, 3, 1, 1}, {1, 3, 7, 6, 2, 3, 2, 0}, {2, 2, 6, 7, 2, 2, 3, 2}, {1, 2, 4, 4, 2, 1, 1, 0},
    };
    nn_rng rng = nn_rng_new(11);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int *v = shapes[s];
        nn_conv_dims d;
        nn_conv_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        size_t n_in = nn_conv_in_size(&d), n_out = nn_conv_out_size(&d), n_w = nn_conv_weight_size(&d);
        conv_problem pb = {&d, nn_floats(n_in), nn_floats(n_w), nn_floats((size_t)d.K),
                           nn_floats(n_out), nn_floats(n_out)};
        fill_normal(&rng, pb.x, n_in, 1);
        fill_normal(&rng, pb.w, n_w, 0.5);
        fill_normal(&rng, pb.b, (size_t)d.K, 0.5);
        fill_normal(&rng, pb.g, n_out, 1);
        float *dx = nn_floats(n_in), *dw = nn_floats(n_w), *db = nn_floats((size_t)d.K);
        nn_conv2d_backward(dx, dw, db, pb.g, pb.x, pb.w, &d);
        char name[96];
        snprintf(name, sizeof name, "N%d C%d %dx%d K%d F%d S%d P%d", d.N, d.C, d.H, d.W, d.K, d.F, d.S, d.P);
        char what[128];
        snprintf(what, sizeof what, "gradcheck d_in, %s", name);
        nn_gradcheck_floats(what, conv_loss, &pb, pb.x, dx, n_in, GRADCHECK_EPS, GRADCHECK_TOL);
        snprintf(what, sizeof what, "gradcheck d_w, %s", name);
        nn_gradcheck_floats(what, conv_loss, &pb, pb.w, dw, n_w, GRADCHECK_EPS, GRADCHECK_TOL);
        snprintf(what, sizeof what, "gradcheck d_b, %s", name);
        nn_gradcheck_floats(what, conv_loss, &pb, pb.b, db, (size_t)d.K, GRADCHECK_EPS, GRADCHECK_TOL);
        free(pb.x); free(pb.w); free(pb.b); free(pb.g); free(pb.y);
        free(dx); free(dw); free(db);
    }
}

/* PyTorch's F.conv2d and its autograd, case by case. */
static void test_pytorch(void)
{
    const char *file = "tests/ch05/conv_reference.txt";
    FILE *f = ref_open(file);
    ref_case rc;
    int cases = 0;
    while (ref_next(f, &rc, 8, file)) {
        const int *v = rc.ints;
        nn_conv_dims d;
        if (nn_conv_dims_make(&d, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]) != NN_OK)
            nn_tap_bail_out("%s: case %s: %s", file, rc.kind, nn_last_error());
        size_t n_x, n_w, n_out;
        float *x = ref_array(&rc, "x", &n_x), *w = ref_array(&rc, "w", &n_w), *b = ref_array(&rc, "b", NULL);
        float *g = ref_array(&rc, "g", &n_out), *want = ref_array(&rc, "out", NULL);
        if (n_x != nn_conv_in_size(&d) || n_w != nn_conv_weight_size(&d) || n_out != nn_conv_out_size(&d))
            nn_tap_bail_out("%s: case %s: array sizes do not match the shape (PyTorch's output "
                            "size rule differs from nn_out_size?)", file, rc.kind);
        float *y = nn_floats(n_out), *dx = nn_floats(n_x), *dw = nn_floats(n_w), *db = nn_floats((size_t)d.K);
        nn_conv2d_forward(y, x, w, b, &d);
        nn_is_close_floats(y, want, n_out, TORCH_OUT_RTOL, TORCH_OUT_ATOL, "PyTorch conv2d forward, %s", rc.kind);
        nn_conv2d_backward(dx, dw, db, g, x, w, &d);
        nn_is_close_floats(dx, ref_array(&rc, "d_in", NULL), n_x, TORCH_OUT_RTOL, TORCH_DIN_ATOL,
                           "PyTorch conv2d d_in, %s", rc.kind);
        nn_is_close_floats(dw, ref_array(&rc, "d_w", NULL), n_w, TORCH_OUT_RTOL, TORCH_DW_ATOL,
                           "PyTorch conv2d d_w, %s", rc.kind);
        nn_is_close_floats(db, ref_array(&rc, "d_b", NULL), (size_t)d.K, TORCH_OUT_RTOL, TORCH_DB_ATOL,
                           "PyTorch conv2d d_b, %s", rc.kind);
        free(y); free(dx); free(dw); free(db);
        ref_case_free(&rc);
        cases++;
    }
    fclose(f);
    nn_ok(cases >= 15, "read %d PyTorch reference cases", cases);
}

int main(void)
{
    nn_tap_timeout(120);
    test_output_size();
    test_deck_example();
    test_foundations_detectors();
    test_fast_vs_naive();
    test_same_bits();
    test_gradcheck();
    test_pytorch();
    return nn_tap_done();
}
