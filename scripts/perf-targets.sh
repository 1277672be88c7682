#!/usr/bin/env bash
# Measures the performance targets of issue 18 (docs/performance.md) in interleaved rounds, in one sitting.
#   scripts/perf-targets.sh --out DIR [--rounds N] [--targets LIST] [--no-build] [--jmh ARGS] [--eager ARGS]
#   scripts/perf-targets.sh --self-test     # tests of the aggregation and case tables (no torch, no JVM)
# Each round runs every selected item once, the order rotated by one item per round; a paired case
# runs Knobs (one JMH fork: --jmh, default '-f 1 -wi 2 -i 5 -r 1') and then its eager twin
# (scripts/pytorch-parity.py --case KEY --threads 1; --eager, default '--samples 5 --min-run-time 1').
# Per round: ratio = Knobs median / eager median; per case: median of the rounds' ratios and range.
# --targets: 1 forward, 2 backward, 3 moe (roofline %, Knobs only), 4 tinyop, 5 startup (Knobs only),
#   moe-eager (MoE and dense layers against eager, no threshold); default 1,2,3,4,5. --rounds: default 3.
# Writes DIR/rounds/r<i>/ (raw JMH and eager files), DIR/ratios.json and DIR/ratios.md.
# PYTHON names the interpreter with torch (default python3, else Debian's /usr/bin/python3); eager's
# OpenBLAS threads are its default unless OPENBLAS_NUM_THREADS is set. Run it on a quiet machine.
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

root=$(cd "$(dirname "$0")/.." && pwd)
out=""
build=1
rounds=3
targets="1,2,3,4,5"
jmh_args="-f 1 -wi 2 -i 5 -r 1"
eager_args="--samples 5 --min-run-time 1"
need() { [[ $# -ge 2 && -n "$2" ]] || { echo "perf-targets: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) need "$@"; out="$2"; shift ;;
    --rounds) need "$@"; rounds="$2"; shift ;;
    --targets) need "$@"; targets="$2"; shift ;;
    --jmh) need "$@"; jmh_args="$2"; shift ;;
    --eager) need "$@"; eager_args="$2"; shift ;;
    --no-build) build=0 ;;
    --self-test) exec "$(command -v python3 || echo /usr/bin/python3)" "$root/scripts/perf_ratios.py" --self-test ;;
    -h|--help) usage; exit 0 ;;
    *) echo "perf-targets: unknown option '$1'; allowed: --out DIR, --rounds N, --targets LIST, --jmh ARGS, --eager ARGS, --no-build, --self-test, --help" >&2; exit 2 ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "perf-targets: --out DIR is required" >&2; exit 2; }
case "$rounds" in ''|*[!0-9]*|0*) echo "perf-targets: --rounds '$rounds' must be a whole number >= 1" >&2; exit 2 ;; esac
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "perf-targets: '$out' exists and is not empty; choose a new folder" >&2
  exit 2
fi
# the aggregation needs only a python3; eager needs one with torch
agg_py=$(command -v python3 || true)
[[ -n "$agg_py" ]] || agg_py=/usr/bin/python3
ratios() { "$agg_py" "$root/scripts/perf_ratios.py" "$@"; }
plan=$(ratios plan --targets "$targets") # exits 2 naming the allowed targets
if grep -q '^pair' <<<"$plan"; then
  py=${PYTHON:-python3}
  if ! "$py" -c 'import torch' 2>/dev/null; then
    if [[ -z "${PYTHON:-}" ]] && /usr/bin/python3 -c 'import torch' 2>/dev/null; then
      py=/usr/bin/python3 # Debian's python3-torch, when another python3 comes first on PATH
    else
      echo "perf-targets: targets '$targets' need PyTorch for $py (Debian: apt-get install python3-torch libopenblas0-pthread; or set PYTHON)" >&2
      exit 2
    fi
  fi
fi
if [[ $build == 1 ]]; then
  (cd "$root" && mvn -B -q package -DskipTests)
