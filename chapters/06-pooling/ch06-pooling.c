/* Chapter 6: Pooling
 * ==================
 *
 * A convolutional layer (chapter 5) produces one feature map per filter, as
 * large as the image.  A pooling layer "downsamples the volume spatially,
 * independently in each depth slice of the input volume" (deck 002): it
 * slides a window over each map and replaces the window by one number, its
 * maximum, its mean or its L2 norm.  It has no parameters to learn.  Two
 * reasons to do this (deck 002, "Pooling layers"; deck 004, "Why max
 * pooling?"):
 *
 *   - "the exact location of a feature isn't as important as its rough
 *     location": pooling gives some translation invariance;
 *   - it "reduces the number of parameters needed in later layers".
 *
 * This chapter computes pooling with plain loops, checks the library's fast
 * version against them, and measures both claims:
 *
 *   section 1  max, average and L2 pooling; the Duke deck's 4x4 example
 *   section 2  the shape rule: depth is preserved, 224x224x64 -> 112x112x64
 *   section 3  the backward pass: max routes, average spreads
 *   section 4  overlapping pooling (3x3, stride 2) and global average pooling
 *   section 5  translation invariance, measured by shifting images; and
 *              equivariance: a 2-pixel shift moves the 2x2-pooled grid by
 *              exactly one cell
 *   section 6  the parameters saved in the layers after pooling
 *
 * Notation (deck 004): Omega(i', j') is the set of positions (i, j) of layer
 * l that the window of output (i', j') covers, and max pooling is
 *     s_{i',j'} = max_{(i,j) in Omega(i',j')} a_{i,j}.
 * A window of F x F with stride S gives, by the same rule as convolution
 * with no padding (one helper, nn_out_size, serves both),
 *     W2 = (W - F)/S + 1   (rounded down),   D2 = D.
 * Arrays are NCHW; rows i, columns j from 0.
 *
 * Build and run:   make ch06-pooling && ./ch06-pooling
 * Figures:         ./ch06-pooling --out . && gnuplot plots/06-pooling/invariance.gp
 *                  (and pooled.gp, shift.gp), or `make figures`
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "nn_claim.h"

#define CHAPTER "06-pooling"

/* ======================================================================
 * Section 1. Max, average and L2 pooling
 * ======================================================================
 *
 * For one plane of H x W values and output (i', j') the window is
 *     Omega(i', j') = { (i' S + u, j' S + v) : 0 <= u, v < F }
 * and
 *     max:      s = max_{Omega} a
 *     average:  s = (1/F^2) sum_{Omega} a
 *     L2:       s = sqrt( sum_{Omega} a^2 )       ("L2 pooling is also
 *                                                   common", deck 002)
 * The max pool also remembers where its maximum was (the argmax, as an index
 * i W + j into the plane): the backward pass needs it (section 3).  A tie
 * keeps the first maximum in reading order, as PyTorch does. */
typedef enum { POOL_MAX, POOL_AVG, POOL_L2 } pool_kind;
static const char *const pool_names[3] = {"max", "average", "L2"};

typedef struct {
    int H, W, F, S, H2, W2;
} pool_shape;

static pool_shape make_pool_shape(int H, int W, int F, int S)
{
    pool_shape s = {H, W, F, S, 0, 0};
    if (nn_out_size("pool height", H, F, S, 0, &s.H2) != NN_OK ||
        nn_out_size("pool width", W, F, S, 0, &s.W2) != NN_OK)
        nn_die_last();
    return s;
}

/* a (H, W) -> out (H2, W2); argmax (H2, W2) for max pooling, else may be NULL */
static void pool_forward(double *out, int *argmax, const double *a, const pool_shape *s,
                         pool_kind kind)
{
    for (int i = 0; i < s->H2; i++)
        for (int j = 0; j < s->W2; j++) {
            double best = -INFINITY, sum = 0, sum_sq = 0;
            int at = -1;
            for (int u = 0; u < s->F; u++)
                for (int v = 0; v < s->F; v++) {
                    int idx = (i * s->S + u) * s->W + j * s->S + v;
                    if (a[idx] > best) {
                        best = a[idx];
                        at = idx;
                    }
                    sum += a[idx];
                    sum_sq += a[idx] * a[idx];
                }
            double *o = &out[i * s->W2 + j];
            if (kind == POOL_MAX) {
                *o = best;
                argmax[i * s->W2 + j] = at;
            } else if (kind == POOL_AVG) {
                *o = sum / (s->F * s->F);
            } else {
                *o = sqrt(sum_sq);
            }
        }
}

