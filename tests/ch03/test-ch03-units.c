/* test-ch03-units.c: the chapter's didactic code against the library and
 * against independent truths (hand-worked steps, closed forms, central
 * differences).  The chapter is compiled into this test without its main. */
#define CH03_NO_MAIN
/* The chapter's section drivers are not called here: only its parts. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#include "../../chapters/03-optimizers/ch03-optimizers.c"

/* ---- Deck forms == library forms -------------------------------------- */
static void deck_forms_match_library(void)
{
    /* Measured: at most 7e-7 over 200 steps on Rosenbrock (float rounding
     * in the library's run, double in the deck's); a wrong mapping (the
     * average momentum without its (1 - alpha), Nesterov's gradient at W
     * instead of the look-ahead point, no bias correction) is off by 1e-2 or
     * more within a few steps. */
    for (int m = 0; m < DECK_METHODS; m++)
        nn_ok(compare_deck_and_lib((deck_method)m, deck_rates[m], 0, 0, 200) < 1e-5,
              "deck form of %s equals the library's over 200 steps", deck_method_names[m]);
    /* torch clips with max_norm / (||g|| + 1e-6), the deck with max_norm / ||g||:
     * a relative 1e-7 per step, measured 9e-6 after 200 steps. */
    nn_ok(compare_deck_and_lib(DECK_MOMENTUM, 0.001, 10, 0, 200) < 5e-5,
          "clipped momentum: deck's clipping equals nn_clip_grad_norm (up to torch's 1e-6)");
    nn_ok(compare_deck_and_lib(DECK_SGD, 0.001, 0, 0.01, 200) < 1e-5,
          "decayed SGD: alpha / (1 + decay t) equals the library's decay");
    nn_ok(compare_deck_and_lib(DECK_ADAM, 0.02, 0, 0.05, 200) < 1e-5, "decayed Adam equals the library's decay");
}

/* A wrong mapping must be caught: deck 001's averaged momentum run by the
 * library without folding (1 - alpha) into the rate. */
static void wrong_mapping_is_detected(void)
{
    deck_optimizer deck;
    deck_init_default(&deck, DECK_MOMENTUM_AVERAGE, 2, 0.002);
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.002);
    cfg.momentum = 0.9;
    nn_optim lib;
    nn_optim_init(&lib, &cfg, 2);
    double w[2] = {-1.2, 1}, g[2];
    float p[2] = {-1.2f, 1}, gf[2];
    for (int t = 0; t < 20; t++) {
        rosenbrock_gradient(w, g);
        deck_step(&deck, w, g);
        double pd[2] = {p[0], p[1]};
        rosenbrock_gradient(pd, g);
        gf[0] = (float)g[0];
        gf[1] = (float)g[1];
        nn_optim_step(&lib, p, gf);
    }
    nn_ok(fabs(w[0] - p[0]) > 1e-3, "the averaged momentum with an unscaled rate differs (by %.2g): the "
          "comparison has teeth", fabs(w[0] - p[0]));
    deck_free(&deck);
    nn_optim_free(&lib);
}

