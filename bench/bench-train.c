/* bench-train.c: one epoch of training on Fashion-MNIST with the lib's
 * layers, the kit's side of bench/bench-train.sh (PyTorch's side is
 * bench/bench_train_torch.py, with exactly the same settings).
 *
 *     ./bench/bench-train --net mlp|lenet|net2 [--epochs E] [--limit N] [--data DIR]
 *
 * Settings (the same on both sides): batch 64, the last partial batch
 * dropped; a fresh random order of the 60,000 training images each epoch;
 * SGD with momentum 0.9 and learning rate 0.01; softmax cross-entropy;
 * PyTorch's default initialisation (weights and biases uniform in
 * +-1/sqrt(fan_in)); pixels scaled to [0, 1].  The networks:
 *
 *   mlp    784 -> dense 256 -> ReLU -> dense 10
 *   lenet  LeNet-5 as chapter 7 writes it: conv 6 5x5 P=2 -> tanh -> avg pool 2
 *          -> conv 16 5x5 -> tanh -> avg pool 2 -> dense 120 -> tanh
 *          -> dense 84 -> tanh -> dense 10
 *   net2   the two-conv net (chapter 7's, without batch norm and dropout):
 *          conv 32 3x3 P=1 -> ReLU -> max pool 2 -> conv 64 3x3 P=1 -> ReLU
 *          -> max pool 2 -> dense 10
 *
 * Prints one line, `net threads seconds_per_epoch peak_rss_MiB last_loss`:
 * the time of the training loop alone (data loading excluded, as on the
 * PyTorch side; with --batches N only N batches are trained and the time
 * is scaled to the whole epoch), the peak resident memory of the whole process, and the mean
 * loss of the epoch's last 100 batches (a sanity check that it learned).
 * --cpu-time times by the process's CPU time instead (all threads summed:
 * for one thread on a machine busy with other work, where the wall clock
 * also counts the time spent waiting for a core).
 * Threads: the lib's OpenMP threads, only when OMP_NUM_THREADS is set. */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "nnlab.h"

#if defined(_OPENMP)
#include <omp.h>
#endif

enum { BATCH = 64, CLASSES = 10, SIDE = 28 };

/* ---- A network as a list of layers ----------------------------------------
 * Each layer maps a (BATCH, c, h, w) activation to the next; a dense layer
 * reads its input as (BATCH, c h w), which is how NCHW is stored. */
typedef enum { CONV, DENSE, ACT, MAXPOOL, AVGPOOL } layer_kind;

typedef struct {
    layer_kind kind;
    int out_c, filter, pad;    /* CONV: filters, F, P; DENSE: outputs; pools: window */
    nn_activation act;         /* ACT */
    /* filled by net_build: */
    int c, h, wd, oc, oh, ow;  /* input and output shapes per image (channels, height, width) */
    nn_conv_dims conv;
    nn_pool_dims pool;
    size_t n_w, n_b;           /* parameter counts */
    float *w, *b, *dw, *db;    /* views into the network's parameter arrays */
    float *out, *d_out;        /* (BATCH, oc, oh, ow) */
    int *argmax;               /* MAXPOOL */
} layer;

typedef struct {
    const char *name;
    int n_layers;
    layer layers[12];
    size_t n_params;
    float *params, *grads;
    float *x;                  /* the batch, (BATCH, 1, 28, 28) */
    float *probs;              /* (BATCH, CLASSES) */
} net;

static void add(net *m, layer l) { m->layers[m->n_layers++] = l; }

static void define(net *m, const char *name)
{
    memset(m, 0, sizeof *m);
    m->name = name;
    if (!strcmp(name, "mlp")) {
        add(m, (layer){.kind = DENSE, .out_c = 256});
        add(m, (layer){.kind = ACT, .act = NN_RELU});
        add(m, (layer){.kind = DENSE, .out_c = CLASSES});
    } else if (!strcmp(name, "lenet")) {
        add(m, (layer){.kind = CONV, .out_c = 6, .filter = 5, .pad = 2});
        add(m, (layer){.kind = ACT, .act = NN_TANH});
        add(m, (layer){.kind = AVGPOOL, .filter = 2});
        add(m, (layer){.kind = CONV, .out_c = 16, .filter = 5});
        add(m, (layer){.kind = ACT, .act = NN_TANH});
        add(m, (layer){.kind = AVGPOOL, .filter = 2});
        add(m, (layer){.kind = DENSE, .out_c = 120});
        add(m, (layer){.kind = ACT, .act = NN_TANH});
        add(m, (layer){.kind = DENSE, .out_c = 84});
        add(m, (layer){.kind = ACT, .act = NN_TANH});
        add(m, (layer){.kind = DENSE, .out_c = CLASSES});
    } else {
        add(m, (layer){.kind = CONV, .out_c = 32, .filter = 3, .pad = 1});
        add(m, (layer){.kind = ACT, .act = NN_RELU});
        add(m, (layer){.kind = MAXPOOL, .filter = 2});
        add(m, (layer){.kind = CONV, .out_c = 64, .filter = 3, .pad = 1});
        add(m, (layer){.kind = ACT, .act = NN_RELU});
        add(m, (layer){.kind = MAXPOOL, .filter = 2});
        add(m, (layer){.kind = DENSE, .out_c = CLASSES});
    }
}

