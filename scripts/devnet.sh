#!/usr/bin/env bash
# Hexs EVM devnet: one local `hardhat node`, the whole protocol deployed with hardhat-deploy,
# then a scripted scenario (publish, fork, buy, settle, claim, DAO spend) through the tasks.
#
#   npm run devnet              run everything, then stop the node (nothing is left running)
#   npm run devnet -- --keep    leave the node running (stop it later: npm run devnet -- --stop)
#   npm run devnet -- --stop    stop a node left running by --keep
#
# The node listens on 127.0.0.1:8545 (the `localhost` network of hardhat.config.ts); its PID and
# log are in .devnet/hardhat/. A node kept by --keep is reused by the next run (deploy is
# idempotent, the scenario publishes new models); a fresh node gets fresh deployment records.
# Only the PID this script wrote is ever stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
HOST=127.0.0.1
PORT=8545
DIR=$ROOT/.devnet/hardhat
PID_FILE=$DIR/node.pid
LOG_FILE=$DIR/node.log
# Serialise compiles with other hardhat runs on this machine when flock is available.
LOCK_FILE=${HEXS_HARDHAT_LOCK:-/tmp/hexs-hardhat.lock}

log() { printf '[devnet] %s\n' "$*"; }
die() { printf '[devnet] error: %s\n' "$*" >&2; exit 1; }

# Each step runs in the background and is waited for, so Ctrl-C / TERM reach the trap at once
# and the step's own process tree (by PID) is stopped with the node.
CHILD=""
run() {
  "$@" &
  CHILD=$!
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}
kill_tree() {
  local pid=$1 c
  for c in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill_tree "$c"; done
  kill "$pid" 2>/dev/null || true
}
hh() {
  if ! command -v flock >/dev/null 2>&1; then run npx hardhat "$@"; return; fi
  flock -n "$LOCK_FILE" true 2>/dev/null || log "waiting for $LOCK_FILE (another hardhat compile/test holds it)"
  run flock "$LOCK_FILE" npx hardhat "$@"
}

KEEP=0
STOP_ONLY=0
for arg in "$@"; do
  case $arg in
    --keep) KEEP=1 ;;
    --stop) STOP_ONLY=1 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$arg' (use --keep, --stop or --help)" ;;
  esac
done

T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# A PID from our PID file that is alive and is a hardhat node (not a recycled PID).
our_node_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid; pid=$(cat "$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "hardhat node" || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; }

rpc_ready() {
  node -e '
    fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }) })
      .then((r) => r.json()).then((j) => process.exit(j.result ? 0 : 1)).catch(() => process.exit(1));
  ' "http://$HOST:$PORT" 2>/dev/null
}

STARTED_PID=""   # the devnet's node: started now, or started by an earlier --keep run
stop_node() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
}

if [[ $STOP_ONLY == 1 ]]; then
  if pid=$(our_node_pid); then stop_node "$pid"; log "stopped hardhat node (pid $pid)"; else log "no devnet node running"; rm -f "$PID_FILE"; fi
  exit 0
fi

cleanup() {
  local rc=$?
  [[ -n $CHILD ]] && kill_tree "$CHILD"
  if [[ -n $STARTED_PID && $KEEP == 0 ]]; then
    stop_node "$STARTED_PID"
    log "stopped hardhat node (pid $STARTED_PID)"
  elif [[ -n $STARTED_PID ]]; then
    log "node left running on http://$HOST:$PORT (pid $STARTED_PID, log $LOG_FILE); stop it with: npm run devnet -- --stop"
  fi
  [[ $rc == 0 ]] && log "done in $(elapsed) s" || log "failed (exit $rc) after $(elapsed) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. Dependencies and contracts.
run bash scripts/setup.sh
log "compiling"
hh compile --quiet
log "compiled after $(elapsed) s"

# 2. The node: reuse one this script left running with --keep, otherwise start a fresh one.
mkdir -p "$DIR"
FRESH=1
if pid=$(our_node_pid); then
  if rpc_ready; then
    log "reusing the hardhat node left running by --keep (pid $pid)"
    STARTED_PID=$pid
    FRESH=0
  else
    die "a devnet node (pid $pid) is running but not answering on $HOST:$PORT; stop it with: npm run devnet -- --stop"
  fi
else
  rm -f "$PID_FILE"
  port_open && die "port $PORT on $HOST is already in use by a process this script did not start; stop it first"
  log "starting hardhat node on $HOST:$PORT (log $LOG_FILE)"
  # Started directly (not through npx) so $! is the node's own PID.
  node_modules/.bin/hardhat node --hostname "$HOST" --port "$PORT" --no-deploy >"$LOG_FILE" 2>&1 &
  STARTED_PID=$!
  echo "$STARTED_PID" >"$PID_FILE"
  for _ in $(seq 1 300); do
    rpc_ready && break
    kill -0 "$STARTED_PID" 2>/dev/null || { tail -n 30 "$LOG_FILE" >&2; die "hardhat node exited during start-up"; }
    sleep 0.2
  done
  rpc_ready || { tail -n 30 "$LOG_FILE" >&2; die "hardhat node did not answer on $HOST:$PORT within 60 s"; }
  log "node up (pid $STARTED_PID) after $(elapsed) s"
fi

# 3. Deploy. A fresh node has no contracts, so old deployment records must go (--reset).
log "deploying the protocol (hardhat-deploy)"
if [[ $FRESH == 1 ]]; then
  hh deploy --network localhost --no-compile --reset
else
  hh deploy --network localhost --no-compile
fi

log "deployed after $(elapsed) s"

# 4. The scenario, through the same tasks users run.
log "running the scenario"
hh run --network localhost --no-compile scripts/devnet-scenario.ts
