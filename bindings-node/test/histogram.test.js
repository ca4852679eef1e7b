'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Histogram, Counter } = require('..')
const { range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

function filled(values, opts) {
  const h = new Histogram(opts)
  for (const v of values) h.record(v)
  return h
}

test('an empty histogram has count 0 and null min, max, mean and quantiles', () => {
  const h = new Histogram()
  assert.equal(h.count(), 0)
  assert.equal(h.countBigInt(), 0n)
  assert.equal(h.sum(), 0)
  assert.equal(h.sumBigInt(), 0n)
  assert.equal(h.min(), null)
  assert.equal(h.max(), null)
  assert.equal(h.mean(), null)
  assert.equal(h.quantile(0.5), null)
  assert.equal(h.overflowCount(), 0)
})

test('defaults are 2 significant figures up to 60 s in ns', () => {
  const h = new Histogram()
  assert.equal(h.significantFigures, 2)
  assert.equal(h.highest, 60_000_000_000n)
  assert.equal(h.memoryBytes(), new Histogram({}).memoryBytes())
  assert.ok(h.memoryBytes() > 15_000 && h.memoryBytes() < 17_000, `${h.memoryBytes()} bytes`)
})

test('options set precision and range; more precision takes more memory', () => {
  const h = new Histogram({ significantFigures: 3, highest: 1e6 })
  assert.equal(h.significantFigures, 3)
  assert.equal(h.highest, 1_000_000n)
  assert.equal(new Histogram({ highest: 2n ** 64n - 1n }).highest, 2n ** 64n - 1n)
  assert.ok(new Histogram({ significantFigures: 4 }).memoryBytes() > new Histogram().memoryBytes())
})

test('bad options are RangeErrors or TypeErrors with codes', () => {
  for (const significantFigures of [0, 6, 256, 300, -1, 2.5, NaN]) range(() => new Histogram({ significantFigures }))
  for (const highest of [0, 1, -1, 1.5, NaN, 2n ** 64n]) range(() => new Histogram({ highest }))
  type(() => new Histogram({ significantFigures: '2' }))
  type(() => new Histogram({ highest: '1000' }))
  type(() => new Histogram(5))
  type(() => new Histogram(null))
})

test('record counts, sums and keeps exact min and max', () => {
  const h = filled([5, 1000, 250n])
  assert.equal(h.count(), 3)
  assert.equal(h.sum(), 1255)
  assert.equal(h.min(), 5)
  assert.equal(h.max(), 1000)
  assert.ok(Math.abs(h.mean() - 1255 / 3) < 1e-9)
})

test('recordN records a value n times and n = 0 records nothing', () => {
  const h = new Histogram()
  h.recordN(100, 4)
  h.recordN(7, 0)
  h.recordN(200n, 2n)
  assert.equal(h.count(), 6)
  assert.equal(h.sum(), 800)
  assert.equal(h.min(), 100)
  assert.equal(h.max(), 200)
})

test('quantiles are within 1% with 2 significant figures; 0 and 1 are min and max', () => {
  const h = filled(Array.from({ length: 1000 }, (_, i) => (i + 1) * 1000))
  for (const q of [0.1, 0.5, 0.9, 0.99]) {
    const exact = Math.ceil(q * 1000) * 1000
    const got = h.quantile(q)
    assert.ok(Math.abs(got - exact) <= exact * 0.01, `q${q}: ${got} vs ${exact}`)
  }
  assert.equal(h.quantile(0), 1000)
  assert.equal(h.quantile(1), 1_000_000)
})

test('quantile outside [0, 1] or NaN is a RangeError with AP_ERR_OUT_OF_RANGE, also when empty', () => {
  for (const h of [new Histogram(), filled([1, 2, 3])]) {
    for (const q of [-0.01, 1.01, NaN, Infinity, -Infinity]) range(() => h.quantile(q))
  }
})

test('quantile of a non-number is a TypeError', () => {
  const h = filled([1])
  for (const q of ['0.5', 1n, null, undefined, {}]) type(() => h.quantile(q))
})

test('record and recordN reject bad values with RangeError or TypeError', () => {
  const h = new Histogram()
  for (const v of OUT_OF_RANGE_U64) {
    range(() => h.record(v))
    range(() => h.recordN(v, 1))
    range(() => h.recordN(1, v))
  }
  for (const v of WRONG_TYPE_U64) {
    type(() => h.record(v))
    type(() => h.recordN(v, 1))
    type(() => h.recordN(1, v))
  }
  assert.equal(h.count(), 0)
})

test('values above highest are clamped to it and counted as overflow', () => {
  const h = new Histogram({ highest: 1000 })
  h.record(5000)
  h.recordN(2n ** 63n, 2)
  h.record(10)
  assert.equal(h.count(), 4)
  assert.equal(h.overflowCount(), 3)
  assert.equal(h.max(), 1000)
  assert.equal(h.sum(), 3010)
})

test('count and sum have exact BigInt variants above 2^53; the number forms throw', () => {
  const h = new Histogram({ highest: 2n ** 62n })
  h.recordN(2n ** 61n, 2n ** 54n)
  assert.equal(h.countBigInt(), 2n ** 54n)
  range(() => h.count())
  // 2^61 * 2^54 wraps at 2^64 to 0; add one more small record for a visible sum.
  h.record(2n ** 55n)
  assert.equal(h.sumBigInt(), 2n ** 55n)
  range(() => h.sum())
  range(() => h.max())
  assert.equal(String(h), `Histogram(count=${2n ** 54n + 1n})`)
  assert.match(util.inspect(h), /above Number.MAX_SAFE_INTEGER/)
})

test('snapshot is an independent copy', () => {
  const h = filled([10, 20, 30])
  const s = h.snapshot()
  assert.ok(s instanceof Histogram)
  assert.equal(s.count(), 3)
  assert.equal(s.sum(), 60)
  assert.equal(s.min(), 10)
  assert.equal(s.max(), 30)
  assert.equal(s.significantFigures, h.significantFigures)
  assert.equal(s.highest, h.highest)
  h.record(1000)
  s.record(1)
  assert.equal(h.count(), 4)
  assert.equal(h.min(), 10)
  assert.equal(s.count(), 4)
  assert.equal(s.max(), 30)
  assert.equal(s.min(), 1)
  h.reset()
  assert.equal(s.count(), 4)
})

test('merge adds every value of the other histogram and leaves it unchanged', () => {
  const a = filled([1, 2, 3])
  const b = filled([100, 200])
  a.merge(b)
  assert.equal(a.count(), 5)
  assert.equal(a.sum(), 306)
  assert.equal(a.min(), 1)
  assert.equal(a.max(), 200)
  assert.equal(b.count(), 2)
  a.merge(new Histogram())
  assert.equal(a.count(), 5)
})

test('merge across layouts re-buckets and clamps to the target range', () => {
  const a = new Histogram({ highest: 1000 })
  const b = filled([50, 5000], { significantFigures: 3, highest: 1e6 })
  a.merge(b)
  assert.equal(a.count(), 2)
  assert.equal(a.max(), 1000)
  assert.ok(a.overflowCount() >= 1)
})

test('merge of anything but a Histogram is a TypeError', () => {
  const h = new Histogram()
  for (const bad of [undefined, null, {}, 1, new Counter(), Object.create(Histogram.prototype)]) type(() => h.merge(bad))
})

test('reset empties the histogram', () => {
  const h = filled([1, 2, 3], { highest: 2 })
  h.reset()
  assert.equal(h.count(), 0)
  assert.equal(h.sum(), 0)
  assert.equal(h.min(), null)
  assert.equal(h.overflowCount(), 0)
  h.record(2)
  assert.equal(h.min(), 2)
})

test('inspect and toString summarise the state', () => {
  assert.equal(util.inspect(new Histogram()), 'Histogram { count: 0 }')
  const h = filled([100, 200, 300])
  assert.equal(String(h), 'Histogram(count=3)')
  assert.equal(util.inspect(h), 'Histogram { count: 3, sum: 600, min: 100, p50: 200, p99: 300, max: 300 }')
})
