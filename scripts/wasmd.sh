#!/usr/bin/env bash
# Local single-node wasmd chain for the CosmWasm side of Hexs.
#
#   scripts/wasmd.sh build    build wasmd v0.61.x from the Go module proxy into .cache/wasmd/bin (cached)
#   scripts/wasmd.sh start    init (fresh) + start a single-node chain on 127.0.0.1, PID in .devnet/wasmd/wasmd.pid
#   scripts/wasmd.sh stop     stop exactly the PID written by `start`
#   scripts/wasmd.sh status   print height if running
#   scripts/wasmd.sh env      print the settings the tests read (RPC URL, chain id, denom)
#
# Environment (all optional):
#   WASMD_HOME        chain home            (default .devnet/wasmd)
#   WASMD_RPC_PORT    CometBFT RPC port     (default 26657; p2p = +1, proxy-app = +2)
#   WASMD_GRPC_PORT   gRPC port             (default 9090)
#   WASMD_CHAIN_ID    chain id              (default hexs-wasmd-1)
#   WASMD_DENOM       fee/purchase denom    (default ucosm; staking uses ustake)
#   WASMD_CORS_ORIGINS origins the RPC answers CORS for, a TOML array (default ["*"]: the app's page)
#   HEXS_CACHE        build cache root      (default .cache)
#
# The tools module scripts/wasmd-tools/ requires wasmd and repeats its replace directives
# (go install refuses modules with replace directives); its go.sum pins every hash, so the
# build needs only the Go module proxy (the checksum database is reached through it too).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${HEXS_CACHE:-$ROOT/.cache}/wasmd
BIN_DIR=$CACHE/bin
BIN=$BIN_DIR/wasmd
TOOLS=$ROOT/scripts/wasmd-tools
HOME_DIR=${WASMD_HOME:-$ROOT/.devnet/wasmd}
PID_FILE=$HOME_DIR/wasmd.pid
LOG_FILE=$HOME_DIR/wasmd.log
RPC_PORT=${WASMD_RPC_PORT:-26657}
P2P_PORT=$((RPC_PORT + 1))
PROXY_PORT=$((RPC_PORT + 2))
GRPC_PORT=${WASMD_GRPC_PORT:-9090}
CHAIN_ID=${WASMD_CHAIN_ID:-hexs-wasmd-1}
DENOM=${WASMD_DENOM:-ucosm}
# origins the RPC answers CORS for (a TOML array); the devnet binds 127.0.0.1 only
CORS_ORIGINS=${WASMD_CORS_ORIGINS:-'["*"]'}
STAKE=ustake
ACCOUNTS_JSON=$ROOT/scripts/wasmd-accounts.json
WASMD_VERSION=$(awk '/github.com\/CosmWasm\/wasmd /{print $NF; exit}' "$TOOLS/go.mod")

# wasmd 0.61 is built and tested with Go 1.24; Go 1.26 breaks its bytedance/sonic v1.14
# dependency (undefined: GoMapIterator). The pinned toolchain is itself a Go module
# (golang.org/toolchain) fetched once from the Go module proxy into the module cache.
export GOTOOLCHAIN=${WASMD_GOTOOLCHAIN:-go1.24.13}
export GOFLAGS=-mod=readonly
export CGO_ENABLED=1                       # wasmvm links libwasmvm through cgo

log() { echo "[wasmd.sh] $*" >&2; }

stamp() {
  cat "$TOOLS/go.mod" "$TOOLS/go.sum" <(go env GOVERSION) | sha256sum | cut -c1-16
}