/* Shapes, buffers and PyTorch's default initialisation. */
static void build(net *m, nn_rng *rng)
{
    int c = 1, h = SIDE, w = SIDE;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        l->c = c, l->h = h, l->wd = w;
        switch (l->kind) {
        case CONV:
            if (nn_conv_dims_make(&l->conv, BATCH, c, h, w, l->out_c, l->filter, 1, l->pad) != NN_OK)
                nn_die_last();
            l->oc = l->out_c, l->oh = l->conv.H2, l->ow = l->conv.W2;
            l->n_w = nn_conv_weight_size(&l->conv), l->n_b = (size_t)l->out_c;
            break;
        case DENSE:
            l->oc = l->out_c, l->oh = l->ow = 1;
            l->n_w = (size_t)l->out_c * c * h * w, l->n_b = (size_t)l->out_c;
            break;
        case ACT:
            l->oc = c, l->oh = h, l->ow = w;
            break;
        case MAXPOOL:
        case AVGPOOL:
            if (nn_pool_dims_make(&l->pool, BATCH, c, h, w, l->filter, l->filter) != NN_OK)
                nn_die_last();
            l->oc = c, l->oh = l->pool.H2, l->ow = l->pool.W2;
            break;
        }
        size_t n_out = (size_t)BATCH * l->oc * l->oh * l->ow;
        l->out = nn_floats(n_out);
        l->d_out = nn_floats(n_out);
        if (l->kind == MAXPOOL)
            l->argmax = nn_malloc(sizeof(int) * n_out);
        m->n_params += l->n_w + l->n_b;
        c = l->oc, h = l->oh, w = l->ow;
    }
    m->params = nn_floats(m->n_params);
    m->grads = nn_floats(m->n_params);
    m->x = nn_floats((size_t)BATCH * SIDE * SIDE);
    m->probs = nn_floats((size_t)BATCH * CLASSES);
    size_t at = 0;
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        if (!l->n_w)
            continue;
        l->w = m->params + at, l->dw = m->grads + at;
        at += l->n_w;
        l->b = m->params + at, l->db = m->grads + at;
        at += l->n_b;
        const size_t fan_in = l->n_w / l->n_b;
        const double bound = 1.0 / sqrt((double)fan_in);
        for (size_t k = 0; k < l->n_w + l->n_b; k++)
            l->w[k] = (float)(bound * (2.0 * nn_rng_uniform(rng) - 1.0));
    }
}

static const float *input_of(const net *m, int i) { return i ? m->layers[i - 1].out : m->x; }

static double forward_backward(net *m, const int *labels)
{
    for (int i = 0; i < m->n_layers; i++) {
        layer *l = &m->layers[i];
        const float *in = input_of(m, i);
        const size_t n_in = (size_t)BATCH * l->c * l->h * l->wd;
        switch (l->kind) {
        case CONV: nn_conv2d_forward(l->out, in, l->w, l->b, &l->conv); break;
        case DENSE: nn_dense_forward(l->out, in, l->w, l->b, BATCH, (int)(n_in / BATCH), l->oc); break;
        case ACT: nn_act_forward(l->act, l->out, in, n_in); break;
        case MAXPOOL: nn_maxpool_forward(l->out, l->argmax, in, &l->pool); break;
        case AVGPOOL: nn_avgpool_forward(l->out, in, &l->pool); break;
        }
    }
    const layer *last = &m->layers[m->n_layers - 1];
    double loss = nn_softmax_xent_forward(m->probs, last->out, labels, BATCH, CLASSES);
    memset(m->grads, 0, sizeof(float) * m->n_params);
    for (int i = 0; i < m->n_layers; i++)
        memset(m->layers[i].d_out, 0, sizeof(float) * BATCH * m->layers[i].oc * m->layers[i].oh *
                                          m->layers[i].ow);
    nn_softmax_xent_backward(last->d_out, m->probs, labels, BATCH, CLASSES);
    for (int i = m->n_layers - 1; i >= 0; i--) {
        layer *l = &m->layers[i];
        const float *in = input_of(m, i);
        /* The first layer's input is the image: no gradient for it. */
        float *d_in = i ? m->layers[i - 1].d_out : NULL;
        const size_t n_in = (size_t)BATCH * l->c * l->h * l->wd;
        switch (l->kind) {
        case CONV: nn_conv2d_backward(d_in, l->dw, l->db, l->d_out, in, l->w, &l->conv); break;
        case DENSE:
            nn_dense_backward(d_in, l->dw, l->db, l->d_out, in, l->w, BATCH, (int)(n_in / BATCH), l->oc);
            break;
        case ACT: nn_act_backward(l->act, d_in, l->d_out, in, l->out, n_in); break;
        case MAXPOOL: nn_maxpool_backward(d_in, l->d_out, l->argmax, &l->pool); break;
        case AVGPOOL: nn_avgpool_backward(d_in, l->d_out, &l->pool); break;
        }
    }
    return loss;
}

