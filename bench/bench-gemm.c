/* bench-gemm.c: speed of nn_gemm against nn_gemm_naive and, in a
 * --with-blas build, OpenBLAS's cblas_sgemm, on the shapes the kit runs.
 *
 * Dimension letters: op(A) (M, K), op(B) (K, N), C (M, N), as in nn_gemm.h.
 * A GEMM does 2 M N K flops (one multiply and one add per term); GFLOP/s is
 * that over the median wall time of several timed repeats, after a warm-up
 * call that faults in the pages and fills the caches.  Every library runs on
 * one thread (OpenMP and OpenBLAS both set to 1), so the ratio compares the
 * kernels, not the core count; one more column shows nn_gemm with one
 * OpenMP thread per core (or OMP_NUM_THREADS of them).
 *
 * OpenBLAS picks its kernels for the CPU when the library loads, unless
 * OPENBLAS_CORETYPE names a core (some machines set it, with
 * OPENBLAS_L2_SIZE, to keep old OpenBLAS builds off CPUs they do not know).
 * That would compare nn_gemm with kernels for an older CPU, so bench-gemm
 * starts itself again without the two variables, and prints the core that
 * OpenBLAS then runs; KEEP_OPENBLAS_ENV=1 keeps them.
 *
 * Not part of make check: a timing says nothing about correctness, and on a
 * shared machine it is noisy.  `make bench` builds and runs it. */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nnlab.h"

#if defined(HAVE_BLAS)
#if defined(HAVE_CBLAS_H)
#include <cblas.h>
#else
#include <openblas/cblas.h>
#endif
#endif
#if defined(_OPENMP)
#include <omp.h>
#endif

/* One benchmark shape: exactly the call a layer makes. */
typedef struct {
    const char *name;
    const char *call;          /* what it computes, in the layer's letters */
    int trans_a, trans_b, M, N, K;
    float beta;
} shape;

/* The dense layer of an MLP on Fashion-MNIST: batch B = 64, I = 784 inputs,
 * O = 256 outputs; lib/dense.c makes these three calls. */
static const shape shapes[] = {
    {"square", "C = A B, 512^3", NN_NO_TRANS, NN_NO_TRANS, 512, 512, 512, 0.0f},
    {"dense forward", "out = in W^T", NN_NO_TRANS, NN_TRANS, 64, 256, 784, 0.0f},
    {"dense dW", "dW += d_out^T in", NN_TRANS, NN_NO_TRANS, 256, 784, 64, 1.0f},
    {"dense d_in", "d_in += d_out W", NN_NO_TRANS, NN_NO_TRANS, 64, 784, 256, 1.0f},
    {"dense fwd B=16", "out = in W^T", NN_NO_TRANS, NN_TRANS, 16, 256, 784, 0.0f},
    /* The two-conv net's second convolution (32 -> 64 channels, 3x3, on
     * 14 x 14) as lib/conv.c makes it, 5 images (980 columns) per product:
     * forward out = w col, weight gradient d_w += d_out col^T, and the
     * unrolled input gradient d_col = w^T d_out. */
    {"conv forward", "out = w col", NN_NO_TRANS, NN_NO_TRANS, 64, 980, 288, 0.0f},
    {"conv d_w", "dw += d_out col^T", NN_NO_TRANS, NN_TRANS, 64, 288, 980, 1.0f},
    {"conv d_col", "d_col = w^T d_out", NN_TRANS, NN_NO_TRANS, 288, 980, 64, 0.0f},
};

typedef void gemm_fn(int trans_a, int trans_b, int M, int N, int K, float alpha,
                     const float *A, int lda, const float *B, int ldb, float beta,
                     float *C, int ldc);

#if defined(HAVE_BLAS)
static void openblas_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha,
                          const float *A, int lda, const float *B, int ldb, float beta,
                          float *C, int ldc)
{
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* --cpu-time: time one-thread runs by the CPU time of the calling thread
 * (all three libraries compute in it when set to one thread) instead of the
 * wall clock.  On a busy machine the wall clock also counts the time the
 * thread waited for a core; its CPU time does not. */
static int use_cpu_time;

static double now(void)
{
    struct timespec t;
    if (use_cpu_time && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) == 0)
        return t.tv_sec + 1e-9 * t.tv_nsec;
    return nn_seconds();
}

