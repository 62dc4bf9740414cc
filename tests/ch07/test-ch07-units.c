/* test-ch07-units.c: the networks of ch07-cnn against independent truths.
 *
 * The chapter is compiled in without its main (CH07_NO_MAIN); its sections
 * that only main() calls are then unused, which is expected here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#define CH07_NO_MAIN
#include "../../chapters/07-cnn/ch07-cnn.c"

#include <unistd.h>

/* ---- the loss of a network on a fixed batch, for gradient checks ---- */
typedef struct {
    model *m;
    const float *x;
    const int *y;
    int B;
    uint64_t mask_seed;
    float *probs;
} loss_ctx;

/* The same dropout mask at every evaluation (the rng is re-seeded), batch
 * statistics in batch norm: the training-mode loss is a deterministic
 * function of the parameters. */
static double batch_loss(void *p)
{
    loss_ctx *c = p;
    nn_rng rng = nn_rng_new(c->mask_seed);
    must(c->m->forward(c->m, c->x, c->B, 1, &rng));
    return nn_softmax_xent_forward(c->probs, c->m->logits, c->y, c->B, c->m->classes);
}

typedef struct {
    const char *name;
    float *param;
    const float *grad;
    size_t n;
} tensor_ref;

/* Every parameter tensor by central differences.  Float parameters, the
 * loss in double: eps = 3e-4 keeps the O(eps^2) truncation and the chance
 * that a step crosses a kink (a ReLU at 0, a max pool changing its argmax)
 * small, against the float rounding of the logits (about 1e-7 relative,
 * divided by 2 eps); 1e-2 relative error over a tensor leaves room for that
 * rounding and nothing else: a wrong term in any backward line is off by O(1). */
#define GRADCHECK_EPS 3e-4
#define GRADCHECK_TOL 1e-2
#define GRADCHECK_MAX 1500

static void check_all_tensors(const char *net, loss_ctx *ctx, const tensor_ref *t, int n_tensors)
{
    model *m = ctx->m;
    batch_loss(ctx);
    nn_zero(m->grads, m->n_params);
    float *d_logits = nn_floats((size_t)ctx->B * m->classes);
    nn_softmax_xent_backward(d_logits, ctx->probs, ctx->y, ctx->B, m->classes);
    m->backward(m, d_logits, ctx->B);
    float *analytic = nn_floats(m->n_params);
    nn_copy(analytic, m->grads, m->n_params);
    size_t covered = 0;
    for (int i = 0; i < n_tensors; i++) {
        char what[96];
        snprintf(what, sizeof what, "%s: gradient of %s by central differences", net, t[i].name);
        /* large tensors: their first GRADCHECK_MAX entries (each costs two forward passes) */
        size_t n = t[i].n < GRADCHECK_MAX ? t[i].n : GRADCHECK_MAX;
        nn_gradcheck_floats(what, batch_loss, ctx, t[i].param, analytic + (t[i].param - m->params), n,
                            GRADCHECK_EPS, GRADCHECK_TOL);
        covered += t[i].n;
    }
    nn_is_int((long)covered, (long)m->n_params, "%s: the checked tensors are all %zu parameters", net,
              m->n_params);
    free(analytic);
    free(d_logits);
}

static void fill_batch(float *x, int *y, int B, int D, nn_rng *rng)
{
    nn_rng_fill_normal(rng, x, (size_t)B * D, 0, 1);
    for (int b = 0; b < B; b++)
        y[b] = (int)nn_rng_below(rng, N_CLASSES);
}

