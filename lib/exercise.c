/* exercise.c: the checker side of nn_exercise.h.
 *
 * The checker is the chapter's exercise test linked with this file, the
 * instructor's solutions and libnnlab.a: kit code only.  For each exercise:
 *
 *  1. it starts the RUNNER (the same test linked with the code under test
 *     and lib/exercise-runner.c) in a sandbox: a private PID, mount,
 *     network and IPC namespace whose root holds only /usr, /etc and the
 *     runner (the kit, the solutions and every other student's files are
 *     not there), an unprivileged user id of its own, and limits on CPU
 *     time, address space, file size and processes; wall time is enforced
 *     by a keeper process that kills the namespace's init, which takes every
 *     process of the namespace with it (a setsid() daemon included).  Where
 *     namespaces are not available (not root) the limits still apply and
 *     the runner's process group is killed; doc/GRADING.md says what that
 *     leaves open.  The runner's stdout and stderr are kept up to a cap.
 *  2. it reads the raw values the runner sends on its pipe, in order;
 *  3. it runs the test body itself, in a forked child: every `want`
 *     expression is evaluated here, by kit code, and each check compares it
 *     with the runner's value of the same check number and case name.  A
 *     missing, misnamed or malformed record fails its case; anything after
 *     the first malformed record is ignored.
 *
 * The body's child sends one record per event through a pipe to this
 * process, which prints TAP once it is gone (fields separated by tabs, text
 * JSON-escaped so a line never holds a raw tab or newline):
 *     C <P|F> <case> <details>    a check passed or failed
 *     E                           the body returned normally */
#define _GNU_SOURCE /* unshare, mount, setgroups, strsignal: Linux's sandbox */
#include "nn_exercise.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#define NN_HAVE_NAMESPACES 1
#else
#define NN_HAVE_NAMESPACES 0
#endif
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

/* Hints beyond the first, for the next nn_ex_run (nn_ex_hint). */
static const char *more_hints[4];

/* Forbidden symbols the build found in the code under test: "id<TAB>symbol"
 * lines of NN-topic.MODE.forbidden beside the runner ("*" is every exercise). */
static char *forbidden_text;

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

/* ---- The runner's sandbox ---------------------------------------------------- */

/* What one run of the runner left: its records, its output (capped), and
 * how it ended. */
typedef struct {
    char *records;
    size_t len;
    char *output;
    size_t out_len;
    int out_cut;          /* output beyond the cap was dropped */
    int records_cut;      /* the record stream passed its cap */
    char how;             /* 'x' exited, 's' signal, 't' timed out, 'f' could not start */
    int code;             /* exit status or signal number */
    char why[256];        /* for 'f' */
} runner_run;

enum { OUTPUT_CAP = 64 * 1024, RECORDS_CAP = 8 * 1024 * 1024 };

static int sandbox_ns = -1; /* 1 namespaces, 0 limits only; -1 not decided yet */
static char runner_path[4096];

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static void write_status(int fd, char how, int code)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%c %d\n", how, code);
    write_all(fd, buf, (size_t)n);
}

#if NN_HAVE_NAMESPACES
static int bind_ro(const char *from, const char *to, int is_file)
{
    if (is_file) {
        int fd = open(to, O_CREAT | O_WRONLY, 0644);
        if (fd < 0)
            return -1;
        close(fd);
    } else if (mkdir(to, 0755) != 0 && errno != EEXIST)
        return -1;
    if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) != 0)
        return -1;
    return mount(NULL, to, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL);
}

/* Inside the new mount namespace: a root of its own holding the system's
 * /usr, /etc and friends read-only, a small private /tmp, /dev/null,
 * /dev/zero, /dev/urandom, a /proc of the namespace and the runner at
 * /run/runner.  The kit is not in it (and is covered should it live under
 * /usr or /etc). */
