#!/usr/bin/env bash
# Builds what it needs (release) and runs the benchmark suite: Criterion comparisons of each
# primitive against the lock it replaces, then the Python, Node and Go comparisons against each
# language's own baselines. Every figure is a ratio against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup-system.sh
echo "==== Rust (Criterion): Counter and Histogram vs the locks they replace ===="
cargo bench --locked -p atomicperf -- --warm-up-time 1 --measurement-time 3
python3 scripts/criterion_ratios.py target/criterion

echo; echo "==== Python ===="; scripts/bench-python.sh
echo; echo "==== Node ===="; scripts/bench-node.sh
echo; echo "==== Go ===="; scripts/bench-go.sh
