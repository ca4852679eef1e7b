'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { OnceMap } = require('..')
const { type } = require('./helpers')

const tick = () => new Promise(setImmediate)

const rejectsCode = (p, Class, code) => assert.rejects(p, (e) => {
  assert.ok(e instanceof Class, `expected ${Class.name}, got ${e && e.constructor.name}: ${e && e.message}`)
  assert.equal(e.code, code)
  return true
})

test('OnceMap: getOrInit, get, delete, size', async () => {
  const m = new OnceMap()
  assert.equal(m.size, 0)
  assert.equal(m.get('a'), undefined)
  const v = await m.getOrInit('a', () => 'A') // a sync initialiser
  assert.ok(Buffer.isBuffer(v))
  assert.equal(v.toString(), 'A')
  assert.deepEqual(await m.getOrInit(Buffer.from('a'), () => 'other'), Buffer.from('A'))
  assert.deepEqual(m.get(new Uint8Array([0x61])), Buffer.from('A'))
  assert.deepEqual(await m.getOrInit('b', async () => { await tick(); return Buffer.from([1, 2]) }), Buffer.from([1, 2]))
  assert.equal(m.size, 2)
  assert.equal(m.delete('a'), true)
  assert.equal(m.delete('a'), false)
  assert.equal(m.get('a'), undefined)
  assert.equal((await m.getOrInit('a', () => 'again')).toString(), 'again')
  assert.equal(m.size, 2)
  assert.match(String(m), /OnceMap\(size=2\)/)
})

test('OnceMap: 16 concurrent getOrInit for one key run the async initialiser exactly once', async () => {
  const m = new OnceMap()
  let runs = 0
  const init = async (key) => {
    runs++
    assert.equal(key, 'k')
    for (let i = 0; i < 5; i++) await tick()
    return `value ${runs}`
  }
  const values = await Promise.all(Array.from({ length: 16 }, () => m.getOrInit('k', init)))
  assert.equal(runs, 1)
  assert.ok(values.every((v) => v.toString() === 'value 1'))
  assert.equal(m.size, 1)
})

test('OnceMap: a rejected initialiser is not cached; the next caller retries', async () => {
  const m = new OnceMap()
  const boom = new Error('boom')
  await assert.rejects(m.getOrInit('k', async () => { await tick(); throw boom }), (e) => e === boom)
  assert.equal(m.get('k'), undefined)
  assert.equal(m.size, 0)
  await assert.rejects(m.getOrInit('k', () => { throw boom }), (e) => e === boom) // sync throw
  assert.equal((await m.getOrInit('k', () => 'ok')).toString(), 'ok')
  assert.equal(m.size, 1)
})

test('OnceMap: concurrent callers behind a failing initialiser take over, one at a time', async () => {
  const m = new OnceMap()
  let runs = 0
  const failFirstTwo = async () => {
    const n = ++runs
    await tick()
    if (n <= 2) throw new Error(`fail ${n}`)
    return `ok ${n}`
  }
  const settled = await Promise.allSettled(Array.from({ length: 6 }, () => m.getOrInit('k', failFirstTwo)))
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'])
  assert.deepEqual(settled.slice(2).map((s) => s.value.toString()), ['ok 3', 'ok 3', 'ok 3', 'ok 3'])
  assert.equal(runs, 3)
})

test('OnceMap: an initialiser returning a bad value rejects and is not cached', async () => {
  const m = new OnceMap()
  await rejectsCode(m.getOrInit('k', () => 42), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(m.getOrInit('k', async () => ({})), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  assert.equal(m.get('k'), undefined)
  assert.equal((await m.getOrInit('k', () => 'fine')).toString(), 'fine')
})

test('OnceMap: different keys initialise independently; nested getOrInit of another key works', async () => {
  const m = new OnceMap()
  const v = await m.getOrInit('outer', async () => {
    const inner = await m.getOrInit('inner', async () => 'I')
    return Buffer.concat([Buffer.from('O+'), inner])
  })
  assert.equal(v.toString(), 'O+I')
  assert.equal(m.size, 2)
})

test('OnceMap: bad arguments reject (or throw for get/delete) with codes', async () => {
  const m = new OnceMap()
  for (const bad of [1, null, undefined, {}, new Float64Array(1)]) {
    type(() => m.get(bad))
    type(() => m.delete(bad))
    await rejectsCode(m.getOrInit(bad, () => 'v'), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  }
  await rejectsCode(m.getOrInit('k', 'v'), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(m.getOrInit('k', () => 'v', 5), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(m.getOrInit('k', () => 'v', { timeoutMs: '5' }), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(m.getOrInit('k', () => 'v', { timeoutMs: -1 }), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await rejectsCode(m.getOrInit('k', () => 'v', { timeoutMs: NaN }), RangeError, 'AP_ERR_OUT_OF_RANGE')
  assert.equal(m.size, 0)
  assert.equal((await m.getOrInit('k', () => 'v', { timeoutMs: 1000 })).toString(), 'v')
})

test('OnceMap: timeoutMs: a waiter gives up with AP_ERR_TIMEOUT while the initialiser is stuck', async () => {
  const m = new OnceMap()
  let release
  const gate = new Promise((resolve) => { release = resolve })
  const first = m.getOrInit('k', async () => { await gate; return 'late' })
  await tick()
  await rejectsCode(m.getOrInit('k', () => 'never', { timeoutMs: 0 }), Error, 'AP_ERR_TIMEOUT')
  release()
  assert.equal((await first).toString(), 'late')
  assert.equal((await m.getOrInit('k', () => 'never', { timeoutMs: 0 })).toString(), 'late')
})
