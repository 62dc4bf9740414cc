/* exercise-runner.c: the runner side of nn_exercise.h.
 *
 * A chapter's exercise test (tests/exercises/NN-topic.c) is compiled twice.
 * The RUNNER is the test source, this file, the student's object and
 * libnnlab.a; the CHECKER is the same test source, lib/exercise.c, the
 * instructor's solutions and libnnlab.a, built only from the kit.  The
 * checker starts the runner once per exercise inside a sandbox and reads
 * what it sends; it never trusts it.
 *
 * So this file decides nothing.  It runs the one exercise named by
 * NNLAB_EX_RUN and streams, over file descriptor 3, the raw value of every
 * check in order: what the student's code produced.  Each `want` argument
 * is ignored here; the checker evaluates the same expressions itself with
 * kit code and compares.  A student who replaces every function below,
 * writes to the pipe directly or prints fake TAP gains nothing: the checker
 * accepts only well-framed records in the order its own run of the test
 * expects, and a record it does not receive fails its case.
 *
 * Records, one line each, fields separated by tabs (names JSON-escaped):
 *     T <id>                                  NN_TODO(id) was reached
 *     V <seq> <case> <count> <v1> <v2> ...     check number seq, its got values (%a)
 *     W <seq> <why>                           the text of a failed nn_ex_ok (shown, never scored)
 *     E                                       the body returned */
#include "nn_exercise.h"
#include "nn_tap.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { RECORD_FD = 3 };

static const char *wanted_id; /* NNLAB_EX_RUN */
static int seq;               /* number of the next check */
static char todo_sent[16][32];
static int n_todo_sent;

static void write_all(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(RECORD_FD, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

/* Appends s to the growing line, escaping what would break the framing. */
static void put_escaped(char **line, size_t *len, size_t *cap, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*len + 8 > *cap) {
            *cap = 2 * *cap + 64;
            *line = realloc(*line, *cap);
            if (!*line)
                _exit(70);
        }
        if (*p == '\\' || *p == '"')
            (*line)[(*len)++] = '\\', (*line)[(*len)++] = (char)*p;
        else if (*p == '\n')
            (*line)[(*len)++] = '\\', (*line)[(*len)++] = 'n';
        else if (*p == '\t')
            (*line)[(*len)++] = '\\', (*line)[(*len)++] = 't';
        else if (*p < 0x20)
            *len += (size_t)snprintf(*line + *len, 8, "\\u%04x", *p);
        else
            (*line)[(*len)++] = (char)*p;
    }
}

static void send_values(const char *case_name, const double *v, size_t n)
{
    size_t cap = 64 + 32 * n + 4 * strlen(case_name), len = 0;
    char *line = malloc(cap);
    if (!line)
        _exit(70);
    len += (size_t)snprintf(line, cap, "V\t%d\t", seq);
    put_escaped(&line, &len, &cap, case_name);
    if (len + 32 > cap)
        line = realloc(line, cap = len + 64);
    len += (size_t)snprintf(line + len, cap - len, "\t%zu\t", n);
    for (size_t i = 0; i < n; i++) {
        if (len + 40 > cap) {
            cap = 2 * cap + 64;
            line = realloc(line, cap);
            if (!line)
                _exit(70);
        }
        len += (size_t)snprintf(line + len, cap - len, i ? " %a" : "%a", v[i]);
    }
    line[len++] = '\n';
    write_all(line, len);
    free(line);
    seq++;
}

void nn_todo_reached(const char *id, const char *file, int line)
{
    char rec[64];
    (void)file;
    (void)line;
    if (!wanted_id) {
        fprintf(stderr, "%s:%d: exercise %s is not done yet (its stub calls NN_TODO)\n", file, line,
                id);
        return;
    }
    for (int i = 0; i < n_todo_sent; i++)
        if (strcmp(todo_sent[i], id) == 0)
            return;
    if (n_todo_sent < 16)
        snprintf(todo_sent[n_todo_sent++], sizeof todo_sent[0], "%s", id);
    snprintf(rec, sizeof rec, "T\t%.40s\n", id);
    write_all(rec, strlen(rec));
}

