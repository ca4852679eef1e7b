#!/usr/bin/env bash
# Runs the exposition fuzzer (fuzz_exposition.py) against real parsers: promtool (Debian's
# `prometheus` package, installed when missing), prometheus_client's two parsers (in .venv, with
# the atomicperf wheel built and installed as scripts/test-python.sh does) and client_golang's
# expfmt (main.go here, built into target/exposition).
#   tests/exposition/run.sh [ITERATIONS] [SEED]   default 200 registries, a random seed (printed)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
iterations=${1:-200}
seed=${2:-}

if ! command -v promtool >/dev/null; then
    # shellcheck source=../../scripts/lib/system-packages.sh
    source scripts/lib/system-packages.sh
    ap_install_packages tests/exposition/run.sh prometheus
fi
# shellcheck source=../../scripts/lib/python-venv.sh
source scripts/lib/python-venv.sh
ap_python_venv "prometheus_client>=0.20,<1"
mkdir -p target/exposition
(cd tests/exposition && go build -o ../../target/exposition/expfmt-parse .)
.venv/bin/python tests/exposition/fuzz_exposition.py --iterations "$iterations" \
    ${seed:+--seed "$seed"} --expfmt target/exposition/expfmt-parse --promtool promtool
