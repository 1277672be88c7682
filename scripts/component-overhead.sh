#!/usr/bin/env bash
# The component profiler's overhead: how much slower a step is with
# -prof knobs.harness.ComponentProfiler than without it.
#
# Every round runs each case twice, without (A) and with (B) the profiler, one JMH fork each,
# alternating which goes first (A B in odd rounds, B A in even ones) so a drift of the machine
# does not favour one side. Per round and case the ratio B/A of the median time per op is
# printed, then per case the median ratio over the rounds and its range. Cases: dense-cpu
# prefill of 128 tokens (SeqLenScaling) and moe-cpu top-8 prefill of 128 tokens (MoeTopK).
# 12 JVMs of about 5 s of iterations plus start-up each: an estimated 2-3 minutes on an idle 2-core
# machine (not timed there yet; a smoke run on a loaded one took 8 min). The numbers belong in docs/metrics.md
# ("Component profiler", overhead).
#
#   scripts/component-overhead.sh [--rounds N] [--out DIR] [--jmh "JMH TIMING OPTIONS"]
#
# Run it on an otherwise idle machine, after 'mvn -B -q package -DskipTests'.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3
OUT=target/component-overhead
JMH="-f 1 -wi 2 -w 1s -i 3 -r 1s"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    --jmh) JMH="${2:-}"; shift 2 ;;
    *) echo "component-overhead: unknown option '$1'; allowed: --rounds N (>= 3), --out DIR, --jmh \"OPTIONS\"" >&2; exit 2 ;;
  esac
done
case "$ROUNDS" in ''|*[!0-9]*) echo "component-overhead: --rounds '$ROUNDS' must be a whole number >= 3" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 3 ] || { echo "component-overhead: --rounds $ROUNDS: at least 3 rounds, for a median and a range" >&2; exit 2; }

JAR=benchmarks/target/benchmarks.jar
[ -f "$JAR" ] || { echo "component-overhead: $JAR is missing; run 'mvn -B -q package -DskipTests' first" >&2; exit 2; }
mkdir -p "$OUT"
: > "$OUT/summary.tsv"

PROFILER=knobs.harness.ComponentProfiler
CASES=(
  "dense-cpu-prefill|SeqLenScaling.prefill -p model=dense-cpu -p seqLen=128 -p batch=1"
  "moe-cpu-prefill|MoeTopK.forward -p model=moe-cpu -p topK=8 -p phase=prefill -p promptLen=128 -p batch=1"
)

# The primary metric's median over every iteration of a one-fork JMH JSON result, in ms.
median_ms() {
  local flat unit values
  flat=$(tr -d ' \n' < "$1")
  unit=$(printf '%s' "$flat" | sed -E 's/.*"primaryMetric":\{[^{]*"scorePercentiles":\{[^}]*\},"scoreUnit":"([^"]*)".*/\1/')
  values=$(printf '%s' "$flat" | sed -E 's/.*"primaryMetric":\{[^{]*"scorePercentiles":\{[^}]*\},"scoreUnit":"[^"]*","rawData":\[\[([^]]*)\]\].*/\1/')
  case "$unit" in
    ms/op) scale=1 ;; us/op) scale=0.001 ;; ns/op) scale=0.000001 ;; s/op) scale=1000 ;;
    *) echo "component-overhead: $1: unexpected unit '$unit'" >&2; exit 3 ;;
  esac
  printf '%s\n' "$values" | tr ',' '\n' | sort -g | awk -v s="$scale" '
    { v[NR] = $1 }
    END { if (NR == 0) { exit 3 } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f\n", m * s }'
}

run() {  # run NAME SIDE ROUND ARGS...
  local name=$1 side=$2 round=$3; shift 3
  local file="$OUT/$name-$side-r$round.json"
  local prof=()
  if [ "$side" = on ]; then prof=(-prof "$PROFILER"); fi
  # shellcheck disable=SC2086
  if ! java -jar "$JAR" "$@" $JMH "${prof[@]}" -rf json -rff "$file" > "$file.log" 2>&1; then
    echo "component-overhead: $name ($side, round $round) failed; see $file.log" >&2
    exit 1
  fi
  printf '%s\t%s\t%s\t%s\n' "$round" "$name" "$side" "$(median_ms "$file")" | tee -a "$OUT/summary.tsv"
}

for round in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    name="${c%%|*}"
    read -r -a args <<< "${c#*|}"
    if [ $((round % 2)) -eq 1 ]; then order="off on"; else order="on off"; fi
    for side in $order; do
      run "$name" "$side" "$round" "${args[@]}"
    done
  done
done

echo
echo "time with the profiler / without, per round (median of each run's iterations):"
for c in "${CASES[@]}"; do
  name="${c%%|*}"
  awk -F'\t' -v n="$name" '
    $2 == n { t[$1, $3] = $4; if ($1 > last) last = $1 }
    END {
      k = 0
      for (r = 1; r <= last; r++) { ratio[++k] = t[r, "on"] / t[r, "off"]; line = line sprintf(" r%d=%.3f", r, ratio[k]) }
      # sort the ratios (insertion sort: a handful of rounds)
      for (i = 2; i <= k; i++) { x = ratio[i]; j = i - 1; while (j > 0 && ratio[j] > x) { ratio[j + 1] = ratio[j]; j-- } ratio[j + 1] = x }
      med = (k % 2) ? ratio[(k + 1) / 2] : (ratio[k / 2] + ratio[k / 2 + 1]) / 2
      printf "  %-20s median %.3f  range %.3f-%.3f  (%d rounds:%s)\n", n, med, ratio[1], ratio[k], k, line
    }' "$OUT/summary.tsv"
done
