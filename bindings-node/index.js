'use strict'
// atomicperf for Node.js: lock-free metrics (Counter, Gauge, Histogram, Timer, MinMax, ...), concurrent
// state (ShardedMap, Ledger, SnapshotCell, OnceMap, CancellationToken) and a registry, from the Rust core.
//
// The native module (loaded by the generated `binding.js`) exports plain functions that take a
// metric handle; these classes keep the handle in a private field and call them. Types and
// errors are translated natively; every error carries a `code` named after the C ABI's status.

const { threadId } = require('node:worker_threads')
// Throws an error naming the missing per-platform package and what to do (lib/load.js).
const native = require('./lib/load.js')()
// Direct records into a Histogram's, Timer's, MinMax's or NativeHistogram's cells (lib/cells.js).
const cells = require('./lib/cells.js')

// Every native function checks the type tag of each handle it is passed, so that nothing passed
// to them (binding.js is reachable by absolute path, whatever the exports map says) can crash
// the process or reach foreign memory.
const calls = native

// Local bindings: a call through a module-level const is a call to a known function, which V8
// can emit directly instead of looking the property up on every call.
const {
  counterNew, counterInc, counterAdd, counterGet, counterGetBigInt, counterStripes, counterCells, counterRefs,
  counterAddWithExemplar, counterAddWithExemplarPairs, counterExemplar,
  histogramRecordWithExemplar, histogramRecordWithExemplarPairs, histogramExemplars,
  gaugeNew, gaugeGet, gaugeSet, gaugeAdd, gaugeSub, gaugeInc, gaugeDec, gaugeSetMax, gaugeSetMin, gaugeCells, gaugeRefs,
  histogramNew, histogramRecord, histogramRecordN, histogramCount, histogramCountBigInt,
  histogramSum, histogramSumBigInt, histogramMin, histogramMax, histogramMean, histogramQuantile,
  histogramOverflowCount, histogramMemoryBytes, histogramSignificantFigures, histogramHighest,
  histogramSnapshot, histogramMerge, histogramReset, histogramCells,
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

// ---- The direct path: Counter, Gauge, Histogram, Timer, MinMax ---------------------------
// A native call costs 10-25 ns even hand-written; Atomics on a typed array costs about 15. So a
// Counter or Gauge crosses the boundary once, at construction: counterCells/gaugeCells return an
// external ArrayBuffer over the Rust-owned cells, and inc/add/set update them with Atomics (the
// only operations the core allows foreign writers: fetch-and-add on counter stripes, store and
// compare-and-swap on a gauge's bits). Reads of a counter go through Rust, which sums the stripes.
// The buffer's native finalizer owns a reference to the metric, so the cells outlive every view.
// A Histogram, Timer, MinMax or NativeHistogram records the same way, by the core's description
// of its cells (lib/cells.js).
//
// Each thread adds to its own stripe (threadId modulo the stripe count), so worker_threads with
// counters of their own never share a cache line.
//
// Some runtimes refuse external buffers (V8 sandbox builds, Electron: counterCells returns null)
// or could copy them; a self-check on first use writes from JS and reads from Rust and back, and
// if that fails every metric uses native calls, with one process warning. ATOMICPERF_DIRECT=0
// turns the direct path off; ATOMICPERF_DIRECT=simulate-copy makes the self-check see a copy
// (for tests).
const DIRECT_ENV = process.env.ATOMICPERF_DIRECT
let direct // undefined until the first Counter or Gauge is made

function directAvailable() {
  if (direct === undefined) direct = checkDirect()
  return direct
}

function checkDirect() {
  if (DIRECT_ENV === '0') return false
  let problem = null
  try {
    const c = counterNew(1)
    const g = gaugeNew(0)
    const h = histogramNew(2, 1000)
    let cBuf = counterCells(c)
    let gBuf = gaugeCells(g)
    const hDesc = histogramCells(h)
    if (cBuf === null || gBuf === null || hDesc === null) {
      problem = 'the runtime does not allow external ArrayBuffers (a V8 sandbox build or Electron?)'
    } else {
      if (DIRECT_ENV === 'simulate-copy') {
        cBuf = cBuf.slice(0)
        gBuf = gBuf.slice(0)
        hDesc.buffer = hDesc.buffer.slice(0)
      }
      const cv = new BigUint64Array(cBuf)
      const gv = new BigUint64Array(gBuf)
      const hc = new cells.HistogramCells(hDesc)
      Atomics.add(cv, 0, 0x1234_5678_9abcn) // JS -> Rust
      counterAdd(c, 1) // Rust -> JS
      Atomics.store(gv, 0, 0x4004_0000_0000_0000n) // 2.5
      cells.recordOne(hc, 700)
      const jsToRust = counterGetBigInt(c) === 0x1234_5678_9abdn && gaugeGet(g) === 2.5 &&
        histogramCount(h) === 1 && histogramSum(h) === 700 && histogramMin(h) === 700
      gaugeSet(g, -1)
      histogramRecord(h, 3)
      const rustToJs = Atomics.load(cv, 0) === 0x1234_5678_9abdn && Atomics.load(gv, 0) === 0xbff0_0000_0000_0000n &&
        Atomics.load(hc.u64, hc.min) === 3n
      if (!jsToRust || !rustToJs) {
        problem = 'the runtime copied an external ArrayBuffer instead of mapping it'
      }
    }
  } catch (e) {
    problem = `the check threw: ${e && e.message}`
  }
  if (problem === null) return true
  process.emitWarning(
    `atomicperf: Counter, Gauge, Histogram, Timer, MinMax and NativeHistogram fall back to native calls (several times slower): ${problem}`,
    { type: 'AtomicperfWarning', code: 'AP_DIRECT_UNAVAILABLE' },
  )
  return false
}

const TWO_POW_64 = 2 ** 64
/** An exemplar's timestamp argument: a Date (seconds since the epoch natively) or undefined. */
function exemplarTime(ts) {
  if (ts === undefined) return undefined
  if (!(ts instanceof Date)) throw typeError(`an exemplar timestamp must be a Date, got ${ts === null ? 'null' : typeof ts}`)
  return ts.getTime() / 1000
}

/**
 * An exemplar's labels (an object {name: value}; values also numbers, bigints and booleans, as a
 * registry's labels) as the one string `name\0value\0...` of the native calls: one string
 * conversion instead of one per name and value. A NUL inside a name or value is refused here.
 */
function exemplarLabels(labels) {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw typeError(`exemplar labels must be an object {name: value}, got ${labels === null ? 'null' : Array.isArray(labels) ? 'array' : typeof labels}`)
  }
  let packed = ''
  for (const name of Object.keys(labels)) {
    let v = labels[name]
    const t = typeof v
    if (t === 'number' || t === 'bigint' || t === 'boolean') v = String(v)
    else if (t !== 'string') throw typeError(`the value of exemplar label ${JSON.stringify(name)} must be a string, got ${v === null ? 'null' : t}`)
    if (name.includes('\0') || v.includes('\0')) {
      const e = new Error(`exemplar label ${JSON.stringify(name)} has a NUL character`)
      e.code = 'AP_ERR_INVALID_ARGUMENT'
      throw e
    }
    packed += name + '\0' + v + '\0'
  }
  return packed
}

