/* Tests of chapter 1's exercises (exercises/01-perceptron/ex01-perceptron.c).
 *
 * Every expected value comes from an independent truth: the truth tables of
 * the gates, the update formula of the lecture applied by hand, the
 * Novikoff bound on the number of mistakes, the lecture's two-case form of
 * the logistic loss, and central differences of that loss.  None is copied
 * from the solution.  The harness (lib/nn_exercise.h) runs each exercise in
 * its own process with a time limit and knows whether it was attempted. */
#include <math.h>
#include <string.h>

#include "nnlab.h"
#include "ex01-perceptron.h"

/* ---- 1.1: truth tables --------------------------------------------------------- */

/* The unit's raw values (w0, w1, b) go to the checker, which runs this
 * predicate on them: the truth table is computed by kit code. */
typedef struct {
    const int *truth;
    const char *name;
} gate_ctx;

static int computes_gate(const double *v, size_t n, const void *context, char *why, size_t len)
{
    static const double inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    const gate_ctx *g = context;
    (void)n;
    for (int i = 0; i < 4; i++) {
        double z = v[0] * inputs[i][0] + v[1] * inputs[i][1] + v[2];
        int out = z > 0;
        if (out != g->truth[i]) {
            snprintf(why, len,
                     "%s(%g, %g): expected %d, got %d\n"
                     "your unit: w = (%g, %g), b = %g, so z = w.x + b = %g and the output is [z > 0] = %d",
                     g->name, inputs[i][0], inputs[i][1], g->truth[i], out, v[0], v[1], v[2], z, out);
            return 0;
        }
    }
    return 1;
}

static void check_gate(void (*unit)(double[2], double *), const int truth[4], const char *name,
                       const char *case_name)
{
    double w[2] = {0, 0}, b = 0;
    unit(w, &b);
    const double v[3] = {w[0], w[1], b};
    const gate_ctx g = {truth, name};
    nn_ex_holds(v, 3, computes_gate, &g, case_name);
}

static void ex_1_1(void)
{
    static const int nand[4] = {1, 1, 1, 0}, nor[4] = {1, 0, 0, 0};
    check_gate(ex_nand_unit, nand, "NAND", "NAND truth table");
    check_gate(ex_nor_unit, nor, "NOR", "NOR truth table");
}

/* ---- 1.2: one step, against the lecture's formula ------------------------------- */

enum { N12 = 5 };

static double score(const double *w, double b, const double *x, size_t n)
{
    double z = b;
    for (size_t j = 0; j < n; j++)
        z += w[j] * x[j];
    return z;
}

static void draw(nn_rng *rng, double *v, size_t n)
{
    for (size_t j = 0; j < n; j++)
        v[j] = 2 * nn_rng_uniform(rng) - 1;
}

