'use strict'
// Per-call cost of atomicperf's Node binding against its baselines, all measured in this run:
//   counter.inc       vs prom-client Counter.inc, benchIdentity(n) (a plain napi-rs call taking
//                     and returning one number) and a plain JS `x++`;
//   histogram.record  vs prom-client Histogram.observe.
// Each case: a warm-up pass, then the best of 5 timed passes (process.hrtime.bigint()).
// Usage: node bench/bench.js [--iterations N] [--json]

const { Counter, Histogram, benchIdentity } = require('..')
const promClient = require('prom-client')

const args = process.argv.slice(2)
const flag = (name) => args.includes(name)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 2_000_000)
const ROUNDS = 5

// Values the histograms record: spread over 1 us .. ~1 s in ns, fixed so every case sees the same.
const VALUES = new Float64Array(4096)
for (let i = 0, x = 12345; i < VALUES.length; i++) {
  x = (x * 1103515245 + 12345) % 2147483648
  VALUES[i] = 1000 + (x % 1_000_000_000)
}
const MASK = VALUES.length - 1

function measure(run) {
  run(Math.min(N, 200_000)) // warm-up: lets the JIT compile the loop and the call
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    run(N)
    const ns = Number(process.hrtime.bigint() - start) / N
    if (ns < best) best = ns
  }
  return best
}

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
const histogram = new Histogram()

const cases = {
  'atomicperf counter.inc()': (n) => { for (let i = 0; i < n; i++) counter.inc() },
  'prom-client counter.inc()': (n) => { for (let i = 0; i < n; i++) promCounter.inc() },
  'napi-rs benchIdentity(n)': (n) => { let s = 0; for (let i = 0; i < n; i++) s += benchIdentity(i); sink += s },
  'plain JS x++': (n) => { let x = 0; for (let i = 0; i < n; i++) x++; sink += x },
  'atomicperf histogram.record(v)': (n) => { for (let i = 0; i < n; i++) histogram.record(VALUES[i & MASK]) },
  'prom-client histogram.observe(v)': (n) => { for (let i = 0; i < n; i++) promHistogram.observe(VALUES[i & MASK]) },
}

const results = {}
for (const [name, run] of Object.entries(cases)) results[name] = measure(run)

const ratios = [
  ['counter.inc / benchIdentity (target <= 2)', results['atomicperf counter.inc()'] / results['napi-rs benchIdentity(n)']],
  ['counter.inc / prom-client inc', results['atomicperf counter.inc()'] / results['prom-client counter.inc()']],
  ['counter.inc / plain JS x++', results['atomicperf counter.inc()'] / results['plain JS x++']],
  ['prom-client observe / histogram.record (target >= 4)', results['prom-client histogram.observe(v)'] / results['atomicperf histogram.record(v)']],
]

// Sanity: every call was counted (warm-up + rounds).
const expected = BigInt(Math.min(N, 200_000) + ROUNDS * N)
if (counter.getBigInt() !== expected || histogram.countBigInt() !== expected) {
  throw new Error(`lost updates: counter ${counter.getBigInt()}, histogram ${histogram.countBigInt()}, expected ${expected}`)
}

if (flag('--json')) {
  console.log(JSON.stringify({ node: process.version, iterations: N, rounds: ROUNDS, nsPerOp: results, ratios: Object.fromEntries(ratios) }, null, 2))
} else {
  console.log(`node ${process.version}, ${N} iterations, best of ${ROUNDS} (sink ${sink > 0 ? 'ok' : sink})`)
  console.log('')
  console.log('| case | ns/op |')
  console.log('|---|---:|')
  for (const [name, ns] of Object.entries(results)) console.log(`| ${name} | ${ns.toFixed(1)} |`)
  console.log('')
  console.log('| ratio | value |')
  console.log('|---|---:|')
  for (const [name, r] of ratios) console.log(`| ${name} | ${r.toFixed(2)} |`)
}
