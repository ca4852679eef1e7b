'use strict'
// Per-call cost of the later metrics against their baselines, all measured in this run:
//   timer.record(ns, ok)   vs a plain JS object of the same fields (count, errors, total, min,
//                          max) updated in JS, and vs prom-client Histogram.observe / Summary.observe;
//   asyncRecorder.record   vs a direct histogram.record (the update it defers).
// Each case: a warm-up pass, then the best of 5 rounds that time every case in turn
// (lib/rounds.js). Usage: node bench/metrics.js [--iterations N] [--json]

const { Timer, Histogram, AsyncRecorder } = require('..')
const promClient = require('prom-client')
const { bestPerCall } = require('../lib/rounds')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 1_000_000)
const ROUNDS = 5

const VALUES = new Float64Array(4096)
for (let i = 0, x = 12345; i < VALUES.length; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  VALUES[i] = 1000 + (x % 1_000_000_000)
}
const MASK = VALUES.length - 1

const timer = new Timer()
const plain = { count: 0, errors: 0, total: 0, min: Infinity, max: -Infinity }
function plainRecord(o, d, ok) {
  o.count++
  if (!ok) o.errors++
  o.total += d
  if (d < o.min) o.min = d
  if (d > o.max) o.max = d
}
const registry = new promClient.Registry()
const buckets = [1e3, 5e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7, 5e7, 1e8, 5e8, 1e9]
const promHistogram = new promClient.Histogram({ name: 'bench_h', help: 'h', registers: [registry], buckets })
const promSummary = new promClient.Summary({ name: 'bench_s', help: 's', registers: [registry], percentiles: [0.5, 0.9, 0.99] })
const direct = new Histogram()
const queued = new Histogram()
const recorder = new AsyncRecorder(queued, { capacity: 1 << 20 })

// prom-client's Summary keeps a t-digest and is much slower: fewer iterations keep the run short.
const SUMMARY_N = Math.max(10_000, Math.floor(N / 10))
const cases = {
  'atomicperf timer.record(ns, ok)': (n) => { for (let i = 0; i < n; i++) timer.record(VALUES[i & MASK], (i & 15) !== 0) },
  'plain JS object record': (n) => { for (let i = 0; i < n; i++) plainRecord(plain, VALUES[i & MASK], (i & 15) !== 0) },
  'prom-client histogram.observe(v)': (n) => { for (let i = 0; i < n; i++) promHistogram.observe(VALUES[i & MASK]) },
  'prom-client summary.observe(v)': { run: (n) => { for (let i = 0; i < n; i++) promSummary.observe(VALUES[i & MASK]) }, n: SUMMARY_N },
  'atomicperf histogram.record(v)': (n) => { for (let i = 0; i < n; i++) direct.record(VALUES[i & MASK]) },
  'atomicperf asyncRecorder.record(v)': {
    run: (n) => { for (let i = 0; i < n; i++) recorder.record(VALUES[i & MASK]) },
    after: () => recorder.flush(60_000), // every pass starts with room in the queue
  },
}

async function main() {
  const results = await bestPerCall(cases, { n: N, rounds: ROUNDS })
  await recorder.flush(60_000)
  const applied = recorder.applied
  const dropped = recorder.dropped
  await recorder.close()
  const ratios = [
    ['timer.record / plain JS object record', results['atomicperf timer.record(ns, ok)'] / results['plain JS object record']],
    ['prom-client histogram.observe / timer.record', results['prom-client histogram.observe(v)'] / results['atomicperf timer.record(ns, ok)']],
    ['prom-client summary.observe / timer.record', results['prom-client summary.observe(v)'] / results['atomicperf timer.record(ns, ok)']],
    ['asyncRecorder.record / histogram.record', results['atomicperf asyncRecorder.record(v)'] / results['atomicperf histogram.record(v)']],
  ]
  if (args.includes('--json')) {
    console.log(JSON.stringify({ iterations: N, nsPerOp: results, ratios: Object.fromEntries(ratios), asyncRecorder: { applied, dropped } }, null, 2))
    return
  }
  console.log(`iterations per round: ${N} (summary: ${SUMMARY_N}), best of ${ROUNDS}`)
  for (const [name, ns] of Object.entries(results)) console.log(`${name.padEnd(40)} ${ns.toFixed(1).padStart(8)} ns/op`)
  console.log('ratios:')
  for (const [name, r] of ratios) console.log(`  ${name.padEnd(48)} ${r.toFixed(2)}`)
  console.log(`asyncRecorder: ${applied} applied, ${dropped} dropped (queue full)`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
