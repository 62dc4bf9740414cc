#!/usr/bin/python3
"""PyTorch reference values of torch.nn.BatchNorm2d for tests/ch07/test-batchnorm2d-torch.c.

BatchNorm2d normalises each channel over the batch and the image, N H W
values, with learnable gamma (weight) and beta (bias) per channel; torch's
defaults eps 1e-5, momentum 0.1, running statistics starting at 0 and 1.

Case "main": C = 3 channels of 5 x 5, a training batch x1 of N = 4, a second
training batch x2 of 4, then an evaluation batch x3 of 2 (uses the running
statistics after x2).  Channels get different offsets and spreads (0, 3, -2
and 1, 0.5, 4) so a channel mixed up with another shows.
Case "single": one 2-channel 3 x 3 image in training mode (N = 1: the
statistics are over its 9 positions), to check that H W, not N, counts.

Written as "name count values..." (names prefixed by the case):
  x1 x2 x3 gamma beta d_out         the inputs (the C test reads them)
  out1                              training output for x1
  d_in d_gamma d_beta               gradients of loss = sum(out1 * d_out)
  running_mean1 running_var1        after x1 (var: unbiased, N H W - 1)
  running_mean2 running_var2        after x2
  out3                              evaluation output for x3
Inputs come from the integer hash of tests/ch07/fixed_values.py.

Run:  /usr/bin/python3 tests/ch07/batchnorm2d_reference.py > tests/ch07/batchnorm2d_reference.txt
"""
import sys

import torch

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from fixed_values import put, tensor  # noqa: E402

torch.set_num_threads(1)


def channels(x, offset, spread):
    c = x.shape[1]
    return x * torch.tensor(spread[:c]).reshape(1, c, 1, 1) + torch.tensor(offset[:c]).reshape(1, c, 1, 1)


def case(prefix, N, C, H, W, stream, with_eval):
    offset, spread = [0.0, 3.0, -2.0], [1.0, 0.5, 4.0]
    x1 = channels(tensor((N, C, H, W), stream, 2.0), offset, spread)
    x2 = channels(tensor((N, C, H, W), stream + 1, 2.0), offset, spread) + 0.3
    x3 = channels(tensor((2, C, H, W), stream + 2, 2.0), offset, spread)
    gamma = 1.0 + tensor((C,), stream + 3, 1.0)
    beta = tensor((C,), stream + 4, 1.0)
    d_out = tensor((N, C, H, W), stream + 5, 2.0)

    bn = torch.nn.BatchNorm2d(C)
    with torch.no_grad():
        bn.weight.copy_(gamma)
        bn.bias.copy_(beta)
    bn.train()
    inp = x1.clone().requires_grad_(True)
    out1 = bn(inp)
    (out1 * d_out).sum().backward()
    rm1, rv1 = bn.running_mean.clone(), bn.running_var.clone()
    arrays = [("x1", x1), ("gamma", gamma), ("beta", beta), ("d_out", d_out), ("out1", out1),
              ("d_in", inp.grad), ("d_gamma", bn.weight.grad), ("d_beta", bn.bias.grad),
              ("running_mean1", rm1), ("running_var1", rv1)]
    if with_eval:
        with torch.no_grad():
            bn(x2)
        rm2, rv2 = bn.running_mean.clone(), bn.running_var.clone()
        bn.eval()
        with torch.no_grad():
            out3 = bn(x3)
        arrays += [("x2", x2), ("x3", x3), ("running_mean2", rm2), ("running_var2", rv2),
                   ("out3", out3)]
    for name, t in arrays:
        put(prefix + "." + name, t)


print("# torch.nn.BatchNorm2d reference, written by tests/ch07/batchnorm2d_reference.py (torch %s)"
      % torch.__version__)
case("main", 4, 3, 5, 5, 200, True)
case("single", 1, 2, 3, 3, 300, False)
