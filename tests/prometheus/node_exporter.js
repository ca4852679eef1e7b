'use strict'
// An exporter for the real-Prometheus scrape test (scripts/test-prometheus.sh), in Node: the
// same 10,000 latencies as the Rust exporter example in a native histogram
// `atomicperf_demo_latency_seconds{lang="node"}`, served by node:http with the format negotiated
// from the scrape's Accept header, with the default metrics (process and Node.js ones, set at
// each scrape); it burns 20 ms of CPU every half second, so that process_cpu_seconds_total grows
// between scrapes. Prints the port, then the 0.5 and 0.99 quantiles as the library computes them,
// then serves until killed.
const http = require('node:http')
const path = require('node:path')
const { Registry, negotiate } = require(path.join(__dirname, '..', '..', 'bindings-node'))

const registry = new Registry()
registry.registerDefaultMetrics()
const latency = registry.nativeHistogram('atomicperf_demo_latency_seconds', {
  help: 'Latencies the scrape test asks Prometheus the quantiles of.',
  labels: { lang: 'node' },
})
const MASK = (1n << 64n) - 1n
let x = 0x9e3779b97f4a7c15n
for (let i = 0; i < 10_000; i++) {
  x ^= (x << 13n) & MASK
  x ^= x >> 7n
  x ^= (x << 17n) & MASK
  latency.record(1e-3 * 10 ** (Number(x % 3000n) / 1000))
}
// Exemplars on a counter and on a classic histogram's bucket, which the script reads back through
// Prometheus' /api/v1/query_exemplars.
registry.counter('atomicperf_demo_traced_requests', { help: 'Requests with a trace.', labels: { lang: 'node' } })
  .incWithExemplar({ trace_id: 'node-counter-4bf92f35' })
registry.histogram('atomicperf_demo_traced_latency_seconds', { help: 'Latency with a trace.', labels: { lang: 'node' } })
  .recordWithExemplar(43_000_000, { trace_id: 'node-histogram-00f067aa' })
const server = http.createServer((req, res) => {
  const { format, contentType } = negotiate(req.headers.accept)
  res.writeHead(200, { 'Content-Type': contentType }).end(registry.metrics({ format }))
})
setInterval(() => {
  const end = process.cpuUsage().user + 20_000
  while (process.cpuUsage().user < end);
}, 500)
server.listen(0, '127.0.0.1', () => {
  console.log(server.address().port)
  console.log(`${latency.quantile(0.5)} ${latency.quantile(0.99)}`)
})
