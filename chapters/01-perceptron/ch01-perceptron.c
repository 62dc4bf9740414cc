/* Chapter 1: The perceptron
 * =========================
 *
 * The simplest neural network is one neuron.  It adds up its inputs, each
 * multiplied by a weight, and fires when the sum is large enough.  This
 * chapter builds that neuron three times over:
 *
 *   section 1  threshold logic: AND, OR and NOT neurons with weights set by
 *              hand (deck 003), and why no single neuron computes XOR;
 *   section 2  the perceptron: a loss, a learning rule that minimises it, and
 *              the guarantee that the rule stops on linearly separable data
 *              (decks 000 and 002), next to its endless cycling on XOR;
 *   section 3  the perceptron next to logistic regression: the same score,
 *              two losses of the margin, and what differs (deck 000,
 *              "putting things in perspective");
 *   section 4  both on real data (breast cancer, or two iris species), with
 *              train and test accuracy.
 *
 * Notation (decks 000 and 002).  An example is an input x with a label
 * y in {-1, +1}.  The neuron sees a feature vector f(x): here the inputs
 * themselves followed by a constant 1, so that the last weight plays the role
 * of the bias (the threshold, with its sign flipped):
 *
 *     f(x) = (x_1, ..., x_d, 1),        w = (w_1, ..., w_d, w_0)
 *
 * The neuron's score is w.f(x) and it predicts sign(w.f(x)).  The product
 *
 *     m = y w.f(x)
 *
 * is the margin: positive when the prediction is right, negative when it is
 * wrong, and the further from zero, the more confidently so.  Both losses of
 * this chapter are functions of m alone.
 *
 * Everything here is computed in plain loops in double precision: one neuron
 * needs no speed, and the numbers should be easy to check by hand.
 *
 * Build and run:   make ch01-perceptron && ./ch01-perceptron
 * Figures:         ./ch01-perceptron --out . && gnuplot plots/01-perceptron/NAME.gp
 *                  (or `make figures`: every chapter, every figure)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

#define CHAPTER "01-perceptron"

/* ======================================================================
 * Section 1. Threshold logic
 * ======================================================================
 *
 * Deck 003 draws a neuron "me" that receives activations a_j from the units
 * before it, weighs each by w_{j,me} and passes the sum through an activation
 * function g:
 *
 *     a_me = g( sum_j w_{j,me} a_j )
 *
 * With the step function g(in) = 1 if in > 0, else 0, the neuron is a
 * threshold unit: it outputs 1 exactly when the weighted sum of its inputs
 * exceeds the threshold -w_0 (a_0 = 1 is the constant input that carries the
 * bias weight w_0).  Deck 003 shows that with the right weights this unit
 * computes "and", and that there are "or" and "not" neurons too.  Weights
 * that do it, with inputs a_1, a_2 in {0, 1}:
 *
 *     AND:  w_0 = -1.5, w_1 = 1, w_2 = 1    fires only when a_1 + a_2 > 1.5
 *     OR:   w_0 = -0.5, w_1 = 1, w_2 = 1    fires when a_1 + a_2 > 0.5
 *     NOT:  w_0 =  0.5, w_1 = -1            fires when a_1 < 0.5
 *
 * Each threshold sits halfway between the input sums that must give 0 and
 * those that must give 1, so every row of the truth table is decided with
 * room to spare (a sum of 0.5 away from the threshold).  Many other weights
 * work as well: any that put the same rows on the same sides. */
typedef struct {
    const char *name;
    int n_inputs;        /* 1 or 2 */
    double w[3];         /* w_1, ..., w_{n_inputs}, then the bias weight w_0 */
} gate_neuron;

static const gate_neuron gate_neurons[] = {
    {"AND", 2, {1, 1, -1.5}},
    {"OR", 2, {1, 1, -0.5}},
    {"NOT", 1, {-1, 0.5, 0}},
};
enum { N_GATE_NEURONS = sizeof gate_neurons / sizeof gate_neurons[0] };

/* g(in): the step function of threshold logic. */
static int step(double in) { return in > 0; }

/* a_me = g(sum_j w_j a_j + w_0) for inputs a_1..a_n; w holds w_1..w_n, w_0. */
static int threshold_unit(const double *w, const int *a, int n_inputs)
{
    double in = w[n_inputs];               /* w_0 a_0, with a_0 = 1 */
    for (int j = 0; j < n_inputs; j++)
        in += w[j] * a[j];
    return step(in);
}

/* Why XOR cannot be done by one unit.  XOR must output 0 for (0,0) and
 * (1,1) and 1 for (0,1) and (1,0).  For a threshold unit that means
 *
 *     (0,0) -> 0:   w_0             <= 0
 *     (1,0) -> 1:   w_0 + w_1       >  0
 *     (0,1) -> 1:   w_0 + w_2       >  0
 *     (1,1) -> 0:   w_0 + w_1 + w_2 <= 0
 *
 * Adding the middle two gives 2 w_0 + w_1 + w_2 > 0, that is
 * w_0 + w_1 + w_2 > -w_0 >= 0, which contradicts the last line.  In pictures:
 * the unit's decision boundary w_1 a_1 + w_2 a_2 + w_0 = 0 is a straight
 * line, and no straight line puts the two diagonal corners of the square on
 * one side and the other two on the other side ("Limitations of the
 * Perceptron", deck 002).  It takes a second layer (chapter 2).
 *
 * The proof can also be watched: search a grid of weights and count, for the
 * best unit found, how many rows of a truth table it gets right.  For AND and
 * OR the search finds units with all rows right; for XOR no unit does better
 * than three rows out of four, however fine the grid. */
static int best_unit_on_truth_table(const int *truth, int n_inputs, double limit, double spacing)
{
    int n_rows = 1 << n_inputs;
    int steps = (int)lround(2 * limit / spacing);
    int best = 0;
    double w[3];
    int n_weights = n_inputs + 1;
    long combos = 1;
    for (int k = 0; k < n_weights; k++)
        combos *= steps + 1;
    for (long c = 0; c < combos; c++) {
        long rest = c;
        for (int k = 0; k < n_weights; k++) {
            w[k] = -limit + spacing * (double)(rest % (steps + 1));
            rest /= steps + 1;
        }
        int right = 0;
        for (int r = 0; r < n_rows; r++) {
            /* row r lists the inputs in binary, the first input as the high bit:
             * 00, 01, 10, 11, the order of nn_make_gate */
            int a[2] = {n_inputs == 2 ? (r >> 1) & 1 : r & 1, r & 1};
            right += threshold_unit(w, a, n_inputs) == truth[r];
        }
        if (right > best)
            best = right;
    }
    return best;
}

/* ======================================================================
 * Section 2. The perceptron: its loss and its learning rule
 * ======================================================================
 *
 * Setting weights by hand does not scale.  The perceptron learns them from
 * labelled examples.  It keeps the threshold unit but writes its output as
 * sign(w.f(x)) in {-1, +1}, the labels' values, and judges w by the
 * perceptron loss of decks 000 and 002:
 *
 *     L_perc(x, y) = 0             if y w.f(x) > 0
 *                    -y w.f(x)     if y w.f(x) <= 0
 *
 * that is L_perc = max(0, -m) in the margin m = y w.f(x).  A correctly
 * classified example costs nothing; a misclassified one costs |w.f(x)|,
 * which is ||w|| times its distance to the boundary w.f(x) = 0: the further
 * on the wrong side, the more it costs.  A margin of exactly 0, on the boundary, counts as a
 * mistake; that is what lets learning start from w = 0, where every margin
 * is 0.
 *
 * Its gradient with respect to w is 0 for a correct example and -y f(x) for
 * a mistake (at m = 0 exactly, where the loss has a kink, -y f(x) is one of
 * its subgradients).  Stochastic gradient descent with learning rate alpha,
 * w <- w - alpha dL/dw, one example at a time, is then the perceptron
 * learning rule:
 *
 *     if y w.f(x) <= 0:   w <- w + alpha y f(x)
 *
 * A mistake on a positive example tips w towards f(x), one on a negative
 * example away from it; after the step the example's margin has grown by
 * alpha ||f(x)||^2.
 *
 * The data live in a labelled_set: the feature vectors f(x_i) as rows of an
 * (n, D) array, D = d + 1 with the constant 1 last, and the labels y_i in
 * {-1, +1}. */
