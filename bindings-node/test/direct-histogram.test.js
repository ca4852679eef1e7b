'use strict'
// The direct path of Histogram, Timer and MinMax: records update the Rust-owned cells from JS
// (lib/cells.js) by the core's description of them. These tests check that the JS bucket index
// is the core's, that records from JS and from native calls at once add up exactly, that the
// saturation, clamping and overflow rules are the core's, and that the cells outlive their views.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const v8 = require('node:v8')
const vm = require('node:vm')
const { Worker } = require('node:worker_threads')
const native = require('../binding.js')
const ap = require('..')

const { Histogram, Timer, MinMax } = ap
const internals = ap[Symbol.for('atomicperf.internals')]
const pkg = path.join(__dirname, '..')
const MAX_U64 = 2n ** 64n - 1n

v8.setFlagsFromString('--expose-gc')
const gc = global.gc || vm.runInNewContext('gc')

function run(source) {
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { pkg } })
    w.once('message', resolve)
    w.once('error', reject)
    w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)))
  })
}

/** A deterministic generator of integers below 2^53 (xorshift128+, 53 bits of each output). */
function generator(seed) {
  let s0 = BigInt(seed) | 1n
  let s1 = 0x9e37_79b9_7f4a_7c15n
  return () => {
    let x = s0
    const y = s1
    s0 = y
    x ^= (x << 23n) & MAX_U64
    s1 = x ^ y ^ (x >> 17n) ^ (y >> 26n)
    return Number(((s1 + y) & MAX_U64) >> 11n)
  }
}

test('the direct path is in use for Histogram, Timer and MinMax', () => {
  assert.equal(internals.directAvailable(), true)
  assert.notEqual(internals.histogram.cells(new Histogram()), null)
  assert.notEqual(internals.timer.cells(new Timer()), null)
  assert.notEqual(internals.minmax.cells(new MinMax()), null)
  assert.notEqual(internals.histogram.cells(ap.registry.histogram('direct_path_h')), null)
})

test('the JS bucket index is the core\'s on every bucket boundary and its neighbours, and on 1M random values per precision', () => {
  const LAST = Number.MAX_SAFE_INTEGER // the fast path's largest value
  const BATCH = 1 << 16
  for (let figures = 1; figures <= 5; figures++) {
    const { subBits: m, subCount } = internals.histogram.cells(new Histogram({ significantFigures: figures, highest: 2n ** 64n - 1n }))
    const values = new Float64Array(BATCH)
    // The bucket a value must be in, where the test knows it (-1: only compare).
    const expected = new Float64Array(BATCH).fill(-1)
    let n = 0
    let checked = 0
    const flush = () => {
      const batch = values.subarray(0, n)
      const core = native.histogramBucketIndexes(figures, batch)
      for (let i = 0; i < n; i++) {
        const js = internals.bucketIndex(batch[i], m, subCount)
        if (js !== core[i]) assert.fail(`precision ${figures}: JS index(${batch[i]}) = ${js}, the core's = ${core[i]}`)
        if (expected[i] >= 0 && core[i] !== expected[i]) assert.fail(`precision ${figures}: ${batch[i]} is not the first value of bucket ${expected[i]}`)
      }
      expected.fill(-1)
      checked += n
      n = 0
    }
    // Every bucket whose lowest value is within the fast path: its lowest value (computed from
    // the layout's definition, independently of the index function) and the values either side.
    let buckets = 0
    for (let i = 0; ; i++) {
      const k = Math.max(Math.floor(i / subCount), 1) - 1
      const low = (i - k * subCount) * 2 ** k
      if (low > LAST) break
      for (const v of [low - 1, low, low + 1]) {
        if (v < 0 || v > LAST) continue
        if (v === low) expected[n] = i
        values[n++] = v
      }
      if (n >= BATCH - 3) flush()
      buckets++
    }
    flush()
    // A million random values: half uniform below 2^53 (mostly the top bands), half with a
    // random bit length (every band alike).
    const next = generator(figures)
    for (let i = 0; i < 1_000_000; i++) {
      const v = next()
      values[n++] = i & 1 ? Math.floor(v / 2 ** (next() % 54)) : v
      if (n === BATCH) flush()
    }
    flush()
    assert.ok(buckets > 2 ** (m + 1), `precision ${figures}: only ${buckets} buckets`)
    assert.ok(checked >= 1_000_000 + 3 * buckets - 2, `precision ${figures}: ${checked} values checked`)
  }
})

