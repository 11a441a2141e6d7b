#!/usr/bin/env bash
# The whole test suite (the README's test command, also run by CI). Installs what it needs and
# starts the services its tests use (a local wasmd chain; Hardhat networks run in-process).
#   npm test                        everything
#   HEXS_TEST_ONLY=<stage> npm test one stage: lint | evm | relayer | gas | slither | rust | cosmwasm | app | devnet
set -euo pipefail
cd "$(dirname "$0")/.."
only=${HEXS_TEST_ONLY:-}
stage() { [[ -z $only || $only == "$1" ]]; }
banner() { printf '\n=== %s (%ss) ===\n' "$*" "$(( $(date +%s) - start ))"; }
start=$(date +%s)

bash scripts/setup.sh

if stage lint || stage evm || stage relayer || stage gas || stage slither; then
  banner "compile (solcjs, offline), type-check, golden vectors, generated codecs"
  npx hardhat compile
  npx tsc --noEmit -p .
  npx ts-node --transpile-only codec/gen-vectors.ts --check
  npx ts-node --transpile-only codec/generate.ts --check
fi

if stage lint; then
  banner "format and lint: Prettier, ESLint, Solhint, rustfmt, clippy"
  bash scripts/lint.sh
fi

if stage evm; then
  banner "EVM contracts, SDK, tasks, bridges (incl. two LayerZero nodes), key service, Akash pipeline"
  # x402 first: its payments' validity windows are wall-clock time, and later suites move the
  # in-process chain's clock forward (it never goes back)
  mapfile -t specs < <(echo test/api/x402.test.ts; find test/evm test/aa test/lz test/keys test/akash test/sdk test/api test/devnet -name '*.test.ts' ! -name '*wasmd.test.ts' ! -name 'x402.test.ts' | sort)
  npx hardhat test "${specs[@]}"
fi

if stage relayer; then
  banner "relayer: config, store on SQLite and PostgreSQL, EVM and wasmd lanes, two instances on one PostgreSQL queue, RPC faults, crash safety, fee bumping; key service and lease service on wasmd"
  bash scripts/build-wasm.sh
  bash scripts/wasmd.sh build
  # PostgreSQL from Debian's packages; the tests run a throwaway cluster on 127.0.0.1.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "[test] installing PostgreSQL (Debian)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  # with the key service's and the Akash service's tests against a real wasmd
  mapfile -t specs < <({ find test/relayer -name '*.test.ts'; find test/keys test/akash -name '*wasmd.test.ts'; } | sort)
  HEXS_LOG_LEVEL=silent npx hardhat test "${specs[@]}"
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
  banner "Rust: message codec and CosmWasm contract (cargo test)"
  (cd contracts/cosmwasm && cargo test --locked --quiet)
fi

if stage cosmwasm; then
  banner "CosmWasm on a real local wasmd chain"
  bash scripts/build-wasm.sh
  bash scripts/wasmd.sh build
  npx mocha -r ts-node/register --timeout 600000 'test/cosmwasm/**/*.test.ts'
fi

if stage app; then
  banner "the web app and its indexer: type-checks, production build, the indexer on two hardhat nodes, the app end to end in headless Chromium"
  bash scripts/app-test.sh
fi

if stage devnet; then
  banner "the README's main command end to end: npm run devnet (two EVM chains, wasmd, three relayer operators, key service with 5 shard stores, Akash stand-in; the scenario through decrypt and lease)"
  bash scripts/devnet.sh
  banner "the app's whole journey on the devnet in headless Chromium: publish, fork on Cosmos with Keplr, buy on B with a deployment, mirrored, decrypt, lease, royalties claimed, a DAO proposal executed"
  bash scripts/app-test.sh test/app/journey.test.ts
fi

echo "all stages passed in $(( $(date +%s) - start ))s"
