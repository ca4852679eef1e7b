"""Timing shared by ``python -m atomicperf overhead`` and the scripts in ``bench/``: rounds that
time every case in turn, best kept.

A shared machine has slow stretches of seconds (another tenant, a frequency change). Timed one
case after another (``timeit.repeat`` per case), such a stretch lands on whichever case runs
then, and a ratio between two rows measures the machine instead of the calls. Here each round
times every case once, one after another, and a case's figure is its best round, so a slow
stretch costs every case a round alike.
"""

from __future__ import annotations

import math
import timeit
from collections.abc import Mapping


def best_per_call(timers: Mapping[str, tuple[timeit.Timer, int]], repeat: int) -> dict[str, float]:
    """Seconds per call of each case ``key: (timer, calls)``: the best of ``repeat`` rounds of
    ``timer.timeit(calls)``, after a warm-up of a tenth of its calls (at least one)."""
    for timer, calls in timers.values():
        timer.timeit(max(calls // 10, 1))  # warm caches and branch predictors
    best = dict.fromkeys(timers, math.inf)
    for _ in range(repeat):
        for key, (timer, calls) in timers.items():
            best[key] = min(best[key], timer.timeit(calls) / calls)
    return best
