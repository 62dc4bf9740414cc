/* test-ch02-units.c: chapter 2's didactic functions and its library-based
 * network, against independent truths: the lecture decks' worked numbers,
 * central differences, and each other.
 *
 * The chapter's functions are static in a program with a main(): we include
 * its source with NN_CHAPTER_NO_MAIN defined, which compiles everything but
 * main, so the tests call exactly the code the chapter runs, with no copy to
 * drift out of step. */
#define NN_CHAPTER_NO_MAIN
/* Without main, some of the chapter's static functions go unused here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "../../chapters/02-backprop/ch02-backprop.c"

/* Central differences in double with eps 1e-6 have truncation error
 * ~eps^2 f''' and rounding error ~1e-16/eps: about 1e-9 relative. */
#define DOUBLE_GRADCHECK_EPS 1e-6
#define DOUBLE_GRADCHECK_TOL 1e-7
/* In float the loss is good to ~1e-7 relative, so eps must be larger
 * (1e-2 on O(1) weights) and the agreement is ~1e-3. */
#define FLOAT_GRADCHECK_EPS 1e-2
#define FLOAT_GRADCHECK_TOL 1e-2
/* float network vs double network on the same weights: float rounding
 * accumulated over a few dozen terms per output. */
#define FLOAT_VS_DOUBLE_RTOL 1e-4
#define FLOAT_VS_DOUBLE_ATOL 1e-6

static const nn_activation all_activations[] = {NN_SIGMOID, NN_TANH, NN_RELU, NN_LEAKY_RELU,
                                                NN_ELU};

/* ---- activations ---- */
static void test_activations(void)
{
    for (int k = 0; k < 5; k++) {
        nn_activation f = all_activations[k];
        double worst_value = 0, worst_slope = 0;
        for (int i = 0; i <= 200; i++) {
            double z = -6 + 12.0 * i / 200;
            worst_value = fmax(worst_value, fabs(activation(f, z) - nn_act_value(f, z)));
            worst_slope = fmax(worst_slope, fabs(activation_slope(f, z) - nn_act_derivative(f, z)));
        }
        nn_ok(worst_value < 1e-12 && worst_slope < 1e-12,
              "%s: the didactic f and f' equal the library's on [-6, 6] (worst %.1e, %.1e)",
              nn_act_name(f), worst_value, worst_slope);
        /* f'(z) against central differences, at points away from the kink
         * (relu' = 0 at the negative ones: the positive ones give the check
         * its teeth) */
        static const double points[] = {-3.1, -0.7, -0.013, 0.021, 0.9, 2.6};
        double analytic[6], numeric[6], eps = DOUBLE_GRADCHECK_EPS;
        for (int i = 0; i < 6; i++) {
            analytic[i] = activation_slope(f, points[i]);
            numeric[i] = (activation(f, points[i] + eps) - activation(f, points[i] - eps)) / (2 * eps);
        }
        nn_is_close_doubles(analytic, numeric, 6, DOUBLE_GRADCHECK_TOL, 1e-9,
                            "%s: f'(z) agrees with central differences at 6 points", nn_act_name(f));
    }
    nn_is_close(sigmoid_slope_maximum(-8, 8, 1600), 0.25, 0, 1e-15,
                "sigmoid' is at most 1/4, reached at z = 0 (deck 004)");
    nn_is_close(activation(NN_SIGMOID, -800), 0, 0, 1e-300, "sigmoid(-800) does not overflow");
}

/* ---- maxout ---- */
typedef struct {
    double x[4], w[12], b[3];
} maxout_ctx;

static double maxout_value(void *ctx)
{
    maxout_ctx *c = ctx;
    int winner;
    return maxout_forward(&winner, c->x, c->w, c->b, 4, 3);
}

