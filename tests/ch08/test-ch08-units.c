/* test-ch08-units.c: the saliency methods of ch08-saliency against
 * independent truths.  The chapter is compiled in without its main.
 *
 *   - PyTorch (tests/ch08/saliency_reference.py wrote
 *     tests/ch08/saliency_reference.txt): for fixed weights and a fixed
 *     image, the input gradient of the class score, the saliency map,
 *     gradient x input, Integrated Gradients (same baseline and steps) and
 *     Grad-CAM;
 *   - central differences of the class score (a smooth network: every
 *     pixel; the ReLU network: sampled pixels);
 *   - occlusion against a brute-force loop written here;
 *   - Integrated Gradients' completeness, and exactness on a linear model;
 *   - FGSM against its definition;
 *   - Spearman's rho and the area under a curve worked by hand;
 *   - the same seed gives the same maps. */
#define CH08_NO_MAIN
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "../../chapters/08-saliency/ch08-saliency.c"

/* ---- The reference file: lines "name count v1 ... vcount", '#' comments ---- */
enum { MAX_REF = 24 };
static struct {
    char name[32];
    int count;
    float *v;
} ref[MAX_REF];
static int n_ref;

static void load_reference(void)
{
    const char *top = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ch08/saliency_reference.txt", top && *top ? top : NNLAB_SRCDIR);
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open %s (regenerate: /usr/bin/python3 tests/ch08/saliency_reference.py > "
                        "tests/ch08/saliency_reference.txt)", path);
    int c;
    while ((c = fgetc(f)) != EOF) {
        if (c == '#' || c == '\n') {
            while (c != '\n' && c != EOF)
                c = fgetc(f);
            continue;
        }
        ungetc(c, f);
        if (n_ref == MAX_REF || fscanf(f, "%31s %d", ref[n_ref].name, &ref[n_ref].count) != 2 ||
            ref[n_ref].count < 1 || ref[n_ref].count > 100000)
            nn_tap_bail_out("%s: malformed line after entry %d", path, n_ref);
        ref[n_ref].v = nn_floats((size_t)ref[n_ref].count);
        for (int i = 0; i < ref[n_ref].count; i++)
            if (fscanf(f, "%f", &ref[n_ref].v[i]) != 1)
                nn_tap_bail_out("%s: %s holds fewer than %d values", path, ref[n_ref].name, ref[n_ref].count);
        n_ref++;
    }
    fclose(f);
}

static const float *want(const char *name, int count)
{
    for (int i = 0; i < n_ref; i++)
        if (!strcmp(ref[i].name, name)) {
            if (ref[i].count != count)
                nn_tap_bail_out("reference %s has %d values, expected %d", name, ref[i].count, count);
            return ref[i].v;
        }
    nn_tap_bail_out("reference %s is missing (regenerate the reference file)", name);
}

static const char *ref_arch = "conv:4:3:1:1 bn relu maxpool:2 conv:6:3:1:1 relu dense:5";
enum { RC = 2, RH = 8, RW = 8, RD = RC * RH * RW, RP = RH * RW, RK = 5, RCLASS = 1, RSTEPS = 16 };

static nn_model *reference_model(void)
{
    nn_model *m = nn_model_new(ref_arch, RC, RH, RW, BATCH);
    if (!m)
        nn_tap_bail_out("%s", nn_last_error());
    int n = (int)nn_model_param_count(m);
    nn_copy(nn_model_params(m), want("params", n), (size_t)n);
    nn_copy(nn_model_stats(m), want("stats", (int)nn_model_stat_count(m)), nn_model_stat_count(m));
    return m;
}

/* Tolerances against torch, float32 on both sides, different summation
 * orders (im2col + GEMM here, torch's kernels there):
 *   logits, gradients: a few ulps of values of order 1 through four layers,
 *     1e-5 absolute + 1e-4 relative;
 *   IG: a mean of 16 such gradients times the pixel, the same;
 *   Grad-CAM: means of products of those, and the ReLU of their sum (a cell
 *     near 0 can only differ by the same amount), 1e-5 absolute + 1e-4. */
#define TORCH_RTOL 1e-4
#define TORCH_ATOL 1e-5
#define TORCH_CAM_RTOL 1e-4
#define TORCH_CAM_ATOL 1e-5

