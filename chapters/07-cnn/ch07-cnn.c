/* Chapter 7: The convolutional network
 * ====================================
 *
 * Chapters 5 and 6 built the two new layers, convolution and pooling, one at
 * a time.  Chapters 2 to 4 taught how a network learns: backpropagation,
 * optimizers, regularization.  This chapter puts them together into the
 * network the course builds towards, deck 002's "Image Classification with
 * CNN":
 *
 *     CONV -> ReLU -> POOL  (repeated)  ->  fully connected  ->  softmax
 *
 * "CONV and POOL layers output high-level features of input; the fully
 * connected layer uses these features for classifying the input image", and
 * the softmax, softmax(y_i) = e^{y_i} / sum_j e^{y_j}, expresses the output as
 * the probability of each class.  It is trained on Fashion-MNIST: 70,000
 * grey 28x28 pictures of ten kinds of clothing (60,000 to train, 10,000 to
 * test).
 *
 *   section 1  the data: Fashion-MNIST (or the 8x8 digits), a validation split,
 *              augmentation
 *   section 2  deck 004's toy network, every number printed
 *   section 3  LeNet-5, written out layer by layer, forward and backward
 *   section 4  a modern small network: 3x3 convolutions, batch norm, ReLU,
 *              max pooling, dropout; under 100,000 parameters
 *   section 5  training as deck 000 describes it: shuffled mini-batches,
 *              many epochs, a validation split, early stopping, a schedule
 *   section 6  parameters, memory and multiply-adds of every layer; deck
 *              004's table of famous networks, counted from their layers
 *   section 7  why not a dense network: an MLP and a CNN of the same size,
 *              on the test images and on the same images shifted
 *   section 8  what helps: batch norm, dropout, augmentation, each on/off
 *   section 9  residual connections, H(x) = F(x) + x (deck 003)
 *   section 10 what the network learned: filters, feature maps, the
 *              confusion matrix, the mistakes
 *
 * Notation.  A batch holds B images; an image is (C, H, W) with C channels
 * (deck 002's depth D), and a batch of them is the NCHW array (B, C, H, W),
 * as PyTorch stores it.  A convolutional layer has K filters of F x F
 * (weights (K, C, F, F), biases (K)), stride S and zero padding P, and
 * produces (B, K, H2, W2) with W2 = (W - F + 2P)/S + 1 (deck 002).  A dense
 * layer stores W (O, I) and computes z = W a + b.  Every tensor below carries
 * its shape in a comment.
 *
 * Build and run:   make ch07-cnn && ./ch07-cnn            (a subset: 2,000 images, 3 epochs;
 *                                                          about 30 s of one core)
 *                  ./ch07-cnn --full                      (the documented run: all images, 20 epochs;
 *                                                          about 15 minutes of one core)
 *                  ./ch07-cnn --dataset digits            (no Fashion-MNIST needed)
 *                  ./ch07-cnn --net small --save m.nnlab  (a model file for chapter 8)
 * Sections 2 and 7-9 use subsets and run only without --full; sections 3-6
 * and 10 run on whatever --full or --train/--test select.
 * Figures:         ./ch07-cnn --out . && gnuplot plots/07-cnn/curves.gp, or `make figures`
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nnlab.h"
#include "nn_claim.h"
#include "nn_netcount.h"

#define CHAPTER "07-cnn"
#define N_CLASSES 10

/* Every lib call that can meet an impossible shape returns NN_ERR with a
 * message; the chapter stops with that message (exit 1). */
static void must(int status)
{
    if (status != NN_OK)
        nn_die_last();
}

/* The claims: every sentence of the summary that states a result of the run
 * goes through nn_claim, which prints it as one line "claim ID: PASS|FAIL
 * sentence"; the run test checks that every claim says PASS for seeds 1, 2
 * and 3.  A sentence that did not hold is still printed, marked FAIL. */

/* ======================================================================
 * Section 1. The data
 * ======================================================================
 *
 * Fashion-MNIST comes from Debian's dataset-fashion-mnist package, read by
 * the lib's IDX reader (--data DIR or NNLAB_DATA to look elsewhere).  Pixels
 * are bytes / 255 in [0, 1].  The test set is touched once, at the end; every
 * decision during training (when to stop, which epoch's weights to keep) is
 * made on a validation split carved out of the training set, so the test
 * accuracy stays an honest estimate of accuracy on new images.
 *
 * For quick runs, --dataset digits uses the 1,797 8x8 handwritten digits
 * shipped in data/, enlarged to 16x16 (every pixel becomes a 2x2 block) so
 * that LeNet-5's two 5x5 convolutions and two pools still fit, and scaled
 * from 0..16 to [0, 1].  They have no separate test set: a fifth is held out.
 *
 * Inputs are standardised with one mean and one standard deviation over all
 * training pixels, x <- (x - mean) / std, so that the first layer sees
 * values of order 1 whatever the data set. */
typedef struct {
    nn_dataset train, val, test;   /* x (n, C H W) in [0, 1], y (n) */
    int C, H, W;                   /* (1, 28, 28) or (1, 16, 16) */
    float mean, std;               /* of the training pixels */
    const char *name;              /* "Fashion-MNIST" or "digits" */
    const char *const *class_names;
} data_sets;

static const char *const digit_names[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
static const char *const fashion_short[10] = {"T-shirt", "trouser", "pullover", "dress", "coat",
                                              "sandal", "shirt", "sneaker", "bag", "boot"};

/* ds -> a new set of the examples idx[0..n) */
static void subset(nn_dataset *out, const nn_dataset *ds, const int *idx, int n)
{
    *out = *ds;
    out->n = n;
    out->x = nn_floats((size_t)n * ds->d);
    out->y = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    out->t = NULL;
    for (int i = 0; i < n; i++) {
        nn_copy(out->x + (size_t)i * ds->d, ds->x + (size_t)idx[i] * ds->d, (size_t)ds->d);
        out->y[i] = ds->y[idx[i]];
    }
}

/* The digits, enlarged from 8x8 to 16x16 and scaled to [0, 1]. */
static void enlarge_digits(nn_dataset *big, const nn_dataset *small)
{
    *big = *small;
    big->d = 256;
    big->height = big->width = 16;
    big->x = nn_floats((size_t)small->n * 256);
    big->y = malloc(sizeof(int) * (size_t)small->n);
    big->t = NULL;
    for (int n = 0; n < small->n; n++) {
        big->y[n] = small->y[n];
        for (int i = 0; i < 16; i++)
            for (int j = 0; j < 16; j++)
                big->x[(size_t)n * 256 + i * 16 + j] = small->x[(size_t)n * 64 + (i / 2) * 8 + j / 2] / 16.0f;
    }
}

/* Loads n_train training images (0: all), of which n_val go to validation,
 * and n_test test images (0: all). */
static void load_data(data_sets *data, const char *dataset, const char *dir, int n_train, int n_val,
                      int n_test, nn_rng *rng)
{
    memset(data, 0, sizeof *data);
    nn_dataset all_train, test;
    if (strcmp(dataset, "digits") == 0) {
        nn_dataset digits, big;
        must(nn_load_digits(&digits, NULL));
        enlarge_digits(&big, &digits);
        nn_dataset_free(&digits);
        int *order = malloc(sizeof(int) * (size_t)big.n);
        nn_rng_permutation(rng, order, (size_t)big.n);
        int n_hold = big.n / 5;
        subset(&test, &big, order, n_hold);
        subset(&all_train, &big, order + n_hold, big.n - n_hold);
        free(order);
        nn_dataset_free(&big);
        data->name = "digits";
        data->class_names = digit_names;
    } else {
        if (nn_load_fashion_mnist(&all_train, dir, 1, n_train) != NN_OK ||
            nn_load_fashion_mnist(&test, dir, 0, n_test) != NN_OK)
            nn_die(1, "%s\n  (for a quick run without Fashion-MNIST: --dataset digits)", nn_last_error());
        data->name = "Fashion-MNIST";
        data->class_names = fashion_short;
    }
    if (n_train > 0 && n_train < all_train.n)
        all_train.n = n_train;
    if (n_test > 0 && n_test < test.n)
        test.n = n_test;
    if (n_val >= all_train.n)
        nn_usage_error("--val %d leaves no training images out of %d: use a smaller --val", n_val,
                       all_train.n);
    /* the validation split: a random n_val of the training images */
    int *order = malloc(sizeof(int) * (size_t)all_train.n);
    nn_rng_permutation(rng, order, (size_t)all_train.n);
    subset(&data->val, &all_train, order, n_val);
    subset(&data->train, &all_train, order + n_val, all_train.n - n_val);
    data->test = test;
    free(order);
    nn_dataset_free(&all_train);
    data->C = 1;
    data->H = data->train.height;
    data->W = data->train.width;
    double sum = 0, squares = 0;
    size_t count = (size_t)data->train.n * data->train.d;
    for (size_t q = 0; q < count; q++) {
        sum += data->train.x[q];
        squares += (double)data->train.x[q] * data->train.x[q];
    }
    double mean = sum / (double)count;
    data->mean = (float)mean;
    data->std = (float)sqrt(fmax(squares / (double)count - mean * mean, 1e-12));
}

static void data_free(data_sets *data)
{
    nn_dataset_free(&data->train);
    nn_dataset_free(&data->val);
    nn_dataset_free(&data->test);
}

/* Data augmentation (deck 001: "create fake data and add it to the training
 * set"; deck 003): each training image of each epoch is moved by a random
 * shift of up to `shift` pixels in each direction (the pixels that enter
 * are background, 0), mirrored left-right with probability 1/2 when `flip`,
 * and given Gaussian pixel noise of standard deviation `noise`.  A shirt
 * moved two pixels, or mirrored, is still a shirt: the network is shown
 * more of the variation the test images will have.  By default only the
 * shifts are on (--shift 1); --flip and --noise add the others, and they
 * only help when the test images have that variation too: Fashion-MNIST's
 * photographs are taken in standard poses (its shoes, for one, all point
 * the same way), so a mirrored image is mostly one the test set does not
 * show. */
typedef struct {
    int shift;       /* pixels, 0: none */
    int flip;        /* mirror left-right with probability 1/2 */
    double noise;    /* std of the added pixel noise, 0: none */
} augment_cfg;

/* The batch for training or evaluation: images idx[0..B) of ds, augmented
 * (aug may be NULL), standardised, into x (B, C, H, W) and labels y (B). */
static void gather_batch(float *x, int *y, const nn_dataset *ds, const int *idx, int B, const data_sets *data,
                         const augment_cfg *aug, nn_rng *rng)
{
    int H = data->H, W = data->W, D = ds->d;
    for (int b = 0; b < B; b++) {
        const float *src = ds->x + (size_t)idx[b] * D;
        float *dst = x + (size_t)b * D;
        y[b] = ds->y[idx[b]];
        int dy = 0, dx = 0, mirror = 0;
        if (aug && aug->shift > 0) {
            dy = (int)nn_rng_below(rng, (uint32_t)(2 * aug->shift + 1)) - aug->shift;
            dx = (int)nn_rng_below(rng, (uint32_t)(2 * aug->shift + 1)) - aug->shift;
        }
        if (aug && aug->flip)
            mirror = (int)nn_rng_below(rng, 2);
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int si = i - dy, sj = (mirror ? W - 1 - j : j) - dx;
                float v = si >= 0 && si < H && sj >= 0 && sj < W ? src[si * W + sj] : 0.0f;
                if (aug && aug->noise > 0)
                    v += (float)(aug->noise * nn_rng_normal(rng));
                dst[i * W + j] = (v - data->mean) / data->std;
            }
    }
}

/* ======================================================================
 * The networks: explicit layers behind one small interface
 * ======================================================================
 *
 * Each network of this chapter is a struct with its tensors as named
 * pointers and two functions, forward and backward, that call one lib
 * kernel per layer, in order.  What they share, so that one training loop
 * trains them all, is this header: the parameters and their gradients as
 * one buffer each (the optimizer is one flat loop over them, a gradient
 * check perturbs one flat array), the running statistics of batch norm (kept
 * with the best model, but not trained), and the logits of the last forward
 * pass.
 *
 * The layer table (section 6) is filled when a network is built: for each
 * layer its output shape, learnable parameters, activation floats per image
 * (what a forward pass keeps for backward) and multiply-adds per image. */
typedef struct {
    char name[40];
    char shape[24];        /* "6x28x28" */
    size_t params, acts, macs;
} layer_row;

#define MAX_ROWS 48

typedef struct model model;
struct model {
    char name[48];
    int C, H, W;                 /* one input image (C, H, W) */
    int classes, max_batch;
    size_t n_params;
    float *params, *grads;       /* (n_params) each, the same layout */
    size_t n_stats;
    float *stats;                /* (n_stats): running means and variances */
    float *logits;               /* (max_batch, classes) */
    layer_row rows[MAX_ROWS];
    int n_rows;
    int (*forward)(model *m, const float *x, int B, int training, nn_rng *rng);
    void (*backward)(model *m, const float *d_logits, int B);
    void (*destroy)(model *m);
};

static void add_row(model *m, const char *name, int c, int h, int w, size_t params, size_t macs)
{
    NN_ASSERT(m->n_rows < MAX_ROWS);
    layer_row *r = &m->rows[m->n_rows++];
    snprintf(r->name, sizeof r->name, "%s", name);
    if (h == 1 && w == 1)
        snprintf(r->shape, sizeof r->shape, "%d", c);
    else
        snprintf(r->shape, sizeof r->shape, "%dx%dx%d", c, h, w);
    r->params = params;
    r->acts = (size_t)c * h * w;
    r->macs = macs;
}

/* The activations of a batch, and their gradients, are one buffer each of
 * max_batch images; backward zeroes the first B images' worth of each
 * gradient tensor before it adds into them (backward adds, DESIGN-DECISIONS). */
typedef struct {
    int n;
    nn_piece pieces[MAX_ROWS];
    size_t per_image[MAX_ROWS];
} act_table;

static void act_add(act_table *t, const char *name, size_t per_image, float **slot)
{
    NN_ASSERT(t->n < MAX_ROWS);
    t->pieces[t->n] = (nn_piece){name, per_image, slot};
    t->per_image[t->n] = per_image;
    t->n++;
}

static float *act_alloc(act_table *t, int max_batch)
{
    for (int i = 0; i < t->n; i++)
        t->pieces[i].count = t->per_image[i] * (size_t)max_batch;
    size_t total;
    return nn_alloc_pieces(t->pieces, t->n, &total);
}

static void act_zero(const act_table *t, int B)
{
    for (int i = 0; i < t->n; i++)
        nn_zero(*t->pieces[i].slot, t->per_image[i] * (size_t)B);
}

/* Initialisation (chapter 2): weights ~ N(0, s^2) with s = sqrt(2 / fan_in)
 * before a ReLU (He), s = sqrt(2 / (fan_in + fan_out)) before tanh or the
 * softmax (Xavier/Glorot); biases 0. */
static void init_normal(float *w, size_t n, double std, nn_rng *rng)
{
    nn_rng_fill_normal(rng, w, n, 0.0, std);
}

static double he_std(size_t fan_in) { return sqrt(2.0 / (double)fan_in); }
static double xavier_std(size_t fan_in, size_t fan_out) { return sqrt(2.0 / (double)(fan_in + fan_out)); }

static void model_free(model *m)
{
    if (m)
        m->destroy(m);
}

