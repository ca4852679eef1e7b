'use strict'
// SharedRegistry, all measured in this run:
//   (a) direct writes into shared cells against the same writes in process: counter.inc(),
//       histogram.record(v) and timer.record(d) of a SharedRegistry metric vs a Registry one
//       (the same classes and the same Atomics path; only where the cells live differs). Timed
//       alternately, best of 7 passes each. Target: shared within 1.5x of in-process.
//   (b) a scrape of a cluster's metrics: 8 cluster workers x 1,000 counter series, read by the
//       primary. prom-client: `await new AggregatorRegistry().clusterMetrics()` (it asks every
//       worker over IPC and merges their answers); atomicperf: `shared.metrics()` on a
//       SharedRegistry the 8 workers record into (it reads the segment). Same series, same
//       totals (checked). Target: atomicperf at least 10x faster.
// Usage: node bench/shared.js [--iterations N] [--workers N] [--series N] [--json]

const cluster = require('node:cluster')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 2_000_000)
const WORKERS = option('--workers', 8)
const SERIES = option('--series', 1000)
const ROUNDS = 7
const SCRAPES = 20

// ---- cluster workers of part (b) ------------------------------------------------------------
if (cluster.isWorker) {
  const { BENCH_ROLE, BENCH_SEGMENT, BENCH_SERIES } = process.env
  const series = Number(BENCH_SERIES)
  if (BENCH_ROLE === 'prom-client') {
    const promClient = require('prom-client')
    // An AggregatorRegistry in a worker installs its answer to the primary's requests.
    new promClient.AggregatorRegistry() // eslint-disable-line no-new
    const c = new promClient.Counter({ name: 'series_total', help: 'Series.', labelNames: ['id'] })
    for (let i = 0; i < series; i++) c.labels({ id: String(i) }).inc(i + 1)
  } else {
    const { SharedRegistry } = require('..')
    const shared = new SharedRegistry(BENCH_SEGMENT, { openExisting: true })
    for (let i = 0; i < series; i++) shared.counter('series_total', { help: 'Series.', labels: { id: String(i) } }).add(i + 1)
  }
  process.send('ready')
  // Stays alive (as a server's worker would) until the primary disconnects it.
  return
}

const ap = require('..')
const promClient = require('prom-client')

/** Nanoseconds per op of each case, timed alternately, best of ROUNDS passes each. */
function alternate(cases, n = N) {
  const best = Object.fromEntries(Object.keys(cases).map((k) => [k, Infinity]))
  for (const run of Object.values(cases)) run(Math.min(n, 200_000)) // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, run] of Object.entries(cases)) {
      const start = process.hrtime.bigint()
      run(n)
      const ns = Number(process.hrtime.bigint() - start) / n
      if (ns < best[name]) best[name] = ns
    }
  }
  return best
}

function directWrites(segment) {
  const local = new ap.Registry()
  const shared = new ap.SharedRegistry(segment)
  const internals = ap[Symbol.for('atomicperf.internals')]
  const metrics = {}
  for (const [where, reg] of [['in-process', local], ['shared', shared]]) {
    metrics[where] = { counter: reg.counter('c'), histogram: reg.histogram('h'), timer: reg.timer('t') }
    if (internals.counter.cells(metrics[where].counter) === null) throw new Error(`${where}: no direct path`)
  }
  // Values spread over many buckets, as latencies are: 500 ns to about 1 ms.
  const values = new Float64Array(1024)
  for (let i = 0; i < values.length; i++) values[i] = 500 + i * 997
  const cases = {}
  for (const where of ['in-process', 'shared']) {
    const { counter, histogram, timer } = metrics[where]
    cases[`${where} counter.inc()`] = (n) => {
      for (let i = 0; i < n; i++) counter.inc()
    }
    cases[`${where} histogram.record(v)`] = (n) => {
      for (let i = 0; i < n; i++) histogram.record(values[i & 1023])
    }
    cases[`${where} timer.record(d)`] = (n) => {
      for (let i = 0; i < n; i++) timer.record(values[i & 1023])
    }
  }
  // Each pair alternately: in-process, shared, in-process, ...
  const ns = {}
  for (const op of ['counter.inc()', 'histogram.record(v)', 'timer.record(d)']) {
    Object.assign(ns, alternate({ [`in-process ${op}`]: cases[`in-process ${op}`], [`shared ${op}`]: cases[`shared ${op}`] }))
  }
  shared.unlink()
  return ns
}

