/* Chapter 4: Regularization
 * =========================
 *
 * A network with enough parameters can fit its training set perfectly and
 * still predict badly: it has learned the noise of those particular examples
 * as well as the pattern.  Training has two goals (deck 000, "Capacity,
 * Overfitting and Underfitting"):
 *
 *   1. make the training error small;
 *   2. make the gap between training and test error small.
 *
 * A model with too little capacity fails the first (underfitting); one with
 * too much capacity and nothing to restrain it fails the second
 * (overfitting).  Regularization is everything we do to a model or its
 * training to shrink the gap without giving up much of the first goal.  This
 * chapter measures each technique the decks name, on the same small network
 * and the same data, so their effects can be compared with numbers:
 *
 *   section 1  a small network to regularize, and how it is trained
 *   section 2  capacity: train and test error as the network widens
 *   section 3  norm penalties: L2 (weight decay) and L1 (sparsity)
 *   section 4  early stopping with a validation set and patience
 *   section 5  dropout, as the decks teach it and inverted
 *   section 6  data augmentation: training uses shifts and noise; flips are
 *              shown, and not used, because a mirrored digit is another digit
 *   section 7  noise robustness: input noise, weight noise, label smoothing
 *   section 8  sparse representations: an L1 penalty on activations
 *   section 9  bagging, the ancestor of dropout
 *   section 10 decision boundaries of an over-fitted and a regularized net
 *
 * Adversarial training (deck 004), input noise chosen to be the worst
 * instead of random, needs the gradient of the loss with respect to the
 * input: it is in chapter 8, with saliency.
 *
 * Every result sentence below is checked by the run: it prints a line
 * "claim ID: PASS|FAIL sentence" with the measured numbers, and the
 * chapter's test runs it with seeds 1, 2 and 3.  Test errors are on one
 * split of 1797 digits unless a table says otherwise; section 6-7 measures
 * how much they move from split to split.
 *
 * Notation follows deck 001: the regularized loss is
 *     L_R(W; X, y) = L(W; X, y) + alpha Omega(W),
 * gradient descent with learning rate lambda is
 *     W <- W - lambda dL_R/dW,
 * and dropout keeps a unit with probability 1 - p.
 *
 * Build and run:   make ch04-regularization && ./ch04-regularization
 * Figures:         make figures   (or run it with --out DIR, then gnuplot each
 *                  script under DIR/plots/04-regularization from DIR)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "nn_claim.h"

#define CHAPTER "04-regularization"

/* ======================================================================
 * Section 1. A small network to regularize
 * ======================================================================
 *
 * One hidden layer of H ReLU units between D inputs and K outputs:
 *
 *     z^1 = W^1 x + b^1,   h = relu(z^1),   z^2 = W^2 h~ + b^2,
 *     p = softmax(z^2),    L = -(1/B) sum_b sum_k t_bk log p_bk
 *
 * where h~ is h after dropout (section 5) and t are the targets: one-hot, or
 * smoothed (section 7).  The layers themselves are the library's
 * (nn_dense_forward/backward, chapter 2 derived them); what this chapter
 * writes out in plain loops is every regularizer wrapped around them.
 *
 * The parameters live in one buffer, the gradients in another of the same
 * layout, so that a penalty or an SGD step is a loop over named pieces. */
typedef struct {
    int D, H, K;              /* inputs, hidden units, classes */
    float *params, *grads;    /* (n_params) each */
    size_t n_params;
    float *W1, *b1, *W2, *b2; /* (H, D), (H), (K, H), (K) inside params */
    float *dW1, *db1, *dW2, *db2;
} network;

static void network_init(network *net, int D, int H, int K, nn_rng *rng)
{
    nn_piece params[] = {{"W1", (size_t)H * D, &net->W1}, {"b1", (size_t)H, &net->b1},
                         {"W2", (size_t)K * H, &net->W2}, {"b2", (size_t)K, &net->b2}};
    nn_piece grads[] = {{"dW1", (size_t)H * D, &net->dW1}, {"db1", (size_t)H, &net->db1},
                        {"dW2", (size_t)K * H, &net->dW2}, {"db2", (size_t)K, &net->db2}};
    net->D = D;
    net->H = H;
    net->K = K;
    net->params = nn_alloc_pieces(params, 4, &net->n_params);
    net->grads = nn_alloc_pieces(grads, 4, NULL);
    /* He initialization, N(0, 2/fan_in), suits ReLU (chapter 3); biases 0. */
    nn_rng_fill_normal(rng, net->W1, (size_t)H * D, 0, sqrt(2.0 / D));
    nn_rng_fill_normal(rng, net->W2, (size_t)K * H, 0, sqrt(2.0 / H));
}

static void network_free(network *net)
{
    free(net->params);
    free(net->grads);
}

/* Everything that can regularize training, in one place.  All zero means
 * plain mini-batch SGD on the cross-entropy. */
typedef struct {
    double lr;               /* lambda */
    int epochs, batch;
    double l2;               /* alpha of Omega = 1/2 ||W||_2^2 (weights only) */
    double l1;               /* alpha of Omega = 1/2 ||W||_1 */
    int l1_proximal;         /* L1 as a soft-threshold step after the SGD step (section 3) */
    double dropout_input;    /* p for the inputs */
    double dropout_hidden;   /* p for the hidden units */
    nn_dropout_kind dropout_kind;
    double input_noise;      /* std of Gaussian noise added to inputs */
    double weight_noise;     /* std of Gaussian noise added to weights per step */
    double label_smoothing;  /* epsilon: targets (1 - eps) one-hot + eps / K */
    double activation_l1;    /* alpha of Omega(h) = mean over the batch of ||h||_1 */
    int augment_side;        /* > 0: inputs are side x side images; shift + noise them */
    int patience;            /* > 0: early stopping after this many epochs without improvement */
    int track;               /* record train and validation loss after every epoch */
} train_config;

static train_config plain_config(double lr, int epochs)
{
    train_config cfg = {0};
    cfg.lr = lr;
    cfg.epochs = epochs;
    cfg.batch = 32;
    cfg.dropout_kind = NN_DROPOUT_INVERTED;
    return cfg;
}

/* Buffers for one mini-batch: the forward pass keeps what backward needs. */
typedef struct {
    int capacity;
    float *x_in;       /* (B, D) inputs after noise and input dropout */
    float *mask_in;    /* (B, D) input dropout mask */
    float *z1, *h;     /* (B, H) pre-activation and ReLU output */
    float *mask_h;     /* (B, H) hidden dropout mask */
    float *h_tilde;    /* (B, H) h after dropout */
    float *z2, *p;     /* (B, K) logits and softmax */
    float *targets;    /* (B, K) one-hot or smoothed */
    float *d_z2, *d_h_tilde, *d_h, *d_z1;
} batch_buffers;

static void buffers_init(batch_buffers *buf, const network *net, int capacity)
{
    size_t BD = (size_t)capacity * net->D, BH = (size_t)capacity * net->H, BK = (size_t)capacity * net->K;
    buf->capacity = capacity;
    buf->x_in = nn_floats(BD);
    buf->mask_in = nn_floats(BD);
    buf->z1 = nn_floats(BH);
    buf->h = nn_floats(BH);
    buf->mask_h = nn_floats(BH);
    buf->h_tilde = nn_floats(BH);
    buf->z2 = nn_floats(BK);
    buf->p = nn_floats(BK);
    buf->targets = nn_floats(BK);
    buf->d_z2 = nn_floats(BK);
    buf->d_h_tilde = nn_floats(BH);
    buf->d_h = nn_floats(BH);
    buf->d_z1 = nn_floats(BH);
}