cmd_build() {
  command -v go >/dev/null || { log "go not found: install Go >= 1.24 (golang from the Go toolchain tarball or Debian backports)"; exit 1; }
  local want; want=$(stamp)
  if [[ -x $BIN && -f $BIN_DIR/.stamp && $(cat "$BIN_DIR/.stamp") == "$want" ]]; then
    log "cached: $BIN ($WASMD_VERSION)"
    return 0
  fi
  mkdir -p "$BIN_DIR"
  log "building wasmd $WASMD_VERSION with $(go env GOVERSION) (cold build takes minutes on 2 cores)"
  local t0=$SECONDS
  local sdk=github.com/cosmos/cosmos-sdk/version
  (cd "$TOOLS" && go build -trimpath -tags netgo \
    -ldflags "-X $sdk.Name=wasm -X $sdk.AppName=wasmd -X $sdk.Version=${WASMD_VERSION#v}" \
    -o "$BIN.tmp" github.com/CosmWasm/wasmd/cmd/wasmd)
  # libwasmvm ships inside the wasmvm Go module; keep a copy beside the binary so the
  # binary keeps working if the module cache is cleaned (start sets LD_LIBRARY_PATH).
  local vmdir
  vmdir=$(cd "$TOOLS" && go list -m -f '{{.Dir}}' github.com/CosmWasm/wasmvm/v3)
  cp -f "$vmdir/internal/api/libwasmvm.$(uname -m).so" "$BIN_DIR/"
  mv -f "$BIN.tmp" "$BIN"
  echo "$want" > "$BIN_DIR/.stamp"
  log "built $BIN in $((SECONDS - t0)) s"
}

wasmd() { LD_LIBRARY_PATH=$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} "$BIN" "$@"; }

running_pid() {
  [[ -f $PID_FILE ]] || return 1
  local pid; pid=$(cat "$PID_FILE")
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

height() {
  curl -sf "http://127.0.0.1:$RPC_PORT/status" 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).result.sync_info.latest_block_height)}catch{console.log(0)}})'
}