/* ---- Hand-worked steps of the deck forms ------------------------------ */
static void hand_worked_steps(void)
{
    deck_optimizer o;
    double w[1], g[1] = {2};

    /* Deck 000 momentum, beta 0.5, alpha 0.1, g = 2 twice:
     * v1 = -0.2, w = -0.2;  v2 = -0.1 - 0.2 = -0.3, w = -0.5. */
    deck_init(&o, DECK_MOMENTUM, 1, 0.1, 0.5, 0, 0);
    w[0] = 0;
    deck_step(&o, w, g);
    deck_step(&o, w, g);
    nn_is_close(w[0], -0.5, 0, 1e-12, "momentum (deck 000): two hand-worked steps");
    deck_free(&o);

    /* Deck 001 averaged momentum, alpha 0.5, lambda 0.1:
     * nu1 = 1, W = -0.1;  nu2 = 0.5 + 1 = 1.5, W = -0.25. */
    deck_init(&o, DECK_MOMENTUM_AVERAGE, 1, 0.1, 0.5, 0, 0);
    w[0] = 0;
    deck_step(&o, w, g);
    deck_step(&o, w, g);
    nn_is_close(w[0], -0.25, 0, 1e-12, "averaged momentum (deck 001): two hand-worked steps");
    deck_free(&o);

    /* AdaGrad, epsilon 1, delta 0: r = 4, step 2/2 = 1; r = 8, step 2/sqrt(8). */
    deck_init(&o, DECK_ADAGRAD, 1, 1, 0, 0, 0);
    w[0] = 0;
    deck_step(&o, w, g);
    nn_is_close(w[0], -1, 0, 1e-12, "AdaGrad step 1: epsilon g / sqrt(g^2) = epsilon");
    deck_step(&o, w, g);
    nn_is_close(w[0], -1 - 2 / sqrt(8.0), 0, 1e-12, "AdaGrad step 2: the rate shrinks as r grows");
    deck_free(&o);

    /* RMSProp, rho 0.5: r = 0.5 * 4 = 2, step 2 / sqrt(2). */
    deck_init(&o, DECK_RMSPROP, 1, 1, 0.5, 0, 0);
    w[0] = 0;
    deck_step(&o, w, g);
    nn_is_close(w[0], -2 / sqrt(2.0), 0, 1e-12, "RMSProp step 1 with rho 0.5");
    deck_free(&o);

    /* Adadelta, gamma 0.5, eps 0.01: E[g^2] = 2, Delta w = sqrt(0.01)/sqrt(2.01) * 2. */
    deck_init(&o, DECK_ADADELTA, 1, 1, 0.5, 0, 0.01);
    w[0] = 0;
    deck_step(&o, w, g);
    nn_is_close(w[0], -0.1 / sqrt(2.01) * 2, 0, 1e-12, "Adadelta step 1: sqrt(eps) / sqrt(E[g^2] + eps) g");
    deck_free(&o);

    /* Adam: with bias correction the first steps are alpha against sign(g);
     * without it the first step would be (1 - beta1) / sqrt(1 - beta2) = 3.16 alpha. */
    deck_init(&o, DECK_ADAM, 1, 0.1, 0.9, 0.999, 1e-8);
    w[0] = 0;
    deck_step(&o, w, g);
    nn_is_close(w[0], -0.1, 0, 1e-8, "Adam step 1 is alpha (bias correction)");
    deck_step(&o, w, g);
    nn_is_close(w[0], -0.2, 0, 1e-8, "Adam step 2 with the same g is alpha again");
    deck_free(&o);

    /* Nesterov looks ahead by alpha nu. */
    deck_init(&o, DECK_NESTEROV, 1, 0.1, 0.9, 0, 0);
    w[0] = 1;
    deck_step(&o, w, g);            /* nu = -0.2, W = 0.8 */
    double where[1];
    deck_lookahead(&o, w, where);
    nn_is_close(where[0], 0.8 + 0.9 * -0.2, 0, 1e-12, "Nesterov's look-ahead point is W + alpha nu");
    deck_free(&o);

    double c[2] = {3, 4};
    deck_clip(c, 2, 1);
    nn_ok(fabs(c[0] - 0.6) < 1e-12 && fabs(c[1] - 0.8) < 1e-12, "clipping (3, 4) to norm 1 gives (0.6, 0.8)");
    nn_is_close(deck_decayed_rate(1, 0.5, 2), 0.5, 0, 1e-15, "decay: alpha / (1 + 0.5 * 2)");
}

/* ---- Gradient descent on the regression -------------------------------- */
typedef struct {
    const regression_data *r;
    double *w;
} regression_ctx;

static double regression_ctx_loss(void *p)
{
    regression_ctx *c = p;
    return regression_loss(c->r, c->w);
}

