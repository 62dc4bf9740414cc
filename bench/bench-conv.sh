#!/bin/sh
# bench-conv.sh: time conv2d and pooling in nnlab and in PyTorch, one thread
# each, on the same layers, and print the ratios (PyTorch time / nnlab time:
# above 1 means nnlab is faster).
#
#   sh bench/bench-conv.sh [BENCH_CONV [TORCH_SCRIPT [PYTHON]]]
#
# defaults: ./bench/bench-conv, bench/bench_conv_torch.py, /usr/bin/python3;
# MIN_TIME (seconds per timing round, default 0.2), ROUNDS (default 3) and
# CPU_TIME=1 (time by CPU time, for a machine busy with other work).
# `make bench-conv` runs it from the build tree.
set -e
bench=${1:-./bench/bench-conv}
script=${2:-$(dirname "$0")/bench_conv_torch.py}
python=${3:-/usr/bin/python3}
min_time=${MIN_TIME:-0.2}
# CPU_TIME=1: time by each side's thread CPU time (for a busy machine)
cpu_flag=
if [ "${CPU_TIME:-0}" = 1 ]; then cpu_flag=--cpu-time; fi

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench-conv: $python cannot import torch; give a Python with torch as the third" >&2
    echo "argument (make bench-conv PYTHON3=/path/to/python3)" >&2
    exit 1
fi
# The reference side runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# (some machines set them to keep old OpenBLAS builds off CPUs they do not
# know): with them, PyTorch's matrix products would run another CPU's
# kernels.  KEEP_OPENBLAS_ENV=1 keeps them.  The header names the core.
reference_env="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
if [ "${KEEP_OPENBLAS_ENV:-0}" = 1 ]; then reference_env=env; fi
tmp=${TMPDIR:-/tmp}/bench-conv.$$
trap 'rm -f "$tmp".nn "$tmp".torch "$tmp".nn.best "$tmp".torch.best' EXIT INT TERM
# On a shared machine the load changes from minute to minute: the two sides
# run alternately ROUNDS times (default 3) and each layer keeps its best time.
rounds=${ROUNDS:-3}
# Both sides pinned to core 0, so neither migrates between cores mid-timing.
pin=
if command -v taskset >/dev/null 2>&1; then pin="taskset -c 0"; fi
: > "$tmp.nn"
: > "$tmp.torch"
i=0
while [ $i -lt "$rounds" ]; do
    OMP_NUM_THREADS=1 $pin "$bench" --min-time "$min_time" $cpu_flag >> "$tmp.nn"
    $reference_env $pin "$python" "$script" --min-time "$min_time" $cpu_flag >> "$tmp.torch"
    i=$((i + 1))
done
grep '^#' "$tmp.nn" | head -n 1
grep '^#' "$tmp.torch" | head -n 1
$reference_env "$python" "$(dirname "$script")/reference_blas.py"
best='
    $1 ~ /^#/ { next }
    !($1 in f) { order[n++] = $1; f[$1] = $2; b[$1] = $3; next }
    { if ($2 < f[$1]) f[$1] = $2; if ($3 < b[$1]) b[$1] = $3 }
    END { for (i = 0; i < n; i++) printf "%s %s %s\n", order[i], f[order[i]], b[order[i]] }'
awk "$best" "$tmp.nn" > "$tmp.nn.best"
awk "$best" "$tmp.torch" > "$tmp.torch.best"
mv "$tmp.nn.best" "$tmp.nn"
mv "$tmp.torch.best" "$tmp.torch"
awk '
    FNR == NR { tf[$1] = $2; tb[$1] = $3; next }
    !header++ {
        printf "%-14s %9s %9s %9s %9s %8s %8s %8s\n", "layer", "nn fwd", "nn bwd", \
               "torch fwd", "torch bwd", "fwd x", "bwd x", "total x"
    }
    {
        printf "%-14s %9.3f %9.3f %9.3f %9.3f %8.2f %8.2f %8.2f\n", $1, $2, $3, tf[$1], tb[$1], \
               tf[$1] / $2, tb[$1] / $3, (tf[$1] + tb[$1]) / ($2 + $3)
        # whole nets: the layers of a training step (the extra average pool is not one)
        net = $1; sub(/\..*/, "", net)
        if ($1 !~ /avgpool/) {
            if (!(net in nn_net)) nets[n_nets++] = net
            nn_net[net] += $2 + $3; torch_net[net] += tf[$1] + tb[$1]
        }
    }
    END {
        for (i = 0; i < n_nets; i++)
            printf "%-14s %19.3f %19.3f %26.2f\n", nets[i] " (all)", nn_net[nets[i]], \
                   torch_net[nets[i]], torch_net[nets[i]] / nn_net[nets[i]]
        printf "times in ms, best of %d alternating runs; x = PyTorch time / nnlab time (above 1: nnlab faster)\n", rounds }
' rounds="$rounds" "$tmp.torch" "$tmp.nn"
