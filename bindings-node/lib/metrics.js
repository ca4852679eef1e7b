'use strict'
// MinMax, Timer, RateTracker, ThroughputWindow and AsyncRecorder: JS classes over the native
// functions of src/minmax.rs, timer.rs, rate_tracker.rs, throughput_window.rs and async_recorder.rs.
//
// index.js calls this module's function once with its native calls, with `handleOf`, accessors
// that read the private handle of a Counter, Gauge or Histogram (and undefined for anything
// else), with its private FROM_HANDLE symbol, with which index.js wraps a registry's Timer or
// MinMax (the handle then comes from lib/registry.js), with `directCells`, which maps a metric's
// cells for the direct path (null: native calls), and with the internals object of the tests.
// The native functions check every handle's type tag themselves.
//
// Timer.record and MinMax.record make no native call: they record into the metric's cells
// (lib/cells.js), as Counter.inc does.

const cells = require('./cells.js')

const hrtime = process.hrtime.bigint
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER)
const inspect = Symbol.for('nodejs.util.inspect.custom')

function withCode(e, code) {
  e.code = code
  return e
}
const typeError = (message) => withCode(new TypeError(message), 'AP_ERR_INVALID_ARGUMENT')
const rangeError = (message) => withCode(new RangeError(message), 'AP_ERR_OUT_OF_RANGE')

