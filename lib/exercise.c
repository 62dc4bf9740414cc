/* exercise.c: the exercise harness behind nn_exercise.h.
 *
 * Each exercise runs in a forked child.  The child makes the checks and
 * sends one record per event through a pipe; the parent prints TAP from the
 * records once the child is gone.  So a segfault, an abort or an exit() in
 * a student's code loses nothing already checked, an infinite loop is
 * killed at the time limit, and the next exercise is still graded.
 *
 * Records (one line each, fields separated by tabs, text JSON-escaped so a
 * line never holds a raw tab or newline):
 *     T <id> <file:line>          NN_TODO(id) was reached
 *     C <P|F> <case> <details>    a check passed or failed
 *     E                           the body returned normally */
#include "nn_exercise.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nn_tap.h"

enum ex_mode { MODE_STUDENT, MODE_SOLUTION, MODE_TEETH, MODE_HINT, MODE_LIST };

static enum ex_mode mode = MODE_STUDENT;
static const char *chapter = "";
static unsigned timeout_seconds = 10;
static FILE *results;            /* NNLAB_EX_RESULTS, or NULL */
static int test_number, failures;

/* The rubric's cases (solution mode checks the test and rubric agree). */
typedef struct {
    char *id, *name;
    int seen;
} rubric_line;
static rubric_line *rubric;
static int n_rubric;
static int have_rubric;

/* Child side: where records go, and the context for failure messages. */
static int record_fd = -1;
static uint64_t current_seed;
static int have_seed;
static char notes[2048];
static char todo_sent[16][32];
static int n_todo_sent;

/* ---- Text helpers ---------------------------------------------------------- */

/* JSON string escaping: the result can go into a record, a JSON file, and
 * (unescaped again by tools/grade) a report. */
static char *escape(const char *s)
{
    size_t len = strlen(s), k = 0;
    char *out = nn_malloc(6 * len + 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '\\': out[k++] = '\\'; out[k++] = '\\'; break;
        case '"': out[k++] = '\\'; out[k++] = '"'; break;
        case '\n': out[k++] = '\\'; out[k++] = 'n'; break;
        case '\t': out[k++] = '\\'; out[k++] = 't'; break;
        default:
            if (*p < 0x20)
                k += (size_t)sprintf(out + k, "\\u%04x", *p);
            else
                out[k++] = (char)*p;
        }
    }
    out[k] = '\0';
    return out;
}

static char *unescape_in_place(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (*r != '\\' || !r[1]) {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 'n': *w++ = '\n'; break;
        case 't': *w++ = '\t'; break;
        case 'u': *w++ = '?'; r += strlen(r) >= 4 ? 4 : strlen(r) - 1; break;
        default: *w++ = *r;
        }
    }
    *w = '\0';
    return s;
}

static void write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

static void send_record(const char *kind, const char *a, const char *b, const char *c)
{
    char *ea = escape(a ? a : ""), *eb = escape(b ? b : ""), *ec = escape(c ? c : "");
    size_t len = strlen(kind) + strlen(ea) + strlen(eb) + strlen(ec) + 8;
    char *line = nn_malloc(len);
    snprintf(line, len, "%s\t%s\t%s\t%s\n", kind, ea, eb, ec);
    write_all(record_fd, line, strlen(line));
    free(line);
    free(ea);
    free(eb);
    free(ec);
}

/* ---- NN_TODO ------------------------------------------------------------- */

void nn_todo_reached(const char *id, const char *file, int line)
{
    char where[512];
    if (record_fd < 0) {
        fprintf(stderr, "%s:%d: exercise %s is not done yet (its stub calls NN_TODO)\n", file, line,
                id);
        return;
    }
    for (int i = 0; i < n_todo_sent; i++)
        if (strcmp(todo_sent[i], id) == 0)
            return;
    if (n_todo_sent < 16)
        snprintf(todo_sent[n_todo_sent++], sizeof todo_sent[0], "%s", id);
    snprintf(where, sizeof where, "%s:%d", file, line);
    send_record("T", id, where, "");
}

/* ---- Setup ----------------------------------------------------------------- */

