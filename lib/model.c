/* model.c: a sequential network built from an architecture string, its
 * forward and backward passes through the lib's layers, and the model file.
 *
 * nn_model.h describes the string and the file format; doc/MODEL-FORMAT.md
 * says it at length.  This file is plumbing: every layer's arithmetic is the
 * lib's own (nn_conv2d_*, nn_maxpool_*, nn_avgpool_*, nn_act_*, nn_dropout_*,
 * nn_batchnorm*_*, nn_dense_*), so what the chapters test layer by layer is
 * what runs here.
 *
 * Buffers.  Layer l reads its input from the previous layer's output (layer
 * 0 from a copy of x) and writes out[l], (max_batch, out_c, out_h, out_w).
 * Backward keeps the gradient with respect to each layer's output in g[l];
 * the gradient with respect to the input goes to a buffer of its own, so
 * nn_model_output_grad(m, l) stays readable after a backward pass. */
#include "nn_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "nn_act.h"
#include "nn_batchnorm.h"
#include "nn_conv.h"
#include "nn_core.h"
#include "nn_dense.h"
#include "nn_pool.h"
#include "nn_regularize.h"

typedef struct {
    nn_layer_info info;
    int a, b, c, d;          /* the integers of the string: conv K F S P, pool F S, dropout P100, dense O */
    int flat;                /* output is a flat vector (after flatten or dense) */
    size_t in_size, out_size;/* per example */
    size_t param_off, stat_off, n_stats;
    float *out, *g;          /* (max_batch, out_size): output and dLoss/d(output) */
    float *mask;             /* dropout's mask, (max_batch, in_size) */
    int *argmax;             /* max pool's indices, (max_batch, out_size) */
    float *mean, *rstd;      /* batch norm's saved statistics, (C) */
} layer;

struct nn_model {
    char *arch;
    int C, H, W, max_batch;
    int n_layers;
    layer *layers;
    size_t n_params, n_stats;
    float *params, *grads, *stats;
    float *x;                /* copy of the last forward's input */
    float *d_x;              /* input gradient of the last backward */
    int last_B, last_training, has_forward;
};

static const char *const layer_names[] = {"conv", "bn", "relu", "tanh", "maxpool",
                                          "avgpool", "dropout", "flatten", "dense"};
enum { N_KINDS = (int)(sizeof layer_names / sizeof layer_names[0]) };
/* How many integers each kind takes: at least, at most. */
static const int args_min[N_KINDS] = {2, 0, 0, 0, 1, 1, 1, 0, 1};
static const int args_max[N_KINDS] = {4, 0, 0, 0, 2, 2, 1, 0, 1};

/* ---- Parsing ------------------------------------------------------------------ */

static int parse_int(const char *s, size_t len, int *value)
{
    if (len == 0 || len > 9)
        return NN_ERR;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return NN_ERR;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return NN_OK;
}

/* One token "name:i:j..." at position `index` of `arch`, for an input of the
 * shape in (c, h, w, flat); fills L.  Messages say which layer and why. */
