'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { ThroughputWindow } = require('..')
const { range, type, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers')

test('ThroughputWindow: defaults, record, stats', () => {
  const w = new ThroughputWindow()
  assert.deepEqual(w.config, { windowMs: 10000, buckets: 10, slaMs: 100 })
  const s0 = w.stats()
  assert.equal(s0.events, 0)
  assert.equal(s0.violationRatio, 0)
  for (const ms of [20, 50, 250, 80]) w.record(ms * 1e6)
  w.record(101_000_000n)
  const s = w.stats()
  assert.equal(s.events, 5)
  assert.equal(s.violations, 2)
  assert.equal(s.violationRatio, 0.4)
  assert.ok(s.eventsPerSecond >= 0)
  assert.ok(s.coveredMs >= 0 && s.coveredMs <= 10000)
  assert.match(String(w), /events=5/)
})

test('ThroughputWindow: options', () => {
  const w = new ThroughputWindow({ windowMs: 1000, buckets: 4, slaMs: 0 })
  assert.deepEqual(w.config, { windowMs: 1000, buckets: 4, slaMs: 0 })
  w.record(0)
  w.record(1)
  assert.equal(w.stats().violations, 1)
})

test('ThroughputWindow: bad config and values', () => {
  for (const o of [{ windowMs: 0 }, { buckets: 0 }, { windowMs: -1 }, { slaMs: -1 }, { slaMs: NaN },
    { windowMs: Infinity }, { buckets: 1.5 }, { buckets: -2 }, { windowMs: 1e-9, buckets: 10 }]) {
    range(() => new ThroughputWindow(o))
  }
  for (const o of [{ windowMs: '1' }, { buckets: '2' }, { slaMs: null }, { windowMs: 10n }]) {
    type(() => new ThroughputWindow(o))
  }
  type(() => new ThroughputWindow(null))
  const w = new ThroughputWindow()
  for (const v of OUT_OF_RANGE_U64) range(() => w.record(v))
  for (const v of WRONG_TYPE_U64) type(() => w.record(v))
  assert.equal(w.stats().events, 0)
})
