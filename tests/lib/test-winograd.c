/* test-winograd.c: the Winograd F(2x2, 3x3) path of conv2d (lib/winograd.c)
 * against the naive reference on many shapes (odd sizes, partial tiles,
 * channel counts that are not multiples of 8, one and three images), and
 * the same bits from every path this CPU can run and from 1 and 2 threads.
 * NNLAB_CONV=winograd forces it on every 3 x 3, stride 1, padding 1 layer;
 * NNLAB_CONV=gemm forces im2col + GEMM. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include "nnlab.h"

/* Tolerances against the naive reference (a double loop).  Winograd sums
 * the same products in another basis: the input transform adds up to 4
 * inputs, the filter transform up to 9 weights (halved), and the output
 * transform 9 products' sums, so each output carries a few float roundings
 * of numbers a few times larger than the inputs, times the length of the
 * sum (9 C terms forward, 9 K for d_in, N H W for d_w).  With inputs ~ 1
 * and weights ~ 0.5 the largest errors measured on the shapes below were
 * 1.0e-5 forward and 1.7e-5 for d_in (both on 32 x 14 x 14 -> 64) and
 * 6.9e-5 for d_w (N H W = 3 x 30 x 29); the tolerances leave a factor of 6
 * or more (im2col + GEMM's own test allows 1e-4 on all three). */
#define WINO_OUT_RTOL 1e-5
#define WINO_OUT_ATOL 1e-4
#define WINO_DIN_ATOL 1e-4
#define WINO_DW_RTOL 1e-5
#define WINO_DW_ATOL 5e-4
#define WINO_DB_ATOL 1e-4

static void fill_normal(nn_rng *rng, float *x, size_t n, double scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(scale * nn_rng_normal(rng));
}

typedef struct {
    nn_conv_dims d;
    size_t n_in, n_out, n_w;
    float *x, *w, *b, *g;
} problem;

