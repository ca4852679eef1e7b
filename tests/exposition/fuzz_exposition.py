"""Exposition fuzzer: random registries exported as Prometheus text and OpenMetrics, read back by
real parsers, and compared with what was recorded.

Each iteration builds an ``atomicperf.Registry`` from a seeded random generator: every metric
kind (counter, gauge, histogram, timer, minmax); names, label names and values, and help texts
with quotes, backslashes, newlines, tabs, carriage returns and unicode; attempts at names whose
exported series collide with another family (``x`` and ``x_total``, ``h`` and ``h_count``,
``t`` and ``t_errors_total``, ``m`` and ``m_min``...), at another kind or label set for a name,
and at invalid or reserved names, all of which must be refused with ValueError. Then:

- the Prometheus text export must parse with ``promtool check metrics``,
  ``prometheus_client.parser.text_string_to_metric_families`` and client_golang's ``expfmt``
  (``main.go`` here, reading stdin), and the OpenMetrics export with
  ``prometheus_client.openmetrics.parser.text_string_to_metric_families``;
- each parser must read back exactly the recorded values: counter values, gauge values (NaN and
  infinities included), histogram and timer ``_count`` and ``+Inf`` bucket, timer errors, min/max,
  with label values that round-trip exactly, and no other series.

Then the newer kinds join the same registry under fresh names, with the same nasty label values:
summaries (``_count`` and their quantile series), infos (pairs with nasty values, exported as
``<name>_info``), enums (nasty state names, one state at 1), native histograms (their classic
``+Inf``, ``_sum``, ``_count``), and exemplars on counters and histogram buckets (nasty values,
optional timestamps; label sets past OpenMetrics' 128 characters must be refused). The
OpenMetrics parser must read back each series' latest exemplar label set exactly, on the
counter's sample or on one bucket of the histogram. Exemplar values never contain ``"``:
prometheus_client's OpenMetrics parser reads an escaped quote in an exemplar as the end of the
value (it ignores the backslash), although the OpenMetrics grammar allows it.

    python fuzz_exposition.py [--seed N] [--iterations N] [--expfmt BINARY] [--promtool PATH]

Exit status 1 on the first failure, with the seed and iteration to replay it and the export.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import subprocess
import sys
import time

import atomicperf
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_prometheus

KINDS = ["counter", "gauge", "histogram", "timer", "minmax"]
# What a family called `name` occupies in the exports (family and sample names), per kind.
SUFFIXES = {
    "gauge": [""],
    "histogram": ["", "_bucket", "_sum", "_count", "_created"],
    "timer": [
        "",
        "_bucket",
        "_sum",
        "_count",
        "_created",
        "_errors",
        "_errors_total",
        "_errors_created",
    ],
    "minmax": ["", "_min", "_max"],
}
COLLIDING_SUFFIXES = [
    "_total",
    "_count",
    "_sum",
    "_bucket",
    "_min",
    "_max",
    "_errors",
    "_errors_total",
    "_created",
    "",
]
NASTY = [
    '"',
    "\\",
    "\n",
    "\r",
    "\t",
    " ",
    "{",
    "}",
    ",",
    "=",
    "#",
    "é",
    "€",
    "漢",
    "🙂",
    "\u2028",
    "\x7f",
    "\\n",
    '\\"',
]


def exported_names(kind: str, name: str) -> set[str]:
    if kind in ("summary", "info", "enum", "native"):
        return {name, name + "_info", name + "_sum", name + "_count", name + "_bucket"}
    if kind == "counter":
        base = name[: -len("_total")] if name.endswith("_total") else name
        return {base, base + "_total", base + "_created"}
    return {name + s for s in SUFFIXES[kind]}


def random_name(rng: random.Random) -> str:
    first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:"
    rest = first + "0123456789"
    return rng.choice(first) + "".join(rng.choice(rest) for _ in range(rng.randint(0, 8)))


def is_label_name(name: str) -> bool:
    """The data model's label name: [a-zA-Z_][a-zA-Z0-9_]*."""
    return (
        bool(name)
        and name[0].isascii()
        and (name[0].isalpha() or name[0] == "_")
        and all(c.isascii() and (c.isalnum() or c == "_") for c in name)
    )