static void ex_1_2(void)
{
    nn_rng rng = nn_rng_new(7);
    double w[N12], x[N12], b, got[N12 + 1], want[N12 + 1];
    nn_ex_seed(7);

    /* A mistake: y is the opposite of the sign of the score. */
    draw(&rng, w, N12);
    draw(&rng, x, N12);
    b = 0.25;
    int y = score(w, b, x, N12) > 0 ? -1 : 1;
    for (int j = 0; j < N12; j++)
        want[j] = w[j] + y * x[j];
    want[N12] = b + y;
    memcpy(got, w, sizeof w);
    got[N12] = b;
    int returned_mistake = ex_perceptron_step(got, &got[N12], x, y, N12);
    nn_ex_note("example: y = %+d, y (w.x + b) = %.4g (a mistake); got[%d] is b", y,
               y * score(w, b, x, N12), N12);
    nn_ex_close_doubles(got, want, N12 + 1, 0, 1e-12, "update on a mistake: w <- w + y x, b <- b + y");

    /* At w = 0, b = 0 every score is 0, which the lecture counts as a mistake. */
    double w0[N12] = {0}, b0 = 0;
    for (int j = 0; j < N12; j++)
        want[j] = x[j];
    want[N12] = 1;
    ex_perceptron_step(w0, &b0, x, +1, N12);
    nn_ex_note("example: w = 0, b = 0, y = +1, so y (w.x + b) = 0; got[%d] is b", N12);
    memcpy(got, w0, sizeof w0);
    got[N12] = b0;
    nn_ex_close_doubles(got, want, N12 + 1, 0, 1e-12, "a zero score counts as a mistake");

    /* A correct example: y has the sign of the score. */
    double wc[N12];
    memcpy(wc, w, sizeof w);
    double bc = b;
    int yc = -y;
    int returned_correct = ex_perceptron_step(wc, &bc, x, yc, N12);
    /* got: the two return values, then w and b after the correct example */
    double ret_got[N12 + 3], ret_want[N12 + 3];
    ret_got[0] = returned_mistake;
    ret_got[1] = returned_correct;
    ret_want[0] = 1;
    ret_want[1] = 0;
    for (int j = 0; j < N12; j++) {
        ret_got[2 + j] = wc[j];
        ret_want[2 + j] = w[j];
    }
    ret_got[N12 + 2] = bc;
    ret_want[N12 + 2] = b;
    nn_ex_note("index 0: the return on the mistake above (want 1); index 1: the return on a correct "
               "example, y (w.x + b) = %.4g > 0 (want 0); then w and b, which it must leave alone",
               yc * score(w, b, x, N12));
    nn_ex_close_doubles(ret_got, ret_want, N12 + 3, 0, 0,
                        "returns 1 on a mistake and 0 on a correct example, which it leaves alone");
}

/* ---- 1.3: training --------------------------------------------------------------- */

/* Number of examples with y_i (w.x_i + b) <= 0. */
static size_t misclassified(const double *w, double b, const double *X, const int *y, size_t m,
                            size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < m; i++)
        bad += y[i] * score(w, b, X + i * n, n) <= 0;
    return bad;
}

/* The checker's predicates on the trained (w, b, mistakes): whether the
 * data set of the context is separated, and within which bound. */
typedef struct {
    const double *X;
    const int *y;
    size_t m, n;
    double lo, hi; /* the number of mistakes must lie in [lo, hi] */
    double R, gamma;
} train_ctx;

static int separates(const double *v, size_t count, const void *context, char *why, size_t len)
{
    const train_ctx *t = context;
    (void)count;
    size_t bad = misclassified(v, v[t->n], t->X, t->y, t->m, t->n);
    double mistakes = v[t->n + 1];
    if (bad == 0 && mistakes >= t->lo && mistakes <= t->hi)
        return 1;
    if (t->gamma > 0)
        snprintf(why, len,
                 "expected: 0 misclassified, and 1 <= mistakes <= (R/gamma)^2 = (%.3f/%.3f)^2 = %.1f\n"
                 "got:      %zu of %zu misclassified, %.0f mistakes (w starts at 0, so the first "
                 "example is always a mistake)",
                 t->R, t->gamma, t->hi, bad, t->m, mistakes);
    else
        snprintf(why, len,
                 "after training (%.0f mistakes), w = (%g, %g), b = %g still misclassifies %zu of the %zu "
                 "inputs", mistakes, v[0], v[1], v[t->n], bad, t->m);
    return 0;
}