static void test_maxout(void)
{
    maxout_ctx c;
    nn_rng rng = nn_rng_new(3);
    for (int i = 0; i < 4; i++)
        c.x[i] = nn_rng_normal(&rng);
    for (int i = 0; i < 12; i++)
        c.w[i] = nn_rng_normal(&rng);
    for (int j = 0; j < 3; j++)
        c.b[j] = nn_rng_normal(&rng);
    int winner;
    double a = maxout_forward(&winner, c.x, c.w, c.b, 4, 3), best = -1e300;
    for (int j = 0; j < 3; j++) {
        double z = c.b[j];
        for (int i = 0; i < 4; i++)
            z += c.w[j * 4 + i] * c.x[i];
        best = fmax(best, z);
    }
    nn_is_close(a, best, 1e-15, 0, "maxout is the largest of its 3 pieces");
    double d_x[4] = {0}, d_w[12] = {0}, d_b[3] = {0};
    maxout_backward(d_x, d_w, d_b, 1.0, c.x, c.w, winner, 4);
    nn_gradcheck_doubles("maxout da/dx", maxout_value, &c, c.x, d_x, 4, DOUBLE_GRADCHECK_EPS,
                         DOUBLE_GRADCHECK_TOL);
    nn_gradcheck_doubles("maxout da/dw (only the winner's row is non-zero)", maxout_value, &c, c.w,
                         d_w, 12, DOUBLE_GRADCHECK_EPS, DOUBLE_GRADCHECK_TOL);
    nn_gradcheck_doubles("maxout da/db", maxout_value, &c, c.b, d_b, 3, DOUBLE_GRADCHECK_EPS,
                         DOUBLE_GRADCHECK_TOL);
    /* backward adds: a second call doubles the gradient */
    maxout_backward(d_x, NULL, NULL, 1.0, c.x, c.w, winner, 4);
    nn_is_close(d_x[0], 2 * c.w[winner * 4], 1e-15, 0, "maxout_backward adds into d_x");
}

/* ---- section 3: the logistic-regression graph ---- */
typedef struct {
    double X, y, W;
} lr_ctx;

static double lr_value(void *ctx)
{
    lr_ctx *c = ctx;
    return lr_loss(c->X, c->y, c->W);
}

static void test_logistic_graph(void)
{
    lr_graph g;
    lr_graph_evaluate(&g, 3, 1, 3);
    /* deck 001: "0.00037018372" (its sign lost, see the chapter) */
    /* the deck shows 11 digits, truncated: atol one unit of the last */
    nn_is_close(fabs(g.dL_dW_reverse), 0.00037018372, 0, 1e-11,
                "reverse mode |dL/dW| at X=3, y=1, W=3 is deck 001's 0.00037018372");
    nn_is_close(g.dL_dW_forward, -0.00037018372795869517, 1e-12, 0,
                "forward mode dL/dW = -3 e^-9 / (1 + e^-9) = -3.7018e-4 (negative)");
    nn_is_close(g.dL_dW_reverse, g.dL_dW_forward, 1e-13, 0, "forward and reverse mode agree");
    nn_is_close(g.value[1], -9, 0, 0, "xi1 = -W X = -9 (deck 001's table)");
    nn_is_close(g.value[4], 1 / (1 + exp(-9)), 1e-15, 0, "xi4 = p = 1 / (1 + e^-9)");
    nn_is_close(g.adjoint[5], -1, 0, 0, "dL/dxi5 = -y = -1");
    lr_ctx c = {3, 1, 3};
    nn_gradcheck_doubles("dL/dW of the logistic graph at X=3, y=1, W=3", lr_value, &c, &c.W,
                         &g.dL_dW_reverse, 1, DOUBLE_GRADCHECK_EPS, DOUBLE_GRADCHECK_TOL);
    /* the other branch of the fork: y = 0, where dL/dW = X p > 0 */
    lr_graph_evaluate(&g, -1.5, 0, 0.4);
    lr_ctx c0 = {-1.5, 0, 0.4};
    nn_gradcheck_doubles("dL/dW of the logistic graph at X=-1.5, y=0, W=0.4 (through xi6, xi7)",
                         lr_value, &c0, &c0.W, &g.dL_dW_reverse, 1, DOUBLE_GRADCHECK_EPS,
                         DOUBLE_GRADCHECK_TOL);
    nn_is_close(g.dL_dW_forward, g.dL_dW_reverse, 1e-13, 0, "forward = reverse at y = 0");
}

/* ---- section 4: saturation ---- */
typedef struct {
    double w, b;
    int cross_entropy;
} neuron_ctx;

static double neuron_loss(void *ctx)
{
    neuron_ctx *c = ctx;
    return not_gate_neuron(-1, c->w, c->b, 1, c->cross_entropy).loss;
}