static void print_map(const char *indent, const double *m, int rows, int cols, const char *fmt)
{
    for (int i = 0; i < rows; i++) {
        nn_say("%s", indent);
        for (int j = 0; j < cols; j++)
            nn_say(fmt, m[i * cols + j]);
        nn_say("\n");
    }
}

static float *to_floats(const double *x, size_t n)
{
    float *f = nn_floats(n);
    for (size_t q = 0; q < n; q++)
        f[q] = (float)x[q];
    return f;
}

static double max_abs_diff(const double *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t q = 0; q < n; q++)
        worst = fmax(worst, fabs(a[q] - (double)b[q]));
    return worst;
}

/* The Duke deck's (003) example: 2x2 max pool filter and stride 2. */
static const double duke[16] = {1, 2, 2, 4,
                                2, 5, 1, 8,
                                3, 0, 4, 4,
                                6, 1, 7, 6};

static void section_kinds(void)
{
    nn_say("\n1. Max, average and L2 pooling: deck 003's 4x4 example, 2x2 windows, stride 2\n");
    print_map("     ", duke, 4, 4, "%3.0f");
    pool_shape s = make_pool_shape(4, 4, 2, 2);
    nn_pool_dims d;
    if (nn_pool_dims_make(&d, 1, 1, 4, 4, 2, 2) != NN_OK)
        nn_die_last();
    float *x = to_floats(duke, 16), lib[4];
    int argmax[4], lib_argmax[4];
    for (int kind = POOL_MAX; kind <= POOL_L2; kind++) {
        double out[4];
        pool_forward(out, argmax, duke, &s, (pool_kind)kind);
        nn_say("   %s pooling:\n", pool_names[kind]);
        print_map("     ", out, 2, 2, kind == POOL_MAX ? "%3.0f" : "%7.3f");
        int rc = kind == POOL_MAX ? nn_maxpool_forward(lib, lib_argmax, x, &d)
                 : kind == POOL_AVG ? nn_avgpool_forward(lib, x, &d)
                                    : nn_l2pool_forward(lib, x, &d);
        if (rc != NN_OK)
            nn_die_last();
        nn_say("     library: max |difference| %.1g\n", max_abs_diff(out, lib, 4));
    }
    pool_forward((double[4]){0}, argmax, duke, &s, POOL_MAX);
    nn_say("   the maxima sit at (row, column) (%d,%d) (%d,%d) (%d,%d) (%d,%d): the argmax the\n"
           "   backward pass will route gradients to\n", argmax[0] / 4, argmax[0] % 4,
           argmax[1] / 4, argmax[1] % 4, argmax[2] / 4, argmax[2] % 4, argmax[3] / 4, argmax[3] % 4);
    free(x);
}

/* ======================================================================
 * Section 2. The shape rule
 * ======================================================================
 *
 * Each channel is pooled on its own, so the depth does not change: deck
 * 002's 224 x 224 x 64 volume, pooled 2x2 with stride 2, becomes
 * 112 x 112 x 64, a quarter of the values.  The output size is the
 * convolution's rule with P = 0, rounded down when the window does not fit a
 * whole number of times: a 7x7 map pooled 2x2/2 gives 3x3, and its last row
 * and column are dropped. */
static void section_shapes(void)
{
    nn_say("\n2. The shape rule: W2 = (W - F)/S + 1, depth preserved\n");
    static const struct { int W, D, F, S; const char *what; } cases[] = {
        {224, 64, 2, 2, "deck 002"},
        {28, 32, 2, 2, "after the first conv of chapter 5's net"},
        {7, 1, 2, 2, "(7-2)/2 = 2.5: rounded down, last row and column dropped"},
        {55, 96, 3, 2, "AlexNet's overlapping 3x3 windows, stride 2"},
        {13, 256, 3, 2, "AlexNet's last pool"},
    };
    nn_say("   %-16s %3s %3s %-16s  %s\n", "input", "F", "S", "output", "");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nn_pool_dims d;
        if (nn_pool_dims_make(&d, 1, cases[c].D, cases[c].W, cases[c].W, cases[c].F, cases[c].S) != NN_OK)
            nn_die_last();
        char in[32], out[32];
        snprintf(in, sizeof in, "%dx%dx%d", cases[c].W, cases[c].W, cases[c].D);
        snprintf(out, sizeof out, "%dx%dx%d", d.H2, d.W2, d.C);
        nn_say("   %-16s %3d %3d %-16s  %s\n", in, cases[c].F, cases[c].S, out, cases[c].what);
    }
    nn_pool_dims d;
    if (nn_pool_dims_make(&d, 1, 1, 3, 3, 4, 2) == NN_ERR)
        nn_say("   a 4x4 window on a 3x3 map is refused: %s\n", nn_last_error());
}

