'use strict'
// Summary: the JS class over the native functions of src/summary.rs (the core's `Summary`:
// quantiles over a sliding window of time, client_golang's Summary and prom-client's
// `percentiles` / `maxAgeSeconds` / `ageBuckets`, recorded lock-free into a ring of histograms).
//
// index.js calls this module's function once with the native calls and its private FROM_HANDLE
// symbol, with which lib/registry.js's wrappers make a registry's Summary from its handle.
//
// Every record is one native call: the window's histograms are claimed and reset by the core as
// it slides, which JS cannot do with Atomics alone (a Histogram's record writes its cells from
// JS; a Summary's costs about a native call more, see bench/summary.js).

const { typeError, typeName, options } = require('./registry.js').lookup

const inspect = Symbol.for('nodejs.util.inspect.custom')

/**
 * The native option arguments of `new Summary(options)` and `registry.summary(name, options)`:
 * `[quantiles, maxAgeSeconds, ageBuckets, significantFigures, highest]`, wrong JS types refused
 * here (values are checked natively, by the core).
 */
function summaryArgs(opts) {
  const { quantiles, maxAgeSeconds, ageBuckets, significantFigures, highest } = opts
  if (quantiles !== undefined && !Array.isArray(quantiles)) {
    throw typeError(`quantiles must be an array of numbers, got ${typeName(quantiles)}`)
  }
  if (maxAgeSeconds !== undefined && typeof maxAgeSeconds !== 'number') {
    throw typeError(`maxAgeSeconds must be a number, got ${typeName(maxAgeSeconds)}`)
  }
  return [quantiles, maxAgeSeconds, ageBuckets, significantFigures, highest]
}

module.exports = function defineSummary(calls, FROM_HANDLE) {
  const {
    summaryNew, summaryRecord, summaryCount, summaryCountBigInt, summarySum, summarySumBigInt,
    summaryWindowCount, summaryQuantile, summaryQuantiles, summaryConfig, summaryMemoryBytes,
  } = calls

  /**
   * Quantiles over a sliding window of time (`maxAgeSeconds`, default 600, sliding in
   * `ageBuckets` steps, default 5), with the count and sum of every value ever recorded. Values
   * are integers (nanoseconds for durations, as a Histogram's); a registry's summary exports
   * them in seconds.
   */
  class Summary {
    #h
    // [quantiles, maxAgeSeconds, ageBuckets, significantFigures, highest], read on first use.
    #config = null

    constructor(opts, handle) {
      if (opts === FROM_HANDLE) {
        this.#h = handle // a summary of a Registry
      } else {
        this.#h = summaryNew(...summaryArgs(options(opts, 'Summary')))
      }
    }

    /** Records one value (an integer number or BigInt from 0 to 2^64-1): one native call. */
    record(v) {
      summaryRecord(this.#h, v)
    }

    /** Values recorded since creation (over all time, as client_golang's). */
    count() {
      return summaryCount(this.#h)
    }

    countBigInt() {
      return summaryCountBigInt(this.#h)
    }

    /** Sum of the values recorded since creation (wrapping at 2^64). */
    sum() {
      return summarySum(this.#h)
    }

    sumBigInt() {
      return summarySumBigInt(this.#h)
    }

    /** Values in the window now. */
    windowCount() {
      return summaryWindowCount(this.#h)
    }

    /** The value at quantile `q` (0 to 1) of the window's values, or null when it is empty. */
    quantile(q) {
      return summaryQuantile(this.#h, q)
    }

    /** The configured quantiles over the window, from one moment: `{ quantile, value }[]`. */
    quantiles() {
      const pairs = summaryQuantiles(this.#h)
      const out = new Array(pairs.length)
      for (let i = 0; i < pairs.length; i++) out[i] = { quantile: pairs[i][0], value: pairs[i][1] }
      return out
    }

    #layout() {
      if (this.#config === null) this.#config = summaryConfig(this.#h)
      return this.#config
    }

    /** The configured quantiles, sorted (client_golang's objectives). */
    get objectives() {
      return this.#layout()[0].slice()
    }

    /** The window's length in seconds. */
    get maxAgeSeconds() {
      return this.#layout()[1]
    }

    /** In how many steps the window slides. */
    get ageBuckets() {
      return this.#layout()[2]
    }

    get significantFigures() {
      return this.#layout()[3]
    }

    get highest() {
      return this.#layout()[4]
    }

    memoryBytes() {
      return summaryMemoryBytes(this.#h)
    }

    toString() {
      return `Summary(count=${summaryCountBigInt(this.#h)})`
    }

    [inspect]() {
      let parts
      try {
        parts = this.quantiles().map(({ quantile, value }) => `${quantile}: ${value}`)
      } catch {
        parts = ['(above Number.MAX_SAFE_INTEGER)']
      }
      return `Summary { count: ${summaryCountBigInt(this.#h)}, sum: ${summarySumBigInt(this.#h)}, ` +
        `window: ${summaryWindowCount(this.#h)}, quantiles: { ${parts.join(', ')} } }`
    }
  }

  return { Summary }
}

// For lib/registry.js: the option arguments of registry.summary().
module.exports.summaryArgs = summaryArgs
