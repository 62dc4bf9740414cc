#!/bin/sh
# machinery.gsh: the grading machinery itself, on deliberately bad code.
#   - tools/make-exercises: stubs for every kind of signature compile with
#     -Werror and call NN_TODO with the right id; malformed markers are refused;
#   - tools/grade: a wrong answer loses exactly its cases' points, an
#     infinite loop is stopped and scored 0, a crash is scored 0, and the
#     other exercises are still graded; a chapter that does not compile
#     scores 0 while another chapter is still graded;
#   - tools/grade-class: only the expected .c files of a submission are used
#     (a submitted rubric is ignored), and grades.csv has one row per student.
# Run by make check with the kit's compiler and flags in the environment.
set -u
top_srcdir=$(cd "${top_srcdir:?}" && pwd)
tools=$top_srcdir/tools
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-machinery.XXXXXX")
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
if [ ! -d "$top_srcdir/solutions/01-perceptron" ]; then
    echo "1..0 # SKIP no solutions/ in this tree (a student copy)"
    exit 0
fi
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
contains() { grep -F -- "$2" "$1"; }

# ---- The generator -------------------------------------------------------
mkdir -p "$tmp/sol/09-gen"
cat > "$tmp/sol/09-gen/gen.c" <<'C'
#include <stddef.h>
#include "nnlab.h"
typedef struct { double a, b; } pair;
/* Exercise 9.1: a pointer, an array parameter, a multi-line header. */
static const double *pick(const double *x, size_t n,
                          double fallback[2])
{
    /* BEGIN SOLUTION */
    return n ? x : fallback;
    /* END SOLUTION */
}
/* Exercise 9.2: a struct, a void function and a region inside a body. */
pair make_pair(double a)
{
    /* BEGIN SOLUTION */
    pair p = {a, 2 * a};
    return p;
    /* END SOLUTION */
}
void fill(double *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        /* BEGIN SOLUTION 9.3 */
        y[i] = (double)i;
        /* END SOLUTION */
    }
}
const double *use(void) { static double f[2]; return pick(f, 0, f); }
C
check "make-exercises turns solutions into stubs" "$tools/make-exercises" "$tmp/sol" "$tmp/ex"
check "stubs call NN_TODO with the id of the marker or the last 'Exercise N.k'" \
    sh -c "grep -c 'NN_TODO(\"9.1\")' '$tmp/ex/09-gen/gen.c' | grep -qx 1 &&
           grep -c 'NN_TODO(\"9.2\")' '$tmp/ex/09-gen/gen.c' | grep -qx 1 &&
           grep -c 'NN_TODO(\"9.3\")' '$tmp/ex/09-gen/gen.c' | grep -qx 1"
check "stubs return NULL, a zeroed struct, nothing in void functions and mid-body" \
    sh -c "grep -q 'return NULL;' '$tmp/ex/09-gen/gen.c' && grep -q 'return (pair){0};' '$tmp/ex/09-gen/gen.c' &&
           ! grep -q 'return n ? x' '$tmp/ex/09-gen/gen.c'"
# shellcheck disable=SC2086
check "stubs compile without warnings (-Werror)" \
    ${CC:-cc} ${CPPFLAGS:-} ${CFLAGS:-} -Werror -c -o "$tmp/gen.o" "$tmp/ex/09-gen/gen.c"
mkdir -p "$tmp/bad/09-bad"
printf 'void f(void)\n{\n    /* BEGIN SOLUTION 9.1 */\n    return;\n}\n' > "$tmp/bad/09-bad/bad.c"
check "a region without END SOLUTION is refused, naming the file and line" \
    sh -c "! '$tools/make-exercises' '$tmp/bad' '$tmp/badout' 2> '$tmp/err' && grep -q 'bad.c:.*without END SOLUTION' '$tmp/err'"

# ---- Grading bad code ------------------------------------------------------
# A fake source tree: the real tools, chapter 1, and a chapter 99 that does
# not compile.
fake=$tmp/top
mkdir -p "$fake/tests/exercises" "$fake/exercises" "$fake/solutions"
ln -s "$tools" "$fake/tools"
ln -s "$top_srcdir/lib" "$fake/lib"
ln -s "$top_srcdir/solutions/01-perceptron" "$fake/solutions/01-perceptron"
ln -s "$top_srcdir/tests/exercises/01-perceptron.c" "$fake/tests/exercises/01-perceptron.c"
cp -R "$top_srcdir/exercises/01-perceptron" "$fake/exercises/"
chmod -R u+w "$fake/exercises"
mkdir -p "$fake/exercises/99-broken"
printf '# exercise points case\n9.1 5 anything\n' > "$fake/exercises/99-broken/rubric.txt"
printf 'int broken(void) { return }\n' > "$fake/exercises/99-broken/broken.c"
printf '#include "nnlab.h"\nint main(void) { nn_ex_init("99-broken"); return nn_ex_done(); }\n' \
    > "$fake/tests/exercises/99-broken.c"
