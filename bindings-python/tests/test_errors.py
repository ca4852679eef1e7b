"""One error table: every status of the core is raised as one documented exception class.

The core's statuses (``atomicperf::Status``, the C ABI's ``ap_status``) come from the native
module (``_statuses()``), and so does the binding's table of the class each one is raised as
(``_status_exceptions()``). A status the core gains without a Python mapping, a mapping or a
documented row for a status the core does not have, or a raising path that raises another class
than its status's, fails here.
"""

import builtins
import pathlib
import re
import threading

import atomicperf
import pytest
from atomicperf import _atomicperf

STUB = pathlib.Path(atomicperf.__file__).with_name("_atomicperf.pyi")
STATUS_NAME = re.compile(r"\bAP_(?:OK|ERR_[A-Z0-9_]+)\b")


def core_statuses():
    return dict(_atomicperf._statuses())


def table():
    return _atomicperf._status_exceptions()


def stub_table():
    """The stub's documented table: status name -> class name, from the module docstring."""
    doc = STUB.read_text()
    doc = doc[: doc.index('"""', doc.index('"""') + 3)]
    rows = re.findall(r"^(AP_[A-Z0-9_]+)\s+([\w.]+)", doc, re.MULTILINE)
    assert rows, "the stub's module docstring has no status table"
    documented = dict(rows)
    assert len(documented) == len(rows), "a status is documented twice"
    return documented


def qualified(cls):
    """How the stub names a class: bare for builtins and atomicperf's, dotted otherwise."""
    if cls.__module__ in ("builtins", "atomicperf"):
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_core_table_is_dense_and_starts_with_ok():
    codes = core_statuses()
    assert codes[0] == "AP_OK"
    assert sorted(codes) == list(range(len(codes)))
    assert len(set(codes.values())) == len(codes)
    assert all(STATUS_NAME.fullmatch(name) for name in codes.values())


def test_every_status_but_ok_maps_to_an_exception_class():
    names = set(core_statuses().values())
    mapped = table()
    missing = names - {"AP_OK"} - set(mapped)
    assert not missing, f"core statuses without a Python exception: {sorted(missing)}"
    invented = set(mapped) - names
    assert not invented, f"mapped statuses the core does not have: {sorted(invented)}"
    assert "AP_OK" not in mapped
    for name, cls in mapped.items():
        assert isinstance(cls, type) and issubclass(cls, BaseException), name


def test_the_stub_documents_the_table_and_its_classes_exist():
    mapped = table()
    documented = stub_table()
    assert set(documented) == set(mapped), "the stub's table and the binding's differ"
    stub = STUB.read_text()
    for status, name in documented.items():
        cls = mapped[status]
        assert qualified(cls) == name, f"{status}: the stub says {name}, raised as {cls}"
        if "." in name:
            continue
        # A builtin, or a class of the package that the stub declares and the package exports.
        if cls.__module__ == "builtins":
            assert getattr(builtins, name) is cls
        else:
            assert getattr(atomicperf, name) is cls, name
            assert name in atomicperf.__all__, name
            assert re.search(rf"^class {name}\(", stub, re.MULTILINE), name


def test_no_python_code_names_a_status_the_core_does_not_have():
    names = set(core_statuses().values())
    package = pathlib.Path(atomicperf.__file__).parent
    for path in [*package.glob("*.py"), STUB, pathlib.Path(__file__)]:
        for found in STATUS_NAME.findall(path.read_text()):
            assert found in names, f"{path.name} names {found}, which the core does not have"


def test_the_ledger_classes_are_ledger_errors_and_the_rest_builtins_or_package_classes():
    mapped = table()
    ledger = [
        "AP_ERR_UNKNOWN_ACCOUNT",
        "AP_ERR_ACCOUNT_EXISTS",
        "AP_ERR_INVALID_AMOUNT",
        "AP_ERR_SAME_ACCOUNT",
        "AP_ERR_INSUFFICIENT_FUNDS",
        "AP_ERR_OVERFLOW",
        "AP_ERR_ACCOUNT_CLOSED",
        "AP_ERR_ACCOUNT_NOT_EMPTY",
    ]
    for status in ledger:
        assert issubclass(mapped[status], atomicperf.LedgerError), status
    assert issubclass(mapped["AP_ERR_UNKNOWN_ACCOUNT"], KeyError)
    assert len({mapped[s] for s in ledger}) == len(ledger), "one class per ledger status"
    assert issubclass(mapped["AP_ERR_CLOSED"], RuntimeError)


def raised(call):
    with pytest.raises(BaseException) as info:
        call()
    return info.value


def timeout_of_a_once_map():
    m = atomicperf.OnceMap()
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return 1

    t = threading.Thread(target=lambda: m.get_or_init(b"k", slow))
    t.start()
    try:
        assert started.wait(10)
        return raised(lambda: m.get_or_init(b"k", lambda: 2, timeout=0))
    finally:
        release.set()
        t.join()


def closed_recorder():
    r = atomicperf.AsyncRecorder(atomicperf.Counter())
    r.close()
    return raised(lambda: r.record(1))


