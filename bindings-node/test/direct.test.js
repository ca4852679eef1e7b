'use strict'
// The direct path: Counter and Gauge (Histogram, Timer and MinMax: direct-histogram.test.js)
// update Rust-owned cells with Atomics on an external
// ArrayBuffer instead of calling into the addon (see index.js). These tests check that it is in
// use here, that it stays exact next to native calls and across worker_threads, that the
// fallback to native calls works, and that the cells outlive every view of them.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const v8 = require('node:v8')
const vm = require('node:vm')
const { Worker, threadId } = require('node:worker_threads')
const native = require('../binding.js')
const atomicperf = require('..')

const { Counter, Gauge } = atomicperf
const internals = atomicperf[Symbol.for('atomicperf.internals')]
const pkg = path.join(__dirname, '..')

v8.setFlagsFromString('--expose-gc')
const gc = global.gc || vm.runInNewContext('gc')

/** Collects garbage and lets Node run the finalizers it defers. */
async function collect() {
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise(setImmediate)
  }
}

/** Runs `source` in a worker (eval) and resolves with its first message. */
function run(source, options = {}) {
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, ...options, workerData: { pkg, ...options.workerData } })
    w.once('message', resolve)
    w.once('error', reject)
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
  })
}

test('the direct path is in use in this runtime', () => {
  assert.equal(internals.directAvailable(), true)
  const c = new Counter({ stripes: 8 })
  const cells = internals.counter.cells(c)
  assert.ok(cells instanceof BigUint64Array)
  assert.equal(cells.byteLength % 8, 0)
  assert.equal(cells.length % 8, 0, 'stride in u64s times 8 stripes')
  assert.equal(internals.counter.slot(c), (threadId % 8) * (cells.length / 8))
  assert.ok(internals.gauge.cell(new Gauge()) instanceof BigUint64Array)
})

test('direct inc/add and native adds on one counter stay exact', () => {
  const c = new Counter()
  const { incNative, addNative } = internals.counter
  let expected = 0n
  for (let i = 0; i < 100_000; i++) {
    c.inc()
    incNative(c)
    c.add(i)
    addNative(c, i)
    c.add(BigInt(i))
    expected += 2n + 3n * BigInt(i)
  }
  c.add(2 ** 60)
  addNative(c, 2n ** 60n)
  expected += 2n ** 61n
  assert.equal(c.getBigInt(), expected)
})

test('the direct add wraps at 2^64 and keeps the argument checks', () => {
  const c = new Counter({ stripes: 1 })
  c.add(2n ** 64n - 1n)
  c.add(2)
  assert.equal(c.get(), 1)
  for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 64, -1n, 2n ** 64n]) {
    assert.throws(() => c.add(bad), { name: 'RangeError', code: 'AP_ERR_OUT_OF_RANGE' })
  }
  for (const bad of ['1', null, undefined, {}]) {
    assert.throws(() => c.add(bad), { name: 'TypeError', code: 'AP_ERR_INVALID_ARGUMENT' })
  }
  assert.equal(c.get(), 1)
})

test('gauge direct set/get/add agree with the native calls, bit for bit', () => {
  const g = new Gauge(1)
  const { setNative, getNative, addNative } = internals.gauge
  for (const v of [0, -0, 1.5, -2.25, 1e308, Number.MIN_VALUE, Infinity, -Infinity]) {
    g.set(v)
    assert.ok(Object.is(getNative(g), v), `direct set ${v}`)
    setNative(g, v)
    assert.ok(Object.is(g.get(), v), `native set ${v}`)
  }
  g.set(NaN)
  assert.ok(Number.isNaN(getNative(g)))
  g.set(0)
  for (let i = 0; i < 10_000; i++) {
    g.add(0.5)
    addNative(g, 0.25)
    g.sub(0.125)
    g.inc()
    g.dec()
  }
  assert.equal(getNative(g), 10_000 * 0.625)
  assert.throws(() => g.set('1'), { name: 'TypeError', code: 'AP_ERR_INVALID_ARGUMENT' })
  assert.throws(() => g.add(1n), { name: 'TypeError', code: 'AP_ERR_INVALID_ARGUMENT' })
})

test('4 workers each add 1,000,000 to their own counter through their own stripe', async () => {
  const source = `
    const { parentPort, workerData, threadId } = require('node:worker_threads')
    const ap = require(workerData.pkg)
    const internals = ap[Symbol.for('atomicperf.internals')]
    const c = new ap.Counter({ stripes: 4 })
    for (let i = 0; i < 1_000_000; i++) c.inc()
    const cells = internals.counter.cells(c)
    parentPort.postMessage({
      direct: cells !== null, threadId, slot: internals.counter.slot(c), stride: cells.length / 4,
      total: c.getBigInt(),
    })
  `
  const results = await Promise.all(Array.from({ length: 4 }, () => run(source)))
  for (const r of results) {
    assert.equal(r.direct, true)
    assert.equal(r.total, 1_000_000n)
    assert.equal(r.slot, (r.threadId % 4) * r.stride)
  }
})

