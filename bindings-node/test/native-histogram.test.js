'use strict'
// NativeHistogram (Prometheus native histogram buckets), its registry family, the protobuf
// exposition (decoded here by hand: no protobuf package is a dependency) and negotiate().
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const ap = require('..')
const { NativeHistogram, Registry, SharedRegistry, negotiate } = ap
const internals = ap[Symbol.for('atomicperf.internals')]
const { range, type } = require('./helpers')

const PROTOBUF = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'

// ---- Doubles next to a value -----------------------------------------------------------------

const F64 = new Float64Array(1)
const U64 = new BigUint64Array(F64.buffer)
/** The next double above a positive finite v. */
function nextUp(v) {
  F64[0] = v
  U64[0] += 1n
  return F64[0]
}
/** The next double below a positive v. */
function nextDown(v) {
  F64[0] = v
  U64[0] -= 1n
  return F64[0]
}

/** The snapshot of a new histogram (options `opts`) after recording `values`. */
function recorded(values, opts) {
  const h = new NativeHistogram(opts)
  for (const v of values) h.record(v)
  return h.snapshot()
}

/** The one bucket `[side, key]` a single value lands in ('zero', 'nan' or a side and key). */
function bucketOf(v, opts) {
  const s = recorded([v], opts)
  assert.equal(s.count, 1)
  if (s.zeroCount === 1) return 'zero'
  if (s.nanCount === 1) return 'nan'
  const [side, buckets] = s.positive.length === 1 ? ['+', s.positive] : ['-', s.negative]
  assert.equal(buckets.length, 1, `${v} landed in one bucket`)
  assert.equal(buckets[0][1], 1)
  return `${side}${buckets[0][0]}`
}

// ---- The histogram ---------------------------------------------------------------------------

test('defaults: schema 3, zero threshold 2^-128, dense 1 ns to 1 h, under 4 KiB', () => {
  const h = new NativeHistogram()
  assert.equal(h.schema, 3)
  assert.equal(h.zeroThreshold, 2 ** -128)
  assert.deepEqual(h.denseRange, [1e-9, 3600])
  assert.ok(Math.abs(h.relativeError - (2 ** (1 / 8) - 1)) < 1e-12, String(h.relativeError))
  assert.ok(h.memoryBytes() > 0 && h.memoryBytes() < 4096, `${h.memoryBytes()} bytes`)
  assert.equal(h.count(), 0)
  assert.equal(h.sum(), 0)
  assert.equal(h.zeroCount(), 0)
  assert.equal(h.quantile(0.5), null)
  assert.deepEqual(h.snapshot(), {
    schema: 3, zeroThreshold: 2 ** -128, zeroCount: 0, nanCount: 0, count: 0, sum: 0, positive: [], negative: [],
  })
  const o = new NativeHistogram({ schema: -2, zeroThreshold: 0.001, denseRange: [1, 1e6] })
  assert.equal(o.schema, -2)
  assert.equal(o.zeroThreshold, 0.001)
  assert.deepEqual(o.denseRange, [1, 1e6])
  assert.equal(o.relativeError, 15)
})

test('bucket k holds (2^((k-1)/8), 2^(k/8)] at schema 3: powers of two and their neighbours', () => {
  for (const n of [-20, -3, -1, 0, 1, 2, 5, 11, 30]) {
    const p = 2 ** n
    assert.equal(bucketOf(p), `+${8 * n}`, `2^${n} is the top of bucket ${8 * n}`)
    assert.equal(bucketOf(nextDown(p)), `+${8 * n}`, `just below 2^${n}`)
    assert.equal(bucketOf(nextUp(p)), `+${8 * n + 1}`, `just above 2^${n}`)
    assert.equal(bucketOf(-p), `-${8 * n}`, `-2^${n}`)
    assert.equal(bucketOf(-nextUp(p)), `-${8 * n + 1}`, `just below -2^${n}`)
  }
  // Inside every bucket of one octave, away from the boundaries.
  for (let k = 1; k <= 8; k++) {
    const lo = 2 ** ((k - 1) / 8)
    const hi = 2 ** (k / 8)
    for (const v of [lo * (1 + 1e-9), (lo + hi) / 2, hi * (1 - 1e-9)]) assert.equal(bucketOf(v), `+${k}`, String(v))
  }
  // Outside the dense range too (spill tables), and at other schemas.
  assert.equal(bucketOf(2 ** 40), '+320')
  assert.equal(bucketOf(2 ** -40), '+-320')
  assert.equal(bucketOf(2, { schema: 0 }), '+1')
  assert.equal(bucketOf(nextUp(2), { schema: 0 }), '+2')
  assert.equal(bucketOf(16, { schema: -2 }), '+1')
  assert.equal(bucketOf(17, { schema: -2 }), '+2')
  assert.equal(bucketOf(2, { schema: 8 }), '+256')
  assert.equal(bucketOf(nextUp(2), { schema: 8 }), '+257')
})

