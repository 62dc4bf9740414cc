#!/bin/sh
# gradescope.gsh: tools/gradescope/run_autograder in a laid-out /autograder
# tree (in a temporary folder), with this build as the kit setup.sh builds.
#   - a submission of bare files (chapter 1 solved, chapter 2 with a syntax
#     error whose message holds quotes, backslashes, control characters and
#     bytes that are not UTF-8) gets chapter 1's points, 0 for chapter 2 with
#     the compiler's message in results.json, and the file is valid JSON;
#   - an empty submission still gets a valid results.json scoring 0.
# Only chapters 1 and 2 are graded, to keep it short.
set -u
top_srcdir=$(cd "${top_srcdir:?}" && pwd)
top_builddir=$(cd "${top_builddir:-.}" && pwd)
if [ ! -d "$top_srcdir/solutions/01-perceptron" ]; then
    echo "1..0 # SKIP no solutions/ in this tree (a student copy)"
    exit 0
fi
if ! command -v python3 > /dev/null 2>&1; then
    echo "1..0 # SKIP no python3 to parse the JSON"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-gradescope.XXXXXX")
[ -n "${KEEP_TMP:-}" ] || trap 'rm -rf "$tmp"' EXIT
n=0
status=0
check() {
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
run() { # autograder root
    env -u MAKEFLAGS -u MFLAGS AUTOGRADER_ROOT="$1" NNLAB_KIT="$top_builddir" \
        NNLAB_EXERCISE_DIRS="exercises/01-perceptron exercises/02-backprop" \
        NNLAB_EX_TIMEOUT=5 sh "$top_srcdir/tools/gradescope/run_autograder"
}
field() { # file, python expression on the parsed JSON j
    python3 -c "import json, sys; j = json.load(open(sys.argv[1], encoding='utf-8')); print($2)" "$1"
}

ag=$tmp/autograder
mkdir -p "$ag/submission/somewhere" "$ag/results"
cp "$top_srcdir/solutions/01-perceptron/ex01-perceptron.c" "$ag/submission/"
{
    cat "$top_srcdir/exercises/02-backprop/ex02-backprop.c"
    printf 'int broken(void) { return "quote\\" \\\\ \001\033[31m \377\376" }\n'
} > "$ag/submission/somewhere/ex02-backprop.c"
run "$ag" > "$tmp/run.out" 2>&1
check "results.json is valid JSON (python3 -m json.tool)" python3 -m json.tool "$ag/results/results.json"
score=$(field "$ag/results/results.json" 'j["score"], j["max_score"]' 2>&1)
check "chapter 1 solved: score 22 of 40 (got $score)" test "$score" = "22 40"
field "$ag/results/results.json" '[t["output"] for t in j["tests"] if t["name"].startswith("2.1")][0]' \
    > "$tmp/ch2.txt" 2>&1
check "a test of chapter 2 carries the compiler's message" grep -q 'error:' "$tmp/ch2.txt"

empty=$tmp/empty
mkdir -p "$empty/submission" "$empty/results"
run "$empty" > "$tmp/run2.out" 2>&1
score=$(field "$empty/results/results.json" 'j["score"]' 2>&1)
check "an empty submission: valid JSON scoring 0 (got $score)" test "$score" = 0
echo "1..$n"
exit $status
