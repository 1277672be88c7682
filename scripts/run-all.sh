#!/usr/bin/env bash
# Runs the benchmark sweep and its report.
#   scripts/run-all.sh --quick            # a few minutes on 2 cores: the CI smoke sweep
#   scripts/run-all.sh                    # the full default sweep
#   scripts/run-all.sh --out DIR          # where results go (default results/<UTC time>)
#   scripts/run-all.sh --no-build         # reuse the jars already built
# Builds the jars first (mvn package), so it works from a fresh clone.
set -euo pipefail

usage() {
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
}

root=$(cd "$(dirname "$0")/.." && pwd)
quick=0
build=1
out=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --out)
      [[ $# -ge 2 && -n "$2" ]] || { echo "run-all: --out needs a folder" >&2; exit 2; }
      out="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run-all: unknown option '$1'; allowed: --quick, --out DIR, --no-build, --help" >&2; exit 2 ;;
  esac
  shift
done

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

[[ -n "$out" ]] || out="$root/results/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out/raw"
out=$(cd "$out" && pwd)
raw="$out/raw"
# Forks write their environment sidecar into ./knobs-env: running from $raw puts it beside the JMH
# JSON, where `reports summarize` finds it. (No -jvmArgsAppend: it would replace the classes' own fork flags.)
common=(-foe true -rf json)

if [[ $quick -eq 1 ]]; then
  # Short iterations: enough for a median and the report, not for publication-grade numbers.
  timing=(-wi 1 -w 500ms -i 3 -r 500ms -f 1)
  moe=(-p topK=1,8 -p phase=prefill,decode)
  context=(-p crops=1,6,12)
else
  timing=()
  moe=()
  context=()
fi

run() { # name, include regex, extra args...
  local name="$1" include="$2"; shift 2
  echo "==> $name"
  (cd "$raw" && java -jar "$bench" "$include" "${common[@]}" -rff "$raw/$name.json" "$@")
}

run calibration 'knobs\.benchmarks\.Calibration\.' "${timing[@]}"
run moe-topk 'knobs\.benchmarks\.MoeTopK\.' "${timing[@]}" "${moe[@]}"
run context-scaling 'knobs\.benchmarks\.ContextScaling\.' "${timing[@]}" "${context[@]}"

echo "==> report"
java -jar "$reports" summarize "$raw"/*.json --out "$out/report"
echo "Report: $out/report/summary.json (also summary.csv, samples.csv)"
