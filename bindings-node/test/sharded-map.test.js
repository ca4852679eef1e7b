'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { ShardedMap } = require('..')
const { range, type } = require('./helpers')

const BAD_BYTES = [1, 1n, null, undefined, {}, [], true, new Uint16Array(2), new ArrayBuffer(2), Symbol('x')]

test('ShardedMap: get, insert, remove, has, size, clear', () => {
  const m = new ShardedMap()
  assert.ok(m.shards >= 1 && (m.shards & (m.shards - 1)) === 0)
  assert.equal(m.get('a'), undefined)
  assert.equal(m.getString('a'), undefined)
  assert.equal(m.insert('a', 'x'), undefined)
  assert.deepEqual(m.insert(Buffer.from('a'), Buffer.from('y')), Buffer.from('x')) // same key as 'a'
  assert.deepEqual(m.get(new Uint8Array([0x61])), Buffer.from('y'))
  assert.ok(Buffer.isBuffer(m.get('a')))
  assert.equal(m.getString('a'), 'y')
  assert.equal(m.has('a'), true)
  assert.equal(m.has('b'), false)
  m.insert('ключ', 'значение') // UTF-8
  assert.equal(m.getString(Buffer.from('ключ', 'utf8')), 'значение')
  m.insert(Buffer.alloc(0), Buffer.alloc(0)) // empty key and value
  assert.deepEqual(m.get(''), Buffer.alloc(0))
  const long = 'k'.repeat(10_000)
  m.insert(long, long)
  assert.equal(m.getString(long), long)
  assert.equal(m.size, 4)
  assert.deepEqual(m.remove('a'), Buffer.from('y'))
  assert.equal(m.remove('a'), undefined)
  assert.equal(m.size, 3)
  m.clear()
  assert.equal(m.size, 0)
  assert.match(String(m), /ShardedMap\(size=0\)/)
})

test('ShardedMap: a Uint8Array view is read at its offset; results are copies', () => {
  const m = new ShardedMap({ shards: 1 })
  const backing = Buffer.from('xxkeyxx')
  m.insert(backing.subarray(2, 5), backing.subarray(0, 2))
  assert.equal(m.getString('key'), 'xx')
  const got = m.get('key')
  got[0] = 0x41
  assert.equal(m.getString('key'), 'xx')
})

test('ShardedMap: get copies every value size into a Buffer of its own, around the 4 KiB scratch', () => {
  // get() has the native call copy a value of up to 4,096 bytes into a per-thread scratch and
  // makes the Buffer from it; a larger one comes as a Buffer from the native call.
  const m = new ShardedMap({ shards: 2 })
  const sizes = [0, 1, 63, 4095, 4096, 4097, 70_000]
  const value = (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + n) & 255))
  for (const n of sizes) m.insert(`v${n}`, value(n))
  for (let round = 0; round < 2; round++) {
    // Large and small alternate, so a value left in the scratch would show in the next one.
    for (const n of [...sizes, ...sizes.slice().reverse()]) {
      const got = m.get(`v${n}`)
      assert.ok(Buffer.isBuffer(got))
      assert.deepEqual(got, value(n), `size ${n}`)
      assert.equal(got.buffer.byteLength, n, 'a Buffer with its own memory, as before')
      got.fill(0x5a) // a copy: the stored value does not change
    }
  }
  assert.deepEqual(m.computeIfAbsent('v4097', () => assert.fail('present')), value(4097))
  assert.equal(m.get('absent'), undefined)
  // Keys around the 256-byte stack buffer the native side reads a string key into first,
  // in 1- to 4-byte characters.
  for (const ch of ['k', 'é', '€', '😀']) {
    for (let n = 60; n < 70; n++) {
      const key = ch.repeat(Math.ceil((n * 4) / Buffer.byteLength(ch)))
      m.insert(key, key)
      assert.equal(m.getString(key), key)
      assert.equal(m.get(Buffer.from(key)).toString(), key)
      assert.equal(m.has(key), true)
      assert.equal(m.has(key + 'x'), false)
    }
  }
})

