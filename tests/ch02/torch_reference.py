#!/usr/bin/python3
"""Reference values for chapter 2's MLPs, computed by PyTorch (float64).

Run from the source tree:  /usr/bin/python3 tests/ch02/torch_reference.py
It writes tests/ch02/torch_reference.txt, which is committed, so that
`make check` never needs torch.  test-ch02-torch.c reads the file, builds the
same networks in the chapter's didactic (double) and library (float) forms
and compares the loss and every gradient with named tolerances.

Each case is a small MLP with fixed weights: entry i of a tensor is
0.6 sin(1.7 i + phase), phase differing per tensor, so nothing is random and
the numbers do not depend on torch's generator.  Layers are nn.Linear
(weights (out, in), as the kit stores them); the loss is averaged over the
batch (reduction='mean'), as in the kit.

File format, one item per line:  NAME COUNT v1 v2 ...  between
"case NAME" and "end"; "layers L n0 .. nL", "activation NAME", "head NAME",
"batch B" describe the network.
"""
import math
import os
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

CASES = [
    # name, sizes n0..nL, hidden activation, head, batch
    ("tanh_softmax", [4, 5, 3], "tanh", "softmax", 6),
    ("relu_softmax", [4, 5, 3], "relu", "softmax", 6),
    ("sigmoid_bce", [2, 3, 1], "sigmoid", "sigmoid", 4),
    ("elu_deep_softmax", [4, 5, 4, 3], "elu", "softmax", 5),
    ("leaky_relu_squared", [3, 4, 1], "leaky_relu", "squared", 5),
]

ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": F.relu,
    "sigmoid": torch.sigmoid,
    "elu": F.elu,                                          # alpha 1
    "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=0.01),
}


def fixed(shape, phase):
    count = math.prod(shape)
    values = [0.6 * math.sin(1.7 * i + phase) for i in range(count)]
    return torch.tensor(values).reshape(shape)


def emit(out, name, tensor):
    flat = tensor.detach().reshape(-1).tolist()
    out.write(f"{name} {len(flat)} " + " ".join(repr(float(v)) for v in flat) + "\n")


def run_case(out, name, sizes, act, head, batch):
    L = len(sizes) - 1
    x = fixed((batch, sizes[0]), 0.3) * 2.0
    weights, biases = [], []
    for l in range(1, L + 1):
        weights.append(fixed((sizes[l], sizes[l - 1]), 1.1 * l).requires_grad_())
        biases.append(fixed((sizes[l],), 2.3 * l + 0.5).mul(0.5).requires_grad_())
    if head == "softmax":
        labels = torch.tensor([(2 * i + 1) % sizes[-1] for i in range(batch)])
    elif head == "sigmoid":
        labels = torch.tensor([(i * i + 1) % 2 for i in range(batch)])
    else:
        labels = None
    targets = torch.tensor([math.cos(0.9 * i) for i in range(batch)])

    a = x
    for l in range(L):
        z = F.linear(a, weights[l], biases[l])
        a = ACTIVATIONS[act](z) if l < L - 1 else z
    if head == "softmax":
        loss = F.cross_entropy(a, labels)
    elif head == "sigmoid":
        loss = F.binary_cross_entropy_with_logits(a[:, 0], labels.double())
    else:
        loss = F.mse_loss(a[:, 0], targets)
    loss.backward()

    out.write(f"case {name}\n")
    out.write(f"layers {L} " + " ".join(str(n) for n in sizes) + "\n")
    out.write(f"activation {act}\nhead {head}\nbatch {batch}\n")
    emit(out, "x", x)
    if labels is not None:
        emit(out, "y", labels.double())
    else:
        emit(out, "t", targets)
    for l in range(L):
        emit(out, f"W{l + 1}", weights[l])
        emit(out, f"b{l + 1}", biases[l])
    emit(out, "loss", loss.reshape(1))
    for l in range(L):
        emit(out, f"dW{l + 1}", weights[l].grad)
        emit(out, f"db{l + 1}", biases[l].grad)
    out.write("end\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "torch_reference.txt")
    with open(path, "w") as out:
        out.write(f"# written by tests/ch02/torch_reference.py with torch {torch.__version__}; "
                  "do not edit, re-run the script\n")
        for case in CASES:
            run_case(out, *case)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
