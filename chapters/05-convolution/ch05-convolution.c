/* Chapter 5: Convolution
 * ======================
 *
 * A dense layer connects every pixel to every unit.  For a 28 x 28 image and
 * a hidden layer of the same size that is 784 x 784 = 614,656 weights, and
 * none of them knows that neighbouring pixels belong together or that an edge
 * at the top of the image is the same thing as an edge at the bottom.  A
 * convolutional layer makes connections "in small, localized regions of the
 * input image" (deck 002, "Local receptive fields"), then slides the same
 * small set of weights, a filter, over every position.  This chapter builds
 * that operation from plain loops and checks every step against the
 * library's fast version:
 *
 *   section 1  convolution vs cross-correlation: the flipped kernel
 *   section 2  the decks' worked example: a 5x5 image, a 3x3 filter, step by step
 *   section 3  the filter table (identity, edges, sharpen, blurs) on a real image
 *   section 4  stride, zero padding and the output size (W - F + 2P)/S + 1
 *   section 5  many channels, many filters, and parameter sharing vs a dense layer
 *   section 6  hand-made detectors with bias and ReLU (the Foundations deck)
 *   section 7  the backward pass: gradients for weights, bias and input
 *   section 8  the fast version: im2col + GEMM, against this chapter's loops
 *
 * Notation.  Deck 004 writes the feature map of image I and kernel K as
 *     S(i, j) = (I * K)(i, j) = sum_m sum_n I(i + m, j + n) K(m, n),
 * deck 002 describes a layer by its input W x H x D, K filters of spatial
 * extent F, stride S and zero padding P, and its output W2 x H2 x D2 with
 *     W2 = (W - F + 2P)/S + 1,  H2 = (H - F + 2P)/S + 1,  D2 = K.
 * In code, arrays are NCHW like PyTorch: an image is (C, H, W) with C = D
 * channels, the filters are (K, C, F, F), the output (K, H2, W2).  Row index
 * i, column index j throughout, both from 0.
 *
 * Build and run:   make ch05-convolution && ./ch05-convolution
 * Figures:         ./ch05-convolution --out . && cd . && gnuplot plots/05-convolution/filtered.gp
 *                  (and filters.gp, feature-maps.gp), or `make figures`
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "nn_claim.h"

#define CHAPTER "05-convolution"

/* ======================================================================
 * The chapter's own convolution: the formula as loops, in double
 * ======================================================================
 *
 * One image at a time.  With zero padding P the image is surrounded by P
 * rows and columns of zeros; rather than building that bigger array, the
 * loops below skip the terms whose pixel falls outside the image (they would
 * be multiplied by zero anyway).  For output position (i, j) of filter k,
 *
 *     z[k, i, j] = b[k] + sum_c sum_u sum_v  x[c, i S + u - P, j S + v - P] w[k, c, u, v]
 *
 * which is deck 004's S(i, j) with m = u, n = v, one more sum over the
 * channels c, a stride and a bias. */
typedef struct {
    int C, H, W;      /* input (C, H, W) */
    int K, F, S, P;   /* K filters (C, F, F), stride S, padding P */
    int H2, W2;       /* output (K, H2, W2) */
} conv_shape;

/* Output sizes by deck 002's rule; the library's nn_out_size applies the
 * same rule and refuses impossible sizes (section 4). */
static conv_shape make_shape(int C, int H, int W, int K, int F, int S, int P)
{
    conv_shape s = {C, H, W, K, F, S, P, 0, 0};
    if (nn_out_size("conv height", H, F, S, P, &s.H2) != NN_OK ||
        nn_out_size("conv width", W, F, S, P, &s.W2) != NN_OK)
        nn_die_last();
    return s;
}

/* x (C, H, W), w (K, C, F, F), b (K) or NULL, z (K, H2, W2) */
static void conv_forward(double *z, const double *x, const double *w, const double *b,
                         const conv_shape *s)
{
    for (int k = 0; k < s->K; k++)
        for (int i = 0; i < s->H2; i++)
            for (int j = 0; j < s->W2; j++) {
                double sum = b ? b[k] : 0.0;
                for (int c = 0; c < s->C; c++)
                    for (int u = 0; u < s->F; u++)
                        for (int v = 0; v < s->F; v++) {
                            int row = i * s->S + u - s->P, col = j * s->S + v - s->P;
                            if (row < 0 || row >= s->H || col < 0 || col >= s->W)
                                continue;   /* a padding zero */
                            sum += x[((size_t)c * s->H + row) * s->W + col] *
                                   w[(((size_t)k * s->C + c) * s->F + u) * s->F + v];
                        }
                z[((size_t)k * s->H2 + i) * s->W2 + j] = sum;
            }
}

/* ======================================================================
 * Small helpers: printing maps, converting arrays, figures
 * ====================================================================== */

static void print_map(const char *indent, const double *m, int rows, int cols, const char *fmt)
{
    for (int i = 0; i < rows; i++) {
        nn_say("%s", indent);
        for (int j = 0; j < cols; j++)
            nn_say(fmt, m[(size_t)i * cols + j]);
        nn_say("\n");
    }
}

static float *to_floats(const double *x, size_t n)
{
    float *f = nn_floats(n);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)x[i];
    return f;
}

static double max_abs_diff(const double *a, const float *b, size_t n)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - (double)b[i]));
    return worst;
}

/* A row (or rows) of images as one figure: panel p is images[p], a
 * (rows x cols) map titled titles[p], each with its own colour scale and
 * colour bar, because the maps differ in range by orders of magnitude (an
 * image in 0..1, an 8-neighbour Laplacian's output in -4..4) and one shared
 * scale would leave the small ones blank.  A map with no negative values
 * (an image, a blur, a ReLU's output) is grey from 0 (black) to its maximum
 * (white); a map with negative values uses the diverging palette on [-m, m],
 * m its largest |value|, so zero is white and the sign shows as blue or red.
 * values, if not NULL, holds for each panel NULL or the text to print in
 * each cell (a filter's weights). */
