/* test-ch01-units.c: the didactic code of chapter 1 against independent truths.
 *
 * The chapter is one literate program, and its text should not be split into
 * a library and a header just to be testable.  So this file includes the
 * chapter's source with NN_CHAPTER_NO_MAIN defined, which leaves out its
 * main(): every function of the chapter is then in scope here, static or not.
 * The experiment and figure functions are only called from that main() (the
 * shell test test-ch01-run.sh runs them through the program), so the compiler
 * is told not to warn that they are unused here. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
#define NN_CHAPTER_NO_MAIN
#include "../../chapters/01-perceptron/ch01-perceptron.c"

/* ---- Section 1: the gate neurons against truth tables ---- */

/* The truth of each gate from C's own logical operators, and the table of
 * the library's nn_make_gate: two sources that do not share code with the
 * chapter's threshold_unit. */
static int c_truth(const char *gate, int a1, int a2)
{
    if (strcmp(gate, "AND") == 0)
        return a1 && a2;
    if (strcmp(gate, "OR") == 0)
        return a1 || a2;
    return !a1;   /* NOT */
}

static void test_gate_neurons(void)
{
    for (int g = 0; g < N_GATE_NEURONS; g++) {
        const gate_neuron *gate = &gate_neurons[g];
        char lower[8];
        for (size_t k = 0; k <= strlen(gate->name); k++)
            lower[k] = (char)(gate->name[k] >= 'A' && gate->name[k] <= 'Z' ? gate->name[k] - 'A' + 'a'
                                                                               : gate->name[k]);
        nn_dataset table;
        if (nn_make_gate(&table, lower) != NN_OK)
            nn_tap_bail_out("nn_make_gate(%s): %s", lower, nn_last_error());
        int agree_c = 1, agree_lib = 1;
        for (int r = 0; r < table.n; r++) {
            int a[2];
            for (int j = 0; j < table.d; j++)
                a[j] = (int)table.x[r * table.d + j];
            int out = threshold_unit(gate->w, a, gate->n_inputs);
            agree_lib &= out == table.y[r];
            agree_c &= out == c_truth(gate->name, a[0], table.d == 2 ? a[1] : 0);
        }
        nn_is_int(table.d, gate->n_inputs, "%s neuron has the gate's number of inputs", gate->name);
        nn_ok(agree_c, "%s neuron reproduces the truth table of C's logical operators", gate->name);
        nn_ok(agree_lib, "%s neuron reproduces nn_make_gate's truth table", gate->name);
        nn_dataset_free(&table);
    }

    /* The step function: fires strictly above the threshold. */
    nn_ok(step(0.5) == 1 && step(0) == 0 && step(-0.5) == 0, "g(in) = 1 exactly when in > 0");
}

/* XOR: the chapter proves no unit does better than 3 of 4 rows; its grid
 * search must find 4 of 4 for AND and OR (the search can find perfect
 * units) and exactly 3 for XOR (a unit that gets 3 is easy: OR does). */
static void test_xor_search(void)
{
    static const int and_truth[4] = {0, 0, 0, 1}, or_truth[4] = {0, 1, 1, 1}, xor_truth[4] = {0, 1, 1, 0},
                     not_truth[2] = {1, 0};
    nn_is_int(best_unit_on_truth_table(and_truth, 2, 2, 0.25), 4, "grid search finds a perfect AND unit");
    nn_is_int(best_unit_on_truth_table(or_truth, 2, 2, 0.25), 4, "grid search finds a perfect OR unit");
    nn_is_int(best_unit_on_truth_table(not_truth, 1, 2, 0.25), 2, "grid search finds a perfect NOT unit");
    nn_is_int(best_unit_on_truth_table(xor_truth, 2, 3, 0.05), 3, "no unit on a fine grid gets all 4 XOR rows");
}

/* ---- Section 2: losses, the learning rule, convergence ---- */

/* Random features (with the constant 1 last) and labels. */
static labelled_set random_set(int n, int D, nn_rng *rng)
{
    labelled_set s = labelled_set_new(n, D);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D - 1; j++)
            s.f[(size_t)i * D + j] = nn_rng_normal(rng);
        s.f[(size_t)i * D + D - 1] = 1;
        s.y[i] = nn_rng_uniform(rng) < 0.5 ? -1 : +1;
    }
    return s;
}