typedef struct {
    int n;          /* examples */
    int D;          /* features per example, including the constant 1 */
    double *f;      /* (n, D): row i is f(x_i) */
    int *y;         /* (n): -1 or +1 */
} labelled_set;

static labelled_set labelled_set_new(int n, int D)
{
    labelled_set s = {n, D, nn_doubles((size_t)n * (size_t)D), nn_calloc((size_t)n, sizeof(int))};
    return s;
}

static void labelled_set_free(labelled_set *s)
{
    free(s->f);
    free(s->y);
    memset(s, 0, sizeof *s);
}

/* The library's data sets have class labels 0 and 1 and no constant
 * feature: y = 2 label - 1, f(x) = (x, 1). */
static labelled_set labelled_set_from(const nn_dataset *ds)
{
    labelled_set s = labelled_set_new(ds->n, ds->d + 1);
    for (int i = 0; i < ds->n; i++) {
        for (int j = 0; j < ds->d; j++)
            s.f[(size_t)i * s.D + j] = ds->x[(size_t)i * ds->d + j];
        s.f[(size_t)i * s.D + ds->d] = 1;
        s.y[i] = ds->y[i] ? +1 : -1;
    }
    return s;
}

/* w.f(x): the score of one example. */
static double score(const double *w, const double *f, int D)
{
    double s = 0;
    for (int j = 0; j < D; j++)
        s += w[j] * f[j];
    return s;
}

/* m = y w.f(x) of example i. */
static double margin(const double *w, const labelled_set *s, int i)
{
    return s->y[i] * score(w, s->f + (size_t)i * s->D, s->D);
}

/* L_perc as a function of the margin: max(0, -m). */
static double perceptron_loss(double m) { return m > 0 ? 0 : -m; }

/* The perceptron learning rule for example i: returns 1 if it was a
 * mistake (and w moved), 0 if not. */
static int perceptron_update(double *w, const labelled_set *s, int i, double alpha)
{
    if (margin(w, s, i) > 0)
        return 0;
    const double *f = s->f + (size_t)i * s->D;
    for (int j = 0; j < s->D; j++)
        w[j] += alpha * s->y[i] * f[j];
    return 1;
}

/* Fraction of the set that sign(w.f(x)) classifies correctly (a score of
 * exactly 0 counts as wrong, as in the loss). */
static double accuracy(const double *w, const labelled_set *s)
{
    int right = 0;
    for (int i = 0; i < s->n; i++)
        right += margin(w, s, i) > 0;
    return s->n ? (double)right / s->n : 0;
}

/* Training: `epochs` passes over the set, each in a fresh random order (the
 * "stochastic" of SGD; the convergence guarantee below holds for any order),
 * starting from w = 0.
 *
 *   mistakes[e]   the number of updates during epoch e (e = 0..epochs-1);
 *   history       if not NULL, (epochs + 1, D): w before the first epoch
 *                 and after each one, for the figures;
 *   w_averaged    if not NULL, the average of w over every step of
 *                 training (see section 4).
 *
 * Returns the total number of updates.
 *
 * A remark on alpha: from w = 0, every w the rule produces is alpha times a
 * sum of the vectors y_i f(x_i), so changing alpha only rescales w, and
 * sign(w.f(x)), the mistakes and the boundaries stay exactly the same.
 * Unlike the gradient descent of later chapters, the perceptron does not
 * depend on its learning rate at all. */
static long perceptron_train(double *w, const labelled_set *s, int epochs, double alpha, nn_rng *rng,
                             int *mistakes, double *history, double *w_averaged)
{
    int *order = nn_malloc((size_t)s->n * sizeof *order);
    long updates = 0;
    memset(w, 0, (size_t)s->D * sizeof *w);
    if (w_averaged)
        memset(w_averaged, 0, (size_t)s->D * sizeof *w_averaged);
    if (history)
        memcpy(history, w, (size_t)s->D * sizeof *w);
    for (int e = 0; e < epochs; e++) {
        nn_rng_permutation(rng, order, (size_t)s->n);
        int wrong = 0;
        for (int k = 0; k < s->n; k++) {
            wrong += perceptron_update(w, s, order[k], alpha);
            if (w_averaged)
                for (int j = 0; j < s->D; j++)
                    w_averaged[j] += w[j];
        }
        mistakes[e] = wrong;
        updates += wrong;
        if (history)
            memcpy(history + (size_t)(e + 1) * s->D, w, (size_t)s->D * sizeof *w);
    }
    if (w_averaged)
        for (int j = 0; j < s->D; j++)
            w_averaged[j] /= (double)epochs * s->n;
    free(order);
    return updates;
}

/* Convergence on linearly separable data (Novikoff, 1962).  Suppose some
 * unit vector u separates the data with a gap: y_i u.f(x_i) >= gamma > 0 for
 * every i, and every example is bounded, ||f(x_i)|| <= R.  Then the
 * perceptron makes at most (R / gamma)^2 mistakes in total, in whatever
 * order the examples come, and after that it classifies every example
 * correctly.  The argument, for alpha = 1 and w starting at 0, after k
 * mistakes:
 *
 *   - each mistake adds y_i f(x_i) to w, so u.w grows by y_i u.f(x_i) >= gamma:
 *         u.w >= k gamma;
 *   - each mistake happens where y_i w.f(x_i) <= 0, so
 *         ||w + y_i f(x_i)||^2 = ||w||^2 + 2 y_i w.f(x_i) + ||f(x_i)||^2
 *                             <= ||w||^2 + R^2,
 *     and ||w||^2 <= k R^2;
 *   - u is a unit vector, so u.w <= ||w||:  k gamma <= sqrt(k) R,
 *     that is k <= (R / gamma)^2.
 *
 * w aligns with u faster than it grows, and the bound says how long that
 * can go on.  The bound does not depend on the number of examples or their
 * order, only on how cleanly the classes are separated.
 *
 * The experiment below draws points in the square [-1, 1]^2 and labels them
 * by the side of a random line, leaving an empty band of half-width `gap`
 * around the line; the gap is what makes gamma > 0.  The line is
 * n.x = c with n a unit vector, so in the features f(x) = (x, 1) the
 * separating unit vector is u = (n, -c) / sqrt(1 + c^2) and
 * gamma >= gap / sqrt(1 + c^2). */
typedef struct {
    double normal[2];   /* n, a unit vector */
    double offset;      /* c */
} true_line;

static int separable_set(labelled_set *s, int n, double gap, double flip, nn_rng *rng, true_line *line)
{
    double angle = nn_rng_range(rng, 0, 2 * acos(-1.0));   /* 2 pi */
    line->normal[0] = cos(angle);
    line->normal[1] = sin(angle);
    line->offset = nn_rng_range(rng, -0.3, 0.3);
    *s = labelled_set_new(n, 3);
    for (int i = 0; i < n; i++) {
        double x1, x2, distance;
        int tries = 0;
        do {
            if (++tries > 100000) {
                labelled_set_free(s);
                return nn_error("cannot draw points outside a band of half-width %g around the line: "
                                "choose a smaller --gap", gap);
            }
            x1 = nn_rng_range(rng, -1, 1);
            x2 = nn_rng_range(rng, -1, 1);
            distance = line->normal[0] * x1 + line->normal[1] * x2 - line->offset;
        } while (fabs(distance) < gap);
        double *f = s->f + (size_t)i * 3;
        f[0] = x1;
        f[1] = x2;
        f[2] = 1;
        s->y[i] = distance > 0 ? +1 : -1;
        /* label noise: with probability `flip` the label is the wrong one */
        if (flip > 0 && nn_rng_uniform(rng) < flip)
            s->y[i] = -s->y[i];
    }
    return NN_OK;
}