static void read_rubric(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    if (!f)
        return;
    have_rubric = 1;
    while (fgets(line, sizeof line, f)) {
        char id[64], *p = line;
        double points;
        int used;
        line[strcspn(line, "\r\n")] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\0')
            continue;
        if (sscanf(p, "%63s %lf %n", id, &points, &used) < 2)
            continue;
        p += used;
        size_t end = strlen(p);
        while (end > 0 && (p[end - 1] == ' ' || p[end - 1] == '\t'))
            p[--end] = '\0';
        rubric = realloc(rubric, (size_t)(n_rubric + 1) * sizeof *rubric);
        NN_ASSERT(rubric != NULL);
        rubric[n_rubric].id = strcpy(nn_malloc(strlen(id) + 1), id);
        rubric[n_rubric].name = strcpy(nn_malloc(strlen(p) + 1), p);
        rubric[n_rubric].seen = 0;
        n_rubric++;
    }
    fclose(f);
}

void nn_ex_init(const char *chapter_dir)
{
    const char *m = getenv("NNLAB_EX_MODE"), *t = getenv("NNLAB_EX_TIMEOUT");
    const char *out = getenv("NNLAB_EX_RESULTS");
    chapter = chapter_dir;
    if (m && strcmp(m, "solution") == 0)
        mode = MODE_SOLUTION;
    else if (m && strcmp(m, "teeth") == 0)
        mode = MODE_TEETH;
    else if (m && strcmp(m, "hint") == 0)
        mode = MODE_HINT;
    else if (m && strcmp(m, "list") == 0)
        mode = MODE_LIST;
    if (t && atoi(t) > 0)
        timeout_seconds = (unsigned)atoi(t);
    if (out && *out) {
        results = fopen(out, "a");
        if (!results)
            nn_tap_bail_out("cannot write the results file %s (NNLAB_EX_RESULTS): %s", out,
                            strerror(errno));
    }
    if (mode == MODE_SOLUTION) {
        const char *path = getenv("NNLAB_EX_RUBRIC");
        char buf[4096];
        if (!path) {
            const char *top = getenv("top_srcdir");
            snprintf(buf, sizeof buf, "%s/solutions/%s/rubric.txt", top ? top : NNLAB_SRCDIR,
                     chapter);
            path = buf;
        }
        read_rubric(path);
        if (!have_rubric)
            nn_tap_bail_out("no rubric at %s: write one line per graded case (see doc/EXERCISES.md)",
                            path);
    }
}

void nn_ex_timeout(unsigned seconds)
{
    if (!getenv("NNLAB_EX_TIMEOUT"))
        timeout_seconds = seconds;
}

static unsigned scaled_timeout(void)
{
    const char *scale = getenv("NNLAB_TIMEOUT_SCALE");
    if (scale && atof(scale) > 0)
        return (unsigned)(timeout_seconds * atof(scale) + 0.5);
    return timeout_seconds;
}

/* ---- Checks (in the child) ------------------------------------------------- */

void nn_ex_seed(uint64_t seed)
{
    current_seed = seed;
    have_seed = 1;
}

void nn_ex_note(const char *fmt, ...)
{
    size_t used = strlen(notes);
    va_list ap;
    if (used + 2 >= sizeof notes)
        return;
    if (used)
        notes[used++] = '\n', notes[used] = '\0';
    va_start(ap, fmt);
    vsnprintf(notes + used, sizeof notes - used, fmt, ap);
    va_end(ap);
}

static int report_case(int passed, const char *case_name, const char *details)
{
    char full[4096];
    snprintf(full, sizeof full, "%s", details ? details : "");
    if (!passed) {
        size_t used = strlen(full);
        if (notes[0] && used < sizeof full)
            used += (size_t)snprintf(full + used, sizeof full - used, "%s%s", used ? "\n" : "", notes);
        if (have_seed && used < sizeof full)
            snprintf(full + used, sizeof full - used, "%sseed: %llu", used ? "\n" : "",
                     (unsigned long long)current_seed);
    }
    notes[0] = '\0'; /* a note belongs to the one check after it */
    if (record_fd >= 0)
        send_record("C", passed ? "P" : "F", case_name, full);
    else /* outside nn_ex_run (a test calling checks directly): plain TAP */
        nn_ok(passed, "%s", case_name);
    return passed;
}