static int make_root(const char *workdir, char *err, size_t err_len)
{
    char root[4200], path[8400];
    static const char *const system_dirs[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
                                              "/libx32", "/etc"};
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        snprintf(err, err_len, "making / private: %s", strerror(errno));
        return -1;
    }
    snprintf(root, sizeof root, "%s/root", workdir);
    if (mkdir(root, 0755) != 0 || mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755") != 0) {
        snprintf(err, err_len, "a tmpfs root at %.200s: %s", root, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof system_dirs / sizeof *system_dirs; i++) {
        struct stat st;
        char target[4096];
        if (lstat(system_dirs[i], &st) != 0)
            continue;
        snprintf(path, sizeof path, "%s%s", root, system_dirs[i]);
        if (S_ISLNK(st.st_mode)) {
            ssize_t n = readlink(system_dirs[i], target, sizeof target - 1);
            if (n <= 0)
                continue;
            target[n] = '\0';
            if (symlink(target, path) != 0) {
                snprintf(err, err_len, "symlink %.200s: %s", path, strerror(errno));
                return -1;
            }
        } else if (S_ISDIR(st.st_mode) && bind_ro(system_dirs[i], path, 0) != 0) {
            snprintf(err, err_len, "binding %s: %s", system_dirs[i], strerror(errno));
            return -1;
        }
    }
    /* The kit's own folders, should they lie under a folder bound above. */
    const char *hide[3] = {getenv("top_srcdir"), NNLAB_SRCDIR, NULL};
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        hide[2] = cwd;
    for (int i = 0; i < 3; i++) {
        char real[4096];
        if (!hide[i] || !realpath(hide[i], real))
            continue;
        snprintf(path, sizeof path, "%s%s", root, real);
        if (access(path, F_OK) == 0)
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755");
    }
    snprintf(path, sizeof path, "%s/tmp", root);
    if (mkdir(path, 01777) != 0 ||
        mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777") != 0) {
        snprintf(err, err_len, "a private /tmp: %s", strerror(errno));
        return -1;
    }
    /* The kit's data sets and its tests' reference files, read-only at their
     * own paths: an exercise test may load its inputs from them.  Never
     * solutions/, exercises/ or the build tree (solution runners, results). */
    char data_dirs[6][4200];
    snprintf(data_dirs[0], sizeof data_dirs[0], "%s/data", env_or("top_srcdir", NNLAB_SRCDIR));
    snprintf(data_dirs[1], sizeof data_dirs[1], "%s/data", NNLAB_SRCDIR);
    snprintf(data_dirs[2], sizeof data_dirs[2], "%s", env_or("NNLAB_DATA", ""));
    snprintf(data_dirs[3], sizeof data_dirs[3], "%s", env_or("NNLAB_DATA_DIR", ""));
    snprintf(data_dirs[4], sizeof data_dirs[4], "%s/tests", env_or("top_srcdir", NNLAB_SRCDIR));
    snprintf(data_dirs[5], sizeof data_dirs[5], "%s/tests", NNLAB_SRCDIR);
    for (int i = 0; i < 6; i++) {
        char real[4096];
        struct stat st;
        if (!data_dirs[i][0] || !realpath(data_dirs[i], real) || stat(real, &st) != 0 ||
            !S_ISDIR(st.st_mode) || strncmp(real, "/usr/", 5) == 0)
            continue;
        /* Never a folder that holds the kit or the build (NNLAB_DATA=/ ...). */
        int holds_kit = 0;
        for (int k = 0; k < 3; k++) {
            char kit[4096];
            size_t len = strlen(real);
            if (hide[k] && realpath(hide[k], kit) && strncmp(kit, real, len) == 0 &&
                (kit[len] == '/' || kit[len] == '\0' || len == 1))
                holds_kit = 1;
        }
        if (holds_kit)
            continue;
        snprintf(path, sizeof path, "%s%s", root, real);
        for (char *slash = path + strlen(root) + 1; (slash = strchr(slash, '/')); slash++) {
            *slash = '\0';
            mkdir(path, 0755);
            *slash = '/';
        }
        if (bind_ro(real, path, 0) != 0) {
            snprintf(err, err_len, "binding %.200s: %s", real, strerror(errno));
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/dev", root);
    if (mkdir(path, 0755) != 0 || mount("tmpfs", path, "tmpfs", MS_NOSUID, "size=4k,mode=0755") != 0) {
        snprintf(err, err_len, "a private /dev: %s", strerror(errno));
        return -1;
    }
    static const char *const devices[] = {"/dev/null", "/dev/zero", "/dev/urandom"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", root, devices[i]);
        int fd = open(path, O_CREAT | O_WRONLY, 0666);
        if (fd >= 0)
            close(fd);
        if (fd < 0 || mount(devices[i], path, NULL, MS_BIND, NULL) != 0) {
            snprintf(err, err_len, "binding %s: %s", devices[i], strerror(errno));
            return -1;
        }
    }
    snprintf(path, sizeof path, "%s/proc", root);
    if (mkdir(path, 0555) == 0)
        mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    snprintf(path, sizeof path, "%s/run", root);
    char bin[4200];
    snprintf(bin, sizeof bin, "%s/bin", workdir);
    if (bind_ro(bin, path, 0) != 0) {
        snprintf(err, err_len, "binding the runner: %s", strerror(errno));
        return -1;
    }
    if (chdir(root) != 0 || chroot(".") != 0 || chdir("/run") != 0) {
        snprintf(err, err_len, "chroot: %s", strerror(errno));
        return -1;
    }
    return 0;
}

#endif

static void set_limit(int resource, rlim_t value)
{
    struct rlimit r = {value, value};
    setrlimit(resource, &r);
}

/* The runner itself: fds 0-3 set up, everything else closed, an id of its
 * own, limits, a clean environment. */
static void exec_runner(const char *exe, const char *id, uid_t uid, unsigned limit, int rec_fd,
                        int out_fd, int status_fd)
{
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0 ||
        dup2(rec_fd, 3) < 0) {
        write_status(status_fd, 'f', errno);
        _exit(127);
    }
    int keep_status = fcntl(status_fd, F_DUPFD_CLOEXEC, 4);
    for (int fd = 4; fd < 1024; fd++)
        if (fd != keep_status)
            close(fd);
    if (geteuid() == 0) {
        if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0) {
            write_status(keep_status, 'f', errno);
            _exit(127);
        }
    }
    set_limit(RLIMIT_CPU, limit + 1);
    set_limit(RLIMIT_FSIZE, 1 << 20);
    set_limit(RLIMIT_NPROC, 8);
    set_limit(RLIMIT_NOFILE, 64);
    set_limit(RLIMIT_CORE, 0);
    set_limit(RLIMIT_MEMLOCK, 0);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    {
        long mb = atol(env_or("NNLAB_EX_MEMORY_MB", "1024"));
        set_limit(RLIMIT_AS, (rlim_t)(mb > 0 ? mb : 1024) << 20);
    }
#endif
    char run_env[128];
    snprintf(run_env, sizeof run_env, "NNLAB_EX_RUN=%s", id);
    char *envp[16] = {run_env, "PATH=/usr/bin:/bin", "HOME=/tmp", "TMPDIR=/tmp", "LC_ALL=C"};
    int n_env = 5;
    /* The kit's own settings, from the checker's environment. */
    static const char *const passed_on[] = {"NNLAB_DATA", "NNLAB_DATA_DIR", "NNLAB_GEMM",
                                            "OMP_NUM_THREADS", "NNLAB_TIMEOUT_SCALE"};
    static char kept[5][4200];
    for (int i = 0; i < 5; i++) {
        const char *v = getenv(passed_on[i]);
        if (v && strlen(v) < 4000) {
            snprintf(kept[i], sizeof kept[i], "%s=%s", passed_on[i], v);
            envp[n_env++] = kept[i];
        }
    }
    envp[n_env] = NULL;
    char *const argv[] = {"runner", NULL};
    execve(exe, argv, envp);
    write_status(keep_status, 'f', errno);
    _exit(127);
}