static void figure_grid(const char *name, const char *title, const double *const *images,
                        const char *const *titles, const char *const *const *values, int n,
                        int layout_rows, int rows, int cols)
{
    int layout_cols = (n + layout_rows - 1) / layout_rows;
    nn_fig fig;
    if (nn_fig_begin_sized(&fig, CHAPTER, name, 250 * layout_cols + 40, 230 * layout_rows + 50) != NN_OK)
        nn_die_last();
    char part[16];
    for (int p = 0; p < n; p++) {
        snprintf(part, sizeof part, "%d", p);
        FILE *f = nn_fig_data(&fig, part, "a (rows x cols) map, row 0 first");
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                fprintf(f, "%.6g%c", images[p][(size_t)i * cols + j], j + 1 < cols ? ' ' : '\n');
        if (values && values[p]) {
            snprintf(part, sizeof part, "%d-values", p);
            FILE *v = nn_fig_data(&fig, part, "column row weight");
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    fprintf(v, "%d %d \"%s\"\n", j, i, values[p][(size_t)i * cols + j]);
        }
    }
    nn_fig_cmd(&fig, "set multiplot layout %d,%d title \"%s\" noenhanced", layout_rows, layout_cols, title);
    nn_fig_cmd(&fig, "unset xtics\nunset ytics\nunset grid\nset size ratio -1\nset cbtics font ',8'");
    nn_fig_cmd(&fig, "set xrange [-0.5:%g]\nset yrange [%g:-0.5]", cols - 0.5, rows - 0.5);
    for (int p = 0; p < n; p++) {
        double lo = INFINITY, hi = -INFINITY;
        for (int q = 0; q < rows * cols; q++) {
            lo = fmin(lo, images[p][q]);
            hi = fmax(hi, images[p][q]);
        }
        if (lo >= 0) {
            nn_fig_cmd(&fig, "@nn_palette_gray");
            nn_fig_cmd(&fig, "set cbrange [0:%.6g]", hi > 0 ? hi : 1);
        } else {
            double m = fmax(fmax(fabs(lo), fabs(hi)), 1e-12);
            nn_fig_cmd(&fig, "@nn_palette_diverging");
            nn_fig_cmd(&fig, "set cbrange [%.6g:%.6g]", -m, m);
        }
        snprintf(part, sizeof part, "%d", p);
        nn_fig_cmd(&fig, "set title \"%s\" noenhanced", titles[p]);
        if (values && values[p]) {
            char labels[16];
            snprintf(labels, sizeof labels, "%d-values", p);
            nn_fig_cmd(&fig, "set style textbox opaque fillcolor rgb '#FFFFFF' noborder");
            nn_fig_cmd(&fig, "plot '%s' matrix with image notitle, '%s' using 1:2:3 with labels boxed "
                             "font ',11' textcolor rgb '#000000' notitle",
                       nn_fig_path(&fig, part), nn_fig_path(&fig, labels));
        } else {
            nn_fig_cmd(&fig, "plot '%s' matrix with image notitle", nn_fig_path(&fig, part));
        }
    }
    nn_fig_cmd(&fig, "unset multiplot");
    if (nn_fig_end(&fig) != NN_OK)
        nn_die_last();
}

/* ======================================================================
 * Section 1. Convolution vs cross-correlation
 * ======================================================================
 *
 * In mathematics the convolution of an image I with a kernel K flips the
 * kernel before sliding it:
 *
 *     (I conv K)(i, j) = sum_m sum_n I(i - m, j - n) K(m, n)
 *
 * while deck 004's formula, S(i, j) = sum_m sum_n I(i + m, j + n) K(m, n),
 * does not flip: it is the cross-correlation.  "In neural networks, it is
 * common to use cross-correlation instead" (deck 004), and every framework's
 * "conv2d" is one.  The two differ only by turning the kernel by 180
 * degrees, K'(m, n) = K(F-1-m, F-1-n):
 *
 *     convolution with K = cross-correlation with K'.
 *
 * Because the kernel is learned, the flip does not matter: whatever a
 * network would learn as K under one definition it learns as K' under the
 * other.  Cross-correlation saves the flip and reads naturally: weight
 * (u, v) meets pixel (i + u, j + v).  For a kernel that is symmetric under
 * the half turn (like the deck's X-shaped filter) the two are identical. */

/* "valid" positions only (no padding): out (H-F+1, W-F+1) */
static void cross_correlate(double *out, const double *img, int H, int W, const double *k, int F)
{
    conv_shape s = make_shape(1, H, W, 1, F, 1, 0);
    conv_forward(out, img, k, NULL, &s);
}

static void convolve(double *out, const double *img, int H, int W, const double *k, int F)
{
    /* (I conv K)(i', j') with the output indexed from the first position
     * where the flipped kernel lies inside the image: i = i' + F - 1. */
    for (int i = 0; i + F <= H; i++)
        for (int j = 0; j + F <= W; j++) {
            double sum = 0;
            for (int m = 0; m < F; m++)
                for (int n = 0; n < F; n++)
                    sum += img[(size_t)(i + F - 1 - m) * W + (j + F - 1 - n)] * k[m * F + n];
            out[(size_t)i * (W - F + 1) + j] = sum;
        }
}

static void flip_kernel(double *flipped, const double *k, int F)
{
    for (int m = 0; m < F; m++)
        for (int n = 0; n < F; n++)
            flipped[m * F + n] = k[(F - 1 - m) * F + (F - 1 - n)];
}

/* The deck 002 image and filter, used again in section 2. */
static const double deck_image[25] = {1, 1, 1, 0, 0,
                                      0, 1, 1, 1, 0,
                                      0, 0, 1, 1, 1,
                                      0, 0, 1, 1, 0,
                                      0, 1, 1, 0, 0};
static const double deck_filter[9] = {1, 0, 1,
                                      0, 1, 0,
                                      1, 0, 1};