static int parse_layer(layer *L, const char *tok, size_t len, int index, int c, int h, int w, int flat,
                       const char *arch)
{
    char text[64];
    if (len >= sizeof L->info.name) {
        snprintf(text, sizeof text, "%.*s", (int)(len < 40 ? len : 40), tok);
        return nn_error("architecture \"%s\": layer %d \"%s...\" is too long (at most %d characters)", arch,
                        index + 1, text, (int)sizeof L->info.name - 1);
    }
    memcpy(text, tok, len);
    text[len] = 0;
    memset(L, 0, sizeof *L);
    memcpy(L->info.name, tok, len);   /* len < sizeof name: checked above; memset ended it */

    const char *colon = memchr(tok, ':', len);
    size_t name_len = colon ? (size_t)(colon - tok) : len;
    int kind = -1;
    for (int k = 0; k < N_KINDS; k++)
        if (strlen(layer_names[k]) == name_len && !strncmp(layer_names[k], tok, name_len))
            kind = k;
    if (kind < 0)
        return nn_error("architecture \"%s\": layer %d \"%s\": unknown layer (known: conv:K:F[:S[:P]], bn, relu, "
                        "tanh, maxpool:F[:S], avgpool:F[:S], dropout:P100, flatten, dense:O)", arch, index + 1, text);
    int args[4] = {0, 0, 0, 0}, n_args = 0;
    const char *p = colon, *end = tok + len;
    while (p && p < end) {
        const char *start = p + 1, *next = memchr(start, ':', (size_t)(end - start));
        size_t arg_len = (size_t)((next ? next : end) - start);
        if (n_args == 4 || parse_int(start, arg_len, &args[n_args]) != NN_OK)
            return nn_error("architecture \"%s\": layer %d \"%s\": expected %s%s, with non-negative integers",
                            arch, index + 1, text, layer_names[kind],
                            kind == 0 ? ":K:F[:S[:P]]" : kind == 4 || kind == 5 ? ":F[:S]"
                            : kind == 6 ? ":P100" : kind == 8 ? ":O" : "");
        n_args++;
        p = next;
    }
    if (n_args < args_min[kind] || n_args > args_max[kind]) {
        if (args_max[kind] == 0)
            return nn_error("architecture \"%s\": layer %d \"%s\": %s takes no integers: write just \"%s\"", arch,
                            index + 1, text, layer_names[kind], layer_names[kind]);
        return nn_error("architecture \"%s\": layer %d \"%s\": %s takes %d to %d integers, got %d", arch, index + 1,
                        text, layer_names[kind], args_min[kind], args_max[kind], n_args);
    }
    L->info.kind = (nn_layer_kind)kind;
    L->info.in_c = c;
    L->info.in_h = h;
    L->info.in_w = w;
    L->info.out_c = c;
    L->info.out_h = h;
    L->info.out_w = w;
    L->flat = flat;
    L->a = args[0];
    L->b = args[1];
    L->c = args[2];
    L->d = args[3];
    switch (L->info.kind) {
    case NN_LAYER_CONV: {
        if (flat)
            return nn_error("architecture \"%s\": layer %d \"%s\": a convolution needs an image (C, H, W), but its "
                            "input is flat (after flatten or dense): move it before them", arch, index + 1, text);
        if (L->a < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": zero filters: a convolution needs K >= 1",
                            arch, index + 1, text);
        if (L->b < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": filter size 0: use F >= 1", arch, index + 1,
                            text);
        if (n_args < 3)
            L->c = 1;
        if (L->c < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": stride 0: use S >= 1", arch, index + 1, text);
        nn_conv_dims d;
        if (nn_conv_dims_make(&d, 1, c, h, w, L->a, L->b, L->c, L->d) != NN_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", nn_last_error());
            return nn_error("architecture \"%s\": layer %d \"%s\" on a %d x %d x %d input: %s", arch, index + 1,
                            text, c, h, w, why);
        }
        L->info.out_c = L->a;
        L->info.out_h = d.H2;
        L->info.out_w = d.W2;
        L->info.n_params = (size_t)L->a * c * L->b * L->b + (size_t)L->a;
        L->info.n_macs = (size_t)L->a * d.H2 * d.W2 * c * L->b * L->b;
        break;
    }
    case NN_LAYER_MAXPOOL:
    case NN_LAYER_AVGPOOL: {
        if (flat)
            return nn_error("architecture \"%s\": layer %d \"%s\": pooling needs an image (C, H, W), but its input "
                            "is flat (after flatten or dense)", arch, index + 1, text);
        if (L->a < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": window 0: use F >= 1", arch, index + 1, text);
        if (n_args < 2)
            L->b = L->a;
        if (L->b < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": stride 0: use S >= 1", arch, index + 1, text);
        if (L->a > h || L->a > w)
            return nn_error("architecture \"%s\": layer %d \"%s\": the pool window %d is larger than the %d x %d "
                            "feature map it pools: use a window of at most %d or remove a pooling layer before it",
                            arch, index + 1, text, L->a, h, w, h < w ? h : w);
        nn_pool_dims d;
        if (nn_pool_dims_make(&d, 1, c, h, w, L->a, L->b) != NN_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", nn_last_error());
            return nn_error("architecture \"%s\": layer %d \"%s\": %s", arch, index + 1, text, why);
        }
        L->info.out_h = d.H2;
        L->info.out_w = d.W2;
        break;
    }
    case NN_LAYER_BN:
        L->info.n_params = 2 * (size_t)c;
        L->n_stats = 2 * (size_t)c;
        L->info.n_macs = (size_t)c * h * w;
        break;
    case NN_LAYER_DROPOUT:
        if (L->a >= 100)
            return nn_error("architecture \"%s\": layer %d \"%s\": dropout:%d would drop every unit: use 0 to 99 "
                            "(the percentage dropped)", arch, index + 1, text, L->a);
        break;
    case NN_LAYER_FLATTEN:
        L->info.out_c = c * h * w;
        L->info.out_h = L->info.out_w = 1;
        L->flat = 1;
        break;
    case NN_LAYER_DENSE:
        if (L->a < 1)
            return nn_error("architecture \"%s\": layer %d \"%s\": a dense layer of width 0 has no outputs: use "
                            "dense:O with O >= 1", arch, index + 1, text);
        L->info.out_c = L->a;
        L->info.out_h = L->info.out_w = 1;
        L->flat = 1;
        L->info.n_params = (size_t)L->a * c * h * w + (size_t)L->a;
        L->info.n_macs = (size_t)L->a * c * h * w;
        break;
    case NN_LAYER_RELU:
    case NN_LAYER_TANH:
        break;
    }
    L->in_size = (size_t)c * h * w;
    L->out_size = (size_t)L->info.out_c * L->info.out_h * L->info.out_w;
    return NN_OK;
}