/* ======================================================================
 * Section 3. LeNet-5, written out
 * ======================================================================
 *
 * LeCun et al. (1998), as deck 004 lists it: "two convolutional layers with
 * 5x5 filters and tanh non-linear activation, two 2x2 avg-pool layers, three
 * fully connected layers, 2 with tanh, one with softmax at the end, 60K
 * parameters in total".  LeNet-5 read 32x32 images; a 28x28 Fashion-MNIST
 * image padded with 2 zeros on each side is one, so the first convolution
 * has P = 2 and keeps 28x28 (W2 = (28 - 5 + 4)/1 + 1 = 28).  For an input of
 * (1, 28, 28):
 *
 *     x   (B, 1, 28, 28)
 *     z1  (B, 6, 28, 28)   conv 6 filters 5x5, P = 2     w (6, 1, 5, 5)     156 parameters
 *     a1  (B, 6, 28, 28)   tanh
 *     s1  (B, 6, 14, 14)   average pool 2x2
 *     z2  (B, 16, 10, 10)  conv 16 filters 5x5           w (16, 6, 5, 5)  2,416
 *     a2  (B, 16, 10, 10)  tanh
 *     s2  (B, 16, 5, 5)    average pool 2x2, read as (B, 400) by the next layer
 *     z3  (B, 120)         dense                         W (120, 400)    48,120
 *     a3  (B, 120)         tanh
 *     z4  (B, 84)          dense                         W (84, 120)     10,164
 *     a4  (B, 84)          tanh
 *     logits (B, 10)       dense                         W (10, 84)         850
 *                                                                   total 61,706
 *
 * The softmax lives in the loss (nn_softmax_xent_forward), where it can be
 * computed stably together with the logarithm. */
typedef struct {
    model m;
    int H1, W1, H2, W2, H3, W3, H4, W4;   /* after conv1, pool1, conv2, pool2 */
    int flat;                             /* 16 H4 W4 */
    /* parameters (views into m.params) and their gradients (into m.grads) */
    float *conv1_w, *conv1_b;   /* (6, C, 5, 5), (6) */
    float *conv2_w, *conv2_b;   /* (16, 6, 5, 5), (16) */
    float *fc1_w, *fc1_b;       /* (120, flat), (120) */
    float *fc2_w, *fc2_b;       /* (84, 120), (84) */
    float *fc3_w, *fc3_b;       /* (classes, 84), (classes) */
    float *d_conv1_w, *d_conv1_b, *d_conv2_w, *d_conv2_b, *d_fc1_w, *d_fc1_b, *d_fc2_w, *d_fc2_b,
        *d_fc3_w, *d_fc3_b;
    /* activations and their gradients */
    float *acts, *d_acts;
    act_table act_tab, d_act_tab;
    float *z1, *a1, *s1, *z2, *a2, *s2, *z3, *a3, *z4, *a4;
    float *d_z1, *d_a1, *d_s1, *d_z2, *d_a2, *d_s2, *d_z3, *d_a3, *d_z4, *d_a4;
    const float *x;             /* the last forward's input (B, C, H, W) */
} lenet;

static void lenet_dims(const lenet *L, int B, nn_conv_dims *c1, nn_pool_dims *p1, nn_conv_dims *c2,
                       nn_pool_dims *p2)
{
    must(nn_conv_dims_make(c1, B, L->m.C, L->m.H, L->m.W, 6, 5, 1, 2));
    must(nn_pool_dims_make(p1, B, 6, L->H1, L->W1, 2, 2));
    must(nn_conv_dims_make(c2, B, 6, L->H2, L->W2, 16, 5, 1, 0));
    must(nn_pool_dims_make(p2, B, 16, L->H3, L->W3, 2, 2));
}

static int lenet_forward(model *m, const float *x, int B, int training, nn_rng *rng)
{
    (void)training;   /* LeNet has no batch norm and no dropout */
    (void)rng;
    lenet *L = (lenet *)m;
    nn_conv_dims c1, c2;
    nn_pool_dims p1, p2;
    lenet_dims(L, B, &c1, &p1, &c2, &p2);
    size_t n1 = (size_t)B * 6 * L->H1 * L->W1, n2 = (size_t)B * 16 * L->H3 * L->W3;
    L->x = x;
    must(nn_conv2d_forward(L->z1, x, L->conv1_w, L->conv1_b, &c1));       /* (B, 6, 28, 28) */
    nn_act_forward(NN_TANH, L->a1, L->z1, n1);
    must(nn_avgpool_forward(L->s1, L->a1, &p1));                          /* (B, 6, 14, 14) */
    must(nn_conv2d_forward(L->z2, L->s1, L->conv2_w, L->conv2_b, &c2));   /* (B, 16, 10, 10) */
    nn_act_forward(NN_TANH, L->a2, L->z2, n2);
    must(nn_avgpool_forward(L->s2, L->a2, &p2));                          /* (B, 16, 5, 5) */
    nn_dense_forward(L->z3, L->s2, L->fc1_w, L->fc1_b, B, L->flat, 120);  /* (B, 120) */
    nn_act_forward(NN_TANH, L->a3, L->z3, (size_t)B * 120);
    nn_dense_forward(L->z4, L->a3, L->fc2_w, L->fc2_b, B, 120, 84);       /* (B, 84) */
    nn_act_forward(NN_TANH, L->a4, L->z4, (size_t)B * 84);
    nn_dense_forward(m->logits, L->a4, L->fc3_w, L->fc3_b, B, 84, m->classes);   /* (B, 10) */
    return NN_OK;
}

/* Backward: the same layers in reverse, each the derivative of its forward
 * line, gradients added into m.grads (zeroed by the caller once per step). */
static void lenet_backward(model *m, const float *d_logits, int B)
{
    lenet *L = (lenet *)m;
    nn_conv_dims c1, c2;
    nn_pool_dims p1, p2;
    lenet_dims(L, B, &c1, &p1, &c2, &p2);
    size_t n1 = (size_t)B * 6 * L->H1 * L->W1, n2 = (size_t)B * 16 * L->H3 * L->W3;
    act_zero(&L->d_act_tab, B);
    /* forward: logits = a4 W3^T + b3 */
    nn_dense_backward(L->d_a4, L->d_fc3_w, L->d_fc3_b, d_logits, L->a4, L->fc3_w, B, 84, m->classes);
    /* forward: a4 = tanh(z4), so d_z4 = d_a4 (1 - a4^2) */
    nn_act_backward(NN_TANH, L->d_z4, L->d_a4, L->z4, L->a4, (size_t)B * 84);
    nn_dense_backward(L->d_a3, L->d_fc2_w, L->d_fc2_b, L->d_z4, L->a3, L->fc2_w, B, 120, 84);
    nn_act_backward(NN_TANH, L->d_z3, L->d_a3, L->z3, L->a3, (size_t)B * 120);
    nn_dense_backward(L->d_s2, L->d_fc1_w, L->d_fc1_b, L->d_z3, L->s2, L->fc1_w, B, L->flat, 120);
    /* forward: s2 = avgpool(a2): each d_s2 spreads as d_s2 / 4 over its window */
    must(nn_avgpool_backward(L->d_a2, L->d_s2, &p2));
    nn_act_backward(NN_TANH, L->d_z2, L->d_a2, L->z2, L->a2, n2);
    /* forward: z2 = conv(s1, conv2_w) + conv2_b */
    must(nn_conv2d_backward(L->d_s1, L->d_conv2_w, L->d_conv2_b, L->d_z2, L->s1, L->conv2_w, &c2));
    must(nn_avgpool_backward(L->d_a1, L->d_s1, &p1));
    nn_act_backward(NN_TANH, L->d_z1, L->d_a1, L->z1, L->a1, n1);
    /* the input needs no gradient: d_in = NULL */
    must(nn_conv2d_backward(NULL, L->d_conv1_w, L->d_conv1_b, L->d_z1, L->x, L->conv1_w, &c1));
}

static void lenet_destroy(model *m)
{
    lenet *L = (lenet *)m;
    free(m->params);
    free(m->grads);
    free(m->logits);
    free(L->acts);
    free(L->d_acts);
    free(L);
}

/* NULL and a message when the input is too small for two 5x5 convolutions
 * and two pools. */
static model *lenet_new(int C, int H, int W, int classes, int max_batch, nn_rng *rng)
{
    lenet *L = nn_calloc(1, sizeof *L);
    model *m = &L->m;
    snprintf(m->name, sizeof m->name, "LeNet-5");
    m->C = C, m->H = H, m->W = W, m->classes = classes, m->max_batch = max_batch;
    m->forward = lenet_forward, m->backward = lenet_backward, m->destroy = lenet_destroy;
    if (nn_out_size("LeNet conv1 height", H, 5, 1, 2, &L->H1) != NN_OK ||
        nn_out_size("LeNet conv1 width", W, 5, 1, 2, &L->W1) != NN_OK ||
        nn_out_size("pool1 height", L->H1, 2, 2, 0, &L->H2) != NN_OK ||
        nn_out_size("pool1 width", L->W1, 2, 2, 0, &L->W2) != NN_OK ||
        nn_out_size("LeNet conv2 height", L->H2, 5, 1, 0, &L->H3) != NN_OK ||
        nn_out_size("LeNet conv2 width", L->W2, 5, 1, 0, &L->W3) != NN_OK ||
        nn_out_size("pool2 height", L->H3, 2, 2, 0, &L->H4) != NN_OK ||
        nn_out_size("pool2 width", L->W3, 2, 2, 0, &L->W4) != NN_OK) {
        free(L);
        return NULL;
    }
    L->flat = 16 * L->H4 * L->W4;
    size_t k1 = (size_t)6 * C * 25, k2 = 16 * 6 * 25, f1 = (size_t)120 * L->flat, f3 = (size_t)classes * 84;
    nn_piece p[] = {{"conv1.w", k1, &L->conv1_w}, {"conv1.b", 6, &L->conv1_b},
                    {"conv2.w", k2, &L->conv2_w}, {"conv2.b", 16, &L->conv2_b},
                    {"fc1.w", f1, &L->fc1_w},     {"fc1.b", 120, &L->fc1_b},
                    {"fc2.w", 84 * 120, &L->fc2_w}, {"fc2.b", 84, &L->fc2_b},
                    {"fc3.w", f3, &L->fc3_w},     {"fc3.b", (size_t)classes, &L->fc3_b}};
    nn_piece g[] = {{"conv1.w", k1, &L->d_conv1_w}, {"conv1.b", 6, &L->d_conv1_b},
                    {"conv2.w", k2, &L->d_conv2_w}, {"conv2.b", 16, &L->d_conv2_b},
                    {"fc1.w", f1, &L->d_fc1_w},     {"fc1.b", 120, &L->d_fc1_b},
                    {"fc2.w", 84 * 120, &L->d_fc2_w}, {"fc2.b", 84, &L->d_fc2_b},
                    {"fc3.w", f3, &L->d_fc3_w},     {"fc3.b", (size_t)classes, &L->d_fc3_b}};
    size_t n_grads;
    m->params = nn_alloc_pieces(p, 10, &m->n_params);
    m->grads = nn_alloc_pieces(g, 10, &n_grads);
    m->logits = nn_floats((size_t)max_batch * classes);
    size_t n1 = (size_t)6 * L->H1 * L->W1, n1p = (size_t)6 * L->H2 * L->W2;
    size_t n2 = (size_t)16 * L->H3 * L->W3, n2p = (size_t)L->flat;
    act_table *a = &L->act_tab, *d = &L->d_act_tab;
    act_add(a, "z1", n1, &L->z1), act_add(a, "a1", n1, &L->a1), act_add(a, "s1", n1p, &L->s1);
    act_add(a, "z2", n2, &L->z2), act_add(a, "a2", n2, &L->a2), act_add(a, "s2", n2p, &L->s2);
    act_add(a, "z3", 120, &L->z3), act_add(a, "a3", 120, &L->a3);
    act_add(a, "z4", 84, &L->z4), act_add(a, "a4", 84, &L->a4);
    act_add(d, "d_z1", n1, &L->d_z1), act_add(d, "d_a1", n1, &L->d_a1), act_add(d, "d_s1", n1p, &L->d_s1);
    act_add(d, "d_z2", n2, &L->d_z2), act_add(d, "d_a2", n2, &L->d_a2), act_add(d, "d_s2", n2p, &L->d_s2);
    act_add(d, "d_z3", 120, &L->d_z3), act_add(d, "d_a3", 120, &L->d_a3);
    act_add(d, "d_z4", 84, &L->d_z4), act_add(d, "d_a4", 84, &L->d_a4);
    L->acts = act_alloc(a, max_batch);
    L->d_acts = act_alloc(d, max_batch);

    /* Xavier initialisation: every layer is followed by tanh or the softmax */
    init_normal(L->conv1_w, k1, xavier_std((size_t)C * 25, 6 * 25), rng);
    init_normal(L->conv2_w, k2, xavier_std(6 * 25, 16 * 25), rng);
    init_normal(L->fc1_w, f1, xavier_std((size_t)L->flat, 120), rng);
    init_normal(L->fc2_w, 84 * 120, xavier_std(120, 84), rng);
    init_normal(L->fc3_w, f3, xavier_std(84, (size_t)classes), rng);

    add_row(m, "conv 6 5x5 P2 + tanh", 6, L->H1, L->W1, k1 + 6, n1 * C * 25);
    add_row(m, "avg pool 2x2", 6, L->H2, L->W2, 0, 0);
    add_row(m, "conv 16 5x5 + tanh", 16, L->H3, L->W3, k2 + 16, n2 * 6 * 25);
    add_row(m, "avg pool 2x2", 16, L->H4, L->W4, 0, 0);
    add_row(m, "dense 120 + tanh", 120, 1, 1, f1 + 120, f1);
    add_row(m, "dense 84 + tanh", 84, 1, 1, 84 * 120 + 84, 84 * 120);
    add_row(m, "dense 10 (softmax in the loss)", classes, 1, 1, f3 + (size_t)classes, f3);
    return m;
}

/* ======================================================================
 * Section 4. A modern small network
 * ======================================================================
 *
 * What changed between 1998 and today, in a network of the same size:
 *
 *   - 3x3 filters with padding 1 ("same" size), stacked, instead of 5x5:
 *     two 3x3 layers see a 5x5 window with fewer weights (VGG's argument);
 *   - ReLU instead of tanh: no saturation for positive inputs (deck 004);
 *   - max pooling instead of average pooling (deck 004: "provides basic
 *     translation invariance");
 *   - batch normalization after each convolution (deck 001, deck 003), per
 *     channel: BatchNorm2d.  For a (B, K, H, W) batch, channel k is
 *     normalised over all B H W of its values,
 *         mu_k = mean over (b, i, j) of z[b,k,i,j],  sigma_k^2 likewise,
 *         n[b,k,i,j] = gamma_k (z[b,k,i,j] - mu_k) / sqrt(sigma_k^2 + eps) + beta_k,
 *     one gamma and beta per channel, because a filter is the same feature
 *     everywhere in the image.  It is exactly BatchNorm1d with the B H W
 *     positions as the "examples" and the K channels as the "units";
 *     the convolution before it then needs no bias (the mean removes it);
 *   - dropout before the classifier (deck 003: "in each forward pass, for
 *     each neuron, with probability p, set [it] to 0"), inverted as in
 *     PyTorch, so evaluation uses the network as it is.
 *
 * With K1 = 32 and K2 = 64 filters (the defaults) on (1, 28, 28):
 *
 *     x      (B, 1, 28, 28)
 *     z1     (B, 32, 28, 28)  conv 32 filters 3x3, P = 1, no bias   w (32, 1, 3, 3)      288
 *     n1     (B, 32, 28, 28)  BatchNorm2d                           gamma, beta (32)     64
 *     a1     (B, 32, 28, 28)  ReLU
 *     s1     (B, 32, 14, 14)  max pool 2x2 (argmax saved)
 *     z2     (B, 64, 14, 14)  conv 64 filters 3x3, P = 1, no bias   w (64, 32, 3, 3)  18,432
 *     n2     (B, 64, 14, 14)  BatchNorm2d                           gamma, beta (64)    128
 *     a2     (B, 64, 14, 14)  ReLU
 *     s2     (B, 64, 7, 7)    max pool 2x2
 *     d2     (B, 3136)        dropout p = 0.25 (mask saved)
 *     logits (B, 10)          dense                                 W (10, 3136)     31,370
 *                                                                               total 50,282
 *
 * The second convolution does 14 x 14 x 64 x 32 x 9 = 3.6 million of the
 * network's 3.9 million multiply-adds per image (section 6); the dense
 * layer holds five eighths of its parameters.
 *
 * Without batch norm (--no-bn, section 8) the convolutions get their biases
 * back and n = z. */
typedef struct {
    int K1, K2, pool, use_bn;
    double dropout;
} small_cfg;