static void against_torch(void)
{
    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float logits[RK], grad[RD], map[RP], attr[RD], coarse[16], zero[RD] = {0};
    logits_of(m, logits, x, 1);
    nn_is_close_floats(logits, want("logits", RK), RK, TORCH_RTOL, TORCH_ATOL, "torch: logits S(x)");
    score_gradients(m, grad, x, 1, RCLASS);
    nn_is_close_floats(grad, want("grad", RD), RD, TORCH_RTOL, TORCH_ATOL, "torch: dS_c/dx");
    gradient_map(m, map, x, RCLASS);
    nn_is_close_floats(map, want("saliency", RP), RP, TORCH_RTOL, TORCH_ATOL,
                       "torch: saliency map, max over the 2 channels of |dS_c/dx|");
    gradient_x_input_map(m, map, x, RCLASS);
    nn_is_close_floats(map, want("gradxinput", RP), RP, TORCH_RTOL, TORCH_ATOL,
                       "torch: gradient x input, summed over channels");
    double sum = integrated_gradients(m, attr, x, zero, RCLASS, RSTEPS);
    nn_is_close_floats(attr, want("ig", RD), RD, TORCH_RTOL, TORCH_ATOL,
                       "torch: Integrated Gradients, black baseline, 16 steps");
    nn_is_close(sum, want("ig_sum", 1)[0], TORCH_RTOL, TORCH_ATOL, "torch: sum of the attributions");
    nn_is_close(class_score(m, x, RCLASS) - class_score(m, zero, RCLASS), want("ig_change", 1)[0], TORCH_RTOL,
                TORCH_ATOL, "torch: S_c(x) - S_c(baseline)");
    nn_is_int(gradcam_layer(m), 5, "Grad-CAM reads the ReLU after the last convolution (layer 5)");
    nn_is_int(gradcam_map(m, map, coarse, x, RCLASS), NN_OK, "Grad-CAM runs");
    nn_model *bn = nn_model_new("conv:2:3:1:1 relu conv:2:3:1:1 bn relu dense:3", 1, 6, 6, 2);
    nn_is_int(gradcam_layer(bn), 4, "after conv, bn, relu Grad-CAM reads the relu (layer 4)");
    nn_model_free(bn);
    nn_model *flat = nn_model_new("dense:4 relu dense:3", 1, 6, 6, 2);
    float flat_x[36] = {0}, flat_map[36];
    nn_is_int(gradcam_map(flat, flat_map, NULL, flat_x, 0), NN_ERR, "Grad-CAM without a convolution is refused");
    nn_model_free(flat);
    const float *want_coarse = want("gradcam_coarse", 16);
    int zeros = 0, positives = 0;
    for (int q = 0; q < 16; q++) {
        zeros += want_coarse[q] == 0;
        positives += want_coarse[q] > 0;
    }
    nn_ok(zeros > 0 && positives > 0, "the reference Grad-CAM map has both clipped and positive cells (%d, %d)",
          zeros, positives);
    nn_is_close_floats(coarse, want_coarse, 16, TORCH_CAM_RTOL, TORCH_CAM_ATOL, "torch: Grad-CAM on the 4x4 maps");
    nn_is_close_floats(map, want("gradcam", RP), RP, TORCH_CAM_RTOL, TORCH_CAM_ATOL,
                       "torch: Grad-CAM upsampled to 8x8 (nearest)");
    nn_model_free(m);
}

/* ---- Central differences ---------------------------------------------------- */
typedef struct {
    nn_model *m;
    float *x;
    int c;
} score_ctx;

static double score_at(void *p)
{
    score_ctx *s = p;
    return class_score(s->m, s->x, s->c);
}

