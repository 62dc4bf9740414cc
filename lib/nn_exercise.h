/* nn_exercise.h: graded exercises.
 *
 * Two sides use this header.
 *
 * The exercise files (exercises/NN-topic/ *.c, generated from solutions/)
 * use only NN_TODO: a stub body calls NN_TODO("1.2"), returns a neutral
 * value, and so records that exercise 1.2 was not attempted.
 *
 * The exercise tests (tests/exercises/NN-topic.c) run each exercise in a
 * forked child with a time limit, so an infinite loop or a crash in one
 * student's exercise costs that exercise only:
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
 * (exercises/NN-topic/rubric.txt: "1.2  2  update on a mistake").
 *
 * The mode comes from the environment variable NNLAB_EX_MODE, set by
 * tools/ex-run from the test's name:
 *   student   (default) cases pass or fail; an exercise whose stub reached
 *             NN_TODO reports its cases as TAP "# TODO not attempted";
 *   solution  built against solutions/: every case must pass, NN_TODO must
 *             not be reached, and every case must have a rubric line;
 *   teeth     built against fresh stubs: every case must FAIL (reported ok
 *             when it fails), and the stub must reach NN_TODO of its own id;
 *   hint      print the hint of exercise NNLAB_EX_ID and run nothing;
 *   list      print "id<TAB>title" for each exercise and run nothing.
 * NNLAB_EX_RESULTS=file appends machine-readable results (tools/grade reads
 * them); NNLAB_EX_TIMEOUT=seconds overrides the per-exercise time limit. */
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
 * few words, and a hint that tells a stuck student where to look. */
void nn_ex_run(const char *id, const char *title, const char *hint, nn_ex_fn body);
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

#endif
