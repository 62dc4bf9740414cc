/* Chapter 9: SHAP values, and interpreting a model through its predictions
 * =========================================================================
 *
 * A trained network answers "what is y for this x?" but not "why?".  This
 * chapter asks the second question of the kit's own networks, two ways:
 *
 *   - through the prediction of one observation: how much did each feature
 *     push this prediction away from the average one?  SHAP values (SHapley
 *     Additive exPlanations, deck 000) answer with game theory: the features
 *     are players, the prediction is the payout, and each player gets its
 *     Shapley value, its average marginal contribution over all coalitions;
 *   - through predictions in general (deck 001, "Visualizing the Black
 *     Box"): vary the inputs and watch the outputs.  Permutation importance,
 *     a surrogate tree, the prediction against one predictor (at the means,
 *     at every observation's values, and their average), two predictors as a
 *     map, and bootstrap bands for all of it.
 *
 *   section 1  the networks: a small MLP from the library's layers
 *   section 2  deck 000's worked example: income on age, gender and job,
 *              8 models retrained on every subset of the features
 *   section 3  Shapley values of one fixed model: the interventional value
 *              function, exact enumeration, the axioms, the linear closed form,
 *              retraining vs filling in
 *   section 4  a synthetic set whose true effects are known: do the values
 *              of a trained network find them?  (beeswarm, bars, dependence)
 *   section 5  too many features to enumerate: permutation sampling and
 *              KernelSHAP, their error against the exact values; the
 *              30-feature breast cancer model; log-odds vs probabilities
 *   section 6  deck 001's variable importance: permutation importance with
 *              its spread, correlated features, a surrogate decision tree
 *   section 7  deck 001's interpretation through predictions: at the means,
 *              ICE, partial dependence, two predictors, bootstrap bands
 *
 * Notation: M features, numbered 0..M-1 as in the code (x0, x1, ... in
 * sections 3 and 4 are features; section 2 follows deck 000, where x0 is
 * the observation explained), x the observation explained, f the model, S
 * a coalition (a subset of the features), v(S) the value of a coalition,
 * phi_i the SHAP value of feature i (deck 000's SHAP_i(x)), and the base
 * value E f(X), written as such (not phi_0: phi_0 is feature 0's value).
 *
 * Build and run:   make ch09-shap && ./ch09-shap
 * Figures:         make figures   (or run it with --out DIR, then gnuplot each
 *                  script under DIR/plots/09-shap from DIR)
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define CHAPTER "09-shap"

/* Exact enumeration evaluates 2^M coalitions; past this many features the
 * chapter refuses and names the approximations (section 5). */
#define MAX_EXACT_FEATURES 16
/* Feature counts up to 64 fit the bit masks that name coalitions. */
#define MAX_FEATURES 64

/* Every sentence of this chapter that states a result of its own run is
 * printed as a claim (lib/nn_claim.h): "claim ID: PASS|FAIL sentence", with
 * the numbers of this run; the run test checks that every claim passes for
 * seeds 1, 2 and 3. */

/* ======================================================================
 * Section 1. The networks
 * ======================================================================
 *
 * Everything in this chapter explains a model f through its predictions
 * only, so any model will do; the one explained is always this small MLP,
 * built from the library's layers (chapter 2 derived them):
 *
 *     z = (x - mean) / std                       inputs standardised
 *     a = tanh(W^1 z + b^1)                      H hidden units
 *     o = W^2 a + b^2                            one output
 *     f(x) = t_mean + t_std o                    regression: back to the target's units
 *     f(x) = o                                   classification: the log-odds of class 1
 *
 * The standardisation is part of the model, so f takes raw feature values:
 * explanations fill in and vary raw values, in the units a reader knows.
 * tanh keeps f smooth, which makes the curves of section 7 readable. */
typedef struct {
    int D, H;                 /* inputs, hidden units */
    int classify;             /* 1: output is a logit, trained with BCE */
    float *params, *grads;    /* (n_params) each, one allocation per role */
    size_t n_params;
    float *W1, *b1, *W2, *b2; /* (H, D), (H), (1, H), (1) inside params */
    float *dW1, *db1, *dW2, *db2;
    double *x_mean, *x_std;   /* (D) fitted on the training set */
    double t_mean, t_std;     /* target scale (regression); 0 and 1 otherwise */
    float *z, *pre, *act, *o; /* scratch for a chunk of rows: (CHUNK, D), (CHUNK, H) x 2, (CHUNK) */
} mlp;

enum { CHUNK = 1024 };

static void mlp_alloc(mlp *net, int D, int H, int classify)
{
    nn_piece params[] = {{"W1", (size_t)H * D, &net->W1}, {"b1", (size_t)H, &net->b1},
                         {"W2", (size_t)H, &net->W2}, {"b2", 1, &net->b2}};
    nn_piece grads[] = {{"dW1", (size_t)H * D, &net->dW1}, {"db1", (size_t)H, &net->db1},
                        {"dW2", (size_t)H, &net->dW2}, {"db2", 1, &net->db2}};
    net->D = D;
    net->H = H;
    net->classify = classify;
    net->params = nn_alloc_pieces(params, 4, &net->n_params);
    net->grads = nn_alloc_pieces(grads, 4, NULL);
    net->x_mean = nn_doubles((size_t)D);
    net->x_std = nn_doubles((size_t)D);
    for (int j = 0; j < D; j++)
        net->x_std[j] = 1;
    net->t_mean = 0;
    net->t_std = 1;
    net->z = nn_floats((size_t)CHUNK * (D > 0 ? D : 1));
    net->pre = nn_floats((size_t)CHUNK * H);
    net->act = nn_floats((size_t)CHUNK * H);
    net->o = nn_floats(CHUNK);
}

static void mlp_free(mlp *net)
{
    free(net->params);
    free(net->grads);
    free(net->x_mean);
    free(net->x_std);
    free(net->z);
    free(net->pre);
    free(net->act);
    free(net->o);
}

/* Forward pass of n <= CHUNK rows; leaves z, pre, act, o for backward. */
static void mlp_forward_chunk(mlp *net, const float *x, int n)
{
    int D = net->D, H = net->H;
    for (int r = 0; r < n; r++)
        for (int j = 0; j < D; j++)
            net->z[(size_t)r * D + j] = (float)((x[(size_t)r * D + j] - net->x_mean[j]) / net->x_std[j]);
    nn_dense_forward(net->pre, net->z, net->W1, net->b1, n, D, H);
    nn_act_forward(NN_TANH, net->act, net->pre, (size_t)n * H);
    nn_dense_forward(net->o, net->act, net->W2, net->b2, n, H, 1);
}

/* f(x) for n rows of raw features x (n, D), in chunks. */
static void mlp_predict(mlp *net, const float *x, int n, float *out)
{
    for (int start = 0; start < n; start += CHUNK) {
        int m = n - start < CHUNK ? n - start : CHUNK;
        mlp_forward_chunk(net, x + (size_t)start * net->D, m);
        for (int r = 0; r < m; r++)
            out[start + r] = (float)(net->t_mean + net->t_std * net->o[r]);
    }
}

typedef struct {
    int hidden, epochs, batch;
    double lr;
} train_options;

/* Mini-batch Adam (chapter 3) on the mean squared error of the standardised
 * target, or on the binary cross-entropy of the logit.  The initial weights
 * are N(0, 1/fan_in) (Xavier's scale for tanh), drawn from `seed`, so the
 * same seed trains the same network.  NN_ERR on divergence. */
static int mlp_train(mlp *net, const float *X, const float *t, int n, int D, int classify,
                     const train_options *o, uint64_t seed)
{
    nn_rng rng = nn_rng_new(seed);
    mlp_alloc(net, D, o->hidden, classify);
    nn_rng_fill_normal(&rng, net->W1, (size_t)o->hidden * D, 0, sqrt(1.0 / (D > 0 ? D : 1)));
    nn_rng_fill_normal(&rng, net->W2, (size_t)o->hidden, 0, sqrt(1.0 / o->hidden));
    for (int j = 0; j < D; j++) {
        double sum = 0, sq = 0;
        for (int r = 0; r < n; r++)
            sum += X[(size_t)r * D + j];
        double mean = sum / n;
        for (int r = 0; r < n; r++)
            sq += (X[(size_t)r * D + j] - mean) * (X[(size_t)r * D + j] - mean);
        net->x_mean[j] = mean;
        net->x_std[j] = sq > 0 ? sqrt(sq / n) : 1;
    }
    if (!classify) {
        double sum = 0, sq = 0;
        for (int r = 0; r < n; r++)
            sum += t[r];
        net->t_mean = sum / n;
        for (int r = 0; r < n; r++)
            sq += (t[r] - net->t_mean) * (t[r] - net->t_mean);
        net->t_std = sq > 0 ? sqrt(sq / n) : 1;
    }
    nn_optim opt;
    nn_optim_config cfg = nn_optim_defaults(NN_ADAM, o->lr);
    if (nn_optim_init(&opt, &cfg, net->n_params) != NN_OK)
        return NN_ERR;
    int B = o->batch < n ? o->batch : n;
    int *order = nn_malloc((size_t)n * sizeof *order);
    float *xb = nn_floats((size_t)B * (D > 0 ? D : 1)), *tb = nn_floats((size_t)B), *d_o = nn_floats((size_t)B);
    float *d_act = nn_floats((size_t)B * o->hidden), *d_pre = nn_floats((size_t)B * o->hidden);
    int status = NN_OK;
    nn_rng_permutation(&rng, order, (size_t)n);
    for (int epoch = 0; epoch < o->epochs && status == NN_OK; epoch++) {
        nn_rng_shuffle(&rng, order, (size_t)n);
        for (int start = 0; start + B <= n && status == NN_OK; start += B) {
            for (int r = 0; r < B; r++) {
                int i = order[start + r];
                memcpy(xb + (size_t)r * D, X + (size_t)i * D, (size_t)D * sizeof *xb);
                tb[r] = classify ? t[i] : (float)((t[i] - net->t_mean) / net->t_std);
            }
            mlp_forward_chunk(net, xb, B);
            double loss;
            nn_zero(d_o, (size_t)B);
            if (classify) {
                loss = nn_bce_logits_forward(net->o, tb, (size_t)B);
                nn_bce_logits_backward(d_o, net->o, tb, (size_t)B);
            } else {
                loss = nn_mse_forward(net->o, tb, (size_t)B);
                nn_mse_backward(d_o, net->o, tb, (size_t)B);
            }
            if (!isfinite(loss)) {
                status = nn_error("training diverged at epoch %d (learning rate %g too large: try %g)", epoch + 1,
                                  o->lr, o->lr / 10);
                break;
            }
            /* in the forward pass this was: o = act W2^T + b2, act = tanh(pre), pre = z W1^T + b1 */
            nn_zero(net->grads, net->n_params);
            nn_zero(d_act, (size_t)B * o->hidden);
            nn_zero(d_pre, (size_t)B * o->hidden);
            nn_dense_backward(d_act, net->dW2, net->db2, d_o, net->act, net->W2, B, o->hidden, 1);
            nn_act_backward(NN_TANH, d_pre, d_act, net->pre, net->act, (size_t)B * o->hidden);
            nn_dense_backward(NULL, net->dW1, net->db1, d_pre, net->z, net->W1, B, D, o->hidden);
            status = nn_optim_step(&opt, net->params, net->grads);
        }
    }
    free(order);
    free(xb);
    free(tb);
    free(d_o);
    free(d_act);
    free(d_pre);
    nn_optim_free(&opt);
    return status;
}

/* Explanations see a model only as a function from rows to numbers. */
typedef struct {
    void (*predict)(void *ctx, const float *x, int n, float *out);
    void *ctx;
    int d;
} model_fn;

static void predict_mlp(void *ctx, const float *x, int n, float *out)
{
    mlp_predict(ctx, x, n, out);
}

/* The same classifier read as a probability, sigmoid(f(x)) (section 5). */
static void predict_mlp_probability(void *ctx, const float *x, int n, float *out)
{
    mlp_predict(ctx, x, n, out);
    for (int i = 0; i < n; i++)
        out[i] = (float)nn_sigmoid(out[i]);
}

static model_fn mlp_model(mlp *net)
{
    model_fn f = {predict_mlp, net, net->D};
    return f;
}

/* A linear model f(x) = w . x + b, for the closed form of section 3. */
typedef struct {
    int d;
    double w[MAX_FEATURES], b;
} linear_model;

static void predict_linear(void *ctx, const float *x, int n, float *out)
{
    const linear_model *m = ctx;
    for (int r = 0; r < n; r++) {
        double s = m->b;
        for (int j = 0; j < m->d; j++)
            s += m->w[j] * x[(size_t)r * m->d + j];
        out[r] = (float)s;
    }
}

/* Solve the k x k system A s = c in place (Gaussian elimination with partial
 * pivoting, in double).  NN_ERR when A is singular to working precision. */
static int solve_linear_system(double *A, double *c, double *s, int k)
{
    for (int col = 0; col < k; col++) {
        int pivot = col;
        for (int r = col + 1; r < k; r++)
            if (fabs(A[r * k + col]) > fabs(A[pivot * k + col]))
                pivot = r;
        double scale = 0;
        for (int r = 0; r < k; r++)
            scale = fmax(scale, fabs(A[r * k + col]));
        if (fabs(A[pivot * k + col]) <= 1e-12 * (scale > 0 ? scale : 1))
            return nn_error("singular system (column %d): not enough distinct samples", col);
        if (pivot != col) {
            for (int j = 0; j < k; j++) {
                double tmp = A[col * k + j];
                A[col * k + j] = A[pivot * k + j];
                A[pivot * k + j] = tmp;
            }
            double tmp = c[col];
            c[col] = c[pivot];
            c[pivot] = tmp;
        }
        for (int r = col + 1; r < k; r++) {
            double factor = A[r * k + col] / A[col * k + col];
            for (int j = col; j < k; j++)
                A[r * k + j] -= factor * A[col * k + j];
            c[r] -= factor * c[col];
        }
    }
    for (int r = k - 1; r >= 0; r--) {
        double sum = c[r];
        for (int j = r + 1; j < k; j++)
            sum -= A[r * k + j] * s[j];
        s[r] = sum / A[r * k + r];
    }
    return NN_OK;
}

/* Least squares fit of the linear model (normal equations in double). */
static int fit_linear(linear_model *m, const float *X, const float *t, int n, int d)
{
    int k = d + 1;
    double *A = nn_doubles((size_t)k * k), *c = nn_doubles((size_t)k), *s = nn_doubles((size_t)k);
    for (int r = 0; r < n; r++) {
        double row[MAX_FEATURES + 1];
        for (int j = 0; j < d; j++)
            row[j] = X[(size_t)r * d + j];
        row[d] = 1;
        for (int a = 0; a < k; a++) {
            c[a] += row[a] * t[r];
            for (int b = 0; b < k; b++)
                A[a * k + b] += row[a] * row[b];
        }
    }
    int status = solve_linear_system(A, c, s, k);
    m->d = d;
    for (int j = 0; j < d; j++)
        m->w[j] = s[j];
    m->b = s[d];
    free(A);
    free(c);
    free(s);
    return status;
}

