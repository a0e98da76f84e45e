"""Per-task gradients of K losses: K autograd.grad calls against one batched call.

The model of `./build.sh bench weighting` (trunk Linear(64,128)-ReLU-Linear(128,64)-ReLU, K heads
Linear(64,32)-ReLU-Linear(32,1) with MSE, batch 256, one thread), in PyTorch. Each variant runs a
forward pass and takes the K x P matrix of per-task gradients; `bat` does it in one backward with
`torch.autograd.grad(..., is_grads_batched=True)` (libtorch's vmap over the K one-hot cotangents).
Blocks of 10 steps of every variant take turns, rotating the order each round; a line gives the
median thread CPU time per step and the median over the rounds of the block's time over the
`sep all` block of the same round (and over a fixed-weighting step, `ew`).

    /usr/bin/python3 bench/batched_grads.py K ROUNDS    # e.g. 4 60
"""
import statistics
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(0)
K = int(sys.argv[1]) if len(sys.argv) > 1 else 4
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 40
B = 256
nn = torch.nn
trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
heads = [nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1)) for _ in range(K)]
x = torch.randn(B, 64)
ys = [torch.randn(B, 1) for _ in range(K)]
shared = list(trunk.parameters())
head_params = [p for h in heads for p in h.parameters()]
everything = shared + head_params


def losses(z):
    return [nn.functional.mse_loss(h(z), y) for h, y in zip(heads, ys)]


def flat(grads, params, batch=None):
    shape = (lambda p: (batch, *p.shape)) if batch else (lambda p: p.shape)
    pieces = [(g if g is not None else torch.zeros(shape(p))) for g, p in zip(grads, params)]
    return torch.cat([g.reshape(batch, -1) for g in pieces], 1) if batch else torch.cat([g.flatten() for g in pieces])


def sep(params):
    ls = losses(trunk(x))
    return torch.stack([flat(torch.autograd.grad(l, params, retain_graph=i < K - 1, allow_unused=True), params) for i, l in enumerate(ls)])


def bat(params):
    ls = torch.stack(losses(trunk(x)))
    grads = torch.autograd.grad(ls, params, grad_outputs=torch.eye(K), is_grads_batched=True, allow_unused=True)
    return flat(grads, params, K)


def at_z(batched):
    """Head passes to z one by one, then the trunk from z: K passes or one batched pass."""
    z = trunk(x)
    zd = z.detach().requires_grad_()
    gz = [torch.autograd.grad(l, [zd] + head_params, allow_unused=True)[0] for l in losses(zd)]
    if batched:
        return flat(torch.autograd.grad(z, shared, grad_outputs=torch.stack(gz), is_grads_batched=True), shared, K)
    return torch.stack([flat(torch.autograd.grad(z, shared, grad_outputs=g, retain_graph=True), shared) for g in gz])


def ew():
    sum(losses(trunk(x))).backward()


reference = sep(shared)
print(f"K={K} largest difference to the K passes: bat shared {(bat(shared) - reference).abs().max().item():.1e}, "
      f"bat all {(bat(everything) - sep(everything)).abs().max().item():.1e}, "
      f"trunk batched from z {(at_z(True) - reference).abs().max().item():.1e} (largest value {reference.abs().max().item():.1e})")
variants = [("sep all", lambda: sep(everything)), ("bat all", lambda: bat(everything)),
            ("sep shared", lambda: sep(shared)), ("bat shared", lambda: bat(shared)),
            ("z, trunk K passes", lambda: at_z(False)), ("z, trunk batched", lambda: at_z(True)), ("ew", ew)]
for _, f in variants:
    for _ in range(100):
        f()
times = {n: [] for n, _ in variants}
for r in range(ROUNDS):
    for n, f in variants[r % len(variants):] + variants[:r % len(variants)]:
        start = time.thread_time()
        for _ in range(10):
            f()
        times[n].append((time.thread_time() - start) / 10 * 1e6)
for n, _ in variants:
    ratios = sorted(t / s for t, s in zip(times[n], times["sep all"]))
    q = len(ratios) // 4
    per_ew = statistics.median(t / e for t, e in zip(times[n], times["ew"]))
    print(f"K={K} {n}: {statistics.median(times[n]):.0f} us, /sep all {statistics.median(ratios):.2f} "
          f"(middle half {ratios[q]:.2f}-{ratios[-q - 1]:.2f}), /ew {per_ew:.2f}")
