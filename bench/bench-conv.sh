#!/bin/sh
# bench-conv.sh: time conv2d and pooling in nnlab and in PyTorch, one thread
# each, on the same layers, and print the ratios (PyTorch time / nnlab time:
# above 1 means nnlab is faster).
#
#   sh bench/bench-conv.sh [BENCH_CONV [TORCH_SCRIPT [PYTHON]]]
#
# defaults: ./bench/bench-conv, bench/bench_conv_torch.py, /usr/bin/python3.
# `make bench-conv` runs it from the build tree.
set -e
bench=${1:-./bench/bench-conv}
script=${2:-$(dirname "$0")/bench_conv_torch.py}
python=${3:-/usr/bin/python3}
min_time=${MIN_TIME:-0.2}

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench-conv: $python cannot import torch; give a Python with torch as the third" >&2
    echo "argument (make bench-conv PYTHON3=/path/to/python3)" >&2
    exit 1
fi
tmp=${TMPDIR:-/tmp}/bench-conv.$$
trap 'rm -f "$tmp".nn "$tmp".torch' EXIT INT TERM
OMP_NUM_THREADS=1 "$bench" --min-time "$min_time" > "$tmp.nn"
"$python" "$script" --min-time "$min_time" > "$tmp.torch"
grep '^#' "$tmp.nn"
grep '^#' "$tmp.torch"
awk '
    FNR == NR { if ($1 !~ /^#/) { tf[$1] = $2; tb[$1] = $3 } next }
    $1 ~ /^#/ { next }
    !header++ {
        printf "%-14s %9s %9s %9s %9s %8s %8s %8s\n", "layer", "nn fwd", "nn bwd", \
               "torch fwd", "torch bwd", "fwd x", "bwd x", "total x"
    }
    {
        printf "%-14s %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %8.2f\n", $1, $2, $3, tf[$1], tb[$1], \
               tf[$1] / $2, tb[$1] / $3, (tf[$1] + tb[$1]) / ($2 + $3)
        nn += $2 + $3; torch += tf[$1] + tb[$1]
    }
    END { printf "times in ms; x = PyTorch time / nnlab time (above 1: nnlab faster)\n" }
' "$tmp.torch" "$tmp.nn"
