#!/usr/bin/env bash
# Builds the benchmark programs (Mtl from C#, on the hand-written and on the generated model;
# libtorch from C++; PyTorch) and runs them interleaved; prints one line of medians per batch size.
# Run it as `./build.sh bench`.
# `./build.sh bench weighting` times a step with each task-weighting method instead (C# only;
# ROUNDS rounds, default 15, of BLOCK steps, default 20, per method; METHODS, a space-separated list
# of the methods to time, default all; see Mtl.Bench/WeightingBench.cs).
# `./build.sh bench relatedness` times training epochs with and without task relatedness measured
# (ROUNDS rounds, default 11; see Mtl.Bench/RelatednessBench.cs).
#   ROUNDS     rounds of interleaved runs (default 7)
#   TRAINER    1: also time the generated trainer's own step (ReferenceTrainer.Fit), as "trainer",
#              and pair it with the generated model's step in one process
#   Torch_DIR  the folder holding TorchConfig.cmake, for a libtorch outside the system paths
#   PYTHON     an interpreter with torch installed (default: Debian's /usr/bin/python3)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

PYTHON=${PYTHON:-/usr/bin/python3}
TRAINER=${TRAINER:-0}
cores=$(nproc)
# One thread everywhere: set_num_threads(1) in each program, and no BLAS/OpenMP thread pools.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

if [ "${1:-}" = relatedness ]; then
  echo "==> bench: building the C# program (Release)"
  dotnet build Mtl.Bench/Mtl.Bench.csproj -c Release -nologo -v:quiet -clp:NoSummary
  echo "==> bench: $cores cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), ${ROUNDS:-11} rounds of one epoch with and one without relatedness (thread CPU time)"
  exec dotnet Mtl.Bench/bin/Release/net10.0/Mtl.Bench.dll relatedness "${ROUNDS:-11}"
fi

if [ "${1:-}" = weighting ]; then
  echo "==> bench: building the C# program (Release)"
  dotnet build Mtl.Bench/Mtl.Bench.csproj -c Release -nologo -v:quiet -clp:NoSummary
  echo "==> bench: $cores cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), ${ROUNDS:-15} interleaved rounds of ${BLOCK:-20} steps (thread CPU time per step)"
  exec dotnet Mtl.Bench/bin/Release/net10.0/Mtl.Bench.dll weighting "${ROUNDS:-15}" "${BLOCK:-20}" ${METHODS:-}
fi

ROUNDS=${ROUNDS:-7}

echo "==> bench: building the C++ program (CMake, libtorch)"
cmake -S cpp -B cpp/build -DCMAKE_BUILD_TYPE=Release ${Torch_DIR:+"-DTorch_DIR=$Torch_DIR"} >/dev/null
cmake --build cpp/build --parallel >/dev/null

echo "==> bench: building the C# program (Release; the Mtl generator makes ReferenceModel of reference.mtl)"
dotnet build Mtl.Bench/Mtl.Bench.csproj -c Release -nologo -v:quiet -clp:NoSummary

"$PYTHON" -c 'import torch' 2>/dev/null || { echo "error: $PYTHON cannot import torch (install python3-torch or set PYTHON)" >&2; exit 1; }

if [ -n "${Torch_DIR:-}" ]; then
  libtorch="from Torch_DIR"
else
  libtorch=$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo "(version unknown)")
fi
echo "==> bench: $cores cores ($(lscpu | sed -n 's/^Model name: *//p' | head -1)), libtorch $libtorch"
echo "==> bench: $ROUNDS interleaved rounds (times are per training step)"
bench_dll=Mtl.Bench/bin/Release/net10.0/Mtl.Bench.dll
trainer=()
[ "$TRAINER" = 1 ] && trainer=(--trainer "dotnet $bench_dll trainer" --paired-trainer "dotnet $bench_dll paired-trainer")
"$PYTHON" compare.py --rounds "$ROUNDS" \
  --mtl "dotnet $bench_dll mtl" \
  --generated "dotnet $bench_dll generated" \
  --cpp "cpp/build/bench_cpp" \
  --pytorch "$PYTHON pytorch_bench.py" \
  --paired "dotnet $bench_dll paired" \
  "${trainer[@]}"
