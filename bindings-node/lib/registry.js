'use strict'
// Registry: named, labelled metrics (get-or-create) and their Prometheus / OpenMetrics / JSON
// export, over the native functions of src/registry.rs (the core's `Registry`).
//
// index.js calls this module's function once with its native calls and with `wrap`, functions
// that turn a metric handle from the registry into the public Counter, Gauge, Histogram, Timer,
// MinMax or NativeHistogram (the same classes `new Counter()` makes: a registry counter still
// adds to its Rust-owned cells with Atomics).
//
// `metrics({ format })` returns a string for the text formats and JSON, and a Buffer for
// 'protobuf' (the Prometheus protobuf exposition, the one format that carries native histogram
// buckets). `negotiate(accept)` picks the format for a scrape's Accept header with the core's
// `negotiate`, the one rule every language binding applies.
//
// `registry` is the process-wide default registry (core's `Registry::global()`): every
// worker_thread loads the same addon, so every thread's `registry` is the same Rust registry,
// and a counter that four workers look up is one counter. `Registry.named(name)` opens a
// process-wide registry by name; `new Registry()` a private one.
//
// Look-ups are cached per thread: the first `registry.counter(name, {labels})` asks the core
// (which creates the series or finds it) and wraps the handle; later calls with the same kind,
// name and label values return that same JS object without crossing into Rust. Only successful
// look-ups are cached, so every error still comes from the core.
//
// Series can be removed (`remove`, `clearFamily`, `clear`, from any thread or language), after
// which the same key names a new series: a cached metric may be a removed one. So every look-up
// first reads the registry's removal count (the core's `Registry::removals`, which grows after
// every removal) and empties this thread's cache when it changed since the last look-up. The
// count is read without a native call: `registryRemovalsCell` maps its 8 bytes as an external
// ArrayBuffer, read here through a Float64Array (one plain 8-byte load, never torn, as
// lib/cells.js reads a histogram's extremes; only equality of the bits matters, and no count
// below 2^62 has the bits of a NaN). The count is read before the core is asked, so a metric
// that a removal overtakes is cached under the older count and dropped at the next look-up.
// Where external buffers are unavailable, the count is a native call (`registryRemovals`).
//
// Ordering: the plain load on the hot path cannot miss a removal that happened before the
// look-up (whatever ordered the two, a postMessage, an Atomics.wait or a native call, orders this
// load too, and a load of the cell never sees an older value than an earlier load saw). When it
// sees a change, the slow path reads the cell again with Atomics.load (sequentially consistent,
// so an acquire, as the C ABI's contract for ap_registry_removals_cell asks) before the core is
// asked, so that the core's look-up sees every removal the count announced on any CPU, not only
// on x86-64, whose plain loads are acquires already. An Atomics.load on the hot path would cost
// about 13 ns a look-up; the plain load costs a few.

const inspect = Symbol.for('nodejs.util.inspect.custom')

function withCode(e, code) {
  e.code = code
  return e
}
const typeError = (message) => withCode(new TypeError(message), 'AP_ERR_INVALID_ARGUMENT')
const rangeError = (message) => withCode(new RangeError(message), 'AP_ERR_OUT_OF_RANGE')
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

const EMPTY = Object.freeze({})
const NO_LABELS = Object.freeze([])
// The end of a path in the look-up cache (no label name or value can equal it).
const LEAF = Symbol('metric')
// A registry's removal count before it is mapped, or where it cannot be: a NaN, which differs
// from every count, so that every look-up takes the slow path (Registry#revalidate).
const UNMAPPED = new Float64Array([NaN])

