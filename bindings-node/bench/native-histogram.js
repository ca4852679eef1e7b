'use strict'
// Per-call cost of NativeHistogram against today's Histogram and prom-client, all in this run:
//   nativeHistogram.record(s)          the direct Atomics path into its dense cells (seconds)
//   nativeHistogram.recordDuration(ns) the same from integer nanoseconds
//   nativeHistogram.record (native)    the native call the direct path replaces
//   histogram.record(ns)               the direct Atomics path into a Histogram's cells
//   prom-client histogram.observe(s)   a classic histogram with the default buckets
// The target: nativeHistogram.record within 1.2x of histogram.record.
// Each case: a warm-up pass, then the best of many short timed passes (25 of 200,000 calls by
// default), the cases interleaved pass by pass (lib/rounds.js), so that a noisy moment of a shared machine hits
// them alike and the best pass of each is a quiet one.
// Usage: node bench/native-histogram.js [--iterations N] [--rounds R] [--json]

const ap = require('..')
const { Histogram, NativeHistogram } = ap
const internals = ap[Symbol.for('atomicperf.internals')]
const promClient = require('prom-client')
const { bestPerCall } = require('../lib/rounds')

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

const histogram = new Histogram()
const native = new NativeHistogram()
const nativeDurations = new NativeHistogram()
const nativeCalls = new NativeHistogram()
const { recordNative } = internals.nativeHistogram
const registry = new promClient.Registry()
const prom = new promClient.Histogram({ name: 'bench_native_h', help: 'h', registers: [registry] })

const cases = {
  'atomicperf histogram.record(ns)': (n) => { for (let i = 0; i < n; i++) histogram.record(NANOS[i & MASK]) },
  'atomicperf nativeHistogram.record(s)': (n) => { for (let i = 0; i < n; i++) native.record(SECONDS[i & MASK]) },
  'atomicperf nativeHistogram.recordDuration(ns)': (n) => {
    for (let i = 0; i < n; i++) nativeDurations.recordDuration(NANOS[i & MASK])
  },
  'atomicperf nativeHistogram.record(s) (native call)': (n) => {
    for (let i = 0; i < n; i++) recordNative(nativeCalls, SECONDS[i & MASK])
  },
  'prom-client histogram.observe(s)': (n) => { for (let i = 0; i < n; i++) prom.observe(SECONDS[i & MASK]) },
}

async function main() {
  const best = await bestPerCall(cases, { n: N, rounds: ROUNDS })
  const record = best['atomicperf nativeHistogram.record(s)']
  const ratios = [
    ['nativeHistogram.record / histogram.record (target <= 1.2)', record / best['atomicperf histogram.record(ns)']],
    ['nativeHistogram.recordDuration / histogram.record', best['atomicperf nativeHistogram.recordDuration(ns)'] / best['atomicperf histogram.record(ns)']],
    ['nativeHistogram.record / its native call', record / best['atomicperf nativeHistogram.record(s) (native call)']],
    ['prom-client histogram.observe / nativeHistogram.record', best['prom-client histogram.observe(s)'] / record],
  ]
  if (native.count() !== nativeDurations.count() || native.count() !== nativeCalls.count()) {
    throw new Error('the native histograms disagree')
  }
  if (internals.nativeHistogram.cells(native) === null) console.error('warning: the direct path is off: every record is a native call')
  if (args.includes('--json')) {
    console.log(JSON.stringify({ iterations: N, nsPerOp: best, ratios: Object.fromEntries(ratios) }, null, 2))
    return
  }
  console.log(`iterations per round: ${N}, best of ${ROUNDS}`)
  for (const [name, ns] of Object.entries(best)) console.log(`${name.padEnd(48)} ${ns.toFixed(1).padStart(8)} ns/op`)
  console.log('ratios:')
  for (const [name, r] of ratios) console.log(`  ${name.padEnd(60)} ${r.toFixed(2)}`)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
