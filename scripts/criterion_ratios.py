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
ours = throughput("histogram_record_1_thread", "atomicperf", 1)
rows.append(("Histogram record, 1 thread", "hdrhistogram (unsynchronised)",
             ours / throughput("histogram_record_1_thread", "hdrhistogram", 1)))
ours = throughput("histogram_record_2_threads", "atomicperf/2", 2)
rows.append(("Histogram record, 2 threads", "Mutex<hdrhistogram>",
             ours / throughput("histogram_record_2_threads", "mutex_hdrhistogram/2", 2)))

print(f"\n{'workload':32} {'baseline':32} {'throughput ratio (ours / baseline)':>10}")
for workload, base, ratio in rows:
    print(f"{workload:32} {base:32} {ratio:10.2f}x")
