'use strict'
// NativeHistogram: the JS class over the native functions of src/native_histogram.rs (the core's
// `NativeHistogram`, Prometheus native histogram buckets).
//
// index.js calls this module's function once with its native calls, its private FROM_HANDLE
// symbol (with which a Registry's native histogram is wrapped), `directCells` (which maps a
// metric's cells for the direct path; null: native calls) and the internals object of the tests
// and the benchmark.
//
// record() and recordDuration() make no native call for a value in the dense range (1 ns to 1 h
// by default), in the zero bucket or NaN: they write the cells with Atomics by the core's
// description of them (lib/cells.js recordNative). Negative values, values outside the dense
// range and every bad argument take the native call, which records them or throws.

const cells = require('./cells.js')

const hrtime = process.hrtime.bigint
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER)
const inspect = Symbol.for('nodejs.util.inspect.custom')

function withCode(e, code) {
  e.code = code
  return e
}
const typeError = (message) => withCode(new TypeError(message), 'AP_ERR_INVALID_ARGUMENT')
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

function options(value, what) {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${typeName(value)}`)
  }
  return value
}

/** `[lowest, highest]` of a `denseRange` option (both undefined when it is omitted). */
function denseRangeOf(range) {
  if (range === undefined) return [undefined, undefined]
  if (!Array.isArray(range) || range.length !== 2) {
    throw typeError(`denseRange must be an array [lowest, highest], got ${typeName(range)}`)
  }
  return range
}

module.exports = function defineNativeHistogram(calls, FROM_HANDLE, directCells, internals) {
  const {
    nativeHistogramCells, nativeHistogramNew, nativeHistogramRecord, nativeHistogramRecordNanos, nativeHistogramCount,
    nativeHistogramSum, nativeHistogramZeroCount, nativeHistogramQuantile, nativeHistogramSnapshot,
    nativeHistogramMerge, nativeHistogramReset, nativeHistogramMemoryBytes, nativeHistogramConfig,
  } = calls

  /**
   * A lock-free histogram with the exponential buckets of Prometheus native histograms: bucket
   * `k` holds the values `v` with `2^((k-1)/2^schema) < |v| <= 2^(k/2^schema)`, positive and
   * negative values apart, a zero bucket for `|v| <= zeroThreshold`, NaN counted in no bucket.
   */
  /**
   * Records a duration of d ns into `c` (NativeCells or null) or through a call to the native
   * histogram `h`: the direct path for an integer number from 0 to 2^53-1 or a BigInt up to that.
   */
  function recordNanos(c, h, d) {
    if (c !== null) {
      if (cells.isFast(d)) {
        if (cells.recordNative(c, cells.nanosToSeconds(d))) return
      } else if (typeof d === 'bigint' && d >= 0n && d <= MAX_SAFE_BIGINT) {
        if (cells.recordNative(c, cells.nanosToSeconds(Number(d)))) return
      }
    }
    nativeHistogramRecordNanos(h, d) // the call path, and the errors for every bad argument
  }

  class NativeHistogram {
    #h
    // lib/cells.js NativeCells, or null: native calls.
    #cells
    // [schema, zeroThreshold, denseLowest, denseHighest, relativeError], read on first use.
    #config = null

    constructor(opts, handle) {
      if (opts === FROM_HANDLE) {
        this.#h = handle // a native histogram of a Registry (lib/registry.js)
      } else {
        const { schema, zeroThreshold, denseRange } = options(opts, 'NativeHistogram')
        const [lowest, highest] = denseRangeOf(denseRange)
        this.#h = nativeHistogramNew(schema, zeroThreshold, lowest, highest)
      }
      this.#cells = directCells(this.#h, nativeHistogramCells, cells.NativeCells)
    }

    record(v) {
      const c = this.#cells
      if (c === null || typeof v !== 'number' || !cells.recordNative(c, v)) nativeHistogramRecord(this.#h, v)
    }

    recordDuration(durationNs) {
      recordNanos(this.#cells, this.#h, durationNs)
    }

    startTimer() {
      const h = this.#h
      const c = this.#cells
      const start = hrtime()
      let elapsed = -1
      return function end() {
        if (elapsed >= 0) return elapsed // records once; later calls repeat the first answer
        const d = hrtime() - start
        recordNanos(c, h, d)
        elapsed = Number(d)
        return elapsed
      }
    }

    count() {
      return nativeHistogramCount(this.#h)
    }

    sum() {
      return nativeHistogramSum(this.#h)
    }

    zeroCount() {
      return nativeHistogramZeroCount(this.#h)
    }

    quantile(q) {
      return nativeHistogramQuantile(this.#h, q)
    }

    snapshot() {
      return nativeHistogramSnapshot(this.#h)
    }

    merge(other) {
      if (other === null || typeof other !== 'object' || !(#h in other)) {
        throw typeError('merge() expects a NativeHistogram')
      }
      nativeHistogramMerge(this.#h, other.#h)
    }

    reset() {
      nativeHistogramReset(this.#h)
    }

    memoryBytes() {
      return nativeHistogramMemoryBytes(this.#h)
    }

    #layout() {
      if (this.#config === null) this.#config = nativeHistogramConfig(this.#h)
      return this.#config
    }

    get schema() {
      return this.#layout()[0]
    }

    get zeroThreshold() {
      return this.#layout()[1]
    }

    get denseRange() {
      const c = this.#layout()
      return [c[2], c[3]]
    }

    get relativeError() {
      return this.#layout()[4]
    }

    toString() {
      return `NativeHistogram(count=${nativeHistogramCount(this.#h)})`
    }

    [inspect]() {
      const h = this.#h
      const count = nativeHistogramCount(h)
      if (count === 0) return `NativeHistogram { schema: ${this.schema}, count: 0 }`
      return `NativeHistogram { schema: ${this.schema}, count: ${count}, sum: ${nativeHistogramSum(h)}, ` +
        `p50: ${nativeHistogramQuantile(h, 0.5)}, p99: ${nativeHistogramQuantile(h, 0.99)} }`
    }

    static {
      internals.nativeHistogram = {
        recordNative: (n, v) => nativeHistogramRecord(n.#h, v),
        recordNanosNative: (n, d) => nativeHistogramRecordNanos(n.#h, d),
        cells: (n) => n.#cells,
      }
    }
  }

  return { NativeHistogram }
}
