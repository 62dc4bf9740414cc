/* test-child.h: run a piece of a test in a child process and collect what it
 * printed and how it ended.  Used where the behaviour under test ends the
 * process (nn_die exits, NN_ASSERT aborts, a failing TAP line makes the exit
 * status non-zero): the parent stays alive to report on it.
 *
 *     child_result r;
 *     run_child(die_with_message, NULL, &r);
 *     nn_is_int(r.exit_status, 1, "nn_die exits with the status it was given");
 *     nn_contains(r.err, "error: ...", "...");
 */
#ifndef TEST_CHILD_H
#define TEST_CHILD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    int exit_status;   /* exit status, or -1 when killed by a signal */
    int signal;        /* the signal that ended it, or 0 */
    char out[8192];    /* what it wrote to stdout (truncated) */
    char err[8192];    /* what it wrote to stderr (truncated) */
} child_result;

static void read_all(FILE *f, char *buf, size_t len)
{
    size_t n = 0, got;
    rewind(f);
    while (n + 1 < len && (got = fread(buf + n, 1, len - 1 - n, f)) > 0)
        n += got;
    buf[n] = '\0';
}

/* Runs body(arg) in a child whose stdout and stderr go to temporary files;
 * when body returns, the child exits with its return value. */
static void run_child(int (*body)(void *), void *arg, child_result *r)
{
    FILE *out = tmpfile(), *err = tmpfile();
    if (!out || !err) {
        printf("Bail out! cannot create temporary files for a child process\n");
        exit(99);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        printf("Bail out! fork failed\n");
        exit(99);
    }
    if (pid == 0) {
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(err), STDERR_FILENO);
        int status = body(arg);
        fflush(stdout);
        fflush(stderr);
        exit(status);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    read_all(out, r->out, sizeof r->out);
    read_all(err, r->err, sizeof r->err);
    fclose(out);
    fclose(err);
}

#endif
