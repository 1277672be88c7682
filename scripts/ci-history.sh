#!/usr/bin/env bash
# The benchmark history on a data branch (docs/regressions.md, "In CI"): a branch of its own (default
# benchmark-data) holding history/<id>.json, one `reports history` entry per recorded run of the default
# branch. Entries are named by a hash of their content, so two runs never touch the same file and a
# publish that lost a race is simply fetched, re-applied and pushed again.
#   scripts/ci-history.sh fetch   --into DIR [--remote R] [--branch B]
#   scripts/ci-history.sh publish --store DIR [--remote R] [--branch B] [--message TEXT] [--attempts N]
#   fetch     copies the branch's history/*.json into DIR (created; left empty when the branch does not exist yet)
#   publish   adds the entries of DIR (e.g. ci-bench.sh's OUT/history) that the branch lacks, commits and pushes;
#             creates the branch (an orphan: no code, only data) on first use; retries a rejected push
#   --remote R   the remote (default: origin);  --branch B   the data branch (default: benchmark-data)
# Run it inside the repository's clone (in Actions: after actions/checkout, whose token must have
# contents: write for publish). Exit status: 0 done (also when nothing was new), 1 git failed, 2 bad usage.
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

action="${1:-}"
[[ $# -gt 0 ]] && shift
case "$action" in
  fetch|publish) ;;
  -h|--help) usage; exit 0 ;;
  *) echo "ci-history: the first argument must be fetch or publish, not '$action'" >&2; exit 2 ;;
esac
remote=origin
branch=benchmark-data
into=""
store=""
message=""
attempts=5
while [[ $# -gt 0 ]]; do
  case "$1" in
    --into|--store|--remote|--branch|--message|--attempts)
      [[ $# -ge 2 && -n "$2" ]] || { echo "ci-history: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --into) into="$2" ;;
        --store) store="$2" ;;
        --remote) remote="$2" ;;
        --branch) branch="$2" ;;
        --message) message="$2" ;;
        --attempts) attempts="$2" ;;
      esac
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci-history: unknown option '$1'; allowed: --into DIR, --store DIR, --remote R, --branch B, --message TEXT, --attempts N, --help" >&2; exit 2 ;;
  esac
  shift
done
git rev-parse --git-dir > /dev/null 2>&1 || { echo "ci-history: not inside a git repository" >&2; exit 2; }
[[ "$attempts" =~ ^[1-9][0-9]*$ ]] || { echo "ci-history: --attempts '$attempts' is not a positive number" >&2; exit 2; }
git check-ref-format "refs/heads/$branch" || { echo "ci-history: --branch '$branch' is not a branch name" >&2; exit 2; }
tracking="refs/knobs-history/$branch"

# Fetches the branch into $tracking; false when the remote has no such branch.
fetch_branch() {
  if ! git ls-remote --exit-code --heads "$remote" "$branch" > /dev/null; then
    return 1
  fi
  git fetch -q --no-tags "$remote" "+refs/heads/$branch:$tracking"
}

if [[ "$action" == fetch ]]; then
  [[ -n "$into" ]] || { echo "ci-history: fetch needs --into DIR" >&2; exit 2; }
  mkdir -p "$into"
  if fetch_branch; then
    if git cat-file -e "$tracking:history" 2> /dev/null; then
      git archive "$tracking" history | tar -x -C "$into" --strip-components=1
    fi
    echo "ci-history: $(find "$into" -maxdepth 1 -name '*.json' | wc -l) entries from $remote/$branch in $into"
  else
    echo "ci-history: $remote has no branch $branch yet: an empty history in $into"
  fi
  exit 0
fi

[[ -n "$store" && -d "$store" ]] || { echo "ci-history: publish needs --store DIR, an existing folder" >&2; exit 2; }
store=$(cd "$store" && pwd)
compgen -G "$store/*.json" > /dev/null || { echo "ci-history: $store holds no entry (*.json) to publish" >&2; exit 2; }
[[ -n "$message" ]] || message="history: ${GITHUB_SHA:-$(git rev-parse --short HEAD 2>/dev/null || echo run)}"
# The commit is built with git's plumbing in a private index: the working tree, the index and the
# local branches of the clone are never touched.
index=$(mktemp)
trap 'rm -f "$index"' EXIT
for ((attempt = 1; attempt <= attempts; attempt++)); do
  parent=""
  rm -f "$index"
  if fetch_branch; then
    parent=$(git rev-parse "$tracking")
    GIT_INDEX_FILE="$index" git read-tree "$parent"
  else
    # First use: an orphan branch holding only the data.
    GIT_INDEX_FILE="$index" git read-tree --empty
    readme=$(printf '%s\n' "# Benchmark history" "" \
      "Written by scripts/ci-history.sh from the bench workflow on pushes to the default branch: history/<id>.json," \
      "one \`reports history\` entry per run (docs/regressions.md). Draw it with" \
      "\`java -jar reports.jar history show --store history --out trends\`." | git hash-object -w --stdin)
    GIT_INDEX_FILE="$index" git update-index --add --cacheinfo "100644,$readme,README.md"
  fi
  added=0
  for entry in "$store"/*.json; do
    name=$(basename "$entry")
    if [[ -n "$parent" ]] && git cat-file -e "$parent:history/$name" 2> /dev/null; then
      continue
    fi
    blob=$(git hash-object -w "$entry")
    GIT_INDEX_FILE="$index" git update-index --add --cacheinfo "100644,$blob,history/$name"
    added=$((added + 1))
  done
  if [[ $added -eq 0 ]]; then
    echo "ci-history: $remote/$branch already holds every entry of $store"
    exit 0
  fi
  tree=$(GIT_INDEX_FILE="$index" git write-tree)
  entries="$added new history entr$([[ $added -eq 1 ]] && echo y || echo ies)"
  commit=$(GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-github-actions[bot]}" \
           GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
           GIT_COMMITTER_NAME="${GIT_COMMITTER_NAME:-github-actions[bot]}" \
           GIT_COMMITTER_EMAIL="${GIT_COMMITTER_EMAIL:-41898282+github-actions[bot]@users.noreply.github.com}" \
           git commit-tree "$tree" ${parent:+-p "$parent"} -m "$message" -m "$entries.")
  # Without --force: a push that would drop another run's entries is rejected, fetched again and redone.
  if git push -q "$remote" "$commit:refs/heads/$branch"; then
    echo "ci-history: pushed $entries to $remote/$branch"
    exit 0
  fi
  echo "ci-history: push to $remote/$branch rejected (attempt $attempt of $attempts); fetching and retrying" >&2
  sleep $((attempt * 2))
done
echo "ci-history: could not push to $remote/$branch after $attempts attempts" >&2
exit 1
