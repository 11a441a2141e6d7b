#!/usr/bin/env bash
# Idempotent install of what the web app and the indexer need: their own npm packages (app/ and
# indexer/, each from its lock file, skipped when unchanged), the contracts' typechain output
# (the SDK's ABIs, which both import), and, with --browser, Debian's headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

for pkg in app indexer; do
  lock_hash=$(sha256sum "$pkg/package-lock.json" | cut -c1-32)
  stamp=$pkg/node_modules/.hexs-lock-hash
  if [[ ! -f $stamp || $(cat "$stamp") != "$lock_hash" ]]; then
    echo "[app] npm ci in $pkg/"
    (cd "$pkg" && npm ci --no-audit --no-fund)
    echo "$lock_hash" > "$stamp"
  fi
done

# Ponder's backfill, patched: one eth_getLogs per contract rather than one per event (idempotent;
# stops on a Ponder version the patch was not written for). scripts/patch-ponder.ts says why.
npx ts-node --transpile-only scripts/patch-ponder.ts

if [[ ! -f sdk/typechain/index.ts ]]; then
  echo "[app] compiling the contracts (the SDK's typechain)"
  npx hardhat compile
fi

if [[ ${1:-} == --browser && ! -x ${HEXS_CHROMIUM:-/usr/bin/chromium} ]]; then
  echo "[app] installing Chromium (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 chromium >/dev/null
fi