static void test_losses(void)
{
    /* Hand values of max(0, -m) and log(1 + e^-m). */
    nn_is_close(perceptron_loss(-2), 2, 0, 0, "L_perc(-2) = 2");
    nn_is_close(perceptron_loss(0), 0, 0, 0, "L_perc(0) = 0 (a mistake, but one that costs nothing)");
    nn_is_close(perceptron_loss(3), 0, 0, 0, "L_perc(3) = 0");
    nn_is_close(logistic_loss(0), log(2.0), 1e-15, 0, "L_lr(0) = log 2");
    nn_is_close(logistic_loss(-800), 800, 1e-15, 0, "L_lr(-800) = 800, no overflow");
    nn_is_close(logistic_loss(40), exp(-40.0), 1e-12, 0, "L_lr(40) = e^-40, no cancellation");
    nn_is_close(sigmoid(-800), 0, 0, 1e-300, "sigma(-800) = 0 without a NaN");
    nn_is_close(sigmoid(2), 1 / (1 + exp(-2.0)), 1e-15, 0, "sigma(2)");

    /* Deck 000 writes L_lr with two cases; the chapter with one formula in
     * the margin.  Evaluate the deck's cases literally on random examples. */
    nn_rng rng = nn_rng_new(3);
    labelled_set s = random_set(50, 4, &rng);
    double w[4] = {0.7, -1.3, 2.1, 0.4};
    double worst = 0;
    for (int i = 0; i < s.n; i++) {
        double wf = score(w, s.f + (size_t)i * 4, 4), y = s.y[i];
        double deck = y == +1 ? -y * wf + log(1 + exp(y * wf)) : log(1 + exp(-y * wf));
        worst = fmax(worst, fabs(deck - logistic_loss(margin(w, &s, i))) / deck);
    }
    nn_ok(worst < 1e-12, "the deck's two-case L_lr equals log(1 + e^-m) (worst relative error %.1e)", worst);
    labelled_set_free(&s);
}

/* The perceptron rule is a gradient step on L_perc: for a mistake, the
 * update w + alpha y f(x) equals w - alpha dL_perc/dw with the gradient
 * taken by central differences (L_perc is linear in w on that side of the
 * kink, so the differences are exact up to rounding). */
typedef struct {
    const labelled_set *s;
    double *w;
    int i;
} one_example;

static double perceptron_loss_at(void *ctx_)
{
    one_example *ctx = ctx_;
    return perceptron_loss(margin(ctx->w, ctx->s, ctx->i));
}

static void test_perceptron_rule(void)
{
    nn_rng rng = nn_rng_new(5);
    labelled_set s = random_set(20, 4, &rng);
    double w[4] = {0.3, -0.8, 0.5, 0.1};
    int tested = 0, all_equal = 1, all_mistakes_moved = 1, correct_untouched = 1;
    for (int i = 0; i < s.n; i++) {
        double m = margin(w, &s, i), before[4], after[4], numeric[4];
        memcpy(before, w, sizeof w);
        memcpy(after, w, sizeof w);
        int moved = perceptron_update(after, &s, i, 0.25);
        if (m > 0) {
            correct_untouched &= !moved && memcmp(after, before, sizeof w) == 0;
            continue;
        }
        all_mistakes_moved &= moved;
        one_example ctx = {&s, w, i};
        for (int j = 0; j < 4; j++) {
            double h = 1e-6, keep = w[j];
            w[j] = keep + h;
            double up = perceptron_loss_at(&ctx);
            w[j] = keep - h;
            double down = perceptron_loss_at(&ctx);
            w[j] = keep;
            numeric[j] = (up - down) / (2 * h);
            all_equal &= fabs(after[j] - (before[j] - 0.25 * numeric[j])) < 1e-8;
        }
        tested++;
    }
    nn_ok(tested >= 3, "the random set has mistakes to test the rule on (%d)", tested);
    nn_ok(all_mistakes_moved, "every mistake (m <= 0) moves w");
    nn_ok(correct_untouched, "a correctly classified example leaves w as it was");
    nn_ok(all_equal, "w + alpha y f(x) = w - alpha dL_perc/dw (central differences) for every mistake");

    /* The boundary case: from w = 0 every margin is 0, which counts as a
     * mistake, so learning starts. */
    double zero[4] = {0};
    nn_ok(perceptron_update(zero, &s, 0, 1) == 1 && zero[3] == s.y[0], "at w = 0 the first example is a mistake");
    labelled_set_free(&s);
}

/* Novikoff: on separable sets, total updates <= (R/gamma)^2, then no more
 * mistakes.  R and gamma are computed here from the data and the true line
 * the set was drawn from, independently of the training code. */