/* ======================================================================
 * Section 3. The backward pass
 * ======================================================================
 *
 * Max pooling.  Deck 004:
 *     ds_{i',j'} / da_{i,j} = I( (i,j) = argmax_{(i,j) in Omega(i',j')} a_{i,j} ):
 * "the partial derivative is 1 precisely for the coordinates of the max value
 * in the set and 0 otherwise".  So dL/da gets dL/ds at the argmax of each
 * window and nothing anywhere else: the gradient is routed, not spread.
 * Average pooling: every a in the window counts 1/F^2, so each gets
 * dL/ds / F^2.  L2 pooling: ds/da = a / s (and 0 for a window of zeros,
 * where the square root has no derivative).  As everywhere in the kit, the
 * backward pass adds into dL/da: overlapping windows (section 4) add up. */
static void pool_backward(double *d_a, const double *d_s, const double *a, const double *s_out,
                          const int *argmax, const pool_shape *s, pool_kind kind)
{
    for (int i = 0; i < s->H2; i++)
        for (int j = 0; j < s->W2; j++) {
            double g = d_s[i * s->W2 + j];
            if (kind == POOL_MAX) {
                /* in the forward pass this was: s = a[argmax]; so */
                d_a[argmax[i * s->W2 + j]] += g;
                continue;
            }
            for (int u = 0; u < s->F; u++)
                for (int v = 0; v < s->F; v++) {
                    int idx = (i * s->S + u) * s->W + j * s->S + v;
                    if (kind == POOL_AVG) {
                        /* in the forward pass this was: s = (1/F^2) sum a; so */
                        d_a[idx] += g / (s->F * s->F);
                    } else if (s_out[i * s->W2 + j] > 0) {
                        /* in the forward pass this was: s = sqrt(sum a^2); so */
                        d_a[idx] += g * a[idx] / s_out[i * s->W2 + j];
                    }
                }
        }
}

/* Central differences on L = sum s g for a fixed g. */
typedef struct {
    const pool_shape *s;
    pool_kind kind;
    double *a, *g, *out;
    int *argmax;
} pool_check;

static double check_loss(void *ctx)
{
    pool_check *c = ctx;
    pool_forward(c->out, c->argmax, c->a, c->s, c->kind);
    double loss = 0;
    for (int q = 0; q < c->s->H2 * c->s->W2; q++)
        loss += c->out[q] * c->g[q];
    return loss;
}

