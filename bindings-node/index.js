'use strict'
// atomicperf for Node.js: lock-free Counter, Gauge and Histogram from the Rust core.
//
// The native module (loaded by the generated `binding.js`) exports plain functions that take a
// metric handle; these classes keep the handle in a private field and call them. Types and
// errors are translated natively; every error carries a `code` named after the C ABI's status.

const native = require('./binding.js')

// The native functions come in two builds. The module's exports check every handle's type tag
// (10-15 ns a call), so that nothing passed to them can crash the process. The trusted build
// skips that check; it is handed out once per thread, to the first caller of
// claimTrustedCalls(), normally this file. That is sound because the classes below pass nothing
// but handles from their own private fields (#h), which only native constructors fill and which
// no code outside the class body can read or write. If another module claimed first, the
// checked build is used.
const calls = native.claimTrustedCalls() ?? native

// Local bindings: a call through a module-level const is a call to a known function, which V8
// can emit directly instead of looking the property up on every call.
const {
  counterNew, counterInc, counterAdd, counterGet, counterGetBigInt, counterStripes,
  gaugeNew, gaugeGet, gaugeSet, gaugeAdd, gaugeSub, gaugeInc, gaugeDec, gaugeSetMax, gaugeSetMin,
  histogramNew, histogramRecord, histogramRecordN, histogramCount, histogramCountBigInt,
  histogramSum, histogramSumBigInt, histogramMin, histogramMax, histogramMean, histogramQuantile,
  histogramOverflowCount, histogramMemoryBytes, histogramSignificantFigures, histogramHighest,
  histogramSnapshot, histogramMerge, histogramReset,
} = calls
const { benchIdentity } = native

const inspect = Symbol.for('nodejs.util.inspect.custom')

// Passed as the first constructor argument to wrap an existing handle; not exported, so user
// code cannot forge a handle into a metric.
const FROM_HANDLE = Symbol('atomicperf handle')

function typeError(message) {
  const e = new TypeError(message)
  e.code = 'AP_ERR_INVALID_ARGUMENT'
  return e
}

function options(value, what) {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

/** A monotonic u64 counter, striped over cache lines so that threads never contend. */
class Counter {
  #h

  constructor(opts) {
    const { stripes } = options(opts, 'Counter')
    this.#h = counterNew(stripes)
  }

  inc() {
    counterInc(this.#h)
  }

  add(n) {
    counterAdd(this.#h, n)
  }

  get() {
    return counterGet(this.#h)
  }

  getBigInt() {
    return counterGetBigInt(this.#h)
  }

  get stripes() {
    return counterStripes(this.#h)
  }

  toString() {
    return `Counter(${counterGetBigInt(this.#h)})`
  }

  [inspect]() {
    return `Counter { value: ${counterGetBigInt(this.#h)}, stripes: ${counterStripes(this.#h)} }`
  }
}

/** An f64 gauge: set and get are single atomic stores and loads, adjustments never lock. */
class Gauge {
  #h

  constructor(value) {
    this.#h = gaugeNew(value)
  }

  set(v) {
    gaugeSet(this.#h, v)
  }

  get() {
    return gaugeGet(this.#h)
  }

  add(d) {
    gaugeAdd(this.#h, d)
  }

  sub(d) {
    gaugeSub(this.#h, d)
  }

  inc() {
    gaugeInc(this.#h)
  }

  dec() {
    gaugeDec(this.#h)
  }

  setMax(v) {
    gaugeSetMax(this.#h, v)
  }

  setMin(v) {
    gaugeSetMin(this.#h, v)
  }

  toString() {
    return `Gauge(${gaugeGet(this.#h)})`
  }

  [inspect]() {
    return `Gauge { value: ${gaugeGet(this.#h)} }`
  }
}

/** A lock-free log-linear (HDR-style) histogram of u64 values, nanoseconds by default. */
class Histogram {
  #h

  constructor(opts, handle) {
    if (opts === FROM_HANDLE) {
      this.#h = handle
      return
    }
    const { significantFigures, highest } = options(opts, 'Histogram')
    this.#h = histogramNew(significantFigures, highest)
  }

  record(v) {
    histogramRecord(this.#h, v)
  }

  recordN(v, n) {
    histogramRecordN(this.#h, v, n)
  }

  count() {
    return histogramCount(this.#h)
  }

  countBigInt() {
    return histogramCountBigInt(this.#h)
  }

  sum() {
    return histogramSum(this.#h)
  }

  sumBigInt() {
    return histogramSumBigInt(this.#h)
  }

  min() {
    return histogramMin(this.#h)
  }

  max() {
    return histogramMax(this.#h)
  }

  mean() {
    return histogramMean(this.#h)
  }

  quantile(q) {
    return histogramQuantile(this.#h, q)
  }

  overflowCount() {
    return histogramOverflowCount(this.#h)
  }

  memoryBytes() {
    return histogramMemoryBytes(this.#h)
  }

  get significantFigures() {
    return histogramSignificantFigures(this.#h)
  }

  get highest() {
    return histogramHighest(this.#h)
  }

  snapshot() {
    return new Histogram(FROM_HANDLE, histogramSnapshot(this.#h))
  }

  merge(other) {
    if (other === null || typeof other !== 'object' || !(#h in other)) {
      throw typeError('merge() expects a Histogram')
    }
    histogramMerge(this.#h, other.#h)
  }

  reset() {
    histogramReset(this.#h)
  }

  toString() {
    return `Histogram(count=${histogramCountBigInt(this.#h)})`
  }

  [inspect]() {
    const h = this.#h
    const count = histogramCountBigInt(h)
    if (count === 0n) return 'Histogram { count: 0 }'
    const q = (p) => {
      try {
        return String(histogramQuantile(h, p))
      } catch {
        return '(above Number.MAX_SAFE_INTEGER)'
      }
    }
    return `Histogram { count: ${count}, sum: ${histogramSumBigInt(h)}, min: ${q(0)}, ` +
      `p50: ${q(0.5)}, p99: ${q(0.99)}, max: ${q(1)} }`
  }
}

module.exports = { Counter, Gauge, Histogram, benchIdentity }
