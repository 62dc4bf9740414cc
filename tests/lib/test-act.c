/* test-act.c: the activations of nn_act.h against hand values, their vector
 * forms against the scalar ones, and their derivatives against central
 * differences.  The gradient checker itself is tested for teeth here too: a
 * wrong derivative and an all-zero gradient must both make it fail. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"
#include "test-child.h"

enum { N_GRID = 41 };

/* L(x) = sum_i g_i f(x_i): a scalar loss whose gradient is g_i f'(x_i).  The
 * weights g differ per element so a derivative evaluated at the wrong
 * element cannot pass by symmetry. */
typedef struct {
    nn_activation act;
    size_t n;
    float *x;          /* (n) the inputs, perturbed by the checker */
    const float *g;    /* (n) upstream gradient dL/da */
    float *a;          /* (n) scratch for f(x) */
} act_loss_ctx;

static double act_loss(void *p)
{
    act_loss_ctx *c = p;
    nn_act_forward(c->act, c->a, c->x, c->n);
    double sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += (double)c->g[i] * c->a[i];
    return sum;
}

typedef struct {
    nn_activation act;
    size_t n;
    double *x;
    const double *g;
} act_loss_ctx_d;

static double act_loss_d(void *p)
{
    act_loss_ctx_d *c = p;
    double sum = 0;
    for (size_t i = 0; i < c->n; i++)
        sum += c->g[i] * nn_act_value(c->act, c->x[i]);
    return sum;
}

/* Inputs for gradient checks: spread over [-3, 3] but at least 0.15 from the
 * kink at 0, so a step of eps = 1e-2 never crosses it. */
static const float check_x[8] = {-2.9f, -1.3f, -0.55f, -0.15f, 0.15f, 0.7f, 1.6f, 3.0f};
static const float check_g[8] = {0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 1.1f, -0.9f, 0.6f};

/* Runs the float gradient check of one activation, with the analytic
 * gradient from nn_act_backward scaled by `scale` (1 = the real one). */
static int gradcheck_act(nn_activation act, const float *x0, size_t n, float scale)
{
    float x[8], a[8], d_in[8];
    memcpy(x, x0, n * sizeof *x);
    act_loss_ctx c = {act, n, x, check_g, a};
    nn_act_forward(act, a, x, n);
    nn_zero(d_in, n);
    nn_act_backward(act, d_in, check_g, x, a, n);
    for (size_t i = 0; i < n; i++)
        d_in[i] *= scale;
    char name[64];
    snprintf(name, sizeof name, "%s backward (float, eps 1e-2)", nn_act_name(act));
    /* Float outputs carry a rounding error of ~1e-7 |f|; divided by 2 eps =
     * 2e-2 that is ~1e-5, plus the eps^2 f''' / 6 ~ 2e-5 truncation: 1e-3
     * leaves a wide margin and still catches a 10% error. */
    return nn_gradcheck_floats(name, act_loss, &c, x, d_in, n, 1e-2, 1e-3);
}

/* Children for the checker's own failure modes: each returns 0 when the
 * check failed, as it must, so the parent reads both TAP and status. */
static int wrong_sigmoid_derivative(void *arg)
{
    (void)arg;
    return gradcheck_act(NN_SIGMOID, check_x, 8, 1.1f) ? 1 : 0;
}

static int relu_on_negative_inputs(void *arg)
{
    (void)arg;
    static const float negative[4] = {-2.0f, -1.0f, -0.5f, -0.25f};
    return gradcheck_act(NN_RELU, negative, 4, 1.0f) ? 1 : 0;
}

