'use strict'
// Default metrics (`registry.registerDefaultMetrics()`, or prom-client's call
// `collectDefaultMetrics({ register })`): the core's process metrics, read from /proc at each
// export, and prom-client's Node.js metrics under its names, help texts and buckets:
//
// - nodejs_eventloop_lag_seconds (measured as prom-client does: from a scrape to the next
//   setImmediate, so a scrape reports the lag measured at the one before), and
//   nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds from
//   perf_hooks.monitorEventLoopDelay (reset at every scrape);
// - nodejs_gc_duration_seconds{kind}: a histogram recorded by a PerformanceObserver of 'gc'
//   entries as collections happen;
// - nodejs_heap_size_total_bytes, nodejs_heap_size_used_bytes, nodejs_external_memory_bytes
//   (process.memoryUsage()), nodejs_active_handles_total, nodejs_active_requests_total;
// - nodejs_version_info{version,major,minor,patch} 1.
//
// The gauges are the core's collected gauges (a gauge or counter look-up of their names fails,
// so they are never shared by accident) and are set in `collect()`, which `metrics()` calls just
// before the export: nothing runs between scrapes but the event-loop monitor and the GC observer.
// They are this thread's values: a worker's `metrics()` sets them only if it registered them too.

const perfHooks = require('node:perf_hooks')

const GC_DURATION_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5]

// [key, name, help] of every collected gauge without labels, prom-client's texts.
const GAUGES = [
  ['lag', 'nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.'],
  ['lagMin', 'nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'],
  ['lagMax', 'nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'],
  ['lagMean', 'nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'],
  ['lagStddev', 'nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'],
  ['lagP50', 'nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'],
  ['lagP90', 'nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'],
  ['lagP99', 'nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'],
  ['heapTotal', 'nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.'],
  ['heapUsed', 'nodejs_heap_size_used_bytes', 'Process heap size used from Node.js in bytes.'],
  ['external', 'nodejs_external_memory_bytes', 'Node.js external memory size in bytes.'],
  ['handles', 'nodejs_active_handles_total', 'Total number of active handles.'],
  ['requests', 'nodejs_active_requests_total', 'Total number of active requests.'],
]
const VERSION = ['nodejs_version_info', 'Node.js version info.']
const GC = ['nodejs_gc_duration_seconds', 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.']

const GC_KINDS = []
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_MAJOR] = 'major'
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_MINOR] = 'minor'
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_INCREMENTAL] = 'incremental'
GC_KINDS[perfHooks.constants.NODE_PERFORMANCE_GC_WEAKCB] = 'weakcb'

module.exports = function defineDefaultMetrics(calls, wrap, errors) {
  const { registryRegisterProcessMetrics, registryCollectedGauge, registryRemovals } = calls
  const { typeError, rangeError, typeName } = errors

  function options(opts) {
    if (opts === undefined || opts === null) opts = {}
    if (typeof opts !== 'object') throw typeError(`default metrics options must be an object, got ${typeName(opts)}`)
    const { gcDurationBuckets = GC_DURATION_BUCKETS, eventLoopMonitoringPrecision = 10 } = opts
    for (const unsupported of ['prefix', 'labels']) {
      if (opts[unsupported] !== undefined) {
        throw typeError(`default metrics option '${unsupported}' is not supported: the names and labels are the ones every Prometheus client uses`)
      }
    }
    if (!Array.isArray(gcDurationBuckets)) {
      throw typeError(`gcDurationBuckets must be an array of numbers, got ${typeName(gcDurationBuckets)}`)
    }
    if (!Number.isSafeInteger(eventLoopMonitoringPrecision) || eventLoopMonitoringPrecision < 1) {
      throw rangeError(`eventLoopMonitoringPrecision must be a positive integer (ms), got ${String(eventLoopMonitoringPrecision)}`)
    }
    return { gcDurationBuckets, eventLoopMonitoringPrecision }
  }

  const [major, minor, patch] = process.version.slice(1).split('.')
  const versionLabels = ['major', major, 'minor', minor, 'patch', patch, 'version', process.version]

  /** The default metrics of one registry in this thread. */
  class DefaultMetrics {
    #registry
    #h
    #gauges
    #removals
    #delay
    #observer
    #gc = []

    constructor(registry, h, opts) {
      const { gcDurationBuckets, eventLoopMonitoringPrecision } = options(opts)
      this.#registry = registry
      this.#h = h
      // Every name first (the core's refusals), then the observers.
      registryRegisterProcessMetrics(h)
      this.#gauges = this.#lookUp()
      this.#gcHistogram('major', gcDurationBuckets)
      this.#delay = perfHooks.monitorEventLoopDelay({ resolution: eventLoopMonitoringPrecision })
      this.#delay.enable()
      this.#observer = new perfHooks.PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          const kind = GC_KINDS[entry.detail ? entry.detail.kind : entry.kind]
          // ms to ns (the histogram records ns and exports seconds).
          this.#gcHistogram(kind, gcDurationBuckets).record(Math.round(entry.duration * 1e6))
        }
      })
      this.#observer.observe({ entryTypes: ['gc'] })
    }

    #gcHistogram(kind, buckets) {
      return this.#registry.histogram(GC[0], { help: GC[1], labels: { kind: kind ?? 'unknown' }, buckets })
    }

    /** The collected gauges (again after series were removed: they come back). */
    #lookUp() {
      this.#removals = registryRemovals(this.#h)
      const gauges = {}
      for (const [key, name, help] of GAUGES) {
        gauges[key] = wrap.gauge(registryCollectedGauge(this.#h, name, help, []))
      }
      gauges.version = wrap.gauge(registryCollectedGauge(this.#h, VERSION[0], VERSION[1], versionLabels))
      return gauges
    }

    /** Sets every gauge to its value now (metrics() calls it before the export). */
    collect() {
      if (registryRemovals(this.#h) !== this.#removals) this.#gauges = this.#lookUp()
      const g = this.#gauges
      const start = process.hrtime.bigint()
      setImmediate(() => g.lag.set(Number(process.hrtime.bigint() - start) / 1e9))
      const d = this.#delay
      g.lagMin.set(d.min / 1e9)
      g.lagMax.set(d.max / 1e9)
      g.lagMean.set(d.mean / 1e9)
      g.lagStddev.set(d.stddev / 1e9)
      g.lagP50.set(d.percentile(50) / 1e9)
      g.lagP90.set(d.percentile(90) / 1e9)
      g.lagP99.set(d.percentile(99) / 1e9)
      d.reset()
      const memory = process.memoryUsage()
      g.heapTotal.set(memory.heapTotal)
      g.heapUsed.set(memory.heapUsed)
      g.external.set(memory.external)
      if (typeof process._getActiveHandles === 'function') g.handles.set(process._getActiveHandles().length)
      if (typeof process._getActiveRequests === 'function') g.requests.set(process._getActiveRequests().length)
      g.version.set(1)
    }
  }

  return DefaultMetrics
}
