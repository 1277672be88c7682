#!/usr/bin/env bash
# A fork's start-up without and with the forks' class-data archive, interleaved (docs/performance.md §5).
#   scripts/startup-ab.sh [--rounds N] [--model NAME] [--jar PATH]
# Makes the archive first if this build has none (as java -jar benchmarks.jar would), fills the natives
# cache, then runs StartupProbe (milliseconds since JVM start) in N rounds (default 6), each round one JVM
# without the archive and one with it, the order alternating. Prints each round's lines, then for the
# total and for the start alone (JVM to main + natives and setup) the median of the per-round ratios
# with/without and their range. Both sides get the forks' -Xmx2g. Run it on a quiet machine.
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

root=$(cd "$(dirname "$0")/.." && pwd)
rounds=6
model=moe-cpu
jar="$root/benchmarks/target/benchmarks.jar"
need() { [[ $# -ge 2 && -n "$2" ]] || { echo "startup-ab: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) need "$@"; rounds="$2"; shift ;;
    --model) need "$@"; model="$2"; shift ;;
    --jar) need "$@"; jar="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "startup-ab: unknown option '$1'; allowed: --rounds N, --model NAME, --jar PATH, --help" >&2; exit 2 ;;
  esac
  shift
done
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "startup-ab: --rounds $rounds is not allowed; allowed: a whole number >= 1" >&2; exit 2; }
[[ -f "$jar" ]] || { echo "startup-ab: $jar not found; build it with mvn -B -q package -DskipTests, or give --jar" >&2; exit 2; }
jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")

mapfile -t cds < <(java -cp "$jar" knobs.benchmarks.ClassDataArchive --fork-args)
[[ ${#cds[@]} -gt 0 ]] || { echo "startup-ab: no class-data archive for $jar (the note above says why)" >&2; exit 1; }
common=(-Dorg.bytedeco.javacpp.maxphysicalbytes=0 -Xmx2g)
probe() { java "${common[@]}" "$@" -cp "$jar" knobs.benchmarks.StartupProbe "$model"; }
probe >/dev/null # the natives cache, and the model name checked

lines=()
for round in $(seq 1 "$rounds"); do
  if (( round % 2 )); then order=(without with); else order=(with without); fi
  for side in "${order[@]}"; do
    if [[ $side == with ]]; then line=$(probe "${cds[@]}"); else line=$(probe); fi
    echo "round=$round side=$side $line"
    lines+=("round=$round side=$side $line")
  done
done
printf '%s\n' "${lines[@]}" | awk -v rounds="$rounds" '
  { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    r = v["round"]; s = v["side"]
    total[r, s] = v["total_ms"]; start[r, s] = v["jvm_to_main_ms"] + v["natives_and_setup_ms"] }
  function report(name, a,    n, i, j, x, t, med) {
    n = 0
    for (i = 1; i <= rounds; i++) { x[++n] = a[i, "with"] / a[i, "without"] }
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    med = (n % 2) ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
    printf "%-34s median ratio with/without %.3f, range %.3f-%.3f, %d rounds\n", name, med, x[1], x[n], n
  }
  END { report("total (JVM start to model built)", total); report("start (JVM to main + natives, setup)", start) }'