test('zero, the zero threshold, infinities, NaN and the extreme doubles', () => {
  const t = 2 ** -128
  assert.equal(bucketOf(0), 'zero')
  assert.equal(bucketOf(-0), 'zero')
  assert.equal(bucketOf(t), 'zero', 'the threshold itself is zero')
  assert.equal(bucketOf(-t), 'zero')
  assert.equal(bucketOf(nextUp(t)), `+${-128 * 8 + 1}`)
  assert.equal(bucketOf(-nextUp(t)), `-${-128 * 8 + 1}`)
  assert.equal(bucketOf(Number.MIN_VALUE), 'zero', 'below the default threshold')
  // With no zero threshold, the smallest subnormal 2^-1074 tops bucket -1074 * 8.
  assert.equal(bucketOf(Number.MIN_VALUE, { zeroThreshold: 0 }), `+${-1074 * 8}`)
  assert.equal(bucketOf(0, { zeroThreshold: 0 }), 'zero')
  assert.equal(bucketOf(0.5, { zeroThreshold: 0.5 }), 'zero')
  assert.equal(bucketOf(nextUp(0.5), { zeroThreshold: 0.5 }), '+-7')
  // The largest double (just under 2^1024) tops bucket 8192; infinity is the bucket past it.
  assert.equal(bucketOf(Number.MAX_VALUE), '+8192')
  assert.equal(bucketOf(-Number.MAX_VALUE), '-8192')
  assert.equal(bucketOf(Infinity), '+8193')
  assert.equal(bucketOf(-Infinity), '-8193')
  assert.equal(bucketOf(NaN), 'nan')

  const s = recorded([1, NaN, 0, -1])
  assert.equal(s.count, 4)
  assert.equal(s.nanCount, 1)
  assert.equal(s.zeroCount, 1)
  assert.ok(Number.isNaN(s.sum), 'NaN makes the sum NaN')
  const inf = recorded([1, Infinity])
  assert.equal(inf.sum, Infinity)
  const onlyNaN = new NativeHistogram()
  onlyNaN.record(NaN)
  assert.ok(Number.isNaN(onlyNaN.quantile(0.5)))
})

test('count, sum and zeroCount; recordDuration takes nanoseconds as Timer does and records seconds', () => {
  const h = new NativeHistogram()
  for (const v of [0.5, 1, 1, 2, 0, -3]) h.record(v)
  assert.equal(h.count(), 6)
  assert.equal(h.sum(), 1.5)
  assert.equal(h.zeroCount(), 1)
  assert.deepEqual(h.snapshot().positive, [[-8, 1], [0, 2], [8, 1]])
  assert.deepEqual(h.snapshot().negative, [[13, 1]])

  const d = new NativeHistogram()
  d.recordDuration(1_000_000_000) // 1 s
  d.recordDuration(1_500_000_000n) // 1.5 s
  d.recordDuration(0)
  d.recordDuration(2n ** 64n - 1n) // the longest duration: about 584 years
  const s = d.snapshot()
  assert.equal(s.count, 4)
  assert.equal(s.zeroCount, 1)
  assert.equal(s.positive[0][0], 0, '1 s tops bucket 0')
  assert.equal(s.positive[1][0], bucketOf(1.5).slice(1) | 0)
  assert.equal(s.sum, 1 + 1.5 + (18446744073 + 0.709551615))
  const end = d.startTimer()
  const ns = end()
  assert.ok(Number.isInteger(ns) && ns >= 0)
  assert.equal(end(), ns, 'records once')
  assert.equal(d.count(), 5)
})

test('quantile is within relativeError of the value of its rank, and interpolates as histogram_quantile', () => {
  const h = new NativeHistogram()
  const values = []
  let x = 12345
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    const v = 1e-6 * 10 ** ((x % 7000) / 1000) // 1 us to 10 s, log-uniform
    values.push(v)
    h.record(v)
  }
  values.sort((a, b) => a - b)
  const n = values.length
  const b = 1 + h.relativeError
  for (const q of [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1]) {
    // The value of rank q*n: between these two when q*n falls between two ranks.
    const lo = values[Math.max(0, Math.ceil(q * n) - 1)]
    const hi = values[Math.min(n - 1, Math.floor(q * n))]
    const est = h.quantile(q)
    assert.ok(est >= lo / b * (1 - 1e-12) && est <= hi * b * (1 + 1e-12), `q=${q}: ${est} vs ${lo}..${hi}`)
  }
  // 1..1000 ms: the p99 is within 9.05% of 0.990 s (the core's doc example).
  const ms = new NativeHistogram()
  for (let i = 1; i <= 1000; i++) ms.recordDuration(i * 1_000_000)
  const p99 = ms.quantile(0.99)
  assert.ok(Math.abs(p99 - 0.99) <= 0.99 * ms.relativeError, String(p99))
  // One value in bucket 0, (2^(-1/8), 1]: the median interpolates exponentially to its middle.
  const one = new NativeHistogram()
  one.record(1)
  assert.ok(Math.abs(one.quantile(0.5) - 2 ** (-1 / 16)) < 1e-12, String(one.quantile(0.5)))
  assert.equal(one.quantile(1), 1)
  for (const q of [-0.1, 1.1, NaN, Infinity]) range(() => one.quantile(q))
  for (const q of ['0.5', 1n, null, undefined]) type(() => one.quantile(q))
})

