/* test-gemm.c: the blocked nn_gemm against the naive triple loop, a
 * hand-worked 2x2 product, and the determinism promise: every code path
 * this CPU can run (scalar, AVX2, AVX-512) gives the same bits as the
 * sequence of fused multiply-adds lib/gemm.c documents, written out again
 * here, and 1, 2 or 3 threads give the same bits.
 *
 * Dimension letters as in nn_gemm.h: op(A) (M, K), op(B) (K, N), C (M, N).
 *
 * Tolerance.  nn_gemm_naive sums in double and rounds once; nn_gemm sums K
 * float products by fused multiply-adds, rounding once per term, in blocks
 * of KC whose sums are then scaled by alpha and added to beta C.  The standard bound for a
 * float sum of K products (Higham, Accuracy and Stability of Numerical
 * Algorithms, eq. 3.5) is |error| <= K u sum_k |a_ik b_kj| + O(u^2), with
 * u = 2^-24 the unit roundoff of float.  The blocking, alpha, beta and the
 * naive result's own final rounding add a few more roundings, so each
 * element is checked against
 *
 *     |got - want| <= (K + SLACK_ROUNDINGS) u (|alpha| sum_k |a_ik b_kj| + |beta c_ij|)
 *
 * where the bracket is computed by nn_gemm_naive on |A|, |B|, |C|.  It is
 * a per-element bound, with teeth: a dropped, repeated or misplaced term
 * changes an element by about |a_ik b_kj|, far above K u times the sum for
 * every shape here. */
#include <config.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "test-child.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

#define UNIT_ROUNDOFF 0x1p-24
enum { SLACK_ROUNDINGS = 6 };
/* The value written into every padding element; it must survive. */
#define PAD_SENTINEL -1234.5f

static nn_rng rng;

static float uniform_pm1(void) { return (float)(2.0 * nn_rng_uniform(&rng) - 1.0); }

/* A matrix stored with a row stride ld >= its columns: the padding columns
 * hold PAD_SENTINEL. */
typedef struct {
    int rows, cols, ld;
    float *data;
} stored;

static stored stored_new(int rows, int cols, int pad)
{
    stored s = {rows, cols, cols + pad, NULL};
    size_t n = (size_t)(rows > 0 ? rows : 1) * (size_t)(s.ld > 0 ? s.ld : 1);
    s.data = nn_floats(n);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < s.ld; c++)
            s.data[(size_t)r * s.ld + c] = c < cols ? uniform_pm1() : PAD_SENTINEL;
    return s;
}

static size_t stored_size(const stored *s) { return (size_t)(s->rows > 0 ? s->rows : 1) * (size_t)(s->ld > 0 ? s->ld : 1); }

static void abs_copy(float *dst, const float *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = fabsf(src[i]);
}

typedef struct {
    int M, N, K;
} dims;

/* One comparison of nn_gemm with nn_gemm_naive: op(A), op(B), C stored as
 * sub-matrices of wider arrays (row strides lda, ldb, ldc larger than the
 * rows by `pad`), C filled with NaN when beta == 0 (it must not be read).
 * Checks every element against the bound above and every padding element of
 * C for the sentinel.  Returns 1 when it passed. */
