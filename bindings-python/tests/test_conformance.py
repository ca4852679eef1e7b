"""The shared conformance cases (tests/conformance/cases/*.txt, format in
tests/conformance/README.md) run against the Python binding."""

import itertools
import math
import os
import tempfile
from pathlib import Path

import atomicperf as ap
import pytest

CASES = Path(__file__).resolve().parents[2] / "tests" / "conformance" / "cases"

# Python reports statuses as exception classes. A plain ValueError is both AP_ERR_OUT_OF_RANGE
# and AP_ERR_INVALID_ARGUMENT.
STATUS_OF = [
    (ap.UnknownAccountError, {"AP_ERR_UNKNOWN_ACCOUNT"}),
    (ap.AccountExistsError, {"AP_ERR_ACCOUNT_EXISTS"}),
    (ap.InvalidAmountError, {"AP_ERR_INVALID_AMOUNT"}),
    (ap.SameAccountError, {"AP_ERR_SAME_ACCOUNT"}),
    (ap.InsufficientFundsError, {"AP_ERR_INSUFFICIENT_FUNDS"}),
    (ap.BalanceOverflowError, {"AP_ERR_OVERFLOW"}),
    (ap.AccountClosedError, {"AP_ERR_ACCOUNT_CLOSED"}),
    (ap.AccountNotEmptyError, {"AP_ERR_ACCOUNT_NOT_EMPTY"}),
    (ap.RevisionMismatchError, {"AP_ERR_REVISION_MISMATCH"}),
    (ap.ClosedError, {"AP_ERR_CLOSED"}),
    (TimeoutError, {"AP_ERR_TIMEOUT"}),
    (ValueError, {"AP_ERR_OUT_OF_RANGE", "AP_ERR_INVALID_ARGUMENT"}),
]


def statuses(exc):
    for cls, names in STATUS_OF:
        if type(exc) is cls or (cls is not ValueError and isinstance(exc, cls)):
            return names
    raise exc  # not a documented failure: a bug, shown as it is


class Tok(str):
    quoted = False


def tokenize(line):
    toks, i, n = [], 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return toks
        text, quoted, in_quote = [], False, False
        while i < n and (in_quote or not line[i].isspace()):
            c = line[i]
            i += 1
            if c == '"':
                in_quote, quoted = not in_quote, True
            elif c == "\\" and in_quote and i < n:
                text.append("\n" if line[i] == "n" else line[i])
                i += 1
            else:
                text.append(c)
        tok = Tok("".join(text))
        tok.quoted = quoted
        toks.append(tok)


def parse(path):
    cases = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        line = line.rstrip("\r")
        if line.startswith("|"):
            step = cases[-1]["steps"][-1]
            step["text"] += (line[2:] if line.startswith("| ") else line[1:]) + "\n"
            continue
        if not line.strip() or line.startswith("#"):
            continue
        toks = tokenize(line)
        if toks[0] == "case" and not toks[0].quoted:
            cases.append({"name": toks[1], "file": path.name, "line": lineno, "steps": []})
            continue
        arrow = next((i for i, t in enumerate(toks) if t == "->" and not t.quoted), None)
        op, expect = (toks, None) if arrow is None else (toks[:arrow], toks[arrow + 1 :])
        cases[-1]["steps"].append({"line": lineno, "op": op, "expect": expect, "text": ""})
    return cases


NONE = object()  # "no value"
FAILED = object()  # the initialiser's own failure reached the caller


class InitFailed(Exception):
    pass


def b(tok):
    return tok.encode()


def num(tok):
    try:
        return int(tok)
    except ValueError:
        return float(tok)


def opt(v):
    return NONE if v is None else v


def pairs(toks):
    """``k=v`` tokens as a dict."""
    return dict(t.split("=", 1) for t in toks)


def register(r, kind, args, env):
    name, help_, labels, buckets, bind, mode = args[0], args[1], {}, None, None, None
    states = None
    i = 2
    while i < len(args):
        if args[i] == "as":
            bind = args[i + 1]
            i += 2
            continue
        if args[i].startswith("@mode="):
            mode = args[i][len("@mode=") :]
        elif args[i].startswith("@states="):
            states = args[i][len("@states=") :].split(",")
        elif args[i].startswith("@buckets="):
            buckets = [float(x) for x in args[i][len("@buckets=") :].split(",")]
        else:
            k, v = args[i].split("=", 1)
            labels[k] = v
        i += 1
    if kind == "histogram" and buckets is not None:
        metric = r.histogram(name, help_, labels=labels, buckets=buckets, scale=1)
    elif kind == "enum":
        metric = r.enum(name, help_, labels=labels, states=states)
    elif kind == "gauge" and mode is not None:
        metric = r.gauge(name, help_, labels=labels, mode=mode)
    else:
        metric = getattr(r, kind)(name, help_, labels=labels)
    if bind:
        env[bind] = metric


SHARED_IDS = itertools.count()


def create(ty, a):
    if ty == "counter":
        return ap.Counter()
    if ty == "gauge":
        return ap.Gauge(float(a[0])) if a else ap.Gauge()
    if ty == "minmax":
        return ap.MinMax()
    if ty == "histogram":
        return ap.Histogram(int(a[0]), int(a[1])) if a else ap.Histogram()
    if ty == "timer":
        return ap.Timer()
    if ty == "registry":
        return ap.Registry()
    if ty == "native":
        return ap.NativeHistogram(schema=int(a[0])) if a else ap.NativeHistogram()
    if ty == "shared":
        # A new segment of its own, its file removed at once (the registry keeps working).
        opts = {k: int(v) for k, v in (x.split("=", 1) for x in a)}
        r = ap.SharedRegistry(
            f"conformance-{os.getpid()}-{next(SHARED_IDS)}", dir=tempfile.gettempdir(), **opts
        )
        r.unlink()
        return r
    if ty == "ledger":
        return ap.Ledger()
    if ty == "oncemap":
        return ap.OnceMap()
    if ty == "cell":
        return ap.SnapshotCell(b(a[0]))
    if ty == "map":
        return ap.ShardedMap(int(a[0])) if a else ap.ShardedMap()
    raise AssertionError(f"unknown type {ty}")


