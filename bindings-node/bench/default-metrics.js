'use strict'
// Default metrics at scrape time, against prom-client, measured in this run: a registry holding
// only the default metrics (registry.registerDefaultMetrics(): process metrics read by the core
// from /proc, prom-client's Node.js gauges set in JS) and `await registry.metrics()`, vs a
// prom-client Registry with collectDefaultMetrics({ register }) and `await register.metrics()`.
// Both read the same values on every scrape (CPU time, memory, open fds, heap, event-loop delay,
// handles). Each side: a warm-up pass, then the best of 5 passes of N scrapes, per scrape.
// Back to back, the event-loop delay histogram that both read is empty at every scrape; a second
// case lets the event loop run 10 ms between scrapes (timing only the scrapes), so that both
// read a histogram with samples, as a scrape every few seconds does (Node's stddev and
// percentiles of it then cost both sides about the same).
// Usage: node bench/default-metrics.js [--scrapes N] [--json]

const ap = require('..')
const promClient = require('prom-client')

const args = process.argv.slice(2)
const i = args.indexOf('--scrapes')
const N = i >= 0 ? Number(args[i + 1]) : 2000
const ROUNDS = 5

async function measure(scrape) {
  for (let k = 0; k < Math.min(N, 200); k++) await scrape()
  let best = Infinity
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint()
    for (let k = 0; k < N; k++) await scrape()
    const ns = Number(process.hrtime.bigint() - start) / N
    if (ns < best) best = ns
  }
  return best
}

// Mean time of `await scrape()` over n scrapes 10 ms apart.
async function measureIdle(scrape, n = 100) {
  let total = 0
  for (let k = 0; k < n; k++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    const start = process.hrtime.bigint()
    await scrape()
    total += Number(process.hrtime.bigint() - start)
  }
  return total / n
}

async function main() {
  const ours = new ap.Registry()
  ours.registerDefaultMetrics()
  const theirs = new promClient.Registry()
  promClient.collectDefaultMetrics({ register: theirs })
  const oursText = await ours.metrics()
  const theirsText = await theirs.metrics()
  const oursNs = await measure(() => ours.metrics())
  const theirsNs = await measure(() => theirs.metrics())
  const oursIdleNs = await measureIdle(() => ours.metrics())
  const theirsIdleNs = await measureIdle(() => theirs.metrics())
  const families = (t) => t.split('\n').filter((l) => l.startsWith('# TYPE ')).length
  const result = {
    scrapes: N,
    ours_us: oursNs / 1000,
    prom_client_us: theirsNs / 1000,
    ratio: theirsNs / oursNs,
    idle_ours_us: oursIdleNs / 1000,
    idle_prom_client_us: theirsIdleNs / 1000,
    idle_ratio: theirsIdleNs / oursIdleNs,
    ours_families: families(oursText),
    prom_client_families: families(theirsText),
  }
  if (args.includes('--json')) {
    console.log(JSON.stringify(result))
    return
  }
  console.log(`default metrics, one scrape (best of ${ROUNDS} x ${N}):`)
  console.log(`  atomicperf registry.metrics()   ${result.ours_us.toFixed(1)} us  (${result.ours_families} families)`)
  console.log(`  prom-client register.metrics()  ${result.prom_client_us.toFixed(1)} us  (${result.prom_client_families} families)`)
  console.log(`  prom-client / atomicperf: ${result.ratio.toFixed(2)}x`)
  console.log('10 ms of event loop between scrapes (mean of 100):')
  console.log(`  atomicperf registry.metrics()   ${result.idle_ours_us.toFixed(1)} us`)
  console.log(`  prom-client register.metrics()  ${result.idle_prom_client_us.toFixed(1)} us`)
  console.log(`  prom-client / atomicperf: ${result.idle_ratio.toFixed(2)}x`)
}

main()
