'use strict'
// SharedRegistry: named, labelled metrics in one shared-memory segment that every process opens
// by name (cluster workers, child processes, processes of other languages), over the native
// functions of src/shared_registry.rs (the core's `SharedRegistry`).
//
// The API is Registry's (lib/registry.js: the same look-ups, label rules, cache and errors), and
// its metrics are the same Counter, Gauge, Histogram and Timer classes, wrapped around handles
// whose cells live in the segment: `inc()`, `set()` and `record()` take the same direct Atomics
// path (index.js, lib/cells.js) into shared memory, so they cost what they cost in process. Each
// metric keeps the mapping alive (the core's keeper, held by the handle and by every cell buffer),
// so a metric keeps working after `close()` and after `unlink()`.
//
// Gauges keep one value per process, combined at export by their mode (the core's GaugeMode):
// a gauge's look-up cache is per mode, so a look-up with another mode reaches the core and gets
// its error.

const {
  withCode, typeError, typeName, options, cached, flatLabels, remember, checkHelp, formatNumber,
} = require('./registry.js').lookup

const inspect = Symbol.for('nodejs.util.inspect.custom')
const FORMATS = { prometheus: 0, openmetrics: 1, json: 2, protobuf: 3 }
// The cache of a gauge mode not looked up yet (never written).
const NOTHING_CACHED = new Map()

function closedError() {
  return withCode(new Error('the shared registry is closed'), 'AP_ERR_CLOSED')
}

