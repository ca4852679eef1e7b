'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Counter } = require('..')
const { range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

test('a new counter starts at zero', () => {
  const c = new Counter()
  assert.equal(c.get(), 0)
  assert.equal(c.getBigInt(), 0n)
})

test('inc adds one and add adds numbers and bigints', () => {
  const c = new Counter()
  c.inc()
  c.add(40)
  c.add(1n)
  c.add(0)
  c.add(-0)
  assert.equal(c.get(), 42)
  assert.equal(c.getBigInt(), 42n)
})

test('inc returns nothing', () => {
  assert.equal(new Counter().inc(), undefined)
})

test('stripes option picks the stripe count and defaults to a power of two', () => {
  assert.equal(new Counter({ stripes: 1 }).stripes, 1)
  assert.equal(new Counter({ stripes: 8 }).stripes, 8)
  assert.equal(new Counter({ stripes: 16n }).stripes, 16)
  const d = new Counter({}).stripes
  assert.ok(d >= 1 && (d & (d - 1)) === 0, `default stripes ${d}`)
})

test('bad stripe counts are RangeErrors with AP_ERR_OUT_OF_RANGE', () => {
  for (const stripes of [0, 3, 2048, -1, 1.5, NaN]) range(() => new Counter({ stripes }))
})

test('bad option types are TypeErrors with AP_ERR_INVALID_ARGUMENT', () => {
  type(() => new Counter({ stripes: '4' }))
  type(() => new Counter(4))
  type(() => new Counter(null))
})

test('add rejects negative, fractional, NaN, infinite and too large values with RangeError', () => {
  const c = new Counter()
  for (const v of OUT_OF_RANGE_U64) range(() => c.add(v))
  assert.equal(c.get(), 0)
})

test('add rejects non-numbers with TypeError', () => {
  const c = new Counter()
  for (const v of WRONG_TYPE_U64) type(() => c.add(v))
  assert.equal(c.get(), 0)
})

test('getBigInt is exact above 2^53 and get refuses to lose precision', () => {
  const c = new Counter()
  c.add(2n ** 60n)
  c.inc()
  assert.equal(c.getBigInt(), 2n ** 60n + 1n)
  range(() => c.get())
})

test('get returns Number.MAX_SAFE_INTEGER exactly and throws one above it', () => {
  const c = new Counter({ stripes: 1 })
  c.add(Number.MAX_SAFE_INTEGER)
  assert.equal(c.get(), Number.MAX_SAFE_INTEGER)
  c.inc()
  range(() => c.get())
  assert.equal(c.getBigInt(), 2n ** 53n)
})

test('integral numbers above 2^53 are accepted exactly', () => {
  const c = new Counter()
  c.add(2 ** 60)
  assert.equal(c.getBigInt(), 2n ** 60n)
})

test('the total wraps at 2^64', () => {
  const c = new Counter({ stripes: 1 })
  c.add(2n ** 64n - 1n)
  c.add(2)
  assert.equal(c.get(), 1)
})

test('inspect and toString show the value', () => {
  const c = new Counter({ stripes: 2 })
  c.add(7)
  assert.equal(String(c), 'Counter(7)')
  assert.equal(util.inspect(c), 'Counter { value: 7, stripes: 2 }')
})

test('a counter hammered by many concurrent async tasks stays exact', async () => {
  const c = new Counter()
  const tasks = 1000
  const perTask = 1000
  const work = async (i) => {
    for (let k = 0; k < perTask; k++) {
      c.inc()
      if (k % 100 === i % 100) await new Promise(setImmediate)
      else if (k % 50 === 0) await null
    }
    c.add(i)
  }
  await Promise.all(Array.from({ length: tasks }, (_, i) => work(i)))
  assert.equal(c.get(), tasks * perTask + (tasks * (tasks - 1)) / 2)
})
