#!/usr/bin/env bash
# Static analysis of contracts/evm with Slither (from PyPI) on a clean Hardhat build.
# Fails when a High or Medium finding is not justified in docs/static-analysis.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SLITHER_VERSION=0.11.6
if ! slither --version 2>/dev/null | grep -qx "$SLITHER_VERSION"; then
  python3 -m pip install --quiet "slither-analyzer==$SLITHER_VERSION"
fi
build=.cache/slither
rm -rf "$build"
HEXS_BUILD_DIR="$build" npx hardhat compile --force --no-typechain --quiet
report="$build/slither.json"
# Slither exits non-zero whenever it finds anything; the triage below decides.
slither . --hardhat-ignore-compile --hardhat-artifacts-directory "$build/artifacts" \
  --filter-paths "node_modules|contracts/evm/test" --exclude-informational --exclude-optimization \
  --json "$report" > "$build/slither.log" 2>&1 || true
node scripts/slither-triage.js "$report" docs/static-analysis.md