static void regression_checks(const regression_data *r)
{
    double w[16], g[16];
    nn_rng rng = nn_rng_new(3);
    for (int k = 0; k < r->d; k++)
        w[k] = nn_rng_normal(&rng) * 0.3;
    int *all = nn_malloc(sizeof(int) * (size_t)r->m);
    for (int i = 0; i < r->m; i++)
        all[i] = i;
    regression_gradient(r, all, r->m, w, g);
    regression_ctx ctx = {r, w};
    nn_gradcheck_doubles("regression dE/dw (deck 000's formula)", regression_ctx_loss, &ctx, w, g, (size_t)r->d,
                         1e-5, 1e-6);
    /* Full-batch gradient descent converges to the normal equations' minimum. */
    double E_min = regression_minimum(r), *loss = nn_doubles(3001);
    double w0[16] = {0};
    gradient_descent(r, r->m, 0.1, 3000, &rng, w0, loss);
    nn_is_close(loss[3000], E_min, 1e-6, 0, "3000 epochs of gradient descent reach E(w*) of the normal equations");
    nn_ok(E_min <= loss[3000] + 1e-12, "no weights beat the normal equations' minimum");
    free(loss);
    free(all);

    /* The learning-rate test: 1 diverges (and says so), 0.1 does not. */
    double per_epoch[11];
    lr_result res = learning_rate_run(r, 1.0, 1e-6, 10, 42, per_epoch, NULL);
    nn_ok(res.diverged_step > 0 && res.diverged_step < 50, "lr = 1 diverges within 50 steps (at %ld)",
          res.diverged_step);
    nn_contains(res.message, "diverged at step", "the divergence message says where");
    nn_contains(res.message, "try 0.1", "and suggests a smaller rate");
    res = learning_rate_run(r, 0.1, 1e-6, 10, 42, per_epoch, NULL);
    nn_ok(!res.diverged_step && isfinite(res.final_loss) && res.final_loss < per_epoch[0],
          "lr = 0.1 converges (E %.4f from %.4f)", res.final_loss, per_epoch[0]);
}

/* ---- Batch normalization: deck form, gradient check ---------------------- */
typedef struct {
    double *H, *gamma, *beta, *w;
    int N, K;
} deck_bn_ctx;

static double deck_bn_loss(void *p)
{
    deck_bn_ctx *c = p;
    double out[5 * 3], mu[3], sigma[3], loss = 0;
    deck_batchnorm_forward(out, mu, sigma, c->H, c->gamma, c->beta, c->N, c->K, NN_BN_EPS);
    for (int i = 0; i < c->N * c->K; i++)
        loss += c->w[i] * out[i];
    return loss;
}

static void batchnorm_checks(void)
{
    double forward_diff, backward_diff;
    compare_batchnorm_forms(32, 16, 7, &forward_diff, &backward_diff);
    /* float storage of values of order 1-10: a few ulps, 1e-6 relative. */
    nn_ok(forward_diff < 1e-6, "deck batch norm forward equals lib/batchnorm.c (rel. error %.1e)", forward_diff);
    nn_ok(backward_diff < 1e-5, "deck batch norm backward equals lib/batchnorm.c (rel. error %.1e)", backward_diff);

    enum { N = 5, K = 3 };
    nn_rng rng = nn_rng_new(9);
    double H[N * K], w[N * K], gamma[K] = {1.5, -0.5, 2}, beta[K] = {0.1, 0.2, -0.3};
    for (int i = 0; i < N * K; i++) {
        H[i] = nn_rng_normal(&rng) * 2 + 1;
        w[i] = nn_rng_normal(&rng);
    }
    double out[N * K], mu[K], sigma[K], dH[N * K] = {0}, dgamma[K] = {0}, dbeta[K] = {0};
    deck_batchnorm_forward(out, mu, sigma, H, gamma, beta, N, K, NN_BN_EPS);
    deck_batchnorm_backward(dH, dgamma, dbeta, w, H, gamma, mu, sigma, N, K);
    deck_bn_ctx ctx = {H, gamma, beta, w, N, K};
    /* Double central differences, eps 1e-6: error ~1e-10 relative. */
    nn_gradcheck_doubles("deck batch norm dH", deck_bn_loss, &ctx, H, dH, N * K, 1e-6, 1e-7);
    nn_gradcheck_doubles("deck batch norm dgamma", deck_bn_loss, &ctx, gamma, dgamma, K, 1e-6, 1e-7);
    nn_gradcheck_doubles("deck batch norm dbeta", deck_bn_loss, &ctx, beta, dbeta, K, 1e-6, 1e-7);
}

