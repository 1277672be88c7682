#!/usr/bin/env bash
# CI benchmark recipe (docs/regressions.md): a smoke sweep and its report, a comparison with the
# previous run, the run added to a history carried from run to run, exports for dashboards — all of
# it in one folder for the CI job to upload.
#   scripts/ci-bench.sh [--baseline DIR] [--out DIR] [--sweep FILE] [--normalize] [--commit ID] [--no-build]
#   --baseline DIR  the previous run's folder (this script's --out of an earlier run, e.g. the downloaded
#                   artifact), or any run `reports compare` reads; its history/ is carried over
#   --out DIR       where everything goes (default: results/ci-bench); must not hold an earlier run
#   --sweep FILE    the sweep (default: scripts/ci-sweep.txt, 6 forks × 3 iterations: about six and a half minutes on 2 cores)
#   --normalize     compare times normalized by each run's own Calibration ceilings (runners differ)
#   --commit ID     the code version recorded in the history (default: $GITHUB_SHA, else git HEAD)
#   --no-build      reuse the jars already built
# Report-only: timing differences, regressions included, never make it fail. It exits non-zero only
# when the tooling itself breaks (build, sweep runner, reports) — 1 — or on bad usage — 2.
set -euo pipefail

usage() {
  # The comment block at the top of this file, without its '#'.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/results/ci-bench"
sweep="$root/scripts/ci-sweep.txt"
baseline=""
commit=""
normalize=()
build=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --baseline|--out|--sweep|--commit)
      [[ $# -ge 2 && -n "$2" ]] || { echo "ci-bench: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --baseline) baseline="$2" ;;
        --out) out="$2" ;;
        --sweep) sweep="$2" ;;
        --commit) commit="$2" ;;
      esac
      shift ;;
    --normalize) normalize=(--normalize ceilings) ;;
    --no-build) build=(--no-build) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci-bench: unknown option '$1'; allowed: --baseline DIR, --out DIR, --sweep FILE, --normalize, --commit ID, --no-build, --help" >&2; exit 2 ;;
  esac
  shift
done
[[ -f "$sweep" ]] || { echo "ci-bench: sweep file '$sweep' not found" >&2; exit 2; }
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "ci-bench: '$out' already holds files; remove it or pass another --out" >&2; exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -z "$commit" ]]; then
  commit=${GITHUB_SHA:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}
fi
reports=(java -jar "$root/reports/target/reports.jar")
notes=()

# 1. The sweep; the runner writes sweep/report/ itself. Exit 1 means some configuration failed (recorded
# in sweep/failed/, listed in the report) — unless the report is missing, which means the tooling broke.
echo "==> sweep $(basename "$sweep") -> $out/sweep"
set +e
"$root/scripts/run-all.sh" --sweep "$sweep" --out "$out/sweep" --quiet "${build[@]}"
status=$?
set -e
if [[ $status -ne 0 ]]; then
  if [[ $status -eq 1 && -s "$out/sweep/report/summary.json" ]]; then
    notes+=("Some configurations failed; see sweep/failed/ and the report's \"Failed configurations\".")
  else
    echo "ci-bench: the sweep did not produce its report (exit $status)" >&2; exit 1
  fi
fi
results=$(find "$out/sweep/results" -maxdepth 1 -name '*.json' ! -name '.*' | wc -l)
failures=$(find "$out/sweep/failed" -maxdepth 1 -name '*.json' ! -name '.*' 2>/dev/null | wc -l)

# 2. Comparison with the baseline. compare exits 1 on a regression (outputs written) and 2 on a baseline
# it cannot read (reported, not fatal: the artifact may be from an older format or damaged).
baseline_run=""
if [[ -n "$baseline" ]]; then
  if [[ -d "$baseline/sweep" ]]; then
    baseline_run="$baseline/sweep"
  elif [[ -e "$baseline" ]]; then
    baseline_run="$baseline"
  else
    notes+=("No baseline at '$baseline': nothing compared.")
  fi
fi
if [[ -n "$baseline_run" ]]; then
  echo "==> compare $baseline_run $out/sweep"
  set +e
  "${reports[@]}" compare "$baseline_run" "$out/sweep" --out "$out/compare" "${normalize[@]}" > /dev/null 2> "$out/compare.log"
  status=$?
  set -e
  cat "$out/compare.log" >&2
  if [[ $status -eq 0 || ( $status -eq 1 && -s "$out/compare/comparison.md" ) ]]; then
    [[ $status -eq 1 ]] && notes+=("Regressions found (report only: this job does not fail on timing).")
  elif [[ $status -eq 2 ]]; then
    notes+=("The baseline could not be compared: $(head -n 1 "$out/compare.log")")
  else
    echo "ci-bench: reports compare failed (exit $status)" >&2; exit 1
  fi
fi

# 3. History: the baseline's store (if any) plus this run, and its trend page. Damaged entries in a
# downloaded store are reported by history show and skipped.
mkdir -p "$out/history"
if [[ -n "$baseline" ]] && compgen -G "$baseline/history/*.json" > /dev/null; then
  cp -p "$baseline/history/"*.json "$out/history/"
fi
"${reports[@]}" history add "$out/sweep" --store "$out/history" --commit "$commit"
"${reports[@]}" history show --store "$out/history" --out "$out/history-report"

# 4. Exports for dashboards.
mkdir -p "$out/export"
"${reports[@]}" export "$out/sweep" --format github-action-benchmark --out "$out/export/github-action-benchmark.json"
"${reports[@]}" export "$out/sweep" --format bencher --out "$out/export/bencher.json"

# 5. The Markdown for the job summary.
{
  echo "## Knobs benchmarks (report only)"
  echo
  echo "Commit \`$commit\`: $results configurations measured, $failures failed. Report: \`sweep/report/index.html\`;"
  echo "trends: \`history-report/index.html\`; dashboards: \`export/\`."
  echo
  for note in "${notes[@]+"${notes[@]}"}"; do
    echo "- $note"
  done
  if [[ ${#notes[@]} -gt 0 ]]; then
    echo
  fi
  if [[ -s "$out/compare/comparison.md" ]]; then
    cat "$out/compare/comparison.md"
  elif [[ -z "$baseline" ]]; then
    echo "No baseline given (first run?): nothing compared."
  fi
} > "$out/summary.md"
echo "==> done: $out (summary.md, sweep/, compare/, history/, history-report/, export/)"