static void buffers_free(batch_buffers *buf)
{
    float *all[] = {buf->x_in, buf->mask_in, buf->z1, buf->h, buf->mask_h, buf->h_tilde, buf->z2,
                    buf->p, buf->targets, buf->d_z2, buf->d_h_tilde, buf->d_h, buf->d_z1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        free(all[i]);
}

/* Targets: one-hot rows, or smoothed ones.  Label smoothing (section 7)
 * replaces the 1 by 1 - eps and spreads eps over all K classes, so the
 * network is never asked for a probability of exactly 1, which only an
 * infinite logit can give ("prevents pursuit of hard probabilities"). */
static void make_targets(float *targets, const int *labels, int B, int K, double eps)
{
    for (int b = 0; b < B; b++)
        for (int k = 0; k < K; k++)
            targets[(size_t)b * K + k] = (float)((k == labels[b] ? 1.0 - eps : 0.0) + eps / K);
}

/* Forward pass.  training = 1 draws noise and dropout masks from rng;
 * training = 0 is the test-time network (standard dropout then scales by
 * 1 - p, inverted dropout does nothing).  Returns the mean cross-entropy
 * against buf->targets. */
static double forward(const network *net, batch_buffers *buf, const float *x, int B,
                      const train_config *cfg, int training, nn_rng *rng)
{
    size_t BD = (size_t)B * net->D, BH = (size_t)B * net->H;
    nn_copy(buf->x_in, x, BD);
    if (training && cfg->input_noise > 0)
        for (size_t i = 0; i < BD; i++)
            buf->x_in[i] += (float)(cfg->input_noise * nn_rng_normal(rng));
    if (cfg->dropout_input > 0) {
        if (training)
            nn_dropout_forward(buf->x_in, buf->mask_in, buf->x_in, BD, cfg->dropout_input, cfg->dropout_kind, rng);
        else
            nn_dropout_eval(buf->x_in, buf->x_in, BD, cfg->dropout_input, cfg->dropout_kind);
    }
    nn_dense_forward(buf->z1, buf->x_in, net->W1, net->b1, B, net->D, net->H);
    nn_act_forward(NN_RELU, buf->h, buf->z1, BH);
    if (cfg->dropout_hidden > 0 && training)
        nn_dropout_forward(buf->h_tilde, buf->mask_h, buf->h, BH, cfg->dropout_hidden, cfg->dropout_kind, rng);
    else if (cfg->dropout_hidden > 0)
        nn_dropout_eval(buf->h_tilde, buf->h, BH, cfg->dropout_hidden, cfg->dropout_kind);
    else
        nn_copy(buf->h_tilde, buf->h, BH);
    nn_dense_forward(buf->z2, buf->h_tilde, net->W2, net->b2, B, net->H, net->K);

    /* Cross-entropy against (possibly soft) targets, with the log-sum-exp
     * trick: log p_k = z_k - max z - log sum_j exp(z_j - max z). */
    nn_softmax(buf->p, buf->z2, B, net->K);
    double loss = 0;
    for (int b = 0; b < B; b++) {
        const float *z = buf->z2 + (size_t)b * net->K;
        float zmax = z[nn_argmax(z, (size_t)net->K)];
        double sum = 0;
        for (int k = 0; k < net->K; k++)
            sum += exp((double)z[k] - zmax);
        for (int k = 0; k < net->K; k++)
            loss -= buf->targets[(size_t)b * net->K + k] * ((double)z[k] - zmax - log(sum));
    }
    return loss / B;
}

/* The regularized loss L_R: the data term plus every penalty that is on. */
static double penalty(const network *net, const batch_buffers *buf, int B, const train_config *cfg)
{
    size_t n1 = (size_t)net->H * net->D, n2 = (size_t)net->K * net->H;
    double omega = 0;
    if (cfg->l2 > 0)
        omega += cfg->l2 * (nn_l2_penalty(net->W1, n1) + nn_l2_penalty(net->W2, n2));
    if (cfg->l1 > 0)
        omega += cfg->l1 * (nn_l1_penalty(net->W1, n1) + nn_l1_penalty(net->W2, n2));
    if (cfg->activation_l1 > 0) {
        double sum = 0;
        for (size_t i = 0; i < (size_t)B * net->H; i++)
            sum += fabs(buf->h[i]);
        omega += cfg->activation_l1 * sum / B;
    }
    return omega;
}

/* Backward pass: adds dL_R/dtheta into net->grads (zero it first). */
static void backward(network *net, batch_buffers *buf, const float *x, int B, const train_config *cfg)
{
    size_t BH = (size_t)B * net->H, BK = (size_t)B * net->K;
    (void)x;
    /* Softmax with cross-entropy: dL/dz^2 = (p - t) / B, soft targets or not. */
    for (size_t i = 0; i < BK; i++)
        buf->d_z2[i] = (buf->p[i] - buf->targets[i]) / (float)B;
    nn_zero(buf->d_h_tilde, BH);
    nn_dense_backward(buf->d_h_tilde, net->dW2, net->db2, buf->d_z2, buf->h_tilde, net->W2, B, net->H, net->K);

    /* in the forward pass this was: h~ = mask * h; so d_h = mask * d_h~ */
    nn_zero(buf->d_h, BH);
    if (cfg->dropout_hidden > 0)
        nn_dropout_backward(buf->d_h, buf->d_h_tilde, buf->mask_h, BH);
    else
        nn_copy(buf->d_h, buf->d_h_tilde, BH);

    /* Sparse representation: d/dh of alpha (1/B) sum |h| is alpha sign(h) / B.
     * After a ReLU, h >= 0, so this pushes every active unit toward 0. */
    if (cfg->activation_l1 > 0)
        for (size_t i = 0; i < BH; i++)
            buf->d_h[i] += (float)(cfg->activation_l1 * (buf->h[i] > 0 ? 1.0 : 0.0) / B);

    nn_zero(buf->d_z1, BH);
    nn_act_backward(NN_RELU, buf->d_z1, buf->d_h, buf->z1, buf->h, BH);
    nn_dense_backward(NULL, net->dW1, net->db1, buf->d_z1, buf->x_in, net->W1, B, net->D, net->H);

    /* Norm penalties on the weights, never on the biases. */
    size_t n1 = (size_t)net->H * net->D, n2 = (size_t)net->K * net->H;
    if (cfg->l2 > 0) {
        nn_l2_penalty_backward(net->dW1, net->W1, n1, cfg->l2);
        nn_l2_penalty_backward(net->dW2, net->W2, n2, cfg->l2);
    }
    if (cfg->l1 > 0 && !cfg->l1_proximal) {
        nn_l1_penalty_backward(net->dW1, net->W1, n1, cfg->l1);
        nn_l1_penalty_backward(net->dW2, net->W2, n2, cfg->l1);
    }
}

/* Three switches of the training loop below are explained in the sections
 * that measure them, and defined there: the proximal L1 step (section 3),
 * early stopping (section 4) and image augmentation (section 6). */
static void l1_proximal_step(network *net, double threshold);
typedef struct early_stopper early_stopper;
static early_stopper *early_stopper_new(int patience);   /* free() it */
static int early_stopper_update(early_stopper *s, int epoch, double val_loss, int *improved);
static int early_stopper_best_epoch(const early_stopper *s);
static void augment_batch(float *x, int B, int side, nn_rng *rng);

/* ======================================================================
 * Training: shuffle each epoch, mini-batches, one SGD step per batch
 * ====================================================================== */
typedef struct {
    int epochs_run;
    int best_epoch;            /* early stopping's choice, or the last epoch */
    double *train_loss;        /* (epochs) data term on the training set, test-time network */
    double *val_loss;          /* (epochs) */
    double *val_error;         /* (epochs) fraction misclassified */
} history;

static void history_free(history *h)
{
    free(h->train_loss);
    free(h->val_loss);
    free(h->val_error);
}

/* Loss and error rate of the test-time network on a whole set. */
static double evaluate(const network *net, const nn_dataset *ds, const train_config *cfg, double *error)
{
    batch_buffers buf;
    buffers_init(&buf, net, 256);
    double loss = 0;
    int wrong = 0;
    for (int start = 0; start < ds->n; start += 256) {
        int B = ds->n - start < 256 ? ds->n - start : 256;
        make_targets(buf.targets, ds->y + start, B, net->K, 0.0);
        loss += B * forward(net, &buf, ds->x + (size_t)start * net->D, B, cfg, 0, NULL);
        for (int b = 0; b < B; b++)
            wrong += (int)nn_argmax(buf.z2 + (size_t)b * net->K, (size_t)net->K) != ds->y[start + b];
    }
    buffers_free(&buf);
    if (error)
        *error = (double)wrong / ds->n;
    return loss / ds->n;
}

/* Trains net on train, watching val.  Divergence (a non-finite loss) ends
 * the program with a message: it means the learning rate is too large. */
static history train(network *net, const nn_dataset *train_set, const nn_dataset *val_set,
                     const train_config *cfg, nn_rng *rng)
{
    int D = net->D, n = train_set->n;
    history hist = {0};
    hist.train_loss = nn_doubles((size_t)cfg->epochs);
    hist.val_loss = nn_doubles((size_t)cfg->epochs);
    hist.val_error = nn_doubles((size_t)cfg->epochs);
    batch_buffers buf;
    buffers_init(&buf, net, cfg->batch);
    int *order = nn_malloc((size_t)n * sizeof *order);
    float *x_batch = nn_floats((size_t)cfg->batch * D);
    int *y_batch = nn_malloc((size_t)cfg->batch * sizeof *y_batch);
    float *noise = cfg->weight_noise > 0 ? nn_floats(net->n_params) : NULL;
    float *best_params = nn_floats(net->n_params);
    early_stopper *stopper = early_stopper_new(cfg->patience);

    for (int epoch = 0; epoch < cfg->epochs; epoch++) {
        nn_rng_permutation(rng, order, (size_t)n);
        for (int start = 0; start < n; start += cfg->batch) {
            int B = n - start < cfg->batch ? n - start : cfg->batch;
            for (int b = 0; b < B; b++) {
                nn_copy(x_batch + (size_t)b * D, train_set->x + (size_t)order[start + b] * D, (size_t)D);
                y_batch[b] = train_set->y[order[start + b]];
            }
            if (cfg->augment_side > 0)
                augment_batch(x_batch, B, cfg->augment_side, rng);
            make_targets(buf.targets, y_batch, B, net->K, cfg->label_smoothing);

            /* Weight noise (section 7): take the gradient at W + epsilon,
             * epsilon ~ N(0, sigma^2), then step from the unperturbed W. */
            if (noise) {
                nn_rng_fill_normal(rng, noise, net->n_params, 0, cfg->weight_noise);
                nn_axpy(net->params, 1.0f, noise, net->n_params);
            }
            nn_zero(net->grads, net->n_params);
            double loss = forward(net, &buf, x_batch, B, cfg, 1, rng) + penalty(net, &buf, B, cfg);
            backward(net, &buf, x_batch, B, cfg);
            if (noise)
                nn_axpy(net->params, -1.0f, noise, net->n_params);
            if (!isfinite(loss) || !nn_all_finite(net->grads, net->n_params))
                nn_die(1, "training diverged at epoch %d, batch %d: the loss is no longer finite "
                          "(learning rate %g is too large: try --lr %g)",
                       epoch + 1, start / cfg->batch + 1, cfg->lr, cfg->lr / 10);
            /* W <- W - lambda dL_R/dW, for every parameter in the one buffer. */
            nn_axpy(net->params, (float)-cfg->lr, net->grads, net->n_params);
            if (cfg->l1 > 0 && cfg->l1_proximal)
                l1_proximal_step(net, cfg->lr * cfg->l1 / 2);
        }
        hist.epochs_run = epoch + 1;
        if (!cfg->track && cfg->patience == 0)
            continue;
        hist.train_loss[epoch] = evaluate(net, train_set, cfg, NULL);
        hist.val_loss[epoch] = evaluate(net, val_set, cfg, &hist.val_error[epoch]);
        if (!isfinite(hist.train_loss[epoch]))
            nn_die(1, "training diverged at epoch %d: the loss is no longer finite "
                      "(learning rate %g is too large: try --lr %g)", epoch + 1, cfg->lr, cfg->lr / 10);
        int improved;
        int stop = early_stopper_update(stopper, epoch, hist.val_loss[epoch], &improved);
        if (improved)
            nn_copy(best_params, net->params, net->n_params);
        if (stop)
            break;
    }
    /* With early stopping, the model we keep is the best epoch's. */
    if (cfg->patience > 0) {
        nn_copy(net->params, best_params, net->n_params);
        hist.best_epoch = early_stopper_best_epoch(stopper);
    } else {
        hist.best_epoch = hist.epochs_run - 1;
    }
    free(stopper);
    free(best_params);
    free(noise);
    free(order);
    free(x_batch);
    free(y_batch);
    buffers_free(&buf);
    return hist;
}

/* ======================================================================
 * The data: handwritten digits, few of them
 * ======================================================================
 *
 * Overfitting needs more capacity than data.  The shipped digits set (8x8
 * images, 10 classes, from data/) is split into a small training set, a
 * validation set for early stopping and model choice, and a test set that
 * nothing is tuned on.  The validation set is kept to 300 examples: it is
 * evaluated after every epoch of every experiment. */
typedef struct {
    nn_dataset train, val, test;
} splits;

static void load_digit_splits(splits *s, int n_train, nn_rng *rng)
{
    nn_dataset all, rest;
    if (nn_load_digits(&all, NULL) != NN_OK)
        nn_die_last();
    /* Pixels are counts 0..16; dividing keeps them images (for shifting). */
    for (size_t i = 0; i < (size_t)all.n * all.d; i++)
        all.x[i] /= 16.0f;
    if (nn_split(&all, (double)n_train / all.n, rng, &s->train, &rest) != NN_OK ||
        nn_split(&rest, 300.0 / rest.n, rng, &s->val, &s->test) != NN_OK)
        nn_die_last();
    nn_dataset_free(&all);
    nn_dataset_free(&rest);
}

static void splits_free(splits *s)
{
    nn_dataset_free(&s->train);
    nn_dataset_free(&s->val);
    nn_dataset_free(&s->test);
}

/* One experiment: a fresh network from the same seed, trained with cfg.
 * Same seed, same initial weights: the regularizer is the only difference. */
typedef struct {
    const char *name;
    train_config cfg;
    history hist;
    double train_error, test_error;
} experiment;

static void run_experiment(experiment *e, const splits *s, int hidden, uint64_t seed, network *keep)
{
    nn_rng rng = nn_rng_new(seed);
    network net;
    network_init(&net, s->train.d, hidden, s->train.n_classes, &rng);
    e->hist = train(&net, &s->train, &s->val, &e->cfg, &rng);
    evaluate(&net, &s->train, &e->cfg, &e->train_error);
    evaluate(&net, &s->test, &e->cfg, &e->test_error);
    if (keep)
        *keep = net;
    else
        network_free(&net);
}

/* ======================================================================
 * Figures
 * ====================================================================== */
static void fig_or_die(int status)
{
    if (status != NN_OK)
        nn_die_last();
}

/* Validation loss per epoch of several experiments, and with show_train
 * their training loss (dashed) too; extra (may be NULL) is gnuplot text
 * placed before the plot command. */
static void figure_curves(const char *name, const char *title, experiment *ex, int n_ex, int show_train,
                          const char *extra)
{
    nn_fig fig;
    fig_or_die(nn_fig_begin(&fig, CHAPTER, name));
    nn_fig_cmd(&fig, "set title '%s' noenhanced", title);
    nn_fig_cmd(&fig, "set xlabel 'epoch'\nset ylabel 'cross-entropy'\nset logscale y\nset key top right");
    for (int i = 0; i < n_ex; i++) {
        char part[16];
        snprintf(part, sizeof part, "%d", i);
        FILE *f = nn_fig_data(&fig, part, "epoch train_loss validation_loss validation_error");
        for (int e = 0; e < ex[i].hist.epochs_run; e++)
            fprintf(f, "%d %.6g %.6g %.6g\n", e + 1, fmax(ex[i].hist.train_loss[e], 1e-12),
                    fmax(ex[i].hist.val_loss[e], 1e-12), ex[i].hist.val_error[e]);
    }
    if (extra)
        nn_fig_cmd(&fig, "%s", extra);
    for (int i = 0; i < n_ex; i++) {
        char part[16], train_curve[256] = "";
        snprintf(part, sizeof part, "%d", i);
        if (show_train)
            snprintf(train_curve, sizeof train_curve,
                     "'%s' using 1:2 with lines ls %d dashtype 2 title '%s (train)', ", nn_fig_path(&fig, part),
                     i + 1, ex[i].name);
        nn_fig_cmd(&fig, "%s %s'%s' using 1:3 with lines ls %d title '%s%s'%s", i == 0 ? "plot" : "    ",
                   train_curve, nn_fig_path(&fig, part), i + 1, ex[i].name, show_train ? " (validation)" : "",
                   i + 1 < n_ex ? ", \\" : "");
    }
    fig_or_die(nn_fig_end(&fig));
}

/* ======================================================================
 * The experiments
 * ====================================================================== */
typedef struct {
    int epochs;
    int hidden;
    int n_train;
    double lr;
    nn_common common;
} options;

/* Section 2: capacity.  Widen the hidden layer from 1 unit to many, train
 * each to the same number of epochs, and watch training error fall toward
 * zero while test error first falls (less underfitting) and then stops
 * improving: the extra capacity is spent on the training set's noise.
 *
 * Capacity is what a network CAN fit, so a narrow network must not be
 * judged by one unlucky training run: with one to four ReLU units a bad
 * initialisation (a unit that is dead for every input, or a learning rate
 * that throws it there) leaves training error high for reasons that have
 * nothing to do with width.  The narrow networks (H <= 4) are therefore
 * trained from five initialisations, with a third of the learning rate and
 * three times the epochs, and keep the run with the lowest training error.
 * Only then does a high training error mean too little capacity. */
static void section_capacity(const splits *s, const options *o)
{
    static const int widths[] = {1, 2, 4, 8, 16, 32, 64, 128, 256};
    enum { N_WIDTHS = sizeof widths / sizeof widths[0], RESTARTS = 5 };
    double train_err[N_WIDTHS], test_err[N_WIDTHS];
    nn_say("\n2. Capacity: error as the hidden layer widens (%d training examples, %d epochs; H <= 4: best of %d "
           "initialisations, %d epochs at lr %g)\n", s->train.n, o->epochs, RESTARTS, 3 * o->epochs, o->lr / 3);
    nn_say("   %6s %10s %10s %10s\n", "H", "params", "train err", "test err");
    nn_fig fig;
    fig_or_die(nn_fig_begin(&fig, CHAPTER, "capacity"));
    FILE *f = nn_fig_data(&fig, NULL, "hidden_units parameters train_error test_error");
    for (int i = 0; i < N_WIDTHS; i++) {
        train_err[i] = INFINITY;
        int narrow = widths[i] <= 4;
        for (int r = 0; r < (narrow ? RESTARTS : 1); r++) {
            experiment e = {"capacity", plain_config(narrow ? o->lr / 3 : o->lr, narrow ? 3 * o->epochs : o->epochs),
                            {0}, 0, 0};
            run_experiment(&e, s, widths[i], o->common.seed + 1000 * (uint64_t)r, NULL);
            if (e.train_error < train_err[i]) {
                train_err[i] = e.train_error;
                test_err[i] = e.test_error;
            }
            history_free(&e.hist);
        }
        long params = (long)widths[i] * (s->train.d + 1) + (long)s->train.n_classes * (widths[i] + 1);
        nn_say("   %6d %10ld %9.1f%% %9.1f%%\n", widths[i], params, 100 * train_err[i], 100 * test_err[i]);
        fprintf(f, "%d %ld %.6g %.6g\n", widths[i], params, train_err[i], test_err[i]);
    }
    int monotone = 1, best_test = 0;
    for (int i = 1; i < N_WIDTHS; i++) {
        monotone &= train_err[i] <= train_err[i - 1] + 1.0 / s->train.n;
        if (test_err[i] < test_err[best_test])
            best_test = i;
    }
    nn_claim(monotone, "capacity-train-falls",
             "training error falls as the layer widens (never rising by more than one example): "
             "%.1f%% at H = 1, %.1f%% at H = 4, %.1f%% at H = 16", 100 * train_err[0],
             100 * train_err[2], 100 * train_err[4]);
    nn_claim(train_err[0] > 0.2 && train_err[N_WIDTHS - 1] == 0, "capacity-underfit-to-fit",
             "one hidden unit cannot fit the training set (%.1f%% wrong), 256 fit it exactly (%.1f%%)",
             100 * train_err[0], 100 * train_err[N_WIDTHS - 1]);
    nn_claim(test_err[N_WIDTHS - 1] < test_err[0] && test_err[N_WIDTHS - 1] - test_err[best_test] < 0.03,
             "capacity-test-stops-improving",
             "test error falls from %.1f%% (H = 1) to its best, %.1f%% (H = %d), and then stops improving: "
             "%.1f%% at H = 256, %d times as many units as H = 8", 100 * test_err[0],
             100 * test_err[best_test], widths[best_test], 100 * test_err[N_WIDTHS - 1], 256 / 8);
    nn_fig_cmd(&fig, "set title 'Capacity: train and test error as the hidden layer widens'");
    nn_fig_cmd(&fig, "set xlabel 'hidden units H'\nset ylabel 'error rate'\nset logscale x 2\nset key top right");
    nn_fig_cmd(&fig, "plot '%s' using 1:3 with linespoints ls 1 title 'training error', "
                     "'' using 1:4 with linespoints ls 2 title 'test error'", nn_fig_path(&fig, NULL));
    fig_or_die(nn_fig_end(&fig));
}

/* ======================================================================
 * Section 3. Norm penalties, and L1 as a proximal step
 * ======================================================================
 *
 * Deck 001: L_R(W; X, y) = L(W; X, y) + alpha Omega(W), with
 *   L2:  Omega(W) = 1/2 ||W||_2^2   "weight decay",
 *   L1:  Omega(W) = 1/2 ||W||_1     "encourages sparsity".
 * With the L2 penalty the gradient is dL/dW + alpha W, so one SGD step is
 *
 *     W <- W - lambda dL/dW - lambda alpha W = (1 - lambda alpha) W - lambda dL/dW:
 *
 * before the data term moves it, every weight is multiplied by
 * (1 - lambda alpha), "weights decay in proportion to size" (the unit test
 * checks the two forms agree).  Biases are not penalized: a bias multiplies
 * no input, so it cannot make the network sensitive to one.
 *
 * Both penalties are MAP estimates.  Training on L alone is maximum
 * likelihood: W maximises p(y | X, W), and L is its negative log.  With a
 * prior p(W) on the weights, the most probable W given the data maximises
 * p(y | X, W) p(W), i.e. minimises L - log p(W).  A Gaussian prior,
 * w ~ N(0, 1/alpha) for every weight, has -log p(W) = alpha/2 ||W||_2^2 +
 * const: L2.  A Laplacian prior, p(w) proportional to exp(-alpha/2 |w|), has
 * -log p(W) = alpha/2 ||W||_1 + const: L1.  The Laplacian has a sharp peak at
 * 0, which is where its sparsity comes from.  (Strictly, L summed over the
 * n examples; with the mean over a batch, as here, alpha is the prior's
 * strength divided by n.)
 *
 * The subgradient of alpha/2 |w| is the constant alpha/2 sign(w): each step
 * moves a weight by lambda alpha/2 toward zero, and a weight that is already
 * small steps across zero and back, oscillating in a band of width about
 * lambda alpha instead of settling at 0.  The proximal (soft-threshold) step
 * splits the update in two: an SGD step on the data loss alone, then
 *
 *     w <- sign(w) max(|w| - lambda alpha/2, 0),
 *
 * the exact minimiser of lambda alpha/2 |w'| + 1/2 (w' - w)^2.  A weight
 * whose magnitude is below the threshold lands on exactly 0 and stays there
 * until the data's gradient is strong enough to pull it out. */
static void l1_proximal_step(network *net, double threshold)
{
    float *weights[2] = {net->W1, net->W2};
    size_t sizes[2] = {(size_t)net->H * net->D, (size_t)net->K * net->H};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < sizes[l]; i++) {
            float w = weights[l][i], shrunk = fabsf(w) - (float)threshold;
            weights[l][i] = shrunk > 0 ? copysignf(shrunk, w) : 0.0f;
        }
}

