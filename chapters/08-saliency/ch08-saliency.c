/* Chapter 8: Saliency
 * ===================
 *
 * Chapter 7 trained a convolutional network that labels Fashion-MNIST
 * images.  It is right most of the time; this chapter asks WHY it says
 * "sneaker": which pixels of this image made the difference?  Deck 002
 * ("Which pixels matter") gives two answers, and the literature since then
 * several more.  A saliency map assigns each pixel a number, its importance
 * for the class score; the methods differ in what "importance" means:
 *
 *   section 1  the data and the network to explain (loaded, or trained here)
 *   section 2  occlusion: hide a patch, watch the probability fall
 *              (Zeiler and Fergus, "Visualizing and Understanding
 *              Convolutional Networks", ECCV 2014)
 *   section 3  the gradient of the class score with respect to the pixels
 *              (Simonyan, Vedaldi and Zisserman, "Deep Inside Convolutional
 *              Networks: Visualising Image Classification Models and
 *              Saliency Maps", ICLR Workshop 2014), and gradient x input
 *   section 4  SmoothGrad: the gradient averaged over noisy copies
 *              (Smilkov, Thorat, Kim, Viegas and Wattenberg, 2017)
 *   section 5  Integrated Gradients and completeness (Sundararajan, Taly and
 *              Yan, "Axiomatic Attribution for Deep Networks", ICML 2017)
 *   section 6  Grad-CAM on the last convolutional layer (Selvaraju et al.,
 *              "Grad-CAM: Visual Explanations from Deep Networks via
 *              Gradient-based Localization", ICCV 2017)
 *
 * and then asks whether the maps can be trusted:
 *
 *   section 7  faithfulness: delete (or insert) pixels in a map's order and
 *              watch the probability (Petsiuk, Das and Saenko, "RISE",
 *              BMVC 2018)
 *   section 8  sanity checks: randomise the model layer by layer, or train
 *              it on random labels, and see whether the maps notice
 *              (Adebayo, Gilmer, Muelly, Goodfellow, Hardt and Kim, "Sanity
 *              Checks for Saliency Maps", NeurIPS 2018)
 *   section 9  adversarial examples: the gradient that explains an image
 *              also breaks it (deck 004; Szegedy et al., "Intriguing
 *              properties of neural networks", ICLR 2014; Goodfellow, Shlens
 *              and Szegedy, "Explaining and Harnessing Adversarial
 *              Examples", ICLR 2015), and adversarial training
 *   section 10 what a class looks like to the network: gradient ascent on
 *              the input (Simonyan et al. 2014, section 2)
 *
 * Notation.  An image x has C channels of H x W pixels, x_{c,i,j}, NCHW as
 * everywhere in the kit; the network maps it to unnormalised class scores
 * (logits) S_1(x) .. S_K(x), and the softmax turns those into probabilities
 * P_k(x) = exp S_k / sum_k' exp S_k'.  The class explained is c, the one the
 * network predicts unless said otherwise.  A map M has one value per pixel
 * (i, j); where a method gives one per channel, the channels are combined as
 * each paper does (max of absolute values, or a sum).
 *
 * The network.  --load FILE explains a model saved by `ch07-cnn --save FILE`
 * (doc/MODEL-FORMAT.md); without it, section 1 trains a small CNN on a
 * Fashion-MNIST subset, quickly, and says so.  Every method here
 * only needs the network's forward pass, its backward pass to the input and
 * (Grad-CAM) one layer's activations and their gradient: the lib's nn_model
 * gives all three for any architecture.
 *
 * Build and run:   make ch08-saliency && ./ch08-saliency
 * Figures:         ./ch08-saliency --out . && gnuplot plots/08-saliency/maps.gp
 *                  (curves, sanity, fgsm, fgsm-examples, classmodel), or `make figures`
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define CHAPTER "08-saliency"

enum { BATCH = 64, MAX_SIDE = 64, N_SHOWN_MAX = 8 };

/* ======================================================================
 * Section 1. The data and the network
 * ======================================================================
 *
 * Fashion-MNIST (1 x 28 x 28, pixels in [0, 1], ten classes) when it is
 * installed; otherwise sklearn's 8x8 digits, scaled to [0, 1], so that the
 * chapter still runs anywhere (loudly: every number then differs).  The
 * small CNN trained when no model is loaded:
 *
 *     conv:8:3:1:1 relu maxpool:2 conv:16:3:1:1 relu maxpool:2 dense:10
 *
 * two 3x3 convolutions with padding 1 (the map keeps its size), each
 * followed by ReLU and a 2x2 max pool, then the classifier: 28 -> 14 -> 7,
 * 16 x 7 x 7 = 784 features, 10 logits.  Adam, batches of 32, a few epochs:
 * enough for the maps to mean something, quick enough for a default run. */
typedef struct {
    nn_dataset train, test;
    int C, H, W, classes;
    int fashion;              /* 1: Fashion-MNIST; 0: the 8x8 digits */
    float *mean_image;        /* (C, H, W): the training set's mean per channel, everywhere */
} data_sets;

static const char *const arch_fashion = "conv:8:3:1:1 relu maxpool:2 conv:16:3:1:1 relu maxpool:2 dense:10";
static const char *const arch_digits = "conv:8:3:1:1 relu conv:16:3:1:1 relu maxpool:2 dense:10";

static void load_data(data_sets *d, const char *dir, int n_train, int n_test, nn_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->fashion = 1;
    if (nn_load_fashion_mnist(&d->train, dir, 1, n_train) != NN_OK ||
        nn_load_fashion_mnist(&d->test, dir, 0, n_test) != NN_OK) {
        fprintf(stderr, "%s: note: %s\n%s: note: Fashion-MNIST is missing: using the 8x8 digits of data/ "
                        "instead (every number of this run differs from the text's)\n",
                nn_program_name(), nn_last_error(), nn_program_name());
        nn_dataset_free(&d->train);
        nn_dataset_free(&d->test);
        d->fashion = 0;
        nn_dataset all;
        if (nn_load_digits(&all, NULL) != NN_OK)
            nn_die_last();
        for (size_t q = 0; q < (size_t)all.n * all.d; q++)
            all.x[q] /= 16.0f;                      /* pixels 0..16 -> [0, 1] */
        if (nn_split(&all, 0.75, rng, &d->train, &d->test) != NN_OK)
            nn_die_last();
        nn_dataset_free(&all);
        if (d->test.n > n_test)
            d->test.n = n_test;
        if (d->train.n > n_train)
            d->train.n = n_train;
    }
    d->C = d->train.channels;
    d->H = d->train.height;
    d->W = d->train.width;
    d->classes = d->train.n_classes;
    size_t P = (size_t)d->H * d->W;
    d->mean_image = nn_floats((size_t)d->C * P);
    for (int c = 0; c < d->C; c++) {
        double sum = 0;
        for (int n = 0; n < d->train.n; n++)
            for (size_t p = 0; p < P; p++)
                sum += d->train.x[(size_t)n * d->train.d + c * P + p];
        for (size_t p = 0; p < P; p++)
            d->mean_image[c * P + p] = (float)(sum / ((double)d->train.n * P));
    }
}

static void free_data(data_sets *d)
{
    nn_dataset_free(&d->train);
    nn_dataset_free(&d->test);
    free(d->mean_image);
}

/* Logits of n images, in batches of the model's size (inference mode:
 * running statistics, no dropout, so each image is scored on its own). */