static void gradcheck_small(int use_bn, double dropout)
{
    enum { B = 4, H = 8, W = 8 };
    nn_rng rng = nn_rng_new(5);
    small_cfg cfg = {3, 4, 2, use_bn, dropout};
    model *m = small_new(&cfg, 1, H, W, N_CLASSES, B, &rng);
    smallnet *S = (smallnet *)m;
    /* non-trivial gamma, beta and biases, so their gradients are tested */
    if (use_bn) {
        nn_rng_fill_normal(&rng, S->bn1_gamma, 3, 1, 0.3);
        nn_rng_fill_normal(&rng, S->bn1_beta, 3, 0, 0.3);
        nn_rng_fill_normal(&rng, S->bn2_gamma, 4, 1, 0.3);
        nn_rng_fill_normal(&rng, S->bn2_beta, 4, 0, 0.3);
    } else {
        nn_rng_fill_normal(&rng, S->conv1_b, 3, 0, 0.3);
        nn_rng_fill_normal(&rng, S->conv2_b, 4, 0, 0.3);
    }
    nn_rng_fill_normal(&rng, S->fc_b, N_CLASSES, 0, 0.3);
    float x[B * H * W], probs[B * N_CLASSES];
    int y[B];
    fill_batch(x, y, B, H * W, &rng);
    loss_ctx ctx = {m, x, y, B, 77, probs};
    char net[64];
    snprintf(net, sizeof net, "small CNN%s, dropout %.1f", use_bn ? " with BN" : " without BN", dropout);
    if (use_bn) {
        tensor_ref t[] = {{"conv1.w", S->conv1_w, S->d_conv1_w, 27},      {"bn1.gamma", S->bn1_gamma, NULL, 3},
                          {"bn1.beta", S->bn1_beta, NULL, 3},             {"conv2.w", S->conv2_w, NULL, 108},
                          {"bn2.gamma", S->bn2_gamma, NULL, 4},           {"bn2.beta", S->bn2_beta, NULL, 4},
                          {"fc.w", S->fc_w, NULL, (size_t)N_CLASSES * 16}, {"fc.b", S->fc_b, NULL, N_CLASSES}};
        check_all_tensors(net, &ctx, t, 8);
    } else {
        tensor_ref t[] = {{"conv1.w", S->conv1_w, NULL, 27},              {"conv1.b", S->conv1_b, NULL, 3},
                          {"conv2.w", S->conv2_w, NULL, 108},             {"conv2.b", S->conv2_b, NULL, 4},
                          {"fc.w", S->fc_w, NULL, (size_t)N_CLASSES * 16}, {"fc.b", S->fc_b, NULL, N_CLASSES}};
        check_all_tensors(net, &ctx, t, 6);
    }
    model_free(m);
}

static void gradcheck_lenet(void)
{
    enum { B = 3, H = 16, W = 16 };
    nn_rng rng = nn_rng_new(6);
    model *m = lenet_new(1, H, W, N_CLASSES, B, &rng);
    lenet *L = (lenet *)m;
    nn_rng_fill_normal(&rng, L->conv1_b, 6, 0, 0.2);
    nn_rng_fill_normal(&rng, L->conv2_b, 16, 0, 0.2);
    nn_rng_fill_normal(&rng, L->fc1_b, 120, 0, 0.2);
    nn_rng_fill_normal(&rng, L->fc2_b, 84, 0, 0.2);
    nn_rng_fill_normal(&rng, L->fc3_b, N_CLASSES, 0, 0.2);
    float x[B * H * W], probs[B * N_CLASSES];
    int y[B];
    fill_batch(x, y, B, H * W, &rng);
    loss_ctx ctx = {m, x, y, B, 78, probs};
    tensor_ref t[] = {{"conv1.w", L->conv1_w, NULL, 150},  {"conv1.b", L->conv1_b, NULL, 6},
                      {"conv2.w", L->conv2_w, NULL, 2400}, {"conv2.b", L->conv2_b, NULL, 16},
                      {"fc1.w", L->fc1_w, NULL, 120 * 64}, {"fc1.b", L->fc1_b, NULL, 120},
                      {"fc2.w", L->fc2_w, NULL, 84 * 120}, {"fc2.b", L->fc2_b, NULL, 84},
                      {"fc3.w", L->fc3_w, NULL, 840},      {"fc3.b", L->fc3_b, NULL, N_CLASSES}};
    check_all_tensors("LeNet-5 on 16x16", &ctx, t, 10);
    model_free(m);
}

/* BatchNorm2d as the chapter calls it against the definition, in double,
 * written here. */