/* Section 3: norm penalties.  L2 shrinks every weight in proportion to its
 * size ("weights decay in proportion to size"); L1 pulls every weight toward
 * zero by the same amount, lambda alpha/2 per step, however small it is, so
 * small weights are driven to zero: sparsity.  How the L1 step is taken
 * decides whether they arrive.  The plain (sub)gradient step overshoots: a
 * weight near zero jumps from one side to the other and back, never exactly
 * 0.  The proximal step of section 3's helper (l1_proximal_step) puts it on
 * 0 exactly.  The table counts both exact zeros and |w| < 1e-3, and the
 * histograms of W^1 show the shapes: L2 a narrower bell, L1 a spike at zero. */
static void section_penalties(const splits *s, const options *o)
{
    enum { N_PEN = 4 };
    experiment ex[N_PEN] = {{"no penalty", plain_config(o->lr, o->epochs), {0}, 0, 0},
                            {"L2, alpha 1e-3", plain_config(o->lr, o->epochs), {0}, 0, 0},
                            {"L1 subgradient", plain_config(o->lr, o->epochs), {0}, 0, 0},
                            {"L1 proximal", plain_config(o->lr, o->epochs), {0}, 0, 0}};
    ex[1].cfg.l2 = 1e-3;
    ex[2].cfg.l1 = 3e-3;
    ex[3].cfg.l1 = 3e-3;
    ex[3].cfg.l1_proximal = 1;
    network nets[N_PEN];
    double exact_zero[N_PEN], near_zero[N_PEN], norm[N_PEN];
    nn_say("\n3. Norm penalties on the weights (biases not penalized; L2 with alpha 1e-3, L1 with 3e-3)\n");
    nn_say("   %-16s %10s %10s %10s %11s %11s\n", "", "train err", "test err", "||W1||_2", "w = 0",
           "|w| < 1e-3");
    for (int i = 0; i < N_PEN; i++) {
        run_experiment(&ex[i], s, o->hidden, o->common.seed, &nets[i]);
        size_t n1 = (size_t)nets[i].H * nets[i].D, small = 0, zero = 0;
        for (size_t j = 0; j < n1; j++) {
            small += fabsf(nets[i].W1[j]) < 1e-3f;
            zero += nets[i].W1[j] == 0.0f;
        }
        exact_zero[i] = (double)zero / n1;
        near_zero[i] = (double)small / n1;
        norm[i] = nn_norm2(nets[i].W1, n1);
        nn_say("   %-16s %9.1f%% %9.1f%% %10.3f %10.1f%% %10.1f%%\n", ex[i].name, 100 * ex[i].train_error,
               100 * ex[i].test_error, norm[i], 100 * exact_zero[i], 100 * near_zero[i]);
    }
    nn_claim(norm[1] < norm[0], "l2-shrinks",
             "L2 shrinks the weights: ||W1|| is %.2f with it, %.2f without", norm[1], norm[0]);
    nn_claim(exact_zero[2] < 0.01 && near_zero[2] > 0.2, "l1-subgradient-oscillates",
             "the subgradient L1 step leaves %.1f%% of W1 below 1e-3 but only %.2f%% exactly 0: the small "
             "weights oscillate around zero", 100 * near_zero[2], 100 * exact_zero[2]);
    nn_claim(exact_zero[3] > 0.2 && exact_zero[3] > 20 * exact_zero[2], "l1-proximal-exact-zeros",
             "the proximal L1 step sets %.1f%% of W1 exactly to 0 (the subgradient step %.2f%%)",
             100 * exact_zero[3], 100 * exact_zero[2]);

    /* Histograms over a shared range, so the shapes compare directly; the
     * bin that holds 0 is centred on it, so exact zeros form one bar. */
    enum { BINS = 41 };
    double range = 0;
    for (int i = 0; i < N_PEN; i++)
        range = fmax(range, nn_fig_abs_max(nets[i].W1, (size_t)nets[i].H * nets[i].D));
    nn_fig fig;
    fig_or_die(nn_fig_begin(&fig, CHAPTER, "weights"));
    FILE *f = nn_fig_data(&fig, NULL, "bin_centre count_none count_l2 count_l1_subgradient count_l1_proximal");
    long counts[N_PEN][BINS] = {{0}};
    double width = 2 * range / BINS;
    for (int i = 0; i < N_PEN; i++)
        for (size_t j = 0; j < (size_t)nets[i].H * nets[i].D; j++) {
            int bin = (int)floor((nets[i].W1[j] + range) / width);
            counts[i][bin < 0 ? 0 : bin >= BINS ? BINS - 1 : bin]++;
        }
    for (int b = 0; b < BINS; b++)
        fprintf(f, "%.6g %ld %ld %ld %ld\n", -range + (b + 0.5) * width, counts[0][b], counts[1][b],
                counts[2][b], counts[3][b]);
    nn_fig_cmd(&fig, "set title 'First-layer weights after training (%zu weights each)'\nset xlabel 'weight value'",
               (size_t)nets[0].H * nets[0].D);
    nn_fig_cmd(&fig, "set ylabel 'count (log scale)'\nset logscale y\nset yrange [0.8:*]\nset key top left");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with histeps ls 1 lw 2 title 'no penalty', "
                     "'' using 1:3 with histeps ls 2 lw 2 title 'L2', "
                     "'' using 1:4 with histeps ls 3 lw 2 dashtype 2 title 'L1, subgradient step', "
                     "'' using 1:5 with histeps ls 8 lw 2 title 'L1, proximal step (exact zeros)'",
               nn_fig_path(&fig, NULL));
    fig_or_die(nn_fig_end(&fig));
    for (int i = 0; i < N_PEN; i++) {
        history_free(&ex[i].hist);
        network_free(&nets[i]);
    }
}