/** Forks `WORKERS` workers with `env`; resolves them once every one is ready. */
function forkWorkers(env) {
  const workers = Array.from({ length: WORKERS }, () => cluster.fork({ ...env, BENCH_SERIES: String(SERIES) }))
  return Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.once('message', (m) => (m === 'ready' ? resolve(w) : reject(new Error(`worker said ${m}`))))
    w.once('exit', (code) => reject(new Error(`a worker exited with ${code}`)))
  })))
}

function stopWorkers(workers) {
  return Promise.all(workers.map((w) => new Promise((resolve) => {
    w.removeAllListeners('exit')
    w.once('exit', resolve)
    w.kill()
  })))
}

/** Milliseconds of each of SCRAPES runs of `scrape` (after one warm-up), and its last text. */
async function timeScrapes(scrape) {
  let text = await scrape()
  const ms = []
  for (let i = 0; i < SCRAPES; i++) {
    const start = process.hrtime.bigint()
    text = await scrape()
    ms.push(Number(process.hrtime.bigint() - start) / 1e6)
  }
  ms.sort((a, b) => a - b)
  return { best: ms[0], median: ms[Math.floor(ms.length / 2)], text }
}

async function scrapes(segment) {
  const expect = `series_total{id="${SERIES - 1}"} ${WORKERS * SERIES}`
  // prom-client's AggregatorRegistry over the cluster.
  const promWorkers = await forkWorkers({ BENCH_ROLE: 'prom-client' })
  const aggregator = new promClient.AggregatorRegistry()
  const theirs = await timeScrapes(() => aggregator.clusterMetrics())
  await stopWorkers(promWorkers)
  // A SharedRegistry the workers record into.
  const shared = new ap.SharedRegistry(segment)
  const ourWorkers = await forkWorkers({ BENCH_ROLE: 'atomicperf', BENCH_SEGMENT: shared.path })
  const ours = await timeScrapes(() => shared.metrics())
  await stopWorkers(ourWorkers)
  shared.unlink()
  for (const [who, r] of [['prom-client', theirs], ['atomicperf', ours]]) {
    if (!r.text.includes(expect)) throw new Error(`${who}'s scrape lacks ${expect}`)
  }
  return { theirs, ours }
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-bench-'))
  try {
    const ns = directWrites(path.join(dir, 'direct'))
    const { theirs, ours } = await scrapes(path.join(dir, 'cluster'))
    const ratios = {}
    for (const op of ['counter.inc()', 'histogram.record(v)', 'timer.record(d)']) {
      ratios[`shared / in-process ${op}`] = ns[`shared ${op}`] / ns[`in-process ${op}`]
    }
    const scrapeMs = {
      [`prom-client AggregatorRegistry.clusterMetrics() (${WORKERS} workers x ${SERIES} series), best`]: theirs.best,
      [`prom-client AggregatorRegistry.clusterMetrics() (${WORKERS} workers x ${SERIES} series), median`]: theirs.median,
      [`atomicperf SharedRegistry.metrics() (${WORKERS} workers x ${SERIES} series), best`]: ours.best,
      [`atomicperf SharedRegistry.metrics() (${WORKERS} workers x ${SERIES} series), median`]: ours.median,
    }
    ratios['prom-client scrape / atomicperf scrape (median; target >= 10)'] = theirs.median / ours.median
    if (args.includes('--json')) {
      console.log(JSON.stringify({ directNsPerOp: ns, scrapeMs, ratios }, null, 2))
      return
    }
    console.log(`atomicperf SharedRegistry benchmark (node ${process.version}, ${N} iterations, best of ${ROUNDS}; ${SCRAPES} scrapes)`)
    for (const [name, v] of Object.entries(ns)) console.log(`  ${name.padEnd(84)} ${v.toFixed(1).padStart(10)} ns/op`)
    for (const [name, v] of Object.entries(scrapeMs)) console.log(`  ${name.padEnd(84)} ${v.toFixed(3).padStart(10)} ms`)
    console.log('ratios:')
    for (const [name, r] of Object.entries(ratios)) console.log(`  ${name.padEnd(84)} ${r.toFixed(2).padStart(10)}x`)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1) // and the workers with it
})