static int check_against_naive(int trans_a, int trans_b, dims d, float alpha, float beta,
                               int pad)
{
    const int M = d.M, N = d.N, K = d.K;
    stored A = trans_a ? stored_new(K, M, pad) : stored_new(M, K, pad);
    stored B = trans_b ? stored_new(N, K, pad + 1) : stored_new(K, N, pad + 1);
    stored C = stored_new(M, N, pad + 2);
    if (beta == 0.0f)
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C.data[(size_t)i * C.ld + j] = NAN;
    size_t nA = stored_size(&A), nB = stored_size(&B), nC = stored_size(&C);

    float *want = nn_floats(nC), *bound = nn_floats(nC);
    float *absA = nn_floats(nA), *absB = nn_floats(nB);
    nn_copy(want, C.data, nC);
    abs_copy(absA, A.data, nA);
    abs_copy(absB, B.data, nB);
    abs_copy(bound, C.data, nC);

    nn_gemm(trans_a, trans_b, M, N, K, alpha, A.data, A.ld, B.data, B.ld, beta, C.data, C.ld);
    nn_gemm_naive(trans_a, trans_b, M, N, K, alpha, A.data, A.ld, B.data, B.ld, beta, want, C.ld);
    nn_gemm_naive(trans_a, trans_b, M, N, K, fabsf(alpha), absA, A.ld, absB, B.ld, fabsf(beta),
                  bound, C.ld);

    int bad = 0, pad_bad = 0, worst_i = 0, worst_j = 0;
    double worst_ratio = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < C.ld; j++) {
            size_t at = (size_t)i * C.ld + j;
            if (j >= N) {
                pad_bad += memcmp(&C.data[at], &(float){PAD_SENTINEL}, sizeof(float)) != 0;
                continue;
            }
            double err = fabs((double)C.data[at] - want[at]);
            double tol = (K + SLACK_ROUNDINGS) * UNIT_ROUNDOFF * bound[at];
            double ratio = tol > 0 ? err / tol : (err > 0 ? INFINITY : 0);
            if (!(err <= tol) || !isfinite(C.data[at])) {
                bad++;
                ratio = INFINITY;
            }
            if (ratio >= worst_ratio) {
                worst_ratio = ratio;
                worst_i = i;
                worst_j = j;
            }
        }
    int passed = nn_ok(bad == 0 && pad_bad == 0,
                       "%c%c M=%d N=%d K=%d alpha=%g beta=%g%s pad=%d: matches naive within "
                       "(K+%d) u sum|a b|",
                       trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', M, N, K, alpha, beta,
                       beta == 0.0f ? " (C was NaN)" : "", pad, SLACK_ROUNDINGS);
    if (!passed) {
        size_t at = (size_t)worst_i * C.ld + worst_j;
        nn_diag("%d elements out of bound, %d padding elements overwritten", bad, pad_bad);
        if (M > 0 && N > 0)
            nn_diag("worst C[%d][%d]: got %.9g, want %.9g, bound %.3g", worst_i, worst_j,
                    C.data[at], want[at], (K + SLACK_ROUNDINGS) * UNIT_ROUNDOFF * bound[at]);
    }
    free(A.data);
    free(B.data);
    free(C.data);
    free(want);
    free(bound);
    free(absA);
    free(absB);
    return passed;
}

/* A x B = [1 2; 3 4] [5 6; 7 8], worked by hand in each transpose layout:
 *   A   B   = [19 22; 43 50]      A^T B   = [26 30; 38 44]
 *   A   B^T = [17 23; 39 53]      A^T B^T = (B A)^T = [23 31; 34 46]
 * and with alpha = 2, beta = -1 over C = [1 1; 1 1]: 2 A B - 1 = [37 43; 85 99].
 * Small integers, so every float operation is exact and the check is ==. */
static void hand_worked_2x2(void)
{
    const float A[4] = {1, 2, 3, 4}, B[4] = {5, 6, 7, 8};
    static const float want[4][4] = {
        {19, 22, 43, 50}, {17, 23, 39, 53}, {26, 30, 38, 44}, {23, 31, 34, 46}};
    static const char *const names[4] = {"A B", "A B^T", "A^T B", "A^T B^T"};
    for (int t = 0; t < 4; t++) {
        float C[4] = {NAN, NAN, NAN, NAN};
        nn_gemm(t >> 1, t & 1, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
        nn_ok(!memcmp(C, want[t], sizeof C), "2x2 by hand: %s = [%g %g; %g %g]", names[t],
              want[t][0], want[t][1], want[t][2], want[t][3]);
    }
    float C[4] = {1, 1, 1, 1};
    const float scaled[4] = {37, 43, 85, 99};
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 2, 2, 2, 2.0f, A, 2, B, 2, -1.0f, C, 2);
    nn_ok(!memcmp(C, scaled, sizeof C), "2x2 by hand: 2 A B - [1 1; 1 1] = [37 43; 85 99] "
          "(got [%g %g; %g %g])", C[0], C[1], C[2], C[3]);
}

/* Degenerate sizes: M = 0 or N = 0 leaves C alone; K = 0 or alpha = 0
 * means C = beta C, and with beta = 0 zeros over NaN. */