typedef struct {
    model m;
    small_cfg cfg;
    int H1, W1, H2, W2, H3, W3;    /* after pool1: H2 W2; after pool2: H3 W3 */
    int flat;                      /* K2 H3 W3 */
    float *conv1_w, *conv1_b, *bn1_gamma, *bn1_beta;   /* (K1, C, 3, 3), (K1) x 3 */
    float *conv2_w, *conv2_b, *bn2_gamma, *bn2_beta;   /* (K2, K1, 3, 3), (K2) x 3 */
    float *fc_w, *fc_b;                                /* (classes, flat), (classes) */
    float *d_conv1_w, *d_conv1_b, *d_bn1_gamma, *d_bn1_beta;
    float *d_conv2_w, *d_conv2_b, *d_bn2_gamma, *d_bn2_beta;
    float *d_fc_w, *d_fc_b;
    float *bn1_mean, *bn1_var, *bn2_mean, *bn2_var;    /* running statistics, in m.stats */
    float *bn1_mu, *bn1_rstd, *bn2_mu, *bn2_rstd;      /* this batch's, saved for backward */
    float *acts, *d_acts;
    act_table act_tab, d_act_tab;
    float *z1, *n1, *a1, *s1, *z2, *n2, *a2, *s2, *d2, *mask;
    float *d_z1, *d_n1, *d_a1, *d_s1, *d_z2, *d_n2, *d_a2, *d_s2, *d_d2;
    int *arg1, *arg2;              /* max pool argmax (B, K1, H2, W2), (B, K2, H3, W3) */
    const float *x;
} smallnet;

/* ---- BatchNorm2d ----
 * The lib's nn_batchnorm2d_* compute the formulas above directly on the NCHW
 * array: channel k of image b is the contiguous run (b K + k) HW .. + HW, and
 * the statistics of channel k gather B such runs (tests/lib/test-batchnorm.c
 * checks them bit for bit against BatchNorm1d on the transposed array, and
 * this chapter's unit test against the definition). */
static void bn2d_forward(float *out, float *mu, float *rstd, const float *in, const float *gamma,
                         const float *beta, float *running_mean, float *running_var, int B, int K, int HW,
                         int training)
{
    if (training)
        must(nn_batchnorm2d_forward(out, mu, rstd, in, gamma, beta, running_mean, running_var, B, K, HW,
                                    NN_BN_MOMENTUM, NN_BN_EPS));
    else
        nn_batchnorm2d_eval(out, in, gamma, beta, running_mean, running_var, B, K, HW, NN_BN_EPS);
}

static void small_dims(const smallnet *S, int B, nn_conv_dims *c1, nn_pool_dims *p1, nn_conv_dims *c2,
                       nn_pool_dims *p2)
{
    const small_cfg *c = &S->cfg;
    must(nn_conv_dims_make(c1, B, S->m.C, S->m.H, S->m.W, c->K1, 3, 1, 1));
    must(nn_pool_dims_make(p1, B, c->K1, S->H1, S->W1, c->pool, c->pool));
    must(nn_conv_dims_make(c2, B, c->K1, S->H2, S->W2, c->K2, 3, 1, 1));
    must(nn_pool_dims_make(p2, B, c->K2, S->H2, S->W2, c->pool, c->pool));
}

static int small_forward(model *m, const float *x, int B, int training, nn_rng *rng)
{
    smallnet *S = (smallnet *)m;
    const small_cfg *c = &S->cfg;
    nn_conv_dims c1, c2;
    nn_pool_dims p1, p2;
    small_dims(S, B, &c1, &p1, &c2, &p2);
    int hw1 = S->H1 * S->W1, hw2 = S->H2 * S->W2;
    size_t n1 = (size_t)B * c->K1 * hw1, n2 = (size_t)B * c->K2 * hw2, nf = (size_t)B * S->flat;
    S->x = x;
    must(nn_conv2d_forward(S->z1, x, S->conv1_w, S->conv1_b, &c1));            /* (B, K1, H, W) */
    if (c->use_bn)
        bn2d_forward(S->n1, S->bn1_mu, S->bn1_rstd, S->z1, S->bn1_gamma, S->bn1_beta, S->bn1_mean,
                     S->bn1_var, B, c->K1, hw1, training);
    else
        nn_copy(S->n1, S->z1, n1);
    nn_act_forward(NN_RELU, S->a1, S->n1, n1);
    must(nn_maxpool_forward(S->s1, S->arg1, S->a1, &p1));                      /* (B, K1, H/2, W/2) */
    must(nn_conv2d_forward(S->z2, S->s1, S->conv2_w, S->conv2_b, &c2));        /* (B, K2, H/2, W/2) */
    if (c->use_bn)
        bn2d_forward(S->n2, S->bn2_mu, S->bn2_rstd, S->z2, S->bn2_gamma, S->bn2_beta, S->bn2_mean,
                     S->bn2_var, B, c->K2, hw2, training);
    else
        nn_copy(S->n2, S->z2, n2);
    nn_act_forward(NN_RELU, S->a2, S->n2, n2);
    must(nn_maxpool_forward(S->s2, S->arg2, S->a2, &p2));                      /* (B, K2, H/4, W/4) */
    if (training && c->dropout > 0)
        nn_dropout_forward(S->d2, S->mask, S->s2, nf, c->dropout, NN_DROPOUT_INVERTED, rng);
    else
        nn_dropout_eval(S->d2, S->s2, nf, c->dropout, NN_DROPOUT_INVERTED);
    nn_dense_forward(m->logits, S->d2, S->fc_w, S->fc_b, B, S->flat, m->classes);   /* (B, 10) */
    return NN_OK;
}

static void small_backward(model *m, const float *d_logits, int B)
{
    smallnet *S = (smallnet *)m;
    const small_cfg *c = &S->cfg;
    nn_conv_dims c1, c2;
    nn_pool_dims p1, p2;
    small_dims(S, B, &c1, &p1, &c2, &p2);
    int hw1 = S->H1 * S->W1, hw2 = S->H2 * S->W2;
    size_t n1 = (size_t)B * c->K1 * hw1, n2 = (size_t)B * c->K2 * hw2, nf = (size_t)B * S->flat;
    act_zero(&S->d_act_tab, B);
    /* forward: logits = d2 W^T + b */
    nn_dense_backward(S->d_d2, S->d_fc_w, S->d_fc_b, d_logits, S->d2, S->fc_w, B, S->flat, m->classes);
    /* forward: d2 = mask * s2 (the mask kept 1 / (1 - p) or 0) */
    if (c->dropout > 0)
        nn_dropout_backward(S->d_s2, S->d_d2, S->mask, nf);
    else
        nn_axpy(S->d_s2, 1.0f, S->d_d2, nf);
    /* forward: s2 = max over each window of a2: the gradient goes to the argmax */
    must(nn_maxpool_backward(S->d_a2, S->d_s2, S->arg2, &p2));
    nn_act_backward(NN_RELU, S->d_n2, S->d_a2, S->n2, S->a2, n2);
    if (c->use_bn)
        nn_batchnorm2d_backward(S->d_z2, S->d_bn2_gamma, S->d_bn2_beta, S->d_n2, S->z2, S->bn2_gamma,
                                S->bn2_mu, S->bn2_rstd, B, c->K2, hw2);
    else
        nn_axpy(S->d_z2, 1.0f, S->d_n2, n2);
    must(nn_conv2d_backward(S->d_s1, S->d_conv2_w, S->d_conv2_b, S->d_z2, S->s1, S->conv2_w, &c2));
    must(nn_maxpool_backward(S->d_a1, S->d_s1, S->arg1, &p1));
    nn_act_backward(NN_RELU, S->d_n1, S->d_a1, S->n1, S->a1, n1);
    if (c->use_bn)
        nn_batchnorm2d_backward(S->d_z1, S->d_bn1_gamma, S->d_bn1_beta, S->d_n1, S->z1, S->bn1_gamma,
                                S->bn1_mu, S->bn1_rstd, B, c->K1, hw1);
    else
        nn_axpy(S->d_z1, 1.0f, S->d_n1, n1);
    must(nn_conv2d_backward(NULL, S->d_conv1_w, S->d_conv1_b, S->d_z1, S->x, S->conv1_w, &c1));
}

static void small_destroy(model *m)
{
    smallnet *S = (smallnet *)m;
    free(m->params);
    free(m->grads);
    free(m->stats);
    free(m->logits);
    free(S->acts);
    free(S->d_acts);
    free(S->arg1);
    free(S->arg2);
    free(S->bn1_mu);
    free(S);
}

/* NULL and a message when the options do not make a network: zero filters,
 * a pool larger than the feature map it pools. */
static model *small_new(const small_cfg *cfg, int C, int H, int W, int classes, int max_batch, nn_rng *rng)
{
    if (cfg->K1 < 1 || cfg->K2 < 1) {
        nn_error("the small network needs at least one filter in each convolution (got --filters1 %d, "
                 "--filters2 %d): try 32 and 64", cfg->K1, cfg->K2);
        return NULL;
    }
    smallnet *S = nn_calloc(1, sizeof *S);
    model *m = &S->m;
    S->cfg = *cfg;
    snprintf(m->name, sizeof m->name, "small CNN");
    m->C = C, m->H = H, m->W = W, m->classes = classes, m->max_batch = max_batch;
    m->forward = small_forward, m->backward = small_backward, m->destroy = small_destroy;
    S->H1 = H, S->W1 = W;   /* 3x3, padding 1: the same size */
    char what[64];
    snprintf(what, sizeof what, "pool1 (%dx%d) on the first feature maps (%dx%d)", cfg->pool, cfg->pool, H, W);
    if (nn_out_size(what, H, cfg->pool, cfg->pool, 0, &S->H2) != NN_OK ||
        nn_out_size(what, W, cfg->pool, cfg->pool, 0, &S->W2) != NN_OK) {
        free(S);
        return NULL;
    }
    snprintf(what, sizeof what, "pool2 (%dx%d) on the second feature maps (%dx%d)", cfg->pool, cfg->pool,
             S->H2, S->W2);
    if (nn_out_size(what, S->H2, cfg->pool, cfg->pool, 0, &S->H3) != NN_OK ||
        nn_out_size(what, S->W2, cfg->pool, cfg->pool, 0, &S->W3) != NN_OK) {
        free(S);
        return NULL;
    }
    int K1 = cfg->K1, K2 = cfg->K2;
    S->flat = K2 * S->H3 * S->W3;
    size_t k1 = (size_t)K1 * C * 9, k2 = (size_t)K2 * K1 * 9, fc = (size_t)classes * S->flat;
    size_t b1 = cfg->use_bn ? 0 : (size_t)K1, b2 = cfg->use_bn ? 0 : (size_t)K2;
    size_t g1 = cfg->use_bn ? (size_t)K1 : 0, g2 = cfg->use_bn ? (size_t)K2 : 0;
    nn_piece p[] = {{"conv1.w", k1, &S->conv1_w},     {"conv1.b", b1, &S->conv1_b},
                    {"bn1.gamma", g1, &S->bn1_gamma}, {"bn1.beta", g1, &S->bn1_beta},
                    {"conv2.w", k2, &S->conv2_w},     {"conv2.b", b2, &S->conv2_b},
                    {"bn2.gamma", g2, &S->bn2_gamma}, {"bn2.beta", g2, &S->bn2_beta},
                    {"fc.w", fc, &S->fc_w},           {"fc.b", (size_t)classes, &S->fc_b}};
    nn_piece g[] = {{"conv1.w", k1, &S->d_conv1_w},     {"conv1.b", b1, &S->d_conv1_b},
                    {"bn1.gamma", g1, &S->d_bn1_gamma}, {"bn1.beta", g1, &S->d_bn1_beta},
                    {"conv2.w", k2, &S->d_conv2_w},     {"conv2.b", b2, &S->d_conv2_b},
                    {"bn2.gamma", g2, &S->d_bn2_gamma}, {"bn2.beta", g2, &S->d_bn2_beta},
                    {"fc.w", fc, &S->d_fc_w},           {"fc.b", (size_t)classes, &S->d_fc_b}};
    nn_piece st[] = {{"bn1.running_mean", g1, &S->bn1_mean}, {"bn1.running_var", g1, &S->bn1_var},
                     {"bn2.running_mean", g2, &S->bn2_mean}, {"bn2.running_var", g2, &S->bn2_var}};
    size_t n_grads;
    m->params = nn_alloc_pieces(p, 10, &m->n_params);
    m->grads = nn_alloc_pieces(g, 10, &n_grads);
    m->stats = nn_alloc_pieces(st, 4, &m->n_stats);
    if (cfg->use_bn) {
        /* no bias before batch norm: the kernels take NULL for "no bias" */
        S->conv1_b = S->conv2_b = S->d_conv1_b = S->d_conv2_b = NULL;
        for (int k = 0; k < K1; k++)
            S->bn1_gamma[k] = 1, S->bn1_var[k] = 1;
        for (int k = 0; k < K2; k++)
            S->bn2_gamma[k] = 1, S->bn2_var[k] = 1;
    }
    S->bn1_mu = nn_floats(2 * (size_t)(K1 + K2));
    S->bn1_rstd = S->bn1_mu + K1, S->bn2_mu = S->bn1_rstd + K1, S->bn2_rstd = S->bn2_mu + K2;
    m->logits = nn_floats((size_t)max_batch * classes);
    size_t n1 = (size_t)K1 * H * W, n1p = (size_t)K1 * S->H2 * S->W2;
    size_t n2 = (size_t)K2 * S->H2 * S->W2, nf = (size_t)S->flat;
    act_table *a = &S->act_tab, *d = &S->d_act_tab;
    act_add(a, "z1", n1, &S->z1), act_add(a, "n1", n1, &S->n1), act_add(a, "a1", n1, &S->a1);
    act_add(a, "s1", n1p, &S->s1);
    act_add(a, "z2", n2, &S->z2), act_add(a, "n2", n2, &S->n2), act_add(a, "a2", n2, &S->a2);
    act_add(a, "s2", nf, &S->s2), act_add(a, "d2", nf, &S->d2), act_add(a, "mask", nf, &S->mask);
    act_add(d, "d_z1", n1, &S->d_z1), act_add(d, "d_n1", n1, &S->d_n1), act_add(d, "d_a1", n1, &S->d_a1);
    act_add(d, "d_s1", n1p, &S->d_s1);
    act_add(d, "d_z2", n2, &S->d_z2), act_add(d, "d_n2", n2, &S->d_n2), act_add(d, "d_a2", n2, &S->d_a2);
    act_add(d, "d_s2", nf, &S->d_s2), act_add(d, "d_d2", nf, &S->d_d2);
    S->acts = act_alloc(a, max_batch);
    S->d_acts = act_alloc(d, max_batch);
    S->arg1 = malloc(sizeof(int) * n1p * (size_t)max_batch);
    S->arg2 = malloc(sizeof(int) * nf * (size_t)max_batch);

    /* He initialisation before each ReLU, Xavier before the softmax */
    init_normal(S->conv1_w, k1, he_std((size_t)C * 9), rng);
    init_normal(S->conv2_w, k2, he_std((size_t)K1 * 9), rng);
    init_normal(S->fc_w, fc, xavier_std((size_t)S->flat, (size_t)classes), rng);

    char name[40];
    snprintf(name, sizeof name, "conv %d 3x3 P1%s + ReLU", K1, cfg->use_bn ? " + BN" : "");
    add_row(m, name, K1, H, W, k1 + b1 + 2 * g1, n1 * C * 9);
    snprintf(name, sizeof name, "max pool %dx%d", cfg->pool, cfg->pool);
    add_row(m, name, K1, S->H2, S->W2, 0, 0);
    snprintf(name, sizeof name, "conv %d 3x3 P1%s + ReLU", K2, cfg->use_bn ? " + BN" : "");
    add_row(m, name, K2, S->H2, S->W2, k2 + b2 + 2 * g2, n2 * K1 * 9);
    snprintf(name, sizeof name, "max pool %dx%d", cfg->pool, cfg->pool);
    add_row(m, name, K2, S->H3, S->W3, 0, 0);
    snprintf(name, sizeof name, "dropout p = %.2g", cfg->dropout);
    add_row(m, name, K2, S->H3, S->W3, 0, 0);
    add_row(m, "dense 10 (softmax in the loss)", classes, 1, 1, fc + (size_t)classes, fc);
    return m;
}

