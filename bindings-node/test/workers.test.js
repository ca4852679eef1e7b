'use strict'
// Sharing one metric across worker_threads needs the registry (a later issue). Until then each
// worker loads the addon in its own environment and uses metrics of its own.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const path = require('node:path')

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { Counter, Gauge, Histogram } = require(workerData.pkg)
const c = new Counter()
const g = new Gauge()
const h = new Histogram()
for (let i = 1; i <= workerData.n; i++) {
  c.inc()
  g.setMax(i)
  h.record(i)
}
c.add(2n ** 60n)
parentPort.postMessage({ count: c.getBigInt(), max: g.get(), hcount: h.count(), hmax: h.max() })
`

test('4 workers each load the addon and count exactly with their own metrics', async () => {
  const pkg = path.join(__dirname, '..')
  const n = 100_000
  const results = await Promise.all(
    Array.from({ length: 4 }, () => new Promise((resolve, reject) => {
      const w = new Worker(workerSource, { eval: true, workerData: { pkg, n } })
      w.once('message', resolve)
      w.once('error', reject)
      w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
    })),
  )
  for (const r of results) {
    assert.deepEqual(r, { count: 2n ** 60n + BigInt(n), max: n, hcount: n, hmax: n })
  }
})

test('the main thread keeps working while workers start and exit', async () => {
  const { Counter } = require('..')
  const c = new Counter()
  const workers = Array.from({ length: 4 }, () => new Worker(workerSource, {
    eval: true, workerData: { pkg: path.join(__dirname, '..'), n: 10 },
  }))
  const exits = workers.map((w) => new Promise((resolve) => w.once('exit', resolve)))
  for (let i = 0; i < 100_000; i++) c.inc()
  assert.deepEqual(await Promise.all(exits), [0, 0, 0, 0])
  assert.equal(c.get(), 100_000)
})
