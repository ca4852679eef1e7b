'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { SnapshotCell } = require('..')
const { range, type } = require('./helpers')

test('SnapshotCell: load, store, revision, loadWithRevision', () => {
  const c = new SnapshotCell('v0')
  assert.equal(c.revision, 0)
  assert.deepEqual(c.load(), Buffer.from('v0'))
  assert.ok(Buffer.isBuffer(c.load()))
  assert.equal(c.loadString(), 'v0')
  assert.equal(c.store(Buffer.from('v1')), 1)
  assert.equal(c.store(new Uint8Array([0x76, 0x32])), 2)
  assert.deepEqual(c.loadWithRevision(), { value: Buffer.from('v2'), revision: 2 })
  assert.equal(c.revision, 2)
  const copy = c.load()
  copy[0] = 0
  assert.equal(c.loadString(), 'v2') // loads are copies
  assert.match(String(c), /SnapshotCell\(revision=2\)/)
})

test('SnapshotCell: load copies every value size into a Buffer of its own, around the 4 KiB scratch', () => {
  // load() has the native call copy a value of up to 4,096 bytes into a per-thread scratch (the
  // one ShardedMap.get uses too) and makes the Buffer from it; a larger one comes from the
  // native call.
  const { ShardedMap } = require('..')
  const value = (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + n) & 255))
  const c = new SnapshotCell('')
  const m = new ShardedMap()
  m.insert('k', value(100))
  for (const n of [0, 1, 4096, 4097, 100_000, 5, 4095, 0]) {
    c.store(value(n))
    const got = c.load()
    assert.ok(Buffer.isBuffer(got))
    assert.deepEqual(got, value(n), `size ${n}`)
    assert.equal(got.buffer.byteLength, n, 'a Buffer with its own memory')
    assert.deepEqual(m.get('k'), value(100)) // the shared scratch between two loads
    assert.deepEqual(c.load(), value(n))
    got.fill(1)
    assert.deepEqual(c.load(), value(n), 'loads are copies')
  }
  const b = require('../binding.js')
  const t = typeof b.claimTrustedCalls === 'function' ? (b.claimTrustedCalls() ?? b) : b
  const h = t.snapshotCellNew('abcdef')
  const small = Buffer.alloc(4, 0x2e)
  assert.equal(t.snapshotCellLoadInto(h, small), 6)
  assert.equal(small.toString(), '....', 'too small: nothing written')
  for (const bad of [undefined, 'x', new Float64Array(8), new ArrayBuffer(8)]) {
    assert.throws(() => t.snapshotCellLoadInto(h, bad), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
  }
})

test('SnapshotCell: compareAndStore stores only at the expected revision', () => {
  const c = new SnapshotCell(Buffer.alloc(0))
  assert.equal(c.compareAndStore(0, 'a'), 1)
  assert.equal(c.compareAndStore(1n, 'b'), 2)
  assert.throws(() => c.compareAndStore(1, 'c'), (e) => {
    assert.equal(e.constructor, Error)
    assert.equal(e.code, 'AP_ERR_REVISION_MISMATCH')
    assert.equal(e.current, 2)
    assert.equal(e.expected, 1)
    return true
  })
  assert.equal(c.loadString(), 'b')
  assert.equal(c.revision, 2)
})

test('SnapshotCell: ageMs and lastUpdated', () => {
  const before = Date.now()
  const c = new SnapshotCell('x')
  assert.equal(typeof c.ageMs, 'number')
  assert.ok(c.ageMs >= 0)
  assert.ok(c.lastUpdated instanceof Date)
  const created = c.lastUpdated.getTime()
  assert.ok(created >= before - 1000 && created <= Date.now() + 1000)
  c.store('y')
  assert.ok(c.lastUpdated.getTime() >= created)
})

test('SnapshotCell: revisions never go back while stores interleave with loads', async () => {
  const c = new SnapshotCell('0')
  let last = -1
  await Promise.all(Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; i < 300; i++) {
      const { value, revision } = c.loadWithRevision()
      assert.ok(revision >= last, `revision went back: ${revision} after ${last}`)
      last = revision
      if (value.toString() === '') throw new Error('empty value')
      const r = i % 2 === 0 ? c.store(`${w}:${i}`) : tryCas(c, revision, `${w}:${i}`)
      if (r !== null) {
        assert.ok(r > last)
        last = r
      }
      if (i % 10 === 0) await new Promise(setImmediate)
    }
  }))
  assert.ok(c.revision >= 8 * 150)
})

function tryCas(c, expected, v) {
  try {
    return c.compareAndStore(expected, v)
  } catch (e) {
    assert.equal(e.code, 'AP_ERR_REVISION_MISMATCH')
    assert.ok(e.current > expected)
    return null
  }
}

test('SnapshotCell: errors for bad values and revisions', () => {
  for (const bad of [1, null, undefined, {}, [], new Int32Array(1)]) {
    type(() => new SnapshotCell(bad))
  }
  const c = new SnapshotCell('x')
  for (const bad of [1, null, undefined, {}]) type(() => c.store(bad))
  for (const bad of [-1, 1.5, NaN, -1n]) range(() => c.compareAndStore(bad, 'y'))
  for (const bad of ['0', null, undefined]) type(() => c.compareAndStore(bad, 'y'))
  type(() => c.compareAndStore(0, 5))
  assert.equal(c.revision, 0)
})