nn_model *nn_model_new(const char *arch, int C, int H, int W, int max_batch)
{
    if (!arch)
        arch = "";
    if (C < 1 || H < 1 || W < 1)
        return nn_error("model: input shape %d x %d x %d: every size must be at least 1", C, H, W), NULL;
    if (max_batch < 1)
        return nn_error("model: max_batch %d: must be at least 1", max_batch), NULL;
    int n = 0;
    for (const char *p = arch; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        n++;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
    }
    if (n == 0)
        return nn_error("architecture \"%s\": no layers: write e.g. \"conv:8:3:1:1 relu maxpool:2 dense:10\"",
                        arch), NULL;
    nn_model *m = nn_calloc(1, sizeof *m);
    size_t arch_len = strlen(arch);
    m->arch = nn_malloc(arch_len + 1);
    memcpy(m->arch, arch, arch_len + 1);
    m->C = C;
    m->H = H;
    m->W = W;
    m->max_batch = max_batch;
    m->layers = nn_calloc((size_t)n, sizeof *m->layers);
    int c = C, h = H, w = W, flat = 0, l = 0;
    for (const char *p = arch; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n')
            p++;
        layer *L = &m->layers[l];
        if (parse_layer(L, start, (size_t)(p - start), l, c, h, w, flat, arch) != NN_OK) {
            m->n_layers = l;
            nn_model_free(m);
            return NULL;
        }
        L->param_off = m->n_params;
        L->stat_off = m->n_stats;
        m->n_params += L->info.n_params;
        m->n_stats += L->n_stats;
        c = L->info.out_c;
        h = L->info.out_h;
        w = L->info.out_w;
        flat = L->flat;
        l++;
    }
    m->n_layers = n;
    m->params = nn_floats(m->n_params ? m->n_params : 1);
    m->grads = nn_floats(m->n_params ? m->n_params : 1);
    m->stats = nn_floats(m->n_stats ? m->n_stats : 1);
    m->x = nn_floats((size_t)max_batch * C * H * W);
    m->d_x = nn_floats((size_t)max_batch * C * H * W);
    for (l = 0; l < n; l++) {
        layer *L = &m->layers[l];
        L->out = nn_floats((size_t)max_batch * L->out_size);
        L->g = nn_floats((size_t)max_batch * L->out_size);
        if (L->info.kind == NN_LAYER_DROPOUT)
            L->mask = nn_floats((size_t)max_batch * L->in_size);
        if (L->info.kind == NN_LAYER_MAXPOOL)
            L->argmax = nn_calloc((size_t)max_batch * L->out_size, sizeof *L->argmax);
        if (L->info.kind == NN_LAYER_BN) {
            L->mean = nn_floats((size_t)L->info.in_c);
            L->rstd = nn_floats((size_t)L->info.in_c);
        }
    }
    nn_model_init(m, 0);
    return m;
}

void nn_model_free(nn_model *m)
{
    if (!m)
        return;
    for (int l = 0; l < m->n_layers; l++) {
        layer *L = &m->layers[l];
        free(L->out);
        free(L->g);
        free(L->mask);
        free(L->argmax);
        free(L->mean);
        free(L->rstd);
    }
    free(m->layers);
    free(m->arch);
    free(m->params);
    free(m->grads);
    free(m->stats);
    free(m->x);
    free(m->d_x);
    free(m);
}

/* ---- Initialisation ------------------------------------------------------------
 * A weighted layer (conv, dense) draws N(0, 2 / fan_in) (He) when the next
 * activation after it, skipping batch norm, pooling and dropout, is a ReLU,
 * and N(0, 1 / fan_in) (Xavier, the form of chapter 3) otherwise (tanh, or
 * the logits).  fan_in is C F F for a convolution, I for a dense layer. */
static void init_layer(nn_model *m, int l, nn_rng *rng)
{
    layer *L = &m->layers[l];
    float *p = m->params + L->param_off;
    size_t fan_in = 0, n_w = 0;
    if (L->info.kind == NN_LAYER_CONV) {
        fan_in = (size_t)L->info.in_c * L->b * L->b;
        n_w = (size_t)L->a * fan_in;
    } else if (L->info.kind == NN_LAYER_DENSE) {
        fan_in = L->in_size;
        n_w = (size_t)L->a * fan_in;
    } else if (L->info.kind == NN_LAYER_BN) {
        int C = L->info.in_c;
        for (int k = 0; k < C; k++) {
            p[k] = 1;                        /* gamma */
            p[C + k] = 0;                    /* beta */
            m->stats[L->stat_off + k] = 0;   /* running mean */
            m->stats[L->stat_off + C + k] = 1; /* running var */
        }
        return;
    } else {
        return;
    }
    int relu_next = 0;
    for (int k = l + 1; k < m->n_layers; k++) {
        nn_layer_kind kind = m->layers[k].info.kind;
        if (kind == NN_LAYER_BN || kind == NN_LAYER_MAXPOOL || kind == NN_LAYER_AVGPOOL || kind == NN_LAYER_DROPOUT)
            continue;
        relu_next = kind == NN_LAYER_RELU;
        break;
    }
    nn_rng_fill_normal(rng, p, n_w, 0, sqrt((relu_next ? 2.0 : 1.0) / (double)fan_in));
    nn_zero(p + n_w, L->info.n_params - n_w);
}