int nn_ex_ok(int passed, const char *case_name, const char *why_fmt, ...)
{
    char why[2048] = "";
    if (!passed && why_fmt) {
        va_list ap;
        va_start(ap, why_fmt);
        vsnprintf(why, sizeof why, why_fmt, ap);
        va_end(ap);
    }
    return report_case(passed, case_name, why);
}

int nn_ex_int(long got, long want, const char *case_name)
{
    char why[256];
    snprintf(why, sizeof why, "expected: %ld\ngot:      %ld", want, got);
    return report_case(got == want, case_name, why);
}

static int close_enough(double got, double want, double rtol, double atol)
{
    return isfinite(got) && isfinite(want) && fabs(got - want) <= atol + rtol * fabs(want);
}

static void close_details(char *buf, size_t len, double got, double want, double rtol, double atol)
{
    double err = fabs(got - want);
    snprintf(buf, len,
             "expected: %.10g\ngot:      %.10g\nerror:    %.3g (relative %.3g); tolerance: "
             "atol %.3g + rtol %.3g x |expected| = %.3g",
             want, got, err, want != 0 ? err / fabs(want) : INFINITY, atol, rtol,
             atol + rtol * fabs(want));
}

int nn_ex_close(double got, double want, double rtol, double atol, const char *case_name)
{
    char why[512];
    close_details(why, sizeof why, got, want, rtol, atol);
    return report_case(close_enough(got, want, rtol, atol), case_name, why);
}

int nn_ex_close_doubles(const double *got, const double *want, size_t n, double rtol,
                        double atol, const char *case_name)
{
    size_t worst = 0, n_bad = 0;
    double worst_excess = -INFINITY;
    char why[1024], tail[512];
    for (size_t i = 0; i < n; i++) {
        double excess = isfinite(got[i]) && isfinite(want[i])
                            ? fabs(got[i] - want[i]) - (atol + rtol * fabs(want[i]))
                            : INFINITY;
        if (excess > 0)
            n_bad++;
        if (excess > worst_excess) {
            worst_excess = excess;
            worst = i;
        }
    }
    if (n == 0)
        return report_case(1, case_name, "");
    close_details(tail, sizeof tail, got[worst], want[worst], rtol, atol);
    snprintf(why, sizeof why, "%zu of %zu values out of tolerance; worst at index %zu:\n%s", n_bad,
             n, worst, tail);
    return report_case(n_bad == 0, case_name, why);
}

int nn_ex_rel_error(const double *got, const double *want, size_t n, double tol,
                    const char *case_name)
{
    size_t worst;
    double err = nn_rel_error(got, want, n, &worst);
    int nonzero = 0;
    char why[768];
    for (size_t i = 0; i < n; i++)
        nonzero |= got[i] != 0;
    if (!nonzero)
        snprintf(why, sizeof why, "got an all-zero vector (expected e.g. %.10g at index %zu)",
                 n ? want[worst] : 0.0, worst);
    else
        snprintf(why, sizeof why,
                 "relative error max|got-expected|/max(|got|+|expected|) = %.3g > tolerance %.3g\n"
                 "worst at index %zu: expected %.10g, got %.10g",
                 err, tol, worst, want[worst], got[worst]);
    return report_case(nonzero && err <= tol && isfinite(err), case_name, why);
}

/* ---- Running one exercise (parent) ---------------------------------------- */

typedef struct {
    int passed;
    char *name, *details;
} ex_case;

static void tap_line(int passed, const char *directive, const char *fmt, ...) NN_PRINTF(3, 4);
static void tap_line(int passed, const char *directive, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", passed ? "ok" : "not ok", ++test_number);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (directive)
        printf(" # %s", directive);
    putchar('\n');
    if (!passed && !directive)
        failures++;
}

static void diag_block(const char *text)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        printf("#   %.*s\n", (int)len, p);
        p += len;
        if (*p == '\n')
            p++;
    }
}

static rubric_line *rubric_find(const char *id, const char *name)
{
    for (int i = 0; i < n_rubric; i++)
        if (strcmp(rubric[i].id, id) == 0 && strcmp(rubric[i].name, name) == 0)
            return &rubric[i];
    return NULL;
}

