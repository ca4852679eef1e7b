#!/usr/bin/env bash
# Builds the Node.js binding's release addon, the very one the npm package ships (the part of
# scripts/dist-node.sh that builds it: napi build --release with cargo-zigbuild, glibc 2.17), and
# runs the node:test suite on it. The same build serves scripts/bench-node.sh and the README
# examples, so what a newcomer tests and times is the optimized build. Run from anywhere; needs
# node/npm, cargo and python3 (the napi CLI and TypeScript come from the package's
# devDependencies; cargo-zigbuild and zig are installed under target/dist-tools on first use).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"
# shellcheck source=lib/node-build.sh
source "$here/lib/node-build.sh"

ap_node_build_addons
cd "$AP_NODE_PKG"
node --test test/