static void section_backward(nn_rng *rng)
{
    nn_say("\n3. The backward pass: max routes, average spreads\n");
    pool_shape s = make_pool_shape(4, 4, 2, 2);
    static const double d_s[4] = {1, 2, 3, 4};
    double out[4], d_a[16];
    int argmax[4];
    nn_say("   dL/ds = [[1, 2], [3, 4]] on deck 003's example:\n");
    for (int kind = POOL_MAX; kind <= POOL_AVG; kind++) {
        memset(d_a, 0, sizeof d_a);
        pool_forward(out, argmax, duke, &s, (pool_kind)kind);
        pool_backward(d_a, d_s, duke, out, argmax, &s, (pool_kind)kind);
        nn_say("   dL/da, %s pooling:\n", pool_names[kind]);
        print_map("     ", d_a, 4, 4, "%6.2f");
    }

    /* Gradient checks of all three on a random 7x9 map, 3x3 windows,
     * stride 2 (overlapping), then the library against the loops. */
    pool_shape big = make_pool_shape(7, 9, 3, 2);
    int n_in = 7 * 9, n_out = big.H2 * big.W2;
    pool_check c = {&big, POOL_MAX, nn_doubles((size_t)n_in), nn_doubles((size_t)n_out),
                    nn_doubles((size_t)n_out), malloc(sizeof(int) * n_out)};
    for (int q = 0; q < n_in; q++)
        c.a[q] = nn_rng_normal(rng);
    for (int q = 0; q < n_out; q++)
        c.g[q] = nn_rng_normal(rng);
    nn_pool_dims d;
    if (nn_pool_dims_make(&d, 1, 1, 7, 9, 3, 2) != NN_OK)
        nn_die_last();
    float *af = to_floats(c.a, (size_t)n_in), *gf = to_floats(c.g, (size_t)n_out);
    float *of = nn_floats((size_t)n_out), *daf = nn_floats((size_t)n_in);
    int *lib_argmax = malloc(sizeof(int) * n_out);
    nn_say("   7x9 map, 3x3 windows, stride 2; central differences (eps 1e-6), and the library:\n");
    for (int kind = POOL_MAX; kind <= POOL_L2; kind++) {
        c.kind = (pool_kind)kind;
        double *analytic = nn_doubles((size_t)n_in), *numeric = nn_doubles((size_t)n_in);
        check_loss(&c);
        pool_backward(analytic, c.g, c.a, c.out, c.argmax, &big, c.kind);
        for (int q = 0; q < n_in; q++) {
            double saved = c.a[q];
            c.a[q] = saved + 1e-6;
            double up = check_loss(&c);
            c.a[q] = saved - 1e-6;
            double down = check_loss(&c);
            c.a[q] = saved;
            numeric[q] = (up - down) / 2e-6;
        }
        nn_zero(daf, (size_t)n_in);
        int rc = kind == POOL_MAX ? nn_maxpool_forward(of, lib_argmax, af, &d) |
                                        nn_maxpool_backward(daf, gf, lib_argmax, &d)
                 : kind == POOL_AVG ? nn_avgpool_forward(of, af, &d) | nn_avgpool_backward(daf, gf, &d)
                                    : nn_l2pool_forward(of, af, &d) | nn_l2pool_backward(daf, gf, af, of, &d);
        if (rc != NN_OK)
            nn_die_last();
        nn_say("     %-8s relative error %.1e;  library dL/da max |difference| %.1e\n", pool_names[kind],
               nn_rel_error(analytic, numeric, (size_t)n_in, NULL), max_abs_diff(analytic, daf, (size_t)n_in));
        free(analytic);
        free(numeric);
    }
    free(c.a); free(c.g); free(c.out); free(c.argmax);
    free(af); free(gf); free(of); free(daf); free(lib_argmax);
}

/* ======================================================================
 * Section 4. Overlapping pooling and global average pooling
 * ======================================================================
 *
 * With S < F neighbouring windows share positions: AlexNet pools 3x3 with
 * stride 2 (deck 004 lists its "3x3 max-pool layers").  A large value on a
 * shared border can win two windows, and then receives both gradients.
 *
 * Global average pooling takes the whole H x W map as one window: each
 * channel becomes one number, its mean.  After the last convolution it
 * replaces flattening, so the classifier's input size no longer depends on
 * the image size (section 6 counts what it saves). */
static void section_overlap_global(void)
{
    nn_say("\n4. Overlapping pooling (3x3, stride 2) and global average pooling\n");
    /* A 5x5 map whose largest value sits on the border of both windows. */
    static const double shared[25] = {0, 1, 0, 0, 0,
                                      1, 0, 2, 0, 1,
                                      0, 0, 9, 0, 0,
                                      0, 1, 0, 3, 0,
                                      2, 0, 0, 0, 1};
    pool_shape s = make_pool_shape(5, 5, 3, 2);
    double out[4], d_a[25] = {0};
    int argmax[4];
    static const double ones[4] = {1, 1, 1, 1};
    pool_forward(out, argmax, shared, &s, POOL_MAX);
    pool_backward(d_a, ones, shared, out, argmax, &s, POOL_MAX);
    nn_say("   5x5 map with a 9 in the centre, 3x3 windows, stride 2 -> %dx%d:\n", s.H2, s.W2);
    print_map("     ", out, 2, 2, "%3.0f");
    nn_say("   the centre lies in all four windows and wins each: with dL/ds = 1 everywhere it\n"
           "   collects dL/da = %.0f, every other position 0\n", d_a[12]);

    /* Global average pooling of a 2-channel 3x3 stack. */
    static const float stack[18] = {1, 2, 3, 4, 5, 6, 7, 8, 9,
                                    0, 0, 0, 0, 9, 0, 0, 0, 0};
    float means[2];
    if (nn_global_avgpool_forward(means, stack, 1, 2, 3, 3) != NN_OK)
        nn_die_last();
    nn_say("   global average pooling of a 2x3x3 stack: channel means %.0f and %.0f (one number\n"
           "   per channel, whatever the map size)\n", means[0], means[1]);
}