static void degenerate_sizes(void)
{
    float A[6] = {1, 2, 3, 4, 5, 6}, B[6] = {1, 2, 3, 4, 5, 6};
    float C[4] = {1, 2, 3, 4};
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 0, 2, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 2, 0, 3, 1.0f, A, 3, B, 2, 0.0f, C, 2);
    nn_ok(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4, "M = 0 or N = 0 leaves C untouched");
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 2, 2, 0, 1.0f, A, 1, B, 2, 0.5f, C, 2);
    nn_ok(C[0] == 0.5f && C[1] == 1 && C[2] == 1.5f && C[3] == 2, "K = 0 gives C = beta C");
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 2, 2, 3, 0.0f, A, 3, B, 2, 2.0f, C, 2);
    nn_ok(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4, "alpha = 0 gives C = beta C");
    float D[4] = {NAN, NAN, NAN, NAN};
    nn_gemm(NN_NO_TRANS, NN_NO_TRANS, 2, 2, 0, 1.0f, A, 1, B, 2, 0.0f, D, 2);
    nn_ok(D[0] == 0 && D[1] == 0 && D[2] == 0 && D[3] == 0, "K = 0, beta = 0 over NaN gives zeros");
}

/* Fill a fresh (M x N) product of random op(A), op(B) for the bitwise
 * checks; returns C, caller frees. */
typedef struct {
    int trans_a, trans_b;
    dims d;
    float beta;
    float *A, *B, *C0;
} product;

static product product_new(int trans_a, int trans_b, dims d, float beta)
{
    product p = {trans_a, trans_b, d, beta, NULL, NULL, NULL};
    size_t nA = (size_t)d.M * d.K, nB = (size_t)d.K * d.N, nC = (size_t)d.M * d.N;
    p.A = nn_floats(nA);
    p.B = nn_floats(nB);
    p.C0 = nn_floats(nC);
    for (size_t i = 0; i < nA; i++)
        p.A[i] = uniform_pm1();
    for (size_t i = 0; i < nB; i++)
        p.B[i] = uniform_pm1();
    for (size_t i = 0; i < nC; i++)
        p.C0[i] = uniform_pm1();
    return p;
}

static float *product_run(const product *p)
{
    size_t nC = (size_t)p->d.M * p->d.N;
    float *C = nn_floats(nC);
    nn_copy(C, p->C0, nC);
    int lda = p->trans_a ? p->d.M : p->d.K, ldb = p->trans_b ? p->d.K : p->d.N;
    nn_gemm(p->trans_a, p->trans_b, p->d.M, p->d.N, p->d.K, 0.75f, p->A, lda, p->B, ldb, p->beta,
            C, p->d.N);
    return C;
}

static void product_free(product *p)
{
    free(p->A);
    free(p->B);
    free(p->C0);
}

/* Same bits from two runs under two settings (paths or thread counts). */
typedef void (*setting_fn)(int which);

/* Odd shapes for the bitwise checks, chosen to take every branch of
 * lib/gemm.c's driver: M, N and K that are no multiple of the blocks
 * (MR = 6, NR = 16, KC = 256, MC = 96), K over several K blocks, and each
 * way of reading the operands (B is packed when it is transposed or
 * M >= 96 and read in place otherwise; A is read in place, its bottom edge
 * packed). */
static const dims odd_shapes[] = {{97, 131, 600}, {64, 256, 784}, {5, 3100, 3}, {33, 17, 1},
                                  {130, 21, 300}, {7, 49, 513},   {101, 35, 257}};
enum { N_ODD_SHAPES = sizeof odd_shapes / sizeof odd_shapes[0] };

static int same_bits_under(setting_fn set, const char *what)
{
    const dims *shapes = odd_shapes;
    int all_same = 1;
    for (size_t s = 0; s < N_ODD_SHAPES; s++)
        for (int t = 0; t < 4; t++) {
            product p = product_new(t >> 1, t & 1, shapes[s], t == 2 ? 0.0f : t == 3 ? -0.5f : 1.0f);
            set(0);
            float *first = product_run(&p);
            set(1);
            float *second = product_run(&p);
            size_t n = (size_t)shapes[s].M * shapes[s].N;
            if (memcmp(first, second, n * sizeof(float))) {
                nn_diag("%s: %dx%dx%d, transposes %d: results differ", what, shapes[s].M,
                        shapes[s].N, shapes[s].K, t);
                all_same = 0;
            }
            free(first);
            free(second);
            product_free(&p);
        }
    return all_same;
}

