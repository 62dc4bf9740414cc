#!/bin/sh
# test-ref-current.sh: the committed reference files of chapter 7's checks
# are what their committed scripts write today, so neither can be edited
# without the other.  Needs python3 with torch (and torchvision for the model
# counts); skipped without it (make check never needs torch).
#   torchvision_counts   integers: every field must be equal
#   the others           numbers agree to 1e-5 of their line's largest
#                        magnitude, the rest is equal:
#                        PyTorch's float kernels sum in another order on
#                        another CPU (the committed files came from an AVX2
#                        Zen 3; an AVX-512 Zen 4 moves their 6th digit)
top=${top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ref.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

if [ -z "$PYTHON3" ] || ! "$PYTHON3" -c 'import torch, torchvision' > /dev/null 2>&1; then
    echo "1..0 # SKIP python3 with torch and torchvision not found (configure looks in /usr/bin first)"
    exit 0
fi
# name and relative tolerance; the list grows with the chapter's references
pairs="torchvision_counts:0"
for extra in lenet_reference batchnorm2d_reference resblock_reference; do
    [ -f "$top/tests/ch07/$extra.py" ] && pairs="$pairs $extra:1e-5"
done
set -- $pairs
echo "1..$(($# * 2))"
n=0
status=0
for pair in "$@"; do
    name=${pair%%:*}
    rtol=${pair#*:}
    script=$top/tests/ch07/$name.py
    committed=$top/tests/ch07/$name.txt
    fresh=$tmp/$name.txt
    n=$((n + 1))
    if "$PYTHON3" "$script" > "$fresh" 2> "$tmp/err"; then
        echo "ok $n - tests/ch07/$name.py runs"
    else
        echo "not ok $n - tests/ch07/$name.py runs"
        sed 's/^/# /' "$tmp/err"
        n=$((n + 1)); echo "not ok $n - tests/ch07/$name.txt is what its script writes # (script failed)"
        status=1
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
            for (i = 1; i <= nc; i++) if (c[i] ~ /^[-+0-9.eE]+$/) { v = c[i] < 0 ? -c[i] : c[i]; if (v > lm) lm = v }
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
        echo "ok $n - tests/ch07/$name.txt is what its script writes"
    else
        echo "not ok $n - tests/ch07/$name.txt is what its script writes"
        echo "# $report"
        echo "# regenerate: /usr/bin/python3 tests/ch07/$name.py > tests/ch07/$name.txt"
        status=1
    fi
done
exit $status
