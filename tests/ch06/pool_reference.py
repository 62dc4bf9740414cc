#!/usr/bin/python3
"""Reference values for nnlab's max, average and L2 pooling, written by PyTorch.

    /usr/bin/python3 tests/ch06/pool_reference.py > tests/ch06/pool_reference.txt

For every shape and kind it draws an input x and an incoming gradient g from a
seeded generator and writes PyTorch's output, the max pool's indices and the
input gradient of sum(out * g), computed in float64:

    max: F.max_pool2d(x, F, S, return_indices=True)
    avg: F.avg_pool2d(x, F, S)
    l2:  F.lp_pool2d(x, 2, F, S), which PyTorch defines as
         (avg_pool2d(x^2) * F*F)^(1/2) = sqrt(sum over the window of x^2)

File format, one record per case:
    case KIND N C H W F S
    ARRAY COUNT v1 v2 ...   (x g out d_in, and idx for max)
    end
"""
import sys

import torch
import torch.nn.functional as F

# (N, C, H, W, F, S): the common 2x2/2, odd sizes where the floor drops the
# last row/column, overlapping 3x3/2 (AlexNet), non-square, stride 1 and 3.
SHAPES = [
    (1, 1, 4, 4, 2, 2),
    (2, 3, 8, 8, 2, 2),
    (2, 2, 7, 7, 2, 2),
    (1, 3, 9, 9, 3, 2),
    (2, 2, 10, 7, 3, 2),
    (1, 2, 6, 6, 3, 3),
    (2, 1, 5, 5, 2, 1),
    (1, 4, 11, 9, 3, 1),
    (2, 2, 12, 12, 4, 4),
    (1, 3, 7, 10, 2, 3),
]


def write(name, t):
    vals = t.detach().reshape(-1).tolist()
    print(name, len(vals), " ".join(("%d" % v) if isinstance(v, int) else ("%.9g" % v)
                                    for v in vals))


def main():
    gen = torch.Generator().manual_seed(6)
    print("# nnlab pooling reference, torch %s, written by tests/ch06/pool_reference.py"
          % torch.__version__)
    for kind in ("max", "avg", "l2"):
        for (n, c, h, w, f, s) in SHAPES:
            x = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64)
            x = x.float().double().requires_grad_(True)
            idx = None
            if kind == "max":
                out, idx = F.max_pool2d(x, f, s, return_indices=True)
            elif kind == "avg":
                out = F.avg_pool2d(x, f, s)
            else:
                out = F.lp_pool2d(x, 2, f, s)
            g = torch.randn(out.shape, generator=gen, dtype=torch.float64).float().double()
            (out * g).sum().backward()
            print("case %s %d %d %d %d %d %d" % (kind, n, c, h, w, f, s))
            write("x", x)
            write("g", g)
            write("out", out)
            write("d_in", x.grad)
            if idx is not None:
                write("idx", idx)
            print("end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