fi
jar="$root/benchmarks/target/benchmarks.jar"
reports="$root/reports/target/reports.jar"
for f in "$jar" "$reports"; do
  [[ -f "$f" ]] || { echo "perf-targets: $f is missing; run without --no-build (or mvn -B -q package -DskipTests)" >&2; exit 2; }
done
mkdir -p "$out/rounds"
out=$(cd "$out" && pwd)
mapfile -t items <<<"$plan"
read -r -a jmh_opts <<<"$jmh_args"
read -r -a eager_opts <<<"$eager_args"

jmh() { # DIR NAME JMH-ARGS...: one JMH run from DIR (its forks' environment sidecars land in DIR/knobs-env)
  local dir=$1 name=$2; shift 2
  if ! (cd "$dir" && java -jar "$jar" "$@" "${jmh_opts[@]}" -rf json -rff "$dir/$name.knobs.json") > "$dir/$name.knobs.log" 2>&1 \
      || [[ ! -s "$dir/$name.knobs.json" ]]; then
    echo "perf-targets: JMH run '$name' failed (see $dir/$name.knobs.log):" >&2
    tail -n 5 "$dir/$name.knobs.log" >&2
    rm -f "$dir/$name.knobs.json"
    return 1
  fi
}

failed=0
for round in $(seq 1 "$rounds"); do
  dir="$out/rounds/r$round"
  mkdir -p "$dir"
  n=${#items[@]}
  for ((j = 0; j < n; j++)); do
    IFS=$'\t' read -r -a f <<<"${items[$(((j + round - 1) % n))]}" # rotate the order by one item per round
    kind=${f[0]} id=${f[1]}
    echo "== round $round/$rounds: $kind $id"
    case "$kind" in
      pair)
        jmh "$dir" "$id" "${f[@]:3}" || { failed=1; continue; }
        if ! "$py" "$root/scripts/pytorch-parity.py" --out "$dir/$id.eager" --case "${f[2]}" --threads "${PARITY_THREADS:-1}" \
            "${eager_opts[@]}" > "$dir/$id.eager.log" 2>&1; then
          echo "perf-targets: eager run '$id' failed (see $dir/$id.eager.log):" >&2
          tail -n 5 "$dir/$id.eager.log" >&2
          failed=1
        fi ;;
      ceiling)
        jmh "$dir" "$id" "${f[@]:2}" || failed=1 ;;
      roofline)
        mapfile -t -d $'\t' moe < <(ratios roofline-args | tr -d '\n')
        if jmh "$dir" calibration 'knobs\.benchmarks\.Calibration\.' && jmh "$dir" moe-roofline "${moe[@]}"; then
          java -jar "$reports" summarize "$dir/calibration.knobs.json" "$dir/moe-roofline.knobs.json" \
            --out "$dir/moe-report" --no-plots > "$dir/moe-report.log" 2>&1 \
            || { echo "perf-targets: reports summarize failed (see $dir/moe-report.log)" >&2; failed=1; }
        else
          failed=1
        fi ;;
      startup)
        # natives cache filled once, then fresh JVMs, each timed by StartupProbe itself
        if ! java -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -cp "$jar" knobs.benchmarks.StartupProbe moe-cpu > "$dir/startup.log" 2>&1; then
          echo "perf-targets: StartupProbe failed (see $dir/startup.log)" >&2
          failed=1
          continue
        fi
        for ((s = 0; s < 5; s++)); do
          java -Dorg.bytedeco.javacpp.maxphysicalbytes=0 -cp "$jar" knobs.benchmarks.StartupProbe moe-cpu
        done > "$dir/startup.txt.part" && mv "$dir/startup.txt.part" "$dir/startup.txt" || failed=1 ;;
    esac
  done
done
ratios aggregate "$out" --rounds "$rounds" --targets "$targets"
echo "wrote $out/ratios.md and $out/ratios.json"
[[ $failed == 0 ]] || { echo "perf-targets: some runs failed; ratios.md lists what is missing" >&2; exit 1; }