void nn_model_init(nn_model *m, uint64_t seed)
{
    nn_rng rng = nn_rng_new(seed);
    for (int l = 0; l < m->n_layers; l++)
        init_layer(m, l, &rng);
    nn_zero(m->grads, m->n_params);
}

void nn_model_init_layer(nn_model *m, int l, nn_rng *rng)
{
    NN_ASSERT(l >= 0 && l < m->n_layers);
    init_layer(m, l, rng);
}

/* ---- Accessors ------------------------------------------------------------------ */

int nn_model_layer_count(const nn_model *m) { return m->n_layers; }
const char *nn_model_arch(const nn_model *m) { return m->arch; }
size_t nn_model_param_count(const nn_model *m) { return m->n_params; }
float *nn_model_params(nn_model *m) { return m->params; }
float *nn_model_grads(nn_model *m) { return m->grads; }
void nn_model_zero_grads(nn_model *m) { nn_zero(m->grads, m->n_params); }
size_t nn_model_stat_count(const nn_model *m) { return m->n_stats; }
float *nn_model_stats(nn_model *m) { return m->stats; }
int nn_model_max_batch(const nn_model *m) { return m->max_batch; }

nn_layer_info nn_model_layer(const nn_model *m, int l)
{
    NN_ASSERT(l >= 0 && l < m->n_layers);
    return m->layers[l].info;
}

int nn_model_classes(const nn_model *m)
{
    return (int)m->layers[m->n_layers - 1].out_size;
}

void nn_model_input_shape(const nn_model *m, int *C, int *H, int *W)
{
    *C = m->C;
    *H = m->H;
    *W = m->W;
}

size_t nn_model_layer_param_offset(const nn_model *m, int l)
{
    NN_ASSERT(l >= 0 && l < m->n_layers);
    return m->layers[l].param_off;
}

int nn_model_last_conv(const nn_model *m)
{
    for (int l = m->n_layers - 1; l >= 0; l--)
        if (m->layers[l].info.kind == NN_LAYER_CONV)
            return l;
    return -1;
}

const float *nn_model_output(const nn_model *m, int l)
{
    NN_ASSERT(l >= 0 && l < m->n_layers);
    return m->layers[l].out;
}

const float *nn_model_output_grad(const nn_model *m, int l)
{
    NN_ASSERT(l >= 0 && l < m->n_layers);
    return m->layers[l].g;
}

nn_model *nn_model_clone(const nn_model *m, int max_batch)
{
    nn_model *copy = nn_model_new(m->arch, m->C, m->H, m->W, max_batch);
    if (!copy)
        return NULL;
    nn_copy(copy->params, m->params, m->n_params);
    nn_copy(copy->stats, m->stats, m->n_stats);
    return copy;
}

/* ---- Forward and backward ------------------------------------------------------- */

int nn_model_forward(nn_model *m, float *logits, const float *x, int B, int training, nn_rng *rng)
{
    if (B < 1 || B > m->max_batch)
        return nn_error("model forward: batch of %d examples, but this model was made for 1 to %d", B,
                        m->max_batch);
    nn_copy(m->x, x, (size_t)B * m->C * m->H * m->W);
    const float *in = m->x;
    for (int l = 0; l < m->n_layers; l++) {
        layer *L = &m->layers[l];
        const nn_layer_info *I = &L->info;
        float *p = m->params + L->param_off;
        size_t n_in = (size_t)B * L->in_size;
        switch (I->kind) {
        case NN_LAYER_CONV: {
            nn_conv_dims d;
            if (nn_conv_dims_make(&d, B, I->in_c, I->in_h, I->in_w, L->a, L->b, L->c, L->d) != NN_OK ||
                nn_conv2d_forward(L->out, in, p, p + (size_t)L->a * I->in_c * L->b * L->b, &d) != NN_OK)
                return NN_ERR;
            break;
        }
        case NN_LAYER_MAXPOOL:
        case NN_LAYER_AVGPOOL: {
            nn_pool_dims d;
            if (nn_pool_dims_make(&d, B, I->in_c, I->in_h, I->in_w, L->a, L->b) != NN_OK)
                return NN_ERR;
            int rc = I->kind == NN_LAYER_MAXPOOL ? nn_maxpool_forward(L->out, L->argmax, in, &d)
                                                 : nn_avgpool_forward(L->out, in, &d);
            if (rc != NN_OK)
                return NN_ERR;
            break;
        }
        case NN_LAYER_BN: {
            int C = I->in_c, HW = I->in_h * I->in_w;
            float *rm = m->stats + L->stat_off, *rv = rm + C;
            if (training) {
                int rc = L->flat ? nn_batchnorm_forward(L->out, L->mean, L->rstd, in, p, p + C, rm, rv, B, C,
                                                        NN_BN_MOMENTUM, NN_BN_EPS)
                                 : nn_batchnorm2d_forward(L->out, L->mean, L->rstd, in, p, p + C, rm, rv, B, C, HW,
                                                          NN_BN_MOMENTUM, NN_BN_EPS);
                if (rc != NN_OK)
                    return NN_ERR;
            } else if (L->flat) {
                nn_batchnorm_eval(L->out, in, p, p + C, rm, rv, B, C, NN_BN_EPS);
            } else {
                nn_batchnorm2d_eval(L->out, in, p, p + C, rm, rv, B, C, HW, NN_BN_EPS);
            }
            break;
        }
        case NN_LAYER_RELU:
            nn_act_forward(NN_RELU, L->out, in, n_in);
            break;
        case NN_LAYER_TANH:
            nn_act_forward(NN_TANH, L->out, in, n_in);
            break;
        case NN_LAYER_DROPOUT:
            if (training && L->a > 0) {
                if (!rng)
                    return nn_error("model forward: layer %d \"%s\" needs a random generator in training (rng is "
                                    "NULL)", l + 1, I->name);
                nn_dropout_forward(L->out, L->mask, in, n_in, L->a / 100.0, NN_DROPOUT_INVERTED, rng);
            } else {
                nn_copy(L->out, in, n_in);
            }
            break;
        case NN_LAYER_FLATTEN:
            nn_copy(L->out, in, n_in);
            break;
        case NN_LAYER_DENSE:
            nn_dense_forward(L->out, in, p, p + (size_t)L->a * L->in_size, B, (int)L->in_size, L->a);
            break;
        }
        in = L->out;
    }
    if (logits)
        nn_copy(logits, in, (size_t)B * m->layers[m->n_layers - 1].out_size);
    m->last_B = B;
    m->last_training = training;
    m->has_forward = 1;
    return NN_OK;
}

