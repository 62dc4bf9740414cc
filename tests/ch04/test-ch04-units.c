/* test-ch04-units.c: the regularizers of chapter 4 against independent truths.
 *
 * The chapter is one literate program; to test its functions without
 * splitting the text, this file includes it with NN_CHAPTER_NO_MAIN defined,
 * which leaves out its main().  Every function of the chapter is then in
 * scope here.  The sections that only main() calls are then unused, which
 * is expected, so that warning is silenced for this file alone. */
#pragma GCC diagnostic ignored "-Wunused-function"
#define NN_CHAPTER_NO_MAIN
#include "../../chapters/04-regularization/ch04-regularization.c"

/* ---- the regularized loss of a small network, for gradient checks ---- */
typedef struct {
    network *net;
    batch_buffers *buf;
    const float *x;
    const int *y;
    int B;
    train_config cfg;
    uint64_t mask_seed;
} loss_context;

/* Every evaluation draws the same dropout masks and input noise (the rng is
 * re-seeded), so L_R is a deterministic function of the parameters. */
static double regularized_loss(void *ctx_)
{
    loss_context *ctx = ctx_;
    nn_rng rng = nn_rng_new(ctx->mask_seed);
    make_targets(ctx->buf->targets, ctx->y, ctx->B, ctx->net->K, ctx->cfg.label_smoothing);
    return forward(ctx->net, ctx->buf, ctx->x, ctx->B, &ctx->cfg, 1, &rng) +
           penalty(ctx->net, ctx->buf, ctx->B, &ctx->cfg);
}

static void check_gradients(const char *what, train_config cfg)
{
    enum { D = 5, H = 6, K = 3, B = 7 };
    nn_rng rng = nn_rng_new(11);
    network net;
    network_init(&net, D, H, K, &rng);
    nn_rng_fill_normal(&rng, net.b1, H, 0.1, 0.1); /* non-zero biases, so their gradients are tested */
    nn_rng_fill_normal(&rng, net.b2, K, 0, 0.1);
    batch_buffers buf;
    buffers_init(&buf, &net, B);
    float x[B * D];
    int y[B];
    nn_rng_fill_normal(&rng, x, B * D, 0, 1);
    for (int b = 0; b < B; b++)
        y[b] = (int)nn_rng_below(&rng, K);
    loss_context ctx = {&net, &buf, x, y, B, cfg, 99};

    regularized_loss(&ctx);
    nn_zero(net.grads, net.n_params);
    backward(&net, &buf, x, B, &cfg);
    float *analytic = nn_floats(net.n_params);
    nn_copy(analytic, net.grads, net.n_params);
    /* float parameters, loss in double: eps 1e-3 balances truncation
     * (O(eps^2)) against float rounding of the perturbed weights. */
    nn_gradcheck_floats(what, regularized_loss, &ctx, net.params, analytic, net.n_params, 1e-3, 2e-3);
    free(analytic);
    buffers_free(&buf);
    network_free(&net);
}

