'use strict'
// Registry against prom-client, all measured in this run:
//   look-up of an existing labelled counter: registry.counter(name, {labels: {a: 'b'}}) (cached
//     per thread after the first call), the same look-up past the cache (the native call, the
//     wrapping and the cell buffer of a thread's first look-up), vs prom-client
//     counter.labels({a: 'b'}) and counter.labels('b');
//   look-up + inc() on both;
//   export of 10,000 series (counters with one label): registry.metrics() vs prom-client's
//     await register.metrics().
// Each case: a warm-up pass, then the best of 5 rounds that time every case in turn (lib/rounds.js).
// Usage: node bench/registry.js [--iterations N] [--series N] [--json]

const ap = require('..')
const promClient = require('prom-client')
const { bestPerCall } = require('../lib/rounds')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 1_000_000)
const SERIES = option('--series', 10_000)
const ROUNDS = 5
const internals = ap[Symbol.for('atomicperf.internals')]

async function main() {
  // ---- look-up of an existing labelled metric
  const registry = new ap.Registry()
  registry.counter('lookup_total', { help: 'Look-ups.', labels: { a: 'b' } })
  const promRegistry = new promClient.Registry()
  const promCounter = new promClient.Counter({ name: 'lookup_total', help: 'Look-ups.', labelNames: ['a'], registers: [promRegistry] })
  promCounter.labels({ a: 'b' })
  const labels = { a: 'b' }
  // Results go to an array, so that V8 cannot optimise the look-ups' allocations away.
  const out = new Array(8)
  const UNCACHED_N = Math.max(10_000, Math.floor(N / 20)) // a native call and a new buffer each: slower
  const lookup = await bestPerCall({
    'atomicperf registry.counter(name, {labels})': (n) => {
      for (let i = 0; i < n; i++) out[i & 7] = registry.counter('lookup_total', { labels })
    },
    'atomicperf look-up past the thread cache': {
      run: (n) => {
        for (let i = 0; i < n; i++) out[i & 7] = internals.registry.counterUncached(registry, 'lookup_total', labels)
      },
      n: UNCACHED_N,
    },
    "prom-client counter.labels({a: 'b'})": (n) => {
      for (let i = 0; i < n; i++) out[i & 7] = promCounter.labels(labels)
    },
    "prom-client counter.labels('b')": (n) => {
      for (let i = 0; i < n; i++) out[i & 7] = promCounter.labels('b')
    },
    'atomicperf registry.counter(...).inc()': (n) => {
      for (let i = 0; i < n; i++) registry.counter('lookup_total', { labels }).inc()
    },
    "prom-client counter.labels({a: 'b'}).inc()": (n) => {
      for (let i = 0; i < n; i++) promCounter.labels(labels).inc()
    },
  }, { n: N, rounds: ROUNDS })
  if (out[0] === 42) console.log('')

  // ---- export of SERIES series
  const big = new ap.Registry()
  const promBig = new promClient.Registry()
  const promSeries = new promClient.Counter({ name: 'series_total', help: 'Series.', labelNames: ['id'], registers: [promBig] })
  for (let i = 0; i < SERIES; i++) {
    big.counter('series_total', { help: 'Series.', labels: { id: String(i) } }).add(i + 1)
    promSeries.labels({ id: String(i) }).inc(i + 1)
  }
  const ours = big.metrics()
  const theirs = await promBig.metrics()
  if (!ours.includes(`series_total{id="${SERIES - 1}"} ${SERIES}`) || !theirs.includes(`series_total{id="${SERIES - 1}"} ${SERIES}`)) {
    throw new Error('the two exports disagree')
  }
  const exportNs = await bestPerCall({
    [`atomicperf registry.metrics() (${SERIES} series)`]: () => { big.metrics() },
    [`prom-client await register.metrics() (${SERIES} series)`]: () => promBig.metrics(),
  }, { n: 1, rounds: ROUNDS })

  const [ourExport, theirExport] = Object.values(exportNs)
  const ratios = {
    "registry.counter (cached) / prom-client labels({a: 'b'})":
      lookup['atomicperf registry.counter(name, {labels})'] / lookup["prom-client counter.labels({a: 'b'})"],
    "registry.counter (cached) / prom-client labels('b')":
      lookup['atomicperf registry.counter(name, {labels})'] / lookup["prom-client counter.labels('b')"],
    "look-up past the cache / prom-client labels({a: 'b'})":
      lookup['atomicperf look-up past the thread cache'] / lookup["prom-client counter.labels({a: 'b'})"],
    'look-up + inc / prom-client labels().inc()':
      lookup['atomicperf registry.counter(...).inc()'] / lookup["prom-client counter.labels({a: 'b'}).inc()"],
    [`export of ${SERIES} series / prom-client`]: ourExport / theirExport,
  }

  if (args.includes('--json')) {
    console.log(JSON.stringify({ lookupNsPerOp: lookup, exportNs, ratios }, null, 2))
    return
  }
  console.log(`atomicperf registry benchmark (node ${process.version}, ${N} iterations, best of ${ROUNDS})`)
  for (const [name, ns] of Object.entries(lookup)) console.log(`  ${name.padEnd(50)} ${ns.toFixed(1).padStart(10)} ns/op`)
  for (const [name, ns] of Object.entries(exportNs)) console.log(`  ${name.padEnd(50)} ${(ns / 1e6).toFixed(2).padStart(10)} ms`)
  console.log('ratios (<1: atomicperf faster):')
  for (const [name, r] of Object.entries(ratios)) console.log(`  ${name.padEnd(56)} ${r.toFixed(2).padStart(8)}x`)
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