static void logits_of(nn_model *m, float *logits, const float *x, int n)
{
    int C, H, W, K = nn_model_classes(m), B = nn_model_max_batch(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    for (int start = 0; start < n; start += B) {
        int b = n - start < B ? n - start : B;
        if (nn_model_forward(m, logits + (size_t)start * K, x + start * D, b, 0, NULL) != NN_OK)
            nn_die_last();
    }
}

static double accuracy(nn_model *m, const float *x, const int *y, int n)
{
    int K = nn_model_classes(m);
    float *logits = nn_floats((size_t)n * K);
    logits_of(m, logits, x, n);
    int right = 0;
    for (int i = 0; i < n; i++)
        right += (int)nn_argmax(logits + (size_t)i * K, (size_t)K) == y[i];
    free(logits);
    return (double)right / n;
}

/* The adversarial image of section 9, needed by the training loop:
 *     x_adv = clip(x + eps sign(grad_x J(theta, x, y)), 0, 1)
 * with J the softmax cross-entropy of the true labels y (deck 004).  The
 * clip keeps a valid image.  n <= max_batch images at once; J's 1/n factor
 * does not change a sign. */
static void fgsm(nn_model *m, float *x_adv, const float *x, const int *y, int n, double eps, int training,
                 nn_rng *rng)
{
    int C, H, W, K = nn_model_classes(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    float *logits = nn_floats((size_t)n * K), *probs = nn_floats((size_t)n * K);
    float *d_logits = nn_floats((size_t)n * K), *grad = nn_floats((size_t)n * D);
    if (nn_model_forward(m, logits, x, n, training, rng) != NN_OK)
        nn_die_last();
    nn_softmax_xent_forward(probs, logits, y, n, K);
    nn_softmax_xent_backward(d_logits, probs, y, n, K);
    if (nn_model_backward(m, grad, d_logits, n) != NN_OK)
        nn_die_last();
    for (size_t q = 0; q < (size_t)n * D; q++) {
        double step = grad[q] > 0 ? eps : grad[q] < 0 ? -eps : 0;
        x_adv[q] = (float)fmin(1, fmax(0, x[q] + step));
    }
    free(logits);
    free(probs);
    free(d_logits);
    free(grad);
}

/* Mini-batch training with Adam.  adv_eps > 0 trains adversarially
 * (section 9): each batch of b clean images is joined by its b FGSM images,
 * made with the current weights, and the loss is the mean over the 2b, i.e.
 * Goodfellow et al.'s  J~ = 0.5 J(x) + 0.5 J(x_adv)  with alpha = 0.5. */
typedef struct {
    int epochs, batch;
    double lr, adv_eps;
} train_config;

static void train(nn_model *m, const nn_dataset *ds, const int *labels, const train_config *tc, nn_rng *rng)
{
    int C, H, W, K = nn_model_classes(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    int b_max = tc->batch, n = ds->n;
    NN_ASSERT(2 * b_max <= nn_model_max_batch(m));
    nn_optim opt;
    nn_optim_config cfg = nn_optim_defaults(NN_ADAM, tc->lr);
    if (nn_optim_init(&opt, &cfg, nn_model_param_count(m)) != NN_OK)
        nn_die_last();
    float *x = nn_floats(2 * (size_t)b_max * D), *logits = nn_floats(2 * (size_t)b_max * K);
    float *probs = nn_floats(2 * (size_t)b_max * K), *d_logits = nn_floats(2 * (size_t)b_max * K);
    int *y = malloc(sizeof(int) * 2 * (size_t)b_max), *order = malloc(sizeof(int) * (size_t)n);
    double first_loss = 0;
    for (int epoch = 0; epoch < tc->epochs; epoch++) {
        nn_rng_permutation(rng, order, (size_t)n);
        for (int start = 0; start < n; start += b_max) {
            int b = n - start < b_max ? n - start : b_max;
            if (b < 2)
                continue;            /* a batch of one cannot be batch-normalised; skip the remainder */
            for (int i = 0; i < b; i++) {
                memcpy(x + i * D, ds->x + (size_t)order[start + i] * D, D * sizeof *x);
                y[i] = labels[order[start + i]];
            }
            int total = b;
            if (tc->adv_eps > 0) {
                fgsm(m, x + b * D, x, y, b, tc->adv_eps, 1, rng);
                memcpy(y + b, y, sizeof(int) * (size_t)b);
                total = 2 * b;
            }
            nn_model_zero_grads(m);
            if (nn_model_forward(m, logits, x, total, 1, rng) != NN_OK)
                nn_die_last();
            double loss = nn_softmax_xent_forward(probs, logits, y, total, K);
            if (first_loss == 0)
                first_loss = loss;
            nn_zero(d_logits, (size_t)total * K);   /* the loss's backward adds */
            nn_softmax_xent_backward(d_logits, probs, y, total, K);
            if (nn_model_backward(m, NULL, d_logits, total) != NN_OK ||
                nn_optim_check_loss(&opt, loss, first_loss, 1e6) != NN_OK ||
                nn_optim_step(&opt, nn_model_params(m), nn_model_grads(m)) != NN_OK)
                nn_die_last();
        }
    }
    nn_optim_free(&opt);
    free(x); free(logits); free(probs); free(d_logits); free(y); free(order);
}

/* ======================================================================
 * Section 2. Occlusion (Zeiler and Fergus 2014)
 * ======================================================================
 *
 * Deck 002: "mask part of the image before feeding to CNN, check how much
 * predicted probabilities change".  Slide a patch of p x p pixels with
 * stride s over the image; at each position replace the pixels under it
 * (every channel) by a fill value and record the fall of the class
 * probability,
 *
 *     drop(i0, j0) = P_c(x) - P_c(x with the patch at (i0, j0) filled).
 *
 * A pixel's importance is the mean drop over the patches that cover it.
 * The fill is a choice, and it changes the answer: zero (black) is the
 * absence of ink on Fashion-MNIST, but on a dark garment a black patch hides
 * nothing; the training mean is a grey that is unusual everywhere; a blurred
 * copy of the image removes the detail under the patch but keeps its rough
 * brightness, so only fine structure is measured.  The patch size sets the
 * resolution: a patch smaller than the features the network uses changes
 * little anywhere, one larger than the object hides all of it everywhere.
 * The method needs only forward passes, of (H - p)/s + 1 squared images. */
typedef enum { FILL_ZERO, FILL_MEAN, FILL_BLUR } fill_kind;
static const char *const fill_names[] = {"zero", "mean", "blur", NULL};

/* The blurred copy: each pixel the mean of the 5x5 window around it
 * (clipped at the borders), channel by channel. */
static void blur_image(float *out, const float *x, int C, int H, int W)
{
    for (int c = 0; c < C; c++)
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                double sum = 0;
                int count = 0;
                for (int u = i - 2; u <= i + 2; u++)
                    for (int v = j - 2; v <= j + 2; v++)
                        if (u >= 0 && u < H && v >= 0 && v < W) {
                            sum += x[((size_t)c * H + u) * W + v];
                            count++;
                        }
                out[((size_t)c * H + i) * W + j] = (float)(sum / count);
            }
}

/* fill (C, H, W): the value each pixel takes when it is occluded. */
static void make_fill(float *fill, fill_kind kind, const float *x, const float *mean_image, int C, int H, int W)
{
    size_t D = (size_t)C * H * W;
    if (kind == FILL_ZERO)
        nn_zero(fill, D);
    else if (kind == FILL_MEAN)
        nn_copy(fill, mean_image, D);
    else
        blur_image(fill, x, C, H, W);
}

static void softmax_row(double *p, const float *logits, int K)
{
    double top = logits[0], sum = 0;
    for (int k = 1; k < K; k++)
        top = fmax(top, logits[k]);
    for (int k = 0; k < K; k++)
        sum += p[k] = exp(logits[k] - top);
    for (int k = 0; k < K; k++)
        p[k] /= sum;
}

static double class_probability(nn_model *m, const float *x, int c)
{
    int K = nn_model_classes(m);
    float logits[256];
    double p[256];
    NN_ASSERT(K <= 256);
    logits_of(m, logits, x, 1);
    softmax_row(p, logits, K);
    return p[c];
}

/* map (H, W); returns the number of patch positions.  The occluded copies
 * are scored a batch at a time. */
static int occlusion_map(nn_model *m, float *map, const float *x, int c, const float *fill, int patch, int stride)
{
    int C, H, W, K = nn_model_classes(m), B = nn_model_max_batch(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W, P = (size_t)H * W;
    int rows = (H - patch) / stride + 1, cols = (W - patch) / stride + 1, n_pos = rows * cols;
    double base = class_probability(m, x, c);
    float *batch = nn_floats((size_t)B * D), *logits = nn_floats((size_t)B * K);
    double *sum = nn_doubles(P), p[256];
    int *count = calloc(P, sizeof *count);
    for (int start = 0; start < n_pos; start += B) {
        int b = n_pos - start < B ? n_pos - start : B;
        for (int q = 0; q < b; q++) {
            int i0 = (start + q) / cols * stride, j0 = (start + q) % cols * stride;
            float *img = batch + q * D;
            nn_copy(img, x, D);
            for (int ch = 0; ch < C; ch++)
                for (int i = i0; i < i0 + patch; i++)
                    for (int j = j0; j < j0 + patch; j++)
                        img[(size_t)ch * P + i * W + j] = fill[(size_t)ch * P + i * W + j];
        }
        logits_of(m, logits, batch, b);
        for (int q = 0; q < b; q++) {
            int i0 = (start + q) / cols * stride, j0 = (start + q) % cols * stride;
            softmax_row(p, logits + (size_t)q * K, K);
            double drop = base - p[c];
            for (int i = i0; i < i0 + patch; i++)
                for (int j = j0; j < j0 + patch; j++) {
                    sum[i * W + j] += drop;
                    count[i * W + j]++;
                }
        }
    }
    for (size_t q = 0; q < P; q++)
        map[q] = count[q] ? (float)(sum[q] / count[q]) : 0.0f;
    free(batch); free(logits); free(sum); free(count);
    return n_pos;
}

/* ======================================================================
 * Section 3. The gradient of the class score (Simonyan et al. 2014)
 * ======================================================================
 *
 * Deck 002: "compute gradient of (unnormalized) class score with respect to
 * image pixels, take absolute value and max over RGB channels":
 *
 *     w = dS_c / dx   (evaluated at the image),     M_ij = max_ch |w_{ch,i,j}|.
 *
 * Near x the score is, to first order, S_c(x + d) ~ S_c(x) + w . d: the
 * pixels with large |w| are those where a small change moves the score
 * most.  One backward pass gives all of w: the backward pass of training
 * with the loss replaced by S_c, i.e. dL/dlogits = e_c (1 for class c, 0
 * elsewhere), continued past the first layer down to the input.
 *
 * Why the score and not the probability?  P_c = exp S_c / sum exp S_k can
 * rise because S_c rises or because the other scores fall:
 *     dP_c/dx = P_c (dS_c/dx - sum_k P_k dS_k/dx),
 * so its gradient mixes in evidence against the other classes, and when the
 * network is confident (P_c near 1) the bracket nearly cancels and the map
 * fades to noise, however clear the evidence (the softmax saturates).  The
 * score's gradient says what supports c, whatever the rest does.
 *
 * The maximum over channels: a colour pixel has three gradients, one per
 * channel; the paper keeps the largest magnitude, so a pixel counts as
 * important when changing ANY of its colours matters.  Fashion-MNIST is
 * grey (C = 1) and the maximum is just |w|, but the code is written for C
 * channels; a loaded colour model would work unchanged.
 *
 * Gradient x input (Shrikumar, Greenside, Shcherbina and Kundaje, "Not Just
 * a Black Box", 2016) multiplies by the pixel:  A_{ch,i,j} = x_{ch,i,j} w_{ch,i,j},
 * summed over channels.  For a linear score S = w . x + b these are exactly
 * the contributions of each pixel to S; for a network, the first-order
 * version.  On a black background (x = 0) it is zero whatever the network
 * does, a fact section 8 will meet again. */

/* grads (n, C, H, W): dS_c/dx for each of n images (the same class c). */
static void score_gradients(nn_model *m, float *grads, const float *x, int n, int c)
{
    int C, H, W, K = nn_model_classes(m), B = nn_model_max_batch(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    float *d_logits = nn_floats((size_t)B * K);
    for (int start = 0; start < n; start += B) {
        int b = n - start < B ? n - start : B;
        nn_zero(d_logits, (size_t)B * K);
        for (int i = 0; i < b; i++)
            d_logits[(size_t)i * K + c] = 1;     /* dS_c / dlogits = e_c */
        if (nn_model_forward(m, NULL, x + start * D, b, 0, NULL) != NN_OK ||
            nn_model_backward(m, grads + start * D, d_logits, b) != NN_OK)
            nn_die_last();
    }
    free(d_logits);
}

/* qsort's comparison of two doubles, ascending. */
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double class_score(nn_model *m, const float *x, int c)
{
    float logits[256];
    logits_of(m, logits, x, 1);
    return logits[c];
}

/* M_ij = max over channels of |g_{ch,i,j}| */
static void max_abs_over_channels(float *map, const float *g, int C, int H, int W)
{
    size_t P = (size_t)H * W;
    for (size_t p = 0; p < P; p++) {
        float best = 0;
        for (int ch = 0; ch < C; ch++)
            best = fmaxf(best, fabsf(g[ch * P + p]));
        map[p] = best;
    }
}

/* A_ij = sum over channels of a_{ch,i,j} */
static void sum_over_channels(float *map, const float *a, int C, int H, int W)
{
    size_t P = (size_t)H * W;
    for (size_t p = 0; p < P; p++) {
        double s = 0;
        for (int ch = 0; ch < C; ch++)
            s += a[ch * P + p];
        map[p] = (float)s;
    }
}

static void gradient_map(nn_model *m, float *map, const float *x, int c)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    float *g = nn_floats((size_t)C * H * W);
    score_gradients(m, g, x, 1, c);
    max_abs_over_channels(map, g, C, H, W);
    free(g);
}

static void gradient_x_input_map(nn_model *m, float *map, const float *x, int c)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    float *g = nn_floats(D);
    score_gradients(m, g, x, 1, c);
    for (size_t q = 0; q < D; q++)
        g[q] *= x[q];
    sum_over_channels(map, g, C, H, W);
    free(g);
}

/* ======================================================================
 * Section 4. SmoothGrad (Smilkov et al. 2017)
 * ======================================================================
 *
 * The gradient of a ReLU network jumps from pixel to pixel: each ReLU that
 * switches on or off between neighbouring inputs changes it, so the map
 * looks speckled.  SmoothGrad averages the map over n noisy copies,
 *
 *     M^(x) = (1/n) sum_{r=1..n} M(x + e_r),    e_r ~ N(0, sigma^2),
 *
 * with sigma a fraction (10 to 20 % in the paper) of the image's range
 * max x - min x, and M the map of section 3.  The noise draws come from the
 * kit's generator, seeded per run, so the same seed gives the same map.
 * The run measures the roughness of both maps, the total variation
 * sum |M_ij - M_i,j+1| + |M_ij - M_i+1,j| over the total |M| (claim
 * smoothgrad-smoother). */
static void smoothgrad_map(nn_model *m, float *map, const float *x, int c, int samples, double noise, nn_rng *rng)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W, P = (size_t)H * W;
    float lo = x[0], hi = x[0];
    for (size_t q = 1; q < D; q++) {
        lo = fminf(lo, x[q]);
        hi = fmaxf(hi, x[q]);
    }
    double sigma = noise * (hi - lo > 0 ? hi - lo : 1);
    float *noisy = nn_floats((size_t)samples * D), *g = nn_floats((size_t)samples * D), *one = nn_floats(P);
    for (int r = 0; r < samples; r++) {
        nn_rng_fill_normal(rng, noisy + r * D, D, 0, sigma);
        nn_axpy(noisy + r * D, 1, x, D);
    }
    score_gradients(m, g, noisy, samples, c);
    double *sum = nn_doubles(P);
    for (int r = 0; r < samples; r++) {
        max_abs_over_channels(one, g + r * D, C, H, W);
        for (size_t p = 0; p < P; p++)
            sum[p] += one[p];
    }
    for (size_t p = 0; p < P; p++)
        map[p] = (float)(sum[p] / samples);
    free(noisy); free(g); free(one); free(sum);
}

/* ======================================================================
 * Section 5. Integrated Gradients (Sundararajan et al. 2017)
 * ======================================================================
 *
 * The gradient is local: a pixel whose effect has saturated (the ReLU
 * behind it is already fully on, the score no longer grows with it) gets a
 * small gradient, however much it mattered to get there.  Integrated
 * Gradients walks from a baseline x' (here the black image, "no signal")
 * to x along the straight line and accumulates the gradient on the way:
 *
 *     IG_q(x) = (x_q - x'_q) * integral_0^1 dS_c/dx_q (x' + a (x - x')) da
 *
 * for every input value q = (ch, i, j).  By the fundamental theorem of
 * calculus along the path, the attributions add up to the change of the
 * score, the property the paper calls completeness:
 *
 *     sum_q IG_q(x) = S_c(x) - S_c(x').
 *
 * The integral is computed as the paper's Riemann sum with m steps,
 *     IG_q ~ (x_q - x'_q) (1/m) sum_{k=1..m} dS_c/dx_q (x' + (k/m)(x - x')),
 * and completeness then holds only approximately: the gap
 *     |sum_q IG_q - (S_c(x) - S_c(x'))| / |S_c(x) - S_c(x')|
 * measures the error of the sum, and shrinks as m grows (the paper: 20 to
 * 300 steps, "within 5%"; claim ig-completeness).  The m points are one
 * batch of gradients. */

/* attr (C, H, W); returns sum_q attr_q. */
static double integrated_gradients(nn_model *m, float *attr, const float *x, const float *baseline, int c, int steps)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    float *path = nn_floats((size_t)steps * D), *g = nn_floats((size_t)steps * D);
    for (int k = 1; k <= steps; k++)
        for (size_t q = 0; q < D; q++)
            path[(k - 1) * D + q] = baseline[q] + (float)k / steps * (x[q] - baseline[q]);
    score_gradients(m, g, path, steps, c);
    double total = 0;
    for (size_t q = 0; q < D; q++) {
        double mean = 0;
        for (int k = 0; k < steps; k++)
            mean += g[k * D + q];
        attr[q] = (float)((x[q] - baseline[q]) * mean / steps);
        total += attr[q];
    }
    free(path);
    free(g);
    return total;
}