static void check_bn2d(void)
{
    enum { B = 3, K = 4, HW = 5 };
    nn_rng rng = nn_rng_new(9);
    float in[B * K * HW], out[B * K * HW], gamma[K], beta[K], rm[K] = {0}, rv[K] = {1, 1, 1, 1};
    float mu[K], rstd[K];
    nn_rng_fill_normal(&rng, in, B * K * HW, 0.5, 2);
    nn_rng_fill_normal(&rng, gamma, K, 1, 0.5);
    nn_rng_fill_normal(&rng, beta, K, 0, 0.5);
    bn2d_forward(out, mu, rstd, in, gamma, beta, rm, rv, B, K, HW, 1);
    double want[B * K * HW], want_rm[K], want_rv[K];
    for (int k = 0; k < K; k++) {
        double s = 0, ss = 0;
        for (int b = 0; b < B; b++)
            for (int q = 0; q < HW; q++)
                s += in[(b * K + k) * HW + q];
        double mean = s / (B * HW);
        for (int b = 0; b < B; b++)
            for (int q = 0; q < HW; q++)
                ss += (in[(b * K + k) * HW + q] - mean) * (in[(b * K + k) * HW + q] - mean);
        double var = ss / (B * HW);
        for (int b = 0; b < B; b++)
            for (int q = 0; q < HW; q++)
                want[(b * K + k) * HW + q] = gamma[k] * (in[(b * K + k) * HW + q] - mean) / sqrt(var + 1e-5) + beta[k];
        want_rm[k] = 0.1 * mean;
        want_rv[k] = 0.9 + 0.1 * ss / (B * HW - 1);
    }
    double got[B * K * HW], got_rm[K], got_rv[K];
    for (int q = 0; q < B * K * HW; q++)
        got[q] = out[q];
    for (int k = 0; k < K; k++)
        got_rm[k] = rm[k], got_rv[k] = rv[k];
    nn_is_close_doubles(got, want, B * K * HW, 1e-5, 1e-6, "BatchNorm2d: per-channel over (B, H, W)");
    nn_is_close_doubles(got_rm, want_rm, K, 1e-5, 1e-7, "BatchNorm2d: running mean, momentum 0.1");
    nn_is_close_doubles(got_rv, want_rv, K, 1e-5, 1e-7, "BatchNorm2d: running variance, unbiased (B H W - 1)");
}

/* Training twice with the same seed gives the same bits. */
static void check_determinism(void)
{
    data_sets data;
    nn_rng rng = nn_rng_new(3);
    load_data(&data, "digits", NULL, 300, 60, 0, &rng);
    float *params[2];
    double acc[2];
    for (int run = 0; run < 2; run++) {
        nn_rng r = nn_rng_new(12);
        small_cfg cfg = {4, 8, 2, 1, 0.25};
        model *m = small_new(&cfg, data.C, data.H, data.W, N_CLASSES, 32, &r);
        options o = {.epochs = 2, .batch = 32, .patience = 2, .shift = 1, .flip = 1, .noise = 0.05};
        train_cfg tc = make_train_cfg(&o, 0.003, 1);
        tc.verbose = 0;
        train_result res;
        must(train(m, &data, &tc, &r, &res));
        params[run] = nn_floats(m->n_params);
        nn_copy(params[run], m->params, m->n_params);
        acc[run] = evaluate(m, &data.test, &data, NULL, NULL);
        if (run == 1)
            nn_ok(memcmp(params[0], params[1], sizeof(float) * m->n_params) == 0 && acc[0] == acc[1],
                  "two trainings with the same seed give the same parameters, bit for bit");
        model_free(m);
    }
    free(params[0]);
    free(params[1]);
    data_free(&data);
}

