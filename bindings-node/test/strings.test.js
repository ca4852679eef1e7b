'use strict'
// JS strings that are not well-formed UTF-16 (a lone surrogate) have no UTF-8 form; N-API would
// turn each lone surrogate into U+FFFD, so that 'a\uD800' and 'a\uDBFF' became one series or one
// key. They are refused with a TypeError (code AP_ERR_INVALID_ARGUMENT) wherever a string becomes
// a registry name, label name or value, help text, or a byte-string key or value.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Registry, ShardedMap, SnapshotCell, OnceMap } = require('..')
const { type } = require('./helpers')

const LONE = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD800b', 'x\uDC00\uD800', 'a'.repeat(300) + '\uD801']
// Well-formed strings, U+FFFD itself and a surrogate pair included.
const WELL_FORMED = ['\uFFFD', 'a\uFFFDb', '\uD83D\uDE00', 'é', 'a'.repeat(300) + '\uFFFD']

test('registry: a lone surrogate in a label value, label name, metric name or help is refused', () => {
  const r = new Registry()
  for (const s of LONE) {
    type(() => r.counter('requests', { labels: { route: s } }))
    type(() => r.gauge('g', { labels: { [s]: 'v' } }))
    type(() => r.histogram(s))
    type(() => r.counter('c', { help: s }))
    type(() => r.timer('t', { labels: { a: 'ok', b: s } }))
    type(() => r.minmax('m', { labels: { a: s } }))
    type(() => Registry.named(s))
  }
  assert.equal(r.size, 0)
  assert.equal(r.metrics(), '')
})

test('registry: two label values differing only in their lone surrogate never share a series', () => {
  const r = new Registry()
  type(() => r.counter('x', { labels: { v: 'a\uD800' } }).inc())
  type(() => r.counter('x', { labels: { v: 'a\uDBFF' } }).inc())
  // U+FFFD itself is an ordinary character, and a different value from any other.
  r.counter('x', { labels: { v: 'a\uFFFD' } }).inc()
  r.counter('x', { labels: { v: 'a\uD83D\uDE00' } }).add(2)
  assert.equal(r.counter('x', { labels: { v: 'a\uFFFD' } }).get(), 1)
  assert.equal(r.counter('x', { labels: { v: 'a\uD83D\uDE00' } }).get(), 2)
  const text = r.metrics()
  assert.match(text, /x_total\{v="a\uFFFD"\} 1/)
  assert.match(text, /x_total\{v="a\uD83D\uDE00"\} 2/)
})

test('well-formed strings, U+FFFD and surrogate pairs included, are accepted everywhere', () => {
  const r = new Registry()
  const m = new ShardedMap()
  for (const [i, s] of WELL_FORMED.entries()) {
    r.counter('ok', { help: s, labels: { v: s } }).inc()
    m.insert(s, s)
    assert.equal(m.getString(s), s)
    assert.equal(m.get(Buffer.from(s, 'utf8')).toString('utf8'), s)
    assert.equal(r.counter('ok', { labels: { v: s } }).get(), 1, `value ${i}`)
  }
})

test('ShardedMap, SnapshotCell and OnceMap refuse string keys and values with a lone surrogate', async () => {
  const m = new ShardedMap()
  for (const s of LONE) {
    type(() => m.insert(s, 'v'))
    type(() => m.insert('k', s))
    type(() => m.get(s))
    type(() => m.has(s))
    type(() => m.remove(s))
    type(() => m.computeIfAbsent(s, () => 'v'))
  }
  assert.equal(m.size, 0)
  // Buffers are bytes, not text: any bytes are a key.
  m.insert(Buffer.from([0xed, 0xa0, 0x80]), 'v')
  assert.equal(m.size, 1)

  const cell = new SnapshotCell('start')
  for (const s of LONE) type(() => cell.store(s))
  type(() => new SnapshotCell('\uD800'))
  assert.equal(cell.loadString(), 'start')

  const once = new OnceMap()
  for (const s of LONE) {
    await assert.rejects(once.getOrInit(s, () => 'v'), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
    await assert.rejects(once.getOrInit('k' + s.length, () => s), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
  }
  assert.equal(once.size, 0)
})