# Set `key = value` inside [section] of a TOML file (first match only).
toml_set() {
  local file=$1 section=$2 key=$3 value=$4
  awk -v sec="[$section]" -v key="$key" -v val="$value" '
    /^\[/ { insec = ($0 == sec) }
    insec && !done && $0 ~ "^"key"[ ]*=" { print key " = " val; done = 1; next }
    { print }' "$file" > "$file.tmp" && mv "$file.tmp" "$file"
}

account_field() { node -e "const a=require(process.argv[1]);for(const x of a.accounts)console.log(x.name+' '+x[process.argv[2]])" "$ACCOUNTS_JSON" "$1"; }

cmd_init() {
  rm -rf "$HOME_DIR"
  mkdir -p "$HOME_DIR"
  wasmd init hexs-devnet --chain-id "$CHAIN_ID" --default-denom "$STAKE" --home "$HOME_DIR" >/dev/null 2>&1
  local name mnemonic
  while read -r name; do
    mnemonic=$(node -e "const a=require(process.argv[1]);console.log(a.accounts.find(x=>x.name===process.argv[2]).mnemonic)" "$ACCOUNTS_JSON" "$name")
    echo "$mnemonic" | wasmd keys add "$name" --recover --keyring-backend test --home "$HOME_DIR" >/dev/null 2>&1
    wasmd genesis add-genesis-account "$name" "1000000000000$DENOM,1000000000000$STAKE" \
      --keyring-backend test --home "$HOME_DIR" >/dev/null
  done < <(node -e "for(const x of require(process.argv[1]).accounts)console.log(x.name)" "$ACCOUNTS_JSON")
  wasmd genesis gentx validator "1000000000$STAKE" --chain-id "$CHAIN_ID" \
    --keyring-backend test --home "$HOME_DIR" >/dev/null 2>&1
  wasmd genesis collect-gentxs --home "$HOME_DIR" >/dev/null 2>&1
  # Short governance periods, so a devnet can pin the contract's code (`pinCode`) in seconds.
  node -e '
    const fs = require("fs"), f = process.argv[1], g = JSON.parse(fs.readFileSync(f, "utf8"));
    Object.assign(g.app_state.gov.params, { voting_period: "3s", expedited_voting_period: "2s", max_deposit_period: "10s" });
    fs.writeFileSync(f, JSON.stringify(g));' "$HOME_DIR/config/genesis.json"
  wasmd genesis validate-genesis --home "$HOME_DIR" >/dev/null

  local cfg=$HOME_DIR/config/config.toml app=$HOME_DIR/config/app.toml
  toml_set "$cfg" consensus timeout_commit '"200ms"'
  toml_set "$cfg" consensus timeout_propose '"500ms"'
  toml_set "$cfg" rpc laddr "\"tcp://127.0.0.1:$RPC_PORT\""
  toml_set "$cfg" rpc pprof_laddr '""'
  # the web app's page (another origin) talks to the RPC from the browser: answer CORS for it
  toml_set "$cfg" rpc cors_allowed_origins "$CORS_ORIGINS"
  toml_set "$cfg" p2p laddr "\"tcp://127.0.0.1:$P2P_PORT\""
  toml_set "$cfg" p2p pex 'false'
  toml_set "$cfg" p2p addr_book_strict 'false'
  toml_set "$cfg" tx_index indexer '"kv"'
  toml_set "$cfg" instrumentation prometheus 'false'
  sed -i "s|^proxy_app = .*|proxy_app = \"tcp://127.0.0.1:$PROXY_PORT\"|" "$cfg"
  sed -i "s|^minimum-gas-prices = .*|minimum-gas-prices = \"0$DENOM\"|" "$app"
  toml_set "$app" api enable 'false'
  toml_set "$app" api address '"tcp://127.0.0.1:1317"'
  toml_set "$app" api enabled-unsafe-cors 'true'
  toml_set "$app" grpc address "\"127.0.0.1:$GRPC_PORT\""
  toml_set "$app" grpc-web enable 'false'
}

cmd_start() {
  if pid=$(running_pid); then log "already running (pid $pid)"; return 0; fi
  [[ -x $BIN ]] || cmd_build
  cmd_init
  local t0=$SECONDS
  # setsid: own process group, so the caller's Ctrl-C does not kill it mid-write; stop uses the PID.
  setsid "$BIN" start --home "$HOME_DIR" --log_level warn > "$LOG_FILE" 2>&1 < /dev/null &
  echo $! > "$PID_FILE"
  log "started pid $(cat "$PID_FILE"), waiting for blocks on 127.0.0.1:$RPC_PORT"
  for _ in $(seq 1 300); do
    if ! running_pid >/dev/null; then log "wasmd exited; last log lines:"; tail -20 "$LOG_FILE" >&2; exit 1; fi
    local h; h=$(height | tail -1) || true
    if [[ ${h:-0} =~ ^[0-9]+$ && $h -ge 2 ]]; then log "height $h after $((SECONDS - t0)) s"; return 0; fi
    sleep 0.2
  done
  log "no blocks after 60 s; see $LOG_FILE"; cmd_stop; exit 1
}

cmd_stop() {
  local pid
  if ! pid=$(running_pid); then log "not running"; rm -f "$PID_FILE"; return 0; fi
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then log "pid $pid ignored SIGTERM; sending SIGKILL"; kill -9 "$pid"; fi
  rm -f "$PID_FILE"
  log "stopped pid $pid"
}

cmd_env() {
  cat <<EOF
WASMD_RPC=http://127.0.0.1:$RPC_PORT
WASMD_CHAIN_ID=$CHAIN_ID
WASMD_DENOM=$DENOM
WASMD_HOME=$HOME_DIR
WASMD_BIN=$BIN
EOF
}

case ${1:-} in
  build) cmd_build ;;
  start) export LD_LIBRARY_PATH=$BIN_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}; cmd_start ;;
  stop) cmd_stop ;;
  status) if pid=$(running_pid); then echo "running pid $pid height $(height)"; else echo "not running"; exit 1; fi ;;
  env) cmd_env ;;
  *) echo "usage: $0 build|start|stop|status|env" >&2; exit 2 ;;
esac