# Chapter 1 solved, except: NOR wrong (1.1 loses 2 of 4), an infinite loop in
# 1.3 and a crash in 1.4.
sed -e 's/    \*b = 0\.5;/    *b = -0.5;/' \
    -e 's/for (int epoch = 0; epoch < max_epochs; epoch++) {/for (int epoch = 0; epoch < max_epochs; epoch += 0) {/' \
    -e 's/^    double u = -y \* z;$/    double u = -y * z; raise(SIGSEGV);/' \
    -e 's/^#include <math.h>$/#include <math.h>\n#include <signal.h>/' \
    "$top_srcdir/solutions/01-perceptron/ex01-perceptron.c" > "$fake/exercises/01-perceptron/ex01-perceptron.c"
# This test sets its own 1 s limit and checks the message that names it, so a
# scale meant for slow builds (NNLAB_TIMEOUT_SCALE, set for sanitizer runs)
# must not stretch it.
export NNLAB_EX_TIMEOUT=1
unset NNLAB_TIMEOUT_SCALE
EXERCISE_CHAPTERS="01-perceptron 99-broken" top_srcdir=$fake \
    "$tools/grade" --out "$tmp/g" --student tester > "$tmp/grade.out" 2>&1
check "grade scores the wrong, looping and crashing chapter 6/22 and the broken one 0/5" \
    contains "$tmp/g/grade.csv" "tester,6,2,4,0,0,0,0,6,27"
check "a wrong answer is reported with expected and got, and the hint" \
    sh -c "grep -q 'NOR(0, 0): expected 1, got 0' '$tmp/g/report.txt' && grep -q 'hint: A threshold unit' '$tmp/g/report.txt'"
check "an infinite loop is stopped and reported, naming the case that was running" contains "$tmp/g/report.txt" "timed out after 1 s while computing case \"stops after max_epochs on XOR\": infinite loop?"
check "a crash is reported and scores that exercise 0" \
    sh -c "grep -q '1.4 .*0/8 *crashed' '$tmp/g/report.txt'"
check "a chapter that does not compile scores 0 and shows the compiler's message" \
    sh -c "grep -q '99-broken.*0/5  DOES NOT COMPILE' '$tmp/g/report.txt' && grep -q 'broken.c:1' '$tmp/g/report.txt'"
check "results.json has Gradescope's fields" \
    sh -c "grep -q '\"score\": 6,' '$tmp/g/results.json' && grep -q '\"max_score\": 27,' '$tmp/g/results.json' &&
           grep -q '\"status\": \"failed\", \"output\": \"timed out' '$tmp/g/results.json'"

# ---- Scaffolding an exercise -----------------------------------------------
mkdir -p "$fake/tests/exercises"
"$tools/new-exercise" "$fake" 98-scaffold 98.1 ex_sum 'A scaffolded sum' > "$tmp/new.out" 2>&1
"$tools/new-exercise" "$fake" 98-scaffold 98.2 ex_total 'A second one' >> "$tmp/new.out" 2>&1
check "new-exercise creates a chapter's four files and its stubs, and says what to add to local.mk" \
    sh -c "test -f '$fake/solutions/98-scaffold/ex98-scaffold.c' && test -f '$fake/exercises/98-scaffold/ex98-scaffold.c' &&
           grep -q 'EXERCISE_DIRS += exercises/98-scaffold' '$tmp/new.out' &&
           grep -c '^98\.[12] ' '$fake/solutions/98-scaffold/rubric.txt' | grep -qx 2"
for mode in solution teeth; do
    top_srcdir=$fake "$tools/ex-build" "$tmp/scaffold/98-scaffold.$mode.ex" > /dev/null 2>&1
    top_srcdir=$fake NNLAB_EX_MODE=$mode "$tmp/scaffold/98-scaffold.$mode.ex" > "$tmp/scaffold.$mode.tap" 2>&1
    echo $? > "$tmp/scaffold.$mode.status"
done
check "the scaffold's solution passes its test and its stubs fail it" \
    sh -c "grep -qx 0 '$tmp/scaffold.solution.status' && grep -qx 0 '$tmp/scaffold.teeth.status' &&
           grep -q '^ok.*98.2 TODO' '$tmp/scaffold.solution.tap'"

# ---- Grading a class ---------------------------------------------------------
mkdir -p "$tmp/subs/ann/exercises/01-perceptron" "$tmp/subs/max/exercises/01-perceptron"
cp "$top_srcdir/solutions/01-perceptron/ex01-perceptron.c" "$tmp/subs/ann/exercises/01-perceptron/"
printf '1.1 1000 NAND truth table\n' > "$tmp/subs/max/exercises/01-perceptron/rubric.txt"
EXERCISE_CHAPTERS=01-perceptron "$tools/grade-class" --out "$tmp/class" "$tmp/subs" > "$tmp/class.out" 2>&1
check "grade-class: a solved submission gets full marks" contains "$tmp/class/grades.csv" "ann,22,4,4,6,8,22,22,graded"
check "grade-class: a submitted rubric is ignored; missing files count as not attempted" \
    contains "$tmp/class/grades.csv" "max,0,0,0,0,0,0,22,graded"
echo "1..$n"
exit $status
