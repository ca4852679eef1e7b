"""atomicperf.bench (the core's suite from Python) and python -m atomicperf. Never a timing
assert: only the report's shape and that every cell did work."""

import json
import subprocess
import sys
from datetime import timedelta

import atomicperf
import pytest
from _gil import runs_during
from atomicperf import bench

CELL_KEYS = {
    "workload",
    "description",
    "design",
    "baseline",
    "threads",
    "ops",
    "seconds",
    "ops_per_sec",
    "ns_per_op",
    "p50_ns",
    "p99_ns",
    "speedup",
}


def test_run_returns_the_documented_schema_with_every_cell():
    report = bench.run(threads=(1,), duration=0.005, filter="counter")
    assert report["schema"] == "atomicperf-bench/1"
    assert report["version"] == atomicperf.__version__
    assert report["threads"] == [1]
    assert report["cell_seconds"] == pytest.approx(0.005)
    assert report["cpus"] >= 1
    cells = report["cells"]
    assert len(cells) == 3  # striped Counter, one atomic, Mutex
    for c in cells:
        assert set(c) == CELL_KEYS
        assert c["workload"] == "counter" and c["threads"] == 1
        assert c["ops"] > 0 and c["ops_per_sec"] > 0 and c["ns_per_op"] > 0
    assert sum(c["baseline"] for c in cells) == 1
    assert next(c for c in cells if c["baseline"])["speedup"] == 1.0
    assert isinstance(report["published"], list)


def test_run_takes_several_thread_counts_filters_and_a_timedelta():
    report = bench.run(
        threads=[1, 2], duration=timedelta(milliseconds=3), filter=["gauge", "minmax"]
    )
    cells = report["cells"]
    assert {c["workload"] for c in cells} == {"gauge", "minmax"}
    assert {c["threads"] for c in cells} == {1, 2}
    assert all(c["ops"] > 0 for c in cells)
    one = bench.run(threads=1, duration=0.003, filter="gauge")
    assert one["threads"] == [1]


def test_run_report_renders_table_markdown_and_json():
    r = bench.run_report(threads=(1,), duration=0.003, filter="counter")
    assert isinstance(r, atomicperf.BenchReport)
    assert "workload" in r.to_table() and "Mutex<u64> *" in r.to_table()
    assert r.to_markdown().startswith("atomicperf ") and "| workload |" in r.to_markdown()
    assert json.loads(r.to_json())["schema"] == "atomicperf-bench/1"
    assert repr(r).startswith("BenchReport(cells=3")


def test_progress_is_called_before_each_cell():
    seen = []
    bench.run(threads=(1,), duration=0.002, filter="counter", progress=lambda *a: seen.append(a))
    assert [s[0] for s in seen] == [0, 1, 2]
    assert all(s[1] == 3 and s[2] == "counter" and s[4] == 1 for s in seen)


def test_an_exception_in_progress_is_raised_after_the_run():
    calls = []

    def progress(*a):
        calls.append(a)
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        bench.run(threads=(1,), duration=0.002, filter="counter", progress=progress)
    assert len(calls) == 1


def test_workloads_lists_what_filter_matches():
    names = bench.workloads()
    assert "counter" in names and "ledger" in names


@pytest.mark.parametrize(
    "kwargs, text",
    [
        (dict(threads=()), "thread counts must be 1 to 256"),
        (dict(threads=(0,)), "thread counts must be 1 to 256"),
        (dict(threads=(257,)), "thread counts must be 1 to 256"),
        (dict(threads=(-1,)), "thread counts must be positive"),
        (dict(duration=0), "above zero"),
        (dict(duration=-0.5), "not below 0"),
        (dict(duration=float("nan")), "not below 0"),
        (dict(filter="no_such_workload"), "matches no workload"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, text):
    with pytest.raises(ValueError, match=text):
        bench.run(**{"threads": (1,), "duration": 0.001, "filter": "counter", **kwargs})


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(threads="1,2"),
        dict(threads=1.5),
        dict(duration="1s"),
        dict(filter=[1]),
        dict(filter=3),
        dict(progress=3),
    ],
)
def test_arguments_of_another_type_raise_type_error(kwargs):
    with pytest.raises(TypeError):
        bench.run(**{"threads": (1,), "duration": 0.001, "filter": "counter", **kwargs})


def test_run_releases_the_gil():
    ran, report = runs_during(lambda: bench.run(threads=(1,), duration=0.005, filter="counter"))
    assert ran
    assert len(report["cells"]) == 3


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "atomicperf", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_bench_prints_the_table_and_writes_json(tmp_path):
    out = tmp_path / "report.json"
    p = run_cli(
        "bench", "--threads", "1", "--duration", "0.003", "--filter", "counter", "--json", str(out)
    )
    assert p.returncode == 0, p.stderr
    assert "workload" in p.stdout and "speed-up" in p.stdout
    assert p.stdout.count("\ncounter ") == 3
    doc = json.loads(out.read_text())
    assert doc["schema"] == "atomicperf-bench/1" and len(doc["cells"]) == 3


def test_cli_bench_json_to_stdout_and_markdown():
    p = run_cli(
        "bench", "--threads", "1,2", "--duration", "0.002", "--filter", "gauge", "--json", "-"
    )
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)["cells"]) == 4
    p = run_cli("bench", "--threads", "1", "--duration", "0.002", "--filter", "gauge", "--markdown")
    assert p.returncode == 0, p.stderr
    assert "| workload |" in p.stdout


def test_cli_reports_bad_arguments():
    p = run_cli("bench", "--threads", "a", "--duration", "0.002")
    assert p.returncode == 2 and "thread counts" in p.stderr
    p = run_cli("bench", "--threads", "0", "--duration", "0.002", "--filter", "counter")
    assert p.returncode == 2 and "thread counts must be 1 to 256" in p.stderr
    p = run_cli("bench", "--duration", "0.002", "--filter", "nope")
    assert p.returncode == 2 and "matches no workload" in p.stderr
    p = run_cli()
    assert p.returncode == 2


def test_cli_workloads_and_overhead():
    p = run_cli("workloads")
    assert p.returncode == 0 and "counter" in p.stdout.split()
    p = run_cli("overhead", "--number", "200", "--repeat", "1", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    for key in ("counter_inc", "hist_record", "map_get", "cell_load", "locked_inc"):
        assert doc["ns_per_call"][key] > 0