for (const mode of ['simulate-copy', '0']) {
  test(`ATOMICPERF_DIRECT=${mode}: native calls, exact totals, ${mode === '0' ? 'no' : 'one'} warning`, async () => {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads')
      const warnings = []
      process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }))
      const ap = require(workerData.pkg)
      const internals = ap[Symbol.for('atomicperf.internals')]
      const counters = [new ap.Counter(), new ap.Counter({ stripes: 1 })]
      const g = new ap.Gauge()
      for (const c of counters) {
        for (let i = 0; i < 100_000; i++) { c.inc(); c.add(2); c.add(3n); internals.counter.addNative(c, 1) }
      }
      for (let i = 0; i < 1000; i++) { g.add(0.5); g.inc(); g.sub(1) }
      g.set(g.get() + 1)
      const h = new ap.Histogram()
      const t = new ap.Timer()
      const m = new ap.MinMax()
      const n = new ap.NativeHistogram()
      for (let i = 1; i <= 1000; i++) { h.record(i); h.recordN(i, 2); t.record(i, i % 2 === 0); m.record(i); n.record(i / 8); n.recordDuration(i) }
      setImmediate(() => parentPort.postMessage({
        direct: internals.directAvailable(),
        views: counters.map((c) => internals.counter.cells(c)).concat(internals.gauge.cell(g),
          internals.histogram.cells(h), internals.timer.cells(t), internals.minmax.cells(m), internals.nativeHistogram.cells(n)),
        totals: counters.map((c) => c.getBigInt()),
        gauge: g.get(),
        histogram: [h.count(), h.sum(), h.min(), h.max()],
        timer: [t.count(), t.errors(), t.total()],
        minmax: [m.min(), m.max()],
        native: [n.count(), Math.abs(n.sum() - (500_500 / 8 + 500_500 / 1e9)) < 1e-9],
        warnings,
      }))
    `
    const r = await run(source, { env: { ...process.env, ATOMICPERF_DIRECT: mode } })
    assert.equal(r.direct, false)
    assert.deepEqual(r.views, [null, null, null, null, null, null, null])
    assert.deepEqual(r.totals, [700_000n, 700_000n])
    assert.equal(r.gauge, 501)
    assert.deepEqual(r.histogram, [3000, 3 * 500_500, 1, 1000])
    assert.deepEqual(r.timer, [1000, 500, 500_500])
    assert.deepEqual(r.minmax, [1, 1000])
    assert.deepEqual(r.native, [2000, true])
    if (mode === '0') {
      assert.deepEqual(r.warnings, [])
    } else {
      assert.equal(r.warnings.length, 1)
      assert.equal(r.warnings[0].code, 'AP_DIRECT_UNAVAILABLE')
      assert.equal(r.warnings[0].name, 'AtomicperfWarning')
      assert.match(r.warnings[0].message, /copied an external ArrayBuffer/)
    }
  })
}

test('a cell buffer owns a reference to its metric, released when V8 collects it', async () => {
  const h = native.counterNew()
  const g = native.gaugeNew()
  assert.equal(native.counterRefs(h), 1)
  let views = [native.counterCells(h), native.counterCells(h), native.gaugeCells(g)]
  assert.equal(native.counterRefs(h), 3)
  assert.equal(native.gaugeRefs(g), 2)
  views = null
  await collect()
  assert.equal(native.counterRefs(h), 1)
  assert.equal(native.gaugeRefs(g), 1)
  const c = new Counter()
  assert.equal(internals.counter.refs(c), 2, 'the counter\'s handle and its view')
})

test('views outlive their counter: writes after the counter was collected land in live memory', async () => {
  let counters = Array.from({ length: 64 }, () => new Counter({ stripes: 4 }))
  const views = counters.map((c) => [internals.counter.cells(c), internals.counter.slot(c)])
  counters = null
  await collect()
  // New metrics would reuse the cells' memory if it had been freed.
  const fresh = Array.from({ length: 64 }, () => new Counter({ stripes: 4 }))
  for (const [cells, slot] of views) for (let i = 0; i < 10_000; i++) Atomics.add(cells, slot, 1n)
  for (const [cells] of views) {
    // The stripes only: the bytes between them are padding.
    const stride = cells.length / 4
    let sum = 0n
    for (let i = 0; i < 4; i++) sum += Atomics.load(cells, i * stride)
    assert.equal(sum, 10_000n)
  }
  for (const c of fresh) assert.equal(c.getBigInt(), 0n)
})

test('dropping metrics while workers still write crashes nothing', async () => {
  // Each worker writes through views of counters it has already dropped (and collected) while
  // the main thread creates, drops and collects metrics of its own; then the workers are
  // terminated in the middle of their writes.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const ap = require(workerData.pkg)
    const internals = ap[Symbol.for('atomicperf.internals')]
    require('node:v8').setFlagsFromString('--expose-gc')
    const collectGarbage = globalThis.gc || require('node:vm').runInNewContext('gc')
    let counters = Array.from({ length: 16 }, () => new ap.Counter())
    const views = counters.map((c) => [internals.counter.cells(c), internals.counter.slot(c)])
    counters = null
    let g = new ap.Gauge()
    g.set(1)
    g = null
    collectGarbage()
    setImmediate(() => {
      collectGarbage()
      parentPort.postMessage('writing')
      for (;;) for (const [cells, slot] of views) Atomics.add(cells, slot, 1n)
    })
  `
  const workers = Array.from({ length: 2 }, () => new Worker(source, {
    eval: true, workerData: { pkg },
  }))
  const exits = workers.map((w) => new Promise((resolve, reject) => {
    w.once('exit', resolve)
    w.once('error', reject)
  }))
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  for (let round = 0; round < 20; round++) {
    let mine = Array.from({ length: 32 }, () => new Counter())
    for (const c of mine) c.inc()
    mine = null
    await collect()
  }
  await Promise.all(workers.map((w) => w.terminate()))
  assert.deepEqual(await Promise.all(exits), [1, 1])
  const c = new Counter()
  c.inc()
  assert.equal(c.get(), 1)
})
