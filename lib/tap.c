/* tap.c: TAP output (version 12/13 subset understood by tap-driver.sh). */
#include "nn_tap.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_number;
static int failures;
static int planned = -1;
static const char *todo_reason;
static unsigned timeout_seconds;

static void vline(int passed, const char *directive, const char *fmt, va_list ap)
{
    printf("%s %d - ", passed ? "ok" : "not ok", ++test_number);
    vprintf(fmt, ap);
    if (directive)
        printf(" # %s", directive);
    else if (todo_reason)
        printf(" # TODO %s", todo_reason);
    putchar('\n');
    fflush(stdout);
    if (!passed && !todo_reason && !directive)
        failures++;
}

void nn_tap_plan(int n_tests)
{
    planned = n_tests;
    printf("1..%d\n", n_tests);
    fflush(stdout);
}

void nn_tap_skip_all(const char *reason, ...)
{
    va_list ap;
    printf("1..0 # SKIP ");
    va_start(ap, reason);
    vprintf(reason, ap);
    va_end(ap);
    putchar('\n');
    exit(0);
}

static void on_alarm(int sig)
{
    static const char msg[] = "Bail out! timed out (the test ran past its time limit)\n";
    (void)sig;
    if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0)
        _exit(3);
    _exit(3);
}

void nn_tap_timeout(unsigned seconds)
{
    /* NNLAB_TIMEOUT_SCALE scales limits up for slow builds (sanitizers, valgrind). */
    const char *scale = getenv("NNLAB_TIMEOUT_SCALE");
    timeout_seconds = seconds;
    if (scale && atof(scale) > 0)
        timeout_seconds = (unsigned)(seconds * atof(scale));
    signal(SIGALRM, on_alarm);
    alarm(timeout_seconds);
}

void nn_tap_bail_out(const char *fmt, ...)
{
    va_list ap;
    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
    exit(1);
}

int nn_tap_failures(void) { return failures; }

int nn_tap_done(void)
{
    if (planned < 0)
        printf("1..%d\n", test_number);
    else if (planned != test_number) {
        printf("# planned %d tests but ran %d\n", planned, test_number);
        failures++;
    }
    fflush(stdout);
    return failures ? 1 : 0;
}

void nn_diag(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* One "# " per line, so multi-line messages stay comments. */
    for (char *line = buf, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        printf("# %s\n", line);
        if (next && !*next)
            break;
    }
    fflush(stdout);
}

void nn_todo_begin(const char *reason) { todo_reason = reason; }
void nn_todo_end(void) { todo_reason = NULL; }

void nn_skip(const char *reason, const char *name_fmt, ...)
{
    char directive[512];
    va_list ap;
    snprintf(directive, sizeof directive, "SKIP %s", reason);
    va_start(ap, name_fmt);
    vline(1, directive, name_fmt, ap);
    va_end(ap);
}

int nn_ok(int passed, const char *name_fmt, ...)
{
    va_list ap;
    va_start(ap, name_fmt);
    vline(passed, NULL, name_fmt, ap);
    va_end(ap);
    return passed;
}

int nn_is_int(long got, long want, const char *name_fmt, ...)
{
    int passed = got == want;
    va_list ap;
    va_start(ap, name_fmt);
    vline(passed, NULL, name_fmt, ap);
    va_end(ap);
    if (!passed)
        nn_diag("  got: %ld\n  want: %ld", got, want);
    return passed;
}

int nn_is_str(const char *got, const char *want, const char *name_fmt, ...)
{
    int passed = got && want && strcmp(got, want) == 0;
    va_list ap;
    va_start(ap, name_fmt);
    vline(passed, NULL, name_fmt, ap);
    va_end(ap);
    if (!passed)
        nn_diag("  got: '%s'\n  want: '%s'", got ? got : "(null)", want ? want : "(null)");
    return passed;
}

int nn_contains(const char *haystack, const char *needle, const char *name_fmt, ...)
{
    int passed = haystack && needle && strstr(haystack, needle) != NULL;
    va_list ap;
    va_start(ap, name_fmt);
    vline(passed, NULL, name_fmt, ap);
    va_end(ap);
    if (!passed)
        nn_diag("  got: '%s'\n  want it to contain: '%s'", haystack ? haystack : "(null)",
                needle ? needle : "(null)");
    return passed;
}

