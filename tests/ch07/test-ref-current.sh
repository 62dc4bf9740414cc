#!/bin/sh
# test-ref-current.sh: the committed reference files of chapter 7's checks
# are what their committed scripts write today, so neither can be edited
# without the other.  Needs python3 with torch (and torchvision for the model
# counts); skipped without it (make check never needs torch).
#   torchvision_counts   integers: every field must be equal
#   the others           numbers agree as tests/ref-current-lib.sh says
#                        (1e-5 of their line's scale), the rest is equal
top=${top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ref.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

if [ -z "$PYTHON3" ] || ! "$PYTHON3" -c 'import torch, torchvision' > /dev/null 2>&1; then
    echo "1..0 # SKIP python3 with torch and torchvision not found (configure looks in /usr/bin first)"
    exit 0
fi
# name and relative tolerance (tests/ref-current-lib.sh); the list grows
# with the chapter's references
pairs="ch07/torchvision_counts:0"
for extra in lenet_reference batchnorm2d_reference resblock_reference; do
    [ -f "$top/tests/ch07/$extra.py" ] && pairs="$pairs ch07/$extra"
done
set -- $pairs
echo "1..$(($# * 2))"
. "$top/tests/ref-current-lib.sh"
ref_current "$@"
