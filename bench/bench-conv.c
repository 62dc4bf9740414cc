/* bench-conv.c: the library's conv2d and pooling, forward and backward, on the
 * layer shapes of LeNet-5 and of a two-conv net, batch 64, one thread.
 *
 *     ./bench-conv [--min-time SECONDS] [--layer NAME]
 *
 * Prints one line per layer, LAYER FORWARD_MS BACKWARD_MS, the format of
 * bench/bench_conv_torch.py, which times the same layers in PyTorch;
 * bench/bench-conv.sh runs both and prints the ratios.  Each time is the best,
 * over 5 rounds, of a round's mean: the least disturbed measurement on a
 * shared machine.  Backward computes d_w and d_b, and d_in for every layer but
 * the first convolution of a net (its input is the image), as PyTorch's
 * autograd does when the image does not require a gradient.
 *
 * The layers (C x H x W input):
 *   LeNet-5:  conv1 1x32x32 -> 6 filters 5x5;  pool1 max 2x2/2 on 6x28x28;
 *             conv2 6x14x14 -> 16 filters 5x5; pool2 max 2x2/2 on 16x10x10;
 *             conv3 16x5x5 -> 120 filters 5x5
 *   net2:     conv1 1x28x28 -> 32 filters 3x3, padding 1; pool1 max 2x2/2;
 *             conv2 32x14x14 -> 64 filters 3x3, padding 1; pool2 max 2x2/2;
 *             and an average pool on pool1's shape for comparison. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnlab.h"

enum { BATCH = 64 };

/* --cpu-time: the process CPU time instead of the wall clock (one
 * thread, on a machine busy with other work: the wall clock also counts the
 * time spent waiting for a core). */
static int use_cpu_time;

static double now(void)
{
    struct timespec t;
    if (use_cpu_time && clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0)
        return t.tv_sec + 1e-9 * t.tv_nsec;
    return nn_seconds();
}

typedef struct {
    const char *name, *kind;
    int C, H, W, K, F, S, P;
} layer;

static const layer layers[] = {
    {"lenet.conv1", "conv", 1, 32, 32, 6, 5, 1, 0},
    {"lenet.pool1", "max", 6, 28, 28, 6, 2, 2, 0},
    {"lenet.conv2", "conv", 6, 14, 14, 16, 5, 1, 0},
    {"lenet.pool2", "max", 16, 10, 10, 16, 2, 2, 0},
    {"lenet.conv3", "conv", 16, 5, 5, 120, 5, 1, 0},
    {"net2.conv1", "conv", 1, 28, 28, 32, 3, 1, 1},
    {"net2.pool1", "max", 32, 28, 28, 32, 2, 2, 0},
    {"net2.conv2", "conv", 32, 14, 14, 64, 3, 1, 1},
    {"net2.pool2", "max", 64, 14, 14, 64, 2, 2, 0},
    {"net2.avgpool1", "avg", 32, 28, 28, 32, 2, 2, 0},
};

typedef struct {
    const layer *l;
    int first;                    /* no d_in for a net's first layer */
    nn_conv_dims cd;
    nn_pool_dims pd;
    float *x, *w, *b, *y, *g, *dx, *dw, *db;
    int *argmax;
} bench_state;

static void run_forward(bench_state *s)
{
    int rc;
    if (strcmp(s->l->kind, "conv") == 0)
        rc = nn_conv2d_forward(s->y, s->x, s->w, s->b, &s->cd);
    else if (strcmp(s->l->kind, "max") == 0)
        rc = nn_maxpool_forward(s->y, s->argmax, s->x, &s->pd);
    else
        rc = nn_avgpool_forward(s->y, s->x, &s->pd);
    if (rc != NN_OK)
        nn_die_last();
}