/* ---- The chapter's MLP: gradient check, with and without batch norm ------ */
typedef struct {
    mlp *net;
    const float *x;
    const int *y;
    int B;
} mlp_ctx;

static double mlp_ctx_loss(void *p)
{
    mlp_ctx *c = p;
    return mlp_forward(c->net, c->x, c->y, c->B, 1);
}

static void mlp_checks(void)
{
    enum { B = 6, D = 4 };
    int width[4] = {D, 5, 4, 3};
    float x[B * D];
    int y[B] = {0, 1, 2, 0, 1, 2};
    nn_rng rng = nn_rng_new(4);
    nn_rng_fill_normal(&rng, x, B * D, 0, 1);
    for (int bn = 0; bn < 2; bn++) {
        mlp net;
        mlp_init(&net, 3, width, NN_TANH, bn, INIT_XAVIER, B, &rng);
        if (bn)
            for (int l = 1; l < 3; l++)
                for (int j = 0; j < width[l]; j++) {
                    net.gamma[l][j] = (float)(1 + 0.3 * nn_rng_normal(&rng));
                    net.beta[l][j] = (float)(0.2 * nn_rng_normal(&rng));
                }
        nn_zero(net.grads, net.n_params);
        mlp_forward(&net, x, y, B, 1);
        mlp_backward(&net, x, y, B);
        float *analytic = nn_floats(net.n_params);
        nn_copy(analytic, net.grads, net.n_params);
        mlp_ctx ctx = {&net, x, y, B};
        /* Float forward, eps 1e-2: truncation ~1e-4, rounding ~1e-5. */
        nn_gradcheck_floats(bn ? "MLP with batch norm, every parameter" : "MLP, every parameter", mlp_ctx_loss,
                            &ctx, net.params, analytic, net.n_params, 1e-2, 5e-3);
        free(analytic);
        mlp_free(&net);
    }
}

/* ---- Initialization ----------------------------------------------------- */
static void init_checks(const nn_dataset *train, const nn_dataset *test)
{
    enum { N = 200, M = 300 };
    float *W = nn_floats((size_t)N * M);
    nn_rng rng = nn_rng_new(1);
    /* 60000 draws: std within 1% (standard error of the std ~0.3%). */
    init_weights(W, N, M, INIT_XAVIER, &rng);
    nn_is_close(std_of(W, (size_t)N * M), sqrt(1.0 / M), 0.01, 0, "N(0, 1/m) has std sqrt(1/m)");
    init_weights(W, N, M, INIT_HE, &rng);
    nn_is_close(std_of(W, (size_t)N * M), sqrt(2.0 / M), 0.01, 0, "N(0, 2/m) has std sqrt(2/m)");
    init_weights(W, N, M, INIT_NORMALIZED, &rng);
    double limit = sqrt(6.0 / (M + N)), biggest = 0;
    for (size_t i = 0; i < (size_t)N * M; i++)
        biggest = fabs(W[i]) > biggest ? fabs(W[i]) : biggest;
    nn_ok(biggest <= limit && biggest > 0.99 * limit, "normalized init fills [-sqrt(6/(m+n)), sqrt(6/(m+n))]");
    nn_is_close(std_of(W, (size_t)N * M), sqrt(2.0 / (M + N)), 0.01, 0, "normalized init has variance 2/(m+n)");
    init_weights(W, N, M, INIT_ZERO, &rng);
    nn_ok(nn_norm2(W, (size_t)N * M) == 0, "zero init is zero");
    free(W);

    nn_is_int(distinct_units_after_zero_init(train, test, 1, 42), 1,
              "zero init: after training, all hidden units still compute the same function");
    layer_stats he = init_statistics(train, NN_RELU, INIT_HE, 8, 64, 128, 42);
    layer_stats xavier = init_statistics(train, NN_RELU, INIT_XAVIER, 8, 64, 128, 42);
    nn_ok(he.act_std[8] > 0.5 * he.act_std[1], "ReLU + N(0,2/m): activations keep their size over 8 layers");
    nn_ok(xavier.act_std[8] < 0.3 * xavier.act_std[1], "ReLU + N(0,1/m): activations shrink over 8 layers");
}