static void ex_1_3(void)
{
    /* AND with labels in {-1, +1}. */
    static const double X_and[8] = {0, 0, 0, 1, 1, 0, 1, 1};
    static const int y_and[4] = {-1, -1, -1, +1};
    double w[3] = {0}, b = 0;
    long mistakes = ex_perceptron_train(w, &b, X_and, y_and, 4, 2, 100);
    const train_ctx and_set = {X_and, y_and, 4, 2, 0, INFINITY, 0, 0};
    const double and_got[4] = {w[0], w[1], b, (double)mistakes};
    nn_ex_holds(and_got, 4, separates, &and_set, "learns AND");

    /* A random set separated with margin gamma by a unit vector u through
     * the origin.  In the augmented space f(x) = (x, 1) the separator (u, 0)
     * has norm 1, so Novikoff's theorem bounds the mistakes made from w = 0
     * by (R / gamma)^2 with R = max ||f(x)||. */
    enum { M = 60, N = 3 };
    const uint64_t seed = 11;
    nn_rng rng = nn_rng_new(seed);
    double u[N], X[M * N], R = 0, gamma = INFINITY;
    int y[M];
    draw(&rng, u, N);
    double norm = sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int j = 0; j < N; j++)
        u[j] /= norm;
    for (int i = 0; i < M;) {
        double *x = X + i * N;
        draw(&rng, x, N);
        double z = score(u, 0, x, N);
        if (fabs(z) < 0.1)
            continue; /* keep a margin of at least 0.1 */
        y[i] = z > 0 ? 1 : -1;
        R = fmax(R, sqrt(1 + x[0] * x[0] + x[1] * x[1] + x[2] * x[2]));
        gamma = fmin(gamma, fabs(z));
        i++;
    }
    double bound = (R / gamma) * (R / gamma);
    double wr[N] = {0}, br = 0;
    mistakes = ex_perceptron_train(wr, &br, X, y, M, N, 100000);
    nn_ex_seed(seed);
    const train_ctx random_set = {X, y, M, N, 1, bound, R, gamma};
    const double random_got[N + 2] = {wr[0], wr[1], wr[2], br, (double)mistakes};
    nn_ex_holds(random_got, N + 2, separates, &random_set,
                "separates a random separable set within the Novikoff bound");

    /* XOR cannot be separated: every sweep makes at least one mistake. */
    static const int y_xor[4] = {-1, +1, +1, -1};
    const int max_epochs = 50;
    double wx[2] = {0}, bx = 0;
    mistakes = ex_perceptron_train(wx, &bx, X_and, y_xor, 4, 2, max_epochs);
    nn_ex_note("XOR in %d sweeps: between %d (one mistake per sweep) and %d (four) mistakes",
               max_epochs, max_epochs, 4 * max_epochs);
    nn_ex_range((double)mistakes, max_epochs, 4.0 * max_epochs, "stops after max_epochs on XOR");
}

/* ---- 1.4: logistic loss ------------------------------------------------------------ */

enum { N14 = 4 };

/* The lecture's two-case form: -y z + log(1 + exp(y z)) for y = +1 and
 * log(1 + exp(-y z)) for y = -1.  Used only for moderate z. */
static double lecture_loss(double z, int y)
{
    return y == 1 ? -y * z + log(1 + exp(y * z)) : log(1 + exp(-y * z));
}

typedef struct {
    double w[N14], b, x[N14];
    int y;
} point;