static void run_backward(bench_state *s)
{
    int rc;
    if (strcmp(s->l->kind, "conv") == 0)
        rc = nn_conv2d_backward(s->first ? NULL : s->dx, s->dw, s->db, s->g, s->x, s->w, &s->cd);
    else if (strcmp(s->l->kind, "max") == 0)
        rc = nn_maxpool_backward(s->dx, s->g, s->argmax, &s->pd);
    else
        rc = nn_avgpool_backward(s->dx, s->g, &s->pd);
    if (rc != NN_OK)
        nn_die_last();
}

int main(int argc, char **argv)
{
    double min_time = 0.2;
    const char *only = NULL;
    nn_option options[] = {
        NN_OPT_DOUBLE("min-time", "SECONDS", "seconds per timing round (default 0.2)", &min_time, 0.001, 60),
        NN_OPT_STRING("layer", "NAME", "time only this layer (e.g. net2.conv2; default: all)", &only),
        NN_OPT_FLAG("cpu-time", "time by the process CPU time, not the wall clock (for a busy "
                    "machine)", &use_cpu_time),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "bench-conv", "time the library's conv2d and pooling layers", options,
                 &common);
    int known = !only;
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
        known |= only && !strcmp(only, layers[i].name);
    if (!known) {
        fprintf(stderr, "bench-conv: --layer %s: no such layer; the layers are", only);
        for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++)
            fprintf(stderr, " %s", layers[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    nn_rng rng = nn_rng_new(common.seed);
    printf("# nnlab %s, 1 thread, batch %d; times in ms\n", NN_VERSION, BATCH);
    for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
        const layer *l = &layers[i];
        if (only && strcmp(only, l->name) != 0)
            continue;
        bench_state s = {0};
        s.l = l;
        s.first = strstr(l->name, "conv1") != NULL;
        size_t n_in, n_out, n_w = 1;
        if (strcmp(l->kind, "conv") == 0) {
            if (nn_conv_dims_make(&s.cd, BATCH, l->C, l->H, l->W, l->K, l->F, l->S, l->P) != NN_OK)
                nn_die_last();
            n_in = nn_conv_in_size(&s.cd);
            n_out = nn_conv_out_size(&s.cd);
            n_w = nn_conv_weight_size(&s.cd);
        } else {
            if (nn_pool_dims_make(&s.pd, BATCH, l->C, l->H, l->W, l->F, l->S) != NN_OK)
                nn_die_last();
            n_in = nn_pool_in_size(&s.pd);
            n_out = nn_pool_out_size(&s.pd);
        }
        s.x = nn_floats(n_in);
        s.dx = nn_floats(n_in);
        s.y = nn_floats(n_out);
        s.g = nn_floats(n_out);
        s.w = nn_floats(n_w);
        s.dw = nn_floats(n_w);
        s.b = nn_floats((size_t)l->K);
        s.db = nn_floats((size_t)l->K);
        s.argmax = malloc(sizeof(int) * n_out);
        nn_rng_fill_normal(&rng, s.x, n_in, 0, 1);
        nn_rng_fill_normal(&rng, s.w, n_w, 0, 0.1);
        nn_rng_fill_normal(&rng, s.g, n_out, 0, 1);
        double best_f = 1e30, best_b = 1e30;
        for (int round = 0; round < 5; round++) {
            double tf = 0, tb = 0, start = now();
            long n = 0;
            while (now() - start < min_time || n < 3) {
                double t0 = now();
                run_forward(&s);
                double t1 = now();
                run_backward(&s);
                double t2 = now();
                tf += t1 - t0;
                tb += t2 - t1;
                n++;
            }
            if (tf / n < best_f)
                best_f = tf / n;
            if (tb / n < best_b)
                best_b = tb / n;
        }
        printf("%-14s %10.4f %10.4f\n", l->name, best_f * 1e3, best_b * 1e3);
        fflush(stdout);
        free(s.x); free(s.dx); free(s.y); free(s.g); free(s.w); free(s.dw); free(s.b); free(s.db);
        free(s.argmax);
    }
    return 0;
}
