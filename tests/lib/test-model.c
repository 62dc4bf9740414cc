/* test-model.c: the sequential model (lib/model.c) and its file.
 *
 *   - gradients of every parameter tensor and of the input by central
 *     differences, on a small network with every layer kind, in training
 *     mode (batch statistics, a fixed dropout mask) and in inference mode
 *     (running statistics, as chapter 8 differentiates);
 *   - the forward pass equals the lib's layers called by hand;
 *   - save then load is bit-exact (parameters, statistics, logits, the file
 *     written again);
 *   - damaged files are refused, each with a message naming the file and the
 *     problem: missing, truncated at several offsets, a flipped byte (every
 *     byte of the file, in fact), wrong magic, a future version, an
 *     architecture that does not match the stored shapes, trailing garbage;
 *   - bad architecture strings are refused with a message;
 *   - the same seed gives the same bits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "nnlab.h"

static char tmpdir[4096];
static char made[64][4200];
static int n_made;

static const char *tmp_path(const char *name)
{
    NN_ASSERT(n_made < 64);
    snprintf(made[n_made], sizeof made[n_made], "%s/%s", tmpdir, name);
    return made[n_made++];
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        nn_tap_bail_out("cannot read %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = nn_malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n)
        nn_tap_bail_out("short read of %s", path);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_all(const char *path, const unsigned char *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b, 1, len, f) != len || fclose(f) != 0)
        nn_tap_bail_out("cannot write %s", path);
}

/* ---- Gradients ------------------------------------------------------------------
 * Every layer kind: conv (with stride and padding), relu, 2-d bn, max pool,
 * tanh, avg pool, flatten, dense, 1-d bn, dropout.  A batch norm right after
 * a convolution or dense layer would make that layer's bias gradient zero in
 * training (the normalisation subtracts any constant), so each bn follows an
 * activation and every bias has a gradient to check. */
static const char *every_kind =
    "conv:3:3:1:1 relu bn maxpool:2 conv:4:2 tanh avgpool:2:1 flatten dense:6 tanh bn dropout:30 dense:3";

enum { GC = 2, GH = 6, GW = 6, GB = 4 };

/* Central differences on a float network.  Step 3e-3 on values of order 1:
 * truncation ~1e-5, rounding ~1e-7 / 3e-3 ~ 3e-5 relative.  A larger step
 * (1e-2) crosses ReLU and max-pool kinks of this network (measured relative
 * error 1.1e-2), a smaller one (1e-3) drowns in float rounding (4.5e-3); at
 * 3e-3 the worst measured is 1.4e-3, so 1e-2 separates right from wrong (a
 * wrong gradient is off by O(1)). */
#define GC_STEP 3e-3
#define GC_TOL 1e-2

typedef struct {
    nn_model *m;
    float *x, *w;        /* input and the fixed weights of L = sum_i w_i logits_i */
    int training;
} grad_ctx;

static double model_loss(void *p)
{
    grad_ctx *c = p;
    float logits[GB * 3];
    nn_rng rng = nn_rng_new(99);   /* the same dropout mask at every evaluation */
    float *stats = nn_model_stats(c->m), saved[64];
    size_t n_stats = nn_model_stat_count(c->m);
    memcpy(saved, stats, n_stats * sizeof *stats);
    if (nn_model_forward(c->m, logits, c->x, GB, c->training, &rng) != NN_OK)
        nn_tap_bail_out("forward failed: %s", nn_last_error());
    memcpy(stats, saved, n_stats * sizeof *stats);   /* training forward moves them */
    double loss = 0;
    for (int i = 0; i < GB * 3; i++)
        loss += (double)c->w[i] * logits[i];
    return loss;
}