def random_label_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.05:
        return rng.choice(["le", "__reserved", "9bad", "bad-name", "a:b", "", "quantile"])
    first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"
    return rng.choice(first[:-1]) + "".join(
        rng.choice(first + "0123456789") for _ in range(rng.randint(0, 6))
    )


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 6)):
        r = rng.random()
        if r < 0.5:
            parts.append(rng.choice(NASTY))
        elif r < 0.8:
            parts.append("".join(rng.choice("abc xyz019") for _ in range(rng.randint(1, 4))))
        else:
            parts.append(chr(rng.randint(0x20, 0x2FFF)))
    return "".join(parts)


def random_gauge_value(rng: random.Random) -> float:
    return rng.choice(
        [
            0.0,
            -0.0,
            1.0,
            -1.5,
            math.nan,
            math.inf,
            -math.inf,
            1e300,
            -1e-300,
            5e-324,
            2.0**53 + 1,
            0.1 + 0.2,
            rng.uniform(-1e6, 1e6),
            float(rng.randint(-(2**63), 2**63)),
        ]
    )


class Model:
    """What the registry should hold: families by name, series by label set."""

    def __init__(self) -> None:
        self.families: dict[str, dict] = {}  # name -> {kind, labels (sorted names), series}
        self.owner: dict[str, str] = {}  # exported name -> family name

    def expect(
        self, kind: str, name: str, labels: dict[str, str], hist_opts: dict | None
    ) -> str | None:
        """None if the registration must succeed, else why it must be refused."""
        first = name[:1]
        ok_name = (
            bool(name)
            and (first.isascii() and (first.isalpha() or first in "_:"))
            and all(c.isascii() and (c.isalnum() or c in "_:") for c in name)
        )
        if not ok_name:
            return "invalid metric name"
        for l in labels:
            if not is_label_name(l):
                return "invalid label name"
            if l.startswith("__"):
                return "reserved label name"
            if l == "le" and kind in ("histogram", "timer"):
                return "le on a histogram"
        fam = self.families.get(name)
        if fam is not None:
            if fam["kind"] != kind:
                return "another kind"
            if fam["labels"] != sorted(labels):
                return "other label names"
            return None
        for n in exported_names(kind, name):
            if n in self.owner:
                return f"collides with {self.owner[n]} on {n}"
        if hist_opts is not None:
            b = hist_opts.get("buckets")
            if b is not None and (
                any(not math.isfinite(x) for x in b)
                or any(x >= y for x, y in zip(b, b[1:], strict=False))
            ):
                return "bad buckets"
            s = hist_opts.get("scale")
            if s is not None and not (math.isfinite(s) and s > 0):
                return "bad scale"
        return None

    def register(
        self, kind: str, name: str, help: str, labels: dict[str, str], hist_opts: dict | None
    ) -> dict:
        fam = self.families.get(name)
        if fam is None:
            fam = {
                "kind": kind,
                "help": help,
                "labels": sorted(labels),
                "series": {},
                "opts": hist_opts or {},
            }
            self.families[name] = fam
            for n in exported_names(kind, name):
                self.owner[n] = name
        key = tuple(sorted(labels.items()))
        return fam["series"].setdefault(key, {"labels": dict(labels)})


