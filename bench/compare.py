"""Runs the three benchmark programs interleaved over several rounds and prints the medians.

Each program is started once per (round, batch size) as `PROGRAM BATCH STEPS WARMUP` and prints
"BATCH <microseconds per step>". The order of the programs rotates from round to round so that
none of them always runs first (or always after the same neighbour) on a noisy machine.
"""
import argparse
import shlex
import statistics
import subprocess

# Batch size -> timed steps per measurement, sized so one measurement takes roughly 0.3-1 s here.
# The same number of untimed warm-up steps runs first (it also lets .NET's tiered JIT settle).
STEPS = {32: 1000, 256: 300, 4096: 20}


def measure(command, batch, steps):
    out = subprocess.run(
        command + [str(batch), str(steps), str(steps)],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.split()
    if len(out) != 2 or int(out[0]) != batch:
        raise RuntimeError(f"unexpected output from {shlex.join(command)}: {out!r}")
    return float(out[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--mtl", required=True, help="command line of the Mtl (C#) program")
    parser.add_argument("--cpp", required=True, help="command line of the libtorch C++ program")
    parser.add_argument("--pytorch", required=True, help="command line of the PyTorch program")
    args = parser.parse_args()

    programs = [("mtl", shlex.split(args.mtl)), ("c++", shlex.split(args.cpp)), ("pytorch", shlex.split(args.pytorch))]
    times = {(name, batch): [] for name, _ in programs for batch in STEPS}
    for round_ in range(args.rounds):
        order = programs[round_ % len(programs):] + programs[:round_ % len(programs)]
        for batch, steps in STEPS.items():
            results = []
            for name, command in order:
                us = measure(command, batch, steps)
                times[name, batch].append(us)
                results.append(f"{name} {us:.0f}")
            print(f"round {round_ + 1}/{args.rounds}, batch {batch}: {', '.join(results)} us", flush=True)

    for batch in STEPS:
        mtl, cpp, pytorch = (statistics.median(times[name, batch]) for name in ("mtl", "c++", "pytorch"))
        print(f"batch {batch}: mtl {mtl:.0f} us, c++ {cpp:.0f} us, pytorch {pytorch:.0f} us, "
              f"mtl/c++ {mtl / cpp:.2f}, pytorch/mtl {pytorch / mtl:.2f}")
    # Mtl and C++ run back to back within a round, so their per-round ratio cancels much of the
    # machine's drift; its median is a useful cross-check on the ratio of medians above.
    paired = ", ".join(
        f"batch {batch} {statistics.median(m / c for m, c in zip(times['mtl', batch], times['c++', batch])):.2f}"
        for batch in STEPS)
    print(f"median of per-round mtl/c++ ratios: {paired}")


if __name__ == "__main__":
    main()
