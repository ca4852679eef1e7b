'use strict'
// NativeHistogram: the JS class over the native functions of src/native_histogram.rs (the core's
// `NativeHistogram`, Prometheus native histogram buckets).
//
// index.js calls this module's function once with its native calls, its private FROM_HANDLE
// symbol (with which a Registry's native histogram is wrapped) and the internals object of the
// tests and the benchmark. Every method is one native call that checks the handle's type tag:
// the core does not describe a native histogram's cells to foreign writers, so record() cannot
// skip the call as Histogram.record() does (see the README's note on its cost).

const hrtime = process.hrtime.bigint
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

module.exports = function defineNativeHistogram(calls, FROM_HANDLE, internals) {
  const {
    nativeHistogramNew, nativeHistogramRecord, nativeHistogramRecordNanos, nativeHistogramCount,
    nativeHistogramSum, nativeHistogramZeroCount, nativeHistogramQuantile, nativeHistogramSnapshot,
    nativeHistogramMerge, nativeHistogramReset, nativeHistogramMemoryBytes, nativeHistogramConfig,
  } = calls

  /**
   * A lock-free histogram with the exponential buckets of Prometheus native histograms: bucket
   * `k` holds the values `v` with `2^((k-1)/2^schema) < |v| <= 2^(k/2^schema)`, positive and
   * negative values apart, a zero bucket for `|v| <= zeroThreshold`, NaN counted in no bucket.
   */
  class NativeHistogram {
    #h
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
    }

    record(v) {
      nativeHistogramRecord(this.#h, v)
    }

    recordDuration(durationNs) {
      nativeHistogramRecordNanos(this.#h, durationNs)
    }

    startTimer() {
      const h = this.#h
      const start = hrtime()
      let elapsed = -1
      return function end() {
        if (elapsed >= 0) return elapsed // records once; later calls repeat the first answer
        const d = hrtime() - start
        nativeHistogramRecordNanos(h, d)
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
      internals.nativeHistogram = { handle: (n) => n.#h }
    }
  }

  return { NativeHistogram }
}