int nn_model_backward(nn_model *m, float *d_x, const float *d_logits, int B)
{
    if (!m->has_forward || B != m->last_B)
        return nn_error("model backward: batch of %d, but the last forward pass was of %d examples "
                        "(backward follows the forward of the same batch)", B, m->has_forward ? m->last_B : 0);
    layer *last = &m->layers[m->n_layers - 1];
    nn_copy(last->g, d_logits, (size_t)B * last->out_size);
    for (int l = m->n_layers - 1; l >= 0; l--) {
        layer *L = &m->layers[l];
        const nn_layer_info *I = &L->info;
        const float *in = l ? m->layers[l - 1].out : m->x;
        /* The gradient with respect to this layer's input: the previous
         * layer's g, or the input gradient; layer backwards add, so clear it
         * first.  Layer 0 skips it when nobody asked for d_x. */
        float *d_in = l ? m->layers[l - 1].g : d_x ? m->d_x : NULL;
        size_t n_in = (size_t)B * L->in_size;
        if (d_in)
            nn_zero(d_in, n_in);
        float *p = m->params + L->param_off, *dp = m->grads + L->param_off;
        switch (I->kind) {
        case NN_LAYER_CONV: {
            nn_conv_dims d;
            size_t n_w = (size_t)L->a * I->in_c * L->b * L->b;
            if (nn_conv_dims_make(&d, B, I->in_c, I->in_h, I->in_w, L->a, L->b, L->c, L->d) != NN_OK ||
                nn_conv2d_backward(d_in, dp, dp + n_w, L->g, in, p, &d) != NN_OK)
                return NN_ERR;
            break;
        }
        case NN_LAYER_MAXPOOL:
        case NN_LAYER_AVGPOOL: {
            if (!d_in)
                break;
            nn_pool_dims d;
            if (nn_pool_dims_make(&d, B, I->in_c, I->in_h, I->in_w, L->a, L->b) != NN_OK)
                return NN_ERR;
            int rc = I->kind == NN_LAYER_MAXPOOL ? nn_maxpool_backward(d_in, L->g, L->argmax, &d)
                                                 : nn_avgpool_backward(d_in, L->g, &d);
            if (rc != NN_OK)
                return NN_ERR;
            break;
        }
        case NN_LAYER_BN: {
            int C = I->in_c, HW = I->in_h * I->in_w;
            if (m->last_training) {
                if (L->flat)
                    nn_batchnorm_backward(d_in, dp, dp + C, L->g, in, p, L->mean, L->rstd, B, C);
                else
                    nn_batchnorm2d_backward(d_in, dp, dp + C, L->g, in, p, L->mean, L->rstd, B, C, HW);
            } else {
                /* Inference: out = gamma (in - running mean) r + beta with
                 * constant r = 1 / sqrt(running var + eps), so the layer is
                 * affine and its gradients are those of a scale and shift. */
                const float *rm = m->stats + L->stat_off, *rv = rm + C;
                for (int c = 0; c < C; c++) {
                    double r = 1.0 / sqrt((double)rv[c] + NN_BN_EPS), sum = 0, sum_xhat = 0;
                    for (int n = 0; n < B; n++)
                        for (int q = 0; q < HW; q++) {
                            size_t i = ((size_t)n * C + c) * HW + q;
                            sum += L->g[i];
                            sum_xhat += L->g[i] * ((in[i] - rm[c]) * r);
                            if (d_in)
                                d_in[i] += (float)(p[c] * r * L->g[i]);
                        }
                    dp[c] += (float)sum_xhat;
                    dp[C + c] += (float)sum;
                }
            }
            break;
        }
        case NN_LAYER_RELU:
        case NN_LAYER_TANH:
            if (d_in)
                nn_act_backward(I->kind == NN_LAYER_RELU ? NN_RELU : NN_TANH, d_in, L->g, in, L->out, n_in);
            break;
        case NN_LAYER_DROPOUT:
            if (!d_in)
                break;
            if (m->last_training && L->a > 0)
                nn_dropout_backward(d_in, L->g, L->mask, n_in);
            else
                nn_axpy(d_in, 1, L->g, n_in);
            break;
        case NN_LAYER_FLATTEN:
            if (d_in)
                nn_axpy(d_in, 1, L->g, n_in);
            break;
        case NN_LAYER_DENSE:
            nn_dense_backward(d_in, dp, dp + (size_t)L->a * L->in_size, L->g, in, p, B, (int)L->in_size, L->a);
            break;
        }
    }
    if (d_x)
        nn_copy(d_x, m->d_x, (size_t)B * m->C * m->H * m->W);
    return NN_OK;
}

