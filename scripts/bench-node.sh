#!/usr/bin/env bash
# Builds the Node.js binding in release mode and runs its benchmarks against prom-client, plain JS
# and a plain napi-rs call (benchIdentity), all measured in the same run: per-call cost
# (bench.js, metrics.js, state.js, and `atomicperf overhead`) and the registry's look-up and
# export (registry.js). Options (--iterations N, --json) go to every script. The core's
# contention suite is `npx atomicperf bench` (or scripts/bench.sh).
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
node bench/registry.js "$@"
node bin/atomicperf.js overhead "$@"
