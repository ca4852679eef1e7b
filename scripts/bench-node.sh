#!/usr/bin/env bash
# Builds the Node.js binding in release mode and runs its benchmark against prom-client and
# against a plain napi-rs call (benchIdentity), all measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../bindings-node"

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
npx napi build --platform --release --js binding.js --dts binding.d.ts
node bench/bench.js "$@"
node bench/metrics.js "$@"
node bench/state.js "$@"
