#!/usr/bin/env bash
# Hexs devnet: two EVM chains (`hardhat node`, chain ids 31401/31402 on 127.0.0.1:8545/8546, a
# block every second), a single-node wasmd chain (127.0.0.1:26657), the key service (front
# 127.0.0.1:7200, shard stores 7201-7205), the Akash stand-in (127.0.0.1:7300-7303) and three
# relayer operators (2-of-3; 127.0.0.1:7101-7103; operator1 leads the Akash lease pipeline), with
# the LayerZero dev executor between the EVM chains and a gas sponsor on each EVM chain (ERC-4337:
# alto and policy signer on 127.0.0.1:7400/7401 for A, 7402/7403 for B); deploys and wires everything, then runs the
# cross-chain scenario (devnet/scenario.ts), which ends with the buyer decrypting the
# model's SDL and a lease running on the Akash stand-in for her purchase.
#
#   npm run devnet              run the scenario, then stop every process it started
#   npm run devnet -- --keep    keep everything running afterwards; Ctrl-C stops it all. An
#                               operator, the executor or a key store that exits is reported and
#                               the rest runs on; only a chain's exit stops the devnet
#   npm run devnet -- status           what the kept devnet runs
#   npm run devnet -- restart <name>   start a process of the kept devnet again (e.g. operator2)
#
# Installs what it needs, idempotently (npm packages, Debian's wasm toolchain, wasmd built from
# the Go module proxy into .cache/); logs and PIDs in .devnet/logs/, each operator's config,
# key and SQLite queue in .devnet/relayers/, the key service's stores in .devnet/keys/. Only
# processes this run started are ever stopped.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { printf '[devnet] %s\n' "$*"; }

case ${1:-} in
  status|restart) exec node_modules/.bin/ts-node --transpile-only devnet/main.ts "$@" ;;
esac
for arg in "$@"; do
  case $arg in
    --keep) ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown option '$arg' (use --keep or --help)" >&2; exit 2 ;;
  esac
done

bash scripts/devnet-prepare.sh
# The web app the devnet serves (built only when its sources changed).
bash scripts/app-build.sh
# exec: Ctrl-C and TERM reach the orchestrator directly, which stops its children by PID.
exec node_modules/.bin/ts-node --transpile-only devnet/main.ts "$@"
