#!/usr/bin/env bash
# Runs a benchmark sweep and its report (see docs/running.md).
#   scripts/run-all.sh --quick              # every knob at a few settings: a few minutes on 2 cores
#   scripts/run-all.sh                      # every knob's full default sweep (long)
#   scripts/run-all.sh --sweep FILE|NAME    # a sweep file, or a preset: quick, full, gpu
#   scripts/run-all.sh --out DIR --resume   # continue a killed or failed sweep in DIR (its stored definition)
#   scripts/run-all.sh --shard 2/4          # this machine's quarter of the configurations
#   scripts/run-all.sh --interleave 3       # every configuration as 3 single-fork repetitions, interleaved
#   scripts/run-all.sh --retry-noisy 1      # re-run noisy or contended configurations once
#   scripts/run-all.sh --quiet              # one line per configuration (CI logs)
#   scripts/run-all.sh --no-build           # reuse the jars already built
#   scripts/run-all.sh --quick -- -prof knobs.harness.NoiseProfiler -jvmArgsAppend -Dx=1
#                                           # JMH options after --, added to every line of the sweep
# Also passed to the runner: --seed S, --timeout DUR, --lock-wait DUR (see docs/running.md).
# Builds the jars first (mvn package), so it works from a fresh clone. Exit codes: the runner's
# (0 all recorded, 1 some configurations failed, 2 bad usage or input, 3 internal error, 4 JMH lock held).
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

root=$(cd "$(dirname "$0")/.." && pwd)
sweep=""
build=1
out=""
extra=()
jmh=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; jmh=("$@"); break ;;
    --quick) sweep=quick ;;
    --sweep|--out|--shard|--interleave|--retry-noisy|--seed|--timeout|--lock-wait)
      [[ $# -ge 2 && -n "$2" ]] || { echo "run-all: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --sweep) sweep="$2" ;;
        --out) out="$2" ;;
        *) extra+=("$1" "$2") ;;
      esac
      shift ;;
    --resume|--quiet) extra+=("$1") ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-all: unknown option '$1'; allowed: --quick, --sweep FILE|NAME, --out DIR, --resume, --shard I/N, --interleave N, --retry-noisy K, --seed S, --timeout DUR, --lock-wait DUR, --quiet, --no-build, --help, then -- JMH options" >&2; exit 2 ;;
  esac
  shift
done
resume=0
[[ " ${extra[*]-} " == *" --resume "* ]] && resume=1
if [[ $resume -eq 1 && -z "$out" ]]; then
  echo "run-all: --resume needs --out DIR (the sweep to continue)" >&2; exit 2
fi
# A resumed sweep runs the definition stored in DIR/sweep.json; a new one defaults to the full sweep.
[[ -n "$sweep" || $resume -eq 1 ]] || sweep=full

command -v java >/dev/null || { echo "run-all: java (JDK 17) is not on PATH" >&2; exit 2; }
if [[ $build -eq 1 ]]; then
  command -v mvn >/dev/null || { echo "run-all: mvn is not on PATH (or pass --no-build with jars already built)" >&2; exit 2; }
  echo "==> building (mvn -B -q package -DskipTests)"
  (cd "$root" && mvn -B -q package -DskipTests)
fi
bench="$root/benchmarks/target/benchmarks.jar"
reports="$root/reports/target/reports.jar"
for jar in "$bench" "$reports"; do
  [[ -f "$jar" ]] || { echo "run-all: $jar is missing; run without --no-build" >&2; exit 2; }
done
sweep_arg=()
if [[ -n "$sweep" ]]; then
  if [[ -f "$sweep" ]]; then
    sweep=$(cd "$(dirname "$sweep")" && pwd)/$(basename "$sweep")
  fi
  sweep_arg=(--sweep "$sweep")
fi
[[ -n "$out" ]] || out="$root/results/$(date -u +%Y%m%dT%H%M%SZ)-$(basename "$sweep")"

jmh_arg=()
[[ ${#jmh[@]} -eq 0 ]] || jmh_arg=(-- "${jmh[@]}")
exec java -cp "$bench" knobs.benchmarks.sweep.SweepMain ${sweep_arg[@]+"${sweep_arg[@]}"} --out "$out" --reports "$reports" ${extra[@]+"${extra[@]}"} ${jmh_arg[@]+"${jmh_arg[@]}"}
