#!/bin/sh
# hostile.gsh: a class of hostile submissions, graded with make grade-class's
# tool, each scoring exactly what its honest answers earn.
#
# Every submission but two answers exercise 6.2 honestly (7 of chapter 6's
# 21 points), leaves 6.1 and 6.3 as stubs or uses them for an attack, and
# attacks the grader: issue 13's list, one class per student.  The test
# asserts each student's total, that the class run finishes and exits 0,
# that the kit (a private copy) is byte-for-byte unchanged afterwards, that
# no process of the run survives it and that nothing large was kept.
# Short limits keep it fast: 2 s per exercise, 256 MiB per runner.
set -u
top_srcdir=$(cd "${top_srcdir:?}" && pwd)
if [ ! -d "$top_srcdir/solutions/06-pooling" ]; then
    echo "1..0 # SKIP no solutions/ in this tree (a student copy)"
    exit 0
fi
# The isolation asserted below needs the full sandbox: root and namespaces.
if [ "$(id -u)" != 0 ] || ! unshare --mount --pid --net --fork true 2> /dev/null; then
    echo "1..0 # SKIP the runner's sandbox needs root and Linux namespaces here (doc/GRADING.md)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-hostile.XXXXXX")
[ -n "${KEEP_TMP:-}" ] || trap 'chmod -R u+w "$tmp" 2> /dev/null; rm -rf "$tmp"' EXIT
n=0
status=0
check() { # description, then a command that must succeed
    desc=$1
    shift
    n=$((n + 1))
    if "$@" > "$tmp/check.out" 2>&1; then
        echo "ok $n - $desc"
    else
        echo "not ok $n - $desc"
        sed 's/^/# /' "$tmp/check.out" | head -n 30
        status=1
    fi
}