static void section_flip(void)
{
    nn_say("\n1. Convolution vs cross-correlation\n");
    /* An asymmetric kernel: deck 004's L-shape detector. */
    static const double l_kernel[4] = {-1, 1, -1, -1};
    double corr[16], conv[16], conv_flipped[16], flipped[4];
    cross_correlate(corr, deck_image, 5, 5, l_kernel, 2);
    convolve(conv, deck_image, 5, 5, l_kernel, 2);
    flip_kernel(flipped, l_kernel, 2);
    cross_correlate(conv_flipped, deck_image, 5, 5, flipped, 2);
    nn_say("   kernel [[-1, 1], [-1, -1]] on the 5x5 image of deck 002:\n");
    nn_say("   cross-correlation (what networks compute):    convolution (kernel flipped):\n");
    for (int i = 0; i < 4; i++) {
        nn_say("     ");
        for (int j = 0; j < 4; j++)
            nn_say("%4.0f", corr[i * 4 + j]);
        nn_say("                             ");
        for (int j = 0; j < 4; j++)
            nn_say("%4.0f", conv[i * 4 + j]);
        nn_say("\n");
    }
    double differ = 0, same = 0;
    for (int q = 0; q < 16; q++) {
        differ = fmax(differ, fabs(corr[q] - conv[q]));
        same = fmax(same, fabs(conv[q] - conv_flipped[q]));
    }
    nn_say("   they differ (max |difference| %.0f); convolution with K equals cross-correlation\n"
           "   with K turned by 180 degrees: max |difference| %.0f\n", differ, same);
    double x_corr[9], x_conv[9];
    cross_correlate(x_corr, deck_image, 5, 5, deck_filter, 3);
    convolve(x_conv, deck_image, 5, 5, deck_filter, 3);
    double x_diff = 0;
    for (int q = 0; q < 9; q++)
        x_diff = fmax(x_diff, fabs(x_corr[q] - x_conv[q]));
    nn_say("   the deck's X filter is its own half turn: both give the same map "
           "(max |difference| %.0f)\n", x_diff);
}

/* ======================================================================
 * Section 2. The worked example of deck 002
 * ======================================================================
 *
 * "1. Pointwise multiply, 2. Add results, 3. Translate filter": the 3x3
 * filter is laid on the top-left 3x3 patch of the 5x5 image, the nine
 * products are added, and the sum is the first entry of the convolved
 * feature.  Then the filter moves one column right, and at the end of a row
 * one row down.  A 5x5 image has 3 x 3 places for a 3x3 filter, so the
 * convolved feature is 3x3: W2 = (5 - 3 + 0)/1 + 1 = 3. */
static void section_worked_example(void)
{
    nn_say("\n2. The worked example of deck 002: 5x5 image, 3x3 filter [[1,0,1],[0,1,0],[1,0,1]]\n");
    nn_say("   image:\n");
    print_map("     ", deck_image, 5, 5, "%2.0f");
    double feature[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double sum = 0;
            nn_say("   step (%d,%d): ", i, j);
            for (int u = 0; u < 3; u++)
                for (int v = 0; v < 3; v++) {
                    double pixel = deck_image[(i + u) * 5 + (j + v)], weight = deck_filter[u * 3 + v];
                    sum += pixel * weight;
                    nn_say("%.0fx%.0f%s", pixel, weight, u == 2 && v == 2 ? "" : " + ");
                }
            feature[i * 3 + j] = sum;
            nn_say(" = %.0f\n", sum);
        }
    nn_say("   convolved feature:\n");
    print_map("     ", feature, 3, 3, "%2.0f");

    /* The library's layer on the same numbers (one image, one channel, one filter). */
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, 1, 1, 5, 5, 1, 3, 1, 0) != NN_OK)
        nn_die_last();
    float *x = to_floats(deck_image, 25), *w = to_floats(deck_filter, 9), out[9];
    if (nn_conv2d_forward(out, x, w, NULL, &d) != NN_OK)
        nn_die_last();
    nn_say("   nn_conv2d_forward gives the same map: max |difference| %g\n", max_abs_diff(feature, out, 9));
    free(x);
    free(w);
}

/* ======================================================================
 * Section 3. The filter table on a real image
 * ======================================================================
 *
 * Deck 002's table of hand-made 3x3 filters.  What each does follows from
 * two numbers: the sum of its weights (the output on a flat region of value
 * a is a times that sum) and its shape.
 *   identity        sum 1: copies the image.
 *   edge detectors  sum 0: flat regions go to 0, only changes survive.
 *                   [[1,0,-1],[0,0,0],[-1,0,1]] responds to diagonal
 *                   structure.  [[0,1,0],[1,-4,1],[0,1,0]] is the discrete
 *                   Laplacian, the sum of the second differences
 *                   x(i, j-1) - 2 x(i, j) + x(i, j+1) along rows and columns:
 *                   it responds to changes of slope (corners, thin lines, the
 *                   two sides of an edge), not to every change: on a linear
 *                   ramp, where the image changes at a constant rate, it is
 *                   exactly 0, like on a flat region (the run checks it).
 *                   [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]] is its 8-neighbour
 *                   form, with the diagonal neighbours too and the opposite
 *                   sign: bright where the pixel is brighter than its
 *                   surroundings.
 *   sharpen         sum 1: [[0,-1,0],[-1,5,-1],[0,-1,0]] is the identity
 *                   MINUS the 4-neighbour Laplacian above, x - lap(x): a pixel
 *                   brighter than its neighbours' mean gets brighter, a darker
 *                   one darker, so edges are exaggerated.
 *   box blur        sum 1: the mean of the 3x3 neighbourhood.
 *   Gaussian blur   sum 1: a weighted mean, the centre counting most.
 * The image is a Fashion-MNIST test item (28 x 28 grey, values 0..1), padded
 * by P = 1 so every output is 28 x 28 again. */
enum { N_TABLE = 7 };
static const char *const table_names[N_TABLE] = {"identity", "edge (diagonal)", "edge (4-neighbour)",
                                                 "edge (8-neighbour)", "sharpen", "box blur",
                                                 "Gaussian blur"};
static const double table_filters[N_TABLE][9] = {
    {0, 0, 0, 0, 1, 0, 0, 0, 0},
    {1, 0, -1, 0, 0, 0, -1, 0, 1},
    {0, 1, 0, 1, -4, 1, 0, 1, 0},
    {-1, -1, -1, -1, 8, -1, -1, -1, -1},
    {0, -1, 0, -1, 5, -1, 0, -1, 0},
    {1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0, 1 / 9.0},
    {1 / 16.0, 2 / 16.0, 1 / 16.0, 2 / 16.0, 4 / 16.0, 2 / 16.0, 1 / 16.0, 2 / 16.0, 1 / 16.0},
};

