#!/bin/sh
# test-ref-current.sh: the committed conv and pooling reference values
# (tests/ch05/conv_reference.txt, tests/ch06/pool_reference.txt) are what
# their committed scripts write today, so neither can be edited without the
# other.  Needs python3 with torch and is skipped without it (make check
# never needs torch).  Numbers agree as tests/ref-current-lib.sh
# says; everything else must be equal.
top=${top_srcdir:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nnlab-ref.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ -z "$PYTHON3" ] || ! "$PYTHON3" -c 'import torch' > /dev/null 2>&1; then
    echo "1..0 # SKIP python3 with torch not found (configure looks in /usr/bin first)"
    exit 0
fi
echo "1..4"
. "$top/tests/ref-current-lib.sh"
ref_current ch05/conv_reference ch06/pool_reference
