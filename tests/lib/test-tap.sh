#!/bin/sh
# test-tap.sh: the TAP writer of lib/nn_tap.h, through tests/lib/tap-demo.
#
# Each mode of tap-demo is a tiny test program (most fail on purpose); we
# check what it printed and how it exited, then run a few of them through
# Automake's own tap-driver.sh to see the verdicts make check would give.
# This script prints TAP itself.

builddir=${top_builddir:-.}
srcdir_top=${top_srcdir:-.}
demo=$builddir/tests/lib/tap-demo
work=$builddir/tests/lib/test-tap.tmp.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" || { echo "Bail out! cannot create $work"; exit 1; }

echo "1..45"
n=0
failed=0
check () { # check CONDITION-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
        if [ -f "$work/out" ]; then sed 's/^/#   | /' "$work/out"; fi
    fi
}
# run MODE: output in $work/out, exit status in $status
run () {
    "$demo" "$1" >"$work/out" 2>&1
    status=$?
}
has () { grep -F -e "$1" "$work/out" >/dev/null; }
hasline () { grep -x -F -e "$1" "$work/out" >/dev/null; }

if [ ! -x "$demo" ]; then
    echo "Bail out! $demo is not built (run make check, which builds it)"
    exit 1
fi

run pass
check $status "all checks pass: exit status 0"
hasline "1..3"; check $? "the plan comes at the end: 1..3"
[ "$(grep -c '^ok ' "$work/out")" -eq 3 ]; check $? "three 'ok' lines"

run fail-close
[ $status -eq 1 ]; check $? "a failing is_close makes nn_tap_done return 1 (exit status 1)"
hasline "not ok 2 - sigmoid(0) by a wrong formula"; check $? "it prints 'not ok 2 - NAME'"
hasline "#   got:  0.52"; check $? "it prints what came (got)"
hasline "#   want: 0.5"; check $? "it prints what was wanted (want)"
has "#   error: 0.02 (relative 0.04)"; check $? "it prints the absolute and relative error"
has "tolerance: atol 1e-06 + rtol 0.001 x |want| = 0.000501"; check $? "it prints the tolerance it applied"

run fail-floats
[ $status -eq 1 ]; check $? "a failing is_close_floats exits 1"
has "1 of 3 elements out of tolerance; worst at index 2"; check $? "it counts bad elements and names the worst"
hasline "#   got:  3.5"; check $? "it prints the worst element's value"

run fail-nan
[ $status -eq 1 ]; check $? "NaN fails is_close even with rtol = atol = 1"

run fail-strings
[ $status -eq 1 ]; check $? "failing is_str, contains and is_int exit 1"
hasline "#   got: 'relu'" && hasline "#   want: 'tanh'"; check $? "is_str prints got and want"
hasline "#   want it to contain: 'iris.csv'"; check $? "contains prints the missing needle"
hasline "#   got: 3" && hasline "#   want: 4"; check $? "is_int prints got and want"

run todo
[ $status -eq 0 ]; check $? "a failure inside a TODO block does not fail the program"
hasline "not ok 2 - a failure inside a TODO block # TODO exercise 2.1 not attempted"
check $? "the TODO line carries the TODO directive and its reason"
hasline "ok 3 - a real pass after the block"; check $? "nn_todo_end ends the block (no directive after it)"

run todo-then-fail
[ $status -eq 1 ]; check $? "a real failure after a TODO block still fails the program"

run skip
[ $status -eq 0 ]; check $? "a skipped check does not fail"
hasline "ok 1 - render loss.gp # SKIP gnuplot not installed"; check $? "nn_skip prints an ok line with the SKIP directive and reason"

run skip-all
[ $status -eq 0 ]; check $? "nn_tap_skip_all exits 0"
hasline "1..0 # SKIP no data in /nowhere"; check $? "nn_tap_skip_all prints the 1..0 plan with the SKIP directive"

run plan-mismatch
[ $status -eq 1 ]; check $? "running fewer tests than planned exits 1"
has "# planned 3 tests but ran 2"; check $? "and says so"

run bail-out
[ $status -ne 0 ]; check $? "nn_tap_bail_out exits non-zero"
hasline "Bail out! reference file x.txt is missing"; check $? "nn_tap_bail_out prints 'Bail out! reason'"

# The hang: nn_tap_timeout(1) and an endless loop.  NNLAB_TIMEOUT_SCALE
# (used for slow sanitizer builds) is unset so the limit really is 1 s;
# timeout(1), where present, guards this script against a broken alarm.
guard=
if command -v timeout >/dev/null 2>&1; then guard="timeout 30"; fi
start=$(date +%s)
(unset NNLAB_TIMEOUT_SCALE; $guard "$demo" hang >"$work/out" 2>&1)
status=$?
elapsed=$(($(date +%s) - start))
[ $status -ne 0 ] && [ $status -ne 124 ]; check $? "a hung test exits non-zero through its own alarm (status $status)"
[ $elapsed -le 5 ]; check $? "within a few seconds of its 1 s limit (took about $elapsed s)"
has "Bail out! timed out"; check $? "and prints 'Bail out! timed out'"
hasline "ok 1 - before the hang"; check $? "lines printed before the hang are kept"

run diag
[ "$(grep -c '^# ' "$work/out")" -eq 3 ]; check $? "a three-line nn_diag gives three '# ' comment lines"

run gradcheck-pass
[ $status -eq 0 ]; check $? "a correct gradient passes nn_gradcheck_doubles"
run gradcheck-wrong
[ $status -eq 1 ]; check $? "a wrong gradient fails nn_gradcheck_doubles (exit 1)"
has "worst element 1: analytic 2, numeric 3"; check $? "and names the worst element with both values"
has "NOT <="; check $? "the failing line does not claim error <= tolerance"

# Automake's driver: the verdict make check gives each program.
driver=$srcdir_top/build-aux/tap-driver.sh
verdict () { # verdict MODE: the global result in the .trs file
    (unset NNLAB_TIMEOUT_SCALE
     AM_TAP_AWK=${AWK:-awk} ${SHELL:-/bin/sh} "$driver" --test-name "tap-demo-$1" \
         --log-file "$work/$1.log" --trs-file "$work/$1.trs" --color-tests no \
         --enable-hard-errors yes --expect-failure no -- "$demo" "$1" >/dev/null 2>&1)
    sed -n 's/^:global-test-result: //p' "$work/$1.trs"
}
[ "$(verdict pass)" = PASS ]; check $? "tap-driver: all passing is PASS"
[ "$(verdict todo)" = PASS ]; check $? "tap-driver: a failing TODO check leaves the program PASS"
grep -x ':test-result: XFAIL' "$work/todo.trs" >/dev/null; check $? "tap-driver: ... and counts it as XFAIL"
# A failing program is reported twice: its "not ok" line is FAIL and its
# exit status 1 is ERROR, so the global verdict is ERROR.
[ "$(verdict fail-close)" = ERROR ] && grep -x ':test-result: FAIL' "$work/fail-close.trs" >/dev/null
check $? "tap-driver: a 'not ok' line is FAIL and the program's exit status 1 makes it ERROR"
[ "$(verdict skip-all)" = SKIP ]; check $? "tap-driver: skip_all is SKIP"
[ "$(verdict hang)" = ERROR ]; check $? "tap-driver: a timed-out test is ERROR (Bail out!)"
[ "$(verdict plan-mismatch)" = ERROR ]; check $? "tap-driver: a plan mismatch is ERROR"

exit $failed