static void gradient_checks(void)
{
    /* A smooth network (tanh, average pooling): differentiable everywhere,
     * so every pixel can be checked.  Step 1e-2 on inputs in [0, 1]:
     * truncation ~1e-4, rounding ~1e-6 / 1e-2; tolerance 1e-3 (measured
     * well below). */
    nn_model *m = nn_model_new("conv:3:3:1:1 tanh avgpool:2 conv:4:3 tanh dense:3", 1, 8, 8, BATCH);
    nn_model_init(m, 17);
    float x[64], g[64];
    nn_rng rng = nn_rng_new(18);
    nn_rng_fill_uniform(&rng, x, 64, 0, 1);
    score_ctx ctx = {m, x, 2};
    score_gradients(m, g, x, 1, 2);
    nn_gradcheck_floats("dS_c/dx of a smooth CNN, every pixel", score_at, &ctx, x, g, 64, 1e-2, 1e-3);
    nn_model_free(m);

    /* The ReLU / max-pool reference network at 12 sampled input values,
     * step 1e-3 (a ReLU rarely switches inside it at this image: the kinks
     * of a piecewise-linear function are where central differences fail). */
    m = reference_model();
    float xr[RD], gr[RD];
    nn_copy(xr, want("x", RD), RD);
    score_gradients(m, gr, xr, 1, RCLASS);
    score_ctx rc = {m, xr, RCLASS};
    double analytic[12], numeric[12];
    for (int q = 0; q < 12; q++) {
        int i = (int)nn_rng_below(&rng, RD);
        float saved = xr[i];
        xr[i] = saved + 1e-3f;
        double up = score_at(&rc);
        xr[i] = saved - 1e-3f;
        double down = score_at(&rc);
        xr[i] = saved;
        numeric[q] = (up - down) / ((double)(saved + 1e-3f) - (double)(saved - 1e-3f));
        analytic[q] = gr[i];
    }
    nn_ok(nn_rel_error(analytic, numeric, 12, NULL) < 1e-2 && nn_norm2(gr, RD) > 0,
          "dS_c/dx of the ReLU network at 12 sampled values: relative error %.1e < 1e-2",
          nn_rel_error(analytic, numeric, 12, NULL));

    /* A batch of gradients equals the gradients one at a time. */
    float three[3 * RD], g3[3 * RD], g1[RD];
    nn_rng_fill_uniform(&rng, three, 3 * RD, 0, 1);
    score_gradients(m, g3, three, 3, RCLASS);
    int same = 1;
    for (int i = 0; i < 3; i++) {
        score_gradients(m, g1, three + i * RD, 1, RCLASS);
        same &= !memcmp(g1, g3 + i * RD, sizeof g1);
    }
    nn_ok(same, "gradients of a batch of 3 equal three single gradients, bit for bit");
    nn_model_free(m);
}

/* ---- Occlusion against a brute-force loop ------------------------------------ */
static double brute_prob(nn_model *m, const float *img, int c)
{
    float logits[RK];
    nn_model_forward(m, logits, img, 1, 0, NULL);
    double top = logits[0], sum = 0;
    for (int k = 1; k < RK; k++)
        top = fmax(top, logits[k]);
    for (int k = 0; k < RK; k++)
        sum += exp(logits[k] - top);
    return exp(logits[c] - top) / sum;
}

static void occlusion_brute(nn_model *m, double *map, const float *x, int c, const float *fill, int patch, int stride)
{
    double base = brute_prob(m, x, c), sum[RP] = {0};
    int count[RP] = {0};
    float img[RD];
    for (int i0 = 0; i0 + patch <= RH; i0 += stride)
        for (int j0 = 0; j0 + patch <= RW; j0 += stride) {
            memcpy(img, x, sizeof img);
            for (int ch = 0; ch < RC; ch++)
                for (int i = 0; i < patch; i++)
                    for (int j = 0; j < patch; j++) {
                        int q = ch * RP + (i0 + i) * RW + j0 + j;
                        img[q] = fill[q];
                    }
            double drop = base - brute_prob(m, img, c);
            for (int i = 0; i < patch; i++)
                for (int j = 0; j < patch; j++) {
                    sum[(i0 + i) * RW + j0 + j] += drop;
                    count[(i0 + i) * RW + j0 + j]++;
                }
        }
    for (int p = 0; p < RP; p++)
        map[p] = count[p] ? sum[p] / count[p] : 0;
}

