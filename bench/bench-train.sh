#!/bin/sh
# bench-train.sh: one epoch of training, the kit (bench/bench-train) against
# PyTorch (bench/bench_train_torch.py), on the three networks, at 1 and 2
# threads, the two sides alternating ROUNDS times; prints the medians.
#
#   sh bench/bench-train.sh [BENCH_TRAIN [TORCH_SCRIPT [PYTHON]]]
#
# defaults: ./bench/bench-train, bench/bench_train_torch.py, /usr/bin/python3.
# Environment: ROUNDS (default 3), NETS (default "mlp lenet net2"),
# THREADS (default "1 2"), CPU_TIME=1 (time the one-thread runs by CPU
# time on both sides, for a machine busy with other work), BATCHES (train
# only the first BATCHES batches of the epoch, all 60,000 images loaded,
# and scale the time to the epoch's 937 batches; default 0: the whole
# epoch).  Runs are pinned with taskset to core 0 (1 thread) or cores 0-1.
#
# Kit threads: nn_gemm's OpenMP threads (OMP_NUM_THREADS=T).  PyTorch:
# torch.set_num_threads(T).  Columns: seconds per epoch (median), peak RSS
# in MiB (median), the last 100 batches' mean loss (both must learn), and
# ratio = kit seconds / PyTorch seconds (below 1: the kit is faster).
set -e
bench=${1:-./bench/bench-train}
script=${2:-$(dirname "$0")/bench_train_torch.py}
python=${3:-/usr/bin/python3}
rounds=${ROUNDS:-3}
nets=${NETS:-mlp lenet net2}
threads_list=${THREADS:-1 2}
batches=${BATCHES:-0}
# CPU_TIME=1: time one-thread runs by CPU time (both sides), for a busy machine
cpu_flag=

if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "bench-train: $python cannot import torch; give a Python with torch as the third" >&2
    echo "argument (Debian: apt-get install python3-torch)" >&2
    exit 1
fi
# The reference side runs without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
# (some machines set them to keep old OpenBLAS builds off CPUs they do not
# know): with them, PyTorch's matrix products would run another CPU's
# kernels.  KEEP_OPENBLAS_ENV=1 keeps them.  The header names the core.
reference_env="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
if [ "${KEEP_OPENBLAS_ENV:-0}" = 1 ]; then reference_env=env; fi
tmp=${TMPDIR:-/tmp}/bench-train.$$
trap 'rm -f "$tmp".*' EXIT INT TERM

pin() {
    if command -v taskset >/dev/null 2>&1; then
        if [ "$1" = 1 ]; then echo "taskset -c 0"; else echo "taskset -c 0-$(($1 - 1))"; fi
    fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "# $(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //'), $(nproc) cores;" \
     "load average $(cut -d ' ' -f 1 /proc/loadavg 2>/dev/null)"
$reference_env "$python" "$(dirname "$script")/reference_blas.py"
if [ "$batches" -gt 0 ]; then
    echo "# $rounds alternating rounds, medians; $batches batches of 64 trained, times scaled to the epoch (937 batches)"
else
    echo "# $rounds alternating rounds, medians; one whole epoch of 60000 images"
fi
printf '%-6s %3s %10s %10s %8s %9s %9s %8s %8s\n' net thr "kit s/ep" "torch s/ep" ratio \
    "kit MiB" "torch MiB" "kit loss" "torch loss"
for net in $nets; do
    for threads in $threads_list; do
        cpu_flag=
        if [ "${CPU_TIME:-0}" = 1 ] && [ "$threads" = 1 ]; then cpu_flag=--cpu-time; fi
        : > "$tmp.kit"
        : > "$tmp.torch"
        r=0
        while [ "$r" -lt "$rounds" ]; do
            OMP_NUM_THREADS=$threads $(pin "$threads") "$bench" --net "$net" --batches "$batches" $cpu_flag \
                >> "$tmp.kit"
            $reference_env $(pin "$threads") "$python" "$script" --net "$net" --threads "$threads" \
                --batches "$batches" $cpu_flag >> "$tmp.torch"
            r=$((r + 1))
        done
        kit_s=$(awk '{ print $3 }' "$tmp.kit" | median)
        torch_s=$(awk '{ print $3 }' "$tmp.torch" | median)
        kit_m=$(awk '{ print $4 }' "$tmp.kit" | median)
        torch_m=$(awk '{ print $4 }' "$tmp.torch" | median)
        kit_l=$(awk '{ print $5 }' "$tmp.kit" | median)
        torch_l=$(awk '{ print $5 }' "$tmp.torch" | median)
        awk -v n="$net" -v t="$threads" -v ks="$kit_s" -v ts="$torch_s" -v km="$kit_m" \
            -v tm="$torch_m" -v kl="$kit_l" -v tl="$torch_l" 'BEGIN {
            printf "%-6s %3d %10.2f %10.2f %8.2f %9.0f %9.0f %8.3f %8.3f\n", n, t, ks, ts,
                   ks / ts, km, tm, kl, tl }'
    done
done
echo "# ratio = kit time / PyTorch time (below 1: the kit is faster);" \
     "$( [ "${CPU_TIME:-0}" = 1 ] && echo "1 thread timed by CPU time, 2 threads by the wall clock" || echo "wall clock")"
