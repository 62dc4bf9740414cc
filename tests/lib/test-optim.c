/* test-optim.c: the optimizers of lib/optim.c against torch.optim, step by
 * step, plus hand-worked single steps, clipping, decay and divergence.
 *
 * tests/ref/optim_torch.py wrote tests/ref/optim_torch.txt: 100 steps of 14
 * configurations on a 4-D ill-conditioned quadratic and on Rosenbrock.  Here
 * each run is replayed with the kit: the same closed-form gradient (in
 * double, rounded to float as the script's float64 autograd was), the kit's
 * clipping and the kit's step, and the whole trajectory must match. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "nn_optim.h"

enum { MAX_DIM = 4 };

/* The problems of the script. */
static const double A[4][4] = {{10, 2, 0, 0}, {2, 4, 1, 0}, {0, 1, 1, 0.2}, {0, 0, 0.2, 0.5}};
static const double b_vec[4] = {1, -2, 0.5, 1};

/* f(p) and grad f(p) in double from float parameters. */
static double problem_eval(const char *problem, const float *p, int dim, float *grad)
{
    double loss = 0;
    if (!strcmp(problem, "quadratic")) {
        for (int i = 0; i < dim; i++) {
            double Ap = 0;
            for (int j = 0; j < dim; j++)
                Ap += A[i][j] * p[j];
            loss += 0.5 * p[i] * Ap - b_vec[i] * p[i];
            grad[i] = (float)(Ap - b_vec[i]);      /* A symmetric: grad = A p - b */
        }
    } else {
        double x = p[0], y = p[1];
        loss = (1 - x) * (1 - x) + 100 * (y - x * x) * (y - x * x);
        grad[0] = (float)(-2 * (1 - x) - 400 * x * (y - x * x));
        grad[1] = (float)(200 * (y - x * x));
    }
    return loss;
}

/* Tolerance per family.  Each step rounds every state and parameter to
 * float once; measured against torch, SGD's trajectories stay within 4e-7
 * relative over 100 steps, so 5e-6 leaves a tenfold margin.  Adaptive
 * methods divide by sqrt(r) + eps: near the minimum r is tiny and rounding is
 * amplified (RMSprop with weight decay, which keeps oscillating around the
 * minimum, drifts to 2e-5), so they get 1e-4.  A wrong convention (no bias correction, the
 * averaged momentum form, Adadelta's rho in the wrong place) moves the
 * trajectory by 1e-3 or more within a few steps.  atol covers parameters
 * passing through zero. */
