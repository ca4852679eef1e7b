'use strict'
// Registry: named, labelled metrics (get-or-create) and their Prometheus / OpenMetrics / JSON
// export, over the native functions of src/registry.rs (the core's `Registry`).
//
// index.js calls this module's function once with its native calls and with `wrap`, functions
// that turn a metric handle from the registry into the public Counter, Gauge, Histogram, Timer
// or MinMax (the same classes `new Counter()` makes: a registry counter still adds to its
// Rust-owned cells with Atomics). The handles passed to the native functions come only from
// this class's private field, which keeps the trusted build sound (see index.js).
//
// `registry` is the process-wide default registry (core's `Registry::global()`): every
// worker_thread loads the same addon, so every thread's `registry` is the same Rust registry,
// and a counter that four workers look up is one counter. `Registry.named(name)` opens a
// process-wide registry by name; `new Registry()` a private one.
//
// Look-ups are cached per thread: the first `registry.counter(name, {labels})` asks the core
// (which creates the series or finds it) and wraps the handle; later calls with the same kind,
// name and label values return that same JS object without crossing into Rust. That is sound
// because the core never removes a series, so the same key always names the same metric.

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

function options(value, what) {
  if (value === undefined) return EMPTY
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${typeName(value)}`)
  }
  return value
}

// Passed as the first constructor argument to wrap a native registry handle; not exported.
const FROM_HANDLE = Symbol('atomicperf registry handle')

module.exports = function defineRegistry(calls, wrap) {
  const {
    registryNew, registryGlobal, registryNamed, registryCounter, registryGauge, registryHistogram,
    registryTimer, registryMinmax, registryExport, registryLen, registrySame, registryContentTypes,
  } = calls
  const [PROMETHEUS_CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE] = registryContentTypes()
  const FORMATS = { prometheus: 0, openmetrics: 1, json: 2 }

  /**
   * The cache key of a look-up (length-prefixed, so that no two label sets share one) and the
   * flat `[name, value, ...]` array the native call takes. Label values may be strings, numbers,
   * bigints or booleans (converted with String, as prom-client does).
   */
  function labelKey(name, labels) {
    if (typeof name !== 'string') throw typeError(`a metric name must be a string, got ${typeName(name)}`)
    let key = `${name.length}:${name}`
    if (labels === undefined) return [key, NO_LABELS]
    if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) {
      throw typeError(`labels must be an object {name: value}, got ${typeName(labels)}`)
    }
    const names = Object.keys(labels)
    if (names.length > 1) names.sort()
    const flat = new Array(names.length * 2)
    for (let i = 0; i < names.length; i++) {
      const n = names[i]
      let v = labels[n]
      const t = typeof v
      if (t !== 'string') {
        if (t !== 'number' && t !== 'bigint' && t !== 'boolean') {
          throw typeError(`the value of label ${JSON.stringify(n)} must be a string, got ${typeName(v)}`)
        }
        v = String(v)
      }
      key += `${n.length}:${n}${v.length}:${v}`
      flat[2 * i] = n
      flat[2 * i + 1] = v
    }
    return [key, flat]
  }

  function checkHelp(help) {
    if (help !== undefined && typeof help !== 'string') {
      throw typeError(`help must be a string, got ${typeName(help)}`)
    }
  }

  /** Named metrics with labels, get-or-create, exported as Prometheus text, OpenMetrics or JSON. */
  class Registry {
    #h
    // Per kind: cache key -> the JS metric (see the top of the file).
    #counters = new Map()
    #gauges = new Map()
    #histograms = new Map()
    #timers = new Map()
    #minmaxes = new Map()

    constructor(from, handle) {
      this.#h = from === FROM_HANDLE ? handle : registryNew()
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
      const [key, flat] = labelKey(name, labels)
      let m = this.#counters.get(key)
      if (m === undefined) {
        m = wrap.counter(registryCounter(this.#h, name, help, flat))
        this.#counters.set(key, m)
      }
      return m
    }

    gauge(name, opts) {
      const { help, labels } = options(opts, 'gauge')
      checkHelp(help)
      const [key, flat] = labelKey(name, labels)
      let m = this.#gauges.get(key)
      if (m === undefined) {
        m = wrap.gauge(registryGauge(this.#h, name, help, flat))
        this.#gauges.set(key, m)
      }
      return m
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
      const [key, flat] = labelKey(name, labels)
      let m = this.#histograms.get(key)
      if (m === undefined) {
        m = wrap.histogram(registryHistogram(this.#h, name, help, flat, buckets, scale))
        this.#histograms.set(key, m)
      }
      return m
    }

    timer(name, opts) {
      const { help, labels } = options(opts, 'timer')
      checkHelp(help)
      const [key, flat] = labelKey(name, labels)
      let m = this.#timers.get(key)
      if (m === undefined) {
        m = wrap.timer(registryTimer(this.#h, name, help, flat))
        this.#timers.set(key, m)
      }
      return m
    }

    minmax(name, opts) {
      const { help, labels } = options(opts, 'minmax')
      checkHelp(help)
      const [key, flat] = labelKey(name, labels)
      let m = this.#minmaxes.get(key)
      if (m === undefined) {
        m = wrap.minmax(registryMinmax(this.#h, name, help, flat))
        this.#minmaxes.set(key, m)
      }
      return m
    }

    metrics(opts) {
      const { format = 'prometheus' } = options(opts, 'metrics')
      if (typeof format !== 'string') throw typeError(`format must be a string, got ${typeName(format)}`)
      const f = FORMATS[format]
      if (typeof f !== 'number' || !Object.hasOwn(FORMATS, format)) {
        throw rangeError(`unknown format ${JSON.stringify(format)}: expected 'prometheus', 'openmetrics' or 'json'`)
      }
      return registryExport(this.#h, f)
    }

    get contentType() {
      return PROMETHEUS_CONTENT_TYPE
    }

    get size() {
      return registryLen(this.#h)
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

    static PROMETHEUS_CONTENT_TYPE = PROMETHEUS_CONTENT_TYPE
    static OPENMETRICS_CONTENT_TYPE = OPENMETRICS_CONTENT_TYPE
    static JSON_CONTENT_TYPE = 'application/json'
  }

  const defaultRegistry = new Registry(FROM_HANDLE, registryGlobal())
  const namedRegistries = new Map()

  return { Registry, registry: defaultRegistry }
}
