#!/usr/bin/env bash
# Format and lint checks for the three languages (the `lint` stage of npm test). Needs the
# compiled contracts' typechain output (type-aware ESLint rules read it).
#   bash scripts/lint.sh          check
#   bash scripts/lint.sh --fix    rewrite what Prettier, ESLint and rustfmt can fix
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --fix ]]; then
  npx prettier --log-level warn --write .
  npx eslint --fix .
  (cd contracts/cosmwasm && cargo fmt --all)
  exit 0
fi
echo "[lint] prettier (TypeScript, Solidity)"
npx prettier --log-level warn --check .
echo "[lint] eslint (typescript-eslint, type-aware)"
npx eslint --max-warnings 0 .
echo "[lint] docs/threat-model.md: every claim names tests that exist"
npx ts-node --transpile-only scripts/check-threat-model.ts
echo "[lint] solhint"
npx solhint --max-warnings 0 --disc 'contracts/evm/**/*.sol'
echo "[lint] rustfmt, clippy"
(cd contracts/cosmwasm && cargo fmt --all --check && cargo clippy --locked --quiet --all-targets -- -D warnings)