static void test_saturation(void)
{
    neuron_state sq = not_gate_neuron(-1, 5, 0, 1, 0), ce = not_gate_neuron(-1, 5, 0, 1, 1);
    /* hand-worked: a = sigma(-5) = 0.0066928509, sigma'(-5) = a (1 - a) = 0.0066480567 */
    nn_is_close(sq.a, 0.0066928509242848554, 1e-14, 0, "NOT gate: a = sigma(-5)");
    nn_is_close(sq.dl_dz, -0.013207124437112718, 1e-12, 0,
                "squared loss: dl/dz = 2 (a - 1) sigma'(-5) = -0.0132 (saturated)");
    nn_is_close(ce.dl_dz, -0.9933071490757152, 1e-12, 0, "cross-entropy: dl/dz = a - y = -0.993");
    nn_is_close(sq.loss, 0.986659092404925, 1e-12, 0, "squared loss (a - 1)^2 = 0.987 is large");
    for (int ce_loss = 0; ce_loss <= 1; ce_loss++) {
        neuron_ctx c = {5, 0, ce_loss};
        neuron_state s = not_gate_neuron(-1, 5, 0, 1, ce_loss);
        const char *name = ce_loss ? "cross-entropy" : "squared loss";
        char label[96];
        snprintf(label, sizeof label, "NOT gate, %s: dl/dw", name);
        nn_gradcheck_doubles(label, neuron_loss, &c, &c.w, &s.dl_dw, 1, DOUBLE_GRADCHECK_EPS,
                             DOUBLE_GRADCHECK_TOL);
        snprintf(label, sizeof label, "NOT gate, %s: dl/db", name);
        nn_gradcheck_doubles(label, neuron_loss, &c, &c.b, &s.dl_db, 1, DOUBLE_GRADCHECK_EPS,
                             DOUBLE_GRADCHECK_TOL);
    }
    double path_sq[21], path_ce[21];
    not_gate_descent(path_sq, 20, 1.0, 0);
    not_gate_descent(path_ce, 20, 1.0, 1);
    nn_ok(path_ce[20] > 0.9 && path_sq[20] < 0.5,
          "after 20 steps cross-entropy has escaped saturation (a = %.3f), squared loss not "
          "(a = %.3f)", path_ce[20], path_sq[20]);
}

/* ---- section 2: the didactic network ---- */
typedef struct {
    slow_mlp *net;
    const double *x, *t;
    const int *y;
    int B;
} slow_ctx;

static double slow_loss(void *ctx)
{
    slow_ctx *c = ctx;
    return slow_mlp_loss_grad(c->net, c->x, c->y, c->t, c->B);
}

static void random_batch(double *x, int *y, double *t, int B, int D, int K, nn_rng *rng)
{
    for (int i = 0; i < B * D; i++)
        x[i] = nn_rng_normal(rng);
    for (int i = 0; i < B; i++) {
        y[i] = (int)nn_rng_below(rng, (uint32_t)(K > 1 ? K : 2));
        t[i] = nn_rng_normal(rng);
    }
}