/* Median GFLOP/s of `repeats` timings of `calls` calls each. */
static double gflops(gemm_fn *gemm, const shape *s, const float *A, const float *B, float *C,
                     int calls, int repeats)
{
    /* Stored shapes: A is (M, K) or, transposed, (K, M); likewise B. */
    const int lda = s->trans_a ? s->M : s->K, ldb = s->trans_b ? s->K : s->N, ldc = s->N;
    double seconds[16];
    repeats = repeats < 16 ? repeats : 16;
    gemm(s->trans_a, s->trans_b, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, s->beta, C, ldc);
    for (int r = 0; r < repeats; r++) {
        double t0 = now();
        for (int c = 0; c < calls; c++)
            gemm(s->trans_a, s->trans_b, s->M, s->N, s->K, 1.0f, A, lda, B, ldb, s->beta, C, ldc);
        seconds[r] = (now() - t0) / calls;
    }
    qsort(seconds, (size_t)repeats, sizeof seconds[0], compare_doubles);
    return 2.0 * s->M * s->N * s->K / seconds[repeats / 2] / 1e9;
}

static double median(double *x, int n)
{
    qsort(x, (size_t)n, sizeof x[0], compare_doubles);
    return x[n / 2];
}

/* Calls per timing so that one timing of the fast kernel lasts about
 * `target` seconds: long enough for the clock, short enough to repeat. */
static int calls_for(const shape *s, double gflops_guess, double target)
{
    double one = 2.0 * s->M * s->N * s->K / (gflops_guess * 1e9);
    int calls = (int)(target / one);
    return calls < 1 ? 1 : calls;
}

/* The load average, so a reader can tell a busy machine's numbers from a
 * quiet one's: above the core count, threads queue for a core. */
static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double load;
    if (!f)
        return;
    if (fscanf(f, "%lf", &load) == 1)
        printf("load average %s: %.2f\n", when, load);
    fclose(f);
}

static void set_threads(int n)
{
#if defined(_OPENMP)
    omp_set_num_threads(n);
#endif
#if defined(HAVE_BLAS)
    openblas_set_num_threads(n);
#endif
    (void)n;
}

#if defined(HAVE_BLAS)
/* OpenBLAS read OPENBLAS_CORETYPE when it loaded, before main: to let it
 * choose this CPU's kernels, start the program again without it. */
static void restart_without_openblas_core_override(char **argv)
{
    const char *keep = getenv("KEEP_OPENBLAS_ENV");
    if ((keep && !strcmp(keep, "1")) ||
        (!getenv("OPENBLAS_CORETYPE") && !getenv("OPENBLAS_L2_SIZE")))
        return;
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("OPENBLAS_L2_SIZE");
    execv("/proc/self/exe", argv);
    fprintf(stderr, "bench-gemm: could not restart without OPENBLAS_CORETYPE; OpenBLAS runs "
                    "the core it names (unset it to compare with this CPU's kernels)\n");
}
#endif

