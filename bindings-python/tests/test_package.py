"""The package: exports, version, typing files."""

import pathlib

import atomicperf


def test_exports_the_classes_and_a_version():
    assert set(atomicperf.__all__) == {
        "OPENMETRICS_CONTENT_TYPE",
        "PROMETHEUS_CONTENT_TYPE",
        "PROTOBUF_CONTENT_TYPE",
        "AccountClosedError",
        "AccountExistsError",
        "AccountNotEmptyError",
        "AsyncRecorder",
        "BalanceOverflowError",
        "BenchReport",
        "CancellationToken",
        "ClosedError",
        "Counter",
        "Enum",
        "Gauge",
        "Histogram",
        "Info",
        "InsufficientFundsError",
        "InvalidAmountError",
        "Ledger",
        "LedgerError",
        "MinMax",
        "NativeHistogram",
        "NativeSnapshot",
        "OnceMap",
        "RateTracker",
        "Registry",
        "RevisionMismatchError",
        "SameAccountError",
        "ShardedMap",
        "SharedRegistry",
        "SnapshotCell",
        "Summary",
        "ThroughputWindow",
        "Timer",
        "TimerSnapshot",
        "UnknownAccountError",
        "WindowStats",
        "__version__",
        "default_registry",
        "negotiate",
    }
    for name in atomicperf.__all__:
        assert hasattr(atomicperf, name), name
    assert atomicperf.__version__.count(".") == 2


def test_classes_live_in_the_atomicperf_module():
    for name in atomicperf.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(atomicperf, name)
        if isinstance(obj, str):
            continue  # a constant
        if isinstance(obj, type):
            assert obj.__module__ == "atomicperf", name
        assert obj.__doc__, name


def test_content_type_constants():
    assert atomicperf.PROMETHEUS_CONTENT_TYPE == "text/plain; version=0.0.4; charset=utf-8"
    assert atomicperf.OPENMETRICS_CONTENT_TYPE.startswith(
        "application/openmetrics-text; version=1.0.0"
    )
    assert atomicperf.PROTOBUF_CONTENT_TYPE.startswith("application/vnd.google.protobuf;")


def test_submodules_bench_prometheus_and_main():
    import importlib

    assert callable(atomicperf.bench.run)
    assert callable(atomicperf.bench.run_report)
    assert atomicperf.bench.BenchReport is atomicperf.BenchReport
    assert importlib.import_module("atomicperf.__main__").main
    try:
        import prometheus_client  # noqa: F401
    except ImportError:
        return
    assert importlib.import_module("atomicperf.prometheus").Collector


def test_ships_stubs_and_py_typed():
    pkg = pathlib.Path(atomicperf.__file__).parent
    assert (pkg / "py.typed").exists()
    stub = (pkg / "_atomicperf.pyi").read_text()
    for name in atomicperf.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(atomicperf, name)
        if isinstance(obj, type):
            assert f"class {name}" in stub, name
        elif callable(obj):
            assert f"def {name}(" in stub, name
        else:
            assert f"\n{name}: " in stub, name


def test_stub_documents_every_public_member():
    import ast

    pkg = pathlib.Path(atomicperf.__file__).parent
    tree = ast.parse((pkg / "_atomicperf.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            assert ast.get_docstring(node), node.name
        if isinstance(node, ast.ClassDef):
            assert ast.get_docstring(node), node.name
            if issubclass(getattr(atomicperf, node.name), BaseException):
                continue  # its members are the built-in exception's
            documented = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    assert ast.get_docstring(item), f"{node.name}.{item.name}"
                    documented.add(item.name)
            runtime = {n for n in dir(getattr(atomicperf, node.name)) if not n.startswith("_")}
            assert runtime <= documented, f"{node.name}: undocumented {runtime - documented}"


def test_closed_error_is_a_runtime_error():
    assert issubclass(atomicperf.ClosedError, RuntimeError)


def test_ledger_errors_form_one_hierarchy_under_value_error():
    assert issubclass(atomicperf.LedgerError, ValueError)
    for name in (
        "UnknownAccountError",
        "AccountExistsError",
        "InvalidAmountError",
        "SameAccountError",
        "InsufficientFundsError",
        "BalanceOverflowError",
    ):
        assert issubclass(getattr(atomicperf, name), atomicperf.LedgerError), name
    assert issubclass(atomicperf.UnknownAccountError, KeyError)
    assert issubclass(atomicperf.RevisionMismatchError, ValueError)