# ---- A private copy of the kit (chapter 6), to be checked afterwards ------
kit=$tmp/kit
mkdir -p "$kit/lib" "$kit/tests/exercises" "$kit/exercises" "$kit/solutions"
cp "$top_srcdir"/lib/*.h "$top_srcdir/lib/exercise-runner.c" "$kit/lib/"
cp -R "$top_srcdir/tools" "$kit/tools"
cp -R "$top_srcdir/solutions/06-pooling" "$kit/solutions/"
cp -R "$top_srcdir/exercises/06-pooling" "$kit/exercises/"
cp "$top_srcdir/tests/exercises/06-pooling.c" "$kit/tests/exercises/"
chmod -R a-w "$kit"
fingerprint() { (cd "$1" && find . -type f -exec cksum {} + | sort) }
fingerprint "$kit" > "$tmp/kit.before"

# A compiled solution runner at a known place, for the attacks that try to
# run or load it.
sol=$tmp/sol
mkdir -p "$sol"
top_srcdir=$kit "$kit/tools/ex-build" "$sol/06-pooling.solution.ex" 2> "$tmp/sol.log"

subs=$tmp/subs
class=$tmp/class
submission() { # folder, C code before the functions, body of ex_maxpool
    body=${3:-}
    [ -n "$body" ] || body='NN_TODO("6.1");'
    mkdir -p "$subs/$1/exercises/06-pooling"
    cat > "$subs/$1/exercises/06-pooling/ex06-pooling.c" <<C
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <unistd.h>
#include "nnlab.h"
#include "ex06-pooling.h"
$2
void ex_maxpool(double *out, int *argmax, const double *in, int H, int W, int F, int S, int P)
{
    (void)out; (void)argmax; (void)in; (void)H; (void)W; (void)F; (void)S; (void)P;
    $body
}
void ex_avgpool_backward(double *d_in, const double *d_out, int H, int W, int F, int S, int P)
{
    int H2 = (H + 2 * P - F) / S + 1, W2 = (W + 2 * P - F) / S + 1;
    for (int i = 0; i < H2; i++)
        for (int j = 0; j < W2; j++) {
            int r0 = i * S - P, c0 = j * S - P, n = 0;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    n += r0 + u >= 0 && r0 + u < H && c0 + v >= 0 && c0 + v < W;
            for (int u = 0; u < F; u++)
                for (int v = 0; v < F; v++)
                    if (r0 + u >= 0 && r0 + u < H && c0 + v >= 0 && c0 + v < W)
                        d_in[(r0 + u) * W + c0 + v] += d_out[i * W2 + j] / n;
        }
}
void ex_lppool(double *out, const double *in, int H, int W, int F, int S, double p)
{
    NN_TODO("6.3"); (void)out; (void)in; (void)H; (void)W; (void)F; (void)S; (void)p;
}
void ex_lppool_backward(double *d_in, const double *d_out, const double *in, const double *out,
                        int H, int W, int F, int S, double p)
{
    NN_TODO("6.3"); (void)d_in; (void)d_out; (void)in; (void)out; (void)H; (void)W; (void)F; (void)S; (void)p;
}
C
}

# Honest baselines.
mkdir -p "$subs/honest/exercises/06-pooling" "$subs/stub/exercises/06-pooling"
cp "$kit/solutions/06-pooling/ex06-pooling.c" "$subs/honest/exercises/06-pooling/"
cp "$kit/exercises/06-pooling/ex06-pooling.c" "$subs/stub/exercises/06-pooling/"
submission partial ''

# 1. A copy of the harness's functions, all passing.
submission paste-harness '
int nn_ex_close_doubles(const double *g, const double *w, size_t n, double r, double a, const char *c)
{ (void)g; (void)w; (void)n; (void)r; (void)a; (void)c; return 1; }
int nn_ex_rel_error(const double *g, const double *w, size_t n, double t, const char *c)
{ (void)g; (void)w; (void)n; (void)t; (void)c; return 1; }
int nn_ex_ok(int p, const char *c, const char *f, ...) { (void)p; (void)c; (void)f; return 1; }
void nn_todo_reached(const char *id, const char *file, int line) { (void)id; (void)file; (void)line; }
void nn_ex_run(const char *id, const char *t, const char *h, nn_ex_fn body)
{ (void)t; (void)h; (void)body; dprintf(3, "C\tP\t%s everything\t\nE\n", id); }'

# 2. Records appended to the results files it can name.
submission forge-results "
__attribute__((constructor)) static void forge(void)
{
    const char *paths[] = {getenv(\"NNLAB_EX_RESULTS\"), \"$class/students/forge-results/results.tsv\"};
    for (int i = 0; i < 2; i++) {
        FILE *f = paths[i] ? fopen(paths[i], \"a\") : NULL;
        if (!f) continue;
        fprintf(f, \"X\t06-pooling\t6.1\tMax pooling\tok\t\t\nC\t06-pooling\t6.1\targmax holds r W + c of each maximum\tpass\t\t\n\");
        fclose(f);
    }
}"

# 3. Forged records on the runner's pipe, and fake TAP on stdout.
submission forge-pipe '
__attribute__((constructor)) static void forge(void)
{
    const char *id = getenv("NNLAB_EX_RUN");
    printf("ok 1 - 6.1 deck 003: the 4x4 example gives [[5,8],[6,7]]\n1..1\n# TOTAL: 16/16\n");
    if (!id || strcmp(id, "6.2") == 0) return;
    dprintf(3, "C\tP\tdeck 003: the 4x4 example gives [[5,8],[6,7]]\t\n");
    dprintf(3, "V\t3\tgradient matches central differences\t1\t0x1p+0\n");
    dprintf(3, "V\t0\tdeck 003: the 4x4 example gives [[5,8],[6,7]]\t4\t5 8 6 7 9\n");
    dprintf(3, "E\nV\t1\tanything\t1\t1\n");
}'

# 4. Rewriting the rubric, the test and the solutions at run time.
submission rewrite-kit "
__attribute__((constructor)) static void rewrite(void)
{
    const char *files[] = {\"$kit/exercises/06-pooling/rubric.txt\", \"$kit/solutions/06-pooling/rubric.txt\",
                           \"$kit/tests/exercises/06-pooling.c\", \"$kit/tools/grade\"};
    for (int i = 0; i < 4; i++) {
        chmod(files[i], 0666);
        FILE *f = fopen(files[i], \"w\");
        if (f) { fputs(\"6.1 1000 deck 003: the 4x4 example gives [[5,8],[6,7]]\n\", f); fclose(f); }
        unlink(files[i]);
    }
}"

# 5. Overwriting another student's results and submission, and the class CSV.
submission overwrite-others "
__attribute__((constructor)) static void overwrite(void)
{
    const char *files[] = {\"$class/students/honest/grade.csv\", \"$class/students/honest/results.tsv\",
                           \"$class/grades.csv\", \"$subs/honest/exercises/06-pooling/ex06-pooling.c\"};
    for (int i = 0; i < 4; i++) {
        FILE *f = fopen(files[i], \"w\");
        if (f) { fputs(\"honest,0,0,0,0,0,0,0,0,0,21\n\", f); fclose(f); }
    }
}"

# 6. Including the solution.
mkdir -p "$subs/include-solution/exercises/06-pooling"
printf '#include "%s"\n' "$kit/solutions/06-pooling/ex06-pooling.c" \
    > "$subs/include-solution/exercises/06-pooling/ex06-pooling.c"

# ... and embedding it with the assembler.
submission asm-incbin "
__asm__(\".section .rodata\\nsolution_text: .incbin \\\"$kit/solutions/06-pooling/ex06-pooling.c\\\"\\n.text\");"

# 7. Loading a compiled solution with dlopen, and 8. running it in place of
# the runner (exec keeps the record pipe).
submission dlopen-solution "
__attribute__((constructor)) static void load(void)
{
    void *h = dlopen(\"$sol/06-pooling.solution.runner\", RTLD_NOW);
    (void)h;
}"
submission exec-solution "
__attribute__((constructor)) static void run_solution(void)
{
    char *argv[] = {\"runner\", NULL};
    execv(\"$sol/06-pooling.solution.runner\", argv);
    execv(\"$top_srcdir/exercises/06-pooling.solution.runner\", argv);
}"

# 9. A kill() of its own, and a loop.
submission define-kill '
int kill(pid_t pid, int sig) { (void)pid; (void)sig; return 0; }' 'for (;;) {}'

# 10. A constructor that sets the harness's time limit and ignores alarms.
submission env-timeout '
__attribute__((constructor)) static void patient(void)
{
    setenv("NNLAB_EX_TIMEOUT", "100000", 1);
    setenv("NNLAB_TIMEOUT_SCALE", "1000", 1);
    signal(SIGALRM, SIG_IGN);
    alarm(0);
}' 'for (;;) {}'

# 11. A setsid() daemon that would outlive the run.
submission setsid-daemon '
__attribute__((constructor)) static void daemonise(void)
{
    if (fork() == 0) {
        setsid();
        if (fork() == 0) {
            prctl(PR_SET_NAME, "nnlab-daemon");
            for (;;) sleep(1);
        }
        _exit(0);
    }
}'

# 12. A fork bomb, 13. an output flood, 14. memory exhaustion.
submission fork-bomb '' 'for (;;) fork();'
submission output-flood '' '
    static char block[1 << 20];
    memset(block, 120, sizeof block);
    FILE *f = fopen("flood.txt", "w");
    for (int i = 0; i < 200; i++) {
        fwrite(block, 1, sizeof block, stdout);
        fwrite(block, 1, sizeof block, stderr);
        if (f) fwrite(block, 1, sizeof block, f);
    }'
submission memory '' 'for (;;) { char *p = malloc(1 << 24); if (!p) abort(); memset(p, 1, 1 << 24); }'

# 15. A folder named like the class file, 16. a folder name holding a newline
# and a CSV row.
submission grades.csv ''
submission 'eve
mallory,21,21,21,21,21,21,21' ''

# 17. Calling the kit's own max pool.
submission lib-version '' '
    nn_pool_dims d;
    float x[64] = {0}, o[16];
    int a[16];
    nn_pool_dims_make(&d, 1, 1, H, W, F, S);
    nn_maxpool_forward(o, a, x, &d);'

# 18. Files under names the kit does not expect.
mkdir -p "$subs/misnamed/exercises/06-pooling"
cp "$kit/solutions/06-pooling/ex06-pooling.c" "$subs/misnamed/exercises/06-pooling/pooling.c"

fingerprint "$subs/honest" > "$tmp/honest.before"

# ---- The class run -----------------------------------------------------------
export NNLAB_EX_TIMEOUT=2 NNLAB_EX_MEMORY_MB=256
unset NNLAB_TIMEOUT_SCALE
start=$(date +%s)
EXERCISE_CHAPTERS=06-pooling top_srcdir=$kit "$kit/tools/grade-class" --out "$class" --limit 120 "$subs" \
    > "$tmp/class.out" 2> "$tmp/class.err"
class_status=$?
end=$(date +%s)
cp "$tmp/class.out" "$tmp/class.err" "${HOSTILE_OUT:-$tmp}/" 2> /dev/null

check "the class run finishes and exits 0 (every student graded, the CSV written)" test "$class_status" -eq 0
score() { # student id, expected total of 21
    awk -F ',' -v id="$1" -v want="$2" '$1 == id { found = 1; if ($(NF - 2) != want) { print id ": " $(NF - 2) " points, expected " want; exit 1 } }
        END { if (!found) { print "no row for " id; exit 1 } }' "$class/grades.csv"
}
check "honest: the solutions score 21" score honest 21
check "stub: the kit's stubs score 0" score stub 0
check "partial: 6.2 alone scores 7" score partial 7
for who in paste-harness forge-results forge-pipe rewrite-kit overwrite-others exec-solution \
        define-kill env-timeout setsid-daemon fork-bomb output-flood memory grades.csv \
        eve_mallory_21_21_21_21_21_21_21 lib-version; do
    check "$who: scores what its honest 6.2 earns, 7" score "$who" 7
done
check "include-solution: an #include of solutions/ is refused, scores 0" sh -c "
    awk -F, '\$1 == \"include-solution\" && \$(NF - 2) == 0 { ok = 1 } END { exit !ok }' '$class/grades.csv' &&
    grep -q 'includes a file that is not one of the kit' '$class/students/include-solution/report.txt'"
check "asm-incbin: inline assembly is refused, scores 0" sh -c "
    awk -F, '\$1 == \"asm-incbin\" && \$(NF - 2) == 0 { ok = 1 } END { exit !ok }' '$class/grades.csv' &&
    grep -q 'uses inline assembly' '$class/students/asm-incbin/report.txt'"
check "dlopen-solution: a reference to dlopen scores the chapter 0, saying why" sh -c "
    awk -F, '\$1 == \"dlopen-solution\" && \$(NF - 2) == 0 { ok = 1 } END { exit !ok }' '$class/grades.csv' &&
    grep -q 'uses dlopen' '$class/students/dlopen-solution/report.txt'"
check "lib-version: 6.1 scores 0 with a message naming nn_maxpool_forward" \
    grep -q '6.1 .*uses nn_maxpool_forward.*forbidden' "$class/students/lib-version/report.txt"
check "a loop is stopped at the checker's limit (2 s), not the one the runner set" \
    grep -q 'timed out after 2 s while computing case' "$class/students/env-timeout/report.txt"
check "define-kill: the loop is still stopped" \
    grep -q 'timed out after 2 s' "$class/students/define-kill/report.txt"
check "memory: the runner is stopped (its memory limit, or the time limit on a slow machine); 6.1 scores 0" \
    grep -Eq '6.1 .*0/8 +(crashed|timed out)' "$class/students/memory/report.txt"
check "every runner had the full sandbox (no fallback to limits only)" \
    sh -c "! grep -hs 'sandbox' '$class'/students/*/build/*.stderr '$class'/students/*/report.txt"
