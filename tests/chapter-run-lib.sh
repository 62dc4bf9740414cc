# chapter-run-lib.sh: TAP helpers shared by the chapter run tests
# (tests/chNN/test-chNN-run.sh), sourced after they set $prog and $out:
#   . "$top_srcdir/tests/chapter-run-lib.sh"
# Each test prints its own plan and ends with:  test "$failed" -eq 0

n=0 failed=0

# check NAME STATUS: one TAP line, ok when STATUS is 0.
check() {
  n=$((n + 1))
  if [ "$2" -eq 0 ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; failed=$((failed + 1)); fi
}

# expect_usage NAME ARGS...: the program refuses ARGS with exit 2, an error
# message and a usage line.
expect_usage() {
  usage_name=$1; shift
  "$prog" --out "$out" "$@" > /dev/null 2> "$out/err.txt"
  [ $? -eq 2 ] && grep -q "error:" "$out/err.txt" && grep -q "usage:" "$out/err.txt"
  check "$usage_name exits 2 with a message and a usage line" $?
}

# check_renders CHAPTER FIGURE...: gnuplot renders every script under
# $out/plots/CHAPTER without a warning, and each named FIGURE has its PNG.
# Skipped when gnuplot is not installed.
check_renders() {
  chapter=$1; shift
  if [ -z "$GNUPLOT" ]; then
    n=$((n + 1)); echo "ok $n - gnuplot renders every figure # SKIP gnuplot not installed"
    return
  fi
  ( cd "$out" && for s in plots/"$chapter"/*.gp; do "$GNUPLOT" "$s" || exit 1; done ) 2> "$out/gnuplot.txt"
  render_status=$?
  [ -s "$out/gnuplot.txt" ] && { sed 's/^/# /' "$out/gnuplot.txt"; render_status=1; }
  for f in "$@"; do
    test -s "$out/plots/$chapter/$f.png" || { echo "# missing $f.png"; render_status=1; }
  done
  check "gnuplot renders every figure without a warning" $render_status
}
