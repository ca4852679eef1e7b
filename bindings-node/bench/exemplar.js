'use strict'
// Exemplars, measured in this run: a record with an exemplar against a plain record, atomicperf
// and prom-client. atomicperf (registry metrics): counter.inc() vs counter.incWithExemplar(labels)
// and histogram.record(v) vs histogram.recordWithExemplar(v, labels) (the plain records write the
// cells from JS with Atomics, the exemplar ones are one native call). prom-client: counter.inc()
// and histogram.observe(v) on plain metrics vs counter.inc({ value: 1, exemplarLabels }) and
// histogram.observe({ value, exemplarLabels }) on metrics with enableExemplars (which take only
// the object form). One trace id (16 hex
// digits) per call, from an array made beforehand. Best of 5 rounds of N calls, per call, each
// round timing every case in turn (lib/rounds.js); ratios between rows of this run only.
// Nothing here asserts a timing.
// Usage: node bench/exemplar.js [--calls N] [--json]

const ap = require('..')
const promClient = require('prom-client')
const { bestPerCall } = require('../lib/rounds')

const args = process.argv.slice(2)
const i = args.indexOf('--calls')
const N = i >= 0 ? Number(args[i + 1]) : 1_000_000
const ROUNDS = 5
const traces = Array.from({ length: 1024 }, (_, k) => ({ trace_id: k.toString(16).padStart(16, '0') }))

const r = new ap.Registry()
const c = r.counter('bench_requests', { help: 'Requests.' })
const h = r.histogram('bench_latency_seconds', { help: 'Latency.' })
const preg = new promClient.Registry()
preg.setContentType(promClient.Registry.OPENMETRICS_CONTENT_TYPE)
const pc0 = new promClient.Counter({ name: 'bench_plain_requests', help: 'Requests.', registers: [preg] })
const ph0 = new promClient.Histogram({ name: 'bench_plain_latency_seconds', help: 'Latency.', registers: [preg] })
const pc = new promClient.Counter({ name: 'bench_requests', help: 'Requests.', registers: [preg], enableExemplars: true })
const ph = new promClient.Histogram({ name: 'bench_latency_seconds', help: 'Latency.', registers: [preg], enableExemplars: true })

const cases = {
  'atomicperf counter inc': (n) => { for (let k = 0; k < n; k++) c.inc() },
  'atomicperf counter incWithExemplar': (n) => { for (let k = 0; k < n; k++) c.incWithExemplar(traces[k & 1023]) },
  'atomicperf histogram record': (n) => { for (let k = 0; k < n; k++) h.record(43_000_000) },
  'atomicperf histogram recordWithExemplar': (n) => {
    for (let k = 0; k < n; k++) h.recordWithExemplar(43_000_000, traces[k & 1023])
  },
  'prom-client counter inc': (n) => { for (let k = 0; k < n; k++) pc0.inc() },
  'prom-client counter inc exemplarLabels': (n) => {
    for (let k = 0; k < n; k++) pc.inc({ value: 1, exemplarLabels: traces[k & 1023] })
  },
  'prom-client histogram observe': (n) => { for (let k = 0; k < n; k++) ph0.observe(0.043) },
  'prom-client histogram observe exemplarLabels': (n) => {
    for (let k = 0; k < n; k++) ph.observe({ value: 0.043, exemplarLabels: traces[k & 1023] })
  },
}

async function main() {
  const ns = await bestPerCall(cases, { n: N, rounds: ROUNDS })
  const ratios = {
    'atomicperf counter': ns['atomicperf counter incWithExemplar'] / ns['atomicperf counter inc'],
    'atomicperf histogram': ns['atomicperf histogram recordWithExemplar'] / ns['atomicperf histogram record'],
    'prom-client counter': ns['prom-client counter inc exemplarLabels'] / ns['prom-client counter inc'],
    'prom-client histogram': ns['prom-client histogram observe exemplarLabels'] / ns['prom-client histogram observe'],
  }
  if (args.includes('--json')) {
    console.log(JSON.stringify({ calls: N, ns, ratiosWithExemplarOverPlain: ratios }))
  } else {
    console.log(`exemplars, per call (best of ${ROUNDS} x ${N}):`)
    for (const [name, v] of Object.entries(ns)) console.log(`  ${name.padEnd(48)} ${v.toFixed(1).padStart(8)} ns`)
    console.log('with an exemplar / plain:')
    for (const [name, v] of Object.entries(ratios)) console.log(`  ${name.padEnd(24)} ${v.toFixed(2).padStart(6)}x`)
    console.log(`  prom-client with exemplar / atomicperf with exemplar: counter ${(ns['prom-client counter inc exemplarLabels'] / ns['atomicperf counter incWithExemplar']).toFixed(2)}x, ` +
      `histogram ${(ns['prom-client histogram observe exemplarLabels'] / ns['atomicperf histogram recordWithExemplar']).toFixed(2)}x`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