check "the kit is byte-for-byte unchanged" sh -c "fingerprint() { (cd \"\$1\" && find . -type f -exec cksum {} + | sort); };
    fingerprint '$kit' | diff '$tmp/kit.before' -"
check "another student's submission is unchanged" sh -c "(cd '$subs/honest' && find . -type f -exec cksum {} + | sort) | diff '$tmp/honest.before' -"
check "no process of the run survives it (the setsid daemon is gone)" \
    sh -c "! ps -eo comm= | grep -qx nnlab-daemon"
check "nothing of 1 MiB or more is kept from the output flood" \
    sh -c "test -z \"\$(find '$class' -type f -size +1023k ! -name '*.ex' ! -name '*.runner' ! -name '*.checker')\""
check "misnamed: no recognised exercise file scores 0, with a loud warning and a status in the CSV" \
    sh -c "grep -q 'WARNING: misnamed: no recognised exercise files' '$tmp/class.err' &&
           grep -q '^misnamed,0,0,0,0,0,21,graded: NO RECOGNISED EXERCISE FILES$' '$class/grades.csv'"
check "the folder named grades.csv did not replace the class file" \
    sh -c "head -n 1 '$class/grades.csv' | grep -q '^student,'"
check "the folder name with a newline adds no row for a student who does not exist" \
    sh -c "! grep -q '^mallory' '$class/grades.csv' && test \"\$(wc -l < '$class/grades.csv')\" -eq 23"
echo "# the class of 22 took $((end - start)) s"
echo "1..$n"
exit $status
