#!/bin/sh
# test-claim.sh: nn_claim (lib/nn_claim.h) and check_claims
# (tests/chapter-run-lib.sh), through tests/lib/claim-demo.
prog="$top_builddir/tests/lib/claim-demo"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-claim.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
echo "1..13"

"$prog" --mode format > "$out/format.txt"
check "nn_claim returns holds (7 and 0 here)" $?
printf '%s\n' 'claim fmt.id_1: PASS 42% of them, line one # two \n' 'claim other: FAIL plain' > "$out/want.txt"
grep '^claim' "$out/format.txt" | cmp -s - "$out/want.txt"
check "one line per claim: 'claim <id>: PASS|FAIL <sentence>', newlines as spaces" $?
sed 's/^/#   | /' "$out/format.txt"

"$prog" --mode format --quiet > "$out/quiet.txt"
cmp -s "$out/quiet.txt" "$out/want.txt"
check "--quiet hides the summary but not the claims" $?
only_claim_lines "$out/quiet.txt" && ! only_claim_lines "$out/format.txt"
check "only_claim_lines tells a quiet run from a talkative one" $?

# run_check MODE: check_claims on claim-demo --mode MODE in a subshell with its
# own counters; its TAP in $out/MODE.tap, its verdict (0 = passed) in $verdict.
run_check() {
  ( n=0 failed=0; check_claims demo "$prog" --mode "$1"; test "$failed" -eq 0 ) > "$out/$1.tap"
  verdict=$?
  sed 's/^/#   | /' "$out/$1.tap"
}

run_check pass
test $verdict -eq 0 && test "$(grep -c '^ok .*demo, seed [123]: always: PASS seed [123]: one is one$' "$out/pass.tap")" -eq 3
check "all PASS: check_claims passes, one ok per claim and seed" $?
grep -q '^ok .*seed 2: the same claims as seed 1' "$out/pass.tap" && ! grep -q '^not ok' "$out/pass.tap"
check "all PASS: no line is not ok" $?

run_check fail-seed-2
test $verdict -ne 0 && test "$(grep -c '^not ok' "$out/fail-seed-2.tap")" -eq 1 &&
  grep -q '^not ok .*seed 2: not-two: FAIL the seed is not 2 (it is 2)' "$out/fail-seed-2.tap"
check "a FAIL for one seed: exactly that line is not ok, and check_claims fails" $?

run_check none
test $verdict -ne 0 && test "$(grep -c '^not ok .*prints at least one claim line' "$out/none.tap")" -eq 3
check "no claim line at all: not ok for each seed" $?

run_check twice
test $verdict -ne 0 && grep -q '^not ok .*no claim id printed twice (always)' "$out/twice.tap"
check "an id printed twice in one run is not ok" $?

run_check vary
test $verdict -ne 0 && grep -q '^not ok .*seed 3: the same claims as seed 1' "$out/vary.tap" &&
  grep -q '^ok .*seed 2: the same claims as seed 1' "$out/vary.tap"
check "a claim made for some seeds only is not ok" $?

run_check crash
test $verdict -ne 0 && grep -q '^not ok .*seed 2: exits 0 (exit 1)' "$out/crash.tap"
check "a run that exits non-zero is not ok" $?

run_check format
test $verdict -ne 0 && grep -q '^ok .*fmt.id_1: PASS 42% of them, line one no. two' "$out/format.tap" &&
  ! grep -q '#.*two' "$out/format.tap"
check "a '#' in a sentence cannot turn a TAP line into a directive" $?

( n=4 failed=0; tap_plan_at_end ) > "$out/plan.txt"; plan_status=$?
( n=4 failed=1; tap_plan_at_end ) > /dev/null; fail_status=$?
test "$(cat "$out/plan.txt")" = "1..4" && test $plan_status -eq 0 && test $fail_status -ne 0
check "tap_plan_at_end prints 1..n and fails when a test failed" $?

test "$failed" -eq 0
