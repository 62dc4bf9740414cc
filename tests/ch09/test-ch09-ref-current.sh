#!/bin/sh
# test-ch09-ref-current.sh: the committed sklearn reference
# (tests/ch09/sklearn_reference.txt) is what tests/ch09/sklearn_reference.py
# writes today from the committed export, so neither can change without the
# other.  Needs python3 with scikit-learn (Debian's python3-sklearn) and is
# skipped without it.  Numbers agree to 1e-9 relative (the last printed digit
# may change between numpy builds); everything else must be equal.
top=${top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ch09ref.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$PYTHON3" ] || ! "$PYTHON3" -c 'import sklearn.inspection' > /dev/null 2>&1; then
    echo "1..0 # SKIP python3 with scikit-learn not found (configure looks in /usr/bin first)"
    exit 0
fi
echo "1..2"
if "$PYTHON3" "$top/tests/ch09/sklearn_reference.py" "$top/tests/ch09/diabetes_export.txt" > "$tmp/fresh.txt" 2> "$tmp/err"; then
    echo "ok 1 - tests/ch09/sklearn_reference.py runs (and its replayed row orders reproduce sklearn's importances)"
else
    echo "not ok 1 - tests/ch09/sklearn_reference.py runs"
    sed 's/^/# /' "$tmp/err"
    echo "not ok 2 - tests/ch09/sklearn_reference.txt is what its script writes # (script failed)"
    exit 1
fi
grep -v '^#' "$tmp/fresh.txt" > "$tmp/a"
grep -v '^#' "$top/tests/ch09/sklearn_reference.txt" > "$tmp/b"
report=$(awk '
    NR == FNR { fresh[FNR] = $0; lines = FNR; next }
    {
        if (!(FNR in fresh)) { print "line " FNR " is only in the committed file"; bad = 1; exit }
        nf = split(fresh[FNR], f, " "); nc = split($0, c, " ")
        if (nf != nc) { print "line " FNR ": " nc " fields committed, the script writes " nf; bad = 1; exit }
        for (i = 1; i <= nc; i++) {
            if (f[i] == c[i]) continue
            if (f[i] !~ /^[-+0-9.eE]+$/ || c[i] !~ /^[-+0-9.eE]+$/) {
                print "line " FNR ", field " i ": " c[i] " committed, " f[i] " now"; bad = 1; exit
            }
            d = f[i] - c[i]; if (d < 0) d = -d
            m = c[i] < 0 ? -c[i] : c[i]
            if (d > 1e-9 * m + 1e-12) { print "line " FNR ", field " i ": " c[i] " committed, " f[i] " now"; bad = 1; exit }
        }
    }
    END { if (!bad && FNR < lines) print "the script writes " lines " lines, the file has " FNR }
' "$tmp/a" "$tmp/b")
if [ -z "$report" ]; then
    echo "ok 2 - tests/ch09/sklearn_reference.txt is what its script writes"
else
    echo "not ok 2 - tests/ch09/sklearn_reference.txt is what its script writes"
    echo "# $report"
    echo "# regenerate: /usr/bin/python3 tests/ch09/sklearn_reference.py tests/ch09/diabetes_export.txt > tests/ch09/sklearn_reference.txt"
    exit 1
fi