static void tolerance(const char *kind, double *rtol, double *atol)
{
    if (!strcmp(kind, "sgd")) {
        *rtol = 5e-6;
        *atol = 1e-6;
    } else {
        *rtol = 1e-4;
        *atol = 1e-5;
    }
}

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        nn_tap_bail_out("cannot open %s (run tests/ref/optim_torch.py to make it)", path);
    char line[1024];
    int runs = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "run ", 4))
            continue;
        char name[64], problem[32], kind[32];
        double lr, momentum, wd, alpha, beta1, beta2, eps, decay, clip;
        int nesterov, steps, dim;
        if (sscanf(line, "run %63s %31s %31s %lf %lf %d %lf %lf %lf %lf %lf %lf %lf %d %d", name, problem,
                   kind, &lr, &momentum, &nesterov, &wd, &alpha, &beta1, &beta2, &eps, &decay, &clip, &steps,
                   &dim) != 15 || dim > MAX_DIM || steps < 1)
            nn_tap_bail_out("%s: malformed run line: %s", path, line);
        nn_optim_config cfg;
        if (nn_optim_parse(kind, lr, &cfg) != NN_OK)
            nn_tap_bail_out("%s", nn_last_error());
        cfg.momentum = momentum;
        cfg.nesterov = nesterov;
        cfg.weight_decay = wd;
        cfg.alpha = alpha;
        cfg.beta1 = beta1;
        cfg.beta2 = beta2;
        cfg.eps = eps;
        cfg.decay = decay;
        nn_optim opt;
        float p[MAX_DIM], grad[MAX_DIM];
        size_t count = (size_t)(steps + 1) * dim;
        float *got = nn_floats(count), *want = nn_floats(count);
        double *got_loss = nn_doubles(steps + 1), *want_loss = nn_doubles(steps + 1);
        int init_ok = nn_optim_init(&opt, &cfg, (size_t)dim) == NN_OK, step_ok = 1;
        for (int t = 0; t <= steps; t++) {
            int row_t;
            if (fscanf(f, "%d %lf", &row_t, &want_loss[t]) != 2 || row_t != t)
                nn_tap_bail_out("%s: run %s %s: row %d missing", path, name, problem, t);
            for (int i = 0; i < dim; i++)
                if (fscanf(f, "%f", &want[(size_t)t * dim + i]) != 1)
                    nn_tap_bail_out("%s: run %s %s: row %d is short", path, name, problem, t);
            if (t == 0)
                memcpy(p, want, sizeof(float) * dim);
            memcpy(&got[(size_t)t * dim], p, sizeof(float) * dim);
            got_loss[t] = problem_eval(problem, p, dim, grad);
            if (t == steps || !init_ok)
                continue;
            if (clip > 0)
                nn_clip_grad_norm(grad, (size_t)dim, clip);
            step_ok &= nn_optim_step(&opt, p, grad) == NN_OK;
        }
        double rtol, atol;
        tolerance(kind, &rtol, &atol);
        nn_ok(init_ok && step_ok, "%s on %s: init and %d steps succeed", name, problem, steps);
        nn_is_close_floats(got, want, count, rtol, atol, "%s on %s: %d-step trajectory equals torch.optim's",
                           name, problem, steps);
        /* The loss at p_t is a function of p_t: compared with a looser
         * tolerance, it checks the loss column too. */
        nn_is_close_doubles(got_loss, want_loss, (size_t)steps + 1, 10 * rtol, 10 * atol,
                            "%s on %s: loss curve equals torch's", name, problem);
        if (init_ok)
            nn_optim_free(&opt);
        free(got);
        free(want);
        free(got_loss);
        free(want_loss);
        runs++;
    }
    fclose(f);
    nn_is_int(runs, 28, "the reference file holds 14 configurations x 2 problems");
}

/* Hand-worked first steps, from the update rules in the decks. */
static void first_steps(void)
{
    nn_optim opt;
    nn_optim_config cfg;
    float p[2], g[2] = {3.0f, -0.5f};

    /* Adam, step 1: m^ = g, v^ = g^2, so p moves by lr g / (|g| + eps):
     * almost exactly lr against the sign of g, whatever |g| is. */
    cfg = nn_optim_defaults(NN_ADAM, 0.1);
    nn_optim_init(&opt, &cfg, 2);
    p[0] = p[1] = 1.0f;
    nn_optim_step(&opt, p, g);
    nn_is_close(p[0], 0.9, 0, 1e-6, "adam step 1 moves p by -lr sign(g) (g = 3)");
    nn_is_close(p[1], 1.1, 0, 1e-6, "adam step 1 moves p by -lr sign(g) (g = -0.5)");
    /* Step 2 with the same g: m^ = g and v^ = g^2 again (bias corrected). */
    nn_optim_step(&opt, p, g);
    nn_is_close(p[0], 0.8, 0, 1e-6, "adam step 2 with the same gradient: bias correction keeps the step lr");
    nn_optim_free(&opt);

    /* Momentum (deck 000): v = beta v - alpha g, w = w + v.  beta 0.9,
     * alpha 0.1, g = 3 twice: v1 = -0.3, v2 = -0.27 - 0.3 = -0.57. */
    cfg = nn_optim_defaults(NN_SGD, 0.1);
    cfg.momentum = 0.9;
    nn_optim_init(&opt, &cfg, 2);
    p[0] = p[1] = 1.0f;
    nn_optim_step(&opt, p, g);
    nn_optim_step(&opt, p, g);
    nn_is_close(p[0], 1.0 - 0.3 - 0.57, 0, 1e-6, "momentum: two steps of v = 0.9 v - 0.1 g");
    nn_optim_free(&opt);

    /* Adagrad: r = g^2, step lr g / |g| = lr. */
    cfg = nn_optim_defaults(NN_ADAGRAD, 0.5);
    nn_optim_init(&opt, &cfg, 2);
    p[0] = p[1] = 0.0f;
    nn_optim_step(&opt, p, g);
    nn_is_close(p[0], -0.5, 0, 1e-6, "adagrad step 1 is lr against the sign of g");
    nn_optim_step(&opt, p, g);
    nn_is_close(p[0], -0.5 - 0.5 / sqrt(2.0), 0, 1e-6, "adagrad step 2 is lr / sqrt(2): the rate decays");
    nn_optim_free(&opt);

    /* Decay: lr_t = lr / (1 + decay (t-1)). */
    cfg = nn_optim_defaults(NN_SGD, 1.0);
    cfg.decay = 0.5;
    nn_optim_init(&opt, &cfg, 2);
    nn_is_close(nn_optim_lr(&opt), 1.0, 0, 1e-12, "decay: step 1 uses lr");
    nn_optim_step(&opt, p, g);
    nn_optim_step(&opt, p, g);
    nn_is_close(nn_optim_lr(&opt), 0.5, 0, 1e-12, "decay: step 3 uses lr / (1 + 0.5 * 2)");
    nn_optim_free(&opt);
}

