#!/usr/bin/python3
"""PyTorch reference values of the chapter's LeNet-5 for tests/ch07/test-lenet-torch.c.

The network as chapter 7 trains it on 28x28 Fashion-MNIST:

  conv 6@5x5 pad 2 -> tanh -> avgpool 2 -> conv 16@5x5 -> tanh -> avgpool 2
  -> dense 120 -> tanh -> dense 84 -> tanh -> dense 10 -> softmax cross-entropy

with fixed weights on a fixed batch of B = 4 images, from the integer hash of
tests/ch07/fixed_values.py that the C test computes too:

  parameter tensor t = 0..9 (conv1.weight, conv1.bias, conv2.weight, ...,
  fc3.bias), in torch's layout, stream t:
      weight  sqrt(12 / f) uniform   (variance 1/f, f the layer's fan-in:
                                      25, 150, 400, 120, 84)
      bias    0.2 uniform
  input (4, 1, 28, 28), stream 100:   2 uniform, in [-1, 1)
  labels 3 7 0 9

Written, one line each, as "name count values...":
  logits (4 x 10), loss (the mean over the batch), and the gradient of the
  loss with respect to every parameter tensor, named grad.<tensor>.
  fc1.weight's gradient (120 x 400 = 48,000 numbers) is written at every 7th
  index (grad.fc1.weight.every7: elements 0, 7, 14, ...), with its sum and
  sum of squares in double (grad.fc1.weight.sums), to keep the file small;
  every other tensor is complete.  Float32 throughout, as the kit.

Run:  /usr/bin/python3 tests/ch07/lenet_reference.py > tests/ch07/lenet_reference.txt
"""
import math
import sys

import torch

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
from fixed_values import put, tensor  # noqa: E402

torch.set_num_threads(1)
nn = torch.nn

net = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
    nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
    nn.Linear(84, 10))
layers = [net[0], net[3], net[7], net[9], net[11]]
names = ["conv1", "conv2", "fc1", "fc2", "fc3"]
fan_in = [25, 150, 400, 120, 84]

with torch.no_grad():
    for t, (layer, f) in enumerate(zip(layers, fan_in)):
        layer.weight.copy_(tensor(layer.weight.shape, 2 * t, math.sqrt(12.0 / f)))
        layer.bias.copy_(tensor(layer.bias.shape, 2 * t + 1, 0.2))

B = 4
x = tensor((B, 1, 28, 28), 100, 2.0)
labels = torch.tensor([3, 7, 0, 9])

logits = net(x)
loss = nn.functional.cross_entropy(logits, labels)
loss.backward()

print("# LeNet-5 reference, written by tests/ch07/lenet_reference.py (torch %s)" % torch.__version__)
put("logits", logits)
put("loss", [loss.item()])
for layer, name in zip(layers, names):
    g = layer.weight.grad.reshape(-1)
    if name == "fc1":
        put("grad.fc1.weight.every7", g[::7])
        gd = g.double()
        put("grad.fc1.weight.sums", [gd.sum().item(), (gd * gd).sum().item()])
    else:
        put("grad.%s.weight" % name, g)
    put("grad.%s.bias" % name, layer.bias.grad)
