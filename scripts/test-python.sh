#!/usr/bin/env bash
# Builds the Python wheel (release, as users get it: scripts/dist.sh python), installs it into
# .venv at the repo root and runs the pytest suite against it. Needs only python3 (with venv) and a
# Rust toolchain; installs pytest, prometheus_client (for the collector test), gunicorn and uvicorn
# (for the real-server tests of bindings-python/examples/gunicorn_app.py and uvicorn_app.py) itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/python-venv.sh
source scripts/lib/python-venv.sh
ap_python_venv "pytest>=8,<10" "prometheus_client>=0.20,<1" "gunicorn>=23,<28" \
    "uvicorn>=0.35,<1"
.venv/bin/python -m pytest bindings-python/tests "$@"
