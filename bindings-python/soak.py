"""Soak: every primitive from several threads for a bounded time, resident memory sampled.

    .venv/bin/python bindings-python/soak.py [seconds]   (default 12)

Passes when RSS is flat after warm-up (growth from the first sample after a quarter of the run to
the end under 10% + 8 MiB) and every total is exact at the end. The workload's state is bounded
(keys, series and accounts cycle over fixed sets), so growth means a leak.
"""

import sys
import threading
import time

from atomicperf import (
    AsyncRecorder,
    CancellationToken,
    Counter,
    Gauge,
    Histogram,
    Ledger,
    MinMax,
    OnceMap,
    RateTracker,
    Registry,
    ShardedMap,
    SnapshotCell,
    ThroughputWindow,
    Timer,
)

THREADS, KEYS, ACCOUNTS = 4, 256, 16


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    secs = float(sys.argv[1]) if len(sys.argv) > 1 else 12.0
    counter, gauge, hist, minmax, timer = Counter(), Gauge(), Histogram(), MinMax(), Timer()
    rates = RateTracker({"ops": counter})
    window = ThroughputWindow(10, 10, 0.001)
    async_hist = Histogram()
    recorder = AsyncRecorder(async_hist, capacity=4096, workers=2, overflow="block")
    smap, once, ledger = ShardedMap(), OnceMap(), Ledger()
    for a in range(ACCOUNTS):
        ledger.open(a)
        ledger.deposit(a, 1_000_000)
    cell = SnapshotCell(b"initial")
    root = CancellationToken()
    registry = Registry()
    stop = threading.Event()
    rounds = [0] * THREADS
    errors: list[BaseException] = []

    def work(t: int) -> None:
        i = 0
        try:
            while not stop.is_set():
                i += 1
                counter.inc()
                gauge.add(1.0)
                gauge.sub(1.0)
                hist.record(i % 1_000_000)
                minmax.record(i)
                timer.record(i % 10_000, ok=i % 7 != 0)
                window.record(i % 2_000_000 / 1e9)
                recorder.record(i % 1000)
                key = f"{t}-{i % KEYS}".encode()
                smap[key] = b"value"
                if i % 3 == 0:
                    smap.remove(key)
                ledger.transfer(i % ACCOUNTS, (i + 1 + t) % ACCOUNTS, 1)
                if i % 64 == 0:
                    cell.store(key)
                    rates.rates()
                    once.remove(key[:3])
                cell.load()
                once.get_or_init(key[:3], lambda key=key: key)
                child = root.child()
                child.child()
                del child
                registry.counter("soak_ops", labels={"code": str(i % 8)}).inc()
                if i % 4096 == 0:
                    registry.export()
            for k in range(KEYS):
                smap[f"{t}-{k}".encode()] = b"value"
        except BaseException as e:
            errors.append(e)
        rounds[t] = i

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    start = time.monotonic()
    baseline = last = peak = 0
    while time.monotonic() - start < secs:
        time.sleep(0.25)
        last = rss_kib()
        peak = max(peak, last)
        if not baseline and time.monotonic() - start >= secs / 4:
            baseline = last
    stop.set()
    for th in threads:
        th.join()
    total = sum(rounds)
    flushed = recorder.flush(60)
    failures = [repr(e) for e in errors]

    def expect(ok: bool, what: str) -> None:
        if not ok:
            failures.append(what)

    expect(counter.get() == total, f"counter {counter.get()} != {total}")
    expect(hist.count() == total, f"histogram count {hist.count()} != {total}")
    expect(timer.count() == total, f"timer count {timer.count()} != {total}")
    expect(
        flushed and async_hist.count() == total, f"async applied {async_hist.count()} != {total}"
    )
    expect(gauge.get() == 0.0, f"gauge {gauge.get()}")
    expect(ledger.total() == ACCOUNTS * 1_000_000, f"ledger total {ledger.total()}")
    expect(len(smap) == THREADS * KEYS, f"map len {len(smap)}")
    expect(len(once) <= THREADS * KEYS, f"once-map len {len(once)}")
    series = sum(registry.counter("soak_ops", labels={"code": str(c)}).get() for c in range(8))
    expect(series == total, f"registry series sum {series} != {total}")
    bound = baseline + baseline // 10 + 8 * 1024
    expect(last <= bound, f"RSS grew: {baseline} KiB after warm-up -> {last} KiB (bound {bound})")
    recorder.close()
    print(
        f"soak python: {secs:g} s, {THREADS} threads, {total} rounds of every primitive; RSS after "
        f"warm-up {baseline // 1024} MiB, end {last // 1024} MiB, peak {peak // 1024} MiB (bound "
        f"{bound // 1024} MiB); counter={counter.get()} histogram={hist.count()} ledger "
        f"total={ledger.total()} map={len(smap)} once={len(once)}"
    )
    if failures:
        print("soak python FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
