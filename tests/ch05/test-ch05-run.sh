#!/bin/sh
# test-ch05-run.sh: run ch05-convolution as a student would, and with bad input.
prog="$top_builddir/ch05-convolution"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch05.XXXXXX")
trap 'rm -rf "$out"' EXIT
n=0
check() { # check NAME STATUS
  n=$((n + 1))
  if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; fi
}
echo "1..14"
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

if [ -n "$GNUPLOT" ]; then
  ( cd "$out" && for f in $figures; do "$GNUPLOT" "plots/05-convolution/$f.gp" || exit 1; done ) 2> "$out/gnuplot.txt"
  status=$?
  [ -s "$out/gnuplot.txt" ] && { sed 's/^/# /' "$out/gnuplot.txt"; status=1; }
  for f in $figures; do test -s "$out/plots/05-convolution/$f.png" || status=1; done
  check "gnuplot renders every figure without a warning" $status
else
  n=$((n + 1)); echo "ok $n - gnuplot renders every figure # SKIP gnuplot not installed"
fi

"$prog" --out "$out" --batch 8 --quiet > "$out/quiet.txt"
test $? -eq 0 && ! test -s "$out/quiet.txt"
check "--quiet prints nothing" $?

"$prog" --out "$out/again" --batch 8 > "$out/summary2.txt" 2>/dev/null
grep -v ' ms\|Figures written' "$out/summary.txt" > "$out/a.txt"
grep -v ' ms\|Figures written' "$out/summary2.txt" > "$out/b.txt"
cmp -s "$out/a.txt" "$out/b.txt"
check "same seed, same summary" $?

"$prog" --out "$out/toy" --batch 4 --data "$out/no-such-dir" > "$out/toy.txt" 2> "$out/toy-err.txt"
status=$?
[ $status -eq 0 ] && grep -q "using toy images" "$out/toy-err.txt" && grep -q "no-such-dir" "$out/toy-err.txt"
check "without Fashion-MNIST it says so and falls back to toy images" $?

expect_usage() { # NAME ARGS...: exit 2 with a message and a usage line
  name=$1; shift
  "$prog" --out "$out" "$@" > /dev/null 2> "$out/err.txt"
  status=$?
  [ $status -eq 2 ] && grep -q "error:" "$out/err.txt" && grep -q "usage:" "$out/err.txt"
  check "$name exits 2 with a message and a usage line" $?
}
expect_usage "--image -1" --image -1
expect_usage "--batch 0" --batch 0
expect_usage "an unknown option" --stride 2

"$prog" --out /dev/null/cannot > /dev/null 2> "$out/err.txt"
status=$?
[ $status -eq 1 ] && grep -q "error:" "$out/err.txt"
check "an unwritable --out exits 1 with a message" $?
