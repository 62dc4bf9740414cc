/* Tests of chapter 3's exercises (exercises/03-optimizers/ex03-optimizers.c).
 *
 * Expected values come from independent truths: the update rules of the
 * decks applied by hand, the definition of the look-ahead point (checked
 * through a gradient function that records where it was called), the
 * library's optimizers (lib/optim.c, themselves replayed against
 * torch.optim in tests/lib/test-optim.c), and the geometry of clipping
 * (length u, same direction).  None is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex03-optimizers.h"

/* ---- 3.1: Nesterov ------------------------------------------------------------- */

/* f(W) = 1/2 sum_i c_i W_i^2: gradient c_i W_i.  Records the calls. */
typedef struct {
    const double *c;
    int calls;
    double last_point[8];
} quadratic_ctx;

static void quadratic_gradient(const double *point, double *g, size_t n, void *p)
{
    quadratic_ctx *q = p;
    for (size_t i = 0; i < n; i++)
        g[i] = q->c[i] * point[i];
    q->calls++;
    memcpy(q->last_point, point, sizeof(double) * (n < 8 ? n : 8));
}

static void ex_3_1(void)
{
    /* By hand, c = (2, 1), W = (1, -2), nu = 0, alpha = 0.5, epsilon = 0.1:
     *   step 1: W~ = (1, -2), g = (2, -2), nu = (-0.2, 0.2), W = (0.8, -1.8)
     *   step 2: W~ = W + 0.5 nu = (0.7, -1.7), g = (1.4, -1.7),
     *           nu = (-0.1 - 0.14, 0.1 + 0.17) = (-0.24, 0.27), W = (0.56, -1.53) */
    static const double c2[2] = {2, 1};
    quadratic_ctx q = {c2, 0, {0}};
    double W[2] = {1, -2}, nu[2] = {0, 0}, look[2], g[2];
    ex_nesterov_step(W, nu, look, g, 2, 0.5, 0.1, quadratic_gradient, &q);
    ex_nesterov_step(W, nu, look, g, 2, 0.5, 0.1, quadratic_gradient, &q);
    double got[4] = {W[0], W[1], nu[0], nu[1]}, want[4] = {0.56, -1.53, -0.24, 0.27};
    nn_ex_note("c = (2, 1), W = (1, -2), nu = 0, alpha = 0.5, epsilon = 0.1; entries: W0 W1 nu0 nu1");
    nn_ex_close_doubles(got, want, 4, 0, 1e-12, "two hand-worked steps on a quadratic");

    /* Where is the gradient taken?  From W = (1, 1), nu = (0.4, -0.2),
     * alpha = 0.9 the look-ahead point is (1.36, 0.82). */
    quadratic_ctx r = {c2, 0, {0}};
    double W2[2] = {1, 1}, nu2[2] = {0.4, -0.2};
    ex_nesterov_step(W2, nu2, look, g, 2, 0.9, 0.1, quadratic_gradient, &r);
    const double where[3] = {(double)r.calls, r.last_point[0], r.last_point[1]};
    static const double look_ahead[3] = {1, 1.36, 0.82};
    nn_ex_note("index 0: the number of calls of grad (want 1); 1 and 2: the point of the last call, "
               "W + alpha nu = (1.36, 0.82)");
    nn_ex_close_doubles(where, look_ahead, 3, 0, 1e-12, "the gradient is taken at the look-ahead point W + alpha nu");

    /* The library's torch form, b = mu b + g, p = p - lr (g + mu b), tracks
     * the look-ahead point: p_t = W_t + alpha nu_t at every step. */
    enum { N = 3, STEPS = 50 };
    static const double c3[N] = {10, 1, 0.2};
    quadratic_ctx s = {c3, 0, {0}};
    double W3[N] = {1, -2, 3}, nu3[N] = {0}, look3[N], g3[N];
    float p[N] = {1, -2, 3}, gf[N];
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, 0.02);
    cfg.momentum = 0.9;
    cfg.nesterov = 1;
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, N) != NN_OK)
        nn_die_last();
    for (int t = 0; t < STEPS; t++) {
        ex_nesterov_step(W3, nu3, look3, g3, N, 0.9, 0.02, quadratic_gradient, &s);
        for (int i = 0; i < N; i++)
            gf[i] = (float)(c3[i] * p[i]);
        nn_optim_step(&opt, p, gf);
    }
    double ahead[N], lib[N];
    for (int i = 0; i < N; i++) {
        ahead[i] = W3[i] + 0.9 * nu3[i];
        lib[i] = p[i];
    }
    nn_optim_free(&opt);
    nn_ex_note("c = (10, 1, 0.2), W = (1, -2, 3), alpha 0.9, epsilon 0.02; comparing your W + alpha nu "
               "with the library's p (float: tolerance 1e-5)");
    nn_ex_close_doubles(ahead, lib, N, 1e-5, 1e-6,
                        "50 steps equal the library's Nesterov (torch form) at the look-ahead point");
}

/* ---- 3.2: Adam --------------------------------------------------------------------- */