/* ======================================================================
 * Section 4. Early stopping
 * ======================================================================
 *
 * "Keep aside a validation set ... stop training when validation error stops
 * decreasing" (deck 004).  Validation loss is noisy, so one bad epoch should
 * not end training: we wait `patience` epochs without a new best, then stop
 * and go back to the parameters of the best epoch. */
struct early_stopper {
    int patience;
    double best_loss;
    int best_epoch;
    int epochs_without_improvement;
};

static early_stopper *early_stopper_new(int patience)
{
    early_stopper *s = nn_malloc(sizeof *s);
    s->patience = patience;
    s->best_loss = INFINITY;
    s->best_epoch = -1;
    s->epochs_without_improvement = 0;
    return s;
}

/* Records epoch's validation loss; returns 1 when training should stop.
 * *improved says whether this epoch is the new best (save the parameters). */
static int early_stopper_update(early_stopper *s, int epoch, double val_loss, int *improved)
{
    *improved = val_loss < s->best_loss;
    if (*improved) {
        s->best_loss = val_loss;
        s->best_epoch = epoch;
        s->epochs_without_improvement = 0;
        return 0;
    }
    s->epochs_without_improvement++;
    return s->patience > 0 && s->epochs_without_improvement >= s->patience;
}

static int early_stopper_best_epoch(const early_stopper *s) { return s->best_epoch; }