/* ---- Exploding and vanishing: backprop against the closed form ---------- */
static void exploding_checks(void)
{
    const double x[2] = {1, 1};
    int depths[3] = {1, 7, 25};
    for (int i = 0; i < 3; i++) {
        int n = depths[i];
        double y[2], g[2];
        diagonal_chain_gradient(1, 2, x, n, y, g);
        nn_ok(fabs(g[0] - n) < 1e-9 && fabs(g[1] - n * pow(2, n - 1)) < 1e-9 * pow(2, n),
              "a=1, b=2, n=%d: gradient (n, n 2^(n-1)) as in deck 001", n);
        nn_ok(y[0] == 1 && y[1] == pow(2, n), "a=1, b=2, n=%d: y = (1, 2^n)", n);
        diagonal_chain_gradient(0.5, 0.9, x, n, y, g);
        nn_ok(fabs(g[0] - n * pow(0.5, n - 1)) < 1e-12 && fabs(g[1] - n * pow(0.9, n - 1)) < 1e-12,
              "a=0.5, b=0.9, n=%d: gradient (n 0.5^(n-1), n 0.9^(n-1))", n);
    }
}

/* ---- Trajectories --------------------------------------------------------- */
static void path_checks(void)
{
    path_result r = run_path(&surfaces[0], 0, 1000, NULL);
    nn_ok(r.steps_to_tol > 0 && !r.diverged_step, "SGD reaches the ravine's minimum (%ld steps)", r.steps_to_tol);
    surface fast = surfaces[0];
    fast.lr[0] = 0.1;                       /* > 2 / 25: the steep direction diverges */
    r = run_path(&fast, 0, 1000, NULL);
    nn_ok(r.diverged_step > 0, "SGD with lr 0.1 > 2/25 diverges on the ravine (at step %ld)", r.diverged_step);
    /* The saddle: gradient descent started exactly on the ridge never leaves it. */
    surface ridge = surfaces[2];
    ridge.start[1] = 0;
    r = run_path(&ridge, 0, 1000, NULL);
    nn_is_close(r.final_gap, 0.25, 0, 1e-6, "SGD started on the saddle's ridge stops at the saddle (gap 1/4)");
}

int main(void)
{
    nn_tap_timeout(120);
    deck_forms_match_library();
    wrong_mapping_is_detected();
    hand_worked_steps();
    nn_dataset diabetes;
    if (nn_load_diabetes(&diabetes, NULL) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    nn_standardize(&diabetes, &diabetes, NULL);
    regression_data r;
    regression_from_dataset(&r, &diabetes, 1);
    regression_checks(&r);
    regression_free(&r);
    nn_dataset_free(&diabetes);
    batchnorm_checks();
    mlp_checks();
    nn_dataset train, test;
    load_digits_split(&train, &test, 42);
    init_checks(&train, &test);
    nn_dataset_free(&train);
    nn_dataset_free(&test);
    exploding_checks();
    path_checks();
    return nn_tap_done();
}
