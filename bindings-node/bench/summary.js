'use strict'
// Per-call cost of Summary.record against Histogram.record and prom-client's Summary, all in this
// run:
//   summary.record(ns)               one native call into the core's ring of histograms
//   histogram.record(ns)             the direct Atomics path into a Histogram's cells (no call)
//   histogram.record(ns) (native)    the native call that direct path replaces
//   prom-client summary.observe(s)   prom-client's Summary (t-digests, maxAgeSeconds window)
// The target: summary.record within 2x of histogram.record.
// Each case: a warm-up pass, then the best of many short timed passes (25 of 200,000 calls by
// default), the cases interleaved pass by pass, so that a noisy moment of a shared machine hits
// them alike and the best pass of each is a quiet one.
// Usage: node bench/summary.js [--iterations N] [--rounds R] [--json]

const ap = require('..')
const { Histogram, Summary } = ap
const internals = ap[Symbol.for('atomicperf.internals')]
const promClient = require('prom-client')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 200_000)
const ROUNDS = option('--rounds', 25)

// The same latencies for every case: 1 us to 1 s, as integer nanoseconds and as seconds.
const NANOS = new Float64Array(4096)
const SECONDS = new Float64Array(NANOS.length)
for (let i = 0, x = 12345; i < NANOS.length; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  NANOS[i] = 1000 + (x % 1_000_000_000)
  SECONDS[i] = NANOS[i] / 1e9
}
const MASK = NANOS.length - 1

// The defaults of both libraries' summaries but the window: one minute in 6 steps for each.
const summary = new Summary({ maxAgeSeconds: 60, ageBuckets: 6 })
const histogram = new Histogram()
const histogramCalls = new Histogram()
const { recordNative } = internals.histogram
const registry = new promClient.Registry()
const prom = new promClient.Summary({
  name: 'bench_summary', help: 'h', percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 60, ageBuckets: 6, registers: [registry],
})

const cases = {
  'atomicperf summary.record(ns)': (n) => { for (let i = 0; i < n; i++) summary.record(NANOS[i & MASK]) },
  'atomicperf histogram.record(ns)': (n) => { for (let i = 0; i < n; i++) histogram.record(NANOS[i & MASK]) },
  'atomicperf histogram.record(ns) (native call)': (n) => {
    for (let i = 0; i < n; i++) recordNative(histogramCalls, NANOS[i & MASK])
  },
  'prom-client summary.observe(s)': (n) => { for (let i = 0; i < n; i++) prom.observe(SECONDS[i & MASK]) },
}

function main() {
  const best = {}
  for (const [name, run] of Object.entries(cases)) {
    run(Math.min(N, 100_000))
    best[name] = Infinity
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint()
      run(N)
      const ns = Number(process.hrtime.bigint() - start) / N
      if (ns < best[name]) best[name] = ns
    }
  }
  const record = best['atomicperf summary.record(ns)']
  const ratios = [
    ['summary.record / histogram.record (target <= 2)', record / best['atomicperf histogram.record(ns)']],
    ['summary.record / histogram.record native call', record / best['atomicperf histogram.record(ns) (native call)']],
    ['prom-client summary.observe / summary.record', best['prom-client summary.observe(s)'] / record],
  ]
  if (summary.count() !== histogram.count()) throw new Error('the summary and the histogram disagree')
  if (internals.histogram.cells(histogram) === null) console.error('warning: the direct path is off: every histogram record is a native call')
  if (args.includes('--json')) {
    console.log(JSON.stringify({ iterations: N, nsPerOp: best, ratios: Object.fromEntries(ratios) }, null, 2))
    return
  }
  console.log(`iterations per round: ${N}, best of ${ROUNDS}`)
  for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(48)} ${ns.toFixed(1).padStart(8)} ns/op`)
  console.log('ratios:')
  for (const [name, r] of ratios) console.log(`  ${name.padEnd(60)} ${r.toFixed(2)}`)
}

main()
