'use strict'
// Per-call cost of atomicperf's Node binding against its baselines, all measured in this run:
//   counter.inc        the direct path (Atomics.add on the Rust-owned stripes, no native call)
//                      vs the native call path it replaces (incNative), prom-client
//                      Counter.inc, Atomics.add on a SharedArrayBuffer, benchIdentity(n) (a plain
//                      napi-rs call taking and returning one number) and a plain JS `x++`;
//   gauge.set          direct vs the native call;
//   histogram.record   the direct path (lib/cells.js) vs prom-client Histogram.observe and
//                      Atomics.add on a SharedArrayBuffer.
// The counter cases run in the main thread, then in 2 worker_threads at once (each worker its
// own metric, started together behind a barrier; ns/op per worker, the mean of both).
// Each case: a warm-up pass, then the best of 5 timed passes (process.hrtime.bigint()).
// Usage: node bench/bench.js [--iterations N] [--json] [--no-workers]

const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')
const atomicperf = require('..')
const promClient = require('prom-client')

const { Counter, Gauge, Histogram, benchIdentity } = atomicperf
const internals = atomicperf[Symbol.for('atomicperf.internals')]
const { incNative } = internals.counter
const { setNative } = internals.gauge

const args = isMainThread ? process.argv.slice(2) : workerData.args
const flag = (name) => args.includes(name)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 2_000_000)
const ROUNDS = 5
const WARMUP = Math.min(N, 200_000)

// Values the histograms record: spread over 1 us .. ~1 s in ns, fixed so every case sees the same.
const VALUES = new Float64Array(4096)
for (let i = 0, x = 12345; i < VALUES.length; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  VALUES[i] = 1000 + (x % 1_000_000_000)
}
const MASK = VALUES.length - 1

// A sink the loops write into, so that no loop is dead code.
let sink = 0

const registry = new promClient.Registry()
const promCounter = new promClient.Counter({ name: 'bench_total', help: 'bench', registers: [registry] })
const promHistogram = new promClient.Histogram({
  name: 'bench_seconds', help: 'bench', registers: [registry],
  // Default prom-client buckets are in seconds; give it ns-scale buckets so it sorts values into
  // real buckets rather than all into +Inf.
  buckets: [1e3, 5e3, 1e4, 5e4, 1e5, 5e5, 1e6, 5e6, 1e7, 5e7, 1e8, 5e8, 1e9],
})
const counter = new Counter()
const nativeCounter = new Counter()
const gauge = new Gauge()
const histogram = new Histogram()

// Atomics.add on a SharedArrayBuffer: in workers, one buffer shared by all, a slot per worker
// 128 bytes apart (as the counter's stripes are), so neither baseline shares a cache line.
const SAB_SLOT = isMainThread ? 0 : workerData.index * 16
const sab = new BigInt64Array(isMainThread ? new SharedArrayBuffer(4096) : workerData.sab)

const COUNTER_CASES = {
  'atomicperf counter.inc() (direct)': (n) => { for (let i = 0; i < n; i++) counter.inc() },
  'atomicperf incNative (napi call)': (n) => { for (let i = 0; i < n; i++) incNative(nativeCounter) },
  'Atomics.add on a SharedArrayBuffer': (n) => { for (let i = 0; i < n; i++) Atomics.add(sab, SAB_SLOT, 1n) },
  'prom-client counter.inc()': (n) => { for (let i = 0; i < n; i++) promCounter.inc() },
  'plain JS x++': (n) => { let x = 0; for (let i = 0; i < n; i++) x++; sink += x },
}

const OTHER_CASES = {
  'napi-rs benchIdentity(n)': (n) => { let s = 0; for (let i = 0; i < n; i++) s += benchIdentity(i); sink += s },
  'atomicperf gauge.set(v) (direct)': (n) => { for (let i = 0; i < n; i++) gauge.set(i) },
  'atomicperf gauge setNative (napi call)': (n) => { for (let i = 0; i < n; i++) setNative(gauge, i) },
  'atomicperf histogram.record(v)': (n) => { for (let i = 0; i < n; i++) histogram.record(VALUES[i & MASK]) },
  'prom-client histogram.observe(v)': (n) => { for (let i = 0; i < n; i++) promHistogram.observe(VALUES[i & MASK]) },
}

function measure(run, barrier) {
  run(WARMUP) // warm-up: lets the JIT compile the loop and the call
  if (barrier) {
    // Start the timed passes of every worker together.
    Atomics.add(barrier, 0, 1)
    while (Atomics.load(barrier, 0) < barrier[1]) Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 1)
    Atomics.notify(barrier, 0)
  }
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    run(N)
    const ns = Number(process.hrtime.bigint() - start) / N
    if (ns < best) best = ns
  }
  return best
}