static void check_gradients(int training)
{
    const char *mode = training ? "training" : "inference";
    nn_model *m = nn_model_new(every_kind, GC, GH, GW, GB);
    if (!m)
        nn_tap_bail_out("the gradient-check architecture does not build: %s", nn_last_error());
    nn_model_init(m, 3);
    size_t n_params = nn_model_param_count(m);
    float *params = nn_model_params(m);
    nn_rng rng = nn_rng_new(4);
    /* Move gamma, beta and the running statistics off 1, 0, 0, 1 so that
     * their gradients are generic, not special cases. */
    for (int l = 0; l < nn_model_layer_count(m); l++) {
        nn_layer_info info = nn_model_layer(m, l);
        if (info.kind == NN_LAYER_BN)
            nn_rng_fill_normal(&rng, params + nn_model_layer_param_offset(m, l), info.n_params, 0.8, 0.3);
        if (info.kind == NN_LAYER_CONV || info.kind == NN_LAYER_DENSE) {
            size_t n_b = (size_t)info.out_c, off = nn_model_layer_param_offset(m, l) + info.n_params - n_b;
            nn_rng_fill_normal(&rng, params + off, n_b, 0, 0.2);
        }
    }
    float *stats = nn_model_stats(m);
    for (size_t i = 0; i < nn_model_stat_count(m); i++)
        stats[i] = (float)(0.2 + 0.5 * nn_rng_uniform(&rng));
    float x[GB * GC * GH * GW], w[GB * 3], d_x[GB * GC * GH * GW], logits[GB * 3];
    nn_rng_fill_normal(&rng, x, GB * GC * GH * GW, 0, 1);
    nn_rng_fill_normal(&rng, w, GB * 3, 0, 1);
    grad_ctx ctx = {m, x, w, training};
    model_loss(&ctx);
    nn_model_zero_grads(m);
    if (nn_model_backward(m, d_x, w, GB) != NN_OK)
        nn_tap_bail_out("backward failed: %s", nn_last_error());
    float *grads = nn_floats(n_params);
    nn_copy(grads, nn_model_grads(m), n_params);
    nn_is_close_floats(nn_model_output_grad(m, nn_model_layer_count(m) - 1), w, GB * 3, 0, 0,
                       "%s: the last layer's output gradient is d_logits", mode);

    nn_gradcheck_floats(training ? "training: input gradient" : "inference: input gradient", model_loss, &ctx, x,
                        d_x, GB * GC * GH * GW, GC_STEP, GC_TOL);
    for (int l = 0; l < nn_model_layer_count(m); l++) {
        nn_layer_info info = nn_model_layer(m, l);
        if (!info.n_params)
            continue;
        size_t off = nn_model_layer_param_offset(m, l);
        size_t second = info.kind == NN_LAYER_BN ? (size_t)info.in_c : (size_t)info.out_c;
        size_t first = info.n_params - second;
        char name[96];
        const char *a = info.kind == NN_LAYER_BN ? "gamma" : "w", *b = info.kind == NN_LAYER_BN ? "beta" : "b";
        snprintf(name, sizeof name, "%s: layer %d %s: %s", mode, l, info.name, a);
        nn_gradcheck_floats(name, model_loss, &ctx, params + off, grads + off, first, GC_STEP, GC_TOL);
        snprintf(name, sizeof name, "%s: layer %d %s: %s", mode, l, info.name, b);
        nn_gradcheck_floats(name, model_loss, &ctx, params + off + first, grads + off + first, second, GC_STEP, GC_TOL);
    }

    /* Backward adds into the parameter gradients; d_x = NULL is allowed. */
    model_loss(&ctx);
    nn_model_backward(m, NULL, w, GB);
    int doubled = 1;
    for (size_t i = 0; i < n_params; i++)
        doubled &= fabsf(nn_model_grads(m)[i] - 2 * grads[i]) <= 1e-5f * (1 + fabsf(grads[i]));
    nn_ok(doubled, "%s: a second backward adds the same gradients (+=), with d_x = NULL", mode);
    nn_is_int(nn_model_forward(m, logits, x, GB + 1, training, &rng), NN_ERR,
              "%s: a batch larger than max_batch is refused", mode);
    nn_contains(nn_last_error(), "1 to 4", "the message gives the allowed range");
    free(grads);
    nn_model_free(m);
}