/* The completeness gap of an m-step sum, relative to S_c(x) - S_c(x'). */
static double completeness_gap(nn_model *m, const float *x, const float *baseline, int c, int steps)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    float *attr = nn_floats((size_t)C * H * W);
    double sum = integrated_gradients(m, attr, x, baseline, c, steps);
    double change = class_score(m, x, c) - class_score(m, baseline, c);
    free(attr);
    return fabs(sum - change) / fmax(fabs(change), 1e-12);
}

static void ig_map(nn_model *m, float *map, const float *x, int c, int steps)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    float *attr = nn_floats(D), *zero = nn_floats(D);
    integrated_gradients(m, attr, x, zero, c, steps);
    sum_over_channels(map, attr, C, H, W);
    free(attr);
    free(zero);
}

/* ======================================================================
 * Section 6. Grad-CAM (Selvaraju et al. 2017)
 * ======================================================================
 *
 * The last convolutional layer's K feature maps A^k (h x w each) are the
 * network's last view of WHERE things are: after them the dense layer
 * mixes all positions.  Grad-CAM weighs each map by how much the class
 * score depends on it on average,
 *
 *     alpha_k = (1 / (h w)) sum_ij dS_c / dA^k_ij,
 *     L_ij    = ReLU( sum_k alpha_k A^k_ij ),
 *
 * keeping only positive evidence, then scales the h x w map up to the
 * image (nearest neighbour: pixel (i, j) takes map cell (i h / H, j w / W),
 * rounded down, as PyTorch's 'nearest' does).  The maps A^k are the
 * rectified outputs of the last convolution (the ReLU that follows it,
 * after a batch norm if there is one, as in the paper's VGG and in chapter
 * 7's network), and dS_c/dA^k comes from the same backward pass as
 * section 3, read at that layer (nn_model_output_grad).
 * The map is coarse (14 x 14 cells for the default network, whose last
 * convolution comes before its last pooling), but it is class specific and
 * cheap: one backward pass. */
static int gradcam_layer(const nn_model *m)
{
    int l = nn_model_last_conv(m), n = nn_model_layer_count(m);
    if (l >= 0 && l + 1 < n && nn_model_layer(m, l + 1).kind == NN_LAYER_BN)
        l++;                                   /* conv bn relu: normalised, then rectified */
    if (l >= 0 && l + 1 < n && nn_model_layer(m, l + 1).kind == NN_LAYER_RELU)
        l++;
    return l;
}

/* map (H, W); coarse (h, w) when not NULL.  NN_ERR when the model has no
 * convolutional layer. */
static int gradcam_map(nn_model *m, float *map, float *coarse, const float *x, int c)
{
    int l = gradcam_layer(m);
    if (l < 0)
        return nn_error("Grad-CAM needs a convolutional layer, and this model has none");
    int C, H, W, K = nn_model_classes(m);
    nn_model_input_shape(m, &C, &H, &W);
    nn_layer_info info = nn_model_layer(m, l);
    int Kf = info.out_c, h = info.out_h, w = info.out_w;
    float d_logits[256] = {0};
    NN_ASSERT(K <= 256);
    d_logits[c] = 1;
    if (nn_model_forward(m, NULL, x, 1, 0, NULL) != NN_OK || nn_model_backward(m, NULL, d_logits, 1) != NN_OK)
        nn_die_last();
    const float *A = nn_model_output(m, l), *dA = nn_model_output_grad(m, l);
    float *cam = nn_floats((size_t)h * w);
    for (int k = 0; k < Kf; k++) {
        double alpha = 0;
        for (int q = 0; q < h * w; q++)
            alpha += dA[(size_t)k * h * w + q];
        alpha /= h * w;
        for (int q = 0; q < h * w; q++)
            cam[q] += (float)(alpha * A[(size_t)k * h * w + q]);
    }
    for (int q = 0; q < h * w; q++)
        cam[q] = cam[q] > 0 ? cam[q] : 0;
    for (int i = 0; i < H; i++)
        for (int j = 0; j < W; j++)
            map[i * W + j] = cam[(i * h / H) * w + j * w / W];
    if (coarse)
        nn_copy(coarse, cam, (size_t)h * w);
    free(cam);
    return NN_OK;
}

/* ---- All methods behind one call -------------------------------------------- */
typedef enum { M_OCCLUSION, M_GRADIENT, M_GRAD_X_INPUT, M_SMOOTHGRAD, M_IG, M_GRADCAM, N_METHODS } method;
static const char *const method_names[N_METHODS] = {"occlusion", "gradient", "gradient x input", "SmoothGrad",
                                                    "Integrated Gradients", "Grad-CAM"};

typedef struct {
    int patch, stride;
    fill_kind fill;
    int samples;
    double noise;
    int steps;
    const float *mean_image;
} method_config;

/* map (H, W) of method k for class c.  rng feeds SmoothGrad's noise. */
static void explain(nn_model *m, method k, float *map, const float *x, int c, const method_config *cfg, nn_rng *rng)
{
    int C, H, W;
    nn_model_input_shape(m, &C, &H, &W);
    float *fill;
    switch (k) {
    case M_OCCLUSION:
        fill = nn_floats((size_t)C * H * W);
        make_fill(fill, cfg->fill, x, cfg->mean_image, C, H, W);
        occlusion_map(m, map, x, c, fill, cfg->patch, cfg->stride);
        free(fill);
        break;
    case M_GRADIENT: gradient_map(m, map, x, c); break;
    case M_GRAD_X_INPUT: gradient_x_input_map(m, map, x, c); break;
    case M_SMOOTHGRAD: smoothgrad_map(m, map, x, c, cfg->samples, cfg->noise, rng); break;
    case M_IG: ig_map(m, map, x, c, cfg->steps); break;
    case M_GRADCAM:
        if (gradcam_map(m, map, NULL, x, c) != NN_OK)
            nn_zero(map, (size_t)H * W);
        break;
    case N_METHODS: break;
    }
}