/* R = max_i ||f(x_i)|| and gamma = min_i y_i u.f(x_i) for a given unit u:
 * the two numbers of Novikoff's bound. */
static double radius(const labelled_set *s)
{
    double r = 0;
    for (int i = 0; i < s->n; i++) {
        const double *f = s->f + (size_t)i * s->D;
        r = fmax(r, sqrt(score(f, f, s->D)));
    }
    return r;
}

static double gap_along(const double *u, const labelled_set *s)
{
    double g = INFINITY;
    for (int i = 0; i < s->n; i++)
        g = fmin(g, margin(u, s, i));
    return g;
}

static void line_as_unit_vector(const true_line *line, double *u)
{
    double norm = sqrt(1 + line->offset * line->offset);
    u[0] = line->normal[0] / norm;
    u[1] = line->normal[1] / norm;
    u[2] = -line->offset / norm;
}

/* ======================================================================
 * Section 3. The perceptron next to logistic regression
 * ======================================================================
 *
 * Logistic regression uses the same score w.f(x) but reads it as a
 * probability, P(y = +1 | x) = sigma(w.f(x)) with the sigmoid
 * sigma(z) = 1 / (1 + e^-z), and fits w by maximum likelihood.  Its loss,
 * the negative log-likelihood of one example, is written in deck 000 with
 * two cases:
 *
 *     L_lr(x, y) = -y w.f(x) + log(1 + exp(y w.f(x)))    if y = +1
 *                  log(1 + exp(-y w.f(x)))               if y = -1
 *
 * Both cases are the same function of the margin m = y w.f(x):
 * -m + log(1 + e^m) = log(e^-m (1 + e^m)) = log(1 + e^-m).  So
 *
 *     L_perc(m) = max(0, -m),        L_lr(m) = log(1 + e^-m).
 *
 * For a large negative margin the two agree (log(1 + e^-m) ~ -m): both
 * charge a bad mistake in proportion to how bad it is.  They part ways for
 * m > 0.  L_perc is exactly 0 there: once every example is on its side,
 * nothing moves, and the perceptron has converged.  L_lr is positive for
 * every finite m: a correctly classified example still pulls, asking for a
 * larger margin.  On linearly separable data the pull never stops: any w
 * that separates the data can be scaled up, 2w, 10w, ..., and every margin
 * grows, so every log(1 + e^-m) shrinks.  The likelihood approaches its
 * supremum 1 only as ||w|| -> infinity: it "can never truly be maximized with
 * a finite w vector" (deck 000).  On data that are not separable, some
 * margins are negative, scaling w up makes them cost more, and a finite
 * minimiser exists.
 *
 * Deck 001 makes the same point about gradients: "some cost functions do
 * not have critical points.  In particular classification."  Here is why.
 * Take any u that separates the data, y_i u.f(x_i) > 0 for every i.  The
 * gradient below is a sum of terms -sigma(-m_i) y_i f(x_i), and each has a
 * negative component along u:
 *
 *     u . dE/dw = -(1/n) sum_i sigma(-m_i) y_i u.f(x_i) < 0    at every finite w,
 *
 * since every sigma(-m_i) > 0.  A gradient with a nonzero component is not
 * zero: E has no critical point, and gradient descent, which stops only at
 * one, never stops.  The run checks u . dE/dw < 0 at every step, with u the
 * line the separable set was drawn from.
 *
 * How fast does ||w|| grow?  Late in training the margins are large, the
 * loss of each example is about e^-m_i, and the examples of smallest margin
 * (the support vectors) dominate the sum.  If w points along the unit vector
 * u* that maximises the smallest margin gamma = min_i y_i u*.f(x_i) (the
 * hard-margin SVM direction, computed below), the smallest margins are
 * gamma ||w||, and gradient descent on a loss about e^(-gamma ||w||) grows
 * ||w|| by the law d||w||/dt ~ c e^(-gamma ||w||), whose solution is
 *
 *     ||w_t|| = log(t) / gamma + O(log log t),
 *
 * and the direction w_t / ||w_t|| tends to u* (Soudry, Hoffer, Nacson,
 * Gunasekar and Srebro, "The implicit bias of gradient descent on separable
 * data", 2018).  Each tenfold increase in the number of steps then adds
 * log(10) / gamma to ||w||: for the separable set here, with gamma about
 * 0.1, about 23.  That is the asymptotic rate.  The run is far from it: in
 * 10^4 steps the examples beyond the support vectors still pull (their
 * e^-m_i are not yet negligible) and ||w|| has not grown enough for the
 * exponential tail to dominate, so the increments per decade are still
 * rising towards log(10) / gamma.  The run prints the increments and checks
 * that claim: they rise from decade to decade and stay below log(10) /
 * gamma.  (With --logistic-steps 1000000 they keep climbing towards it.)
 * Meanwhile the direction has long settled: the run checks that the cosine
 * between w and u* exceeds 0.999.
 *
 * Other differences, from the same slide: the perceptron is a learning rule
 * (a gradient step on a loss), logistic regression a probabilistic model
 * whose output means something (a probability); its loss is smooth
 * everywhere, the perceptron's has a kink at m = 0.
 *
 * log(1 + e^-m) is computed without overflow: for m < 0, e^-m can be huge,
 * so it is rewritten -m + log(1 + e^m), with e^m < 1. */
static double logistic_loss(double m)
{
    return m > 0 ? log1p(exp(-m)) : -m + log1p(exp(m));
}