static void ex_3_2(void)
{
    enum { N = 3 };
    const double alpha = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double w[N] = {1, 1, 1}, m[N] = {0}, v[N] = {0};
    const double g1[N] = {3, -0.5, 0.02}, g2[N] = {-1, 2, 0.5};
    /* Step 1: m^ = g and v^ = g^2 exactly, so w moves by alpha g / (|g| + eps). */
    ex_adam_step(w, m, v, g1, N, 1, alpha, beta1, beta2, eps);
    double want1[N];
    for (int i = 0; i < N; i++)
        want1[i] = 1 - alpha * (g1[i] > 0 ? 1 : -1);
    nn_ex_note("g = (3, -0.5, 0.02), alpha = 0.1, w = 1: bias correction makes step 1 exactly alpha long "
               "(without it, (1 - beta1) / sqrt(1 - beta2) = 3.16 times that)");
    nn_ex_close_doubles(w, want1, N, 0, 1e-7, "step 1 moves every weight by alpha against the sign of its gradient");

    ex_adam_step(w, m, v, g2, N, 2, alpha, beta1, beta2, eps);
    double got[2 * N], want[2 * N];
    for (int i = 0; i < N; i++) {
        got[i] = m[i];
        got[N + i] = v[i];
        want[i] = beta1 * (1 - beta1) * g1[i] + (1 - beta1) * g2[i];
        want[N + i] = beta2 * (1 - beta2) * g1[i] * g1[i] + (1 - beta2) * g2[i] * g2[i];
    }
    nn_ex_note("after steps with g1 = (3, -0.5, 0.02) and g2 = (-1, 2, 0.5); entries 0-2 are m, 3-5 are v "
               "(stored without bias correction)");
    nn_ex_close_doubles(got, want, 2 * N, 1e-12, 1e-15, "the moments m and v are the averages of g and g^2");

    /* 100 steps on f = 1/2 sum c_i w_i^2 against the library's Adam. */
    static const double c[N] = {10, 1, 0.1};
    double w3[N] = {1.5, -2, 3}, m3[N] = {0}, v3[N] = {0}, g[N];
    float p[N] = {1.5f, -2, 3}, gf[N];
    nn_optim_config cfg = nn_optim_defaults(NN_ADAM, 0.05);
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, N) != NN_OK)
        nn_die_last();
    for (long t = 1; t <= 100; t++) {
        for (int i = 0; i < N; i++) {
            g[i] = c[i] * w3[i];
            gf[i] = (float)(c[i] * p[i]);
        }
        ex_adam_step(w3, m3, v3, g, N, t, 0.05, 0.9, 0.999, 1e-8);
        nn_optim_step(&opt, p, gf);
    }
    double lib[N] = {p[0], p[1], p[2]};
    nn_optim_free(&opt);
    nn_ex_note("c = (10, 1, 0.1), w = (1.5, -2, 3), alpha 0.05, torch's betas and eps; the library runs in "
               "float (tolerance 1e-4)");
    nn_ex_close_doubles(w3, lib, N, 1e-4, 1e-5, "100 steps equal the library's Adam");
}

/* ---- 3.3: clipping ----------------------------------------------------------------- */

static void ex_3_3(void)
{
    double g[2] = {3, 4};
    double norm = ex_clip_by_norm(g, 2, 1);
    const double clipped[3] = {g[0], g[1], norm};
    static const double want_clipped[3] = {0.6, 0.8, 5};
    nn_ex_note("entries: g0, g1, the returned norm");
    nn_ex_close_doubles(clipped, want_clipped, 3, 0, 1e-12,
                        "(3, 4) clipped to norm 1 is (0.6, 0.8), and the norm 5 is returned");

    double h[2] = {0.3, -0.4};
    norm = ex_clip_by_norm(h, 2, 1);
    const double inside[3] = {h[0], h[1], norm};
    static const double want_inside[3] = {0.3, -0.4, 0.5};
    nn_ex_note("g = (0.3, -0.4) has norm 0.5 <= u = 1; entries: g0, g1, the returned norm");
    nn_ex_close_doubles(inside, want_inside, 3, 0, 1e-15,
                        "a gradient inside the bound is left alone, and its norm returned");

    enum { N = 10 };
    nn_rng rng = nn_rng_new(5);
    nn_ex_seed(5);
    double x[N], want[N], length = 0;
    for (int i = 0; i < N; i++) {
        x[i] = 2 * nn_rng_normal(&rng);
        length += x[i] * x[i];
    }
    length = sqrt(length);
    for (int i = 0; i < N; i++)
        want[i] = x[i] * 2 / length; /* the same direction, norm u = 2 */
    ex_clip_by_norm(x, N, 2);
    nn_ex_note("a random g of norm %.4g clipped to u = 2: expected g u / ||g||", length);
    nn_ex_close_doubles(x, want, N, 1e-12, 1e-12, "a clipped gradient keeps its direction and has norm u");
}

int main(void)
{
    nn_ex_init("03-optimizers");
    nn_ex_hint(2, "First lookahead[i] = W[i] + alpha nu[i]; then one call grad(lookahead, g, n, ctx); then for "
                  "each i: nu[i] = alpha nu[i] - epsilon g[i] and W[i] += nu[i].");
    nn_ex_run("3.1", "Nesterov momentum (deck 001)",
              "Nesterov evaluates the gradient somewhere other than W. Where, and how many calls of "
              "grad does one step need?",
              ex_3_1);
    nn_ex_hint(2, "Update m and v first (store them uncorrected), then divide by 1 - pow(beta1, t) and "
                  "1 - pow(beta2, t) only to compute the step; eps is added after the square root.");
    nn_ex_run("3.2", "Adam with bias correction",
              "m and v are kept as running averages without correction; the bias correction enters "
              "only the step. Where does eps go?",
              ex_3_2);
    nn_ex_hint(2, "norm = sqrt(sum of g[i]^2); only if norm > u multiply every g[i] by u / norm; return the "
                  "norm computed before clipping.");
    nn_ex_run("3.3", "Gradient clipping by norm",
              "Compute the norm first; clipping only ever shrinks a gradient. Which norm is returned?",
              ex_3_3);
    return nn_ex_done();
}
