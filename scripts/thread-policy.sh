#!/usr/bin/env bash
# How each BLAS thread policy holds up when one other process keeps a core busy.
#
# For every round, runs each (policy, load) pair once, interleaved: policies A, B, C under a
# quiet machine and under one busy process (`yes > /dev/null`), for dense-cpu prefill 128,
# dense-cpu decode after 128, and moe-cpu top-8 prefill 128. Each run is one JMH fork with
# -wi 2 -i 5 -r 1; the medians land in OUT/summary.tsv, and the per-round ratios busy/quiet
# and policy/baseline are printed by the Python summary at the end (median and range).
#
#   scripts/thread-policy.sh [--rounds N] [--out DIR] [--policies "all 1 auto"]
#
# Run it on an otherwise idle machine: the "quiet" runs are only quiet if nothing else runs.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=3
OUT=target/thread-policy
POLICIES="all 1 auto"
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --policies) POLICIES="$2"; shift 2 ;;
    *) echo "thread-policy: unknown option '$1'; allowed: --rounds N, --out DIR, --policies LIST" >&2; exit 2 ;;
  esac
done
case "$ROUNDS" in ''|*[!0-9]*|0) echo "thread-policy: --rounds '$ROUNDS' must be a whole number >= 1" >&2; exit 2 ;; esac

JAR=benchmarks/target/benchmarks.jar
[ -f "$JAR" ] || { echo "thread-policy: $JAR is missing; run 'mvn -B -q package -DskipTests' first" >&2; exit 2; }
mkdir -p "$OUT"
: > "$OUT/summary.tsv"

CASES=(
  "dense-prefill|BlocksMask.forward -p model=dense-cpu -p activeBlocks=8 -p phase=prefill -p promptLen=128"
  "dense-decode|BlocksMask.forward -p model=dense-cpu -p activeBlocks=8 -p phase=decode -p promptLen=128"
  "moe8-prefill|MoeTopK.forward -p model=moe-cpu -p topK=8 -p phase=prefill -p promptLen=128"
)

busy_pid=""
stop_busy() { if [ -n "$busy_pid" ]; then kill "$busy_pid" 2>/dev/null || true; wait "$busy_pid" 2>/dev/null || true; busy_pid=""; fi; }
trap stop_busy EXIT

median_ms() {  # the primary metric's median over every fork and iteration, in ms
  python3 - "$1" <<'EOF'
import json, statistics, sys
r = json.load(open(sys.argv[1]))[0]["primaryMetric"]
vals = [v for fork in r["rawData"] for v in fork]
scale = {"ms/op": 1.0, "us/op": 1e-3, "ns/op": 1e-6, "s/op": 1e3}[r["scoreUnit"]]
print(statistics.median(vals) * scale)
EOF
}

for round in $(seq 1 "$ROUNDS"); do
  for c in "${CASES[@]}"; do
    name="${c%%|*}"; args="${c#*|}"
    for load in quiet busy; do
      for policy in $POLICIES; do
        stop_busy
        if [ "$load" = busy ]; then yes > /dev/null & busy_pid=$!; sleep 1; fi
        file="$OUT/$name-$load-$policy-r$round.json"
        # shellcheck disable=SC2086
        java -jar "$JAR" $args -f 1 -wi 2 -i 5 -r 1 -jvmArgsAppend "-Dknobs.threads=$policy" \
             -rf json -rff "$file" > "$file.log" 2>&1
        stop_busy
        printf '%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$load" "$policy" "$(median_ms "$file")" | tee -a "$OUT/summary.tsv"
      done
    done
  done
done

python3 - "$OUT/summary.tsv" "$POLICIES" <<'EOF'
import collections, statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines() if l]
policies = sys.argv[2].split()
t = {(r, n, l, p): float(ms) for r, n, l, p, ms in rows}
cases = sorted({n for _, n, _, _ in t})
rounds = sorted({r for r, _, _, _ in t})
def show(label, ratios):
    print(f"  {label:34s} median {statistics.median(ratios):5.2f}  range {min(ratios):.2f}-{max(ratios):.2f}")
for n in cases:
    print(n)
    for p in policies:
        show(f"busy/quiet, threads={p}", [t[(r, n, 'busy', p)] / t[(r, n, 'quiet', p)] for r in rounds])
    base = policies[0]
    for p in policies[1:]:
        for l in ("quiet", "busy"):
            show(f"{l}: threads={p} / threads={base}", [t[(r, n, l, p)] / t[(r, n, l, base)] for r in rounds])
        show(f"busy({p}) / quiet({base})", [t[(r, n, 'busy', p)] / t[(r, n, 'quiet', base)] for r in rounds])
EOF