/* sigma(z) = 1 / (1 + e^-z), without overflow for large |z|. */
static double sigmoid(double z)
{
    if (z >= 0)
        return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

/* The empirical risk: the mean of L_lr over the set,
 *     E(w) = (1/n) sum_i log(1 + exp(-y_i w.f(x_i))). */
static double logistic_risk(const double *w, const labelled_set *s)
{
    double sum = 0;
    for (int i = 0; i < s->n; i++)
        sum += logistic_loss(margin(w, s, i));
    return sum / s->n;
}

/* Its gradient, by the chain rule: dL_lr/dm = -e^-m / (1 + e^-m) = -sigma(-m)
 * and dm/dw = y f(x), so
 *     dE/dw = (1/n) sum_i -sigma(-m_i) y_i f(x_i).
 * Compare the perceptron: -y f(x) for mistakes, 0 otherwise.  Logistic
 * regression weighs every example by sigma(-m_i), the probability the model
 * gives to the wrong label: near 1 for bad mistakes, small but never 0 for
 * examples already right. */
static void logistic_gradient(double *grad, const double *w, const labelled_set *s)
{
    memset(grad, 0, (size_t)s->D * sizeof *grad);
    for (int i = 0; i < s->n; i++) {
        double weight = -sigmoid(-margin(w, s, i)) * s->y[i] / s->n;
        const double *f = s->f + (size_t)i * s->D;
        for (int j = 0; j < s->D; j++)
            grad[j] += weight * f[j];
    }
}

/* The direction u* of largest margin, by the dual of the hard-margin SVM
 * (the bias is one of the weights here, as it is for gradient descent):
 * minimise ||v||^2 / 2 subject to y_i v.f(x_i) >= 1.  Its dual,
 *     max over a >= 0 of  sum_i a_i - ||sum_i a_i y_i f(x_i)||^2 / 2,
 * is solved one coordinate a_i at a time, each exactly (clipped at 0), with
 * v = sum_i a_i y_i f(x_i) kept up to date.  Then gamma = 1 / ||v|| and
 * u* = v gamma.  Returns gamma, or 0 if the sweeps did not converge (data
 * that are not separable: v grows without bound). */
static double max_margin_direction(const labelled_set *s, double *u)
{
    double *a = nn_doubles((size_t)s->n), *v = nn_doubles((size_t)s->D);
    double gamma = 0;
    for (int sweep = 0; sweep < 20000; sweep++) {
        double largest_change = 0;
        for (int i = 0; i < s->n; i++) {
            const double *f = s->f + (size_t)i * s->D;
            double q = score(f, f, s->D);
            double violation = s->y[i] * score(v, f, s->D) - 1;  /* the dual's gradient, negated */
            double next = fmax(0, a[i] - violation / q);
            double change = next - a[i];
            if (change != 0) {
                for (int j = 0; j < s->D; j++)
                    v[j] += change * s->y[i] * f[j];
                a[i] = next;
                largest_change = fmax(largest_change, fabs(change) * q);
            }
        }
        if (largest_change < 1e-12) {
            double norm = sqrt(score(v, v, s->D));
            gamma = 1 / norm;
            for (int j = 0; j < s->D; j++)
                u[j] = v[j] / norm;
            break;
        }
    }
    free(a);
    free(v);
    return gamma;
}

/* Gradient descent on E(w) from w = 0, w <- w - alpha dE/dw, `steps` times.
 * norms[t] (if not NULL) receives ||w|| after step t + 1.  With a
 * separating unit vector (if not NULL), pointing_down counts the steps at
 * which u . dE/dw < 0.  Fails, rather than return nonsense, if w stops
 * being finite. */
static int logistic_train_watched(double *w, const labelled_set *s, int steps, double alpha, double *norms,
                                  const double *separator, int *pointing_down)
{
    double *grad = nn_doubles((size_t)s->D);
    memset(w, 0, (size_t)s->D * sizeof *w);
    if (pointing_down)
        *pointing_down = 0;
    for (int t = 0; t < steps; t++) {
        logistic_gradient(grad, w, s);
        /* deck 001's "no critical points": u . dE/dw < 0 for a separating u */
        if (separator && pointing_down)
            *pointing_down += score(separator, grad, s->D) < 0;
        for (int j = 0; j < s->D; j++)
            w[j] -= alpha * grad[j];
        double norm = sqrt(score(w, w, s->D));
        if (!isfinite(norm)) {
            free(grad);
            return nn_error("logistic regression diverged at step %d (||w|| is not finite): "
                            "lower the learning rate --lr", t + 1);
        }
        if (norms)
            norms[t] = norm;
    }
    free(grad);
    return NN_OK;
}

static int logistic_train(double *w, const labelled_set *s, int steps, double alpha, double *norms)
{
    return logistic_train_watched(w, s, steps, alpha, norms, NULL, NULL);
}

/* ======================================================================
 * Section 4. Real data
 * ======================================================================
 *
 * Two of the small tables shipped in data/ (sklearn's copies):
 *
 *   breast-cancer   569 tumours, 30 measurements of the cell nuclei,
 *                   malignant or benign;
 *   iris            versicolor vs virginica: two of the three iris species
 *                   by 4 measurements of the flower; these two overlap a
 *                   little: no plane separates all 100 flowers (a subset,
 *                   such as a training set, may still be separable);
 *   iris-setosa     setosa vs versicolor, which a line does separate.
 *
 * The examples are split 70/30 into a training and a test set, and every
 * feature is standardised with the training set's mean and standard
 * deviation (the test set must not leak into training, not even through its
 * mean).  Standardising puts the features on one scale, which gradient
 * descent needs to take steps that suit every weight.  The perceptron gains
 * too: its mistake bound grows with R, and a constant feature of 1 next to
 * features in the hundreds (breast cancer's cell areas) would leave the bias
 * weight to be learned in tiny steps.
 *
 * On data that are not separable the perceptron never settles: the last w
 * depends on which example happened to come last.  A classic remedy is the
 * averaged perceptron: predict with the average of w over all the steps of
 * training, which smooths the oscillation away (Freund and Schapire, 1999).
 *
 * A perceptron is a dense layer with one output: the scores of a batch of
 * inputs are in W^T + b with W = (w_1 .. w_d) of shape (1, d) and b = w_0.
 * Later chapters use the library's fast version of that, nn_dense_forward;
 * tests/ch01 checks it gives the scores of `score` above. */
static const char *const dataset_names[] = {"breast-cancer", "iris", "iris-setosa", NULL};

static int load_real_data(const char *name, uint64_t seed, labelled_set *train, labelled_set *test,
                          char *description, size_t description_size)
{
    nn_dataset all, train_ds, test_ds;
    int status;
    if (strcmp(name, "breast-cancer") == 0) {
        status = nn_load_breast_cancer(&all, NULL);
    } else {
        status = nn_load_iris(&all, NULL);
        if (status == NN_OK)
            status = strcmp(name, "iris") == 0 ? nn_keep_two_classes(&all, 1, 2)
                                               : nn_keep_two_classes(&all, 0, 1);
    }
    if (status != NN_OK) {
        nn_dataset_free(&all);
        return NN_ERR;
    }
    nn_rng rng = nn_rng_new(seed);
    if (nn_split(&all, 0.7, &rng, &train_ds, &test_ds) != NN_OK) {
        nn_dataset_free(&all);
        return NN_ERR;
    }
    nn_standardize(&train_ds, &train_ds, &test_ds);
    snprintf(description, description_size, "%s (%s = -1 vs %s = +1, %d features): %d train, %d test",
             name, all.class_names[0], all.class_names[1], all.d, train_ds.n, test_ds.n);
    *train = labelled_set_from(&train_ds);
    *test = labelled_set_from(&test_ds);
    nn_dataset_free(&all);
    nn_dataset_free(&train_ds);
    nn_dataset_free(&test_ds);
    return NN_OK;
}

/* ======================================================================
 * The experiments, their summary and their figures
 * ====================================================================== */
typedef struct {
    int epochs;              /* perceptron passes over the training set */
    double alpha;            /* learning rate */
    int logistic_steps;      /* gradient-descent steps of logistic regression */
    int points;              /* examples of the synthetic sets */
    double gap;              /* half-width of the empty band of the separable set */
    const char *dataset;     /* the real data set */
    nn_common common;
} options;

/* Keep "if (!ok) die" short: a figure that cannot be written ends the run
 * with the library's message (which names the path and the fix). */
static void check(int status)
{
    if (status != NN_OK)
        nn_die_last();
}

static void say_mistakes(const char *label, const int *mistakes, int epochs)
{
    nn_say("   %-22s", label);
    int shown = epochs < 15 ? epochs : 15;
    for (int e = 0; e < shown; e++)
        nn_say(" %d", mistakes[e]);
    nn_say(epochs > shown ? " ...\n" : "\n");
}

/* The segment of the line w_1 x_1 + w_2 x_2 + w_0 = 0 inside the square
 * [lo, hi]^2, for drawing decision boundaries; 0 if the line misses it (or
 * w_1 = w_2 = 0: no line at all). */
static int clip_line(const double *w, double lo, double hi, double *ends)
{
    int found = 0;
    for (int k = 0; k < 4 && found < 2; k++) {
        double edge = k % 2 ? hi : lo, x1, x2;
        if (k < 2) { /* vertical edges x_1 = edge */
            if (w[1] == 0)
                continue;
            x1 = edge;
            x2 = -(w[2] + w[0] * x1) / w[1];
        } else {     /* horizontal edges x_2 = edge */
            if (w[0] == 0)
                continue;
            x2 = edge;
            x1 = -(w[2] + w[1] * x2) / w[0];
        }
        if (x1 < lo - 1e-12 || x1 > hi + 1e-12 || x2 < lo - 1e-12 || x2 > hi + 1e-12)
            continue;
        if (found == 1 && fabs(x1 - ends[0]) < 1e-12 && fabs(x2 - ends[1]) < 1e-12)
            continue; /* the line passes through a corner: one point, two edges */
        ends[2 * found] = x1;
        ends[2 * found + 1] = x2;
        found++;
    }
    return found == 2;
}

static void write_points(FILE *f, const labelled_set *s)
{
    for (int i = 0; i < s->n; i++)
        fprintf(f, "%g %g %d\n", s->f[(size_t)i * s->D], s->f[(size_t)i * s->D + 1], s->y[i]);
}

/* Boundaries after epochs 1..last, one two-point block per epoch. */
static void write_boundaries(FILE *f, const double *history, int last, double lo, double hi)
{
    for (int e = 1; e <= last; e++) {
        double ends[4];
        if (!clip_line(history + (size_t)e * 3, lo, hi, ends))
            continue;
        fprintf(f, "%d %g %g\n%d %g %g\n\n", e, ends[0], ends[1], e, ends[2], ends[3]);
    }
}

/* One panel of the boundary figure: the points, the boundary after each
 * epoch coloured by epoch, optionally the true line dashed. */
static void boundary_panel(nn_fig *fig, const char *part, const char *title, double lo, double hi,
                           int last_epoch, int has_truth)
{
    nn_fig_cmd(fig, "set title '%s'", title);
    nn_fig_cmd(fig, "set xrange [%g:%g]; set yrange [%g:%g]", lo, hi, lo, hi);
    nn_fig_cmd(fig, "set cbrange [0.5:%g]; set cbtics 1", last_epoch + 0.5);
    char points[NN_FIG_PATH + 16], lines[NN_FIG_PATH + 16], truth[NN_FIG_PATH + 16];
    snprintf(points, sizeof points, "%s-points", part);
    snprintf(lines, sizeof lines, "%s-lines", part);
    snprintf(truth, sizeof truth, "%s-truth", part);
    nn_fig_cmd(fig,
               "plot '%s' using 2:3:1 with lines lw 2 lc palette notitle, \\\n"
               "     '%s' using 1:2:($3 > 0 ? nn_class1 : nn_class0) with points pt 7 ps %s "
               "lc rgb variable notitle, \\",
               nn_fig_path(fig, lines), nn_fig_path(fig, points), "0.7");
    nn_fig_cmd(fig, "     keyentry with points pt 7 ps 1 lc rgb nn_class1 title 'class y = +1', \\");
    nn_fig_cmd(fig, "     keyentry with points pt 7 ps 1 lc rgb nn_class0 title 'class y = -1'%s",
               has_truth ? ", \\" : "");
    if (has_truth)
        nn_fig_cmd(fig, "     '%s' using 1:2 with lines dt 2 lw 1.5 lc rgb '#444444' title 'true line'",
                   nn_fig_path(fig, truth));
}

/* ---- 1. threshold logic ---- */
static void experiment_gates(void)
{
    nn_say("1. Threshold logic: one unit, weights set by hand (deck 003)\n");
    for (int g = 0; g < N_GATE_NEURONS; g++) {
        const gate_neuron *gate = &gate_neurons[g];
        if (gate->n_inputs == 2)
            nn_say("   %-3s w1 = %4.1f  w2 = %4.1f  w0 = %4.1f:", gate->name, gate->w[0], gate->w[1],
                   gate->w[2]);
        else
            nn_say("   %-3s w1 = %4.1f             w0 = %4.1f:", gate->name, gate->w[0], gate->w[1]);
        for (int r = 0; r < 1 << gate->n_inputs; r++) {
            int a[2] = {gate->n_inputs == 2 ? r >> 1 : r, r & 1};
            if (gate->n_inputs == 2)
                nn_say("  %d%d->%d", a[0], a[1], threshold_unit(gate->w, a, 2));
            else
                nn_say("  %d->%d", a[0], threshold_unit(gate->w, a, 1));
        }
        nn_say("\n");
    }
    static const int and_truth[4] = {0, 0, 0, 1}, or_truth[4] = {0, 1, 1, 1}, xor_truth[4] = {0, 1, 1, 0};
    int best_and = best_unit_on_truth_table(and_truth, 2, 2, 0.1), best_or = best_unit_on_truth_table(or_truth, 2, 2, 0.1),
        best_xor = best_unit_on_truth_table(xor_truth, 2, 2, 0.1);
    nn_say("   best unit on a grid of weights in [-2, 2] (step 0.1), rows right out of 4:\n"
           "   AND %d, OR %d, XOR %d: no single unit computes XOR\n", best_and, best_or, best_xor);
    nn_claim(best_and == 4 && best_or == 4 && best_xor == 3, "xor-out-of-reach",
             "a grid search finds units for AND (%d of 4 rows) and OR (%d of 4), but none better than %d of 4 for XOR",
             best_and, best_or, best_xor);
}

/* ---- 2. the perceptron: convergence and non-convergence ---- */
/* The synthetic sets of sections 2 and 3: the separable set, the same
 * kind of set with label noise, the four rows of XOR, and a cloud of points
 * labelled like XOR (the TensorFlow Playground's "xor": class +1 where
 * x_1 x_2 > 0), on which the wandering boundary is easier to watch than on
 * four points. */
typedef struct {
    labelled_set separable, noisy, xor_set, xor_cloud;
    true_line line;
} synthetic_sets;

static void make_synthetic_sets(synthetic_sets *sets, const options *o)
{
    nn_rng rng = nn_rng_new(o->common.seed);
    check(separable_set(&sets->separable, o->points, o->gap, 0, &rng, &sets->line));
    true_line noisy_line;
    check(separable_set(&sets->noisy, o->points, o->gap, 0.1, &rng, &noisy_line));
    nn_dataset xor_gate;
    check(nn_make_gate(&xor_gate, "xor"));
    sets->xor_set = labelled_set_from(&xor_gate);
    nn_dataset_free(&xor_gate);
    nn_dataset cloud;
    check(nn_make_playground(&cloud, "xor", o->points, 0, &rng));
    sets->xor_cloud = labelled_set_from(&cloud);
    nn_dataset_free(&cloud);
}

/* Mistakes per epoch of every perceptron run, for the summary and the figure. */
typedef struct {
    int *separable, *noisy, *xor_set, *xor_cloud, *real;   /* (epochs) each */
} mistake_log;

static void experiment_perceptron(const synthetic_sets *sets, const options *o, mistake_log *log)
{
    int E = o->epochs;
    nn_rng rng = nn_rng_new(o->common.seed + 1);
    int *sep_mistakes = log->separable, *noisy_mistakes = log->noisy, *xor_mistakes = log->xor_set;
    double *sep_history = nn_doubles((size_t)(E + 1) * 3), *xor_history = nn_doubles((size_t)(E + 1) * 3);
    double w[3];

    nn_say("\n2. The perceptron: w <- w + alpha y f(x) on every mistake (decks 000, 002)\n");
    long updates = perceptron_train(w, &sets->separable, E, o->alpha, &rng, sep_mistakes, sep_history, NULL);
    double u[3];
    line_as_unit_vector(&sets->line, u);
    double R = radius(&sets->separable), gamma = gap_along(u, &sets->separable);
    int converged = -1;
    for (int e = 0; e < E && converged < 0; e++)
        if (sep_mistakes[e] == 0)
            converged = e + 1;
    nn_say("   linearly separable: %d points in [-1, 1]^2, none within %g of the true line\n", o->points, o->gap);
    say_mistakes("mistakes per epoch:", sep_mistakes, E);
    if (converged > 0)
        nn_say("   no mistake in epoch %d: converged after %ld updates; Novikoff's bound (R/gamma)^2 = "
               "(%.3f/%.4f)^2 = %.0f\n",
               converged, updates, R, gamma, (R / gamma) * (R / gamma));
    else
        nn_say("   not converged in %d epochs (%ld updates so far; Novikoff's bound (R/gamma)^2 = %.0f):"
               " try more --epochs\n",
               E, updates, (R / gamma) * (R / gamma));
    nn_say("   final w = (%.3f, %.3f, %.3f), training accuracy %.1f%%\n", w[0], w[1], w[2],
           100 * accuracy(w, &sets->separable));
    nn_claim(converged > 0 && updates <= (R / gamma) * (R / gamma) && accuracy(w, &sets->separable) == 1,
             "novikoff", "on the separable set the perceptron converges after %ld updates, within Novikoff's bound "
             "%.0f, and classifies all %d points", updates, (R / gamma) * (R / gamma), sets->separable.n);

    perceptron_train(w, &sets->noisy, E, o->alpha, &rng, noisy_mistakes, NULL, NULL);
    nn_say("   the same with 10%% of the labels flipped (not separable):\n");
    say_mistakes("mistakes per epoch:", noisy_mistakes, E);
    perceptron_train(w, &sets->xor_set, E, o->alpha, &rng, xor_mistakes, NULL, NULL);
    int xor_zero = 0;
    for (int e = 0; e < E; e++)
        xor_zero += xor_mistakes[e] == 0;
    nn_say("   XOR (its 4 rows):\n");
    say_mistakes("mistakes per epoch:", xor_mistakes, E);
    nn_say("   epochs without a mistake on XOR: %d of %d: the rule cycles forever\n", xor_zero, E);
    nn_claim(xor_zero == 0, "xor-cycles", "on XOR's four rows the perceptron has no epoch without a mistake in %d", E);
    perceptron_train(w, &sets->xor_cloud, E, o->alpha, &rng, log->xor_cloud, xor_history, NULL);
    nn_say("   XOR-shaped cloud (%d points, class +1 where x1 x2 > 0):\n", o->points);
    say_mistakes("mistakes per epoch:", log->xor_cloud, E);

    /* Figure: decision boundaries epoch by epoch, separable set and XOR. */
    nn_fig fig;
    check(nn_fig_begin_sized(&fig, CHAPTER, "boundary", 1100, 520));
    write_points(nn_fig_data(&fig, "separable-points", "x1 x2 y"), &sets->separable);
    int sep_last = converged > 0 ? converged : (E < 12 ? E : 12);
    write_boundaries(nn_fig_data(&fig, "separable-lines", "epoch x1 x2 (two points per boundary)"), sep_history,
                     sep_last, -1.05, 1.05);
    double truth_w[3] = {sets->line.normal[0], sets->line.normal[1], -sets->line.offset}, ends[4];
    FILE *truth = nn_fig_data(&fig, "separable-truth", "x1 x2 (the true line)");
    if (clip_line(truth_w, -1.05, 1.05, ends))
        fprintf(truth, "%g %g\n%g %g\n", ends[0], ends[1], ends[2], ends[3]);
    write_points(nn_fig_data(&fig, "xor-points", "x1 x2 y"), &sets->xor_cloud);
    int xor_last = E < 8 ? E : 8;
    write_boundaries(nn_fig_data(&fig, "xor-lines", "epoch x1 x2 (two points per boundary)"), xor_history,
                     xor_last, -5.5, 5.5);
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title 'perceptron decision boundary w.f(x) = 0 after each "
                     "epoch (colour: epoch)'");
    nn_fig_cmd(&fig, "set palette defined (0 '#FDE725', 0.5 '#21918C', 1 '#440154')");
    nn_fig_cmd(&fig, "set size ratio -1; set xlabel 'input x_1'; set ylabel 'input x_2'; set cblabel 'epoch'");
    nn_fig_cmd(&fig, "set key bottom right box opaque samplen 1 spacing 1.1");
    char title[128];
    snprintf(title, sizeof title, "separable: no mistake in epoch %d", converged);
    boundary_panel(&fig, "separable", converged > 0 ? title : "separable: not converged",
                   -1.05, 1.05, sep_last, 1);
    boundary_panel(&fig, "xor", "XOR-shaped cloud: the boundary never settles", -5.5, 5.5, xor_last, 0);
    nn_fig_cmd(&fig, "unset multiplot");
    check(nn_fig_end(&fig));

    free(sep_history);
    free(xor_history);
}

