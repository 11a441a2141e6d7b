#!/usr/bin/env bash
# Format and lint checks for the three languages (the `lint` stage of npm test; under 60 s). Needs the
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
# Prettier and Solhint run beside the type-aware ESLint (the longest check) on the second core;
# their output is shown after it. Prettier's cache is keyed by each file's content and options.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx prettier --log-level warn --cache --cache-location .cache/prettier --check . >"$out/prettier" 2>&1 &
prettier=$!
npx solhint --max-warnings 0 --disc 'contracts/evm/**/*.sol' >"$out/solhint" 2>&1 &
solhint=$!
echo "[lint] eslint (typescript-eslint, type-aware)"
npx eslint --max-warnings 0 .
echo "[lint] docs/threat-model.md: every claim names tests that exist"
npx ts-node --transpile-only scripts/check-threat-model.ts
echo "[lint] rustfmt, clippy"
(cd contracts/cosmwasm && cargo fmt --all --check && cargo clippy --locked --quiet --all-targets -- -D warnings)
echo "[lint] prettier (TypeScript, Solidity)"
wait $prettier || { cat "$out/prettier"; exit 1; }
cat "$out/prettier"
echo "[lint] solhint"
wait $solhint || { cat "$out/solhint"; exit 1; }
cat "$out/solhint"
