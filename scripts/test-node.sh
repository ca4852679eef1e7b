#!/usr/bin/env bash
# Builds the Node.js binding (debug) and runs its node:test suite. Run from anywhere; needs only
# node/npm and cargo on PATH (the napi CLI comes from the package's devDependencies).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../bindings-node"

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi
# Debug build: enough for tests, and it leaves the shared release artifacts alone.
npx napi build --platform --js binding.js --dts binding.d.ts
node --test test/