/* The image of sections 3, 6 and 8: item `index` of the Fashion-MNIST test
 * set, or, when the data set is not installed, a toy image (the kit's rule
 * for missing and broken data is in nn_data.h).  A set can hold fewer items
 * than --image asks for (a shortened copy): that is refused, never read past. */
typedef struct {
    nn_dataset ds;
    int index;
    const char *label;
    int real;
} image_source;

static void load_images(image_source *src, const nn_common *common, int index, int count, nn_rng *rng)
{
    int wanted = count > index + 1 ? count : index + 1;
    src->index = index;
    src->real = nn_chapter_fashion_mnist(&src->ds, common, 0, wanted, "using toy images instead");
    if (src->real && index >= src->ds.n) {
        int held = src->ds.n;
        nn_dataset_free(&src->ds);
        nn_usage_error("--image %d: the Fashion-MNIST test set in %s holds only %d image%s "
                       "(use --image 0..%d)", index, common->data_dir, held, held == 1 ? "" : "s",
                       held - 1);
    }
    if (src->real) {
        src->label = nn_fashion_class_names[src->ds.y[index]];
        return;
    }
    if (nn_make_toy_images(&src->ds, wanted, 28, 0.05, rng) != NN_OK)
        nn_die_last();
    src->label = "toy image";
}

static double *image_at(const image_source *src, int n)
{
    double *x = nn_doubles((size_t)src->ds.d);
    for (int q = 0; q < src->ds.d; q++)
        x[q] = src->ds.x[(size_t)n * src->ds.d + q];
    return x;
}

static void section_filter_table(const image_source *src)
{
    nn_say("\n3. The filter table of deck 002 on %s item %d (%s), 28x28, padding 1\n",
           src->real ? "the Fashion-MNIST test" : "a toy", src->index, src->label);
    double *x = image_at(src, src->index);
    conv_shape s = make_shape(1, 28, 28, N_TABLE, 3, 1, 1);
    double *outputs = nn_doubles((size_t)N_TABLE * 28 * 28);
    conv_forward(outputs, x, &table_filters[0][0], NULL, &s);

    nn_say("   %-20s %8s %10s %10s %12s\n", "filter", "sum w", "min", "max", "mean |out|");
    for (int k = 0; k < N_TABLE; k++) {
        double sum_w = 0, lo = INFINITY, hi = -INFINITY, mean_abs = 0;
        for (int q = 0; q < 9; q++)
            sum_w += table_filters[k][q];
        for (int q = 0; q < 28 * 28; q++) {
            double v = outputs[(size_t)k * 784 + q];
            lo = fmin(lo, v);
            hi = fmax(hi, v);
            mean_abs += fabs(v) / 784;
        }
        nn_say("   %-20s %8.3f %10.3f %10.3f %12.4f\n", table_names[k], sum_w, lo, hi, mean_abs);
    }
    double identity_error = 0;
    for (int q = 0; q < 784; q++)
        identity_error = fmax(identity_error, fabs(outputs[q] - x[q]));
    nn_claim(identity_error == 0, "identity-copies", "the identity filter reproduces the image: max |difference| %g",
             identity_error);

    /* Two facts the table's prose relies on, checked on the image and on a
     * ramp: sharpen = identity - Laplacian, and the Laplacian is 0 on a
     * ramp (away from the padded border, where the zeros break the ramp). */
    double sharpen_error = 0;
    for (int q = 0; q < 784; q++)
        sharpen_error = fmax(sharpen_error, fabs(outputs[4 * 784 + q] - (x[q] - outputs[2 * 784 + q])));
    nn_claim(sharpen_error < 1e-12, "sharpen-identity-minus-laplacian",
             "sharpen is the image minus its 4-neighbour Laplacian: max |sharpen - (x - lap x)| = %.2g",
             sharpen_error);
    double ramp[784], ramp_out[784], ramp_max = 0, ramp_step = 0;
    for (int r = 0; r < 28; r++)
        for (int c = 0; c < 28; c++)
            ramp[r * 28 + c] = (c + 2.0 * r) / 81.0;
    conv_shape one = make_shape(1, 28, 28, 1, 3, 1, 1);
    conv_forward(ramp_out, ramp, table_filters[2], NULL, &one);
    for (int r = 1; r < 27; r++)
        for (int c = 1; c < 27; c++)
            ramp_max = fmax(ramp_max, fabs(ramp_out[r * 28 + c]));
    for (int q = 0; q + 1 < 784; q++)
        ramp_step = fmax(ramp_step, fabs(ramp[q + 1] - ramp[q]) * ((q + 1) % 28 != 0));
    nn_claim(ramp_max < 1e-12, "laplacian-zero-on-ramp",
             "the Laplacian is 0 on a linear ramp (pixels rising %.3f per column and twice that per row): "
             "max |output| inside the border %.2g", ramp_step, ramp_max);

    /* The library computes all seven maps in one call (K = 7 filters). */
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, 1, 1, 28, 28, N_TABLE, 3, 1, 1) != NN_OK)
        nn_die_last();
    float *xf = to_floats(x, 784), *wf = to_floats(&table_filters[0][0], 9 * N_TABLE);
    float *of = nn_floats(nn_conv_out_size(&d));
    if (nn_conv2d_forward(of, xf, wf, NULL, &d) != NN_OK)
        nn_die_last();
    nn_say("   nn_conv2d_forward, all 7 filters at once: max |difference| from the loops %.2g\n",
           max_abs_diff(outputs, of, nn_conv_out_size(&d)));

    /* Figures: the filters, and the image with each filter's output. */
    const double *panels[N_TABLE + 1];
    const char *titles[N_TABLE + 1];
    for (int k = 0; k < N_TABLE; k++) {
        panels[k] = table_filters[k];
        titles[k] = table_names[k];
    }
    char weight_text[N_TABLE][9][16];
    const char *weight_cells[N_TABLE][9];
    const char *const *cell_values[N_TABLE + 1];
    for (int k = 0; k < N_TABLE; k++) {
        for (int q = 0; q < 9; q++) {
            /* The blurs' weights as the fractions the deck writes. */
            double w = table_filters[k][q], ninths = w * 9, sixteenths = w * 16;
            if (w != 0 && fabs(ninths - round(ninths)) < 1e-9 && fabs(w) < 1)
                snprintf(weight_text[k][q], sizeof weight_text[k][q], "%.0f/9", ninths);
            else if (w != 0 && fabs(sixteenths - round(sixteenths)) < 1e-9 && fabs(w) < 1)
                snprintf(weight_text[k][q], sizeof weight_text[k][q], "%.0f/16", sixteenths);
            else
                snprintf(weight_text[k][q], sizeof weight_text[k][q], "%g", w);
            weight_cells[k][q] = weight_text[k][q];
        }
        cell_values[k] = weight_cells[k];
    }
    figure_grid("filters", "deck 002's 3x3 filters, with their weights", panels, titles, cell_values,
                N_TABLE, 2, 3, 3);
    panels[0] = x;
    titles[0] = src->real ? "Fashion-MNIST image" : "toy image";
    for (int k = 0; k < N_TABLE; k++) {
        panels[k + 1] = outputs + (size_t)k * 784;
        titles[k + 1] = table_names[k];
    }
    figure_grid("filtered", "each filter's output, padding 1 (each map on its own scale: grey from 0, "
                "or blue-white-red around 0)", panels, titles, NULL, N_TABLE + 1, 2, 28, 28);
    free(x);
    free(outputs);
    free(xf);
    free(wf);
    free(of);
}

