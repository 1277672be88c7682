#!/usr/bin/env bash
# CI benchmark recipe (docs/regressions.md, "In CI"): a smoke sweep and its report, a comparison with a
# baseline run, the run added to a history store, exports for dashboards, and the Markdown for a job
# summary and a pull-request comment — all of it in one folder for the CI job to upload.
#   scripts/ci-bench.sh [--baseline DIR] [--baseline-label TEXT] [--out DIR] [--sweep FILE] [--run DIR]
#                       [--shard I/N] [--history DIR] [--no-record] [--normalize] [--commit ID] [--no-build]
#   --baseline DIR   the baseline run: an earlier OUT of this script (e.g. the default branch's downloaded
#                    artifact) or any run `reports compare` reads
#   --baseline-label TEXT  what the baseline is, for the summary (e.g. "main @ 1a2b3c4, run 123")
#   --out DIR        where everything goes (default: results/ci-bench); must not hold an earlier run
#   --sweep FILE     the sweep (default: scripts/ci-sweep.txt, 6 forks × 3 iterations: about six and a half minutes on 2 cores)
#   --run DIR        do not run the sweep: use this sweep folder (e.g. `reports merge` of a CI matrix's shards),
#                    copied to OUT/sweep; its report is made if it has none
#   --shard I/N      run shard I of N of the sweep into OUT/sweep and stop (a CI matrix job; merge the shards,
#                    then run this script with --run)
#   --history DIR    the history store to start from (e.g. history/ of the benchmark-data branch); default:
#                    the baseline's history/, if any
#   --no-record      do not add this run to the history (pull requests): no OUT/history, no trend page
#   --normalize      compare times normalized by each run's own Calibration ceilings (runners differ)
#   --commit ID      the code version recorded in the history (default: $GITHUB_SHA, else git HEAD)
#   --no-build       reuse the jars already built
# Report-only: timing differences, regressions included, never make it fail. It exits non-zero only
# when the tooling itself breaks (build, sweep runner, reports) — 1 — or on bad usage — 2.
# KNOBS_REPORTS_CP, when set, runs reports from that class path instead of reports/target/reports.jar.
set -euo pipefail

usage() {
  # The comment block at the top of this file, without its '#'.
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

# The marker by which scripts/ci-comment.sh finds this job's pull-request comment to update it.
marker='<!-- knobs-bench -->'
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/results/ci-bench"
sweep="$root/scripts/ci-sweep.txt"
baseline=""
baseline_label=""
run=""
shard=""
history=""
record=1
commit=""
normalize=()
build=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --baseline|--baseline-label|--out|--sweep|--run|--shard|--history|--commit)
      [[ $# -ge 2 && -n "$2" ]] || { echo "ci-bench: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --baseline) baseline="$2" ;;
        --baseline-label) baseline_label="$2" ;;
        --out) out="$2" ;;
        --sweep) sweep="$2" ;;
        --run) run="$2" ;;
        --shard) shard="$2" ;;
        --history) history="$2" ;;
        --commit) commit="$2" ;;
      esac
      shift ;;
    --no-record) record=0 ;;
    --normalize) normalize=(--normalize ceilings) ;;
    --no-build) build=(--no-build) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci-bench: unknown option '$1'; allowed: --baseline DIR, --baseline-label TEXT, --out DIR, --sweep FILE, --run DIR, --shard I/N, --history DIR, --no-record, --normalize, --commit ID, --no-build, --help" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n "$run" && -n "$shard" ]]; then
  echo "ci-bench: --run and --shard exclude each other: --shard runs a part of the sweep, --run takes a finished one" >&2; exit 2
fi
if [[ -n "$shard" && ! "$shard" =~ ^[1-9][0-9]*/[1-9][0-9]*$ ]]; then
  echo "ci-bench: --shard '$shard' is not I/N with 1 <= I <= N, e.g. 2/4" >&2; exit 2
fi
if [[ -n "$run" && ! -d "$run/results" && ! -d "$run/sweep/results" ]]; then
  echo "ci-bench: --run '$run' is not a sweep folder (no results/ in it)" >&2; exit 2
fi
if [[ -n "$history" && ! -d "$history" ]]; then
  echo "ci-bench: --history '$history' is not a folder" >&2; exit 2