/* Section 4: early stopping, on the network of section 3 without penalty.
 * Patience 10: stop 10 epochs after the best validation loss, keep the best
 * epoch's weights.  What this run shows (the claims below check it): the
 * validation loss falls for a few dozen epochs and then stops falling, while
 * the training loss goes on falling many times over, toward zero: from there
 * on the network is fitting the training set only.  On these digits the
 * validation loss stays flat rather than climbing back (the network's
 * mistakes on new digits do not grow more confident), so stopping saves
 * epochs rather than test error: the test error it keeps is within a point
 * or so of training to the end, in a fraction of the epochs.  The classic
 * U-shaped validation curve needs noisier labels; section 10's noisy set
 * shows what over-fitting does to a boundary. */
static void section_early_stopping(const splits *s, const options *o)
{
    int epochs = 3 * o->epochs;
    experiment e = {"no regularization", plain_config(o->lr, epochs), {0}, 0, 0};
    e.cfg.patience = 10;
    run_experiment(&e, s, o->hidden, o->common.seed, NULL);
    int chosen = e.hist.best_epoch + 1, stopped = e.hist.epochs_run;
    nn_say("\n4. Early stopping (patience %d): best validation loss at epoch %d, stopped after epoch %d of %d\n",
           e.cfg.patience, chosen, stopped, epochs);
    nn_say("   test error with the best epoch's weights: %.1f%%\n", 100 * e.test_error);

    /* The same run continued to the end shows what stopping saved. */
    experiment full = {"no regularization", plain_config(o->lr, epochs), {0}, 0, 0};
    full.cfg.track = 1;
    run_experiment(&full, s, o->hidden, o->common.seed, NULL);
    int lowest = 0, last = full.hist.epochs_run - 1;
    double lowest_after_stop = INFINITY;
    for (int i = 1; i <= last; i++) {
        if (full.hist.val_loss[i] < full.hist.val_loss[lowest])
            lowest = i;
        if (i >= stopped)
            lowest_after_stop = fmin(lowest_after_stop, full.hist.val_loss[i]);
    }
    double at_best = full.hist.val_loss[chosen - 1];
    nn_say("   trained to the end instead: lowest validation loss %.4f at epoch %d (%.4f at epoch %d), "
           "test error %.1f%%\n", full.hist.val_loss[lowest], lowest + 1, at_best, chosen, 100 * full.test_error);
    nn_say("   training loss: %.4f at epoch %d, %.5f at epoch %d\n", full.hist.train_loss[chosen - 1], chosen,
           full.hist.train_loss[last], last + 1);
    nn_claim(full.hist.train_loss[last] < full.hist.train_loss[chosen - 1] / 3, "early-train-keeps-falling",
             "after the best validation epoch (%d) the training loss keeps falling, from %.4f to %.5f",
             chosen, full.hist.train_loss[chosen - 1], full.hist.train_loss[last]);
    nn_claim(lowest_after_stop > 0.85 * at_best, "early-validation-stops-falling",
             "the validation loss stops falling: %d more epochs after the stop lower it from %.4f to no less "
             "than %.4f (%.0f%%)", last + 1 - stopped, at_best, lowest_after_stop,
             100 * (1 - lowest_after_stop / at_best));
    nn_claim(fabs(e.test_error - full.test_error) < 0.015 && stopped < epochs / 2, "early-saves-epochs",
             "stopping after %d of %d epochs keeps a test error of %.1f%%, against %.1f%% for all %d",
             stopped, epochs, 100 * e.test_error, 100 * full.test_error, epochs);
    char marks[512];
    snprintf(marks, sizeof marks,
             "set arrow 1 from %d, graph 0 to %d, graph 1 nohead dashtype 2 lc rgb '#009E73'\n"
             "set label 1 'stopped: best of epochs 1-%d is %d (patience 10)' at %d, graph 0.08 offset 0.5,0 "
             "textcolor rgb '#009E73'\n"
             "set arrow 2 from %d, graph 0 to %d, graph 1 nohead dashtype 3 lc rgb '#555555'\n"
             "set label 2 'lowest over all epochs: %d' at %d, graph 0.14 offset 0.5,0",
             chosen, chosen, stopped, chosen, chosen, lowest + 1, lowest + 1, lowest + 1, lowest + 1);
    figure_curves("early-stopping", "Early stopping: the training loss falls, the validation loss stops falling",
                  &full, 1, 1, marks);
    history_free(&e.hist);
    history_free(&full.hist);
}

/* Section 5: dropout.  First the claim that makes it work: the two forms
 * agree in expectation with the test-time network.  Averaging the training
 * output of many random masks must give the test-time output, for the
 * decks' form (h mu in training, (1-p) h at test) and the inverted form
 * (h mu / (1-p) in training, h at test). */
static void section_dropout(const splits *s, const options *o, experiment *dropout_run)
{
    enum { UNITS = 8, DRAWS = 20000 };
    const double p = 0.5;
    float h[UNITS], out[UNITS], mask[UNITS], at_test[UNITS];
    double mean[UNITS];
    nn_rng rng = nn_rng_new(o->common.seed);
    nn_rng_fill_uniform(&rng, h, UNITS, 0, 2);
    nn_say("\n5. Dropout with p = %.1f: average of %d training passes vs the test-time unit\n", p, DRAWS);
    for (int kind = 0; kind < 2; kind++) {
        for (int i = 0; i < UNITS; i++)
            mean[i] = 0;
        for (int d = 0; d < DRAWS; d++) {
            nn_dropout_forward(out, mask, h, UNITS, p, (nn_dropout_kind)kind, &rng);
            for (int i = 0; i < UNITS; i++)
                mean[i] += out[i] / (double)DRAWS;
        }
        nn_dropout_eval(at_test, h, UNITS, p, (nn_dropout_kind)kind);
        /* The Monte Carlo error of each average: one training output is
         * h mu (standard) or h mu / (1 - p) (inverted), mu ~ Bernoulli(1 - p),
         * so its standard deviation is h sqrt(p (1 - p)) or h sqrt(p / (1 - p)),
         * and the mean of DRAWS of them has that divided by sqrt(DRAWS).  The
         * check is the largest deviation in units of its own standard error. */
        double worst = 0, worst_z = 0, largest_se = 0;
        for (int i = 0; i < UNITS; i++) {
            double spread = kind == NN_DROPOUT_STANDARD ? sqrt(p * (1 - p)) : sqrt(p / (1 - p));
            double se = h[i] * spread / sqrt((double)DRAWS), deviation = fabs(mean[i] - at_test[i]);
            worst = fmax(worst, deviation);
            largest_se = fmax(largest_se, se);
            worst_z = fmax(worst_z, se > 0 ? deviation / se : 0);
        }
        const char *kind_name = kind == NN_DROPOUT_STANDARD ? "standard" : "inverted";
        nn_say("   %-9s dropout: max |E[train output] - test output| = %.4f; standard errors up to %.4f; "
               "largest deviation %.2f standard errors\n", kind_name, worst, largest_se, worst_z);
        char id[32];
        snprintf(id, sizeof id, "dropout-%s-expectation", kind_name);
        nn_claim(worst_z < 4, id, "%s dropout's training output averages to the test-time output: the largest "
                 "of %d deviations is %.2f standard errors", kind_name, UNITS, worst_z);
    }
    /* Then training with it: p = 0.2 on the inputs and 0.5 on the hidden
     * units, the decks' typical values. */
    dropout_run->cfg.dropout_input = 0.2;
    dropout_run->cfg.dropout_hidden = 0.5;
    run_experiment(dropout_run, s, o->hidden, o->common.seed, NULL);
    nn_say("   trained with dropout (input 0.2, hidden 0.5): train err %.1f%%, test err %.1f%%\n",
           100 * dropout_run->train_error, 100 * dropout_run->test_error);
}

