/* Tests of chapter 3's exercises (exercises/03-optimizers/ex03-optimizers.c).
 *
 * Expected values come from independent truths: the update rules of the
 * decks applied by hand, deck 001's Nesterov form run beside the
 * exercise's, a zero gradient's closed form, the
 * library's optimizers (lib/optim.c, themselves replayed against
 * torch.optim in tests/lib/test-optim.c), and clipping by value worked
 * by hand and component by component.  None is copied from the solution. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex03-optimizers.h"

/* ---- 3.1: Nesterov in the look-ahead variable ------------------------------------ */

/* f(W) = 1/2 sum_i c_i W_i^2: gradient c_i W_i. */
static void quadratic_gradient(const double *c, const double *point, double *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g[i] = c[i] * point[i];
}

static void ex_3_1(void)
{
    /* By hand, deck 001's form with c = (2, 1), W = (1, -2), nu = 0,
     * alpha = 0.5, epsilon = 0.1:
     *   step 1: W~ = (1, -2), g = (2, -2), nu = (-0.2, 0.2), W = (0.8, -1.8)
     *   step 2: W~ = W + 0.5 nu = (0.7, -1.7), g = (1.4, -1.7),
     *           nu = (-0.1 - 0.14, 0.1 + 0.17) = (-0.24, 0.27), W = (0.56, -1.53)
     * so theta = W + alpha nu goes (1, -2), (0.7, -1.7), (0.44, -1.395). */
    static const double c2[2] = {2, 1};
    double theta[2] = {1, -2}, nu[2] = {0, 0}, g[2];
    for (int t = 0; t < 2; t++) {
        quadratic_gradient(c2, theta, g, 2);
        ex_nesterov_lookahead_step(theta, nu, g, 2, 0.5, 0.1);
    }
    double got[4] = {theta[0], theta[1], nu[0], nu[1]}, want[4] = {0.44, -1.395, -0.24, 0.27};
    nn_ex_note("c = (2, 1), theta = W = (1, -2), nu = 0, alpha = 0.5, epsilon = 0.1, g taken at theta; "
               "entries: theta0 theta1 nu0 nu1");
    nn_ex_close_doubles(got, want, 4, 0, 1e-12, "two hand-worked steps on a quadratic");

    /* 50 steps beside deck 001's form, which the test runs itself: theta
     * must stay W + alpha nu, and nu be the deck's nu. */
    enum { N = 3, STEPS = 50 };
    static const double c3[N] = {10, 1, 0.2};
    const double alpha = 0.9, epsilon = 0.02;
    double W[N] = {1, -2, 3}, nu_deck[N] = {0}, look[N], gd[N];
    double th[N] = {1, -2, 3}, nu3[N] = {0}, g3[N];
    for (int t = 0; t < STEPS; t++) {
        for (int i = 0; i < N; i++)
            look[i] = W[i] + alpha * nu_deck[i];
        quadratic_gradient(c3, look, gd, N);
        for (int i = 0; i < N; i++) {
            nu_deck[i] = alpha * nu_deck[i] - epsilon * gd[i];
            W[i] += nu_deck[i];
        }
        quadratic_gradient(c3, th, g3, N);
        ex_nesterov_lookahead_step(th, nu3, g3, N, alpha, epsilon);
    }
    double got2[2 * N], want2[2 * N];
    for (int i = 0; i < N; i++) {
        got2[i] = th[i];
        want2[i] = W[i] + alpha * nu_deck[i];
        got2[N + i] = nu3[i];
        want2[N + i] = nu_deck[i];
    }
    nn_ex_note("c = (10, 1, 0.2), W = (1, -2, 3), alpha 0.9, epsilon 0.02, 50 steps; entries 0-2: theta "
               "against the deck's W + alpha nu, 3-5: nu against the deck's nu");
    nn_ex_close_doubles(got2, want2, 2 * N, 1e-10, 1e-12,
                        "50 steps stay at deck 001's look-ahead point W + alpha nu");

    /* The library's torch form, b = mu b + g, p = p - lr (g + mu b), keeps
     * the same variable: p_t = theta_t at every step. */
    double th4[N] = {1, -2, 3}, nu4[N] = {0}, g4[N];
    float p[N] = {1, -2, 3}, gf[N];
    nn_optim_config cfg = nn_optim_defaults(NN_SGD, epsilon);
    cfg.momentum = alpha;
    cfg.nesterov = 1;
    nn_optim opt;
    if (nn_optim_init(&opt, &cfg, N) != NN_OK)
        nn_die_last();
    for (int t = 0; t < STEPS; t++) {
        quadratic_gradient(c3, th4, g4, N);
        ex_nesterov_lookahead_step(th4, nu4, g4, N, alpha, epsilon);
        for (int i = 0; i < N; i++)
            gf[i] = (float)(c3[i] * p[i]);
        nn_optim_step(&opt, p, gf);
    }
    double lib[N];
    for (int i = 0; i < N; i++)
        lib[i] = p[i];
    nn_optim_free(&opt);
    nn_ex_note("the same run against the library's p (float: tolerance 1e-5)");
    nn_ex_close_doubles(th4, lib, N, 1e-5, 1e-6, "50 steps equal the library's Nesterov (torch form)");
}

