#!/usr/bin/env bash
# Production build of the web app into app/dist. The chain registry and the indexer's URL are
# runtime config: HEXS_APP_CONFIG=path/to/config.json ({ "indexerUrl": …, "chains": [ … ] }, the
# SDK's chain registry) copies one into the build; without it, deploy a config.json beside index.html.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-deps.sh
(cd app && npx tsc --noEmit -p . && npx vite build)
