#!/usr/bin/env bash
# Builds the Python binding (debug) into .venv at the repo root and runs its pytest suite.
# Needs only python3 (with venv) and a Rust toolchain; installs maturin, pytest and
# prometheus_client (for the atomicperf.prometheus collector test) itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "maturin>=1.16,<2" "pytest>=8,<10" "prometheus_client>=0.20,<1"

# Same interpreter for every build, or pyo3 rebuilds whenever PATH changes.
export PYO3_PYTHON="$root/.venv/bin/python"
export VIRTUAL_ENV="$root/.venv"
export PATH="$root/.venv/bin:$PATH"

(cd bindings-python && maturin develop)
python -m pytest bindings-python/tests "$@"
