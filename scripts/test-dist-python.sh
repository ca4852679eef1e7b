#!/usr/bin/env bash
# Installs the Python wheel the way users do and runs programs on it (scripts/test-dist.sh python):
# 1. a real package index on loopback (pypiserver) serves dist/python (wheel and sdist);
# 2. in a fresh venv outside the checkout, with no Rust toolchain reachable, pip installs
#    atomicperf from that index with --only-binary :all: (never a source build), then runs a small
#    threaded app with the prometheus_client collector, and mypy --strict on a typed snippet;
# 3. the sdist builds on its own into a wheel (this step needs Rust, as any source build does)
#    that imports and works.
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

tools="$(ap_tools_venv)"
src="$AP_DIST/python"
ls "$src"/atomicperf-"$AP_VERSION"-*.whl >/dev/null 2>&1 \
    || { echo "test-dist-python: no wheel of $AP_VERSION in $src; run scripts/dist.sh python" >&2; exit 1; }

work="$(mktemp -d /tmp/atomicperf-dist-python.XXXXXX)"
server=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mkdir "$work/index"
cp "$src"/atomicperf-"$AP_VERSION"* "$work/index/"
port="$(ap_free_port)"
"$tools/bin/pypi-server" run --host 127.0.0.1 -p "$port" -a . -P . "$work/index" >"$work/pypiserver.log" 2>&1 &
server=$!
ap_wait_http "http://127.0.0.1:$port/simple/atomicperf/"

cp "$AP_ROOT"/scripts/dist-tests/python/*.py "$work/"
cd "$work"
user() { ap_scrubbed_env "$@"; }
user bash -c "$(declare -f ap_assert_no_rust); ap_assert_no_rust"
user python3 -m venv venv
user venv/bin/python -m pip install --quiet --disable-pip-version-check --no-cache-dir "prometheus_client>=0.20,<1" "mypy>=1.10,<2"
# Only the local index: no find-links a machine's pip configuration may add.
user env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL venv/bin/python -m pip install --disable-pip-version-check --no-cache-dir \
    --index-url "http://127.0.0.1:$port/simple" --only-binary :all: "atomicperf==$AP_VERSION"

# The wheel, not a build: its WHEEL file names the manylinux tag it was installed from.
wheel_tags="$(user venv/bin/python - <<'PY'
from importlib.metadata import distribution
print(" ".join(l.split(": ", 1)[1] for l in distribution("atomicperf").read_text("WHEEL").splitlines() if l.startswith("Tag:")))
PY
)"
echo "installed wheel tags: $wheel_tags"
case "$wheel_tags" in *abi3-manylinux*) ;; *) echo "test-dist-python: not the manylinux abi3 wheel: $wheel_tags" >&2; exit 1 ;; esac

user venv/bin/python app.py
user venv/bin/python -m mypy --strict --no-incremental typed.py
user venv/bin/python typed.py >/dev/null

# The sdist builds alone (pip's isolated build: maturin from PyPI, Rust from the machine) and the
# wheel it makes works. Cached build directory, so a second run is quick.
python3 -m venv sdist-venv
CARGO_TARGET_DIR="$AP_ROOT/target/sdist-check" sdist-venv/bin/python -m pip wheel --quiet \
    --disable-pip-version-check --no-cache-dir --no-deps -w sdist-wheel "$src/atomicperf-$AP_VERSION.tar.gz"
sdist-venv/bin/python -m pip install --quiet --disable-pip-version-check --no-index sdist-wheel/*.whl
sdist-venv/bin/python -c "
import atomicperf
c = atomicperf.Counter(); c.add(41); c.inc()
assert c.get() == 42 and atomicperf.__version__ == '$AP_VERSION'
print('sdist build ok:', atomicperf.__version__)"

ls -l "$src"
