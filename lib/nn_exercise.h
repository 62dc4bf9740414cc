/* nn_exercise.h: graded exercises.
 *
 * Two sides use this header.
 *
 * The exercise files (exercises/NN-topic/ *.c, generated from solutions/)
 * use only NN_TODO: a stub body calls NN_TODO("1.2"), returns a neutral
 * value, and so records that exercise 1.2 was not attempted.
 *
 * The exercise tests (tests/exercises/NN-topic.c) are written once and
 * compiled twice (tools/ex-build):
 *   the RUNNER    the test + lib/exercise-runner.c + the code under test
 *                 (the student's, the solutions or fresh stubs): it runs one
 *                 exercise and streams the raw `got` values of its checks;
 *   the CHECKER   the test + lib/exercise.c + solutions/ + libnnlab.a, built
 *                 from the kit's sources only: for each exercise it starts
 *                 the runner in a sandbox under limits (time, memory, file
 *                 size, processes; a private root and PID namespace where
 *                 the machine allows), runs the same test body itself so
 *                 that every `want` is computed by kit code, and compares.
 * Nothing the student's code prints, writes or sends can do more than
 * supply the values of its own checks (doc/GRADING.md, "What is isolated").
 *
 *     static void ex_1_2(void)
 *     {
 *         nn_ex_seed(7);                        // printed with every failure
 *         ...call the student's function...
 *         nn_ex_close_doubles(w, want, 5, 1e-12, 1e-12, "update on a mistake");
 *     }
 *     int main(void)
 *     {
 *         nn_ex_init("01-perceptron");
 *         nn_ex_run("1.2", "The perceptron update rule",
 *                   "On a mistake, y (w.x + b) <= 0, add y x to w and y to b.", ex_1_2);
 *         return nn_ex_done();
 *     }
 *
 * Each check is one graded case: its name is the key of a rubric line
 * (exercises/NN-topic/rubric.txt: "1.2  2  update on a mistake").  Write
 * every `want` from the test's own inputs, never from what the student's
 * function returned: in the checker the student's function is the
 * solution.  For a property of the answer rather than a value (any
 * separating w, a count within a bound) use nn_ex_holds or nn_ex_range: the
 * checker applies the test's predicate to the runner's raw values.
 * nn_ex_ok's boolean comes from the runner, so a hostile runner can forge
 * it: keep it for checks whose failure only costs the student.
 *
 * The mode comes from the environment variable NNLAB_EX_MODE, set by
 * tools/ex-run from the test's name:
 *   student   (default) cases pass or fail; an exercise whose stub reached
 *             NN_TODO reports its cases as TAP "# TODO not attempted";
 *   solution  the runner is built from solutions/: every case must pass,
 *             NN_TODO must not be reached, every case must have a rubric line;
 *   teeth     the runner is built from fresh stubs: every case must FAIL
 *             (reported ok when it fails), and the stub must reach NN_TODO;
 *   hint      print the hints of exercise NNLAB_EX_ID up to level
 *             NNLAB_EX_HINT_LEVEL (default 1) and run nothing;
 *   list      print "id<TAB>title" for each exercise and run nothing.
 * The checker's own environment (never the runner's) may set
 * NNLAB_EX_RESULTS=file (machine-readable results for tools/grade),
 * NNLAB_EX_TIMEOUT=seconds, NNLAB_EX_RUNNER=path (default: this program's
 * name with .ex replaced by .runner), NNLAB_EX_SANDBOX=none (limits only,
 * no namespaces) and NNLAB_EX_MEMORY_MB (default 1024). */
#ifndef NN_EXERCISE_H
#define NN_EXERCISE_H

#include <stddef.h>
#include <stdint.h>

#include "nn_core.h"

/* ---- In exercise files ----------------------------------------------------- */
#define NN_TODO(id) nn_todo_reached((id), __FILE__, __LINE__)
void nn_todo_reached(const char *id, const char *file, int line);

/* ---- In exercise tests ----------------------------------------------------- */
typedef void (*nn_ex_fn)(void);

/* chapter: the directory name, "01-perceptron" (finds the rubric). */
void nn_ex_init(const char *chapter);
/* Time limit of each following exercise (default 10 s, scaled by
 * NNLAB_TIMEOUT_SCALE as nn_tap_timeout does). */
void nn_ex_timeout(unsigned seconds);
/* Run one exercise: body makes the checks below.  id "N.k", a title of a
 * few words, and a hint that nudges a stuck student without giving the
 * answer (level 1: printed with failures and by make hint EX=N.k). */
void nn_ex_run(const char *id, const char *title, const char *hint, nn_ex_fn body);
/* Optional: a more detailed hint for the NEXT nn_ex_run, shown only on
 * request (make hint EX=N.k LEVEL=2); level 2 or 3. */
void nn_ex_hint(int level, const char *text);
/* Prints the TAP plan; returns main's exit status. */
int nn_ex_done(void);

/* Context printed with failures: the seed with every failure of the
 * current exercise, a note with the failure of the next check only. */
void nn_ex_seed(uint64_t seed);
void nn_ex_note(const char *fmt, ...) NN_PRINTF(1, 2);

/* The checks: each is one graded case, named as in the rubric (a fixed
 * string, no numbers formatted in).  Each returns 1 when it passed. */
/* A yes/no case; why_fmt says what was expected and what came. */
int nn_ex_ok(int passed, const char *case_name, const char *why_fmt, ...) NN_PRINTF(3, 4);
int nn_ex_int(long got, long want, const char *case_name);
/* |got - want| <= atol + rtol |want|; NaN and infinity never pass. */
int nn_ex_close(double got, double want, double rtol, double atol, const char *case_name);
/* Element-wise; a failure reports the worst index, its values and the error. */
int nn_ex_close_doubles(const double *got, const double *want, size_t n, double rtol,
                        double atol, const char *case_name);
/* CS231n's relative error over a vector (nn_rel_error) <= tol, and got not
 * identically zero: for gradients against finite differences. */
int nn_ex_rel_error(const double *got, const double *want, size_t n, double tol,
                    const char *case_name);
/* Element-wise equality of integer vectors. */
int nn_ex_ints(const long *got, const long *want, size_t n, const char *case_name);
/* lo <= got <= hi (a count within a bound). */
int nn_ex_range(double got, double lo, double hi, const char *case_name);
/* A property of the answer: the checker calls holds(got, n, context, why,
 * why_len) on the runner's raw values; it returns 1 when the property holds,
 * else 0 with a message in why.  context comes from the test's inputs. */
typedef int (*nn_ex_predicate)(const double *got, size_t n, const void *context, char *why,
                               size_t why_len);
int nn_ex_holds(const double *got, size_t n, nn_ex_predicate holds, const void *context,
                const char *case_name);

#endif
