'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { AsyncRecorder, Counter, Gauge, Histogram, Timer, MinMax, RateTracker } = require('..')
const { range, type, throwsCode, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

const rejectsCode = (p, Class, code) => assert.rejects(p, (e) => {
  assert.ok(e instanceof Class, `expected ${Class.name}, got ${e && e.constructor.name}: ${e && e.message}`)
  assert.equal(e.code, code)
  return true
})

test('AsyncRecorder: every metric kind takes its own events', async () => {
  const c = new Counter()
  const h = new Histogram()
  const m = new MinMax()
  const t = new Timer()
  const g = new Gauge()
  const rc = new AsyncRecorder(c)
  const rh = new AsyncRecorder(h, { capacity: 16, workers: 2, batch: 4 })
  const rm = new AsyncRecorder(m)
  const rt = new AsyncRecorder(t)
  const rg = new AsyncRecorder(g, { workers: 1 })
  assert.deepEqual([rc, rh, rm, rt, rg].map((r) => r.kind), ['counter', 'histogram', 'minmax', 'timer', 'gauge'])
  assert.equal(rc.overflow, 'drop')
  assert.equal(rc.record(5), true)
  assert.equal(rc.record(2n), true)
  rh.record(100)
  rm.record(7)
  rm.record(3)
  assert.equal(rt.record(1000), true)
  assert.equal(rt.record(3000n, false), true)
  assert.equal(rg.set(10), true)
  rg.add(5)
  rg.setMax(12) // 15 stays
  rg.setMin(14)
  for (const r of [rc, rh, rm, rt, rg]) assert.equal(await r.flush(10_000), true)
  assert.equal(c.get(), 7)
  assert.equal(h.count(), 1)
  assert.deepEqual([m.min(), m.max()], [3, 7])
  assert.deepEqual([t.count(), t.errors(), t.total()], [2, 1, 4000])
  assert.equal(g.get(), 14)
  assert.deepEqual([rc.enqueued, rc.applied, rc.dropped], [2, 2, 0])
  for (const r of [rc, rh, rm, rt, rg]) {
    assert.equal(r.closed, false)
    assert.equal(await r.close(), undefined)
    assert.equal(r.closed, true)
  }
  assert.match(String(rc), /AsyncRecorder\(counter/)
})

test('AsyncRecorder: wrong kinds, bad values, bad options', async () => {
  type(() => new AsyncRecorder())
  type(() => new AsyncRecorder({}))
  type(() => new AsyncRecorder(new RateTracker({})))
  type(() => new AsyncRecorder(new Counter(), 5))
  type(() => new AsyncRecorder(new Counter(), { overflow: 1 }))
  type(() => new AsyncRecorder(new Counter(), { capacity: '1' }))
  range(() => new AsyncRecorder(new Counter(), { overflow: 'wait' }))
  for (const k of ['capacity', 'workers', 'batch']) {
    range(() => new AsyncRecorder(new Counter(), { [k]: 0 }))
    range(() => new AsyncRecorder(new Counter(), { [k]: -1 }))
  }
  const rh = new AsyncRecorder(new Histogram())
  const rg = new AsyncRecorder(new Gauge())
  const rt = new AsyncRecorder(new Timer())
  type(() => rh.set(1)) // a histogram takes values, not gauge operations
  type(() => rg.record(1)) // a gauge takes set/add/setMax/setMin
  type(() => rg.set('1'))
  type(() => rt.record(1, 'ok'))
  for (const v of OUT_OF_RANGE_U64) range(() => rh.record(v))
  for (const v of WRONG_TYPE_U64) type(() => rh.record(v))
  await rejectsCode(rh.flush(-1), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await rejectsCode(rh.flush('1'), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(rh.recordAsync('x'), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(rg.recordAsync('inc', 1), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await rejectsCode(rg.recordAsync(3, 1), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  assert.equal(await rh.flush(), true)
  assert.equal(rh.enqueued, 0)
  await Promise.all([rh.close(), rg.close(), rt.close()])
})

test('AsyncRecorder: record after close throws AP_ERR_CLOSED; close twice is fine', async () => {
  const r = new AsyncRecorder(new Counter())
  await r.close()
  await r.close()
  throwsCode(() => r.record(1), Error, 'AP_ERR_CLOSED')
  await rejectsCode(r.recordAsync(1), Error, 'AP_ERR_CLOSED')
  const rg = new AsyncRecorder(new Gauge())
  await rg.close()
  throwsCode(() => rg.set(1), Error, 'AP_ERR_CLOSED')
  assert.equal(await r.flush(100), true)
})

test('AsyncRecorder drop mode: applied + dropped === enqueued after flush', async () => {
  const h = new Histogram()
  const r = new AsyncRecorder(h, { capacity: 8, batch: 2 })
  let queued = 0
  let dropped = 0
  for (let i = 0; i < 20_000; i++) {
    if (r.record(i)) queued++
    else dropped++
  }
  assert.equal(await r.flush(30_000), true)
  assert.equal(r.enqueued, 20_000)
  assert.equal(r.applied + r.dropped, r.enqueued)
  assert.equal(r.dropped, dropped)
  assert.equal(h.count(), queued)
  await r.close()
})

test('AsyncRecorder block mode: record() throws AP_ERR_TIMEOUT when full; recordAsync drops nothing', async () => {
  const c = new Counter()
  const r = new AsyncRecorder(c, { capacity: 4, batch: 1, overflow: 'block' })
  assert.equal(r.overflow, 'block')
  let full = 0
  for (let i = 0; i < 10_000; i++) {
    try {
      assert.equal(r.record(1), true)
    } catch (e) {
      assert.equal(e.code, 'AP_ERR_TIMEOUT')
      assert.match(e.message, /recordAsync/)
      full++
    }
  }
  const n = 20_000
  const results = await Promise.all(Array.from({ length: n }, () => r.recordAsync(1)))
  assert.ok(results.every((x) => x === true))
  assert.equal(await r.flush(30_000), true)
  assert.equal(r.dropped, 0)
  assert.equal(r.enqueued, 10_000 - full + n)
  assert.equal(r.applied, r.enqueued)
  assert.equal(c.get(), r.enqueued)
  await r.close()
})

test('AsyncRecorder block mode: recordAsync for a timer and a gauge', async () => {
  const t = new Timer()
  const g = new Gauge()
  const rt = new AsyncRecorder(t, { capacity: 2, overflow: 'block' })
  const rg = new AsyncRecorder(g, { capacity: 2, overflow: 'block' })
  const ps = []
  for (let i = 1; i <= 1000; i++) {
    ps.push(rt.recordAsync(i, i % 2 === 0))
    ps.push(rg.recordAsync('setMax', i))
  }
  assert.ok((await Promise.all(ps)).every((x) => x === true))
  assert.deepEqual(await Promise.all([rt.flush(), rg.flush()]), [true, true])
  assert.deepEqual([t.count(), t.errors(), t.max()], [1000, 500, 1000])
  assert.equal(g.get(), 1000)
  await Promise.all([rt.close(), rg.close()])
})

test('AsyncRecorder: close drains what was queued; records waiting at close settle', async () => {
  const c = new Counter()
  const r = new AsyncRecorder(c, { capacity: 2, batch: 1, overflow: 'block' })
  const waiting = Array.from({ length: 100 }, () => r.recordAsync(1))
  // Handle every promise before awaiting close(): records still waiting for room are refused
  // (AP_ERR_CLOSED) as soon as close begins, often before close() resolves, and a rejection
  // with no handler by the end of that tick is an unhandledRejection, which fails the test.
  const all = Promise.allSettled(waiting)
  await r.close()
  const settled = await all
  const ok = settled.filter((s) => s.status === 'fulfilled').length
  for (const s of settled) if (s.status === 'rejected') assert.equal(s.reason.code, 'AP_ERR_CLOSED')
  assert.equal(c.get(), ok)
  assert.equal(r.applied, r.enqueued)
})

test('AsyncRecorder: many async producers, minmax and timer stay exact', async () => {
  const m = new MinMax()
  const t = new Timer()
  const rm = new AsyncRecorder(m, { workers: 2, capacity: 1024, overflow: 'block' })
  const rt = new AsyncRecorder(t, { workers: 2, capacity: 1024, overflow: 'block' })
  await Promise.all(Array.from({ length: 50 }, async (_, p) => {
    for (let i = 0; i < 200; i++) {
      await rm.recordAsync(p * 1000 + i + 1)
      await rt.recordAsync(i + 1, i % 5 !== 0)
    }
  }))
  assert.deepEqual(await Promise.all([rm.flush(), rt.flush()]), [true, true])
  assert.deepEqual([m.min(), m.max()], [1, 49_200])
  assert.deepEqual([t.count(), t.errors(), t.total()], [10_000, 2000, 50 * (200 * 201 / 2)])
  await Promise.all([rm.close(), rt.close()])
})
