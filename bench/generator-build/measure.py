"""Runs a command and prints "WALL CPU": its wall-clock seconds, and the CPU seconds of the command
and the processes it waited for, plus what the compiler server spent meanwhile (it compiles for
`dotnet build` when UseSharedCompilation is true, in a process that is not a child).

Usage: measure.py SERVER_EXECUTABLE COMMAND...  (SERVER_EXECUTABLE: the SDK's VBCSCompiler path)
"""
import os
import resource
import subprocess
import sys
import time


def server_cpu(executable):
    """CPU seconds used so far by every running process started from `executable`."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read().split(b"\0")[0].decode() != executable:
                    continue
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    executable, command = sys.argv[1], sys.argv[2:]
    server, children, start = server_cpu(executable), children_cpu(), time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    cpu = children_cpu() - children + server_cpu(executable) - server
    if result.returncode:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}")
    print(f"{wall:.3f} {cpu:.3f}")


if __name__ == "__main__":
    main()
