'use strict'
// The binding's per-call overhead, from a JS loop (what `npx atomicperf overhead` prints): ns/op
// of the hot calls beside plain JS and prom-client doing the same job, all measured in this run.
//
//   counter.inc()          direct path: Atomics.add on the Rust-owned stripe (no native call)
//   counter.inc() native   the same update through a hand-written N-API call (the fallback)
//   Atomics.add on a SAB   Atomics.add(bigUint64Array, i, 1n) on a SharedArrayBuffer: the cost
//                          of one atomic update from JS, the floor of every direct path
//   histogram.record(v)    direct path: the bucket index in JS, a sum stripe and a bucket added
//                          to with Atomics, the extremes only when v is a new one (lib/cells.js)
//   histogram.record native  the same record through the N-API call (the fallback)
//   timer.record(v, ok)    direct path: histogram.record plus the error count for a failure
//   minMax.record(v)       direct path: two plain reads when v is not a new extreme
//   shardedMap.get(key)    one native call, a Buffer copy of the value
//   snapshotCell.load()    one native call, a Buffer copy of the value
//   plain JS counter       `o.n++` on an object: the floor, nothing is shared or exported
//   JS Map.get(key)        the floor for a map read
//   prom-client            counter.inc() and histogram.observe(v) (when prom-client is installed)
//
// Single-threaded: JS values cannot be shared across worker_threads at all, so these ratios are
// the price of the boundary, not a contention result (that is `bench.run`). Each case: a warm-up
// pass, then the best of `rounds` rounds that time every case in turn (lib/rounds.js).

const ap = require('..')
const { bestPerCall } = require('./rounds')

function loadPromClient() {
  try {
    return require('prom-client')
  } catch {
    return null
  }
}

/**
 * Measures every case; resolves `{nsPerOp: {case: ns}, ratios: {name: ratio}, iterations, rounds}`.
 * @param {{iterations?: number, rounds?: number}} [opts]
 */
