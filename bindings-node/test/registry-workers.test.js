'use strict'
// The process-wide registries across worker_threads: every worker loads the same addon, so
// `registry` (and `Registry.named(name)`) is one Rust registry in every thread, and a counter
// that workers look up by name is one counter, whichever stripe each worker adds to.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const path = require('node:path')

const pkg = path.join(__dirname, '..')

function runWorker(source, workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { pkg, ...workerData } })
    let result
    w.once('message', (m) => {
      result = m
    })
    w.once('error', reject)
    w.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`))))
  })
}

const incSource = `
const { parentPort, workerData, threadId } = require('node:worker_threads')
const { registry, Registry } = require(workerData.pkg)
const internals = require(workerData.pkg)[Symbol.for('atomicperf.internals')]
const reg = workerData.named ? Registry.named(workerData.named) : registry
const c = reg.counter(workerData.name, { help: 'Shared by every worker.' })
for (let i = 0; i < workerData.n; i++) c.inc()
reg.gauge(workerData.name + '_last_worker').setMax(threadId)
reg.histogram(workerData.name + '_seconds').record(threadId)
parentPort.postMessage({ direct: internals.counter.cells(c) !== null, slot: internals.counter.slot(c) })
`

test('4 workers inc the default registry counter 100,000 times each: the main thread reads 400,000', async () => {
  const { registry } = require('..')
  const n = 100_000
  const results = await Promise.all(Array.from({ length: 4 }, () => runWorker(incSource, { name: 'shared_total', n })))
  const { directAvailable } = require('..')[Symbol.for('atomicperf.internals')]
  if (directAvailable()) {
    // Every worker took the direct Atomics path, on its own stripe (threadId % stripes).
    assert.ok(results.every((r) => r.direct))
    assert.equal(new Set(results.map((r) => r.slot)).size, Math.min(4, registry.counter('shared_total').stripes))
  }
  const c = registry.counter('shared_total')
  assert.equal(c.get(), 4 * n)
  const text = registry.metrics()
  assert.match(text, /^shared_total 400000$/m)
  assert.match(text, /^# HELP shared_total Shared by every worker\.$/m)
  assert.match(text, /^shared_total_seconds_count 4$/m)
  // The main thread adds to the same counter, on its own stripe.
  c.inc()
  assert.equal(registry.counter('shared_total').get(), 4 * n + 1)
})

test('Registry.named is shared across workers, and separate from the default registry', async () => {
  const { registry, Registry } = require('..')
  const n = 10_000
  await Promise.all(Array.from({ length: 3 }, () => runWorker(incSource, { name: 'named_shared_total', n, named: 'workers' })))
  const named = Registry.named('workers')
  assert.equal(named.counter('named_shared_total').get(), 3 * n)
  assert.match(named.metrics(), /^named_shared_total 30000$/m)
  assert.doesNotMatch(registry.metrics(), /named_shared_total/)
  assert.equal(Registry.named('workers-other').size, 0)
})

test('a worker sees what the main thread recorded, and its get-or-create errors', async () => {
  const { registry } = require('..')
  registry.counter('main_made_total', { labels: { who: 'main' } }).add(7)
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { registry } = require(workerData.pkg)
    const value = registry.counter('main_made_total', { labels: { who: 'main' } }).get()
    let code = null
    try { registry.gauge('main_made_total', { labels: { who: 'main' } }) } catch (e) { code = e.code }
    parentPort.postMessage({ value, code })
  `
  assert.deepEqual(await runWorker(source), { value: 7, code: 'AP_ERR_INVALID_ARGUMENT' })
})