/* ======================================================================
 * Section 6. Data augmentation on images
 * ======================================================================
 *
 * "Fake the data!" (deck 004): an image moved by a pixel, or with a little
 * noise, is still the same digit, so it is a new training example for free.
 * Training with augmentation (augment_batch) therefore shifts every image by
 * -1, 0 or 1 pixel in each direction and adds noise of standard deviation
 * 0.05.  It does not flip: a flip is only a valid augmentation when the class
 * is symmetric, and a mirrored shirt is a shirt but a mirrored 3 is not a 3
 * (the figure shows one).  These work on one side x side image stored row by
 * row. */
static void shift_image(float *out, const float *in, int side, int dx, int dy)
{
    /* out(r, c) = in(r - dy, c - dx), zero where that falls outside. */
    for (int r = 0; r < side; r++)
        for (int c = 0; c < side; c++) {
            int rr = r - dy, cc = c - dx;
            out[r * side + c] = (rr >= 0 && rr < side && cc >= 0 && cc < side) ? in[rr * side + cc] : 0.0f;
        }
}

static void flip_image(float *out, const float *in, int side)
{
    for (int r = 0; r < side; r++)
        for (int c = 0; c < side; c++)
            out[r * side + c] = in[r * side + (side - 1 - c)];
}

static void augment_batch(float *x, int B, int side, nn_rng *rng)
{
    float *tmp = nn_floats((size_t)side * side);
    for (int b = 0; b < B; b++) {
        float *img = x + (size_t)b * side * side;
        int dx = (int)nn_rng_below(rng, 3) - 1, dy = (int)nn_rng_below(rng, 3) - 1;
        shift_image(tmp, img, side, dx, dy);
        for (int i = 0; i < side * side; i++)
            img[i] = tmp[i] + (float)(0.05 * nn_rng_normal(rng));
    }
    free(tmp);
}

/* Section 6: what augmentation does to an image, as a figure: an original
 * digit, shifted, flipped (wrong for digits) and noisy. */
static void figure_augmentation(const splits *s)
{
    const int side = 8;
    float views[4][64];
    nn_rng rng = nn_rng_new(7);
    /* The first 3 of the training set: a digit that is not its own mirror image. */
    int example = 0;
    while (example < s->train.n - 1 && s->train.y[example] != 3)
        example++;
    nn_copy(views[0], s->train.x + (size_t)example * 64, 64);
    shift_image(views[1], views[0], side, 1, 1);
    flip_image(views[2], views[0], side);
    for (int i = 0; i < 64; i++)
        views[3][i] = views[0][i] + (float)(0.1 * nn_rng_normal(&rng));
    static const char *const titles[4] = {"original", "shifted (1, 1)", "flipped", "noise 0.1"};
    nn_fig fig;
    fig_or_die(nn_fig_begin_sized(&fig, CHAPTER, "augmentation", 1000, 320));
    nn_fig_cmd(&fig, "set multiplot layout 1,4 title 'Data augmentation of a digit (%d); a flipped digit is no "
                     "longer the same class'", s->train.y[example]);
    nn_fig_cmd(&fig, "unset key\nunset tics\nunset colorbox\nset size ratio -1\nset yrange [7.5:-0.5]\n"
                     "set xrange [-0.5:7.5]\n@nn_palette_gray\nset cbrange [0:1]");
    for (int v = 0; v < 4; v++) {
        char part[16];
        snprintf(part, sizeof part, "%d", v);
        nn_fig_write_matrix(nn_fig_data(&fig, part, "8x8 pixel values, row by row"), views[v], side, side);
        nn_fig_cmd(&fig, "set title '%s'\nplot '%s' matrix with image", titles[v], nn_fig_path(&fig, part));
    }
    nn_fig_cmd(&fig, "unset multiplot");
    fig_or_die(nn_fig_end(&fig));
}

/* Sections 6-7 and the comparison: every regularizer on the same network,
 * same data, same epochs.  "Which regularizer is best?" depends on the data,
 * and on this small a set one split's test error moves from split to split
 * (the run prints by how much), so each configuration is trained on three
 * splits of the digits (the chapter's, and two more drawn from seed + 1 and
 * seed + 2), each from its own initialisation, and the table gives the mean
 * and the spread (the sample standard deviation of the three).  One result worth
 * reading closely, checked by the run:
 *
 * - Augmentation by shifts makes test error WORSE on this set.  The digits
 *   were centred and size-normalised when the data set was made, so no test
 *   digit is shifted: the network spends capacity on an invariance the test
 *   never asks for, and a one-pixel shift of an 8x8 image is a large change.
 *   Augmentation helps when it fakes variation that real inputs have
 *   (Fashion-MNIST items photographed off-centre, or chapter 7's CNN).
 *
 * Error rates, not losses, are compared: label smoothing trains toward
 * targets (1 - eps, eps/K, ...) whose best possible cross-entropy against
 * the hard labels is no longer 0, so its loss is on another scale.  Noise on
 * the inputs is, for small noise, equivalent to an L2 penalty (Bishop 1995);
 * noise on the weights favours flat minima, where a small change of W
 * changes the output little (deck 001, "Noise Robustness").  Adversarial
 * training, the sharpest form of input noise (the worst small change instead
 * of a random one), needs the input gradients of chapter 8 and is there. */
static void section_comparison(const splits *s, const options *o, experiment *dropout_run)
{
    enum { N = 8, SPLITS = 3 };
    const char *names[N] = {"none", "L2 1e-3", "L1 3e-3", "dropout 0.2/0.5", "augmentation",
                            "input noise 0.1", "weight noise 0.01", "label smoothing 0.1"};
    double train_err[N][SPLITS], test_err[N][SPLITS];
    for (int r = 0; r < SPLITS; r++) {
        splits other;
        const splits *data = s;
        if (r > 0) {
            nn_rng split_rng = nn_rng_new(o->common.seed + (uint64_t)r);
            load_digit_splits(&other, s->train.n, &split_rng);
            data = &other;
        }
        for (int i = 0; i < N; i++) {
            experiment e = {names[i], plain_config(o->lr, o->epochs), {0}, 0, 0};
            e.cfg.l2 = i == 1 ? 1e-3 : 0;
            e.cfg.l1 = i == 2 ? 3e-3 : 0;
            e.cfg.dropout_input = i == 3 ? 0.2 : 0;
            e.cfg.dropout_hidden = i == 3 ? 0.5 : 0;
            e.cfg.augment_side = i == 4 ? 8 : 0;
            e.cfg.input_noise = i == 5 ? 0.1 : 0;
            e.cfg.weight_noise = i == 6 ? 0.01 : 0;
            e.cfg.label_smoothing = i == 7 ? 0.1 : 0;
            if (r == 0 && i == 3)
                e = *dropout_run;
            else
                run_experiment(&e, data, o->hidden, o->common.seed + (uint64_t)r, NULL);
            train_err[i][r] = e.train_error;
            test_err[i][r] = e.test_error;
            history_free(&e.hist);   /* the dropout run's too: it was handed over */
        }
        if (r > 0)
            splits_free(&other);
    }
    nn_say("\n6-7. Every regularizer on the same %d-%d-%d network, %d training digits, %d epochs, "
           "%d splits\n", s->train.d, o->hidden, s->train.n_classes, s->train.n, o->epochs, SPLITS);
    nn_say("   %-22s %10s %16s %10s   %s\n", "", "train err", "test err (sd)", "gap", "test err per split");
    nn_fig fig;
    fig_or_die(nn_fig_begin_sized(&fig, CHAPTER, "regularizers", 900, 560));
    FILE *f = nn_fig_data(&fig, NULL, "name test_error_mean test_error_sd train_error_mean train_error_sd");
    double mean_test[N];
    for (int i = 0; i < N; i++) {
        double m_train = 0, m_test = 0, v_train = 0, v_test = 0;
        for (int r = 0; r < SPLITS; r++) {
            m_train += train_err[i][r] / SPLITS;
            m_test += test_err[i][r] / SPLITS;
        }
        for (int r = 0; r < SPLITS; r++) {
            v_train += pow(train_err[i][r] - m_train, 2) / (SPLITS - 1);
            v_test += pow(test_err[i][r] - m_test, 2) / (SPLITS - 1);
        }
        mean_test[i] = m_test;
        nn_say("   %-22s %9.1f%% %9.1f%% (%.1f) %9.1f%%   %.1f%% %.1f%% %.1f%%\n", names[i], 100 * m_train,
               100 * m_test, 100 * sqrt(v_test), 100 * (m_test - m_train), 100 * test_err[i][0],
               100 * test_err[i][1], 100 * test_err[i][2]);
        fprintf(f, "\"%s\" %.6g %.6g %.6g %.6g\n", names[i], 100 * m_test, 100 * sqrt(v_test), 100 * m_train,
                100 * sqrt(v_train));
    }
    double mean_sd = 0;
    for (int i = 0; i < N; i++) {
        double var = 0;
        for (int r = 0; r < SPLITS; r++)
            var += pow(test_err[i][r] - mean_test[i], 2) / (SPLITS - 1) / N;
        mean_sd += var;
    }
    nn_say("   one split's test error moves by about %.1f points from split to split (the root mean\n"
           "   square of the sd column): differences smaller than that, here or in the one-split\n"
           "   tables of sections 2-5 and 8-9, are not evidence that one setting is better\n",
           100 * sqrt(mean_sd));
    nn_claim(mean_test[4] > mean_test[0], "augmentation-hurts",
             "shift augmentation raises the test error: %.1f%% against %.1f%% without, on average over %d "
             "splits", 100 * mean_test[4], 100 * mean_test[0], SPLITS);
    nn_fig_cmd(&fig, "set title 'Each regularizer: error rates, mean and standard deviation over %d splits' "
                     "noenhanced", SPLITS);
    nn_fig_cmd(&fig, "set ylabel 'error rate (%%)'\nset yrange [0:*]\nset key top left\n"
                     "set style data histogram\nset style histogram errorbars gap 1 lw 1.5\n"
                     "set style fill solid 0.85 border rgb '#333333'\nset boxwidth 0.9\n"
                     "set xtics rotate by -25 noenhanced\nset bmargin 6\nunset grid\nset grid ytics");
    nn_fig_cmd(&fig, "plot '%s' using 2:3:xtic(1) ls 2 title 'test error', '' using 4:5 ls 1 "
                     "title 'training error'", nn_fig_path(&fig, NULL));
    fig_or_die(nn_fig_end(&fig));
}