/* The figure of mistakes per epoch: section 2's synthetic sets beside
 * section 4's real training set. */
static void figure_mistakes(const mistake_log *log, const options *o)
{
    nn_fig fig;
    check(nn_fig_begin_sized(&fig, CHAPTER, "mistakes", 1100, 480));
    FILE *f = nn_fig_data(&fig, NULL, "epoch separable noisy xor xor_cloud real");
    for (int e = 0; e < o->epochs; e++)
        fprintf(f, "%d %d %d %d %d %d\n", e + 1, log->separable[e], log->noisy[e], log->xor_set[e],
                log->xor_cloud[e], log->real[e]);
    nn_fig_cmd(&fig, "set multiplot layout 1,2 title 'perceptron: mistakes (updates) per epoch'");
    nn_fig_cmd(&fig, "set xlabel 'epoch'; set ylabel 'mistakes'; set xrange [0.5:%g]; set yrange [0:*]",
               o->epochs + 0.5);
    nn_fig_cmd(&fig, "set title 'synthetic sets (%d points; XOR: 4)'", o->points);
    nn_fig_cmd(&fig, "set offsets 0, 0, graph 0.3, 0");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with linespoints ls 1 title 'separable', \\", nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '' using 1:3 with linespoints ls 2 title '10%% labels flipped', \\");
    nn_fig_cmd(&fig, "     '' using 1:5 with linespoints ls 5 title 'XOR-shaped cloud', \\");
    nn_fig_cmd(&fig, "     '' using 1:4 with linespoints ls 3 title 'XOR (4 rows)'");
    nn_fig_cmd(&fig, "unset key; set offsets 0, 0, graph 0.05, 0");
    nn_fig_cmd(&fig, "set title '%s (training set)' noenhanced", o->dataset);
    nn_fig_cmd(&fig, "plot '%s' using 1:6 with linespoints ls 4 title '%s'", nn_fig_path(&fig, NULL), o->dataset);
    nn_fig_cmd(&fig, "unset multiplot");
    check(nn_fig_end(&fig));
}

