#!/usr/bin/env bash
# Production build of the web app into app/dist. The chain registry and the indexer's URL are
# runtime config: HEXS_APP_CONFIG=path/to/config.json ({ "indexerUrl": …, "chains": [ … ] }, the
# SDK's chain registry) copies one into the build; without it, deploy a config.json beside index.html.
# Skipped when nothing it is built from (the app, the SDK, the codec, that config) changed since
# the last build, so the test run and the devnet build it once.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/app-deps.sh
source_hash=$({
  find app/src app/index.html app/package-lock.json app/vite.config.mjs app/tsconfig.json sdk codec -type f \
    \( -name '*.ts' -o -name '*.tsx' -o -name '*.json' -o -name '*.css' -o -name '*.html' -o -name '*.mjs' \) -print0 |
    sort -z | xargs -0 cat
  if [[ -n ${HEXS_APP_CONFIG:-} ]]; then cat "$HEXS_APP_CONFIG"; fi
} | sha256sum | cut -c1-32)
if [[ $(cat app/dist/.source-hash 2>/dev/null) == "$source_hash" ]]; then
  echo "[app] app/dist is up to date"
  exit 0
fi
(cd app && npx tsc --noEmit -p . && npx vite build)
echo "$source_hash" > app/dist/.source-hash