/* ======================================================================
 * Section 7. Faithfulness: deletion and insertion (Petsiuk et al. 2018)
 * ======================================================================
 *
 * A map that points at the pixels the network really uses should make the
 * probability fall fastest when those pixels go first.  Deletion: sort the
 * pixels by the map, most important first, and set them (every channel) to
 * 0 in that order, in T equal steps, recording P_c after each; insertion:
 * start from the black image and put the pixels back in the same order.  The
 * area under each curve (fraction of pixels on the x axis, 0 to 1; the
 * trapezoid rule) summarises it: a faithful map has a SMALL deletion area and
 * a LARGE insertion area.  The yardstick is a random order.  Ties in a map
 * (a black background has many) keep reading order, so the curve is
 * reproducible.  The fill 0 is the "no ink" of Fashion-MNIST, the same as
 * the Integrated Gradients baseline and the zero fill of occlusion: the
 * metric is kinder to methods that share its notion of absence.
 *
 * What the run shows (claims faithful-beats-random and
 * gradient-less-faithful, checked over seeds): occlusion, gradient x input
 * and Integrated Gradients delete faster and insert faster than a random
 * order; the plain gradient deletes less effectively than Integrated
 * Gradients.  The reason is in the maps of section 3: |dS/dx| is large on
 * the black background too (a pixel that is 0 could still change the
 * score), but deleting a pixel that is already 0 changes nothing.  The
 * metric asks "which pixels carry the evidence", the gradient answers
 * "which pixels would matter if they changed": two different questions. */
typedef struct {
    float value;
    int index;
} ranked;

static int by_value_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? 1 : -1;
    return x->index - y->index;
}

/* order (P): pixel indices, largest map value first. */
static void order_by_map(int *order, const float *map, int P)
{
    ranked *r = malloc(sizeof *r * (size_t)P);
    for (int p = 0; p < P; p++)
        r[p] = (ranked){map[p], p};
    qsort(r, (size_t)P, sizeof *r, by_value_desc);
    for (int p = 0; p < P; p++)
        order[p] = r[p].index;
    free(r);
}

/* del, ins (T + 1): P_c after 0, 1/T, ..., 1 of the pixels are deleted / inserted. */
static void deletion_insertion(nn_model *m, double *del, double *ins, const float *x, int c, const int *order, int T)
{
    int C, H, W, K = nn_model_classes(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W, P = (size_t)H * W;
    float *imgs = nn_floats(2 * (size_t)(T + 1) * D), *logits = nn_floats(2 * (size_t)(T + 1) * K);
    double p[256];
    for (int t = 0; t <= T; t++) {
        float *d = imgs + (size_t)t * D, *in = imgs + (size_t)(T + 1 + t) * D;
        nn_copy(d, x, D);
        nn_zero(in, D);
        size_t upto = (size_t)((double)t / T * P + 0.5);
        for (size_t r = 0; r < upto; r++)
            for (int ch = 0; ch < C; ch++) {
                size_t q = ch * P + (size_t)order[r];
                d[q] = 0;
                in[q] = x[q];
            }
    }
    logits_of(m, logits, imgs, 2 * (T + 1));
    for (int t = 0; t <= 2 * T + 1; t++) {
        softmax_row(p, logits + (size_t)t * K, K);
        if (t <= T)
            del[t] = p[c];
        else
            ins[t - T - 1] = p[c];
    }
    free(imgs);
    free(logits);
}

/* Trapezoid rule over T + 1 equally spaced points on [0, 1]. */
static double area_under(const double *y, int T)
{
    double a = 0;
    for (int t = 0; t < T; t++)
        a += 0.5 * (y[t] + y[t + 1]) / T;
    return a;
}

/* ======================================================================
 * Section 8. Sanity checks (Adebayo et al. 2018)
 * ======================================================================
 *
 * A saliency map is supposed to explain the MODEL.  If it stays the same
 * when the model is destroyed, it explains something else: the image
 * itself, like an edge detector would.  Two tests:
 *
 *   cascading randomisation: re-draw the weights of the top weighted layer
 *   (the classifier) from the initialisation, then also the next one down,
 *   and so on to the first convolution, computing every map after each
 *   step;
 *   label randomisation: train the same architecture on labels shuffled at
 *   random (the network can only memorise; it learns nothing about the
 *   classes) and compute the maps of that model.
 *
 * How much a map changed is measured by the Spearman rank correlation
 * between the original map and the new one, on absolute values (as the
 * paper does): rho = 1 means the same ordering of pixels, 0 unrelated.
 * Spearman's rho is Pearson's correlation of the ranks; tied values share
 * the mean of their ranks.
 *
 * What the run shows (claims gradient-changes and gxi-survives): the plain
 * gradient and Grad-CAM lose their ordering once the layers are
 * randomised; gradient x input and Integrated Gradients keep much of it,
 * because both multiply by x - 0: the black background is 0 in every
 * model, and the garment's outline survives any weights.  A high rho here
 * is a warning, not a virtue: that part of the map comes from the image,
 * not from what the network learned.  (Adebayo et al. name the confound: a
 * map multiplied by the input inherits the input's structure.) */
static void ranks_of(double *rank, const float *v, int n)
{
    ranked *r = malloc(sizeof *r * (size_t)n);
    for (int i = 0; i < n; i++)
        r[i] = (ranked){v[i], i};
    qsort(r, (size_t)n, sizeof *r, by_value_desc);
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && r[j + 1].value == r[i].value)
            j++;
        for (int k = i; k <= j; k++)
            rank[r[k].index] = 0.5 * (i + j) + 1;   /* mean of ranks i+1 .. j+1 */
        i = j + 1;
    }
    free(r);
}

static double spearman(const float *a, const float *b, int n)
{
    double *ra = nn_doubles((size_t)n), *rb = nn_doubles((size_t)n);
    ranks_of(ra, a, n);
    ranks_of(rb, b, n);
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= n;
    mb /= n;
    for (int i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    /* A constant map has no ordering: call it uncorrelated. */
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : 0;
}

static void abs_floats(float *dst, const float *src, size_t n)
{
    for (size_t q = 0; q < n; q++)
        dst[q] = fabsf(src[q]);
}

/* ======================================================================
 * Section 10. Class model visualisation (Simonyan et al. 2014, section 2)
 * ======================================================================
 *
 * Instead of explaining an image, make one: the input the network finds
 * most typical of class c,
 *
 *     I*_c = argmax_I  S_c(I) - lambda ||I||_2^2,
 *
 * found by gradient ascent from the black image, I <- I + eta (dS_c/dI -
 * 2 lambda I).  The L2 penalty keeps the image from growing without bound
 * (S_c of a ReLU network is unbounded along many directions); the result
 * is not a garment but the pattern of strokes the score responds to. */
#define CM_STEPS 200
#define CM_ETA 0.1
#define CM_LAMBDA 0.1
/* imgs (K, C, H, W): the class model of every class c = 0..K-1, all K
 * ascents in one batch (image c's gradient is that of S_c; in inference
 * mode the images do not interact). */
static void class_models(nn_model *m, float *imgs, int steps, double eta, double lambda)
{
    int C, H, W, K = nn_model_classes(m);
    nn_model_input_shape(m, &C, &H, &W);
    size_t D = (size_t)C * H * W;
    NN_ASSERT(K <= nn_model_max_batch(m));
    float *g = nn_floats((size_t)K * D), *d_logits = nn_floats((size_t)K * K);
    for (int c = 0; c < K; c++)
        d_logits[(size_t)c * K + c] = 1;     /* row c: dS_c / dlogits */
    nn_zero(imgs, (size_t)K * D);
    for (int t = 0; t < steps; t++) {
        if (nn_model_forward(m, NULL, imgs, K, 0, NULL) != NN_OK || nn_model_backward(m, g, d_logits, K) != NN_OK)
            nn_die_last();
        for (size_t q = 0; q < (size_t)K * D; q++)
            imgs[q] += (float)(eta * (g[q] - 2 * lambda * imgs[q]));
    }
    free(g);
    free(d_logits);
}

/* ---- Figures --------------------------------------------------------------------
 * The maps figure shows each method's map over the image: the image in
 * grey, light background, and the map on top in red (positive) or blue
 * (negative, signed methods only), opaque where |M| is largest.  The opacity
 * is sqrt(|M| / max), with the maximum taken over all images of that method:
 * one colour scale per method (row), its maximum written in the row's title;
 * the square root lifts small values into view without reordering any. */
static void overlay_block(FILE *f, const float *img, const float *map, int H, int W, double scale)
{
    for (int i = 0; i < H; i++) {
        for (int j = 0; j < W; j++) {
            double g = 255 - 130 * fmin(1, fmax(0, img[i * W + j]));
            double v = map ? map[i * W + j] / scale : 0;
            double a = sqrt(fmin(1, fabs(v))) * 235;
            int r = v >= 0 ? 178 : 33, gg = v >= 0 ? 24 : 102, b = v >= 0 ? 43 : 172;
            fprintf(f, "%d %d %.0f %d %d %d %.0f\n", j, i, g, r, gg, b, a);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "\n\n");
}

static void figure_maps(const data_sets *d, const float *shown, const int *pred, int n_shown,
                        float *const *maps)
{
    int H = d->H, W = d->W;
    size_t P = (size_t)H * W, D = (size_t)d->C * P;
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "maps", 200 * n_shown + 40, 160 * (N_METHODS + 1) + 40) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "x y gray r g b alpha (one index block per panel: image, then methods)");
    double scale[N_METHODS];
    for (int k = 0; k < N_METHODS; k++)
        scale[k] = fmax(1e-12, nn_fig_abs_max(maps[k], (size_t)n_shown * P));
    for (int s = 0; s < n_shown; s++)
        overlay_block(f, shown + s * D, NULL, H, W, 1);
    for (int k = 0; k < N_METHODS; k++)
        for (int s = 0; s < n_shown; s++)
            overlay_block(f, shown + s * D, maps[k] + s * P, H, W, scale[k]);
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title 'saliency maps: red supports the class, blue opposes it "
                     "(opacity sqrt(|M|/max), one scale per row)' noenhanced margins 0.02,0.98,0.02,0.94 "
                     "spacing 0.01,0.035",
               N_METHODS + 1, n_shown);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nunset key\nunset colorbox\nset size ratio -1");
    nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", W - 0.5, H - 0.5);
    for (int s = 0; s < n_shown; s++) {
        nn_fig_cmd(&fig, "set title \"%s\" noenhanced font ',8'", d->train.class_names[pred[s]]);
        nn_fig_cmd(&fig, "plot '%s' index %d using 1:2:3:3:3 with rgbimage", nn_fig_path(&fig, NULL), s);
    }
    for (int k = 0; k < N_METHODS; k++)
        for (int s = 0; s < n_shown; s++) {
            int block = n_shown + k * n_shown + s;
            if (s == 0)
                nn_fig_cmd(&fig, "set title \"%s, max %.3g\" noenhanced font ',8'", method_names[k], scale[k]);
            else
                nn_fig_cmd(&fig, "unset title");
            nn_fig_cmd(&fig, "plot '%s' index %d using 1:2:3:3:3 with rgbimage, '' index %d using 1:2:4:5:6:7 "
                             "with rgbalpha", nn_fig_path(&fig, NULL), block, block);
        }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