test('merge adds another histogram (a finer schema exactly); a coarser schema is refused; reset empties', () => {
  const a = new NativeHistogram()
  const fine = new NativeHistogram({ schema: 5 })
  for (const v of [0.5, 1, 3, -2, 0, NaN]) fine.record(v)
  a.record(1)
  a.merge(fine)
  const s = a.snapshot()
  assert.equal(s.count, 7)
  assert.equal(s.nanCount, 1)
  assert.equal(s.zeroCount, 1)
  assert.deepEqual(s.positive, recorded([0.5, 1, 1, 3]).positive)
  assert.deepEqual(s.negative, recorded([-2]).negative)
  const b = new NativeHistogram({ schema: 3 })
  b.record(2)
  const coarse = new NativeHistogram({ schema: 0 })
  coarse.merge(new NativeHistogram({ schema: 1 })) // finer into coarser: fine
  assert.throws(() => b.merge(coarse), (e) => {
    assert.ok(!(e instanceof TypeError), 'a value, not a JS type, is wrong')
    assert.equal(e.code, 'AP_ERR_INVALID_ARGUMENT')
    assert.match(e.message, /schema 0 into one of schema 3/)
    return true
  })
  assert.equal(b.count(), 1, 'a refused merge adds nothing')
  for (const other of [null, undefined, {}, 1, a.snapshot()]) type(() => a.merge(other))
  b.merge(b)
  assert.equal(b.count(), 2, 'merging itself doubles it')

  a.reset()
  assert.equal(a.count(), 0)
  assert.equal(a.sum(), 0)
  assert.deepEqual(a.snapshot().positive, [])
  assert.equal(a.quantile(0.5), null)
  a.record(-5)
  assert.equal(a.count(), 1, 'records after a reset (the spill tables too)')
})

test('bad options and arguments throw TypeError or RangeError with the AP_ codes', () => {
  for (const schema of [9, -5, 2.5, NaN, Infinity, 1000]) range(() => new NativeHistogram({ schema }))
  for (const zeroThreshold of [-1, Infinity, NaN]) range(() => new NativeHistogram({ zeroThreshold }))
  for (const denseRange of [[0, 1], [2, 1], [1, Infinity], [-1, 1], [NaN, 1]]) {
    range(() => new NativeHistogram({ denseRange }))
  }
  range(() => new NativeHistogram({ schema: 8, denseRange: [1e-300, 1e300] })) // too many buckets
  for (const opts of [null, 1, 'x']) type(() => new NativeHistogram(opts))
  type(() => new NativeHistogram({ schema: '3' }))
  type(() => new NativeHistogram({ schema: 3n }))
  type(() => new NativeHistogram({ zeroThreshold: '0' }))
  for (const denseRange of [5, [1], [1, 2, 3], 'x']) type(() => new NativeHistogram({ denseRange }))
  type(() => new NativeHistogram({ denseRange: ['1', 2] }))
  const h = new NativeHistogram()
  for (const v of ['1', 1n, null, undefined, {}, [1]]) type(() => h.record(v))
  for (const d of [-1, 1.5, NaN, Infinity, -1n, 2n ** 64n]) range(() => h.recordDuration(d))
  for (const d of ['1', null, undefined, {}]) type(() => h.recordDuration(d))
  assert.equal(h.count(), 0, 'nothing was recorded by a refused call')
})

// ---- The direct path (lib/cells.js recordNative) ----------------------------------------------

/** Values for every part of the protocol: dense, zero, NaN, negative, spilled, subnormal, ±∞. */
function hostileValues(seed) {
  const values = [0, -0, NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, Number.MAX_VALUE,
    -Number.MAX_VALUE, 2 ** -128, nextUp(2 ** -128), 2 ** -1022, nextDown(2 ** -1022), 1e-9, 3600, nextUp(3600), 0.5,
    nextUp(0.5), 1e-3, 10, nextUp(10)]
  for (let n = -40; n <= 40; n++) values.push(2 ** n, nextUp(2 ** n), nextDown(2 ** n), -(2 ** n))
  for (let k = -16; k <= 16; k++) values.push(2 ** (k / 8), 2 ** (k / 256))
  let x = seed
  for (let i = 0; i < 5000; i++) {
    x = (x * 1103515245 + 12345) % 2147483648
    const v = 10 ** ((x % 2400) / 100 - 12) // 1e-12 to 1e12
    values.push(i % 7 === 0 ? -v : v)
  }
  return values
}

