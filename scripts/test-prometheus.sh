#!/usr/bin/env bash
# Checks the exposition against real Prometheus tools (Debian's `prometheus` package, installed
# when missing): `promtool check metrics` on every kind of metric, then a real Prometheus server
# (native histograms enabled, so it asks for the protobuf format) on loopback scraping a small
# atomicperf exporter every second until the expected counter arrives in its query API, and
# `histogram_quantile` of the exporter's native histogram agrees with the library's own
# quantiles within the schema's error bound. The Python and Node exporters register the default
# metrics: process_cpu_seconds_total grows between two scrapes and process_resident_memory_bytes
# is within 2x of the exporter's VmRSS, as Prometheus' query API returns them. With exemplar storage
# on, the exemplars the Python and Node exporters record on a counter and a histogram bucket come
# back from /api/v1/query_exemplars with their trace_id. Bounded: gives up
# after 60 s, and stops both processes on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
    # shellcheck source=lib/system-packages.sh
    source scripts/lib/system-packages.sh
    ap_install_packages test-prometheus.sh prometheus
fi

cargo build -q --locked -p atomicperf --examples
examples=target/debug/examples
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

echo "promtool check metrics: every metric kind"
"$examples/exposition" >"$work/all.prom"
promtool check metrics <"$work/all.prom"
# prometheus_client's parsers (in .venv, which scripts/test-python.sh made) read both text
# formats of the same registry, OpenMetrics with its info, stateset and summary families and its
# exemplars.
"$examples/exposition" --openmetrics >"$work/all.om"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import prometheus_client" 2>/dev/null; then
    .venv/bin/python - "$work/all.prom" "$work/all.om" <<'PY'
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
from prometheus_client.parser import text_string_to_metric_families as prometheus

text = open(sys.argv[1]).read()
om = open(sys.argv[2]).read()
assert len(list(prometheus(text))) > 10
families = list(openmetrics(om))
kinds = {f.type for f in families}
missing = {"counter", "gauge", "histogram", "summary", "info", "stateset"} - kinds
assert not missing, f"OpenMetrics export lacks {missing}: {kinds}"
exemplars = [s for f in families for s in f.samples if s.exemplar]
assert len(exemplars) >= 2, exemplars
print(f"prometheus_client: {len(families)} OpenMetrics families ({', '.join(sorted(kinds))}), "
      f"{len(exemplars)} exemplars")
PY
else
    echo "(no .venv with prometheus_client: the OpenMetrics export is not parsed)"
fi

echo "real Prometheus scraping the exporters"
# Each exporter prints its port, then its native histogram's 0.5 and 0.99 quantiles.
start_exporter() { # name selector command...
    local name=$1 selector=$2
    shift 2
    "$@" >"$work/$name.out" &
    pids+=($!)
    exporter_pids+=("$name=$!")
    for _ in $(seq 100); do [ "$(wc -l <"$work/$name.out")" -ge 2 ] && break; sleep 0.1; done
    [ "$(wc -l <"$work/$name.out")" -ge 2 ] || { echo "the $name exporter did not start" >&2; exit 1; }
    exporters+=("$name|$selector|$(head -1 "$work/$name.out")|$(sed -n 2p "$work/$name.out")")
}
exporters=()
exporter_pids=()
start_exporter rust 'route="/"' "$examples/exporter" 0
# Python and Node exporters when their builds are in place (scripts/test-python.sh and
# scripts/test-node.sh, which scripts/test.sh runs first).
if [ -x .venv/bin/python ] && .venv/bin/python -c "import atomicperf.prometheus" 2>/dev/null; then
    start_exporter python 'lang="python"' .venv/bin/python tests/prometheus/python_exporter.py
else
    echo "(no .venv with atomicperf: the Python exporter is not scraped)"
fi
if [ -f tests/prometheus/node_exporter.js ] && node -e "require('./bindings-node')" 2>/dev/null; then
    start_exporter node 'lang="node"' node tests/prometheus/node_exporter.js
else
    echo "(no Node addon: the Node exporter is not scraped)"
fi
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
    printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n'
    for e in "${exporters[@]}"; do
        IFS='|' read -r name _ port _ <<<"$e"
        printf '  - job_name: %s\n    static_configs:\n      - targets: ["127.0.0.1:%s"]\n' "$name" "$port"
    done
} >"$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --enable-feature=native-histograms \
    --enable-feature=exemplar-storage \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
EXPORTER_PIDS="${exporter_pids[*]}" python3 - "$prom_port" "${exporters[@]}" <<'PY'
import json, os, sys, time, urllib.parse, urllib.request

port, exporters = sys.argv[1], [e.split("|") for e in sys.argv[2:]]


