#!/usr/bin/python3
"""Parameter counts, output shapes and multiply-adds of torchvision's models,
for tests/ch07/test-netcount.c (lib/netcount.c must agree exactly).

No weights are downloaded: every model is built with weights=None (random
initialisation; the counts do not depend on the values).  One forward pass
of a zero 1x3x224x224 image (1x3x299x299 for Inception v3, 1x1x28x28 for
LeNet-5) records, in order of
evaluation, every convolution, batch norm, dense layer and pool:

  model NAME input C H W params P running R macs M conv_bias B output O
      P  learnable parameters (sum of p.numel() over model.parameters())
      R  running statistics (numel of every running_mean and running_var)
      M  multiply-adds of the convolutions and dense layers for one image:
         conv  out.numel() * (in_channels / groups) * kh * kw
         dense in_features * out_features
      B  what biases on every convolution would add (sum of out_channels of
         the Conv2d layers that have none): Keras's ResNet-50 has them
  layer INDEX MODULE TYPE params P out C H W macs M
  end NAME

Pools that a model applies as functions (F.avg_pool2d in Inception's
branches) are not modules and have no hook: they are not listed.

LeNet-5 is not in torchvision: it is the chapter's form, written below with
torch.nn (conv 6@5x5 pad 2, tanh, avgpool 2, conv 16@5x5, tanh, avgpool 2,
dense 120, 84, 10).

Run:  /usr/bin/python3 tests/ch07/torchvision_counts.py > tests/ch07/torchvision_counts.txt
"""
import torch
import torchvision

torch.manual_seed(0)


def lenet5():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
        nn.Linear(84, 10))


MODELS = [
    ("lenet5", lenet5, (1, 28, 28)),
    ("alexnet", lambda: torchvision.models.alexnet(weights=None), (3, 224, 224)),
    ("vgg16", lambda: torchvision.models.vgg16(weights=None), (3, 224, 224)),
    ("resnet50", lambda: torchvision.models.resnet50(weights=None), (3, 224, 224)),
    ("resnext50", lambda: torchvision.models.resnext50_32x4d(weights=None), (3, 224, 224)),
    # without the auxiliary classifier (only used in training), as Keras's
    # InceptionV3 and deck 004's table; init_weights=False skips a slow
    # truncated-normal initialisation the counts do not need
    ("inception3", lambda: torchvision.models.inception_v3(weights=None, aux_logits=False,
                                                           init_weights=False), (3, 299, 299)),
]

COUNTED = (torch.nn.Conv2d, torch.nn.BatchNorm2d, torch.nn.Linear, torch.nn.MaxPool2d,
           torch.nn.AvgPool2d, torch.nn.AdaptiveAvgPool2d)


def count(name, make, shape):
    model = make().eval()
    rows = []
    names = {m: n for n, m in model.named_modules()}

    def hook(module, inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            macs = output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, torch.nn.Linear):
            macs = module.in_features * module.out_features
        else:
            macs = 0
        params = sum(p.numel() for p in module.parameters(recurse=False))
        out = list(output.shape[1:]) + [1] * (4 - output.dim())
        rows.append((names[module], type(module).__name__, params, out, macs))

    for m in model.modules():
        if isinstance(m, COUNTED):
            m.register_forward_hook(hook)
    with torch.no_grad():
        y = model(torch.zeros((1,) + shape))
    params = sum(p.numel() for p in model.parameters())
    running = sum(b.numel() for n, b in model.named_buffers()
                  if n.endswith("running_mean") or n.endswith("running_var"))
    conv_bias = sum(m.out_channels for m in model.modules()
                    if isinstance(m, torch.nn.Conv2d) and m.bias is None)
    macs = sum(r[4] for r in rows)
    print("model %s input %d %d %d params %d running %d macs %d conv_bias %d output %d"
          % ((name,) + shape + (params, running, macs, conv_bias, y.shape[1])))
    for i, (mod, kind, p, out, m) in enumerate(rows, 1):
        print("layer %d %s %s params %d out %d %d %d macs %d" % (i, mod, kind, p, out[0], out[1], out[2], m))
    print("end", name)


print("# torchvision model counts, written by tests/ch07/torchvision_counts.py "
      "(torch %s, torchvision %s)" % (torch.__version__, torchvision.__version__))
for name, make, shape in MODELS:
    count(name, make, shape)
