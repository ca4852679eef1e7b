'use strict'
// Pending waits (CancellationToken.wait, a OnceMap claim behind another caller's initialiser,
// AsyncRecorder flush) hold no thread: not the libuv pool (fs keeps working), not process.exit(),
// not worker.terminate(). They still settle: true on cancel, false on timeout.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const { CancellationToken, OnceMap, AsyncRecorder, Counter } = require('..')
const native = require('../binding.js')

const PKG = require.resolve('..')
const BINDING = require.resolve('../binding.js')
const HOUR = 3_600_000

/** Rejects if `p` has not settled after `ms` (a bound against a hang, not a timing assertion). */
function noHang(p, ms, what) {
  let t
  const hang = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
  })
  return Promise.race([p, hang]).finally(() => clearTimeout(t))
}

test('8 pending waits and 4 pending OnceMap claims do not hold up fs.readFile', async () => {
  const token = new CancellationToken()
  const waits = Array.from({ length: 8 }, () => token.wait(HOUR))
  const map = native.onceMapNew()
  const ticket = await native.onceMapClaim(map, 'k')
  assert.equal(ticket instanceof Uint8Array, false)
  const claims = Array.from({ length: 4 }, () => native.onceMapClaim(map, 'k', HOUR))
  // With the waits on the libuv pool (4 threads) this would wait an hour.
  for (let i = 0; i < 8; i++) {
    const text = await noHang(fs.promises.readFile(__filename, 'utf8'), 20_000, 'fs.readFile')
    assert.match(text, /pending waits/)
  }
  token.cancel()
  assert.deepEqual(await noHang(Promise.all(waits), 20_000, 'the waits'), Array(8).fill(true))
  native.onceMapComplete(ticket, 'v')
  for (const v of await noHang(Promise.all(claims), 20_000, 'the claims')) assert.equal(v.toString(), 'v')
})

test('wait resolves true on cancel (of the token or an ancestor) and false on timeout', async () => {
  const root = new CancellationToken()
  const child = root.child().child()
  const pending = [root.wait(HOUR), child.wait(HOUR), child.wait(HOUR)]
  const timedOut = child.wait(20)
  assert.equal(await timedOut, false)
  assert.equal(child.isCancelled, false)
  setTimeout(() => root.cancel(), 10)
  assert.deepEqual(await noHang(Promise.all(pending), 20_000, 'the waits'), [true, true, true])
  assert.equal(await child.wait(HOUR), true)
  assert.equal(await new CancellationToken().wait(0), false)
})

test('a OnceMap claim behind an abandoned or collected ticket takes over; a timed-out one gets null', async () => {
  const map = native.onceMapNew()
  const ticket = await native.onceMapClaim(map, 'k')
  const timedOut = native.onceMapClaim(map, 'k', 10)
  const waiting = native.onceMapClaim(map, 'k', HOUR)
  assert.equal(await timedOut, null)
  native.onceMapAbandon(ticket)
  const second = await noHang(waiting, 20_000, 'the claim')
  assert.equal(second instanceof Uint8Array, false) // a ticket: this caller initialises now
  assert.equal(native.onceMapComplete(second, 'w').toString(), 'w')

  const m = new OnceMap()
  let release
  const slow = m.getOrInit('a', () => new Promise((resolve) => { release = resolve }))
  const later = m.getOrInit('a', () => 'not used', { timeoutMs: HOUR })
  setTimeout(() => release('done'), 10)
  assert.deepEqual((await Promise.all([slow, later])).map(String), ['done', 'done'])
})

test('AsyncRecorder flush settles with the recorder idle or busy', async () => {
  const c = new Counter()
  const r = new AsyncRecorder(c, { capacity: 1024 })
  for (let i = 0; i < 1000; i++) r.record(1)
  assert.equal(await noHang(r.flush(HOUR), 20_000, 'flush'), true)
  assert.equal(c.get(), r.enqueued)
  await noHang(r.close(), 20_000, 'close')
})

function runChild(source) {
  return spawnSync(process.execPath, ['-e', source], { encoding: 'utf8', timeout: 60_000 })
}

test('process.exit() with pending waits exits at once', () => {
  const r = runChild(`
    const { CancellationToken, AsyncRecorder, Counter } = require(${JSON.stringify(PKG)})
    const native = require(${JSON.stringify(BINDING)})
    const t = new CancellationToken()
    for (let i = 0; i < 8; i++) t.wait(${HOUR})
    const map = native.onceMapNew()
    native.onceMapClaim(map, 'k').then(() => {
      native.onceMapClaim(map, 'k', ${HOUR})
      setTimeout(() => { console.log('exiting'); process.exit(7) }, 10)
    })
  `)
  // Killed by spawnSync's timeout (SIGTERM) if exit waited for the hour.
  assert.equal(r.signal, null, r.stderr)
  assert.equal(r.status, 7, r.stderr)
  assert.match(r.stdout, /exiting/)
})

test('a pending wait keeps the event loop alive until it settles, like a timer', () => {
  const r = runChild(`
    const { CancellationToken } = require(${JSON.stringify(PKG)})
    new CancellationToken().wait(30).then((v) => console.log('settled', v))
    const t = new CancellationToken()
    t.wait(${HOUR}).then((v) => console.log('cancelled', v))
    setImmediate(() => t.cancel())
  `)
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /settled false/)
  assert.match(r.stdout, /cancelled true/)
})

test('worker.terminate() with pending waits returns, and the process stays healthy', async () => {
  const source = `
    const { parentPort } = require('node:worker_threads')
    const { CancellationToken, AsyncRecorder, Counter } = require(${JSON.stringify(PKG)})
    const native = require(${JSON.stringify(BINDING)})
    const t = new CancellationToken()
    // Long waits, and short ones whose settling races the teardown.
    for (let i = 0; i < 8; i++) t.wait(${HOUR})
    for (let i = 0; i < 8; i++) t.child().wait(i)
    const map = native.onceMapNew()
    native.onceMapClaim(map, 'k').then(() => {
      native.onceMapClaim(map, 'k', ${HOUR})
      native.onceMapClaim(map, 'k', 5)
      new AsyncRecorder(new Counter()).flush(${HOUR})
      parentPort.postMessage('ready')
    })
  `
  for (let i = 0; i < 10; i++) {
    const w = new Worker(source, { eval: true })
    await new Promise((resolve, reject) => {
      w.once('message', resolve)
      w.once('error', reject)
    })
    // Some rounds cancel nothing, some let the short waits settle during teardown.
    if (i % 2) await new Promise((resolve) => setTimeout(resolve, i))
    const code = await noHang(w.terminate(), 20_000, 'worker.terminate()')
    assert.equal(typeof code, 'number')
  }
  const t = new CancellationToken()
  const p = t.wait(HOUR)
  t.cancel()
  assert.equal(await noHang(p, 20_000, 'a wait after the terminations'), true)
  assert.equal(await t.child().wait(HOUR), true)
  assert.equal(await new CancellationToken().wait(5), false)
})
