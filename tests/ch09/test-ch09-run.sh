#!/bin/sh
# test-ch09-run.sh: run ch09-shap as a student would (the default run, seeds
# 1-3: every claim the chapter prints must PASS), and with bad input.
prog="$top_builddir/ch09-shap"
out=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch09.XXXXXX")
trap 'rm -rf "$out"' EXIT
. "$top_srcdir/tests/chapter-run-lib.sh"

# The default run, seeds 1, 2 and 3 (check_claims: every claim must PASS, the
# same claims for every seed); seed 1 also exports its network.
run_default() {
  run_seed=$2
  run_extra=; [ "$run_seed" = 1 ] && run_extra="--export $out/export.txt"
  "$prog" --out "$out/s$run_seed" $run_extra "$@"
}
check_claims "the default run" run_default
claims_total=$(grep -c '^claim ' "$out/claims-1.txt")
[ "$claims_total" -ge 20 ]
check "the default run makes 20 or more claims ($claims_total)" $?
cp "$out/claims-1.txt" "$out/summary1.txt"
grep -q "claim income-weights: PASS" "$out/summary1.txt" && grep -q "claim additivity: PASS" "$out/summary1.txt" && \
  grep -q "claim linear-closed-form: PASS" "$out/summary1.txt" && grep -q "claim axioms: PASS" "$out/summary1.txt"
check "the weights, additivity, the linear closed form and the axioms are among them" $?
grep -q "Deck 000's example" "$out/summary1.txt" && grep -q "KernelSHAP" "$out/summary1.txt" && \
  grep -q "Permutation importance" "$out/summary1.txt" && grep -q "ICE" "$out/summary1.txt"
check "the summary covers the income example, the estimators, permutation importance and ICE" $?

# The export is the committed one that tests/ch09/sklearn_reference.txt was computed from.
awk '
  NR == FNR { fresh[FNR] = $0; lines = FNR; next }
  {
    if (!(FNR in fresh)) { bad = 1; exit }
    nf = split(fresh[FNR], f, " "); nc = split($0, c, " ")
    if (nf != nc) { bad = 1; exit }
    for (i = 1; i <= nc; i++) {
      if (f[i] == c[i]) continue
      if (f[i] !~ /^[-+0-9.eE]+$/ || c[i] !~ /^[-+0-9.eE]+$/) { bad = 1; exit }
      d = f[i] - c[i]; if (d < 0) d = -d; m = c[i] < 0 ? -c[i] : c[i]
      if (d > 1e-6 * m + 1e-7) { print "# line " FNR ", field " i ": " c[i] " committed, " f[i] " now"; bad = 1; exit }
    }
  }
  END { exit bad || FNR != lines }
' "$out/export.txt" "$top_srcdir/tests/ch09/diabetes_export.txt"
check "--export at seed 1 writes tests/ch09/diabetes_export.txt (regenerate it and the sklearn reference if not)" $?

figs="waterfall beeswarm shap-bars dependence permutation-importance ice-pd pd-map estimator-error"
status=0
for f in $figs; do
  test -s "$out/s1/plots/09-shap/$f.gp" || { echo "# missing $f.gp"; status=1; }
done
check "every figure script is written" $status
head -n 1 "$out/s1/plots/09-shap/estimator-error.dat" | grep -q '^# model_evaluations permutation antithetic kernelshap'
check "data files start with a header naming the columns" $?
out_save=$out; out=$out/s1
check_renders 09-shap $figs
out=$out_save

# --quick (small budgets, few epochs) for the remaining runs.
cheap="--quick"
"$prog" --out "$out/q" $cheap --quiet > "$out/quiet.txt" 2> "$out/quiet.err"
test $? -eq 0 && only_claim_lines "$out/quiet.txt" && ! test -s "$out/quiet.err"
check "--quiet prints nothing but the claim lines" $?
"$prog" --out "$out/a" $cheap > "$out/a.txt" 2>/dev/null
"$prog" --out "$out/b" $cheap > "$out/b.txt" 2>/dev/null
sed 's/([0-9.]* s)//; s|/a/|/X/|' "$out/a.txt" > "$out/a2.txt"; sed 's/([0-9.]* s)//; s|/b/|/X/|' "$out/b.txt" > "$out/b2.txt"
cmp -s "$out/a2.txt" "$out/b2.txt"
check "same seed, same summary" $?

# Bad input.
printf '1,2,3\n4,5,6\n7,8\n' > "$out/ragged.csv"
"$prog" --out "$out" --csv "$out/ragged.csv" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "ragged.csv" "$out/err.txt" && grep -q "line 3" "$out/err.txt"
check "a ragged CSV: exit 1, the message names the file and the line" $?
printf '1,2,3\n4,x5,6\n' > "$out/text.csv"
"$prog" --out "$out" --csv "$out/text.csv" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "x5" "$out/err.txt" && grep -q "not a number" "$out/err.txt"
check "a non-numeric CSV field: exit 1, the message names it" $?
awk 'BEGIN { srand(3); for (r = 0; r < 40; r++) { s = ""; for (c = 0; c < 21; c++) s = s (c ? "," : "") rand(); print s } }' > "$out/wide.csv"
"$prog" --out "$out" --csv "$out/wide.csv" $cheap > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "20 features" "$out/err.txt" && grep -q -- "--method kernel" "$out/err.txt" && \
  grep -q -- "--method permutation" "$out/err.txt"
check "too many features for exact enumeration: exit 1, the message names both approximations" $?
awk 'BEGIN { srand(4); for (r = 0; r < 40; r++) { s = ""; for (c = 0; c < 4; c++) s = s (c ? "," : "") rand(); print s } }' > "$out/small.csv"
"$prog" --out "$out/csv" --csv "$out/small.csv" --feature 0 --feature2 1 $cheap > "$out/csv.txt" 2> "$out/err.txt"
[ $? -eq 0 ] && grep -q "small.csv, 3 features" "$out/csv.txt"
check "a well-formed CSV of 3 features and a target runs through every section" $?
"$prog" --out "$out" --feature 12 > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "out of range" "$out/err.txt" && grep -q "10 features" "$out/err.txt"
check "--feature 12 on diabetes: exit 2, the message gives the range" $?
"$prog" --out "$out" --bootstrap 0 > /dev/null 2> "$out/err.txt"
[ $? -eq 2 ] && grep -q "at least 2 bootstrap" "$out/err.txt"
check "--bootstrap 0: exit 2 with a message" $?
"$prog" --out "$out" --method exact $cheap > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "30 features" "$out/err.txt" && grep -q -- "--method kernel" "$out/err.txt"
check "--method exact on the 30-feature model: exit 1, the message names the approximations" $?
expect_usage "an unknown method" --method shapley
NNLAB_DATA_DIR="$out/nowhere" "$prog" --out "$out" > /dev/null 2> "$out/err.txt"
[ $? -eq 1 ] && grep -q "nowhere" "$out/err.txt"
check "missing data directory: exit 1, message names the file" $?
tap_plan_at_end
