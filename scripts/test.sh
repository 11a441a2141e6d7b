#!/usr/bin/env bash
# The whole test suite (the README's test command, also run by CI). Installs what it needs.
#   npm test                   everything
#   HEXS_TEST_ONLY=evm npm test   one stage: evm | gas | slither | rust
set -euo pipefail
cd "$(dirname "$0")/.."
only=${HEXS_TEST_ONLY:-}
stage() { [[ -z $only || $only == "$1" ]]; }
banner() { printf '\n=== %s ===\n' "$*"; }
start=$(date +%s)

bash scripts/setup.sh

if stage evm || stage gas || stage slither; then
  banner "compile (solcjs, offline) and type-check"
  npx hardhat compile
  npx tsc --noEmit -p .
fi

if stage evm; then
  banner "EVM tests (Hardhat network)"
  npx hardhat test
fi

if stage gas; then
  banner "gas benchmark against the committed snapshot"
  GAS_CHECK=1 npx hardhat run bench/gas.ts
fi

if stage slither; then
  banner "static analysis (Slither)"
  bash scripts/slither.sh
fi

if stage rust; then
  banner "Rust: codec and CosmWasm contract (cargo test)"
  (cd contracts/cosmwasm && cargo test --locked --quiet)
fi

echo "all stages passed in $(( $(date +%s) - start ))s"