static void test_slow_mlp_gradients(void)
{
    static const struct {
        nn_activation f;
        head_kind head;
        int L, n[5];
        const char *name;
    } nets[] = {
        {NN_TANH, HEAD_SOFTMAX, 3, {4, 5, 4, 3}, "4-5-4-3 tanh, softmax cross-entropy"},
        {NN_SIGMOID, HEAD_SIGMOID, 2, {3, 4, 1}, "3-4-1 sigmoid, binary cross-entropy"},
        {NN_RELU, HEAD_SOFTMAX, 2, {5, 6, 4}, "5-6-4 relu, softmax cross-entropy"},
        {NN_ELU, HEAD_SQUARED, 3, {2, 5, 3, 1}, "2-5-3-1 elu, squared error"},
        {NN_LEAKY_RELU, HEAD_SIGMOID, 2, {3, 5, 1}, "3-5-1 leaky relu, binary cross-entropy"},
    };
    nn_rng rng = nn_rng_new(11);
    enum { B = 6 };
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
        slow_mlp net;
        slow_mlp_init(&net, nets[k].L, nets[k].n, nets[k].f, nets[k].head);
        slow_mlp_randomize(&net, 1.5, &rng);
        for (int l = 1; l <= net.L; l++)        /* non-zero biases, so db is tested too */
            for (int j = 0; j < net.n[l]; j++)
                net.b[l][j] = 0.3 * nn_rng_normal(&rng);
        double x[B * 5], t[B];
        int y[B];
        random_batch(x, y, t, B, nets[k].n[0], nets[k].n[nets[k].L], &rng);
        slow_ctx ctx = {&net, x, t, y, B};
        for (int l = 1; l <= net.L; l++) {
            /* the analytic gradient at the unperturbed weights (the previous
             * layer's check left the buffers at a perturbed point) */
            slow_mlp_loss_grad(&net, x, y, t, B);
            size_t count = (size_t)net.n[l] * net.n[l - 1];
            double *dW = nn_doubles(count), *db = nn_doubles((size_t)net.n[l]);
            memcpy(dW, net.dW[l], count * sizeof(double));
            memcpy(db, net.db[l], (size_t)net.n[l] * sizeof(double));
            char label[128];
            snprintf(label, sizeof label, "didactic %s: dL/dW%d (BP4)", nets[k].name, l);
            nn_gradcheck_doubles(label, slow_loss, &ctx, net.W[l], dW, count,
                                 DOUBLE_GRADCHECK_EPS, DOUBLE_GRADCHECK_TOL);
            snprintf(label, sizeof label, "didactic %s: dL/db%d (BP3)", nets[k].name, l);
            nn_gradcheck_doubles(label, slow_loss, &ctx, net.b[l], db, (size_t)net.n[l],
                                 DOUBLE_GRADCHECK_EPS, DOUBLE_GRADCHECK_TOL);
            free(dW);
            free(db);
        }
        double error = slow_mlp_gradient_check(&net, x, y, t, B, 1e-5);
        nn_ok(error < DOUBLE_GRADCHECK_TOL, "the chapter's own gradient check of %s: %.1e",
              nets[k].name, error);
        slow_mlp_free(&net);
    }
}

/* ---- section 7: the library network, equal to the didactic one ---- */
typedef struct {
    mlp *net;
    const float *x, *t;
    const int *y;
    int B;
} fast_ctx;

static double fast_loss(void *ctx)
{
    fast_ctx *c = ctx;
    mlp_forward(c->net, c->x, c->B);
    return mlp_loss(c->net, c->y, c->t, c->B);
}

