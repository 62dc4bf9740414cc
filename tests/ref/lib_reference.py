#!/usr/bin/python3
"""PyTorch reference values for the library core (tests/lib/test-torch-ref.c).

Run with the Python that has torch (here /usr/bin/python3):

    /usr/bin/python3 tests/ref/lib_reference.py [OUTPUT]

It writes tests/ref/lib_reference.txt (next to this script) unless OUTPUT is
given.  The output is committed, so `make check` never needs torch.

Every input is written below by hand (no random numbers), rounded to float32
(the precision nnlab computes in) and saved into the output too, so the C test
reads exactly the inputs torch saw.  Torch then computes in float64: the
reference is more accurate than the float code it checks, and the C test's
named tolerances measure nnlab's own rounding.

Format of the output, one tensor per two lines, row-major:

    NAME NDIM D0 D1 ...       (NDIM 0 is a scalar with no dimensions)
    v0 v1 v2 ...              (each printed with %.9g: float32 round-trips)

Lines starting with '#' are comments.
"""
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def f32(values):
    """The values as nnlab sees them: rounded to float32, then held in float64."""
    return torch.tensor(values, dtype=torch.float32).to(torch.float64)


tensors = []


def save(name, t):
    tensors.append((name, t.detach().to(torch.float64).contiguous()))


# ---- Activations: values and the gradient g * f'(z) for an upstream g ----
# z covers both tails (+-1000: stability), the kinks at 0 (PyTorch's
# convention there: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = 1) and
# moderate values on both sides.
z = f32([-1000, -6, -2.5, -1, -0.3, -0.01, 0, 0.01, 0.3, 1, 2.5, 6, 1000])
g = f32([0.7, -1.3, 0.25, 1.1, -0.6, 2.0, 1.5, -0.8, 0.9, -1.7, 0.4, 1.2, -0.5])
save("act.z", z)
save("act.g", g)
activations = {
    "identity": lambda x: x,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": F.relu,
    "leaky_relu": lambda x: F.leaky_relu(x, negative_slope=0.01),
    "elu": lambda x: F.elu(x, alpha=1.0),
}
for name, f in activations.items():
    x = z.clone().requires_grad_(True)
    a = f(x)
    a.backward(g)
    save(f"act.{name}.out", a)
    save(f"act.{name}.grad", x.grad)

# ---- MSE, reduction 'mean' ----
pred = f32([[0.5, -1.25, 2.0], [3.5, 0.1, -0.7]]).requires_grad_(True)
target = f32([[0.0, -1.0, 2.5], [1.5, 0.3, -0.2]])
loss = F.mse_loss(pred, target)
loss.backward()
save("mse.pred", pred)
save("mse.target", target)
save("mse.loss", loss)
save("mse.grad", pred.grad)

# ---- Binary cross-entropy from logits, soft and hard targets, huge logits ----
logits = f32([-1000, -30, -2.2, -0.4, 0, 0.6, 3.1, 30, 1000, 1000]).requires_grad_(True)
labels = f32([1, 0, 0.25, 1, 0.5, 0, 0.9, 1, 0, 1])
loss = F.binary_cross_entropy_with_logits(logits, labels)
loss.backward()
save("bce.logits", logits)
save("bce.target", labels)
save("bce.loss", loss)
save("bce.grad", logits.grad)

# ---- Softmax cross-entropy: logits (B, C) = (4, 5), integer labels ----
# The last row holds 1000 and 1001: a naive exp overflows there.
logits = f32([[1.0, -0.5, 2.2, 0.3, -1.7],
              [-3.0, 0.0, 0.8, 4.1, 1.2],
              [0.25, 0.25, 0.25, 0.25, 0.25],
              [1000, 1001, 998.5, 990, 1000.5]]).requires_grad_(True)
classes = torch.tensor([2, 0, 4, 1])
loss = F.cross_entropy(logits, classes)
loss.backward()
save("xent.logits", logits)
save("xent.labels", classes)
save("xent.loss", loss)
save("xent.probs", F.softmax(logits, dim=1))
save("xent.grad", logits.grad)

# ---- Dense layer: torch.nn.Linear(I=4, O=5), batch B=3, weights (O, I) ----
layer = torch.nn.Linear(4, 5)
with torch.no_grad():
    layer.weight.copy_(f32([[0.2, -0.5, 1.0, 0.3],
                            [-1.1, 0.4, 0.0, 0.7],
                            [0.6, 0.6, -0.9, -0.2],
                            [1.5, -0.3, 0.25, -1.0],
                            [-0.05, 0.8, 0.45, 0.1]]))
    layer.bias.copy_(f32([0.1, -0.2, 0.0, 0.5, -0.35]))
x = f32([[1.0, 2.0, -1.0, 0.5],
         [-0.3, 0.0, 0.7, 1.2],
         [2.5, -1.5, 0.2, -0.8]]).requires_grad_(True)
d_out = f32([[0.5, -1.0, 0.2, 0.0, 1.3],
             [1.1, 0.4, -0.6, 0.9, -0.2],
             [-0.7, 0.3, 0.8, -1.4, 0.05]])
out = layer(x)
out.backward(d_out)
save("dense.in", x)
save("dense.W", layer.weight)
save("dense.b", layer.bias)
save("dense.d_out", d_out)
save("dense.out", out)
save("dense.dW", layer.weight.grad)
save("dense.db", layer.bias.grad)
save("dense.d_in", x.grad)

output = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("lib_reference.txt")
with open(output, "w") as f:
    f.write("# lib_reference.txt: PyTorch reference values for tests/lib/test-torch-ref.c.\n")
    f.write(f"# Written by tests/ref/lib_reference.py with torch {torch.__version__} in float64;\n")
    f.write("# do not edit: run /usr/bin/python3 tests/ref/lib_reference.py to regenerate.\n")
    f.write("# Each tensor: 'NAME NDIM D0 D1 ...' then one line of row-major values (%.9g).\n")
    for name, t in tensors:
        f.write(f"{name} {t.dim()}" + "".join(f" {d}" for d in t.shape) + "\n")
        f.write(" ".join("%.9g" % v for v in t.flatten().tolist()) + "\n")
print(f"wrote {len(tensors)} tensors to {output}")
