#!/usr/bin/env bash
# Checks the exposition against real Prometheus tools (Debian's `prometheus` package, installed
# when missing): `promtool check metrics` on every kind of metric, then a real Prometheus server
# (native histograms enabled, so it asks for the protobuf format) on loopback scraping a small
# atomicperf exporter every second until the expected counter arrives in its query API, and
# `histogram_quantile` of the exporter's native histogram agrees with the library's own
# quantiles within the schema's error bound. Bounded: gives up after 60 s, and stops both
# processes on exit.
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

echo "real Prometheus scraping the exporter"
"$examples/exporter" 0 >"$work/exporter.port" &
pids+=($!)
for _ in $(seq 50); do [ "$(wc -l <"$work/exporter.port")" -ge 2 ] && break; sleep 0.1; done
exporter_port=$(head -1 "$work/exporter.port")
quantiles=$(sed -n 2p "$work/exporter.port")
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: atomicperf
    static_configs:
      - targets: ["127.0.0.1:$exporter_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --enable-feature=native-histograms \
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
python3 - "$prom_port" "$quantiles" <<'PY'
import json, sys, time, urllib.parse, urllib.request

port, ours = sys.argv[1], [float(q) for q in sys.argv[2].split()]


def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    return json.load(urllib.request.urlopen(url, timeout=2))["data"]["result"]


deadline = time.monotonic() + 60
answer = None
while time.monotonic() < deadline:
    try:
        answer = answer or query("atomicperf_demo_answer_total")
        native = query("histogram_quantile(0.99, atomicperf_demo_latency_seconds)")
        if answer and native:
            break
    except (OSError, KeyError, ValueError):
        pass
    time.sleep(0.5)
else:
    sys.exit("Prometheus did not scrape the exporter (counter and native histogram) within 60 s")
value = answer[0]["value"][1]
assert value == "42", f"Prometheus scraped {value}, expected 42"
print(f"Prometheus scraped atomicperf_demo_answer_total = {value}")
# Schema 3: any two estimates inside one bucket are within a factor 2^(1/8) of each other.
bound = 2 ** (1 / 8) - 1
for q, mine in zip((0.5, 0.99), ours):
    theirs = float(query(f"histogram_quantile({q}, atomicperf_demo_latency_seconds)")[0]["value"][1])
    error = abs(theirs - mine) / mine
    print(f"histogram_quantile({q}) of the native histogram: Prometheus {theirs:.6g}, atomicperf "
          f"{mine:.6g} (relative difference {error:.4f}, bound {bound:.4f})")
    assert error <= bound, f"quantile {q}: Prometheus {theirs}, atomicperf {mine}"
# It is a native histogram in Prometheus: no classic _bucket series were ingested.
assert not query("atomicperf_demo_latency_seconds_bucket"), "scraped as a classic histogram"
PY