/**
 * Records with an exemplar: through `pairs(h, x, [name1, value1, [name2, value2,]] [ts])` when
 * `labels` is an object of at most two labels whose values are strings (the usual trace_id and
 * span_id: passed as they are, with no string built per call; the number of arguments says which
 * are there, so none is passed as undefined), otherwise through `packed(h, x,
 * exemplarLabels(labels), ts)`. Both paths make the same checks (NULs and label names in the
 * core on the first) and record the same exemplar.
 */
function withExemplar(pairs, packed, h, x, labels, timestamp) {
  if (labels !== null && typeof labels === 'object' && !Array.isArray(labels)) {
    const keys = Object.keys(labels)
    if (keys.length === 0) {
      return timestamp === undefined ? pairs(h, x) : pairs(h, x, exemplarTime(timestamp))
    }
    if (keys.length <= 2) {
      const n1 = keys[0]
      const v1 = labels[n1]
      if (typeof v1 === 'string') {
        if (keys.length === 1) {
          return timestamp === undefined ? pairs(h, x, n1, v1) : pairs(h, x, n1, v1, exemplarTime(timestamp))
        }
        const n2 = keys[1]
        const v2 = labels[n2]
        if (typeof v2 === 'string') {
          return timestamp === undefined
            ? pairs(h, x, n1, v1, n2, v2)
            : pairs(h, x, n1, v1, n2, v2, exemplarTime(timestamp))
        }
      }
    }
  }
  return packed(h, x, exemplarLabels(labels), exemplarTime(timestamp))
}
const TWO_POW_64N = 2n ** 64n