static void occlusion_checks(void)
{
    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float fill[RD], mean_image[RD], map[RP];
    double brute[RP], got[RP];
    for (int q = 0; q < RD; q++)
        mean_image[q] = 0.3f;
    static const struct { int patch, stride; fill_kind fill; const char *what; } cases[] = {
        {3, 2, FILL_ZERO, "patch 3, stride 2 (the last column is never covered), zero fill"},
        {2, 1, FILL_MEAN, "patch 2, stride 1 (overlapping), mean fill"},
        {4, 4, FILL_BLUR, "patch 4, stride 4 (tiles), blur fill"},
        {8, 1, FILL_ZERO, "patch 8: the whole image, one position"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        make_fill(fill, cases[k].fill, x, mean_image, RC, RH, RW);
        int n_pos = occlusion_map(m, map, x, RCLASS, fill, cases[k].patch, cases[k].stride);
        occlusion_brute(m, brute, x, RCLASS, fill, cases[k].patch, cases[k].stride);
        for (int p = 0; p < RP; p++)
            got[p] = map[p];
        int rows = (RH - cases[k].patch) / cases[k].stride + 1;
        nn_is_int(n_pos, rows * rows, "occlusion %s: %d positions", cases[k].what, rows * rows);
        /* float map of a difference of double probabilities */
        nn_is_close_doubles(got, brute, RP, 1e-5, 1e-6, "occlusion %s equals the brute-force loop", cases[k].what);
    }
    /* The blur fill is the 5x5 mean: pixel (0, 0) of channel 0 averages the
     * 3x3 block at the corner (the rest falls outside the image). */
    blur_image(fill, x, RC, RH, RW);
    double corner = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            corner += x[i * RW + j];
    nn_is_close(fill[0], corner / 9, 1e-6, 0, "blur fill at a corner: the mean of the 3x3 pixels inside the image");
    nn_model_free(m);
}

/* ---- Integrated Gradients ----------------------------------------------------- */
static void ig_checks(void)
{
    /* Completeness on the ReLU network: the Riemann sum converges to
     * S_c(x) - S_c(0); at 512 steps within 2% (the tolerance of this
     * test; the paper asks for 5%), and closer than at 4 steps. */
    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float zero[RD] = {0};
    double gap4 = completeness_gap(m, x, zero, RCLASS, 4), gap512 = completeness_gap(m, x, zero, RCLASS, 512);
    nn_ok(gap512 < 0.02, "IG completeness at 512 steps: gap %.4f < 0.02", gap512);
    nn_ok(gap512 < gap4, "the gap shrinks with more steps (%.4f at 4, %.4f at 512)", gap4, gap512);
    nn_model_free(m);

    /* On a linear score S = w . x + b the gradient is w everywhere, so IG
     * is exactly (x - x') w at any step count, gradient x input is x w, and
     * completeness is exact. */
    nn_model *lin = nn_model_new("dense:3", 1, 4, 4, BATCH);
    nn_model_init(lin, 5);
    float xl[16], attr[16], base[16], gxi[16];
    nn_rng rng = nn_rng_new(6);
    nn_rng_fill_uniform(&rng, xl, 16, 0, 1);
    nn_rng_fill_uniform(&rng, base, 16, 0, 0.2);
    integrated_gradients(lin, attr, xl, base, 0, 3);
    const float *w = nn_model_params(lin);   /* row 0 of W (3, 16) */
    for (int q = 0; q < 16; q++)
        gxi[q] = (xl[q] - base[q]) * w[q];
    nn_is_close_floats(attr, gxi, 16, 1e-6, 1e-7, "linear model: IG with 3 steps is (x - x') w exactly");
    nn_ok(completeness_gap(lin, xl, base, 0, 1) < 1e-5, "linear model: completeness holds with a single step");
    nn_model_free(lin);
}

/* ---- FGSM against its definition ---------------------------------------------- */
static void fgsm_checks(void)
{
    /* x_adv = clip(x + eps sign(dJ/dx), 0, 1), J = -log P_y(x).  The
     * gradient of J, written out here: dJ/dx = sum_k (P_k - [k = y]) dS_k/dx. */
    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float logits[RK], g[RD], adv[RD];
    double p[RK], dJ[RD] = {0};
    int y = 3;
    logits_of(m, logits, x, 1);
    softmax_row(p, logits, RK);
    for (int k = 0; k < RK; k++) {
        score_gradients(m, g, x, 1, k);
        for (int q = 0; q < RD; q++)
            dJ[q] += (p[k] - (k == y)) * g[q];
    }
    const double eps = 0.07;
    fgsm(m, adv, x, &y, 1, eps, 0, NULL);
    double want_adv[RD], got[RD];
    int checked = 0;
    for (int q = 0; q < RD; q++) {
        double step = dJ[q] > 0 ? eps : -eps;
        want_adv[q] = fmin(1, fmax(0, x[q] + step));
        got[q] = adv[q];
        if (fabs(dJ[q]) < 1e-6)   /* a sign decided by rounding: compare nothing there */
            got[q] = want_adv[q];
        else
            checked++;
    }
    nn_ok(checked > RD / 2, "FGSM: %d of %d gradient signs are clear", checked, RD);
    nn_is_close_doubles(got, want_adv, RD, 0, 1e-7, "FGSM equals clip(x + eps sign(grad_x J), 0, 1)");
    float lo = 1, hi = 0;
    for (int q = 0; q < RD; q++) {
        lo = fminf(lo, adv[q] - x[q]);
        hi = fmaxf(hi, adv[q] - x[q]);
    }
    nn_ok(lo >= -eps - 1e-7 && hi <= eps + 1e-7, "no pixel moves more than epsilon");
    float logits_adv[RK];
    logits_of(m, logits_adv, adv, 1);
    double p_adv[RK];
    softmax_row(p_adv, logits_adv, RK);
    nn_ok(p_adv[y] < p[y], "the attack lowers the probability of the true class (%.4f -> %.4f)", p[y], p_adv[y]);
    nn_model_free(m);
}

/* ---- Ranks, areas, deletion ------------------------------------------------------ */
static void metric_checks(void)
{
    const float a[5] = {1, 2, 3, 4, 5}, b[5] = {5, 6, 7, 8, 7}, r[5] = {5, 4, 3, 2, 1};
    /* by hand: ranks of b are 1, 2, 3.5, 5, 3.5 (the two 7s share 3 and 4);
     * Pearson with 1..5 is 8 / sqrt(10 * 9.5) */
    nn_is_close(spearman(a, b, 5), 8 / sqrt(95.0), 1e-12, 0, "Spearman with a tie: 8 / sqrt(95)");
    nn_is_close(spearman(a, r, 5), -1, 1e-12, 0, "Spearman of a reversed order: -1");
    nn_is_close(spearman(a, a, 5), 1, 1e-12, 0, "Spearman of itself: 1");
    const float flat[5] = {2, 2, 2, 2, 2};
    nn_is_close(spearman(a, flat, 5), 0, 0, 0, "a constant map has rho 0, not NaN");
    const double tri[3] = {1, 0.5, 0}, one[5] = {1, 1, 1, 1, 1};
    nn_is_close(area_under(tri, 2), 0.5, 1e-15, 0, "area under 1, 0.5, 0 on [0, 1]: 0.5");
    nn_is_close(area_under(one, 4), 1, 1e-15, 0, "area under a constant 1: 1");

    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float zero[RD] = {0}, map[RP];
    enum { T = 8 };
    double del[T + 1], ins[T + 1];
    int order[RP];
    gradient_map(m, map, x, RCLASS);
    order_by_map(order, map, RP);
    int sorted = 1;
    for (int q = 1; q < RP; q++)
        sorted &= map[order[q - 1]] >= map[order[q]];
    nn_ok(sorted, "pixels are ordered by decreasing map value");
    deletion_insertion(m, del, ins, x, RCLASS, order, T);
    nn_is_close(del[0], class_probability(m, x, RCLASS), 1e-12, 0, "deletion starts at P_c(x)");
    nn_is_close(del[T], class_probability(m, zero, RCLASS), 1e-12, 0, "and ends at P_c(black image)");
    nn_is_close(ins[0], del[T], 0, 0, "insertion starts at the black image");
    nn_is_close(ins[T], del[0], 0, 0, "and ends at the image");
    /* Halfway: the first 32 pixels (both channels) of the order deleted. */
    float half[RD];
    memcpy(half, x, sizeof half);
    for (int q = 0; q < RP / 2; q++)
        for (int ch = 0; ch < RC; ch++)
            half[ch * RP + order[q]] = 0;
    nn_is_close(del[T / 2], class_probability(m, half, RCLASS), 1e-12, 0,
                "halfway: the first half of the order deleted");
    nn_model_free(m);
}

/* ---- Determinism and class models --------------------------------------------- */
static void determinism_checks(void)
{
    nn_model *m = reference_model();
    const float *x = want("x", RD);
    float a[RP], b[RP];
    method_config cfg = {3, 1, FILL_BLUR, 8, 0.15, 16, x};
    int same = 1;
    for (int k = 0; k < N_METHODS; k++) {
        nn_rng r1 = nn_rng_new(7), r2 = nn_rng_new(7);
        explain(m, (method)k, a, x, RCLASS, &cfg, &r1);
        explain(m, (method)k, b, x, RCLASS, &cfg, &r2);
        same &= !memcmp(a, b, sizeof a);
    }
    nn_ok(same, "same seed, same maps: all six methods, bit for bit");
    nn_rng r3 = nn_rng_new(8);
    explain(m, M_SMOOTHGRAD, b, x, RCLASS, &cfg, &r3);
    nn_ok(memcmp(a, b, sizeof a) != 0, "SmoothGrad with another seed draws other noise");

    float imgs[RK * RD];
    class_models(m, imgs, 50, 0.1, 0.1);
    float zero[RD] = {0};
    int raised = 1;
    for (int c = 0; c < RK; c++)
        raised &= class_score(m, imgs + c * RD, c) > class_score(m, zero, c);
    nn_ok(raised, "gradient ascent raises every class score above the black image's");
    nn_model_free(m);
}

int main(void)
{
    nn_tap_timeout(60);
    load_reference();
    against_torch();
    gradient_checks();
    occlusion_checks();
    ig_checks();
    fgsm_checks();
    metric_checks();
    determinism_checks();
    for (int i = 0; i < n_ref; i++)
        free(ref[i].v);
    nn_conv_free_workspace();
    return nn_tap_done();
}