static void test_library_network(void)
{
    nn_rng rng = nn_rng_new(5);
    static const head_kind heads[3] = {HEAD_SOFTMAX, HEAD_SIGMOID, HEAD_SQUARED};
    static const char *const head_names[3] = {"softmax", "sigmoid", "squared"};
    enum { B = 7 };
    for (int k = 0; k < 5; k++)
        for (int h = 0; h < 3; h++) {
            nn_activation f = all_activations[k];
            int n[4] = {5, 6, 4, heads[h] == HEAD_SOFTMAX ? 3 : 1};
            mlp fast;
            slow_mlp slow;
            mlp_init(&fast, 3, n, f, heads[h], B);
            slow_mlp_init(&slow, 3, n, f, heads[h]);
            mlp_randomize(&fast, 1.5, &rng);
            nn_rng_fill_normal(&rng, fast.b[1], (size_t)n[1], 0, 0.3);
            nn_rng_fill_normal(&rng, fast.b[3], (size_t)n[3], 0, 0.3);
            mlp_copy_to_slow(&fast, &slow);
            double xd[B * 5], td[B];
            float x[B * 5], t[B];
            int y[B];
            random_batch(xd, y, td, B, 5, n[3], &rng);
            for (int i = 0; i < B * 5; i++)
                xd[i] = x[i] = (float)xd[i];
            for (int i = 0; i < B; i++)
                td[i] = t[i] = (float)td[i];
            double want = slow_mlp_loss_grad(&slow, xd, y, td, B);
            nn_zero(fast.grads, fast.n_params);
            mlp_forward(&fast, x, B);
            double got = mlp_loss(&fast, y, t, B);
            mlp_backward(&fast, y, t, B);
            int equal = fabs(got - want) <= FLOAT_VS_DOUBLE_ATOL + FLOAT_VS_DOUBLE_RTOL * fabs(want);
            double worst = 0;
            for (int l = 1; l <= 3; l++) {
                for (int i = 0; i < n[l] * n[l - 1]; i++) {
                    double err = fabs(fast.dW[l][i] - slow.dW[l][i]);
                    worst = fmax(worst, err);
                    equal &= err <= FLOAT_VS_DOUBLE_ATOL + FLOAT_VS_DOUBLE_RTOL * fabs(slow.dW[l][i]);
                }
                for (int j = 0; j < n[l]; j++) {
                    double err = fabs(fast.db[l][j] - slow.db[l][j]);
                    worst = fmax(worst, err);
                    equal &= err <= FLOAT_VS_DOUBLE_ATOL + FLOAT_VS_DOUBLE_RTOL * fabs(slow.db[l][j]);
                }
            }
            nn_ok(equal, "library network = didactic network (%s, %s head): loss %.7f vs %.7f, "
                  "worst gradient difference %.1e", nn_act_name(f), head_names[h], got, want,
                  worst);
            /* float central differences on the whole parameter buffer (smooth
             * activations only: a kink inside +-eps spoils a float check) */
            if (f == NN_TANH || f == NN_SIGMOID || (f == NN_ELU && h == 0)) {
                float *analytic = nn_floats(fast.n_params);
                nn_copy(analytic, fast.grads, fast.n_params);
                fast_ctx ctx = {&fast, x, t, y, B};
                char label[96];
                snprintf(label, sizeof label, "library %s network, %s head: all parameters",
                         nn_act_name(f), head_names[h]);
                nn_gradcheck_floats(label, fast_loss, &ctx, fast.params, analytic, fast.n_params,
                                    FLOAT_GRADCHECK_EPS, FLOAT_GRADCHECK_TOL);
                free(analytic);
            }
            if (k == 0 && h == 0) {
                /* backward ADDS: a second pass doubles every gradient */
                float *once = nn_floats(fast.n_params);
                mlp_forward(&fast, x, B);
                mlp_loss(&fast, y, t, B);
                nn_zero(fast.grads, fast.n_params);
                mlp_backward(&fast, y, t, B);
                nn_copy(once, fast.grads, fast.n_params);
                mlp_backward(&fast, y, t, B);
                int doubled = 1;
                for (size_t i = 0; i < fast.n_params; i++)
                    doubled &= fabsf(fast.grads[i] - 2 * once[i]) <= 1e-6f * (1 + fabsf(once[i]));
                nn_ok(doubled, "mlp_backward adds into the gradients (a second pass doubles them)");
                free(once);
            }
            mlp_free(&fast);
            slow_mlp_free(&slow);
        }
}

/* ---- section 5 ---- */
static void test_parameter_counting(void)
{
    const int deck[4] = {2, 4, 4, 1}, fashion[3] = {784, 256, 10};
    nn_is_int(count_parameters(3, deck), 37, "deck 001's 2-4-4-1 network: 12 + 20 + 5 = 37");
    nn_is_int(count_parameters(2, fashion), 784 * 256 + 256 + 256 * 10 + 10,
              "784-256-10: 784*256 + 256 + 256*10 + 10 = 203530");
    mlp net;
    mlp_init(&net, 3, deck, NN_RELU, HEAD_SIGMOID, 1);
    nn_is_int((long)net.n_params, 37, "the parameter buffer of the 2-4-4-1 network holds 37 floats");
    mlp_free(&net);
    char buf[64];
    nn_is_str(architecture_text(buf, sizeof buf, 3, deck), "2-4-4-1", "architecture text");
}

