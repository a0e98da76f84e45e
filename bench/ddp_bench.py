"""PyTorch's DistributedDataParallel with Gloo on the model of bench/Mtl.Parallel, for side-by-side
throughput: run alone (one process) or under mtl-run / torchrun (RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT set). Prints the same line as Mtl.Parallel: loss, weight sum, steps, seconds per epoch.
  python3 ddp_bench.py [--batch B] [--epochs E] [--rows N]   (B per rank)
"""
import argparse
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn

parser = argparse.ArgumentParser()
parser.add_argument("--batch", type=int, default=64)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--rows", type=int, default=2048)
args = parser.parse_args()
torch.set_num_threads(1)

world = int(os.environ.get("WORLD_SIZE", "1"))
rank = int(os.environ.get("RANK", "0"))
if world > 1:
    dist.init_process_group("gloo", rank=rank, world_size=world)

torch.manual_seed(1)
x = torch.randn(args.rows, 16)
value = x[:, :4].sum(1, keepdim=True).sin()
kind = x[:, 4:7].argmax(1)


class TwoTasks(nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk = nn.Sequential(nn.Linear(16, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.value = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 1))
        self.kind = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 3))

    def forward(self, inputs):
        shared = self.trunk(inputs)
        return self.value(shared), self.kind(shared)


torch.manual_seed(7)
model = TwoTasks()
step_model = nn.parallel.DistributedDataParallel(model) if world > 1 else model
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
mse, ce = nn.MSELoss(), nn.CrossEntropyLoss()
generator = torch.Generator().manual_seed(3)
steps = 0
epoch_seconds = []
for epoch in range(args.epochs):
    start = time.perf_counter()
    order = torch.randperm(args.rows, generator=generator)
    total, batches = 0.0, 0
    step = args.batch * world
    for begin in range(0, args.rows, step):
        rows = order[begin:begin + step]
        n = len(rows)
        mine = rows[n * rank // world:n * (rank + 1) // world]
        optimizer.zero_grad()
        predicted_value, predicted_kind = step_model(x[mine])
        loss = mse(predicted_value, value[mine]) + ce(predicted_kind, kind[mine])
        loss.backward()
        optimizer.step()
        total += loss.item()
        batches += 1
        steps += 1
    epoch_seconds.append(time.perf_counter() - start)
# The first epoch pays for warming up: time the others, as Mtl.Parallel does.
timed = epoch_seconds[1:] or epoch_seconds
seconds = sum(timed) / len(timed)
weights = torch.cat([p.detach().flatten() for p in model.parameters()])
print(f"rank {rank} of {world}: loss {total / batches!r} sum {weights.sum().item()!r} steps {steps} seconds/epoch {seconds:.4f}")
if world > 1:
    dist.destroy_process_group()