static problem make_problem(int N, int C, int H, int W, int K, unsigned seed)
{
    problem p;
    if (nn_conv_dims_make(&p.d, N, C, H, W, K, 3, 1, 1) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    p.n_in = nn_conv_in_size(&p.d), p.n_out = nn_conv_out_size(&p.d), p.n_w = nn_conv_weight_size(&p.d);
    nn_rng rng = nn_rng_new(seed);
    p.x = nn_floats(p.n_in), p.w = nn_floats(p.n_w), p.b = nn_floats((size_t)K), p.g = nn_floats(p.n_out);
    fill_normal(&rng, p.x, p.n_in, 1);
    fill_normal(&rng, p.w, p.n_w, 0.5);
    fill_normal(&rng, p.b, (size_t)K, 0.5);
    fill_normal(&rng, p.g, p.n_out, 1);
    return p;
}

static void free_problem(problem *p)
{
    free(p->x); free(p->w); free(p->b); free(p->g);
}

/* One forward and backward, into y, dx, dw, db (the gradients start at
 * `start`, so the test sees that backward adds). */
typedef struct {
    float *y, *dx, *dw, *db;
} result;

static result run(const problem *p, float start)
{
    result r = {nn_floats(p->n_out), nn_floats(p->n_in), nn_floats(p->n_w), nn_floats((size_t)p->d.K)};
    for (size_t i = 0; i < p->n_in; i++)
        r.dx[i] = start;
    for (size_t i = 0; i < p->n_w; i++)
        r.dw[i] = start;
    for (int k = 0; k < p->d.K; k++)
        r.db[k] = start;
    if (nn_conv2d_forward(r.y, p->x, p->w, p->b, &p->d) != NN_OK ||
        nn_conv2d_backward(r.dx, r.dw, r.db, p->g, p->x, p->w, &p->d) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    return r;
}

static result run_naive(const problem *p, float start)
{
    result r = {nn_floats(p->n_out), nn_floats(p->n_in), nn_floats(p->n_w), nn_floats((size_t)p->d.K)};
    for (size_t i = 0; i < p->n_in; i++)
        r.dx[i] = start;
    for (size_t i = 0; i < p->n_w; i++)
        r.dw[i] = start;
    for (int k = 0; k < p->d.K; k++)
        r.db[k] = start;
    nn_conv2d_forward_naive(r.y, p->x, p->w, p->b, &p->d);
    nn_conv2d_backward_naive(r.dx, r.dw, r.db, p->g, p->x, p->w, &p->d);
    return r;
}

static void free_result(result *r)
{
    free(r->y); free(r->dx); free(r->dw); free(r->db);
}

static int same_bits(const problem *p, const result *a, const result *b)
{
    return !memcmp(a->y, b->y, sizeof(float) * p->n_out) && !memcmp(a->dx, b->dx, sizeof(float) * p->n_in) &&
           !memcmp(a->dw, b->dw, sizeof(float) * p->n_w) && !memcmp(a->db, b->db, sizeof(float) * p->d.K);
}

/* N C H W K: odd and even sizes (partial tiles at the bottom and the right),
 * images smaller than a tile, rows of more than 8 tiles (two vectors),
 * channels not multiples of 8, and the two-conv net's second layer; and
 * narrow images with an even number of tile rows (4 x 2, 6 x 1), where the
 * AVX-512 path's 16-lane stores run furthest past a channel's tiles (14
 * floats: winograd.c's SPARE). */
static const int shapes[][5] = {
    {1, 1, 1, 1, 1},    {1, 3, 2, 2, 2},    {3, 5, 5, 5, 7},     {1, 9, 7, 7, 13},
    {3, 7, 13, 13, 5},  {1, 11, 14, 14, 17}, {3, 6, 15, 15, 10}, {1, 13, 5, 14, 3},
    {3, 4, 14, 5, 9},   {1, 3, 17, 19, 4},  {3, 2, 30, 29, 3},   {1, 40, 6, 6, 33},
    {3, 32, 14, 14, 64}, {11, 3, 9, 9, 2},  {3, 3, 4, 2, 5},     {3, 3, 6, 1, 5},
};
enum { N_SHAPES = sizeof shapes / sizeof shapes[0] };

static void test_against_naive(void)
{
    setenv("NNLAB_CONV", "winograd", 1);
    for (int s = 0; s < N_SHAPES; s++) {
        const int *v = shapes[s];
        problem p = make_problem(v[0], v[1], v[2], v[3], v[4], 100 + s);
        result fast = run(&p, 0.25f), ref = run_naive(&p, 0.25f);
        char name[64];
        snprintf(name, sizeof name, "N%d C%d %dx%d K%d", v[0], v[1], v[2], v[3], v[4]);
        /* The first layer (C = 1) keeps its direct kernel forward; its
         * backward is Winograd like the rest. */
        nn_is_close_floats(fast.y, ref.y, p.n_out, WINO_OUT_RTOL, WINO_OUT_ATOL, "winograd forward == naive, %s", name);
        nn_is_close_floats(fast.dx, ref.dx, p.n_in, WINO_OUT_RTOL, WINO_DIN_ATOL, "winograd d_in == naive (added), %s", name);
        nn_is_close_floats(fast.dw, ref.dw, p.n_w, WINO_DW_RTOL, WINO_DW_ATOL, "winograd d_w == naive (added), %s", name);
        nn_is_close_floats(fast.db, ref.db, (size_t)p.d.K, WINO_OUT_RTOL, WINO_DB_ATOL, "d_b == naive (added), %s", name);
        free_result(&fast);
        free_result(&ref);
        free_problem(&p);
    }
    unsetenv("NNLAB_CONV");
}

/* Forward and backward of every shape under setting 0 and setting 1, memcmp. */
static int all_same_bits(void (*set)(int which))
{
    int all = 1;
    for (int s = 0; s < N_SHAPES; s++) {
        const int *v = shapes[s];
        problem p = make_problem(v[0], v[1], v[2], v[3], v[4], 200 + s);
        set(0);
        result a = run(&p, 0.0f);
        set(1);
        result b = run(&p, 0.0f);
        set(0);
        if (!same_bits(&p, &a, &b)) {
            nn_diag("N%d C%d %dx%d K%d: results differ", v[0], v[1], v[2], v[3], v[4]);
            all = 0;
        }
        free_result(&a);
        free_result(&b);
        free_problem(&p);
    }
    return all;
}

static void set_gemm_scalar(int which)
{
    if (nn_gemm_use_path(which ? "scalar" : "auto") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
}

static void set_gemm_avx2(int which)
{
    if (nn_gemm_use_path(which ? "avx2" : "auto") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
}

static void set_threads(int which)
{
    setenv("OMP_NUM_THREADS", which ? "2" : "1", 1);
#if defined(_OPENMP)
    omp_set_num_threads(which ? 2 : 1);
#endif
}

static void test_same_bits(void)
{
    setenv("NNLAB_CONV", "winograd", 1);
    /* scalar: nn_gemm's scalar path and the transforms' scalar loops */
    nn_ok(all_same_bits(set_gemm_scalar),
          "winograd: the vector (%s) and the scalar path give the same bits on %d shapes",
          nn_gemm_path(), N_SHAPES);
    if (nn_gemm_use_path("avx2") == NN_OK && nn_gemm_use_path("avx512") == NN_OK) {
        nn_gemm_use_path("auto");
        nn_ok(all_same_bits(set_gemm_avx2), "winograd: the avx512 path (GEMM, two-row transforms) and the avx2 path give the same bits on %d shapes",
              N_SHAPES);
    } else {
        nn_gemm_use_path("auto");
        nn_skip("this CPU has no AVX-512", "winograd: the avx512 path and the avx2 path give the same bits");
    }
    nn_ok(all_same_bits(set_threads), "winograd: 1 and 2 threads give the same bits on %d shapes", N_SHAPES);
    unsetenv("OMP_NUM_THREADS");
    unsetenv("NNLAB_CONV");
}

/* NNLAB_CONV picks the algorithm: auto takes Winograd for the two-conv net's
 * second layer (the bits of NNLAB_CONV=winograd), im2col + GEMM for a layer
 * with few channels (the bits of NNLAB_CONV=gemm), and gemm really is
 * another computation (other bits) on the large one. */
static void test_selection(void)
{
    problem big = make_problem(2, 32, 14, 14, 64, 7), small = make_problem(2, 8, 14, 14, 16, 8);
    result r[3];
    const char *modes[3] = {"auto", "winograd", "gemm"};
    for (int m = 0; m < 3; m++) {
        setenv("NNLAB_CONV", modes[m], 1);
        r[m] = run(&big, 0.0f);
    }
    nn_ok(same_bits(&big, &r[0], &r[1]), "auto uses Winograd on 32 x 14 x 14 -> 64 (forward, d_in and d_w)");
    nn_ok(memcmp(r[0].y, r[2].y, sizeof(float) * big.n_out) != 0 &&
          memcmp(r[0].dx, r[2].dx, sizeof(float) * big.n_in) != 0 &&
          memcmp(r[0].dw, r[2].dw, sizeof(float) * big.n_w) != 0,
          "NNLAB_CONV=gemm computes 32 x 14 x 14 -> 64 another way (other bits)");
    for (int m = 0; m < 3; m++)
        free_result(&r[m]);
    for (int m = 0; m < 3; m++) {
        setenv("NNLAB_CONV", modes[m], 1);
        r[m] = run(&small, 0.0f);
    }
    nn_ok(same_bits(&small, &r[0], &r[2]), "auto uses im2col + GEMM on 8 x 14 x 14 -> 16 (Winograd does not pay)");
    nn_ok(!same_bits(&small, &r[0], &r[1]), "NNLAB_CONV=winograd forces Winograd on 8 x 14 x 14 -> 16");
    for (int m = 0; m < 3; m++)
        free_result(&r[m]);
    unsetenv("NNLAB_CONV");
    free_problem(&big);
    free_problem(&small);
}

int main(void)
{
    nn_tap_timeout(120);
    test_against_naive();
    test_same_bits();
    test_selection();
    return nn_tap_done();
}