/* ---- Data -----------------------------------------------------------------
 * A data set here is rows of raw features and one target per row. */
typedef struct {
    int n, d;
    float *x;               /* (n, d) */
    float *t;               /* (n): the target, or the class 0/1 */
    char names[MAX_FEATURES][24];
} table_set;

static void set_alloc(table_set *s, int n, int d)
{
    s->n = n;
    s->d = d;
    s->x = nn_floats((size_t)n * d);
    s->t = nn_floats((size_t)n);
    for (int j = 0; j < d && j < MAX_FEATURES; j++)
        snprintf(s->names[j], sizeof s->names[j], "x%d", j);
}

static void set_free(table_set *s)
{
    free(s->x);
    free(s->t);
    s->x = s->t = NULL;
}

/* Rows idx[0..n) of src. */
static void set_take(table_set *dst, const table_set *src, const int *idx, int n)
{
    set_alloc(dst, n, src->d);
    memcpy(dst->names, src->names, sizeof dst->names);
    for (int r = 0; r < n; r++) {
        memcpy(dst->x + (size_t)r * src->d, src->x + (size_t)idx[r] * src->d, (size_t)src->d * sizeof(float));
        dst->t[r] = src->t[idx[r]];
    }
}

/* A shuffled split: the first round(fraction n) rows train, the rest test. */
static void set_split(const table_set *all, double fraction, nn_rng *rng, table_set *train, table_set *test)
{
    int *idx = nn_malloc((size_t)all->n * sizeof *idx);
    nn_rng_permutation(rng, idx, (size_t)all->n);
    int n_train = (int)lround(fraction * all->n);
    set_take(train, all, idx, n_train);
    set_take(test, all, idx + n_train, all->n - n_train);
    free(idx);
}

static const char *const diabetes_names[10] = {"age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"};
static const char *const cancer_names[30] = {
    "mean radius", "mean texture", "mean perimeter", "mean area", "mean smoothness",
    "mean compactness", "mean concavity", "mean concave points", "mean symmetry", "mean fractal dim",
    "radius error", "texture error", "perimeter error", "area error", "smoothness error",
    "compactness error", "concavity error", "concave points error", "symmetry error", "fractal dim error",
    "worst radius", "worst texture", "worst perimeter", "worst area", "worst smoothness",
    "worst compactness", "worst concavity", "worst concave points", "worst symmetry", "worst fractal dim"};

static int load_diabetes_set(table_set *s)
{
    nn_dataset ds;
    if (nn_load_diabetes(&ds, NULL) != NN_OK)
        return NN_ERR;
    set_alloc(s, ds.n, ds.d);
    memcpy(s->x, ds.x, (size_t)ds.n * ds.d * sizeof(float));
    memcpy(s->t, ds.t, (size_t)ds.n * sizeof(float));
    for (int j = 0; j < 10; j++)
        snprintf(s->names[j], sizeof s->names[j], "%s", diabetes_names[j]);
    nn_dataset_free(&ds);
    return NN_OK;
}

/* Class 1 of the file is "benign": the model's logit is the log-odds of a
 * benign tumour. */
static int load_cancer_set(table_set *s)
{
    nn_dataset ds;
    if (nn_load_breast_cancer(&ds, NULL) != NN_OK)
        return NN_ERR;
    set_alloc(s, ds.n, ds.d);
    memcpy(s->x, ds.x, (size_t)ds.n * ds.d * sizeof(float));
    for (int r = 0; r < ds.n; r++)
        s->t[r] = (float)ds.y[r];
    for (int j = 0; j < 30; j++)
        snprintf(s->names[j], sizeof s->names[j], "%s", cancer_names[j]);
    nn_dataset_free(&ds);
    return NN_OK;
}

/* --csv FILE: any numeric table, one row per observation, the target in the
 * last column ('#' lines are comments, so a header can be written as one).
 * The reader names a ragged row or a non-numeric field with its line. */
static int load_csv_set(table_set *s, const char *path)
{
    nn_table tab;
    if (nn_csv_read(path, 0, &tab) != NN_OK)
        return NN_ERR;
    if (tab.cols < 2 || tab.cols - 1 > MAX_FEATURES || tab.rows < 20) {
        int rows = tab.rows, cols = tab.cols;
        nn_table_free(&tab);
        return nn_error("%s: %d rows of %d columns; the chapter needs at least 20 rows of 1 to %d features "
                        "and the target in the last column",
                        path, rows, cols, MAX_FEATURES);
    }
    int d = tab.cols - 1;
    set_alloc(s, tab.rows, d);
    for (int r = 0; r < tab.rows; r++) {
        memcpy(s->x + (size_t)r * d, tab.values + (size_t)r * tab.cols, (size_t)d * sizeof(float));
        s->t[r] = tab.values[(size_t)r * tab.cols + d];
    }
    nn_table_free(&tab);
    return NN_OK;
}

static double r_squared(const float *pred, const float *t, int n)
{
    double mean = 0, ss_res = 0, ss_tot = 0;
    for (int i = 0; i < n; i++)
        mean += t[i];
    mean /= n;
    for (int i = 0; i < n; i++) {
        ss_res += ((double)t[i] - pred[i]) * ((double)t[i] - pred[i]);
        ss_tot += ((double)t[i] - mean) * ((double)t[i] - mean);
    }
    return 1 - ss_res / (ss_tot > 0 ? ss_tot : 1);
}

static double model_r_squared(const model_fn *f, const float *X, const float *t, int n)
{
    float *pred = nn_floats((size_t)n);
    f->predict(f->ctx, X, n, pred);
    double r2 = r_squared(pred, t, n);
    free(pred);
    return r2;
}

/* numpy's default percentile (linear interpolation between order
 * statistics): sorted a, position q (n - 1). */
static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *values, int n, double q)
{
    double *sorted = nn_doubles((size_t)n);
    memcpy(sorted, values, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_doubles);
    double pos = q * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    double value = sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    free(sorted);
    return value;
}

/* ======================================================================
 * Section 2. Deck 000's worked example: retraining on every subset
 * ======================================================================
 *
 * A regression model predicts the income of a person from age, gender and
 * job.  Deck 000 explains one new observation x0 by training one model per
 * subset S of the features, 2^3 = 8 models from f = 0 features to f = 3
 * (the deck's f counts features, as in the printed table; everywhere else
 * f is the model), and passing x0 through all eight.  The marginal contribution of Age to
 * the model with features {Age} is
 *
 *     MC_Age,{Age}(x0) = Predict_{Age}(x0) - Predict_{}(x0) = 40k$ - 50k$ = -10k$
 *
 * and the SHAP value of Age weighs its marginal contribution to every
 * model that contains it:
 *
 *     SHAP_Age(x0) = w1 MC_Age,{Age} + w2 MC_Age,{Age,Gender}
 *                  + w3 MC_Age,{Age,Job} + w4 MC_Age,{Age,Gender,Job},
 *     w1 + w2 + w3 + w4 = 1.
 *
 * The weights are Shapley's: a coalition S not containing i gets
 *
 *     w(S) = |S|! (M - |S| - 1)! / M!
 *
 * the probability that, in a random order of the M features, exactly the
 * members of S come before i.  For M = 3: |S| = 0 gives 0! 2! / 3! = 1/3,
 * |S| = 1 gives 1! 1! / 3! = 1/6 (twice: S = {Gender} and S = {Job}, the
 * models {Age,Gender} and {Age,Job}), and
 * |S| = 2 gives 2! 0! / 3! = 1/3.  1/3 + 1/6 + 1/6 + 1/3 = 1.
 *
 * The data are built so every number can be followed by hand.  Age is 30 or
 * 50 years, gender 0 (female) or 1 (male), job 0 (clerk) or 1 (engineer);
 * each of the 8 combinations (cells) has the same number of people, and the
 * incomes of a cell are its table value plus noise drawn in +e/-e pairs, so
 * the cell's mean is exactly the table value.  A model retrained on a subset
 * S that predicts as well as possible predicts the mean income of the
 * people who share x0's values of S: an average of table entries.  With
 * x0 = (30 years, female, clerk) and the table below:
 *
 *     Predict_{}(x0)      = mean of all 8 cells                  = 50
 *     Predict_{Age}(x0)   = (30 + 44 + 36 + 50) / 4              = 40   (the deck's numbers)
 *     Predict_{Gender}    = (30 + 44 + 48 + 68) / 4 = 47.5,  Predict_{Job} = 42.5,
 *     Predict_{Age,Gender} = 37, Predict_{Age,Job} = 33, Predict_{Gender,Job} = 39,
 *     Predict_{Age,Gender,Job} = 30
 *
 *     SHAP_Age(x0) = 1/3 (40 - 50) + 1/6 (37 - 47.5) + 1/6 (33 - 42.5) + 1/3 (30 - 39)
 *                  = -29/3 = -9.667k$
 *
 * The run trains the eight networks and checks that they land on these
 * numbers. */
static const double income_table[2][2][2] = {
    /* [age 30 / 50][female / male][clerk / engineer], in k$ */
    {{30, 44}, {36, 50}},
    {{48, 68}, {56, 68}},
};
static const float income_x0[3] = {30, 0, 0}; /* 30 years old, female, clerk */
static const char *const income_names[3] = {"Age", "Gender", "Job"};

/* counts[a][g][j] people per cell (balanced: all equal); incomes in k$. */
typedef double income_cells[2][2][2];

static void make_income_set(table_set *s, const income_cells table, const int counts[2][2][2], nn_rng *rng)
{
    int n = 0;
    for (int c = 0; c < 8; c++)
        n += counts[c >> 2][(c >> 1) & 1][c & 1];
    set_alloc(s, n, 3);
    for (int j = 0; j < 3; j++)
        snprintf(s->names[j], sizeof s->names[j], "%s", income_names[j]);
    int r = 0;
    double e = 0;
    for (int c = 0; c < 8; c++) {
        int a = c >> 2, g = (c >> 1) & 1, j = c & 1, count = counts[a][g][j];
        for (int k = 0; k < count; k++, r++) {
            if (k % 2 == 0)
                e = 3 * nn_rng_normal(rng);
            s->x[r * 3 + 0] = a ? 50.0f : 30.0f;
            s->x[r * 3 + 1] = (float)g;
            s->x[r * 3 + 2] = (float)j;
            s->t[r] = (float)(table[a][g][j] + (k % 2 == 0 ? e : -e));
        }
    }
}

/* Mean income of the people who share x0's values of the features in S:
 * what a perfect model retrained on S predicts for x0. */
static double income_conditional_mean(unsigned S, const income_cells table, const int counts[2][2][2])
{
    double sum = 0, n = 0;
    for (int c = 0; c < 8; c++) {
        int v[3] = {c >> 2, (c >> 1) & 1, c & 1};
        int x0v[3] = {income_x0[0] > 40, (int)income_x0[1], (int)income_x0[2]};
        int match = 1;
        for (int i = 0; i < 3; i++)
            if ((S >> i & 1) && v[i] != x0v[i])
                match = 0;
        if (match) {
            int count = counts[v[0]][v[1]][v[2]];
            sum += count * table[v[0]][v[1]][v[2]];
            n += count;
        }
    }
    return sum / n;
}

/* Shapley's weight of a coalition of s members among M players,
 * s! (M - s - 1)! / M! = 1 / (M C(M-1, s)), in double without factorials. */
static double shapley_weight(int s, int M)
{
    double binom = 1;
    for (int k = 1; k <= s; k++)
        binom = binom * (M - 1 - s + k) / k;
    return 1.0 / (M * binom);
}

static int popcount64(uint64_t m)
{
    int c = 0;
    for (; m; m &= m - 1)
        c++;
    return c;
}

/* Shapley values from the values v[S] of all 2^M coalitions (S a bit mask):
 * phi_i = sum over S without i of w(|S|) (v(S + i) - v(S)). */
static void shapley_from_values(double *phi, const double *v, int M)
{
    double w[MAX_EXACT_FEATURES + 1];
    for (int s = 0; s < M; s++)
        w[s] = shapley_weight(s, M);
    for (int i = 0; i < M; i++) {
        double sum = 0;
        for (uint64_t S = 0; S < ((uint64_t)1 << M); S++)
            if (!(S >> i & 1))
                sum += w[popcount64(S)] * (v[S | (uint64_t)1 << i] - v[S]);
        phi[i] = sum;
    }
}

/* The columns of x in S, packed: the input of the model retrained on S. */
static void select_columns(float *dst, const float *x, int n, int d, unsigned S)
{
    int k = 0;
    for (int r = 0; r < n; r++)
        for (int j = 0; j < d; j++)
            if (S >> j & 1)
                dst[k++] = x[(size_t)r * d + j];
}

/* Retrain on every subset S and pass x0 through each model: v[S] is
 * Predict_S(x0).  The model with no features is a constant; the constant
 * with the least squared error is the mean income, so that is Predict_{}. */
static int income_retrained_values(double *v, const table_set *s, const train_options *o, uint64_t seed)
{
    for (unsigned S = 0; S < 8; S++) {
        int k = popcount64(S);
        if (k == 0) {
            double sum = 0;
            for (int r = 0; r < s->n; r++)
                sum += s->t[r];
            v[S] = sum / s->n;
            continue;
        }
        float *xs = nn_floats((size_t)s->n * k), x0s[3];
        select_columns(xs, s->x, s->n, 3, S);
        select_columns(x0s, income_x0, 1, 3, S);
        mlp net;
        int status = mlp_train(&net, xs, s->t, s->n, k, 0, o, seed + S);
        float out;
        mlp_predict(&net, x0s, 1, &out);
        v[S] = out;
        mlp_free(&net);
        free(xs);
        if (status != NN_OK)
            return NN_ERR;
    }
    return NN_OK;
}

static void subset_name(char *buf, size_t len, unsigned S, const char *const *names, int M)
{
    buf[0] = 0;
    size_t used = 0;
    used += (size_t)snprintf(buf + used, len - used, "{");
    int first = 1;
    for (int i = 0; i < M; i++)
        if (S >> i & 1) {
            used += (size_t)snprintf(buf + used, len - used, "%s%s", first ? "" : ",", names[i]);
            first = 0;
        }
    snprintf(buf + used, len - used, "}");
}

/* The model all of section 2's later steps fill in: trained on all three
 * features of the set.  Returned for section 3's comparison. */
