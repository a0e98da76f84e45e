#!/usr/bin/env bash
# What the Mtl generator costs a build. Creates a throwaway project with MODELS .mtl files under a
# temporary folder (deleted at the end), and times incremental `dotnet build`s of three copies:
#   on       the generator over the .mtl files; after editing one .mtl file, and after editing a .cs file
#   off      the same project with MtlIncludeFiles=false: the generator is loaded but is given no .mtl
#            file, so nothing is generated; after editing a .cs file
#   checked  no generator: the code it generates for the same files checked in as .cs files; after
#            editing a .cs file (the same C# is compiled as in "on"; only the generator is missing)
# in three modes, the cases of a round in rotating order:
#   server    with the compiler server (UseSharedCompilation=true, dotnet build's default); it keeps
#             the JIT-compiled generator between builds but, by default, none of its pipeline's state
#   cache     the same, plus the compiler's feature flag enable-generator-cache, with which the server
#             keeps each project's generator driver between builds, so the incremental pipeline works
#   noserver  UseSharedCompilation=false: a new compiler process per build
# Then it asks the compiler how long Mtl.Generator itself ran in such builds (ReportAnalyzer), and
# runs the generator in memory (generator-build/Driver.cs) to show which of its pipeline steps
# re-run after each kind of edit. See README.md, "Build-time cost of the generator".
#   RUNS         timed builds per case and mode (default 7); medians are printed
#   REPORT_RUNS  builds per case and mode for the compiler's own timing of the generator (default 3)
#   MODELS       .mtl files in the project (default 100)
#   KEEP         1: keep the temporary folder and print where it is
# Each build is timed by wall clock and by CPU time (the build's processes plus what the compiler
# server spent meanwhile); on a busy machine the CPU time is the steadier of the two. A compiler
# server this script started is stopped, by its process id, at the end.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
RUNS=${RUNS:-7}
REPORT_RUNS=${REPORT_RUNS:-3}
MODELS=${MODELS:-100}
KEEP=${KEEP:-0}
# MSBuild runs in the `dotnet build` process itself (no MSBuild server, no reused nodes, see -nr:false
# below), so that a build's CPU time is that of the processes it waits for, plus the compiler server's.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

server_bin=$(dirname "$(readlink -f "$(command -v dotnet)")")/sdk/$(dotnet --version)/Roslyn/bincore/VBCSCompiler
servers() { pgrep -x VBCSCompiler || true; }
servers_before=" $(servers | tr '\n' ' ') "
work=$(mktemp -d "${TMPDIR:-/tmp}/mtl-generator-build.XXXXXX")
cleanup() {
  local pid
  for pid in $(servers); do
    case "$servers_before" in
      *" $pid "*) ;;
      *) kill "$pid" 2>/dev/null && echo "==> generator-build: stopped the compiler server it started (process $pid)" ;;
    esac
  done
  if [ "$KEEP" = 1 ]; then echo "==> generator-build: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Runs a command silently; shows its output if it fails.
quiet() { local out; out=$("$@" 2>&1) || { echo "$out" >&2; return 1; }; }

echo "==> generator-build: building Mtl.Generator and Mtl.Runtime (Release)"
quiet dotnet build "$repo/src/Generator/Mtl.Generator.csproj" -c Release -nologo -v:q
quiet dotnet build "$repo/src/Runtime/Mtl.Runtime.csproj" -c Release -nologo -v:q
generator=$repo/src/Generator/bin/Release/netstandard2.0
runtime=$repo/src/Runtime/bin/Release/net10.0

# ---- the projects ----------------------------------------------------------------------------
# They reference the built assemblies, as a project using a NuGet package of Mtl would, rather than
# the repository's projects: a ProjectReference makes every build also check those projects
# (Mtl.Torch's native CMake step included), which costs the same with the generator and without it
# and would only add noise here.
cat >"$work/Common.props" <<EOF
<Project>
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <RootNamespace>App</RootNamespace>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <Reference Include="$runtime/Mtl.Runtime.dll" />
    <Reference Include="$runtime/Mtl.Torch.dll" />
    <Reference Include="$runtime/Mtl.Catalog.dll" />
  </ItemGroup>
</Project>
EOF