/* ======================================================================
 * Section 4. Stride, zero padding and the output size
 * ======================================================================
 *
 * Stride S: the filter jumps S columns (and, at the end of a row, S rows).
 * Zero padding P: P rows and columns of zeros around the image, "so that
 * output size = input size" (deck 004) when P = (F - 1)/2 and S = 1.
 * The number of positions along a side is
 *
 *     W2 = (W - F + 2P)/S + 1.
 *
 * Deck 002's picture: a 7x7 input and a 3x3 filter give a 5x5 output with
 * stride 1 and a 3x3 output with stride 2.  With stride 3, (7 - 3)/3 = 1.33
 * is not a whole number of steps: the filter fits at columns 0 and 3, and a
 * third step (column 6) would run off the edge.  The rule is then rounded
 * down (as PyTorch does): 2 positions, and the last column of the image is
 * never seen.  A filter wider than the padded input fits nowhere; the
 * library refuses it with a message rather than computing garbage. */
static void section_output_size(const image_source *src)
{
    nn_say("\n4. Stride, zero padding and the output size W2 = (W - F + 2P)/S + 1\n");
    static const struct { int W, F, S, P; const char *what; } cases[] = {
        {7, 3, 1, 0, "deck 002, stride 1"},
        {7, 3, 2, 0, "deck 002, stride 2"},
        {7, 3, 3, 0, "(7-3)/3 = 1.33: rounded down"},
        {28, 3, 1, 1, "P = (F-1)/2 keeps the size"},
        {28, 3, 2, 1, "(28-3+2)/2 = 13.5: rounded down"},
        {32, 5, 1, 0, "LeNet-5's first layer"},
        {227, 11, 4, 0, "AlexNet's first layer"},
    };
    nn_say("   %5s %3s %3s %3s %5s   %s\n", "W", "F", "S", "P", "W2", "");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int W2;
        if (nn_out_size("conv width", cases[c].W, cases[c].F, cases[c].S, cases[c].P, &W2) != NN_OK)
            nn_die_last();
        nn_say("   %5d %3d %3d %3d %5d   %s\n", cases[c].W, cases[c].F, cases[c].S, cases[c].P, W2,
               cases[c].what);
    }
    int W2;
    nn_say("   impossible sizes are refused:\n");
    if (nn_out_size("conv width", 5, 7, 1, 0, &W2) == NN_ERR)
        nn_say("     W=5, F=7: %s\n", nn_last_error());
    if (nn_out_size("conv width", 7, 3, 0, 0, &W2) == NN_ERR)
        nn_say("     S=0: %s\n", nn_last_error());

    /* On the image: the Laplacian with stride 1 and stride 2. */
    double *x = image_at(src, src->index);
    conv_shape s1 = make_shape(1, 28, 28, 1, 3, 1, 1), s2 = make_shape(1, 28, 28, 1, 3, 2, 1);
    double *z1 = nn_doubles((size_t)s1.H2 * s1.W2), *z2 = nn_doubles((size_t)s2.H2 * s2.W2);
    conv_forward(z1, x, table_filters[2], NULL, &s1);
    conv_forward(z2, x, table_filters[2], NULL, &s2);
    /* stride 2 keeps every other output of stride 1: z2[i][j] = z1[2i][2j] */
    double err = 0;
    for (int i = 0; i < s2.H2; i++)
        for (int j = 0; j < s2.W2; j++)
            err = fmax(err, fabs(z2[i * s2.W2 + j] - z1[(2 * i) * s1.W2 + 2 * j]));
    nn_say("   on the image: stride 1 gives %dx%d, stride 2 gives %dx%d\n", s1.H2, s1.W2, s2.H2, s2.W2);
    nn_claim(err == 0, "stride-2-every-other",
             "the stride-2 map is every other entry of the stride-1 map: max |difference| %g", err);
    free(x);
    free(z1);
    free(z2);
}

/* ======================================================================
 * Section 5. Many channels, many filters, parameter sharing
 * ======================================================================
 *
 * A colour image, or the output of an earlier layer, has depth D: the input
 * is W x H x D.  Each filter then spans the whole depth, F x F x D, and
 * produces one 2-D map; K filters give K maps, the output W2 x H2 x K
 * (deck 002).  The layer has (F F D + 1) K parameters: F F D weights and one
 * bias per filter, whatever the image size, because each filter is shared by
 * all W2 H2 positions.  A dense layer from the same input to an output of the
 * same size needs (W H D + 1) W2 H2 K.  "If detecting a horizontal edge is
 * important at some location in the image, it should intuitively be useful
 * at some other location as well" (deck 002 on Krizhevsky et al.'s
 * filters): parameter sharing builds that assumption in. */