/* ---- The small network as a layer list, and the model file ----
 * Written out as above, the network is easiest to read; as a list of
 * layers (lib/nn_model.h) it can be run by code that does not know its
 * layers in advance, and saved: chapter 8 loads the file to explain the
 * network without training it again.  The list of the network above:
 *
 *     conv:16:3:1:1 bn relu maxpool:2 conv:64:3:1:1 bn relu maxpool:2 dropout:25 dense:10
 *
 * nn_model's convolutions always have a bias; before batch norm it is 0
 * (and stays 0 on the way back: a bias before batch norm is the same as a
 * running mean shifted by it, so a file with one loads into the same
 * network). The tensors are copied between the two forms in the order the
 * file lists them (lib/nn_model.h); tests/ch07 checks that both forms give
 * the same logits and gradients. */
static int small_arch(char *buf, size_t len, const small_cfg *c)
{
    double p100 = c->dropout * 100;
    if (fabs(p100 - floor(p100 + 0.5)) > 1e-9)
        return nn_error("the model file stores dropout in whole percent: %g is not (use e.g. --dropout 0.25)",
                        c->dropout);
    const char *bn = c->use_bn ? " bn" : "";
    snprintf(buf, len, "conv:%d:3:1:1%s relu maxpool:%d conv:%d:3:1:1%s relu maxpool:%d dropout:%d dense:%d", c->K1,
             bn, c->pool, c->K2, bn, c->pool, (int)floor(p100 + 0.5), N_CLASSES);
    return NN_OK;
}

/* to_model = 1: the explicit network's tensors into nm; 0: back from nm */
static void small_copy_tensors(smallnet *S, nn_model *nm, int to_model)
{
    const small_cfg *c = &S->cfg;
    int C = S->m.C;
    float *p = nn_model_params(nm), *st = nn_model_stats(nm);
    struct { float *mine; size_t n; } t[10];
    int n = 0;
    size_t k1 = (size_t)c->K1 * C * 9, k2 = (size_t)c->K2 * c->K1 * 9;
    float *zeros1 = nn_floats((size_t)c->K1), *zeros2 = nn_floats((size_t)c->K2);
    t[n].mine = S->conv1_w, t[n++].n = k1;
    t[n].mine = c->use_bn ? zeros1 : S->conv1_b, t[n++].n = (size_t)c->K1;
    if (c->use_bn)
        t[n].mine = S->bn1_gamma, t[n++].n = (size_t)c->K1, t[n].mine = S->bn1_beta, t[n++].n = (size_t)c->K1;
    t[n].mine = S->conv2_w, t[n++].n = k2;
    t[n].mine = c->use_bn ? zeros2 : S->conv2_b, t[n++].n = (size_t)c->K2;
    if (c->use_bn)
        t[n].mine = S->bn2_gamma, t[n++].n = (size_t)c->K2, t[n].mine = S->bn2_beta, t[n++].n = (size_t)c->K2;
    t[n].mine = S->fc_w, t[n++].n = (size_t)N_CLASSES * S->flat;
    t[n].mine = S->fc_b, t[n++].n = N_CLASSES;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        if (to_model)
            nn_copy(p + at, t[i].mine, t[i].n);
        else
            nn_copy(t[i].mine, p + at, t[i].n);
        at += t[i].n;
    }
    NN_ASSERT(at == nn_model_param_count(nm));
    if (c->use_bn) {
        NN_ASSERT(nn_model_stat_count(nm) == 2 * (size_t)(c->K1 + c->K2));
        float *mine[4] = {S->bn1_mean, S->bn1_var, S->bn2_mean, S->bn2_var};
        size_t cnt[4] = {(size_t)c->K1, (size_t)c->K1, (size_t)c->K2, (size_t)c->K2};
        for (int i = 0, off = 0; i < 4; off += (int)cnt[i], i++) {
            if (to_model)
                nn_copy(st + off, mine[i], cnt[i]);
            else
                nn_copy(mine[i], st + off, cnt[i]);
        }
        if (!to_model) {
            /* fold a bias before batch norm into the running mean */
            const float *b1 = p + k1, *b2 = p + k1 + 3 * (size_t)c->K1 + k2;
            for (int k = 0; k < c->K1; k++)
                S->bn1_mean[k] -= b1[k];
            for (int k = 0; k < c->K2; k++)
                S->bn2_mean[k] -= b2[k];
        }
    }
    free(zeros1), free(zeros2);
}

/* The explicit network as an nn_model with the same tensors; NULL and a
 * message when it cannot be written as one. */
static nn_model *small_to_model(const model *m)
{
    smallnet *S = (smallnet *)m;
    char arch[256];
    if (small_arch(arch, sizeof arch, &S->cfg) != NN_OK)
        return NULL;
    nn_model *nm = nn_model_new(arch, m->C, m->H, m->W, m->max_batch);
    if (nm)
        small_copy_tensors(S, nm, 1);
    return nm;
}

static int small_save(const model *m, const char *path)
{
    nn_model *nm = small_to_model(m);
    if (!nm)
        return NN_ERR;
    int status = nn_model_save(nm, path);
    nn_model_free(nm);
    return status;
}

/* Loads FILE into m, whose architecture it must have. */
static int small_load(model *m, const char *path)
{
    smallnet *S = (smallnet *)m;
    char arch[256];
    if (small_arch(arch, sizeof arch, &S->cfg) != NN_OK)
        return NN_ERR;
    nn_model *nm = nn_model_load(path, m->max_batch);
    if (!nm)
        return NN_ERR;
    int C, H, W;
    nn_model_input_shape(nm, &C, &H, &W);
    int status = NN_OK;
    if (strcmp(nn_model_arch(nm), arch) != 0 || C != m->C || H != m->H || W != m->W)
        status = nn_error("%s: the file holds \"%s\" for %dx%dx%d inputs, but this run builds \"%s\" for %dx%dx%d: "
                          "pass the options it was saved with (--filters1, --filters2, --pool, --dropout, --no-bn, "
                          "--dataset)", path, nn_model_arch(nm), C, H, W, arch, m->C, m->H, m->W);
    else
        small_copy_tensors(S, nm, 0);
    nn_model_free(nm);
    return status;
}

/* ======================================================================
 * Section 5. Training
 * ======================================================================
 *
 * Deck 000's recipe, every part of it:
 *   - shuffle the training set every epoch (a new permutation), so that
 *     consecutive mini-batches are never the same and the gradient noise is
 *     unbiased;
 *   - mini-batches of B images; ONE gradient step per batch: zero the
 *     gradients, forward, the loss L = mean over the batch of
 *     -log softmax(z)_y, backward, one optimizer step;
 *   - many epochs, each ended by a pass over the validation split in
 *     evaluation mode (batch norm's running statistics, no dropout);
 *   - early stopping (deck 001, deck 004): keep the parameters of the epoch
 *     with the best validation accuracy, and stop when `patience` epochs
 *     have gone by without a better one;
 *   - a learning-rate schedule: cosine decay over the planned epochs,
 *         lr_e = lr_0 (1 + cos(pi e / E)) / 2,   e = 0, ..., E - 1,
 *     large steps while far from a minimum, small ones to settle into it.
 * A loss that is not finite or has grown by a factor of 1e6 is divergence:
 * the run stops with a message naming the learning rate (nn_optim_check_loss). */
#define MAX_EPOCHS 200

typedef struct {
    int epochs, batch, patience;
    nn_optim_config opt;
    int cosine;          /* 1: the cosine schedule; 0: a constant rate */
    augment_cfg aug;
    int verbose;         /* one line per epoch */
} train_cfg;

typedef struct {
    double train_loss, train_acc, val_loss, val_acc, lr;
} epoch_log;

typedef struct {
    epoch_log log[MAX_EPOCHS];
    int epochs_run, best_epoch;   /* best_epoch from 1 */
    double best_val_acc, seconds, images_per_second;
    double images_per_cpu_second;    /* per second of CPU time of all threads */
} train_result;

/* Accuracy of m on ds in evaluation mode; the mean loss into *loss and the
 * predicted classes into pred (n) when they are not NULL. */
static double evaluate(model *m, const nn_dataset *ds, const data_sets *data, double *loss, int *pred)
{
    int B = m->max_batch, correct = 0;
    float *x = nn_floats((size_t)B * ds->d), *probs = nn_floats((size_t)B * m->classes);
    int *idx = malloc(sizeof(int) * (size_t)B), *y = malloc(sizeof(int) * (size_t)B);
    double total = 0;
    for (int start = 0; start < ds->n; start += B) {
        int n = ds->n - start < B ? ds->n - start : B;
        for (int b = 0; b < n; b++)
            idx[b] = start + b;
        gather_batch(x, y, ds, idx, n, data, NULL, NULL);
        must(m->forward(m, x, n, 0, NULL));
        total += nn_softmax_xent_forward(probs, m->logits, y, n, m->classes) * n;
        for (int b = 0; b < n; b++) {
            int k = (int)nn_argmax(m->logits + (size_t)b * m->classes, (size_t)m->classes);
            correct += k == y[b];
            if (pred)
                pred[start + b] = k;
        }
    }
    if (loss)
        *loss = total / (ds->n > 0 ? ds->n : 1);
    free(x), free(probs), free(idx), free(y);
    return ds->n > 0 ? (double)correct / ds->n : 0;
}

/* Trains m on data->train, validating on data->val; leaves m at its best
 * validation epoch.  NN_ERR with a message when training diverged. */
static int train(model *m, const data_sets *data, const train_cfg *cfg, nn_rng *rng, train_result *res)
{
    const nn_dataset *ds = &data->train;
    int B = cfg->batch < m->max_batch ? cfg->batch : m->max_batch;
    memset(res, 0, sizeof *res);
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg->opt, m->n_params) != NN_OK)
        return NN_ERR;
    float *best_params = nn_floats(m->n_params), *best_stats = nn_floats(m->n_stats + 1);
    float *x = nn_floats((size_t)B * ds->d), *probs = nn_floats((size_t)B * m->classes);
    float *d_logits = nn_floats((size_t)B * m->classes);
    int *order = malloc(sizeof(int) * (size_t)ds->n), *y = malloc(sizeof(int) * (size_t)B);
    double first_loss = -1, start = nn_seconds(), train_seconds = 0, train_cpu = 0;
    int status = NN_OK, since_best = 0;
    long images = 0;
    res->best_val_acc = -1;
    for (int e = 0; e < cfg->epochs && status == NN_OK; e++) {
        double lr = cfg->cosine ? cfg->opt.lr * 0.5 * (1 + cos(M_PI * e / cfg->epochs)) : cfg->opt.lr;
        opt.cfg.lr = lr;
        nn_rng_permutation(rng, order, (size_t)ds->n);
        double sum_loss = 0;
        int correct = 0, seen = 0;
        double epoch_start = nn_seconds();
        clock_t epoch_cpu = clock();
        for (int b0 = 0; b0 < ds->n && status == NN_OK; b0 += B) {
            /* the last batch may be smaller; one image has no batch statistics */
            int n = ds->n - b0 < B ? ds->n - b0 : B;
            if (n < 2)
                break;
            gather_batch(x, y, ds, order + b0, n, data, &cfg->aug, rng);
            nn_zero(m->grads, m->n_params);
            must(m->forward(m, x, n, 1, rng));
            double loss = nn_softmax_xent_forward(probs, m->logits, y, n, m->classes);
            if (first_loss < 0)
                first_loss = loss;
            if (nn_optim_check_loss(&opt, loss, first_loss, 1e6) != NN_OK) {
                status = NN_ERR;
                break;
            }
            nn_zero(d_logits, (size_t)n * m->classes);
            nn_softmax_xent_backward(d_logits, probs, y, n, m->classes);
            m->backward(m, d_logits, n);
            status = nn_optim_step(&opt, m->params, m->grads);
            sum_loss += loss * n;
            for (int b = 0; b < n; b++)
                correct += (int)nn_argmax(m->logits + (size_t)b * m->classes, (size_t)m->classes) == y[b];
            seen += n;
            images += n;
            nn_progress(m->name, (long)e * ds->n + b0 + n, (long)cfg->epochs * ds->n);
        }
        train_seconds += nn_seconds() - epoch_start;
        train_cpu += (double)(clock() - epoch_cpu) / CLOCKS_PER_SEC;
        if (status != NN_OK)
            break;
        epoch_log *l = &res->log[e];
        l->lr = lr;
        l->train_loss = sum_loss / seen;
        l->train_acc = (double)correct / seen;
        l->val_acc = evaluate(m, &data->val, data, &l->val_loss, NULL);
        res->epochs_run = e + 1;
        if (l->val_acc > res->best_val_acc) {
            res->best_val_acc = l->val_acc;
            res->best_epoch = e + 1;
            nn_copy(best_params, m->params, m->n_params);
            nn_copy(best_stats, m->stats, m->n_stats);
            since_best = 0;
        } else {
            since_best++;
        }
        if (cfg->verbose) {
            nn_progress_end();
            nn_say("   epoch %3d  lr %.5f  train loss %.4f acc %.4f  val loss %.4f acc %.4f%s\n", e + 1, lr,
                   l->train_loss, l->train_acc, l->val_loss, l->val_acc, since_best == 0 ? "  *" : "");
        }
        if (since_best >= cfg->patience)
            break;
    }
    nn_progress_end();
    res->seconds = nn_seconds() - start;
    res->images_per_second = images / fmax(train_seconds, 1e-9);
    res->images_per_cpu_second = images / fmax(train_cpu, 1e-9);
    if (status == NN_OK && res->best_epoch > 0) {
        nn_copy(m->params, best_params, m->n_params);
        nn_copy(m->stats, best_stats, m->n_stats);
    }
    free(best_params), free(best_stats), free(x), free(probs), free(d_logits), free(order), free(y);
    nn_optim_free(&opt);
    return status;
}

/* ======================================================================
 * Section 6. What a network costs
 * ======================================================================
 *
 * For each layer: learnable parameters; activation floats per image (the
 * layer's output, which the forward pass keeps for backward, so training
 * memory grows with the batch); multiply-adds per image (products with
 * weights: pooling, activations and batch norm are not counted, as the
 * usual counters and the papers do).  A convolution
 * with K filters of C x F x F on an H2 x W2 output does K H2 W2 C F^2
 * multiply-adds and has K C F^2 (+ K biases) parameters; a dense layer
 * I -> O does and has I O.  Convolutions hold few parameters and do most of
 * the work; dense layers the reverse. */
static void print_table(const model *m)
{
    nn_say("   %-32s %10s %10s %12s %12s\n", "layer", "output", "params", "acts/image", "MACs/image");
    size_t params = 0, acts = 0, macs = 0;
    for (int r = 0; r < m->n_rows; r++) {
        const layer_row *l = &m->rows[r];
        nn_say("   %-32s %10s %10zu %12zu %12zu\n", l->name, l->shape, l->params, l->acts, l->macs);
        params += l->params, acts += l->acts, macs += l->macs;
    }
    nn_say("   %-32s %10s %10zu %12zu %12zu\n", "total", "", params, acts, macs);
    NN_ASSERT(params == m->n_params);
}

/* ======================================================================
 * Section 2. Deck 004's toy network, every number printed
 * ======================================================================
 *
 * Before the real networks, one small enough to follow by hand: Jeremy
 * Howard's spreadsheet (fast.ai), as deck 004 describes it, on one
 * handwritten digit of the 8x8 set:
 *
 *     x      (1, 8, 8)    the image, pixels in [0, 1]
 *     a1     (2, 6, 6)    "convolutional layer 1 consists of two 3x3 filters", then ReLU
 *     a2     (2, 4, 4)    "convolutional layer 2 consists of two 3x3 filters" (each 2x3x3), ReLU
 *     s      (2, 2, 2)    "max-pool layer reduces each 2x2 sub-matrix to one value"
 *     z      (10)         "layer of dense weights, one per value in the previous layer"
 *     p      (10)         "softmax output for multiclass classification"
 *
 * As in the spreadsheet, the first layer's filters are made by hand: a
 * horizontal edge detector (dark above, bright below: the top of a stroke)
 * and a vertical one (dark left, bright right: the left side of a stroke).
 * The second convolution and the dense layer are learned: a few epochs of
 * the training loop of section 5 on the other digits. */