/* ---- The model equals the lib's layers called by hand ------------------------- */
static void equals_hand_written(void)
{
    enum { B = 2, C = 1, H = 5, W = 5, K = 2 };
    nn_model *m = nn_model_new("conv:2:3 relu maxpool:3 dense:4", C, H, W, B);
    nn_model_init(m, 8);
    float *p = nn_model_params(m);
    float x[B * C * H * W], conv[B * K * 3 * 3], pooled[B * K], want[B * 4], got[B * 4];
    int argmax[B * K];
    nn_rng rng = nn_rng_new(12);
    nn_rng_fill_normal(&rng, x, sizeof x / sizeof *x, 0, 1);
    nn_conv_dims cd;
    nn_conv_dims_make(&cd, B, C, H, W, K, 3, 1, 0);
    nn_conv2d_forward(conv, x, p, p + K * 9, &cd);
    nn_act_forward(NN_RELU, conv, conv, sizeof conv / sizeof *conv);
    nn_pool_dims pd;
    nn_pool_dims_make(&pd, B, K, 3, 3, 3, 3);
    nn_maxpool_forward(pooled, argmax, conv, &pd);
    nn_dense_forward(want, pooled, p + K * 9 + K, p + K * 9 + K + 4 * K, B, K, 4);
    nn_model_forward(m, got, x, B, 0, NULL);
    nn_is_close_floats(got, want, B * 4, 0, 0, "the model's forward equals conv, relu, max pool, dense by hand");
    nn_layer_info info = nn_model_layer(m, 0);
    nn_is_int(info.out_h * 100 + info.out_w * 10 + info.out_c, 332, "conv:2:3 on 5x5 gives 2 x 3 x 3");
    nn_is_int((long)info.n_params, K * 9 + K, "conv:2:3 on one channel has 2*9 + 2 parameters");
    nn_is_int(nn_model_classes(m), 4, "four classes");
    nn_is_int(nn_model_last_conv(m), 0, "the last convolution is layer 0");
    nn_model_free(m);
}

/* ---- Save and load ----------------------------------------------------------------- */
static const char *small_arch = "conv:3:3:1:1 relu bn maxpool:2 flatten dense:4";

static nn_model *small_trained(void)
{
    nn_model *m = nn_model_new(small_arch, 1, 4, 4, 8);
    nn_model_init(m, 5);
    nn_rng rng = nn_rng_new(6);
    float *stats = nn_model_stats(m);
    for (size_t i = 0; i < nn_model_stat_count(m); i++)
        stats[i] = (float)(0.5 + nn_rng_uniform(&rng));
    float *p = nn_model_params(m);
    for (size_t i = 0; i < nn_model_param_count(m); i++)
        p[i] += (float)(0.01 * nn_rng_normal(&rng));
    return m;
}