static void clipping(void)
{
    /* Deck 001: if ||g|| > u, g <- g u / ||g||.  g = (3, 4), ||g|| = 5. */
    float g[2] = {3, 4};
    double norm = nn_clip_grad_norm(g, 2, 1.0);
    nn_is_close(norm, 5.0, 0, 1e-12, "clip returns the norm before clipping");
    nn_is_close(g[0], 0.6, 1e-6, 0, "clip to norm 1: g0 = 3/5");
    nn_is_close(g[1], 0.8, 1e-6, 0, "clip to norm 1: g1 = 4/5");
    float h[2] = {3, 4};
    nn_clip_grad_norm(h, 2, 10.0);
    nn_ok(h[0] == 3 && h[1] == 4, "a gradient inside the norm bound is left exactly as it was");
}

static void divergence(void)
{
    /* f = 1/2 * 10 p^2: gradient descent p <- (1 - 10 lr) p diverges for
     * lr > 0.2.  With lr = 1, |p| grows 9-fold per step. */
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, 1.0);
    nn_optim opt;
    nn_optim_init(&opt, &cfg, 1);
    float p = 1;
    int status = NN_OK, steps = 0;
    while (status == NN_OK && steps < 1000) {
        float g = 10 * p;
        status = nn_optim_step(&opt, &p, &g);
        steps++;
    }
    nn_is_int(status, NN_ERR, "lr = 1 on curvature 10 is reported as divergence");
    nn_ok(steps < 40, "divergence is caught early (step %d, when |p| passes 1e20)", steps);
    nn_contains(nn_last_error(), "diverged at step", "the message says where it diverged");
    nn_contains(nn_last_error(), "learning rate 1 too large", "the message names the learning rate");
    nn_contains(nn_last_error(), "try 0.1", "the message suggests a smaller learning rate");
    nn_optim_free(&opt);

    cfg = nn_optim_defaults(NN_SGD, 0.1);
    nn_optim_init(&opt, &cfg, 1);
    opt.t = 7;
    nn_is_int(nn_optim_check_loss(&opt, NAN, 1.0, 1e6), NN_ERR, "a NaN loss is divergence");
    nn_contains(nn_last_error(), "diverged at step 7: the loss became NaN", "NaN loss message");
    nn_is_int(nn_optim_check_loss(&opt, 2e6, 1.0, 1e6), NN_ERR, "a loss 2e6 times its start is divergence");
    nn_is_int(nn_optim_check_loss(&opt, 10.0, 1.0, 1e6), NN_OK, "a loss 10 times its start is not");
    nn_optim_free(&opt);
}