static const float toy_filters[2][9] = {{-1, -1, -1, 1, 1, 1, 0, 0, 0},    /* top edges */
                                        {-1, 1, 0, -1, 1, 0, -1, 1, 0}};   /* left edges */

typedef struct {
    model m;
    float conv1_w[18], conv1_b[2];         /* (2, 1, 3, 3), (2): fixed, by hand */
    float *conv2_w, *conv2_b, *fc_w, *fc_b;       /* (2, 2, 3, 3), (2), (10, 8), (10) */
    float *d_conv2_w, *d_conv2_b, *d_fc_w, *d_fc_b;
    float *acts, *d_acts;
    act_table act_tab, d_act_tab;
    float *z1, *a1, *z2, *a2, *s;         /* (B, 2, 6, 6) x 2, (B, 2, 4, 4) x 2, (B, 8) */
    float *d_a2, *d_z2, *d_s;
    int *argmax;                          /* (B, 2, 2, 2) */
} toy_net;

static void toy_dims(int B, nn_conv_dims *c1, nn_conv_dims *c2, nn_pool_dims *p)
{
    must(nn_conv_dims_make(c1, B, 1, 8, 8, 2, 3, 1, 0));
    must(nn_conv_dims_make(c2, B, 2, 6, 6, 2, 3, 1, 0));
    must(nn_pool_dims_make(p, B, 2, 4, 4, 2, 2));
}

static int toy_forward(model *m, const float *x, int B, int training, nn_rng *rng)
{
    (void)training, (void)rng;
    toy_net *T = (toy_net *)m;
    nn_conv_dims c1, c2;
    nn_pool_dims p;
    toy_dims(B, &c1, &c2, &p);
    must(nn_conv2d_forward(T->z1, x, T->conv1_w, T->conv1_b, &c1));      /* (B, 2, 6, 6) */
    nn_act_forward(NN_RELU, T->a1, T->z1, (size_t)B * 72);
    must(nn_conv2d_forward(T->z2, T->a1, T->conv2_w, T->conv2_b, &c2));  /* (B, 2, 4, 4) */
    nn_act_forward(NN_RELU, T->a2, T->z2, (size_t)B * 32);
    must(nn_maxpool_forward(T->s, T->argmax, T->a2, &p));                /* (B, 2, 2, 2) */
    nn_dense_forward(m->logits, T->s, T->fc_w, T->fc_b, B, 8, m->classes);   /* (B, 10) */
    return NN_OK;
}

static void toy_backward(model *m, const float *d_logits, int B)
{
    toy_net *T = (toy_net *)m;
    nn_conv_dims c1, c2;
    nn_pool_dims p;
    toy_dims(B, &c1, &c2, &p);
    act_zero(&T->d_act_tab, B);
    nn_dense_backward(T->d_s, T->d_fc_w, T->d_fc_b, d_logits, T->s, T->fc_w, B, 8, m->classes);
    must(nn_maxpool_backward(T->d_a2, T->d_s, T->argmax, &p));
    nn_act_backward(NN_RELU, T->d_z2, T->d_a2, T->z2, T->a2, (size_t)B * 32);
    /* the first layer is fixed: neither its weights nor its input need a gradient */
    must(nn_conv2d_backward(NULL, T->d_conv2_w, T->d_conv2_b, T->d_z2, T->a1, T->conv2_w, &c2));
}

static void toy_destroy(model *m)
{
    toy_net *T = (toy_net *)m;
    free(m->params), free(m->grads), free(m->logits), free(T->acts), free(T->d_acts), free(T->argmax);
    free(T);
}

static model *toy_new(int max_batch, nn_rng *rng)
{
    toy_net *T = nn_calloc(1, sizeof *T);
    model *m = &T->m;
    snprintf(m->name, sizeof m->name, "toy network");
    m->C = 1, m->H = 8, m->W = 8, m->classes = N_CLASSES, m->max_batch = max_batch;
    m->forward = toy_forward, m->backward = toy_backward, m->destroy = toy_destroy;
    memcpy(T->conv1_w, toy_filters, sizeof T->conv1_w);
    nn_piece p[] = {{"conv2.w", 36, &T->conv2_w}, {"conv2.b", 2, &T->conv2_b},
                    {"fc.w", 80, &T->fc_w},       {"fc.b", 10, &T->fc_b}};
    nn_piece g[] = {{"conv2.w", 36, &T->d_conv2_w}, {"conv2.b", 2, &T->d_conv2_b},
                    {"fc.w", 80, &T->d_fc_w},       {"fc.b", 10, &T->d_fc_b}};
    size_t n_grads;
    m->params = nn_alloc_pieces(p, 4, &m->n_params);
    m->grads = nn_alloc_pieces(g, 4, &n_grads);
    m->logits = nn_floats((size_t)max_batch * N_CLASSES);
    act_table *a = &T->act_tab, *d = &T->d_act_tab;
    act_add(a, "z1", 72, &T->z1), act_add(a, "a1", 72, &T->a1), act_add(a, "z2", 32, &T->z2);
    act_add(a, "a2", 32, &T->a2), act_add(a, "s", 8, &T->s);
    act_add(d, "d_a2", 32, &T->d_a2), act_add(d, "d_z2", 32, &T->d_z2), act_add(d, "d_s", 8, &T->d_s);
    T->acts = act_alloc(a, max_batch);
    T->d_acts = act_alloc(d, max_batch);
    T->argmax = malloc(sizeof(int) * 8 * (size_t)max_batch);
    init_normal(T->conv2_w, 36, he_std(18), rng);
    init_normal(T->fc_w, 80, xavier_std(8, 10), rng);
    add_row(m, "conv 2 3x3 (by hand) + ReLU", 2, 6, 6, 0, 72 * 9);
    add_row(m, "conv 2 3x3 + ReLU", 2, 4, 4, 38, 32 * 18);
    add_row(m, "max pool 2x2", 2, 2, 2, 0, 0);
    add_row(m, "dense 10 + softmax", 10, 1, 1, 90, 80);
    return m;
}

/* The 8x8 digits as they are (no enlarging, no standardising), a fifth
 * held out for testing, as many more for validation. */
static void load_small_digits(data_sets *data, nn_rng *rng)
{
    memset(data, 0, sizeof *data);
    nn_dataset digits;
    must(nn_load_digits(&digits, NULL));
    for (size_t q = 0; q < (size_t)digits.n * 64; q++)
        digits.x[q] /= 16;
    int *order = malloc(sizeof(int) * (size_t)digits.n);
    nn_rng_permutation(rng, order, (size_t)digits.n);
    int n_hold = digits.n / 5;
    subset(&data->test, &digits, order, n_hold);
    subset(&data->val, &digits, order + n_hold, n_hold);
    subset(&data->train, &digits, order + 2 * n_hold, digits.n - 2 * n_hold);
    free(order);
    nn_dataset_free(&digits);
    data->C = 1, data->H = data->W = 8, data->mean = 0, data->std = 1;
    data->name = "digits 8x8";
    data->class_names = digit_names;
}

static void print_maps(const char *title, const float *maps, int n_maps, int rows, int cols)
{
    nn_say("   %s\n", title);
    for (int i = 0; i < rows; i++) {
        nn_say("    ");
        for (int k = 0; k < n_maps; k++) {
            for (int j = 0; j < cols; j++)
                nn_say(" %5.2f", (double)maps[((size_t)k * rows + i) * cols + j]);
            nn_say(k + 1 < n_maps ? "   |" : "");
        }
        nn_say("\n");
    }
}

static train_cfg make_train_cfg_plain(int epochs, int batch, double lr)
{
    train_cfg c = {0};
    c.epochs = epochs, c.batch = batch, c.patience = epochs, c.cosine = 1;
    if (nn_optim_parse("adam", lr, &c.opt) != NN_OK)
        nn_die_last();
    return c;
}

static void section_toy(uint64_t seed)
{
    nn_say("\n2. Deck 004's toy network on one handwritten 7 (Jeremy Howard's spreadsheet)\n");
    nn_rng rng;
    nn_rng_seed(&rng, seed, 2);
    data_sets digits;
    load_small_digits(&digits, &rng);
    model *m = toy_new(32, &rng);
    toy_net *T = (toy_net *)m;
    print_table(m);
    train_cfg tc = make_train_cfg_plain(30, 32, 0.02);
    train_result r;
    must(train(m, &digits, &tc, &rng, &r));
    double acc = evaluate(m, &digits.test, &digits, NULL, NULL);
    nn_say("   conv2 and the dense layer trained for %d epochs on %d digits: test accuracy %.3f (chance 0.1)\n",
           r.epochs_run, digits.train.n, acc);
    int seven = 0;
    while (seven < digits.test.n - 1 && digits.test.y[seven] != 7)
        seven++;
    const float *x = digits.test.x + (size_t)seven * 64;
    must(m->forward(m, x, 1, 0, NULL));
    print_maps("x: the image (8x8)", x, 1, 8, 8);
    print_maps("conv1 filters, by hand: top edges | left edges", T->conv1_w, 2, 3, 3);
    nn_say("   the first number of a1 by hand: max(0, sum_u sum_v x[u][v] w[u][v]) =\n     max(0,");
    double z = 0;
    for (int u = 0; u < 3; u++)
        for (int v = 0; v < 3; v++) {
            double w = T->conv1_w[u * 3 + v];
            if (w != 0)
                nn_say(" %c %.2f", w > 0 ? '+' : '-', (double)x[u * 8 + v]);
            z += w * x[u * 8 + v];
        }
    nn_say(") = %.2f\n", fmax(0, z));
    print_maps("a1 = ReLU(conv1(x)) (2 x 6x6)", T->a1, 2, 6, 6);
    for (int k = 0; k < 2; k++) {
        char title[64];
        snprintf(title, sizeof title, "conv2 filter %d (2 x 3x3, one per input map), bias %.2f", k,
                 (double)T->conv2_b[k]);
        print_maps(title, T->conv2_w + k * 18, 2, 3, 3);
    }
    print_maps("a2 = ReLU(conv2(a1)) (2 x 4x4)", T->a2, 2, 4, 4);
    print_maps("s = maxpool 2x2 (2 x 2x2), read as 8 numbers", T->s, 2, 2, 2);
    float probs[N_CLASSES];
    nn_softmax(probs, m->logits, 1, N_CLASSES);
    nn_say("   class      ");
    for (int k = 0; k < N_CLASSES; k++)
        nn_say(" %6d", k);
    nn_say("\n   logits z   ");
    for (int k = 0; k < N_CLASSES; k++)
        nn_say(" %6.2f", (double)m->logits[k]);
    nn_say("\n   softmax p  ");
    for (int k = 0; k < N_CLASSES; k++)
        nn_say(" %6.3f", (double)probs[k]);
    nn_say("\n   prediction: %d (true label 7), p = e^{z_k} / sum_j e^{z_j}\n",
           (int)nn_argmax(probs, N_CLASSES));
    model_free(m);
    data_free(&digits);
}

/* ======================================================================
 * Section 7. Why not a dense network?
 * ======================================================================
 *
 * Deck 002 on the multilayer perceptron for images: it "works well for
 * simple images, but fails when there are more complex patterns in the
 * image".  A dense layer gives every pixel its own weight to every unit; it
 * has no notion that neighbouring pixels belong together, or that a
 * pattern in one place is the same pattern one pixel further on.  A
 * convolution shares one small filter over every position ("local receptive
 * fields", parameter sharing), and pooling then forgets exact positions.
 *
 * The comparison: an MLP and a CNN with about the same number of
 * parameters, trained the same way on the same images without augmentation,
 * tested on the test images and on the same images shifted by t = 1, 2, 3
 * pixels (up, down, left and right; accuracy averaged over the four).
 *
 *     MLP:  x (B, 784) -> dense H + ReLU (B, H) -> dense 10
 *     CNN:  the small network of section 4 with 8 and 32 filters */
typedef struct {
    model m;
    int D, Hd;
    float *w1, *b1, *w2, *b2;        /* (Hd, D), (Hd), (classes, Hd), (classes) */
    float *d_w1, *d_b1, *d_w2, *d_b2;
    float *acts, *d_acts;
    act_table act_tab, d_act_tab;
    float *z1, *a1, *d_z1, *d_a1;    /* (B, Hd) */
    const float *x;
} mlp_net;

static int mlp_forward(model *m, const float *x, int B, int training, nn_rng *rng)
{
    (void)training, (void)rng;
    mlp_net *P = (mlp_net *)m;
    P->x = x;
    nn_dense_forward(P->z1, x, P->w1, P->b1, B, P->D, P->Hd);               /* (B, Hd) */
    nn_act_forward(NN_RELU, P->a1, P->z1, (size_t)B * P->Hd);
    nn_dense_forward(m->logits, P->a1, P->w2, P->b2, B, P->Hd, m->classes);   /* (B, 10) */
    return NN_OK;
}

static void mlp_backward(model *m, const float *d_logits, int B)
{
    mlp_net *P = (mlp_net *)m;
    act_zero(&P->d_act_tab, B);
    nn_dense_backward(P->d_a1, P->d_w2, P->d_b2, d_logits, P->a1, P->w2, B, P->Hd, m->classes);
    nn_act_backward(NN_RELU, P->d_z1, P->d_a1, P->z1, P->a1, (size_t)B * P->Hd);
    nn_dense_backward(NULL, P->d_w1, P->d_b1, P->d_z1, P->x, P->w1, B, P->D, P->Hd);
}

static void mlp_destroy(model *m)
{
    mlp_net *P = (mlp_net *)m;
    free(m->params), free(m->grads), free(m->logits), free(P->acts), free(P->d_acts);
    free(P);
}

static model *mlp_new(int C, int H, int W, int hidden, int classes, int max_batch, nn_rng *rng)
{
    mlp_net *P = nn_calloc(1, sizeof *P);
    model *m = &P->m;
    snprintf(m->name, sizeof m->name, "MLP");
    m->C = C, m->H = H, m->W = W, m->classes = classes, m->max_batch = max_batch;
    m->forward = mlp_forward, m->backward = mlp_backward, m->destroy = mlp_destroy;
    int D = C * H * W;
    P->D = D, P->Hd = hidden;
    size_t n1 = (size_t)hidden * D, n2 = (size_t)classes * hidden;
    nn_piece p[] = {{"fc1.w", n1, &P->w1}, {"fc1.b", (size_t)hidden, &P->b1},
                    {"fc2.w", n2, &P->w2}, {"fc2.b", (size_t)classes, &P->b2}};
    nn_piece g[] = {{"fc1.w", n1, &P->d_w1}, {"fc1.b", (size_t)hidden, &P->d_b1},
                    {"fc2.w", n2, &P->d_w2}, {"fc2.b", (size_t)classes, &P->d_b2}};
    size_t n_grads;
    m->params = nn_alloc_pieces(p, 4, &m->n_params);
    m->grads = nn_alloc_pieces(g, 4, &n_grads);
    m->logits = nn_floats((size_t)max_batch * classes);
    act_add(&P->act_tab, "z1", (size_t)hidden, &P->z1), act_add(&P->act_tab, "a1", (size_t)hidden, &P->a1);
    act_add(&P->d_act_tab, "d_z1", (size_t)hidden, &P->d_z1);
    act_add(&P->d_act_tab, "d_a1", (size_t)hidden, &P->d_a1);
    P->acts = act_alloc(&P->act_tab, max_batch);
    P->d_acts = act_alloc(&P->d_act_tab, max_batch);
    init_normal(P->w1, n1, he_std((size_t)D), rng);
    init_normal(P->w2, n2, xavier_std((size_t)hidden, (size_t)classes), rng);
    char name[40];
    snprintf(name, sizeof name, "dense %d + ReLU", hidden);
    add_row(m, name, hidden, 1, 1, n1 + (size_t)hidden, n1);
    add_row(m, "dense 10 (softmax in the loss)", classes, 1, 1, n2 + (size_t)classes, n2);
    return m;
}

