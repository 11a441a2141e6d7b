#!/usr/bin/env bash
# The web app's and the indexer's tests: type-checks, the production build, the indexer on two
# hardhat nodes, and the app end to end in headless Chromium (screenshots in app/test-results/),
# its Cosmos page against a real wasmd.
# Installs what it needs (scripts/app-deps.sh). Run it under the heavy-work lock on shared machines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-deps.sh --browser
echo "[app] type-check the indexer"
(cd indexer && npx tsc --noEmit -p .)
echo "[app] production build (type-checks the app)"
bash scripts/app-build.sh
echo "[app] the CosmWasm contract and wasmd (cached), for the Cosmos page's test"
bash scripts/build-wasm.sh && bash scripts/wasmd.sh build
# with arguments, only those test files (e.g. `bash scripts/app-test.sh test/app/cosmos-catalog.test.ts`)
if [ "$#" -gt 0 ]; then
  echo "[app] $*"
  npx hardhat test "$@"
  exit 0
fi
echo "[app] indexer and browser tests (Ponder's patched backfill; catalog and buying, allowlisted buys; my keys, reload, studio, ERC-20; decrypt in the page; DAO; publish/fork in the studio; deployments; the resale market, offers and cross-chain orders; Keplr on wasmd; Cosmos resale; Cosmos models in the catalog)"
npx hardhat test test/app/catalog-view.test.ts test/app/ponder-patch.test.ts test/app/indexer.test.ts test/app/browser.test.ts test/app/account.test.ts test/app/decrypt.test.ts test/app/dao.test.ts test/app/studio.test.ts test/app/deploy.test.ts test/app/market.test.ts test/app/market-offers.test.ts test/app/cosmos.test.ts test/app/cosmos-resale.test.ts test/app/cosmos-catalog.test.ts test/app/burner.test.ts
