#!/bin/sh
# sync.sh: exercises/ must be exactly what `make exercises` generates from
# solutions/ (the student files are committed, so they can fall behind).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ ! -d "$top_srcdir/solutions" ]; then
    echo "1..0 # SKIP no solutions/ in this tree (a student copy)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-sync.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! "$top_srcdir/tools/make-exercises" "$top_srcdir/solutions" "$tmp" 2> "$tmp.err"; then
    echo "1..1"
    echo "not ok 1 - tools/make-exercises turns solutions/ into stubs"
    sed 's/^/# /' "$tmp.err"
    rm -f "$tmp.err"
    exit 1
fi
rm -f "$tmp.err"
n=0
status=0
for dir in "$tmp"/*/; do
    chapter=$(basename "$dir")
    for file in "$dir"*; do
        name=$(basename "$file")
        n=$((n + 1))
        if cmp -s "$file" "$top_srcdir/exercises/$chapter/$name"; then
            echo "ok $n - exercises/$chapter/$name is in step with solutions/"
        else
            echo "not ok $n - exercises/$chapter/$name is in step with solutions/"
            echo "# run 'make exercises' and commit exercises/ (differences below)"
            diff -u "$top_srcdir/exercises/$chapter/$name" "$file" 2>&1 | head -n 20 | sed 's/^/# /'
            status=1
        fi
    done
done
# A file left in exercises/ after its solution was removed or renamed.
for file in "$top_srcdir"/exercises/*/*; do
    chapter=$(basename "$(dirname "$file")")
    name=$(basename "$file")
    [ -d "$tmp/$chapter" ] || continue
    if [ ! -e "$tmp/$chapter/$name" ]; then
        n=$((n + 1))
        echo "not ok $n - exercises/$chapter/$name comes from solutions/"
        echo "# solutions/$chapter/ has no $name: delete exercises/$chapter/$name or restore its solution"
        status=1
    fi
done
# The totals doc/GRADING.md states are the rubrics' (tools/rubric-totals).
doc=$top_srcdir/doc/GRADING.md
if [ -f "$doc" ]; then
    n=$((n + 1))
    sed -n '/<!-- totals: begin -->/,/<!-- totals: end -->/p' "$doc" | sed -n 's/^    //p' > "$tmp.doc"
    "$top_srcdir/tools/rubric-totals" "$top_srcdir" > "$tmp.totals"
    if cmp -s "$tmp.doc" "$tmp.totals"; then
        echo "ok $n - the totals in doc/GRADING.md are the rubrics'"
    else
        echo "not ok $n - the totals in doc/GRADING.md are the rubrics'"
        echo "# paste the output of make totals between the totals markers of doc/GRADING.md"
        diff "$tmp.doc" "$tmp.totals" | sed 's/^/# /'
        status=1
    fi
    rm -f "$tmp.doc" "$tmp.totals"
fi
echo "1..$n"
exit $status