/* Section 8: sparse representations.  Deck 001's example: a unit of the
 * next layer computes h . W_7 from three hidden outputs h = (h31, h32, h33),
 *
 *     [4.34] = [3.2  2.0  1.8] . [2  -2.2  1.3] = 6.4 - 4.4 + 2.34.
 *
 * A penalty alpha Omega(W) on the weights shrinks W_7 (weights in the output
 * layer); a penalty alpha Omega(h) on the activations makes h itself sparse,
 * most of its entries 0 for any one input, so each input is described by
 * a few active units.  (The deck's later slides slip: [3.2 2 1] . W_7 is
 * 3.3, not 4.34, and [3.2 2 1] . [0 -0.2 0.9] is 0.5, not 1.3; the run
 * prints each product.)  Here the penalty alpha (1/B) sum |h| on the hidden
 * layer; its gradient alpha sign(h) / B pushes every active unit toward 0. */
static void section_sparse(const splits *s, const options *o)
{
    static const double h[3] = {3.2, 2.0, 1.8}, w7[3] = {2, -2.2, 1.3};
    static const double h_slide[3] = {3.2, 2, 1}, w_sparse[3] = {0, -0.2, 0.9}, h_small[3] = {0.5, 0.2, 0.1};
    double dot = 0, dot_slide = 0, dot_sparse = 0, dot_small = 0;
    for (int k = 0; k < 3; k++) {
        dot += h[k] * w7[k];
        dot_slide += h_slide[k] * w7[k];
        dot_sparse += h_slide[k] * w_sparse[k];
        dot_small += h_small[k] * w7[k];
    }
    nn_say("\n8. Sparse representations: L1 penalty on the hidden activations\n");
    nn_say("   deck 001: [3.2 2.0 1.8] . [2 -2.2 1.3] = %.2f; [0.5 0.2 0.1] . [2 -2.2 1.3] = %.2f\n", dot,
           dot_small);
    nn_say("   (its later slides: [3.2 2 1] . [2 -2.2 1.3] = %.2f, not 4.34; [3.2 2 1] . [0 -0.2 0.9] = %.2f, "
           "not 1.3)\n", dot_slide, dot_sparse);
    double silent_frac[2], test_err[2];
    for (int i = 0; i < 2; i++) {
        experiment e = {"sparse", plain_config(o->lr, o->epochs), {0}, 0, 0};
        e.cfg.activation_l1 = i ? 1e-2 : 0;
        network net;
        run_experiment(&e, s, o->hidden, o->common.seed, &net);
        batch_buffers buf;
        buffers_init(&buf, &net, s->test.n);
        make_targets(buf.targets, s->test.y, s->test.n, net.K, 0);
        forward(&net, &buf, s->test.x, s->test.n, &e.cfg, 0, NULL);
        size_t silent = 0, total = (size_t)s->test.n * net.H;
        for (size_t j = 0; j < total; j++)
            silent += buf.h[j] <= 0;
        silent_frac[i] = (double)silent / total;
        test_err[i] = e.test_error;
        nn_say("   activation penalty %-5g: %5.1f%% of hidden activations are zero; test err %.1f%%\n",
               e.cfg.activation_l1, 100 * silent_frac[i], 100 * e.test_error);
        buffers_free(&buf);
        network_free(&net);
        history_free(&e.hist);
    }
    nn_claim(silent_frac[1] > 0.5 && silent_frac[1] > silent_frac[0] + 0.2, "sparse-most-silent",
             "with the activation penalty most hidden units are silent for any one test digit (%.1f%% of "
             "activations are 0, against %.1f%% without), at a test error of %.1f%% (%.1f%% without)",
             100 * silent_frac[1], 100 * silent_frac[0], 100 * test_err[1], 100 * test_err[0]);
}

/* Section 9: bagging (Breiman 1994).  k networks, each trained on a
 * bootstrap sample (n draws with replacement), vote by averaging their
 * softmax outputs.  Each member overfits its own sample differently, and
 * the average cancels part of that.  Dropout trains an exponential number
 * of weight-sharing sub-networks at the cost of one: "a variant of bagging
 * that works for neural networks". */
static double section_bagging(const splits *s, const options *o, int k, double *member_error)
{
    *member_error = 0;
    nn_rng rng = nn_rng_new(o->common.seed + 1);
    int K = s->train.n_classes;
    float *votes = nn_floats((size_t)s->test.n * K);
    train_config cfg = plain_config(o->lr, o->epochs);
    batch_buffers buf;
    for (int m = 0; m < k; m++) {
        nn_dataset sample = s->train;
        sample.x = nn_floats((size_t)s->train.n * s->train.d);
        sample.y = nn_malloc((size_t)s->train.n * sizeof *sample.y);
        for (int i = 0; i < s->train.n; i++) {
            int j = (int)nn_rng_below(&rng, (uint32_t)s->train.n);
            nn_copy(sample.x + (size_t)i * sample.d, s->train.x + (size_t)j * sample.d, (size_t)sample.d);
            sample.y[i] = s->train.y[j];
        }
        network net;
        network_init(&net, s->train.d, o->hidden, K, &rng);
        history h = train(&net, &sample, &s->val, &cfg, &rng);
        buffers_init(&buf, &net, s->test.n);
        make_targets(buf.targets, s->test.y, s->test.n, K, 0);
        forward(&net, &buf, s->test.x, s->test.n, &cfg, 0, NULL);
        nn_axpy(votes, 1.0f / k, buf.p, (size_t)s->test.n * K);
        for (int i = 0; i < s->test.n; i++)
            *member_error += (double)((int)nn_argmax(buf.p + (size_t)i * K, (size_t)K) != s->test.y[i]) /
                             s->test.n / k;
        buffers_free(&buf);
        history_free(&h);
        network_free(&net);
        free(sample.x);
        free(sample.y);
    }
    int wrong = 0;
    for (int i = 0; i < s->test.n; i++)
        wrong += (int)nn_argmax(votes + (size_t)i * K, (size_t)K) != s->test.y[i];
    free(votes);
    return (double)wrong / s->test.n;
}

/* Section 10: decision boundaries with wrong labels.  The Playground's
 * "gauss" set is two well separated Gaussian clouds; of its 60 training
 * points, 9 (15%) get the wrong label, as happens in hand-labelled data, so
 * a stray point of one class sits inside the other's cloud.  A wide network
 * trained long without restraint goes after them: it carves islands and
 * peninsulas of the wrong class around several stray points (ringed in
 * black) and so fits more of the training set.  The same network with L2 and
 * dropout draws one smooth boundary between the clouds and gets the stray
 * points "wrong", which on new, correctly labelled points is right.  The run
 * counts the regions (connected areas of one predicted class on the plotted
 * grid): 2 for a single boundary, more for every island. */
