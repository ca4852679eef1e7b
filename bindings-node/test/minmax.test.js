'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const path = require('node:path')
const { MinMax } = require('..')
const { range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

test('MinMax: empty is null, record tracks extremes, reset empties', () => {
  const m = new MinMax()
  assert.equal(m.min(), null)
  assert.equal(m.max(), null)
  assert.equal(m.minBigInt(), null)
  for (const v of [5, 2, 9n, 7]) m.record(v)
  assert.equal(m.min(), 2)
  assert.equal(m.max(), 9)
  assert.equal(m.maxBigInt(), 9n)
  m.record(0)
  assert.equal(m.min(), 0)
  m.reset()
  assert.equal(m.min(), null)
  assert.equal(m.max(), null)
  assert.match(String(m), /^MinMax\(/)
})

test('MinMax: values above 2^53 need the BigInt reads', () => {
  const m = new MinMax()
  m.record(2n ** 64n - 1n)
  assert.equal(m.maxBigInt(), 2n ** 64n - 1n)
  range(() => m.max())
})

test('MinMax: bad values', () => {
  const m = new MinMax()
  for (const v of OUT_OF_RANGE_U64) range(() => m.record(v))
  for (const v of WRONG_TYPE_U64) type(() => m.record(v))
  assert.equal(m.min(), null)
})

test('MinMax: exact under many async calls', async () => {
  const m = new MinMax()
  await Promise.all(Array.from({ length: 1000 }, (_, i) => Promise.resolve().then(() => m.record(1000 + i))))
  assert.equal(m.min(), 1000)
  assert.equal(m.max(), 1999)
})

test('MinMax: exact in worker_threads, each with its own', async () => {
  const src = `
const { parentPort, workerData } = require('node:worker_threads')
const { MinMax } = require(workerData.pkg)
const m = new MinMax()
for (let i = 0; i < 50000; i++) m.record(workerData.base + i)
parentPort.postMessage([m.min(), m.max()])`
  const pkg = path.join(__dirname, '..')
  const out = await Promise.all([10, 1e6, 5e9].map((base) => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { pkg, base } })
    w.once('message', resolve)
    w.once('error', reject)
  })))
  assert.deepEqual(out, [[10, 50009], [1e6, 1e6 + 49999], [5e9, 5e9 + 49999]])
})