function options(value, what) {
  if (value === undefined) return EMPTY
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${typeName(value)}`)
  }
  return value
}

// Passed as the first constructor argument to wrap a native registry handle; not exported.
const FROM_HANDLE = Symbol('atomicperf registry handle')

/** A label value as a string: numbers, bigints and booleans converted as prom-client does. */
function labelValue(n, v) {
  const t = typeof v
  if (t === 'string') return v
  if (t !== 'number' && t !== 'bigint' && t !== 'boolean') {
    throw typeError(`the value of label ${JSON.stringify(n)} must be a string, got ${typeName(v)}`)
  }
  return String(v)
}

/** The label names of a look-up, sorted (the cache's path order), after checking `labels`. */
function labelNames(labels) {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
    throw typeError(`labels must be an object {name: value}, got ${typeName(labels)}`)
  }
  const names = Object.keys(labels)
  if (names.length > 1) names.sort()
  return names
}

/**
 * The cached metric of a look-up, or undefined. The cache is a trie of Maps: metric name, then
 * for each label in name order its name and its value, then LEAF. No key strings are built, so
 * a hit costs a few Map look-ups of strings whose hashes V8 has already computed.
 */
function cached(cache, name, labels) {
  if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
  let node = cache.get(name)
  if (labels !== undefined) {
    const names = labelNames(labels)
    for (let i = 0; i < names.length; i++) {
      const n = names[i]
      const v = labelValue(n, labels[n])
      if (node !== undefined) node = node.get(n)
      if (node !== undefined) node = node.get(v)
    }
  }
  return node === undefined ? undefined : node.get(LEAF)
}

/** The flat `[name, value, ...]` array a native look-up takes. */
function flatLabels(labels) {
  if (labels === undefined) return NO_LABELS
  const names = labelNames(labels)
  const flat = new Array(names.length * 2)
  for (let i = 0; i < names.length; i++) {
    flat[2 * i] = names[i]
    flat[2 * i + 1] = labelValue(names[i], labels[names[i]])
  }
  return flat
}

/** Caches `metric` under its name and labels; `flat` is in sorted name order. */
function remember(cache, name, flat, metric) {
  let node = cache.get(name)
  if (node === undefined) cache.set(name, (node = new Map()))
  for (let i = 0; i < flat.length; i++) {
    let next = node.get(flat[i])
    if (next === undefined) node.set(flat[i], (next = new Map()))
    node = next
  }
  node.set(LEAF, metric)
  return metric
}

/** `[lowest, highest]` of a `denseRange` option (both undefined when it is omitted). */
function denseRangeOf(range) {
  if (range === undefined) return [undefined, undefined]
  if (!Array.isArray(range) || range.length !== 2) {
    throw typeError(`denseRange must be an array [lowest, highest], got ${typeName(range)}`)
  }
  return range
}

/** The export format number of `metrics()`'s `format` option (FORMATS: name -> number). */
function formatNumber(FORMATS, opts) {
  const { format = 'prometheus' } = options(opts, 'metrics')
  if (typeof format !== 'string') throw typeError(`format must be a string, got ${typeName(format)}`)
  const f = FORMATS[format]
  if (typeof f !== 'number' || !Object.hasOwn(FORMATS, format)) {
    throw rangeError(`unknown format ${JSON.stringify(format)}: expected 'prometheus', 'openmetrics', 'json' or 'protobuf'`)
  }
  return f
}

function checkHelp(help) {
  if (help !== undefined && typeof help !== 'string') {
    throw typeError(`help must be a string, got ${typeName(help)}`)
  }
}

module.exports = function defineRegistry(calls, wrap, internals) {
  const {
    registryNew, registryGlobal, registryNamed, registryCounter, registryGauge, registryHistogram,
    registryTimer, registryMinmax, registryExport, registryLen, registrySame, registryContentTypes,
    registrySetSeriesLimit, registrySeriesStats, registryNativeHistogram, exportNegotiate,
    registryRemove, registryClearFamily, registryClear, registryRemovals, registryRemovalsCell,
  } = calls
  const [PROMETHEUS_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE, PROTOBUF_CONTENT_TYPE] = registryContentTypes()
  const FORMATS = { prometheus: 0, openmetrics: 1, json: 2, protobuf: 3 }
  const DefaultMetrics = require('./default-metrics.js')(calls, wrap, { typeError, rangeError, typeName })
  // Required here, not at the top: lib/summary.js requires this module's `lookup`.
  const { summaryArgs } = require('./summary.js')

  /**
   * The format to answer a scrape with, from its Accept header (the core's negotiate: the
   * supported media range with the highest q; protobuf only with
   * proto=io.prometheus.client.MetricFamily and encoding=delimited; Prometheus text for an empty,
   * absent or unsupported header): `{ format, contentType }`, `format` a `metrics()` format.
   */
  function negotiate(accept) {
    if (accept === undefined || accept === null) accept = ''
    else if (Array.isArray(accept)) accept = accept.join(',')
    if (typeof accept !== 'string') throw typeError(`accept must be a string, got ${typeName(accept)}`)
    const [format, contentType] = exportNegotiate(accept)
    return { format, contentType }
  }

  /** Named metrics with labels, get-or-create, exported as Prometheus text, OpenMetrics or JSON. */
  class Registry {
    #h
    // Per kind: the trie of cached metrics (see `cached`).
    #counters = new Map()
    #gauges = new Map()
    #histograms = new Map()
    #timers = new Map()
    #minmaxes = new Map()
    #natives = new Map()
    #summaries = new Map()
    // Float64Array over the registry's removal count (see the module's comment); UNMAPPED
    // until the first look-up maps it (which may be the first use of the direct path: its
    // self-check runs then, not when the module loads), and for good where the count is a native
    // call.
    #removals = UNMAPPED
    // The same cell as 32-bit words, for Atomics.load (the acquire of the slow path).
    #removalWords = null
    // The count (its bits as a double) when the cache was last known good; -1, the bits of no
    // count, while the cache is still empty.
    #seen = -1
    // This thread's default metrics (registerDefaultMetrics), set before every export.
    #defaults = null

    constructor(from, handle) {
      this.#h = from === FROM_HANDLE ? handle : registryNew()
    }

    /**
     * Empties the look-up cache if series were removed since the last look-up. Called by every
     * look-up when `#removals[0] !== #seen` (inline: the check that stays on the hot path),
     * always so for UNMAPPED.
     */
    #revalidate() {
      if (this.#removals === UNMAPPED && internals.directAvailable()) {
        const cell = registryRemovalsCell(this.#h)
        if (cell !== null) {
          this.#removalWords = new Int32Array(cell)
          this.#removals = new Float64Array(cell)
        }
      }
      let now
      if (this.#removals === UNMAPPED) {
        now = registryRemovals(this.#h) // a SeqCst load in the core
      } else {
        Atomics.load(this.#removalWords, 0) // the acquire: see the module's comment
        now = this.#removals[0]
      }
      if (now !== this.#seen) {
        this.#seen = now
        this.#counters.clear()
        this.#gauges.clear()
        this.#histograms.clear()
        this.#timers.clear()
        this.#minmaxes.clear()
        this.#natives.clear()
        this.#summaries.clear()
      }
    }

    /** The process-wide default registry (the exported `registry`). */
    static global() {
      return defaultRegistry
    }

    /** The process-wide registry called `name`, shared by every thread; created on first use. */
    static named(name) {
      if (typeof name !== 'string') throw typeError(`a registry name must be a string, got ${typeName(name)}`)
      let r = namedRegistries.get(name)
      if (r === undefined) {
        r = new Registry(FROM_HANDLE, registryNamed(name))
        namedRegistries.set(name, r)
      }
      return r
    }

    counter(name, opts) {
      const { help, labels } = options(opts, 'counter')
      checkHelp(help)
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#counters, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#counters, name, flat, wrap.counter(registryCounter(this.#h, name, help, flat)))
    }

    gauge(name, opts) {
      const { help, labels } = options(opts, 'gauge')
      checkHelp(help)
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#gauges, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#gauges, name, flat, wrap.gauge(registryGauge(this.#h, name, help, flat)))
    }

    histogram(name, opts) {
      const { help, labels, buckets, scale } = options(opts, 'histogram')
      checkHelp(help)
      if (buckets !== undefined && !Array.isArray(buckets)) {
        throw typeError(`buckets must be an array of numbers, got ${typeName(buckets)}`)
      }
      if (scale !== undefined && typeof scale !== 'number') {
        throw typeError(`scale must be a number, got ${typeName(scale)}`)
      }
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#histograms, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#histograms, name, flat, wrap.histogram(registryHistogram(this.#h, name, help, flat, buckets, scale)))
    }

    /**
     * The summary `name` with these labels, created if absent: quantiles over a sliding window
     * exported as `name{quantile="0.5"}`..., `name_sum` and `name_count` over all time
     * (nanoseconds recorded, seconds exported unless `scale` says otherwise). The options
     * (`quantiles`, `maxAgeSeconds`, `ageBuckets`, `significantFigures`, `highest`, `scale`) lay
     * out a new family and are ignored for an existing one; `quantile` is a reserved label.
     */
    summary(name, opts) {
      const o = options(opts, 'summary')
      const { help, labels, scale } = o
      checkHelp(help)
      const args = summaryArgs(o)
      if (scale !== undefined && typeof scale !== 'number') {
        throw typeError(`scale must be a number, got ${typeName(scale)}`)
      }
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#summaries, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      const h = calls.registrySummary(this.#h, name, help, flat, ...args, scale)
      return remember(this.#summaries, name, flat, wrap.summary(h))
    }

    timer(name, opts) {
      const { help, labels } = options(opts, 'timer')
      checkHelp(help)
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#timers, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#timers, name, flat, wrap.timer(registryTimer(this.#h, name, help, flat)))
    }

    minmax(name, opts) {
      const { help, labels } = options(opts, 'minmax')
      checkHelp(help)
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#minmaxes, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#minmaxes, name, flat, wrap.minmax(registryMinmax(this.#h, name, help, flat)))
    }

    nativeHistogram(name, opts) {
      const { help, labels, schema, zeroThreshold, denseRange, classicBuckets } = options(opts, 'nativeHistogram')
      checkHelp(help)
      if (classicBuckets !== undefined && !Array.isArray(classicBuckets)) {
        throw typeError(`classicBuckets must be an array of numbers, got ${typeName(classicBuckets)}`)
      }
      const [lowest, highest] = denseRangeOf(denseRange)
      if (this.#removals[0] !== this.#seen) this.#revalidate()
      const m = cached(this.#natives, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      const h = registryNativeHistogram(this.#h, name, help, flat, schema, zeroThreshold, lowest, highest, classicBuckets)
      return remember(this.#natives, name, flat, wrap.nativeHistogram(h))
    }

    /**
     * The info `name` with these labels, created (with no pairs) if absent; exported as
     * `<name>_info`. Not cached: one native call each (an info is looked up rarely).
     */
    info(name, opts) {
      const { help, labels } = options(opts, 'info')
      checkHelp(help)
      if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
      return wrap.info(calls.registryInfo(this.#h, name, help, flatLabels(labels)))
    }

    /**
     * The enum `name` with these labels, created in its first state if absent; `states` (an
     * array of strings, required) lays out a new family and is ignored for an existing one. Not
     * cached, as `info`.
     */
    enum(name, opts) {
      const { help, labels, states } = options(opts, 'enum')
      checkHelp(help)
      if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
      if (!Array.isArray(states)) throw typeError(`states must be an array of strings, got ${typeName(states)}`)
      return wrap.enum(calls.registryEnum(this.#h, name, help, flatLabels(labels), states))
    }

    /**
     * Removes the series of family `name` with these labels (an object, as in a look-up):
     * `false` if there was none. A metric object of it keeps working, never exported again; a
     * new look-up creates a new series from zero.
     */
    remove(name, labels) {
      if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
      return registryRemove(this.#h, name, flatLabels(labels))
    }

    /** Removes every series of family `name`; returns how many there were. */
    clearFamily(name) {
      if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
      return registryClearFamily(this.#h, name)
    }

    /** Removes every series of every family; returns how many there were. */
    clear() {
      return registryClear(this.#h)
    }

    /**
     * Registers the default metrics (lib/default-metrics.js): the process metrics and
     * prom-client's Node.js ones, set at each `metrics()` of this thread. Again: nothing more.
     * Options: `gcDurationBuckets`, `eventLoopMonitoringPrecision` (ms), as prom-client's.
     */
    registerDefaultMetrics(opts) {
      if (this.#defaults === null) this.#defaults = new DefaultMetrics(this, this.#h, opts)
    }

    metrics(opts) {
      const format = formatNumber(FORMATS, opts)
      if (this.#defaults !== null) this.#defaults.collect()
      return registryExport(this.#h, format)
    }

    get contentType() {
      return PROMETHEUS_CONTENT_TYPE
    }

    get size() {
      return registryLen(this.#h)
    }

    /**
     * The cap on the number of series (one per name and label values), or `null` for none.
     * Creating a series past it throws a TypeError with code AP_ERR_INVALID_ARGUMENT; existing
     * series keep working.
     */
    get seriesLimit() {
      const limit = registrySeriesStats(this.#h)[1]
      return limit === 0 ? null : limit
    }

    set seriesLimit(limit) {
      if (limit === null || limit === undefined) {
        registrySetSeriesLimit(this.#h, 0)
        return
      }
      if (!Number.isSafeInteger(limit) || limit < 1) {
        throw rangeError(`a series limit must be a positive integer or null, got ${String(limit)}`)
      }
      registrySetSeriesLimit(this.#h, limit)
    }

    /** Number of series in the registry (every label set of every family). */
    get seriesCount() {
      return registrySeriesStats(this.#h)[0]
    }

    /** Number of series refused because the limit was reached. */
    get refusedSeries() {
      return registrySeriesStats(this.#h)[2]
    }

    /** Whether `other` is a wrapper of the same native registry. */
    isSameAs(other) {
      if (other === null || typeof other !== 'object' || !(#h in other)) return false
      return registrySame(this.#h, other.#h)
    }

    toString() {
      return `Registry(${registryLen(this.#h)} families)`
    }

    [inspect]() {
      return `Registry { families: ${registryLen(this.#h)} }`
    }

    static {
      // For bench/registry.js: a look-up that skips this thread's cache (the native call, the
      // wrapping and the cell buffer every first look-up in a thread pays).
      internals.registry = {
        counterUncached: (r, name, labels) => wrap.counter(registryCounter(r.#h, name, undefined, flatLabels(labels))),
        // The view over the removal count (null: native calls), for the tests.
        removalsView: (r) => (r.#removals === UNMAPPED ? null : r.#removals),
      }
    }

    static PROMETHEUS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE
    static OPENMETRICS_CONTENT_TYPE = OPENMETRICS_CONTENT_TYPE
    static JSON_CONTENT_TYPE = 'application/json'
    static PROTOBUF_CONTENT_TYPE = PROTOBUF_CONTENT_TYPE
  }

  const defaultRegistry = new Registry(FROM_HANDLE, registryGlobal())
  const namedRegistries = new Map()

  /**
   * prom-client's call: `collectDefaultMetrics({ register })` registers the default metrics in
   * `register` (the default registry when absent); the other options as registerDefaultMetrics.
   */
  function collectDefaultMetrics(config) {
    const { register = defaultRegistry, ...opts } = options(config, 'collectDefaultMetrics')
    if (!(register instanceof Registry)) {
      throw typeError(`register must be a Registry, got ${typeName(register)}`)
    }
    register.registerDefaultMetrics(opts)
  }

  return { Registry, registry: defaultRegistry, negotiate, collectDefaultMetrics }
}

// For lib/shared-registry.js: the same look-ups, checks and errors.
module.exports.lookup = {
  withCode, typeError, rangeError, typeName, options, cached, flatLabels, remember, checkHelp, formatNumber,
}