/** Checks that the counters saw every call (warm-up + rounds) for the cases that ran. */
function checkCounts(ran) {
  const expected = BigInt(WARMUP + ROUNDS * N)
  const checks = [
    ['atomicperf counter.inc() (direct)', counter],
    ['atomicperf incNative (napi call)', nativeCounter],
    ['atomicperf histogram.record(v)', histogram],
  ]
  for (const [name, metric] of checks) {
    if (!ran.includes(name)) continue
    const got = metric instanceof Histogram ? metric.countBigInt() : metric.getBigInt()
    if (got !== expected) throw new Error(`lost updates in ${name}: ${got}, expected ${expected}`)
  }
}

if (!isMainThread) {
  const name = workerData.case
  const ns = measure(COUNTER_CASES[name], new Int32Array(workerData.barrier))
  checkCounts([name])
  parentPort.postMessage(ns)
} else {
  main().catch((e) => {
    console.error(e)
    process.exitCode = 1
  })
}

async function inWorkers(name, workers) {
  const barrier = new Int32Array(new SharedArrayBuffer(8))
  barrier[1] = workers
  const sabShared = new SharedArrayBuffer(4096)
  const results = await Promise.all(Array.from({ length: workers }, (_, index) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, {
      workerData: { case: name, index, args, barrier: barrier.buffer, sab: sabShared },
    })
    w.once('message', resolve)
    w.once('error', reject)
  })))
  if (name === 'Atomics.add on a SharedArrayBuffer') {
    const view = new BigInt64Array(sabShared)
    for (let i = 0; i < workers; i++) {
      if (view[i * 16] !== BigInt(WARMUP + ROUNDS * N)) throw new Error(`lost updates in ${name}`)
    }
  }
  return results.reduce((a, b) => a + b, 0) / results.length
}

async function main() {
  const single = {}
  for (const [name, run] of Object.entries({ ...COUNTER_CASES, ...OTHER_CASES })) single[name] = measure(run)
  checkCounts(Object.keys(single))

  const WORKERS = 2
  const multi = {}
  if (!flag('--no-workers')) {
    for (const name of Object.keys(COUNTER_CASES)) multi[name] = await inWorkers(name, WORKERS)
  }

  const direct = 'atomicperf counter.inc() (direct)'
  const ratio = (t, a, b) => t[a] / t[b]
  const ratiosOf = (t) => [
    ['counter.inc / Atomics.add on a SAB (target <= 1.5)', ratio(t, direct, 'Atomics.add on a SharedArrayBuffer')],
    ['incNative / counter.inc (target >= 3)', ratio(t, 'atomicperf incNative (napi call)', direct)],
    ['counter.inc / prom-client inc', ratio(t, direct, 'prom-client counter.inc()')],
    ['counter.inc / plain JS x++', ratio(t, direct, 'plain JS x++')],
  ]
  const ratios = ratiosOf(single)
  ratios.push(
    ['counter.inc / benchIdentity', ratio(single, direct, 'napi-rs benchIdentity(n)')],
    ['gauge setNative / gauge.set', ratio(single, 'atomicperf gauge setNative (napi call)', 'atomicperf gauge.set(v) (direct)')],
    ['prom-client observe / histogram.record (target >= 8)', ratio(single, 'prom-client histogram.observe(v)', 'atomicperf histogram.record(v)')],
    ['histogram.record / Atomics.add on a SAB (target <= 2)', ratio(single, 'atomicperf histogram.record(v)', 'Atomics.add on a SharedArrayBuffer')],
  )
  const multiRatios = Object.keys(multi).length ? ratiosOf(multi) : []

  if (flag('--json')) {
    console.log(JSON.stringify({
      node: process.version, iterations: N, rounds: ROUNDS, direct: internals.directAvailable(),
      nsPerOp: single, nsPerOpIn2Workers: multi,
      ratios: Object.fromEntries(ratios), ratiosIn2Workers: Object.fromEntries(multiRatios),
    }, null, 2))
    return
  }
  console.log(`node ${process.version}, ${N} iterations, best of ${ROUNDS}, direct path ${internals.directAvailable() ? 'on' : 'OFF'} (sink ${sink > 0 ? 'ok' : sink})`)
  console.log('')
  console.log(`| case | ns/op, main thread | ns/op per worker, ${WORKERS} workers |`)
  console.log('|---|---:|---:|')
  for (const [name, ns] of Object.entries(single)) {
    const m = multi[name] === undefined ? '' : multi[name].toFixed(1)
    console.log(`| ${name} | ${ns.toFixed(1)} | ${m} |`)
  }
  console.log('')
  console.log(`| ratio | main thread | ${WORKERS} workers |`)
  console.log('|---|---:|---:|')
  for (const [i, [name, r]] of ratios.entries()) {
    const m = multiRatios[i] ? multiRatios[i][1].toFixed(2) : ''
    console.log(`| ${name} | ${r.toFixed(2)} | ${m} |`)
  }
}
