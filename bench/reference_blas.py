#!/usr/bin/python3
"""Print one comment line naming the PyTorch version and the BLAS library and
core that its matrix products run on (threadpoolctl, from Debian's
python3-threadpoolctl, which python3-sklearn brings), for the header of
bench-train.sh and bench-conv.sh: a ratio against PyTorch means little
without knowing which kernels PyTorch ran."""
import torch

torch.ones(2, 2) @ torch.ones(2, 2)   # load the BLAS library
try:
    from threadpoolctl import threadpool_info
    blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    where = ", ".join("%s %s, core %s" % (p.get("internal_api"), p.get("version"),
                                         p.get("architecture")) for p in blas) or "not found"
except ImportError:
    where = "unknown (install python3-threadpoolctl to name it)"
print("# PyTorch %s; its BLAS: %s" % (torch.__version__, where))
