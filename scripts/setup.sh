#!/usr/bin/env bash
# Idempotent install of what the project needs on a fresh machine: npm packages (from the
# lock file, skipped when unchanged). Chain toolchains (Debian's wasm Rust, wasmd, PostgreSQL)
# are installed by the scripts that use them, and cached.
set -euo pipefail
cd "$(dirname "$0")/.."

lock_hash=$(sha256sum package-lock.json | cut -c1-32)
stamp=node_modules/.hexs-lock-hash
if [[ ! -f $stamp || $(cat "$stamp") != "$lock_hash" ]]; then
  # A git worktree may share another checkout's packages through a link: npm ci here would
  # empty that checkout's node_modules under whatever is running from it.
  if [[ -L node_modules ]]; then
    echo "[setup] node_modules links to $(readlink node_modules) and does not match package-lock.json: install in that checkout" >&2
    exit 1
  fi
  echo "[setup] npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi
