"""Prints the medians of generator-build.sh's measurements.

Usage: summary.py RESULTS.tsv; each line: MODE CASE KIND VALUE, where MODE is server, cache or
noserver (see generator-build.sh), CASE is PROJECT-EDIT (on-mtl, on-cs, off-cs, checked-cs), KIND is wall, cpu
(seconds of one incremental build) or generator (Mtl.Generator's time as the compiler reports it).
"""
import statistics
import sys
from collections import defaultdict

CASES = (
    ("one .mtl file edited, generator on", "on-mtl"),
    ("a .cs file edited, generator on", "on-cs"),
    ("a .cs file edited, MtlIncludeFiles=false", "off-cs"),
    ("a .cs file edited, generated code checked in", "checked-cs"),
)
DIFFERENCES = (
    ("one .mtl edited, over MtlIncludeFiles=false", "on-mtl", "off-cs"),
    ("one .mtl edited, over the code checked in", "on-mtl", "checked-cs"),
    ("a .cs edited, over the code checked in", "on-cs", "checked-cs"),
)
MODES = (
    ("server", "with the compiler server (UseSharedCompilation=true, dotnet build's default)"),
    ("cache", "with the compiler server and its generator cache (Features=enable-generator-cache)"),
    ("noserver", "without the compiler server (UseSharedCompilation=false: a new compiler process per build)"),
)


def main():
    values = defaultdict(list)
    for line in open(sys.argv[1]):
        server, case, kind, value = line.split()
        values[server, case, kind].append(float(value))

    def median(server, case, kind):
        return statistics.median(values[server, case, kind])

    for server, title in MODES:
        if not values[server, "on-mtl", "wall"]:
            continue
        runs = len(values[server, "on-mtl", "wall"])
        print(f"{title}; one incremental build, median of {runs}, seconds (wall-clock / CPU):")
        for label, case in CASES:
            print(f"  {label + ':':<50} {median(server, case, 'wall'):6.2f} / {median(server, case, 'cpu'):6.2f}")
        for label, a, b in DIFFERENCES:
            wall = median(server, a, "wall") - median(server, b, "wall")
            cpu = median(server, a, "cpu") - median(server, b, "cpu")
            print(f"  {label + ':':<50} {wall:+6.2f} / {cpu:+6.2f}")
        reports = len(values[server, "on-mtl", "generator"])
        if reports:
            print(f"  Mtl.Generator's own time as the compiler reports it (ReportAnalyzer), median of {reports}: "
                  f"one .mtl edited {median(server, 'on-mtl', 'generator'):.3f} s, "
                  f"a .cs edited {median(server, 'on-cs', 'generator'):.3f} s, "
                  f"MtlIncludeFiles=false {median(server, 'off-cs', 'generator'):.3f} s")


if __name__ == "__main__":
    main()
