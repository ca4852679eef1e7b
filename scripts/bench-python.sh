#!/usr/bin/env bash
# Builds the Python wheel (release, scripts/dist.sh python), installs it into .venv at the repo root and runs its benchmarks
# (bench_counter.py, bench_metrics.py, bench_native.py, bench_state.py, bench_registry.py,
# bench_shared.py, bench_default_metrics.py), which compare atomicperf with prometheus_client and plain-Python baselines in
# one run (bench_native.py: NativeHistogram.record against Histogram.record and prometheus_client's
# Histogram.observe; bench_shared.py:
# a SharedRegistry against prometheus_client's multiprocess mode: record, a 16-worker scrape,
# 1,000 worker restarts; bench_default_metrics.py: a scrape of the default metrics against
# prometheus_client's default registry). The contention suite itself runs
# from Python with `python -m atomicperf bench` (BENCH_SUITE=1 runs it here too), and the binding's
# per-call overhead report with `python -m atomicperf overhead`.
# Needs only python3 (with venv) and a Rust toolchain; installs prometheus_client itself.
# Arguments go to the benchmark (--number, --repeat, --json).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/python-venv.sh
source scripts/lib/python-venv.sh
ap_python_venv "prometheus_client>=0.20,<1"
export PATH="$PWD/.venv/bin:$PATH"

python bindings-python/bench/bench_counter.py "$@"
echo
python bindings-python/bench/bench_metrics.py "$@"
echo
python bindings-python/bench/bench_native.py "$@"
echo
python bindings-python/bench/bench_state.py "$@"
echo
python bindings-python/bench/bench_registry.py "$@"
echo
python bindings-python/bench/bench_shared.py "$@"
echo
python bindings-python/bench/bench_default_metrics.py "$@"
echo
python -m atomicperf overhead "$@"
if [ "${BENCH_SUITE:-0}" = 1 ]; then
    echo
    python -m atomicperf bench
fi
