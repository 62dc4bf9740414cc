#!/usr/bin/python3
"""PyTorch reference values of a residual block for tests/ch07/test-resblock-torch.c.

Deck 003's H(x) = F(x) + x, as ResNet's basic block:

  x -> conv1 3x3 pad 1 (no bias) -> bn1 -> relu -> conv2 3x3 pad 1 (no bias) -> bn2 -> (+ x) -> relu

on x of shape (N, C, H, W) = (2, 4, 6, 6), batch norm in training mode (batch
statistics; torch's eps 1e-5).  The loss is sum(out * d_out) for a fixed
d_out, so every gradient below is the backward of d_out.

Written as "name count values...":
  x w1 gamma1 beta1 w2 gamma2 beta2 d_out   the inputs (the C test reads them)
  out                                       the block's output
  d_x d_w1 d_gamma1 d_beta1 d_w2 d_gamma2 d_beta2
                                            gradients; d_x includes the 1 that
                                            flows straight through the identity
                                            ("the derivative of the error with
                                            respect to x increases by 1")
Inputs come from the integer hash of tests/ch07/fixed_values.py; the
weights have variance 2 / fan-in (He, for ReLU), fan-in 4 x 3 x 3 = 36.

Run:  /usr/bin/python3 tests/ch07/resblock_reference.py > tests/ch07/resblock_reference.txt
"""
import math
import sys

import torch

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from fixed_values import put, tensor  # noqa: E402

torch.set_num_threads(1)
nn = torch.nn

N, C, H, W = 2, 4, 6, 6
x = tensor((N, C, H, W), 400, 2.0).requires_grad_(True)
w1 = tensor((C, C, 3, 3), 401, math.sqrt(24.0 / 36))
w2 = tensor((C, C, 3, 3), 402, math.sqrt(24.0 / 36))
gamma1 = 1.0 + tensor((C,), 403, 1.0)
beta1 = tensor((C,), 404, 1.0)
gamma2 = 1.0 + tensor((C,), 405, 1.0)
beta2 = tensor((C,), 406, 1.0)
d_out = tensor((N, C, H, W), 407, 2.0)

conv1 = nn.Conv2d(C, C, 3, padding=1, bias=False)
conv2 = nn.Conv2d(C, C, 3, padding=1, bias=False)
bn1, bn2 = nn.BatchNorm2d(C), nn.BatchNorm2d(C)
with torch.no_grad():
    conv1.weight.copy_(w1)
    conv2.weight.copy_(w2)
    bn1.weight.copy_(gamma1)
    bn1.bias.copy_(beta1)
    bn2.weight.copy_(gamma2)
    bn2.bias.copy_(beta2)
for m in (conv1, conv2, bn1, bn2):
    m.train()

out = torch.relu(bn2(conv2(torch.relu(bn1(conv1(x))))) + x)
(out * d_out).sum().backward()

print("# residual block reference, written by tests/ch07/resblock_reference.py (torch %s)"
      % torch.__version__)
for name, t in [("x", x), ("w1", w1), ("gamma1", gamma1), ("beta1", beta1), ("w2", w2),
                ("gamma2", gamma2), ("beta2", beta2), ("d_out", d_out), ("out", out),
                ("d_x", x.grad), ("d_w1", conv1.weight.grad), ("d_gamma1", bn1.weight.grad),
                ("d_beta1", bn1.bias.grad), ("d_w2", conv2.weight.grad),
                ("d_gamma2", bn2.weight.grad), ("d_beta2", bn2.bias.grad)]:
    put(name, t)
