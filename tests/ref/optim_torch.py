#!/usr/bin/python3
"""Reference trajectories of torch.optim for tests/lib/test-optim.c.

Runs 100 steps of each optimizer configuration on two fixed problems and
writes every parameter vector and loss, step by step, to optim_torch.txt:

  quadratic  f(p) = 1/2 p^T A p - b^T p in 4 dimensions (A symmetric positive
             definite, condition number about 40: a ravine)
  rosenbrock f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, from (-1.2, 1)

The parameters and the optimizer state are float32, as in the kit.  The
gradient is taken by autograd on a float64 copy of the parameters and rounded
to float32, which is what the C test does with its closed-form gradient, so
the comparison measures the optimizer update and nothing else.

Learning-rate decay lr_t = lr / (1 + decay (t - 1)) is Adagrad's own
lr_decay, and LambdaLR(lambda k: 1 / (1 + decay k)) for the others.
Clipping is torch.nn.utils.clip_grad_norm_ before each step.

Run:  /usr/bin/python3 tests/ref/optim_torch.py > tests/ref/optim_torch.txt
"""
import torch

A = torch.tensor([[10.0, 2.0, 0.0, 0.0],
                  [2.0, 4.0, 1.0, 0.0],
                  [0.0, 1.0, 1.0, 0.2],
                  [0.0, 0.0, 0.2, 0.5]], dtype=torch.float64)
B = torch.tensor([1.0, -2.0, 0.5, 1.0], dtype=torch.float64)


def quadratic(p):
    return 0.5 * p @ A @ p - B @ p


def rosenbrock(p):
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


PROBLEMS = {
    "quadratic": (quadratic, [1.5, -1.0, 2.0, -2.0]),
    "rosenbrock": (rosenbrock, [-1.2, 1.0]),
}

# name, kind, keyword arguments (torch names), decay, clip max_norm,
# learning rate on the quadratic, on Rosenbrock.
CONFIGS = [
    ("sgd", "sgd", {}, 0, 0, 0.05, 0.0005),
    ("momentum", "sgd", {"momentum": 0.9}, 0, 0, 0.02, 0.0002),
    ("nesterov", "sgd", {"momentum": 0.9, "nesterov": True}, 0, 0, 0.02, 0.0002),
    ("sgd-wd", "sgd", {"momentum": 0.5, "weight_decay": 0.1}, 0, 0, 0.05, 0.0005),
    ("sgd-decay", "sgd", {}, 0.05, 0, 0.1, 0.001),
    ("sgd-clip", "sgd", {"momentum": 0.9}, 0, 1.0, 0.05, 0.001),
    ("adagrad", "adagrad", {}, 0, 0, 0.5, 0.1),
    ("adagrad-decay", "adagrad", {"weight_decay": 0.01}, 0.01, 0, 0.5, 0.1),
    ("rmsprop", "rmsprop", {}, 0, 0, 0.01, 0.01),
    ("rmsprop-wd", "rmsprop", {"alpha": 0.9, "weight_decay": 0.05}, 0, 0, 0.02, 0.005),
    ("adadelta", "adadelta", {}, 0, 0, 1.0, 1.0),
    ("adadelta-lr", "adadelta", {"rho": 0.95}, 0, 0, 5.0, 10.0),
    ("adam", "adam", {}, 0, 0, 0.05, 0.02),
    ("adam-wd-decay", "adam", {"betas": (0.8, 0.99), "weight_decay": 0.01}, 0.02, 0, 0.1, 0.05),
]

CLASSES = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
           "rmsprop": torch.optim.RMSprop, "adadelta": torch.optim.Adadelta,
           "adam": torch.optim.Adam}
DEFAULTS = {  # the kit's fields in file order, from each class's defaults
    "sgd": dict(momentum=0, nesterov=False, weight_decay=0, alpha=0, betas=(0, 0), eps=0),
    "adagrad": dict(momentum=0, nesterov=False, weight_decay=0, alpha=0, betas=(0, 0), eps=1e-10),
    "rmsprop": dict(momentum=0, nesterov=False, weight_decay=0, alpha=0.99, betas=(0, 0), eps=1e-8),
    "adadelta": dict(momentum=0, nesterov=False, weight_decay=0, alpha=0.9, betas=(0, 0), eps=1e-6),
    "adam": dict(momentum=0, nesterov=False, weight_decay=0, alpha=0, betas=(0.9, 0.999), eps=1e-8),
}
STEPS = 100


def run(name, kind, kwargs, decay, clip, lr, problem):
    f, start = PROBLEMS[problem]
    p = torch.tensor(start, dtype=torch.float32, requires_grad=True)
    extra = dict(kwargs)
    if kind == "adagrad":
        extra["lr_decay"] = decay
    opt = CLASSES[kind]([p], lr=lr, **extra)
    sched = None
    if decay and kind != "adagrad":
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1.0 / (1.0 + decay * k))
    fields = dict(DEFAULTS[kind])
    fields.update(kwargs)
    if "rho" in kwargs:
        fields["alpha"] = kwargs["rho"]
    beta1, beta2 = fields["betas"]
    print("run %s %s %s %.9g %.9g %d %.9g %.9g %.9g %.9g %.9g %.9g %.9g %d %d" % (
        name, problem, kind, lr, fields["momentum"], int(fields["nesterov"]),
        fields["weight_decay"], fields["alpha"], beta1, beta2, fields["eps"],
        decay, clip, STEPS, len(start)))

    def loss_and_grad():
        q = p.detach().double().requires_grad_(True)
        loss = f(q)
        loss.backward()
        return loss.item(), q.grad.float()

    for t in range(STEPS + 1):
        loss, grad = loss_and_grad()
        print("%d %.9g %s" % (t, loss, " ".join("%.9g" % v for v in p.detach().tolist())))
        if t == STEPS:
            break
        p.grad = grad
        if clip:
            torch.nn.utils.clip_grad_norm_([p], clip)
        opt.step()
        if sched:
            sched.step()


def main():
    print("# torch.optim trajectories, written by tests/ref/optim_torch.py (torch %s)" % torch.__version__)
    print("# run NAME PROBLEM KIND lr momentum nesterov weight_decay alpha beta1 beta2 eps decay clip STEPS DIM")
    print("# then STEPS+1 rows: t loss(p_t) p_t[0..DIM)")
    for name, kind, kwargs, decay, clip, lr_q, lr_r in CONFIGS:
        run(name, kind, kwargs, decay, clip, lr_q, "quadratic")
        run(name, kind, kwargs, decay, clip, lr_r, "rosenbrock")


if __name__ == "__main__":
    main()