/* ---- The model file ------------------------------------------------------------
 * The whole file is built in memory and written with one fwrite; a reader
 * reads it whole and walks it with a cursor that refuses to step past the
 * end.  Numbers are written byte by byte, least significant first, so the
 * file is the same on every machine. */

typedef struct {
    unsigned char *data;
    size_t len, cap;
} byte_buf;

static void put_bytes(byte_buf *b, const void *src, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *grown = nn_malloc(cap);
        if (b->len)
            memcpy(grown, b->data, b->len);
        free(b->data);
        b->data = grown;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void put_u32(byte_buf *b, uint32_t v)
{
    unsigned char le[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24)};
    put_bytes(b, le, 4);
}

static void put_floats(byte_buf *b, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        put_u32(b, bits);
    }
}

/* A tensor as the file lists it: name, shape, where its values live. */
typedef struct {
    char name[48];
    int ndim;
    uint32_t shape[4];
    float *data;
    size_t count;
} tensor_entry;

/* The tensors the architecture implies, in file order; returns how many. */
static int list_tensors(nn_model *m, tensor_entry *t)
{
    int n = 0;
    for (int l = 0; l < m->n_layers; l++) {
        layer *L = &m->layers[l];
        float *p = m->params + L->param_off;
        const nn_layer_info *I = &L->info;
        if (I->kind == NN_LAYER_CONV) {
            size_t n_w = (size_t)L->a * I->in_c * L->b * L->b;
            t[n] = (tensor_entry){"", 4, {(uint32_t)L->a, (uint32_t)I->in_c, (uint32_t)L->b, (uint32_t)L->b},
                                  p, n_w};
            snprintf(t[n++].name, sizeof t->name, "%d.w", l);
            t[n] = (tensor_entry){"", 1, {(uint32_t)L->a, 0, 0, 0}, p + n_w, (size_t)L->a};
            snprintf(t[n++].name, sizeof t->name, "%d.b", l);
        } else if (I->kind == NN_LAYER_DENSE) {
            size_t n_w = (size_t)L->a * L->in_size;
            t[n] = (tensor_entry){"", 2, {(uint32_t)L->a, (uint32_t)L->in_size, 0, 0}, p, n_w};
            snprintf(t[n++].name, sizeof t->name, "%d.w", l);
            t[n] = (tensor_entry){"", 1, {(uint32_t)L->a, 0, 0, 0}, p + n_w, (size_t)L->a};
            snprintf(t[n++].name, sizeof t->name, "%d.b", l);
        } else if (I->kind == NN_LAYER_BN) {
            size_t C = (size_t)I->in_c;
            float *s = m->stats + L->stat_off;
            static const char *const names[4] = {"gamma", "beta", "running_mean", "running_var"};
            float *where[4] = {p, p + C, s, s + C};
            for (int k = 0; k < 4; k++) {
                t[n] = (tensor_entry){"", 1, {(uint32_t)C, 0, 0, 0}, where[k], C};
                snprintf(t[n++].name, sizeof t->name, "%d.%s", l, names[k]);
            }
        }
    }
    return n;
}

static int count_tensors(const nn_model *m)
{
    int n = 0;
    for (int l = 0; l < m->n_layers; l++) {
        nn_layer_kind k = m->layers[l].info.kind;
        n += k == NN_LAYER_CONV || k == NN_LAYER_DENSE ? 2 : k == NN_LAYER_BN ? 4 : 0;
    }
    return n;
}

