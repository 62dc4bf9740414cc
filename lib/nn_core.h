/* nn_core.h: errors, checked allocation, shapes, one allocation per role. */
#ifndef NN_CORE_H
#define NN_CORE_H

#include <stddef.h>
#include <stdio.h>

#define NN_VERSION "0.1.0"

#if defined(__GNUC__)
#define NN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NN_NORETURN __attribute__((noreturn))
#else
#define NN_PRINTF(f, a)
#define NN_NORETURN
#endif

/* ---- Errors -------------------------------------------------------------
 * Library functions that can fail on bad input (a missing file, a malformed
 * CSV, an impossible shape) return an error code and leave a message in a
 * per-thread buffer: what went wrong, where, and how to fix it.  Tests read
 * the message with nn_last_error(); programs print it and exit with
 * nn_die().  Nothing in the library calls exit() behind the caller's back
 * except the *_or_die convenience wrappers. */
enum { NN_OK = 0, NN_ERR = -1 };

/* The name printed before messages ("ch01-perceptron: error: ..."). */
void nn_set_program_name(const char *name);
const char *nn_program_name(void);

/* Record an error message; returns NN_ERR so callers can `return nn_error(...)`. */
int nn_error(const char *fmt, ...) NN_PRINTF(1, 2);
const char *nn_last_error(void);
void nn_clear_error(void);

/* Print "program: error: message" to stderr and exit(status). */
NN_NORETURN void nn_die(int status, const char *fmt, ...) NN_PRINTF(2, 3);
/* nn_die(1, "%s", nn_last_error()) */
NN_NORETURN void nn_die_last(void);
/* Internal invariant broken (a bug in the kit, not bad input): file, line, abort. */
#define NN_ASSERT(cond) \
    ((cond) ? (void)0 : nn_assert_fail(#cond, __FILE__, __LINE__))
NN_NORETURN void nn_assert_fail(const char *expr, const char *file, int line);

/* ---- Checked allocation --------------------------------------------------
 * Out of memory is reported with the size that was asked for and the
 * caller's file and line, then the program exits. */
#define nn_malloc(n) nn_malloc_at((n), __FILE__, __LINE__)
#define nn_calloc(n, s) nn_calloc_at((n), (s), __FILE__, __LINE__)
void *nn_malloc_at(size_t bytes, const char *file, int line);
void *nn_calloc_at(size_t count, size_t size, const char *file, int line);
/* float arrays: nn_floats(n) is zeroed, nn_doubles(n) likewise. */
float *nn_floats(size_t n);
double *nn_doubles(size_t n);

/* ---- One allocation per role ---------------------------------------------
 * A network's parameters live in one buffer, its gradients in a second of
 * the same layout, its optimizer state in a third: an optimizer is then one
 * flat loop and a gradient check perturbs one flat array.  A size table
 * names each piece:
 *
 *     float *W1, *b1, *W2, *b2;
 *     nn_piece pieces[] = { {"W1", H * D, &W1}, {"b1", H, &b1},
 *                           {"W2", K * H, &W2}, {"b2", K, &b2} };
 *     float *params = nn_alloc_pieces(pieces, 4, &n_params);
 *
 * and the pointers then point into the one zeroed buffer, in table order. */
typedef struct {
    const char *name;  /* for messages and shape comments */
    size_t count;      /* number of floats */
    float **slot;      /* where to store the pointer into the buffer */
} nn_piece;
float *nn_alloc_pieces(const nn_piece *pieces, int n_pieces, size_t *total);
/* Re-point the same table into another buffer of the same layout (gradients,
 * optimizer state): nn_point_pieces(grad_pieces, 4, grads). */
void nn_point_pieces(const nn_piece *pieces, int n_pieces, float *base);

/* ---- Tensors ------------------------------------------------------------
 * A float array with an explicit shape, row-major (NCHW for images).  The
 * tensor owns its data when made by nn_tensor_new. */
#define NN_MAX_DIMS 4
typedef struct {
    float *data;
    int ndim;
    int shape[NN_MAX_DIMS];
    size_t size;       /* product of the shape */
} nn_tensor;

nn_tensor nn_tensor_new(int ndim, const int *shape);      /* zeroed */
nn_tensor nn_tensor2(int rows, int cols);
nn_tensor nn_tensor4(int n, int c, int h, int w);
void nn_tensor_free(nn_tensor *t);
/* Shape check on entry to a kernel; on mismatch a message naming both shapes. */
int nn_tensor_check(const nn_tensor *t, int ndim, const int *shape, const char *what);
/* "(2, 3, 28, 28)" into buf, returns buf. */
const char *nn_shape_str(const nn_tensor *t, char *buf, size_t len);

/* ---- Small helpers -------------------------------------------------------- */
void nn_zero(float *x, size_t n);                 /* x = 0 */
void nn_copy(float *dst, const float *src, size_t n);
void nn_axpy(float *y, float a, const float *x, size_t n);  /* y += a x */
double nn_dot(const float *x, const float *y, size_t n);    /* in double */
double nn_norm2(const float *x, size_t n);                  /* ||x||_2, in double */
int nn_all_finite(const float *x, size_t n);
size_t nn_argmax(const float *x, size_t n);

/* Wall-clock seconds from a monotonic clock (for timing summaries only). */
double nn_seconds(void);

#endif
