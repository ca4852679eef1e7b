#!/usr/bin/env bash
# Builds what it needs and runs every test in every language: Rust (unit, property, contention,
# doc and header-drift tests, then the loom models), C (ASan/UBSan), Go (-race), Python and Node
# (against the release builds users install), the three counting into one shared segment, then builds every package (scripts/dist.sh) and
# installs each the way its users do, from local registries with no Rust reachable
# (scripts/test-dist.sh).
# Works on a fresh machine: each language step installs its own tools (venv, npm, Go modules,
# Debian packages). Every step runs even if an earlier one fails; the exit status is non-zero if any
# failed.
set -uo pipefail
cd "$(dirname "$0")/.."

# A full run needs several GiB for build products: say how much there is, so that a failure for
# lack of space is recognised as such.
df -h . | sed 's/^/disk: /'

failed=()
step() {
    local name=$1
    shift
    printf '\n==== %s ====\n' "$name"
    local start=$SECONDS
    if "$@"; then
        printf '==== %s: ok (%ss)\n' "$name" $((SECONDS - start))
    else
        printf '==== %s: FAILED (%ss)\n' "$name" $((SECONDS - start))
        failed+=("$name")
    fi
}

step "system packages" scripts/setup-system.sh
step "Lint and format gates (rustfmt, clippy, gofmt, ruff, mypy)" scripts/lint.sh
step "Rust tests (core, ffi, header drift)" cargo test --locked
# loom needs its own cfg, hence its own target dir, and release speed to explore interleavings.
step "Rust loom models" env RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom \
    cargo test --locked --release -p atomicperf --test loom
step "C tests (ASan, UBSan)" scripts/test-c.sh
step "Go tests (-race)" scripts/test-go.sh
step "Python tests" scripts/test-python.sh
step "Node tests" scripts/test-node.sh
step "Python, Go and Node on one shared-memory segment" scripts/test-cross-language.sh
# After the language steps: a real Prometheus scrapes exporters in Rust, Python and Node.
step "Prometheus: promtool and a real scrape" scripts/test-prometheus.sh
step "Pushgateway: push, push-add, delete from Rust, C, Go, Python and Node" scripts/test-pushgateway.sh
step "Soak (50 s)" scripts/soak.sh 10
step "README examples (C, Go, Python, Node; Rust ran as doctests)" python3 scripts/test_readme.py
# Fuzzers, bounded: the C ABI and shared-registry segment files under ASan (coverage-guided,
# cargo-fuzz), then random registries' exports read back by promtool, prometheus_client and client_golang. Longer runs on demand:
# scripts/fuzz.sh 3600, tests/exposition/run.sh 20000 [seed].
step "Fuzz: C ABI and segment files (40 s, ASan)" scripts/fuzz.sh 40
step "Fuzz: exposition (200 registries)" tests/exposition/run.sh 200
step "Packages: build (scripts/dist.sh)" scripts/dist.sh
step "Packages: install and run as users do (scripts/test-dist.sh)" scripts/test-dist.sh

echo
if ((${#failed[@]})); then
    printf 'FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "All tests passed in every language."