/* Kills every process of uid: a process of that uid sends kill(-1). */
static void kill_uid(uid_t uid)
{
    pid_t p = fork();
    if (p == 0) {
        if (setgid((gid_t)uid) == 0 && setuid(uid) == 0)
            kill(-1, SIGKILL);
        _exit(0);
    }
    if (p > 0)
        while (waitpid(p, NULL, 0) < 0 && errno == EINTR)
            ;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The keeper: forks the namespace's init (or, without namespaces, the
 * runner), and kills it at the wall-time limit.  Kit code: the student's
 * code never runs in this process or in init. */
static void keeper(const char *workdir, const char *id, uid_t uid, unsigned limit, int use_ns,
                   int rec_fd, int out_fd, int status_fd)
{
    char err[512] = "";
#if NN_HAVE_NAMESPACES
    if (use_ns && unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) != 0) {
        write_status(status_fd, 'n', errno);
        _exit(0);
    }
#else
    use_ns = 0;
#endif
    pid_t init = fork();
    if (init < 0) {
        write_status(status_fd, 'f', errno);
        _exit(0);
    }
    if (init == 0) {
        char exe[4200];
        if (use_ns) {
#if NN_HAVE_NAMESPACES
            if (make_root(workdir, err, sizeof err) != 0) {
                /* Namespaces exist here but the private root could not be
                 * made: fail closed (this exercise cannot be graded) rather
                 * than run the student's code with less isolation. */
                write_all(status_fd, "m sandbox: ", 11);
                write_all(status_fd, err, strlen(err));
                write_all(status_fd, "\n", 1);
                _exit(0);
            }
#endif
            snprintf(exe, sizeof exe, "/run/runner");
        } else
            snprintf(exe, sizeof exe, "%s/bin/runner", workdir);
        pid_t runner = fork();
        if (runner == 0)
            exec_runner(exe, id, uid, limit, rec_fd, out_fd, status_fd);
        close(rec_fd);
        close(out_fd);
        if (runner < 0) {
            write_status(status_fd, 'f', errno);
            _exit(0);
        }
        /* Reap everything; report the runner's own end. */
        for (;;) {
            int status;
            pid_t p = waitpid(-1, &status, 0);
            if (p < 0 && errno == EINTR)
                continue;
            if (p < 0)
                _exit(0);
            if (p == runner) {
                if (WIFSIGNALED(status))
                    write_status(status_fd, 's', WTERMSIG(status));
                else
                    write_status(status_fd, 'x', WEXITSTATUS(status));
                _exit(0); /* as init: every process left in the namespace dies with it */
            }
        }
    }
    close(rec_fd);
    close(out_fd);
    double deadline = now_seconds() + limit;
    for (;;) {
        int status;
        pid_t p = waitpid(init, &status, WNOHANG);
        if (p == init)
            break;
        if (now_seconds() > deadline) {
            write_status(status_fd, 't', (int)limit);
            kill(init, SIGKILL);
            break;
        }
        struct timespec pause = {0, 5 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    _exit(0);
}

static void append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
    if (*len + n + 1 > *cap) {
        while (*len + n + 1 > *cap)
            *cap = *cap ? 2 * *cap : 4096;
        *buf = realloc(*buf, *cap);
        NN_ASSERT(*buf != NULL);
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static int copy_file(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = -1, ok = 0;
    char buf[65536];
    if (in >= 0)
        out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (in >= 0 && out >= 0) {
        ssize_t n;
        ok = 1;
        while ((n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                ok = 0;
        if (n < 0)
            ok = 0;
    }
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

static void run_runner_once(const char *id, unsigned limit, int use_ns, runner_run *rr)
{
    char workdir[4096], bin[4200], exe[4300];
    memset(rr, 0, sizeof *rr);
    rr->how = 'f';
    snprintf(workdir, sizeof workdir, "%s/nnlab-runner.XXXXXX", env_or("TMPDIR", "/tmp"));
    if (!mkdtemp(workdir)) {
        snprintf(rr->why, sizeof rr->why, "mkdtemp %.150s: %s", workdir, strerror(errno));
        return;
    }
    chmod(workdir, 0755);
    snprintf(bin, sizeof bin, "%s/bin", workdir);
    snprintf(exe, sizeof exe, "%s/runner", bin);
    if (mkdir(bin, 0755) != 0 || copy_file(runner_path, exe) != 0) {
        snprintf(rr->why, sizeof rr->why, "cannot copy the runner %.150s: %s", runner_path, strerror(errno));
        goto cleanup;
    }
    int rec[2], out[2], st[2];
    if (pipe(rec) != 0 || pipe(out) != 0 || pipe(st) != 0)
        nn_tap_bail_out("pipe: %s", strerror(errno));
    uid_t uid = (uid_t)(200000 + getpid() % 1000000);
    fflush(stdout);
    fflush(stderr);
    if (results)
        fflush(results);
    pid_t k = fork();
    if (k < 0)
        nn_tap_bail_out("fork: %s", strerror(errno));
    if (k == 0) {
        setsid();
        close(rec[0]);
        close(out[0]);
        close(st[0]);
        keeper(workdir, id, uid, limit, use_ns, rec[1], out[1], st[1]);
    }
    close(rec[1]);
    close(out[1]);
    close(st[1]);
    /* Read both streams to their end; the keeper's limit ends them.  A
     * backstop in case the keeper itself is stuck. */
    double backstop = now_seconds() + limit + 10;
    size_t rec_cap = 0, out_cap = 0;
    int open_fds = 2;
    struct pollfd p[2] = {{rec[0], POLLIN, 0}, {out[0], POLLIN, 0}};
    while (open_fds > 0) {
        double left = backstop - now_seconds();
        if (left <= 0) {
            kill(-k, SIGKILL);
            break;
        }
        int r = poll(p, 2, (int)(left * 1000) + 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            char buf[65536];
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
                continue;
            }
            if (i == 0) {
                if (rr->len + (size_t)n > RECORDS_CAP)
                    rr->records_cut = 1;
                else
                    append(&rr->records, &rr->len, &rec_cap, buf, (size_t)n);
            } else {
                size_t room = rr->out_len < OUTPUT_CAP ? OUTPUT_CAP - rr->out_len : 0;
                if ((size_t)n > room)
                    rr->out_cut = 1;
                append(&rr->output, &rr->out_len, &out_cap, buf, (size_t)n < room ? (size_t)n : room);
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    while (waitpid(k, NULL, 0) < 0 && errno == EINTR)
        ;
    /* Without namespaces: whatever the runner left behind goes now. */
    if (!use_ns) {
        kill(-k, SIGKILL);
        if (geteuid() == 0)
            kill_uid(uid);
    }
    char status[1024] = "";
    size_t got = 0;
    ssize_t n;
    while (got + 1 < sizeof status && (n = read(st[0], status + got, sizeof status - 1 - got)) > 0)
        got += (size_t)n;
    status[got] = '\0';
    close(st[0]);
    /* The first line that says how the runner ended ('t' wins: the keeper
     * writes it before it kills). */
    rr->how = 'f';
    for (char *line = status; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        if (line[0] == 't' || (rr->how == 'f' && strchr("xsn", line[0]))) {
            rr->how = line[0];
            rr->code = atoi(line + 1);
            if (line[0] == 'n')
                snprintf(rr->why, sizeof rr->why, "%s", line + 1);
        } else if (line[0] == 'f' && rr->how == 'f' && !rr->why[0])
            snprintf(rr->why, sizeof rr->why, "%s", strerror(atoi(line + 1)));
        else if (line[0] == 'm' && rr->how == 'f')
            snprintf(rr->why, sizeof rr->why, "%s", line + 2);
        if (!end)
            break;
        line = end + 1;
    }
    if (rr->how == 'f' && !rr->why[0])
        snprintf(rr->why, sizeof rr->why, "the sandbox reported nothing");
cleanup:
    unlink(exe);
    rmdir(bin);
    {
        char root[4200];
        snprintf(root, sizeof root, "%s/root", workdir);
        rmdir(root);
    }
    rmdir(workdir);
}

static void run_runner(const char *id, unsigned limit, runner_run *rr)
{
    if (sandbox_ns < 0)
        sandbox_ns = geteuid() == 0 && strcmp(env_or("NNLAB_EX_SANDBOX", "ns"), "none") != 0;
    run_runner_once(id, limit, sandbox_ns, rr);
    if (rr->how == 'n') { /* namespaces refused: say so once, then limits only */
        nn_diag("  sandbox: no namespaces here (%s): runners get limits only (doc/GRADING.md)",
                rr->why[0] ? rr->why : strerror(rr->code));
        sandbox_ns = 0;
        free(rr->records);
        free(rr->output);
        run_runner_once(id, limit, 0, rr);
    }
}

/* ---- The runner's values --------------------------------------------------- */

typedef struct {
    char *name;
    size_t n;
    double *v;
    char *why; /* W record of a failed nn_ex_ok, or NULL */
} received;

static received *recv_values;
static int n_recv;
static char broken[256]; /* why the stream stopped being read, or "" */

static int parse_values(char *text, size_t n, double *v)
{
    char *p = text;
    for (size_t i = 0; i < n; i++) {
        char *end;
        if (i > 0) {
            if (*p != ' ')
                return -1;
            p++;
        }
        v[i] = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
    }
    return *p == '\0' ? 0 : -1;
}

/* Reads the runner's records strictly: V records numbered 0, 1, 2, ... in
 * order; the first line that breaks the format ends the reading. */
static void parse_runner(char *text, const char *id, int *own_todo, char *other_todo,
                         size_t other_len, int *ended)
{
    n_recv = 0;
    broken[0] = '\0';
    *own_todo = *ended = 0;
    other_todo[0] = '\0';
    int line_no = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        line_no++;
        if (!next) {
            snprintf(broken, sizeof broken, "record %d is cut short", line_no);
            break;
        }
        *next++ = '\0';
        char *f[6] = {line, NULL, NULL, NULL, NULL, NULL};
        int nf = 1;
        for (char *q = line; *q && nf < 6; q++)
            if (*q == '\t') {
                *q = '\0';
                f[nf++] = q + 1;
            }
        if (*ended) {
            snprintf(broken, sizeof broken, "records after the end (line %d) are ignored", line_no);
            break;
        }
        if (strcmp(f[0], "E") == 0 && nf == 1)
            *ended = 1;
        else if (strcmp(f[0], "T") == 0 && nf == 2) {
            if (strcmp(f[1], id) == 0)
                *own_todo = 1;
            else if (strlen(other_todo) + strlen(f[1]) + 3 < other_len && !strstr(other_todo, f[1])) {
                strcat(other_todo, other_todo[0] ? ", " : "");
                strcat(other_todo, f[1]);
            }
        } else if (strcmp(f[0], "V") == 0 && nf == 5 && atoi(f[1]) == n_recv &&
                   strspn(f[1], "0123456789") == strlen(f[1])) {
            char *endn;
            unsigned long long count = strtoull(f[3], &endn, 10);
            if (*endn || count > RECORDS_CAP) {
                snprintf(broken, sizeof broken, "record %d is malformed", line_no);
                break;
            }
            double *v = nn_malloc((count ? count : 1) * sizeof *v);
            if (parse_values(f[4], (size_t)count, v) != 0) {
                free(v);
                snprintf(broken, sizeof broken, "record %d is malformed", line_no);
                break;
            }
            recv_values = realloc(recv_values, (size_t)(n_recv + 1) * sizeof *recv_values);
            NN_ASSERT(recv_values != NULL);
            recv_values[n_recv].name = unescape_in_place(f[2]);
            recv_values[n_recv].n = (size_t)count;
            recv_values[n_recv].v = v;
            recv_values[n_recv].why = NULL;
            n_recv++;
        } else if (strcmp(f[0], "W") == 0 && nf == 3 && n_recv > 0 && atoi(f[1]) == n_recv - 1 &&
                   !recv_values[n_recv - 1].why) {
            recv_values[n_recv - 1].why = unescape_in_place(f[2]);
        } else {
            snprintf(broken, sizeof broken, "record %d is not in the runner's format", line_no);
            break;
        }
    }
}

static void free_received(void)
{
    for (int i = 0; i < n_recv; i++)
        free(recv_values[i].v);
    free(recv_values);
    recv_values = NULL;
    n_recv = 0;
}

/* The values of the current check from the runner, or NULL with the reason. */
static int check_index;
static const double *runner_values(const char *case_name, size_t n, char *why, size_t why_len)
{
    int k = check_index++;
    if (k >= n_recv) {
        snprintf(why, why_len,
                 "no value came from your code for this check: it %s before reaching it%s%s",
                 "stopped (crashed, timed out or exited)", broken[0] ? "; " : "", broken);
        return NULL;
    }
    if (strcmp(recv_values[k].name, case_name) != 0) {
        snprintf(why, why_len, "check %d of your run is named \"%.200s\", not this case", k,
                 recv_values[k].name);
        return NULL;
    }
    if (recv_values[k].n != n) {
        snprintf(why, why_len, "your run sent %zu values for this check; the test has %zu",
                 recv_values[k].n, n);
        return NULL;
    }
    return recv_values[k].v;
}

/* ---- NN_TODO ------------------------------------------------------------- */

void nn_todo_reached(const char *id, const char *file, int line)
{
    /* Reached only where the checker had to be linked with the student's own
     * files (a student copy without solutions/): the runner reports it. */
    (void)id;
    (void)file;
    (void)line;
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
    if (mode == MODE_STUDENT || mode == MODE_SOLUTION || mode == MODE_TEETH) {
        const char *r = getenv("NNLAB_EX_RUNNER");
        if (r && *r)
            snprintf(runner_path, sizeof runner_path, "%s", r);
        else {
            ssize_t n = readlink("/proc/self/exe", runner_path, sizeof runner_path - 16);
            if (n <= 0)
                nn_tap_bail_out("set NNLAB_EX_RUNNER to the runner of %s (its .runner program)",
                                chapter);
            runner_path[n] = '\0';
            size_t len = (size_t)n;
            if (len > 3 && strcmp(runner_path + len - 3, ".ex") == 0)
                runner_path[len - 3] = '\0';
            strcat(runner_path, ".runner");
        }
        if (access(runner_path, X_OK) != 0)
            nn_tap_bail_out("no runner %s (%s): build it with make check (tools/ex-build)",
                            runner_path, strerror(errno));
        char fpath[4200];
        snprintf(fpath, sizeof fpath, "%.*s.forbidden", (int)(strlen(runner_path) - 7), runner_path);
        FILE *f = fopen(fpath, "r");
        if (f) {
            size_t len = 0, cap = 0;
            char buf[4096];
            size_t n;
            while ((n = fread(buf, 1, sizeof buf, f)) > 0)
                append(&forbidden_text, &len, &cap, buf, n);
            fclose(f);
        }
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

/* Every check below ignores its own `got` (in the checker the code under
 * test is the solution) and compares `want` with the runner's value. */

int nn_ex_ok(int passed, const char *case_name, const char *why_fmt, ...)
{
    char why[2048] = "";
    (void)passed;
    (void)why_fmt;
    const double *v = runner_values(case_name, 1, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    int ok = v[0] == 1;
    const char *said = recv_values[check_index - 1].why;
    if (!ok && said)
        snprintf(why, sizeof why, "%.1500s", said);
    return report_case(ok, case_name, why);
}

int nn_ex_int(long got, long want, const char *case_name)
{
    char why[512];
    (void)got;
    const double *v = runner_values(case_name, 1, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    snprintf(why, sizeof why, "expected: %ld\ngot:      %.17g", want, v[0]);
    return report_case(v[0] == (double)want, case_name, why);
}

int nn_ex_ints(const long *got, const long *want, size_t n, const char *case_name)
{
    char why[512];
    (void)got;
    const double *v = runner_values(case_name, n, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    for (size_t i = 0; i < n; i++)
        if (v[i] != (double)want[i]) {
            snprintf(why, sizeof why, "at index %zu of %zu: expected %ld, got %.17g", i, n, want[i],
                     v[i]);
            return report_case(0, case_name, why);
        }
    return report_case(1, case_name, "");
}

int nn_ex_range(double got, double lo, double hi, const char *case_name)
{
    char why[512];
    (void)got;
    const double *v = runner_values(case_name, 1, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    snprintf(why, sizeof why, "expected a value in [%.10g, %.10g]\ngot:      %.10g", lo, hi, v[0]);
    return report_case(v[0] >= lo && v[0] <= hi, case_name, why);
}

int nn_ex_holds(const double *got, size_t n, nn_ex_predicate holds, const void *context,
                const char *case_name)
{
    char why[2048] = "";
    (void)got;
    const double *v = runner_values(case_name, n, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    int ok = holds(v, n, context, why, sizeof why) != 0;
    return report_case(ok, case_name, ok ? "" : why);
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
    (void)got;
    const double *v = runner_values(case_name, 1, why, sizeof why);
    if (!v)
        return report_case(0, case_name, why);
    close_details(why, sizeof why, v[0], want, rtol, atol);
    return report_case(close_enough(v[0], want, rtol, atol), case_name, why);
}

int nn_ex_close_doubles(const double *got_here, const double *want, size_t n, double rtol,
                        double atol, const char *case_name)
{
    size_t worst = 0, n_bad = 0;
    double worst_excess = -INFINITY;
    char why[1024], tail[512];
    (void)got_here;
    const double *got = runner_values(case_name, n, why, sizeof why);
    if (!got)
        return report_case(0, case_name, why);
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

int nn_ex_rel_error(const double *got_here, const double *want, size_t n, double tol,
                    const char *case_name)
{
    size_t worst;
    char why[768];
    (void)got_here;
    const double *got = runner_values(case_name, n, why, sizeof why);
    if (!got)
        return report_case(0, case_name, why);
    double err = nn_rel_error(got, want, n, &worst);
    int nonzero = 0;
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

void nn_ex_hint(int level, const char *text)
{
    if (level >= 2 && level <= 3)
        more_hints[level] = text;
}

/* The forbidden symbols the code under test references for exercise id,
 * as "a, b", or "" for none. */
static void forbidden_for(const char *id, char *out, size_t len)
{
    out[0] = '\0';
    if (!forbidden_text)
        return;
    char *copy = strcpy(nn_malloc(strlen(forbidden_text) + 1), forbidden_text);
    for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        if ((strcmp(line, id) == 0 || strcmp(line, "*") == 0) && !strstr(out, tab + 1) &&
            strlen(out) + strlen(tab + 1) + 3 < len) {
            strcat(out, out[0] ? ", " : "");
            strcat(out, tab + 1);
        }
    }
    free(copy);
}

void nn_ex_run(const char *id, const char *title, const char *hint, nn_ex_fn body)
{
    const char *hint2 = more_hints[2], *hint3 = more_hints[3];
    more_hints[2] = more_hints[3] = NULL;
    if (mode == MODE_HINT) {
        const char *want = getenv("NNLAB_EX_ID");
        int level = atoi(env_or("NNLAB_EX_HINT_LEVEL", "1"));
        if (want && strcmp(want, id) == 0) {
            int levels = hint3 ? 3 : hint2 ? 2 : 1;
            printf("Exercise %s: %s\nhint: %s\n", id, title, hint);
            if (level >= 2 && hint2)
                printf("hint, level 2: %s\n", hint2);
            if (level >= 3 && hint3)
                printf("hint, level 3: %s\n", hint3);
            if (level > levels)
                printf("(exercise %s has %d hint level%s: that was all of them)\n", id, levels,
                       levels > 1 ? "s" : "");
            else if (level < levels)
                printf("(more detail: make hint EX=%s LEVEL=%d)\n", id, level + 1);
        }
        return;
    }
    if (mode == MODE_LIST) {
        printf("%s\t%s\n", id, title);
        return;
    }

    unsigned limit = scaled_timeout();
    char banned[1024];
    forbidden_for(id, banned, sizeof banned);

    /* 1. The runner computes, in its sandbox. */
    runner_run rr;
    run_runner(id, limit, &rr);
    int own_todo, ended;
    char other_todo[256];
    parse_runner(rr.records ? rr.records : (char *)"", id, &own_todo, other_todo,
                 sizeof other_todo, &ended);
    if (rr.out_len > 0) {
        fprintf(stderr, "---- output of exercise %s (%s mode)%s ----\n", id,
                mode == MODE_SOLUTION ? "solution" : mode == MODE_TEETH ? "teeth" : "student",
                rr.out_cut ? ", first 64 KiB" : "");
        fwrite(rr.output, 1, rr.out_len, stderr);
        fprintf(stderr, "\n---- end of the output of exercise %s ----\n", id);
    }

    /* 2. The checker runs the same body, comparing with the runner's values. */
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
        int null = open("/dev/null", O_WRONLY);
        close(fds[0]);
        if (null >= 0)
            dup2(null, STDOUT_FILENO); /* the solution's own prints are nobody's business */
        record_fd = fds[1];
        check_index = 0;
        body();
        fflush(stdout);
        write_all(record_fd, "E\n", 2);
        _exit(0);
    }
    close(fds[1]);

    char *text;
    size_t len;
    /* The checker's own run is kit code and quick, but in a student copy
     * (no solutions/) it calls the student's functions too: then it may loop
     * where the runner did. */
    int timed_out = read_child(fds[0], &text, &len, rr.how == 't' ? limit : limit + 10);
    int status = 0;
    if (timed_out)
        kill(pid, SIGKILL);
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    text[len] = '\0';

    /* Parse the checker's records. */
    ex_case *cases = NULL;
    int n_cases = 0, checker_ended = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (!next)
            break;
        *next++ = '\0';
        char *f[4] = {line, NULL, NULL, NULL};
        for (int k = 1; k < 4; k++) {
            f[k] = f[k - 1] ? strchr(f[k - 1], '\t') : NULL;
            if (f[k])
                *f[k]++ = '\0';
        }
        if (strcmp(f[0], "E") == 0)
            checker_ended = 1;
        else if (strcmp(f[0], "C") == 0 && f[1] && f[2] && f[3]) {
            cases = realloc(cases, (size_t)(n_cases + 1) * sizeof *cases);
            NN_ASSERT(cases != NULL);
            cases[n_cases].passed = f[1][0] == 'P';
            cases[n_cases].name = unescape_in_place(f[2]);
            cases[n_cases].details = unescape_in_place(f[3]);
            n_cases++;
        }
    }
    if ((!checker_ended || timed_out || !WIFEXITED(status)) && rr.how == 'x' && ended)
        nn_tap_bail_out("the checker's own run of exercise %s did not finish (%s): a bug in "
                        "tests/exercises/%s.c or solutions/, not in the code under test",
                        id, timed_out ? "timed out" : "crashed", chapter);
    const char *running = n_recv < n_cases ? cases[n_recv].name : "(after its last check)";
    char todo_where[8] = "";
    /* What happened to the runner, in words. */
    char fate[1400] = "";
    const char *state = "ok";
    if (rr.how == 't') {
        snprintf(fate, sizeof fate,
                 "timed out after %u s while computing case \"%.200s\": infinite loop?", limit,
                 running);
        state = "timeout";
    } else if (rr.how == 's') {
        snprintf(fate, sizeof fate, "crashed: %s (signal %d) while computing case \"%.200s\"%s",
                 strsignal(rr.code), rr.code, running,
                 rr.code == SIGXCPU ? " (the CPU time limit)" :
                 rr.code == SIGXFSZ ? " (the 1 MiB file size limit)" : "");
        state = "crash";
    } else if (rr.how == 'f') {
        snprintf(fate, sizeof fate, "could not be started: %.300s", rr.why);
        state = "crash";
    } else if (!ended) {
        snprintf(fate, sizeof fate,
                 "crashed: the exercise code exited (status %d) before the test finished, while "
                 "computing case \"%.200s\"",
                 rr.code, running);
        state = "crash";
    }
    if (rr.records_cut && !fate[0]) {
        snprintf(fate, sizeof fate, "sent more than 8 MiB of records: flooding");
        state = "crash";
    }
    if (banned[0] && mode != MODE_TEETH) {
        snprintf(fate, sizeof fate,
                 "uses %.900s, which %s forbids: that is the kit's own code for what the exercise "
                 "asks you to write (or a way around the grader), so the exercise scores 0",
                 banned, id);
        state = "forbidden";
    }
    if (own_todo && mode != MODE_TEETH && strcmp(state, "forbidden") != 0)
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
    free(rr.records);
    free(rr.output);
    free_received();
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
