/* core.c: errors, checked allocation, one allocation per role, tensors. */
#include "nn_core.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *program_name = "nnlab";
static _Thread_local char last_error[1024];

void nn_set_program_name(const char *name)
{
    const char *slash = strrchr(name, '/');
    program_name = slash ? slash + 1 : name;
}

const char *nn_program_name(void) { return program_name; }

int nn_error(const char *fmt, ...)
{
    /* Formatted into a scratch buffer first: a caller adding context to the
     * previous message, nn_error("reading %s: %s", path, nn_last_error()),
     * passes last_error as an argument, and vsnprintf into its own source is
     * undefined. */
    char message[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    memcpy(last_error, message, sizeof last_error);
    return NN_ERR;
}

const char *nn_last_error(void) { return last_error[0] ? last_error : "no error recorded"; }

void nn_clear_error(void) { last_error[0] = '\0'; }

void nn_die(int status, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: error: ", program_name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(status);
}

void nn_die_last(void) { nn_die(1, "%s", nn_last_error()); }

void nn_assert_fail(const char *expr, const char *file, int line)
{
    fflush(stdout);
    fprintf(stderr, "%s: internal error at %s:%d: %s is false (a bug in nnlab; please report it)\n",
            program_name, file, line, expr);
    abort();
}

void *nn_malloc_at(size_t bytes, const char *file, int line)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        nn_die(1, "out of memory allocating %zu bytes at %s:%d", bytes, file, line);
    return p;
}

void *nn_calloc_at(size_t count, size_t size, const char *file, int line)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        nn_die(1, "out of memory allocating %zu x %zu bytes at %s:%d", count, size, file, line);
    return p;
}

float *nn_floats(size_t n) { return nn_calloc(n, sizeof(float)); }
double *nn_doubles(size_t n) { return nn_calloc(n, sizeof(double)); }

float *nn_alloc_pieces(const nn_piece *pieces, int n_pieces, size_t *total)
{
    size_t sum = 0;
    for (int i = 0; i < n_pieces; i++)
        sum += pieces[i].count;
    float *base = nn_floats(sum);
    nn_point_pieces(pieces, n_pieces, base);
    if (total)
        *total = sum;
    return base;
}

void nn_point_pieces(const nn_piece *pieces, int n_pieces, float *base)
{
    float *p = base;
    for (int i = 0; i < n_pieces; i++) {
        *pieces[i].slot = p;
        p += pieces[i].count;
    }
}

nn_tensor nn_tensor_new(int ndim, const int *shape)
{
    nn_tensor t = {0};
    NN_ASSERT(ndim >= 1 && ndim <= NN_MAX_DIMS);
    t.ndim = ndim;
    t.size = 1;
    for (int i = 0; i < ndim; i++) {
        NN_ASSERT(shape[i] >= 0);
        t.shape[i] = shape[i];
        t.size *= (size_t)shape[i];
    }
    t.data = nn_floats(t.size);
    return t;
}

nn_tensor nn_tensor2(int rows, int cols)
{
    int shape[2] = {rows, cols};
    return nn_tensor_new(2, shape);
}

nn_tensor nn_tensor4(int n, int c, int h, int w)
{
    int shape[4] = {n, c, h, w};
    return nn_tensor_new(4, shape);
}

void nn_tensor_free(nn_tensor *t)
{
    free(t->data);
    t->data = NULL;
    t->size = 0;
}

const char *nn_shape_str(const nn_tensor *t, char *buf, size_t len)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < t->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, i ? ", %d" : "%d", t->shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, ")");
    return buf;
}

int nn_tensor_check(const nn_tensor *t, int ndim, const int *shape, const char *what)
{
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        nn_tensor want = {0};
        char got_s[64], want_s[64];
        want.ndim = ndim;
        for (int i = 0; i < ndim; i++)
            want.shape[i] = shape[i];
        return nn_error("%s has shape %s but %s was expected", what,
                        nn_shape_str(t, got_s, sizeof got_s), nn_shape_str(&want, want_s, sizeof want_s));
    }
    return NN_OK;
}

/* n may be 0 with a NULL pointer (an empty piece, a layer without
 * parameters): memset and memmove must not see a NULL even then (C11 7.24.1). */
void nn_zero(float *x, size_t n)
{
    if (n)
        memset(x, 0, n * sizeof *x);
}

void nn_copy(float *dst, const float *src, size_t n)
{
    if (n)
        memmove(dst, src, n * sizeof *dst);
}

void nn_axpy(float *y, float a, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

double nn_dot(const float *x, const float *y, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * y[i];
    return s;
}

double nn_norm2(const float *x, size_t n) { return sqrt(nn_dot(x, x, n)); }

int nn_all_finite(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return 0;
    return 1;
}

size_t nn_argmax(const float *x, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

double nn_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