static void section_income(const train_options *o, uint64_t seed, double *phi_retrained,
                           table_set *income, mlp *full_model)
{
    const int balanced[2][2][2] = {{{20, 20}, {20, 20}}, {{20, 20}, {20, 20}}};
    nn_rng rng = nn_rng_new(seed);
    make_income_set(income, income_table, balanced, &rng);
    nn_say("\n2. Deck 000's example: income (k$) on age, gender and job, %d people, 8 retrained models\n",
           income->n);
    nn_say("   x0 = age %g, %s, %s\n", income_x0[0], income_x0[1] > 0 ? "male" : "female",
           income_x0[2] > 0 ? "engineer" : "clerk");
    double v[8], truth[8];
    if (income_retrained_values(v, income, o, seed) != NN_OK)
        nn_die_last();
    nn_say("   %-22s %14s %18s\n", "model (features S)", "Predict_S(x0)", "mean of the cells");
    double worst = 0;
    for (unsigned S = 0; S < 8; S++) {
        char name[64];
        subset_name(name, sizeof name, S, income_names, 3);
        truth[S] = income_conditional_mean(S, income_table, balanced);
        worst = fmax(worst, fabs(v[S] - truth[S]));
        nn_say("   f = %d %-16s %14.2f %18.2f\n", popcount64(S), name, v[S], truth[S]);
    }
    nn_claim(worst < 0.1, "income-models-learn-cell-means",
             "each of the 8 retrained networks predicts for x0 the mean income of the people sharing x0's values "
             "of its features, within %.2fk$ (under 0.1k$)",
             worst);
    nn_claim(fabs(truth[1] - truth[0] + 10) < 1e-9 && fabs(truth[0] - 50) < 1e-9, "income-deck-numbers",
             "as in the deck, Predict_{}(x0) = %.0fk$, Predict_{Age}(x0) = %.0fk$, MC_Age,{Age}(x0) = %.0fk$ "
             "(cell means); the networks give %.2f, %.2f, %.2f",
             truth[0], truth[1], truth[1] - truth[0], v[0], v[1], v[1] - v[0]);

    double weight_sum = 0;
    nn_say("   Shapley weights for M = 3:");
    for (int s = 0; s < 3; s++) {
        int coalitions = s == 1 ? 2 : 1;
        weight_sum += coalitions * shapley_weight(s, 3);
        nn_say("  |S| = %d: %.4f%s", s, shapley_weight(s, 3), coalitions == 2 ? " (x2)" : "");
    }
    nn_say("\n");
    nn_claim(fabs(shapley_weight(0, 3) - 1.0 / 3) < 1e-15 && fabs(shapley_weight(1, 3) - 1.0 / 6) < 1e-15 &&
                 fabs(weight_sum - 1) < 1e-15,
             "income-weights", "the weights of Age's four coalitions are 1/3, 1/6, 1/6, 1/3 and sum to %.15g",
             weight_sum);

    /* Every marginal contribution of every feature, as in the deck. */
    double phi_truth[3];
    shapley_from_values(phi_retrained, v, 3);
    shapley_from_values(phi_truth, truth, 3);
    for (int i = 0; i < 3; i++) {
        nn_say("   %s:", income_names[i]);
        for (unsigned S = 0; S < 8; S++) {
            if (S >> i & 1)
                continue;
            char name[64];
            subset_name(name, sizeof name, S | 1u << i, income_names, 3);
            nn_say("  MC%s = %+.2f", name, v[S | 1u << i] - v[S]);
        }
        nn_say("\n      SHAP_%s(x0) = %+.3fk$ (the cell means give %+.3f)\n", income_names[i], phi_retrained[i],
               phi_truth[i]);
    }
    double sum = phi_retrained[0] + phi_retrained[1] + phi_retrained[2];
    nn_claim(fabs(sum - (v[7] - v[0])) < 1e-9 * fmax(1, fabs(v[7])), "income-efficiency",
             "the three SHAP values sum to %.4fk$, the full model's prediction minus the empty model's "
             "(%.4f - %.4f)",
             sum, v[7], v[0]);
    nn_claim(fabs(phi_truth[0] + 29.0 / 3) < 1e-9 && fabs(phi_retrained[0] - phi_truth[0]) < 0.1, "income-age",
             "by hand, SHAP_Age(x0) = 1/3 (-10) + 1/6 (-10.5) + 1/6 (-9.5) + 1/3 (-9) = %.3fk$; the retrained "
             "networks give %.3f",
             phi_truth[0], phi_retrained[0]);

    if (mlp_train(full_model, income->x, income->t, income->n, 3, 0, o, seed + 7) != NN_OK)
        nn_die_last();
}

/* ======================================================================
 * Section 3. Shapley values of one fixed model
 * ======================================================================
 *
 * Retraining 2^M models is out of the question for a real network.  SHAP
 * instead keeps the one trained model f and asks what it predicts when only
 * the features in S are known.  The features outside S are filled in from a
 * background set B of observations (the interventional value function):
 *
 *     v(S) = (1/|B|) sum over b in B of f(x_S, b_notS)
 *
 * where (x_S, b_notS) takes x's values for the features in S and b's for
 * the rest.  v({}) = E f(X) over the background is the base value;
 * v(all) = f(x).  The Shapley values of this game,
 *
 *     phi_i = sum over S not containing i of |S|!(M-|S|-1)!/M! (v(S + i) - v(S)),
 *
 * then have four properties (Shapley 1953; Lundberg and Lee 2017):
 *   efficiency (additivity):  E f(X) + sum_i phi_i = f(x), exactly;
 *   symmetry:  features that change v alike in every coalition get equal phi;
 *   dummy:     a feature f never reads gets phi = 0;
 *   linearity: the values of f + g are those of f plus those of g.
 *
 * One coalition costs |B| model evaluations, the exact values 2^M |B|.  The
 * background here is the first 40 training rows: E over a sample of the
 * data rather than all of it, which keeps the cost down; every number below
 * is exact for that background.  The dummy property holds to the last bit:
 * if f never reads feature i, the rows of S and of S + {i} differ only in
 * feature i, which f ignores, so every marginal contribution of i is
 * exactly 0. */
typedef struct {
    const model_fn *f;
    const float *background;  /* (nb, d) */
    int nb, d;
    float *rows, *out;        /* scratch: (batch * nb, d), (batch * nb) */
    int batch;                /* coalitions per model call */
    long long evaluations;    /* model evaluations so far (rows predicted) */
} value_function;

static void value_init(value_function *v, const model_fn *f, const float *background, int nb)
{
    v->f = f;
    v->background = background;
    v->nb = nb;
    v->d = f->d;
    v->batch = 4096 / nb > 0 ? 4096 / nb : 1;
    v->rows = nn_floats((size_t)v->batch * nb * f->d);
    v->out = nn_floats((size_t)v->batch * nb);
    v->evaluations = 0;
}

static void value_free(value_function *v)
{
    free(v->rows);
    free(v->out);
}

/* vals[k] = v(masks[k]) for the observation x, k < count. */
static void coalition_values(value_function *v, const float *x, const uint64_t *masks, int count, double *vals)
{
    int d = v->d, nb = v->nb;
    for (int start = 0; start < count; start += v->batch) {
        int m = count - start < v->batch ? count - start : v->batch;
        for (int k = 0; k < m; k++)
            for (int b = 0; b < nb; b++) {
                float *row = v->rows + ((size_t)k * nb + b) * d;
                const float *bg = v->background + (size_t)b * d;
                for (int j = 0; j < d; j++)
                    row[j] = (masks[start + k] >> j & 1) ? x[j] : bg[j];
            }
        v->f->predict(v->f->ctx, v->rows, m * nb, v->out);
        v->evaluations += (long long)m * nb;
        for (int k = 0; k < m; k++) {
            double sum = 0;
            for (int b = 0; b < nb; b++)
                sum += v->out[(size_t)k * nb + b];
            vals[start + k] = sum / nb;
        }
    }
}

/* A clear refusal when 2^M coalitions are too many. */
static int require_enumerable(int M, const char *what)
{
    if (M > MAX_EXACT_FEATURES)
        return nn_error("%s has %d features: exact Shapley values need 2^%d coalitions, and exact enumeration "
                        "stops at %d features; use an approximation instead: --method kernel (KernelSHAP) or "
                        "--method permutation (permutation sampling)",
                        what, M, M, MAX_EXACT_FEATURES);
    return NN_OK;
}

/* Exact Shapley values of f at x: every one of the 2^M coalitions. */
static void shapley_exact(double *phi, double *base, value_function *v, const float *x)
{
    int M = v->d;
    NN_ASSERT(M <= MAX_EXACT_FEATURES);
    size_t n = (size_t)1 << M;
    uint64_t *masks = nn_malloc(n * sizeof *masks);
    double *vals = nn_doubles(n);
    for (size_t S = 0; S < n; S++)
        masks[S] = S;
    coalition_values(v, x, masks, (int)n, vals);
    shapley_from_values(phi, vals, M);
    *base = vals[0];
    free(masks);
    free(vals);
}

/* Constructed models for the axioms, on 4 features:
 *   g(x) = tanh(x0 + x1) + x0 x1 x2        symmetric in x0, x1; never reads x3
 *   h(x) = x2 sin(x0) - 0.5 x3
 *   g + h and 3 g, for linearity. */
typedef struct {
    double a_g, a_h;          /* f = a_g g + a_h h */
} mix_model;

static void predict_mix(void *ctx, const float *x, int n, float *out)
{
    const mix_model *m = ctx;
    for (int r = 0; r < n; r++) {
        const float *p = x + (size_t)r * 4;
        double g = tanh((double)p[0] + p[1]) + (double)p[0] * p[1] * p[2];
        double h = p[2] * sin(p[0]) - 0.5 * p[3];
        out[r] = (float)(m->a_g * g + m->a_h * h);
    }
}

/* Every axiom on the constructed models; returns the worst violations for
 * the test: [0] symmetry |phi_0 - phi_1|, [1] dummy |phi_3| of g,
 * [2] linearity max|phi(g+h) - phi(g) - phi(h)|, [3] max|phi(3g) - 3 phi(g)|,
 * [4] efficiency max|E f(X) + sum phi - f(x)| over the four models. */
static void axioms_demo(double *violations, uint64_t seed)
{
    enum { NB = 64 };
    nn_rng rng = nn_rng_new(seed);
    /* A background symmetric in x0 and x1: every row with its swapped twin. */
    float bg[NB * 4];
    for (int b = 0; b < NB; b += 2) {
        for (int j = 0; j < 4; j++)
            bg[b * 4 + j] = (float)nn_rng_range(&rng, -1, 1);
        bg[(b + 1) * 4 + 0] = bg[b * 4 + 1];
        bg[(b + 1) * 4 + 1] = bg[b * 4 + 0];
        bg[(b + 1) * 4 + 2] = bg[b * 4 + 2];
        bg[(b + 1) * 4 + 3] = bg[b * 4 + 3];
    }
    const float x[4] = {0.7f, 0.7f, -0.5f, 2.0f};
    mix_model models[4] = {{1, 0}, {0, 1}, {1, 1}, {3, 0}};
    double phi[4][4], base[4];
    for (int k = 0; k < 4; k++) {
        model_fn f = {predict_mix, &models[k], 4};
        value_function v;
        value_init(&v, &f, bg, NB);
        shapley_exact(phi[k], &base[k], &v, x);
        float fx;
        f.predict(f.ctx, x, 1, &fx);
        double sum = base[k];
        for (int i = 0; i < 4; i++)
            sum += phi[k][i];
        violations[4] = fmax(k ? violations[4] : 0, fabs(sum - fx));
        value_free(&v);
    }
    violations[0] = fabs(phi[0][0] - phi[0][1]);
    violations[1] = fabs(phi[0][3]);
    violations[2] = violations[3] = 0;
    for (int i = 0; i < 4; i++) {
        violations[2] = fmax(violations[2], fabs(phi[2][i] - phi[0][i] - phi[1][i]));
        violations[3] = fmax(violations[3], fabs(phi[3][i] - 3 * phi[0][i]));
    }
    nn_say("   constructed g(x) = tanh(x0 + x1) + x0 x1 x2 at x = (0.7, 0.7, -0.5, 2), h(x) = x2 sin(x0) - x3/2\n");
    const char *labels[4] = {"g", "h", "g + h", "3 g"};
    for (int k = 0; k < 4; k++)
        nn_say("   phi(%-5s) = (%+.4f, %+.4f, %+.4f, %+.4f), base value %+.4f\n", labels[k], phi[k][0], phi[k][1],
               phi[k][2], phi[k][3], base[k]);
}

/* The two ways of sections 2 and 3 side by side on income data.  The
 * retrained models answer "how much does knowing x0's gender change the best
 * prediction of x0's income?", which depends on how gender goes with the
 * other features in the data; filling in answers "how much does this one
 * model's output move with its gender input?", with the other inputs drawn
 * as if independent of gender.  With independent features (the balanced
 * design) the two agree.  In the second data set income depends on age and
 * job only, and men are mostly engineers (30 of 40 in each age group, women
 * the other way round): gender tells the retrained model something about
 * the job, while the full model, which sees the job, has no use for it. */
static const income_cells income_no_gender_table = {
    {{30, 50}, {30, 50}},
    {{50, 70}, {50, 70}},
};

static void income_fill_in_values(double *phi, mlp *full, const table_set *income)
{
    model_fn f = mlp_model(full);
    value_function v;
    value_init(&v, &f, income->x, income->n);
    double base;
    shapley_exact(phi, &base, &v, income_x0);
    value_free(&v);
}

/* The interventional values of the exact cell-mean model, by hand: v(S)
 * averages the table over the background rows with x0's values put in S. */
static void income_fill_in_truth(double *phi, const income_cells table, const int counts[2][2][2])
{
    double v[8];
    int x0v[3] = {0, 0, 0};
    double total = 0;
    for (int c = 0; c < 8; c++)
        total += counts[c >> 2][(c >> 1) & 1][c & 1];
    for (unsigned S = 0; S < 8; S++) {
        double sum = 0;
        for (int c = 0; c < 8; c++) {
            int b[3] = {c >> 2, (c >> 1) & 1, c & 1}, z[3];
            for (int i = 0; i < 3; i++)
                z[i] = (S >> i & 1) ? x0v[i] : b[i];
            sum += counts[b[0]][b[1]][b[2]] * table[z[0]][z[1]][z[2]];
        }
        v[S] = sum / total;
    }
    shapley_from_values(phi, v, 3);
}

