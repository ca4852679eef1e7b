#!/usr/bin/env bash
# The benchmark suite, the main job. Builds what it needs in release and runs, in order:
#   1. `atomicperf bench`: every primitive against the lock it replaces, at 1, 2 and 4 threads
#      (about two minutes); the table is printed and bench-results/ gets report.json,
#      report.md and report.svg (speed-up by thread count per workload);
#   2. the Criterion comparisons of core/benches (the figures the issues' targets name);
#   3. each binding against its own language's baselines (binding overhead, prometheus clients).
# Every figure is a ratio against a baseline measured in the same run; absolute times wander.
# Pass --quick for a short smoke run (0.2 s per cell, no Criterion, no bindings).
# Pass --soak [seconds-per-language] to run only scripts/soak.sh (memory flat, totals exact).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--soak" ]; then
    shift
    exec scripts/soak.sh "$@"
fi

quick=false
[ "${1:-}" = "--quick" ] && quick=true

scripts/setup-system.sh
mkdir -p bench-results
cargo build --locked --release -p atomicperf-cli
duration=1.5s
$quick && duration=200ms
echo "==== atomicperf bench (${duration} per cell) ===="
target/release/atomicperf bench --duration "$duration" \
    --json bench-results/report.json --markdown bench-results/report.md --svg bench-results/report.svg
$quick && exit 0

echo; echo "==== Rust (Criterion): each primitive vs the lock it replaces ===="
cargo bench --locked -p atomicperf -- --warm-up-time 1 --measurement-time 2
python3 scripts/criterion_ratios.py target/criterion

echo; echo "==== Python ===="; scripts/bench-python.sh
echo; echo "==== Node ===="; scripts/bench-node.sh
echo; echo "==== Go ===="; scripts/bench-go.sh
