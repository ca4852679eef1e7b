"""The package: exports, version, typing files."""

import pathlib

import atomicperf


def test_exports_the_classes_and_a_version():
    assert set(atomicperf.__all__) == {"Counter", "Gauge", "Histogram", "__version__"}
    assert atomicperf.__version__.count(".") == 2


def test_classes_live_in_the_atomicperf_module():
    for cls in (atomicperf.Counter, atomicperf.Gauge, atomicperf.Histogram):
        assert cls.__module__ == "atomicperf"
        assert cls.__doc__


def test_ships_stubs_and_py_typed():
    pkg = pathlib.Path(atomicperf.__file__).parent
    assert (pkg / "py.typed").exists()
    stub = (pkg / "_atomicperf.pyi").read_text()
    for name in ("class Counter", "class Gauge", "class Histogram"):
        assert name in stub


def test_stub_documents_every_public_member():
    import ast

    pkg = pathlib.Path(atomicperf.__file__).parent
    tree = ast.parse((pkg / "_atomicperf.pyi").read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            assert ast.get_docstring(node), node.name
            documented = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    assert ast.get_docstring(item), f"{node.name}.{item.name}"
                    documented.add(item.name)
            runtime = {
                n for n in dir(getattr(atomicperf, node.name)) if not n.startswith("_")
            }
            assert runtime <= documented, f"{node.name}: undocumented {runtime - documented}"