/**
 * The direct-path cells of a Histogram, Timer or MinMax (a lib/cells.js class built by `make`
 * from what `describe(h)` returned and `stripeBase`, which offsets the thread's sum stripe), or
 * null: native calls. A description that breaks the
 * contract, which only a broken addon could give, falls back to native calls with a warning.
 */
function directCells(h, describe, make, stripeBase = 0) {
  if (!directAvailable()) return null
  const desc = describe(h)
  if (desc === null) return null
  try {
    return new make(desc, stripeBase)
  } catch (e) {
    process.emitWarning(`atomicperf: a metric falls back to native calls: ${e.message}`, {
      type: 'AtomicperfWarning', code: 'AP_DIRECT_UNAVAILABLE',
    })
    return null
  }
}

// Internal entry points for tests and the benchmark (the native call path, the views); filled in
// by the classes' static blocks, which alone can read their private fields.
const internals = { directAvailable, bucketIndex: cells.bucketIndex }

// Accessors for the private handle of a Counter, Gauge or Histogram (undefined for anything
// else), filled in by the classes' static blocks. Not exported: lib/metrics.js gets them so that
// a RateTracker or AsyncRecorder can share the metric natively.
const handleOf = {}

/** A monotonic u64 counter, striped over cache lines so that threads never contend. */
class Counter {
  #h
  // BigUint64Array over the stripes, or null: native calls.
  #cells = null
  // Index in #cells of this thread's stripe.
  #slot = 0

  constructor(opts, handle, stripeBase = 0) {
    // FROM_HANDLE: a counter of a Registry or SharedRegistry (lib/registry.js,
    // lib/shared-registry.js), wrapped as any other. A SharedRegistry passes this process's pid as
    // `stripeBase`: the main threads of cluster workers (all threadId 0) then spread over the
    // shared stripes instead of all adding to the first, as the core's own stripe choice does.
    const h = opts === FROM_HANDLE ? handle : counterNew(options(opts, 'Counter').stripes)
    this.#h = h
    if (directAvailable()) {
      const buffer = counterCells(h)
      if (buffer !== null) {
        const cells = new BigUint64Array(buffer)
        const n = counterStripes(h)
        const base = opts === FROM_HANDLE ? stripeBase : 0
        this.#slot = ((threadId + base) % n) * (cells.length / n)
        this.#cells = cells
      }
    }
  }

