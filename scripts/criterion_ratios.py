"""Prints the ratios the README promises from one Criterion run (target/criterion/*/new)."""

import json
import sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def ns_per_iter(group: str, bench: str) -> float:
    path = root / group / bench / "new" / "estimates.json"
    return json.loads(path.read_text())["mean"]["point_estimate"]


def throughput(group: str, bench: str, threads: int) -> float:
    """Operations per second: each iteration is one operation on each of `threads` threads."""
    return threads * 1e9 / ns_per_iter(group, bench)


rows = []
for t in (1, 2):
    ours = throughput("counter_inc", f"atomicperf_striped/{t}", t)
    for base in ("mutex_u64", "single_atomic_u64"):
        theirs = throughput("counter_inc", f"{base}/{t}", t)
        rows.append((f"Counter inc, {t} thread(s)", base, ours / theirs))
for t in (1, 2, 4):
    for group, ours_id, base_id, label, base_label in [
        ("minmax_record", "atomicperf_cas", "mutex_pair", "MinMax record", "Mutex<(u64, u64)>"),
        ("timer_record", "atomicperf", "mutex_struct", "Timer record", "Mutex<rule metric struct>"),
        (
            "rate_tracker_rates",
            "atomicperf_swap",
            "mutex_snapshot",
            "RateTracker rates",
            "Mutex<previous snapshot>",
        ),
        (
            "async_recorder_record",
            "async_histogram_drop_mode",
            "direct_histogram",
            "AsyncRecorder(Histogram)",
            "direct Histogram record",
        ),
        (
            "async_recorder_record",
            "async_mutex_hdrhistogram",
            "direct_mutex_hdrhistogram",
            "AsyncRecorder(Mutex<hdr>)",
            "direct Mutex<hdr> record",
        ),
        (
            "map_read_heavy_90pct_get",
            "atomicperf_sharded",
            "dashmap",
            "ShardedMap 90% get",
            "dashmap",
        ),
        (
            "map_read_heavy_90pct_get",
            "atomicperf_sharded",
            "rwlock_hashmap",
            "ShardedMap 90% get",
            "RwLock<HashMap>",
        ),
        (
            "map_read_heavy_90pct_get",
            "atomicperf_sharded",
            "mutex_hashmap",
            "ShardedMap 90% get",
            "Mutex<HashMap>",
        ),
        (
            "map_mixed_50pct_insert_remove",
            "atomicperf_sharded",
            "dashmap",
            "ShardedMap 50% insert/remove",
            "dashmap",
        ),
        (
            "map_mixed_50pct_insert_remove",
            "atomicperf_sharded",
            "rwlock_hashmap",
            "ShardedMap 50% insert/remove",
            "RwLock<HashMap>",
        ),
        (
            "map_mixed_50pct_insert_remove",
            "atomicperf_sharded",
            "mutex_hashmap",
            "ShardedMap 50% insert/remove",
            "Mutex<HashMap>",
        ),
        (
            "snapshot_load_with_writer",
            "atomicperf_arcswap",
            "rwlock_arc",
            "SnapshotCell read, writer",
            "RwLock<Arc<T>>",
        ),
        (
            "ledger_transfer",
            "atomicperf_ledger",
            "global_mutex_hashmap",
            "Ledger transfer",
            "global Mutex<HashMap>",
        ),
        (
            "ledger_hot",
            "atomicperf_ledger_open_hot",
            "global_mutex_hashmap",
            "Ledger 90% to a hot account",
            "global Mutex<HashMap>",
        ),
    ]:
        try:
            ours = throughput(group, f"{ours_id}/{t}", t)
            theirs = throughput(group, f"{base_id}/{t}", t)
        except FileNotFoundError:
            continue  # that bench was filtered out of this run
        rows.append((f"{label}, {t} thread(s)", base_label, ours / theirs))
ours = throughput("histogram_record_1_thread", "atomicperf", 1)
rows.append(
    (
        "Histogram record, 1 thread",
        "hdrhistogram (unsynchronised)",
        ours / throughput("histogram_record_1_thread", "hdrhistogram", 1),
    )
)
ours = throughput("histogram_record_2_threads", "atomicperf/2", 2)
rows.append(
    (
        "Histogram record, 2 threads",
        "Mutex<hdrhistogram>",
        ours / throughput("histogram_record_2_threads", "mutex_hdrhistogram/2", 2),
    )
)
for group, native, classic, threads, label in [
    (
        "histogram_record_1_thread",
        "native_nanos",
        "atomicperf",
        1,
        "NativeHistogram record_nanos, 1 thread",
    ),
    (
        "histogram_record_1_thread",
        "native_f64",
        "atomicperf",
        1,
        "NativeHistogram record(f64), 1 thread",
    ),
    (
        "histogram_record_2_threads",
        "native_nanos/2",
        "atomicperf/2",
        2,
        "NativeHistogram record_nanos, 2 threads",
    ),
]:
    try:
        ratio = throughput(group, native, threads) / throughput(group, classic, threads)
    except FileNotFoundError:
        continue
    rows.append((label, "atomicperf Histogram record", ratio))

for ours_id, base_id, label in [
    ("counter_inc_with_exemplar", "counter_inc", "Counter inc with an exemplar"),
    ("histogram_record_with_exemplar", "histogram_record", "Histogram record with an exemplar"),
]:
    try:
        # A cost ratio (target: at most 2x), not a speed-up.
        cost = ns_per_iter("exemplar", ours_id) / ns_per_iter("exemplar", base_id)
    except FileNotFoundError:
        continue
    rows.append((f"{label} (cost, <= 2x)", "the plain call", cost))

print(f"\n{'workload':36} {'baseline':32} {'throughput ours / baseline':>28}")
for workload, base, ratio in rows:
    print(f"{workload:36} {base:32} {ratio:27.2f}x")