int main(int argc, char **argv)
{
#if defined(HAVE_BLAS)
    restart_without_openblas_core_override(argv);
#endif
    int repeats = 7;
    nn_option options[] = {
        NN_OPT_INT("repeats", "N", "timed repeats per kernel (the median is reported)", &repeats, 1, 15),
        NN_OPT_FLAG("cpu-time", "time one-thread runs by the thread's CPU time, not the wall clock",
                    &use_cpu_time),
        NN_OPT_END,
    };
    nn_common common;
    nn_cli_parse(argc, argv, "bench-gemm",
                 "GFLOP/s of nn_gemm, nn_gemm_naive and OpenBLAS on the kit's GEMM shapes",
                 options, &common);

    /* The last column: nn_gemm on all the cores OpenMP sees (nn_gemm uses
     * threads only when OMP_NUM_THREADS is set; see nn_gemm.h). */
    int default_threads = 1;
#if defined(_OPENMP)
    default_threads = omp_get_max_threads();
    if (!getenv("OMP_NUM_THREADS")) {
        char count[16];
        snprintf(count, sizeof count, "%d", default_threads);
        setenv("OMP_NUM_THREADS", count, 1);
    }
#endif
    printf("nn_gemm path: %s (NNLAB_GEMM selects scalar, avx2 or avx512)\n", nn_gemm_path());
#if defined(HAVE_BLAS)
    printf("OpenBLAS: %s, core %s\n", openblas_get_config(), openblas_get_corename());
#else
    printf("OpenBLAS: not linked (configure --with-blas to compare against it)\n");
#endif
    print_load("before");
    printf("GFLOP/s, median of %d, 1 thread unless marked%s:\n\n", repeats,
           use_cpu_time ? ", timed by the thread's CPU time" : "");
    printf("%-15s %-18s %-5s %-12s %7s %8s %8s %6s %12s\n", "shape", "call", "op", "M x N x K",
           "naive", "nn_gemm", "OpenBLAS", "ratio", "nn_gemm");
    printf("%-15s %-18s %-5s %-12s %7s %8s %8s %6s %9d th\n", "", "", "", "", "", "", "", "",
           default_threads);

    nn_rng rng = nn_rng_new(common.seed);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        const shape *s = &shapes[i];
        size_t nA = (size_t)s->M * s->K, nB = (size_t)s->K * s->N, nC = (size_t)s->M * s->N;
        float *A = nn_floats(nA), *B = nn_floats(nB), *C = nn_floats(nC);
        for (size_t k = 0; k < nA; k++)
            A[k] = (float)nn_rng_uniform(&rng) - 0.5f;
        for (size_t k = 0; k < nB; k++)
            B[k] = (float)nn_rng_uniform(&rng) - 0.5f;

        set_threads(1);
        double naive = gflops(nn_gemm_naive, s, A, B, C, 1, 1);
        /* nn_gemm and OpenBLAS alternate, one timing each, so a change in
         * the load hits both; the ratio is the median of the pairs'. */
        double fast_runs[16], blas_runs[16], ratios[16];
        const int fast_calls = calls_for(s, 80, 0.05);
        for (int r = 0; r < repeats; r++) {
            fast_runs[r] = gflops(nn_gemm, s, A, B, C, fast_calls, 1);
#if defined(HAVE_BLAS)
            blas_runs[r] = gflops(openblas_gemm, s, A, B, C, fast_calls, 1);
            ratios[r] = fast_runs[r] / blas_runs[r];
#endif
        }
        double fast = median(fast_runs, repeats);
        char blas_col[32] = "-", ratio_col[32] = "-";
#if defined(HAVE_BLAS)
        snprintf(blas_col, sizeof blas_col, "%.1f", median(blas_runs, repeats));
        snprintf(ratio_col, sizeof ratio_col, "%.2f", median(ratios, repeats));
#else
        (void)blas_runs;
        (void)ratios;
#endif
        set_threads(default_threads);
        int cpu_time = use_cpu_time;
        use_cpu_time = 0;   /* several threads: only the wall clock makes sense */
        double threaded = gflops(nn_gemm, s, A, B, C, calls_for(s, 80, 0.05), repeats);
        use_cpu_time = cpu_time;

        char dims[32];
        snprintf(dims, sizeof dims, "%dx%dx%d", s->M, s->N, s->K);
        printf("%-15s %-18s %c%c    %-12s %7.2f %8.1f %8s %6s %12.1f\n", s->name, s->call,
               s->trans_a ? 'T' : 'N', s->trans_b ? 'T' : 'N', dims, naive, fast, blas_col,
               ratio_col, threaded);
        fflush(stdout);
        free(A);
        free(B);
        free(C);
    }
    printf("\nratio = nn_gemm / OpenBLAS, both on 1 thread, median of %d alternating pairs.\n",
           repeats);
    print_load("after");
    return 0;
}