generator_project() { # $1: extra properties
  cat <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <Import Project="$repo/src/Generator/build/Mtl.props" />
  <Import Project="../Common.props" />
  <PropertyGroup>$1</PropertyGroup>
  <ItemGroup>
    <Analyzer Include="$generator/Mtl.Generator.dll" />
    <Analyzer Include="$generator/Mtl.Dsl.dll" />
    <Analyzer Include="$generator/Mtl.Catalog.dll" />
  </ItemGroup>
  <Import Project="$repo/src/Generator/build/Mtl.targets" />
</Project>
EOF
}

# One model per file, in the shape of docs/language.md's complete example (two inputs, three shared
# blocks with a merge, a binary and a 7-class task, uncertainty weighting, a parameter group, a
# schedule chain, early stopping); the files differ in their model names and trunk widths.
model() { # $1: number, three digits
  cat <<EOF
model Census$1

input features: float[14]
input tokens:   long[64]

shared trunk = features -> linear($((32 + 10#$1))) -> relu -> dropout(0.1) -> linear(32) -> relu
shared text  = tokens -> embedding(vocab: 5000, dim: 32) -> mean(dim: 1)
shared fused = concat(trunk, text) -> linear(64) -> relu

task income: binary = fused -> linear(16) -> relu -> linear(1) {
  loss    bce
  weight  1.0
  metrics accuracy, auc
}

task marital: classes(7) = trunk -> linear(16) -> relu -> linear(7) {
  weight  0.5
  metrics accuracy, macro_f1
}

weighting uncertainty

optimizer adam(lr: 1e-3, weight_decay: 1e-4) {
  group trunk(lr: 5e-4)
}
schedule warmup(steps: 200) -> cosine(min_lr: 1e-5)

train {
  epochs 20
  batch_size 256
  clip_grad_norm 1.0
  seed 42
  early_stop(monitor: marital.accuracy, patience: 3)
}
EOF
}

for name in on off checked; do
  mkdir -p "$work/$name"
  # The project's C# does not use the generated classes, so that all three copies compile.
  echo 'Console.WriteLine(Other.Value);' >"$work/$name/Program.cs"
  echo 'static class Other { public const int Value = 0; }' >"$work/$name/Other.cs"
done
generator_project "" >"$work/on/App.csproj"
generator_project "<MtlIncludeFiles>false</MtlIncludeFiles>" >"$work/off/App.csproj"
cp "$work/Common.props" "$work/checked/Directory.Build.props"
printf '<Project Sdk="Microsoft.NET.Sdk" />\n' >"$work/checked/App.csproj"
mkdir -p "$work/on/models" "$work/off/models" "$work/checked/Generated"
for i in $(seq 1 "$MODELS"); do
  n=$(printf %03d "$i")
  model "$n" >"$work/on/models/m$n.mtl"
  cp "$work/on/models/m$n.mtl" "$work/off/models/"
done
edited=m$(printf %03d $(((MODELS + 1) / 2))).mtl

echo "==> generator-build: $MODELS .mtl files in $work; first builds"
for name in on off checked; do
  quiet dotnet restore "$work/$name/App.csproj" -nologo -v:q
done
quiet dotnet build "$work/on/App.csproj" -c Release --no-restore -nologo -v:q -nr:false \
  -p:EmitCompilerGeneratedFiles=true -p:CompilerGeneratedFilesOutputPath="$work/emitted"
cp "$work"/emitted/Mtl.Generator/Mtl.Generator.MtlGenerator/*.cs "$work/checked/Generated/"
echo "    generated: $(find "$work/checked/Generated" -name '*.cs' | wc -l) files, $(cat "$work"/checked/Generated/*.cs | wc -l) lines"

# ---- timed builds ----------------------------------------------------------------------------
counter=0
edit_cs() { counter=$((counter + 1)); echo "static class Other { public const int Value = $counter; }" >"$work/$1/Other.cs"; }
# Toggles the width of the income head's hidden layer (16 <-> 17): the model changes, so its
# classes are generated anew.
edit_mtl() {
  local file=$work/$1/models/$edited
  if grep -q 'linear(16) -> relu -> linear(1)' "$file"; then
    sed -i 's/linear(16) -> relu -> linear(1)/linear(17) -> relu -> linear(1)/' "$file"
  else
    sed -i 's/linear(17) -> relu -> linear(1)/linear(16) -> relu -> linear(1)/' "$file"
  fi
}

# A case (PROJECT-EDIT): edit, build, check that the build compiled; prints "WALL CPU" seconds.
# The compiler settings of a mode.
mode_args() {
  case "$1" in
    server) echo "-p:UseSharedCompilation=true" ;;
    cache) echo "-p:UseSharedCompilation=true -p:Features=enable-generator-cache" ;;
    noserver) echo "-p:UseSharedCompilation=false" ;;
  esac
}

run_case() { # $1: case, $2: mode
  local project=${1%-*} edit=${1#*-}
  "edit_$edit" "$project"
  touch "$work/marker"
  # shellcheck disable=SC2046
  python3 "$here/generator-build/measure.py" "$server_bin" \
    dotnet build "$work/$project/App.csproj" -c Release --no-restore -nologo -nr:false -v:q $(mode_args "$2")
  [ "$work/$project/obj/Release/net10.0/App.dll" -nt "$work/marker" ] || { echo "error: case $1 did not compile" >&2; exit 1; }
}

# The compiler's own timing of Mtl.Generator in one build of a case (ReportAnalyzer), in seconds;
# the compiler prints "<0.001" for less than a millisecond, counted here as 0.
report_case() { # $1: case, $2: mode
  local project=${1%-*} edit=${1#*-}
  "edit_$edit" "$project"
  # shellcheck disable=SC2046
  dotnet build "$work/$project/App.csproj" -c Release --no-restore -nologo -nr:false -v:d $(mode_args "$2") -p:ReportAnalyzer=true |
    awk '$3 == "Mtl.Generator.MtlGenerator" { v = ($1 ~ /^</) ? 0 : $1 } END { print (v == "" ? 0 : v) }'
}

cases=(on-mtl on-cs off-cs checked-cs)
results=$work/results.tsv
: >"$results"
for mode in server cache noserver; do
  echo "==> generator-build: $mode ($(mode_args "$mode")); $RUNS rounds of ${cases[*]} (wall-clock and CPU seconds)"
  for c in "${cases[@]}"; do run_case "$c" "$mode" >/dev/null; done # warm-up (and the server's start)
  for run in $(seq 1 "$RUNS"); do
    shift_by=$(((run - 1) % ${#cases[@]}))
    line="    round $run:"
    for k in $(seq 0 $((${#cases[@]} - 1))); do
      c=${cases[$(((k + shift_by) % ${#cases[@]}))]}
      run_case "$c" "$mode" >"$work/last"
      read -r wall cpu <"$work/last"
      printf '%s\t%s\twall\t%s\n%s\t%s\tcpu\t%s\n' "$mode" "$c" "$wall" "$mode" "$c" "$cpu" >>"$results"
      line+=" $c $wall ($cpu cpu),"
    done
    echo "${line%,}"
  done
  for run in $(seq 1 "$REPORT_RUNS"); do
    for c in on-mtl on-cs off-cs; do
      printf '%s\t%s\tgenerator\t%s\n' "$mode" "$c" "$(report_case "$c" "$mode")" >>"$results"
    done
  done
done
python3 "$here/generator-build/summary.py" "$results"

# ---- the pipeline in memory ------------------------------------------------------------------
echo "==> generator-build: the generator's pipeline in memory (generator-build/Driver.cs)"
mkdir -p "$work/driver"
cat >"$work/driver/Driver.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
  </PropertyGroup>
  <ItemGroup>
    <Compile Include="$here/generator-build/Driver.cs" />
    <!-- The Roslyn the generator is built against (Directory.Packages.props). -->
    <PackageReference Include="Microsoft.CodeAnalysis.CSharp" Version="4.8.0" />
    <Reference Include="$generator/Mtl.Generator.dll" />
    <Reference Include="$generator/Mtl.Dsl.dll" />
    <Reference Include="$generator/Mtl.Catalog.dll" />
  </ItemGroup>
</Project>
EOF
quiet dotnet build "$work/driver/Driver.csproj" -c Release -nologo -v:q -nr:false -p:UseSharedCompilation=false
dotnet "$work/driver/bin/Release/net10.0/Driver.dll" "$work/on/models" "$work/on/models/$edited" 15