static void round_trip(const char *path)
{
    nn_model *m = small_trained();
    nn_is_int(nn_model_save(m, path), NN_OK, "save");
    nn_model *back = nn_model_load(path, 3);
    if (!nn_ok(back != NULL, "load what was saved"))
        nn_tap_bail_out("%s", nn_last_error());
    nn_is_str(nn_model_arch(back), small_arch, "the architecture comes back");
    int C, H, W;
    nn_model_input_shape(back, &C, &H, &W);
    nn_is_int(C * 10000 + H * 100 + W, 10404, "the input shape (1, 4, 4) comes back");
    nn_is_int(nn_model_max_batch(back), 3, "the loaded model takes the caller's max_batch");
    nn_ok(nn_model_param_count(back) == nn_model_param_count(m) &&
              !memcmp(nn_model_params(back), nn_model_params(m), nn_model_param_count(m) * sizeof(float)),
          "every parameter comes back bit for bit");
    nn_ok(nn_model_stat_count(back) == nn_model_stat_count(m) &&
              !memcmp(nn_model_stats(back), nn_model_stats(m), nn_model_stat_count(m) * sizeof(float)),
          "the running statistics come back bit for bit");
    float x[3 * 16], a[3 * 4], b[3 * 4];
    nn_rng rng = nn_rng_new(7);
    nn_rng_fill_normal(&rng, x, 48, 0, 1);
    nn_model_forward(m, a, x, 3, 0, NULL);
    nn_model_forward(back, b, x, 3, 0, NULL);
    nn_ok(!memcmp(a, b, sizeof a), "the loaded model's logits equal the original's bit for bit");
    const char *again = tmp_path("again.nnm");
    nn_model_save(back, again);
    size_t n1, n2;
    unsigned char *f1 = read_all(path, &n1), *f2 = read_all(again, &n2);
    nn_ok(n1 == n2 && !memcmp(f1, f2, n1), "saving the loaded model writes the same bytes");
    /* Header, then per tensor: name length, name, ndim, sizes, values; CRC. */
    struct { const char *name; int ndim; size_t count; } t[] = {
        {"0.w", 4, 27}, {"0.b", 1, 3}, {"2.gamma", 1, 3}, {"2.beta", 1, 3}, {"2.running_mean", 1, 3},
        {"2.running_var", 1, 3}, {"5.w", 2, 48}, {"5.b", 1, 4}};
    size_t want_len = 8 + 4 + 12 + 4 + strlen(small_arch) + 4 + 4;
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        want_len += 4 + strlen(t[i].name) + 4 + 4 * (size_t)t[i].ndim + 4 * t[i].count;
    nn_is_int((long)n1, (long)want_len, "the file has exactly the length the format implies");
    free(f1);
    free(f2);
    nn_model_free(back);
    nn_ok(nn_model_clone(m, 0) == NULL, "clone with max_batch 0 is refused");
    nn_model *copy = nn_model_clone(m, 2);
    nn_model_forward(copy, b, x, 2, 0, NULL);
    nn_ok(!memcmp(a, b, 2 * 4 * sizeof(float)), "a clone computes the same logits");
    nn_model_free(copy);
    nn_model_free(m);
}

static void expect_refused(const char *path, const char *problem, const char *what)
{
    nn_clear_error();
    nn_model *m = nn_model_load(path, 4);
    nn_ok(m == NULL, "refused: %s", what);
    nn_model_free(m);
    nn_contains(nn_last_error(), path, "  the message names the file");
    nn_contains(nn_last_error(), problem, "  the message says \"%s\"", problem);
}

static void fix_crc(unsigned char *b, size_t len)
{
    uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(len - 4));
    for (int k = 0; k < 4; k++)
        b[len - 4 + k] = (unsigned char)(crc >> (8 * k));
}

