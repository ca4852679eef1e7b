#!/usr/bin/env bash
# Fuzzes the C ABI (c_abi: call sequences over every handle type against a shadow model) and
# shared-registry segment files (shared_segment: random and mutated files opened, updated and
# exported): the harnesses under proptest on stable (fuzz/tests, a few seconds), then every
# cargo-fuzz target of fuzz/ built with AddressSanitizer (cargo-fuzz's default) and run by
# libFuzzer for a bounded time, starting from the committed seed corpus (fuzz/corpus/<target>).
#   scripts/fuzz.sh [SECONDS]   total fuzzing time, split over the targets (default 60)
# Needs the nightly toolchain (rustup toolchain install nightly) and cargo-fuzz (installed with
# `cargo install cargo-fuzz --locked` when missing: about 3.5 minutes on 2 cores, once per
# machine). Builds into target/fuzz. New inputs found go to target/fuzz/corpus/<target> (the
# committed corpus stays small); a crash leaves its input in fuzz/artifacts/<target>/ and fails
# the script: replay it with `cargo +nightly fuzz run <target> <file>` in fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
root=$PWD
export CARGO_TARGET_DIR="$root/target/fuzz"

if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "harness under proptest (stable)"
(cd fuzz && cargo test --locked -q)

cd fuzz
targets=$(cargo fuzz list)
n=$(echo "$targets" | wc -w)
per=$((seconds / n))
((per > 0)) || per=1
# No target named: every target is built (cargo fuzz build takes at most one name). The dev
# profile at opt-level 1: the release build (opt-level 3, ASan) took about 4 minutes of a CI run,
# and unoptimised ASan code ran some inputs past the time-out; debug assertions stay on.
CARGO_PROFILE_DEV_OPT_LEVEL=1 cargo +nightly fuzz build --dev --target-dir "$CARGO_TARGET_DIR"
for t in $targets; do
    work="$CARGO_TARGET_DIR/corpus/$t"
    mkdir -p "$work" "corpus/$t" "artifacts/$t"
    log="$CARGO_TARGET_DIR/$t.log"
    echo "fuzzing $t for $per s (ASan)"
    # -rss_limit_mb bounds memory, -timeout one input's time; the fuzz target is the binary
    # cargo-fuzz built above (x86_64-unknown-linux-gnu is its default target).
    status=0
    "$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/debug/$t" "$work" "corpus/$t" \
        -max_total_time="$per" -rss_limit_mb=2048 -timeout=20 -max_len=4096 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "$t: ${runs:-?} inputs in $per s, ${cov:-cov: ?} edges"
    if ((status != 0)); then
        tail -60 "$log"
        echo "$t: FAILED (exit $status); the input is in fuzz/artifacts/$t/" >&2
        exit 1
    fi
done
