"""Per-call cost of atomicperf's ShardedMap.get and Ledger.transfer against their baselines.

Same method as bench_counter.py: timeit of one call statement, best of --repeat runs of --number
calls, ns per call, ratios between rows of this run only. Nothing here asserts a timing.

- ShardedMap.get(key) against a dict behind a threading.Lock (what it replaces when threads
  share a map) and a plain dict.get (no lock: the floor a Python call can reach).
- ShardedMap.insert(key, value) against the Lock-guarded dict's insert.
- Ledger.transfer(a, b, amount) against a dict of balances behind one threading.Lock with the
  same checks (an account service behind one global lock).
- Ledger.transfer_many of 1,000 transfers (one call, GIL released while it runs), per transfer,
  against one Ledger.transfer call per transfer (target: at least 10x cheaper per transfer): the
  batch as a list of (from, to, amount) tuples, and as an array("q") of the same 3,000 ints (the
  buffer form: no conversion per transfer).

From Python, one thread at a time holds the GIL, so these are single-thread per-call costs: the
shard and account locks pay off when threads of other languages (or GIL-free work) share the
structure; here the question is what a call costs next to the Python baseline.

    python bindings-python/bench/bench_state.py [--number N] [--repeat R] [--json]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import threading
import timeit
from array import array

import atomicperf
from atomicperf._rounds import best_per_call


class LockedDict:
    """A dict behind a threading.Lock."""

    def __init__(self):
        self._lock = threading.Lock()
        self._d = {}

    def get(self, key, default=None):
        with self._lock:
            return self._d.get(key, default)

    def insert(self, key, value):
        with self._lock:
            old = self._d.get(key)
            self._d[key] = value
            return old


class LockedLedger:
    """Balances in a dict behind one threading.Lock, with Ledger.transfer's checks."""

    def __init__(self):
        self._lock = threading.Lock()
        self._balances = {}
        self._overdraft = {}

    def open(self, id, overdraft=False):
        with self._lock:
            if id in self._balances:
                raise ValueError(f"account {id} is already open")
            self._balances[id] = 0
            self._overdraft[id] = overdraft

    def deposit(self, id, amount):
        with self._lock:
            self._balances[id] += amount

    def transfer(self, from_id, to_id, amount):
        if amount <= 0:
            raise ValueError("amount must be greater than zero")
        if from_id == to_id:
            raise ValueError("same account")
        with self._lock:
            src = self._balances[from_id]
            dst = self._balances[to_id]
            if src - amount < 0 and not self._overdraft[from_id]:
                raise ValueError("insufficient funds")
            self._balances[from_id] = src - amount
            self._balances[to_id] = dst + amount


CASES = [
    ("loop", "timeit loop, `pass`", "pass"),
    ("ap_get", "atomicperf ShardedMap.get(key)", "amap.get(key)"),
    ("locked_get", "threading.Lock-guarded dict get(key)", "ldict.get(key)"),
    ("dict_get", "plain dict.get(key) (no lock)", "pdict.get(key)"),
    ("ap_insert", "atomicperf ShardedMap.insert(key, value)", "amap.insert(key, value)"),
    ("locked_insert", "threading.Lock-guarded dict insert(key, value)", "ldict.insert(key, value)"),
    ("ap_transfer", "atomicperf Ledger.transfer(1, 2, 5)", "ledger.transfer(1, 2, 5)"),
    (
        "locked_transfer",
        "threading.Lock-guarded dict ledger transfer(1, 2, 5)",
        "lledger.transfer(1, 2, 5)",
    ),
    (
        "ap_transfer_many",
        "atomicperf Ledger.transfer_many(1,000 tuples), per transfer",
        "ledger.transfer_many(batch)",
    ),
    (
        "ap_transfer_many_array",
        "atomicperf Ledger.transfer_many(array of 1,000 triples), per transfer",
        "ledger.transfer_many(batch_array)",
    ),
]

# Calls that do BATCH operations each: timed per operation.
BATCH = 1_000
PER_BATCH = {"ap_transfer_many", "ap_transfer_many_array"}


def per_call(key: str) -> int:
    """Operations per timed call of case ``key``: a batch's transfers, or one."""
    return BATCH if key in PER_BATCH else 1


RATIOS = [
    ("Lock-guarded dict get / atomicperf ShardedMap.get", "locked_get", "ap_get"),
    ("plain dict.get / atomicperf ShardedMap.get", "dict_get", "ap_get"),
    ("Lock-guarded dict insert / atomicperf ShardedMap.insert", "locked_insert", "ap_insert"),
    ("Lock-guarded dict transfer / atomicperf Ledger.transfer", "locked_transfer", "ap_transfer"),
    (
        "Ledger.transfer / Ledger.transfer_many(1,000 tuples), per transfer",
        "ap_transfer",
        "ap_transfer_many",
    ),
    (
        "Ledger.transfer / Ledger.transfer_many(array of 1,000), per transfer (target >= 10x)",
        "ap_transfer",
        "ap_transfer_many_array",
    ),
]


def measure(number: int, repeat: int) -> dict[str, float]:
    amap, ldict, pdict = atomicperf.ShardedMap(), LockedDict(), {}
    # 10,000 keys of 16 bytes, values of 64: a session or rate table.
    for i in range(10_000):
        k, v = f"key-{i:012d}".encode(), bytes(64)
        amap.insert(k, v)
        ldict.insert(k, v)
        pdict[k] = v
    ledger, lledger = atomicperf.Ledger(), LockedLedger()
    for bank in (ledger, lledger):
        # Overdraft on the source, so that the timed transfers never run out of money.
        bank.open(1, overdraft=True)
        bank.open(2)
    env = {
        "amap": amap,
        "ldict": ldict,
        "pdict": pdict,
        "key": b"key-000000004242",
        "value": bytes(64),
        "ledger": ledger,
        "lledger": lledger,
        "batch": [(1, 2, 5)] * BATCH,
        "batch_array": array("q", [1, 2, 5] * BATCH),
    }
    timers = {
        key: (timeit.Timer(stmt, globals=env), max(number // per_call(key), 10))
        for key, _label, stmt in CASES
    }
    results = {k: s / per_call(k) * 1e9 for k, s in best_per_call(timers, repeat).items()}
    assert ledger.total() == 0 and ledger.balance(2) > 0
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--number", type=int, default=200_000, help="calls per timing run")
    parser.add_argument("--repeat", type=int, default=25, help="timing runs; the best one counts")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()

    ns = measure(args.number, args.repeat)
    ratios = [{"ratio": label, "value": ns[a] / ns[b]} for label, a, b in RATIOS]
    if args.json:
        print(json.dumps({"ns_per_call": ns, "ratios": ratios}, indent=2))
        return 0
    print(
        f"Python {platform.python_version()} ({sys.implementation.name}), atomicperf {atomicperf.__version__}; "
        f"best of {args.repeat} x {args.number:,} calls"
    )
    print()
    w = max(len(label) for _, label, _ in CASES)
    print(f"| {'call':<{w}} | {'ns/op':>8} |")
    print(f"|{'-' * (w + 2)}|{'-' * 9}:|")
    for key, label, _ in CASES:
        print(f"| {label:<{w}} | {ns[key]:8.1f} |")
    print()
    w = max(len(r["ratio"]) for r in ratios)
    print(f"| {'ratio':<{w}} | {'value':>6} |")
    print(f"|{'-' * (w + 2)}|{'-' * 7}:|")
    for r in ratios:
        print(f"| {r['ratio']:<{w}} | {r['value']:5.2f}x |")
    print("(a ratio above 1 means atomicperf is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