static void section_channels(nn_rng *rng)
{
    nn_say("\n5. Channels, filters and parameter sharing\n");
    static const struct { int W, H, D, K, F, S, P; const char *what; } layers[] = {
        {28, 28, 1, 32, 3, 1, 1, "first layer on Fashion-MNIST"},
        {14, 14, 32, 64, 3, 1, 1, "second layer after 2x2 pooling"},
        {227, 227, 3, 96, 11, 4, 0, "AlexNet's first layer"},
    };
    nn_say("   %-32s %-14s %-14s %14s %18s %10s\n", "layer", "input", "output", "conv params",
           "dense params", "ratio");
    for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++) {
        int W2, H2;
        if (nn_out_size("conv width", layers[l].W, layers[l].F, layers[l].S, layers[l].P, &W2) != NN_OK ||
            nn_out_size("conv height", layers[l].H, layers[l].F, layers[l].S, layers[l].P, &H2) != NN_OK)
            nn_die_last();
        double conv = ((double)layers[l].F * layers[l].F * layers[l].D + 1) * layers[l].K;
        double dense = ((double)layers[l].W * layers[l].H * layers[l].D + 1) * W2 * H2 * layers[l].K;
        char in[32], out[32];
        snprintf(in, sizeof in, "%dx%dx%d", layers[l].W, layers[l].H, layers[l].D);
        snprintf(out, sizeof out, "%dx%dx%d", W2, H2, layers[l].K);
        nn_say("   %-32s %-14s %-14s %14.0f %18.4g %10.3g\n", layers[l].what, in, out, conv, dense,
               dense / conv);
    }

    /* A multi-channel check: D = 3 channels, K = 4 filters, stride 2,
     * padding 1, the loops against the library. */
    conv_shape s = make_shape(3, 9, 9, 4, 3, 2, 1);
    size_t n_x = (size_t)3 * 81, n_w = (size_t)4 * 3 * 9, n_z = (size_t)4 * s.H2 * s.W2;
    double *x = nn_doubles(n_x), *w = nn_doubles(n_w), b[4], *z = nn_doubles(n_z);
    for (size_t q = 0; q < n_x; q++)
        x[q] = nn_rng_normal(rng);
    for (size_t q = 0; q < n_w; q++)
        w[q] = nn_rng_normal(rng);
    for (int k = 0; k < 4; k++)
        b[k] = nn_rng_normal(rng);
    conv_forward(z, x, w, b, &s);
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, 1, 3, 9, 9, 4, 3, 2, 1) != NN_OK)
        nn_die_last();
    float *xf = to_floats(x, n_x), *wf = to_floats(w, n_w), *bf = to_floats(b, 4), *zf = nn_floats(n_z);
    if (nn_conv2d_forward(zf, xf, wf, bf, &d) != NN_OK)
        nn_die_last();
    nn_say("   9x9x3 input, 4 filters 3x3x3, stride 2, padding 1 -> %dx%dx4: loops vs library, "
           "max |difference| %.2g\n", s.H2, s.W2, max_abs_diff(z, zf, n_z));
    free(x); free(w); free(z); free(xf); free(wf); free(bf); free(zf);
}

/* ======================================================================
 * Section 6. Hand-made detectors with bias and ReLU
 * ======================================================================
 *
 * The Foundations deck (004) designs two 2x2 filters for black (0) and white
 * (1) images and follows each by a bias and a rectifier, max(0, .):
 *
 *   black-white vertical edge: w = [[-1, 1], [-1, 1]], bias -1:
 *       max(0, -a + b - c + d - 1) > 0  only for the patch [[0,1],[0,1]];
 *   black L shape:             w = [[-1, 1], [-1, -1]], bias 0:
 *       max(0, -a + b - c - d) > 0      only for the patch [[0,1],[0,0]].
 *
 * The bias is a threshold: without it the edge filter would also fire, more
 * weakly, on [[0,1],[0,0]].  Below, both run over a small black-and-white
 * picture; a '#' marks where a detector fires. */
enum { PIC = 8 };
static const double picture[PIC * PIC] = {
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 1, 1, 1, 0, 0,
    0, 0, 1, 1, 1, 1, 0, 0,
    0, 0, 1, 1, 0, 0, 0, 0,
    0, 0, 1, 1, 0, 0, 0, 0,
    0, 0, 1, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
};

static void relu_inplace(double *z, size_t n)
{
    for (size_t q = 0; q < n; q++)
        z[q] = z[q] > 0 ? z[q] : 0;
}

static void section_detectors(const image_source *src)
{
    nn_say("\n6. Hand-made detectors with bias and ReLU (deck 004)\n");
    static const double detectors[2 * 4] = {-1, 1, -1, 1,     /* vertical edge, bias -1 */
                                            -1, 1, -1, -1};   /* L shape, bias 0 */
    static const double biases[2] = {-1, 0};
    conv_shape s = make_shape(1, PIC, PIC, 2, 2, 1, 0);
    double maps[2 * 7 * 7];
    conv_forward(maps, picture, detectors, biases, &s);
    relu_inplace(maps, 2 * 7 * 7);
    nn_say("   picture (1 = white)        vertical edge, bias -1     L shape, bias 0\n");
    for (int i = 0; i < PIC; i++) {
        nn_say("   ");
        for (int j = 0; j < PIC; j++)
            nn_say("%c", picture[i * PIC + j] > 0 ? 'o' : '.');
        nn_say("                   ");
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 7; j++)
                nn_say("%c", i < 7 ? (maps[(k * 7 + i) * 7 + j] > 0 ? '#' : '.') : ' ');
            nn_say("                    ");
        }
        nn_say("\n");
    }
    int fired[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        for (int q = 0; q < 49; q++)
            fired[k] += maps[k * 49 + q] > 0;
    nn_say("   the edge detector fires at the %d place%s where a 2x2 patch is [[0,1],[0,1]]\n"
           "   (black left, white right); the L detector at the %d place%s where it is [[0,1],[0,0]]\n",
           fired[0], fired[0] == 1 ? "" : "s", fired[1], fired[1] == 1 ? "" : "s");

    /* A small bank of 2x2 detectors on the real image: the deck's two and
     * the edge detector turned to the other three directions. */
    enum { BANK = 5 };
    static const double bank[BANK * 4] = {-1, 1, -1, 1,    1, -1, 1, -1,   -1, -1, 1, 1,
                                          1, 1, -1, -1,    -1, 1, -1, -1};
    static const double bank_bias[BANK] = {-0.5, -0.5, -0.5, -0.5, 0};
    static const char *const bank_names[BANK + 1] = {"image", "edge: dark | light",
                                                     "edge: light | dark", "edge: dark over light",
                                                     "edge: light over dark", "L shape"};
    double *x = image_at(src, src->index);
    conv_shape sb = make_shape(1, 28, 28, BANK, 2, 1, 0);
    double *fmaps = nn_doubles((size_t)BANK * 27 * 27);
    conv_forward(fmaps, x, bank, bank_bias, &sb);
    relu_inplace(fmaps, (size_t)BANK * 27 * 27);
    /* the image is 28x28 and the maps 27x27: show the image's top-left 27x27 */
    double *crop = nn_doubles(27 * 27);
    for (int i = 0; i < 27; i++)
        for (int j = 0; j < 27; j++)
            crop[i * 27 + j] = x[i * 28 + j];
    const double *panels[BANK + 1] = {crop};
    for (int k = 0; k < BANK; k++)
        panels[k + 1] = fmaps + (size_t)k * 27 * 27;
    figure_grid("feature-maps", "feature maps: ReLU(2x2 detector + bias); edges bias -0.5 on a 0..1 image",
                panels, bank_names, NULL, BANK + 1, 1, 27, 27);
    nn_say("   a bank of 5 such 2x2 detectors on the image: plots/%s/feature-maps\n", CHAPTER);
    free(x);
    free(fmaps);
    free(crop);
}