fi
[[ -n "$run" || -f "$sweep" ]] || { echo "ci-bench: sweep file '$sweep' not found" >&2; exit 2; }
if [[ -e "$out" && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "ci-bench: '$out' already holds files; remove it or pass another --out" >&2; exit 2
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [[ -z "$commit" ]]; then
  commit=${GITHUB_SHA:-$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)}
fi
if [[ -n "${KNOBS_REPORTS_CP:-}" ]]; then
  reports=(java -cp "$KNOBS_REPORTS_CP" knobs.reports.Main)
else
  reports=(java -jar "$root/reports/target/reports.jar")
fi
notes=()
# reports runs inside OUT with paths relative to it, so that no file it writes (the comparison's
# headline, history entries, the report) names this machine's folders.
in_out() {
  (cd "$out" && "${reports[@]}" "$@")
}
# A path as seen from OUT (absolute where realpath cannot say).
from_out() {
  realpath -m --relative-to="$out" "$1" 2>/dev/null || realpath "$1" 2>/dev/null || echo "$1"
}

# 1. The sweep: run here (all of it, or one shard), or taken from --run. The runner writes sweep/report/
# itself. Exit 1 means some configuration failed (recorded in sweep/failed/, listed in the report) — unless
# the report is missing, which means the tooling broke.
if [[ -n "$run" ]]; then
  [[ -d "$run/results" ]] || run="$run/sweep"
  echo "==> sweep taken from $run -> $out/sweep"
  cp -R "$run" "$out/sweep"
  if [[ ! -s "$out/sweep/report/summary.json" ]]; then
    inputs=()
    for f in "$out/sweep/results/"*.json; do
      [[ -f "$f" ]] && inputs+=("sweep/results/$(basename "$f")")
    done
    failed_arg=()
    if [[ -d "$out/sweep/failed" ]]; then
      failed_arg=(--failed sweep/failed)
    fi
    if [[ ${#inputs[@]} -gt 0 ]]; then
      in_out summarize "${inputs[@]}" ${failed_arg[@]+"${failed_arg[@]}"} --out sweep/report > /dev/null \
        || { echo "ci-bench: reports summarize failed on $run" >&2; exit 1; }
    fi
  fi
  [[ -s "$out/sweep/report/summary.json" ]] || { echo "ci-bench: $run holds no result to report" >&2; exit 1; }
  if compgen -G "$out/sweep/failed/*.json" > /dev/null; then
    notes+=("Some configurations failed; see sweep/failed/ and the report's \"Failed configurations\".")
  fi
else
  shard_arg=()
  [[ -n "$shard" ]] && shard_arg=(--shard "$shard")
  echo "==> sweep $(basename "$sweep")${shard:+ shard $shard} -> $out/sweep"
  set +e
  "$root/scripts/run-all.sh" --sweep "$sweep" --out "$out/sweep" --quiet ${shard_arg[@]+"${shard_arg[@]}"} ${build[@]+"${build[@]}"}
  status=$?
  set -e
  if [[ $status -ne 0 ]]; then
    if [[ $status -eq 1 && -s "$out/sweep/report/summary.json" ]]; then
      notes+=("Some configurations failed; see sweep/failed/ and the report's \"Failed configurations\".")
    else
      echo "ci-bench: the sweep did not produce its report (exit $status)" >&2; exit 1
    fi
  fi
  if [[ -n "$shard" ]]; then
    echo "==> done: shard $shard in $out/sweep (merge the shards with reports merge, then ci-bench.sh --run)"
    exit 0
  fi
fi
# JMH results (a sweep writes one file per configuration; a merged or hand-made run may hold more in one).
results=$(cat "$out/sweep/results/"*.json 2> /dev/null | grep -c '"benchmark" *:' || true)
failures=0
if [[ -d "$out/sweep/failed" ]]; then
  failures=$(find "$out/sweep/failed" -maxdepth 1 -name '*.json' ! -name '.*' | wc -l)
fi

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
  in_out compare "$(from_out "$baseline_run")" sweep --out compare ${normalize[@]+"${normalize[@]}"} > /dev/null 2> "$out/compare.log"
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

# 3. History: the given store (else the baseline's), plus this run, and its trend page; with --no-record
# (pull requests) nothing is recorded. Damaged entries in a downloaded store are reported by history
# show and skipped.
if [[ $record -eq 1 ]]; then
  mkdir -p "$out/history"
  from=""
  if [[ -n "$history" ]]; then
    from="$history"
  elif [[ -n "$baseline" && -d "$baseline/history" ]]; then
    from="$baseline/history"
  fi
  if [[ -n "$from" ]] && compgen -G "$from/*.json" > /dev/null; then
    cp -p "$from/"*.json "$out/history/"
  fi
  in_out history add sweep --store history --commit "$commit"
  in_out history show --store history --out history-report
fi

# 4. Exports for dashboards: times (smaller is better), rates (bigger is better), Bencher's BMF with
# latency, throughput (tokens/s) and the costs.
mkdir -p "$out/export"
in_out export sweep --format github-action-benchmark --out export/github-action-benchmark.json
in_out export sweep --format github-action-benchmark-bigger --out export/github-action-benchmark-bigger.json
in_out export sweep --format bencher --secondary --out export/bencher.json 2> "$out/export.log"
cat "$out/export.log" >&2

# 5. The Markdown for the job summary, and the same behind the marker for the pull-request comment.
{
  echo "## Knobs benchmarks (report only)"
  echo
  echo "Commit \`$commit\`: $results configurations measured, $failures failed.${baseline_label:+ Baseline: $baseline_label.}"
  echo "Files (in CI, the \`knobs-bench\` artifact): report \`sweep/report/index.html\`, comparison \`compare/\`,"
  if [[ $record -eq 1 ]]; then
    echo "trends \`history-report/index.html\`, dashboards \`export/\`."
  else
    echo "dashboards \`export/\` (this run is not recorded in the history)."
  fi
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
{
  echo "$marker"
  cat "$out/summary.md"
} > "$out/comment.md"
if [[ $record -eq 1 ]]; then
  echo "==> done: $out (summary.md, comment.md, sweep/, compare/, history/, history-report/, export/)"
else
  echo "==> done: $out (summary.md, comment.md, sweep/, compare/, export/; not recorded in the history)"
fi