static void test_novikoff(void)
{
    static const double gaps[] = {0.02, 0.05, 0.1, 0.3};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++)
        for (uint64_t seed = 1; seed <= 3; seed++) {
            nn_rng rng = nn_rng_new(seed);
            labelled_set s;
            true_line line;
            if (separable_set(&s, 200, gaps[g], 0, &rng, &line) != NN_OK)
                nn_tap_bail_out("separable_set: %s", nn_last_error());
            double u[3], R = 0, gamma = INFINITY;
            line_as_unit_vector(&line, u);
            for (int i = 0; i < s.n; i++) {
                const double *f = s.f + (size_t)i * 3;
                R = fmax(R, sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]));
                gamma = fmin(gamma, s.y[i] * (u[0] * f[0] + u[1] * f[1] + u[2] * f[2]));
            }
            double bound = (R / gamma) * (R / gamma);
            int epochs = (int)bound + 2;    /* each epoch before convergence has >= 1 mistake */
            int *mistakes = nn_calloc((size_t)epochs, sizeof(int));
            double w[3];
            long updates = perceptron_train(w, &s, epochs, 1, &rng, mistakes, NULL, NULL);
            int min_margin_positive = 1;
            for (int i = 0; i < s.n; i++)
                min_margin_positive &= s.y[i] * (w[0] * s.f[i * 3] + w[1] * s.f[i * 3 + 1] + w[2]) > 0;
            nn_ok(gamma >= gaps[g] / sqrt(1 + line.offset * line.offset) - 1e-12 && gamma > 0,
                  "gap %g seed %d: the set is separated with gamma %.4f", gaps[g], (int)seed, gamma);
            nn_ok(updates <= bound, "gap %g seed %d: %ld updates <= (R/gamma)^2 = %.1f", gaps[g], (int)seed,
                  updates, bound);
            nn_ok(mistakes[epochs - 1] == 0 && min_margin_positive,
                  "gap %g seed %d: converged: no mistake in the last epoch, every margin > 0", gaps[g], (int)seed);
            nn_ok(fabs(radius(&s) - R) < 1e-12 && fabs(gap_along(u, &s) - gamma) < 1e-12,
                  "gap %g seed %d: the chapter's R and gamma agree", gaps[g], (int)seed);
            free(mistakes);
            labelled_set_free(&s);
        }
}

/* XOR: in any order, with any learning rate, never an epoch without a
 * mistake (section 1 proved no w classifies all four rows). */