/* ---- 3.2: AdamW --------------------------------------------------------------------- */

static void ex_3_2(void)
{
    enum { N = 3 };
    const double alpha = 0.1, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, lambda = 0.5;

    /* With g = 0, m and v stay 0, the Adam term is 0 / (0 + eps) = 0, and
     * the decay alone acts: w_t = w_0 (1 - alpha lambda)^t. */
    double w0[N] = {1, -2, 0.5}, m0[N] = {0}, v0[N] = {0}, want0[N];
    const double zero[N] = {0, 0, 0};
    for (long t = 1; t <= 10; t++)
        ex_adamw_step(w0, m0, v0, zero, N, t, alpha, beta1, beta2, eps, lambda);
    want0[0] = pow(1 - alpha * lambda, 10);
    want0[1] = -2 * want0[0];
    want0[2] = 0.5 * want0[0];
    nn_ex_note("w = (1, -2, 0.5), g = 0 for 10 steps, alpha = 0.1, lambda = 0.5: expected w (0.95)^10");
    nn_ex_close_doubles(w0, want0, N, 1e-12, 0,
                        "with a zero gradient the weights decay by 1 - alpha lambda per step");

    /* Step 1: m^ = g and v^ = g^2 exactly, so the Adam term is alpha
     * g / (|g| + eps), added to the decay of w.  (L2 inside Adam would move
     * every weight by about alpha instead: its g + lambda w is normalised.) */
    double w[N] = {1, -2, 0.5}, m[N] = {0}, v[N] = {0};
    const double g1[N] = {3, -0.5, 0.02}, g2[N] = {-1, 2, 0.5};
    const double start[N] = {1, -2, 0.5};
    ex_adamw_step(w, m, v, g1, N, 1, alpha, beta1, beta2, eps, lambda);
    double want1[N];
    for (int i = 0; i < N; i++)
        want1[i] = start[i] * (1 - alpha * lambda) - alpha * g1[i] / (fabs(g1[i]) + eps);
    nn_ex_note("w = (1, -2, 0.5), g = (3, -0.5, 0.02), alpha = 0.1, lambda = 0.5: expected "
               "w (1 - alpha lambda) - alpha sign(g)");
    nn_ex_close_doubles(w, want1, N, 1e-12, 1e-12, "step 1 is the decay of w plus alpha against the sign of g");

    ex_adamw_step(w, m, v, g2, N, 2, alpha, beta1, beta2, eps, lambda);
    double got[2 * N], want[2 * N];
    for (int i = 0; i < N; i++) {
        got[i] = m[i];
        got[N + i] = v[i];
        want[i] = beta1 * (1 - beta1) * g1[i] + (1 - beta1) * g2[i];
        want[N + i] = beta2 * (1 - beta2) * g1[i] * g1[i] + (1 - beta2) * g2[i] * g2[i];
    }
    nn_ex_note("after steps with g1 = (3, -0.5, 0.02) and g2 = (-1, 2, 0.5); entries 0-2 are m, 3-5 are v "
               "(stored without bias correction; lambda w must not enter them)");
    nn_ex_close_doubles(got, want, 2 * N, 1e-12, 1e-15,
                        "the decay is decoupled: m and v average g and g^2 only");
}