static void ex_1_4(void)
{
    const uint64_t seed = 3;
    nn_rng rng = nn_rng_new(seed);
    double gw[N14], gb, x[N14], zero[N14] = {0};
    nn_ex_seed(seed);
    draw(&rng, x, N14);

    nn_ex_close(ex_logistic_loss(gw, &gb, zero, 0, x, +1, N14), log(2.0), 1e-12, 0,
                "loss at z = 0 is log 2");

    enum { P = 8 };
    double got[P], want[P];
    for (int p = 0; p < P; p++) {
        point q;
        draw(&rng, q.w, N14);
        draw(&rng, q.x, N14);
        q.b = 2 * nn_rng_uniform(&rng) - 1;
        q.y = p % 2 ? -1 : 1;
        got[p] = ex_logistic_loss(gw, &gb, q.w, q.b, q.x, q.y, N14);
        want[p] = lecture_loss(score(q.w, q.b, q.x, N14), q.y);
    }
    nn_ex_note("index p: a random point, y = +1 for even p and -1 for odd p");
    nn_ex_close_doubles(got, want, P, 1e-10, 1e-14, "loss matches the lecture's two-case formula");

    /* For u = -y z large, log(1 + exp(u)) = u + log(1 + exp(-u)) = u to
     * double precision, and for u very negative it is exp(u), below 1e-300. */
    double w1[1] = {1}, x1[1] = {1};
    double big[3] = {ex_logistic_loss(gw, &gb, w1, -801, x1, +1, 1),  /* z = -800, y = +1 */
                     ex_logistic_loss(gw, &gb, w1, 799, x1, +1, 1),   /* z = +800, y = +1 */
                     ex_logistic_loss(gw, &gb, w1, 799, x1, -1, 1)};  /* z = +800, y = -1 */
    double big_want[3] = {800, 0, 800};
    nn_ex_note("index 0: z = -800, y = +1; index 1: z = 800, y = +1; index 2: z = 800, y = -1");
    nn_ex_close_doubles(big, big_want, 3, 1e-15, 1e-300, "loss is finite and right for large |z|");

    /* Central differences of the lecture's loss over (w, b). */
    point q;
    draw(&rng, q.w, N14);
    draw(&rng, q.x, N14);
    q.b = 0.3;
    q.y = -1;
    double analytic[N14 + 1] = {0}, numeric[N14 + 1];
    ex_logistic_loss(analytic, &analytic[N14], q.w, q.b, q.x, q.y, N14);
    const double eps = 1e-6;
    for (int j = 0; j <= N14; j++) {
        double *param = j < N14 ? &q.w[j] : &q.b;
        double saved = *param;
        *param = saved + eps;
        double up = lecture_loss(score(q.w, q.b, q.x, N14), q.y);
        *param = saved - eps;
        double down = lecture_loss(score(q.w, q.b, q.x, N14), q.y);
        *param = saved;
        numeric[j] = (up - down) / (2 * eps);
    }
    nn_ex_note("indices 0..%d are dL/dw, index %d is dL/db; y = -1, z = %.4g", N14 - 1, N14,
               score(q.w, q.b, q.x, N14));
    nn_ex_rel_error(analytic, numeric, N14 + 1, 1e-7, "gradient matches central differences");
}

int main(void)
{
    nn_ex_init("01-perceptron");
    nn_ex_hint(2, "A threshold unit outputs 1 when w.x + b > 0. AND is w = (1, 1), b = -1.5: "
                  "NOT flips a unit by negating its weights and bias.");
    nn_ex_run("1.1", "NAND and NOR threshold units",
              "A threshold unit outputs 1 when w.x + b > 0. Start from a unit you know (AND) and ask "
              "what flipping the signs of w and b does to every output.",
              ex_1_1);
    nn_ex_hint(2, "Compute z = w.x + b; if y z <= 0 add y x to w and y to b and return 1, else return 0. "
                  "y is an int: y * x[j] is a double.");
    nn_ex_run("1.2", "The perceptron update rule",
              "The rule changes w and b only on a mistake. What is a mistake, exactly, in terms of y "
              "and the score w.x + b, and is a score of exactly 0 one?",
              ex_1_2);
    nn_ex_hint(2, "Reset w and b to 0 first. Count the mistakes of each sweep; stop when a sweep has none "
                  "or after max_epochs sweeps, whichever comes first.");
    nn_ex_run("1.3", "Training the perceptron to convergence",
              "Reuse your 1.2. Where do w and b start, and which two things can end the training "
              "loop?",
              ex_1_3);
    nn_ex_hint(2, "With u = -y z: L = log1p(exp(u)) for u <= 0 and u + log1p(exp(-u)) for u > 0; "
                  "dL/dz = -y sigma(u), then dL/dw_j = dL/dz x_j and dL/db = dL/dz.");
    nn_ex_run("1.4", "Logistic-regression loss and gradient",
              "Write the loss as a function of u = -y z. exp(u) overflows for large u: which "
              "algebraically equal form of log(1 + e^u) is safe there?",
              ex_1_4);
    return nn_ex_done();
}
