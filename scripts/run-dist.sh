#!/usr/bin/env bash
# Starts this node's ranks of a distributed Knobs run, torchrun style (docs/distributed.md).
# On every node, with the same NNODES, NPROC_PER_NODE, MASTER_ADDR, MASTER_PORT and its own NODE_RANK:
#   NNODES=2 NPROC_PER_NODE=1 NODE_RANK=0 MASTER_ADDR=node0 MASTER_PORT=29500 \
#     scripts/run-dist.sh Collectives -p worldSize=2 -rf json -rff coll.json     # node 0: benchmarks.jar
#   NNODES=2 NPROC_PER_NODE=1 NODE_RANK=1 MASTER_ADDR=node0 MASTER_PORT=29500 scripts/run-dist.sh
# Node 0 runs benchmarks.jar as global rank 0 with the arguments given (JMH's command line) and starts
# its local ranks 1..NPROC_PER_NODE-1; other nodes start NPROC_PER_NODE ranks (global rank
# NODE_RANK*NPROC_PER_NODE + local rank) running knobs.harness.dist.RankMain --serve, which join
# trial after trial and exit once rank 0 has not come back within the timeout.
# Under Slurm (srun, one task per rank) with RANK unset, Slurm's variables are mapped instead:
# RANK=SLURM_PROCID, WORLD_SIZE=SLURM_NTASKS, LOCAL_RANK=SLURM_LOCALID, MASTER_ADDR=the job's first
# host, MASTER_PORT=MASTER_PORT or 29500; task 0 runs benchmarks.jar, the others serve.
# Environment: JAR (default benchmarks/target/benchmarks.jar), JAVA (default java),
# KNOBS_DIST_TIMEOUT (seconds, default 60), GLOO_SOCKET_IFNAME (Gloo's interface between nodes).
#   scripts/run-dist.sh --dry-run ...   prints the commands with their variables instead of running them
# Exit status: benchmarks.jar's on node 0 (0 ok, 1 a benchmark failed, 2 bad input), else the ranks'
# (0 served and done, 1 failed, 2 bad variables).
set -euo pipefail

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

root=$(cd "$(dirname "$0")/.." && pwd)
jar=${JAR:-$root/benchmarks/target/benchmarks.jar}
java=${JAVA:-java}
dry=0
if [[ "${1:-}" == "--dry-run" ]]; then dry=1; shift; fi
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then usage; exit 0; fi

die() { echo "run-dist: $*" >&2; exit 2; }
int() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1='$2' is not a non-negative integer"; }

# Runs (or prints) one rank; $1: global rank, $2: local rank, $3: world size, then the command.
launch() {
  local rank=$1 local_rank=$2 world=$3; shift 3
  if [[ $dry -eq 1 ]]; then
    echo "RANK=$rank LOCAL_RANK=$local_rank WORLD_SIZE=$world MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT $*"
    return 0
  fi
  RANK=$rank LOCAL_RANK=$local_rank WORLD_SIZE=$world MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT "$@"
}

[[ $dry -eq 1 || -f "$jar" ]] || die "$jar not found: build it with mvn -o -B -pl benchmarks -am package -DskipTests, or set JAR"

if [[ -z "${RANK:-}" && -n "${SLURM_PROCID:-}" ]]; then
  # Slurm: one task per rank.
  MASTER_ADDR=${MASTER_ADDR:-$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)}
  MASTER_PORT=${MASTER_PORT:-29500}
  export MASTER_ADDR MASTER_PORT
  if [[ "$SLURM_PROCID" -eq 0 ]]; then
    launch 0 "${SLURM_LOCALID:-0}" "$SLURM_NTASKS" "$java" -jar "$jar" "$@"
  else
    launch "$SLURM_PROCID" "${SLURM_LOCALID:-0}" "$SLURM_NTASKS" "$java" -cp "$jar" knobs.harness.dist.RankMain --serve
  fi
  exit $?
fi

nnodes=${NNODES:-1}; nproc=${NPROC_PER_NODE:-1}; node=${NODE_RANK:-0}
int NNODES "$nnodes"; int NPROC_PER_NODE "$nproc"; int NODE_RANK "$node"
[[ $nnodes -ge 1 && $nproc -ge 1 ]] || die "NNODES and NPROC_PER_NODE must be at least 1"
[[ $node -lt $nnodes ]] || die "NODE_RANK=$node is not allowed with NNODES=$nnodes: must be in 0..$((nnodes - 1))"
[[ -n "${MASTER_ADDR:-}" ]] || die "MASTER_ADDR is not set: the host of node 0"
MASTER_PORT=${MASTER_PORT:-29500}
int MASTER_PORT "$MASTER_PORT"
world=$((nnodes * nproc))

pids=()
cleanup() { for p in "${pids[@]:-}"; do [[ -n "$p" ]] && kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

first=0
[[ $node -eq 0 ]] && first=1
for ((l = first; l < nproc; l++)); do
  launch $((node * nproc + l)) "$l" "$world" "$java" -cp "$jar" knobs.harness.dist.RankMain --serve &
  pids+=($!)
done
status=0
if [[ $node -eq 0 ]]; then
  launch 0 0 "$world" "$java" -jar "$jar" "$@" || status=$?
fi
for p in "${pids[@]:-}"; do
  [[ -n "$p" ]] || continue
  wait "$p" || { s=$?; [[ $status -ne 0 ]] || status=$s; }
done
trap - EXIT
exit $status