static void refused_files(const char *good)
{
    size_t len;
    unsigned char *b = read_all(good, &len), *copy = nn_malloc(len + 16);
    const char *bad = tmp_path("bad.nnm");

    expect_refused(tmp_path("no-such-model.nnm"), "cannot open", "a missing file");
    nn_contains(nn_last_error(), "--save", "  and says how to make one");

    /* Truncated: inside the magic, the version, the shape, the architecture,
     * a tensor's name, shape and values, and the checksum. */
    size_t arch_at = 28, first_tensor = 28 + strlen(small_arch) + 4;
    size_t cuts[] = {0, 5, 8, 10, 20, 26, arch_at + 3, first_tensor + 2, first_tensor + 6, first_tensor + 12,
                     first_tensor + 40, len / 2, len - 5, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        write_all(bad, b, cuts[i]);
        char what[64];
        snprintf(what, sizeof what, "a file cut to %zu of its %zu bytes", cuts[i], len);
        expect_refused(bad, cuts[i] == 0 ? "is empty" : "truncated", what);
    }

    memcpy(copy, b, len);
    copy[len - 20] ^= 0x10;   /* inside the last tensor's values */
    write_all(bad, copy, len);
    expect_refused(bad, "checksum", "a flipped bit in a value");

    int all_refused = 1;
    size_t first_accepted = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(copy, b, len);
        copy[i] ^= 0x01;
        write_all(bad, copy, len);
        nn_model *m = nn_model_load(bad, 2);
        if (m && all_refused) {
            all_refused = 0;
            first_accepted = i;
        }
        nn_model_free(m);
    }
    nn_ok(all_refused, "a flipped bit at any of the %zu bytes is refused (first accepted: %zu)", len,
          all_refused ? len : first_accepted);

    memcpy(copy, b, len);
    memcpy(copy, "NNLABMDX", 8);
    write_all(bad, copy, len);
    expect_refused(bad, "not an nnlab model file", "wrong magic");
    write_all(bad, (const unsigned char *)"hello, world, this is text\n", 27);
    expect_refused(bad, "magic", "a text file");

    memcpy(copy, b, len);
    copy[8] = 2;
    fix_crc(copy, len);
    write_all(bad, copy, len);
    expect_refused(bad, "newer", "format version 2");
    copy[8] = 0;
    fix_crc(copy, len);
    write_all(bad, copy, len);
    expect_refused(bad, "version 0", "format version 0");

    /* The architecture says 5 filters where the tensors have 3 (same length,
     * correct checksum): the shapes do not match. */
    memcpy(copy, b, len);
    NN_ASSERT(copy[arch_at + 5] == '3');
    copy[arch_at + 5] = '5';
    fix_crc(copy, len);
    write_all(bad, copy, len);
    expect_refused(bad, "has shape (3, 1, 3, 3), but the architecture", "architecture/shape mismatch");
    nn_contains(nn_last_error(), "(5, 1, 3, 3)", "  the message gives the shape it needs");

    /* The input shape says 8 x 8: the dense layer's input no longer matches. */
    memcpy(copy, b, len);
    copy[16] = 8;
    copy[20] = 8;
    fix_crc(copy, len);
    write_all(bad, copy, len);
    expect_refused(bad, "needs (4, 48)", "input shape/dense mismatch");

    /* An architecture that does not parse. */
    memcpy(copy, b, len);
    memcpy(copy + arch_at, "cnov", 4);
    fix_crc(copy, len);
    write_all(bad, copy, len);
    expect_refused(bad, "unknown layer", "an unknown layer in the file");

    memcpy(copy, b, len);
    memcpy(copy + len, "garbage", 7);
    write_all(bad, copy, len + 7);
    expect_refused(bad, "trailing garbage", "7 bytes after the checksum");
    free(b);
    free(copy);
}

/* ---- Bad architecture strings ------------------------------------------------------ */
static void bad_arch(const char *arch, int C, int H, int W, const char *problem, const char *what)
{
    nn_clear_error();
    nn_model *m = nn_model_new(arch, C, H, W, 4);
    nn_ok(m == NULL, "architecture refused: %s", what);
    nn_model_free(m);
    nn_contains(nn_last_error(), problem, "  the message says \"%s\"", problem);
}

