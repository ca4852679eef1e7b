"""Checked with `mypy --strict` against the installed wheel's stubs by test-dist-python.sh."""

from datetime import timedelta

from atomicperf import Counter, Gauge, Histogram, Ledger, Registry, ShardedMap, Timer

requests: Counter = Counter()
requests.inc()
total: int = requests.get()

gauge = Gauge()
gauge.set(1.5)
level: float = gauge.get()

latency = Histogram()
latency.record(1_000)
p50: int | None = latency.quantile(0.5)

timer = Timer()
timer.record(timedelta(milliseconds=3))
with timer.time():
    pass

shards = ShardedMap()
shards.insert(b"k", b"v")
value: bytes | None = shards.get(b"k")

ledger = Ledger()
ledger.open(1)
ledger.open(2)
ledger.deposit(1, 100)
ledger.transfer(1, 2, 40)
balance: int = ledger.balance(2)

registry = Registry()
text: str = registry.export("prometheus")
print(total, level, p50, value, balance, len(text))
