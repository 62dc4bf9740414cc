# ref-current-lib.sh: sourced by the reference-currency tests (tests/ch05,
# tests/ch07, tests/ch08), after they set $top and $tmp and checked that
# python3 with torch is there.
#
# ref_current PAIR[:RTOL]...: for each tests/PAIR.py, runs it and compares
# what it writes with the committed tests/PAIR.txt, two TAP lines per pair
# (numbered from 1).  Numbers agree to RTOL (default 1e-5) of the largest
# magnitude on their line, taken over the numbers written with a point or an
# exponent (so not over counts such as a tensor's size).  PyTorch's float
# kernels sum in another order on another CPU: an AVX-512 Zen 4 moves the
# values an AVX2 Zen 3 wrote in their 6th digit.  RTOL 0 asks for every field
# equal (integer counts).  Everything that is not a number must be equal.
ref_current() {
n=0
for spec in "$@"; do
    pair=${spec%%:*}
    rtol=1e-5
    case $spec in *:*) rtol=${spec#*:} ;; esac
    script=$top/tests/$pair.py
    committed=$top/tests/$pair.txt
    fresh=$tmp/$(basename "$pair").txt
    n=$((n + 1))
    if "$PYTHON3" "$script" > "$fresh" 2> "$tmp/err"; then
        echo "ok $n - tests/$pair.py runs"
    else
        echo "not ok $n - tests/$pair.py runs"
        sed 's/^/# /' "$tmp/err"
        n=$((n + 1)); echo "not ok $n - tests/$pair.txt is what its script writes # (script failed)"
        continue
    fi
    grep -v '^#' "$fresh" > "$tmp/a"
    grep -v '^#' "$committed" > "$tmp/b"
    report=$(awk -v rtol="$rtol" '
        NR == FNR { fresh[FNR] = $0; lines = FNR; next }
        {
            if (!(FNR in fresh)) { print "line " FNR " is only in the committed file"; bad = 1; exit }
            nf = split(fresh[FNR], f, " "); nc = split($0, c, " ")
            lm = 0
            for (i = 1; i <= nc; i++) if (c[i] ~ /^[-+0-9.eE]+$/ && c[i] ~ /[.eE]/) { v = c[i] < 0 ? -c[i] : c[i]; if (v > lm) lm = v }
            if (nf != nc) { print "line " FNR ": " nc " fields committed, the script writes " nf; bad = 1; exit }
            for (i = 1; i <= nc; i++) {
                if (f[i] == c[i]) continue
                if (rtol == 0 || f[i] !~ /^[-+0-9.eE]+$/ || c[i] !~ /^[-+0-9.eE]+$/) {
                    print "line " FNR ", field " i ": " c[i] " committed, " f[i] " now"; bad = 1; exit
                }
                d = f[i] - c[i]; if (d < 0) d = -d
                m = c[i] < 0 ? -c[i] : c[i]
                if (m < lm) m = lm
                if (d > rtol * m + 1e-12) { print "line " FNR ", field " i ": " c[i] " committed, " f[i] " now"; bad = 1; exit }
            }
        }
        END { if (!bad && FNR < lines) print "the script writes " lines " lines, the file has " FNR }
    ' "$tmp/a" "$tmp/b")
    n=$((n + 1))
    if [ -z "$report" ]; then
        echo "ok $n - tests/$pair.txt is what its script writes"
    else
        echo "not ok $n - tests/$pair.txt is what its script writes"
        echo "# $report"
        echo "# regenerate: /usr/bin/python3 tests/$pair.py > tests/$pair.txt"
    fi
done
}
