#!/usr/bin/env bash
# Measures the performance targets of docs/performance.md on this machine, in one sitting.
#   scripts/perf-targets.sh --out DIR             # JMH runs + start-up probe, then reports summarize
#   scripts/perf-targets.sh --out DIR --python    # also PyTorch eager (scripts/pytorch-parity.py) and reports compare
#   scripts/perf-targets.sh --no-build            # reuse the jars already built
# PYTHON names the interpreter with torch (default python3, else Debian's /usr/bin/python3).
# Writes DIR/jmh/*.json, DIR/startup.txt, DIR/report/ (summarize), and with --python DIR/python/summary.json
# and DIR/compare/ (Java against eager: ratio = Java time / eager time). Run it on a quiet machine.
set -euo pipefail

usage() {
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
}

root=$(cd "$(dirname "$0")/.." && pwd)
out=""
build=1
python=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out)
      [[ $# -ge 2 && -n "$2" ]] || { echo "perf-targets: --out needs a value" >&2; exit 2; }
      out="$2"; shift ;;
    --python) python=1 ;;
    --no-build) build=0 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "perf-targets: unknown option '$1'; allowed: --out DIR, --python, --no-build, --help" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "perf-targets: --out DIR is required" >&2; exit 2; }
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "perf-targets: '$out' exists and is not empty; choose a new folder" >&2
  exit 2
fi
py=${PYTHON:-python3}
if [[ $python == 1 ]] && ! "$py" -c 'import torch' 2>/dev/null; then
  if [[ -z "${PYTHON:-}" ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    py=/usr/bin/python3 # Debian's python3-torch, when another python3 comes first on PATH
  else
    echo "perf-targets: --python needs PyTorch for $py (Debian: apt-get install python3-torch libopenblas0-pthread; or set PYTHON)" >&2
    exit 2
  fi
fi
if [[ $build == 1 ]]; then
  (cd "$root" && mvn -B -q package -DskipTests)
fi
jar="$root/benchmarks/target/benchmarks.jar"
reports="$root/reports/target/reports.jar"
mkdir -p "$out/jmh"
out=$(cd "$out" && pwd)
jmh() { # name, then JMH arguments
  local name=$1; shift
  # run from DIR/jmh so that the forks' environment sidecars land in DIR/jmh/knobs-env, beside the results
  (cd "$out/jmh" && java -jar "$jar" "$@" -rf json -rff "$out/jmh/$name.json") | grep -E '^(Benchmark|[A-Za-z]+\.[a-zA-Z]+ )' || true
  [[ -s "$out/jmh/$name.json" ]] || { echo "perf-targets: JMH run '$name' wrote no result" >&2; exit 1; }
}

echo "== 5. start-up: JVM + natives + moe-cpu built, 5 fresh JVMs"
java -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -cp "$jar" knobs.benchmarks.StartupProbe moe-cpu >/dev/null # fills the natives cache
for i in 1 2 3 4 5; do
  java -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -cp "$jar" knobs.benchmarks.StartupProbe moe-cpu
done | tee "$out/startup.txt"
echo "== ceilings: Calibration"
jmh calibration 'knobs.benchmarks.Calibration'
echo "== 1. MoE dispatch: MoeDispatch.moe against MoeDispatch.dense, one run"
jmh moe-dispatch 'knobs.benchmarks.MoeDispatch'
echo "== 2. dispatch overhead: Overhead"
jmh overhead 'knobs.benchmarks.Overhead'
echo "== 3. decode: OutputTokens on decode-tiny, prompt 16, 32 tokens"
jmh decode 'knobs.benchmarks.OutputTokens' -p model=decode-tiny -p promptLen=16 -p maxNewTokens=32 -wi 2 -i 5
echo "== 4. compute-bound: ModelSize small forward, batch 4, context 128"
jmh small-forward 'knobs.benchmarks.ModelSize' -p size=small -p pass=forward -p batchSize=4 -p contextLength=128
java -jar "$reports" summarize "$out"/jmh/*.json --out "$out/report" --no-plots
if [[ $python == 1 ]]; then
  echo "== PyTorch eager (torch.utils.benchmark), the same configurations"
  "$py" "$root/scripts/pytorch-parity.py" --out "$out/python" --threads "${PARITY_THREADS:-1}"
  java -jar "$reports" compare "$out/python" "$out/report" --out "$out/compare" || [[ $? == 1 ]] # 1 = slower than eager somewhere
fi
echo "wrote $out"
