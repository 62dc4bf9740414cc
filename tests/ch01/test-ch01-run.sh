#!/bin/sh
# test-ch01-run.sh: run ch01-perceptron as a student would, then with bad input.
prog="$top_builddir/ch01-perceptron"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch01.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="boundary mistakes losses weight-norm"

"$prog" --out "$out" > "$out/summary.txt" 2> "$out/err.txt"
check "the default run exits 0" $?
test ! -s "$out/err.txt"
check "the default run writes nothing to stderr" $?
grep -q "^1. Threshold logic" "$out/summary.txt" && grep -q "^2. The perceptron" "$out/summary.txt" &&
  grep -q "^3. Perceptron vs logistic regression" "$out/summary.txt" && grep -q "^4. Real data" "$out/summary.txt"
check "the summary has the four sections" $?
grep -q "AND w1 =  1.0  w2 =  1.0  w0 = -1.5:  00->0  01->0  10->0  11->1" "$out/summary.txt" &&
  grep -q "OR  w1 =  1.0  w2 =  1.0  w0 = -0.5:  00->0  01->1  10->1  11->1" "$out/summary.txt" &&
  grep -q "NOT w1 = -1.0             w0 =  0.5:  0->1  1->0" "$out/summary.txt"
check "the gate neurons print the truth tables of AND, OR, NOT" $?
grep -q "AND 4, OR 4, XOR 3" "$out/summary.txt"
check "the grid search reports XOR out of reach of one unit" $?

# Convergence: the number of updates is within Novikoff's bound, read from the summary.
line=$(grep "converged after" "$out/summary.txt")
updates=$(echo "$line" | sed 's/.*converged after \([0-9]*\) updates.*/\1/')
bound=$(echo "$line" | sed 's/.* = \([0-9.]*\)$/\1/')
[ -n "$updates" ] && [ -n "$bound" ] && awk -v u="$updates" -v b="$bound" 'BEGIN { exit !(u + 0 > 0 && u + 0 <= b + 0) }'
check "the separable set converges within Novikoff's bound ($updates <= $bound)" $?
grep -q "epochs without a mistake on XOR: 0 of 20" "$out/summary.txt"
check "XOR never has an epoch without a mistake" $?

# ||w|| of logistic regression: growing on separable data, settled with flipped labels.
sep=$(grep "^   separable set:" "$out/summary.txt" | sed "s/.*://")
noisy=$(grep "^   with 10% labels flipped:" "$out/summary.txt" | sed "s/.*://")
echo "$sep" | awk '{ for (i = 2; i <= NF; i++) if ($i <= $(i - 1)) exit 1; exit NF < 3 }'
check "separable: ||w|| grows at every printed step count ($sep)" $?
echo "$noisy" | awk '{ exit !(NF >= 3 && $NF - $(NF - 1) < 1e-3 * $NF) }'
check "flipped labels: ||w|| has settled ($noisy)" $?

grep -q "flipped labels: ||w|| has settled" "$out/summary.txt" && grep -q "separable: ||w|| still grows" "$out/summary.txt"
check "the summary draws the right conclusion from the ||w|| table" $?

# A learning rate too large for gradient descent: reported, never a NaN.
"$prog" --out "$out/big-lr" --lr 100 > "$out/big-lr.txt" 2>&1
status=$?
[ $status -eq 0 ] && ! grep -qiw "nan\|inf" "$out/big-lr.txt" && grep -q "flipped labels: ||w|| still moves" "$out/big-lr.txt"
check "--lr 100: no NaN, and the summary says gradient descent has not settled" $?

# Real data: accuracies are percentages, and the perceptron does much better than chance.
grep "^   perceptron (last w):\|^   averaged perceptron:\|^   logistic regression:" "$out/summary.txt" > "$out/acc.txt"
test "$(wc -l < "$out/acc.txt")" -eq 3 && awk '{ for (i = 1; i <= NF; i++) if ($i ~ /%$/) { v = $i + 0; if (v < 85 || v > 100) bad = 1; k++ } } END { exit bad || k != 6 }' "$out/acc.txt"
check "breast cancer: train and test accuracy printed, all between 85% and 100%" $?

for f in $figures; do
  test -s "$out/plots/01-perceptron/$f.gp" || { echo "# missing $f.gp"; false; } || break
done
check "every figure script is written" $?
head -n 1 "$out/plots/01-perceptron/mistakes.dat" | grep -q '^# epoch separable noisy xor xor_cloud real' &&
  head -n 1 "$out/plots/01-perceptron/losses.dat" | grep -q '^# margin perceptron logistic zero_one'
check "data files start with a header naming the columns" $?
test "$(grep -vc '^#' "$out/plots/01-perceptron/mistakes.dat")" -eq 20
check "mistakes.dat has one row per epoch" $?
awk '!/^#/ { m = $1; p = (m > 0 ? 0 : -m); l = log(1 + exp(-m)); if ((p - $2)^2 > 1e-10 || ((l - $3) / l)^2 > 1e-8) bad = 1; k++ }
     END { exit bad || k < 100 }' "$out/plots/01-perceptron/losses.dat"
check "losses.dat holds max(0, -m) and log(1 + e^-m) (checked by awk)" $?
test -s "$out/plots/nnlab.gp"
check "the style is copied beside the scripts" $?

check_renders 01-perceptron $figures

"$prog" --out "$out" --quiet > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt" && grep -q '^claim novikoff: ' "$out/quiet.txt"
check "--quiet prints nothing but the claim lines" $?

"$prog" --out "$out/again" > "$out/summary2.txt" 2>/dev/null
sed 's/([0-9.]* s)//' "$out/summary.txt" > "$out/a.txt"; sed 's/([0-9.]* s)//; s|/again||' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt" && cmp -s "$out/plots/01-perceptron/mistakes.dat" "$out/again/plots/01-perceptron/mistakes.dat"
check "same seed, same summary and data" $?

"$prog" --out "$out/iris" --dataset iris-setosa --epochs 30 > "$out/iris.txt" 2>&1 &&
  grep -q "perceptron (last w): *train 100.0%" "$out/iris.txt"
check "iris-setosa (separable): the perceptron reaches 100% training accuracy" $?

expect_usage "--epochs 0" --epochs 0
expect_usage "--epochs -1" --epochs -1
expect_usage "--lr -0.5" --lr -0.5
expect_usage "--lr 0" --lr 0
expect_usage "an unknown data set" --dataset mnist
expect_usage "--gap 0.9 (no room between the classes)" --gap 0.9

NNLAB_DATA_DIR="$out/no-data" "$prog" --out "$out/nodata" > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "breast_cancer.csv" "$out/err.txt"
check "a missing data file exits 1 naming the file" $?

"$prog" --out /dev/null/figures > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:.*/dev/null" "$out/err.txt" && grep -q -- "--out" "$out/err.txt"
check "an unwritable --out exits 1 naming the directory and the option" $?

grep -q "^claim" "$out/summary.txt" && ! grep -q "^claim [^ ]*: FAIL" "$out/summary.txt"
check "the default run's claims (seed 42) all hold" $?

# Every sentence of the chapter about its own results is a claim, checked
# over seeds 1, 2 and 3.
check_claims "ch01-perceptron" "$prog" --out "$out/claims"

test "$n" -ge 29 || { echo "not ok - fewer tests ran than the script has ($n)"; failed=$((failed + 1)); }
tap_plan_at_end