static void section_retrain_vs_fill(const train_options *o, uint64_t seed, const double *phi_retrained_balanced,
                                    const table_set *balanced_set, mlp *balanced_full)
{
    const int balanced[2][2][2] = {{{20, 20}, {20, 20}}, {{20, 20}, {20, 20}}};
    const int correlated[2][2][2] = {{{30, 10}, {10, 30}}, {{30, 10}, {10, 30}}};
    nn_say("\n   Retraining vs filling in, on income data (k$):\n");
    nn_say("   %-40s %8s %8s %8s   %s\n", "", "Age", "Gender", "Job", "cell means by hand");
    double fill[3], fill_truth[3], retrain_truth[3];
    income_fill_in_values(fill, balanced_full, balanced_set);
    income_fill_in_truth(fill_truth, income_table, balanced);
    nn_say("   %-40s %+8.3f %+8.3f %+8.3f\n", "balanced: retrained (8 networks)", phi_retrained_balanced[0],
           phi_retrained_balanced[1], phi_retrained_balanced[2]);
    nn_say("   %-40s %+8.3f %+8.3f %+8.3f   %+.3f %+.3f %+.3f\n", "balanced: filled in (1 network)", fill[0],
           fill[1], fill[2], fill_truth[0], fill_truth[1], fill_truth[2]);
    double worst_balanced = 0;
    for (int i = 0; i < 3; i++)
        worst_balanced = fmax(worst_balanced, fabs(fill[i] - phi_retrained_balanced[i]));
    nn_claim(worst_balanced < 0.1, "income-independent-agree",
             "with independent features, filling in the one network and retraining 8 agree within %.2fk$ "
             "(under 0.1k$) for every feature",
             worst_balanced);

    table_set corr;
    nn_rng rng = nn_rng_new(seed + 100);
    make_income_set(&corr, income_no_gender_table, correlated, &rng);
    double v[8], retrained[3], truth_v[8];
    if (income_retrained_values(v, &corr, o, seed + 100) != NN_OK)
        nn_die_last();
    shapley_from_values(retrained, v, 3);
    for (unsigned S = 0; S < 8; S++)
        truth_v[S] = income_conditional_mean(S, income_no_gender_table, correlated);
    shapley_from_values(retrain_truth, truth_v, 3);
    mlp full;
    if (mlp_train(&full, corr.x, corr.t, corr.n, 3, 0, o, seed + 107) != NN_OK)
        nn_die_last();
    double fill_corr[3], fill_corr_truth[3];
    income_fill_in_values(fill_corr, &full, &corr);
    income_fill_in_truth(fill_corr_truth, income_no_gender_table, correlated);
    nn_say("   %-40s %+8.3f %+8.3f %+8.3f   %+.3f %+.3f %+.3f\n", "no gender effect, men engineers: retrained",
           retrained[0], retrained[1], retrained[2], retrain_truth[0], retrain_truth[1], retrain_truth[2]);
    nn_say("   %-40s %+8.3f %+8.3f %+8.3f   %+.3f %+.3f %+.3f\n", "no gender effect, men engineers: filled in",
           fill_corr[0], fill_corr[1], fill_corr[2], fill_corr_truth[0], fill_corr_truth[1], fill_corr_truth[2]);
    nn_claim(fabs(retrain_truth[1] + 2.5) < 1e-9 && fabs(fill_corr_truth[1]) < 1e-9 &&
                 fabs(retrained[1] - retrain_truth[1]) < 0.1 && fabs(fill_corr[1]) < 0.1,
             "income-correlated-differ",
             "when income ignores gender but men are mostly engineers, retraining gives Gender %.2fk$ "
             "(-2.5 by hand) and filling in %.2fk$ (0 by hand): the retrained models use gender as a stand-in "
             "for the job",
             retrained[1], fill_corr[1]);
    mlp_free(&full);
    set_free(&corr);
}

/* The whole of section 3 on the diabetes network and a linear model. */
typedef struct {
    table_set train, test;     /* the regression set, split 70/30 */
    mlp net;                   /* trained on train */
    const float *background;   /* the first nb training rows */
    int nb;
} regression_setup;

/* The closed form to trust: for f(x) = w . x + b and the interventional
 * value function, v(S) = b + sum_{j in S} w_j x_j + sum_{j not in S} w_j E_B x_j,
 * so adding i to any coalition adds w_i (x_i - E_B x_i), whatever S is, and
 * every weighted average of that is the same:  phi_i = w_i (x_i - E_B x_i). */
static void linear_closed_form(double *phi, const linear_model *m, const float *x, const float *bg, int nb)
{
    for (int i = 0; i < m->d; i++) {
        double mean = 0;
        for (int b = 0; b < nb; b++)
            mean += bg[(size_t)b * m->d + i];
        phi[i] = m->w[i] * (x[i] - mean / nb);
    }
}

static void figure_waterfall(const double *phi, double base, double fx, const char *const names[], int M,
                             const char *title);

static void section_fixed_model(regression_setup *rs, uint64_t seed)
{
    int M = rs->train.d;
    nn_say("\n3. Shapley values of one fixed model: features outside S filled in from %d background rows\n", rs->nb);
    if (require_enumerable(M, "the regression set") != NN_OK)
        nn_die_last();
    model_fn f = mlp_model(&rs->net);
    value_function v;
    value_init(&v, &f, rs->background, rs->nb);
    const float *x = rs->test.x; /* the first test observation */
    double phi[MAX_EXACT_FEATURES], base;
    shapley_exact(phi, &base, &v, x);
    float fx;
    f.predict(f.ctx, x, 1, &fx);
    double sum = base;
    nn_say("   test observation 0 (target %.0f): f(x) = %.3f, base value E f(X) = %.3f\n", rs->test.t[0], fx, base);
    for (int i = 0; i < M; i++) {
        sum += phi[i];
        nn_say("   %-6s x = %9.4g   phi = %+8.3f\n", rs->train.names[i], x[i], phi[i]);
    }
    nn_say("   %lld model evaluations (2^%d coalitions x %d background rows)\n", v.evaluations, M, rs->nb);
    nn_claim(fabs(sum - fx) < 1e-4 * fmax(1, fabs(fx)), "additivity",
             "additivity: the base value plus the %d SHAP values is %.4f, the prediction f(x) = %.4f", M, sum, fx);
    const char *names[MAX_FEATURES];
    for (int i = 0; i < M; i++)
        names[i] = rs->train.names[i];
    figure_waterfall(phi, base, fx, names, M, "One prediction of the network, from the base value E f(X) to f(x)");
    value_free(&v);

    linear_model lin;
    if (fit_linear(&lin, rs->train.x, rs->train.t, rs->train.n, M) != NN_OK)
        nn_die_last();
    model_fn fl = {predict_linear, &lin, M};
    value_init(&v, &fl, rs->background, rs->nb);
    double phi_lin[MAX_EXACT_FEATURES], closed[MAX_EXACT_FEATURES], base_lin, worst = 0, scale = 0;
    shapley_exact(phi_lin, &base_lin, &v, x);
    linear_closed_form(closed, &lin, x, rs->background, rs->nb);
    for (int i = 0; i < M; i++) {
        worst = fmax(worst, fabs(phi_lin[i] - closed[i]));
        scale = fmax(scale, fabs(closed[i]));
    }
    value_free(&v);
    nn_claim(worst < 1e-4 * scale, "linear-closed-form",
             "for the least-squares linear model, enumeration gives w_i (x_i - E x_i) to within %.2g (largest "
             "value %.3g)",
             worst, scale);

    double violations[5];
    axioms_demo(violations, seed);
    nn_claim(violations[0] < 1e-6 && violations[1] == 0 && violations[2] < 1e-5 && violations[3] < 1e-5 &&
                 violations[4] < 1e-5,
             "axioms",
             "on the constructed models: symmetry |phi_0 - phi_1| = %.1g, dummy |phi_3| = %.1g, linearity "
             "%.1g and %.1g, efficiency %.1g",
             violations[0], violations[1], violations[2], violations[3], violations[4]);
}

/* ======================================================================
 * Section 4. A synthetic set whose true effects are known
 * ======================================================================
 *
 * Six independent features x_j ~ U[-1, 1] and
 *
 *     y = 2 x0 + sin(pi x1) + x2^2 + 1.5 x3 x4 + 0 x5 + 0.1 noise.
 *
 * The true function is itself a model, so its own Shapley values are the
 * truth a trained network's values should find: for an additive term
 * g(x_i) the value is g(x_i) - E_B g, for the interaction x3 x4 the two
 * features share, and x5 gets 0 (dummy). */
enum { SYN_D = 6 };
static const char *const synthetic_names[SYN_D] = {"x0 linear", "x1 sine", "x2 square", "x3 interact",
                                                   "x4 interact", "x5 unused"};

static double synthetic_truth(const float *x)
{
    return 2 * x[0] + sin(M_PI * x[1]) + (double)x[2] * x[2] + 1.5 * x[3] * x[4];
}

static void predict_synthetic_truth(void *ctx, const float *x, int n, float *out)
{
    (void)ctx;
    for (int r = 0; r < n; r++)
        out[r] = (float)synthetic_truth(x + (size_t)r * SYN_D);
}

static void make_synthetic(table_set *s, int n, nn_rng *rng)
{
    set_alloc(s, n, SYN_D);
    for (int j = 0; j < SYN_D; j++)
        snprintf(s->names[j], sizeof s->names[j], "%s", synthetic_names[j]);
    for (int r = 0; r < n; r++) {
        for (int j = 0; j < SYN_D; j++)
            s->x[r * SYN_D + j] = (float)nn_rng_range(rng, -1, 1);
        s->t[r] = (float)(synthetic_truth(s->x + r * SYN_D) + 0.1 * nn_rng_normal(rng));
    }
}

/* Three standard pictures of many explanations at once:
 *   beeswarm:    one dot per (row, feature) at its SHAP value, a row of dots
 *                per feature, coloured by the feature's value: the spread
 *                says how much the feature matters, the colours which way;
 *   bars:        mean |phi_j| over the rows, a global importance;
 *   dependence:  phi_j against x_j for one feature: the shape of its effect
 *                as the model has learned it (here with the truth behind). */
static void figure_beeswarm(const double *phi, const float *x, int n, int M, const char *const names[],
                            const int *order, nn_rng *rng);
static void figure_bars(const double *mean_net, const double *mean_truth, int M, const char *const names[],
                        const int *order);
static void figure_dependence(const double *phi, const double *phi_truth, const float *x, int n, int M, int j,
                              const char *const names[]);

