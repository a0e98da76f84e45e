"""Runs the benchmark programs interleaved over several rounds and prints the medians.

Each program is started once per (round, batch size) as `PROGRAM BATCH STEPS WARMUP` and prints
"BATCH WALL CPU": microseconds per training step of wall-clock time and of the stepping thread's
CPU time. The order of the programs rotates from round to round so that none of them always runs
first (or always after the same neighbour) on a noisy machine.
"""
import argparse
import shlex
import statistics
import subprocess

# Batch size -> (timed steps per measurement, sized so one measurement takes roughly 0.3-1 s here;
# untimed warm-up steps run first). The warm-up is long because .NET's tiered JIT re-compiles the
# per-step methods only after 30 calls, a 100 ms quiet period and a second, instrumented (PGO)
# round: measured from outside, its background thread was still compiling about 80 steps into a
# 100-step warm-up at batch 4096. Stopping earlier would time partly unoptimized code, and the
# JIT thread would compete with the stepping thread for this machine's two cores.
STEPS = {32: (1000, 2000), 256: (600, 1000), 4096: (40, 150)}


def measure(command, batch, steps, warmup):
    out = subprocess.run(
        command + [str(batch), str(steps), str(warmup)],
        check=True, stdout=subprocess.PIPE, text=True,
    ).stdout.split()
    if len(out) != 3 or int(out[0]) != batch:
        raise RuntimeError(f"unexpected output from {shlex.join(command)}: {out!r}")
    return float(out[1]), float(out[2])


def table(title, programs, times):
    """Prints the per-batch medians of one clock; `times[name, batch]` lists one value per round."""
    print(title)
    for batch in STEPS:
        median = {name: statistics.median(times[name, batch]) for name in programs}
        mtl = median["mtl"]
        fields = [f"{name} {median[name]:.0f} us" for name in programs]
        fields.append(f"mtl/c++ {mtl / median['c++']:.2f}")
        fields.append(f"generated/mtl {median['generated'] / mtl:.2f}")
        if "trainer" in median:
            fields.append(f"trainer/mtl {median['trainer'] / mtl:.2f}")
        fields.append(f"pytorch/mtl {median['pytorch'] / mtl:.2f}")
        print(f"batch {batch}: {', '.join(fields)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--mtl", required=True, help="command line of the Mtl (C#) program, hand-written model")
    parser.add_argument("--generated", required=True, help="command line of the Mtl program on the generated model")
    parser.add_argument("--cpp", required=True, help="command line of the libtorch C++ program")
    parser.add_argument("--pytorch", required=True, help="command line of the PyTorch program")
    parser.add_argument("--trainer", help="command line of the Mtl program running the generated trainer's step (optional)")
    parser.add_argument("--paired", help="command line of the Mtl program timing mtl and generated in one process (optional)")
    parser.add_argument("--paired-trainer", help="command line of the Mtl program timing generated and trainer in one process (optional)")
    args = parser.parse_args()

    given = {"mtl": args.mtl, "generated": args.generated, "c++": args.cpp, "pytorch": args.pytorch}
    if args.trainer:
        given["trainer"] = args.trainer
    programs = tuple(given)
    commands = [(name, shlex.split(command)) for name, command in given.items()]
    wall = {(name, batch): [] for name in programs for batch in STEPS}
    cpu = {(name, batch): [] for name in programs for batch in STEPS}
    for round_ in range(args.rounds):
        shift = round_ % len(commands)
        order = commands[shift:] + commands[:shift]
        for batch, (steps, warmup) in STEPS.items():
            results = []
            for name, command in order:
                w, c = measure(command, batch, steps, warmup)
                wall[name, batch].append(w)
                cpu[name, batch].append(c)
                results.append(f"{name} {w:.0f} ({c:.0f} cpu)")
            print(f"round {round_ + 1}/{args.rounds}, batch {batch}: {', '.join(results)} us", flush=True)

    table("wall-clock time per step, median of rounds:", programs, wall)
    # Other processes on a shared machine stretch wall-clock time far more than the CPU time of the
    # stepping thread (each program does all of its work on that one thread), so this table is the
    # steadier comparison when the machine is busy.
    table("CPU time of the stepping thread per step, median of rounds:", programs, cpu)
    if args.paired:
        paired(shlex.split(args.paired), "mtl", "generated")
    if args.paired_trainer:
        paired(shlex.split(args.paired_trainer), "generated", "trainer")


def paired(command, first, second):
    """Runs a paired comparison once per batch size: two ways of training in one process."""
    print(f"{second} vs {first} in one process, alternating blocks of steps (thread CPU time):")
    for batch, (steps, warmup) in STEPS.items():
        out = subprocess.run(
            command + [str(batch), str(steps), str(warmup)],
            check=True, stdout=subprocess.PIPE, text=True,
        ).stdout.split()
        if len(out) != 6 or int(out[0]) != batch:
            raise RuntimeError(f"unexpected output from {shlex.join(command)}: {out!r}")
        ratio, low, high, a, b = map(float, out[1:])
        print(f"batch {batch}: {second}/{first} {ratio:.3f} (middle half of the pairs {low:.3f}-{high:.3f}), "
              f"{first} {a:.0f} us, {second} {b:.0f} us", flush=True)


if __name__ == "__main__":
    main()
