#!/usr/bin/env bash
# Lint and format gates, every language: rustfmt and clippy (warnings are errors) on the whole
# workspace, gofmt on every Go file, ruff (lint and format) on every Python file, mypy --strict on
# the Python package and its stubs. (go vet runs in scripts/test-go.sh, tsc --strict on the Node
# typings in bindings-node/test/package.test.js.) Fix with: cargo fmt --all; gofmt -w <files>;
# ruff format . && ruff check --fix . (ruff from target/dist-tools/venv).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=lib/dist-common.sh
source scripts/lib/dist-common.sh

failed=()
gate() {
    local name=$1
    shift
    printf -- '-- %s\n' "$name"
    if ! "$@"; then
        failed+=("$name")
    fi
}

gate "rustfmt" cargo fmt --all -- --check
gate "clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
gofmt_clean() {
    local out
    out="$(gofmt -l $(git ls-files '*.go'))"
    [ -z "$out" ] || { printf 'gofmt would reformat:\n%s\n' "$out"; return 1; }
}
gate "gofmt" gofmt_clean

tools="$(ap_tools_venv)"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "ruff==0.17.6" \
    "prometheus_client>=0.20,<1"
gate "ruff check" "$tools/bin/ruff" check .
gate "ruff format" "$tools/bin/ruff" format --check .
gate "mypy --strict (package and stubs)" "$tools/bin/python" -m mypy --strict --no-incremental \
    bindings-python/python/atomicperf

if ((${#failed[@]})); then
    printf 'lint: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
echo "lint: every gate passed"