static void figure_curves(double (*del)[65], double (*ins)[65], int T)
{
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "curves", 1100, 460) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "fraction deletion(method 0..5, random) insertion(method 0..5, random)");
    for (int t = 0; t <= T; t++) {
        fprintf(f, "%.6g", (double)t / T);
        for (int k = 0; k <= N_METHODS; k++)
            fprintf(f, " %.6g", del[k][t]);
        for (int k = 0; k <= N_METHODS; k++)
            fprintf(f, " %.6g", ins[k][t]);
        fprintf(f, "\n");
    }
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title 'faithfulness: class probability as pixels are deleted "
                     "or inserted in each map''s order (mean over images)' noenhanced");
    nn_fig_cmd(&fig, "set xlabel 'fraction of pixels'\nset ylabel 'P(class)'\nset yrange [0:1.02]");
    for (int panel = 0; panel < 2; panel++) {
        nn_fig_cmd(&fig, "set title '%s (%s is better)'\nset key %s", panel ? "insertion" : "deletion",
                   panel ? "higher" : "lower", panel ? "bottom right" : "top right");
        for (int k = 0; k <= N_METHODS; k++)
            nn_fig_cmd(&fig, "%s '%s' using 1:%d with lines ls %d lw 2 %s title '%s'%s", k ? "    " : "plot",
                       nn_fig_path(&fig, NULL), 2 + panel * (N_METHODS + 1) + k, k + 1,
                       k == N_METHODS ? "dt 2 lc rgb 'black'" : "", k == N_METHODS ? "random order" : method_names[k],
                       k < N_METHODS ? ", \\" : "");
    }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

enum { MAX_STAGES = 8 };

static void figure_sanity(const data_sets *d, const char *const *stage_names, int n_stages,
                          float *const *maps /* [stage][method] (H, W) */, double (*rho)[N_METHODS])
{
    int H = d->H, W = d->W;
    size_t P = (size_t)H * W;
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, "sanity", 190 * n_stages + 60, 150 * N_METHODS + 80) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "|map| scaled to its own maximum (one index block per panel, method-major)");
    float *scaled = nn_floats(P);
    for (int k = 0; k < N_METHODS; k++)
        for (int s = 0; s < n_stages; s++) {
            const float *mp = maps[s * N_METHODS + k];
            double hi = fmax(1e-12, nn_fig_abs_max(mp, P));
            for (size_t p = 0; p < P; p++)
                scaled[p] = (float)(fabsf(mp[p]) / hi);
            nn_fig_write_matrix(f, scaled, H, W);
            fprintf(f, "\n\n");
        }
    free(scaled);
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title \"sanity checks: |map| of one image as the layers are "
                     "randomised from the top, and with random labels\\n(each panel on its own scale; rho: Spearman "
                     "rank correlation with the original, mean over the shown images)\" noenhanced font ',9' "
                     "margins 0.02,0.98,0.02,0.9 spacing 0.01,0.045", N_METHODS, n_stages);
    nn_fig_cmd(&fig, "@nn_palette_sequential\nset cbrange [0:1]\nunset colorbox\nunset xtics\nunset ytics\n"
                     "unset grid\nunset key\nset size ratio -1");
    nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", W - 0.5, H - 0.5);
    for (int k = 0; k < N_METHODS; k++)
        for (int s = 0; s < n_stages; s++) {
            if (s == 0)
                nn_fig_cmd(&fig, "set title \"%s: %s\" noenhanced font ',7'", method_names[k], stage_names[s]);
            else
                nn_fig_cmd(&fig, "set title \"%s, rho %.2f\" noenhanced font ',7'", stage_names[s], rho[s][k]);
            nn_fig_cmd(&fig, "plot '%s' index %d matrix with image", nn_fig_path(&fig, NULL), k * n_stages + s);
        }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

static void figure_fgsm(const double *eps, const double *plain, const double *robust, int n_eps, double train_eps)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "fgsm") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "epsilon accuracy_plain accuracy_adversarially_trained");
    for (int e = 0; e < n_eps; e++)
        fprintf(f, "%.6g %.6g %.6g\n", eps[e], 100 * plain[e], 100 * robust[e]);
    nn_fig_cmd(&fig, "set title 'FGSM: test accuracy under attack x + epsilon sign(grad_x J)' noenhanced");
    nn_fig_cmd(&fig, "set xlabel 'epsilon'\nset ylabel 'test accuracy (%%)'\nset yrange [0:100]\nset key top right");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'plain training', \\", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '%s' using 1:3 with linespoints ls 2 title 'adversarial training (epsilon %g)'",
               nn_fig_path(&fig, NULL), train_eps);
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* images (n, H, W) in a grid of `rows` rows; symmetric[s] draws panel s on
 * a diverging scale centred at zero (signed values), else grey on [0, 1]. */
static void figure_images(const char *name, const char *title, const float *images, const char *const *titles,
                          int n, int rows, int H, int W, const int *symmetric)
{
    nn_fig fig;
    int cols = (n + rows - 1) / rows;
    if (nn_fig_begin_sized(&fig, CHAPTER, name, 150 * cols + 80, 160 * rows + 50) != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "one (H, W) image per index block");
    for (int s = 0; s < n; s++) {
        nn_fig_write_matrix(f, images + (size_t)s * H * W, H, W);
        fprintf(f, "\n\n");
    }
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title \"%s\" noenhanced margins 0.02,0.98,0.02,0.84 "
                     "spacing 0.01,0.06", rows, cols, title);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nunset key\nunset colorbox\nset size ratio -1");
    nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", W - 0.5, H - 0.5);
    for (int s = 0; s < n; s++) {
        double hi = fmax(1e-12, nn_fig_abs_max(images + (size_t)s * H * W, (size_t)H * W));
        if (symmetric[s])
            nn_fig_cmd(&fig, "@nn_palette_diverging\nset cbrange [%.6g:%.6g]", -hi, hi);
        else
            nn_fig_cmd(&fig, "@nn_palette_gray\nset cbrange [0:1]");
        nn_fig_cmd(&fig, "set title \"%s\" noenhanced font ',8'", titles[s]);
        nn_fig_cmd(&fig, "plot '%s' index %d matrix with image", nn_fig_path(&fig, NULL), s);
    }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* ======================================================================
 * Section 9. Adversarial examples (deck 004; Goodfellow et al. 2015)
 * ======================================================================
 *
 * The input gradient of the LOSS says how to change the image to make the
 * network wrong.  Deck 004 ("Add Data: Adversarial Training") writes the
 * fast gradient sign method,
 *
 *     x_adv = x + epsilon sign(grad_x J(theta, x, y)),
 *
 * computed by fgsm() above (section 1, because training needs it too) with
 * a clip to [0, 1].  Every pixel moves by at most epsilon, a change a person
 * hardly sees at epsilon = 0.1 on Fashion-MNIST, yet the accuracy falls far.
 * Goodfellow et al.'s explanation is linearity: for a linear score w . x the
 * step changes the score by epsilon ||w||_1, which grows with the number of
 * pixels, however small epsilon is.  Their remedy, adversarial training,
 * trains on FGSM images made with the current weights alongside the clean
 * ones (train() with adv_eps > 0).  The run measures the test accuracy of
 * both networks against epsilon, each attacked with its own gradients
 * (claims fgsm-breaks and adversarial-training-helps). */

/* ---- The run ------------------------------------------------------------------- */
typedef struct {
    const char *load, *save;
    int n_train, n_test, epochs, shown, faith_images;
    int patch, stride, samples, steps;
    const char *fill;
    double noise, epsilon;
} options;

/* Test images to explain: the first correctly classified one of each of
 * the first classes, so the maps explain right answers of different kinds. */
static int pick_images(nn_model *m, const data_sets *d, int *picked, int want)
{
    int K = nn_model_classes(m), n = 0;
    float *logits = nn_floats((size_t)d->test.n * K);
    logits_of(m, logits, d->test.x, d->test.n);
    int taken[256] = {0};
    for (int pass = 0; pass < 2 && n < want; pass++)
        for (int i = 0; i < d->test.n && n < want; i++) {
            int y = d->test.y[i], right = (int)nn_argmax(logits + (size_t)i * K, (size_t)K) == y;
            int used = 0;
            for (int q = 0; q < n; q++)
                used |= picked[q] == i;
            if (used || (pass == 0 && (!right || taken[y])))
                continue;
            picked[n++] = i;
            taken[y] = 1;
        }
    free(logits);
    return n;
}

static nn_model *get_model(const options *o, const data_sets *d, nn_rng *rng)
{
    nn_model *m;
    if (o->load) {
        m = nn_model_load(o->load, BATCH);
        if (!m)
            nn_die_last();
        int C, H, W;
        nn_model_input_shape(m, &C, &H, &W);
        if (C != d->C || H != d->H || W != d->W || nn_model_classes(m) != d->classes)
            nn_die(1, "incompatible model file %s: it takes %d x %d x %d inputs and gives %d classes, but the data "
                      "(%s) are %d x %d x %d images of %d classes: load a model trained on them", o->load, C, H, W,
                   nn_model_classes(m), d->fashion ? "Fashion-MNIST" : "the 8x8 digits", d->C, d->H, d->W,
                   d->classes);
        nn_say("   loaded %s: %s\n", o->load, nn_model_arch(m));
        return m;
    }
    const char *arch = d->fashion ? arch_fashion : arch_digits;
    m = nn_model_new(arch, d->C, d->H, d->W, BATCH);
    if (!m)
        nn_die_last();
    nn_model_init(m, nn_rng_u32(rng));
    train_config tc = {o->epochs, 32, 0.002, 0};
    nn_say("   no --load: training a small CNN here (%d images, %d epochs, Adam): %s\n", d->train.n, o->epochs, arch);
    train(m, &d->train, d->train.y, &tc, rng);
    return m;
}