module.exports = function defineSharedRegistry(calls, wrap, Registry) {
  const {
    sharedRegistryNew, sharedRegistryRemove, sharedRegistryUnlink, sharedRegistryClose,
    sharedRegistryCounter, sharedRegistryGauge, sharedRegistryHistogram, sharedRegistryTimer,
    sharedRegistryExport, sharedRegistryPath, sharedRegistryStats, sharedRegistrySame,
  } = calls

  function checkName(pathOrName) {
    if (typeof pathOrName !== 'string') {
      throw typeError(`a shared registry name or path must be a string, got ${typeName(pathOrName)}`)
    }
  }

  function checkDir(dir) {
    if (dir !== undefined && typeof dir !== 'string') throw typeError(`dir must be a string, got ${typeName(dir)}`)
  }

  /** Metrics shared by every process that opens the same segment, exported combined. */
  class SharedRegistry {
    #h
    #closed = false
    #path
    // Per kind: the trie of cached metrics (lib/registry.js `cached`); gauges per mode.
    #counters = new Map()
    #gauges = new Map()
    #histograms = new Map()
    #timers = new Map()

    constructor(pathOrName, opts) {
      checkName(pathOrName)
      const { dir, mode, maxSeries, maxProcesses, counterStripes, dataBytes, openExisting } =
        options(opts, 'SharedRegistry')
      checkDir(dir)
      if (openExisting !== undefined && typeof openExisting !== 'boolean') {
        throw typeError(`openExisting must be a boolean, got ${typeName(openExisting)}`)
      }
      this.#h = sharedRegistryNew(pathOrName, dir, mode, maxSeries, maxProcesses, counterStripes, dataBytes,
        openExisting === undefined ? undefined : !openExisting)
      this.#path = sharedRegistryPath(this.#h)
    }

    /** Removes the segment file `pathOrName` (in `dir`, as the constructor resolves it). */
    static remove(pathOrName, opts) {
      checkName(pathOrName)
      const { dir } = options(opts, 'remove')
      checkDir(dir)
      sharedRegistryRemove(pathOrName, dir)
    }

    #open() {
      if (this.#closed) throw closedError()
      return this.#h
    }

    counter(name, opts) {
      const h = this.#open()
      const { help, labels } = options(opts, 'counter')
      checkHelp(help)
      const m = cached(this.#counters, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#counters, name, flat, wrap.counter(sharedRegistryCounter(h, name, help, flat)))
    }

    gauge(name, opts) {
      const h = this.#open()
      const { help, labels, mode = 'all' } = options(opts, 'gauge')
      checkHelp(help)
      if (typeof mode !== 'string') throw typeError(`mode must be a string, got ${typeName(mode)}`)
      let byMode = this.#gauges.get(mode)
      const m = cached(byMode ?? NOTHING_CACHED, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      const gauge = wrap.gauge(sharedRegistryGauge(h, name, help, flat, mode))
      if (byMode === undefined) this.#gauges.set(mode, (byMode = new Map()))
      return remember(byMode, name, flat, gauge)
    }

    histogram(name, opts) {
      const h = this.#open()
      const { help, labels, buckets, scale } = options(opts, 'histogram')
      checkHelp(help)
      if (buckets !== undefined && !Array.isArray(buckets)) {
        throw typeError(`buckets must be an array of numbers, got ${typeName(buckets)}`)
      }
      if (scale !== undefined && typeof scale !== 'number') {
        throw typeError(`scale must be a number, got ${typeName(scale)}`)
      }
      const m = cached(this.#histograms, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#histograms, name, flat,
        wrap.histogram(sharedRegistryHistogram(h, name, help, flat, buckets, scale)))
    }

    timer(name, opts) {
      const h = this.#open()
      const { help, labels } = options(opts, 'timer')
      checkHelp(help)
      const m = cached(this.#timers, name, labels)
      if (m !== undefined) return m
      const flat = flatLabels(labels)
      return remember(this.#timers, name, flat, wrap.timer(sharedRegistryTimer(h, name, help, flat)))
    }

    /** Every process's metrics, combined, as Registry.metrics() formats them ('protobuf': a Buffer). */
    metrics(opts) {
      const h = this.#open()
      return sharedRegistryExport(h, formatNumber(FORMATS, opts))
    }

    get contentType() {
      return Registry.PROMETHEUS_CONTENT_TYPE
    }

    /** The segment file (also after close). */
    get path() {
      return this.#path
    }

    /** Number of metric families in the segment, registered by any process. */
    get size() {
      return sharedRegistryStats(this.#open())[0]
    }

    /** Number of series in the segment, registered by any process. */
    get seriesCount() {
      return sharedRegistryStats(this.#open())[1]
    }

    /** The segment's capacity in series. */
    get maxSeries() {
      return sharedRegistryStats(this.#open())[2]
    }

    /** Slots of the segment's process table. */
    get maxProcesses() {
      return sharedRegistryStats(this.#open())[3]
    }

    /** Series refused because the segment was full (by any process). */
    get refusedSeries() {
      return sharedRegistryStats(this.#open())[4]
    }

    /** Times a process found the process table full. */
    get refusedProcesses() {
      return sharedRegistryStats(this.#open())[5]
    }

    /** Removes the segment's file name; this registry and its metrics keep working. */
    unlink() {
      sharedRegistryUnlink(this.#open())
    }

    /**
     * Lets go of the registry: later calls on it throw AP_ERR_CLOSED. Metrics it returned keep
     * working (and keep the segment mapped) until they are collected. Closing twice is a no-op.
     */
    close() {
      if (this.#closed) return
      this.#closed = true
      sharedRegistryClose(this.#h)
      this.#counters.clear()
      this.#gauges.clear()
      this.#histograms.clear()
      this.#timers.clear()
    }

    get closed() {
      return this.#closed
    }

    /** Whether `other` is this same opened registry (two opens of one segment are not). */
    isSameAs(other) {
      if (other === null || typeof other !== 'object' || !(#h in other)) return false
      return sharedRegistrySame(this.#h, other.#h)
    }

    toString() {
      if (this.#closed) return `SharedRegistry(${JSON.stringify(this.#path)}, closed)`
      return `SharedRegistry(${JSON.stringify(this.#path)}, families=${sharedRegistryStats(this.#h)[0]})`
    }

    [inspect]() {
      if (this.#closed) return `SharedRegistry { path: ${JSON.stringify(this.#path)}, closed: true }`
      const [families, series] = sharedRegistryStats(this.#h)
      return `SharedRegistry { path: ${JSON.stringify(this.#path)}, families: ${families}, series: ${series} }`
    }

    static PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE
    static OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE
    static JSON_CONTENT_TYPE = Registry.JSON_CONTENT_TYPE
    static PROTOBUF_CONTENT_TYPE = Registry.PROTOBUF_CONTENT_TYPE
  }

  return { SharedRegistry }
}