/* ds with every image moved by (dy, dx) pixels, background 0 entering. */
static void shifted_copy(nn_dataset *out, const nn_dataset *ds, int H, int W, int dy, int dx)
{
    *out = *ds;
    out->x = nn_floats((size_t)ds->n * ds->d);
    out->y = malloc(sizeof(int) * (size_t)ds->n);
    memcpy(out->y, ds->y, sizeof(int) * (size_t)ds->n);
    for (int n = 0; n < ds->n; n++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                int si = i - dy, sj = j - dx;
                out->x[(size_t)n * ds->d + i * W + j] =
                    si >= 0 && si < H && sj >= 0 && sj < W ? ds->x[(size_t)n * ds->d + si * W + sj] : 0.0f;
            }
}

/* Accuracy on the test set shifted by t pixels, averaged over 4 directions. */
static double shifted_accuracy(model *m, const data_sets *data, int t)
{
    static const int dirs[4][2] = {{0, 1}, {0, -1}, {1, 0}, {-1, 0}};
    double sum = 0;
    for (int d = 0; d < 4; d++) {
        nn_dataset moved;
        shifted_copy(&moved, &data->test, data->H, data->W, t * dirs[d][0], t * dirs[d][1]);
        sum += evaluate(m, &moved, data, NULL, NULL);
        nn_dataset_free(&moved);
    }
    return sum / 4;
}

/* ======================================================================
 * Section 9. Residual connections
 * ======================================================================
 *
 * Deck 003 (He et al., 2016): instead of asking a block of layers for the
 * mapping H(x) it should compute, let it compute the difference F(x) and add
 * the input back,
 *
 *     H(x) = F(x) + x,
 *
 * so that "the derivative of the error with respect to x increases by 1.
 * Thus, less vanishing derivatives": in the backward pass
 *     dL/dx = dL/dH (dF/dx + 1),
 * and the gradient reaches early layers through the "+ 1" however small
 * dF/dx has become.
 *
 * The experiment: a deep plain stack of L convolutions (8 filters 3x3,
 * padding 1, ReLU) on the 8x8 digits, then global average pooling and a
 * dense layer; and the same stack with a skip around every convolution,
 *     plain:     h_l = ReLU(conv_l(h_{l-1}))
 *     residual:  h_l = ReLU(conv_l(h_{l-1})) + h_{l-1}.
 * Both start from the same weights, drawn at PyTorch's default scale for a
 * convolution (std 1/sqrt(3 fan_in), not He's sqrt(2/fan_in)): each ReLU
 * layer then shrinks the signal, as a deep network did before careful
 * initialisation and batch norm, which is the situation skips were made for.
 * Recorded: the gradient norm ||dL/dW_l|| of every layer on the first batch,
 * and the training loss by epoch. */
#define STACK_MAX 32
#define RESIDUAL_DEPTH 8
#define RESIDUAL_EPOCHS 5

typedef struct {
    model m;
    int depth, width, residual;          /* depth L convolutions after the stem */
    float *w[STACK_MAX + 1], *b[STACK_MAX + 1];      /* layer 0: (width, C, 3, 3), others (width, width, 3, 3) */
    float *d_w[STACK_MAX + 1], *d_b[STACK_MAX + 1];
    float *fc_w, *fc_b, *d_fc_w, *d_fc_b;            /* (classes, width), (classes) */
    float *acts, *d_acts;
    act_table act_tab, d_act_tab;
    float *z[STACK_MAX + 1], *h[STACK_MAX + 1];      /* (B, width, H, W) each */
    float *d_z[STACK_MAX + 1], *d_h[STACK_MAX + 1];
    float *g, *d_g;                                  /* (B, width) after global average pooling */
    const float *x;
} stack_net;

static int stack_forward(model *m, const float *x, int B, int training, nn_rng *rng)
{
    (void)training, (void)rng;
    stack_net *S = (stack_net *)m;
    int Wd = S->width, HW = m->H * m->W;
    size_t n = (size_t)B * Wd * HW;
    nn_conv_dims stem, d;
    must(nn_conv_dims_make(&stem, B, m->C, m->H, m->W, Wd, 3, 1, 1));
    must(nn_conv_dims_make(&d, B, Wd, m->H, m->W, Wd, 3, 1, 1));
    S->x = x;
    must(nn_conv2d_forward(S->z[0], x, S->w[0], S->b[0], &stem));       /* (B, width, H, W) */
    nn_act_forward(NN_RELU, S->h[0], S->z[0], n);
    for (int l = 1; l <= S->depth; l++) {
        must(nn_conv2d_forward(S->z[l], S->h[l - 1], S->w[l], S->b[l], &d));
        nn_act_forward(NN_RELU, S->h[l], S->z[l], n);                    /* F(h) = ReLU(conv(h)) */
        if (S->residual)
            nn_axpy(S->h[l], 1.0f, S->h[l - 1], n);                      /* H(h) = F(h) + h */
    }
    must(nn_global_avgpool_forward(S->g, S->h[S->depth], B, Wd, m->H, m->W));   /* (B, width) */
    nn_dense_forward(m->logits, S->g, S->fc_w, S->fc_b, B, Wd, m->classes);
    return NN_OK;
}

static void stack_backward(model *m, const float *d_logits, int B)
{
    stack_net *S = (stack_net *)m;
    int Wd = S->width, HW = m->H * m->W;
    size_t n = (size_t)B * Wd * HW;
    nn_conv_dims stem, d;
    must(nn_conv_dims_make(&stem, B, m->C, m->H, m->W, Wd, 3, 1, 1));
    must(nn_conv_dims_make(&d, B, Wd, m->H, m->W, Wd, 3, 1, 1));
    act_zero(&S->d_act_tab, B);
    nn_dense_backward(S->d_g, S->d_fc_w, S->d_fc_b, d_logits, S->g, S->fc_w, B, Wd, m->classes);
    must(nn_global_avgpool_backward(S->d_h[S->depth], S->d_g, B, Wd, m->H, m->W));
    for (int l = S->depth; l >= 1; l--) {
        /* forward: h_l = ReLU(z_l) [+ h_{l-1}], z_l = conv(h_{l-1}) */
        nn_act_backward(NN_RELU, S->d_z[l], S->d_h[l], S->z[l], NULL, n);
        must(nn_conv2d_backward(S->d_h[l - 1], S->d_w[l], S->d_b[l], S->d_z[l], S->h[l - 1], S->w[l], &d));
        if (S->residual)
            nn_axpy(S->d_h[l - 1], 1.0f, S->d_h[l], n);   /* the "+ 1": dL/dh_{l-1} += dL/dh_l */
    }
    nn_act_backward(NN_RELU, S->d_z[0], S->d_h[0], S->z[0], NULL, n);
    must(nn_conv2d_backward(NULL, S->d_w[0], S->d_b[0], S->d_z[0], S->x, S->w[0], &stem));
}

static void stack_destroy(model *m)
{
    stack_net *S = (stack_net *)m;
    free(m->params), free(m->grads), free(m->logits), free(S->acts), free(S->d_acts);
    free(S);
}

static model *stack_new(int C, int H, int W, int width, int depth, int residual, int max_batch, nn_rng *rng)
{
    NN_ASSERT(depth >= 1 && depth <= STACK_MAX);
    stack_net *S = nn_calloc(1, sizeof *S);
    model *m = &S->m;
    snprintf(m->name, sizeof m->name, "%s stack of %d", residual ? "residual" : "plain", depth);
    m->C = C, m->H = H, m->W = W, m->classes = N_CLASSES, m->max_batch = max_batch;
    m->forward = stack_forward, m->backward = stack_backward, m->destroy = stack_destroy;
    S->depth = depth, S->width = width, S->residual = residual;
    nn_piece p[2 * STACK_MAX + 4], g[2 * STACK_MAX + 4];
    int np = 0;
    for (int l = 0; l <= depth; l++) {
        size_t nw = (size_t)width * (l == 0 ? C : width) * 9;
        p[np] = (nn_piece){"conv.w", nw, &S->w[l]}, g[np++] = (nn_piece){"conv.w", nw, &S->d_w[l]};
        p[np] = (nn_piece){"conv.b", (size_t)width, &S->b[l]}, g[np++] = (nn_piece){"conv.b", (size_t)width, &S->d_b[l]};
    }
    p[np] = (nn_piece){"fc.w", (size_t)N_CLASSES * width, &S->fc_w};
    g[np++] = (nn_piece){"fc.w", (size_t)N_CLASSES * width, &S->d_fc_w};
    p[np] = (nn_piece){"fc.b", N_CLASSES, &S->fc_b}, g[np++] = (nn_piece){"fc.b", N_CLASSES, &S->d_fc_b};
    size_t n_grads;
    m->params = nn_alloc_pieces(p, np, &m->n_params);
    m->grads = nn_alloc_pieces(g, np, &n_grads);
    m->logits = nn_floats((size_t)max_batch * N_CLASSES);
    size_t per = (size_t)width * H * W;
    for (int l = 0; l <= depth; l++) {
        act_add(&S->act_tab, "z", per, &S->z[l]), act_add(&S->act_tab, "h", per, &S->h[l]);
        act_add(&S->d_act_tab, "d_z", per, &S->d_z[l]), act_add(&S->d_act_tab, "d_h", per, &S->d_h[l]);
    }
    act_add(&S->act_tab, "g", (size_t)width, &S->g), act_add(&S->d_act_tab, "d_g", (size_t)width, &S->d_g);
    S->acts = act_alloc(&S->act_tab, max_batch);
    S->d_acts = act_alloc(&S->d_act_tab, max_batch);
    for (int l = 0; l <= depth; l++) {
        size_t fan_in = (size_t)(l == 0 ? C : width) * 9;
        init_normal(S->w[l], (size_t)width * fan_in, 1.0 / sqrt(3.0 * (double)fan_in), rng);
    }
    init_normal(S->fc_w, (size_t)N_CLASSES * width, xavier_std((size_t)width, N_CLASSES), rng);
    return m;
}

/* ---- Section 6: the famous networks ----
 * Deck 004's table "Some popular convolutional neural networks" lists their
 * parameter counts.  The lib's counter (lib/nn_netcount.h) reproduces them
 * from the layer lists alone; tests/ch07 checks its counts against a
 * committed script that counts torchvision's models.  (Deck 004's numbers
 * come from Keras, which adds batch norm's running statistics to "total
 * params": the counter keeps those apart, and adds them for this table.) */
static void section_famous(void)
{
    nn_say("\n6. Deck 004's table, counted from the layer lists (lib/nn_netcount.h)\n");
    static const struct { const char *deck_name, *builtin; long long deck; } nets[] = {
        {"VGG16", "vgg16", 138357544LL},          {"InceptionV3", "inception3-keras", 23851784LL},
        {"ResNet50", "resnet50-keras", 25636712LL}, {"Xception", "xception", 22910480LL},
        {"ResNeXt50", "resnext50", 25097128LL}};
    nn_say("   %-12s %16s %16s %18s\n", "network", "deck 004", "counted", "multiply-adds");
    int all_equal = 1;
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++) {
        nn_netcount nc;
        must(nn_netcount_builtin(&nc, nets[i].builtin));
        long long total = nc.params + nc.running;
        char a[32], b[32], c[32];
        nn_say("   %-12s %16s %16s %18s\n", nets[i].deck_name, nn_netcount_commas(nets[i].deck, a, sizeof a),
               nn_netcount_commas(total, b, sizeof b), nn_netcount_commas(nc.macs, c, sizeof c));
        all_equal &= total == nets[i].deck;
        nn_netcount_free(&nc);
    }
    nn_claim(all_equal, "deck004-table", "the counter reproduces every parameter count of deck 004's table");
    nn_netcount nc;
    must(nn_netcount_builtin(&nc, "alexnet"));
    char a[32];
    nn_say("   AlexNet (torchvision), not in the table: %s parameters (deck 004: \"60M\")\n",
           nn_netcount_commas(nc.params, a, sizeof a));
    nn_netcount_free(&nc);
}

/* ======================================================================
 * The program
 * ====================================================================== */
typedef struct {
    const char *dataset, *net;
    int full, n_train, n_val, n_test, epochs, batch, patience;
    double lr, lenet_lr, dropout, noise;
    int K1, K2, pool, no_bn, shift, flip, no_augment;
    const char *save, *load;
} options;

static void print_result(const char *what, const train_result *r, double test_acc)
{
    nn_say("   %s: best validation accuracy %.4f at epoch %d of %d; test accuracy %.4f\n", what, r->best_val_acc,
           r->best_epoch, r->epochs_run, test_acc);
    nn_say("   %s: %.1f s of training, %.0f images per second (wall clock; %.0f per second of CPU time)\n", what,
           r->seconds, r->images_per_second, r->images_per_cpu_second);
}

static train_cfg make_train_cfg(const options *o, double lr, int augment)
{
    train_cfg c = {0};
    c.epochs = o->epochs;
    c.batch = o->batch;
    c.patience = o->patience;
    if (nn_optim_parse("adam", lr, &c.opt) != NN_OK)
        nn_die_last();
    c.cosine = 1;
    if (augment) {
        c.aug.shift = o->shift;
        c.aug.flip = o->flip;
        c.aug.noise = o->noise;
    }
    c.verbose = 1;
    return c;
}

/* ---- Section 7: the comparison ---- */
#define N_SHIFTS 3

static void figure_curves(const char *name, const char *title, const train_result *r, const char *const *labels,
                          int n)
{
    nn_fig fig;
    must(nn_fig_begin_sized(&fig, CHAPTER, name, 1100, 460));
    for (int k = 0; k < n; k++) {
        char part[8];
        snprintf(part, sizeof part, "%d", k);
        FILE *f = nn_fig_data(&fig, part, "epoch train_loss val_loss train_acc val_acc");
        for (int e = 0; e < r[k].epochs_run; e++)
            fprintf(f, "%d %.6g %.6g %.6g %.6g\n", e + 1, fmax(r[k].log[e].train_loss, 1e-12),
                    fmax(r[k].log[e].val_loss, 1e-12), r[k].log[e].train_acc, r[k].log[e].val_acc);
    }
    int epochs = 1;
    for (int k = 0; k < n; k++)
        epochs = r[k].epochs_run > epochs ? r[k].epochs_run : epochs;
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title \"%s\" noenhanced", title);
    nn_fig_cmd(&fig, "set xrange [0.5:%d.5]\nset xtics 1", epochs);
    nn_fig_cmd(&fig, "set xlabel 'epoch'\nset ylabel 'cross-entropy loss'\nset logscale y\nset key top right");
    for (int k = 0; k < n; k++) {
        char part[8];
        snprintf(part, sizeof part, "%d", k);
        nn_fig_cmd(&fig, "%s '%s' using 1:2 with linespoints ls %d title '%s, training' noenhanced, \\", k ? "    " : "plot",
                   nn_fig_path(&fig, part), k + 1, labels[k]);
        nn_fig_cmd(&fig, "     '%s' using 1:3 with linespoints ls %d dt 2 title '%s, validation' noenhanced%s",
                   nn_fig_path(&fig, part), k + 1, labels[k], k + 1 < n ? ", \\" : "");
    }
    nn_fig_cmd(&fig, "unset logscale y\nset ylabel 'accuracy'\nset key bottom right");
    for (int k = 0; k < n; k++) {
        char part[8];
        snprintf(part, sizeof part, "%d", k);
        nn_fig_cmd(&fig, "%s '%s' using 1:4 with linespoints ls %d title '%s, training' noenhanced, \\", k ? "    " : "plot",
                   nn_fig_path(&fig, part), k + 1, labels[k]);
        nn_fig_cmd(&fig, "     '%s' using 1:5 with linespoints ls %d dt 2 title '%s, validation' noenhanced%s",
                   nn_fig_path(&fig, part), k + 1, labels[k], k + 1 < n ? ", \\" : "");
    }
    nn_fig_cmd(&fig, "unset multiplot");
    must(nn_fig_end(&fig));
}