test('histogramBucketIndexes refuses what is not a u64 and a precision outside 1 to 5', () => {
  assert.throws(() => native.histogramBucketIndexes(2, new Float64Array([1.5])), { name: 'RangeError', code: 'AP_ERR_OUT_OF_RANGE' })
  assert.throws(() => native.histogramBucketIndexes(2, new Float64Array([-1])), { name: 'RangeError' })
  assert.throws(() => native.histogramBucketIndexes(6, new Float64Array([1])), { name: 'RangeError' })
  assert.throws(() => native.histogramBucketIndexes(2, [1]), { name: 'TypeError', code: 'AP_ERR_INVALID_ARGUMENT' })
})

/** Every statistic of a histogram, exactly (BigInts where they can pass 2^53). */
function stats(h) {
  const read = (f) => {
    try {
      return f()
    } catch (e) {
      return e.code
    }
  }
  return {
    count: h.countBigInt(), sum: h.sumBigInt(), min: h.min(), max: h.max(), overflow: read(() => h.overflowCount()),
    quantiles: [0, 0.25, 0.5, 0.9, 0.99, 1].map((p) => read(() => h.quantile(p))),
  }
}

test('direct records follow the core\'s rules: clamping, overflow, saturation, wrapping sum, n = 0', () => {
  const sequence = [
    ['record', 0], ['record', 5], ['record', 999], ['record', 1000], ['record', 1001], ['record', 5000],
    ['recordN', 7, 0], ['recordN', 7, 0n], ['recordN', 42, 3], ['recordN', 2000, 2n],
    ['record', 12n], ['record', 2 ** 53], ['recordN', 13, 2 ** 60],
  ]
  const direct = new Histogram({ significantFigures: 3, highest: 1000 })
  const viaCalls = new Histogram({ significantFigures: 3, highest: 1000 })
  for (const [method, ...args] of sequence) {
    direct[method](...args)
    internals.histogram[`${method}Native`](viaCalls, ...args)
  }
  assert.deepEqual(stats(direct), stats(viaCalls))
  assert.equal(direct.overflowCount(), 1 + 1 + 2 + 1) // 1001, 5000, 2000 x 2, 2^53
  assert.equal(direct.max(), 1000)
  assert.equal(direct.min(), 0)

  // Counts saturate at 2^64-1 (in the bucket and in the overflow count); the sum wraps.
  const a = new Histogram({ significantFigures: 2, highest: 100 })
  const b = new Histogram({ significantFigures: 2, highest: 100 })
  for (const [v, n] of [[5, MAX_U64], [5, 1], [5, 2], [500, MAX_U64], [500, 7n], [9, 1]]) {
    a.recordN(v, n)
    internals.histogram.recordNNative(b, v, n)
  }
  assert.deepEqual(stats(a), stats(b))
  assert.equal(a.countBigInt(), MAX_U64)
  assert.throws(() => a.overflowCount(), { code: 'AP_ERR_OUT_OF_RANGE' }) // saturated: 2^64-1
})

test('direct records and native calls give the same statistics after every record of random sequences', () => {
  // The extremes are where the direct path decides without an atomic operation: rising and
  // falling runs, values a few units apart, zero and values of every magnitude.
  const next = generator(7)
  for (let round = 0; round < 20; round++) {
    const direct = [new Histogram({ significantFigures: 2, highest: 2 ** 40 }), new Timer(), new MinMax()]
    const calls = [new Histogram({ significantFigures: 2, highest: 2 ** 40 }), new Timer(), new MinMax()]
    let v = next() % 1000
    for (let i = 0; i < 2000; i++) {
      switch (next() % 4) {
        case 0: v = Math.floor(next() / 2 ** (next() % 54)); break // any magnitude
        case 1: v += next() % 3; break // rising
        case 2: v = Math.max(0, v - (next() % 3)); break // falling
        default: v = next() % 2 === 0 ? 0 : v // zero now and then
      }
      const ok = next() % 5 !== 0
      direct[0].record(v)
      direct[1].record(v, ok)
      direct[2].record(v)
      internals.histogram.recordNative(calls[0], v)
      internals.timer.recordNative(calls[1], v, ok)
      internals.minmax.recordNative(calls[2], v)
      const seen = direct.map((m) => `${m.min()}..${m.max()}`).join(' ')
      const want = calls.map((m) => `${m.min()}..${m.max()}`).join(' ')
      if (seen !== want) assert.fail(`round ${round}, record ${i} (${v}): extremes ${seen} instead of ${want}`)
    }
    assert.deepEqual(stats(direct[0]), stats(calls[0]))
    assert.deepEqual(direct[1].snapshot(), calls[1].snapshot())
  }
})

