#!/bin/sh
# test-ch05-run.sh: run ch05-convolution as a student would, and with bad input.
prog="$top_builddir/ch05-convolution"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch05.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"
figures="filters filtered feature-maps"

"$prog" --out "$out" --batch 8 > "$out/summary.txt" 2> "$out/err.txt"
check "a run exits 0" $?
grep -q "^      4 3 4$" "$out/summary.txt" && grep -q "^      2 4 3$" "$out/summary.txt" && grep -q "^      2 3 4$" "$out/summary.txt"
check "the summary shows deck 002's convolved feature [[4,3,4],[2,4,3],[2,3,4]]" $?
grep -q "step (0,0): 1x1 + 1x0 + 1x1 + 0x0 + 1x1 + 1x0 + 0x1 + 0x0 + 1x1 = 4" "$out/summary.txt"
check "the first step of the slide is written out" $?
grep -q "deck 002, stride 2" "$out/summary.txt" && grep -q "8. The fast version" "$out/summary.txt"
check "the summary covers output sizes and the fast version" $?
ok=0
for f in $figures; do test -s "$out/plots/05-convolution/$f.gp" || { echo "# missing $f.gp"; ok=1; }; done
check "every figure script is written" $ok
head -n 1 "$out/plots/05-convolution/filtered-0.dat" | grep -q '^# '
check "data files start with a header" $?

check_renders 05-convolution $figures

"$prog" --out "$out" --batch 8 --quiet > "$out/quiet.txt"
test $? -eq 0 && only_claim_lines "$out/quiet.txt"
check "--quiet prints nothing but the claim lines" $?

"$prog" --out "$out/again" --batch 8 > "$out/summary2.txt" 2>/dev/null
grep -v ' ms\|Figures written' "$out/summary.txt" > "$out/a.txt"
grep -v ' ms\|Figures written' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt"
check "same seed, same summary" $?

NNLAB_DATA="$out/no-such-dir" "$prog" --out "$out/toy" --batch 4 > "$out/toy.txt" 2> "$out/toy-err.txt"
status=$?
[ $status -eq 0 ] && grep -q "using toy images" "$out/toy-err.txt" && grep -q "no-such-dir" "$out/toy-err.txt"
check "without Fashion-MNIST at the default location it says so and falls back to toy images" $?
. "$top_srcdir/tests/data-rule-lib.sh"
check_data_rule --batch 4

expect_usage "--image -1" --image -1
make_fashion "$out/short-set" 3
"$prog" --out "$out/short" --data "$out/short-set" --image 9999 > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "holds only 3 images (use --image 0..2)" "$out/err.txt"
check "--image 9999 on a 3-image set: exit 2, the message gives the range (no read past the set)" $?
expect_usage "--batch 0" --batch 0
expect_usage "an unknown option" --stride 2

"$prog" --out /dev/null/cannot > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:" "$out/err.txt"
check "an unwritable --out exits 1 with a message" $?
check_claims "default run" "$prog" --out "$out/claims"
tap_plan_at_end