/* ======================================================================
 * Section 5. Translation invariance, measured
 * ======================================================================
 *
 * "Provides basic translation invariance and therefore more robust matching
 * of features in the presence of small distortions" (deck 004).  To measure
 * it: compute features f(x) of an image x, shift x by t pixels (content moves
 * right, the gap fills with zeros) and compute f again.  The relative change
 *
 *     change(t) = sqrt( sum_x ||f(shift_t x) - f(x)||^2 / sum_x ||f(x)||^2 )
 *
 * over many images is 0 for features that ignore the shift and about 1.4
 * (sqrt 2) for features that share nothing after it.  The features are
 * edge maps: four 3x3 Sobel filters (dark-to-light in four directions),
 * padding 1, then ReLU, as in a first convolutional layer.  Pooled versions:
 *   none        the edge maps themselves (28x28);
 *   max 2x2     one 2x2/2 max pool (14x14);
 *   avg 2x2     one 2x2/2 average pool;
 *   max 2x2 x2  two max pools (7x7), as after two conv+pool stages;
 *   global avg  one number per filter.
 * Each is the library's layer, the fast version, on a batch of images. */
enum { N_FILTERS = 4, N_SHIFTS = 4, N_FEATURES = 5 };
static const char *const feature_names[N_FEATURES] = {"none", "max 2x2", "avg 2x2", "max 2x2 x2",
                                                      "global avg"};
static const float sobel[N_FILTERS * 9] = {-1, 0, 1, -2, 0, 2, -1, 0, 1,
                                           1, 0, -1, 2, 0, -2, 1, 0, -1,
                                           -1, -2, -1, 0, 0, 0, 1, 2, 1,
                                           1, 2, 1, 0, 0, 0, -1, -2, -1};

/* images (N, 1, 28, 28) shifted right by t columns (t < 0: left) */
static void shift_right(float *dst, const float *src, int N, int t)
{
    for (int n = 0; n < N; n++)
        for (int i = 0; i < 28; i++)
            for (int j = 0; j < 28; j++) {
                int from = j - t;
                dst[((size_t)n * 28 + i) * 28 + j] =
                    from >= 0 && from < 28 ? src[((size_t)n * 28 + i) * 28 + from] : 0.0f;
            }
}

typedef struct {
    float *edges, *max1, *avg1, *max2, *global;   /* the five feature sets */
    size_t sizes[N_FEATURES];
} features;

static void compute_features(features *f, const float *images, int N)
{
    nn_conv_dims cd;
    nn_pool_dims p1, p2;
    if (nn_conv_dims_make(&cd, N, 1, 28, 28, N_FILTERS, 3, 1, 1) != NN_OK ||
        nn_pool_dims_make(&p1, N, N_FILTERS, 28, 28, 2, 2) != NN_OK ||
        nn_pool_dims_make(&p2, N, N_FILTERS, 14, 14, 2, 2) != NN_OK)
        nn_die_last();
    f->sizes[0] = nn_conv_out_size(&cd);
    f->sizes[1] = f->sizes[2] = nn_pool_out_size(&p1);
    f->sizes[3] = nn_pool_out_size(&p2);
    f->sizes[4] = (size_t)N * N_FILTERS;
    f->edges = nn_floats(f->sizes[0]);
    f->max1 = nn_floats(f->sizes[1]);
    f->avg1 = nn_floats(f->sizes[2]);
    f->max2 = nn_floats(f->sizes[3]);
    f->global = nn_floats(f->sizes[4]);
    int *argmax = malloc(sizeof(int) * f->sizes[1]);
    if (nn_conv2d_forward(f->edges, images, sobel, NULL, &cd) != NN_OK)
        nn_die_last();
    for (size_t q = 0; q < f->sizes[0]; q++)
        f->edges[q] = f->edges[q] > 0 ? f->edges[q] : 0;   /* ReLU */
    if (nn_maxpool_forward(f->max1, argmax, f->edges, &p1) != NN_OK ||
        nn_avgpool_forward(f->avg1, f->edges, &p1) != NN_OK ||
        nn_maxpool_forward(f->max2, argmax, f->max1, &p2) != NN_OK ||
        nn_global_avgpool_forward(f->global, f->edges, N, N_FILTERS, 28, 28) != NN_OK)
        nn_die_last();
    free(argmax);
}

static void features_free(features *f)
{
    free(f->edges); free(f->max1); free(f->avg1); free(f->max2); free(f->global);
}

static double relative_change(const float *a, const float *b, size_t n)
{
    double diff = 0, norm = 0;
    for (size_t q = 0; q < n; q++) {
        diff += ((double)a[q] - b[q]) * ((double)a[q] - b[q]);
        norm += (double)b[q] * b[q];
    }
    return sqrt(diff / fmax(norm, 1e-30));
}

