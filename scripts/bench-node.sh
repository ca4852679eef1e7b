#!/usr/bin/env bash
# Builds the Node.js binding's release addon (the one the npm package ships: the build step of
# scripts/dist-node.sh, shared with scripts/test-node.sh) and runs its benchmarks against
# prom-client, plain JS and a plain napi-rs call (benchIdentity), all measured in the same run:
# per-call cost (bench.js, metrics.js, state.js, and `atomicperf overhead`), the registry's
# look-up and export (registry.js), NativeHistogram.record against Histogram.record and
# prom-client's Histogram.observe (native-histogram.js), and the SharedRegistry's direct writes
# against in-process ones and its scrape of 8 cluster workers against prom-client's
# AggregatorRegistry (shared.js), and a scrape of the default metrics against prom-client's
# collectDefaultMetrics (default-metrics.js).
# Options (--iterations N, --json) go to every script. The core's contention suite is
# `npx atomicperf bench` (or scripts/bench.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"
# shellcheck source=lib/node-build.sh
source "$here/lib/node-build.sh"

# Progress on stderr: stdout is the benchmarks' (JSON with --json).
ap_node_build_addons >&2
cd "$AP_NODE_PKG"
node bench/bench.js "$@"
node bench/metrics.js "$@"
node bench/native-histogram.js "$@"
node bench/summary.js "$@"
node bench/state.js "$@"
node bench/registry.js "$@"
node bench/shared.js "$@"
node bench/default-metrics.js "$@"
node bin/atomicperf.js overhead "$@"