int nn_model_save(const nn_model *m, const char *path)
{
    int n = count_tensors(m);
    tensor_entry *t = nn_calloc((size_t)(n ? n : 1), sizeof *t);
    list_tensors((nn_model *)m, t);
    byte_buf b = {0};
    put_bytes(&b, NN_MODEL_MAGIC, 8);
    put_u32(&b, NN_MODEL_VERSION);
    put_u32(&b, (uint32_t)m->C);
    put_u32(&b, (uint32_t)m->H);
    put_u32(&b, (uint32_t)m->W);
    size_t arch_len = strlen(m->arch);
    put_u32(&b, (uint32_t)arch_len);
    put_bytes(&b, m->arch, arch_len);
    put_u32(&b, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        size_t name_len = strlen(t[i].name);
        put_u32(&b, (uint32_t)name_len);
        put_bytes(&b, t[i].name, name_len);
        put_u32(&b, (uint32_t)t[i].ndim);
        for (int k = 0; k < t[i].ndim; k++)
            put_u32(&b, t[i].shape[k]);
        put_floats(&b, t[i].data, t[i].count);
    }
    put_u32(&b, (uint32_t)crc32(0L, b.data, (uInt)b.len));
    free(t);
    FILE *f = fopen(path, "wb");
    if (!f) {
        int e = errno;
        free(b.data);
        return nn_error("cannot write the model file %s: %s", path, strerror(e));
    }
    size_t written = fwrite(b.data, 1, b.len, f);
    int closed = fclose(f);
    free(b.data);
    if (written != b.len || closed != 0)
        return nn_error("cannot write the model file %s: the write failed (disk full?)", path);
    return NN_OK;
}

typedef struct {
    const unsigned char *data;
    size_t len, pos;
    const char *path;
} cursor;