/* A row of maps, each on its own colour scale with its own colour bar, as
 * in chapter 5: a map with no negative values grey from 0 (black) to its
 * maximum (white), a signed map (a difference) blue-white-red around 0.  An
 * image in 0..1 and an edge map in 0..4 are then both visible.  guide >= 0
 * draws a dashed vertical line just right of that column in the first two
 * panels: a fixed reference that makes a one-pixel shift visible. */
static void figure_grid(const char *name, const char *title, const float *const *images,
                        const char *const *titles, const int *rows, const int *cols, int n, int guide)
{
    int layout_rows = n > 5 ? 2 : 1, layout_cols = (n + layout_rows - 1) / layout_rows;
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, name, 250 * layout_cols + 40, 250 * layout_rows + 50) != NN_OK)
        nn_die_last();
    char part[16];
    for (int p = 0; p < n; p++) {
        snprintf(part, sizeof part, "%d", p);
        FILE *f = nn_fig_data(&fig, part, "a (rows x cols) map, row 0 first");
        nn_fig_write_matrix(f, images[p], rows[p], cols[p]);
    }
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title \"%s\" noenhanced", layout_rows, layout_cols, title);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nset size ratio -1\nset cbtics font ',8'");
    for (int p = 0; p < n; p++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int q = 0; q < rows[p] * cols[p]; q++) {
            lo = fmin(lo, images[p][q]);
            hi = fmax(hi, images[p][q]);
        }
        if (lo >= 0) {
            nn_fig_cmd(&fig, "@nn_palette_gray\nset cbrange [0:%.6g]", hi > 0 ? hi : 1);
        } else {
            double m = fmax(fmax(fabs(lo), fabs(hi)), 1e-12);
            nn_fig_cmd(&fig, "@nn_palette_diverging\nset cbrange [%.6g:%.6g]", -m, m);
        }
        snprintf(part, sizeof part, "%d", p);
        nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", cols[p] - 0.5, rows[p] - 0.5);
        if (guide >= 0 && p < 2)
            nn_fig_cmd(&fig, "set arrow 1 from %g, graph 0 to %g, graph 1 nohead dashtype 2 lw 2 "
                             "lc rgb '#E69F00' front", guide + 0.5, guide + 0.5);
        else
            nn_fig_cmd(&fig, "unset arrow 1");
        nn_fig_cmd(&fig, "set title \"%s\" noenhanced", titles[p]);
        nn_fig_cmd(&fig, "plot '%s' matrix with image notitle", nn_fig_path(&fig, part));
    }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* Equivariance, checked exactly.  A convolution commutes with a shift: the
 * edge map of an image moved t pixels right is the edge map moved t pixels
 * right, f(shift_t x) = shift_t f(x), wherever neither window reaches the
 * right border (there the moved image's window sees padding where the
 * original saw a pixel).  A 2x2/2 pool then turns a shift by 2 pixels into a
 * shift by exactly one cell of the pooled grid: every window holds the same
 * four numbers as its left neighbour held before.  A 1-pixel shift has no
 * such counterpart on the pooled grid (windows then mix pixels of two old
 * windows), so after it pooling is only approximately unchanged: that is
 * the invariance of the table, and this the equivariance beneath it.  The
 * returned value is the largest |difference| over the interior columns. */
static double shift_mismatch(const float *moved, const float *base, int N, int side, int cells)
{
    double worst = 0;
    for (int n = 0; n < N * N_FILTERS; n++)
        for (int i = 0; i < side; i++)
            for (int j = cells; j < side - 1; j++)
                worst = fmax(worst, fabs((double)moved[((size_t)n * side + i) * side + j] -
                                         base[((size_t)n * side + i) * side + j - cells]));
    return worst;
}