def build(rng: random.Random) -> tuple[atomicperf.Registry, Model, list[str]]:
    reg = atomicperf.Registry()
    model = Model()
    log: list[str] = []
    names: list[str] = []
    for _ in range(rng.randint(1, 8)):
        kind = rng.choice(KINDS)
        r = rng.random()
        if names and r < 0.35:
            # Collide: another family's name with a suffix, or a suffix removed.
            base = rng.choice(names)
            name = rng.choice([base + rng.choice(COLLIDING_SUFFIXES), base.rsplit("_", 1)[0]])
        elif r < 0.4:
            name = rng.choice(["", "9x", "a-b", "é", "a b", "_", ":"])
        else:
            name = random_name(rng)
        label_names = [random_label_name(rng) for _ in range(rng.randint(0, 3))]
        if names and rng.random() < 0.3 and name in model.families:
            label_names = list(model.families[name]["labels"])
        help = random_text(rng)
        hist_opts = None
        if kind == "histogram" and rng.random() < 0.5:
            n = rng.randint(0, 5)
            low = -50 if rng.random() < 0.2 else 0  # OpenMetrics then drops _sum and _count
            buckets = sorted({round(rng.uniform(low, 100), rng.randint(0, 3)) for _ in range(n)})
            if rng.random() < 0.1:
                buckets = buckets[::-1] + [math.nan]
            hist_opts = {"buckets": buckets, "scale": rng.choice([1.0, 1e-9, 1e-3, 0.5, -1.0])}
        for _ in range(rng.randint(1, 3)):
            labels = {l: random_text(rng) for l in label_names}
            if len(labels) != len(label_names):
                continue  # a name drawn twice: the dict cannot express it
            want = model.expect(kind, name, labels, hist_opts)
            if kind == "histogram":
                make = functools.partial(reg.histogram, **dict(hist_opts or {}))
            else:
                make = getattr(reg, kind)
            ok, metric = attempt(
                lambda: make(name, help, labels=labels),  # noqa: B023 - called at once
                want,
                f"{kind} {name!r} {labels!r}",
                log,
            )
            if not ok:
                continue
            series = model.register(kind, name, help, labels, hist_opts)
            names.append(name)
            record(rng, kind, metric, series)
            log.append(f"{kind} {name!r} {labels!r}")
    return reg, model, log


def record(rng: random.Random, kind: str, metric, series: dict) -> None:
    if kind == "counter":
        for _ in range(rng.randint(0, 3)):
            n = rng.choice([1, 7, 2**53 + 1, 2**62, rng.randint(0, 1000)])
            if series.get("value", 0) + n < 2**64:
                metric.add(n)
                series["value"] = series.get("value", 0) + n
        series.setdefault("value", 0)
    elif kind == "gauge":
        v = random_gauge_value(rng)
        metric.set(v)
        series["value"] = v
    elif kind == "histogram":
        for _ in range(rng.randint(0, 4)):
            metric.record(rng.choice([0, 1, 999, 10**9, 2**40, rng.randint(0, 10**12)]))
            series["count"] = series.get("count", 0) + 1
        series.setdefault("count", 0)
    elif kind == "timer":
        for _ in range(rng.randint(0, 4)):
            ok = rng.random() < 0.7
            metric.record(rng.randint(0, 10**10), ok)
            series["count"] = series.get("count", 0) + 1
            series["errors"] = series.get("errors", 0) + (0 if ok else 1)
        series.setdefault("count", 0)
        series.setdefault("errors", 0)
    elif kind == "minmax":
        for _ in range(rng.randint(0, 3)):
            v = rng.choice([0, 5, 2**64 - 1, rng.randint(0, 10**9)])
            metric.record(v)
            lo, hi = series.get("range", (v, v))
            series["range"] = (min(lo, v), max(hi, v))


EXTRA_KINDS = ["summary", "info", "enum", "native"]


def valid_label_name(rng: random.Random, taken: set[str]) -> str:
    while True:
        name = random_label_name(rng)
        if (
            is_label_name(name)
            and not name.startswith("__")
            and name not in ("le", "quantile")
            and name not in taken
        ):
            return name


def attempt(call, want: str | None, what: str, log: list[str]) -> tuple[bool, object]:
    """Runs `call`, which must succeed when `want` is None and else be refused with ValueError
    (`want` says why; the refusal is logged): (True, its result) or (False, None). The other
    outcome is an AssertionError."""
    try:
        result = call()
    except ValueError as e:
        if want is None:
            raise AssertionError(f"{what} refused: {e}") from None
        log.append(f"refused {what} ({want})")
        return False, None
    if want is not None:
        raise AssertionError(f"{what} accepted, expected refusal: {want}")
    return True, result


def exemplar_labels(rng: random.Random) -> tuple[dict[str, str], str | None]:
    """An exemplar label set (no '"' in values: see the module's docstring), and why it must be
    refused, if it must."""
    labels = {"trace_id": random_text(rng).replace('"', "'")}
    if rng.random() < 0.5:
        labels["span_id"] = random_text(rng).replace('"', "'")
    r = rng.random()
    if r < 0.05:
        labels["bad-name"] = "x"
        return labels, "invalid label name"
    if r < 0.1:
        labels["trace_id"] = "x" * (129 - len("trace_id"))
        return labels, "more than 128 characters"
    if sum(len(k) + len(v) for k, v in labels.items()) > 128:
        return labels, "more than 128 characters"
    return labels, None