static int take(cursor *c, size_t n, const char *what, const unsigned char **out)
{
    if (c->len - c->pos < n)
        return nn_error("model file %s is truncated: it ends at byte %zu, inside %s (which needs %zu bytes from "
                        "byte %zu): save it again", c->path, c->len, what, n, c->pos);
    *out = c->data + c->pos;
    c->pos += n;
    return NN_OK;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int take_u32(cursor *c, const char *what, uint32_t *v)
{
    const unsigned char *p = NULL;
    if (take(c, 4, what, &p) != NN_OK)
        return NN_ERR;
    *v = le32(p);
    return NN_OK;
}

/* The checks after the header, on a file whose magic and version are right.
 * Fills *out with the model on success. */
static int read_body(cursor *c, int max_batch, nn_model **out)
{
    uint32_t C, H, W, arch_len, n_tensors;
    const unsigned char *p = NULL;
    if (take_u32(c, "the input channels", &C) != NN_OK || take_u32(c, "the input height", &H) != NN_OK ||
        take_u32(c, "the input width", &W) != NN_OK || take_u32(c, "the architecture's length", &arch_len) != NN_OK)
        return NN_ERR;
    if (C < 1 || H < 1 || W < 1 || C > 4096 || H > 65536 || W > 65536)
        return nn_error("model file %s: impossible input shape %u x %u x %u", c->path, C, H, W);
    if (arch_len > 65536)
        return nn_error("model file %s: impossible architecture length %u", c->path, arch_len);
    if (take(c, arch_len, "the architecture string", &p) != NN_OK)
        return NN_ERR;
    char *arch = nn_malloc((size_t)arch_len + 1);
    memcpy(arch, p, arch_len);
    arch[arch_len] = 0;
    if (strlen(arch) != arch_len) {
        free(arch);
        return nn_error("model file %s: the architecture string contains a zero byte", c->path);
    }
    nn_model *m = nn_model_new(arch, (int)C, (int)H, (int)W, max_batch);
    if (!m) {
        char why[1024];
        snprintf(why, sizeof why, "%s", nn_last_error());
        free(arch);
        return nn_error("model file %s: its architecture does not build: %s", c->path, why);
    }
    free(arch);
    int want = count_tensors(m);
    tensor_entry *t = nn_calloc((size_t)(want ? want : 1), sizeof *t);
    list_tensors(m, t);
    int rc = NN_ERR;
    if (take_u32(c, "the tensor count", &n_tensors) != NN_OK)
        goto done;
    if (n_tensors != (uint32_t)want) {
        nn_error("model file %s: it holds %u tensors, but its architecture \"%s\" has %d", c->path, n_tensors,
                 m->arch, want);
        goto done;
    }
    for (int i = 0; i < want; i++) {
        uint32_t name_len, ndim, shape[4];
        char what[96], name[64];
        snprintf(what, sizeof what, "the name of tensor %d (%s)", i + 1, t[i].name);
        if (take_u32(c, what, &name_len) != NN_OK)
            goto done;
        if (name_len >= sizeof name) {
            nn_error("model file %s: tensor %d has a name of %u bytes, expected \"%s\"", c->path, i + 1, name_len,
                     t[i].name);
            goto done;
        }
        if (take(c, name_len, what, &p) != NN_OK)
            goto done;
        memcpy(name, p, name_len);
        name[name_len] = 0;
        if (strcmp(name, t[i].name)) {
            nn_error("model file %s: tensor %d is named \"%s\", but the architecture \"%s\" has \"%s\" there",
                     c->path, i + 1, name, m->arch, t[i].name);
            goto done;
        }
        snprintf(what, sizeof what, "the shape of tensor %s", name);
        if (take_u32(c, what, &ndim) != NN_OK)
            goto done;
        if (ndim < 1 || ndim > 4) {
            nn_error("model file %s: tensor %s has %u dimensions (1 to 4 allowed)", c->path, name, ndim);
            goto done;
        }
        for (uint32_t k = 0; k < ndim; k++)
            if (take_u32(c, what, &shape[k]) != NN_OK)
                goto done;
        int same = (int)ndim == t[i].ndim;
        for (uint32_t k = 0; same && k < ndim; k++)
            same = shape[k] == t[i].shape[k];
        if (!same) {
            char got[80] = "", need[80] = "";
            for (uint32_t k = 0; k < ndim; k++)
                snprintf(got + strlen(got), sizeof got - strlen(got), "%s%u", k ? ", " : "", shape[k]);
            for (int k = 0; k < t[i].ndim; k++)
                snprintf(need + strlen(need), sizeof need - strlen(need), "%s%u", k ? ", " : "", t[i].shape[k]);
            nn_error("model file %s: tensor %s has shape (%s), but the architecture \"%s\" on a %u x %u x %u "
                     "input needs (%s)", c->path, name, got, m->arch, C, H, W, need);
            goto done;
        }
        snprintf(what, sizeof what, "the values of tensor %s", name);
        if (take(c, 4 * t[i].count, what, &p) != NN_OK)
            goto done;
        for (size_t k = 0; k < t[i].count; k++) {
            uint32_t bits = le32(p + 4 * k);
            memcpy(&t[i].data[k], &bits, 4);
        }
    }
    rc = NN_OK;
done:
    free(t);
    if (rc == NN_OK)
        *out = m;
    else
        nn_model_free(m);
    return rc;
}

nn_model *nn_model_load(const char *path, int max_batch)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return nn_error("cannot open the model file %s: %s (save one with ch07-cnn --save FILE)", path,
                        strerror(errno)), NULL;
    byte_buf b = {0};
    unsigned char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        put_bytes(&b, chunk, got);
        if (b.len > ((size_t)1 << 30)) {
            fclose(f);
            free(b.data);
            return nn_error("model file %s is larger than 1 GiB: not a model of this kit", path), NULL;
        }
    }
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(b.data);
        return nn_error("cannot read the model file %s", path), NULL;
    }
    cursor c = {b.data, b.len, 0, path};
    nn_model *m = NULL;
    uint32_t version = 0;
    int rc = NN_ERR;
    if (b.len == 0) {
        nn_error("model file %s is empty (0 bytes): save the model again", path);
        goto done;
    }
    if (b.len < 8 || memcmp(b.data, NN_MODEL_MAGIC, 8) != 0) {
        if (b.len < 8 && b.len > 0 && !memcmp(b.data, NN_MODEL_MAGIC, b.len))
            nn_error("model file %s is truncated: %zu bytes, not even the 8-byte magic", path, b.len);
        else
            nn_error("%s is not an nnlab model file: it does not start with the magic \"%s\"", path, NN_MODEL_MAGIC);
        goto done;
    }
    c.pos = 8;
    if (take_u32(&c, "the format version", &version) != NN_OK)
        goto done;
    if (version > NN_MODEL_VERSION) {
        nn_error("model file %s has format version %u, newer than the version %u this kit reads: use the nnlab "
                 "that wrote it, or save the model again with this one", path, version, NN_MODEL_VERSION);
        goto done;
    }
    if (version != NN_MODEL_VERSION) {
        nn_error("model file %s has format version %u: this kit reads only version %u", path, version,
                 NN_MODEL_VERSION);
        goto done;
    }
    /* The structure first, so a short file says "truncated" and a long one
     * "trailing bytes"; then the checksum, which catches a changed byte
     * anywhere.  When the structure is broken and the checksum does not
     * match either, the file was damaged: the message says both. */
    uint32_t stored;
    if (read_body(&c, max_batch, &m) != NN_OK || take_u32(&c, "the checksum", &stored) != NN_OK) {
        if (b.len >= 4 && crc32(0L, b.data, (uInt)(b.len - 4)) != le32(b.data + b.len - 4)) {
            char why[1024];
            snprintf(why, sizeof why, "%s", nn_last_error());
            nn_error("%s (and the checksum does not match: the file is damaged)", why);
        }
        goto done;
    }
    if (c.pos != b.len) {
        nn_error("model file %s has %zu bytes of trailing garbage after its checksum (at byte %zu): it was "
                 "damaged or appended to", path, b.len - c.pos, c.pos);
        goto done;
    }
    uint32_t computed = (uint32_t)crc32(0L, b.data, (uInt)(b.len - 4));
    if (computed != stored) {
        nn_error("model file %s fails its checksum (stored CRC-32 %08x, computed %08x): a byte was changed; the "
                 "file is damaged, save it again", path, stored, computed);
        goto done;
    }
    rc = NN_OK;
done:
    free(b.data);
    if (rc != NN_OK) {
        nn_model_free(m);
        return NULL;
    }
    return m;
}
