#!/bin/sh
# test-ch07-run.sh: run ch07-cnn as a student would, its claims over seeds
# 1-3, determinism across thread counts, and bad input.  Small subsets
# throughout (the documented run is --full, far too long for make check).
prog="$top_builddir/ch07-cnn"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch07.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="curves shifted augmentation residual-gradients residual-curves confusion misclassified filters filters-lenet feature-maps top-images"
tiny="--train 300 --val 64 --test 200 --epochs 1"
fashion=yes
"$prog" --out "$out/probe" --net none --train 20 --val 5 --test 5 --epochs 1 > /dev/null 2>&1 || fashion=no

if [ $fashion = yes ]; then data=""; else data="--dataset digits"; echo "# Fashion-MNIST is not installed: the digits instead"; fi

"$prog" --out "$out" $tiny $data > "$out/summary.txt" 2> "$out/err.txt"
check "a small run exits 0" $?
for section in "1. Data" "2. Deck 004's toy network" "3. LeNet-5" "4. The small network" "7. Why not a dense" \
               "8. Batch norm" "9. Residual" "10. What the small CNN learned"; do
  grep -q "^$section" "$out/summary.txt" || { echo "# missing section: $section"; missing=1; }
done
test -z "$missing"
check "the summary has every section" $?
grep -q "a subset: --full for the documented run" "$out/summary.txt"
check "the summary says the run is on a subset" $?
grep -q "images per second" "$out/summary.txt" && grep -q "61706" "$out/summary.txt"
check "the summary prints images per second and LeNet-5's 61,706 parameters" $?
grep -q "prediction: 7 (true label 7)" "$out/summary.txt" && grep -q "softmax p" "$out/summary.txt"
check "the toy network prints its softmax for the handwritten 7" $?
ok=0
for f in $figures; do test -s "$out/plots/07-cnn/$f.gp" || { echo "# missing $f.gp"; ok=1; }; done
check "every figure script is written" $ok
head -n 1 "$out/plots/07-cnn/shifted.dat" | grep -q '^# shift mlp_acc cnn_acc'
check "data files start with a header" $?
check_renders 07-cnn $figures

# determinism: the same seed gives the same summary on 1 and 2 threads
OMP_NUM_THREADS=1 "$prog" --out "$out/t1" --net small $tiny $data 2>/dev/null | grep -v "images per second\|Done in" > "$out/t1.txt"
OMP_NUM_THREADS=2 "$prog" --out "$out/t2" --net small $tiny $data 2>/dev/null | grep -v "images per second\|Done in" > "$out/t2.txt"
test -s "$out/t1.txt" && cmp -s "$out/t1.txt" "$out/t2.txt"
check "same seed, same summary to the last digit on 1 and 2 threads" $?

# save and load: the loaded network scores what the trained one did
"$prog" --out "$out/s" --net small $tiny $data --save "$out/model.nnlab" > "$out/save.txt" 2>&1
"$prog" --out "$out/l" --net small $tiny $data --load "$out/model.nnlab" > "$out/load.txt" 2>&1
trained=$(sed -n 's/.*small CNN: best.*test accuracy \([0-9.]*\)$/\1/p' "$out/save.txt")
loaded=$(sed -n 's/.*loaded from .*: test accuracy \([0-9.]*\)$/\1/p' "$out/load.txt")
test -n "$trained" && test "$trained" = "$loaded"
check "--save then --load: the same test accuracy ($trained, $loaded)" $?

# bad input
"$prog" --out "$out" --data "$out/no-such-dir" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "no-such-dir" "$out/err.txt" && grep -q "dataset-fashion-mnist" "$out/err.txt"
check "a missing data set exits 1 naming the directory and the package" $?
printf 'NNLABMDL this is not a model' > "$out/bad.nnlab"
"$prog" --out "$out" --net small $tiny $data --load "$out/bad.nnlab" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "bad.nnlab" "$out/err.txt"
check "a corrupt model file exits 1 naming the file" $?
"$prog" --out "$out" --net small $tiny $data --load "$out/none.nnlab" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "none.nnlab" "$out/err.txt"
check "a missing model file exits 1 naming the file" $?
"$prog" --out "$out" --filters1 0 > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "at least one filter" "$out/err.txt"
check "zero filters exit 2 with a message" $?
"$prog" --out "$out" --net small --pool 30 $tiny $data > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "larger than the input" "$out/err.txt"
check "a pool larger than the feature map exits 2 with a message" $?
"$prog" --out "$out" --net small --lr 1e6 $tiny $data > "$out/div.txt" 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "diverged" "$out/err.txt" && ! grep -qi "nan" "$out/div.txt"
check "a diverging learning rate exits 1 with a message, no NaN printed" $?
expect_usage "--epochs 0" --epochs 0
expect_usage "--batch x" --batch x
expect_usage "an unknown option" --kernel 3
expect_usage "--val as large as --train" --train 100 --val 100

"$prog" --out /dev/null/cannot $tiny $data > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "error:" "$out/err.txt"
check "an unwritable --out exits 1 with a message" $?

# every sentence about the run's results holds for seeds 1, 2 and 3
check_claims "claims of the MLP/CNN, ablation and residual sections" \
  "$prog" --out "$out/claims" --net none --train 800 --val 200 --test 500 --epochs 2 $data
tap_plan_at_end
test "$failed" -eq 0
