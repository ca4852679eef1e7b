'use strict'
// Node agrees with fixes made in the core: deep chains of child tokens, colliding registry
// families, saturating histogram counts.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const { Registry, Histogram } = require('..')

const PKG = require.resolve('..')

test('a chain of 300,000 child tokens cancels, settles its waits and is dropped, on a small stack', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads')
    const { CancellationToken } = require(${JSON.stringify(PKG)})
    const root = new CancellationToken()
    let tok = root
    for (let i = 0; i < 300_000; i++) tok = tok.child()
    const wait = tok.wait(3_600_000)
    root.cancel()
    wait.then((cancelled) => {
      const deepest = tok.isCancelled
      // A chain whose every JS object is unreachable: the worker's teardown releases it from
      // the deepest token up.
      tok = null
      let again = new CancellationToken()
      for (let i = 0; i < 300_000; i++) again = again.child()
      again = null
      parentPort.postMessage({ cancelled, deepest })
    })
  `
  const w = new Worker(source, { eval: true, resourceLimits: { stackSizeMb: 1 } })
  const exited = new Promise((resolve) => w.once('exit', resolve))
  const r = await new Promise((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
  assert.deepEqual(r, { cancelled: true, deepest: true })
  assert.equal(await exited, 0)
})

test('the registry refuses a family whose series would collide with another family\'s', () => {
  const cases = [
    ['counter', 'x', 'counter', 'x_total'],
    ['counter', 'x', 'gauge', 'x_total'],
    ['histogram', 'h', 'gauge', 'h_count'],
    ['minmax', 'm', 'gauge', 'm_min'],
    ['timer', 't', 'counter', 't_errors'],
  ]
  for (const [kind1, name1, kind2, name2] of cases) {
    const r = new Registry()
    r[kind1](name1)
    assert.throws(() => r[kind2](name2), (e) => {
      assert.ok(e instanceof Error, String(e))
      assert.match(e.message, /would export series named/)
      assert.equal(e.code, 'AP_ERR_INVALID_ARGUMENT')
      return true
    }, `${kind1} ${name1} then ${kind2} ${name2}`)
    assert.equal(r.size, 1)
    // Either order.
    const s = new Registry()
    s[kind2](name2)
    assert.throws(() => s[kind1](name1), /would export series named/)
  }
})

test('a histogram count saturates at 2^64-1 (recordN(v, 2n**64n - 1n), then record(v))', () => {
  const h = new Histogram()
  h.recordN(1000, 2n ** 64n - 1n)
  h.record(1000)
  assert.equal(h.countBigInt(), 2n ** 64n - 1n)
  assert.equal(h.min(), 1000)
  assert.equal(h.max() >= 1000, true)
  assert.throws(() => h.count(), (e) => e instanceof RangeError && e.code === 'AP_ERR_OUT_OF_RANGE')
})