def series_limit():
    reg = atomicperf.Registry()
    reg.series_limit = 1
    reg.counter("jobs", labels={"q": "a"})
    return raised(lambda: reg.counter("jobs", labels={"q": "b"}))


def ledger(*ids):
    bank = atomicperf.Ledger()
    for i in ids:
        bank.open(i)
    return bank


def account_closed():
    bank = ledger(1)
    bank.close(1)
    return raised(lambda: bank.deposit(1, 5))


def insufficient_funds():
    bank = ledger(1, 2)
    return raised(lambda: bank.transfer(1, 2, 5))


def overflow():
    bank = ledger(1)
    bank.deposit(1, 2**63 - 1)
    return raised(lambda: bank.deposit(1, 1))


def not_empty():
    bank = ledger(1)
    bank.deposit(1, 1)
    return raised(lambda: bank.close(1))


def revision_mismatch():
    cell = atomicperf.SnapshotCell(b"a")
    cell.store(b"b")
    return raised(lambda: cell.compare_and_store(0, b"c"))


def in_a_batch(transfer, *ids, deposit=0):
    bank = ledger(*ids)
    if deposit:
        bank.deposit(ids[0], deposit)
    (result,) = bank.transfer_many([transfer])
    return result


# Real errors driven through the API, by the status the core reports them with.
RAISING = [
    ("AP_ERR_OUT_OF_RANGE", "histogram precision", lambda: raised(lambda: atomicperf.Histogram(9))),
    ("AP_ERR_OUT_OF_RANGE", "quantile", lambda: raised(lambda: atomicperf.Histogram().quantile(2))),
    ("AP_ERR_OUT_OF_RANGE", "stripes", lambda: raised(lambda: atomicperf.Counter(stripes=3))),
    (
        "AP_ERR_OUT_OF_RANGE",
        "recorder capacity",
        lambda: raised(lambda: atomicperf.AsyncRecorder(atomicperf.Counter(), capacity=0)),
    ),
    ("AP_ERR_INVALID_ARGUMENT", "series limit", series_limit),
    (
        "AP_ERR_INVALID_ARGUMENT",
        "metric name",
        lambda: raised(lambda: atomicperf.Registry().counter("0bad name")),
    ),
    ("AP_ERR_TIMEOUT", "OnceMap wait", timeout_of_a_once_map),
    ("AP_ERR_CLOSED", "AsyncRecorder after close", closed_recorder),
    ("AP_ERR_UNKNOWN_ACCOUNT", "balance", lambda: raised(lambda: ledger().balance(9))),
    ("AP_ERR_ACCOUNT_EXISTS", "open twice", lambda: raised(lambda: ledger(1).open(1))),
    ("AP_ERR_INVALID_AMOUNT", "zero deposit", lambda: raised(lambda: ledger(1).deposit(1, 0))),
    (
        "AP_ERR_INVALID_AMOUNT",
        "amount beyond i64",
        lambda: raised(lambda: ledger(1).deposit(1, 2**63)),
    ),
    (
        "AP_ERR_SAME_ACCOUNT",
        "transfer to itself",
        lambda: raised(lambda: ledger(1).transfer(1, 1, 1)),
    ),
    ("AP_ERR_INSUFFICIENT_FUNDS", "transfer", insufficient_funds),
    ("AP_ERR_OVERFLOW", "deposit", overflow),
    ("AP_ERR_ACCOUNT_CLOSED", "deposit", account_closed),
    ("AP_ERR_ACCOUNT_NOT_EMPTY", "close", not_empty),
    ("AP_ERR_REVISION_MISMATCH", "compare_and_store", revision_mismatch),
    ("AP_ERR_UNKNOWN_ACCOUNT", "in a batch", lambda: in_a_batch((1, 9, 1), 1)),
    ("AP_ERR_INSUFFICIENT_FUNDS", "in a batch", lambda: in_a_batch((1, 2, 5), 1, 2)),
    ("AP_ERR_SAME_ACCOUNT", "in a batch", lambda: in_a_batch((1, 1, 5), 1)),
    ("AP_ERR_INVALID_AMOUNT", "in a batch", lambda: in_a_batch((1, 2, -5), 1, 2)),
]


@pytest.mark.parametrize(
    ("status", "error"), [(s, e) for s, _, e in RAISING], ids=[f"{s}-{w}" for s, w, _ in RAISING]
)
def test_a_raising_path_raises_the_class_of_its_status(status, error):
    e = error()
    assert type(e) is table()[status], f"{status}: {type(e).__name__}: {e}"
    assert str(e)


def test_the_raising_paths_cover_every_status_python_can_meet():
    # The statuses of the C ABI's pointers and buffers, of empty statistics (None in Python) and
    # of a caught panic cannot be driven from Python, nor the C library's own push requests
    # (Python's push_to_gateway raises urllib's errors); every other one is above.
    never_from_python = {
        "AP_ERR_IO",
        "AP_OK",
        "AP_ERR_NULL_HANDLE",
        "AP_ERR_NULL_POINTER",
        "AP_ERR_BUFFER_TOO_SMALL",
        "AP_ERR_EMPTY",
        "AP_ERR_INTERNAL",
    }
    driven = {s for s, _, _ in RAISING}
    assert driven | never_from_python == set(core_statuses().values())
