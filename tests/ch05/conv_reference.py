#!/usr/bin/python3
"""Reference values for nnlab's conv2d, written by PyTorch.

Run with a Python that has torch (here /usr/bin/python3):

    /usr/bin/python3 tests/ch05/conv_reference.py > tests/ch05/conv_reference.txt

For every shape below it draws an input x, weights w, bias b and an incoming
gradient g from a seeded generator, and writes them together with PyTorch's

    out  = F.conv2d(x, w, b, stride=S, padding=P)
    d_in, d_w, d_b = gradients of sum(out * g)

so tests/lib/test-conv.c can feed the same numbers to nn_conv2d_forward and
nn_conv2d_backward and compare.  Everything is computed in float64 and
written with 9 significant digits (a float's full precision), so the file is
the truth and the C side's error is its own.

File format, one record per case:
    case NAME N C H W K F S P
    ARRAY COUNT v1 v2 ... (one line per array: x w b g out d_in d_w d_b)
    end
"""
import sys

import torch
import torch.nn.functional as F

# (N, C, H, W, K, F, S, P): odd sizes, strides 1-3, paddings 0-2, several
# channels, sizes where (W - F + 2P) is not a multiple of S (floor), a 1x1
# filter, a filter as large as the padded input, non-square images.
SHAPES = [
    (1, 1, 5, 5, 1, 3, 1, 0),
    (2, 1, 7, 7, 2, 3, 2, 0),
    (2, 3, 7, 7, 4, 3, 1, 1),
    (1, 2, 9, 9, 3, 3, 2, 1),
    (2, 3, 8, 8, 2, 3, 3, 0),
    (1, 2, 10, 9, 3, 4, 3, 2),
    (3, 1, 11, 11, 2, 5, 1, 2),
    (2, 4, 6, 6, 5, 1, 1, 0),
    (1, 3, 6, 6, 2, 1, 2, 1),
    (2, 2, 5, 7, 3, 2, 2, 1),
    (1, 3, 13, 13, 4, 5, 2, 0),
    (2, 2, 4, 4, 3, 6, 1, 1),
    (1, 1, 3, 3, 2, 7, 1, 2),
    (2, 5, 8, 6, 3, 3, 1, 2),
    (1, 6, 12, 12, 8, 3, 1, 1),
    (2, 3, 14, 14, 6, 5, 2, 2),
    (1, 2, 15, 15, 3, 2, 3, 1),
    (3, 4, 9, 11, 2, 3, 3, 2),
]


def write(name, t):
    vals = t.detach().reshape(-1).tolist()
    print(name, len(vals), " ".join("%.9g" % v for v in vals))


def main():
    gen = torch.Generator().manual_seed(20261123)
    print("# nnlab conv2d reference, torch %s, written by tests/ch05/conv_reference.py"
          % torch.__version__)
    for (n, c, h, w, k, f, s, p) in SHAPES:
        x = torch.randn(n, c, h, w, generator=gen, dtype=torch.float64)
        wt = torch.randn(k, c, f, f, generator=gen, dtype=torch.float64) * 0.5
        b = torch.randn(k, generator=gen, dtype=torch.float64) * 0.5
        # round the inputs to float32 first: the C side sees exactly these
        x, wt, b = (t.float().double().requires_grad_(True) for t in (x, wt, b))
        out = F.conv2d(x, wt, b, stride=s, padding=p)
        g = torch.randn(out.shape, generator=gen, dtype=torch.float64).float().double()
        (out * g).sum().backward()
        print("case n%dc%dh%dw%d_k%df%ds%dp%d %d %d %d %d %d %d %d %d"
              % (n, c, h, w, k, f, s, p, n, c, h, w, k, f, s, p))
        write("x", x)
        write("w", wt)
        write("b", b)
        write("g", g)
        write("out", out)
        write("d_in", x.grad)
        write("d_w", wt.grad)
        write("d_b", b.grad)
        print("end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
