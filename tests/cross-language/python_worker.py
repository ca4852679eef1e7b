"""One Python process of the cross-language test: THREADS threads each increment the counter
`jobs{lang="any"}` of the segment PATH N times (and hold a livesum gauge at 1 while they run)."""

import sys
import threading

from atomicperf import SharedRegistry

path, threads, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
metrics = SharedRegistry(path, create=False)
jobs = metrics.counter("jobs", "Jobs done, by every process.", {"lang": "any"})
busy = metrics.gauge("busy", "Processes counting.", mode="livesum")
busy.set(1)


def work() -> None:
    for _ in range(n):
        jobs.inc()


workers = [threading.Thread(target=work) for _ in range(threads)]
for w in workers:
    w.start()
for w in workers:
    w.join()
busy.set(0)