def add_exemplars(rng: random.Random, reg, model: Model, log: list[str]) -> None:
    """Counter increments and histogram records with exemplars, on the families built so far."""
    for name, fam in model.families.items():
        if fam["kind"] not in ("counter", "histogram"):
            continue
        for series in fam["series"].values():
            if rng.random() < 0.5:
                continue
            labels, why = exemplar_labels(rng)
            ts = rng.choice([None, 1700000000.5, 0.0, float(rng.randint(1, 2**31))])
            if fam["kind"] == "counter":
                metric = reg.counter(name, fam["help"], labels=series["labels"])
                n = rng.choice([1, 5, rng.randint(0, 1000)])
                if series["value"] + n >= 2**64:
                    continue
                args = (n, labels, ts)
                call = metric.add_with_exemplar
            else:
                metric = reg.histogram(name, fam["help"], labels=series["labels"], **fam["opts"])
                args = (rng.choice([0, 999, 10**9, rng.randint(0, 10**12)]), labels, ts)
                call = metric.record_with_exemplar
            what = f"exemplar {labels!r} on {name!r}"
            if not attempt(lambda: call(*args), why, what, log)[0]:  # noqa: B023 - called at once
                continue
            if fam["kind"] == "counter":
                series["value"] += n
                series["exemplar"] = labels
            else:
                series["count"] += 1
                # One exemplar per bucket is kept; the check wants this one on some bucket.
                series.setdefault("exemplars", []).append(labels)
            log.append(f"exemplar on {name!r}")


def build_more(rng: random.Random, reg, model: Model, log: list[str]) -> None:
    """Summaries, infos, enums and native histograms under names no other family can take."""
    for i in range(rng.randint(0, 4)):
        kind = rng.choice(EXTRA_KINDS)
        name = f"apfz_{kind}_{i}"
        taken = {name}
        label_names = [valid_label_name(rng, taken) for _ in range(rng.randint(0, 2))]
        label_names = list(dict.fromkeys(label_names))
        help = random_text(rng)
        states = None
        if kind == "enum":
            states = list(dict.fromkeys(t for t in (random_text(rng) for _ in range(4)) if t))
            states = states or ["only"]
        for _ in range(rng.randint(1, 2)):
            labels = {l: random_text(rng) for l in label_names}
            if kind == "summary":
                metric = reg.summary(name, help, labels=labels)
            elif kind == "info":
                metric = reg.info(name, help, labels=labels)
            elif kind == "enum":
                metric = reg.enum(name, help, labels=labels, states=states)
            else:
                metric = reg.native_histogram(name, help, labels=labels)
            series = model.register(kind, name, help, labels, None)
            model.families[name]["states"] = states
            if kind in ("summary", "native"):
                for _ in range(rng.randint(0, 4)):
                    if kind == "summary":
                        metric.record(rng.randint(0, 10**11))
                    else:
                        v = rng.choice([0.0, -1.5, 1e-9, 0.25, rng.uniform(-1e3, 1e3)])
                        metric.record(v)
                        series["sum"] = series.get("sum", 0.0) + v
                        series["abs"] = series.get("abs", 0.0) + abs(v)
                    series["count"] = series.get("count", 0) + 1
                series.setdefault("count", 0)
            elif kind == "info":
                pairs = {valid_label_name(rng, set(labels)): random_text(rng) for _ in range(3)}
                metric.set(pairs)
                series["pairs"] = pairs
            else:
                state = rng.choice(states)
                metric.set(state)
                series["state"] = state
            log.append(f"{kind} {name!r} {labels!r}")