/* ---- sections 6-10: the experiments learn what they claim ---- */
static void test_experiments(void)
{
    nn_rng rng = nn_rng_new(42);
    xor_result r = train_xor(10, 4000, 2.0, &rng);
    int margins = r.first_solved >= 0 && r.outputs[0] < 0.1 && r.outputs[1] > 0.9 &&
                  r.outputs[2] > 0.9 && r.outputs[3] < 0.1;
    nn_ok(r.solved >= 1 && margins, "XOR: a 2-2-1 network solves it (%d of %d starts; outputs "
          "%.3f %.3f %.3f %.3f)", r.solved, r.tries, r.outputs[0], r.outputs[1], r.outputs[2],
          r.outputs[3]);

    /* Training on the gauss set separates it; a huge learning rate is
     * reported as divergence, with the step, and never as NaN. */
    nn_dataset ds, train, test;
    if (nn_make_playground(&ds, "gauss", 200, 0.0, &rng) != NN_OK ||
        nn_split(&ds, 0.75, &rng, &train, &test) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    for (int i = 0; i < train.n * 2; i++)
        train.x[i] /= 5;
    for (int i = 0; i < test.n * 2; i++)
        test.x[i] /= 5;
    const int n[3] = {2, 8, 1};
    mlp net;
    mlp_init(&net, 2, n, NN_RELU, HEAD_SIGMOID, 64);
    mlp_randomize(&net, 2, &rng);
    train_config cfg = {0.1, 30, 10, "gauss", 0, 0, NULL, NULL};
    epoch_record records[30];
    int status = mlp_train(&net, &train, &test, &cfg, &rng, records);
    nn_ok(status == NN_OK && records[29].test_accuracy >= 0.95 &&
              records[29].train_loss < records[0].train_loss,
          "mini-batch SGD learns the gauss set: loss %.3f -> %.3f, test accuracy %.2f",
          records[0].train_loss, records[29].train_loss, records[29].test_accuracy);
    mlp_randomize(&net, 2, &rng);
    train_config wild = {1e6, 5, 10, "gauss", 0, 0, NULL, NULL};
    status = mlp_train(&net, &train, &test, &wild, &rng, NULL);
    nn_ok(status == NN_ERR, "a learning rate of 1e6 is reported as an error");
    nn_contains(nn_last_error(), "diverged at step", "the message names the step of divergence");
    nn_contains(nn_last_error(), "lower the learning rate", "the message says what to do");
    nn_ok(strstr(nn_last_error(), "nan") == NULL && strstr(nn_last_error(), "inf") == NULL,
          "the message prints no nan or inf: %s", nn_last_error());
    mlp_free(&net);
    nn_dataset_free(&ds);
    nn_dataset_free(&train);
    nn_dataset_free(&test);

    /* Universal approximation: 8 units fit sin(5x) far better than 1. */
    nn_dataset approx_train, grid;
    make_regression_set(&approx_train, APPROX_TRAIN, 0, &rng);
    make_regression_set(&grid, APPROX_GRID, 1, NULL);
    double mse1, mse8;
    if (approximation_run(&mse1, NULL, 1, 1, &approx_train, &grid, &rng) != NN_OK ||
        approximation_run(&mse8, NULL, 1, 8, &approx_train, &grid, &rng) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    nn_ok(mse8 < mse1 / 20, "a 1-8-1 network fits sin(5x) much better than 1-1-1 (MSE %.4f vs %.4f)",
          mse8, mse1);
    nn_dataset_free(&approx_train);
    nn_dataset_free(&grid);

    /* Vanishing gradients in a deep sigmoid network, not in a ReLU one. */
    nn_dataset digits;
    if (nn_load_digits(&digits, NULL) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    for (int i = 0; i < digits.n * digits.d; i++)
        digits.x[i] /= 16;
    double sig[MAX_LAYERS + 1], relu[MAX_LAYERS + 1];
    gradient_norms(sig, NN_SIGMOID, 1, &digits, &rng);
    gradient_norms(relu, NN_RELU, 2, &digits, &rng);
    int L = GRADNORM_HIDDEN_LAYERS + 1;
    nn_ok(sig[1] / sig[L] < 1e-2, "sigmoid: the first layer's gradient is < 1/100 of the last's "
          "(%.1e)", sig[1] / sig[L]);
    nn_ok(relu[1] / relu[L] > 0.1, "ReLU (He): the first layer's gradient is not vanishing "
          "(ratio %.2g)", relu[1] / relu[L]);
    nn_dataset_free(&digits);
}

int main(void)
{
    nn_tap_timeout(120);
    test_activations();
    test_maxout();
    test_logistic_graph();
    test_saturation();
    test_slow_mlp_gradients();
    test_library_network();
    test_parameter_counting();
    test_experiments();
    return nn_tap_done();
}