test('ShardedMap: the native get into a scratch writes only what fits', () => {
  const b = require('../binding.js')
  const t = typeof b.claimTrustedCalls === 'function' ? (b.claimTrustedCalls() ?? b) : b
  const h = t.shardedMapNew()
  t.shardedMapInsert(h, 'k', 'abcdef')
  const small = Buffer.alloc(4, 0x2e)
  assert.equal(t.shardedMapGetInto(h, 'k', small), 6)
  assert.equal(small.toString(), '....', 'too small: nothing written')
  const big = Buffer.alloc(8, 0x2e)
  assert.equal(t.shardedMapGetInto(h, 'k', big.subarray(1)), 6)
  assert.equal(big.toString(), '.abcdef.')
  assert.equal(t.shardedMapGetInto(h, 'missing', big), -1)
  for (const bad of [undefined, 'x', new Uint16Array(8), new ArrayBuffer(8)]) {
    assert.throws(() => t.shardedMapGetInto(h, 'k', bad), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
  }
})

test('ShardedMap: snapshot/entries and iteration', () => {
  const m = new ShardedMap({ shards: 8 })
  for (let i = 0; i < 100; i++) m.insert(`k${i}`, `v${i}`)
  const entries = m.entries()
  assert.equal(entries.length, 100)
  for (const [k, v] of entries) {
    assert.ok(Buffer.isBuffer(k) && Buffer.isBuffer(v))
    assert.equal(v.toString(), k.toString().replace('k', 'v'))
  }
  assert.deepEqual(new Set(m.snapshot().map(([k]) => k.toString())), new Set(entries.map(([k]) => k.toString())))
  assert.equal([...m].length, 100)
})

test('ShardedMap: computeIfAbsent runs fn once when absent, returns the winning value', () => {
  const m = new ShardedMap()
  let runs = 0
  assert.deepEqual(m.computeIfAbsent('a', (k) => { runs++; assert.equal(k, 'a'); return 'A' }), Buffer.from('A'))
  assert.deepEqual(m.computeIfAbsent('a', () => { runs++; return 'other' }), Buffer.from('A'))
  assert.equal(runs, 1)
  // A racing insert made while fn ran wins over fn's value.
  const v = m.computeIfAbsent('b', () => {
    m.insert('b', 'first')
    return 'second'
  })
  assert.equal(v.toString(), 'first')
  assert.equal(m.getString('b'), 'first')
})

test('ShardedMap: nested use from inside computeIfAbsent is safe (no deadlock, no panic)', () => {
  const m = new ShardedMap({ shards: 1 }) // one shard: every key shares the lock
  m.insert('seed', '1')
  const v = m.computeIfAbsent('outer', () => {
    assert.equal(m.getString('seed'), '1')
    m.insert('side', 'effect')
    const inner = m.computeIfAbsent('inner', () => `${m.size}`)
    assert.equal(m.has('inner'), true)
    m.remove('seed')
    return Buffer.concat([Buffer.from('o:'), inner])
  })
  assert.equal(v.toString(), 'o:2')
  assert.deepEqual(m.entries().map(([k]) => k.toString()).sort(), ['inner', 'outer', 'side'])
})

test('ShardedMap: errors for bad keys, values, options and callbacks', () => {
  const m = new ShardedMap()
  for (const bad of BAD_BYTES) {
    type(() => m.get(bad))
    type(() => m.getString(bad))
    type(() => m.has(bad))
    type(() => m.remove(bad))
    type(() => m.insert(bad, 'v'))
    type(() => m.insert('k', bad))
    type(() => m.computeIfAbsent(bad, () => 'v'))
  }
  assert.equal(m.size, 0)
  type(() => m.computeIfAbsent('k', 'not a function'))
  type(() => m.computeIfAbsent('k', () => 42)) // fn must return bytes
  type(() => m.computeIfAbsent('k', async () => 'v')) // a Promise is not bytes
  assert.throws(() => m.computeIfAbsent('k', () => { throw new Error('boom') }), /boom/)
  assert.equal(m.has('k'), false)
  for (const shards of [0, 3, 8192]) range(() => new ShardedMap({ shards }))
  range(() => new ShardedMap({ shards: -1 }))
  type(() => new ShardedMap({ shards: '4' }))
  type(() => new ShardedMap(4))
  type(() => new ShardedMap(null))
})