static void section_invariance(const nn_dataset *ds, int n_images)
{
    int N = n_images < ds->n ? n_images : ds->n;
    nn_say("\n5. Translation invariance: %d images shifted right by t pixels\n", N);
    features base;
    compute_features(&base, ds->x, N);
    float *shifted = nn_floats((size_t)N * 784);
    double change[N_SHIFTS + 1][N_FEATURES];
    nn_say("   relative change of the features, sqrt(sum ||f(shift x) - f(x)||^2 / sum ||f(x)||^2):\n");
    nn_say("   %6s", "t");
    for (int k = 0; k < N_FEATURES; k++)
        nn_say(" %11s", feature_names[k]);
    nn_say("\n");
    for (int t = 0; t <= N_SHIFTS; t++) {
        shift_right(shifted, ds->x, N, t);
        features moved;
        compute_features(&moved, shifted, N);
        const float *a[N_FEATURES] = {moved.edges, moved.max1, moved.avg1, moved.max2, moved.global};
        const float *b[N_FEATURES] = {base.edges, base.max1, base.avg1, base.max2, base.global};
        nn_say("   %6d", t);
        for (int k = 0; k < N_FEATURES; k++) {
            change[t][k] = relative_change(a[k], b[k], base.sizes[k]);
            nn_say(" %11.3f", change[t][k]);
        }
        nn_say("\n");
        if (t == 1) {
            /* Figure: one image, its shifted copy, and how much its features
             * moved, before and after a 2x2 max pool (first filter). */
            float diff_image[784], diff_edges[784], diff_pooled[196];
            /* The guide: the column boundary with the largest total jump in
             * brightness, an edge the eye can follow across the shift. */
            double jump[27] = {0};
            int guide = 0;
            for (int q = 0; q < 784; q++) {
                diff_image[q] = shifted[q] - ds->x[q];
                diff_edges[q] = moved.edges[q] - base.edges[q];
                if (q % 28 < 27)
                    jump[q % 28] += fabs((double)ds->x[q + 1] - ds->x[q]);
            }
            for (int c = 1; c < 27; c++)
                if (jump[c] > jump[guide])
                    guide = c;
            for (int q = 0; q < 196; q++)
                diff_pooled[q] = moved.max1[q] - base.max1[q];
            const float *panels[7] = {ds->x, shifted, diff_image, base.edges, diff_edges, base.max1,
                                      diff_pooled};
            const char *titles[7] = {"image x", "shift x: 1 pixel right", "shift x - x",
                                     "edge map f(x), Sobel 1", "f(shift x) - f(x)", "max pool 2x2 of f(x)",
                                     "change after pooling"};
            const int rows[7] = {28, 28, 28, 28, 28, 14, 14};
            figure_grid("shift", "a one-pixel shift (the dashed line stays put; the edge beside it moves): "
                        "the edge map changes, its max-pooled version less", panels, titles, rows, rows, 7,
                        guide);
        }
        features_free(&moved);
    }
    nn_claim(change[1][1] < change[1][0] && change[1][3] < change[1][1] && change[1][4] < 0.1 * change[1][0],
             "pooling-less-sensitive",
             "pooling makes the features less sensitive to where things are: at t = 1 the max-pooled maps "
             "change %.0f%% less than the raw edge maps, two pools %.0f%% less, and the global average "
             "hardly at all (%.3f against %.3f: only what leaves the image changes it)",
             100 * (1 - change[1][1] / change[1][0]), 100 * (1 - change[1][3] / change[1][0]), change[1][4],
             change[1][0]);

    /* Invariance vs equivariance (shift_mismatch above). */
    features two;
    shift_right(shifted, ds->x, N, 2);
    compute_features(&two, shifted, N);
    double conv_mismatch = 0;
    for (int n = 0; n < N * N_FILTERS; n++)
        for (int i = 0; i < 28; i++)
            for (int j = 2; j < 27; j++)
                conv_mismatch = fmax(conv_mismatch, fabs((double)two.edges[((size_t)n * 28 + i) * 28 + j] -
                                                         base.edges[((size_t)n * 28 + i) * 28 + j - 2]));
    double pool_mismatch = shift_mismatch(two.max1, base.max1, N, 14, 1);
    nn_say("   equivariance, t = 2: f(shift x) vs shift f(x): max |difference| %g; the 2x2/2 max-pooled\n"
           "   maps vs the old ones moved one cell right: max |difference| %g (interior columns)\n",
           conv_mismatch, pool_mismatch);
    nn_claim(conv_mismatch == 0 && pool_mismatch == 0, "pooling-equivariant-shift-2",
             "a 2-pixel shift of the image moves its edge maps by exactly 2 pixels and the 2x2/2 max-pooled "
             "maps by exactly one cell (largest differences %g and %g, away from the right border), while "
             "after a 1-pixel shift the pooled maps change by %.0f%%", conv_mismatch, pool_mismatch,
             100 * change[1][1]);
    features_free(&two);

    nn_fig fig;
    if (nn_fig_begin(&fig, CHAPTER, "invariance") != NN_OK)
        nn_die_last();
    FILE *f = nn_fig_data(&fig, NULL, "shift none max2x2 avg2x2 max2x2x2 global_avg");
    for (int t = 0; t <= N_SHIFTS; t++) {
        fprintf(f, "%d", t);
        for (int k = 0; k < N_FEATURES; k++)
            fprintf(f, " %.6g", change[t][k]);
        fprintf(f, "\n");
    }
    nn_fig_cmd(&fig, "set title 'translation invariance: Sobel edge features of %d images (%s)' noenhanced",
               N, ds->name);
    nn_fig_cmd(&fig, "set xlabel 'shift t (pixels)'\nset ylabel 'relative change of the features'");
    nn_fig_cmd(&fig, "set xtics 1\nset key top left");
    for (int k = 0; k < N_FEATURES; k++)
        nn_fig_cmd(&fig, "%s '%s' using 1:%d with linespoints ls %d title '%s'%s", k == 0 ? "plot" : "    ",
                   nn_fig_path(&fig, NULL), k + 2, k + 1, feature_names[k], k + 1 < N_FEATURES ? ", \\" : "");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();

    /* Figure: the pooled maps of one edge map. */
    nn_pool_dims p, overlap;
    if (nn_pool_dims_make(&p, 1, 1, 28, 28, 2, 2) != NN_OK ||
        nn_pool_dims_make(&overlap, 1, 1, 28, 28, 3, 2) != NN_OK)
        nn_die_last();
    float mx[196], av[196], l2[196], ov[169];
    int argmax[196];
    if (nn_maxpool_forward(mx, argmax, base.edges, &p) != NN_OK || nn_avgpool_forward(av, base.edges, &p) != NN_OK ||
        nn_l2pool_forward(l2, base.edges, &p) != NN_OK || nn_maxpool_forward(ov, argmax, base.edges, &overlap) != NN_OK)
        nn_die_last();
    const float *panels[5] = {base.edges, mx, av, l2, ov};
    const char *titles[5] = {"edge map 28x28", "max 2x2/2: 14x14", "average 2x2/2", "L2 2x2/2",
                             "max 3x3/2, overlapping"};
    const int sides[5] = {28, 14, 14, 14, 13};
    figure_grid("pooled", "the edge map of Sobel filter 1 ([-1 0 1; -2 0 2; -1 0 1] + ReLU: dark to light, "
                "left to right) and its pooled versions", panels, titles, sides, sides, 5, -1);
    free(shifted);
    features_free(&base);
}