/** The bucket state of a snapshot, and its sum to compare within rounding. */
function state(s) {
  return { positive: s.positive, negative: s.negative, zeroCount: s.zeroCount, nanCount: s.nanCount, count: s.count }
}
function sameSum(a, b, what) {
  if (Number.isNaN(a) || Number.isNaN(b)) return assert.ok(Number.isNaN(a) && Number.isNaN(b), what)
  // Two stripes (JS's and the core's) may add in another order: equal within rounding.
  assert.ok(a === b || Math.abs(a - b) <= 1e-12 * Math.max(Math.abs(a), Math.abs(b)), `${what}: ${a} vs ${b}`)
}

test('the direct path is in use for NativeHistogram (and for a registry\'s)', () => {
  assert.equal(internals.directAvailable(), true)
  assert.notEqual(internals.nativeHistogram.cells(new NativeHistogram()), null)
  assert.notEqual(internals.nativeHistogram.cells(new Registry().nativeHistogram('d')), null)
  for (const schema of [-4, 0, 1, 8]) assert.notEqual(internals.nativeHistogram.cells(new NativeHistogram({ schema })), null)
})

test('direct records land where the native record puts them, at every schema, threshold and dense range', () => {
  const values = hostileValues(7)
  for (let schema = -4; schema <= 8; schema++) {
    for (const layout of [{}, { zeroThreshold: 0 }, { zeroThreshold: 0.5 }, { denseRange: [1e-3, 10] }]) {
      const opts = { schema, ...layout }
      const direct = new NativeHistogram(opts)
      const called = new NativeHistogram(opts)
      for (const v of values) {
        direct.record(v)
        internals.nativeHistogram.recordNative(called, v)
      }
      const [a, b] = [direct.snapshot(), called.snapshot()]
      const what = JSON.stringify(opts)
      assert.deepEqual(state(a), state(b), what)
      sameSum(a.sum, b.sum, what)
    }
  }
})

test('direct recordDuration converts nanoseconds exactly as the core does (Go\'s Duration.Seconds)', () => {
  const durations = [0, 1, 999, 1000, 999_999_999, 1e9, 1e9 + 1, 1_500_000_000, 3_600_000_000_000, 3_600_000_000_001,
    2 ** 53 - 1, 2 ** 53 - 2, 9_007_198_999_999_999, 9_007_198_000_000_000, 123_456_789_012_345, 1n, 2n ** 53n - 1n,
    2n ** 53n, 2n ** 64n - 1n, 10n ** 18n + 1n,
    // Where d / 1e9 (one rounding) is not whole seconds + the rest / 1e9 (Go's, two roundings).
    1_489_471_793, 1_954_724_741, 6_994_837_709, 380_536_482_780, 403_794_739_131, 480_918_262_618]
  for (let k = 1; k < 9_007_199; k = Math.ceil(k * 1.7)) durations.push(k * 1e9 - 1, k * 1e9, k * 1e9 + 1)
  for (const d of durations) {
    const direct = new NativeHistogram({ zeroThreshold: 0 })
    const called = new NativeHistogram({ zeroThreshold: 0 })
    direct.recordDuration(d)
    internals.nativeHistogram.recordNanosNative(called, d)
    assert.deepEqual(state(direct.snapshot()), state(called.snapshot()), String(d))
    assert.equal(direct.sum(), called.sum(), `${d} ns: the same double of seconds`)
  }
  assert.notEqual(1_489_471_793 / 1e9, 1 + 489_471_793 / 1e9, 'the case above tells the two conversions apart')
})