/* ---- 3.3: clipping by value ---------------------------------------------------------- */

static void ex_3_3(void)
{
    /* By hand: (3, -4, 0.5, -1) clipped at 1 is (1, -1, 0.5, -1); two
     * components change (-1 is at the bound already). */
    double g[4] = {3, -4, 0.5, -1};
    long changed = ex_clip_by_value(g, 4, 1);
    const double got[5] = {g[0], g[1], g[2], g[3], (double)changed};
    static const double want[5] = {1, -1, 0.5, -1, 2};
    nn_ex_note("g = (3, -4, 0.5, -1), c = 1; entries: g0..g3, then the returned count");
    nn_ex_close_doubles(got, want, 5, 0, 0, "(3, -4, 0.5, -1) clipped at 1 is (1, -1, 0.5, -1), 2 changed");

    /* A random gradient: each component clamped on its own, which turns
     * the direction (the test measures the angle to the original). */
    enum { N = 10 };
    const double c = 1.5;
    nn_rng rng = nn_rng_new(5);
    nn_ex_seed(5);
    double x[N], original[N], clamped[N];
    long over = 0;
    for (int i = 0; i < N; i++) {
        original[i] = x[i] = 2 * nn_rng_normal(&rng);
        clamped[i] = x[i] > c ? c : x[i] < -c ? -c : x[i];
        over += x[i] > c || x[i] < -c;
    }
    long returned = ex_clip_by_value(x, N, c);
    double dot = 0, a = 0, b = 0;
    for (int i = 0; i < N; i++) {
        dot += original[i] * clamped[i];
        a += original[i] * original[i];
        b += clamped[i] * clamped[i];
    }
    nn_ex_note("a random g, c = %g: %ld of %d components beyond the bound; clipping by value turns it by "
               "%.1f degrees (by norm: 0)", c, over, N, acos(dot / sqrt(a * b)) * 180 / acos(-1.0));
    nn_ex_close_doubles(x, clamped, N, 0, 0, "every component is clipped on its own into [-c, c]");

    /* Inside the bound nothing changes, and 0 is returned; index 0 is the
     * count of the random case above. */
    double h[3] = {0.3, -0.4, 1.5};
    long none = ex_clip_by_value(h, 3, 1.5);
    const double inside[5] = {(double)returned, (double)none, h[0], h[1], h[2]};
    const double want_inside[5] = {(double)over, 0, 0.3, -0.4, 1.5};
    nn_ex_note("index 0: the count returned for the random g (%ld beyond c); index 1: the count for "
               "(0.3, -0.4, 1.5) at c = 1.5 (want 0); then that gradient, left alone", over);
    nn_ex_close_doubles(inside, want_inside, 5, 0, 0,
                        "returns the number changed, and leaves a gradient inside the bound alone");
}

int main(void)
{
    nn_ex_init("03-optimizers");
    nn_ex_hint(2, "Write theta_new - theta = (W + nu_new + alpha nu_new) - (W + alpha nu) and use "
                  "nu_new = alpha nu - epsilon g to remove alpha nu: what is left uses only nu_new and g. "
                  "Update nu first, then theta with the new nu.");
    nn_ex_run("3.1", "Nesterov momentum in the look-ahead variable",
              "You hold theta = W + alpha nu, not W. Write theta after the step as W_new + alpha nu_new "
              "and express it through quantities you have.",
              ex_3_1);
    nn_ex_hint(2, "Keep the chapter's Adam step as it is, fed with g alone; then subtract alpha lambda w_old "
                  "as a separate term (take w_old before you change w). lambda never appears in m or v.");
    nn_ex_run("3.2", "AdamW: Adam with decoupled weight decay",
              "What changes if the decay lambda w goes into the gradient, and so through m^ / sqrt(v^)? "
              "AdamW keeps it out: where does it act instead?",
              ex_3_2);
    nn_ex_hint(2, "For each i: if g[i] > c set it to c, else if g[i] < -c set it to -c, and count each such "
                  "change; leave the others (including those exactly at +-c) as they are.");
    nn_ex_run("3.3", "Gradient clipping by value",
              "Clipping by norm looks at the whole vector; clipping by value looks at each component on "
              "its own. Which components change, and what does that do to the direction?",
              ex_3_3);
    return nn_ex_done();
}