static void bad_configs(void)
{
    nn_optim opt;
    nn_optim_config cfg;
    nn_is_int(nn_optim_parse("adamw", 0.1, &cfg), NN_ERR, "unknown optimizer name is an error");
    nn_contains(nn_last_error(), "valid: sgd, momentum, nesterov", "and the message lists the valid names");
    cfg = nn_optim_defaults(NN_SGD, 0.1);
    cfg.nesterov = 1;
    nn_is_int(nn_optim_init(&opt, &cfg, 3), NN_ERR, "Nesterov without momentum is refused");
    nn_contains(nn_last_error(), "needs momentum", "with a message saying why");
    cfg = nn_optim_defaults(NN_ADAM, 0.1);
    cfg.lr = -1;
    nn_is_int(nn_optim_init(&opt, &cfg, 3), NN_ERR, "a negative learning rate is refused");
    cfg = nn_optim_defaults(NN_ADAM, 0.1);
    cfg.beta2 = 1.0;
    nn_is_int(nn_optim_init(&opt, &cfg, 3), NN_ERR, "beta2 = 1 is refused (bias correction divides by 0)");
    cfg = nn_optim_defaults(NN_RMSPROP, 0.1);
    cfg.eps = 0;
    nn_is_int(nn_optim_init(&opt, &cfg, 3), NN_ERR, "eps = 0 is refused for an adaptive method");
}

/* nn_optim_step's SGD runs eight elements at a time (AVX-512), then four
 * (AVX), then one; it must give the bits of the one-element-at-a-time double
 * formula written out here, for plain SGD, momentum, Nesterov and weight
 * decay.  N = 1007 = 125 x 8 + 4 + 3 sends elements down every one of the
 * three loops that this CPU can run. */
static void sgd_bits(void)
{
    enum { N = 1007, STEPS = 5 };
    const struct { double mu, wd; int nesterov; const char *name; } cases[] = {
        {0, 0, 0, "sgd"}, {0.9, 0, 0, "momentum"}, {0.9, 0, 1, "nesterov"}, {0.9, 1e-3, 0, "momentum-wd"},
        {0, 1e-3, 0, "sgd-wd"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        nn_rng rng = nn_rng_new(40 + c);
        float p[N], p_ref[N], g[N], b_ref[N];
        nn_rng_fill_normal(&rng, p, N, 0, 1);
        memcpy(p_ref, p, sizeof p);
        memset(b_ref, 0, sizeof b_ref);
        nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.05);
        cfg.momentum = cases[c].mu;
        cfg.nesterov = cases[c].nesterov;
        cfg.weight_decay = cases[c].wd;
        nn_optim opt;
        int ok = nn_optim_init(&opt, &cfg, N) == NN_OK;
        for (int t = 0; t < STEPS && ok; t++) {
            nn_rng_fill_normal(&rng, g, N, 0, 1);
            ok = nn_optim_step(&opt, p, g) == NN_OK;
            for (size_t i = 0; i < N; i++) {
                double gi = g[i] + cases[c].wd * p_ref[i];
                double step = gi;
                if (cases[c].mu != 0) {
                    b_ref[i] = (float)(cases[c].mu * b_ref[i] + gi);
                    step = cases[c].nesterov ? gi + cases[c].mu * b_ref[i] : b_ref[i];
                }
                p_ref[i] = (float)(p_ref[i] - 0.05 * step);
            }
        }
        nn_ok(ok && memcmp(p, p_ref, sizeof p) == 0,
              "%s: %d steps on %d parameters equal the element-wise double formula bit for bit",
              cases[c].name, STEPS, N);
        nn_optim_free(&opt);
    }
}

int main(void)
{
    nn_tap_timeout(60);
    const char *srcdir = getenv("top_srcdir");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ref/optim_torch.txt", srcdir && *srcdir ? srcdir : NNLAB_SRCDIR);
    replay_file(path);
    first_steps();
    clipping();
    divergence();
    bad_configs();
    sgd_bits();
    return nn_tap_done();
}
