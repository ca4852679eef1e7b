#!/usr/bin/env bash
# Soak: every primitive from several threads in each language for a bounded time, resident memory
# sampled. Each language passes when its RSS is flat after warm-up (growth from the first sample
# after a quarter of its run to the end under 10% + 8 MiB; 25% + 24 MiB for Node's V8 heaps) and
# its totals are exact at the end
# (counter and histogram counts, ledger total conserved, map sizes as expected, every async event
# applied). Runs Rust (core/examples/soak.rs) and C (tests/c/soak.c on the static library, no
# sanitizers) on the debug builds the tests made (a release build would cost a minute and a half
# of a CI run for no check the soak makes), Python (bindings-python/soak.py with .venv's python), Node
# (bindings-node/soak.js) and Go (soak_test.go, APGO_SOAK_SECONDS). Every language runs even if
# an earlier one fails.
#
#   scripts/soak.sh [seconds-per-language]   (default 12: one minute in all)
#
# Python and Node use the builds scripts/test-python.sh and scripts/test-node.sh leave in place
# (.venv, bindings-node); Go uses the archive scripts/test-go.sh places in bindings-go.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-12}

failed=()
run() {
    local name=$1
    shift
    echo "== soak $name ($secs s)"
    if ! "$@"; then
        echo "soak $name: FAILED" >&2
        failed+=("$name")
    fi
}

cargo build --locked -q -p atomicperf-ffi || failed+=("c (library build)")
run rust cargo run --locked -q -p atomicperf --example soak -- "$secs"

csoak=target/debug/soak-c
if gcc -std=c11 -O2 -Wall -Wextra -Werror -Iinclude -o "$csoak" tests/c/soak.c \
    target/debug/libatomicperf.a -pthread -lm -ldl; then
    run c "$csoak" "$secs"
else
    failed+=("c (build)")
fi

if [ -x .venv/bin/python ] && .venv/bin/python -c "import atomicperf" 2>/dev/null; then
    run python .venv/bin/python bindings-python/soak.py "$secs"
else
    echo "soak python: .venv has no atomicperf; run scripts/test-python.sh first" >&2
    failed+=("python (no .venv)")
fi

if node -e "require('./bindings-node')" 2>/dev/null; then
    run node node bindings-node/soak.js "$secs"
else
    echo "soak node: no addon in bindings-node; run scripts/test-node.sh first" >&2
    failed+=("node (no addon)")
fi

if [ -f bindings-go/soak_test.go ]; then
    run go env -C bindings-go APGO_SOAK_SECONDS="$secs" go test -count=1 -run '^TestSoak$' -v -timeout 0 . 
fi

if ((${#failed[@]})); then
    echo "soak FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "soak: every language flat and exact"
