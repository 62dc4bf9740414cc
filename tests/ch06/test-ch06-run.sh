#!/bin/sh
# test-ch06-run.sh: run ch06-pooling as a student would, and with bad input.
prog="$top_builddir/ch06-pooling"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch06.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="pooled shift invariance"

"$prog" --out "$out" --images 100 > "$out/summary.txt" 2> "$out/err.txt"
check "a run exits 0" $?
sed -n '/^   max pooling:/,/library/p' "$out/summary.txt" | grep -q "^       5  8$" &&
  sed -n '/^   max pooling:/,/library/p' "$out/summary.txt" | grep -q "^       6  7$"
check "the summary shows deck 003's [[5,8],[6,7]]" $?
grep -q "224x224x64         2   2 112x112x64" "$out/summary.txt"
check "the summary shows 224x224x64 -> 112x112x64" $?
grep -q "5. Translation invariance" "$out/summary.txt" && grep -q "global average pooling       32 inputs" "$out/summary.txt"
check "the summary covers invariance and parameter counts" $?
ok=0
for f in $figures; do test -s "$out/plots/06-pooling/$f.gp" || { echo "# missing $f.gp"; ok=1; }; done
check "every figure script is written" $ok
head -n 1 "$out/plots/06-pooling/invariance.dat" | grep -q '^# shift none'
check "data files start with a header" $?

check_renders 06-pooling $figures

"$prog" --out "$out" --images 100 --quiet > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt"
check "--quiet prints nothing but the claim lines" $?

"$prog" --out "$out/again" --images 100 > "$out/summary2.txt" 2>/dev/null
grep -v 'Figures written' "$out/summary.txt" > "$out/a.txt"
grep -v 'Figures written' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt"
check "same seed, same summary" $?

NNLAB_DATA="$out/no-such-dir" "$prog" --out "$out/toy" --images 20 > "$out/toy.txt" 2> "$out/toy-err.txt"
status=$?
[ $status -eq 0 ] && grep -q "using toy images" "$out/toy-err.txt" && grep -q "no-such-dir" "$out/toy-err.txt"
check "without Fashion-MNIST at the default location it says so and falls back to toy images" $?
. "$top_srcdir/tests/data-rule-lib.sh"
check_data_rule --images 20

expect_usage "--images 0" --images 0
expect_usage "--images x" --images x
expect_usage "an unknown option" --window 3

"$prog" --out /dev/null/cannot --images 10 > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:" "$out/err.txt"
check "an unwritable --out exits 1 with a message" $?
check_claims "default run" "$prog" --out "$out/claims"
tap_plan_at_end
