#!/bin/sh
# test-ch08-run.sh: run ch08-saliency as a student would, check its claims
# over seeds 1-3, and feed it bad input.
prog="$top_builddir/ch08-saliency"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch08.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="maps curves sanity fgsm fgsm-examples classmodel"
# A small run: fewer training and test images than the default, the same code.
small="--train 600 --test 200 --faith-images 8 --samples 8"

"$prog" --out "$out" $small --seed 1 --save "$out/model.nnm" > "$out/summary.txt" 2> "$out/err.txt"
check "a run exits 0" $?
grep -q "no --load: training a small CNN here" "$out/summary.txt"
check "without --load it says that it trains a model" $?
for s in "2. Occlusion" "3. The gradient" "4. SmoothGrad" "5. Integrated Gradients" "6. Grad-CAM" \
         "7. Faithfulness" "8. Sanity checks" "9. Adversarial examples" "10. Class model"; do
  grep -q "^$s" "$out/summary.txt" || { echo "# missing section: $s"; missing=1; }
done
test -z "$missing"
check "the summary has all ten sections" $?
ok=0
for f in $figures; do test -s "$out/plots/08-saliency/$f.gp" || { echo "# missing $f.gp"; ok=1; }; done
check "every figure script is written" $ok
check_renders 08-saliency $figures

# The claims of the chapter, each over seeds 1, 2 and 3 (quiet runs).
check_claims "claims of the small run" "$prog" --out "$out/claims" $small --quiet
only_claim_lines "$out/claims-1.txt"
check "--quiet prints only the claim lines" $?

# Same seed, same maps: two short runs write the same figure data, bit for
# bit; and the seed-1 claims run printed the same claim lines as the first run.
tiny="--train 200 --test 60 --faith-images 2 --samples 2 --epochs 1 --seed 5"
"$prog" --out "$out/same1" $tiny --quiet > /dev/null 2>&1 && "$prog" --out "$out/same2" $tiny --quiet > /dev/null 2>&1
same=$?
for f in maps sanity curves classmodel fgsm fgsm-examples; do
  cmp -s "$out/same1/plots/08-saliency/$f.dat" "$out/same2/plots/08-saliency/$f.dat" || { echo "# $f.dat differs"; same=1; }
done
check "same seed, same maps (figure data bit for bit)" $same
grep '^claim ' "$out/summary.txt" | cmp -s - "$out/claims-1.txt"
check "same seed, same claims" $?

# --load explains the saved model: the same accuracy, and it says it loaded.
"$prog" --out "$out/load" --train 200 --test 200 --faith-images 2 --samples 2 --epochs 1 --seed 1 --load "$out/model.nnm" > "$out/load.txt" 2> "$out/load-err.txt"
status=$?
acc1=$(sed -n 's/.*test accuracy \([0-9.]*\)%.*/\1/p' "$out/summary.txt" | head -n 1)
acc2=$(sed -n 's/.*test accuracy \([0-9.]*\)%.*/\1/p' "$out/load.txt" | head -n 1)
[ $status -eq 0 ] && grep -q "loaded $out/model.nnm" "$out/load.txt" && [ -n "$acc1" ] && [ "$acc1" = "$acc2" ]
check "--load explains the saved model (test accuracy $acc1% = $acc2%)" $?

# Bad input.
"$prog" --out "$out" $small --load "$out/no-such.nnm" > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error: cannot open the model file $out/no-such.nnm" "$out/err.txt"
check "a missing model file exits 1 with a message naming it" $?

head -c 100 "$out/model.nnm" > "$out/cut.nnm"
"$prog" --out "$out" $small --load "$out/cut.nnm" > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "truncated" "$out/err.txt"
check "a truncated model file exits 1 and says truncated" $?

# A model of the 8x8 digits (trained when Fashion-MNIST is not found) does
# not fit Fashion-MNIST images.
"$prog" --out "$out/digits" --data "$out/no-such-dir" --train 300 --test 50 --faith-images 2 --samples 2 \
  --save "$out/digits.nnm" > "$out/digits.txt" 2> "$out/digits-err.txt"
status=$?
[ $status -eq 0 ] && grep -q "using the 8x8 digits" "$out/digits-err.txt"
check "without Fashion-MNIST it says so loudly and falls back to the 8x8 digits" $?
if [ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || [ -n "$NNLAB_DATA" ]; then
  "$prog" --out "$out" $small --load "$out/digits.nnm" > /dev/null 2> "$out/err.txt"
  status=$?
  [ $status -eq 1 ] && grep -q "incompatible model file" "$out/err.txt" && grep -q "1 x 8 x 8" "$out/err.txt"
  check "an incompatible model file (8x8 inputs for 28x28 images) exits 1 with a message" $?
  expect_usage "--patch 29 (larger than the 28x28 image)" $small --patch 29
else
  n=$((n + 1)); echo "ok $n - incompatible model # SKIP Fashion-MNIST not installed"
  n=$((n + 1)); echo "ok $n - patch larger than the image # SKIP Fashion-MNIST not installed"
fi
expect_usage "--steps 0" --steps 0
expect_usage "--epsilon 2" --epsilon 2
expect_usage "--epsilon 0" --epsilon 0
expect_usage "--fill paint" --fill paint
expect_usage "an unknown option" --window 3

"$prog" --out /dev/null/cannot $small > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:" "$out/err.txt"
check "an unwritable --out exits 1 with a message" $?

tap_plan_at_end