static void check_impossible(void)
{
    nn_rng rng = nn_rng_new(1);
    small_cfg zero = {0, 8, 2, 1, 0};
    int refused = small_new(&zero, 1, 28, 28, 10, 4, &rng) == NULL;
    nn_ok(refused && strstr(nn_last_error(), "filter"), "zero filters are refused with a message: %s",
          nn_last_error());
    small_cfg big = {4, 8, 16, 1, 0};
    refused = small_new(&big, 1, 28, 28, 10, 4, &rng) == NULL;
    nn_ok(refused && strstr(nn_last_error(), "pool"), "a pool larger than its feature map is refused: %s",
          nn_last_error());
    refused = lenet_new(1, 8, 8, 10, 4, &rng) == NULL;
    nn_ok(refused, "LeNet-5 refuses 8x8 inputs: %s", nn_last_error());
}

/* The explicit small network and nn_model running its layer list, on the
 * same tensors: the same logits (evaluation and training mode, the same
 * dropout mask from the same seed) and the same gradients.  Both call the
 * same lib kernels in the same order, so they agree to float rounding of
 * the order of additions, 1e-5 relative. */
#define EXPLICIT_VS_MODEL_RTOL 1e-5
#define EXPLICIT_VS_MODEL_ATOL 1e-6

static void check_against_model(int use_bn)
{
    enum { B = 5, H = 12, W = 12 };
    nn_rng rng = nn_rng_new(21);
    small_cfg cfg = {3, 5, 2, use_bn, 0.3};
    model *m = small_new(&cfg, 1, H, W, N_CLASSES, B, &rng);
    smallnet *S = (smallnet *)m;
    if (use_bn) {
        nn_rng_fill_normal(&rng, S->bn1_gamma, 3, 1, 0.3), nn_rng_fill_normal(&rng, S->bn2_beta, 5, 0, 0.3);
        nn_rng_fill_normal(&rng, S->bn1_mean, 3, 0, 0.3), nn_rng_fill_uniform(&rng, S->bn2_var, 5, 0.5, 2);
    } else {
        nn_rng_fill_normal(&rng, S->conv1_b, 3, 0, 0.3), nn_rng_fill_normal(&rng, S->conv2_b, 5, 0, 0.3);
    }
    nn_rng_fill_normal(&rng, S->fc_b, N_CLASSES, 0, 0.3);
    nn_model *nm = small_to_model(m);
    const char *what = use_bn ? "with BN" : "without BN";
    nn_ok(nm != NULL, "the small network %s as an nn_model: %s", what, nm ? nn_model_arch(nm) : nn_last_error());
    float x[B * H * W], logits[B * N_CLASSES], probs[B * N_CLASSES], d_logits[B * N_CLASSES];
    int y[B];
    fill_batch(x, y, B, H * W, &rng);
    for (int training = 0; training < 2; training++) {
        nn_rng r1 = nn_rng_new(5), r2 = nn_rng_new(5);
        nn_zero(m->grads, m->n_params);
        nn_model_zero_grads(nm);
        must(m->forward(m, x, B, training, &r1));
        must(nn_model_forward(nm, logits, x, B, training, &r2));
        nn_is_close_floats(logits, m->logits, B * N_CLASSES, EXPLICIT_VS_MODEL_RTOL, EXPLICIT_VS_MODEL_ATOL,
                           "%s, %s mode: explicit forward == nn_model_forward", what, training ? "training" : "evaluation");
        if (!training)
            continue;
        nn_softmax_xent_forward(probs, m->logits, y, B, N_CLASSES);
        nn_zero(d_logits, B * N_CLASSES);
        nn_softmax_xent_backward(d_logits, probs, y, B, N_CLASSES);
        m->backward(m, d_logits, B);
        must(nn_model_backward(nm, NULL, d_logits, B));
        /* the explicit gradients in the model's layout (conv biases before BN: 0) */
        nn_model *grads_as_model = small_to_model(m);
        float *saved = nn_floats(m->n_params);
        nn_copy(saved, m->params, m->n_params);
        nn_copy(m->params, m->grads, m->n_params);
        small_copy_tensors(S, grads_as_model, 1);
        nn_copy(m->params, saved, m->n_params);
        nn_is_close_floats(nn_model_params(grads_as_model), nn_model_grads(nm), nn_model_param_count(nm),
                           EXPLICIT_VS_MODEL_RTOL, EXPLICIT_VS_MODEL_ATOL,
                           "%s: explicit backward == nn_model_backward, every parameter", what);
        free(saved);
        nn_model_free(grads_as_model);
    }
    /* the file: save, load into a fresh network, same logits bit for bit */
    char path[] = "/tmp/nnlab-ch07-model-XXXXXX";
    int fd = mkstemp(path);
    NN_ASSERT(fd >= 0);
    close(fd);
    nn_ok(small_save(m, path) == NN_OK, "%s: --save writes %s", what, path);
    nn_rng r3 = nn_rng_new(99);
    model *back = small_new(&cfg, 1, H, W, N_CLASSES, B, &r3);
    nn_ok(small_load(back, path) == NN_OK, "%s: --load reads it back", what);
    must(m->forward(m, x, B, 0, NULL));
    must(back->forward(back, x, B, 0, NULL));
    nn_ok(memcmp(m->logits, back->logits, sizeof(float) * B * N_CLASSES) == 0,
          "%s: the loaded network gives the same logits, bit for bit", what);
    /* a damaged file and a mismatched architecture are refused with the file's name */
    FILE *f = fopen(path, "r+b");
    fseek(f, -20, SEEK_END);   /* a weight of the last tensor: only the checksum can tell */
    fputc(0x5a, f);
    fclose(f);
    int refused = small_load(back, path) != NN_OK;
    nn_ok(refused && strstr(nn_last_error(), path), "%s: a corrupted file is refused: %s", what, nn_last_error());
    must(small_save(m, path));
    small_cfg other = cfg;
    other.K2 = 6;
    model *wrong = small_new(&other, 1, H, W, N_CLASSES, B, &r3);
    refused = small_load(wrong, path) != NN_OK;
    nn_ok(refused && strstr(nn_last_error(), "--filters1"), "%s: another architecture is refused: %s", what,
          nn_last_error());
    remove(path);
    model_free(wrong);
    model_free(back);
    nn_model_free(nm);
    model_free(m);
}

