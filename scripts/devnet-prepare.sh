#!/usr/bin/env bash
# What the devnet (and the benchmarks that start it) need before any chain starts, installed and
# built idempotently: npm packages, the EVM contracts (and their types), the CosmWasm wasm and
# wasmd (both cached after the first build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOCK_FILE=${HEXS_HARDHAT_LOCK:-/tmp/hexs-hardhat.lock}
log() { printf '[devnet] %s\n' "$*"; }

bash scripts/setup.sh
log "compiling the EVM contracts"
if command -v flock >/dev/null 2>&1; then flock "$LOCK_FILE" node_modules/.bin/hardhat compile --quiet; else node_modules/.bin/hardhat compile --quiet; fi
log "building the CosmWasm contract and wasmd (cached after the first run)"
bash scripts/build-wasm.sh
bash scripts/wasmd.sh build
