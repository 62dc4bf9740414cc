#!/usr/bin/python3
"""Reference values of torch.nn.BatchNorm1d for tests/lib/test-batchnorm.c.

A BatchNorm1d(5) with learnable gamma (weight) and beta (bias) set to fixed
values sees two training batches of 8 examples, then one test batch of 3 in
eval mode.  Written, as "name count values...":

  x1, x2, x3            the three input batches (row-major (B, K))
  gamma, beta           the parameters
  d_out                 the upstream gradient for batch 1 (loss = sum(out1 * d_out))
  out1                  training output for batch 1
  d_in, d_gamma, d_beta gradients of that loss
  running_mean1/var1    running statistics after batch 1
  running_mean2/var2    after batch 2
  out3                  eval output for batch 3 (uses running_*2)

All in float32, torch's defaults: eps 1e-5, momentum 0.1.
Run:  /usr/bin/python3 tests/ref/batchnorm_torch.py > tests/ref/batchnorm_torch.txt
"""
import torch

torch.manual_seed(3)
B, K = 8, 5
offset = torch.tensor([0.0, 3.0, -2.0, 10.0, 0.5])
scale = torch.tensor([1.0, 0.5, 2.0, 4.0, 0.01])
x1 = torch.randn(B, K) * scale + offset
x2 = torch.randn(B, K) * scale + offset + 0.3
x3 = torch.randn(3, K) * scale + offset
gamma = torch.tensor([1.0, 0.5, -1.5, 2.0, 0.8])
beta = torch.tensor([0.0, 0.1, -0.2, 1.0, -0.5])
d_out = torch.randn(B, K)

bn = torch.nn.BatchNorm1d(K)
with torch.no_grad():
    bn.weight.copy_(gamma)
    bn.bias.copy_(beta)
bn.train()
inp = x1.clone().requires_grad_(True)
out1 = bn(inp)
(out1 * d_out).sum().backward()
rm1, rv1 = bn.running_mean.clone(), bn.running_var.clone()
bn(x2)
rm2, rv2 = bn.running_mean.clone(), bn.running_var.clone()
bn.eval()
out3 = bn(x3)


def put(name, t):
    v = t.detach().reshape(-1).tolist()
    print(name, len(v), " ".join("%.9g" % a for a in v))


print("# torch.nn.BatchNorm1d reference, written by tests/ref/batchnorm_torch.py (torch %s)" % torch.__version__)
for name, t in [("x1", x1), ("x2", x2), ("x3", x3), ("gamma", gamma), ("beta", beta),
                ("d_out", d_out), ("out1", out1), ("d_in", inp.grad), ("d_gamma", bn.weight.grad),
                ("d_beta", bn.bias.grad), ("running_mean1", rm1), ("running_var1", rv1),
                ("running_mean2", rm2), ("running_var2", rv2), ("out3", out3)]:
    put(name, t)