def expected_samples(model: Model, openmetrics: bool) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, for the samples the check compares."""
    out = {}
    for name, fam in model.families.items():
        for series in fam["series"].values():
            labels = series["labels"]

            def key(n, extra=None, labels=labels):
                return (n, tuple(sorted({**labels, **(extra or {})}.items())))

            kind = fam["kind"]
            if kind == "counter":
                base = name[: -len("_total")] if name.endswith("_total") else name
                out[key(base + "_total")] = float(series["value"])
            elif kind == "gauge":
                out[key(name)] = series["value"]
            elif kind in ("histogram", "timer"):
                # OpenMetrics: no _sum or _count beside a bucket below zero.
                negative = any(b < 0 for b in fam["opts"].get("buckets") or [])
                if not (openmetrics and negative):
                    out[key(name + "_count")] = float(series["count"])
                out[key(name + "_bucket", {"le": "+Inf"})] = float(series["count"])
                if kind == "timer":
                    out[key(name + "_errors_total")] = float(series["errors"])
            elif kind == "minmax" and "range" in series:
                out[key(name + "_min")] = float(series["range"][0])
                out[key(name + "_max")] = float(series["range"][1])
            elif kind == "summary":
                out[key(name + "_count")] = float(series["count"])
                for q in ("0.5", "0.9", "0.99"):
                    out[key(name, {"quantile": q})] = ANY
            elif kind == "native":
                # OpenMetrics: no _sum or _count while the sum is negative (a counter's rule). A
                # sum within rounding of zero may come out with either sign (the core adds in
                # another order): then the count may be there or not.
                total, magnitude = series.get("sum", 0.0), series.get("abs", 0.0)
                if openmetrics and abs(total) <= 1e-9 * magnitude:
                    out[key(name + "_count")] = OPTIONAL
                elif not (openmetrics and total < 0):
                    out[key(name + "_count")] = float(series["count"])
                out[key(name + "_bucket", {"le": "+Inf"})] = float(series["count"])
            elif kind == "info":
                out[key(name + "_info", series["pairs"])] = 1.0
            elif kind == "enum":
                for state in fam["states"]:
                    out[key(name, {name: state})] = 1.0 if state == series["state"] else 0.0
    return out


# A sample that must be there, with any value (a summary's quantiles).
ANY = object()
# A sample that may be there or not, with any value.
OPTIONAL = object()


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def compare(parser: str, got: dict, model: Model, openmetrics: bool) -> None:
    want = expected_samples(model, openmetrics)
    for k, v in want.items():
        if v is OPTIONAL:
            continue
        if k not in got:
            raise AssertionError(f"{parser}: sample {k} missing")
        if v is not ANY and not same(got[k], v):
            raise AssertionError(f"{parser}: sample {k} = {got[k]!r}, recorded {v!r}")
    # Every series the parser saw belongs to a recorded series (exact label values).
    known = {(n, tuple(sorted((l, v) for l, v in k if l != "le"))) for n, k in want}
    for name, labels in got:
        base = (name, tuple(sorted((l, v) for l, v in labels if l != "le")))
        stripped = {base}
        for suffix in ("_bucket", "_sum", "_count", "_created"):
            if name.endswith(suffix):
                stripped.add((name[: -len(suffix)] + "_count", base[1]))
        if not stripped & known:
            raise AssertionError(f"{parser}: unexpected series {name} {dict(labels)!r}")


def samples_python(families) -> dict:
    got = {}
    for fam in families:
        for s in fam.samples:
            k = (s.name, tuple(sorted(s.labels.items())))
            if k in got:
                raise AssertionError(f"series {k} twice")
            got[k] = float(s.value)
    return got


def samples_go(parsed: list) -> dict:
    got = {}
    for fam in parsed:
        for m in fam["metrics"]:
            labels = m["labels"]
            if fam["type"] == "SUMMARY":
                got[(fam["name"] + "_count", tuple(sorted(labels.items())))] = float(m["count"])
                for q, v in m["buckets"].items():
                    got[(fam["name"], tuple(sorted({**labels, "quantile": q}.items())))] = float(v)
            elif fam["type"] == "HISTOGRAM":
                got[(fam["name"] + "_count", tuple(sorted(labels.items())))] = float(m["count"])
                inf = m["buckets"].get("+Inf")
                got[(fam["name"] + "_bucket", tuple(sorted({**labels, "le": "+Inf"}.items())))] = (
                    float(inf if inf is not None else m["count"])
                )
            else:
                got[(fam["name"], tuple(sorted(labels.items())))] = float(m["value"])
    return got


def check_exemplars(families, model: Model) -> None:
    """Each series' latest exemplar label set, as the OpenMetrics parser read it."""
    seen: dict[tuple, list[dict]] = {}
    for fam in families:
        for smp in fam.samples:
            if smp.exemplar is not None:
                bucket = fam.type == "histogram" and smp.name.endswith("_bucket")
                labels = tuple(
                    sorted((k, v) for k, v in smp.labels.items() if not (bucket and k == "le"))
                )
                seen.setdefault((fam.name, labels), []).append(dict(smp.exemplar.labels))
    for name, fam in model.families.items():
        for series in fam["series"].values():
            key_name = name
            if fam["kind"] == "counter" and name.endswith("_total"):
                key_name = name[: -len("_total")]
            got = seen.get((key_name, tuple(sorted(series["labels"].items()))), [])
            if fam["kind"] == "counter" and "exemplar" in series:
                if got != [series["exemplar"]]:
                    raise AssertionError(
                        f"exemplar of {name}: read {got!r}, recorded {series['exemplar']!r}"
                    )
            elif fam["kind"] == "histogram" and series.get("exemplars"):
                if series["exemplars"][-1] not in got:
                    raise AssertionError(
                        f"exemplars of {name}: read {got!r}, the last recorded {series['exemplars'][-1]!r}"
                    )
            elif got:
                raise AssertionError(f"{name} has exemplars {got!r}; none was recorded")