def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    return json.load(urllib.request.urlopen(url, timeout=2))["data"]["result"]


def native(q, selector):
    return query(f"histogram_quantile({q}, atomicperf_demo_latency_seconds{{{selector}}})")


deadline = time.monotonic() + 60
answer = None
while time.monotonic() < deadline:
    try:
        answer = answer or query("atomicperf_demo_answer_total")
        if answer and all(native(0.99, e[1]) for e in exporters):
            break
    except (OSError, KeyError, ValueError):
        pass
    time.sleep(0.5)
else:
    sys.exit("Prometheus did not scrape every exporter (counter and native histograms) within 60 s")
value = answer[0]["value"][1]
assert value == "42", f"Prometheus scraped {value}, expected 42"
print(f"Prometheus scraped atomicperf_demo_answer_total = {value}")
# Schema 3: any two estimates inside one bucket are within a factor 2^(1/8) of each other.
bound = 2 ** (1 / 8) - 1
for name, selector, _, quantiles in exporters:
    for q, mine in zip((0.5, 0.99), map(float, quantiles.split())):
        theirs = float(native(q, selector)[0]["value"][1])
        error = abs(theirs - mine) / mine
        print(f"{name}: histogram_quantile({q}) of the native histogram: Prometheus {theirs:.6g}, "
              f"atomicperf {mine:.6g} (relative difference {error:.4f}, bound {bound:.4f})")
        assert error <= bound, f"{name}, quantile {q}: Prometheus {theirs}, atomicperf {mine}"
# Native histograms in Prometheus: no classic _bucket series were ingested.
assert not query("atomicperf_demo_latency_seconds_bucket"), "scraped as a classic histogram"

# Default metrics of the Python and Node exporters (each burns 20 ms of CPU every half second).
pids = dict(p.split("=") for p in os.environ["EXPORTER_PIDS"].split())
for name in [n for n in ("python", "node") if n in pids]:
    job = f'{{job="{name}"}}'
    deadline = time.monotonic() + 15
    while True:
        cpu = query(f"process_cpu_seconds_total{job}[30s]")
        values = [float(v) for _, v in cpu[0]["values"]] if cpu else []
        if len(values) >= 2 and values[-1] > values[0]:
            break
        assert time.monotonic() < deadline, f"{name}: process_cpu_seconds_total did not grow: {values}"
        time.sleep(0.5)
    assert values == sorted(values), f"{name}: process_cpu_seconds_total went down: {values}"
    print(f"{name}: process_cpu_seconds_total over {len(values)} scrapes: {values[0]} -> {values[-1]}")
    rss = float(query(f"process_resident_memory_bytes{job}")[0]["value"][1])
    with open(f"/proc/{pids[name]}/status") as f:
        vm_rss = next(float(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    print(f"{name}: process_resident_memory_bytes {rss:.0f}, VmRSS {vm_rss:.0f}")
    assert vm_rss / 2 < rss < vm_rss * 2, f"{name}: resident memory {rss} vs VmRSS {vm_rss}"
    runtime = {"python": "python_gc_collections_total", "node": "nodejs_heap_size_used_bytes"}[name]
    assert query(runtime + job), f"{name}: no {runtime} scraped"
    print(f"{name}: {runtime} scraped")

# Exemplars of the Python and Node exporters (a counter's and a histogram bucket's), as Prometheus
# stored them.
def exemplars(metric):
    now = time.time()
    url = f"http://127.0.0.1:{port}/api/v1/query_exemplars?" + urllib.parse.urlencode(
        {"query": metric, "start": now - 300, "end": now + 60})
    return json.load(urllib.request.urlopen(url, timeout=2))["data"]


for name in [n for n in ("python", "node") if n in pids]:
    for metric, kind in (("atomicperf_demo_traced_requests_total", "counter"),
                         ("atomicperf_demo_traced_latency_seconds_bucket", "histogram")):
        want = f"{name}-{kind}-"
        deadline = time.monotonic() + 15
        while True:
            got = [(s["seriesLabels"], e) for s in exemplars(metric)
                   if s["seriesLabels"].get("lang") == name for e in s["exemplars"]]
            if got:
                break
            assert time.monotonic() < deadline, f"{name}: no exemplar of {metric} in Prometheus"
            time.sleep(0.5)
        series, e = got[-1]
        print(f"{name}: Prometheus' exemplar of {metric}{{le={series.get('le')!r}}}: "
              f"{e['labels']} value {e['value']}")
        assert e["labels"].get("trace_id", "").startswith(want), f"{name}: {e}"
        if kind == "histogram":
            assert series.get("le") == "0.05" and float(e["value"]) == 0.043, f"{name}: {series} {e}"
PY
