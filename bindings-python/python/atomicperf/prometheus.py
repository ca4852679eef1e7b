"""prometheus_client integration: an atomicperf ``Registry`` as a prometheus_client collector.

>>> import prometheus_client
>>> from atomicperf import default_registry
>>> from atomicperf.prometheus import Collector
>>> prometheus_client.REGISTRY.register(Collector(default_registry()))  # doctest: +SKIP

Then ``prometheus_client.generate_latest()``, ``start_http_server`` and the WSGI/ASGI apps serve
atomicperf's metrics beside prometheus_client's own. Each scrape reads the registry once
(``registry.export("json")``, which never blocks a recorder) and turns it into metric families:

- a counter into a ``CounterMetricFamily`` (``<name>_total``);
- a gauge into a ``GaugeMetricFamily``;
- a histogram into a ``HistogramMetricFamily`` (cumulative ``le`` buckets, ``_sum``,
  ``_count``, in exported units: seconds for durations recorded in ns);
- a timer into a ``HistogramMetricFamily`` of seconds ``<name>`` and a ``CounterMetricFamily``
  ``<name>_errors_total``;
- a min/max into two ``GaugeMetricFamily`` ``<name>_min`` and ``<name>_max`` (series that
  recorded nothing are left out).

The names are those of ``registry.export("prometheus")``. prometheus_client is an optional
dependency: it is imported by this module only (``pip install prometheus_client``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, cast

try:
    from prometheus_client.core import (
        CounterMetricFamily,
        GaugeMetricFamily,
        HistogramMetricFamily,
        Metric,
    )
    from prometheus_client.utils import floatToGoString
except ImportError as e:  # pragma: no cover - exercised only without prometheus_client
    raise ImportError(
        "atomicperf.prometheus needs prometheus_client: pip install prometheus_client"
    ) from e

from ._atomicperf import Registry, SharedRegistry, default_registry

__all__ = ["Collector"]

# prometheus_client's bound formatter ("0.005", "+Inf"), which it leaves unannotated.
_go_float = cast(Callable[[float], str], floatToGoString)


def _number(v: int | float | str) -> float:
    # JSON has no NaN or infinities: the export spells them "NaN", "+Inf", "-Inf".
    return float(v)


class Collector:
    """A prometheus_client custom collector over an atomicperf ``Registry`` or ``SharedRegistry``.

    :param registry: the registry to expose; ``None`` is the process-wide default registry.
    """

    def __init__(self, registry: Registry | SharedRegistry | None = None) -> None:
        if registry is None:
            registry = default_registry()
        if not isinstance(registry, (Registry, SharedRegistry)):
            raise TypeError(
                f"Collector needs an atomicperf.Registry or SharedRegistry, not "
                f"{type(registry).__name__}"
            )
        self.registry: Registry | SharedRegistry = registry

    def collect(self) -> Iterator[Metric]:
        """The registry's metrics as prometheus_client metric families (one export per call)."""
        exported = json.loads(self.registry.export("json"))
        for family in exported["families"]:
            yield from _families(family)

    def __repr__(self) -> str:
        return f"Collector({self.registry!r})"


def _families(f: dict[str, Any]) -> Iterator[Metric]:
    name, kind, help_text, label_names = f["name"], f["kind"], f["help"], f["labels"]
    series = f["series"]

    def values(s: dict[str, Any]) -> list[str]:
        return [s["labels"][n] for n in label_names]

    if kind == "counter":
        # CounterMetricFamily strips a trailing _total and exposes <name>_total, as the core does.
        c = CounterMetricFamily(name, help_text, labels=label_names)
        for s in series:
            c.add_metric(values(s), s["value"])
        yield c
    elif kind == "gauge":
        g = GaugeMetricFamily(name, help_text, labels=label_names)
        for s in series:
            g.add_metric(values(s), _number(s["value"]))
        yield g
    elif kind in ("histogram", "timer"):
        h = HistogramMetricFamily(name, help_text, labels=label_names)
        for s in series:
            buckets = [(_go_float(b["le"]), b["count"]) for b in s["buckets"]]
            buckets.append(("+Inf", s["count"]))
            h.add_metric(values(s), buckets, s["sum"])
        yield h
        if kind == "timer":
            e = CounterMetricFamily(f"{name}_errors", help_text, labels=label_names)
            for s in series:
                e.add_metric(values(s), s["errors"])
            yield e
    elif kind == "minmax":
        lo = GaugeMetricFamily(f"{name}_min", help_text, labels=label_names)
        hi = GaugeMetricFamily(f"{name}_max", help_text, labels=label_names)
        for s in series:
            if s["min"] is not None and s["max"] is not None:
                lo.add_metric(values(s), s["min"])
                hi.add_metric(values(s), s["max"])
        yield lo
        yield hi
    # A kind this module does not know (a newer core) is left out rather than guessed at.