/* The chapter's parameter counts against the lib's counter, which counts
 * the layer lists without building anything (and is itself checked against
 * torchvision by tests/ch07/test-netcount). */
static void check_counts(void)
{
    nn_rng rng = nn_rng_new(2);
    model *le = lenet_new(1, 28, 28, N_CLASSES, 2, &rng);
    nn_netcount nc;
    must(nn_netcount_builtin(&nc, "lenet5"));
    nn_is_int((long)le->n_params, (long)nc.params, "LeNet-5: the chapter's parameters == nn_netcount's lenet5");
    nn_netcount_free(&nc);
    model_free(le);
    small_cfg cfg = {16, 64, 2, 1, 0.25};
    model *sm = small_new(&cfg, 1, 28, 28, N_CLASSES, 2, &rng);
    must(nn_netcount_parse(&nc, "conv:16:3:1:1:nobias bn relu maxpool:2 conv:64:3:1:1:nobias bn relu maxpool:2 "
                                "dropout:25 dense:10", 1, 28, 28));
    nn_is_int((long)sm->n_params, (long)nc.params, "the small CNN: the chapter's parameters == nn_netcount's");
    size_t macs = 0;
    for (int r = 0; r < sm->n_rows; r++)
        if (strncmp(sm->rows[r].name, "conv", 4) == 0 || strncmp(sm->rows[r].name, "dense", 5) == 0)
            macs += sm->rows[r].macs;
    nn_is_int((long)macs, (long)nc.macs, "the small CNN: the table's multiply-adds == nn_netcount's");
    nn_netcount_free(&nc);
    model_free(sm);
}

int main(void)
{
    nn_tap_timeout(600);
    gradcheck_small(1, 0.0);
    gradcheck_small(1, 0.4);
    gradcheck_small(0, 0.4);
    gradcheck_lenet();
    check_bn2d();
    check_determinism();
    check_impossible();
    check_counts();
    check_against_model(1);
    check_against_model(0);
    return nn_tap_done();
}
