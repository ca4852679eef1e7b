'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const path = require('node:path')
const { Timer } = require('..')
const { range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

test('Timer: record, statistics, snapshot, reset', () => {
  const t = new Timer()
  assert.equal(t.count(), 0)
  assert.equal(t.min(), null)
  assert.equal(t.mean(), null)
  assert.equal(t.quantile(0.5), null)
  assert.deepEqual(t.snapshot(), {
    count: 0, errors: 0, total: 0, min: null, max: null, mean: null, errorRatio: 0,
    p50: null, p90: null, p99: null, p999: null,
  })
  t.record(100)
  t.record(300n, false)
  t.record(200, true)
  assert.equal(t.count(), 3)
  assert.equal(t.countBigInt(), 3n)
  assert.equal(t.errors(), 1)
  assert.equal(t.errorsBigInt(), 1n)
  assert.equal(t.total(), 600)
  assert.equal(t.totalBigInt(), 600n)
  assert.equal(t.min(), 100)
  assert.equal(t.max(), 300)
  assert.equal(t.mean(), 200)
  assert.equal(t.quantile(0), 100)
  assert.equal(t.quantile(1), 300)
  const s = t.snapshot()
  assert.equal(s.count, 3)
  assert.equal(s.errors, 1)
  assert.equal(s.total, 600)
  assert.equal(s.errorRatio, 1 / 3)
  assert.equal(s.p50, 200)
  assert.equal(s.p999, 300)
  t.reset()
  assert.equal(t.count(), 0)
  assert.equal(t.errors(), 0)
  assert.match(String(t), /^Timer\(/)
})

test('Timer: options and bad input', () => {
  const t = new Timer({ significantFigures: 3, highest: 1000n })
  t.record(5000)
  assert.equal(t.max(), 1000) // clamped to highest
  range(() => new Timer({ significantFigures: 0 }))
  range(() => new Timer({ significantFigures: 6 }))
  range(() => new Timer({ highest: 1 }))
  type(() => new Timer({ significantFigures: '2' }))
  type(() => new Timer(5))
  for (const v of OUT_OF_RANGE_U64) range(() => t.record(v))
  for (const v of WRONG_TYPE_U64.filter((v) => v !== undefined)) type(() => t.record(v))
  type(() => t.record(1, 'yes'))
  type(() => t.record(1, 1))
  for (const q of [-0.1, 1.1, NaN]) range(() => t.quantile(q))
  type(() => t.quantile('0.5'))
  type(() => t.time(42))
  type(() => t.startTimer()('ok'))
})

test('Timer.time: sync result, sync throw', () => {
  const t = new Timer()
  assert.equal(t.time(() => 42), 42)
  assert.throws(() => t.time(() => { throw new Error('boom') }), /boom/)
  assert.equal(t.count(), 2)
  assert.equal(t.errors(), 1)
})

test('Timer.time: async resolve and reject', async () => {
  const t = new Timer()
  assert.equal(await t.time(async () => 'v'), 'v')
  await assert.rejects(t.time(() => Promise.reject(new Error('no'))), /no/)
  assert.equal(t.count(), 2)
  assert.equal(t.errors(), 1)
  assert.ok(t.min() >= 0)
})

test('Timer.startTimer: end records once and returns the elapsed ns', () => {
  const t = new Timer()
  const end = t.startTimer()
  const ns = end()
  assert.equal(typeof ns, 'number')
  assert.ok(ns >= 0)
  assert.equal(end(false), ns) // already recorded: same answer, no second record
  assert.equal(t.count(), 1)
  assert.equal(t.errors(), 0)
  t.startTimer()(false)
  assert.equal(t.errors(), 1)
})

test('Timer: exact under many async calls', async () => {
  const t = new Timer()
  const work = Array.from({ length: 2000 }, (_, i) => t.time(async () => {
    await null
    if (i % 10 === 0) throw new Error('x')
  }).catch(() => {}))
  await Promise.all(work)
  assert.equal(t.count(), 2000)
  assert.equal(t.errors(), 200)
})

test('Timer: exact in worker_threads, each with its own', async () => {
  const src = `
const { parentPort, workerData } = require('node:worker_threads')
const { Timer } = require(workerData.pkg)
const t = new Timer()
for (let i = 1; i <= 20000; i++) t.record(i, i % 4 !== 0)
parentPort.postMessage([t.count(), t.errors(), t.total(), t.min(), t.max()])`
  const pkg = path.join(__dirname, '..')
  const out = await Promise.all(Array.from({ length: 3 }, () => new Promise((resolve, reject) => {
    const w = new Worker(src, { eval: true, workerData: { pkg } })
    w.once('message', resolve)
    w.once('error', reject)
  })))
  for (const r of out) assert.deepEqual(r, [20000, 5000, 20000 * 20001 / 2, 1, 20000])
})