async function run({ iterations = 1_000_000, rounds = 5 } = {}) {
  const internals = ap[Symbol.for('atomicperf.internals')]
  const counter = new ap.Counter()
  const nativeCounter = new ap.Counter()
  const histogram = new ap.Histogram()
  const nativeHistogram = new ap.Histogram()
  const timer = new ap.Timer()
  const minMax = new ap.MinMax()
  const sab = new BigUint64Array(new SharedArrayBuffer(64))
  const KEYS = 1024
  const MASK = KEYS - 1
  const keys = Array.from({ length: KEYS }, (_, i) => `session:${i.toString(36).padStart(6, '0')}`)
  const map = new ap.ShardedMap()
  const jsMap = new Map()
  for (const k of keys) {
    const v = Buffer.from(`value of ${k}`)
    map.insert(k, v)
    jsMap.set(k, v)
  }
  const cell = new ap.SnapshotCell(Buffer.from('{"rates":{"EURUSD":1.0842,"GBPUSD":1.2713}}'))
  const plain = { n: 0 }
  const VALUES = new Float64Array(4096)
  for (let i = 0, x = 12345; i < VALUES.length; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    VALUES[i] = 1000 + (x % 1_000_000_000)
  }
  const VMASK = VALUES.length - 1

  let sink = 0
  const cases = {
    'atomicperf counter.inc() (direct Atomics)': (n) => { for (let i = 0; i < n; i++) counter.inc() },
    'atomicperf counter.inc() (native call)': (n) => { for (let i = 0; i < n; i++) internals.counter.incNative(nativeCounter) },
    'plain JS counter (o.n++)': (n) => { for (let i = 0; i < n; i++) plain.n++ },
    'Atomics.add on a SharedArrayBuffer': (n) => { for (let i = 0; i < n; i++) Atomics.add(sab, 0, 1n) },
    'atomicperf histogram.record(v) (direct Atomics)': (n) => { for (let i = 0; i < n; i++) histogram.record(VALUES[i & VMASK]) },
    'atomicperf histogram.record(v) (native call)': (n) => {
      for (let i = 0; i < n; i++) internals.histogram.recordNative(nativeHistogram, VALUES[i & VMASK])
    },
    'atomicperf timer.record(v, true) (direct Atomics)': (n) => { for (let i = 0; i < n; i++) timer.record(VALUES[i & VMASK], true) },
    'atomicperf minMax.record(v) (direct Atomics)': (n) => { for (let i = 0; i < n; i++) minMax.record(VALUES[i & VMASK]) },
    'atomicperf shardedMap.get(key)': (n) => { for (let i = 0; i < n; i++) sink += map.get(keys[i & MASK]).length },
    'JS Map.get(key)': (n) => { for (let i = 0; i < n; i++) sink += jsMap.get(keys[i & MASK]).length },
    'atomicperf snapshotCell.load()': (n) => { for (let i = 0; i < n; i++) sink += cell.load().length },
  }
  const prom = loadPromClient()
  if (prom !== null) {
    const reg = new prom.Registry()
    const pc = new prom.Counter({ name: 'overhead_c', help: 'c', registers: [reg] })
    const ph = new prom.Histogram({
      name: 'overhead_h', help: 'h', registers: [reg],
      buckets: [1e3, 5e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7, 5e7, 1e8, 5e8, 1e9],
    })
    cases['prom-client counter.inc()'] = (n) => { for (let i = 0; i < n; i++) pc.inc() }
    cases['prom-client histogram.observe(v)'] = (n) => { for (let i = 0; i < n; i++) ph.observe(VALUES[i & VMASK]) }
  }

  const nsPerOp = await bestPerCall(cases, { n: iterations, rounds })
  if (sink === 42) console.log('') // keep the reads alive

  const ratio = (a, b) => (nsPerOp[a] !== undefined && nsPerOp[b] !== undefined ? nsPerOp[a] / nsPerOp[b] : undefined)
  const record = 'atomicperf histogram.record(v) (direct Atomics)'
  const atomicsAdd = 'Atomics.add on a SharedArrayBuffer'
  const ratios = {
    'counter.inc (direct) / plain JS counter': ratio('atomicperf counter.inc() (direct Atomics)', 'plain JS counter (o.n++)'),
    'counter.inc (direct) / counter.inc (native call)': ratio('atomicperf counter.inc() (direct Atomics)', 'atomicperf counter.inc() (native call)'),
    'counter.inc (direct) / prom-client counter.inc': ratio('atomicperf counter.inc() (direct Atomics)', 'prom-client counter.inc()'),
    'histogram.record / prom-client histogram.observe (target <= 0.125)': ratio(record, 'prom-client histogram.observe(v)'),
    'histogram.record / Atomics.add on a SAB (target <= 2)': ratio(record, atomicsAdd),
    'histogram.record (direct) / histogram.record (native call)': ratio(record, 'atomicperf histogram.record(v) (native call)'),
    'timer.record / Atomics.add on a SAB (target <= 2)': ratio('atomicperf timer.record(v, true) (direct Atomics)', atomicsAdd),
    'minMax.record / Atomics.add on a SAB (target <= 2)': ratio('atomicperf minMax.record(v) (direct Atomics)', atomicsAdd),
    'shardedMap.get / Map.get': ratio('atomicperf shardedMap.get(key)', 'JS Map.get(key)'),
  }
  for (const k of Object.keys(ratios)) if (ratios[k] === undefined) delete ratios[k]
  return { iterations, rounds, node: process.version, nsPerOp, ratios }
}

/** The result of `run` as text lines. */
function format(result) {
  const lines = [`atomicperf binding overhead (node ${result.node}, ${result.iterations} iterations, best of ${result.rounds})`]
  for (const [name, ns] of Object.entries(result.nsPerOp)) lines.push(`  ${name.padEnd(50)} ${ns.toFixed(1).padStart(8)} ns/op`)
  lines.push('ratios (<1: atomicperf faster; single-threaded, so a plain JS structure is the floor):')
  for (const [name, r] of Object.entries(result.ratios)) lines.push(`  ${name.padEnd(66)} ${r.toFixed(2).padStart(8)}x`)
  return lines.join('\n')
}

module.exports = { run, format }