/* ======================================================================
 * Section 6. Fewer parameters after pooling
 * ======================================================================
 *
 * A dense layer after the convolutions has one weight per input value and
 * output.  Pooling 2x2 quarters the values, so it quarters that layer; two
 * pools divide it by 16; global average pooling leaves one value per
 * channel.  For 32 feature maps of 28x28 and 10 classes: */
static void section_parameters(void)
{
    nn_say("\n6. Parameters of a 10-class dense layer after 32 feature maps of 28x28\n");
    static const struct { int side; const char *what; } cases[] = {
        {28, "no pooling"}, {14, "one 2x2 pool"}, {7, "two 2x2 pools"}, {1, "global average pooling"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        long inputs = 32L * cases[c].side * cases[c].side;
        nn_say("   %-24s %6ld inputs -> %9ld weights and biases\n", cases[c].what, inputs, inputs * 10 + 10);
    }
}

#ifndef CH06_NO_MAIN
int main(int argc, char **argv)
{
    int n_images = 500;
    nn_option options[] = {
        NN_OPT_INT("images", "N", "Fashion-MNIST test images in the shift experiment (default 500)",
                   &n_images, 1, 10000),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch06-pooling", "Chapter 6: pooling", options, &common);
    nn_rng rng = nn_rng_new(common.seed);
    double start = nn_seconds();
    nn_say("Chapter 6: pooling (seed %llu)\n", (unsigned long long)common.seed);

    section_kinds();
    section_shapes();
    section_backward(&rng);
    section_overlap_global();

    nn_dataset ds;
    if (!nn_chapter_fashion_mnist(&ds, &common, 0, n_images, "using toy images instead") &&
        nn_make_toy_images(&ds, n_images, 28, 0.05, &rng) != NN_OK)
        nn_die_last();
    section_invariance(&ds, n_images);
    section_parameters();
    nn_say("\nFigures written under %s/plots/%s/ (%.1f s)\n", common.out_dir, CHAPTER,
           nn_seconds() - start);
    nn_dataset_free(&ds);
    nn_conv_free_workspace();
    return 0;
}
#endif
