#!/bin/sh
# test-ch04-run.sh: run ch04-regularization as a student would, and with bad input.
prog="$top_builddir/ch04-regularization"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch04.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"

"$prog" --out "$out" --epochs 4 --train 100 > "$out/summary.txt" 2> "$out/err.txt"
check "a short run exits 0" $?
grep -q "Capacity" "$out/summary.txt" && grep -q "Early stopping" "$out/summary.txt" && grep -q "Bagging" "$out/summary.txt"
check "the summary covers capacity, early stopping and bagging" $?
grep -q "deck 001: \[3.2 2.0 1.8\] . \[2 -2.2 1.3\] = 4.34; \[0.5 0.2 0.1\] . \[2 -2.2 1.3\] = 0.69" "$out/summary.txt"
check "the summary reproduces deck 001's sparse-representation products (4.34 and 0.69)" $?
for f in capacity weights early-stopping regularizers augmentation boundaries; do
  test -s "$out/plots/04-regularization/$f.gp" || { echo "# missing $f.gp"; false; } || break
done
check "every figure script is written" $?
head -n 1 "$out/plots/04-regularization/capacity.dat" | grep -q '^# hidden_units parameters train_error test_error'
check "data files start with a header naming the columns" $?
test -s "$out/plots/nnlab.gp"
check "the style is copied beside the scripts" $?

check_renders 04-regularization capacity weights early-stopping regularizers augmentation boundaries

"$prog" --out "$out" --epochs 4 --train 100 --quiet > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt"
check "--quiet prints nothing but the claim lines" $?

"$prog" --out "$out/again" --epochs 4 --train 100 > "$out/summary2.txt" 2>/dev/null
sed 's/([0-9.]* s)//' "$out/summary.txt" > "$out/a.txt"; sed 's/([0-9.]* s)//; s|/again||' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt"
check "same seed, same summary" $?

expect_usage "--epochs 0" --epochs 0
expect_usage "--hidden 0" --hidden 0
expect_usage "--lr -1" --lr -1
expect_usage "an unknown option" --dropout-rate 3

"$prog" --out "$out" --epochs 3 --lr 1e5 > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "diverged" "$out/err.txt" && grep -q "learning rate" "$out/err.txt"
check "a diverging learning rate is reported as divergence, exit 1" $?
grep -qi nan "$out/err.txt"; [ $? -ne 0 ]
check "divergence never prints NaN" $?

NNLAB_DATA_DIR="$out/nowhere" "$prog" --out "$out" --epochs 1 > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "nowhere" "$out/err.txt"
check "missing data directory: exit 1, message names the file" $?
# Every sentence of the chapter about its own default run, over seeds 1-3.
check_claims "default run" "$prog" --out "$out/claims"
tap_plan_at_end