/* The wall clock, or the CPU time of the whole process (all threads). */
static double now(int cpu_time)
{
    struct timespec t;
    if (cpu_time && clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t) == 0)
        return t.tv_sec + 1e-9 * t.tv_nsec;
    return nn_seconds();
}

static double peak_rss_mib(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024.0;   /* Linux: kilobytes */
}

int main(int argc, char **argv)
{
    static const char *const nets[] = {"mlp", "lenet", "net2", NULL};
    const char *net_name = "mlp";
    int epochs = 1, limit = 0, cpu_time = 0, max_batches = 0;
    nn_option options[] = {
        NN_OPT_CHOICE("net", "NAME", "the network: mlp, lenet or net2", &net_name, nets),
        NN_OPT_INT("epochs", "E", "epochs to train (the time is per epoch)", &epochs, 1, 100),
        NN_OPT_INT("limit", "N", "load the first N images only (0: all 60,000)", &limit, 0, 60000),
        NN_OPT_INT("batches", "N", "train N batches of each epoch and scale the time to the "
                   "whole epoch (0: all)", &max_batches, 0, 60000),
        NN_OPT_FLAG("cpu-time", "time by the process's CPU time, not the wall clock (for one "
                    "thread on a machine busy with other work)", &cpu_time),
        NN_OPT_END,
    };
    nn_common common;
    nn_cli_parse(argc, argv, "bench-train",
                 "seconds per epoch of training with the lib's layers (see bench/README.md)",
                 options, &common);

    nn_dataset train;
    if (nn_load_fashion_mnist(&train, common.data_dir, 1, limit) != NN_OK)
        nn_die_last();
    nn_rng rng = nn_rng_new(common.seed);
    net m;
    define(&m, net_name);
    build(&m, &rng);
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.01);
    cfg.momentum = 0.9;
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, m.n_params) != NN_OK)
        nn_die_last();

    const int n_batches = train.n / BATCH;
    const int run_batches = max_batches && max_batches < n_batches ? max_batches : n_batches;
    int *order = nn_malloc(sizeof(int) * (size_t)train.n), labels[BATCH];
    double seconds = 0, tail_loss = 0;
    int tail = 0;
    for (int e = 0; e < epochs; e++) {
        for (int i = 0; i < train.n; i++)
            order[i] = i;
        nn_rng_shuffle(&rng, order, (size_t)train.n);
        double t0 = now(cpu_time);
        for (int bt = 0; bt < run_batches; bt++) {
            for (int r = 0; r < BATCH; r++) {
                const int at = order[bt * BATCH + r];
                memcpy(m.x + (size_t)r * SIDE * SIDE, train.x + (size_t)at * train.d,
                       sizeof(float) * SIDE * SIDE);
                labels[r] = train.y[at];
            }
            double loss = forward_backward(&m, labels);
            if (nn_optim_step(&opt, m.params, m.grads) != NN_OK)
                nn_die_last();
            if (e == epochs - 1 && bt >= run_batches - 100) {
                tail_loss += loss;
                tail++;
            }
        }
        seconds += (now(cpu_time) - t0) * n_batches / run_batches;
    }
    int threads = 1;
#if defined(_OPENMP)
    if (getenv("OMP_NUM_THREADS"))
        threads = omp_get_max_threads();
#endif
    printf("%s %d %.3f %.1f %.4f\n", net_name, threads, seconds / epochs, peak_rss_mib(),
           tail ? tail_loss / tail : NAN);
    return 0;
}
