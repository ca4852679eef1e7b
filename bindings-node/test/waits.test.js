'use strict'
// Pending waits (CancellationToken.wait, a OnceMap claim behind another caller's initialiser,
// AsyncRecorder flush) hold no thread: not the libuv pool (fs keeps working), not process.exit(),
// not worker.terminate(). They still settle: true on cancel, false on timeout. The watcher that
// settles them is told of every event by the core (a cancel from any thread, an AsyncRecorder's
// progress) and polls nothing: with nothing happening it does not wake up (waitStats()).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const { spawnSync } = require('node:child_process')
const { Worker } = require('node:worker_threads')
const ap = require('..')
const { CancellationToken, OnceMap, AsyncRecorder, Counter } = ap
const native = require('../binding.js')

const internals = ap[Symbol.for('atomicperf.internals')]

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

test('10,000 pending token waits and 4 pending OnceMap claims do not hold up fs.readFile', async () => {
  const token = new CancellationToken()
  // On 10,000 tokens (children of one), and 8 more on the token itself.
  const children = Array.from({ length: 10_000 }, () => token.child())
  const many = children.map((c) => c.wait(HOUR))
  const waits = Array.from({ length: 8 }, () => token.wait(HOUR))
  assert.ok(native.waitStats().pending >= 10_008)
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
  const settled = await noHang(Promise.all(many), 20_000, 'the 10,000 waits')
  assert.equal(settled.filter((v) => v === true).length, 10_000)
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

test('a cancel made by a native thread (no JS thread, no binding call) settles the waits of every token it reaches', async () => {
  const root = new CancellationToken()
  const child = root.child()
  const signal = child.signal
  const aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason.name), { once: true }))
  // Long timeouts: a false would mean the timeout fired first (the watcher never saw the cancel).
  const pending = [root.wait(HOUR), child.wait(HOUR), child.child().wait(HOUR), child.wait(600_000)]
  const raw = native.cancellationNew()
  const rawWait = native.cancellationWait(raw, HOUR)
  native.cancellationCancelOnThread(internals.cancellationToken.handle(root), 20)
  native.cancellationCancelOnThread(raw, 0)
  assert.deepEqual(await noHang(Promise.all(pending), 20_000, 'the waits'), [true, true, true, true])
  assert.equal(await noHang(rawWait, 20_000, 'the wait on a bare handle'), true)
  // The AbortSignal of a token aborts on that cancel too (from this thread's event loop).
  assert.equal(await noHang(aborted, 20_000, 'the AbortSignal'), 'AbortError')
  assert.equal(child.isCancelled, true)
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

function runChild(source, args = []) {
  return spawnSync(process.execPath, [...args, '-e', source], { encoding: 'utf8', timeout: 60_000 })
}

// In a child process of its own, so that no wait of another test reports anything meanwhile.
test('the watcher polls nothing: no wake-up while a wait is pending; one report ends a flush', () => {
  const r = runChild(`
    const os = require('node:os')
    const { Worker } = require('node:worker_threads')
    const { CancellationToken, AsyncRecorder, Histogram } = require(${JSON.stringify(PKG)})
    const { waitStats } = require(${JSON.stringify(BINDING)})
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
    ;(async () => {
      const t = new CancellationToken()
      const waiting = t.wait(${HOUR})
      await sleep(20)
      const before = waitStats()
      await sleep(200)
      const after = waitStats()
      t.cancel()
      const cancelled = await waiting
      const afterCancel = waitStats()

      // Flushes that wait: threads spinning on every core slow the recorder's worker down, so
      // that events are still queued when flush() is called. Rounds until one such flush.
      const stop = new Int32Array(new SharedArrayBuffer(4))
      const hogs = Array.from({ length: Math.min(os.availableParallelism(), 8) + 1 }, () => new Worker(
        "const { workerData } = require('node:worker_threads'); while (Atomics.load(workerData, 0) === 0) {}",
        { eval: true, workerData: stop }))
      const rounds = []
      for (let i = 0; i < 50 && !rounds.some((x) => x.behind > 0); i++) {
        const h = new Histogram()
        const r = new AsyncRecorder(h, { capacity: 1 << 20, workers: 1, batch: 1 })
        for (let v = 0; v < 200000; v++) r.record(v)
        const behind = r.enqueued - r.applied
        const w0 = waitStats().wakeups
        const flushed = await r.flush(${HOUR})
        const wakeups = waitStats().wakeups - w0
        rounds.push({ behind, flushed, wakeups, count: h.count() })
        await r.close()
      }
      Atomics.store(stop, 0, 1)
      console.log(JSON.stringify({ before, after, cancelled, afterCancel, rounds }))
    })()
  `)
  assert.equal(r.status, 0, r.stderr)
  const s = JSON.parse(r.stdout)
  assert.equal(s.before.pending, 1)
  // Blocked in one core call until a report or the hour's deadline: no periodic wake-up.
  assert.equal(s.after.wakeups - s.before.wakeups, 0, JSON.stringify(s))
  assert.equal(s.after.pending, 1)
  assert.equal(s.cancelled, true)
  assert.ok(s.afterCancel.wakeups > s.after.wakeups, 'the cancel was reported to the watcher')
  assert.equal(s.afterCancel.pending, 0)
  // Each flush resolves once its events are applied (all of them: the count is exact), woken by
  // the workers' one report (and once more by its new deadline), where a timer backing off
  // from 50 µs would wake it about once per doubling of its duration.
  assert.ok(s.rounds.some((x) => x.behind > 0), `no flush had events left to apply: ${JSON.stringify(s.rounds)}`)
  for (const x of s.rounds) {
    assert.equal(x.flushed, true)
    assert.equal(x.count, 200000)
    assert.ok(x.wakeups <= 2, JSON.stringify(x))
  }
})

test("a token's AbortSignal does not keep the event loop alive, and a collected one withdraws its wait", () => {
  const r = runChild(`
    const { CancellationToken } = require(${JSON.stringify(PKG)})
    const { waitStats } = require(${JSON.stringify(BINDING)})
    const kept = new CancellationToken()
    kept.signal.addEventListener('abort', () => console.log('never'))
    ;(async () => {
      for (let i = 0; i < 1000; i++) new CancellationToken().child().signal
      const registered = waitStats().pending
      let left = registered
      for (let i = 0; i < 50 && left > 1; i++) {
        globalThis.gc()
        await new Promise((resolve) => setTimeout(resolve, 10))
        left = waitStats().pending
      }
      console.log(JSON.stringify({ registered, left }))
    })()
  `, ['--expose-gc'])
  // Exits by itself with the signals' waits pending (spawnSync would kill it after 60 s).
  assert.equal(r.signal, null, r.stderr)
  assert.equal(r.status, 0, r.stderr)
  const { registered, left } = JSON.parse(r.stdout)
  assert.equal(registered, 1001)
  assert.equal(left, 1) // only the signal still referenced
})

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
