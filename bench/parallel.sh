#!/usr/bin/env bash
# Data-parallel throughput: the two-task model of bench/Mtl.Parallel trained by one process with
# global batch B and by two processes (mtl-run -n 2) with B/2 each, at B = 256 and 4096, in Mtl
# and in PyTorch (DistributedDataParallel, Gloo), rounds interleaved, one thread per process.
# Prints one line per engine and batch: examples per second of each, and their ratio (the scaling;
# 2.0 would be perfect on two cores). Run it as `./build.sh bench parallel`.
#   ROUNDS  rounds (default 5)   ROWS  examples per epoch (default 32768)   EPOCHS (default 8; the first is not timed, and the next ones
#   still pay .NET's tiered JIT warm-up, see bench/README.md)
#   BATCHES global batch sizes (default "256 4096")   REPEATS all_reduce calls per size in the latency step (default 200)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
PYTHON=${PYTHON:-/usr/bin/python3}
cores=$(nproc)  # before OMP_NUM_THREADS, which nproc obeys
ROUNDS=${ROUNDS:-5} ROWS=${ROWS:-32768} EPOCHS=${EPOCHS:-8}
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "==> bench parallel: building Mtl.Parallel and mtl-run (Release)"
dotnet build Mtl.Parallel/Mtl.Parallel.csproj -c Release -nologo -v:quiet -clp:NoSummary
dotnet build ../src/Launcher/Mtl.Launcher.csproj -c Release -nologo -v:quiet -clp:NoSummary
mtl=(dotnet Mtl.Parallel/bin/Release/net10.0/Mtl.Parallel.dll)
run=(dotnet ../src/Launcher/bin/Release/net10.0/mtl-run.dll -n 2 --)
pytorch=("$PYTHON" ddp_bench.py)
echo "==> bench parallel: $cores cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), $ROUNDS rounds, $ROWS examples × $EPOCHS epochs"

# The raw all_reduce latency between two ranks, with Gloo's device on the hostname's address (the
# default) and on the loopback address: rank 0's line for each size.
for host in default 127.0.0.1; do
  hostopt=()
  [ "$host" = default ] || hostopt=(--host "$host")
  "${run[@]}" "${mtl[@]}" --allreduce --repeats "${REPEATS:-200}" "${hostopt[@]}" | grep '^\[rank 0\]' | sed 's/^\[rank 0\] /latency /'
done

# Seconds per epoch of one run: the slowest rank's.
epoch_seconds() { "$@" | sed -n 's/.*seconds\/epoch \([0-9.]*\).*/\1/p' | sort -g | tail -1; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for batch in ${BATCHES:-256 4096}; do
  half=$((batch / 2))
  declare -A times=()
  for round in $(seq "$ROUNDS"); do
    times[mtl1]+="$(epoch_seconds "${mtl[@]}" --batch "$batch" --epochs "$EPOCHS" --rows "$ROWS") "
    times[mtl2]+="$(epoch_seconds "${run[@]}" "${mtl[@]}" --batch "$half" --epochs "$EPOCHS" --rows "$ROWS") "
    times[py1]+="$(epoch_seconds "${pytorch[@]}" --batch "$batch" --epochs "$EPOCHS" --rows "$ROWS") "
    times[py2]+="$(epoch_seconds "${run[@]}" "${pytorch[@]}" --batch "$half" --epochs "$EPOCHS" --rows "$ROWS") "
  done
  for engine in mtl py; do
    one=$(tr ' ' '\n' <<<"${times[${engine}1]}" | grep . | median)
    two=$(tr ' ' '\n' <<<"${times[${engine}2]}" | grep . | median)
    name=$([ "$engine" = mtl ] && echo "mtl    " || echo "pytorch")
    awk -v n="$name" -v b="$batch" -v r="$ROWS" -v one="$one" -v two="$two" \
      'BEGIN { printf "parallel %s batch=%d: 1 process %.0f examples/s, 2 processes %.0f examples/s, scaling %.2f\n", n, b, r / one, r / two, one / two }'
  done
  unset times
done
