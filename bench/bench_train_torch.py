#!/usr/bin/python3
"""PyTorch's side of bench-train: one epoch of training on Fashion-MNIST.

    /usr/bin/python3 bench/bench_train_torch.py --net mlp|lenet|net2
                     [--threads T] [--epochs E] [--limit N] [--data DIR]

Exactly the settings of bench/bench-train.c: batch 64, the last partial
batch dropped, a fresh random order each epoch, SGD with momentum 0.9 and
lr 0.01, softmax cross-entropy, PyTorch's default initialisation, pixels in
[0, 1].  The batches are sliced from one tensor holding the whole training
set (no DataLoader: its per-batch Python overhead would slow PyTorch down,
and the comparison is of the training step).

Prints one line, the format of bench-train:
    net threads seconds_per_epoch peak_rss_MiB last_loss
(the time of the training loop alone, with --batches N of N batches scaled
to the whole epoch, by the wall clock or with --cpu-time
the process's CPU time, the peak resident memory of the
process, the mean loss of the last epoch's last 100 batches)."""
import argparse
import gzip
import os
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

BATCH = 64


def load_fashion(directory):
    def read(name, offset):
        path = os.path.join(directory, name)
        if not os.path.exists(path) and os.path.exists(path + ".gz"):
            path += ".gz"
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)
    x = read("train-images-idx3-ubyte", 16).reshape(-1, 1, 28, 28)
    y = read("train-labels-idx1-ubyte", 8)
    return (torch.from_numpy(x.astype(np.float32) / 255.0),
            torch.from_numpy(y.astype(np.int64)))


def make_net(name):
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "lenet":
        return nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(64 * 7 * 7, 10))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--net", choices=["mlp", "lenet", "net2"], default="mlp")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=0, help="load the first N images only (0: all)")
    parser.add_argument("--batches", type=int, default=0,
                        help="train N batches per epoch, time scaled to the whole epoch (0: all)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--cpu-time", action="store_true",
                        help="time by the process's CPU time, not the wall clock")
    parser.add_argument("--data", default=os.environ.get("NNLAB_DATA",
                                                         "/usr/share/datasets/fashion-mnist"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x, y = load_fashion(args.data)
    if args.limit:
        x, y = x[:args.limit], y[:args.limit]
    model = make_net(args.net)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    clock = time.process_time if args.cpu_time else time.perf_counter
    n_batches = x.shape[0] // BATCH
    run_batches = min(args.batches, n_batches) if args.batches else n_batches
    seconds, tail = 0.0, []
    for epoch in range(args.epochs):
        order = torch.randperm(x.shape[0])
        start = clock()
        for b in range(run_batches):
            idx = order[b * BATCH:(b + 1) * BATCH]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            if epoch == args.epochs - 1 and b >= run_batches - 100:
                tail.append(loss.item())
        seconds += (clock() - start) * n_batches / run_batches
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print("%s %d %.3f %.1f %.4f" % (args.net, torch.get_num_threads(), seconds / args.epochs,
                                    rss, sum(tail) / max(len(tail), 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
