'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { CancellationToken } = require('..')
const { type } = require('./helpers')

const rejectsCode = (p, Class, code) => assert.rejects(p, (e) => {
  assert.ok(e instanceof Class, `expected ${Class.name}, got ${e && e.constructor.name}`)
  assert.equal(e.code, code)
  return true
})

test('CancellationToken: cancel and isCancelled; cancel is idempotent', () => {
  const t = new CancellationToken()
  assert.equal(t.isCancelled, false)
  assert.match(String(t), /active/)
  t.cancel()
  t.cancel()
  assert.equal(t.isCancelled, true)
  assert.match(String(t), /cancelled/)
})

test('CancellationToken: wait resolves true on cancel, false on timeout', async () => {
  const t = new CancellationToken()
  assert.equal(await t.wait(0), false)
  assert.equal(await t.wait(5), false)
  const waiting = t.wait(600_000) // resolves because of cancel(), long before the timeout
  setImmediate(() => t.cancel())
  assert.equal(await waiting, true)
  assert.equal(await t.wait(0), true) // already cancelled: at once
  assert.equal(await t.wait(Infinity), true)
})

test('CancellationToken: a child is cancelled with its parent, not the other way round', async () => {
  const parent = new CancellationToken()
  const child = parent.child()
  const grandchild = child.child()
  const sibling = parent.child()
  sibling.cancel()
  assert.equal(parent.isCancelled, false)
  assert.equal(child.isCancelled, false)
  const waiting = grandchild.wait(600_000)
  parent.cancel()
  assert.equal(await waiting, true)
  assert.deepEqual([child.isCancelled, grandchild.isCancelled], [true, true])
  assert.equal(parent.child().isCancelled, true) // a child of a cancelled token starts cancelled
})

test('CancellationToken: AbortSignal bridge both ways', async () => {
  const parent = new CancellationToken()
  const child = parent.child()
  const signal = child.signal
  assert.ok(signal instanceof AbortSignal)
  assert.equal(child.signal, signal)
  assert.equal(signal.aborted, false)
  parent.cancel()
  assert.equal(signal.aborted, true)
  // The platform's standard reason, as AbortController.abort() gives: no code of its own.
  const standard = (() => {
    const c = new AbortController()
    c.abort()
    return c.signal.reason
  })()
  assert.ok(signal.reason instanceof DOMException)
  assert.equal(signal.reason.name, 'AbortError')
  assert.equal(signal.reason.code, standard.code)
  assert.equal(signal.reason.message, standard.message)
  assert.throws(() => signal.throwIfAborted(), { name: 'AbortError' })
  assert.equal(new CancellationToken().child().signal.aborted, false)
  const cancelled = new CancellationToken()
  cancelled.cancel()
  assert.equal(cancelled.signal.aborted, true)
  assert.equal(cancelled.signal.reason.name, 'AbortError')

  const controller = new AbortController()
  const fromSignal = CancellationToken.fromSignal(controller.signal)
  const waiting = fromSignal.wait(600_000)
  assert.equal(fromSignal.isCancelled, false)
  controller.abort()
  assert.equal(fromSignal.isCancelled, true)
  assert.equal(await waiting, true)
  assert.equal(CancellationToken.fromSignal(AbortSignal.abort()).isCancelled, true)
  type(() => CancellationToken.fromSignal({}))
})

test('CancellationToken: bad timeouts reject with codes', async () => {
  const t = new CancellationToken()
  await rejectsCode(t.wait(-1), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await rejectsCode(t.wait(NaN), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await rejectsCode(t.wait('5'), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(t.wait(), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await rejectsCode(t.wait(5n), TypeError, 'AP_ERR_INVALID_ARGUMENT')
})
