# chapter-run-lib.sh: TAP helpers shared by the chapter run tests
# (tests/chNN/test-chNN-run.sh), sourced after they set $prog and $out:
#   . "$top_srcdir/tests/chapter-run-lib.sh"
# Each test prints its own plan and ends with:  test "$failed" -eq 0
# (or, when the number of tests is known only at the end: tap_plan_at_end)

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

# ---- Claims (lib/nn_claim.h) -------------------------------------------------
# A sentence in a chapter that states a result of its own run is printed by
# the chapter as one line "claim <id>: PASS|FAIL <sentence>".
#
# check_claims NAME CMD...: runs CMD --seed S for S = 1, 2, 3 (stdout to
# $out/claims-S.txt) and prints one TAP line per claim line and seed: ok when
# it says PASS, not ok when it says FAIL.  Also not ok: a run that exits
# non-zero, a run that prints no claim line at all, an id printed twice in one
# run, and a seed whose ids differ from seed 1's (a claim that appears only for
# some seeds is not checked over three).  The number of TAP lines depends on
# the chapter, so a test that uses check_claims prints its plan at the end
# (tap_plan_at_end).
check_claims() {
  claims_name=$1; shift
  for claims_seed in 1 2 3; do
    claims_file="$out/claims-$claims_seed.txt"
    "$@" --seed "$claims_seed" > "$claims_file" 2> "$out/claims-$claims_seed.err"
    claims_status=$?
    if [ $claims_status -ne 0 ]; then
      check "$claims_name, seed $claims_seed: exits 0 (exit $claims_status)" 1
      sed 's/^/# /' "$out/claims-$claims_seed.err"
    fi
    grep '^claim ' "$claims_file" > "$out/claims-$claims_seed.lines"
    if ! [ -s "$out/claims-$claims_seed.lines" ]; then
      check "$claims_name, seed $claims_seed: prints at least one claim line" 1
      continue
    fi
    # One TAP line per claim.  A '#' in the sentence would start a TAP
    # directive ("# SKIP"), so it is shown as 'no.'.
    while IFS= read -r claims_line; do
      claims_id=$(printf "%s\n" "$claims_line" | sed -n 's/^claim \([A-Za-z0-9._-]*\): \(PASS\|FAIL\) .*/\1/p')
      claims_verdict=$(printf "%s\n" "$claims_line" | sed -n 's/^claim [A-Za-z0-9._-]*: \(PASS\|FAIL\) .*/\1/p')
      claims_text=$(printf "%s\n" "$claims_line" | sed 's/^claim //; s/#/no./g')
      if [ -z "$claims_id" ]; then
        check "$claims_name, seed $claims_seed: malformed claim line: $claims_text" 1
      else
        [ "$claims_verdict" = PASS ]
        check "$claims_name, seed $claims_seed: $claims_text" $?
      fi
    done < "$out/claims-$claims_seed.lines"
    sed -n 's/^claim \([^:]*\):.*/\1/p' "$out/claims-$claims_seed.lines" > "$out/claims-$claims_seed.ids"
    claims_repeated=$(sort "$out/claims-$claims_seed.ids" | uniq -d | tr '\n' ' ' | sed 's/ $//')
    [ -z "$claims_repeated" ]
    check "$claims_name, seed $claims_seed: no claim id printed twice${claims_repeated:+ ($claims_repeated)}" $?
    if [ "$claims_seed" != 1 ] && [ -s "$out/claims-1.ids" ]; then
      sort "$out/claims-1.ids" > "$out/claims-1.sorted"
      sort "$out/claims-$claims_seed.ids" | cmp -s "$out/claims-1.sorted" -
      check "$claims_name, seed $claims_seed: the same claims as seed 1" $?
    fi
  done
}

# only_claim_lines FILE: FILE holds nothing but claim lines (what a --quiet
# run prints).
only_claim_lines() {
  ! grep -qv '^claim [A-Za-z0-9._-]*: \(PASS\|FAIL\) ' "$1"
}

# tap_plan_at_end: prints the plan "1..n" after the last test (TAP allows it
# there) and returns the status the test script should exit with.
tap_plan_at_end() {
  echo "1..$n"
  test "$failed" -eq 0
}
