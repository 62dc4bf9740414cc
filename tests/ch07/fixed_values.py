"""The fixed values chapter 7's PyTorch references are computed from, by a
formula tests/ch07/fixed-values.h computes the same way in C.

uniform(j, stream) is a hash of the element index j and a stream number (one
per tensor), in 32-bit integer arithmetic, so both sides get exactly the
same number without sharing a random generator or a libm:

    h = (j * 2654435761 + stream * 1013904223 + 12345) mod 2^32
    h = h xor (h >> 13);  h = (h * 1274126177) mod 2^32;  h = h xor (h >> 16)
    uniform = h / 2^32 - 1/2                       in [-1/2, 1/2)

A tensor of n values scaled by a is [float32(a * uniform(j, stream))], the
product taken in double and rounded once to float32.
"""
import torch

M = 0xFFFFFFFF


def uniform(j, stream):
    h = (j * 2654435761 + stream * 1013904223 + 12345) & M
    h ^= h >> 13
    h = (h * 1274126177) & M
    h ^= h >> 16
    return h / 4294967296.0 - 0.5


def tensor(shape, stream, scale):
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([scale * uniform(j, stream) for j in range(n)],
                        dtype=torch.float32).reshape(shape)


def put(name, values):
    """One line "name count v1 v2 ...", 9 significant digits (float32 round trip)."""
    v = values.detach().reshape(-1).tolist() if torch.is_tensor(values) else list(values)
    print(name, len(v), " ".join("%.9g" % a for a in v))