static void section_synthetic(const train_options *o, uint64_t seed, int n_explain, int quick)
{
    enum { NB = 50 };
    nn_rng rng = nn_rng_new(seed + 400);
    table_set all, train, test;
    make_synthetic(&all, quick ? 300 : 2000, &rng);
    set_split(&all, 0.8, &rng, &train, &test);
    mlp net;
    train_options so = *o;
    so.hidden = 32;
    so.epochs = quick ? 10 : 150;
    if (mlp_train(&net, train.x, train.t, train.n, SYN_D, 0, &so, seed + 401) != NN_OK)
        nn_die_last();
    model_fn f = mlp_model(&net), ft = {predict_synthetic_truth, NULL, SYN_D};
    double r2 = model_r_squared(&f, test.x, test.t, test.n);
    int n = n_explain < test.n ? n_explain : test.n;
    nn_say("\n4. Synthetic set with known effects: y = 2 x0 + sin(pi x1) + x2^2 + 1.5 x3 x4 + 0 x5 + noise\n");
    nn_say("   %d-%d-1 network, %d training rows, test R^2 %.3f; exact values of %d test rows, %d background rows\n",
           SYN_D, so.hidden, train.n, r2, n, NB);
    value_function v, vt;
    value_init(&v, &f, train.x, NB);
    value_init(&vt, &ft, train.x, NB);
    double *phi = nn_doubles((size_t)n * SYN_D), *phi_t = nn_doubles((size_t)n * SYN_D);
    double mean_abs[SYN_D] = {0}, mean_abs_t[SYN_D] = {0}, err2 = 0, truth2 = 0;
    for (int r = 0; r < n; r++) {
        double base, base_t;
        shapley_exact(phi + (size_t)r * SYN_D, &base, &v, test.x + (size_t)r * SYN_D);
        shapley_exact(phi_t + (size_t)r * SYN_D, &base_t, &vt, test.x + (size_t)r * SYN_D);
        for (int j = 0; j < SYN_D; j++) {
            double a = phi[(size_t)r * SYN_D + j], b = phi_t[(size_t)r * SYN_D + j];
            mean_abs[j] += fabs(a) / n;
            mean_abs_t[j] += fabs(b) / n;
            err2 += (a - b) * (a - b);
            truth2 += b * b;
        }
    }
    nn_say("   %-12s %14s %14s\n", "feature", "mean |phi| net", "true function");
    for (int j = 0; j < SYN_D; j++)
        nn_say("   %-12s %14.4f %14.4f\n", synthetic_names[j], mean_abs[j], mean_abs_t[j]);
    double rel = sqrt(err2 / truth2);
    nn_claim(rel < 0.12, "synthetic-recovers-truth",
             "the network's SHAP values of %d test rows are within %.1f%% (RMS, relative) of the true "
             "function's values",
             n, 100 * rel);
    double smallest_active = mean_abs[0];
    for (int j = 1; j < 5; j++)
        smallest_active = fmin(smallest_active, mean_abs[j]);
    nn_claim(mean_abs[5] < 0.25 * smallest_active, "synthetic-dummy",
             "the unused feature x5 gets mean |phi| %.4f, under a quarter of the smallest of the used features "
             "(%.4f)",
             mean_abs[5], smallest_active);
    int order[SYN_D];
    for (int j = 0; j < SYN_D; j++)
        order[j] = j;
    for (int a = 0; a < SYN_D; a++)
        for (int b = a + 1; b < SYN_D; b++)
            if (mean_abs[order[b]] > mean_abs[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    figure_beeswarm(phi, test.x, n, SYN_D, synthetic_names, order, &rng);
    figure_bars(mean_abs, mean_abs_t, SYN_D, synthetic_names, order);
    figure_dependence(phi, phi_t, test.x, n, SYN_D, 1, synthetic_names);
    free(phi);
    free(phi_t);
    value_free(&v);
    value_free(&vt);
    mlp_free(&net);
    set_free(&all);
    set_free(&train);
    set_free(&test);
}

/* ======================================================================
 * Section 5. Too many features to enumerate
 * ======================================================================
 *
 * Permutation sampling (Strumbelj and Kononenko 2014).  phi_i is the
 * average, over all M! orders of the features, of i's marginal contribution
 * when it joins the features before it.  Draw orders at random instead:
 * walking along one order pi, adding one feature at a time, costs M - 1 new
 * coalitions (v({}) and v(all) are shared) and gives every feature one
 * marginal contribution; the contributions of one order telescope to
 * v(all) - v({}), so the estimate is additive exactly, at any budget.
 * Antithetic pairs: after each order, walk its reverse.  A feature early in
 * one is late in the other, so the two contributions err in opposite
 * directions and their average varies less. */
static void shapley_permutation(double *phi, value_function *v, const float *x, int n_orders, int antithetic,
                                nn_rng *rng)
{
    int M = v->d;
    int order[MAX_FEATURES];
    uint64_t masks[MAX_FEATURES + 1];
    double vals[MAX_FEATURES + 1];
    uint64_t full = M == 64 ? ~(uint64_t)0 : ((uint64_t)1 << M) - 1;
    uint64_t ends[2] = {0, full};
    double end_vals[2];
    coalition_values(v, x, ends, 2, end_vals);
    for (int i = 0; i < M; i++)
        phi[i] = 0;
    for (int k = 0; k < n_orders; k++) {
        if (antithetic && k % 2 == 1) {
            for (int a = 0, b = M - 1; a < b; a++, b--) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
        } else {
            nn_rng_permutation(rng, order, (size_t)M);
        }
        uint64_t mask = 0;
        for (int step = 0; step < M - 1; step++) {
            mask |= (uint64_t)1 << order[step];
            masks[step] = mask;
        }
        coalition_values(v, x, masks, M - 1, vals);
        double previous = end_vals[0];
        for (int step = 0; step < M; step++) {
            double current = step < M - 1 ? vals[step] : end_vals[1];
            phi[order[step]] += current - previous;
            previous = current;
        }
    }
    for (int i = 0; i < M; i++)
        phi[i] /= n_orders;
}

/* KernelSHAP (Lundberg and Lee 2017).  Look for the additive model
 * g(z) = E f(X) + sum_i z_i phi_i, z in {0,1}^M the indicator of a coalition,
 * that matches v(z) in weighted least squares with the Shapley kernel
 *
 *     pi(z) = (M - 1) / (C(M, |z|) |z| (M - |z|)),
 *
 * infinite at z = 0 and z = 1: those two are imposed as constraints,
 * the intercept E f(X) = v({}) and sum_i phi_i = v(all) - v({}).  Over all 2^M coalitions
 * the solution is exactly the Shapley values; sampling coalitions with
 * probability proportional to pi (a size s with probability proportional to
 * (M - 1) / (s (M - s)), then s features uniformly) makes every sampled
 * equation count once.  Each coalition is drawn with its complement, the
 * kernel's own antithetic pair.  Substituting
 * phi_M = (v(all) - v({})) - sum_{i<M} phi_i leaves an ordinary least
 * squares problem in M - 1 unknowns:
 *
 *     v(z) - v({}) - z_M D  =  sum_{i<M} (z_i - z_M) phi_i,    D = v(all) - v({}).
 *
 * NN_ERR when the sampled coalitions leave it singular (too small a budget). */
static int shapley_kernel(double *phi, value_function *v, const float *x, int n_coalitions, nn_rng *rng)
{
    int M = v->d, K = M - 1;
    uint64_t full = M == 64 ? ~(uint64_t)0 : ((uint64_t)1 << M) - 1;
    uint64_t ends[2] = {0, full};
    double end_vals[2];
    coalition_values(v, x, ends, 2, end_vals);
    double D = end_vals[1] - end_vals[0];
    double size_weight[MAX_FEATURES], total = 0;
    for (int s = 1; s < M; s++)
        total += size_weight[s] = (double)(M - 1) / ((double)s * (M - s));
    int n = n_coalitions / 2 * 2;
    uint64_t *masks = nn_malloc((size_t)(n > 0 ? n : 1) * sizeof *masks);
    double *vals = nn_doubles((size_t)(n > 0 ? n : 1));
    int idx[MAX_FEATURES];
    for (int k = 0; k < n; k += 2) {
        double u = nn_rng_uniform(rng) * total;
        int s = 1;
        while (s < M - 1 && u >= size_weight[s]) {
            u -= size_weight[s];
            s++;
        }
        nn_rng_permutation(rng, idx, (size_t)M);
        uint64_t mask = 0;
        for (int j = 0; j < s; j++)
            mask |= (uint64_t)1 << idx[j];
        masks[k] = mask;
        masks[k + 1] = full & ~mask;
    }
    coalition_values(v, x, masks, n, vals);
    double *A = nn_doubles((size_t)K * K), *c = nn_doubles((size_t)K), *s = nn_doubles((size_t)K);
    for (int k = 0; k < n; k++) {
        double zM = (double)(masks[k] >> (M - 1) & 1);
        double target = vals[k] - end_vals[0] - zM * D;
        double row[MAX_FEATURES];
        for (int i = 0; i < K; i++)
            row[i] = (double)(masks[k] >> i & 1) - zM;
        for (int a = 0; a < K; a++) {
            c[a] += row[a] * target;
            for (int b = 0; b < K; b++)
                A[a * K + b] += row[a] * row[b];
        }
    }
    int status = solve_linear_system(A, c, s, K);
    double rest = D;
    for (int i = 0; i < K; i++) {
        phi[i] = status == NN_OK ? s[i] : 0;
        rest -= phi[i];
    }
    phi[K] = rest;
    free(masks);
    free(vals);
    free(A);
    free(c);
    free(s);
    return status;
}

static double relative_rmse(const double *est, const double *exact, int M)
{
    double e = 0, t = 0;
    for (int i = 0; i < M; i++) {
        e += (est[i] - exact[i]) * (est[i] - exact[i]);
        t += exact[i] * exact[i];
    }
    return sqrt(e / (t > 0 ? t : 1));
}

static void figure_estimator_error(const double *evals, double err[3][16], int n_budgets, long long exact_evals);

/* The estimators against the exact values on the diabetes network (M = 10:
 * 1024 coalitions, cheap to enumerate): relative RMS error over the features,
 * averaged over observations and repeats, as the budget grows. */
static void section_estimator_error(regression_setup *rs, uint64_t seed, int quick)
{
    enum { MAX_OBS = 3, NB = 20 };
    const int N_OBS = quick ? 1 : MAX_OBS, REPEATS = quick ? 1 : 4, N_BUDGETS = quick ? 4 : 8;
    int M = rs->train.d;
    if (require_enumerable(M, "the regression set") != NN_OK)
        nn_die_last();
    const int budgets[8] = {32, 64, 128, 256, 512, 1024, 2048, 4096}; /* coalitions */
    model_fn f = mlp_model(&rs->net);
    value_function v;
    /* A smaller background than section 3's: the exact values the estimators
     * are measured against use the same one, so the comparison is fair, and
     * each coalition costs half as much. */
    int nb = rs->nb < NB ? rs->nb : NB;
    value_init(&v, &f, rs->background, nb);
    double err[3][16] = {{0}};
    double exact[MAX_OBS][MAX_EXACT_FEATURES];
    for (int o = 0; o < N_OBS; o++) {
        double base;
        shapley_exact(exact[o], &base, &v, rs->test.x + (size_t)(o + 1) * M);
    }
    nn_rng rng = nn_rng_new(seed + 500);
    int singular = 0;
    for (int b = 0; b < N_BUDGETS; b++) {
        int orders = (budgets[b] - 2) / (M - 1);
        orders = orders < 2 ? 2 : orders / 2 * 2;
        for (int o = 0; o < N_OBS; o++)
            for (int r = 0; r < REPEATS; r++) {
                const float *x = rs->test.x + (size_t)(o + 1) * M;
                double phi[MAX_FEATURES];
                shapley_permutation(phi, &v, x, orders, 0, &rng);
                err[0][b] += relative_rmse(phi, exact[o], M) / (N_OBS * REPEATS);
                shapley_permutation(phi, &v, x, orders, 1, &rng);
                err[1][b] += relative_rmse(phi, exact[o], M) / (N_OBS * REPEATS);
                singular += shapley_kernel(phi, &v, x, budgets[b] - 2, &rng) != NN_OK;
                err[2][b] += relative_rmse(phi, exact[o], M) / (N_OBS * REPEATS);
            }
    }
    nn_clear_error();
    nn_say("\n5. Estimators against the exact values (diabetes network, M = %d, exact: %d coalitions x %d background "
           "rows)\n",
           M, 1 << M, nb);
    nn_say("   relative RMS error, mean of %d observations x %d repeats\n", N_OBS, REPEATS);
    nn_say("   %12s %14s %14s %14s %14s\n", "coalitions", "model evals", "permutation", "antithetic", "KernelSHAP");
    double evals[16];
    for (int b = 0; b < N_BUDGETS; b++) {
        evals[b] = (double)budgets[b] * nb;
        nn_say("   %12d %14.0f %14.4f %14.4f %14.4f\n", budgets[b], evals[b], err[0][b], err[1][b], err[2][b]);
    }
    int last = N_BUDGETS - 1;
    int all_converge = 1;
    for (int k = 0; k < 3; k++)
        all_converge &= err[k][last] < err[k][0] / 8;
    if (singular)
        nn_say("   (KernelSHAP's least-squares system was singular in %d runs: too few distinct coalitions)\n",
               singular);
    nn_claim(all_converge, "estimators-converge",
             "from %d to %d coalitions the errors fall from %.3f, %.3f, %.3f to %.4f, %.4f, %.4f (permutation, "
             "antithetic, KernelSHAP): each under an eighth of where it started",
             budgets[0], budgets[last], err[0][0], err[1][0], err[2][0], err[0][last], err[1][last], err[2][last]);
    /* Antithetic pairs against plain orders: the geometric mean of the error
     * ratio over the budgets from 128 coalitions on. */
    double log_ratio = 0;
    for (int b = 2; b < N_BUDGETS; b++)
        log_ratio += log(err[1][b] / err[0][b]) / (N_BUDGETS - 2);
    nn_claim(exp(log_ratio) < 1, "antithetic-helps",
             "antithetic pairs make permutation sampling more accurate: from %d coalitions on, their error is "
             "on average %.0f%% of plain sampling's",
             budgets[2], 100 * exp(log_ratio));
    /* The budget that buys exact enumeration: 2^M coalitions. */
    for (int b = 0; b < N_BUDGETS; b++)
        if (budgets[b] == 1 << M)
            nn_claim(err[0][b] > 0.01 && err[1][b] > 0.01 && err[2][b] > 0.01, "exact-is-cheaper",
                     "at the cost of exact enumeration (%d coalitions) the estimators still err by %.1f%%, %.1f%% "
                     "and %.1f%%: with %d features, enumerate",
                     budgets[b], 100 * err[0][b], 100 * err[1][b], 100 * err[2][b], M);
    figure_estimator_error(evals, err, N_BUDGETS, (long long)(1 << M) * nb);
    value_free(&v);
}

/* The 30-feature breast cancer network: 2^30 coalitions are out of reach,
 * so the estimators take over.  A classifier has two outputs worth
 * explaining.  Its logit f(x) is what the network computes last, and SHAP
 * values of the logit add up in log-odds.  Its probability sigmoid(f(x))
 * is what a reader understands, and SHAP values of the probability add up
 * in probability; but the sigmoid squashes, so the same feature moves the
 * probability little where it is near 0 or 1 and much near 1/2, and the
 * base value E sigmoid(f(X)) is not sigmoid(E f(X)). */
static void section_cancer(const train_options *o, uint64_t seed, const char *method, int budget, int quick)
{
    enum { NB = 50 };
    table_set all, train, test;
    if (load_cancer_set(&all) != NN_OK)
        nn_die_last();
    nn_rng rng = nn_rng_new(seed + 600);
    set_split(&all, 0.7, &rng, &train, &test);
    int M = all.d;
    nn_say("\n5 (continued). The breast cancer network: %d features, class 1 = benign\n", M);
    if (strcmp(method, "exact") == 0 && require_enumerable(M, "the breast cancer set") != NN_OK)
        nn_die_last();
    mlp net;
    train_options co = *o;
    co.epochs = quick ? 5 : 60;
    if (mlp_train(&net, train.x, train.t, train.n, M, 1, &co, seed + 601) != NN_OK)
        nn_die_last();
    float *logits = nn_floats((size_t)test.n);
    mlp_predict(&net, test.x, test.n, logits);
    int correct = 0;
    for (int r = 0; r < test.n; r++)
        correct += (logits[r] > 0) == (test.t[r] > 0.5f);
    nn_say("   %d-%d-1 network: test accuracy %.1f%% (%d of %d)\n", M, co.hidden, 100.0 * correct / test.n, correct,
           test.n);
    /* Explain the test tumour whose probability is nearest 1/2 among the
     * malignant ones: a case worth explaining. */
    int pick = 0;
    double nearest = 1e30;
    for (int r = 0; r < test.n; r++)
        if (test.t[r] < 0.5f && fabs(logits[r]) < nearest) {
            nearest = fabs(logits[r]);
            pick = r;
        }
    const float *x = test.x + (size_t)pick * M;
    model_fn f_logit = mlp_model(&net), f_prob = {predict_mlp_probability, &net, M};
    value_function v;
    value_init(&v, &f_logit, train.x, NB);
    double phi_k[MAX_FEATURES], phi_p[MAX_FEATURES], phi_prob[MAX_FEATURES], ends[2];
    uint64_t end_masks[2] = {0, ((uint64_t)1 << M) - 1};
    coalition_values(&v, x, end_masks, 2, ends);
    int run_kernel = strcmp(method, "permutation") != 0, run_perm = strcmp(method, "kernel") != 0;
    nn_say("   test tumour %d (malignant): logit f(x) = %+.3f, base value E f(X) = %+.3f;  %d coalitions x %d "
           "background rows each\n",
           pick, ends[1], ends[0], budget, NB);
    if (run_kernel && shapley_kernel(phi_k, &v, x, budget, &rng) != NN_OK)
        nn_die(1, "KernelSHAP: %s; raise --evals", nn_last_error());
    int orders = budget / (M - 1) / 2 * 2;
    if (run_perm)
        shapley_permutation(phi_p, &v, x, orders > 2 ? orders : 2, 1, &rng);
    value_free(&v);
    value_init(&v, &f_prob, train.x, NB);
    double prob_ends[2];
    coalition_values(&v, x, end_masks, 2, prob_ends);
    if (shapley_kernel(phi_prob, &v, x, budget, &rng) != NN_OK)
        nn_die(1, "KernelSHAP: %s; raise --evals", nn_last_error());
    value_free(&v);
    const double *main_phi = run_kernel ? phi_k : phi_p;
    int order[MAX_FEATURES];
    for (int j = 0; j < M; j++)
        order[j] = j;
    for (int a = 0; a < M; a++)
        for (int b = a + 1; b < M; b++)
            if (fabs(main_phi[order[b]]) > fabs(main_phi[order[a]])) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    nn_say("   %-22s %10s %12s %12s %12s\n", "largest |phi| (logit)", "x", "KernelSHAP", "permutation",
           "probability");
    for (int k = 0; k < 6; k++) {
        int j = order[k];
        char kernel_cell[16] = "(not run)", perm_cell[16] = "(not run)"; /* --method chose the other one */
        if (run_kernel)
            snprintf(kernel_cell, sizeof kernel_cell, "%+.4f", phi_k[j]);
        if (run_perm)
            snprintf(perm_cell, sizeof perm_cell, "%+.4f", phi_p[j]);
        nn_say("   %-22s %10.4g %12s %12s %+12.4f\n", all.names[j], x[j], kernel_cell, perm_cell, phi_prob[j]);
    }
    double sum_k = ends[0], sum_prob = prob_ends[0];
    for (int j = 0; j < M; j++) {
        sum_k += main_phi[j];
        sum_prob += phi_prob[j];
    }
    nn_claim(fabs(sum_k - ends[1]) < 1e-4 && fabs(sum_prob - prob_ends[1]) < 1e-5, "cancer-additive",
             "in log-odds the values add to %.4f = f(x) = %.4f; in probability to %.4f = sigmoid(f(x)) = %.4f",
             sum_k, ends[1], sum_prob, prob_ends[1]);
    nn_claim(prob_ends[0] < nn_sigmoid(ends[0]) - 0.02, "cancer-base-values",
             "the probability's base value E sigmoid(f(X)) = %.4f is not sigmoid(E f(X)) = %.4f: it lies %.3f below "
             "(more than 0.02)",
             prob_ends[0], nn_sigmoid(ends[0]), nn_sigmoid(ends[0]) - prob_ends[0]);
    if (run_kernel && run_perm) {
        double rel = relative_rmse(phi_p, phi_k, M);
        nn_claim(rel < 0.1, "cancer-estimators-agree",
                 "KernelSHAP and antithetic permutation sampling, each with about %d coalitions, agree within "
                 "%.1f%% (relative RMS) on the 30 values",
                 budget, 100 * rel);
    }
    free(logits);
    mlp_free(&net);
    set_free(&all);
    set_free(&train);
    set_free(&test);
}

/* ======================================================================
 * Section 6. Deck 001's variable importance
 * ======================================================================
 *
 * Permutation importance: the score of the model on test data, minus its
 * score once column j is shuffled (which breaks j's link with the target
 * and with the other features while keeping its distribution).  Repeating
 * the shuffle gives a spread.  The score here is R^2, what sklearn's
 * permutation_importance uses for a regressor by default; the deck's table
 * (eli5, accuracy of a random forest) prints mean +- 2 standard deviations
 * over 5 shuffles.  Nothing is refitted: the deck's "re-permuting a variable
 * and refitting" would be a drop-column importance, another measure.
 *
 * perms, when given, is (repeats, n): the rows the j-th column is taken
 * from in repeat r, the same for every feature (sklearn draws them that
 * way; the test replays its draws).  Otherwise each feature and repeat gets
 * its own shuffle from rng.  raw is (d, repeats). */
static void permutation_importance(double *mean, double *std, double *raw, const model_fn *f, const float *X,
                                   const float *t, int n, int d, int repeats, const int *perms, nn_rng *rng)
{
    float *Xp = nn_floats((size_t)n * d);
    int *perm = nn_malloc((size_t)n * sizeof *perm);
    double baseline = model_r_squared(f, X, t, n);
    for (int j = 0; j < d; j++) {
        double sum = 0, sq = 0;
        for (int r = 0; r < repeats; r++) {
            if (perms)
                memcpy(perm, perms + (size_t)r * n, (size_t)n * sizeof *perm);
            else
                nn_rng_permutation(rng, perm, (size_t)n);
            memcpy(Xp, X, (size_t)n * d * sizeof *Xp);
            for (int i = 0; i < n; i++)
                Xp[(size_t)i * d + j] = X[(size_t)perm[i] * d + j];
            double drop = baseline - model_r_squared(f, Xp, t, n);
            raw[(size_t)j * repeats + r] = drop;
            sum += drop;
        }
        mean[j] = sum / repeats;
        for (int r = 0; r < repeats; r++)
            sq += (raw[(size_t)j * repeats + r] - mean[j]) * (raw[(size_t)j * repeats + r] - mean[j]);
        std[j] = sqrt(sq / repeats); /* numpy's std (ddof 0), as sklearn reports it */
    }
    free(Xp);
    free(perm);
}

/* ---- A surrogate tree ------------------------------------------------------
 * Deck 001: "calculate the predictions from a neural net, and then fit a
 * decision tree model to the predicted values".  A regression tree (CART:
 * greedy splits x_j <= threshold that most reduce the squared error, to a
 * fixed depth) fitted to f's predictions on the training rows is a readable
 * stand-in for f, and its splits' error reductions give a variable
 * importance.  How far to trust it is its fidelity: R^2 of the tree's
 * predictions against the network's, on rows neither was fitted to. */
enum { TREE_MAX_NODES = 64, TREE_MIN_LEAF = 5 };
typedef struct {
    int feature;              /* -1 for a leaf */
    float threshold;
    int left, right;
    double value;             /* mean of the rows that reach the node */
    int n;
} tree_node;

typedef struct {
    tree_node nodes[TREE_MAX_NODES];
    int n_nodes;
    double importance[MAX_FEATURES]; /* squared error removed by each feature's splits */
} tree;

static const float *sort_x;
static int sort_d, sort_j;
static int compare_rows(const void *a, const void *b)
{
    float x = sort_x[(size_t)*(const int *)a * sort_d + sort_j], y = sort_x[(size_t)*(const int *)b * sort_d + sort_j];
    return (x > y) - (x < y);
}

static int tree_grow(tree *tr, const float *X, const double *y, int d, int *rows, int n, int depth)
{
    int id = tr->n_nodes++;
    tree_node *node = &tr->nodes[id];
    double sum = 0, sq = 0;
    for (int i = 0; i < n; i++) {
        sum += y[rows[i]];
        sq += y[rows[i]] * y[rows[i]];
    }
    node->value = sum / n;
    node->n = n;
    node->feature = -1;
    if (depth == 0 || n < 2 * TREE_MIN_LEAF || tr->n_nodes + 2 > TREE_MAX_NODES)
        return id;
    double parent_sse = sq - sum * sum / n, best = parent_sse * (1 - 1e-12);
    int best_j = -1;
    float best_threshold = 0;
    for (int j = 0; j < d; j++) {
        sort_x = X;
        sort_d = d;
        sort_j = j;
        qsort(rows, (size_t)n, sizeof *rows, compare_rows);
        double left_sum = 0, left_sq = 0;
        for (int i = 0; i < n - 1; i++) {
            double yi = y[rows[i]];
            left_sum += yi;
            left_sq += yi * yi;
            float here = X[(size_t)rows[i] * d + j], next = X[(size_t)rows[i + 1] * d + j];
            int nl = i + 1, nr = n - nl;
            if (here == next || nl < TREE_MIN_LEAF || nr < TREE_MIN_LEAF)
                continue;
            double right_sum = sum - left_sum, right_sq = sq - left_sq;
            double sse = left_sq - left_sum * left_sum / nl + right_sq - right_sum * right_sum / nr;
            if (sse < best) {
                best = sse;
                best_j = j;
                best_threshold = 0.5f * (here + next);
            }
        }
    }
    if (best_j < 0)
        return id;
    tr->importance[best_j] += parent_sse - best;
    int nl = 0;
    for (int i = 0; i < n; i++)
        if (X[(size_t)rows[i] * d + best_j] <= best_threshold) {
            int t = rows[nl];
            rows[nl++] = rows[i];
            rows[i] = t;
        }
    node->feature = best_j;
    node->threshold = best_threshold;
    int left = tree_grow(tr, X, y, d, rows, nl, depth - 1);
    int right = tree_grow(tr, X, y, d, rows + nl, n - nl, depth - 1);
    tr->nodes[id].left = left;
    tr->nodes[id].right = right;
    return id;
}

static double tree_predict(const tree *tr, const float *x)
{
    int id = 0;
    while (tr->nodes[id].feature >= 0)
        id = x[tr->nodes[id].feature] <= tr->nodes[id].threshold ? tr->nodes[id].left : tr->nodes[id].right;
    return tr->nodes[id].value;
}

static void tree_print(const tree *tr, int id, int depth, const table_set *s)
{
    const tree_node *node = &tr->nodes[id];
    if (node->feature < 0) {
        nn_say("   %*s-> %.1f\n", 2 * depth, "", node->value); /* the leaf's prediction: its rows' mean */
        return;
    }
    /* Each branch with the number of rows that take it. */
    nn_say("   %*s%s <= %.4g  (%d rows)\n", 2 * depth, "", s->names[node->feature], node->threshold,
           tr->nodes[node->left].n);
    tree_print(tr, node->left, depth + 1, s);
    nn_say("   %*s%s >  %.4g  (%d rows)\n", 2 * depth, "", s->names[node->feature], node->threshold,
           tr->nodes[node->right].n);
    tree_print(tr, node->right, depth + 1, s);
}

static void figure_importance(const double *mean, const double *std, int d, const char *const names[]);

/* A copy of column j appended as a last column. */
static void set_with_duplicate(table_set *dst, const table_set *src, int j)
{
    set_alloc(dst, src->n, src->d + 1);
    memcpy(dst->names, src->names, sizeof dst->names);
    snprintf(dst->names[src->d], sizeof dst->names[src->d], "%.18s'", src->names[j]);
    for (int r = 0; r < src->n; r++) {
        memcpy(dst->x + (size_t)r * dst->d, src->x + (size_t)r * src->d, (size_t)src->d * sizeof(float));
        dst->x[(size_t)r * dst->d + src->d] = src->x[(size_t)r * src->d + j];
        dst->t[r] = src->t[r];
    }
}

static void section_importance(regression_setup *rs, const train_options *o, uint64_t seed, int repeats)
{
    int d = rs->train.d, n = rs->test.n;
    model_fn f = mlp_model(&rs->net);
    double mean[MAX_FEATURES + 1], std[MAX_FEATURES + 1];
    double *raw = nn_doubles((size_t)(d + 1) * repeats);
    nn_rng rng = nn_rng_new(seed + 700);
    permutation_importance(mean, std, raw, &f, rs->test.x, rs->test.t, n, d, repeats, NULL, &rng);
    int order[MAX_FEATURES];
    for (int j = 0; j < d; j++)
        order[j] = j;
    for (int a = 0; a < d; a++)
        for (int b = a + 1; b < d; b++)
            if (mean[order[b]] > mean[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    nn_say("\n6. Permutation importance on %d test rows (test R^2 %.3f; importance = its drop, %d shuffles each)\n", n,
           model_r_squared(&f, rs->test.x, rs->test.t, n), repeats);
    nn_say("   %-8s %s\n", "Feature", "Weight (mean +- 2 std, as the deck's table)");
    for (int k = 0; k < d; k++)
        nn_say("   %-8s %.4f +- %.4f\n", rs->train.names[order[k]], mean[order[k]], 2 * std[order[k]]);
    const char *names[MAX_FEATURES];
    for (int j = 0; j < d; j++)
        names[j] = rs->train.names[j];
    figure_importance(mean, std, d, names);

    /* Correlated features: the same network trained with a copy of the most
     * important feature.  Shuffling one copy leaves the other: the model still
     * sees the information, and the importance is split between them. */
    int top = order[0];
    table_set train2, test2;
    set_with_duplicate(&train2, &rs->train, top);
    set_with_duplicate(&test2, &rs->test, top);
    mlp net2;
    if (mlp_train(&net2, train2.x, train2.t, train2.n, d + 1, 0, o, seed + 701) != NN_OK)
        nn_die_last();
    model_fn f2 = mlp_model(&net2);
    double mean2[MAX_FEATURES + 1], std2[MAX_FEATURES + 1];
    double *raw2 = nn_doubles((size_t)(d + 1) * repeats);
    permutation_importance(mean2, std2, raw2, &f2, test2.x, test2.t, n, d + 1, repeats, NULL, &rng);
    nn_say("   with a copy %s' of %s as an extra column: %s %.4f, %s' %.4f (alone: %.4f)\n", rs->train.names[top],
           rs->train.names[top], rs->train.names[top], mean2[top], rs->train.names[top], mean2[d], mean[top]);
    nn_claim(mean2[top] < mean[top] && mean2[d] < mean[top], "duplicate-splits-importance",
             "a duplicated %s splits its importance: %.4f and %.4f, each below the %.4f it has alone",
             rs->train.names[top], mean2[top], mean2[d], mean[top]);
    mlp_free(&net2);
    set_free(&train2);
    set_free(&test2);
    free(raw2);

    /* The surrogate tree, depth 3, fitted to the network's predictions. */
    float *pred = nn_floats((size_t)rs->train.n), *pred_test = nn_floats((size_t)n), *tree_test = nn_floats((size_t)n);
    mlp_predict(&rs->net, rs->train.x, rs->train.n, pred);
    mlp_predict(&rs->net, rs->test.x, n, pred_test);
    double *y = nn_doubles((size_t)rs->train.n);
    int *rows = nn_malloc((size_t)rs->train.n * sizeof *rows);
    for (int r = 0; r < rs->train.n; r++) {
        y[r] = pred[r];
        rows[r] = r;
    }
    tree tr;
    memset(&tr, 0, sizeof tr);
    tree_grow(&tr, rs->train.x, y, d, rows, rs->train.n, 3);
    for (int r = 0; r < n; r++)
        tree_test[r] = (float)tree_predict(&tr, rs->test.x + (size_t)r * d);
    double fidelity = r_squared(tree_test, pred_test, n);
    double tree_r2 = r_squared(tree_test, rs->test.t, n);
    nn_say("   surrogate tree (depth 3) fitted to the network's predictions on the %d training rows:\n", rs->train.n);
    tree_print(&tr, 0, 0, &rs->train);
    int tree_top = 0;
    for (int j = 1; j < d; j++)
        if (tr.importance[j] > tr.importance[tree_top])
            tree_top = j;
    nn_say("   fidelity (R^2 of tree vs network on the test rows) %.3f; tree vs the true target %.3f\n", fidelity,
           tree_r2);
    nn_claim(fidelity > 0.5 && (tree_top == order[0] || tree_top == order[1]), "surrogate-tree",
             "the depth-3 surrogate tree reproduces the network's test predictions with R^2 %.3f, and the feature "
             "its splits rely on most, %s, is one of the two that permutation importance ranks highest",
             fidelity, rs->train.names[tree_top]);
    free(pred);
    free(pred_test);
    free(tree_test);
    free(y);
    free(rows);
    free(raw);
}

/* ======================================================================
 * Section 7. Interpretation through predictions
 * ======================================================================
 *
 * Deck 001: "vary the inputs (the predictors) and see what happens to the
 * response", one predictor X_j at a time, over a grid of its values.  What
 * to do with the other predictors?
 *   1. hold them at their means: one curve, for a "most typical" person
 *      (who may not exist: sex is coded 1 or 2, and its mean is neither);
 *   2. hold them at each observation's own values: one curve per
 *      observation, the individual conditional expectation (ICE) curves.
 * Their average over the observations is the partial dependence (PD)
 * curve, PD_j(z) = (1/n) sum_r f(x_r with x_rj = z); where ICE curves are
 * not parallel, X_j interacts with other predictors.  Two predictors at once
 * give a map PD_jk(z, w).
 *
 * The grid runs from the 5th to the 95th percentile of X_j in the training
 * rows (sklearn's default), so curves do not extrapolate into the thin
 * tails.  ice is (n, G), pd (G); either may be NULL. */
static void ice_curves(double *ice, double *pd, const model_fn *f, const float *X, int n, int d, int j,
                       const double *grid, int G)
{
    float *rows = nn_floats((size_t)n * d), *out = nn_floats((size_t)n);
    for (int g = 0; g < G; g++) {
        memcpy(rows, X, (size_t)n * d * sizeof *rows);
        for (int r = 0; r < n; r++)
            rows[(size_t)r * d + j] = (float)grid[g];
        f->predict(f->ctx, rows, n, out);
        double sum = 0;
        for (int r = 0; r < n; r++) {
            if (ice)
                ice[(size_t)r * G + g] = out[r];
            sum += out[r];
        }
        if (pd)
            pd[g] = sum / n;
    }
    free(rows);
    free(out);
}

/* map (Gj, Gk): PD_jk(grid_j[a], grid_k[b]) at map[a Gk + b]. */
static void partial_dependence_2d(double *map, const model_fn *f, const float *X, int n, int d, int j, int k,
                                  const double *grid_j, int Gj, const double *grid_k, int Gk)
{
    float *rows = nn_floats((size_t)n * d), *out = nn_floats((size_t)n);
    for (int a = 0; a < Gj; a++)
        for (int b = 0; b < Gk; b++) {
            memcpy(rows, X, (size_t)n * d * sizeof *rows);
            for (int r = 0; r < n; r++) {
                rows[(size_t)r * d + j] = (float)grid_j[a];
                rows[(size_t)r * d + k] = (float)grid_k[b];
            }
            f->predict(f->ctx, rows, n, out);
            double sum = 0;
            for (int r = 0; r < n; r++)
                sum += out[r];
            map[a * Gk + b] = sum / n;
        }
    free(rows);
    free(out);
}

static void feature_grid(double *grid, int G, const table_set *s, int j)
{
    double *col = nn_doubles((size_t)s->n);
    for (int r = 0; r < s->n; r++)
        col[r] = s->x[(size_t)r * s->d + j];
    double lo = percentile(col, s->n, 0.05), hi = percentile(col, s->n, 0.95);
    for (int g = 0; g < G; g++)
        grid[g] = lo + (hi - lo) * g / (G - 1);
    free(col);
}

static void figure_ice(const double *grid, int G, const double *ice, int n_ice, const double *pd, const double *at_means,
                       const double *lo, const double *hi, const char *name, int n_boot);
static void figure_map(const double *map, const double *grid_j, int Gj, const double *grid_k, int Gk, const char *name_j,
                       const char *name_k);

/* Bootstrap uncertainty (deck 001): refit the network on n rows drawn with
 * replacement from the n training rows, recompute the PD curve, and take the
 * 2.5th and 97.5th percentiles of the refits at each grid point: a 95% band
 * for the curve.  The band shows how much the curve owes to the particular
 * sample the network was trained on. */
static void section_predictions(regression_setup *rs, const train_options *o, uint64_t seed, int j, int k, int n_boot)
{
    enum { G = 20, N_ICE = 60 };
    int d = rs->train.d, n = rs->test.n;
    model_fn f = mlp_model(&rs->net);
    double grid[G], grid_k[G], pd[G], at_means[G], lo[G], hi[G];
    feature_grid(grid, G, &rs->train, j);
    feature_grid(grid_k, G, &rs->train, k);
    double *ice = nn_doubles((size_t)n * G);
    ice_curves(ice, pd, &f, rs->test.x, n, d, j, grid, G);
    float means[MAX_FEATURES];
    for (int c = 0; c < d; c++) {
        double sum = 0;
        for (int r = 0; r < rs->train.n; r++)
            sum += rs->train.x[(size_t)r * d + c];
        means[c] = (float)(sum / rs->train.n);
    }
    ice_curves(NULL, at_means, &f, means, 1, d, j, grid, G);
    nn_say("\n7. Predictions against %s: at the means, every test row (ICE), their average (PD), %d bootstrap refits\n",
           rs->train.names[j], n_boot);

    double *boot = nn_doubles((size_t)n_boot * G);
    nn_rng rng = nn_rng_new(seed + 800);
    table_set sample;
    int *idx = nn_malloc((size_t)rs->train.n * sizeof *idx);
    for (int b = 0; b < n_boot; b++) {
        for (int r = 0; r < rs->train.n; r++)
            idx[r] = (int)nn_rng_below(&rng, (uint32_t)rs->train.n);
        set_take(&sample, &rs->train, idx, rs->train.n);
        mlp net;
        if (mlp_train(&net, sample.x, sample.t, sample.n, d, 0, o, seed + 801 + (uint64_t)b) != NN_OK)
            nn_die_last();
        model_fn fb = mlp_model(&net);
        ice_curves(NULL, boot + (size_t)b * G, &fb, rs->test.x, n, d, j, grid, G);
        mlp_free(&net);
        set_free(&sample);
        nn_progress("bootstrap refits", b + 1, n_boot);
    }
    nn_progress_end();
    int inside = 0;
    double column[1024];
    nn_say("   %10s %10s %10s %10s %10s\n", rs->train.names[j], "at means", "PD", "2.5%", "97.5%");
    for (int g = 0; g < G; g++) {
        for (int b = 0; b < n_boot; b++)
            column[b] = boot[(size_t)b * G + g];
        lo[g] = percentile(column, n_boot, 0.025);
        hi[g] = percentile(column, n_boot, 0.975);
        inside += pd[g] >= lo[g] && pd[g] <= hi[g];
        if (g % 4 == 0 || g == G - 1)
            nn_say("   %10.4g %10.2f %10.2f %10.2f %10.2f\n", grid[g], at_means[g], pd[g], lo[g], hi[g]);
    }
    double rise = pd[G - 1] - pd[0], band_rise = lo[G - 1] - hi[0];
    if (j == 2 && strcmp(rs->train.names[j], "bmi") == 0)
        nn_claim(rise > 0 && band_rise > 0, "pd-bmi-rises",
                 "the partial dependence on bmi rises by %.1f across the grid, and even the band's lowest curve "
                 "at the top of the grid lies above its highest at the bottom (by %.1f)",
                 rise, band_rise);
    nn_claim(inside >= G - 2, "pd-inside-band",
             "the full-data partial dependence lies inside the bootstrap band at %d of %d grid points", inside, G);
    figure_ice(grid, G, ice, n < N_ICE ? n : N_ICE, pd, at_means, lo, hi, rs->train.names[j], n_boot);

    double *map = nn_doubles((size_t)G * G);
    partial_dependence_2d(map, &f, rs->test.x, n, d, j, k, grid, G, grid_k, G);
    nn_say("   two predictors: PD(%s, %s) from %.1f (both low) to %.1f (both high)\n", rs->train.names[j],
           rs->train.names[k], map[0], map[G * G - 1]);
    figure_map(map, grid, G, grid_k, G, rs->train.names[j], rs->train.names[k]);
    free(map);
    free(idx);
    free(boot);
    free(ice);
}

/* ---- --export: the regression network and its test rows ----------------
 * A text file for tests/ch09/sklearn_reference.py, which rebuilds the same
 * network in numpy and hands it to sklearn.inspection.  One record per
 * line, a key then its numbers; floats with 9 significant digits, enough to
 * give back the same float. */
static int export_model(const char *path, const mlp *net, const table_set *test)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return nn_error("--export %s: cannot open for writing", path);
    fprintf(fp, "# ch09-shap --export: f(x) = t_mean + t_std (W2 tanh(W1 (x - x_mean)/x_std + b1) + b2)\n");
    fprintf(fp, "format 1\nD %d\nH %d\nn %d\nnames", net->D, net->H, test->n);
    for (int j = 0; j < net->D; j++)
        fprintf(fp, " %s", test->names[j]);
    fprintf(fp, "\nx_mean");
    for (int j = 0; j < net->D; j++)
        fprintf(fp, " %.17g", net->x_mean[j]);
    fprintf(fp, "\nx_std");
    for (int j = 0; j < net->D; j++)
        fprintf(fp, " %.17g", net->x_std[j]);
    fprintf(fp, "\nt_mean %.17g\nt_std %.17g\n", net->t_mean, net->t_std);
    const char *keys[4] = {"W1", "b1", "W2", "b2"};
    const float *arrays[4] = {net->W1, net->b1, net->W2, net->b2};
    size_t counts[4] = {(size_t)net->H * net->D, (size_t)net->H, (size_t)net->H, 1};
    for (int a = 0; a < 4; a++) {
        fprintf(fp, "%s", keys[a]);
        for (size_t i = 0; i < counts[a]; i++)
            fprintf(fp, " %.9g", arrays[a][i]);
        fprintf(fp, "\n");
    }
    for (int r = 0; r < test->n; r++) {
        fprintf(fp, "X");
        for (int j = 0; j < test->d; j++)
            fprintf(fp, " %.9g", test->x[(size_t)r * test->d + j]);
        fprintf(fp, "\n");
    }
    fprintf(fp, "y");
    for (int r = 0; r < test->n; r++)
        fprintf(fp, " %.9g", test->t[r]);
    fprintf(fp, "\n");
    if (fclose(fp) != 0)
        return nn_error("--export %s: write failed", path);
    return NN_OK;
}

#ifdef NN_CHAPTER_NO_MAIN
/* The reverse, for the tests (which include this file without its main):
 * NN_ERR naming the line on anything unexpected.  net must start zeroed. */
static int import_model(const char *path, mlp *net, table_set *test)
{
    FILE *fp = fopen(path, "r");
    if (!fp)
        return nn_error("%s: cannot open", path);
    static char line[1 << 16];
    int D = -1, H = -1, n = -1, row = 0, lineno = 0, status = NN_OK;
    while (status == NN_OK && fgets(line, sizeof line, fp)) {
        lineno++;
        char *save = NULL, *key = strtok_r(line, " \n", &save);
        if (!key || key[0] == '#' || strcmp(key, "format") == 0 || strcmp(key, "names") == 0)
            continue;
        if (strcmp(key, "D") == 0 || strcmp(key, "H") == 0 || strcmp(key, "n") == 0) {
            int value = atoi(strtok_r(NULL, " \n", &save));
            if (key[0] == 'D')
                D = value;
            else if (key[0] == 'H')
                H = value;
            else
                n = value;
            if (D > 0 && H > 0 && n > 0 && !net->params) {
                mlp_alloc(net, D, H, 0);
                set_alloc(test, n, D);
            }
            continue;
        }
        if (!net->params) {
            status = nn_error("%s:%d: %s before the sizes D, H, n", path, lineno, key);
            break;
        }
        double *dst_d = NULL;
        float *dst_f = NULL;
        size_t want = 0;
        if (strcmp(key, "x_mean") == 0) dst_d = net->x_mean, want = (size_t)D;
        else if (strcmp(key, "x_std") == 0) dst_d = net->x_std, want = (size_t)D;
        else if (strcmp(key, "t_mean") == 0) dst_d = &net->t_mean, want = 1;
        else if (strcmp(key, "t_std") == 0) dst_d = &net->t_std, want = 1;
        else if (strcmp(key, "W1") == 0) dst_f = net->W1, want = (size_t)H * D;
        else if (strcmp(key, "b1") == 0) dst_f = net->b1, want = (size_t)H;
        else if (strcmp(key, "W2") == 0) dst_f = net->W2, want = (size_t)H;
        else if (strcmp(key, "b2") == 0) dst_f = net->b2, want = 1;
        else if (strcmp(key, "X") == 0 && row < n) dst_f = test->x + (size_t)row++ * D, want = (size_t)D;
        else if (strcmp(key, "y") == 0) dst_f = test->t, want = (size_t)n;
        else {
            status = nn_error("%s:%d: unexpected record '%s'", path, lineno, key);
            break;
        }
        size_t got = 0;
        for (char *tok; got < want && (tok = strtok_r(NULL, " \n", &save)); got++) {
            if (dst_d)
                dst_d[got] = strtod(tok, NULL);
            else
                dst_f[got] = strtof(tok, NULL);
        }
        if (got != want)
            status = nn_error("%s:%d: %s has %zu numbers, expected %zu", path, lineno, key, got, want);
    }
    fclose(fp);
    if (status == NN_OK && (!net->params || row != n))
        status = nn_error("%s: incomplete (%d of %d rows of X)", path, row, n);
    return status;
}
#endif

/* ======================================================================
 * Figures
 * ====================================================================== */
static void fig_end(nn_fig *fig)
{
    if (nn_fig_end(fig) != NN_OK)
        nn_die_last();
}

/* ytics naming rows 1..M from the bottom, order[M-1-k] at height k+1 (the
 * first of `order` on top). */
static void fig_feature_tics(nn_fig *fig, const char *const names[], const int *order, int M)
{
    char buf[4096];
    size_t used = (size_t)snprintf(buf, sizeof buf, "set ytics (");
    for (int k = 0; k < M && used < sizeof buf - 64; k++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s\"%s\" %d", k ? ", " : "", names[order[k]], M - k);
    snprintf(buf + used, sizeof buf - used, ") noenhanced");
    nn_fig_cmd(fig, "%s", buf);
}

static void figure_waterfall(const double *phi, double base, double fx, const char *const names[], int M,
                             const char *title)
{
    int order[MAX_FEATURES];
    for (int j = 0; j < M; j++)
        order[j] = j;
    for (int a = 0; a < M; a++)
        for (int b = a + 1; b < M; b++)
            if (fabs(phi[order[b]]) > fabs(phi[order[a]])) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "waterfall") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "row start end colour phi");
    double c = base, lo = fmin(base, fx), hi = fmax(base, fx);
    for (int k = M - 1; k >= 0; k--) {
        int j = order[k];
        double end = c + phi[j];
        fprintf(f, "%d %.6g %.6g %d %+.2f\n", M - k, c, end, phi[j] >= 0 ? 0xD55E00 : 0x0072B2, phi[j]);
        lo = fmin(lo, fmin(c, end));
        hi = fmax(hi, fmax(c, end));
        c = end;
    }
    double pad = 0.12 * (hi - lo > 0 ? hi - lo : 1);
    nn_fig_cmd(&fig, "set title \"%s\" noenhanced", title);
    nn_fig_cmd(&fig, "set xlabel 'prediction (orange pushes it up, blue down)'\nunset key\nset grid noytics xtics");
    /* One empty row above the bars holds the two end labels, each on the
     * inner side of its line so that neither runs into a bar or the border. */
    nn_fig_cmd(&fig, "set xrange [%.6g:%.6g]\nset yrange [0.3:%d.7]", lo - pad, hi + pad, M + 1);
    fig_feature_tics(&fig, names, order, M);
    nn_fig_cmd(&fig, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead dt 2 lc rgb '#444444'", base, base);
    nn_fig_cmd(&fig, "set arrow from %.6g, graph 0 to %.6g, graph 1 nohead lc rgb '#444444'", fx, fx);
    const char *base_side = base >= fx ? "right offset -0.5,0" : "left offset 0.5,0";
    const char *fx_side = base >= fx ? "left offset 0.5,0" : "right offset -0.5,0";
    nn_fig_cmd(&fig, "set label 'base value E f(X) = %.1f' at %.6g, %d %s noenhanced", base, base, M + 1, base_side);
    nn_fig_cmd(&fig, "set label 'f(x) = %.1f' at %.6g, %d %s noenhanced", fx, fx, M + 1, fx_side);
    nn_fig_cmd(&fig, "set style fill solid 0.85 noborder");
    nn_fig_cmd(&fig, "plot '%s' using (($2+$3)/2):1:2:3:($1-0.35):($1+0.35):4 with boxxyerror lc rgb variable, "
                     "'' using (($2+$3)/2):1:5 with labels font ',9' tc rgb '#222222'",
               nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_beeswarm(const double *phi, const float *x, int n, int M, const char *const names[],
                            const int *order, nn_rng *rng)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "beeswarm") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "phi row feature_value_scaled_0_1");
    for (int k = 0; k < M; k++) {
        int j = order[k];
        float lo = x[j], hi = x[j];
        for (int r = 0; r < n; r++) {
            lo = fminf(lo, x[(size_t)r * M + j]);
            hi = fmaxf(hi, x[(size_t)r * M + j]);
        }
        for (int r = 0; r < n; r++)
            fprintf(f, "%.6g %.4f %.4f\n", phi[(size_t)r * M + j], M - k + nn_rng_range(rng, -0.3, 0.3),
                    hi > lo ? (x[(size_t)r * M + j] - lo) / (hi - lo) : 0.5);
    }
    nn_fig_cmd(&fig, "set title 'SHAP values of every test row and feature (synthetic set, exact)'");
    nn_fig_cmd(&fig, "set xlabel 'SHAP value (effect on the prediction)'\nunset key\nset yrange [0.4:%d.6]", M);
    fig_feature_tics(&fig, names, order, M);
    nn_fig_cmd(&fig, "set palette defined (0 '#0072B2', 0.5 '#BBBBBB', 1 '#D55E00')\nset cbrange [0:1]");
    nn_fig_cmd(&fig, "set cblabel 'feature value (low to high)'\nset cbtics ('low' 0, 'high' 1)");
    nn_fig_cmd(&fig, "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#888888'");
    nn_fig_cmd(&fig, "plot '%s' using 1:2:3 with points pt 7 ps 0.5 lc palette", nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_bars(const double *mean_net, const double *mean_truth, int M, const char *const names[],
                        const int *order)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "shap-bars") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "row mean_abs_phi_network mean_abs_phi_true_function");
    for (int k = 0; k < M; k++)
        fprintf(f, "%d %.6g %.6g\n", M - k, mean_net[order[k]], mean_truth[order[k]]);
    nn_fig_cmd(&fig, "set title 'Mean |SHAP value| per feature: the network and the true function'");
    nn_fig_cmd(&fig, "set xlabel 'mean |SHAP value| over the test rows'\nset xrange [0:*]\nset yrange [0.4:%d.6]",
               M);
    fig_feature_tics(&fig, names, order, M);
    nn_fig_cmd(&fig, "set style fill solid 0.85 noborder\nset key bottom right");
    nn_fig_cmd(&fig, "plot '%s' using ($2/2):($1+0.18):(0):2:($1+0.02):($1+0.34) with boxxyerror ls 1 "
                     "title 'trained network', "
                     "'' using ($3/2):($1-0.18):(0):3:($1-0.34):($1-0.02) with boxxyerror ls 2 title 'true function'",
               nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_dependence(const double *phi, const double *phi_truth, const float *x, int n, int M, int j,
                              const char *const names[])
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "dependence") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "feature_value phi_network phi_true_function");
    for (int r = 0; r < n; r++)
        fprintf(f, "%.6g %.6g %.6g\n", x[(size_t)r * M + j], phi[(size_t)r * M + j], phi_truth[(size_t)r * M + j]);
    nn_fig_cmd(&fig, "set title \"Dependence plot of %s: its SHAP value against its value\" noenhanced", names[j]);
    nn_fig_cmd(&fig, "set xlabel \"%s\" noenhanced\nset ylabel 'SHAP value'\nset key top left", names[j]);
    nn_fig_cmd(&fig, "plot '%s' using 1:3 with points pt 7 ps 0.4 lc rgb '#BBBBBB' title 'true function', "
                     "'' using 1:2 with points ls 1 pt 7 ps 0.6 title 'trained network'",
               nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_importance(const double *mean, const double *std, int d, const char *const names[])
{
    int order[MAX_FEATURES];
    for (int j = 0; j < d; j++)
        order[j] = j;
    for (int a = 0; a < d; a++)
        for (int b = a + 1; b < d; b++)
            if (mean[order[b]] > mean[order[a]]) {
                int t = order[a];
                order[a] = order[b];
                order[b] = t;
            }
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "permutation-importance") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "row mean_drop_in_R2 std");
    for (int k = 0; k < d; k++)
        fprintf(f, "%d %.6g %.6g\n", d - k, mean[order[k]], std[order[k]]);
    nn_fig_cmd(&fig, "nn_r2 = (nn_format eq 'tex' || nn_format eq 'texinc') ? '$R^2$' : 'R^2'");
    nn_fig_cmd(&fig, "set title 'Permutation importance: drop in test '.nn_r2.' when a column is shuffled (mean +- 2 std, as printed)'");
    nn_fig_cmd(&fig, "set xlabel 'drop in '.nn_r2\nunset key\nset yrange [0.4:%d.6]", d);
    fig_feature_tics(&fig, names, order, d);
    nn_fig_cmd(&fig, "set style fill solid 0.85 noborder");
    nn_fig_cmd(&fig, "set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb '#444444'");
    nn_fig_cmd(&fig, "plot '%s' using ($2/2):1:(0):2:($1-0.35):($1+0.35) with boxxyerror ls 1, "
                     "'' using 2:1:(2*$3) with xerrorbars ls 8 pt 0",
               nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_ice(const double *grid, int G, const double *ice, int n_ice, const double *pd, const double *at_means,
                       const double *lo, const double *hi, const char *name, int n_boot)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "ice-pd") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, "ice", "grid prediction (one block per test row)");
    for (int r = 0; r < n_ice; r++) {
        for (int g = 0; g < G; g++)
            fprintf(f, "%.6g %.6g\n", grid[g], ice[(size_t)r * G + g]);
        fprintf(f, "\n");
    }
    FILE *c = nn_fig_data(&fig, "pd", "grid partial_dependence at_means band_2.5 band_97.5");
    for (int g = 0; g < G; g++)
        fprintf(c, "%.6g %.6g %.6g %.6g %.6g\n", grid[g], pd[g], at_means[g], lo[g], hi[g]);
    nn_fig_cmd(&fig, "set title \"Predictions against %s: ICE curves, their average (PD) and a %d-refit bootstrap band\" "
                     "noenhanced",
               name, n_boot);
    nn_fig_cmd(&fig, "set xlabel \"%s\" noenhanced\nset ylabel 'predicted disease progression'\nset key top left", name);
    nn_fig_cmd(&fig, "set autoscale xfix"); /* the grid's own ends: no empty strip past the 95th percentile */
    nn_fig_cmd(&fig, "set style fill transparent solid 0.3 noborder");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines lc rgb '#CCCCCC' lw 0.8 title 'ICE (one test row each)', "
                     "'%s' using 1:4:5 with filledcurves lc rgb '#0072B2' title 'bootstrap band of PD (2.5 to 97.5 percentiles)', "
                     "'' using 1:2 with lines ls 1 lw 3 title 'partial dependence (mean of ICE)', "
                     "'' using 1:3 with lines ls 2 dt 2 title 'others at their means'",
               nn_fig_path(&fig, "ice"), nn_fig_path(&fig, "pd"));
    fig_end(&fig);
}