test('direct and native records from four workers at once add up exactly', async () => {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const ap = require(workerData.pkg)
    const internals = ap[Symbol.for('atomicperf.internals')]
    const h = ap.Registry.named('native_direct_at_once').nativeHistogram('h')
    const direct = internals.nativeHistogram.cells(h) !== null
    for (let i = 0; i < 50_000; i++) {
      const v = ((i % 64) + 1) / 8 // 0.125 to 8: dense, and sums of them are exact
      h.record(v)
      internals.nativeHistogram.recordNative(h, v)
      if (i % 100 === 0) { h.record(0); h.record(-v); h.recordDuration(1_000_000 * (i % 7)) }
    }
    parentPort.postMessage(direct)
  `
  const run = () => new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { pkg: require.resolve('..') } })
    w.once('message', resolve)
    w.once('error', reject)
  })
  assert.deepEqual(await Promise.all([run(), run(), run(), run()]), [true, true, true, true])
  const h = Registry.named('native_direct_at_once').nativeHistogram('h')
  const expected = new NativeHistogram()
  for (let i = 0; i < 50_000; i++) {
    const v = ((i % 64) + 1) / 8
    expected.record(v)
    expected.record(v)
    if (i % 100 === 0) { expected.record(0); expected.record(-v); expected.recordDuration(1_000_000 * (i % 7)) }
  }
  const [got, want] = [h.snapshot(), expected.snapshot()]
  assert.equal(got.count, 4 * want.count)
  assert.equal(got.zeroCount, 4 * want.zeroCount)
  assert.deepEqual(got.positive, want.positive.map(([k, n]) => [k, 4 * n]))
  assert.deepEqual(got.negative, want.negative.map(([k, n]) => [k, 4 * n]))
  sameSum(got.sum, 4 * want.sum, 'sum')
})

// ---- Registry --------------------------------------------------------------------------------

test('registry.nativeHistogram is get-or-create by name and labels; options lay out a new family only', () => {
  const r = new Registry()
  const a = r.nativeHistogram('latency_seconds', { help: 'Latency.', labels: { route: '/a' }, schema: 2 })
  assert.ok(a instanceof NativeHistogram)
  assert.equal(a.schema, 2)
  assert.equal(r.nativeHistogram('latency_seconds', { labels: { route: '/a' } }), a, 'cached')
  const b = r.nativeHistogram('latency_seconds', { labels: { route: '/b' }, schema: 7 })
  assert.notEqual(b, a)
  assert.equal(b.schema, 2, 'the family keeps its layout')
  a.record(1)
  // A process-wide named registry: label values are strings (1 and '1' are one series).
  const named = Registry.named('native-histogram-test')
  named.nativeHistogram('n', { labels: { x: 1 } }).record(2)
  assert.equal(Registry.named('native-histogram-test').nativeHistogram('n', { labels: { x: '1' } }).count(), 1)

  const invalid = (fn) => assert.throws(fn, (e) => !(e instanceof TypeError) && e.code === 'AP_ERR_INVALID_ARGUMENT')
  invalid(() => r.counter('latency_seconds'))
  invalid(() => r.nativeHistogram('latency_seconds', { labels: { other: 'x' } }))
  invalid(() => r.nativeHistogram('latency_seconds_count'))
  invalid(() => r.nativeHistogram('h', { labels: { le: '1' } }))
  invalid(() => r.nativeHistogram('bad name'))
  invalid(() => r.nativeHistogram('c', { classicBuckets: [2, 1] }))
  invalid(() => r.nativeHistogram('c', { classicBuckets: [1, Infinity] }))
  r.counter('jobs')
  invalid(() => r.nativeHistogram('jobs'))
  range(() => r.nativeHistogram('s', { schema: 9 }))
  range(() => r.nativeHistogram('s', { zeroThreshold: -1 }))
  range(() => r.nativeHistogram('s', { denseRange: [0, 1] }))
  type(() => r.nativeHistogram('s', { classicBuckets: 1 }))
  type(() => r.nativeHistogram('s', { classicBuckets: ['1'] }))
  type(() => r.nativeHistogram('s', { denseRange: 1 }))
  type(() => r.nativeHistogram('s', { help: 1 }))
  type(() => r.nativeHistogram(1))
  type(() => r.nativeHistogram('s', null))
})

test('the text formats export classic buckets, +Inf, _sum and _count', () => {
  const r = new Registry()
  const h = r.nativeHistogram('latency_seconds', { help: 'Latency.', labels: { route: '/a' }, classicBuckets: [0.25, 1] })
  for (const v of [0.1, 0.25, 0.3, 1.0, 4.0, -2.0, 0.0]) h.record(v)
  const text = r.metrics()
  assert.equal(typeof text, 'string')
  assert.match(text, /^# HELP latency_seconds Latency\.$/m)
  assert.match(text, /^# TYPE latency_seconds histogram$/m)
  // 0.25 holds 0.1, 0.25, 0 (zero bucket) and -2: powers of two are native boundaries.
  assert.match(text, /^latency_seconds_bucket\{route="\/a",le="0\.25"\} 4$/m)
  assert.match(text, /^latency_seconds_bucket\{route="\/a",le="1"\} 6$/m)
  assert.match(text, /^latency_seconds_bucket\{route="\/a",le="\+Inf"\} 7$/m)
  const sum = Number(text.match(/^latency_seconds_sum\{route="\/a"\} (\S+)$/m)[1])
  assert.ok(Math.abs(sum - 3.65) < 1e-12, String(sum))
  assert.match(text, /^latency_seconds_count\{route="\/a"\} 7$/m)
  const om = r.metrics({ format: 'openmetrics' })
  assert.match(om, /^latency_seconds_count\{route="\/a"\} 7$/m)
  assert.ok(om.endsWith('# EOF\n'))
  const json = JSON.parse(r.metrics({ format: 'json' }))
  assert.equal(json.families[0].kind, 'native_histogram')
  assert.equal(json.families[0].series[0].schema, 3)
  assert.deepEqual(json.families[0].series[0].negative, [[8, 1]])
  // Without classic buckets: +Inf, _sum and _count only.
  const plain = new Registry()
  plain.nativeHistogram('x').record(1)
  assert.match(plain.metrics(), /^x_bucket\{le="\+Inf"\} 1$/m)
  assert.doesNotMatch(plain.metrics(), /le="1"/)
})

// ---- Protobuf, decoded by hand ---------------------------------------------------------------

/** The fields of one protobuf message: field number -> [{wire, value}] (varints as BigInt). */
function fields(buf) {
  const out = new Map()
  let i = 0
  const varint = () => {
    let v = 0n
    for (let shift = 0n; ; shift += 7n) {
      const b = buf[i++]
      assert.ok(b !== undefined, 'truncated varint')
      v |= BigInt(b & 0x7f) << shift
      if (b < 0x80) return v
    }
  }
  while (i < buf.length) {
    const key = Number(varint())
    const [n, wire] = [key >>> 3, key & 7]
    let value
    if (wire === 0) value = varint()
    else if (wire === 1) {
      value = buf.readDoubleLE(i)
      i += 8
    } else if (wire === 2) {
      const len = Number(varint())
      value = buf.subarray(i, i + len)
      i += len
    } else if (wire === 5) {
      value = buf.readFloatLE(i)
      i += 4
    } else assert.fail(`unexpected wire type ${wire}`)
    if (!out.has(n)) out.set(n, [])
    out.get(n).push({ wire, value })
  }
  assert.equal(i, buf.length, 'the message ends on a field boundary')
  return out
}
const zigzag = (v) => Number((v >> 1n) ^ -(v & 1n))
const one = (f, n) => (f.get(n) ?? [])[0]?.value
const all = (f, n) => (f.get(n) ?? []).map((x) => x.value)

/** The delimited MetricFamily messages of a protobuf exposition, decoded. */
function decodeExposition(buf) {
  assert.ok(Buffer.isBuffer(buf), 'a Buffer')
  const families = []
  let i = 0
  while (i < buf.length) {
    let len = 0
    for (let shift = 0; ; shift += 7) {
      const b = buf[i++]
      len += (b & 0x7f) * 2 ** shift
      if (b < 0x80) break
    }
    const f = fields(buf.subarray(i, i + len))
    i += len
    families.push({
      name: one(f, 1).toString(),
      help: f.has(2) ? one(f, 2).toString() : '',
      type: Number(one(f, 3) ?? 0n),
      metrics: all(f, 4).map((m) => {
        const mf = fields(m)
        const labels = Object.fromEntries(all(mf, 1).map((l) => {
          const lf = fields(l)
          return [one(lf, 1).toString(), one(lf, 2).toString()]
        }))
        const counter = mf.has(3) ? one(fields(one(mf, 3)), 1) : undefined
        const gauge = mf.has(2) ? one(fields(one(mf, 2)), 1) : undefined
        return { labels, counter, gauge, histogram: mf.has(7) ? histogramOf(fields(one(mf, 7))) : undefined }
      }),
    })
  }
  return families
}

/** A Histogram message: counts, classic buckets, and the native buckets rebuilt from spans and deltas. */
function histogramOf(h) {
  const spansOf = (n) => all(h, n).map((s) => {
    const sf = fields(s)
    return [zigzag(one(sf, 1) ?? 0n), Number(one(sf, 2) ?? 0n)]
  })
  // Deltas may come packed (one length-delimited field) or not (client_golang: not).
  const deltasOf = (n) => (h.get(n) ?? []).flatMap(({ wire, value }) => {
    if (wire === 0) return [zigzag(value)]
    const packed = []
    const b = value
    let v = 0n
    let shift = 0n
    for (const byte of b) {
      v |= BigInt(byte & 0x7f) << shift
      shift += 7n
      if (byte < 0x80) {
        packed.push(zigzag(v))
        v = 0n
        shift = 0n
      }
    }
    return packed
  })
  const buckets = (spanField, deltaField) => {
    const deltas = deltasOf(deltaField)
    const out = []
    let key = 0
    let count = 0
    let d = 0
    for (const [offset, length] of spansOf(spanField)) {
      key += offset
      for (let j = 0; j < length; j++) {
        count += deltas[d++]
        if (count !== 0) out.push([key, count])
        key++
      }
    }
    assert.equal(d, deltas.length, 'one delta per bucket of the spans')
    return out
  }
  return {
    sampleCount: Number(one(h, 1) ?? 0n),
    sampleSum: one(h, 2),
    classic: all(h, 3).map((b) => {
      const bf = fields(b)
      return [one(bf, 2), Number(one(bf, 1) ?? 0n)]
    }),
    schema: h.has(5) ? zigzag(one(h, 5)) : undefined,
    zeroThreshold: one(h, 6),
    zeroCount: Number(one(h, 7) ?? 0n),
    positiveSpans: spansOf(12),
    positive: buckets(12, 13),
    negative: buckets(9, 10),
  }
}

test('metrics({ format: "protobuf" }) is a Buffer of delimited MetricFamily messages with the native buckets', () => {
  const r = new Registry()
  const h = r.nativeHistogram('latency_seconds', { help: 'Latency.', labels: { route: '/a' }, classicBuckets: [0.25, 1] })
  for (const v of [0.1, 0.25, 0.3, 1.0, 4.0, -2.0, 0.0, 1e-12, 7200]) h.record(v)
  r.counter('jobs', { help: 'Jobs.' }).add(3)
  r.gauge('temp').set(-1.5)
  const bytes = r.metrics({ format: 'protobuf' })
  assert.ok(Buffer.isBuffer(bytes))
  const families = decodeExposition(bytes)
  assert.deepEqual(families.map((f) => f.name), ['jobs_total', 'latency_seconds', 'temp'])
  const [jobs, latency, temp] = families
  assert.equal(jobs.type, 0, 'COUNTER')
  assert.equal(jobs.help, 'Jobs.')
  assert.equal(jobs.metrics[0].counter, 3)
  assert.equal(temp.type, 1, 'GAUGE')
  assert.equal(temp.metrics[0].gauge, -1.5)
  assert.equal(latency.type, 4, 'HISTOGRAM')
  assert.equal(latency.help, 'Latency.')
  const m = latency.metrics[0]
  assert.deepEqual(m.labels, { route: '/a' })
  const p = m.histogram
  const s = h.snapshot()
  assert.equal(p.sampleCount, 9)
  assert.equal(p.sampleCount, s.count)
  assert.equal(p.sampleSum, s.sum)
  assert.equal(p.schema, 3)
  assert.equal(p.zeroThreshold, 2 ** -128)
  assert.equal(p.zeroCount, 1)
  assert.deepEqual(p.classic, [[0.25, 5], [1, 7]])
  assert.deepEqual(p.positive, s.positive, 'spans and deltas rebuild the snapshot\'s buckets')
  assert.deepEqual(p.negative, s.negative)
  assert.deepEqual(p.negative, [[8, 1]])

  // An empty native histogram with zero threshold 0 still says it is native: one empty span.
  const e = new Registry()
  e.nativeHistogram('h', { zeroThreshold: 0 })
  const [empty] = decodeExposition(e.metrics({ format: 'protobuf' }))
  assert.deepEqual(empty.metrics[0].histogram.positiveSpans, [[0, 0]])
  assert.equal(new Registry().metrics({ format: 'protobuf' }).length, 0)
  range(() => e.metrics({ format: 'xml' }))
  type(() => e.metrics({ format: 3 }))
})

test('a SharedRegistry exports protobuf too', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-nh-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const shared = new SharedRegistry(path.join(dir, 'segment'), { maxSeries: 16 })
  t.after(() => shared.close())
  shared.counter('requests', { labels: { code: 200 } }).add(5)
  shared.histogram('latency_seconds', { buckets: [0.5, 1] }).record(750_000_000)
  const bytes = shared.metrics({ format: 'protobuf' })
  assert.ok(Buffer.isBuffer(bytes))
  const families = decodeExposition(bytes)
  assert.deepEqual(families.map((f) => f.name), ['latency_seconds', 'requests_total'])
  assert.deepEqual(families[1].metrics[0].labels, { code: '200' })
  assert.equal(families[1].metrics[0].counter, 5)
  assert.deepEqual(families[0].metrics[0].histogram.classic, [[0.5, 0], [1, 1]])
  assert.equal(typeof shared.metrics(), 'string', 'the text formats are strings as before')
  assert.equal(SharedRegistry.PROTOBUF_CONTENT_TYPE, PROTOBUF)
})

// ---- negotiate -------------------------------------------------------------------------------

test('Accept headers negotiate as Prometheus does (the core test\'s cases)', () => {
  const cases = [
    ['', 'prometheus'],
    ['*/*', 'prometheus'],
    ['text/plain;version=0.0.4', 'prometheus'],
    ['application/openmetrics-text;version=1.0.0', 'openmetrics'],
    ['application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9', 'prometheus'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3', 'protobuf'],
    // Protobuf without the message or the delimited encoding is not what we write.
    ['application/vnd.google.protobuf;encoding=delimited', 'prometheus'],
    ['application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text', 'prometheus'],
    ['application/json', 'prometheus'],
    ['application/openmetrics-text;q=0,text/plain;q=0.1', 'prometheus'],
    ['APPLICATION/OPENMETRICS-TEXT; q=0.8', 'openmetrics'],
  ]
  const types = {
    prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
    openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
    protobuf: Registry.PROTOBUF_CONTENT_TYPE,
  }
  for (const [accept, format] of cases) {
    assert.deepEqual(negotiate(accept), { format, contentType: types[format] }, JSON.stringify(accept))
  }
  assert.equal(Registry.PROTOBUF_CONTENT_TYPE, PROTOBUF)
  // What Prometheus sends with native histograms enabled.
  const prometheus = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.6,' +
    'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2'
  assert.equal(negotiate(prometheus).format, 'protobuf')
  // An absent header (req.headers.accept is undefined) and a list of headers.
  assert.equal(negotiate(undefined).format, 'prometheus')
  assert.equal(negotiate(null).format, 'prometheus')
  assert.equal(negotiate(['text/plain;q=0.2', 'application/openmetrics-text;q=0.9']).format, 'openmetrics')
  for (const bad of [1, {}, 1n, true]) type(() => negotiate(bad))
  // Every negotiated format is a format of metrics().
  for (const format of Object.keys(types)) assert.ok(new Registry().metrics({ format }) !== undefined)
})

test('GET /metrics of the example server answers protobuf to a protobuf Accept', async (t) => {
  const { start } = require('../examples/metrics-server.js')
  const { registry } = require('..')
  const server = await start({ port: 0, host: '127.0.0.1' })
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${server.address().port}`
  await fetch(`${base}/`)
  registry.counter('example_native_jobs').add(2)
  const res = await fetch(`${base}/metrics`, {
    headers: { Accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;q=0.3' },
  })
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), PROTOBUF)
  const families = decodeExposition(Buffer.from(await res.arrayBuffer()))
  const byName = Object.fromEntries(families.map((f) => [f.name, f]))
  assert.equal(byName.example_native_jobs_total.metrics[0].counter, 2)
  const sizes = byName.http_response_size_bytes.metrics[0].histogram
  assert.equal(sizes.schema, 3)
  assert.ok(sizes.sampleCount >= 1)
  assert.equal(sizes.positive.reduce((n, [, c]) => n + c, 0), sizes.sampleCount)
  assert.equal(byName.http_request_duration_seconds.type, 4)

  const om = await fetch(`${base}/metrics`, { headers: { Accept: 'application/openmetrics-text;version=1.0.0' } })
  assert.equal(om.headers.get('content-type'), Registry.OPENMETRICS_CONTENT_TYPE)
  assert.ok((await om.text()).endsWith('# EOF\n'))
  const text = await fetch(`${base}/metrics`, { headers: { Accept: 'text/plain' } })
  assert.equal(text.headers.get('content-type'), Registry.PROMETHEUS_CONTENT_TYPE)
  assert.match(await text.text(), /^http_response_size_bytes_count \d+$/m)
  // ?format= overrides the header.
  const forced = await fetch(`${base}/metrics?format=protobuf`, { headers: { Accept: 'text/plain' } })
  assert.equal(forced.headers.get('content-type'), PROTOBUF)
  assert.ok(decodeExposition(Buffer.from(await forced.arrayBuffer())).length > 0)
})

// ---- Typings ---------------------------------------------------------------------------------

test('index.d.ts declares exactly the methods and properties of NativeHistogram', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(/export declare class NativeHistogram \{\n([\s\S]*?)\n\}\n/)
  assert.ok(body, 'index.d.ts declares no class NativeHistogram')
  const declared = new Set()
  for (const line of body[1].split('\n')) {
    const m = line.match(/^ {2}(?:readonly )?([A-Za-z_]+)[(:?]/)
    if (m && m[1] !== 'constructor') declared.add(m[1])
  }
  const actual = Object.getOwnPropertyNames(NativeHistogram.prototype).filter((k) => k !== 'constructor')
  assert.deepEqual([...declared].sort(), actual.sort())
  assert.match(dts, /^export declare function negotiate\(/m)
  assert.match(dts, /^ {2}nativeHistogram\(name: string, options\?: RegistryNativeHistogramOptions\): NativeHistogram$/m)
  assert.match(dts, /^ {2}static readonly PROTOBUF_CONTENT_TYPE: string$/m)
})
