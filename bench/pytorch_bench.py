"""The reference multi-task model in PyTorch.

Usage: pytorch_bench.py BATCH STEPS WARMUP; prints "BATCH WALL CPU": microseconds per step of
wall-clock time and of this thread's CPU time.
"""
import sys
import time

import torch
from torch import nn
from torch.nn import functional as F


class ReferenceModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.headA = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
        self.headB = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        shared = self.trunk(x)
        return self.headA(shared), self.headB(shared)


def time_batch(batch, steps, warmup):
    torch.manual_seed(0)
    model = ReferenceModel()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 64)
    regression = torch.randn(batch, 1)
    classes = torch.randint(0, 10, (batch,), dtype=torch.int64)

    def step():
        optimizer.zero_grad(set_to_none=False)
        pred_a, logits_b = model(x)
        loss = F.mse_loss(pred_a, regression) + 0.5 * F.cross_entropy(logits_b, classes)
        loss.backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    start, cpu_start = time.perf_counter(), time.thread_time()
    for _ in range(steps):
        step()
    cpu = time.thread_time() - cpu_start
    return (time.perf_counter() - start) * 1e6 / steps, cpu * 1e6 / steps


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: pytorch_bench.py BATCH STEPS WARMUP")
    torch.set_num_threads(1)
    batch, steps, warmup = map(int, sys.argv[1:])
    wall, cpu = time_batch(batch, steps, warmup)
    print(f"{batch} {wall:.1f} {cpu:.1f}")


if __name__ == "__main__":
    main()