static void figure_map(const double *map, const double *grid_j, int Gj, const double *grid_k, int Gk, const char *name_j,
                       const char *name_k)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "pd-map") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "x_j x_k partial_dependence (blocks of constant x_j)");
    for (int a = 0; a < Gj; a++) {
        for (int b = 0; b < Gk; b++)
            fprintf(f, "%.6g %.6g %.6g\n", grid_j[a], grid_k[b], map[a * Gk + b]);
        fprintf(f, "\n");
    }
    nn_fig_cmd(&fig, "set title \"Two predictors at once: partial dependence on %s and %s\" noenhanced", name_j, name_k);
    nn_fig_cmd(&fig, "set xlabel \"%s\" noenhanced\nset ylabel \"%s\" noenhanced\nunset key", name_j, name_k);
    nn_fig_cmd(&fig, "set cblabel 'predicted disease progression'\nunset grid");
    nn_fig_cmd(&fig, "set palette defined (0 '#FFFFCC', 0.5 '#FD8D3C', 1 '#800026')");
    nn_fig_cmd(&fig, "set xrange [%.6g:%.6g]\nset yrange [%.6g:%.6g]", grid_j[0], grid_j[Gj - 1], grid_k[0],
               grid_k[Gk - 1]);
    nn_fig_cmd(&fig, "plot '%s' using 1:2:3 with image", nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

static void figure_estimator_error(const double *evals, double err[3][16], int n_budgets, long long exact_evals)
{
    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "estimator-error") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "model_evaluations permutation antithetic kernelshap");
    for (int b = 0; b < n_budgets; b++)
        fprintf(f, "%.6g %.6g %.6g %.6g\n", evals[b], fmax(err[0][b], 1e-12), fmax(err[1][b], 1e-12),
                fmax(err[2][b], 1e-12));
    nn_fig_cmd(&fig, "set title 'Error of the estimators against exact Shapley values (diabetes network, M = 10)'");
    nn_fig_cmd(&fig, "set xlabel 'model evaluations'\nset ylabel 'relative RMS error'\nset logscale xy");
    nn_fig_cmd(&fig, "set format y nn_pow10\nset format x nn_pow10\nset key top right");
    nn_fig_cmd(&fig, "set arrow from %lld, graph 0 to %lld, graph 1 nohead dt 2 lc rgb '#444444'", exact_evals,
               exact_evals);
    nn_fig_cmd(&fig, "set label 'exact enumeration' at %lld, graph 0.08 offset 0.5,0", exact_evals);
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'permutation sampling', "
                     "'' using 1:3 with linespoints ls 2 title 'antithetic permutations', "
                     "'' using 1:4 with linespoints ls 3 title 'KernelSHAP'",
               nn_fig_path(&fig, NULL));
    fig_end(&fig);
}