static int close_enough(double got, double want, double rtol, double atol)
{
    if (!isfinite(got) || !isfinite(want))
        return 0;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

static void close_diag(double got, double want, double rtol, double atol)
{
    double abs_err = fabs(got - want);
    double rel_err = want != 0 ? abs_err / fabs(want) : INFINITY;
    nn_diag("  got:  %.9g\n  want: %.9g\n  error: %.3g (relative %.3g); tolerance: atol %.3g + rtol %.3g x |want| = %.3g",
            got, want, abs_err, rel_err, atol, rtol, atol + rtol * fabs(want));
}

int nn_is_close(double got, double want, double rtol, double atol, const char *name_fmt, ...)
{
    int passed = close_enough(got, want, rtol, atol);
    va_list ap;
    va_start(ap, name_fmt);
    vline(passed, NULL, name_fmt, ap);
    va_end(ap);
    if (!passed)
        close_diag(got, want, rtol, atol);
    return passed;
}

/* Shared by the float and double array checks: find the worst element. */
#define CLOSE_ARRAYS(got, want, n, rtol, atol, name_fmt)                                    \
    do {                                                                                    \
        size_t worst = 0, n_bad = 0;                                                        \
        double worst_excess = -INFINITY;                                                    \
        for (size_t i = 0; i < (n); i++) {                                                  \
            double g = (got)[i], w = (want)[i];                                             \
            double excess = isfinite(g) && isfinite(w)                                      \
                                ? fabs(g - w) - ((atol) + (rtol) * fabs(w)) : INFINITY;     \
            if (excess > 0)                                                                 \
                n_bad++;                                                                    \
            if (excess > worst_excess) {                                                    \
                worst_excess = excess;                                                      \
                worst = i;                                                                  \
            }                                                                               \
        }                                                                                   \
        int passed = n_bad == 0;                                                            \
        va_list ap;                                                                         \
        va_start(ap, name_fmt);                                                             \
        vline(passed, NULL, name_fmt, ap);                                                  \
        va_end(ap);                                                                         \
        if (!passed) {                                                                      \
            nn_diag("  %zu of %zu elements out of tolerance; worst at index %zu:", n_bad,   \
                    (size_t)(n), worst);                                                    \
            close_diag((got)[worst], (want)[worst], rtol, atol);                            \
        }                                                                                   \
        return passed;                                                                      \
    } while (0)

int nn_is_close_floats(const float *got, const float *want, size_t n, double rtol, double atol,
                       const char *name_fmt, ...)
{
    CLOSE_ARRAYS(got, want, n, rtol, atol, name_fmt);
}

int nn_is_close_doubles(const double *got, const double *want, size_t n, double rtol, double atol,
                        const char *name_fmt, ...)
{
    CLOSE_ARRAYS(got, want, n, rtol, atol, name_fmt);
}

double nn_rel_error(const double *a, const double *b, size_t n, size_t *worst)
{
    double max_diff = 0, max_scale = 0;
    size_t worst_i = 0;
    for (size_t i = 0; i < n; i++) {
        double diff = fabs(a[i] - b[i]);
        if (isnan(diff)) { /* a NaN anywhere makes the whole comparison NaN: it never passes */
            if (worst)
                *worst = i;
            return NAN;
        }
        if (diff > max_diff) {
            max_diff = diff;
            worst_i = i;
        }
        if (fabs(a[i]) + fabs(b[i]) > max_scale)
            max_scale = fabs(a[i]) + fabs(b[i]);
    }
    if (worst)
        *worst = worst_i;
    return max_diff / (max_scale > 1e-8 ? max_scale : 1e-8);
}

static int gradcheck_report(const char *name, const double *analytic, const double *numeric,
                            size_t n, double tol)
{
    size_t worst;
    double err = nn_rel_error(analytic, numeric, n, &worst);
    double max_abs = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(analytic[i]) > max_abs)
            max_abs = fabs(analytic[i]);
    int nonzero = max_abs > 0;
    int passed = nonzero && err <= tol;
    nn_ok(passed, "gradient check: %s (%zu values, relative error %.2e %s %.0e)", name, n, err,
          passed ? "<=" : "NOT <=", tol);
    if (!nonzero)
        nn_diag("  the analytic gradient is identically zero: the check would pass vacuously;\n"
                "  choose inputs where the gradient is non-zero");
    else if (!passed)
        nn_diag("  worst element %zu: analytic %.9g, numeric %.9g; relative error %.3g > tolerance %.3g",
                worst, analytic[worst], numeric[worst], err, tol);
    return passed;
}

int nn_gradcheck_floats(const char *name, nn_loss_fn loss, void *ctx, float *x,
                        const float *analytic, size_t n, double eps, double tol)
{
    double *a = nn_doubles(n), *num = nn_doubles(n);
    for (size_t i = 0; i < n; i++) {
        float saved = x[i];
        x[i] = (float)(saved + eps);
        double up = loss(ctx);
        double h_up = (double)x[i] - saved;     /* the step float could represent */
        x[i] = (float)(saved - eps);
        double down = loss(ctx);
        double h_down = saved - (double)x[i];
        x[i] = saved;
        num[i] = (up - down) / (h_up + h_down);
        a[i] = analytic[i];
    }
    int passed = gradcheck_report(name, a, num, n, tol);
    free(a);
    free(num);
    return passed;
}

int nn_gradcheck_doubles(const char *name, nn_loss_fn loss, void *ctx, double *x,
                         const double *analytic, size_t n, double eps, double tol)
{
    double *num = nn_doubles(n);
    for (size_t i = 0; i < n; i++) {
        double saved = x[i];
        x[i] = saved + eps;
        double up = loss(ctx);
        x[i] = saved - eps;
        double down = loss(ctx);
        x[i] = saved;
        num[i] = (up - down) / (2 * eps);
    }
    int passed = gradcheck_report(name, analytic, num, n, tol);
    free(num);
    return passed;
}