/* ======================================================================
 * Section 7. The backward pass
 * ======================================================================
 *
 * Deck 004 (stride 1, no padding, indices from 1) writes the layer as
 *
 *     z_{i',j',f'} = b^{f'} + sum_i sum_j sum_f a_{i'+i-1, j'+j-1, f} w_{i,j,f}^{f'}
 *
 * and differentiates it:
 *
 *     dz_{i',j',f'} / dw_{i,j,f}^{f'}   = a_{i'+i-1, j'+j-1, f}
 *     dz_{i',j',f'} / da_{i'+i-1,j'+j-1,f} = w_{i,j,f}^{f'}
 *     dz_{i',j',f'} / db^{f'}            = 1.
 *
 * Each weight is used at every position, so its gradient sums over all of
 * them (parameter sharing again); each input pixel is used by every filter
 * position that covers it, so its gradient sums over those.  With
 * delta_{i',j',f'} = dL/dz_{i',j',f'} coming from the layer above:
 *
 *     dL/dw_{i,j,f}^{f'} = sum_{i',j'} delta_{i',j',f'} a_{i'+i-1, j'+j-1, f}
 *     dL/da_{p,q,f}      = sum_{i',j',f'} delta_{i',j',f'} w_{p-i'+1, q-j'+1, f}^{f'}
 *     dL/db^{f'}         = sum_{i',j'} delta_{i',j',f'}.
 *
 * In the code's 0-based indices with stride and padding, pixel
 * (i S + u - P, j S + v - P) meets weight (u, v) at output (i, j), and the
 * loop below visits exactly those triples, adding each product to both
 * gradients: the forward loop run backwards.  (For stride 1 the input
 * gradient is a full convolution of delta with the filter: the flipped
 * kernel of section 1 comes back.) */

/* delta (K, H2, W2); adds into d_x (C, H, W), d_w (K, C, F, F), d_b (K) */
static void conv_backward(double *d_x, double *d_w, double *d_b, const double *delta,
                          const double *x, const double *w, const conv_shape *s)
{
    for (int k = 0; k < s->K; k++)
        for (int i = 0; i < s->H2; i++)
            for (int j = 0; j < s->W2; j++) {
                double g = delta[((size_t)k * s->H2 + i) * s->W2 + j];
                d_b[k] += g;
                for (int c = 0; c < s->C; c++)
                    for (int u = 0; u < s->F; u++)
                        for (int v = 0; v < s->F; v++) {
                            int row = i * s->S + u - s->P, col = j * s->S + v - s->P;
                            if (row < 0 || row >= s->H || col < 0 || col >= s->W)
                                continue;
                            size_t xi = ((size_t)c * s->H + row) * s->W + col;
                            size_t wi = (((size_t)k * s->C + c) * s->F + u) * s->F + v;
                            /* in the forward pass this was: z[k,i,j] += x[xi] w[wi]; so */
                            d_w[wi] += g * x[xi];
                            d_x[xi] += g * w[wi];
                        }
            }
}

/* Central differences on L = sum_{k,i,j} z[k,i,j] g[k,i,j], g fixed. */
typedef struct {
    const conv_shape *s;
    double *x, *w, *b, *g, *z;
} backward_check;

static double check_loss(void *ctx)
{
    backward_check *c = ctx;
    conv_forward(c->z, c->x, c->w, c->b, c->s);
    size_t n = (size_t)c->s->K * c->s->H2 * c->s->W2;
    double loss = 0;
    for (size_t q = 0; q < n; q++)
        loss += c->z[q] * c->g[q];
    return loss;
}

static double numeric_rel_error(backward_check *c, double *param, const double *analytic, size_t n)
{
    double *numeric = nn_doubles(n);
    const double eps = 1e-6;
    for (size_t q = 0; q < n; q++) {
        double saved = param[q];
        param[q] = saved + eps;
        double up = check_loss(c);
        param[q] = saved - eps;
        double down = check_loss(c);
        param[q] = saved;
        numeric[q] = (up - down) / (2 * eps);
    }
    double err = nn_rel_error(analytic, numeric, n, NULL);
    free(numeric);
    return err;
}