static void test_xor_never_converges(void)
{
    nn_dataset gate;
    if (nn_make_gate(&gate, "xor") != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    labelled_set s = labelled_set_from(&gate);
    nn_dataset_free(&gate);
    enum { EPOCHS = 2000 };
    static const double alphas[] = {1, 0.1, 0.5};
    for (int k = 0; k < 3; k++) {
        nn_rng rng = nn_rng_new(10 + (uint64_t)k);
        int *mistakes = nn_calloc(EPOCHS, sizeof(int));
        double w[3];
        perceptron_train(w, &s, EPOCHS, alphas[k], &rng, mistakes, NULL, NULL);
        int min = 4;
        for (int e = 0; e < EPOCHS; e++)
            min = mistakes[e] < min ? mistakes[e] : min;
        nn_ok(min >= 1, "XOR, alpha %g: every one of %d epochs has a mistake (fewest: %d)", alphas[k], EPOCHS, min);
        free(mistakes);
    }
    nn_is_int(s.D, 3, "XOR features are (x1, x2, 1)");
    nn_ok(s.y[0] == -1 && s.y[1] == +1 && s.y[2] == +1 && s.y[3] == -1, "XOR labels map 0/1 to -1/+1");
    labelled_set_free(&s);
}

/* From w = 0 the learning rate only rescales w: the same mistakes, and w
 * in proportion to alpha. */
static void test_alpha_only_scales(void)
{
    nn_rng data_rng = nn_rng_new(21);
    labelled_set s;
    true_line line;
    if (separable_set(&s, 100, 0.05, 0.1, &data_rng, &line) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    enum { EPOCHS = 10 };
    int m1[EPOCHS], m2[EPOCHS];
    double w1[3], w2[3], avg1[3], avg2[3];
    nn_rng a = nn_rng_new(4), b = nn_rng_new(4);
    perceptron_train(w1, &s, EPOCHS, 1, &a, m1, NULL, avg1);
    perceptron_train(w2, &s, EPOCHS, 0.01, &b, m2, NULL, avg2);
    nn_ok(memcmp(m1, m2, sizeof m1) == 0, "alpha 1 and alpha 0.01 make the same mistakes in every epoch");
    double scaled[3] = {w2[0] * 100, w2[1] * 100, w2[2] * 100};
    nn_is_close_doubles(scaled, w1, 3, 1e-12, 1e-12, "w(alpha = 0.01) = w(alpha = 1) / 100");
    double scaled_avg[3] = {avg2[0] * 100, avg2[1] * 100, avg2[2] * 100};
    nn_is_close_doubles(scaled_avg, avg1, 3, 1e-12, 1e-12, "the averaged w scales the same way");
    labelled_set_free(&s);
}

/* ---- Section 3: logistic regression ---- */
typedef struct {
    const labelled_set *s;
    double *w;
} risk_context;

static double risk_at(void *ctx_)
{
    risk_context *ctx = ctx_;
    return logistic_risk(ctx->w, ctx->s);
}

static void test_logistic_gradient(void)
{
    nn_rng rng = nn_rng_new(8);
    for (int trial = 0; trial < 3; trial++) {
        labelled_set s = random_set(30, 5, &rng);
        double w[5], grad[5];
        for (int j = 0; j < 5; j++)
            w[j] = nn_rng_normal(&rng) * (trial + 1);   /* larger w: margins further from 0 */
        logistic_gradient(grad, w, &s);
        risk_context ctx = {&s, w};
        char name[64];
        snprintf(name, sizeof name, "logistic risk gradient, trial %d (||w|| scale %d)", trial, trial + 1);
        nn_gradcheck_doubles(name, risk_at, &ctx, w, grad, 5, 1e-6, 1e-7);
        labelled_set_free(&s);
    }
}

static void test_logistic_training(void)
{
    synthetic_sets sets;
    options o = {.epochs = 5, .alpha = 0.5, .points = 100, .gap = 0.1};
    o.common.seed = 42;
    make_synthetic_sets(&sets, &o);
    enum { T = 8000 };
    double *norms = nn_doubles(T), w[3];

    /* Separable: ||w|| keeps growing, the risk falls towards 0 but stays > 0. */
    if (logistic_train(w, &sets.separable, T, 0.5, norms) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    int increasing = 1;
    for (int t = 1; t < T; t++)
        increasing &= norms[t] > norms[t - 1];
    nn_ok(increasing, "separable: ||w|| increases at every one of %d steps (%.2f -> %.2f)", T, norms[0],
          norms[T - 1]);
    nn_ok(norms[T - 1] - norms[T / 2 - 1] > 0.1 * norms[T / 2 - 1],
          "separable: still growing late: ||w|| %.2f at %d steps, %.2f at %d", norms[T / 2 - 1], T / 2,
          norms[T - 1], T);
    double risk = logistic_risk(w, &sets.separable);
    nn_ok(risk > 0 && risk < 0.02, "separable: risk %.2e is small but not 0", risk);
    /* Doubling a separating w lowers the risk: no finite w is the maximum. */
    double w2[3] = {2 * w[0], 2 * w[1], 2 * w[2]};
    nn_ok(accuracy(w, &sets.separable) == 1 && logistic_risk(w2, &sets.separable) < risk,
          "separable: w separates the set and 2w has a lower risk");

    /* Noisy (not separable): ||w|| settles and the gradient vanishes. */
    if (logistic_train(w, &sets.noisy, T, 0.5, norms) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    nn_is_close(norms[T - 1], norms[T / 2 - 1], 1e-6, 0, "flipped labels: ||w|| has settled");
    double grad[3];
    logistic_gradient(grad, w, &sets.noisy);
    nn_ok(sqrt(score(grad, grad, 3)) < 1e-8, "flipped labels: the gradient at the end is ~0 (%.1e)",
          sqrt(score(grad, grad, 3)));

    /* XOR: by symmetry the gradient at w = 0 is 0 and the risk is convex, so
     * w = 0 is the minimiser, with risk log 2. */
    if (logistic_train(w, &sets.xor_set, 100, 0.5, NULL) != NN_OK)
        nn_tap_bail_out("%s", nn_last_error());
    nn_ok(fabs(w[0]) < 1e-12 && fabs(w[1]) < 1e-12 && fabs(w[2]) < 1e-12, "XOR: logistic regression stays at w = 0");
    nn_is_close(logistic_risk(w, &sets.xor_set), log(2.0), 1e-12, 0, "XOR: its risk is log 2");

    /* A diverging rate is reported, not returned as NaN: a set with a huge
     * feature makes the very first step overflow. */
    labelled_set huge = labelled_set_new(1, 2);
    huge.f[0] = 1e300;
    huge.f[1] = 1;
    huge.y[0] = 1;
    nn_clear_error();
    int status = logistic_train(w, &huge, 3, 100, NULL);
    nn_ok(status == NN_ERR, "a step to a non-finite w is an error");
    nn_contains(nn_last_error(), "--lr", "the message says to lower the learning rate");
    labelled_set_free(&huge);

    free(norms);
    labelled_set_free(&sets.separable);
    labelled_set_free(&sets.noisy);
    labelled_set_free(&sets.xor_set);
    labelled_set_free(&sets.xor_cloud);
}

/* ---- The library's dense layer computes the chapter's scores ---- */
static void test_dense_equals_score(void)
{
    enum { B = 17, d = 9, D = d + 1 };
    nn_rng rng = nn_rng_new(13);
    float x[B * d], W[d], b[1], out[B];
    nn_rng_fill_normal(&rng, x, B * d, 0, 1);
    nn_rng_fill_normal(&rng, W, d, 0, 1);
    b[0] = (float)nn_rng_normal(&rng);
    double w[D], want[B];
    for (int j = 0; j < d; j++)
        w[j] = W[j];
    w[d] = b[0];
    for (int n = 0; n < B; n++) {
        double f[D];
        for (int j = 0; j < d; j++)
            f[j] = x[n * d + j];
        f[d] = 1;
        want[n] = score(w, f, D);
    }
    nn_dense_forward(out, x, W, b, B, d, 1);
    double got[B];
    for (int n = 0; n < B; n++)
        got[n] = out[n];
    /* float accumulation of 10 terms of size ~1: a few float ulps */
    nn_is_close_doubles(got, want, B, 1e-5, 1e-5, "nn_dense_forward with O = 1 gives the chapter's scores w.f(x)");
}

/* ---- Section 4: the real data ---- */
static void test_real_data(void)
{
    labelled_set train, test;
    char description[256];
    if (load_real_data("iris-setosa", 42, &train, &test, description, sizeof description) != NN_OK) {
        nn_skip(nn_last_error(), "iris-setosa is separable: the perceptron converges");
        return;
    }
    nn_is_int(train.n + test.n, 100, "iris-setosa keeps the 100 setosa and versicolor flowers");
    nn_is_int(train.D, 5, "iris features: 4 measurements and the constant 1");
    nn_contains(description, "setosa = -1 vs versicolor = +1", "the description names the classes");
    double mean = 0;
    for (int i = 0; i < train.n; i++)
        mean += train.f[(size_t)i * 5];
    nn_is_close(mean / train.n, 0, 0, 1e-6, "the training features are standardised (mean 0)");
    int mistakes[50];
    double w[5];
    nn_rng rng = nn_rng_new(1);
    perceptron_train(w, &train, 50, 1, &rng, mistakes, NULL, NULL);
    nn_ok(mistakes[49] == 0 && accuracy(w, &train) == 1,
          "iris-setosa is separable: the perceptron converges to 100%% training accuracy");
    labelled_set_free(&train);
    labelled_set_free(&test);

    setenv("NNLAB_DATA_DIR", "/nonexistent-nnlab-data", 1);
    nn_clear_error();
    nn_ok(load_real_data("breast-cancer", 42, &train, &test, description, sizeof description) == NN_ERR,
          "a missing data directory is an error");
    nn_contains(nn_last_error(), "breast_cancer.csv", "the message names the missing file");
    unsetenv("NNLAB_DATA_DIR");
}

/* ---- helpers for figures ---- */
static void test_clip_line(void)
{
    double ends[4];
    double diagonal[3] = {1, -1, 0};   /* x1 = x2 */
    nn_ok(clip_line(diagonal, -1, 1, ends) && fabs(fabs(ends[0]) - 1) < 1e-12 && fabs(ends[0] - ends[1]) < 1e-12 &&
              fabs(ends[2] - ends[3]) < 1e-12 && ends[0] != ends[2],
          "the diagonal x1 = x2 is clipped to the corners (-1,-1), (1,1)");
    double outside[3] = {1, 0, -5};    /* x1 = 5 */
    nn_ok(!clip_line(outside, -1, 1, ends), "a line outside the square has no segment");
    double none[3] = {0, 0, 1};
    nn_ok(!clip_line(none, -1, 1, ends), "w1 = w2 = 0 draws no line");
}

int main(void)
{
    nn_tap_timeout(60);
    test_gate_neurons();
    test_xor_search();
    test_losses();
    test_perceptron_rule();
    test_novikoff();
    test_xor_never_converges();
    test_alpha_only_scales();
    test_logistic_gradient();
    test_logistic_training();
    test_dense_equals_score();
    test_real_data();
    test_clip_line();
    return nn_tap_done();
}
