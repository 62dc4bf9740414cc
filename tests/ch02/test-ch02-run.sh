#!/bin/sh
# test-ch02-run.sh: run ch02-backprop as a student would, and with bad input.
prog="$top_builddir/ch02-backprop"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch02.XXXXXX")
trap '[ -n "$KEEP" ] || rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="activations saturation boundaries approximation gradient-norms loss-digits loss-fashion"

# A short run: a small Fashion-MNIST subset when the data is installed.
short="--epochs 2 --train 300"
"$prog" --out "$out" $short > "$out/summary.txt" 2> "$out/err.txt"
check "a short run exits 0" $?
grep -q "3.7018e-04" "$out/summary.txt" && grep -q "negative" "$out/summary.txt"
check "the summary reproduces deck 001's |dL/dW| = 3.7018e-4 and names its sign" $?
grep -q "has 37;" "$out/summary.txt"
check "the summary counts 37 parameters for deck 001's network" $?
grep -q "digits: test accuracy" "$out/summary.txt"
check "the summary reports the digits' test accuracy" $?
grep -qi "nan" "$out/summary.txt"; [ $? -ne 0 ]
check "no nan anywhere in the summary" $?
missing=""
for f in $figures; do
  [ "$f" = loss-fashion ] && ! grep -q "^Fashion-MNIST: test accuracy" "$out/summary.txt" && continue
  test -s "$out/plots/02-backprop/$f.gp" || missing="$missing $f"
done
[ -z "$missing" ] || echo "# missing:$missing"
test -z "$missing"
check "every figure script is written" $?
head -n 1 "$out/plots/02-backprop/gradient-norms.dat" | grep -q '^# layer sigmoid relu_he'
check "data files start with a header naming the columns" $?

check_renders 02-backprop boundaries

"$prog" --out "$out/again" $short > "$out/summary2.txt" 2>/dev/null
sed 's/([0-9.]* s)//; s/[0-9.]* s per epoch//; s|/again||g' "$out/summary.txt" > "$out/a.txt"
sed 's/([0-9.]* s)//; s/[0-9.]* s per epoch//; s|/again||g' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt"
check "same seed, same summary" $?

"$prog" --out "$out" $short --quiet --dataset xor > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt" && grep -q '^claim graph-is-delta-times-x: ' "$out/quiet.txt"
check "--quiet prints nothing but the claim lines (and --dataset xor runs)" $?

expect_usage "--epochs 0" --epochs 0
expect_usage "--epochs -3" --epochs -3
expect_usage "--hidden 0" --hidden 0
expect_usage "an unknown activation" --activation swish
expect_usage "an unknown dataset" --dataset moons

"$prog" --out "$out" $short --lr 1e6 > "$out/out.txt" 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "diverged at step [0-9]" "$out/err.txt" && grep -q "learning rate" "$out/err.txt"
check "--lr 1e6 is reported as divergence at step N, exit 1" $?
cat "$out/out.txt" "$out/err.txt" | grep -qi "nan"; [ $? -ne 0 ]
check "divergence never prints NaN" $?

NNLAB_DATA="$out/nowhere" "$prog" --out "$out" $short > "$out/out.txt" 2> "$out/err.txt"
status=$?
[ $status -eq 0 ] && grep -q "Fashion-MNIST: skipped" "$out/out.txt" && grep -q "dataset-fashion-mnist" "$out/out.txt"
check "missing Fashion-MNIST: the default run says it is skipped and how to get it, exit 0" $?
NNLAB_DATA="$out/nowhere" "$prog" --out "$out" --full --epochs 1 > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "nowhere" "$out/err.txt"
check "missing Fashion-MNIST with --full: exit 1, the message names the directory" $?
# Every sentence of the chapter about its own results is a claim, checked
# over seeds 1, 2 and 3, on the default run (with a smaller Fashion-MNIST
# subset, to keep make check short).
check_claims "ch02-backprop" "$prog" --out "$out/claims" --train 1000

tap_plan_at_end