static small_cfg narrow_cfg(void)
{
    small_cfg c = {8, 32, 2, 1, 0.25};
    return c;
}

/* Returns the CNN's training run without augmentation and its test
 * accuracy (section 8 reuses them). */
static train_result section_mlp_vs_cnn(const data_sets *data, const options *o, uint64_t seed, double *cnn_test_acc)
{
    nn_say("\n7. Why not a dense network: an MLP and a CNN of about the same size, no augmentation\n");
    nn_rng rng;
    nn_rng_seed(&rng, seed, 5);
    small_cfg nc = narrow_cfg();
    model *cnn = small_new(&nc, data->C, data->H, data->W, N_CLASSES, o->batch, &rng);
    if (!cnn)
        nn_die_last();
    /* hidden units so that the MLP has (just over) as many parameters as the CNN */
    int D = data->C * data->H * data->W, hidden = (int)ceil((double)cnn->n_params / (D + 1 + N_CLASSES));
    model *mlp = mlp_new(data->C, data->H, data->W, hidden, N_CLASSES, o->batch, &rng);
    nn_say("   CNN (8 and 32 filters): %zu parameters;  MLP (%d hidden units): %zu parameters\n", cnn->n_params,
           hidden, mlp->n_params);
    model *nets[2] = {mlp, cnn};
    train_result r[2];
    double acc[2][N_SHIFTS + 1];
    for (int k = 0; k < 2; k++) {
        train_cfg tc = make_train_cfg(o, o->lr, 0);
        tc.verbose = 0;
        must(train(nets[k], data, &tc, &rng, &r[k]));
        acc[k][0] = evaluate(nets[k], &data->test, data, NULL, NULL);
        for (int t = 1; t <= N_SHIFTS; t++)
            acc[k][t] = shifted_accuracy(nets[k], data, t);
    }
    nn_say("   test accuracy     %8s %8s %8s %8s\n", "as is", "shift 1", "shift 2", "shift 3");
    for (int k = 0; k < 2; k++)
        nn_say("   %-17s %8.4f %8.4f %8.4f %8.4f\n", k ? "CNN" : "MLP", acc[k][0], acc[k][1], acc[k][2], acc[k][3]);
    nn_claim(acc[1][0] > acc[0][0], "cnn-beats-mlp",
          "with about the same number of parameters, the CNN is more accurate than the MLP on the test "
          "images (%.4f vs %.4f)", acc[1][0], acc[0][0]);
    nn_claim(acc[1][N_SHIFTS] > acc[0][N_SHIFTS], "cnn-shift",
             "moved by %d pixels, the test images are still classified better by the CNN (%.4f) than by the MLP "
             "(%.4f)", N_SHIFTS, acc[1][N_SHIFTS], acc[0][N_SHIFTS]);
    const char *labels[2] = {"MLP", "CNN"};
    figure_curves("curves", "MLP vs CNN of the same size: loss and accuracy by epoch", r, labels, 2);
    nn_fig fig;
    must(nn_fig_begin(&fig, CHAPTER, "shifted"));
    FILE *f = nn_fig_data(&fig, NULL, "shift mlp_acc cnn_acc");
    for (int t = 0; t <= N_SHIFTS; t++)
        fprintf(f, "%d %.6g %.6g\n", t, acc[0][t], acc[1][t]);
    nn_fig_cmd(&fig, "set title 'test images shifted by t pixels (mean of up, down, left, right)'");
    nn_fig_cmd(&fig, "set xlabel 'shift t (pixels)'\nset ylabel 'test accuracy'\nset xtics 1\nset key bottom left");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'MLP, %zu parameters', \\", nn_fig_path(&fig, NULL),
               mlp->n_params);
    nn_fig_cmd(&fig, "     '%s' using 1:3 with linespoints ls 2 title 'CNN, %zu parameters'", nn_fig_path(&fig, NULL),
               cnn->n_params);
    must(nn_fig_end(&fig));
    model_free(mlp);
    model_free(cnn);
    *cnn_test_acc = acc[1][0];
    return r[1];
}

/* ======================================================================
 * Section 8. What helps: batch norm, dropout, augmentation, each on/off
 * ======================================================================
 *
 * The CNN of section 7 (8 and 32 filters, so that four trainings stay
 * quick), trained with everything on, then with one thing off at a time:
 * no batch norm (the convolutions get biases instead), no dropout, no
 * augmentation (section 7's run).  Same seed, same data, same epochs. */
static void section_ablation(const data_sets *data, const options *o, uint64_t seed, const train_result *no_aug,
                             double no_aug_test_acc)
{
    nn_say("\n8. Batch norm, dropout and augmentation, each switched off in turn (8 and 32 filters)\n");
    static const char *const names[4] = {"everything on", "no batch norm", "no dropout", "no augmentation"};
    train_result r[4];
    double test_acc[4];
    for (int k = 0; k < 3; k++) {
        nn_rng rng;
        nn_rng_seed(&rng, seed, 5);   /* the same weights as section 7's CNN */
        small_cfg nc = narrow_cfg();
        if (k == 1)
            nc.use_bn = 0;
        if (k == 2)
            nc.dropout = 0;
        model *cnn = small_new(&nc, data->C, data->H, data->W, N_CLASSES, o->batch, &rng);
        train_cfg tc = make_train_cfg(o, o->lr, !o->no_augment);
        tc.verbose = 0;
        must(train(cnn, data, &tc, &rng, &r[k]));
        test_acc[k] = evaluate(cnn, &data->test, data, NULL, NULL);
        model_free(cnn);
    }
    r[3] = *no_aug;
    test_acc[3] = no_aug_test_acc;
    nn_say("   %-18s %12s %12s %12s %12s\n", "", "train loss", "train acc", "best val acc", "test acc");
    for (int k = 0; k < 4; k++) {
        const epoch_log *l = &r[k].log[r[k].epochs_run - 1];
        nn_say("   %-18s %12.4f %12.4f %12.4f %12.4f\n", names[k], l->train_loss, l->train_acc, r[k].best_val_acc,
               test_acc[k]);
    }
    nn_say("   (one seed, %d training images, %d epochs: run with other --seed values to see the spread)\n",
           data->train.n, o->epochs);
    const train_result pair[2] = {r[0], r[3]};
    const char *labels[2] = {"augmentation on", "augmentation off"};
    figure_curves("augmentation", "the CNN with and without augmentation", pair, labels, 2);
}

/* ---- Section 9: the experiment ---- */
static void section_residual(uint64_t seed, int depth, int epochs)
{
    nn_say("\n9. Residual connections: %d convolutions deep, plain vs with skips, on the 8x8 digits\n", depth);
    nn_rng rng;
    nn_rng_seed(&rng, seed, 6);
    data_sets digits;
    load_small_digits(&digits, &rng);
    double norms[2][STACK_MAX + 1];
    train_result r[2];
    double test_acc[2];
    for (int res = 0; res < 2; res++) {
        nn_rng_seed(&rng, seed, 7);   /* the same weights for both */
        model *m = stack_new(1, 8, 8, 8, depth, res, 32, &rng);
        stack_net *S = (stack_net *)m;
        /* the gradient of the first batch, at the initial weights */
        float x[32 * 64], probs[32 * N_CLASSES], d_logits[32 * N_CLASSES] = {0};
        int idx[32], y[32];
        for (int b = 0; b < 32; b++)
            idx[b] = b;
        gather_batch(x, y, &digits.train, idx, 32, &digits, NULL, NULL);
        nn_zero(m->grads, m->n_params);
        must(m->forward(m, x, 32, 1, NULL));
        nn_softmax_xent_forward(probs, m->logits, y, 32, N_CLASSES);
        nn_softmax_xent_backward(d_logits, probs, y, 32, N_CLASSES);
        m->backward(m, d_logits, 32);
        for (int l = 0; l <= depth; l++)
            norms[res][l] = nn_norm2(S->d_w[l], (size_t)8 * (l == 0 ? 1 : 8) * 9);
        train_cfg tc = make_train_cfg_plain(epochs, 32, 0.003);
        must(train(m, &digits, &tc, &rng, &r[res]));
        test_acc[res] = evaluate(m, &digits.test, &digits, NULL, NULL);
        model_free(m);
    }
    nn_say("   gradient norm ||dL/dW_l|| on the first batch:\n   %8s %12s %12s\n", "layer", "plain", "residual");
    for (int l = 0; l <= depth; l++)
        nn_say("   %8d %12.3e %12.3e\n", l, norms[0][l], norms[1][l]);
    nn_say("   after %d epochs: training loss %.4f (plain) vs %.4f (residual); test accuracy %.4f vs %.4f\n", epochs,
           r[0].log[epochs - 1].train_loss, r[1].log[epochs - 1].train_loss, test_acc[0], test_acc[1]);
    double worst_ratio = INFINITY;   /* the smallest residual / plain ratio over the layers */
    for (int l = 0; l <= depth; l++)
        worst_ratio = fmin(worst_ratio, norms[1][l] / fmax(norms[0][l], 1e-30));
    nn_claim(worst_ratio > 100, "residual-gradient",
          "at the start, every layer of the stack gets a gradient at least %.0f times larger with skips "
          "than without", worst_ratio);
    nn_claim(r[1].log[epochs - 1].train_loss < r[0].log[epochs - 1].train_loss, "residual-trains",
          "with skips the same stack reaches a lower training loss in %d epochs (%.3f vs %.3f)", epochs,
          r[1].log[epochs - 1].train_loss, r[0].log[epochs - 1].train_loss);
    nn_fig fig;
    must(nn_fig_begin(&fig, CHAPTER, "residual-gradients"));
    FILE *f = nn_fig_data(&fig, NULL, "layer plain_norm residual_norm");
    for (int l = 0; l <= depth; l++)
        fprintf(f, "%d %.6g %.6g\n", l, fmax(norms[0][l], 1e-30), fmax(norms[1][l], 1e-30));
    nn_fig_cmd(&fig, "set title 'gradient norm of each layer at the start: plain vs residual (%d layers)'", depth + 1);
    nn_fig_cmd(&fig, "set xlabel 'layer l (0 = first)'\nset ylabel '||dL/dW_l||'\nset logscale y\nset format y '10^{%%L}'");
    nn_fig_cmd(&fig, "set key center right");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'plain', \\", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '%s' using 1:3 with linespoints ls 2 title 'residual, H(x) = F(x) + x'", nn_fig_path(&fig, NULL));
    must(nn_fig_end(&fig));
    const char *labels[2] = {"plain", "residual"};
    figure_curves("residual-curves", "a deep stack of convolutions, plain vs residual", r, labels, 2);
    data_free(&digits);
}

/* ======================================================================
 * Section 10. What the network learned
 * ======================================================================
 *
 * A trained network is a few tens of thousands of numbers; some of them can
 * be looked at directly.
 *   - The first layer's filters (deck 000 and 002 show Krizhevsky's): each
 *     is a 3x3 (or 5x5) pattern of weights, drawn on ONE symmetric colour
 *     scale for all filters, so that blue and red mean the same weight in
 *     every panel and a filter that looks faint really is small.
 *   - The feature maps of one image through every layer (deck 004, "which
 *     patterns can be detected"): early maps look like the image filtered
 *     for edges, later ones are smaller and more abstract.
 *   - The images that most excite a channel of the second convolution: the
 *     test images with the largest mean activation of that channel.
 *   - The confusion matrix: row = true class, column = predicted class;
 *     per-class accuracy (the recall of each class) and the most confused
 *     pairs; a grid of misclassified test images. */

/* A grid of (rows x cols) maps, layout R x Cn, one colour scale for all:
 * symmetric [-m, m] with the diverging palette, or [0, m] in grey. */
static void figure_maps(const char *name, const char *title, const float *const *maps, const char *const *titles,
                        int n, int rows, int cols, int R, int Cn, int symmetric)
{
    nn_fig fig;
    must(nn_fig_begin_sized(&fig, CHAPTER, name, 120 * Cn + 120, 130 * R + 60));
    double m = 1e-12;
    for (int p = 0; p < n; p++)
        m = fmax(m, nn_fig_abs_max(maps[p], (size_t)rows * cols));
    /* all maps in one file, one index block each (two blank lines apart) */
    FILE *f = nn_fig_data(&fig, NULL, "maps of (rows x cols), row 0 first; one block per panel");
    for (int p = 0; p < n; p++) {
        nn_fig_write_matrix(f, maps[p], rows, cols);
        fprintf(f, "\n\n");
    }
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title \"%s\" noenhanced margins 0.02,0.88,0.02,0.88 spacing 0.01,0.04",
               R, Cn, title);
    if (symmetric)
        nn_fig_cmd(&fig, "@nn_palette_diverging\nset cbrange [-%.6g:%.6g]", m, m);
    else
        nn_fig_cmd(&fig, "@nn_palette_gray\nset cbrange [0:%.6g]", m);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nset size ratio -1");
    nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", cols - 0.5, rows - 0.5);
    nn_fig_cmd(&fig, "set colorbox user origin 0.91,0.15 size 0.02,0.6");
    for (int p = 0; p < n; p++) {
        if (p == 1)
            nn_fig_cmd(&fig, "unset colorbox");
        nn_fig_cmd(&fig, "set title \"%s\" noenhanced font ',9'", titles ? titles[p] : "");
        nn_fig_cmd(&fig, "plot '%s' index %d matrix with image notitle", nn_fig_path(&fig, NULL), p);
    }
    nn_fig_cmd(&fig, "unset multiplot");
    must(nn_fig_end(&fig));
}

static void figure_filters(const char *name, const char *title, const float *w, int K, int F)
{
    const float *maps[64];
    char buf[64][16];
    const char *titles[64];
    for (int k = 0; k < K && k < 64; k++) {
        maps[k] = w + (size_t)k * F * F;
        snprintf(buf[k], sizeof buf[k], "filter %d", k);
        titles[k] = buf[k];
    }
    int n = K < 64 ? K : 64, Cn = n < 8 ? n : 8;
    figure_maps(name, title, maps, titles, n, F, F, (n + Cn - 1) / Cn, Cn, 1);
}

/* The feature maps of test image `index` through the small network. */
static void figure_feature_maps(model *m, const data_sets *data, int index)
{
    smallnet *S = (smallnet *)m;
    float *x = nn_floats((size_t)data->test.d);
    int y;
    gather_batch(x, &y, &data->test, &index, 1, data, NULL, NULL);
    must(m->forward(m, x, 1, 0, NULL));
    enum { SHOW = 6 };
    const float *layers[4] = {S->a1, S->s1, S->a2, S->s2};
    const int sides[4][2] = {{S->H1, S->W1}, {S->H2, S->W2}, {S->H2, S->W2}, {S->H3, S->W3}};
    const char *names[4] = {"conv1", "pool1", "conv2", "pool2"};
    /* one figure per layer would scatter the story: one row per layer, each
     * row on its own grey scale (a row's maps compare with each other) */
    nn_fig fig;
    must(nn_fig_begin_sized(&fig, CHAPTER, "feature-maps", 130 * (SHOW + 1) + 40, 140 * 4 + 60));
    FILE *f = nn_fig_data(&fig, "image", "the input image, row 0 first");
    nn_fig_write_matrix(f, data->test.x + (size_t)index * data->test.d, data->H, data->W);
    char part[16];
    for (int l = 0; l < 4; l++) {
        snprintf(part, sizeof part, "layer%d", l);
        f = nn_fig_data(&fig, part, "one block per channel: its map, row 0 first");
        for (int c = 0; c < SHOW; c++) {
            nn_fig_write_matrix(f, layers[l] + (size_t)c * sides[l][0] * sides[l][1], sides[l][0], sides[l][1]);
            fprintf(f, "\n\n");
        }
    }
    nn_fig_cmd(&fig, "set multiplot layout 4,%d title \"one test image (%s) through the small CNN: the first %d "
                     "channels of every layer\" noenhanced margins 0.02,0.98,0.02,0.9 spacing 0.01,0.05",
               SHOW + 1, data->class_names[y], SHOW);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nset size ratio -1\nunset colorbox\n@nn_palette_gray");
    for (int l = 0; l < 4; l++) {
        double top = 1e-12;
        for (int c = 0; c < SHOW; c++)
            top = fmax(top, nn_fig_abs_max(layers[l] + (size_t)c * sides[l][0] * sides[l][1],
                                           (size_t)sides[l][0] * sides[l][1]));
        nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]\nset cbrange [0:1]", data->W - 0.5, data->H - 0.5);
        nn_fig_cmd(&fig, "set title 'input' font ',9'\nplot '%s' matrix with image notitle", nn_fig_path(&fig, "image"));
        nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]\nset cbrange [0:%.6g]", sides[l][1] - 0.5,
                   sides[l][0] - 0.5, top);
        snprintf(part, sizeof part, "layer%d", l);
        for (int c = 0; c < SHOW; c++) {
            nn_fig_cmd(&fig, "set title \"%s, ch %d\" noenhanced font ',9'", names[l], c);
            nn_fig_cmd(&fig, "plot '%s' index %d matrix with image notitle", nn_fig_path(&fig, part), c);
        }
    }
    nn_fig_cmd(&fig, "unset multiplot");
    must(nn_fig_end(&fig));
    free(x);
}