static void set_nothing(int which) { (void)which; }

/* The documented sequence for one element (lib/gemm.c, "Same bits on
 * every machine"), written out independently of lib/gemm.c: K blocks of
 * 256, acc = fma(a, b, acc) in k order within a block, then alpha acc
 * (first block, beta 0), fma(alpha, acc, beta c) (first block) or
 * fma(alpha, acc, c) (later blocks). */
enum { SPEC_KC = 256 };

static float *spec_run(const product *p)
{
    const int M = p->d.M, N = p->d.N, K = p->d.K;
    const int lda = p->trans_a ? M : K, ldb = p->trans_b ? K : N;
    const float alpha = 0.75f;
    float *C = nn_floats((size_t)M * N);
    nn_copy(C, p->C0, (size_t)M * N);
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float c = C[(size_t)i * N + j];
            for (int k0 = 0; k0 < K; k0 += SPEC_KC) {
                float acc = 0.0f;
                for (int k = k0; k < K && k < k0 + SPEC_KC; k++) {
                    float a = p->trans_a ? p->A[(size_t)k * lda + i] : p->A[(size_t)i * lda + k];
                    float b = p->trans_b ? p->B[(size_t)j * ldb + k] : p->B[(size_t)k * ldb + j];
                    acc = fmaf(a, b, acc);
                }
                if (k0 == 0 && p->beta == 0.0f)
                    c = alpha * acc;
                else if (k0 == 0)
                    c = fmaf(alpha, acc, p->beta * c);
                else
                    c = fmaf(alpha, acc, c);
            }
            C[(size_t)i * N + j] = c;
        }
    return C;
}