  inc() {
    const cells = this.#cells
    if (cells !== null) Atomics.add(cells, this.#slot, 1n)
    else counterInc(this.#h)
  }

  add(n) {
    const cells = this.#cells
    if (cells !== null) {
      if (typeof n === 'number') {
        // Every integral number below 2^64 converts to a BigInt exactly; NaN fails the comparisons.
        if (n >= 0 && n < TWO_POW_64 && Number.isInteger(n)) {
          Atomics.add(cells, this.#slot, BigInt(n))
          return
        }
      } else if (typeof n === 'bigint' && n >= 0n && n < TWO_POW_64N) {
        Atomics.add(cells, this.#slot, n)
        return
      }
    }
    counterAdd(this.#h, n) // the call path, and the errors for every bad argument
  }

  /**
   * Adds one and makes `labels` (a trace's, such as trace_id) the counter's exemplar, stamped
   * with `timestamp` (a Date, or none): one native call.
   */
  incWithExemplar(labels, timestamp) {
    withExemplar(counterAddWithExemplarPairs, counterAddWithExemplar, this.#h, 1, labels, timestamp)
  }

  /** Adds `n` with an exemplar, as incWithExemplar. */
  addWithExemplar(n, labels, timestamp) {
    withExemplar(counterAddWithExemplarPairs, counterAddWithExemplar, this.#h, n, labels, timestamp)
  }

  /** The latest exemplar, `{ labels, value, timestamp }` (timestamp in seconds or null), or null. */
  exemplar() {
    return counterExemplar(this.#h)
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

  static {
    internals.counter = {
      incNative: (c) => counterInc(c.#h),
      addNative: (c, n) => counterAdd(c.#h, n),
      cells: (c) => c.#cells,
      slot: (c) => c.#slot,
      refs: (c) => counterRefs(c.#h),
    }
  }

  static {
    handleOf.counter = (o) => (o !== null && typeof o === 'object' && #h in o ? o.#h : undefined)
  }
}

// Scratch for converting between a number and its IEEE-754 bits. Each thread loads this module
// anew and runs one call at a time, so no two calls ever share it.
const F64 = new Float64Array(1)
const U64 = new BigUint64Array(F64.buffer)

/** Adds `d` to the gauge bits in `cell`: a compare-and-swap loop, like the core's. */
function addToCell(cell, d) {
  let cur = Atomics.load(cell, 0)
  for (;;) {
    U64[0] = cur
    F64[0] += d
    const seen = Atomics.compareExchange(cell, 0, cur, U64[0])
    if (seen === cur) return
    cur = seen
  }
}

/** An f64 gauge: set and get are single atomic stores and loads, adjustments never lock. */
class Gauge {
  #h
  // BigUint64Array over the gauge's bits, or null: native calls.
  #cell = null

  constructor(value, handle) {
    const h = value === FROM_HANDLE ? handle : gaugeNew(value)
    this.#h = h
    if (directAvailable()) {
      const buffer = gaugeCells(h)
      if (buffer !== null) this.#cell = new BigUint64Array(buffer)
    }
  }

  set(v) {
    const cell = this.#cell
    if (cell !== null && typeof v === 'number') {
      F64[0] = v
      Atomics.store(cell, 0, U64[0])
    } else {
      gaugeSet(this.#h, v)
    }
  }

  get() {
    const cell = this.#cell
    if (cell === null) return gaugeGet(this.#h)
    U64[0] = Atomics.load(cell, 0)
    return F64[0]
  }

  add(d) {
    const cell = this.#cell
    if (cell !== null && typeof d === 'number') addToCell(cell, d)
    else gaugeAdd(this.#h, d)
  }

  sub(d) {
    const cell = this.#cell
    if (cell !== null && typeof d === 'number') addToCell(cell, -d)
    else gaugeSub(this.#h, d)
  }

  inc() {
    const cell = this.#cell
    if (cell !== null) addToCell(cell, 1)
    else gaugeInc(this.#h)
  }

  dec() {
    const cell = this.#cell
    if (cell !== null) addToCell(cell, -1)
    else gaugeDec(this.#h)
  }

  // setMax/setMin stay native: the core's f64::max/min semantics (NaN, signed zeros) in one place.
  setMax(v) {
    gaugeSetMax(this.#h, v)
  }

  setMin(v) {
    gaugeSetMin(this.#h, v)
  }

  toString() {
    return `Gauge(${this.get()})`
  }

  [inspect]() {
    return `Gauge { value: ${this.get()} }`
  }

  static {
    internals.gauge = {
      setNative: (g, v) => gaugeSet(g.#h, v),
      addNative: (g, d) => gaugeAdd(g.#h, d),
      getNative: (g) => gaugeGet(g.#h),
      cell: (g) => g.#cell,
      refs: (g) => gaugeRefs(g.#h),
    }
  }

  static {
    handleOf.gauge = (o) => (o !== null && typeof o === 'object' && #h in o ? o.#h : undefined)
  }
}

/** A lock-free log-linear (HDR-style) histogram of u64 values, nanoseconds by default. */
class Histogram {
  #h
  // lib/cells.js HistogramCells, or null: native calls.
  #cells

  constructor(opts, handle, stripeBase = 0) {
    if (opts === FROM_HANDLE) {
      this.#h = handle // a histogram of a Registry or SharedRegistry (stripeBase: see Counter)
    } else {
      const { significantFigures, highest } = options(opts, 'Histogram')
      this.#h = histogramNew(significantFigures, highest)
      stripeBase = 0
    }
    this.#cells = directCells(this.#h, histogramCells, cells.HistogramCells, stripeBase)
  }

  record(v) {
    const c = this.#cells
    if (c !== null && cells.isFast(v)) cells.recordOne(c, v)
    else histogramRecord(this.#h, v) // the call path, and the errors for every bad argument
  }

  /**
   * Records `v` and makes `labels` (a trace's, such as trace_id) the exemplar of the exported
   * bucket `v` falls in, stamped with `timestamp` (a Date, or none): one native call.
   */
  recordWithExemplar(v, labels, timestamp) {
    withExemplar(histogramRecordWithExemplarPairs, histogramRecordWithExemplar, this.#h, v, labels, timestamp)
  }

  /** The latest exemplar of each exported bucket (`+Inf` last; one outside a registry), or null. */
  exemplars() {
    return histogramExemplars(this.#h)
  }

  recordN(v, n) {
    const c = this.#cells
    if (c !== null && cells.isFast(v)) {
      if (typeof n === 'number') {
        if (n >= 0 && n <= Number.MAX_SAFE_INTEGER && Math.floor(n) === n) {
          if (n !== 0) cells.recordN(c, v, BigInt(n))
          return
        }
      } else if (typeof n === 'bigint' && n >= 0n && n < TWO_POW_64N) {
        if (n !== 0n) cells.recordN(c, v, n)
        return
      }
    }
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

  static {
    internals.histogram = {
      recordNative: (h, v) => histogramRecord(h.#h, v),
      recordNNative: (h, v, n) => histogramRecordN(h.#h, v, n),
      cells: (h) => h.#cells,
    }
  }

  static {
    handleOf.histogram = (o) => (o !== null && typeof o === 'object' && #h in o ? o.#h : undefined)
  }
}

module.exports = { Counter, Gauge, Histogram, benchIdentity }
// MinMax, Timer, RateTracker, ThroughputWindow, AsyncRecorder (lib/metrics.js).
Object.assign(module.exports, require('./lib/metrics.js')(calls, handleOf, FROM_HANDLE, directCells, internals))
// NativeHistogram: Prometheus native histogram buckets (lib/native-histogram.js).
Object.assign(module.exports, require('./lib/native-histogram.js')(calls, FROM_HANDLE, directCells, internals))
// Summary: quantiles over a sliding window of time (lib/summary.js).
const { Summary } = require('./lib/summary.js')(calls, FROM_HANDLE)
module.exports.Summary = Summary
// ShardedMap, Ledger, SnapshotCell, OnceMap, CancellationToken (lib/state.js).
Object.assign(module.exports, require('./lib/state.js')(calls, internals))
// Info and Enum (lib/info.js).
Object.assign(module.exports, require('./lib/info.js')(calls, FROM_HANDLE))
// Registry and the process-wide default `registry` (lib/registry.js): its metrics are the
// classes above, wrapped around the registry's own handles.
{
  const { Timer, MinMax, NativeHistogram, Info, Enum } = module.exports
  Object.assign(module.exports, require('./lib/registry.js')(calls, {
    counter: (h) => new Counter(FROM_HANDLE, h),
    gauge: (h) => new Gauge(FROM_HANDLE, h),
    histogram: (h) => new Histogram(FROM_HANDLE, h),
    timer: (h) => new Timer(FROM_HANDLE, h),
    minmax: (h) => new MinMax(FROM_HANDLE, h),
    summary: (h) => new Summary(FROM_HANDLE, h),
    nativeHistogram: (h) => new NativeHistogram(FROM_HANDLE, h),
    info: (h) => new Info(FROM_HANDLE, h),
    enum: (h) => new Enum(FROM_HANDLE, h),
  }, internals))
  // SharedRegistry (lib/shared-registry.js): the same classes over cells in a shared-memory
  // segment; striped cells are offset by the pid, so that processes spread over the stripes.
  const { pid } = process
  Object.assign(module.exports, require('./lib/shared-registry.js')(calls, {
    counter: (h) => new Counter(FROM_HANDLE, h, pid),
    gauge: (h) => new Gauge(FROM_HANDLE, h),
    histogram: (h) => new Histogram(FROM_HANDLE, h, pid),
    timer: (h) => new Timer(FROM_HANDLE, h, pid),
  }, module.exports.Registry))
}
// Pushgateway: pushes a registry to a Prometheus Pushgateway, as prom-client's does (lib/push.js).
Object.assign(module.exports, require('./lib/push.js')(calls, module.exports))
// bench.run(): the core's benchmark suite, off the JS thread (lib/bench.js).
module.exports.bench = require('./lib/bench.js')(calls)
// Not part of the API: the native call path and the cell views, for tests and bench/bench.js.
Object.defineProperty(module.exports, Symbol.for('atomicperf.internals'), { value: internals })