static void architectures(void)
{
    bad_arch("conv:4:3 relu softmax dense:10", 1, 8, 8, "unknown layer", "an unknown layer");
    nn_contains(nn_last_error(), "\"softmax\"", "  the message names the layer");
    bad_arch("conv:0:3 relu dense:10", 1, 8, 8, "zero filters", "zero filters");
    bad_arch("conv:4:3 maxpool:8 dense:10", 1, 8, 8, "larger than the 6 x 6 feature map",
             "a pool larger than the feature map");
    bad_arch("conv:4:3 dense:0", 1, 8, 8, "width 0", "dense:0");
    bad_arch("", 1, 8, 8, "no layers", "an empty string");
    bad_arch("conv:4", 1, 8, 8, "takes 2 to 4 integers", "conv without a filter size");
    bad_arch("conv:4:x", 1, 8, 8, "non-negative integers", "a letter where a number goes");
    bad_arch("conv:4:-3", 1, 8, 8, "non-negative integers", "a negative filter size");
    bad_arch("conv:4:9", 1, 8, 8, "larger than the padded input", "a filter larger than the image");
    bad_arch("dense:10 conv:4:3", 1, 8, 8, "input is flat", "a convolution after a dense layer");
    bad_arch("dropout:100 dense:2", 1, 8, 8, "every unit", "dropout:100");
    bad_arch("relu:2 dense:2", 1, 8, 8, "takes no integers", "an argument where none goes");
    nn_ok(nn_model_new("dense:2", 1, 8, 8, 0) == NULL, "max_batch 0 is refused");
    nn_model *m = nn_model_new("  conv:2:3:2:1\ttanh   dense:3 ", 2, 7, 7, 1);
    nn_ok(m != NULL, "extra blanks and tabs between layers are fine");
    if (m) {
        nn_layer_info info = nn_model_layer(m, 0);
        nn_is_int(info.out_h, 4, "conv:2:3:2:1 on 7x7: (7 - 3 + 2) / 2 + 1 = 4");
        nn_is_str(info.name, "conv:2:3:2:1", "the layer keeps its name as written");
        nn_is_int((long)nn_model_param_count(m), 2 * 2 * 9 + 2 + 3 * 32 + 3, "parameter count");
    }
    nn_model_free(m);
}

/* ---- Determinism ------------------------------------------------------------------- */
static void determinism(void)
{
    nn_model *a = nn_model_new(every_kind, GC, GH, GW, GB), *b = nn_model_new(every_kind, GC, GH, GW, GB);
    nn_model_init(a, 42);
    nn_model_init(b, 42);
    size_t n = nn_model_param_count(a);
    nn_ok(!memcmp(nn_model_params(a), nn_model_params(b), n * sizeof(float)), "same seed, same initial bits");
    nn_model_init(b, 43);
    nn_ok(memcmp(nn_model_params(a), nn_model_params(b), n * sizeof(float)) != 0, "another seed, other bits");
    nn_model_init(b, 42);
    float x[GB * GC * GH * GW], la[GB * 3], lb[GB * 3], da[GB * GC * GH * GW], db[GB * GC * GH * GW];
    nn_rng rng = nn_rng_new(1);
    nn_rng_fill_normal(&rng, x, sizeof x / sizeof *x, 0, 1);
    float ones[GB * 3];
    for (int i = 0; i < GB * 3; i++)
        ones[i] = 1;
    nn_rng ra = nn_rng_new(9), rb = nn_rng_new(9);
    nn_model_forward(a, la, x, GB, 1, &ra);
    nn_model_forward(b, lb, x, GB, 1, &rb);
    nn_model_backward(a, da, ones, GB);
    nn_model_backward(b, db, ones, GB);
    nn_ok(!memcmp(la, lb, sizeof la) && !memcmp(da, db, sizeof da) &&
              !memcmp(nn_model_grads(a), nn_model_grads(b), n * sizeof(float)),
          "same seed: same logits, input and parameter gradients, bit for bit (training, with dropout)");
    nn_rng rc = nn_rng_new(10);
    nn_model_forward(b, lb, x, GB, 1, &rc);
    nn_ok(memcmp(la, lb, sizeof la) != 0, "another dropout seed gives other logits (the mask matters)");
    nn_model_free(a);
    nn_model_free(b);
}

int main(void)
{
    nn_tap_timeout(60);
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/nnlab-test-model-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(tmpdir))
        nn_tap_bail_out("cannot make a temporary directory %s", tmpdir);
    check_gradients(1);
    check_gradients(0);
    equals_hand_written();
    const char *good = tmp_path("good.nnm");
    round_trip(good);
    refused_files(good);
    architectures();
    determinism();
    for (int i = 0; i < n_made; i++)
        remove(made[i]);
    if (rmdir(tmpdir) != 0)
        nn_diag("could not remove %s", tmpdir);
    return nn_tap_done();
}
