/* nn_tap.h: Test Anything Protocol output and numerical checks.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines that
 * Automake's tap-driver.sh counts.  Checks print, on failure, what came, what
 * was wanted, the error and the tolerance, so a failing line explains itself.
 *
 *   nn_tap_timeout(30);                // a hung test becomes "Bail out!"
 *   nn_is_close(got, 0.5, 1e-6, 0, "sigmoid(0)");
 *   return nn_tap_done();              // prints the plan, exit status 0 iff all passed
 *
 * Tolerances: a value passes when |got - want| <= atol + rtol |want|.  Each
 * check names its own, chosen for the arithmetic behind it; there is no
 * global tolerance.  NaN or infinity never passes. */
#ifndef NN_TAP_H
#define NN_TAP_H

#include <stddef.h>

#include "nn_core.h"

void nn_tap_plan(int n_tests);              /* optional: otherwise printed by nn_tap_done */
NN_NORETURN void nn_tap_skip_all(const char *reason, ...) NN_PRINTF(1, 2);
void nn_tap_timeout(unsigned seconds);      /* alarm(): "Bail out!" when it fires */
NN_NORETURN void nn_tap_bail_out(const char *fmt, ...) NN_PRINTF(1, 2);
int nn_tap_done(void);                      /* returns the exit status for main */
int nn_tap_failures(void);                  /* failed non-TODO tests so far */

/* Comments: "# ..." lines (diagnostics), on stdout so they stay in order. */
void nn_diag(const char *fmt, ...) NN_PRINTF(1, 2);

/* Tests between nn_todo_begin and nn_todo_end are marked "# TODO reason":
 * failures are expected and do not fail the run. */
void nn_todo_begin(const char *reason);
void nn_todo_end(void);
void nn_skip(const char *reason, const char *name_fmt, ...) NN_PRINTF(2, 3);

/* The checks.  Each returns 1 when it passed. */
int nn_ok(int passed, const char *name_fmt, ...) NN_PRINTF(2, 3);
int nn_is_int(long got, long want, const char *name_fmt, ...) NN_PRINTF(3, 4);
int nn_is_str(const char *got, const char *want, const char *name_fmt, ...) NN_PRINTF(3, 4);
int nn_contains(const char *haystack, const char *needle, const char *name_fmt, ...) NN_PRINTF(3, 4);
int nn_is_close(double got, double want, double rtol, double atol, const char *name_fmt, ...)
    NN_PRINTF(5, 6);
/* Whole arrays in one test line; on failure the worst element is reported. */
int nn_is_close_floats(const float *got, const float *want, size_t n, double rtol, double atol,
                       const char *name_fmt, ...) NN_PRINTF(6, 7);
int nn_is_close_doubles(const double *got, const double *want, size_t n, double rtol, double atol,
                        const char *name_fmt, ...) NN_PRINTF(6, 7);

/* Relative error of two vectors, as in the gradient checks of CS231n but
 * over the whole vector: max_i |a_i - b_i| / max(1e-8, max_i (|a_i| + |b_i|)).
 * worst (may be NULL) receives the index of the largest |a_i - b_i|. */
double nn_rel_error(const double *a, const double *b, size_t n, size_t *worst);

/* Gradient check by central differences.
 *
 *     numeric_i = (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)
 *
 * loss(ctx) evaluates L at the current x; the check perturbs x[i] in place
 * and restores it.  Passes when nn_rel_error(analytic, numeric) <= tol AND
 * the gradient is not identically zero (a zero gradient would pass any
 * comparison with a constant loss: a check with no teeth). */
typedef double (*nn_loss_fn)(void *ctx);
int nn_gradcheck_floats(const char *name, nn_loss_fn loss, void *ctx, float *x,
                        const float *analytic, size_t n, double eps, double tol);
int nn_gradcheck_doubles(const char *name, nn_loss_fn loss, void *ctx, double *x,
                         const double *analytic, size_t n, double eps, double tol);

#endif
