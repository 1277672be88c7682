#!/usr/bin/env bash
# Posts a file as ONE sticky pull-request comment (docs/regressions.md, "In CI"): the comment of a bot
# whose body holds the marker is updated; if there is none, one is created. Uses the gh CLI (preinstalled
# on GitHub's runners) with GH_TOKEN, which needs pull-requests: write (issues: write also works).
#   scripts/ci-comment.sh --repo OWNER/NAME --pr N --body FILE [--marker TEXT]
#   --body FILE     the comment (scripts/ci-bench.sh writes OUT/comment.md, the marker on its first line)
#   --marker TEXT   how this job's comment is recognised (default: <!-- knobs-bench -->); it must be in FILE
# A body longer than GitHub's limit (65,536 characters) is cut at a line, with a note where the rest is.
# Exit status: 0 posted, 1 the GitHub API failed, 2 bad usage.
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

repo=""
pr=""
body=""
marker='<!-- knobs-bench -->'
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repo|--pr|--body|--marker)
      [[ $# -ge 2 && -n "$2" ]] || { echo "ci-comment: $1 needs a value" >&2; exit 2; }
      case "$1" in
        --repo) repo="$2" ;;
        --pr) pr="$2" ;;
        --body) body="$2" ;;
        --marker) marker="$2" ;;
      esac
      shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "ci-comment: unknown option '$1'; allowed: --repo OWNER/NAME, --pr N, --body FILE, --marker TEXT, --help" >&2; exit 2 ;;
  esac
  shift
done
[[ "$repo" =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]] || { echo "ci-comment: --repo '$repo' is not OWNER/NAME" >&2; exit 2; }
[[ "$pr" =~ ^[1-9][0-9]*$ ]] || { echo "ci-comment: --pr '$pr' is not a pull-request number" >&2; exit 2; }
[[ -f "$body" ]] || { echo "ci-comment: --body '$body' is not a file" >&2; exit 2; }
grep -qF -- "$marker" "$body" || { echo "ci-comment: $body does not hold the marker '$marker', so its comment could never be found again" >&2; exit 2; }
command -v gh > /dev/null || { echo "ci-comment: the gh CLI is not on PATH" >&2; exit 1; }

# GitHub refuses comments over 65,536 characters: keep whole lines up to 60,000 bytes and say so.
post="$body"
limit=60000
if [[ $(wc -c < "$body") -gt $limit ]]; then
  post=$(mktemp)
  trap 'rm -f "$post"' EXIT
  awk -v limit="$limit" '{ n += length($0) + 1; if (n > limit) exit; print }' "$body" > "$post"
  printf '\n\n_(cut at %d characters; the whole table is in the job summary and the `knobs-bench` artifact)_\n' "$limit" >> "$post"
fi

# The first comment of a bot whose body holds the marker. --paginate with --jq prints one line per match,
# over every page; humans quoting the marker are never edited.
json_marker=$(printf '%s' "$marker" | sed 's/\\/\\\\/g; s/"/\\"/g')
filter=".[] | select(.user.type == \"Bot\" and (.body | contains(\"$json_marker\"))) | .id"
ids=$(gh api --paginate "repos/$repo/issues/$pr/comments?per_page=100" --jq "$filter") \
  || { echo "ci-comment: listing the comments of $repo#$pr failed" >&2; exit 1; }
id=$(printf '%s\n' "$ids" | head -n 1)
if [[ -n "$id" ]]; then
  gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$post" --jq '.html_url' \
    || { echo "ci-comment: updating comment $id failed" >&2; exit 1; }
  echo "ci-comment: updated comment $id on $repo#$pr"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$post" --jq '.html_url' \
    || { echo "ci-comment: creating the comment on $repo#$pr failed" >&2; exit 1; }
  echo "ci-comment: created a comment on $repo#$pr"
fi