static void section_backward(nn_rng *rng)
{
    nn_say("\n7. The backward pass: dL/dw, dL/db, dL/dx\n");
    conv_shape s = make_shape(2, 7, 6, 3, 3, 2, 1);
    size_t n_x = (size_t)s.C * s.H * s.W, n_w = (size_t)s.K * s.C * s.F * s.F;
    size_t n_z = (size_t)s.K * s.H2 * s.W2;
    backward_check c = {&s, nn_doubles(n_x), nn_doubles(n_w), nn_doubles((size_t)s.K),
                        nn_doubles(n_z), nn_doubles(n_z)};
    for (size_t q = 0; q < n_x; q++)
        c.x[q] = nn_rng_normal(rng);
    for (size_t q = 0; q < n_w; q++)
        c.w[q] = nn_rng_normal(rng);
    for (int k = 0; k < s.K; k++)
        c.b[k] = nn_rng_normal(rng);
    for (size_t q = 0; q < n_z; q++)
        c.g[q] = nn_rng_normal(rng);
    double *d_x = nn_doubles(n_x), *d_w = nn_doubles(n_w), *d_b = nn_doubles((size_t)s.K);
    conv_backward(d_x, d_w, d_b, c.g, c.x, c.w, &s);
    nn_say("   7x6x2 input, 3 filters 3x3, stride 2, padding 1 -> %dx%dx3; L = sum z g, g random\n",
           s.H2, s.W2);
    nn_say("   central differences (eps 1e-6), relative error max|a-n| / max(|a|+|n|):\n");
    nn_say("     dL/dw %.1e    dL/db %.1e    dL/dx %.1e\n",
           numeric_rel_error(&c, c.w, d_w, n_w), numeric_rel_error(&c, c.b, d_b, (size_t)s.K),
           numeric_rel_error(&c, c.x, d_x, n_x));

    nn_conv_dims d;
    if (nn_conv_dims_make(&d, 1, s.C, s.H, s.W, s.K, s.F, s.S, s.P) != NN_OK)
        nn_die_last();
    float *xf = to_floats(c.x, n_x), *wf = to_floats(c.w, n_w), *gf = to_floats(c.g, n_z);
    float *dxf = nn_floats(n_x), *dwf = nn_floats(n_w), *dbf = nn_floats((size_t)s.K);
    if (nn_conv2d_backward(dxf, dwf, dbf, gf, xf, wf, &d) != NN_OK)
        nn_die_last();
    nn_say("   nn_conv2d_backward agrees with the loops: max |difference| dw %.1e, db %.1e, dx %.1e\n",
           max_abs_diff(d_w, dwf, n_w), max_abs_diff(d_b, dbf, (size_t)s.K), max_abs_diff(d_x, dxf, n_x));
    free(c.x); free(c.w); free(c.b); free(c.g); free(c.z);
    free(d_x); free(d_w); free(d_b);
    free(xf); free(wf); free(gf); free(dxf); free(dwf); free(dbf);
}

/* ======================================================================
 * Section 8. The fast version
 * ======================================================================
 *
 * The loops above do the right arithmetic in a slow order: for every output
 * they walk a small window, and the inner loop is 3 multiplications long.
 * The library (lib/conv.c) rearranges the same arithmetic into a matrix
 * product.  Each F x F x C patch the filter visits becomes one column of a
 * matrix col (C F F rows, H2 W2 columns): "im2col".  Then
 *
 *     z (K, H2 W2) = w (K, C F F) . col (C F F, H2 W2),
 *
 * one GEMM (lib/gemm.c), the kernel that computers run fastest.  The
 * backward pass is two more products, and col2im adds the columns' gradients
 * back onto the pixels.  The price is memory: col holds every pixel F F / S^2
 * times.  tests/lib/test-conv.c keeps the library equal to a naive reference
 * and to PyTorch; here it is timed against this chapter's loops on a batch. */
static void section_fast(const image_source *src, int batch)
{
    nn_say("\n8. The fast version: im2col + GEMM on %d images, 32 filters 3x3, padding 1\n", batch);
    conv_shape s = make_shape(1, 28, 28, 32, 3, 1, 1);
    nn_conv_dims d;
    if (nn_conv_dims_make(&d, batch, 1, 28, 28, 32, 3, 1, 1) != NN_OK)
        nn_die_last();
    nn_rng rng = nn_rng_new(5);
    size_t n_w = nn_conv_weight_size(&d), per_out = (size_t)32 * 28 * 28;
    double *w = nn_doubles(n_w), *b = nn_doubles(32), *z = nn_doubles(per_out * batch);
    for (size_t q = 0; q < n_w; q++)
        w[q] = nn_rng_normal(&rng) / 3;
    double start = nn_seconds();
    for (int n = 0; n < batch; n++) {
        double *x = image_at(src, n % src->ds.n);
        conv_forward(z + n * per_out, x, w, b, &s);
        free(x);
    }
    double loops = nn_seconds() - start;
    float *xf = nn_floats(nn_conv_in_size(&d)), *wf = to_floats(w, n_w), *bf = nn_floats(32);
    float *zf = nn_floats(nn_conv_out_size(&d));
    for (int n = 0; n < batch; n++)
        memcpy(xf + (size_t)n * 784, src->ds.x + (size_t)(n % src->ds.n) * 784, sizeof(float) * 784);
    start = nn_seconds();
    if (nn_conv2d_forward(zf, xf, wf, bf, &d) != NN_OK)
        nn_die_last();
    double fast = nn_seconds() - start;
    nn_say("   loops (double) %.1f ms, library %.1f ms: %.0f times faster; max |difference| %.1e\n",
           loops * 1e3, fast * 1e3, loops / fmax(fast, 1e-9), max_abs_diff(z, zf, nn_conv_out_size(&d)));
    free(w); free(b); free(z); free(xf); free(wf); free(bf); free(zf);
}

#ifndef CH05_NO_MAIN
int main(int argc, char **argv)
{
    int index = 0, batch = 64;
    nn_option options[] = {
        NN_OPT_INT("image", "N", "Fashion-MNIST test item shown in sections 3, 4 and 6 (default 0)",
                   &index, 0, 9999),
        NN_OPT_INT("batch", "N", "images in the timing of section 8 (default 64)", &batch, 1, 10000),
        NN_OPT_END};
    nn_common common;
    nn_cli_parse(argc, argv, "ch05-convolution", "Chapter 5: convolution", options, &common);
    nn_rng rng = nn_rng_new(common.seed);
    double start = nn_seconds();
    nn_say("Chapter 5: convolution (seed %llu)\n", (unsigned long long)common.seed);

    image_source src;
    load_images(&src, &common, index, batch, &rng);
    section_flip();
    section_worked_example();
    section_filter_table(&src);
    section_output_size(&src);
    section_channels(&rng);
    section_detectors(&src);
    section_backward(&rng);
    section_fast(&src, batch);
    nn_say("\nFigures written under %s/plots/%s/ (%.1f s)\n", common.out_dir, CHAPTER,
           nn_seconds() - start);
    nn_dataset_free(&src.ds);
    nn_conv_free_workspace();
    return 0;
}
#endif