/* A fresh model of m's architecture, trained with this chapter's recipe on
 * `labels` (adversarially when adv_eps > 0). */
static nn_model *train_like(const nn_model *m, const data_sets *d, const int *labels, int epochs, double adv_eps,
                            nn_rng *rng)
{
    nn_model *fresh = nn_model_clone(m, BATCH);
    nn_model_init(fresh, nn_rng_u32(rng));
    train_config tc = {epochs, 32, 0.002, adv_eps};
    train(fresh, &d->train, labels, &tc, rng);
    return fresh;
}

static int run(const options *o, const nn_common *common)
{
    nn_rng rng = nn_rng_new(common->seed);
    double start = nn_seconds();
    nn_say("Chapter 8: saliency (seed %llu)\n", (unsigned long long)common->seed);

    /* Fail now, not after training, when the figures cannot be written. */
    char fig_dir[1024];
    snprintf(fig_dir, sizeof fig_dir, "%s/plots/%s", common->out_dir, CHAPTER);
    if (nn_mkdirs(fig_dir) != NN_OK)
        nn_die_last();

    /* ---- 1. data and network ---- */
    data_sets d;
    load_data(&d, common->data_dir, o->n_train, o->n_test, &rng);
    if (o->patch > d.H || o->patch > d.W)
        nn_usage_error("--patch %d is larger than the %d x %d images: use at most %d", o->patch, d.H, d.W,
                       d.H < d.W ? d.H : d.W);
    size_t D = (size_t)d.test.d, P = (size_t)d.H * d.W;
    nn_say("\n1. The data and the network\n   %s: %d training and %d test images of %d x %d x %d\n",
           d.fashion ? "Fashion-MNIST" : "8x8 digits (Fashion-MNIST missing)", d.train.n, d.test.n, d.C, d.H, d.W);
    nn_model *m = get_model(o, &d, &rng);
    if (o->save) {
        if (nn_model_save(m, o->save) != NN_OK)
            nn_die_last();
        nn_say("   saved to %s\n", o->save);
    }
    double acc = accuracy(m, d.test.x, d.test.y, d.test.n);
    nn_say("   %zu parameters; test accuracy %.1f%%\n", nn_model_param_count(m), 100 * acc);
    nn_claim(acc > 3.0 / d.classes, "model-learns",
             "the network classifies %.1f%% of the test images correctly, far above the %.0f%% of guessing",
             100 * acc, 100.0 / d.classes);

    int picked[N_SHOWN_MAX];
    int n_shown = pick_images(m, &d, picked, o->shown);
    int cls[N_SHOWN_MAX], pred[N_SHOWN_MAX];
    float *shown = nn_floats((size_t)n_shown * D);
    for (int s = 0; s < n_shown; s++) {
        nn_copy(shown + s * D, d.test.x + (size_t)picked[s] * D, D);
        float logits[256];
        logits_of(m, logits, shown + s * D, 1);
        pred[s] = (int)nn_argmax(logits, (size_t)d.classes);
        cls[s] = pred[s];           /* explain the class the network predicts */
    }
    nn_say("   explaining %d test images:", n_shown);
    for (int s = 0; s < n_shown; s++)
        nn_say(" #%d %s%s", picked[s], d.train.class_names[d.test.y[picked[s]]], s + 1 < n_shown ? "," : "\n");

    method_config cfg = {o->patch, o->stride, FILL_ZERO, o->samples, o->noise, o->steps, d.mean_image};
    for (int f = 0; fill_names[f]; f++)
        if (!strcmp(o->fill, fill_names[f]))
            cfg.fill = (fill_kind)f;

    /* ---- 2. occlusion ---- */
    nn_say("\n2. Occlusion (Zeiler and Fergus 2014): %dx%d patch, stride %d\n", o->patch, o->patch, o->stride);
    {
        float *map = nn_floats(P), *fill = nn_floats(D);
        const float *x = shown;
        nn_say("   image 1 (%s), P(class) = %.3f; largest mean drop of P(class) per fill:\n",
               d.train.class_names[cls[0]], class_probability(m, x, cls[0]));
        for (int f = 0; fill_names[f]; f++) {
            make_fill(fill, (fill_kind)f, x, d.mean_image, d.C, d.H, d.W);
            int n_pos = occlusion_map(m, map, x, cls[0], fill, o->patch, o->stride);
            size_t top = nn_argmax(map, P);
            nn_say("     %-5s %3d patch positions, largest drop %+.3f at pixel (%zu, %zu)%s\n", fill_names[f], n_pos,
                   map[top], top / d.W, top % d.W, (fill_kind)f == cfg.fill ? "   (used below: --fill)" : "");
        }
        free(map);
        free(fill);
    }

    /* ---- 3. gradient, checked by central differences ---- */
    nn_say("\n3. The gradient of the class score (Simonyan et al. 2014) and gradient x input\n");
    {
        /* Central differences on 16 pixels, the 8 of largest |gradient| and
         * 8 more at random: (S(x + h e_q) - S(x - h e_q)) / 2h, h = 1e-3
         * (small, so that few ReLUs switch within +-h; float scores of size
         * 10 then carry a rounding error of about 1e-6 / 1e-3 = 1e-3).
         * Not on the image itself: its black background feeds exactly equal
         * values (the bias of a filter over zeros) into the max pools, and
         * at such a tie the score has a kink (the slope to the right is not
         * the slope to the left); central differences average the two,
         * backpropagation takes the first position's.  A little noise,
         * N(0, 0.05^2), moves the check to a point where the gradient exists. */
        float *x = nn_floats(D), *g = nn_floats(D);
        nn_rng_fill_normal(&rng, x, D, 0, 0.05);
        nn_axpy(x, 1, shown, D);
        score_gradients(m, g, x, 1, cls[0]);
        int idx[16];
        float *absg = nn_floats(D);
        abs_floats(absg, g, D);
        int *order = malloc(sizeof(int) * D);
        order_by_map(order, absg, (int)D);
        for (int q = 0; q < 8; q++)
            idx[q] = order[q];
        for (int q = 8; q < 16; q++)
            idx[q] = (int)nn_rng_below(&rng, (uint32_t)D);
        double analytic[16], numeric[16];
        for (int q = 0; q < 16; q++) {
            float saved = x[idx[q]];
            x[idx[q]] = saved + 1e-3f;
            double up = class_score(m, x, cls[0]);
            x[idx[q]] = saved - 1e-3f;
            double down = class_score(m, x, cls[0]);
            x[idx[q]] = saved;
            numeric[q] = (up - down) / ((double)(saved + 1e-3f) - (double)(saved - 1e-3f));
            analytic[q] = g[idx[q]];
        }
        /* A pixel agrees when the two differ by less than 1% of their size,
         * plus 5e-4 for the rounding of the float scores (measured: 1e-4).  A ReLU
         * whose input is within about |w| h of zero switches inside +-h, and
         * there the difference quotient averages two slopes: it is wrong, not
         * the gradient.  The pixels of largest gradient feed the most units,
         * so one to four of them meet such a switch.  The claim is therefore
         * about the median pixel: a wrong gradient (a missing term, a wrong
         * route through a pool) would be wrong at most pixels, not a few. */
        int agree = 0;
        double rel_diff[16];
        for (int q = 0; q < 16; q++) {
            double size = fabs(analytic[q]) + fabs(numeric[q]);
            agree += fabs(analytic[q] - numeric[q]) <= 1e-2 * size + 5e-4;
            rel_diff[q] = fabs(analytic[q] - numeric[q]) / (size + 5e-2);
        }
        qsort(rel_diff, 16, sizeof(double), compare_doubles);
        double median = 0.5 * (rel_diff[7] + rel_diff[8]);
        double err = nn_rel_error(analytic, numeric, 16, NULL);
        nn_say("   dS/dx at 16 pixels against central differences (h = 0.001): %d agree within 1%%, the median\n"
               "   pixel differs by %.1e of the two's size, relative error over all 16 %.1e\n", agree, median, err);
        nn_claim(median < 1e-2, "gradient-check",
                 "the input gradient from one backward pass agrees with central differences: at the median of 16 "
                 "pixels they differ by %.1e of their size (%d of 16 within 1%%)", median, agree);
        /* Score versus probability: the softmax saturates. */
        double p = class_probability(m, shown, cls[0]);
        nn_say("   for this image P(class) = %.4f: the probability's gradient carries the factor P (1 - P) and\n"
               "   the other classes' gradients; the score's gradient is what supports the class alone\n", p);
        free(x); free(g); free(absg); free(order);
    }

    /* ---- 4, 5, 6. all maps of the shown images ---- */
    float *maps[N_METHODS];
    for (int k = 0; k < N_METHODS; k++) {
        maps[k] = nn_floats((size_t)n_shown * P);
        for (int s = 0; s < n_shown; s++) {
            nn_rng map_rng = nn_rng_new(common->seed * 1000 + (uint64_t)s);
            explain(m, (method)k, maps[k] + s * P, shown + s * D, cls[s], &cfg, &map_rng);
        }
    }
    nn_say("\n4. SmoothGrad (Smilkov et al. 2017): %d noisy copies, sigma = %.2f of the range\n", o->samples, o->noise);
    {
        /* How speckled is a map?  Total variation: mean |M_ij - M_i,j+1| +
         * |M_ij - M_i+1,j| relative to the mean |M|. */
        double tv[2] = {0, 0};
        int which[2] = {M_GRADIENT, M_SMOOTHGRAD};
        for (int w = 0; w < 2; w++)
            for (int s = 0; s < n_shown; s++) {
                const float *mp = maps[which[w]] + s * P;
                double var = 0, mass = 0;
                for (int i = 0; i < d.H; i++)
                    for (int j = 0; j < d.W; j++) {
                        mass += fabsf(mp[i * d.W + j]);
                        if (j + 1 < d.W)
                            var += fabsf(mp[i * d.W + j] - mp[i * d.W + j + 1]);
                        if (i + 1 < d.H)
                            var += fabsf(mp[i * d.W + j] - mp[(i + 1) * d.W + j]);
                    }
                tv[w] += var / fmax(mass, 1e-12) / n_shown;
            }
        nn_say("   roughness (total variation / total |M|, mean over images): gradient %.2f, SmoothGrad %.2f\n",
               tv[0], tv[1]);
        nn_claim(tv[1] < tv[0], "smoothgrad-smoother",
                 "SmoothGrad's maps are smoother than the plain gradient's (roughness %.2f against %.2f)", tv[1],
                 tv[0]);
    }

    nn_say("\n5. Integrated Gradients (Sundararajan et al. 2017): completeness against the step count\n");
    {
        static const int step_counts[] = {2, 4, 8, 16, 32, 64, 128};
        enum { N_COUNTS = sizeof step_counts / sizeof step_counts[0] };
        double gap[N_COUNTS] = {0};
        float *zero = nn_floats(D);
        nn_say("   %6s  %s\n", "steps", "mean |sum IG - (S(x) - S(0))| / |S(x) - S(0)| over the shown images");
        for (int q = 0; q < N_COUNTS; q++) {
            for (int s = 0; s < n_shown; s++)
                gap[q] += completeness_gap(m, shown + s * D, zero, cls[s], step_counts[q]) / n_shown;
            nn_say("   %6d  %.4f\n", step_counts[q], gap[q]);
        }
        double at_default = 0;
        for (int s = 0; s < n_shown; s++)
            at_default += completeness_gap(m, shown + s * D, zero, cls[s], o->steps) / n_shown;
        nn_say("   at --steps %d: %.4f\n", o->steps, at_default);
        nn_claim(gap[N_COUNTS - 1] < gap[0] && gap[N_COUNTS - 1] < 0.05, "ig-completeness",
                 "the completeness gap of Integrated Gradients falls from %.3f at 2 steps to %.4f at 128, "
                 "within the paper's 5%%", gap[0], gap[N_COUNTS - 1]);
        free(zero);
    }

    nn_say("\n6. Grad-CAM (Selvaraju et al. 2017)\n");
    int cam_layer = gradcam_layer(m);
    if (cam_layer < 0) {
        nn_say("   this model has no convolutional layer: Grad-CAM maps are left empty\n");
    } else {
        nn_layer_info info = nn_model_layer(m, cam_layer);
        nn_say("   on layer %d (%s): %d maps of %d x %d, scaled up to %d x %d\n", cam_layer, info.name, info.out_c,
               info.out_h, info.out_w, d.H, d.W);
    }
    figure_maps(&d, shown, pred, n_shown, maps);

    /* ---- 7. deletion and insertion ---- */
    enum { T = 32 };
    int n_faith = o->faith_images < d.test.n ? o->faith_images : d.test.n;
    nn_say("\n7. Faithfulness: deletion and insertion curves (Petsiuk et al. 2018), %d test images, %d steps\n",
           n_faith, T);
    double del[N_METHODS + 1][65] = {{0}}, ins[N_METHODS + 1][65] = {{0}};
    double auc_del[N_METHODS + 1] = {0}, auc_ins[N_METHODS + 1] = {0};
    {
        float *map = nn_floats(P), *logits = nn_floats((size_t)d.classes);
        int *order = malloc(sizeof(int) * P);
        double one_del[T + 1], one_ins[T + 1];
        for (int i = 0; i < n_faith; i++) {
            const float *x = d.test.x + (size_t)i * D;
            logits_of(m, logits, x, 1);
            int c = (int)nn_argmax(logits, (size_t)d.classes);
            for (int k = 0; k <= N_METHODS; k++) {
                if (k < N_METHODS) {
                    nn_rng map_rng = nn_rng_new(common->seed * 7919 + (uint64_t)i);
                    explain(m, (method)k, map, x, c, &cfg, &map_rng);
                    order_by_map(order, map, (int)P);
                } else {
                    nn_rng_permutation(&rng, order, P);
                }
                deletion_insertion(m, one_del, one_ins, x, c, order, T);
                for (int t = 0; t <= T; t++) {
                    del[k][t] += one_del[t] / n_faith;
                    ins[k][t] += one_ins[t] / n_faith;
                }
            }
        }
        free(map); free(logits); free(order);
    }
    nn_say("   %-22s %14s %15s\n", "order", "deletion AUC", "insertion AUC");
    for (int k = 0; k <= N_METHODS; k++) {
        auc_del[k] = area_under(del[k], T);
        auc_ins[k] = area_under(ins[k], T);
        nn_say("   %-22s %14.3f %15.3f\n", k < N_METHODS ? method_names[k] : "random order", auc_del[k], auc_ins[k]);
    }
    nn_say("   (deletion: lower is more faithful; insertion: higher)\n");
    {
        /* The three maps that weigh pixels by their contribution (and are 0
         * on the black background) against random order. */
        const int faithful[3] = {M_OCCLUSION, M_GRAD_X_INPUT, M_IG};
        int beat = 1;
        double worst_del = 0, worst_ins = 1;
        for (int q = 0; q < 3; q++) {
            beat &= auc_del[faithful[q]] < 0.8 * auc_del[N_METHODS] && auc_ins[faithful[q]] > auc_ins[N_METHODS];
            worst_del = fmax(worst_del, auc_del[faithful[q]]);
            worst_ins = fmin(worst_ins, auc_ins[faithful[q]]);
        }
        nn_claim(beat, "faithful-beats-random",
                 "occlusion, gradient x input and Integrated Gradients are more faithful than a random order: "
                 "deletion AUC at most %.3f against %.3f, insertion AUC at least %.3f against %.3f", worst_del,
                 auc_del[N_METHODS], worst_ins, auc_ins[N_METHODS]);
        nn_claim(auc_del[M_GRADIENT] > auc_del[M_IG], "gradient-less-faithful",
                 "the plain gradient's order deletes less effectively than Integrated Gradients' (deletion AUC %.3f "
                 "against %.3f): it ranks high the background pixels whose deletion changes nothing",
                 auc_del[M_GRADIENT], auc_del[M_IG]);
    }
    figure_curves(del, ins, T);

    /* ---- 8. sanity checks ---- */
    nn_say("\n8. Sanity checks (Adebayo et al. 2018): Spearman rank correlation of |map| with the original\n");
    {
        int weighted[16], n_weighted = 0;
        for (int l = nn_model_layer_count(m) - 1; l >= 0 && n_weighted < 16; l--) {
            nn_layer_kind kind = nn_model_layer(m, l).kind;
            if (kind == NN_LAYER_CONV || kind == NN_LAYER_DENSE)
                weighted[n_weighted++] = l;
        }
        int n_stages = n_weighted + 2 < MAX_STAGES ? n_weighted + 2 : MAX_STAGES;
        char stage_label[MAX_STAGES][64];
        const char *stage_names[MAX_STAGES];
        snprintf(stage_label[0], sizeof stage_label[0], "original");
        for (int s = 1; s + 1 < n_stages; s++)
            snprintf(stage_label[s], sizeof stage_label[s], "to %s",
                     nn_model_layer(m, weighted[s - 1]).name);
        snprintf(stage_label[n_stages - 1], sizeof stage_label[0], "random labels");
        for (int s = 0; s < n_stages; s++)
            stage_names[s] = stage_label[s];
        double rho[MAX_STAGES][N_METHODS] = {{0}};
        float *grid[MAX_STAGES * N_METHODS];
        for (int q = 0; q < n_stages * N_METHODS; q++)
            grid[q] = nn_floats(P);
        float *orig = nn_floats((size_t)n_shown * N_METHODS * P), *now = nn_floats(P);
        float *absa = nn_floats(P), *absb = nn_floats(P);
        for (int s = 0; s < n_shown; s++)
            for (int k = 0; k < N_METHODS; k++)
                nn_copy(orig + ((size_t)s * N_METHODS + k) * P, maps[k] + s * P, P);
        for (int k = 0; k < N_METHODS; k++) {
            nn_copy(grid[k], maps[k], P);
            rho[0][k] = 1;
        }
        nn_model *r = nn_model_clone(m, BATCH);
        nn_rng init_rng = nn_rng_new(common->seed + 101);
        int *shuffled = malloc(sizeof(int) * (size_t)d.train.n);
        for (int stage = 1; stage < n_stages; stage++) {
            nn_model *subject = r;
            if (stage + 1 < n_stages) {
                nn_model_init_layer(r, weighted[stage - 1], &init_rng);
            } else {
                /* The same architecture and recipe, trained on labels in a
                 * random order. */
                for (int i = 0; i < d.train.n; i++)
                    shuffled[i] = d.train.y[i];
                nn_rng_shuffle(&rng, shuffled, (size_t)d.train.n);
                subject = train_like(m, &d, shuffled, o->epochs, 0, &rng);
                double acc_random = accuracy(subject, d.test.x, d.test.y, d.test.n);
                nn_say("   trained on shuffled labels: test accuracy %.1f%% (guessing: %.0f%%)\n", 100 * acc_random,
                       100.0 / d.classes);
                nn_claim(acc_random < 2.0 / d.classes, "random-labels-chance",
                         "the model trained on shuffled labels classifies %.1f%% of the test images correctly, "
                         "no better than about guessing (%.0f%%)", 100 * acc_random, 100.0 / d.classes);
            }
            for (int k = 0; k < N_METHODS; k++)
                for (int s = 0; s < n_shown; s++) {
                    nn_rng map_rng = nn_rng_new(common->seed * 1000 + (uint64_t)s);
                    explain(subject, (method)k, now, shown + s * D, cls[s], &cfg, &map_rng);
                    if (s == 0)
                        nn_copy(grid[stage * N_METHODS + k], now, P);
                    abs_floats(absa, orig + ((size_t)s * N_METHODS + k) * P, P);
                    abs_floats(absb, now, P);
                    rho[stage][k] += spearman(absa, absb, (int)P) / n_shown;
                }
            if (subject != r)
                nn_model_free(subject);
        }
        nn_say("   %-22s", "method");
        for (int s = 1; s < n_stages; s++)
            nn_say(" %*s", (int)(strlen(stage_names[s]) > 8 ? strlen(stage_names[s]) : 8), stage_names[s]);
        nn_say("\n");
        for (int k = 0; k < N_METHODS; k++) {
            nn_say("   %-22s", method_names[k]);
            for (int s = 1; s < n_stages; s++)
                nn_say(" %*.2f", (int)(strlen(stage_names[s]) > 8 ? strlen(stage_names[s]) : 8), rho[s][k]);
            nn_say("\n");
        }
        int full = n_stages - 2;   /* every weighted layer randomised */
        nn_claim(rho[full][M_GRAD_X_INPUT] > rho[full][M_GRADIENT] && rho[full][M_IG] > rho[full][M_GRADIENT],
                 "gxi-survives",
                 "with every layer randomised, gradient x input and Integrated Gradients still correlate with their "
                 "original maps (rho %.2f and %.2f) more than the plain gradient does (rho %.2f): multiplying by "
                 "the image keeps the image", rho[full][M_GRAD_X_INPUT], rho[full][M_IG], rho[full][M_GRADIENT]);
        nn_claim(rho[full][M_GRADIENT] < 0.5 && rho[full][M_GRADCAM] < 0.5, "gradient-changes",
                 "the plain gradient and Grad-CAM fail to survive the randomisation of every layer "
                 "(rho %.2f and %.2f): they depend on the weights", rho[full][M_GRADIENT], rho[full][M_GRADCAM]);
        figure_sanity(&d, stage_names, n_stages, grid, rho);
        for (int q = 0; q < n_stages * N_METHODS; q++)
            free(grid[q]);
        free(orig); free(now); free(absa); free(absb); free(shuffled);
        nn_model_free(r);
    }

    /* ---- 9. FGSM ---- */
    nn_say("\n9. Adversarial examples: FGSM (Goodfellow et al. 2015), x + epsilon sign(grad_x J)\n");
    {
        double eps_list[] = {0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, o->epsilon};
        int n_eps = 8;
        if (o->epsilon == 0.1 || o->epsilon == 0.05 || o->epsilon == 0.2 || o->epsilon == 0.02 ||
            o->epsilon == 0.15 || o->epsilon == 0.3)
            n_eps = 7;
        for (int a = 1; a < n_eps; a++)   /* keep the list sorted */
            for (int b = a; b > 0 && eps_list[b] < eps_list[b - 1]; b--) {
                double t = eps_list[b];
                eps_list[b] = eps_list[b - 1];
                eps_list[b - 1] = t;
            }
        nn_say("   adversarial training: the same recipe on clean + FGSM images (epsilon %g)\n", o->epsilon);
        nn_model *robust = train_like(m, &d, d.train.y, o->epochs, o->epsilon, &rng);
        double plain_acc[8], robust_acc[8];
        float *adv = nn_floats((size_t)d.test.n * D);
        nn_say("   %8s %16s %22s\n", "epsilon", "plain training", "adversarial training");
        double plain_at = 0, robust_at = 0;
        for (int e = 0; e < n_eps; e++) {
            for (int pass = 0; pass < 2; pass++) {
                nn_model *who = pass ? robust : m;
                for (int s = 0; s < d.test.n; s += BATCH) {
                    int b = d.test.n - s < BATCH ? d.test.n - s : BATCH;
                    fgsm(who, adv + (size_t)s * D, d.test.x + (size_t)s * D, d.test.y + s, b, eps_list[e], 0, NULL);
                }
                double a = accuracy(who, eps_list[e] > 0 ? adv : d.test.x, d.test.y, d.test.n);
                (pass ? robust_acc : plain_acc)[e] = a;
            }
            nn_say("   %8.3f %15.1f%% %21.1f%%\n", eps_list[e], 100 * plain_acc[e], 100 * robust_acc[e]);
            if (eps_list[e] == o->epsilon) {
                plain_at = plain_acc[e];
                robust_at = robust_acc[e];
            }
        }
        nn_claim(plain_at < 2.0 / 3 * plain_acc[0], "fgsm-breaks",
                 "FGSM with epsilon %g, a change of at most %g per pixel, takes more than a third of the plain "
                 "network's test accuracy: from %.1f%% to %.1f%%", o->epsilon, o->epsilon, 100 * plain_acc[0],
                 100 * plain_at);
        nn_claim(robust_at > plain_at + 0.05, "adversarial-training-helps",
                 "adversarial training raises the accuracy on FGSM images (epsilon %g) by more than 5 points, from "
                 "%.1f%% to %.1f%% (clean: %.1f%% against %.1f%%)", o->epsilon, 100 * plain_at, 100 * robust_at,
                 100 * robust_acc[0], 100 * plain_acc[0]);
        figure_fgsm(eps_list, plain_acc, robust_acc, n_eps, o->epsilon);

        /* Examples: clean, the perturbation eps sign(grad), adversarial. */
        int n_ex = n_shown < 4 ? n_shown : 4;
        float *panels = nn_floats((size_t)3 * n_ex * P), *one = nn_floats(D);
        char titles[12][96];
        const char *title_ptr[12];
        for (int s = 0; s < n_ex; s++) {
            int y = d.test.y[picked[s]];
            fgsm(m, one, shown + s * D, &y, 1, o->epsilon, 0, NULL);
            float logits[256];
            logits_of(m, logits, one, 1);
            int adv_pred = (int)nn_argmax(logits, (size_t)d.classes);
            for (size_t p = 0; p < P; p++) {   /* channel 0 is shown */
                panels[(size_t)s * P + p] = shown[s * D + p];
                panels[(size_t)(n_ex + s) * P + p] = one[p] - shown[s * D + p];
                panels[(size_t)(2 * n_ex + s) * P + p] = one[p];
            }
            snprintf(titles[s], sizeof titles[s], "clean: %s", d.train.class_names[pred[s]]);
            snprintf(titles[n_ex + s], sizeof titles[0], "perturbation (clipped)");
            snprintf(titles[2 * n_ex + s], sizeof titles[0], "adversarial: %s", d.train.class_names[adv_pred]);
        }
        for (int q = 0; q < 3 * n_ex; q++)
            title_ptr[q] = titles[q];
        char title[128];
        snprintf(title, sizeof title, "FGSM examples, epsilon %g: image, perturbation, adversarial image",
                 o->epsilon);
        int signed_row[12] = {0};
        for (int s = 0; s < n_ex; s++)
            signed_row[n_ex + s] = 1;   /* the perturbation: signed, on a scale centred at zero */
        figure_images("fgsm-examples", title, panels, title_ptr, 3 * n_ex, 3, d.H, d.W, signed_row);
        free(panels); free(one); free(adv);
        nn_model_free(robust);
    }

    /* ---- 10. class models ---- */
    nn_say("\n10. Class model visualisation (Simonyan et al. 2014): gradient ascent, %d steps, eta %g, lambda %g\n",
           CM_STEPS, CM_ETA, CM_LAMBDA);
    {
        float *imgs = nn_floats((size_t)d.classes * D), *show = nn_floats((size_t)d.classes * P);
        char titles[16][64];
        const char *title_ptr[16];
        int recognised = 0;
        double min_p = 1;
        class_models(m, imgs, CM_STEPS, CM_ETA, CM_LAMBDA);
        for (int c = 0; c < d.classes; c++) {
            double p = class_probability(m, imgs + (size_t)c * D, c);
            float logits[256];
            logits_of(m, logits, imgs + (size_t)c * D, 1);
            recognised += (int)nn_argmax(logits, (size_t)d.classes) == c;
            min_p = fmin(min_p, p);
            nn_copy(show + (size_t)c * P, imgs + (size_t)c * D, P);
            snprintf(titles[c], sizeof titles[c], "%s, P %.2f", d.train.class_names[c], p);
            title_ptr[c] = titles[c];
        }
        nn_say("   %d of %d class images are classified as their class; the lowest P(class) is %.3f\n", recognised,
               d.classes, min_p);
        nn_claim(recognised == d.classes, "class-models",
                 "every class model image is classified as its own class (lowest probability %.2f)", min_p);
        int all_signed[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
        figure_images("classmodel", "class model images: argmax_I S_c(I) - lambda ||I||^2 (blue < 0 < red)", show,
                      title_ptr, d.classes, 2, d.H, d.W, all_signed);
        free(imgs);
        free(show);
    }

    nn_say("\nFigures written under %s/plots/%s/ (%.1f s)\n", common->out_dir, CHAPTER, nn_seconds() - start);
    for (int k = 0; k < N_METHODS; k++)
        free(maps[k]);
    free(shown);
    nn_model_free(m);
    free_data(&d);
    nn_conv_free_workspace();
    return 0;
}

#ifndef CH08_NO_MAIN
int main(int argc, char **argv)
{
    options o = {NULL, NULL, 3000, 500, 3, 4, 40, 4, 2, 16, 32, "zero", 0.15, 0.1};
    nn_option table[] = {
        NN_OPT_STRING("load", "FILE", "explain the model in FILE (saved by ch07-cnn --save); default: train one",
                      &o.load),
        NN_OPT_STRING("save", "FILE", "save the model explained here to FILE", &o.save),
        NN_OPT_INT("train", "N", "training images when a model is trained here", &o.n_train, 100,
                   60000),
        NN_OPT_INT("test", "N", "test images for accuracies", &o.n_test, 20, 10000),
        NN_OPT_INT("epochs", "N", "training epochs", &o.epochs, 1, 100),
        NN_OPT_INT("images", "N", "test images whose maps are shown", &o.shown, 1, N_SHOWN_MAX),
        NN_OPT_INT("faith-images", "N", "test images in the deletion/insertion curves", &o.faith_images,
                   1, 1000),
        NN_OPT_INT("patch", "P", "occlusion patch side in pixels", &o.patch, 1, MAX_SIDE),
        NN_OPT_INT("stride", "S", "occlusion stride in pixels", &o.stride, 1, MAX_SIDE),
        NN_OPT_CHOICE("fill", "KIND", "occlusion fill: zero, the training mean, or a blurred copy", &o.fill, fill_names),
        NN_OPT_INT("samples", "N", "SmoothGrad noisy copies", &o.samples, 1, 1000),
        NN_OPT_DOUBLE("noise", "SIGMA", "SmoothGrad noise, a fraction of the pixel range", &o.noise, 0,
                      1),
        NN_OPT_INT("steps", "M", "Integrated Gradients steps", &o.steps, 1, 1024),
        NN_OPT_DOUBLE("epsilon", "EPS", "FGSM epsilon for examples and adversarial training",
                      &o.epsilon, 0.001, 1),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch08-saliency", "Chapter 8: saliency maps, their sanity checks, adversarial examples",
                 table, &common);
    return run(&o, &common);
}
#endif