/* ======================================================================
 * The run
 * ====================================================================== */
typedef struct {
    nn_common common;
    train_options train;
    const char *csv, *method, *export_path;
    int feature, feature2, bootstrap, repeats, evals, explain, quick;
} options;

static void setup_regression(regression_setup *rs, const options *o)
{
    table_set all;
    if (o->csv ? load_csv_set(&all, o->csv) : load_diabetes_set(&all))
        nn_die_last();
    int d = all.d;
    if (o->feature >= d || o->feature2 >= d)
        nn_usage_error("--feature%s %d is out of range: the %s set has %d features, numbered 0 to %d",
                       o->feature >= d ? "" : "2", o->feature >= d ? o->feature : o->feature2,
                       o->csv ? o->csv : "diabetes", d, d - 1);
    if (o->feature == o->feature2)
        nn_usage_error("--feature and --feature2 are both %d: the two-predictor map needs two different features",
                       o->feature);
    nn_rng rng = nn_rng_new(o->common.seed + 300);
    set_split(&all, 0.7, &rng, &rs->train, &rs->test);
    set_free(&all);
    if (mlp_train(&rs->net, rs->train.x, rs->train.t, rs->train.n, d, 0, &o->train, o->common.seed + 301) != NN_OK)
        nn_die_last();
    rs->nb = rs->train.n < 40 ? rs->train.n : 40;
    rs->background = rs->train.x;
    model_fn f = mlp_model(&rs->net);
    nn_say("\n1. The regression network: %s, %d features, %d-%d-1 tanh MLP, Adam, %d epochs\n",
           o->csv ? o->csv : "diabetes", d, d, o->train.hidden, o->train.epochs);
    nn_say("   %d training rows R^2 %.3f, %d test rows R^2 %.3f\n", rs->train.n,
           model_r_squared(&f, rs->train.x, rs->train.t, rs->train.n), rs->test.n,
           model_r_squared(&f, rs->test.x, rs->test.t, rs->test.n));
}

