#!/bin/sh
# test-ch03-run.sh: run ch03-optimizers as a student would, and with bad options.
prog="$top_builddir/ch03-optimizers"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch03.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="batch-sizes learning-rate-test paths-ravine paths-rosenbrock paths-saddle digits-loss init-statistics
exploding-vanishing cliff feature-normalization batchnorm"

"$prog" --out "$out" --epochs 3 --steps 200 > "$out/summary.txt" 2> "$out/err.txt"
check "a default run (shortened with --epochs 3 --steps 200) exits 0" $?
for s in "1. Gradient descent" "2. The learning-rate test" "3. The decks' forms" "4. Trajectories" \
         "5. Which optimizer" "6. Initialization" "7. Exploding" "8. Feature normalization"; do
  grep -q "$s" "$out/summary.txt" || { echo "# missing section: $s"; false; } || break
done
check "the summary covers all eight sections" $?
grep -q "lr = 1 .*diverged at step [0-9]" "$out/summary.txt"
check "the learning-rate test reports lr = 1 as diverged at step N" $?
! grep -qi "nan" "$out/summary.txt"
check "no NaN is printed" $?
missing=0
for f in $figures; do
  test -s "$out/plots/03-optimizers/$f.gp" || { echo "# missing $f.gp"; missing=1; }
done
check "every figure script is written" $missing
head -n 1 "$out/plots/03-optimizers/digits-loss.dat" | grep -q '^# epoch sgd momentum nesterov adagrad rmsprop adadelta adam'
check "data files start with a header naming the columns" $?

check_renders 03-optimizers $figures

"$prog" --out "$out/again" --epochs 3 --steps 200 > "$out/summary2.txt" 2>/dev/null
sed 's|/again||' "$out/summary2.txt" | cmp -s "$out/summary.txt" -
check "same seed, same summary" $?

"$prog" --out "$out" --only gradients --quiet > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt" && grep -q '^claim vanishing-deep: ' "$out/quiet.txt"
check "--quiet prints nothing but the claim lines" $?

expect_usage "--lr -1" --lr -1
expect_usage "--epochs 0" --epochs 0
expect_usage "--only nonsense" --only nonsense
expect_usage "--lr with --only paths" --lr 0.1 --only paths
expect_usage "an unknown option" --momentum 3

"$prog" --out "$out" --lr 1 > "$out/out.txt" 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "diverged at step [0-9]*:.*learning rate 1 too large.*try 0.1" "$out/err.txt" \
  && ! grep -qi nan "$out/out.txt" "$out/err.txt"
check "--lr 1 diverges: exit 1, 'diverged at step N ... try 0.1', no NaN" $?
sed 's/^/# /' "$out/err.txt"

"$prog" --out "$out" --lr 0.05 > "$out/out.txt" 2> "$out/err.txt"
test $? -eq 0 && grep -q "lr = 0.05 .*E after" "$out/out.txt"
check "--lr 0.05 converges and reports its loss" $?

NNLAB_DATA_DIR="$out/nowhere" "$prog" --out "$out" --only digits > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:" "$out/err.txt"
check "missing data: exit 1 with a message" $?
sed 's/^/# /' "$out/err.txt"

# Every sentence of the chapter about its own results is a claim, checked
# over seeds 1, 2 and 3 (the default epochs and steps: the claims are about
# the run a student makes).
check_claims "ch03-optimizers" "$prog" --out "$out/claims"

tap_plan_at_end