int main(void)
{
    nn_tap_timeout(10);

    /* ---- Hand values (lecture definitions; PyTorch's constants) ---------- */
    nn_is_close(nn_act_value(NN_SIGMOID, 0), 0.5, 0, 0, "sigmoid(0) = 1/2");
    nn_is_close(nn_act_value(NN_SIGMOID, 2), 1 / (1 + exp(-2.0)), 1e-15, 0, "sigmoid(2) = 1/(1+e^-2)");
    nn_is_close(nn_act_value(NN_SIGMOID, -2), exp(-2.0) / (1 + exp(-2.0)), 1e-15, 0,
                "sigmoid(-2) = e^-2/(1+e^-2) = 1 - sigmoid(2)");
    nn_is_close(nn_act_value(NN_TANH, 0), 0, 0, 0, "tanh(0) = 0");
    nn_is_close(nn_act_value(NN_TANH, 0.5), (exp(1.0) - 1) / (exp(1.0) + 1), 1e-15, 0,
                "tanh(1/2) = (e - 1)/(e + 1)");
    nn_is_close(nn_act_value(NN_TANH, -0.5), -(exp(1.0) - 1) / (exp(1.0) + 1), 1e-15, 0, "tanh is odd");
    nn_is_close(nn_act_value(NN_RELU, 2.5), 2.5, 0, 0, "relu(2.5) = 2.5");
    nn_is_close(nn_act_value(NN_RELU, -2.5), 0, 0, 0, "relu(-2.5) = 0");
    nn_is_close(nn_act_value(NN_LEAKY_RELU, 3), 3, 0, 0, "leaky_relu(3) = 3");
    nn_is_close(nn_act_value(NN_LEAKY_RELU, -2), -0.02, 1e-15, 0, "leaky_relu(-2) = 0.01 x -2 = -0.02");
    nn_is_close(nn_act_value(NN_ELU, 2), 2, 0, 0, "elu(2) = 2");
    nn_is_close(nn_act_value(NN_ELU, -1), exp(-1.0) - 1, 1e-15, 0, "elu(-1) = e^-1 - 1");
    nn_is_close(nn_act_value(NN_IDENTITY, -3.25), -3.25, 0, 0, "identity(-3.25) = -3.25");

    nn_is_close(nn_act_derivative(NN_SIGMOID, 0), 0.25, 0, 0, "sigmoid'(0) = 1/4, its maximum");
    nn_is_close(nn_act_derivative(NN_TANH, 0), 1, 0, 0, "tanh'(0) = 1");
    nn_is_close(nn_act_derivative(NN_TANH, 0.5), 1 - pow(tanh(0.5), 2), 1e-15, 0, "tanh'(z) = 1 - tanh^2 z");
    nn_is_close(nn_act_derivative(NN_RELU, 1), 1, 0, 0, "relu'(1) = 1");
    nn_is_close(nn_act_derivative(NN_RELU, -1), 0, 0, 0, "relu'(-1) = 0");
    nn_is_close(nn_act_derivative(NN_RELU, 0), 0, 0, 0, "relu'(0) = 0 (left derivative, as PyTorch)");
    nn_is_close(nn_act_derivative(NN_LEAKY_RELU, -1), 0.01, 1e-15, 0, "leaky_relu'(-1) = 0.01");
    nn_is_close(nn_act_derivative(NN_LEAKY_RELU, 0), 0.01, 1e-15, 0, "leaky_relu'(0) = 0.01 (as PyTorch)");
    nn_is_close(nn_act_derivative(NN_ELU, -1), exp(-1.0), 1e-15, 0, "elu'(-1) = e^-1");
    nn_is_close(nn_act_derivative(NN_ELU, 0), 1, 0, 0, "elu'(0) = 1 (continuous there)");
    nn_is_close(nn_act_derivative(NN_IDENTITY, 7), 1, 0, 0, "identity' = 1");

    /* ---- Stability at large |z| ----------------------------------------- */
    nn_ok(nn_sigmoid(1000) == 1.0, "sigmoid(1000) is exactly 1");
    nn_ok(nn_sigmoid(-1000) == 0.0, "sigmoid(-1000) is exactly 0 (no inf/inf)");
    nn_ok(nn_sigmoid(-700) > 0 && nn_sigmoid(-700) < 1e-300, "sigmoid(-700) is a tiny positive number");
    nn_ok(nn_act_derivative(NN_SIGMOID, 1000) == 0.0 && nn_act_derivative(NN_SIGMOID, -1000) == 0.0,
          "sigmoid'(+-1000) is exactly 0, not NaN");
    nn_ok(nn_act_value(NN_TANH, 1000) == 1.0 && nn_act_value(NN_TANH, -1000) == -1.0, "tanh(+-1000) = +-1");
    nn_ok(nn_act_value(NN_ELU, -1000) == -1.0, "elu(-1000) = -1 exactly");
    {
        const float big[4] = {1000.0f, -1000.0f, 88.8f, -88.8f};
        const float ones[4] = {1, 1, 1, 1};
        int all_finite = 1;
        for (int act = 0; act < NN_ACT_COUNT; act++) {
            float a[4], d[4] = {0};
            nn_act_forward((nn_activation)act, a, big, 4);
            nn_act_backward((nn_activation)act, d, ones, big, a, 4);
            if (!nn_all_finite(a, 4) || !nn_all_finite(d, 4)) {
                nn_diag("%s: non-finite value or gradient at +-1000 or +-88.8", nn_act_name((nn_activation)act));
                all_finite = 0;
            }
        }
        nn_ok(all_finite, "every activation and its gradient stay finite at z = +-1000, +-88.8 (float)");
        float s[2];
        nn_act_forward(NN_SIGMOID, s, big, 2);
        nn_ok(s[0] == 1.0f && s[1] == 0.0f, "vector sigmoid(+-1000) = 1 and 0 exactly");
    }

    /* ---- Vector forms equal the scalar ones -------------------------------
     * On a grid over [-4, 4] that includes 0: the vector forward is the
     * scalar value rounded to float; backward adds d_out f'(z) into d_in. */
    float grid[N_GRID], d_out[N_GRID];
    for (int i = 0; i < N_GRID; i++) {
        grid[i] = -4.0f + 0.2f * (float)i;
        d_out[i] = 0.5f + 0.05f * (float)i;
    }
    grid[20] = 0.0f;
    for (int act = 0; act < NN_ACT_COUNT; act++) {
        nn_activation f = (nn_activation)act;
        float out[N_GRID], inplace[N_GRID], want[N_GRID], d_in[N_GRID], want_d[N_GRID];
        nn_act_forward(f, out, grid, N_GRID);
        memcpy(inplace, grid, sizeof inplace);
        nn_act_forward(f, inplace, inplace, N_GRID);
        for (int i = 0; i < N_GRID; i++) {
            want[i] = (float)nn_act_value(f, grid[i]);
            d_in[i] = 1.0f; /* backward must add to what is there */
            want_d[i] = (float)(1.0 + (double)d_out[i] * nn_act_derivative(f, grid[i]));
        }
        /* Within one float ulp (2^-23 relative): leaky_relu multiplies by
         * 0.01f in float, as PyTorch does, the scalar form by 0.01 in double. */
        nn_is_close_floats(out, want, N_GRID, 0x1p-23, 0, "%s: vector forward equals the scalar value",
                           nn_act_name(f));
        nn_is_close_floats(inplace, want, N_GRID, 0x1p-23, 0, "%s: forward in place (out == in)", nn_act_name(f));
        nn_act_backward(f, d_in, d_out, grid, out, N_GRID);
        /* sigmoid and tanh use the saved float output: a few float ulps. */
        nn_is_close_floats(d_in, want_d, N_GRID, 1e-6, 1e-7,
                           "%s: backward adds d_out f'(z) into d_in (starting from 1)", nn_act_name(f));
        /* After an in-place forward z is gone; backward then gets a = f(z) as
         * both in and out.  It must give the same gradient: every branch
         * tests only the sign of its input, and f keeps the sign of z. */
        float d_inplace[N_GRID];
        for (int i = 0; i < N_GRID; i++)
            d_inplace[i] = 1.0f;
        nn_act_backward(f, d_inplace, d_out, inplace, inplace, N_GRID);
        nn_is_close_floats(d_inplace, d_in, N_GRID, 0, 0, "%s: backward after an in-place forward (in == out)",
                           nn_act_name(f));
    }

    /* ---- ReLU's vector loop has the definition's bits ---------------------
     * lib/act.c does four elements at a time with a compare and a mask, and
     * the tail one by one: every length from 0 to 13 (each split of vector
     * and tail), with the values where a select could differ from
     * `z > 0 ? z : 0`: -0, NaN, the infinities and a subnormal. */
    {
        const float specials[13] = {-0.0f, 0.0f, NAN, INFINITY, -INFINITY, 1e-40f, -1e-40f,
                                    3.5f, -2.25f, -0.0f, 7.0f, NAN, -1.0f};
        int forward_same = 1, backward_same = 1;
        for (size_t n = 0; n <= 13; n++) {
            float out[13], want[13], d_in[13], want_d[13], d_out[13];
            for (size_t i = 0; i < n; i++) {
                want[i] = specials[i] > 0 ? specials[i] : 0.0f;
                d_out[i] = (i % 3 == 0) ? -0.0f : 0.25f * (float)i - 1.0f;
                d_in[i] = (i % 2 == 0) ? -0.0f : 1.5f;
                want_d[i] = d_in[i] + (specials[i] > 0 ? d_out[i] : 0.0f);
            }
            nn_act_forward(NN_RELU, out, specials, n);
            nn_act_backward(NN_RELU, d_in, d_out, specials, out, n);
            forward_same &= memcmp(out, want, n * sizeof *out) == 0;
            backward_same &= memcmp(d_in, want_d, n * sizeof *d_in) == 0;
        }
        nn_ok(forward_same, "relu forward: the same bits as z > 0 ? z : 0 for every length 0..13, "
                            "with -0, NaN, infinities and subnormals");
        nn_ok(backward_same, "relu backward: the same bits as d_in += z > 0 ? d_out : 0 for every length 0..13");
    }

    /* ---- tanh backward's vector loop has the definition's bits -----------
     * d_in += d_out (1 - a^2), four at a time and the tail one by one: every
     * length 0..13, with -0, NaN, infinities, subnormals and |a| near 1. */
    {
        const float a_values[13] = {-0.0f, 0.0f, NAN, INFINITY, -INFINITY, 1e-40f, -0.999999f,
                                    0.5f, -0.25f, 0.9999f, 1.0f, NAN, -1.0f};
        int same = 1;
        for (size_t n = 0; n <= 13; n++) {
            float d_in[13], want[13], d_out[13];
            for (size_t i = 0; i < n; i++) {
                d_out[i] = (i % 3 == 0) ? -0.0f : 0.375f * (float)i - 1.0f;
                d_in[i] = (i % 2 == 0) ? -0.0f : 1.5f + 1e-3f * (float)i;
                const volatile float square = a_values[i] * a_values[i];
                const volatile float slope = 1.0f - square;
                const volatile float term = d_out[i] * slope;
                want[i] = d_in[i] + term;
            }
            nn_act_backward(NN_TANH, d_in, d_out, NULL, a_values, n);
            same &= memcmp(d_in, want, n * sizeof *d_in) == 0;
        }
        nn_ok(same, "tanh backward: the same bits as d_in += d_out (1 - a a), one rounding per "
                    "operation, for every length 0..13");
    }

    /* ---- Gradient checks -------------------------------------------------- */
    for (int act = 0; act < NN_ACT_COUNT; act++)
        gradcheck_act((nn_activation)act, check_x, 8, 1.0f);
    for (int act = 0; act < NN_ACT_COUNT; act++) {
        double x[8], g[8], analytic[8];
        for (int i = 0; i < 8; i++) {
            x[i] = check_x[i];
            g[i] = check_g[i];
            analytic[i] = g[i] * nn_act_derivative((nn_activation)act, x[i]);
        }
        act_loss_ctx_d c = {(nn_activation)act, 8, x, g};
        char name[64];
        snprintf(name, sizeof name, "%s derivative (double, eps 1e-5)", nn_act_name((nn_activation)act));
        /* double: truncation eps^2 f'''/6 ~ 1e-11, rounding 1e-16/1e-5 = 1e-11. */
        nn_gradcheck_doubles(name, act_loss_d, &c, x, analytic, 8, 1e-5, 1e-8);
    }

    /* ---- The checker has teeth ---------------------------------------------
     * Each case runs in a child: its failing TAP line goes to the child's
     * stdout, which we read, instead of failing this suite. */
    child_result r;
    run_child(wrong_sigmoid_derivative, NULL, &r);
    nn_is_int(r.exit_status, 0, "a sigmoid gradient 10%% too large fails the gradient check");
    nn_ok(strncmp(r.out, "not ok ", 7) == 0 && strstr(r.out, "- gradient check: sigmoid"),
          "  ... and prints a 'not ok' line");
    nn_contains(r.out, "worst element 3: analytic", "  ... and names the worst element");

    run_child(relu_on_negative_inputs, NULL, &r);
    nn_is_int(r.exit_status, 0, "relu on all-negative inputs fails the check (all-zero gradient guard)");
    nn_ok(strncmp(r.out, "not ok ", 7) == 0 && strstr(r.out, "- gradient check: relu"),
          "  ... and prints a 'not ok' line");
    nn_contains(r.out, "identically zero", "  ... and says the gradient is identically zero");

    /* nn_rel_error by hand: max|a-b| / max(|a|+|b|). */
    double a2[2] = {1.0, 2.0}, b2[2] = {1.0, 2.1}, z2[2] = {0, 0};
    size_t worst = 99;
    nn_is_close(nn_rel_error(a2, b2, 2, &worst), 0.1 / 4.1, 1e-12, 0, "nn_rel_error((1,2),(1,2.1)) = 0.1/4.1");
    nn_is_int((long)worst, 1, "nn_rel_error reports the worst index");
    nn_is_close(nn_rel_error(z2, z2, 2, NULL), 0, 0, 0, "nn_rel_error of two zero vectors is 0 (no 0/0)");
    nn_is_close(nn_rel_error(z2, b2, 2, NULL), 1, 0, 0, "nn_rel_error of zero vs non-zero is 1");
    double nan2[3] = {NAN, 1.0, 5.0}, fine2[3] = {1.0, 1.0, 1.0};
    nn_ok(isnan(nn_rel_error(nan2, fine2, 3, &worst)) && worst == 0,
          "a NaN anywhere makes nn_rel_error NaN (so no check can pass), worst at the NaN");

    /* ---- Names ----------------------------------------------------------- */
    int round_trip = 1;
    for (int act = 0; act < NN_ACT_COUNT; act++) {
        nn_activation back;
        round_trip &= nn_act_parse(nn_act_name((nn_activation)act), &back) == NN_OK && (int)back == act;
    }
    nn_ok(round_trip, "nn_act_parse(nn_act_name(f)) == f for every activation");
    nn_activation unused = NN_IDENTITY;
    nn_is_int(nn_act_parse("softplus", &unused), NN_ERR, "an unknown activation name is NN_ERR");
    nn_contains(nn_last_error(), "'softplus'", "the message names the unknown activation");
    nn_contains(nn_last_error(), "sigmoid, tanh, relu, leaky_relu, elu", "the message lists the valid ones");
    nn_is_str(nn_act_name((nn_activation)42), "unknown", "nn_act_name of an out-of-range value");

    return nn_tap_done();
}