int main(void)
{
    nn_tap_timeout(120);

    /* ---- norm penalties by hand: W = (1, -2, 0, 0.5) ---- */
    float W[4] = {1, -2, 0, 0.5f}, dW[4] = {0};
    nn_is_close(nn_l2_penalty(W, 4), 0.5 * (1 + 4 + 0 + 0.25), 1e-12, 0, "L2: 1/2 ||W||_2^2 = 2.625");
    nn_is_close(nn_l1_penalty(W, 4), 0.5 * (1 + 2 + 0 + 0.5), 1e-12, 0, "L1: 1/2 ||W||_1 = 1.75");
    nn_l2_penalty_backward(dW, W, 4, 0.1);
    float want_l2[4] = {0.1f, -0.2f, 0, 0.05f};
    nn_is_close_floats(dW, want_l2, 4, 1e-6, 0, "L2 gradient is alpha W");
    nn_zero(dW, 4);
    nn_l1_penalty_backward(dW, W, 4, 0.1);
    float want_l1[4] = {0.05f, -0.05f, 0, 0.05f};
    nn_is_close_floats(dW, want_l1, 4, 1e-6, 0, "L1 subgradient is alpha/2 sign(W), 0 at 0");

    /* ---- deck 001's decay form: W - lambda (dL/dW + alpha W) = (1 - lambda alpha) W - lambda dL/dW ---- */
    {
        float Wd[4] = {1, -2, 0, 0.5f}, grad[4] = {0.1f, 0.2f, -0.3f, 0}, step[4];
        const double lambda = 0.5, alpha = 0.1;
        nn_copy(step, grad, 4);
        nn_l2_penalty_backward(step, Wd, 4, alpha);
        nn_axpy(Wd, (float)-lambda, step, 4);
        float want_decay[4];
        const float W0[4] = {1, -2, 0, 0.5f};
        for (int i = 0; i < 4; i++)
            want_decay[i] = (float)((1 - lambda * alpha) * W0[i] - lambda * grad[i]);
        nn_is_close_floats(Wd, want_decay, 4, 1e-6, 0,
                           "an SGD step with L2 is the decay update (1 - lambda alpha) W - lambda dL/dW");
    }

    /* ---- the proximal L1 step by hand: threshold 0.3 ---- */
    {
        network tiny;
        nn_rng tiny_rng = nn_rng_new(1);
        network_init(&tiny, 2, 2, 1, &tiny_rng);
        const float w1[4] = {1, -0.2f, 0.3f, -0.5f}, w2[2] = {0.29f, -2};
        nn_copy(tiny.W1, w1, 4);
        nn_copy(tiny.W2, w2, 2);
        tiny.b1[0] = 0.1f;
        l1_proximal_step(&tiny, 0.3);
        const float want_w1[4] = {0.7f, 0, 0, -0.2f}, want_w2[2] = {0, -1.7f};
        nn_is_close_floats(tiny.W1, want_w1, 4, 1e-6, 0, "proximal L1: sign(w) max(|w| - 0.3, 0) on W1");
        nn_is_close_floats(tiny.W2, want_w2, 2, 1e-6, 0, "proximal L1: on W2 as well");
        nn_ok(tiny.W1[1] == 0 && tiny.W1[2] == 0 && tiny.W2[0] == 0,
              "proximal L1: weights with |w| <= threshold become exactly 0");
        nn_is_close(tiny.b1[0], 0.1, 1e-7, 0, "proximal L1: biases are not touched");
        network_free(&tiny);
    }

    /* ---- dropout ---- */
    enum { N = 100000 };
    float *h = nn_floats(N), *out = nn_floats(N), *mask = nn_floats(N), *at_test = nn_floats(N);
    for (int i = 0; i < N; i++)
        h[i] = 1.5f;
    nn_rng rng = nn_rng_new(3);
    for (int kind = 0; kind < 2; kind++) {
        const char *name = kind == NN_DROPOUT_STANDARD ? "standard" : "inverted";
        double p = 0.3;
        nn_dropout_forward(out, mask, h, N, p, (nn_dropout_kind)kind, &rng);
        double kept = 0, mean = 0;
        for (int i = 0; i < N; i++) {
            kept += mask[i] != 0;
            mean += out[i] / N;
        }
        /* kept ~ Binomial(N, 0.7): 5 standard deviations is sqrt(N 0.21) * 5 ~ 725. */
        nn_is_close(kept / N, 0.7, 0, 5 * sqrt(0.21 / N), "%s dropout keeps a fraction 1 - p = 0.7", name);
        nn_dropout_eval(at_test, h, N, p, (nn_dropout_kind)kind);
        /* The mean of the training output is the test-time output (agreement
         * in expectation); std of one output is 1.5 sqrt(p(1-p))/(1-p)^[inv]. */
        double sd = 1.5 * sqrt(p * (1 - p)) / (kind == NN_DROPOUT_INVERTED ? 1 - p : 1);
        nn_is_close(mean, at_test[0], 0, 5 * sd / sqrt(N),
                    "%s dropout: E[training output] = test-time output (%.4f)", name, at_test[0]);
        float d_out[5] = {1, 2, 3, 4, 5}, d_in[5] = {0}, want[5];
        for (int i = 0; i < 5; i++)
            want[i] = mask[i] * d_out[i];
        nn_dropout_backward(d_in, d_out, mask, 5);
        nn_is_close_floats(d_in, want, 5, 0, 0, "%s dropout backward routes d_out through the same mask", name);
    }
    nn_is_close(at_test[0], 1.5, 0, 0, "inverted dropout is the identity at test time");
    nn_dropout_eval(at_test, h, 1, 0.3, NN_DROPOUT_STANDARD);
    nn_is_close(at_test[0], 1.5 * 0.7, 1e-6, 0, "standard dropout scales by 1 - p at test time");
    free(h);
    free(out);
    free(mask);
    free(at_test);

    /* ---- gradients of the chapter's regularized loss, by central differences ---- */
    train_config cfg = plain_config(0.1, 1);
    check_gradients("cross-entropy, no regularizer", cfg);
    cfg.l2 = 0.05;
    check_gradients("with L2 penalty", cfg);
    cfg.l1 = 0.05;
    check_gradients("with L1 and L2 penalties", cfg);
    cfg.label_smoothing = 0.1;
    check_gradients("with label smoothing", cfg);
    cfg.activation_l1 = 0.05;
    check_gradients("with an L1 penalty on activations", cfg);
    cfg.dropout_input = 0.2;
    cfg.dropout_hidden = 0.5;
    check_gradients("with inverted dropout on inputs and hidden units (fixed masks)", cfg);
    cfg.dropout_kind = NN_DROPOUT_STANDARD;
    cfg.input_noise = 0.1;
    check_gradients("with standard dropout and input noise (fixed draws)", cfg);

    /* ---- label smoothing: rows are distributions ---- */
    float targets[2 * 4];
    int labels[2] = {2, 0};
    make_targets(targets, labels, 2, 4, 0.2);
    float want_targets[8] = {0.05f, 0.05f, 0.85f, 0.05f, 0.85f, 0.05f, 0.05f, 0.05f};
    nn_is_close_floats(targets, want_targets, 8, 1e-6, 0, "smoothed targets: (1 - eps) one-hot + eps / K");

    /* ---- early stopping on a hand-made validation curve ---- */
    static const double curve[] = {5, 4, 3, 3.5, 3.2, 3.1, 3.4, 3.6};
    early_stopper *s = early_stopper_new(3);
    int stopped_at = -1, improved;
    for (int e = 0; e < 8 && stopped_at < 0; e++)
        if (early_stopper_update(s, e, curve[e], &improved))
            stopped_at = e;
    nn_is_int(s->best_epoch, 2, "early stopping: best epoch is the minimum, epoch 2 (loss 3)");
    free(s);
    nn_is_int(stopped_at, 5, "early stopping: patience 3 stops three epochs after the best");

    /* ---- augmentation by hand on a 3x3 image ---- */
    float img[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, moved[9], flipped[9], back[9];
    shift_image(moved, img, 3, 1, 0);
    float want_shift[9] = {0, 1, 2, 0, 4, 5, 0, 7, 8};
    nn_is_close_floats(moved, want_shift, 9, 0, 0, "shift right by one pixel, zero fill");
    shift_image(moved, img, 3, 0, -1);
    float want_up[9] = {4, 5, 6, 7, 8, 9, 0, 0, 0};
    nn_is_close_floats(moved, want_up, 9, 0, 0, "shift up by one pixel, zero fill");
    flip_image(flipped, img, 3);
    float want_flip[9] = {3, 2, 1, 6, 5, 4, 9, 8, 7};
    nn_is_close_floats(flipped, want_flip, 9, 0, 0, "horizontal flip mirrors each row");
    flip_image(back, flipped, 3);
    nn_is_close_floats(back, img, 9, 0, 0, "flipping twice gives the image back");

    /* ---- what the penalties do to trained weights (digits, 200 examples) ---- */
    nn_rng split_rng = nn_rng_new(42);
    splits sp;
    load_digit_splits(&sp, 200, &split_rng);
    nn_is_int(sp.train.n + sp.val.n + sp.test.n, 1797, "digit splits partition the 1797 examples");
    experiment ex[3] = {{"none", plain_config(0.1, 30), {0}, 0, 0},
                        {"l2", plain_config(0.1, 30), {0}, 0, 0},
                        {"l1", plain_config(0.1, 30), {0}, 0, 0}};
    ex[1].cfg.l2 = 1e-2;
    ex[2].cfg.l1 = 1e-2;
    network nets[3];
    size_t near_zero[3] = {0};
    for (int i = 0; i < 3; i++) {
        run_experiment(&ex[i], &sp, 32, 42, &nets[i]);
        for (size_t j = 0; j < (size_t)32 * 64; j++)
            near_zero[i] += fabsf(nets[i].W1[j]) < 1e-3f;
    }
    size_t n1 = (size_t)32 * 64;
    nn_ok(nn_norm2(nets[1].W1, n1) < nn_norm2(nets[0].W1, n1),
          "L2 shrinks the weights: ||W1|| %.3f with L2 vs %.3f without", nn_norm2(nets[1].W1, n1),
          nn_norm2(nets[0].W1, n1));
    nn_ok(near_zero[2] > 5 * (near_zero[0] + 1) && near_zero[2] > near_zero[1],
          "L1 makes weights exactly small: %zu of %zu below 1e-3 (L2: %zu, none: %zu)", near_zero[2], n1,
          near_zero[1], near_zero[0]);
    nn_ok(ex[0].test_error < 0.2, "the unregularized network learns the digits (test error %.3f)", ex[0].test_error);
    for (int i = 0; i < 3; i++) {
        history_free(&ex[i].hist);
        network_free(&nets[i]);
    }

    /* ---- same seed, same numbers ---- */
    experiment a = {"a", plain_config(0.1, 3), {0}, 0, 0}, b = a;
    a.cfg.dropout_hidden = b.cfg.dropout_hidden = 0.5;
    run_experiment(&a, &sp, 16, 5, NULL);
    run_experiment(&b, &sp, 16, 5, NULL);
    nn_ok(a.hist.val_loss[2] == b.hist.val_loss[2], "same seed, same validation loss to the bit (%.9g)",
          a.hist.val_loss[2]);
    history_free(&a.hist);
    history_free(&b.hist);
    splits_free(&sp);
    return nn_tap_done();
}
