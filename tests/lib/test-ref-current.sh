#!/bin/sh
# test-ref-current.sh: the committed PyTorch reference values
# (tests/ref/lib_reference.txt) are what the committed script
# (tests/ref/lib_reference.py) writes today, so nobody can edit one without
# the other.  Needs python3 with torch; skipped without it (make check never
# needs torch).  Values are compared to 1e-7 relative, which absorbs the last
# printed digit changing between torch builds.  Prints TAP itself.

builddir=${top_builddir:-.}
srcdir_top=${top_srcdir:-.}
script=$srcdir_top/tests/ref/lib_reference.py
committed=$srcdir_top/tests/ref/lib_reference.txt
fresh=$builddir/tests/lib/test-ref-current.tmp.$$
trap 'rm -f "$fresh" "$fresh.a" "$fresh.b"' EXIT

if [ -z "$PYTHON3" ] || ! "$PYTHON3" -c 'import torch' >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 with torch not found (configure looks in /usr/bin first)"
    exit 0
fi
echo "1..2"
if "$PYTHON3" "$script" "$fresh" >/dev/null 2>&1; then
    echo "ok 1 - tests/ref/lib_reference.py runs"
else
    echo "not ok 1 - tests/ref/lib_reference.py runs"
    exit 1
fi
# Non-comment lines side by side: names and shapes equal, numbers within 1e-7.
report=$(grep -v '^#' "$fresh" >"$fresh.a"; grep -v '^#' "$committed" >"$fresh.b"
         awk 'NR == FNR { fresh[FNR] = $0; n = FNR; next }
              {
                  if (!(FNR in fresh)) { print "line " FNR ": only in the committed file"; bad = 1; next }
                  split(fresh[FNR], f, " "); m = split($0, c, " ")
                  if (length(f) != m) { print "line " FNR ": " m " fields, the script writes " length(f); bad = 1; next }
                  for (i = 1; i <= m; i++) {
                      if (f[i] == c[i]) continue
                      if (f[i] !~ /^[-+0-9.eE]+$/ || c[i] !~ /^[-+0-9.eE]+$/) { print "line " FNR ": " c[i] " vs " f[i]; bad = 1; break }
                      d = f[i] - c[i]; if (d < 0) d = -d
                      s = (f[i] < 0 ? -f[i] : f[i]); if (d > 1e-7 * s + 1e-30) { print "line " FNR ": " c[i] " vs " f[i]; bad = 1; break }
                  }
              }
              END { if (FNR != n) { print "the script writes " n " lines, the committed file holds " FNR; bad = 1 } exit bad }' \
             "$fresh.a" "$fresh.b"; echo "status $?")
case $report in
    *"status 0")
        echo "ok 2 - tests/ref/lib_reference.txt is what the script writes (to 1e-7)" ;;
    *)
        echo "not ok 2 - tests/ref/lib_reference.txt is what the script writes (to 1e-7)"
        echo "$report" | grep -v '^status' | sed 's/^/#   /'
        echo "#   regenerate it: /usr/bin/python3 tests/ref/lib_reference.py"
        exit 1 ;;
esac