/* For channels 0..5 of conv2 (after BN and ReLU), the 6 test images with
 * the largest mean activation. */
static void figure_top_images(model *m, const data_sets *data)
{
    smallnet *S = (smallnet *)m;
    enum { CH = 6, TOP = 6 };
    int n = data->test.n, B = m->max_batch, hw = S->H2 * S->W2;
    double best[CH][TOP];
    int who[CH][TOP];
    for (int c = 0; c < CH; c++)
        for (int t = 0; t < TOP; t++)
            best[c][t] = -INFINITY, who[c][t] = 0;
    float *x = nn_floats((size_t)B * data->test.d);
    int *idx = malloc(sizeof(int) * (size_t)B), *y = malloc(sizeof(int) * (size_t)B);
    for (int start = 0; start < n; start += B) {
        int nb = n - start < B ? n - start : B;
        for (int b = 0; b < nb; b++)
            idx[b] = start + b;
        gather_batch(x, y, &data->test, idx, nb, data, NULL, NULL);
        must(m->forward(m, x, nb, 0, NULL));
        for (int b = 0; b < nb; b++)
            for (int c = 0; c < CH && c < S->cfg.K2; c++) {
                double mean = 0;
                const float *a = S->a2 + ((size_t)b * S->cfg.K2 + c) * hw;
                for (int q = 0; q < hw; q++)
                    mean += a[q];
                mean /= hw;
                /* insert into the sorted top list */
                for (int t = 0; t < TOP; t++)
                    if (mean > best[c][t]) {
                        for (int u = TOP - 1; u > t; u--)
                            best[c][u] = best[c][u - 1], who[c][u] = who[c][u - 1];
                        best[c][t] = mean, who[c][t] = start + b;
                        break;
                    }
            }
    }
    const float *maps[CH * TOP];
    char buf[CH * TOP][32];
    const char *titles[CH * TOP];
    for (int c = 0; c < CH; c++)
        for (int t = 0; t < TOP; t++) {
            maps[c * TOP + t] = data->test.x + (size_t)who[c][t] * data->test.d;
            snprintf(buf[c * TOP + t], sizeof buf[0], "ch %d: %s", c, data->class_names[data->test.y[who[c][t]]]);
            titles[c * TOP + t] = buf[c * TOP + t];
        }
    figure_maps("top-images", "the test images that most excite channels 0-5 of conv2 (one row per channel)", maps,
                titles, CH * TOP, data->H, data->W, CH, TOP, 0);
    free(x), free(idx), free(y);
}

static void section_learned(model *m, const data_sets *data, const char *net_label)
{
    nn_say("\n10. What the %s learned\n", net_label);
    int n = data->test.n;
    int *pred = malloc(sizeof(int) * (size_t)n);
    double acc = evaluate(m, &data->test, data, NULL, pred);
    long confusion[N_CLASSES][N_CLASSES] = {{0}};
    for (int i = 0; i < n; i++)
        confusion[data->test.y[i]][pred[i]]++;
    nn_say("   confusion matrix (rows: true class, columns: predicted), test accuracy %.4f\n   %9s", acc, "");
    for (int k = 0; k < N_CLASSES; k++)
        nn_say(" %8.8s", data->class_names[k]);
    nn_say("   recall\n");
    for (int t = 0; t < N_CLASSES; t++) {
        long row = 0;
        nn_say("   %-9.9s", data->class_names[t]);
        for (int k = 0; k < N_CLASSES; k++) {
            nn_say(" %8ld", confusion[t][k]);
            row += confusion[t][k];
        }
        nn_say("   %.3f\n", row ? (double)confusion[t][t] / row : 0.0);
    }
    /* the most confused pairs: both directions of a pair added together */
    nn_say("   most confused pairs (mistakes either way):");
    long used[N_CLASSES][N_CLASSES] = {{0}};
    for (int r = 0; r < 3; r++) {
        long top = -1;
        int a = 0, b = 1;
        for (int i = 0; i < N_CLASSES; i++)
            for (int j = i + 1; j < N_CLASSES; j++) {
                long both = confusion[i][j] + confusion[j][i];
                if (!used[i][j] && both > top)
                    top = both, a = i, b = j;
            }
        used[a][b] = 1;
        nn_say("%s %s/%s %ld", r ? "," : "", data->class_names[a], data->class_names[b], top);
    }
    nn_say("\n");

    nn_fig fig;
    must(nn_fig_begin_sized(&fig, CHAPTER, "confusion", 760, 640));
    FILE *f = nn_fig_data(&fig, NULL, "confusion counts, row = true class (0 first), column = predicted class");
    for (int t = 0; t < N_CLASSES; t++) {
        for (int k = 0; k < N_CLASSES; k++)
            fprintf(f, "%s%ld", k ? " " : "", confusion[t][k]);
        fprintf(f, "\n");
    }
    long most = 1;
    for (int t = 0; t < N_CLASSES; t++)
        for (int k = 0; k < N_CLASSES; k++)
            if (t != k && confusion[t][k] > most)
                most = confusion[t][k];
    nn_fig_cmd(&fig, "set title \"%s on %d test images: confusion matrix (colour: off-diagonal counts)\" noenhanced",
               net_label, n);
    nn_fig_cmd(&fig, "set xlabel 'predicted class'\nset ylabel 'true class'\nunset grid\n@nn_palette_sequential");
    nn_fig_cmd(&fig, "set cbrange [0:%ld]\nset xrange [-0.5:9.5]\nset yrange [9.5:-0.5]\nset size ratio -1", most);
    char tics[512] = "";
    for (int k = 0; k < N_CLASSES; k++) {
        char one[48];
        snprintf(one, sizeof one, "%s\"%s\" %d", k ? ", " : "", data->class_names[k], k);
        strncat(tics, one, sizeof tics - strlen(tics) - 1);
    }
    nn_fig_cmd(&fig, "set xtics (%s) rotate by 45 right noenhanced\nset ytics (%s) noenhanced", tics, tics);
    nn_fig_cmd(&fig, "plot '%s' matrix using 1:2:($1 == $2 ? 0 : $3) with image notitle, \\", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '%s' matrix using 1:2:(sprintf('%%d', $3)) with labels font ',9' tc rgb '#cc2200' notitle",
               nn_fig_path(&fig, NULL));
    must(nn_fig_end(&fig));

    /* misclassified test images, true -> predicted */
    enum { SHOW = 18 };
    const float *maps[SHOW];
    char buf[SHOW][48];
    const char *titles[SHOW];
    int shown = 0;
    for (int i = 0; i < n && shown < SHOW; i++)
        if (pred[i] != data->test.y[i]) {
            maps[shown] = data->test.x + (size_t)i * data->test.d;
            snprintf(buf[shown], sizeof buf[0], "%s -> %s", data->class_names[data->test.y[i]],
                     data->class_names[pred[i]]);
            titles[shown] = buf[shown];
            shown++;
        }
    if (shown > 0)
        figure_maps("misclassified", "misclassified test images: true class -> predicted class", maps, titles, shown,
                    data->H, data->W, (shown + 5) / 6, 6, 0);
    smallnet *S = (smallnet *)m;
    figure_filters("filters", "the small CNN's first-layer filters (one symmetric scale)", S->conv1_w, S->cfg.K1, 3);
    figure_feature_maps(m, data, 0);
    figure_top_images(m, data);
    free(pred);
}

#ifndef CH07_NO_MAIN
int main(int argc, char **argv)
{
    options o = {.dataset = "fashion", .net = "all", .n_train = -1, .n_val = -1, .n_test = -1, .epochs = -1,
                 .batch = 64, .patience = -1, .lr = 0.002, .lenet_lr = 0.001, .dropout = 0.25, .noise = 0,
                 .K1 = 32, .K2 = 64, .pool = 2, .shift = 1, .flip = 0};
    static const char *const datasets[] = {"fashion", "digits", NULL};
    static const char *const nets[] = {"all", "lenet", "small", "none", NULL};
    int flip = 0;
    nn_option table[] = {
        NN_OPT_FLAG("full", "the documented run: all 60,000 training images (5,000 for validation), "
                            "all 10,000 test images, 20 epochs (about 15 minutes of one core)", &o.full),
        NN_OPT_CHOICE("dataset", "NAME", "fashion (default) or digits (8x8, shipped in data/)", &o.dataset,
                      datasets),
        NN_OPT_CHOICE("net", "NAME", "which networks sections 3-5 train: all, lenet, small, none", &o.net, nets),
        NN_OPT_INT("train", "N", "training images, validation included (default 2000; --full: all)",
                   &o.n_train, 10, 60000),
        NN_OPT_INT("val", "N", "of those, images for validation (default 500; --full: 5000)", &o.n_val, 1, 30000),
        NN_OPT_INT("test", "N", "test images (default 1000; --full: all)", &o.n_test, 1, 10000),
        NN_OPT_INT("epochs", "N", "at most N epochs (default 3; --full: 20)", &o.epochs, 1, MAX_EPOCHS),
        NN_OPT_INT("batch", "B", "mini-batch size (default 64)", &o.batch, 2, 1024),
        NN_OPT_INT("patience", "N", "stop after N epochs without a better validation accuracy (default: "
                                    "as many as the epochs)", &o.patience, 1, MAX_EPOCHS),
        NN_OPT_DOUBLE("lr", "RATE", "Adam's initial learning rate for the small network (default 0.002)",
                      &o.lr, 1e-6, 1e6),
        NN_OPT_DOUBLE("lenet-lr", "RATE", "the same for LeNet-5 (default 0.001)", &o.lenet_lr, 1e-6, 1e6),
        NN_OPT_INT("filters1", "K", "filters of the small network's first convolution (default 32)", &o.K1, 0,
                   512),
        NN_OPT_INT("filters2", "K", "filters of its second convolution (default 64)", &o.K2, 0, 512),
        NN_OPT_INT("pool", "F", "its max pools: F x F, stride F (default 2)", &o.pool, 1, 64),
        NN_OPT_DOUBLE("dropout", "P", "its dropout probability before the classifier (default 0.25)",
                      &o.dropout, 0, 0.95),
        NN_OPT_FLAG("no-bn", "no batch normalization in the small network", &o.no_bn),
        NN_OPT_INT("shift", "S", "augmentation: random shifts of up to S pixels (default 1)", &o.shift, 0, 8),
        NN_OPT_FLAG("flip", "augmentation: also mirror the images left-right, with probability 1/2", &flip),
        NN_OPT_DOUBLE("noise", "STD", "augmentation: Gaussian pixel noise (default 0)", &o.noise, 0, 1),
        NN_OPT_FLAG("no-augment", "no augmentation at all", &o.no_augment),
        NN_OPT_STRING("save", "FILE", "save the trained small network to FILE (format: doc/MODEL-FORMAT.md)",
                      &o.save),
        NN_OPT_STRING("load", "FILE", "load the small network from FILE instead of training it", &o.load),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch07-cnn", "Chapter 7: the convolutional network", table, &common);
    o.flip = flip;
    if (o.n_train < 0)
        o.n_train = o.full ? 0 : 2000;
    if (o.n_val < 0)
        o.n_val = o.full ? 5000 : 500;
    if (o.n_test < 0)
        o.n_test = o.full ? 0 : 1000;
    if (o.epochs < 0)
        o.epochs = o.full ? 20 : 3;
    if (o.patience < 0)
        o.patience = o.epochs;
    /* One random stream per purpose, so that each result depends only on the
     * seed and its own options: the small network of a run that also trains
     * LeNet-5 is the one of a run that trains it alone. */
    nn_rng rng;
    nn_rng_seed(&rng, common.seed, 1);
    double start = nn_seconds();
    nn_say("Chapter 7: the convolutional network (seed %llu)\n", (unsigned long long)common.seed);

    data_sets data;
    load_data(&data, o.dataset, common.data_dir, o.n_train, o.n_val, o.n_test, &rng);
    nn_say("\n1. Data: %s, %d training, %d validation and %d test images of %dx%dx%d%s\n", data.name,
           data.train.n, data.val.n, data.test.n, data.C, data.H, data.W,
           o.full ? "" : " (a subset: --full for the documented run)");

    if (!o.full)
        section_toy(common.seed);

    small_cfg sc = {o.K1, o.K2, o.pool, !o.no_bn, o.dropout};
    model *trained_small = NULL;   /* section 10 looks into it at the end */
    int B = o.batch;
    if (strcmp(o.net, "all") == 0 || strcmp(o.net, "lenet") == 0) {
        nn_say("\n3. LeNet-5\n");
        nn_rng_seed(&rng, common.seed, 3);
        model *le = lenet_new(data.C, data.H, data.W, N_CLASSES, B, &rng);
        if (!le)
            nn_die_last();
        print_table(le);
        train_cfg tc = make_train_cfg(&o, o.lenet_lr, 0);
        train_result r;
        if (train(le, &data, &tc, &rng, &r) != NN_OK)
            nn_die_last();
        print_result("LeNet-5", &r, evaluate(le, &data.test, &data, NULL, NULL));
        const lenet *L = (const lenet *)le;
        figure_filters("filters-lenet", "LeNet-5's first-layer filters (one symmetric scale)", L->conv1_w, 6, 5);
        model_free(le);
    }
    if (strcmp(o.net, "all") == 0 || strcmp(o.net, "small") == 0) {
        nn_say("\n4. The small network\n");
        nn_rng_seed(&rng, common.seed, 4);
        model *small = small_new(&sc, data.C, data.H, data.W, N_CLASSES, B, &rng);
        if (!small)
            nn_die(2, "%s", nn_last_error());
        print_table(small);
        if (o.load) {
            if (small_load(small, o.load) != NN_OK)
                nn_die_last();
            nn_say("   loaded from %s: test accuracy %.4f\n", o.load, evaluate(small, &data.test, &data, NULL, NULL));
        } else {
            train_cfg tc = make_train_cfg(&o, o.lr, !o.no_augment);
            train_result r;
            if (train(small, &data, &tc, &rng, &r) != NN_OK)
                nn_die_last();
            print_result("small CNN", &r, evaluate(small, &data.test, &data, NULL, NULL));
        }
        if (o.save) {
            if (small_save(small, o.save) != NN_OK)
                nn_die_last();
            nn_say("   saved to %s\n", o.save);
        }
        trained_small = small;
    }
    section_famous();
    if (!o.full) {
        double no_aug_acc;
        train_result no_aug = section_mlp_vs_cnn(&data, &o, common.seed, &no_aug_acc);
        section_ablation(&data, &o, common.seed, &no_aug, no_aug_acc);
        section_residual(common.seed, RESIDUAL_DEPTH, RESIDUAL_EPOCHS);
    }
    if (trained_small) {
        section_learned(trained_small, &data, "small CNN");
        model_free(trained_small);
    }
    nn_say("\nDone in %.1f s\n", nn_seconds() - start);
    data_free(&data);
    nn_conv_free_workspace();
    return 0;
}
#endif