void nn_ex_init(const char *chapter)
{
    wanted_id = getenv("NNLAB_EX_RUN");
    if (!wanted_id) {
        fprintf(stderr,
                "this is the runner of %s's exercises: it only computes.  Run the checker "
                "(make check-chNN or make grade), which starts it.\n",
                chapter);
        exit(2);
    }
}

void nn_ex_timeout(unsigned seconds) { (void)seconds; }
void nn_ex_hint(int level, const char *text)
{
    (void)level;
    (void)text;
}

void nn_ex_run(const char *id, const char *title, const char *hint, nn_ex_fn body)
{
    (void)title;
    (void)hint;
    if (!wanted_id || strcmp(id, wanted_id) != 0)
        return;
    fflush(stdout);
    body();
    fflush(stdout);
    fflush(stderr);
    write_all("E\n", 2);
    _exit(0);
}

int nn_ex_done(void) { return 0; }

void nn_ex_seed(uint64_t seed) { (void)seed; }
void nn_ex_note(const char *fmt, ...) { (void)fmt; }

int nn_ex_ok(int passed, const char *case_name, const char *why_fmt, ...)
{
    double v = passed ? 1 : 0;
    int my_seq = seq;
    send_values(case_name, &v, 1);
    if (!passed && why_fmt) {
        char why[1024], *line = malloc(64);
        size_t len = 0, cap = 64;
        va_list ap;
        va_start(ap, why_fmt);
        vsnprintf(why, sizeof why, why_fmt, ap);
        va_end(ap);
        if (!line)
            _exit(70);
        len += (size_t)snprintf(line, cap, "W\t%d\t", my_seq);
        put_escaped(&line, &len, &cap, why);
        if (len + 2 > cap)
            line = realloc(line, cap = len + 2);
        line[len++] = '\n';
        write_all(line, len);
        free(line);
    }
    return passed;
}

int nn_ex_int(long got, long want, const char *case_name)
{
    double v = (double)got;
    send_values(case_name, &v, 1);
    return got == want;
}

int nn_ex_ints(const long *got, const long *want, size_t n, const char *case_name)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    int same = 1;
    if (!v)
        _exit(70);
    for (size_t i = 0; i < n; i++) {
        v[i] = (double)got[i];
        same &= got[i] == want[i];
    }
    send_values(case_name, v, n);
    free(v);
    return same;
}

/* The return values below are the runner's own guess, so that a test
 * which branches on a check takes the same path here as in the checker for
 * an honest student; the checker's verdict is the one that counts. */
static int close_enough(double got, double want, double rtol, double atol)
{
    return isfinite(got) && isfinite(want) && fabs(got - want) <= atol + rtol * fabs(want);
}

int nn_ex_close(double got, double want, double rtol, double atol, const char *case_name)
{
    send_values(case_name, &got, 1);
    return close_enough(got, want, rtol, atol);
}

int nn_ex_close_doubles(const double *got, const double *want, size_t n, double rtol,
                        double atol, const char *case_name)
{
    int all = 1;
    for (size_t i = 0; i < n; i++)
        all &= close_enough(got[i], want[i], rtol, atol);
    send_values(case_name, got, n);
    return all;
}

int nn_ex_rel_error(const double *got, const double *want, size_t n, double tol,
                    const char *case_name)
{
    send_values(case_name, got, n);
    return nn_rel_error(got, want, n, NULL) <= tol;
}

int nn_ex_range(double got, double lo, double hi, const char *case_name)
{
    send_values(case_name, &got, 1);
    return got >= lo && got <= hi;
}

int nn_ex_holds(const double *got, size_t n, nn_ex_predicate holds, const void *context,
                const char *case_name)
{
    send_values(case_name, got, n);
    return holds(got, n, context, NULL, 0);
}