/* Every path against the spec, bit for bit. */
static int path_matches_spec(const char *path)
{
    int all_same = 1;
    if (nn_gemm_use_path(path) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    for (size_t s = 0; s < N_ODD_SHAPES; s++)
        for (int t = 0; t < 4; t++) {
            product p = product_new(t >> 1, t & 1, odd_shapes[s], t == 2 ? 0.0f : t == 3 ? -0.5f : 1.0f);
            float *got = product_run(&p), *want = spec_run(&p);
            size_t n = (size_t)odd_shapes[s].M * odd_shapes[s].N, differ = 0;
            for (size_t e = 0; e < n; e++)
                differ += memcmp(&got[e], &want[e], sizeof(float)) != 0;
            if (differ) {
                nn_diag("path %s: %dx%dx%d, transposes %d: %zu of %zu elements differ", path,
                        odd_shapes[s].M, odd_shapes[s].N, odd_shapes[s].K, t, differ, n);
                all_same = 0;
            }
            free(got);
            free(want);
            product_free(&p);
        }
    nn_gemm_use_path("auto");
    return all_same;
}

#if defined(_OPENMP)
static int second_thread_count;
static void set_threads(int which) { omp_set_num_threads(which ? second_thread_count : 1); }
#endif

/* Children for the NNLAB_GEMM checks: each starts with the path unset. */
static int env_scalar(void *arg)
{
    (void)arg;
    setenv("NNLAB_GEMM", "scalar", 1);
    printf("%s\n", nn_gemm_path());
    return 0;
}

static int env_bogus(void *arg)
{
    (void)arg;
    setenv("NNLAB_GEMM", "turbo", 1);
    printf("%s\n", nn_gemm_path());
    return 0;
}

int main(void)
{
    nn_tap_timeout(120);
    rng = nn_rng_new(2024);

    /* NNLAB_GEMM is read at the first call; run these before any call here. */
    child_result r;
    run_child(env_scalar, NULL, &r);
    nn_is_str(r.out, "scalar\n", "NNLAB_GEMM=scalar selects the scalar path");
    run_child(env_bogus, NULL, &r);
    nn_contains(r.err, "NNLAB_GEMM=turbo", "an unknown NNLAB_GEMM value is reported on stderr");
    nn_contains(r.err, "auto, scalar, avx2, avx512 or blas", "... with the values it accepts");
    nn_ok(!strcmp(r.out, "scalar\n") || !strcmp(r.out, "avx2\n") || !strcmp(r.out, "avx512\n"),
          "... and nn_gemm falls back to auto (got '%.*s')", (int)strcspn(r.out, "\n"), r.out);

    nn_ok(nn_gemm_use_path("turbo") == NN_ERR, "nn_gemm_use_path rejects an unknown path");
    nn_contains(nn_last_error(), "unknown path 'turbo'", "... naming it");
#if !defined(HAVE_BLAS)
    nn_ok(nn_gemm_use_path("blas") == NN_ERR, "path blas without OpenBLAS is an error");
    nn_contains(nn_last_error(), "--with-blas", "... that says how to get it");
#endif
    nn_ok(nn_gemm_use_path("auto") == NN_OK, "path auto is always available (here: %s)",
          nn_gemm_path());

    hand_worked_2x2();
    degenerate_sizes();

    /* Blocked against naive.  The block sizes are MR = 6, NR = 16, KC = 256,
     * MC = 96, NC = 3072: the shapes cover single elements, a single row or
     * column, sizes below, at and just past each block size, several K
     * blocks (K = 600, 784), and the MLP's 64 x 256 x 784. */
    static const dims shapes[] = {
        {1, 1, 1},    {2, 2, 2},    {3, 5, 7},    {1, 40, 9},     {40, 1, 9},
        {6, 16, 256}, {7, 17, 257}, {17, 33, 65}, {97, 50, 100},  {13, 3075, 3},
        {5, 4, 0},    {31, 7, 600}, {1, 1, 1000}, {64, 256, 784},
    };
    static const struct {
        float alpha, beta;
    } scalings[] = {{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 2.0f}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++)
            for (size_t a = 0; a < sizeof scalings / sizeof scalings[0]; a++)
                check_against_naive(t >> 1, t & 1, shapes[s], scalings[a].alpha, scalings[a].beta,
                                    (int)(s + a) % 3 * 5);

    /* The calls lib/dense.c makes for an MLP layer with batch 64, 784 inputs
     * and 256 outputs, exactly: forward with beta 0, both gradients with
     * beta 1 (backward adds). */
    check_against_naive(NN_NO_TRANS, NN_TRANS, (dims){64, 256, 784}, 1.0f, 0.0f, 0);
    check_against_naive(NN_TRANS, NN_NO_TRANS, (dims){256, 784, 64}, 1.0f, 1.0f, 0);
    check_against_naive(NN_NO_TRANS, NN_NO_TRANS, (dims){64, 784, 256}, 1.0f, 1.0f, 0);

#if defined(HAVE_BLAS)
    nn_ok(nn_gemm_use_path("blas") == NN_OK, "path blas is available in a --with-blas build");
    check_against_naive(NN_TRANS, NN_TRANS, (dims){37, 45, 300}, 1.5f, 0.5f, 3);
    nn_gemm_use_path("auto");
#endif

    /* Determinism. */
    nn_ok(same_bits_under(set_nothing, "two calls"), "two identical calls give identical bits");
    /* Every path this CPU has, against the documented sequence. */
    static const char *const paths[] = {"scalar", "avx2", "avx512"};
    for (size_t q = 0; q < sizeof paths / sizeof paths[0]; q++) {
        if (nn_gemm_use_path(paths[q]) == NN_OK)
            nn_ok(path_matches_spec(paths[q]),
                  "path %s gives the bits of the documented fma sequence on %d odd shapes x 4 "
                  "layouts", paths[q], (int)N_ODD_SHAPES);
        else
            nn_skip(nn_last_error(), "path %s gives the bits of the documented fma sequence",
                    paths[q]);
        nn_clear_error();
    }
    nn_gemm_use_path("auto");
#if defined(_OPENMP)
    /* nn_gemm uses threads only when OMP_NUM_THREADS is set. */
    setenv("OMP_NUM_THREADS", "1", 1);
    for (second_thread_count = 2; second_thread_count <= 3; second_thread_count++)
        nn_ok(same_bits_under(set_threads, "threads"),
              "OpenMP: 1 thread and %d threads give identical bits", second_thread_count);
    omp_set_num_threads(omp_get_num_procs());
#else
    nn_skip("built without OpenMP", "1 thread and 2 threads give identical bits");
#endif
    return nn_tap_done();
}
