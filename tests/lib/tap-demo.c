/* tap-demo.c: small TAP programs for test-tap.sh, which checks what the TAP
 * writer prints and how these programs exit.  Not a test itself (it is in
 * check_PROGRAMS, not TESTS): most modes fail on purpose.
 *
 *   tap-demo MODE     MODE is one of the names in the table at the bottom. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nnlab.h"

static int all_pass(void)
{
    nn_ok(1, "first");
    nn_is_close(0.1 + 0.2, 0.3, 1e-12, 0, "0.1 + 0.2 is 0.3 within rtol 1e-12");
    nn_is_int(42, 42, "forty-two");
    return nn_tap_done();
}

static int fail_close(void)
{
    nn_ok(1, "a passing check first");
    nn_is_close(0.52, 0.5, 1e-3, 1e-6, "sigmoid(0) by a wrong formula");
    return nn_tap_done();
}

static int fail_floats(void)
{
    const float got[3] = {1.0f, 2.0f, 3.5f}, want[3] = {1.0f, 2.0f, 3.0f};
    nn_is_close_floats(got, want, 3, 1e-6, 0, "three floats, the last one wrong");
    return nn_tap_done();
}

static int fail_nan(void)
{
    nn_is_close(NAN, NAN, 1, 1, "NaN never passes, however loose the tolerance");
    return nn_tap_done();
}

static int fail_strings(void)
{
    nn_is_str("relu", "tanh", "is_str mismatch");
    nn_contains("cannot open data.csv", "iris.csv", "contains mismatch");
    nn_is_int(3, 4, "is_int mismatch");
    return nn_tap_done();
}

static int todo_fails(void)
{
    nn_ok(1, "a real pass");
    nn_todo_begin("exercise 2.1 not attempted");
    nn_is_close(0, 1, 0, 0, "a failure inside a TODO block");
    nn_todo_end();
    nn_ok(1, "a real pass after the block");
    return nn_tap_done();
}

static int todo_then_fail(void)
{
    nn_todo_begin("expected");
    nn_ok(0, "an expected failure");
    nn_todo_end();
    nn_ok(0, "a real failure after the TODO block");
    return nn_tap_done();
}

static int skip_one(void)
{
    nn_skip("gnuplot not installed", "render %s", "loss.gp");
    nn_ok(1, "a pass");
    return nn_tap_done();
}

static int skip_all(void) { nn_tap_skip_all("no data in %s", "/nowhere"); }

static int plan_mismatch(void)
{
    nn_tap_plan(3);
    nn_ok(1, "one");
    nn_ok(1, "two");
    return nn_tap_done();
}

static int bail_out(void)
{
    nn_ok(1, "one");
    nn_tap_bail_out("reference file %s is missing", "x.txt");
}

static int hang(void)
{
    /* One second, then the alarm turns the hang into "Bail out!". */
    nn_tap_timeout(1);
    nn_ok(1, "before the hang");
    volatile unsigned long spin = 0;
    for (;;)
        spin++;
    return 1; /* not reached */
}

static int diag_lines(void)
{
    nn_diag("first line\nsecond line\nthird line");
    nn_ok(1, "after the diagnostics");
    return nn_tap_done();
}

static double square_sum(void *ctx)
{
    const double *x = ctx;
    return x[0] * x[0] + 3 * x[1];
}

static int gradcheck_pass(void)
{
    double x[2] = {1.5, -2.0};
    const double grad[2] = {3.0, 3.0}; /* d/dx (x0^2 + 3 x1) = (2 x0, 3) */
    nn_gradcheck_doubles("x0^2 + 3 x1", square_sum, x, x, grad, 2, 1e-6, 1e-8);
    return nn_tap_done();
}

static int gradcheck_wrong(void)
{
    double x[2] = {1.5, -2.0};
    const double grad[2] = {3.0, 2.0}; /* d/dx1 is 3, not 2 */
    nn_gradcheck_doubles("x0^2 + 3 x1 with a wrong d/dx1", square_sum, x, x, grad, 2, 1e-6, 1e-8);
    return nn_tap_done();
}

static const struct {
    const char *name;
    int (*run)(void);
} modes[] = {
    {"pass", all_pass},           {"fail-close", fail_close},         {"fail-floats", fail_floats},
    {"fail-nan", fail_nan},       {"fail-strings", fail_strings},     {"todo", todo_fails},
    {"todo-then-fail", todo_then_fail}, {"skip", skip_one},           {"skip-all", skip_all},
    {"plan-mismatch", plan_mismatch}, {"bail-out", bail_out},         {"hang", hang},
    {"diag", diag_lines},         {"gradcheck-pass", gradcheck_pass}, {"gradcheck-wrong", gradcheck_wrong},
};

int main(int argc, char **argv)
{
    if (argc == 2)
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
            if (strcmp(argv[1], modes[i].name) == 0)
                return modes[i].run();
    fprintf(stderr, "usage: tap-demo MODE (see the table in tests/lib/tap-demo.c)\n");
    return 2;
}