def call(env, var, op, a):
    o = env[var]
    if isinstance(o, ap.Registry):
        if op == "negotiate":
            return ap.negotiate(a[0])[0].encode()
        if op == "export":
            return o.export(a[0])
        if op == "series_limit":
            o.series_limit = int(a[0]) or None
            return None
        if op in ("series_count", "refused_series"):
            return getattr(o, op)
        if op == "remove":
            return o.remove(a[0], pairs(a[1:]))
        if op in ("clear_family", "clear"):
            return getattr(o, op)(*a)
        return register(o, op, a, env)
    if isinstance(o, ap.Info) and op == "set":
        return o.set(pairs(a))
    if isinstance(o, ap.Enum):
        return o.set(a[0]) if op == "set" else o.get().encode()
    if isinstance(o, ap.Counter) and op == "add_exemplar":
        return o.add_with_exemplar(int(a[0]), pairs(a[1:]))
    if isinstance(o, ap.Histogram) and op == "record_exemplar":
        return o.record_with_exemplar(int(a[0]), pairs(a[1:]))
    if isinstance(o, ap.NativeHistogram):
        if op == "record":
            return o.record(num(a[0]))
        if op == "quantile":
            return opt(o.quantile(num(a[0])))
        if op in ("count", "zero_count"):
            return getattr(o, op)()
        snap = o.snapshot()
        if op == "nan_count":
            return snap.nan_count
        buckets = dict(snap.positive if op == "positive" else snap.negative)
        return buckets.get(int(a[0]), 0)
    if isinstance(o, ap.SharedRegistry):
        if op == "export":
            return o.export(a[0])
        if op in ("series_count", "refused_series", "max_series"):
            return getattr(o, op)
        return register(o, op, a, env)
    if isinstance(o, ap.Ledger):
        if op == "open":
            return o.open(int(a[0]), overdraft=len(a) > 1 and a[1] == "overdraft")
        if op == "total":
            return o.total()
        return getattr(o, op)(*(int(x) for x in a))
    if isinstance(o, ap.OnceMap):
        if op == "init":
            return o.get_or_init(b(a[0]), lambda: b(a[1]))
        if op == "fail":
            err = InitFailed()

            def init():
                raise err

            try:
                return o.get_or_init(b(a[0]), init)
            except InitFailed as e:
                assert e is err, "another exception than the initialiser's"
                return FAILED
        if op == "get":
            return opt(o.get(b(a[0])))
        if op == "remove":
            return o.remove(b(a[0])) is not None
        if op == "len":
            return len(o)
    if isinstance(o, ap.SnapshotCell):
        if op == "load":
            return o.load()
        if op == "revision":
            return o.revision
        if op == "store":
            return o.store(b(a[0]))
        if op == "cas":
            return o.compare_and_store(int(a[0]), b(a[1]))
    if isinstance(o, ap.ShardedMap):
        if op == "insert":
            return o.insert(b(a[0]), b(a[1])) is not None
        if op == "get":
            return opt(o.get(b(a[0])))
        if op == "remove":
            return o.remove(b(a[0])) is not None
        if op == "contains":
            return o.contains(b(a[0]))
        if op == "len":
            return len(o)
    if isinstance(o, ap.Timer) and op == "record":
        return o.record(int(a[0]), ok=a[1] == "ok")
    if isinstance(o, ap.Gauge):
        return getattr(o, op)(*(float(x) for x in a))
    return opt(getattr(o, op)(*(num(x) for x in a)))


def check(got, err, expect, text):
    want = expect[0]
    if err is not None:
        return want == "error" and expect[1] in statuses(err)
    if want.quoted:
        return isinstance(got, bytes) and got == want.encode()
    if want == "ok":
        return True
    if want == "none":
        return got is NONE
    if want == "failed":
        return got is FAILED
    if want == "text":
        return got == text
    if isinstance(got, bool):
        return want == str(got).lower()
    if isinstance(got, float):
        w = float(want)
        return (math.isnan(w) and math.isnan(got)) or w == got
    if isinstance(got, int):
        return int(want) == got
    return False


def run(case):
    env = {}
    for step in case["steps"]:
        head, args = step["op"][0], step["op"][1:]
        got, err = None, None
        try:
            if "." in head:
                var, op = head.split(".", 1)
                got = call(env, var, op, args)
            else:
                env[args[0]] = create(head, args[1:])
        except (ValueError, TimeoutError, RuntimeError) as e:
            err = e
        where = f"{case['file']}:{step['line']}: case {case['name']}"
        if step["expect"] is None:
            assert err is None, f"{where}: failed with {err!r}"
        else:
            shown = f"error {err!r}" if err is not None else repr(got)
            assert check(got, err, step["expect"], step["text"]), (
                f"{where}: expected {' '.join(step['expect'])} {step['text']!r}, got {shown}"
            )


ALL = [c for path in sorted(CASES.glob("*.txt")) for c in parse(path)]


def test_cases_found():
    assert len(ALL) >= 150


@pytest.mark.parametrize("case", ALL, ids=[c["name"] for c in ALL])
def test_conformance(case):
    run(case)
