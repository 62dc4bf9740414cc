#!/usr/bin/python3
"""PyTorch's side of bench-conv: the same layers, batch 64, one thread.

    /usr/bin/python3 bench/bench_conv_torch.py [--min-time SECONDS]

Prints one line per layer, the same format as bench-conv:
    LAYER  FORWARD_MS  BACKWARD_MS
Each time is the best over repeated rounds of the mean over a round's
iterations (the least disturbed measurement on a shared machine).  Backward
is autograd's backward of sum(out * g): d_w and d_b, and d_in for every layer
but the first convolution of a net (its input is the image)."""
import argparse
import sys
import time

import torch
import torch.nn.functional as F

BATCH = 64
# name, kind, C, H, W, K, F, S, P  (kind conv/max/avg; pools have K = C, P = 0)
LAYERS = [
    ("lenet.conv1", "conv", 1, 32, 32, 6, 5, 1, 0),
    ("lenet.pool1", "max", 6, 28, 28, 6, 2, 2, 0),
    ("lenet.conv2", "conv", 6, 14, 14, 16, 5, 1, 0),
    ("lenet.pool2", "max", 16, 10, 10, 16, 2, 2, 0),
    ("lenet.conv3", "conv", 16, 5, 5, 120, 5, 1, 0),
    ("net2.conv1", "conv", 1, 28, 28, 32, 3, 1, 1),
    ("net2.pool1", "max", 32, 28, 28, 32, 2, 2, 0),
    ("net2.conv2", "conv", 32, 14, 14, 64, 3, 1, 1),
    ("net2.pool2", "max", 64, 14, 14, 64, 2, 2, 0),
    ("net2.avgpool1", "avg", 32, 28, 28, 32, 2, 2, 0),
]


def time_layer(kind, c, h, w, k, f, s, p, first, min_time, clock):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(BATCH, c, h, w, generator=gen).requires_grad_(not first)
    if kind == "conv":
        wt = (torch.randn(k, c, f, f, generator=gen) * 0.1).requires_grad_(True)
        b = torch.zeros(k).requires_grad_(True)
        def fwd():
            return F.conv2d(x, wt, b, stride=s, padding=p)
    elif kind == "max":
        def fwd():
            return F.max_pool2d(x, f, s)
    else:
        def fwd():
            return F.avg_pool2d(x, f, s)
    g = torch.randn(fwd().shape, generator=gen)
    best_f = best_b = float("inf")
    for _ in range(5):
        n, tf, tb = 0, 0.0, 0.0
        start = clock()
        while clock() - start < min_time or n < 3:
            t0 = clock()
            out = fwd()
            t1 = clock()
            out.backward(g)
            t2 = clock()
            tf += t1 - t0
            tb += t2 - t1
            n += 1
        best_f = min(best_f, tf / n)
        best_b = min(best_b, tb / n)
    return best_f * 1e3, best_b * 1e3


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds per timing round (default 0.2)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process CPU time, not the wall clock")
    args = parser.parse_args()
    clock = time.process_time if args.cpu_time else time.perf_counter
    torch.set_num_threads(1)
    print("# PyTorch %s, %d thread, batch %d; times in ms" % (torch.__version__,
                                                             torch.get_num_threads(), BATCH))
    for (name, kind, c, h, w, k, f, s, p) in LAYERS:
        first = name.endswith("conv1")
        tf, tb = time_layer(kind, c, h, w, k, f, s, p, first, args.min_time, clock)
        print("%-14s %10.4f %10.4f" % (name, tf, tb), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