function options(value, what) {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${value === null ? 'null' : typeof value}`)
  }
  return value
}

const noop = () => {}

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function'
}

module.exports = function defineMetrics(calls, handleOf, FROM_HANDLE, directCells, internals) {
  const {
    minmaxCells, timerCells,
    minmaxNew, minmaxRecord, minmaxMin, minmaxMax, minmaxMinBigInt, minmaxMaxBigInt, minmaxReset,
    timerNew, timerRecord, timerCount, timerCountBigInt, timerErrors, timerErrorsBigInt, timerTotal,
    timerTotalBigInt, timerMin, timerMax, timerMean, timerQuantile, timerSnapshot, timerReset,
    rateTrackerNew, rateTrackerRates,
    throughputNew, throughputRecord, throughputStats, throughputConfig,
    asyncRecorderNew, asyncRecorderRecord, asyncRecorderRecordTiming, asyncRecorderRecordGauge,
    asyncRecorderWait, asyncRecorderFlush, asyncRecorderClose, asyncRecorderEnqueued,
    asyncRecorderApplied, asyncRecorderDropped, asyncRecorderIsClosed,
  } = calls

  /** Lock-free running minimum and maximum of u64 values; empty until the first record. */
  class MinMax {
    #h
    // lib/cells.js MinMaxCells, or null: native calls.
    #cells

    constructor(from, handle) {
      // FROM_HANDLE (index.js, private): a min/max of a Registry.
      this.#h = from === FROM_HANDLE ? handle : minmaxNew()
      this.#cells = directCells(this.#h, minmaxCells, cells.MinMaxCells)
    }

    record(v) {
      const c = this.#cells
      if (c !== null && cells.isFast(v)) cells.recordExtremes(c, v)
      else minmaxRecord(this.#h, v) // the call path, and the errors for every bad argument
    }

    min() {
      return minmaxMin(this.#h)
    }

    max() {
      return minmaxMax(this.#h)
    }

    minBigInt() {
      return minmaxMinBigInt(this.#h)
    }

    maxBigInt() {
      return minmaxMaxBigInt(this.#h)
    }

    reset() {
      minmaxReset(this.#h)
    }

    toString() {
      return `MinMax(${minmaxMinBigInt(this.#h)}, ${minmaxMaxBigInt(this.#h)})`
    }

    [inspect]() {
      return `MinMax { min: ${minmaxMinBigInt(this.#h)}, max: ${minmaxMaxBigInt(this.#h)} }`
    }

    static {
      internals.minmax = { recordNative: (m, v) => minmaxRecord(m.#h, v), cells: (m) => m.#cells }
    }

    static {
      handleOf.minmax = (o) => (o !== null && typeof o === 'object' && #h in o ? o.#h : undefined)
    }
  }

  /** Execution metrics of one operation: count, errors, total, min/max and a duration histogram. */
  /**
   * Records one execution into `c` (TimerCells or null) or through a call to the timer `h`: the
   * direct path for a duration that is an integer number from 0 to 2^53-1 or a BigInt up to
   * that, and an `ok` that is a boolean or omitted.
   */
  function recordTiming(c, h, d, ok) {
    if (c !== null && (ok === undefined || typeof ok === 'boolean')) {
      if (cells.isFast(d)) {
        cells.recordTiming(c, d, ok !== false)
        return
      }
      if (typeof d === 'bigint' && d >= 0n && d <= MAX_SAFE_BIGINT) {
        cells.recordTiming(c, Number(d), ok !== false)
        return
      }
    }
    timerRecord(h, d, ok) // the call path, and the errors for every bad argument
  }

  class Timer {
    #h
    // lib/cells.js TimerCells, or null: native calls.
    #cells

    constructor(opts, handle, stripeBase = 0) {
      if (opts === FROM_HANDLE) {
        this.#h = handle // a timer of a Registry or SharedRegistry (stripeBase: see Counter)
      } else {
        const { significantFigures, highest } = options(opts, 'Timer')
        this.#h = timerNew(significantFigures, highest)
        stripeBase = 0
      }
      this.#cells = directCells(this.#h, timerCells, cells.TimerCells, stripeBase)
    }

    record(durationNs, ok) {
      const c = this.#cells
      if (c !== null && cells.isFast(durationNs) && (ok === undefined || ok === true || ok === false)) {
        cells.recordOne(c.durations, durationNs)
        if (ok === false) Atomics.add(c.errors, 0, 1n)
      } else {
        recordTiming(c, this.#h, durationNs, ok)
      }
    }

    count() {
      return timerCount(this.#h)
    }

    countBigInt() {
      return timerCountBigInt(this.#h)
    }

    errors() {
      return timerErrors(this.#h)
    }

    errorsBigInt() {
      return timerErrorsBigInt(this.#h)
    }

    total() {
      return timerTotal(this.#h)
    }

    totalBigInt() {
      return timerTotalBigInt(this.#h)
    }

    min() {
      return timerMin(this.#h)
    }

    max() {
      return timerMax(this.#h)
    }

    mean() {
      return timerMean(this.#h)
    }

    quantile(q) {
      return timerQuantile(this.#h, q)
    }

    snapshot() {
      return timerSnapshot(this.#h)
    }

    reset() {
      timerReset(this.#h)
    }

    time(fn) {
      if (typeof fn !== 'function') throw typeError(`time() expects a function, got ${fn === null ? 'null' : typeof fn}`)
      const h = this.#h
      const c = this.#cells
      const start = hrtime()
      let result
      try {
        result = fn()
      } catch (e) {
        recordTiming(c, h, hrtime() - start, false)
        throw e
      }
      if (!isThenable(result)) {
        recordTiming(c, h, hrtime() - start, true)
        return result
      }
      return Promise.resolve(result).then(
        (v) => {
          recordTiming(c, h, hrtime() - start, true)
          return v
        },
        (e) => {
          recordTiming(c, h, hrtime() - start, false)
          throw e
        },
      )
    }

    startTimer() {
      const h = this.#h
      const c = this.#cells
      const start = hrtime()
      let elapsed = -1
      return function end(ok = true) {
        if (elapsed >= 0) return elapsed // records once; later calls repeat the first answer
        if (typeof ok !== 'boolean') throw typeError(`ok must be a boolean, got ${ok === null ? 'null' : typeof ok}`)
        const d = hrtime() - start
        recordTiming(c, h, d, ok)
        elapsed = Number(d)
        return elapsed
      }
    }

    toString() {
      return `Timer(count=${timerCountBigInt(this.#h)}, errors=${timerErrorsBigInt(this.#h)})`
    }

    [inspect]() {
      const h = this.#h
      return `Timer { count: ${timerCountBigInt(h)}, errors: ${timerErrorsBigInt(h)}, total: ${timerTotalBigInt(h)} }`
    }

    static {
      internals.timer = { recordNative: (t, d, ok) => timerRecord(t.#h, d, ok), cells: (t) => t.#cells }
    }

    static {
      handleOf.timer = (o) => (o !== null && typeof o === 'object' && #h in o ? o.#h : undefined)
    }
  }

  /** Per-second rates of named counters between successive calls; the first call reports zeros. */
  class RateTracker {
    #h
    #names

    constructor(counters) {
      let entries
      if (Array.isArray(counters)) {
        entries = counters
      } else if (counters !== null && typeof counters === 'object') {
        entries = Object.entries(counters)
      } else {
        throw typeError('RateTracker expects an object {name: Counter} or an array of [name, Counter] pairs')
      }
      const names = []
      const handles = []
      for (const entry of entries) {
        if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
          throw typeError('RateTracker expects [name, Counter] pairs with a string name')
        }
        const h = handleOf.counter(entry[1])
        if (h === undefined) throw typeError(`RateTracker: ${JSON.stringify(entry[0])} is not a Counter`)
        names.push(entry[0])
        handles.push(h)
      }
      this.#h = rateTrackerNew(names, handles)
      this.#names = Object.freeze(names)
    }

    /** Names of the tracked counters, in registration order. */
    get names() {
      return this.#names
    }

    rates() {
      return Object.fromEntries(rateTrackerRates(this.#h).map((r) => [r.name, r.perSecond]))
    }

    ratesDetailed() {
      return rateTrackerRates(this.#h)
    }

    toString() {
      return `RateTracker(${this.#names.join(', ')})`
    }
  }

  /** Events per second over a sliding window of time buckets, with SLA-violation counting. */
  class ThroughputWindow {
    #h

    constructor(opts) {
      const { windowMs = 10_000, buckets = 10, slaMs = 100 } = options(opts, 'ThroughputWindow')
      this.#h = throughputNew(windowMs, buckets, slaMs)
    }

    record(latencyNs) {
      throughputRecord(this.#h, latencyNs)
    }

    stats() {
      return throughputStats(this.#h)
    }

    get config() {
      return throughputConfig(this.#h)
    }

    toString() {
      const { events, violations } = throughputStats(this.#h)
      return `ThroughputWindow(events=${events}, violations=${violations})`
    }
  }

  const KINDS = ['counter', 'gauge', 'histogram', 'timer', 'minmax']
  const GAUGE_OPS = ['set', 'add', 'setMax', 'setMin']

  function queueFull() {
    return withCode(
      new Error(
        'AsyncRecorder queue is full. In block mode record() never waits on the JS thread ' +
          '(that would stall the event loop); use `await recorder.recordAsync(...)`, which waits ' +
          'for room off the JS thread, or drop mode.',
      ),
      'AP_ERR_TIMEOUT',
    )
  }

  function closedError() {
    return withCode(new Error('closed: no more records are accepted'), 'AP_ERR_CLOSED')
  }

  function gaugeOp(op) {
    const i = GAUGE_OPS.indexOf(op)
    if (i < 0) {
      if (typeof op !== 'string') throw typeError(`a gauge operation must be a string, got ${op === null ? 'null' : typeof op}`)
      throw rangeError(`unknown gauge operation ${JSON.stringify(op)}: expected one of ${GAUGE_OPS.join(', ')}`)
    }
    return i
  }

  /** A bounded queue in front of a metric, applied by native worker threads in batches. */
  class AsyncRecorder {
    #h
    #kind
    #overflow
    #waiting = 0
    #tail = Promise.resolve()

    constructor(metric, opts) {
      let kind
      let target
      for (const k of KINDS) {
        target = handleOf[k](metric)
        if (target !== undefined) {
          kind = k
          break
        }
      }
      if (kind === undefined) {
        throw typeError('AsyncRecorder expects a Counter, Gauge, Histogram, Timer or MinMax')
      }
      const { capacity, workers, batch, overflow = 'drop' } = options(opts, 'AsyncRecorder')
      if (typeof overflow !== 'string') {
        throw typeError(`overflow must be 'drop' or 'block', got ${overflow === null ? 'null' : typeof overflow}`)
      }
      this.#h = asyncRecorderNew(kind, target, capacity, workers, batch, overflow)
      this.#kind = kind
      this.#overflow = overflow
    }

    get kind() {
      return this.#kind
    }

    get overflow() {
      return this.#overflow
    }

    record(value, ok) {
      const r = this.#kind === 'timer' ? asyncRecorderRecordTiming(this.#h, value, ok) : asyncRecorderRecord(this.#h, value)
      if (r === null) throw queueFull()
      return r
    }

    set(v) {
      return this.#gauge(0, v)
    }

    add(v) {
      return this.#gauge(1, v)
    }

    setMax(v) {
      return this.#gauge(2, v)
    }

    setMin(v) {
      return this.#gauge(3, v)
    }

    #gauge(op, v) {
      const r = asyncRecorderRecordGauge(this.#h, op, v)
      if (r === null) throw queueFull()
      return r
    }

    /** Offers one event without waiting: true, false or null (full, block mode). */
    #offer(a, b) {
      switch (this.#kind) {
        case 'timer': return asyncRecorderRecordTiming(this.#h, a, b)
        case 'gauge': return asyncRecorderRecordGauge(this.#h, gaugeOp(a), b)
        default: return asyncRecorderRecord(this.#h, a)
      }
    }

    /** Offers one event, and waits for room off the JS thread if the queue is full. */
    async #offerOrWait(a, b) {
      const r = this.#offer(a, b)
      if (r !== null) return r
      let code
      switch (this.#kind) {
        case 'timer': code = await asyncRecorderWait(this.#h, 1, a, b); break
        case 'gauge': code = await asyncRecorderWait(this.#h, 2 + gaugeOp(a), b); break
        default: code = await asyncRecorderWait(this.#h, 0, a)
      }
      if (code < 0) throw closedError()
      return code === 1
    }

    recordAsync(a, b) {
      if (this.#waiting === 0) {
        try {
          const r = this.#offer(a, b)
          if (r !== null) return Promise.resolve(r)
        } catch (e) {
          return Promise.reject(e)
        }
      }
      // The queue is full (or earlier calls are still waiting): wait in line, so that calls
      // waiting for room are queued in call order (one wait per recorder at a time).
      this.#waiting++
      const p = this.#tail.then(() => this.#offerOrWait(a, b))
      this.#tail = p.then(noop, noop)
      return p.finally(() => {
        this.#waiting--
      })
    }

    flush(timeoutMs = 10_000) {
      try {
        return asyncRecorderFlush(this.#h, timeoutMs)
      } catch (e) {
        return Promise.reject(e)
      }
    }

    close() {
      try {
        return asyncRecorderClose(this.#h).then(noop)
      } catch (e) {
        return Promise.reject(e)
      }
    }

    get closed() {
      return asyncRecorderIsClosed(this.#h)
    }

    get enqueued() {
      return asyncRecorderEnqueued(this.#h)
    }

    get applied() {
      return asyncRecorderApplied(this.#h)
    }

    get dropped() {
      return asyncRecorderDropped(this.#h)
    }

    toString() {
      return `AsyncRecorder(${this.#kind}, enqueued=${this.enqueued}, applied=${this.applied}, dropped=${this.dropped})`
    }
  }

  return { MinMax, Timer, RateTracker, ThroughputWindow, AsyncRecorder }
}