static int count_regions(const float *p1, int grid)
{
    int *label = nn_calloc((size_t)grid * grid, sizeof *label), *stack = nn_malloc((size_t)grid * grid * sizeof *stack);
    int regions = 0;
    for (int start = 0; start < grid * grid; start++) {
        if (label[start])
            continue;
        int cls = p1[start] > 0.5f, top = 0;
        label[start] = ++regions;
        stack[top++] = start;
        while (top > 0) {
            int at = stack[--top], r = at / grid, c = at % grid;
            const int nbr[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
            for (int k = 0; k < 4; k++) {
                int rr = nbr[k][0], cc = nbr[k][1];
                if (rr < 0 || rr >= grid || cc < 0 || cc >= grid)
                    continue;
                int next = rr * grid + cc;
                if (!label[next] && (p1[next] > 0.5f) == cls) {
                    label[next] = regions;
                    stack[top++] = next;
                }
            }
        }
    }
    free(label);
    free(stack);
    return regions;
}

enum { BOUNDARY_EPOCHS = 1500 };

static void section_boundaries(const options *o)
{
    nn_rng rng = nn_rng_new(o->common.seed);
    nn_dataset train_set, val_set;
    if (nn_make_playground(&train_set, "gauss", 60, 0.1, &rng) != NN_OK ||
        nn_make_playground(&val_set, "gauss", 400, 0.1, &rng) != NN_OK)
        nn_die_last();
    enum { FLIPPED = 9 };
    for (int i = 0; i < FLIPPED; i++)
        train_set.y[i] = 1 - train_set.y[i];   /* the set is shuffled: the first 9 are any 9 */
    /* The Playground's coordinates span about [-6, 6]; scale to about [-1, 1]. */
    for (size_t i = 0; i < (size_t)train_set.n * 2; i++)
        train_set.x[i] /= 6.0f;
    for (size_t i = 0; i < (size_t)val_set.n * 2; i++)
        val_set.x[i] /= 6.0f;
    enum { GRID = 80 };
    float *grid = nn_floats((size_t)GRID * GRID * 2), *p1 = nn_floats((size_t)GRID * GRID);
    for (int r = 0; r < GRID; r++)
        for (int c = 0; c < GRID; c++) {
            grid[2 * (r * GRID + c)] = (float)(-1.0 + 2.0 * c / (GRID - 1));
            grid[2 * (r * GRID + c) + 1] = (float)(-1.0 + 2.0 * r / (GRID - 1));
        }
    train_config cfgs[2] = {plain_config(0.5, BOUNDARY_EPOCHS), plain_config(0.5, BOUNDARY_EPOCHS)};
    cfgs[0].batch = cfgs[1].batch = 10;
    cfgs[1].l2 = 1e-2;
    cfgs[1].dropout_hidden = 0.3;
    static const char *const names[2] = {"over-fitted (no regularization)", "L2 1e-2 and dropout 0.3"};
    double train_err[2], val_err[2];
    int regions[2];
    nn_fig fig;
    fig_or_die(nn_fig_begin_sized(&fig, CHAPTER, "boundaries", 1200, 560));
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title 'Decision boundaries: 60 training points, 9 of them with the wrong label'");
    nn_fig_cmd(&fig, "set size ratio -1\nset xrange [-1:1]\nset yrange [-1:1]\nset xlabel 'x_1'\nset ylabel 'x_2'");
    nn_fig_cmd(&fig, "set palette defined (0 '#9ECAE1', 0.5 '#FFFFFF', 1 '#FDAE6B')\nset cbrange [0:1]\n"
                     "set cblabel 'p(class 1)'\nset cbtics 0.25\nset key outside below horizontal");
    FILE *points = nn_fig_data(&fig, "points", "x y label flipped");
    for (int i = 0; i < train_set.n; i++)
        fprintf(points, "%.6g %.6g %d %d\n", train_set.x[2 * i], train_set.x[2 * i + 1], train_set.y[i],
                i < FLIPPED);
    nn_say("\n10. Decision boundaries, Gaussian set with %d of 60 training labels flipped (400 validation points):\n",
           FLIPPED);
    for (int m = 0; m < 2; m++) {
        nn_rng init = nn_rng_new(o->common.seed);
        network net;
        network_init(&net, 2, 100, 2, &init);
        history h = train(&net, &train_set, &val_set, &cfgs[m], &init);
        evaluate(&net, &train_set, &cfgs[m], &train_err[m]);
        evaluate(&net, &val_set, &cfgs[m], &val_err[m]);
        batch_buffers buf;
        buffers_init(&buf, &net, GRID * GRID);
        forward(&net, &buf, grid, GRID * GRID, &cfgs[m], 0, NULL);
        for (int q = 0; q < GRID * GRID; q++)
            p1[q] = buf.p[2 * q + 1];
        regions[m] = count_regions(p1, GRID);
        nn_say("   %-32s train err %5.1f%%, validation err %5.1f%%, %d region%s\n", names[m], 100 * train_err[m],
               100 * val_err[m], regions[m], regions[m] == 1 ? "" : "s");
        char part[16];
        snprintf(part, sizeof part, "grid%d", m);
        FILE *f = nn_fig_data(&fig, part, "x y p(class 1)");
        for (int r = 0; r < GRID; r++) {
            for (int c = 0; c < GRID; c++)
                fprintf(f, "%.5g %.5g %.5g\n", grid[2 * (r * GRID + c)], grid[2 * (r * GRID + c) + 1], p1[r * GRID + c]);
            fputc('\n', f);
        }
        nn_fig_cmd(&fig, "set title '%s: %d region%s, validation error %.1f%%' noenhanced", names[m], regions[m],
                   regions[m] == 1 ? "" : "s", 100 * val_err[m]);
        nn_fig_cmd(&fig, "plot '%s' using 1:2:3 with image notitle, "
                         "'%s' using 1:($3 == 0 ? $2 : 1/0) with points pt 7 ps 1 lc rgb '#0072B2' title 'class 0', "
                         "'' using 1:($3 == 1 ? $2 : 1/0) with points pt 5 ps 1 lc rgb '#D55E00' title 'class 1', "
                         "'' using 1:($4 == 1 ? $2 : 1/0) with points pt 6 ps 2 lw 1.5 lc rgb '#000000' "
                         "title 'label flipped'",
                   nn_fig_path(&fig, part), nn_fig_path(&fig, "points"));
        buffers_free(&buf);
        history_free(&h);
        network_free(&net);
    }
    nn_fig_cmd(&fig, "unset multiplot");
    fig_or_die(nn_fig_end(&fig));
    nn_claim(train_err[0] < train_err[1] && regions[0] > regions[1], "boundaries-overfit-islands",
             "without regularization the network fits more of the wrongly labelled points (train error %.1f%% "
             "against %.1f%%) by carving islands around them (%d regions against %d)", 100 * train_err[0], 100 * train_err[1],
             regions[0], regions[1]);
    nn_claim(val_err[1] < val_err[0], "boundaries-regularized-generalizes",
             "the regularized boundary makes fewer validation errors: %.1f%% against %.1f%%", 100 * val_err[1],
             100 * val_err[0]);
    free(grid);
    free(p1);
    nn_dataset_free(&train_set);
    nn_dataset_free(&val_set);
}

#ifndef NN_CHAPTER_NO_MAIN
int main(int argc, char **argv)
{
    options o = {.epochs = 60, .hidden = 100, .n_train = 200, .lr = 0.3};
    int full = 0;
    nn_option opts[] = {
        NN_OPT_INT("epochs", "N", "training epochs per experiment", &o.epochs, 1, 100000),
        NN_OPT_INT("hidden", "H", "hidden units of the network", &o.hidden, 1, 100000),
        NN_OPT_INT("train", "N", "training examples drawn from the digits set", &o.n_train, 20, 1500),
        NN_OPT_DOUBLE("lr", "RATE", "SGD learning rate lambda", &o.lr, 1e-9, 1e6),
        NN_OPT_FLAG("full", "longer runs: 400 epochs, 500 training examples", &full),
        NN_OPT_END};
    nn_cli_parse(argc, argv, "ch04-regularization", "Chapter 4: regularization", opts, &o.common);
    if (full) {
        o.epochs = 400;
        o.n_train = 500;
    }

    double start = nn_seconds();
    nn_rng rng = nn_rng_new(o.common.seed);
    splits s;
    load_digit_splits(&s, o.n_train, &rng);
    nn_say("Chapter 4: regularization.  Digits: %d training, %d validation, %d test examples; seed %llu\n",
           s.train.n, s.val.n, s.test.n, (unsigned long long)o.common.seed);

    section_capacity(&s, &o);
    section_penalties(&s, &o);
    section_early_stopping(&s, &o);
    experiment dropout_run = {"dropout", plain_config(o.lr, o.epochs), {0}, 0, 0};
    section_dropout(&s, &o, &dropout_run);
    figure_augmentation(&s);
    section_comparison(&s, &o, &dropout_run);
    section_sparse(&s, &o);
    nn_say("\n9. Bagging: 5 networks on bootstrap samples, softmax outputs averaged\n");
    double member_error, bag_error = section_bagging(&s, &o, 5, &member_error);
    nn_say("   test error of the bag: %.1f%%; of its members, on average: %.1f%%\n", 100 * bag_error,
           100 * member_error);
    nn_claim(bag_error < member_error, "bagging-beats-members",
             "the bag's averaged vote makes fewer test errors (%.1f%%) than its members do on average (%.1f%%)",
             100 * bag_error, 100 * member_error);
    section_boundaries(&o);
    nn_say("\nFigures written under %s/plots/%s/ (%.1f s)\n", o.common.out_dir, CHAPTER, nn_seconds() - start);
    splits_free(&s);
    return 0;
}
#endif
