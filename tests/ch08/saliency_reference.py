#!/usr/bin/python3
"""Reference saliency values from PyTorch for tests/ch08/test-ch08-units.c.

A fixed network, in the kit's architecture string
    conv:4:3:1:1 bn relu maxpool:2 conv:6:3:1:1 relu dense:5
on a fixed 2 x 8 x 8 image (two channels, so the maximum over channels of
Simonyan et al. is exercised), in inference mode (batch norm uses its
running statistics).  For class c = 1 (whose Grad-CAM map has both zero and positive cells) it writes, as "name count values...":

  x                 the image (2, 8, 8), NCHW
  params            every learnable parameter in the kit's order: conv0 w
                    (4, 2, 3, 3), conv0 b (4), bn gamma (4), bn beta (4),
                    conv4 w (6, 4, 3, 3), conv4 b (6), dense w (5, 96), dense b (5)
  stats             bn running mean (4), running var (4)
  logits            S(x), (5)
  grad              dS_c/dx (2, 8, 8)
  saliency          max over channels of |dS_c/dx| (8, 8)
  gradxinput        x * dS_c/dx summed over channels (8, 8)
  ig                Integrated Gradients, black baseline, the right Riemann
                    sum with 16 steps, (2, 8, 8)
  ig_sum, ig_change sum of ig, and S_c(x) - S_c(0)
  gradcam_coarse    ReLU(sum_k alpha_k A^k) on the ReLU after the last
                    convolution, (4, 4), alpha_k the mean of dS_c/dA^k
  gradcam           upsampled to (8, 8) by nearest neighbour

Float32 throughout, as the kit.
Run:  /usr/bin/python3 tests/ch08/saliency_reference.py > tests/ch08/saliency_reference.txt
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
C, H, W, K = 2, 8, 8, 5
CLASS = 1
STEPS = 16


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv0 = nn.Conv2d(C, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv4 = nn.Conv2d(4, 6, 3, padding=1)
        self.dense = nn.Linear(6 * 4 * 4, K)

    def forward(self, x, keep=None):
        a = F.max_pool2d(F.relu(self.bn(self.conv0(x))), 2)
        a = F.relu(self.conv4(a))
        if keep is not None:
            keep.append(a)
        return self.dense(a.flatten(1))


net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.randn_like(p) * 0.5)
    net.bn.running_mean.copy_(torch.randn(4) * 0.3)
    net.bn.running_var.copy_(torch.rand(4) + 0.5)
net.eval()
x = torch.rand(1, C, H, W)


def score_grad(inp):
    inp = inp.clone().requires_grad_(True)
    s = net(inp)[:, CLASS].sum()
    s.backward()
    return inp.grad.detach()


logits = net(x).detach()
grad = score_grad(x)
saliency = grad.abs().amax(dim=1)
gradxinput = (grad * x).sum(dim=1)

baseline = torch.zeros_like(x)
total = torch.zeros_like(x)
for k in range(1, STEPS + 1):
    total += score_grad(baseline + k / STEPS * (x - baseline))
ig = (x - baseline) * total / STEPS
ig_change = (net(x)[0, CLASS] - net(baseline)[0, CLASS]).item()

keep = []
xg = x.clone()
out = net(xg, keep)
A = keep[0]
A.retain_grad()
out[0, CLASS].backward()
alpha = A.grad.mean(dim=(2, 3), keepdim=True)
cam = F.relu((alpha * A).sum(dim=1)).detach()          # (1, 4, 4)
cam_up = F.interpolate(cam.unsqueeze(1), size=(H, W), mode="nearest")[0, 0]


def emit(name, t):
    v = t.flatten().tolist() if torch.is_tensor(t) else list(t)
    print(name, len(v), " ".join("%.9g" % e for e in v))


print("# saliency reference, written by tests/ch08/saliency_reference.py (torch %s)" % torch.__version__)
print("# arch conv:4:3:1:1 bn relu maxpool:2 conv:6:3:1:1 relu dense:5 on 2x8x8, class %d, IG steps %d"
      % (CLASS, STEPS))
emit("x", x)
params = []
for t in (net.conv0.weight, net.conv0.bias, net.bn.weight, net.bn.bias, net.conv4.weight, net.conv4.bias,
          net.dense.weight, net.dense.bias):
    params += t.detach().flatten().tolist()
emit("params", params)
emit("stats", net.bn.running_mean.tolist() + net.bn.running_var.tolist())
emit("logits", logits)
emit("grad", grad)
emit("saliency", saliency)
emit("gradxinput", gradxinput)
emit("ig", ig)
emit("ig_sum", [ig.sum().item()])
emit("ig_change", [ig_change])
emit("gradcam_coarse", cam)
emit("gradcam", cam_up)