test('records from JS and from native calls at once, in four workers, add up exactly', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const ap = require(workerData.pkg)
    const internals = ap[Symbol.for('atomicperf.internals')]
    const reg = ap.Registry.named('direct_at_once')
    const h = reg.histogram('h')
    const t = reg.timer('t')
    const m = reg.minmax('m')
    const direct = internals.histogram.cells(h) !== null && internals.timer.cells(t) !== null && internals.minmax.cells(m) !== null
    for (let i = 0; i < 50_000; i++) {
      const v = (i % 1000) + 5
      h.record(v)
      internals.histogram.recordNative(h, v + 1)
      t.record(v, i % 10 !== 0)
      internals.timer.recordNative(t, v + 1, i % 10 !== 0)
      m.record(v * 3)
      internals.minmax.recordNative(m, v * 3 + 1)
    }
    h.recordN(70_000_000_000, 3) // above the default highest (60 s): clamped, overflow 3
    h.recordN(7, 0)
    parentPort.postMessage(direct)
  `
  const direct = await Promise.all(Array.from({ length: 4 }, () => run(source)))
  assert.deepEqual(direct, [true, true, true, true])
  const reg = ap.Registry.named('direct_at_once')
  const h = reg.histogram('h')
  const t = reg.timer('t')
  const m = reg.minmax('m')
  let perWorker = 0
  for (let i = 0; i < 50_000; i++) perWorker += 2 * ((i % 1000) + 5) + 1
  assert.equal(h.countBigInt(), 4n * (100_000n + 3n))
  assert.equal(h.sumBigInt(), 4n * (BigInt(perWorker) + 3n * 60_000_000_000n))
  assert.equal(h.min(), 5)
  assert.equal(h.max(), 60_000_000_000)
  assert.equal(h.overflowCount(), 12)
  assert.equal(t.countBigInt(), 400_000n)
  assert.equal(t.errorsBigInt(), 4n * 2n * 5_000n)
  assert.equal(t.totalBigInt(), 4n * BigInt(perWorker))
  assert.equal(t.min(), 5)
  assert.equal(t.max(), 1005)
  assert.equal(m.min(), 15)
  assert.equal(m.max(), 1004 * 3 + 1)
})

test('Timer: direct records count errors; time() and startTimer() record through the cells', async () => {
  const t = new Timer()
  t.record(100)
  t.record(300, false)
  t.record(200n, true)
  t.time(() => {})
  await t.time(async () => {})
  assert.throws(() => t.time(() => { throw new Error('x') }), /x/)
  t.startTimer()(false)
  assert.equal(t.count(), 7)
  assert.equal(t.errors(), 3)
  assert.equal(t.min() <= 100, true)
  assert.throws(() => t.record(5, 'yes'), { name: 'TypeError', code: 'AP_ERR_INVALID_ARGUMENT' })
  assert.throws(() => t.record(-1), { name: 'RangeError', code: 'AP_ERR_OUT_OF_RANGE' })
  assert.equal(t.count(), 7)
})

test('MinMax: direct records keep exact extremes, 0 and 2^53-1 included; empty after reset', () => {
  const m = new MinMax()
  assert.equal(m.min(), null)
  m.record(10)
  assert.deepEqual([m.min(), m.max()], [10, 10])
  m.record(0)
  m.record(Number.MAX_SAFE_INTEGER)
  m.record(7)
  assert.deepEqual([m.min(), m.max()], [0, Number.MAX_SAFE_INTEGER])
  m.record(2n ** 64n - 1n) // a BigInt: the call path
  assert.equal(m.maxBigInt(), 2n ** 64n - 1n)
  // Extremes whose bits are not ordered as doubles: 2^63 (-0 as a double) and 2^64-1 (a NaN).
  for (const [first, then] of [[2n ** 63n, 5], [2n ** 64n - 1n, 6], [2n ** 63n + 7n, 0]]) {
    const fresh = new MinMax()
    fresh.record(first)
    fresh.record(then)
    assert.deepEqual([fresh.minBigInt(), fresh.maxBigInt()], [BigInt(then), first])
    const h = new Histogram({ significantFigures: 1, highest: 2n ** 64n - 1n })
    h.record(first)
    h.record(then)
    assert.equal(h.min(), then)
  }
  m.reset()
  assert.equal(m.max(), null)
  m.record(3)
  assert.deepEqual([m.min(), m.max()], [3, 3])
  assert.throws(() => m.record(1.5), { name: 'RangeError', code: 'AP_ERR_OUT_OF_RANGE' })
})

test('a histogram\'s cells outlive the histogram: a view written after it was collected crashes nothing', async () => {
  let hs = Array.from({ length: 32 }, () => new Histogram())
  const views = hs.map((h) => internals.histogram.cells(h))
  hs = null
  for (let i = 0; i < 4; i++) {
    gc()
    await new Promise(setImmediate)
  }
  const fresh = Array.from({ length: 32 }, () => new Histogram())
  for (const c of views) for (let v = 1; v < 1000; v++) Atomics.add(c.u64, c.buckets + 5, 1n)
  for (const h of fresh) assert.equal(h.count(), 0)
})
