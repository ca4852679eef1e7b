'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Counter, Gauge, RateTracker } = require('..')
const { type } = require('./helpers')

test('RateTracker: first call zeros, then non-negative rates and exact deltas', () => {
  const a = new Counter()
  const b = new Counter()
  const r = new RateTracker({ a, b })
  assert.deepEqual(r.names, ['a', 'b'])
  assert.deepEqual(r.rates(), { a: 0, b: 0 })
  a.add(100)
  const d = r.ratesDetailed()
  assert.equal(d.length, 2)
  assert.deepEqual(d.map((x) => [x.name, x.delta]), [['a', 100], ['b', 0]])
  for (const x of d) assert.ok(x.perSecond >= 0)
  b.inc()
  const rates = r.rates()
  assert.deepEqual(Object.keys(rates), ['a', 'b'])
  assert.ok(rates.a >= 0 && rates.b >= 0)
  assert.match(String(r), /RateTracker\(a, b\)/)
})

test('RateTracker: array form, empty, odd names', () => {
  const c = new Counter()
  const r = new RateTracker([['__proto__', c], ['x y', c]])
  const rates = r.rates()
  assert.deepEqual(Object.keys(rates), ['__proto__', 'x y'])
  assert.deepEqual(new RateTracker([]).rates(), {})
})

test('RateTracker: the tracker keeps its counters alive', () => {
  let c = new Counter()
  const r = new RateTracker({ c })
  r.rates()
  c.add(5)
  c = null
  if (global.gc) global.gc()
  assert.equal(r.ratesDetailed()[0].delta, 5)
})

test('RateTracker: bad input', () => {
  const c = new Counter()
  type(() => new RateTracker())
  type(() => new RateTracker(5))
  type(() => new RateTracker({ a: 1 }))
  type(() => new RateTracker({ g: new Gauge() }))
  type(() => new RateTracker([['a']]))
  type(() => new RateTracker([[1, c]]))
  type(() => new RateTracker([['a', c], ['a', c]]))
})

test('RateTracker: many concurrent async callers all get rates >= 0', async () => {
  const c = new Counter()
  const r = new RateTracker({ c })
  const all = await Promise.all(Array.from({ length: 200 }, async () => {
    c.inc()
    await null
    return r.rates().c
  }))
  for (const x of all) assert.ok(x >= 0)
})
