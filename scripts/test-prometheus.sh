#!/usr/bin/env bash
# Checks the exposition against real Prometheus tools (Debian's `prometheus` package, installed
# when missing): `promtool check metrics` on every kind of metric, then a real Prometheus server
# on loopback scraping a small atomicperf exporter every second until the expected value arrives
# in its query API. Bounded: gives up after 60 s, and stops both processes on exit.
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
for _ in $(seq 50); do [ -s "$work/exporter.port" ] && break; sleep 0.1; done
exporter_port=$(head -1 "$work/exporter.port")
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
    --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)
python3 - "$prom_port" <<'PY'
import json, sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/query?query=atomicperf_demo_answer_total"
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        result = json.load(urllib.request.urlopen(url, timeout=2))["data"]["result"]
        if result:
            value = result[0]["value"][1]
            assert value == "42", f"Prometheus scraped {value}, expected 42"
            print(f"Prometheus scraped atomicperf_demo_answer_total = {value}")
            sys.exit(0)
    except (OSError, KeyError, ValueError):
        pass
    time.sleep(0.5)
sys.exit("Prometheus did not scrape the exporter within 60 s")
PY