static void write_result(const char *kind, const char *id, const char *a, const char *b,
                         const char *c, const char *d)
{
    if (!results)
        return;
    char *ea = escape(a), *ec = escape(c), *ed = escape(d);
    fprintf(results, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kind, chapter, id, ea, b, ec, ed);
    fflush(results);
    free(ea);
    free(ec);
    free(ed);
}

/* Reads everything the child sends until it closes the pipe or the time
 * limit passes; returns 1 when the limit passed. */
static int read_child(int fd, char **text, size_t *len, unsigned limit)
{
    size_t cap = 4096;
    struct timespec start, now;
    *text = nn_malloc(cap);
    *len = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        double left = limit - ((double)(now.tv_sec - start.tv_sec) +
                               1e-9 * (double)(now.tv_nsec - start.tv_nsec));
        if (left <= 0)
            return 1;
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            continue;
        if (*len + 1024 > cap) {
            cap *= 2;
            *text = realloc(*text, cap);
            NN_ASSERT(*text != NULL);
        }
        ssize_t n = read(fd, *text + *len, cap - *len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        *len += (size_t)n;
    }
}

void nn_ex_run(const char *id, const char *title, const char *hint, nn_ex_fn body)
{
    if (mode == MODE_HINT) {
        const char *want = getenv("NNLAB_EX_ID");
        if (want && strcmp(want, id) == 0)
            printf("Exercise %s: %s\nhint: %s\n", id, title, hint);
        return;
    }
    if (mode == MODE_LIST) {
        printf("%s\t%s\n", id, title);
        return;
    }

    int fds[2];
    if (pipe(fds) != 0)
        nn_tap_bail_out("pipe: %s", strerror(errno));
    fflush(stdout);
    fflush(stderr);
    if (results)
        fflush(results);
    pid_t pid = fork();
    if (pid < 0)
        nn_tap_bail_out("fork: %s", strerror(errno));
    if (pid == 0) {
        /* The child: the student's printf debugging goes to stderr (the
         * test log), never into the TAP stream. */
        close(fds[0]);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        signal(SIGALRM, SIG_DFL);
        record_fd = fds[1];
        body();
        fflush(stdout);
        write_all(record_fd, "E\n", 2);
        _exit(0);
    }
    close(fds[1]);

    unsigned limit = scaled_timeout();
    char *text;
    size_t len;
    int timed_out = read_child(fds[0], &text, &len, limit);
    int status = 0;
    if (timed_out)
        kill(pid, SIGKILL);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    text[len] = '\0';

    /* Parse the records. */
    ex_case *cases = NULL;
    int n_cases = 0, ended = 0, own_todo = 0;
    char other_todo[256] = "", todo_where[512] = "";
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (!next)
            break; /* a record cut short by a crash */
        *next++ = '\0';
        char *f[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4; k++) {
            f[k] = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
            if (f[k])
                *f[k]++ = '\0';
        }
        if (strcmp(f[0], "E") == 0)
            ended = 1;
        else if (strcmp(f[0], "T") == 0 && f[1]) {
            unescape_in_place(f[1]);
            if (strcmp(f[1], id) == 0) {
                own_todo = 1;
                snprintf(todo_where, sizeof todo_where, "%s", f[2] ? unescape_in_place(f[2]) : "");
            } else if (strlen(other_todo) + strlen(f[1]) + 3 < sizeof other_todo) {
                strcat(other_todo, other_todo[0] ? ", " : "");
                strcat(other_todo, f[1]);
            }
        } else if (strcmp(f[0], "C") == 0 && f[1] && f[2] && f[3]) {
            cases = realloc(cases, (size_t)(n_cases + 1) * sizeof *cases);
            NN_ASSERT(cases != NULL);
            cases[n_cases].passed = f[1][0] == 'P';
            cases[n_cases].name = unescape_in_place(f[2]);
            cases[n_cases].details = unescape_in_place(f[3]);
            n_cases++;
        }
    }

    /* What happened to the child, in words. */
    char fate[256] = "";
    const char *state = "ok";
    if (timed_out) {
        snprintf(fate, sizeof fate, "timed out after %u s: infinite loop?", limit);
        state = "timeout";
    } else if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        snprintf(fate, sizeof fate, "crashed: %s (signal %d)", strsignal(sig), sig);
        state = "crash";
    } else if (!ended) {
        snprintf(fate, sizeof fate, "crashed: the exercise code exited (status %d) before the test finished",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        state = "crash";
    }
    if (own_todo && mode != MODE_TEETH)
        state = "todo";

    if (mode == MODE_TEETH) {
        tap_line(own_todo, NULL, "teeth: %s stub calls NN_TODO(\"%s\")", id, id);
        if (fate[0])
            nn_diag("  note: the stub of %s %s; its cases count as failing", id, fate);
        for (int i = 0; i < n_cases; i++) {
            tap_line(!cases[i].passed, NULL, "teeth: %s %s fails on the stub", id, cases[i].name);
            if (cases[i].passed)
                nn_diag("  the stub passes this case: the test cannot tell a stub from a solution");
        }
        if (n_cases == 0 && !fate[0])
            tap_line(0, NULL, "teeth: %s makes at least one check", id);
    } else if (own_todo) {
        for (int i = 0; i < n_cases; i++)
            tap_line(0, "TODO not attempted", "%s %s", id, cases[i].name);
        if (n_cases == 0)
            tap_line(0, "TODO not attempted", "%s %s", id, title);
        if (mode == MODE_SOLUTION) {
            tap_line(0, NULL, "%s solution does not call NN_TODO", id);
            nn_diag("  NN_TODO(\"%s\") reached at %s", id, todo_where);
        }
    } else {
        int any_failed = 0;
        for (int i = 0; i < n_cases; i++) {
            tap_line(cases[i].passed, NULL, "%s %s", id, cases[i].name);
            if (!cases[i].passed) {
                any_failed = 1;
                diag_block(cases[i].details);
            }
        }
        if (fate[0]) {
            tap_line(0, NULL, "%s %s: %s", id, title, fate);
            nn_diag("  exercise %s scores 0: it %s", id, fate);
            if (strcmp(state, "crash") == 0)
                nn_diag("  run it under a debugger or the sanitizers (./configure --enable-sanitizers)"
                        " to find the faulty line");
            any_failed = 1;
        } else if (n_cases == 0) {
            tap_line(0, NULL, "%s %s makes at least one check", id, title);
            any_failed = 1;
        }
        if (other_todo[0])
            nn_diag("  note: exercise %s called unfinished exercise(s) %s", id, other_todo);
        if (any_failed)
            nn_diag("  hint (%s %s): %s", id, title, hint);
    }

    /* The rubric and the test must name the same cases. */
    if (mode == MODE_SOLUTION)
        for (int i = 0; i < n_cases; i++) {
            rubric_line *r = rubric_find(id, cases[i].name);
            if (r)
                r->seen = 1;
            else
                tap_line(0, NULL, "rubric has a line for %s %s", id, cases[i].name);
        }

    write_result("X", id, title, state, fate, hint);
    for (int i = 0; i < n_cases; i++)
        write_result("C", id, cases[i].name,
                     strcmp(state, "todo") == 0 ? "todo" : cases[i].passed ? "pass" : "fail",
                     cases[i].passed ? "" : cases[i].details, "");
    fflush(stdout);
    free(cases);
    free(text);
}

int nn_ex_done(void)
{
    if (mode == MODE_HINT || mode == MODE_LIST)
        return 0;
    if (mode == MODE_SOLUTION) {
        int all_seen = 1;
        for (int i = 0; i < n_rubric; i++)
            if (!rubric[i].seen) {
                all_seen = 0;
                nn_diag("  rubric line '%s %s' matches no case the test ran", rubric[i].id,
                        rubric[i].name);
            }
        tap_line(all_seen, NULL, "every rubric line of %s matches a case of the test", chapter);
    }
    for (int i = 0; i < n_rubric; i++) {
        free(rubric[i].id);
        free(rubric[i].name);
    }
    free(rubric);
    rubric = NULL;
    n_rubric = 0;
    printf("1..%d\n", test_number);
    fflush(stdout);
    if (results)
        fclose(results);
    return failures ? 1 : 0;
}
