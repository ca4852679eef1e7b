#!/usr/bin/env bash
# Pushes registries to a real Prometheus Pushgateway (Debian's `prometheus-pushgateway` package,
# installed when missing) from Rust, C, Go, Python and Node: each pushes a counter with a label to the
# group job="<lang>/batch", path="/var/tmp", empty="" (a "/" in the job and in a value, an empty
# value: the encodings the core chooses), finds it in the gateway's /metrics with those labels,
# push-adds a gauge and finds both, deletes the group and finds neither. The language test
# suites run whole (bindings-go's Push tests, test_push.py, push.test.js), so their error cases
# run too: a gateway that is not listening, bad jobs and label names refused before any request,
# the timeout against a socket that accepts but never answers. C pushes with the library's own
# HTTP transport (tests/pushgateway/push.c); the C unit tests (tests/c/test_push.c) cover its
# error cases.
#
# Python and Node run when their builds are in place (scripts/test-python.sh and
# scripts/test-node.sh, which scripts/test.sh runs first); Go and C build here. Bounded: the
# gateway must be ready within 20 s; it is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

if ! command -v prometheus-pushgateway >/dev/null; then
    # shellcheck source=lib/system-packages.sh
    source scripts/lib/system-packages.sh
    ap_install_packages test-pushgateway.sh prometheus-pushgateway
fi

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-pushgateway --web.listen-address="127.0.0.1:$port" >"$work/pushgateway.log" 2>&1 &
pids+=($!)
export AP_PUSHGATEWAY_URL="http://127.0.0.1:$port"
python3 - "$AP_PUSHGATEWAY_URL" <<'PY'
import sys, time, urllib.request

deadline = time.monotonic() + 20
while True:
    try:
        with urllib.request.urlopen(sys.argv[1] + "/-/ready", timeout=2) as r:
            if r.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("the Pushgateway did not become ready within 20 s")
    time.sleep(0.1)
PY
echo "Pushgateway ready at $AP_PUSHGATEWAY_URL"
failed=()

echo "== C: the library's own requests (ap_registry_push, ap_shared_registry_push, ap_pushgateway_delete)"
cargo build -q --locked -p atomicperf-ffi
gcc -std=c11 -Wall -Wextra -Werror -I include -o "$work/push_c" tests/pushgateway/push.c \
    target/debug/libatomicperf.a -lpthread -ldl -lm
closed_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if python3 - "$AP_PUSHGATEWAY_URL" "$work/push_c" "http://127.0.0.1:$closed_port" <<'PY'; then
import subprocess, sys, time, urllib.request

gateway, program, closed = sys.argv[1:]


def step(name, at=gateway):
    subprocess.run([program, at, name], check=True, timeout=60)


def scrape():
    with urllib.request.urlopen(gateway + "/metrics", timeout=10) as r:
        return r.read().decode()


series = 'ap_push_c_total{empty="",instance="",job="c/batch",kind="full",path="/var/tmp"} 7'
extra = 'ap_push_c_extra{empty="",instance="",job="c/batch",path="/var/tmp"} 2'
step("push")
assert series in scrape(), scrape()
step("pushadd")
text = scrape()
assert series in text and extra in text, text
step("delete")
# The gateway applies a DELETE after answering it (202 Accepted): look again for a while.
for _ in range(500):
    if "ap_push_c" not in scrape():
        break
    time.sleep(0.02)
else:
    raise AssertionError("the group was not deleted")
step("refused", closed)
print("C: push, push-add (shared registry) and delete seen in the gateway; a closed port is AP_ERR_IO")
PY
    :
else
    failed+=(c)
fi

echo "== Rust: Pushgateway (feature push)"
if cargo test -q --locked -p atomicperf --features push --test pushgateway -- --nocapture >"$work/rust.out" 2>&1 &&
    grep -q '^rust: pushed, push-added and deleted on the real Pushgateway' "$work/rust.out"; then
    grep '^rust: ' "$work/rust.out"
else
    cat "$work/rust.out"
    failed+=(rust)
fi

echo "== Go"
if (
    # shellcheck source=lib/dist-common.sh
    source scripts/lib/dist-common.sh
    # shellcheck source=gomodule/lib.sh
    source scripts/gomodule/lib.sh
    apgo_place_library "$root/target/debug/libatomicperf.a"
    unset PKG_CONFIG_PATH
    export CGO_ENABLED=1 CGO_CFLAGS="$(apgo_cgo_cflags)"
    cd bindings-go
    go test -count=1 -v -run 'Push' . >"$work/go.out" 2>&1 || { cat "$work/go.out"; exit 1; }
    grep -- '^--- ' "$work/go.out"
    grep -q -- '--- PASS: TestPushToARealPushgateway' "$work/go.out"
); then :; else failed+=(go); fi

echo "== Python"
if [ -x .venv/bin/python ] && .venv/bin/python -c "from atomicperf.prometheus import push_to_gateway" 2>/dev/null; then
    # -rs lists skips; the real-gateway test must not be one.
    if .venv/bin/python -m pytest -q -rs bindings-python/tests/test_push.py >"$work/py.out" 2>&1 &&
        ! grep -q skipped "$work/py.out"; then
        tail -1 "$work/py.out"
    else
        cat "$work/py.out"
        failed+=(python)
    fi
else
    echo "(no .venv with atomicperf's push_to_gateway: run scripts/test-python.sh first)"
    failed+=(python)
fi

echo "== Node"
if node -e "if (!require('./bindings-node').Pushgateway) process.exit(1)" 2>/dev/null; then
    if node --test bindings-node/test/push.test.js >"$work/node.out" 2>&1 &&
        grep -q '^# skipped 0' "$work/node.out"; then
        grep -E '^# (tests|pass)' "$work/node.out"
    else
        cat "$work/node.out"
        failed+=(node)
    fi
else
    echo "(no Node addon with Pushgateway: run scripts/test-node.sh first)"
    failed+=(node)
fi

if ((${#failed[@]})); then
    echo "test-pushgateway: FAILED: ${failed[*]} (gateway log: below)" >&2
    tail -20 "$work/pushgateway.log" >&2
    exit 1
fi
echo "test-pushgateway: Rust, C, Go, Python and Node pushed, push-added and deleted on a real Pushgateway"