/* ---- 3. perceptron vs logistic regression ---- */
static void experiment_logistic(const synthetic_sets *sets, const options *o)
{
    int T = o->logistic_steps;
    double *sep_norms = nn_doubles((size_t)T), *noisy_norms = nn_doubles((size_t)T);
    double w_sep[3], w_noisy[3], w_xor[3];

    nn_say("\n3. Perceptron vs logistic regression: L_perc = max(0, -m), L_lr = log(1 + e^-m), m = y w.f(x)\n");
    double u_line[3];
    line_as_unit_vector(&sets->line, u_line);
    int pointing_down = 0;
    check(logistic_train_watched(w_sep, &sets->separable, T, o->alpha, sep_norms, u_line, &pointing_down));
    check(logistic_train(w_noisy, &sets->noisy, T, o->alpha, noisy_norms));
    check(logistic_train(w_xor, &sets->xor_set, T, o->alpha, NULL));
    nn_say("   ||w|| of logistic regression by gradient descent (alpha = %g), after\n", o->alpha);
    nn_say("   %-26s", "steps");
    for (int t = 10; t <= T; t *= 10)
        nn_say(" %8d", t);
    nn_say("\n   %-26s", "separable set:");
    for (int t = 10; t <= T; t *= 10)
        nn_say(" %8.3f", sep_norms[t - 1]);
    nn_say("\n   %-26s", "with 10% labels flipped:");
    for (int t = 10; t <= T; t *= 10)
        nn_say(" %8.3f", noisy_norms[t - 1]);
    nn_say("\n");
    /* What the table shows, judged from its last two columns (the claims
     * hold for gradient descent that is stable; a too-large alpha oscillates). */
    int half = T / 2 > 0 ? T / 2 : 1;
    double sep_growth = sep_norms[T - 1] - sep_norms[half - 1];
    double noisy_change = fabs(noisy_norms[T - 1] - noisy_norms[half - 1]) / fmax(noisy_norms[T - 1], 1e-300);
    if (sep_growth > 0)
        nn_say("   separable: ||w|| still grows (%+.3f over the last %d steps): no finite w maximises the "
               "likelihood\n", sep_growth, T - half);
    else
        nn_say("   separable: ||w|| did not grow over the last %d steps: alpha = %g is too large for gradient "
               "descent to be stable\n", T - half, o->alpha);
    if (noisy_change < 1e-4)
        nn_say("   flipped labels: ||w|| has settled (relative change %.1e over the last %d steps): a finite "
               "minimiser\n", noisy_change, T - half);
    else
        nn_say("   flipped labels: ||w|| still moves (relative change %.1e over the last %d steps): more "
               "--logistic-steps, or a smaller --lr\n", noisy_change, T - half);
    nn_say("   separable: risk %.2e after %d steps, still > 0; accuracy %.1f%%\n", logistic_risk(w_sep, &sets->separable),
           T, 100 * accuracy(w_sep, &sets->separable));
    nn_say("   XOR: w -> (%.1e, %.1e, %.1e), risk %.4f = log 2 = %.4f: the best it can do is p = 1/2 "
           "everywhere\n",
           w_xor[0], w_xor[1], w_xor[2], logistic_risk(w_xor, &sets->xor_set), log(2.0));
    double xor_w_size = fmax(fabs(w_xor[0]), fmax(fabs(w_xor[1]), fabs(w_xor[2])));
    nn_claim(xor_w_size < 1e-6 && fabs(logistic_risk(w_xor, &sets->xor_set) - log(2.0)) < 1e-9, "xor-logistic-half",
             "on XOR logistic regression stays at w = 0 (largest |w_j| %.1e) with risk log 2", xor_w_size);
    nn_claim(noisy_change < 1e-4, "flipped-labels-settle",
             "with flipped labels ||w|| settles at %.3f (relative change %.1e over the last %d steps)",
             noisy_norms[T - 1], noisy_change, T - half);

    /* Deck 001's "no critical points", and the rate of growth. */
    nn_say("   separable: u . dE/dw < 0 at %d of %d steps (u: the line the set was drawn from), so dE/dw is "
           "never 0\n", pointing_down, T);
    nn_claim(pointing_down == T && sep_growth > 0, "no-critical-point",
             "on the separable set the gradient has a negative component along the separating u at all %d steps "
             "(never zero), and ||w|| still grows (%+.3f over the last %d)", T, sep_growth, T - half);
    double u_star[3];
    double gamma = max_margin_direction(&sets->separable, u_star);
    double asymptote = log(10.0) / gamma;
    double cosine = score(w_sep, u_star, 3) / sqrt(score(w_sep, w_sep, 3));
    nn_say("   largest margin gamma = %.4f (hard-margin SVM direction u*); asymptotically ||w|| grows by\n"
           "   log(10) / gamma = %.2f per tenfold of steps.  Measured, per tenfold:", gamma, asymptote);
    int rising = 1, below = 1, decades = 0;
    double previous_increment = 0;
    for (int t = 100; t <= T; t *= 10) {
        double increment = sep_norms[t - 1] - sep_norms[t / 10 - 1];
        nn_say(" %.2f", increment);
        rising = rising && increment > previous_increment;
        below = below && increment < asymptote;
        previous_increment = increment;
        decades++;
    }
    nn_say("\n   %scos(w, u*) = %.5f after %d steps\n", rising && below ? "(still rising: the run is pre-asymptotic); " : "",
           cosine, T);
    nn_claim(gamma > 0 && decades >= 2 && rising && below, "norm-growth-pre-asymptotic",
             "||w|| gains more per tenfold of steps each decade (last %.2f) and stays below the asymptotic "
             "log(10) / gamma = %.2f: faster than log t so far, the run is pre-asymptotic", previous_increment,
             asymptote);
    nn_claim(cosine > 0.999, "direction-settles", "the direction has settled: cos(w, u*) = %.5f", cosine);

    nn_fig fig;
    check(nn_fig_begin(&fig, CHAPTER, "losses"));
    FILE *f = nn_fig_data(&fig, NULL, "margin perceptron logistic zero_one");
    for (int k = 0; k <= 240; k++) {
        double m = -3 + 6.0 * k / 240;
        fprintf(f, "%g %g %g %d\n", m, perceptron_loss(m), logistic_loss(m), m <= 0);
    }
    nn_fig_cmd(&fig, "set title 'losses as functions of the margin m = y w.f(x)'");
    nn_fig_cmd(&fig, "set xlabel 'margin m = y w.f(x)'; set ylabel 'loss'; set yrange [-0.1:3.2]");
    nn_fig_cmd(&fig, "set key top right");
    nn_fig_cmd(&fig, "set label 1 \"perceptron: exactly 0 for m > 0,\\nso learning stops once every m > 0\" "
                     "at -2.9,0.55 left");
    nn_fig_cmd(&fig, "set arrow 1 from -0.5,0.42 to 0.8,0.02 lc rgb '#0072B2'");
    nn_fig_cmd(&fig, "set label 2 \"logistic: > 0 for every finite m,\\nso it keeps pushing m (and ||w||) up\" "
                     "at 0.35,1.7 left");
    nn_fig_cmd(&fig, "set arrow 2 from 1.2,1.5 to 1.6,0.22 lc rgb '#D55E00'");
    nn_fig_cmd(&fig, "plot '%s' using 1:4 with lines ls 8 lw 1 dt 2 title 'mistake (0-1 loss)', \\",
               nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '' using 1:2 with lines ls 1 lw 3 title 'perceptron max(0, -m)', \\");
    nn_fig_cmd(&fig, "     '' using 1:3 with lines ls 2 lw 3 title 'logistic log(1 + exp(-m))'");
    check(nn_fig_end(&fig));

    check(nn_fig_begin(&fig, CHAPTER, "weight-norm"));
    f = nn_fig_data(&fig, NULL, "step norm_separable norm_noisy");
    for (int t = 1; t <= T; t++)
        if (t < 100 || t % (t < 1000 ? 10 : 100) == 0 || t == T)
            fprintf(f, "%d %g %g\n", t, sep_norms[t - 1], noisy_norms[t - 1]);
    nn_fig_cmd(&fig, "set title 'logistic regression by gradient descent (alpha = %g): ||w|| per step'", o->alpha);
    nn_fig_cmd(&fig, "set logscale x; set xlabel 'gradient-descent steps t'; set ylabel '||w||'; set yrange [0:*]");
    nn_fig_cmd(&fig, "set key top left");
    nn_fig_cmd(&fig, "plot '%s' using 1:2 with lines ls 1 lw 3 title 'separable: ||w|| grows without bound', \\",
               nn_fig_path(&fig, NULL));
    nn_fig_cmd(&fig, "     '' using 1:3 with lines ls 2 lw 3 title '10%% labels flipped: ||w|| settles', \\");
    nn_fig_cmd(&fig, "     [%g:%d] %g + log(x / %d) / %g with lines ls 8 lw 1.5 dt 2 "
                     "title 'the asymptotic slope log(t)/gamma (gamma = %.3f), for comparison'",
               T / 10.0, T, sep_norms[T - 1], T, gamma, gamma);
    check(nn_fig_end(&fig));

    free(sep_norms);
    free(noisy_norms);
}

/* ---- 4. real data ---- */
typedef struct {
    labelled_set train, test;
    char description[256];
} real_data;

static void experiment_real_data(real_data *data, const options *o, int *mistakes)
{
    labelled_set train = data->train, test = data->test;
    const char *description = data->description;
    double *w = nn_doubles((size_t)train.D), *w_avg = nn_doubles((size_t)train.D),
           *w_lr = nn_doubles((size_t)train.D);
    nn_rng rng = nn_rng_new(o->common.seed + 2);
    perceptron_train(w, &train, o->epochs, o->alpha, &rng, mistakes, NULL, w_avg);
    check(logistic_train(w_lr, &train, o->logistic_steps, o->alpha, NULL));

    nn_say("\n4. Real data: %s\n", description);
    say_mistakes("perceptron mistakes:", mistakes, o->epochs);
    nn_say("   %-30s train %5.1f%%   test %5.1f%%\n", "perceptron (last w):", 100 * accuracy(w, &train),
           100 * accuracy(w, &test));
    nn_say("   %-30s train %5.1f%%   test %5.1f%%\n", "averaged perceptron:", 100 * accuracy(w_avg, &train),
           100 * accuracy(w_avg, &test));
    nn_say("   %-30s train %5.1f%%   test %5.1f%%   (%d steps)\n", "logistic regression:",
           100 * accuracy(w_lr, &train), 100 * accuracy(w_lr, &test), o->logistic_steps);
    free(w);
    free(w_avg);
    free(w_lr);

    /* One test set of 171 tumours moves by 0.6 points per tumour, and which
     * tumours land in it is luck: seed 42's split happens to give logistic
     * regression 100%.  The same three methods on SPLITS different splits
     * (seeds seed, seed + 1, ...) show how much of a number is the split. */
    enum { SPLITS = 5 };
    double test_acc[3][SPLITS];
    for (int sp = 0; sp < SPLITS; sp++) {
        real_data split;
        if (load_real_data(o->dataset, o->common.seed + (uint64_t)sp, &split.train, &split.test, split.description,
                           sizeof split.description) != NN_OK)
            nn_die_last();
        int D = split.train.D;
        double *wp = nn_doubles((size_t)D), *wa = nn_doubles((size_t)D), *wl = nn_doubles((size_t)D);
        int *split_mistakes = nn_calloc((size_t)o->epochs, sizeof(int));
        nn_rng split_rng = nn_rng_new(o->common.seed + 2 + (uint64_t)sp);
        perceptron_train(wp, &split.train, o->epochs, o->alpha, &split_rng, split_mistakes, NULL, wa);
        check(logistic_train(wl, &split.train, o->logistic_steps, o->alpha, NULL));
        test_acc[0][sp] = accuracy(wp, &split.test);
        test_acc[1][sp] = accuracy(wa, &split.test);
        test_acc[2][sp] = accuracy(wl, &split.test);
        free(wp);
        free(wa);
        free(wl);
        free(split_mistakes);
        labelled_set_free(&split.train);
        labelled_set_free(&split.test);
    }
    static const char *const methods[3] = {"perceptron (last w):", "averaged perceptron:", "logistic regression:"};
    nn_say("   test accuracy over %d splits (seeds %llu-%llu): mean, min-max\n", SPLITS,
           (unsigned long long)o->common.seed, (unsigned long long)o->common.seed + SPLITS - 1);
    double mean[3];
    for (int k = 0; k < 3; k++) {
        double lo = 1, hi = 0, sum = 0;
        for (int sp = 0; sp < SPLITS; sp++) {
            lo = fmin(lo, test_acc[k][sp]);
            hi = fmax(hi, test_acc[k][sp]);
            sum += test_acc[k][sp];
        }
        mean[k] = sum / SPLITS;
        nn_say("     %-28s mean %5.1f%%   range %5.1f-%5.1f%%\n", methods[k], 100 * mean[k], 100 * lo, 100 * hi);
    }
}

#ifndef NN_CHAPTER_NO_MAIN
int main(int argc, char **argv)
{
    options o = {.epochs = 20, .alpha = 0.5, .logistic_steps = 10000, .points = 100, .gap = 0.1,
                 .dataset = "breast-cancer"};
    nn_option opts[] = {
        NN_OPT_INT("epochs", "N", "perceptron epochs (passes over the training set)", &o.epochs, 1, 100000),
        NN_OPT_DOUBLE("lr", "ALPHA", "learning rate alpha (perceptron and logistic regression)", &o.alpha, 1e-6,
                      100),
        NN_OPT_INT("logistic-steps", "T", "gradient-descent steps of logistic regression", &o.logistic_steps,
                   100, 1000000),
        NN_OPT_INT("points", "N", "examples in each synthetic set", &o.points, 10, 100000),
        NN_OPT_DOUBLE("gap", "G", "half-width of the empty band around the separable set's line", &o.gap, 0.01,
                      0.5),
        NN_OPT_CHOICE("dataset", "NAME", "real data set of section 4", &o.dataset, dataset_names),
        NN_OPT_END};
    nn_cli_parse(argc, argv, "ch01-perceptron", "Chapter 1: the perceptron", opts, &o.common);

    double start = nn_seconds();
    int E = o.epochs;
    mistake_log mistakes = {nn_calloc((size_t)E, sizeof(int)), nn_calloc((size_t)E, sizeof(int)),
                            nn_calloc((size_t)E, sizeof(int)), nn_calloc((size_t)E, sizeof(int)),
                            nn_calloc((size_t)E, sizeof(int))};
    synthetic_sets sets;
    make_synthetic_sets(&sets, &o);
    /* The real data are read and the figure directory is made first, so
     * that a missing file or an unwritable --out stops the run before
     * anything is printed. */
    char figure_dir[NN_FIG_PATH];
    snprintf(figure_dir, sizeof figure_dir, "%s/plots/%s", o.common.out_dir, CHAPTER);
    check(nn_mkdirs(figure_dir));
    real_data data;
    if (load_real_data(o.dataset, o.common.seed, &data.train, &data.test, data.description,
                       sizeof data.description) != NN_OK)
        nn_die_last();

    nn_say("Chapter 1: the perceptron (seed %llu)\n\n", (unsigned long long)o.common.seed);
    experiment_gates();
    experiment_perceptron(&sets, &o, &mistakes);
    experiment_logistic(&sets, &o);
    experiment_real_data(&data, &o, mistakes.real);
    figure_mistakes(&mistakes, &o);

    nn_say("\nFigures: %s/plots/%s/{boundary,mistakes,losses,weight-norm}.gp (%.2f s)\n", o.common.out_dir,
           CHAPTER, nn_seconds() - start);
    labelled_set_free(&sets.separable);
    labelled_set_free(&sets.noisy);
    labelled_set_free(&sets.xor_set);
    labelled_set_free(&sets.xor_cloud);
    labelled_set_free(&data.train);
    labelled_set_free(&data.test);
    free(mistakes.separable);
    free(mistakes.noisy);
    free(mistakes.xor_set);
    free(mistakes.xor_cloud);
    free(mistakes.real);
    return 0;
}
#endif