#ifndef NN_CHAPTER_NO_MAIN
int main(int argc, char **argv)
{
    static const char *const methods[] = {"both", "kernel", "permutation", "exact", NULL};
    options o = {.train = {.hidden = 16, .epochs = 40, .batch = 32, .lr = 0.01},
                 .method = "both", .feature = 2, .feature2 = 8, .bootstrap = 20, .repeats = 5,
                 .evals = 2048, .explain = 200};
    nn_option opts[] = {
        NN_OPT_STRING("csv", "FILE", "explain a network trained on this numeric CSV (target in the last column) "
                      "instead of diabetes", &o.csv),
        NN_OPT_INT("feature", "J", "the predictor of section 7's curves (2 is diabetes' bmi)", &o.feature, 0, 1000000),
        NN_OPT_INT("feature2", "K", "the second predictor of the two-predictor map (8 is diabetes' s5)", &o.feature2, 0,
                   1000000),
        NN_OPT_CHOICE("method", "NAME", "estimator for the 30-feature breast cancer model: both, kernel, "
                      "permutation (exact is refused: 2^30 coalitions)", &o.method, methods),
        NN_OPT_INT("evals", "N", "coalitions the estimators may evaluate on the breast cancer model", &o.evals, 64,
                   1000000),
        NN_OPT_INT("bootstrap", "B", "bootstrap refits for section 7's band (at least 2)", &o.bootstrap, 0, 1000),
        NN_OPT_INT("repeats", "R", "shuffles per feature for permutation importance", &o.repeats, 1, 1000),
        NN_OPT_INT("explain", "N", "test rows explained exactly in section 4", &o.explain, 1, 200),
        NN_OPT_INT("epochs", "N", "training epochs of the regression networks (diabetes or --csv)", &o.train.epochs, 1,
                   100000),
        NN_OPT_INT("hidden", "H", "hidden units of the regression networks", &o.train.hidden, 1, 4096),
        NN_OPT_DOUBLE("lr", "RATE", "Adam learning rate of the diabetes (or --csv), synthetic and cancer networks",
                      &o.train.lr, 1e-9, 1e3),
        NN_OPT_FLAG("quick", "a fast run for trying options and for the tests: small budgets, few epochs "
                    "(its claims are not expected to hold)", &o.quick),
        NN_OPT_STRING("export", "FILE", "write the regression network and its test rows (for the sklearn test)",
                      &o.export_path),
        NN_OPT_END};
    nn_cli_parse(argc, argv, "ch09-shap", "Chapter 9: SHAP values, and interpreting a model through its predictions",
                 opts, &o.common);
    if (o.bootstrap < 2)
        nn_usage_error("--bootstrap %d: a percentile band needs at least 2 bootstrap refits (20 or more for a "
                       "useful 95%% band)",
                       o.bootstrap);

    if (o.quick) {
        o.bootstrap = 2;
        o.explain = 5;
        o.evals = 128;
        o.repeats = 1;
        o.train.epochs = 3;
    }
    if (strcmp(o.method, "exact") == 0) {
        table_set cancer;
        if (load_cancer_set(&cancer) != NN_OK)
            nn_die_last();
        if (require_enumerable(cancer.d, "the breast cancer set") != NN_OK)
            nn_die_last();
        set_free(&cancer);
    }

    double start = nn_seconds();
    nn_say("Chapter 9: SHAP values and interpreting a model through its predictions; seed %llu\n",
           (unsigned long long)o.common.seed);
    regression_setup rs;
    memset(&rs, 0, sizeof rs);
    setup_regression(&rs, &o);
    if (o.export_path && export_model(o.export_path, &rs.net, &rs.test) != NN_OK)
        nn_die_last();

    /* Full-batch steps: the income networks should reach the cell means,
     * not wander around them with the noise of mini-batches. */
    train_options income_train = {.hidden = 8, .epochs = o.quick ? 100 : 600, .batch = 1 << 30, .lr = 0.02};
    double phi_retrained[3];
    table_set income;
    mlp income_full;
    section_income(&income_train, o.common.seed, phi_retrained, &income, &income_full);
    section_fixed_model(&rs, o.common.seed);
    section_retrain_vs_fill(&income_train, o.common.seed, phi_retrained, &income, &income_full);
    section_synthetic(&o.train, o.common.seed, o.explain, o.quick);
    section_estimator_error(&rs, o.common.seed, o.quick);
    section_cancer(&o.train, o.common.seed, o.method, o.evals, o.quick);
    section_importance(&rs, &o.train, o.common.seed, o.repeats);
    section_predictions(&rs, &o.train, o.common.seed, o.feature, o.feature2, o.bootstrap);

    nn_say("Figures written under %s/plots/%s/ (%.1f s)\n", o.common.out_dir, CHAPTER, nn_seconds() - start);
    mlp_free(&income_full);
    set_free(&income);
    mlp_free(&rs.net);
    set_free(&rs.train);
    set_free(&rs.test);
    return 0;
}
#endif