def check_helps_python(families, model: Model) -> None:
    for fam in families:
        owner = model.owner.get(fam.name) or model.owner.get(fam.name + "_total")
        # The 0.0.4 parser splits the HELP line on whitespace: leading and trailing blanks of a
        # help text are lost there (a parser property, not an export one).
        want = model.families[owner]["help"] if owner is not None else None
        if want is not None and fam.documentation and fam.documentation.strip() != want.strip():
            raise AssertionError(f"help of {fam.name}: {fam.documentation!r} != {want!r}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--expfmt", required=True, help="the built main.go")
    ap.add_argument("--promtool", default="promtool")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    print(f"exposition fuzzer: seed {seed}, {args.iterations} registries")
    start = time.monotonic()
    refused = accepted = samples = exemplars = newer = 0
    for i in range(args.iterations):
        rng = random.Random(f"{seed}/{i}")
        text = om = ""
        try:
            reg, model, log = build(rng)
            add_exemplars(rng, reg, model, log)
            build_more(rng, reg, model, log)
            refused += sum(1 for l in log if l.startswith("refused"))
            accepted += sum(1 for l in log if not l.startswith("refused"))
            exemplars += sum(1 for l in log if l.startswith("exemplar"))
            newer += sum(1 for l in log if l.split(" ", 1)[0] in EXTRA_KINDS)
            text = reg.export("prometheus")
            om = reg.export("openmetrics")
            fams = list(parse_prometheus(text))
            check_helps_python(fams, model)
            got = samples_python(fams)
            samples += len(got)
            compare("prometheus_client text parser", got, model, False)
            om_families = list(parse_openmetrics(om))
            compare(
                "prometheus_client OpenMetrics parser", samples_python(om_families), model, True
            )
            check_exemplars(om_families, model)
            go = subprocess.run([args.expfmt], input=text.encode(), capture_output=True)
            if go.returncode != 0:
                raise AssertionError(f"expfmt refused the export: {go.stderr.decode()}")
            compare("client_golang expfmt", samples_go(json.loads(go.stdout)), model, False)
            pt = subprocess.run(
                [args.promtool, "check", "metrics"], input=text.encode(), capture_output=True
            )
            # Exit 1 is a parse error; 3 is lint advice only (naming conventions), not an error.
            if pt.returncode not in (0, 3) or b"error while linting" in pt.stderr:
                raise AssertionError(
                    f"promtool check metrics failed ({pt.returncode}): {pt.stdout.decode()}{pt.stderr.decode()}"
                )
        except Exception as e:  # noqa: BLE001 - report any failure with its reproduction
            print(
                f"FAILED at iteration {i} (replay: --seed {seed} --iterations {i + 1}): {type(e).__name__}: {e}"
            )
            if text:
                print("---- Prometheus text export ----\n" + text)
            if om:
                print("---- OpenMetrics export ----\n" + om)
            return 1
    elapsed = time.monotonic() - start
    print(
        f"{args.iterations} registries in {elapsed:.1f} s: {accepted} metrics accepted, "
        f"{refused} registrations refused as expected, {samples} samples read back by each parser "
        f"(summaries, infos, enums and native histograms: {newer}; exemplars: {exemplars})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
