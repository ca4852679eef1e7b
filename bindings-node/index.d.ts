/**
 * atomicperf: lock-free metrics from a Rust core, for Node.js.
 *
 * Every error thrown by this package carries a `code` named after the C ABI's status codes:
 * - `TypeError` with code `'AP_ERR_INVALID_ARGUMENT'`: an argument has the wrong type
 *   (a string where a number is expected, a non-Histogram passed to `merge`, ...).
 * - `RangeError` with code `'AP_ERR_OUT_OF_RANGE'`: the type is right but the value is not
 *   allowed (a negative, fractional or NaN count, a quantile outside [0, 1], a stripe count that
 *   is not a power of two), or a u64 result would not fit a JS number exactly.
 *
 * u64 arguments accept a `number` (an integer from 0 to 2^64-1) or a `bigint` (0n to 2n**64n-1n).
 *
 * @packageDocumentation
 */

/**
 * The `code` of every error the native module throws or rejects a Promise with: each is a status
 * of the core's table, named as the C ABI names it (the rows this list leaves out, `AP_OK`,
 * `AP_ERR_NULL_HANDLE`, `AP_ERR_NULL_POINTER`, `AP_ERR_EMPTY`, `AP_ERR_BUFFER_TOO_SMALL` and
 * `AP_ERR_IO`, only the C ABI reports; a {@link Pushgateway} request rejects with Node's own
 * errors). `test/error-codes.test.js` checks this list against the addon's own.
 */
export type AtomicperfErrorCode =
  | 'AP_ERR_OUT_OF_RANGE'
  | 'AP_ERR_INVALID_ARGUMENT'
  | 'AP_ERR_INTERNAL'
  | 'AP_ERR_TIMEOUT'
  | 'AP_ERR_CLOSED'
  | 'AP_ERR_UNKNOWN_ACCOUNT'
  | 'AP_ERR_ACCOUNT_EXISTS'
  | 'AP_ERR_INVALID_AMOUNT'
  | 'AP_ERR_SAME_ACCOUNT'
  | 'AP_ERR_INSUFFICIENT_FUNDS'
  | 'AP_ERR_OVERFLOW'
  | 'AP_ERR_REVISION_MISMATCH'
  | 'AP_ERR_ACCOUNT_CLOSED'
  | 'AP_ERR_ACCOUNT_NOT_EMPTY'

/**
 * Node's standard codes, the only codes outside {@link AtomicperfErrorCode} that the package sets:
 * `'MODULE_NOT_FOUND'` when `require('atomicperf')` finds no addon for the platform (the message
 * names the missing package and what to do). A {@link CancellationToken}'s AbortSignal aborts with
 * the platform's standard reason, a `DOMException` named `'AbortError'`.
 */
export type AtomicperfJsErrorCode = 'MODULE_NOT_FOUND'

/** Every error code this package uses. */
export type AtomicperfAnyErrorCode = AtomicperfErrorCode | AtomicperfJsErrorCode

/** An error of this package: an `Error`, `TypeError` or `RangeError` with a `code`. */
export interface AtomicperfError extends Error {
  code: AtomicperfAnyErrorCode
}

/** A u64 argument: an integer `number` from 0 to 2^64-1 or a `bigint` from 0n to 2n**64n-1n. */
export type U64 = number | bigint

/** Options of {@link Counter}. */
export interface CounterOptions {
  /**
   * Number of cache-padded cells the counter spreads increments over: a power of two from 1 to
   * 1024. Default: twice the available parallelism rounded up to a power of two, at most 64.
   */
  stripes?: number
}

/**
 * A monotonic u64 counter, equivalent to a shared integer behind a lock, except that threads
 * (worker_threads, or Rust threads sharing the same metric later) increment separate cache lines
 * and reads sum them. The total wraps at 2^64.
 *
 * `inc()` and `add()` make no native call: the counter's cells are Rust-owned memory that the
 * constructor maps into JS once (an external ArrayBuffer), and they add to the calling thread's
 * stripe with `Atomics.add` (about the cost of `Atomics.add` on a SharedArrayBuffer). Reads go
 * through Rust. The memory stays alive as long as the counter or any internal view of it.
 * Where the runtime does not map external buffers (V8 sandbox builds, Electron), a check on first
 * use notices, emits one `AtomicperfWarning` (code `'AP_DIRECT_UNAVAILABLE'`) and every metric
 * uses native calls instead, with the same results. `ATOMICPERF_DIRECT=0` in the environment
 * turns the direct path off without a warning.
 *
 * @example
 * const { Counter } = require('atomicperf')
 * const requests = new Counter()
 * requests.inc()
 * requests.add(41)
 * requests.get() // 42
 */
export declare class Counter {
  /**
   * A counter at zero.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or `stripes` is
   *   not a number or bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `stripes` is not a power of two from 1 to 1024.
   */
  constructor(options?: CounterOptions)
  /** Adds one. The cheapest call in the package; returns nothing on purpose. */
  inc(): void
  /**
   * Adds `n`.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `n` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `n` is negative, fractional, NaN, infinite or
   *   at least 2^64.
   */
  add(n: U64): void
  /**
   * Adds one and makes `labels` (a trace's, such as `trace_id` and `span_id`) the counter's
   * exemplar, stamped with `timestamp` (none when omitted). A {@link Registry} exports the latest
   * one in OpenMetrics and protobuf (never in the Prometheus text format), so that a point on a
   * dashboard links to its trace. One native call (`inc` makes none); prom-client's
   * `inc({ exemplarLabels })`.
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` for a label name outside the Prometheus data model
   *   or more than 128 characters of names and values together (OpenMetrics' limit); nothing is
   *   added then.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `labels` is not an object or `timestamp` not
   *   a Date.
   */
  incWithExemplar(labels: Labels, timestamp?: Date): void
  /** Adds `n` with an exemplar (value `n`), as {@link Counter.incWithExemplar}; errors as `add` too. */
  addWithExemplar(n: U64, labels: Labels, timestamp?: Date): void
  /** The latest exemplar, or `null`. */
  exemplar(): Exemplar | null
  /**
   * The total as a number. Exact once writers have stopped.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if the total exceeds `Number.MAX_SAFE_INTEGER`
   *   (a number would lose precision): use {@link Counter.getBigInt} then.
   */
  get(): number
  /** The total as a bigint, exact over the whole u64 range. */
  getBigInt(): bigint
  /** Number of stripes (a power of two). */
  readonly stripes: number
  /** `Counter(<value>)`. */
  toString(): string
}

/**
 * An f64 gauge, equivalent to a number behind a lock, except that `set` and `get` are single
 * atomic stores and loads, and `add`, `setMax`, ... are compare-and-swap loops that never block.
 *
 * Like {@link Counter}, `set`, `get`, `add`, `sub`, `inc` and `dec` use the gauge's Rust-owned
 * cell directly with `Atomics` (store, load, compare-and-swap loop) and make no native call,
 * except where the runtime cannot map external buffers; `setMax` and `setMin` are native calls.
 *
 * @example
 * const { Gauge } = require('atomicperf')
 * const inFlight = new Gauge()
 * inFlight.inc()
 * inFlight.dec()
 */
export declare class Gauge {
  /**
   * A gauge at `value` (default 0).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `value` is given and is not a number.
   */
  constructor(value?: number)
  /**
   * Replaces the value (NaN included).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is not a number.
   */
  set(v: number): void
  /** The current value. */
  get(): number
  /**
   * Adds `d` (which may be negative).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `d` is not a number.
   */
  add(d: number): void
  /**
   * Subtracts `d`.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `d` is not a number.
   */
  sub(d: number): void
  /** Adds one. */
  inc(): void
  /** Subtracts one. */
  dec(): void
  /**
   * Raises the value to `v` if `v` is greater (a high-water mark); a NaN `v` is ignored.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is not a number.
   */
  setMax(v: number): void
  /**
   * Lowers the value to `v` if `v` is smaller (a low-water mark); a NaN `v` is ignored.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is not a number.
   */
  setMin(v: number): void
  /** `Gauge(<value>)`. */
  toString(): string
}

/** Options of {@link Histogram}. */
export interface HistogramOptions {
  /**
   * Precision, 1 to 5 significant figures: the relative error of a quantile is at most
   * 6.25 %, 0.78 %, 0.098 %, 0.0061 % or 0.00076 %. Default 2.
   */
  significantFigures?: number
  /**
   * Highest trackable value, at least 2; larger values are clamped to it and counted by
   * {@link Histogram.overflowCount}. Default 60e9 (60 s in nanoseconds).
   */
  highest?: U64
}

/**
 * A lock-free log-linear (HDR-style) histogram of u64 values, nanoseconds by default:
 * equivalent to a histogram behind a lock, except that recording is a few atomic operations that
 * never wait, and reads scan the buckets.
 *
 * Statistics that would not fit a JS number exactly throw a RangeError instead of rounding;
 * `count` and `sum` have bigint variants.
 *
 * `record` and `recordN` make no native call for a value that is an integer number from 0 to
 * `Number.MAX_SAFE_INTEGER` (2^53-1): the histogram's cells are Rust-owned memory the
 * constructor maps into JS (as {@link Counter}'s), the bucket index is computed in JS from the
 * core's description of the layout, and the record is the core's own (a sum stripe and a bucket
 * added to with `Atomics`, the extremes changed only by a new extreme; counts saturate at
 * 2^64-1, the sum wraps at 2^64). Any other argument takes the native call, with the same
 * results: a `bigint` is exact over the whole u64 range, and so is a number from 2^53 up (every
 * such number is an integer, recorded as exactly that integer; but a number a computation
 * produced there may already have been rounded, so pass a `bigint` for values past 2^53).
 *
 * @example
 * const { Histogram } = require('atomicperf')
 * const latency = new Histogram()
 * const start = process.hrtime.bigint()
 * // ... work ...
 * latency.record(process.hrtime.bigint() - start)
 * latency.quantile(0.99)
 */
export declare class Histogram {
  /**
   * An empty histogram.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or an option
   *   has the wrong type.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `significantFigures` is not 1 to 5 or
   *   `highest` is below 2.
   */
  constructor(options?: HistogramOptions)
  /**
   * Records one value (above `highest` it is clamped and counted as overflow). No native call
   * for an integer number up to 2^53-1 (see {@link Histogram}).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` is negative, fractional, NaN or >= 2^64.
   */
  record(v: U64): void
  /**
   * Records `v` as if `n` times (`n = 0` records nothing; the bucket count saturates at 2^64-1,
   * the sum adds `v * n` modulo 2^64). No native call for an integer number `v` up to 2^53-1.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` or `n` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` or `n` is negative, fractional, NaN or >= 2^64.
   */
  recordN(v: U64, n: U64): void
  /**
   * Records `v` and makes `labels` (a trace's, such as `trace_id`) the exemplar of the exported
   * bucket `v` falls in, stamped with `timestamp` (none when omitted): a {@link Registry} exports
   * the latest exemplar of each `le` bucket in OpenMetrics and protobuf, its value in exported
   * units (seconds for nanoseconds). One native call; prom-client's
   * `observe({ value, exemplarLabels })`. Errors as `record` and {@link Counter.incWithExemplar};
   * nothing is recorded on error.
   */
  recordWithExemplar(v: U64, labels: Labels, timestamp?: Date): void
  /**
   * The latest exemplar of each exported bucket, `+Inf` last (a histogram outside a registry
   * keeps one), each `null` until one is recorded there.
   */
  exemplars(): Array<Exemplar | null>
  /**
   * Number of recorded values.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use
   *   {@link Histogram.countBigInt}.
   */
  count(): number
  /** Number of recorded values, as a bigint. */
  countBigInt(): bigint
  /**
   * Sum of the recorded (clamped) values, wrapping at 2^64.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use
   *   {@link Histogram.sumBigInt}.
   */
  sum(): number
  /** Sum of the recorded (clamped) values as a bigint, wrapping at 2^64. */
  sumBigInt(): bigint
  /**
   * Smallest recorded value (exact), or `null` when empty.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`.
   */
  min(): number | null
  /**
   * Largest recorded (clamped) value (exact), or `null` when empty.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`.
   */
  max(): number | null
  /** Arithmetic mean of the recorded values, or `null` when empty. */
  mean(): number | null
  /**
   * The value at quantile `q` (0 = min, 0.5 = median, 1 = max), within the configured relative
   * error of the recorded value of that rank; `null` when empty.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `q` is not a number.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `q` is NaN or outside [0, 1], or the value
   *   exceeds `Number.MAX_SAFE_INTEGER`.
   */
  quantile(q: number): number | null
  /**
   * Number of recorded values that were above `highest` and were clamped to it.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`.
   */
  overflowCount(): number
  /** Bytes of native memory this histogram occupies (under 16 KiB with the defaults). */
  memoryBytes(): number
  /** Precision the histogram was created with (1 to 5). */
  readonly significantFigures: number
  /** Highest trackable value the histogram was created with. */
  readonly highest: bigint
  /**
   * A new, independent histogram holding the values recorded so far: later records to either
   * one do not show in the other.
   */
  snapshot(): Histogram
  /**
   * Adds every value of `other` to this histogram. Layouts may differ: values are then
   * re-bucketed (and clamped to this range); sum, min and max stay exact.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `other` is not a Histogram.
   */
  merge(other: Histogram): void
  /** Empties the histogram. Records running concurrently with `reset` may be partly kept. */
  reset(): void
  /** `Histogram(count=<count>)`. */
  toString(): string
}

/** Options of {@link Summary} (and of {@link Registry.summary}). */
export interface SummaryOptions {
  /**
   * The quantiles reported (prom-client's `percentiles`, client_golang's objectives), each in
   * [0, 1], none twice, any order. Default `[0.5, 0.9, 0.99]`; `[]`: none (a registry then
   * exports only `_sum` and `_count`).
   */
  quantiles?: number[]
  /** How long a recorded value counts towards the quantiles, in seconds. Default 600. */
  maxAgeSeconds?: number
  /**
   * In how many steps the window slides: values leave it `maxAgeSeconds / ageBuckets` at a time
   * (1 to 255, each step at least 1 ms). Default 5.
   */
  ageBuckets?: number
  /** Precision of the window's histograms, 1 to 5 (default 2: quantiles within 0.78 %). */
  significantFigures?: number
  /** Highest trackable value; larger values are clamped to it. Default 60e9 (60 s in ns). */
  highest?: U64
}

/**
 * Quantiles over a sliding window of time, with the count and sum of every value ever recorded:
 * client_golang's Summary and prom-client's `Summary({ percentiles, maxAgeSeconds, ageBuckets })`,
 * except that recording is lock-free (a ring of `ageBuckets + 2` histograms, one per step of the
 * window). A quantile is within the histograms' precision (0.78 % with 2 significant figures;
 * 0 and 1 are the window's exact min and max); the window covers between
 * `maxAgeSeconds - maxAgeSeconds / ageBuckets` and `maxAgeSeconds`. Values are integers,
 * nanoseconds for durations; a {@link Registry} exports them in seconds.
 *
 * Every `record` is one native call (a {@link Histogram} writes its cells from JS instead), so
 * it costs more than `Histogram.record`; `bench/summary.js` measures both.
 *
 * @example
 * const { Summary } = require('atomicperf')
 * const latency = new Summary({ quantiles: [0.5, 0.99], maxAgeSeconds: 60, ageBuckets: 6 })
 * const start = process.hrtime.bigint()
 * // ... work ...
 * latency.record(process.hrtime.bigint() - start)
 * latency.quantile(0.99) // ns, over the last minute
 */
export declare class Summary {
  /**
   * An empty summary.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or an option
   *   has the wrong type.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for a quantile outside [0, 1], NaN or given
   *   twice, `ageBuckets` outside 1 to 255, a step (`maxAgeSeconds / ageBuckets`) under 1 ms, a
   *   negative or non-finite `maxAgeSeconds`, or a bad `significantFigures` or `highest`.
   */
  constructor(options?: SummaryOptions)
  /**
   * Records one value (above `highest` it is clamped): one native call.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` is negative, fractional, NaN or >= 2^64.
   */
  record(v: U64): void
  /**
   * Number of values recorded since creation (over all time, as client_golang's `_count`).
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use
   *   {@link Summary.countBigInt}.
   */
  count(): number
  /** Number of values recorded since creation, as a bigint. */
  countBigInt(): bigint
  /**
   * Sum of the (clamped) values recorded since creation, wrapping at 2^64.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use
   *   {@link Summary.sumBigInt}.
   */
  sum(): number
  /** Sum of the (clamped) values recorded since creation as a bigint, wrapping at 2^64. */
  sumBigInt(): bigint
  /** Number of values in the window now. */
  windowCount(): number
  /**
   * The value at quantile `q` (0 to 1) of the values in the window, within the precision;
   * `null` when the window is empty.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `q` is not a number.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `q` is NaN or outside [0, 1].
   */
  quantile(q: number): number | null
  /** The configured quantiles over the window, from one moment (`value` null while it is empty). */
  quantiles(): Array<{ quantile: number, value: number | null }>
  /** The configured quantiles, sorted. */
  readonly objectives: number[]
  /** The window's length in seconds. */
  readonly maxAgeSeconds: number
  /** In how many steps the window slides. */
  readonly ageBuckets: number
  /** Precision of the window's histograms (1 to 5). */
  readonly significantFigures: number
  /** Highest trackable value. */
  readonly highest: bigint
  /** Bytes of native memory this summary occupies (its `ageBuckets + 2` histograms). */
  memoryBytes(): number
  /** `Summary(count=<count>)`. */
  toString(): string
}

/**
 * Returns its argument. For the benchmark only: the cost of a plain napi-rs function taking and
 * returning one number, the baseline `counter.inc()` is compared with.
 */
export declare function benchIdentity(n: number): number

// ---- MinMax, Timer, RateTracker, ThroughputWindow, AsyncRecorder (lib/metrics.js) ----------
// Further error codes: `Error` with code `'AP_ERR_CLOSED'` (an AsyncRecorder after close) and
// `'AP_ERR_TIMEOUT'` (a full block-mode queue offered to the non-waiting `record`).

/** Lock-free running minimum and maximum of u64 values; "empty" is distinct from any value. */
export declare class MinMax {
  /** An empty MinMax. */
  constructor()
  /**
   * Records one value. No native call for an integer number up to 2^53-1 (the cells are mapped
   * into JS, as a {@link Histogram}'s): two plain reads when `v` is not a new extreme, a
   * compare-and-swap when it is. A bigint (exact over the whole u64 range) or a larger number
   * takes the native call.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` is negative, fractional, NaN or >= 2^64.
   */
  record(v: U64): void
  /**
   * Smallest value recorded, `null` when empty.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use {@link MinMax.minBigInt}.
   */
  min(): number | null
  /**
   * Largest value recorded, `null` when empty.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`: use {@link MinMax.maxBigInt}.
   */
  max(): number | null
  /** Smallest value recorded as a bigint, `null` when empty. */
  minBigInt(): bigint | null
  /** Largest value recorded as a bigint, `null` when empty. */
  maxBigInt(): bigint | null
  /** Empties it. */
  reset(): void
  /** `MinMax(<min>, <max>)`. */
  toString(): string
}

/** Options of {@link Timer}: the layout of its duration histogram (as {@link HistogramOptions}). */
export interface TimerOptions {
  /** Precision, 1 to 5 significant figures. Default 2. */
  significantFigures?: number
  /** Highest trackable duration in ns, at least 2; longer ones are clamped. Default 60e9 (60 s). */
  highest?: U64
}

/** A plain copy of a {@link Timer}'s statistics from one moment. Durations are nanoseconds. */
export interface TimerSnapshot {
  /** Executions recorded. */
  count: number
  /** Executions recorded as errors. */
  errors: number
  /** Total duration. */
  total: number
  /** Shortest duration, `null` when empty. */
  min: number | null
  /** Longest duration, `null` when empty. */
  max: number | null
  /** Mean duration, `null` when empty. */
  mean: number | null
  /** errors / count (0 when empty). */
  errorRatio: number
  /** Median duration, `null` when empty. */
  p50: number | null
  /** 90th percentile, `null` when empty. */
  p90: number | null
  /** 99th percentile, `null` when empty. */
  p99: number | null
  /** 99.9th percentile, `null` when empty. */
  p999: number | null
}

/**
 * Execution metrics of one operation (a handler, a rule, a query): count, errors, total, min and
 * max duration and a histogram of durations, all updated without a lock. Durations are
 * nanoseconds (`process.hrtime.bigint()` differences can be passed as they are).
 *
 * @example
 * const t = new Timer()
 * const user = await t.time(() => db.getUser(id)) // records success, or error if it rejects
 * const end = t.startTimer(); try { work(); end() } catch (e) { end(false); throw e }
 */
export declare class Timer {
  /**
   * An empty timer.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or an option has the wrong type.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `significantFigures` is not 1 to 5 or `highest` is below 2.
   */
  constructor(options?: TimerOptions)
  /**
   * Records one execution of `durationNs`; `ok = false` counts it as an error too. No native
   * call for a duration that is an integer number or a bigint up to 2^53-1 ns (104 days) with
   * `ok` omitted or a boolean: the timer's duration histogram and error count are recorded in JS,
   * as {@link Histogram.record} does; other arguments take the native call (`time` and
   * `startTimer` record the same way).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `durationNs` is not a number or bigint, or `ok` is given and not a boolean.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `durationNs` is negative, fractional, NaN or >= 2^64.
   */
  record(durationNs: U64, ok?: boolean): void
  /** Executions recorded. @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above 2^53: use {@link Timer.countBigInt}. */
  count(): number
  /** Executions recorded, as a bigint. */
  countBigInt(): bigint
  /** Executions recorded as errors. @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above 2^53: use {@link Timer.errorsBigInt}. */
  errors(): number
  /** Errors, as a bigint. */
  errorsBigInt(): bigint
  /** Total duration in ns. @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above 2^53 (104 days): use {@link Timer.totalBigInt}. */
  total(): number
  /** Total duration in ns, as a bigint (wraps at 2^64). */
  totalBigInt(): bigint
  /** Shortest duration in ns (exact), `null` when empty. */
  min(): number | null
  /** Longest (clamped) duration in ns (exact), `null` when empty. */
  max(): number | null
  /** Mean duration in ns, `null` when empty. */
  mean(): number | null
  /**
   * Duration at quantile `q` in ns, within the configured precision; `null` when empty.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `q` is not a number.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `q` is NaN or outside [0, 1].
   */
  quantile(q: number): number | null
  /** Every statistic from one moment, as a plain object. */
  snapshot(): TimerSnapshot
  /** Forgets everything recorded. */
  reset(): void
  /**
   * Runs `fn` and records its duration: as a success when it returns, as an error when it
   * throws. When `fn` returns a Promise (or any thenable), the duration runs until it settles,
   * an error if it rejects, and `time` returns a Promise of its value. Returns `fn`'s result and
   * rethrows its error.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `fn` is not a function.
   */
  time<T>(fn: () => T): T extends PromiseLike<infer U> ? Promise<U> : T
  /**
   * Starts timing now (`process.hrtime.bigint()`). The returned `end(ok = true)` records the
   * elapsed time once (an error when `ok` is false) and returns it in ns; later calls record
   * nothing and return the same number.
   */
  startTimer(): (ok?: boolean) => number
  /** `Timer(count=<n>, errors=<n>)`. */
  toString(): string
}

/** One counter's rate between two {@link RateTracker.ratesDetailed} calls. */
export interface RateDetail {
  /** The counter's name. */
  name: string
  /** Increase over the interval (a bigint only above `Number.MAX_SAFE_INTEGER`). */
  delta: number | bigint
  /** delta / interval in seconds; 0 on the first call. */
  perSecond: number
}

/**
 * Per-second rates of named counters between successive calls. The previous snapshot is swapped
 * atomically, so concurrent callers (and worker_threads) never block each other. The first call
 * has nothing to compare with and reports zeros. The tracker keeps its counters alive.
 *
 * @example
 * const tracker = new RateTracker({ requests, errors })
 * setInterval(() => console.log(tracker.rates()), 1000) // { requests: 1234.5, errors: 0.5 }
 */
export declare class RateTracker {
  /**
   * Tracks the given counters, as `{name: counter}` or `[name, counter]` pairs.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if an entry is not a string name and a
   *   {@link Counter}, or a name is given twice.
   */
  constructor(counters: Record<string, Counter> | Array<[string, Counter]>)
  /** Names of the tracked counters, in registration order. */
  readonly names: readonly string[]
  /** Per-second rate of each counter since the previous call (zeros on the first call). */
  rates(): Record<string, number>
  /** As {@link RateTracker.rates}, with the deltas, in registration order. */
  ratesDetailed(): RateDetail[]
  /** `RateTracker(<names>)`. */
  toString(): string
}

/**
 * Options of {@link ThroughputWindow}. Time spans of the configuration are milliseconds (as
 * `setTimeout`); latencies given to `record` are nanoseconds (as every value this package records).
 */
export interface ThroughputWindowOptions {
  /** Length of the sliding window in ms (> 0, fractions allowed). Default 10000. */
  windowMs?: number
  /** Number of time buckets the window is split into (integer >= 1). Default 10. */
  buckets?: number
  /** SLA threshold in ms (>= 0): a latency above it counts as a violation. Default 100. */
  slaMs?: number
}

/** What a {@link ThroughputWindow} saw over its current window. */
export interface WindowStats {
  /** Events in the window. */
  events: number | bigint
  /** Events whose latency exceeded the SLA. */
  violations: number | bigint
  /** events / coveredMs, per second. */
  eventsPerSecond: number
  /** violations / events (0 when there were none). */
  violationRatio: number
  /** Time the window covers now in ms: its full length, or its age if younger. */
  coveredMs: number
}

/** Events per second over a sliding window of time buckets, with SLA-violation counting. */
export declare class ThroughputWindow {
  /**
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or an option is not a number.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for a window that is not > 0 ms, buckets that
   *   are not an integer >= 1 or shorter than 1 ns, or an SLA that is negative or NaN.
   */
  constructor(options?: ThroughputWindowOptions)
  /**
   * Counts one event of `latencyNs` nanoseconds (a violation if above the SLA).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if not a number or bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if negative, fractional, NaN or >= 2^64.
   */
  record(latencyNs: U64): void
  /** Events, violations and rates over the current window. */
  stats(): WindowStats
  /** The configuration as built (the window rounded down to whole ns per bucket). */
  readonly config: { windowMs: number; buckets: number; slaMs: number }
  /** `ThroughputWindow(events=<n>, violations=<n>)`. */
  toString(): string
}

/** Options of {@link AsyncRecorder}. */
export interface AsyncRecorderOptions {
  /** Events the queue holds (>= 1). Default 65536. */
  capacity?: number
  /** Native worker threads applying events (>= 1). Default 1. */
  workers?: number
  /** Most events a worker applies per wake-up (>= 1). Default 256. */
  batch?: number
  /**
   * On a full queue: `'drop'` (default) drops the event and counts it; `'block'` never drops:
   * `record` throws `AP_ERR_TIMEOUT` instead of stalling the JS thread, and `recordAsync` waits
   * for room off the JS thread.
   */
  overflow?: 'drop' | 'block'
}

/** A metric an {@link AsyncRecorder} can front. */
export type AsyncRecorderTarget = Counter | Gauge | Histogram | Timer | MinMax

/** A gauge operation queued by an {@link AsyncRecorder} in front of a {@link Gauge}. */
export type GaugeOpName = 'set' | 'add' | 'setMax' | 'setMin'

/**
 * A bounded queue in front of a metric, applied by native worker threads in batches: recording
 * costs a queue push instead of the metric update. The recorder keeps its metric alive.
 *
 * Which record call fits the metric: Counter (amount to add), Histogram and MinMax (value):
 * `record(value)`; Timer: `record(durationNs, ok)`; Gauge: `set/add/setMax/setMin(v)`. Any other
 * call throws a TypeError with code `AP_ERR_INVALID_ARGUMENT`.
 *
 * Nothing waits on the JS thread, and no wait holds a libuv pool thread or delays
 * `process.exit()` or `worker.terminate()`: `flush` and `close` return Promises. In block mode
 * `record` queues when there is room and otherwise throws (code `AP_ERR_TIMEOUT`);
 * `recordAsync` is the waiting form: it resolves once the event is queued. Calls to
 * `recordAsync` that have to wait are queued in call order. Several workers apply events in no
 * particular order.
 *
 * Invariants: `applied + dropped === enqueued` once `flush` resolved `true` with no concurrent
 * recorders; in block mode `dropped` is always 0.
 */
export declare class AsyncRecorder {
  /**
   * Starts the worker threads.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `metric` is not one of {@link AsyncRecorderTarget},
   *   `options` is not an object or an option has the wrong type.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if capacity, workers or batch is not an integer >= 1,
   *   or overflow is another string.
   */
  constructor(metric: AsyncRecorderTarget, options?: AsyncRecorderOptions)
  /** The metric kind: `'counter'`, `'gauge'`, `'histogram'`, `'timer'` or `'minmax'`. */
  readonly kind: 'counter' | 'gauge' | 'histogram' | 'timer' | 'minmax'
  /** The overflow policy. */
  readonly overflow: 'drop' | 'block'
  /**
   * Queues one event without waiting: `true` if queued, `false` if dropped (drop mode, full queue).
   * Counter, Histogram, MinMax: `record(value)`; Timer: `record(durationNs, ok = true)`.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` for a Gauge recorder or bad argument types.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for a value that is not a u64.
   * @throws {Error} `AP_ERR_CLOSED` after {@link AsyncRecorder.close}; `AP_ERR_TIMEOUT` when the
   *   queue is full in block mode (use {@link AsyncRecorder.recordAsync}).
   */
  record(value: U64, ok?: boolean): boolean
  /** Gauge recorders: queues `gauge.set(v)`. Returns and throws as {@link AsyncRecorder.record}. */
  set(v: number): boolean
  /** Gauge recorders: queues `gauge.add(v)`. Returns and throws as {@link AsyncRecorder.record}. */
  add(v: number): boolean
  /** Gauge recorders: queues `gauge.setMax(v)`. Returns and throws as {@link AsyncRecorder.record}. */
  setMax(v: number): boolean
  /** Gauge recorders: queues `gauge.setMin(v)`. Returns and throws as {@link AsyncRecorder.record}. */
  setMin(v: number): boolean
  /**
   * Queues one event, waiting off the JS thread for room if the queue is full (block mode);
   * resolves `true` once queued (`false` if dropped: drop mode never waits). Counter, Histogram,
   * MinMax: `recordAsync(value)`; Timer: `recordAsync(durationNs, ok)`; Gauge:
   * `recordAsync(op, value)`. Never throws: rejects with the errors of {@link AsyncRecorder.record}
   * (but not `AP_ERR_TIMEOUT`), a RangeError `AP_ERR_OUT_OF_RANGE` for an unknown gauge op, and
   * `AP_ERR_CLOSED` if the recorder closed before there was room.
   */
  recordAsync(value: U64, ok?: boolean): Promise<boolean>
  recordAsync(op: GaugeOpName, value: number): Promise<boolean>
  /**
   * Resolves `true` once every event queued before the call has been applied, `false` if
   * `timeoutMs` (default 10000; capped at one year) passed first. Holds no thread.
   * Rejects with a TypeError `AP_ERR_INVALID_ARGUMENT` for a non-number and a RangeError
   * `AP_ERR_OUT_OF_RANGE` for a negative or NaN timeout.
   */
  flush(timeoutMs?: number): Promise<boolean>
  /**
   * Stops accepting events, applies everything queued and joins the workers (on a thread of its
   * own, not the libuv pool).
   * Calling it again resolves at once. Dropping the last reference to a recorder closes it too.
   */
  close(): Promise<void>
  /** Whether {@link AsyncRecorder.close} was called. */
  readonly closed: boolean
  /** Events offered: queued plus dropped. */
  readonly enqueued: number
  /** Events applied to the metric. */
  readonly applied: number
  /** Events dropped because the queue was full (drop mode only). */
  readonly dropped: number
  /** `AsyncRecorder(<kind>, enqueued=<n>, applied=<n>, dropped=<n>)`. */
  toString(): string
}

// ---- NativeHistogram (lib/native-histogram.js) ------------------------------------------------

/** Options of `new NativeHistogram()`. */
export interface NativeHistogramOptions {
  /**
   * Resolution: neighbouring bucket boundaries are a factor `2^(2^-schema)` apart. An integer from
   * -4 (a factor 65,536) to 8 (a factor 1.0027). Default 3: a factor 1.0905, so any value is known
   * within 9.05% (see {@link NativeHistogram.relativeError}).
   */
  schema?: number
  /**
   * Values with `|v| <= zeroThreshold` count in the zero bucket. A finite number >= 0. Default
   * `2 ** -128` (client_golang's default).
   */
  zeroThreshold?: number
  /**
   * `[lowest, highest]`: the positive values kept in a fixed array of buckets allocated up front
   * (`0 < lowest <= highest`, finite, at most 65,536 buckets). Other values go to tables allocated
   * on first use: the range sets speed and memory, never what is recorded or exported. Default
   * `[1e-9, 3600]` (1 ns to 1 h, in seconds).
   */
  denseRange?: [lowest: number, highest: number]
}

/** A {@link NativeHistogram}'s state at one moment (a plain object). */
export interface NativeHistogramSnapshot {
  schema: number
  zeroThreshold: number
  /** Values in the zero bucket (`|v| <= zeroThreshold`). */
  zeroCount: number
  /** NaN values recorded (in `count`, in no bucket). */
  nanCount: number
  /** Every recorded value, NaN included. */
  count: number
  /** Sum of the recorded values (NaN once a NaN was recorded). */
  sum: number
  /**
   * The non-empty buckets of positive values, `[key, count]` by increasing key: bucket `k`
   * holds `2^((k-1)/2^schema) < v <= 2^(k/2^schema)`.
   */
  positive: Array<[key: number, count: number]>
  /** The non-empty buckets of negative values, `[key, count]`: bucket `k` holds the `v` whose `|v|` positive bucket `k` would hold. */
  negative: Array<[key: number, count: number]>
}

/**
 * A lock-free histogram with the exponential buckets of Prometheus native histograms, recording
 * any number (NaN and infinities included): bucket `k` holds the values with
 * `2^((k-1)/2^schema) < |v| <= 2^(k/2^schema)` (positive and negative values apart), a zero
 * bucket holds `|v| <= zeroThreshold`. A value lands in the bucket every Prometheus client puts
 * it in, boundaries included. Exported by a {@link Registry} (`registry.nativeHistogram()`) as a
 * native histogram in the protobuf format. `record` and `recordDuration` make no native call for
 * a value in the dense range, the zero bucket or NaN: they write the histogram's cells with
 * `Atomics`, as `Histogram.record` does (negative values and values outside the dense range take
 * one native call); every other method is one native call.
 *
 * @example
 * const h = new NativeHistogram() // schema 3, seconds
 * h.record(0.25)
 * h.recordDuration(process.hrtime.bigint() - start) // nanoseconds, recorded in seconds
 * h.quantile(0.99)
 */
export declare class NativeHistogram {
  /**
   * An empty native histogram.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `options` is not an object or an option has
   *   the wrong type.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for a schema that is not an integer from -4 to 8, a
   *   negative or non-finite zero threshold, or a bad dense range.
   */
  constructor(options?: NativeHistogramOptions)
  /**
   * Records one value: any number (NaN counts in no bucket and makes the sum NaN; ±Infinity lands
   * in the bucket past the largest finite value).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is not a number (a bigint included).
   */
  record(v: number): void
  /**
   * Records a duration of `durationNs` integer nanoseconds (as `Timer.record` and
   * `Histogram.record` take it: `process.hrtime.bigint()` differences), in seconds, exactly as
   * Go's `Duration.Seconds()` converts it.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `durationNs` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if it is negative, fractional, NaN or >= 2^64.
   */
  recordDuration(durationNs: U64): void
  /**
   * Starts timing: the returned `end()` records the nanoseconds since (with
   * {@link NativeHistogram.recordDuration}) and returns them; later calls record nothing and
   * return the same number.
   */
  startTimer(): () => number
  /**
   * Number of recorded values, NaN included.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`.
   */
  count(): number
  /** Sum of the recorded values (NaN once a NaN was recorded; ±Infinity likewise). */
  sum(): number
  /**
   * Values in the zero bucket.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` above `Number.MAX_SAFE_INTEGER`.
   */
  zeroCount(): number
  /**
   * The value of rank `q` (0 to 1), interpolated inside its bucket as Prometheus'
   * `histogram_quantile` does for a native histogram: within {@link NativeHistogram.relativeError}
   * of the recorded value of that rank. `null` when empty; `NaN` when only NaN was recorded.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `q` is not a number.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `q` is NaN or outside [0, 1].
   */
  quantile(q: number): number | null
  /** The state at one moment, as a plain object. */
  snapshot(): NativeHistogramSnapshot
  /**
   * Adds every value of `other` to this histogram. A finer schema merges exactly.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `other` is not a NativeHistogram.
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` if `other`'s schema is coarser than this one's.
   */
  merge(other: NativeHistogram): void
  /** Sets every count and the sum back to zero. */
  reset(): void
  /** Bytes of native memory this histogram occupies (under 4 KiB with the defaults). */
  memoryBytes(): number
  /** The schema (-4 to 8). */
  readonly schema: number
  /** The zero threshold. */
  readonly zeroThreshold: number
  /** `[lowest, highest]`: the range of positive values kept in the fixed array of buckets. */
  readonly denseRange: [lowest: number, highest: number]
  /** The largest relative error of a value estimated anywhere in its bucket: `2^(2^-schema) - 1`. */
  readonly relativeError: number
  toString(): string
}

// ---- ShardedMap, Ledger, SnapshotCell, OnceMap, CancellationToken (lib/state.js) ----------
// Byte strings: keys and values are a Buffer, a Uint8Array or a string; a string is stored as its
// UTF-8 bytes, so `'a'` and `Buffer.from('a')` are the same key. Reads return a new Buffer (a
// copy); the `*String` variants decode it as UTF-8 (invalid sequences become U+FFFD). Anything
// else is a TypeError `'AP_ERR_INVALID_ARGUMENT'`.

/** Error codes of the concurrent-state primitives (each a plain `Error` unless noted). */
export type AtomicperfStateErrorCode =
  | 'AP_ERR_UNKNOWN_ACCOUNT'
  | 'AP_ERR_ACCOUNT_EXISTS'
  | 'AP_ERR_INVALID_AMOUNT'
  | 'AP_ERR_SAME_ACCOUNT'
  | 'AP_ERR_INSUFFICIENT_FUNDS'
  | 'AP_ERR_OVERFLOW'
  | 'AP_ERR_ACCOUNT_CLOSED'
  | 'AP_ERR_ACCOUNT_NOT_EMPTY'
  | 'AP_ERR_REVISION_MISMATCH'

/**
 * The bytes reads return: a Node.js `Buffer`, which is a `Uint8Array`. These typings need no other
 * package: with Node's types (`@types/node`) in the program this is `Buffer`, so `toString('hex')`
 * and the other Buffer methods type-check; without them it is `Uint8Array`.
 */
export type ByteBuffer = typeof globalThis extends { Buffer: { prototype: infer B extends Uint8Array } }
  ? B
  : Uint8Array

/** A key or value: bytes (a Buffer is a Uint8Array), or a string stored as UTF-8. */
export type Bytes = Uint8Array | string

/** An i64 argument: an integer `number` from -2^63 to 2^63-1 or a `bigint` in that range. */
export type I64 = number | bigint

/** Options of {@link ShardedMap}. */
export interface ShardedMapOptions {
  /** Number of shards: a power of two from 1 to 4096 (default: 4 x the CPUs, rounded up). */
  shards?: number
}

/**
 * A concurrent hash map of byte strings: keys are spread over independently locked shards. No
 * method holds a lock when it returns, so any method may be called from anywhere (including
 * {@link ShardedMap.computeIfAbsent}'s callback).
 */
export declare class ShardedMap {
  /** @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for a shard count that is not a power of two from 1 to 4096. */
  constructor(options?: ShardedMapOptions)
  /** A copy of the value for `key`, or `undefined`. */
  get(key: Bytes): ByteBuffer | undefined
  /** The value for `key` decoded as UTF-8, or `undefined`. */
  getString(key: Bytes): string | undefined
  has(key: Bytes): boolean
  /** Sets the value for `key`; returns the previous value, or `undefined`. */
  insert(key: Bytes, value: Bytes): ByteBuffer | undefined
  /** Removes `key`; returns its value, or `undefined` if it was absent. */
  remove(key: Bytes): ByteBuffer | undefined
  /**
   * The value for `key`; if absent, calls `fn(key)` (synchronously, on this thread, with no lock
   * held: `fn` may use this map) and inserts its result unless a value appeared meanwhile.
   * Returns the value the map holds afterwards. Racing callers (other threads, or `fn` itself)
   * may each run their `fn`, but one value wins and every caller gets that one. For an
   * initialiser that must run exactly once, or is async, use {@link OnceMap}.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `fn` is not a function or returns no {@link Bytes}
   *   (a Promise included); whatever `fn` throws (nothing is inserted).
   */
  computeIfAbsent(key: Bytes, fn: (key: Bytes) => Bytes): ByteBuffer
  /** Number of entries (shard by shard: approximate while other threads write). */
  readonly size: number
  readonly shards: number
  clear(): void
  /** Copies of every entry, shard by shard (each shard consistent in itself), in no order. */
  snapshot(): Array<[ByteBuffer, ByteBuffer]>
  /** Same as {@link ShardedMap.snapshot}. */
  entries(): Array<[ByteBuffer, ByteBuffer]>
  [Symbol.iterator](): IterableIterator<[ByteBuffer, ByteBuffer]>
  toString(): string
}

/** Options of {@link Ledger.open}. */
export interface LedgerOpenOptions {
  /** Let the balance go below zero (default false). */
  overdraft?: boolean
}

/** Properties of the errors {@link Ledger} throws, besides `code` and `message`. */
export interface LedgerError extends Error {
  code: AtomicperfStateErrorCode
  /** The account concerned (a number, or a bigint above 2^53). */
  account?: number | bigint
  /** `AP_ERR_INSUFFICIENT_FUNDS` and `AP_ERR_ACCOUNT_NOT_EMPTY`: the balance found. */
  balance?: number | bigint
  /** `AP_ERR_INVALID_AMOUNT` and `AP_ERR_INSUFFICIENT_FUNDS`: the amount asked for. */
  amount?: number | bigint
}

/** One transfer of {@link Ledger.transferMany}: `[from, to, amount]`. */
export type LedgerTransfer = readonly [from: U64, to: U64, amount: I64]

/** The code of a transfer that {@link Ledger.transferMany} refused. */
export type LedgerTransferCode =
  | 'AP_ERR_UNKNOWN_ACCOUNT'
  | 'AP_ERR_ACCOUNT_CLOSED'
  | 'AP_ERR_INVALID_AMOUNT'
  | 'AP_ERR_SAME_ACCOUNT'
  | 'AP_ERR_INSUFFICIENT_FUNDS'
  | 'AP_ERR_OVERFLOW'

/**
 * Accounts keyed by u64 ids with i64 balances, without a lock: an account is found through an
 * index readers never write and a balance changes by compare-and-swap, so operations on
 * different accounts never wait for each other. A transfer debits, then credits (giving the
 * debit back if the credit fails): all or nothing, and concurrent transfers conserve the total.
 * `openHot` opens an account many transfers credit at once; `close`/`reopen` retire an empty
 * account; `transferMany` runs a batch in one native call.
 *
 * Ids are {@link U64}, amounts {@link I64}. Balances: `deposit`/`withdraw` return a number, or a
 * bigint beyond ±`Number.MAX_SAFE_INTEGER` (the operation has happened); `balance`/`total`
 * return a number and throw a RangeError `AP_ERR_OUT_OF_RANGE` beyond that range (use
 * `balanceBigInt`/`totalBigInt`, which always return a bigint).
 *
 * Core errors are plain `Error`s ({@link LedgerError}) with codes `AP_ERR_UNKNOWN_ACCOUNT`,
 * `AP_ERR_ACCOUNT_EXISTS`, `AP_ERR_ACCOUNT_CLOSED`, `AP_ERR_ACCOUNT_NOT_EMPTY`,
 * `AP_ERR_INVALID_AMOUNT` (amount <= 0), `AP_ERR_SAME_ACCOUNT`, `AP_ERR_INSUFFICIENT_FUNDS`,
 * `AP_ERR_OVERFLOW`; nothing changes on error. An id or amount of
 * the wrong type is a TypeError `AP_ERR_INVALID_ARGUMENT`, a fraction or a value out of range a
 * RangeError `AP_ERR_OUT_OF_RANGE`.
 */
export declare class Ledger {
  constructor()
  /**
   * Opens account `id` at balance 0. @throws {LedgerError} `AP_ERR_ACCOUNT_EXISTS`, or
   * `AP_ERR_ACCOUNT_CLOSED` for a closed id (see `reopen`).
   */
  open(id: U64, options?: LedgerOpenOptions): void
  /**
   * Opens account `id` as a hot account, one that many transfers credit at once (a merchant, a
   * fee account): its credits go to per-thread stripes that debits and reads sum. Errors as
   * `open`.
   */
  openHot(id: U64, options?: LedgerOpenOptions): void
  /**
   * Closes account `id`, whose balance must be 0 with no transfer from it in flight; operations
   * on it then throw `AP_ERR_ACCOUNT_CLOSED` until `reopen`. @throws {LedgerError}
   * `AP_ERR_ACCOUNT_NOT_EMPTY` (.balance; nothing changes), `AP_ERR_ACCOUNT_CLOSED`,
   * `AP_ERR_UNKNOWN_ACCOUNT`.
   */
  close(id: U64): void
  /** Reopens closed account `id` at balance 0. @throws {LedgerError} `AP_ERR_ACCOUNT_EXISTS` if open. */
  reopen(id: U64): void
  /**
   * Applies the transfers in order, each all-or-nothing as `transfer`, in one native call, and
   * returns one entry per transfer: `null` if it was applied, else its error code. A malformed
   * batch (not an array of `[from, to, amount]` arrays, an id or amount of the wrong type or out
   * of range) throws as `transfer` would, before any transfer runs.
   */
  transferMany(transfers: readonly LedgerTransfer[]): (LedgerTransferCode | null)[]
  /** Adds `amount`; returns the new balance. */
  deposit(id: U64, amount: I64): number | bigint
  /** Takes `amount` (never below zero without overdraft); returns the new balance. */
  withdraw(id: U64, amount: I64): number | bigint
  /** Moves `amount` from `from` to `to`, atomically. */
  transfer(from: U64, to: U64, amount: I64): void
  balance(id: U64): number
  balanceBigInt(id: U64): bigint
  /** Sum of all balances (exact when no transfer runs concurrently). */
  total(): number
  totalBigInt(): bigint
  /** Number of open accounts. */
  readonly size: number
  toString(): string
}

/** The error of a failed {@link SnapshotCell.compareAndStore}. */
export interface RevisionMismatchError extends Error {
  code: 'AP_ERR_REVISION_MISMATCH'
  /** The revision the cell was at. */
  current: number
  /** The revision asked for. */
  expected: number
}

/**
 * A read-mostly byte string swapped atomically, with a revision (0 for the initial value, +1 per
 * store; never goes back) and a last-updated time, all readable without any lock. Revisions are
 * numbers (a bigint only past 2^53 stores).
 */
export declare class SnapshotCell {
  constructor(value: Bytes)
  /** A copy of the current value. */
  load(): ByteBuffer
  /** The current value decoded as UTF-8. */
  loadString(): string
  /** The current value and the revision it was stored under (always a matching pair). */
  loadWithRevision(): { value: ByteBuffer; revision: number }
  /** Replaces the value; returns its revision. */
  store(value: Bytes): number
  /**
   * Replaces the value only if the revision is still `expected`; returns the new revision.
   * @throws {RevisionMismatchError} `AP_ERR_REVISION_MISMATCH` (with `.current`) otherwise.
   */
  compareAndStore(expected: U64, value: Bytes): number
  readonly revision: number
  /** Milliseconds since the last store (or creation). */
  readonly ageMs: number
  /** Wall-clock time of the last store (or creation). */
  readonly lastUpdated: Date
  toString(): string
}

/** Options of {@link OnceMap.getOrInit}. */
export interface GetOrInitOptions {
  /**
   * Longest wait, in milliseconds, for another caller's initialiser of the same key (default: no
   * limit); then the Promise rejects with an `Error` `AP_ERR_TIMEOUT`.
   */
  timeoutMs?: number
}

/**
 * Get-or-initialise per key: concurrent callers for one key run one initialiser and all receive
 * its value; a failed initialiser is not cached (its caller alone gets the error, and the next
 * waiting caller runs its own initialiser). Values are byte strings.
 */
export declare class OnceMap {
  constructor()
  /** The value of an initialised key, or `undefined`. */
  get(key: Bytes): ByteBuffer | undefined
  /** Forgets `key` (a later getOrInit initialises it again); whether it had a value. */
  delete(key: Bytes): boolean
  /** Number of initialised keys. */
  readonly size: number
  /**
   * The value for `key`, running `init(key)` (sync or async, on this thread) if no caller has
   * initialised it yet. Waiting for another caller's initialiser never blocks the event loop: a
   * caller of this thread awaits that attempt's Promise, and the claim (which waits when another
   * thread initialises the key) holds no thread (not the libuv pool either). `init` must not await
   * `getOrInit` of the same key (it would wait for itself).
   *
   * Rejects with whatever `init` threw or rejected with; a TypeError `AP_ERR_INVALID_ARGUMENT`
   * for a bad key, a non-function `init` or an `init` result that is not {@link Bytes}; a
   * RangeError `AP_ERR_OUT_OF_RANGE` for a negative timeout; an `Error` `AP_ERR_TIMEOUT`.
   */
  getOrInit(key: Bytes, init: (key: Bytes) => Bytes | Promise<Bytes>, options?: GetOrInitOptions): Promise<ByteBuffer>
  toString(): string
}

/**
 * A cancellation signal shared by a tree of tasks: `cancel()` once and every holder of the token
 * or of a descendant sees it. Checking is one atomic load.
 */
export declare class CancellationToken {
  constructor()
  /** Cancels this token and all its descendants, waking every waiter. Idempotent. */
  cancel(): void
  readonly isCancelled: boolean
  /** A new token cancelled when this one is (a child of a cancelled token starts cancelled). */
  child(): CancellationToken
  /**
   * Resolves `true` once the token is cancelled, `false` if `timeoutMs` (capped at one year;
   * `Infinity` allowed) passed first. A pending wait holds no thread (not the libuv pool either)
   * and does not delay `process.exit()` or `worker.terminate()`; like a timer, it keeps the event
   * loop alive until it settles. Rejects with a TypeError `AP_ERR_INVALID_ARGUMENT`
   * for a non-number and a RangeError `AP_ERR_OUT_OF_RANGE` for a negative or NaN timeout.
   */
  wait(timeoutMs: number): Promise<boolean>
  /**
   * An AbortSignal that aborts when this token is cancelled, on it or an ancestor, aborted at once
   * if the token already is. Its reason is the platform's standard one, a `DOMException` named
   * `'AbortError'` (what `AbortController.abort()` gives). A `cancel()` made in this thread aborts
   * it before returning; a cancel made anywhere else (native code, another thread) aborts it from
   * this thread's event loop. Waiting for that keeps no thread and does not keep the event loop
   * alive.
   */
  readonly signal: AbortSignalType
  /** A token cancelled when `signal` aborts (at once if it already has). */
  static fromSignal(signal: AbortSignalType): CancellationToken
  toString(): string
}

/**
 * The `AbortSignal` of the program's own types (the DOM lib or `@types/node`); without either, the
 * part of it this package uses, so that these typings need no other package.
 */
export type AbortSignalType = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalLike

/** What {@link CancellationToken} reads of an `AbortSignal`. */
export interface AbortSignalLike {
  readonly aborted: boolean
  readonly reason: unknown
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void
  removeEventListener(type: 'abort', listener: () => void): void
  throwIfAborted(): void
}

// ---- Registry ---------------------------------------------------------------------------------

/**
 * Label values of one series, by label name: `{route: '/api', code: 200}`. Numbers, bigints and
 * booleans are converted with `String()` (as prom-client does); the order of the keys does not
 * matter.
 */
export type Labels = Record<string, string | number | bigint | boolean>

/** Options of the look-ups of a {@link Registry}. */
export interface MetricOptions {
  /**
   * The family's help text (`# HELP`). Used when the family is created; later look-ups may omit
   * it and a different text is ignored. Default: empty.
   */
  help?: string
  /**
   * The series' labels. Every look-up of a family must give the same label names (the first
   * creates the family with them); names follow the Prometheus data model
   * (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`). Default: no labels.
   */
  labels?: Labels
}

/** Options of {@link Registry.histogram}: how the family is exported. */
export interface RegistryHistogramOptions extends MetricOptions {
  /**
   * Upper bounds (`le`) of the exported cumulative buckets, in exported units: finite and
   * strictly increasing; `+Inf` is always added. Default: Prometheus' default latency buckets
   * `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]` (seconds). Set when the family is
   * created; ignored afterwards.
   */
  buckets?: number[]
  /**
   * Exported value = recorded value × scale, positive. Default `1e-9`: record nanoseconds (as
   * every atomicperf histogram does), export seconds. Use `1` to export what you record.
   */
  scale?: number
}

/** Options of {@link Registry.summary}: the layout of a new family and its export. */
export interface RegistrySummaryOptions extends MetricOptions, SummaryOptions {
  /**
   * Exported value = recorded value × scale, positive. Default `1e-9`: record nanoseconds,
   * export seconds. Use `1` to export what you record.
   */
  scale?: number
}

/** Options of {@link Registry.metrics}. */
export interface MetricsOptions {
  /**
   * `'prometheus'` (default): text exposition format 0.0.4 ({@link Registry.PROMETHEUS_CONTENT_TYPE});
   * `'openmetrics'`: OpenMetrics 1.0, ending with `# EOF` ({@link Registry.OPENMETRICS_CONTENT_TYPE});
   * `'json'`: `{"families": [{"name", "kind", "help", "labels", "series": [...]}]}` where a
   * counter or gauge series has `value`, a histogram or timer `count`, `sum`, `min`, `max` and
   * `buckets: [{le, count}]` (in exported units; a timer also `errors`), a min/max `min` and `max`
   * (null while empty), a native histogram `schema`, `zero_threshold`, `zero_count`, `count`,
   * `sum`, `positive` and `negative`; `'protobuf'`: the Prometheus protobuf exposition
   * (length-delimited `io.prometheus.client.MetricFamily` messages,
   * {@link Registry.PROTOBUF_CONTENT_TYPE}), returned as a Buffer: the one format that carries
   * native histogram buckets (the text formats export a native histogram's `classicBuckets`,
   * `+Inf`, `_sum` and `_count`).
   */
  format?: ExportFormatName
}

/** The formats of {@link Registry.metrics}. */
export type ExportFormatName = 'prometheus' | 'openmetrics' | 'json' | 'protobuf'

/** Options of {@link Registry.nativeHistogram}: the layout of a new family, ignored afterwards. */
export interface RegistryNativeHistogramOptions extends MetricOptions, NativeHistogramOptions {
  /**
   * Classic `le` bucket bounds (finite, strictly increasing) exported beside the native buckets,
   * each counting the values of the native buckets wholly at or below it (exact when the bound is
   * a native bucket boundary, such as a power of two). Default none: the text formats export only
   * `+Inf`, `_sum` and `_count`, as client_golang does for a native-only histogram.
   */
  classicBuckets?: number[]
}

/** What {@link negotiate} picks for an Accept header. */
export interface NegotiatedFormat {
  /** The format to pass to `metrics({ format })`. */
  format: 'prometheus' | 'openmetrics' | 'protobuf'
  /** The `Content-Type` of a response in that format. */
  contentType: string
}

/**
 * The format to answer a scrape with, from its `Accept` header, as Prometheus negotiates (the
 * core's rule, the same in every language binding): the supported media range with the highest
 * `q` (the first of equals); protobuf only with `proto=io.prometheus.client.MetricFamily` and
 * `encoding=delimited`; `text/plain`, `text/*` and the any-type wildcard get Prometheus text, and so do an empty,
 * absent (`undefined`, `null`) or unsupported header. An array of headers is read as one.
 * @example
 * const { format, contentType } = negotiate(req.headers.accept)
 * res.writeHead(200, { 'Content-Type': contentType }).end(registry.metrics({ format }))
 * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `accept` is not a string (or absent).
 */
export declare function negotiate(accept: string | string[] | undefined | null): NegotiatedFormat

/**
 * Named metrics with help text and labels, created on first use and shared afterwards, exported
 * as Prometheus text, OpenMetrics or JSON: prom-client's registry and label children in one.
 *
 * Look-ups are get-or-create: the same kind, name and label values return the same metric, as the
 * same classes the constructors make ({@link Counter}, {@link Gauge}, {@link Histogram},
 * {@link Timer}, {@link MinMax}); a registry counter still adds to its Rust-owned cells with
 * `Atomics`. Keep the returned metric on a hot path: after the first look-up in a thread, later
 * ones are answered from a per-thread cache without a native call (about the cost of a few `Map`
 * look-ups), but holding the metric costs nothing at all.
 *
 * The same name with another kind or another set of label names, invalid names, a reserved label
 * (`le` on a histogram or timer) and bad buckets throw an `Error` with code
 * `'AP_ERR_INVALID_ARGUMENT'` and register nothing; arguments of the wrong JS type, and strings
 * that are not well-formed UTF-16 (a lone surrogate, which has no UTF-8 form), throw a
 * `TypeError` with the same code.
 *
 * {@link registry} (also `Registry.global()`) is the process-wide default registry: every
 * worker_thread loads the same addon, so a counter that several workers look up by name is one
 * counter, and `registry.metrics()` on any thread exports what all of them recorded.
 * `Registry.named(name)` opens a process-wide registry by name; `new Registry()` a private one.
 * Export reads the metrics' atomic cells: it never blocks a thread that is recording.
 *
 * @example
 * const { registry } = require('atomicperf')
 * const requests = (code) => registry.counter('http_requests', { help: 'Requests.', labels: { code } })
 * requests(200).inc()
 * const latency = registry.histogram('http_request_duration_seconds', { help: 'Latency.' })
 * latency.record(1_250_000) // ns; exported as 0.00125 s
 * // in a request handler:
 * // res.writeHead(200, { 'Content-Type': registry.contentType }).end(registry.metrics())
 */
/** An exemplar read back. */
export interface Exemplar {
  /** Its labels, in name order. */
  labels: Record<string, string>
  /** The increment of a counter, the recorded value of a histogram (in exported units in a registry). */
  value: number
  /** Seconds since the Unix epoch, or `null`. */
  timestamp: number | null
}

/**
 * Label pairs that describe something (a build's version and commit), exported as one sample
 * `<name>_info{...} 1`: OpenMetrics' `info` type (a gauge in the Prometheus text format), as
 * prometheus_client's `Info` (prom-client has none). `set` replaces the pairs as a whole; an
 * export sees the old pairs or the new ones, never a mix.
 *
 * @example
 * const { registry } = require('atomicperf')
 * registry.info('build', { help: 'Build facts.' }).set({ version: '1.4.2', commit: '9b339de' })
 */
export declare class Info {
  /** An Info with no pairs. */
  constructor()
  /**
   * Replaces the pairs (exported sorted by name).
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` for a label name outside the Prometheus data model
   *   or one of a registry Info's own label names; the pairs are then unchanged.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `pairs` is not an object.
   */
  set(pairs: Labels): void
  /** The pairs, in name order. */
  get(): Record<string, string>
  /** `Info({...})`. */
  toString(): string
}

/**
 * Which one of a fixed set of states something is in (a task starting, running, stopped),
 * exported as one sample per state, 1 for the current one and 0 for the others: OpenMetrics'
 * `stateset` type (a gauge in the Prometheus text format), as prometheus_client's `Enum`.
 * Starts in its first state.
 */
export declare class Enum {
  /**
   * An Enum over `states`, in the first.
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` for no states, an empty state or one given twice.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `states` is not an array of strings.
   */
  constructor(states: string[])
  /**
   * Makes `state` the current state.
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` if it is not one of the states (nothing changes).
   */
  set(state: string): void
  /** The current state. */
  get(): string
  /** The index of the current state in `states`. */
  readonly index: number
  /** Every state, in the order given. */
  readonly states: string[]
  /** `Enum(<state>)`. */
  toString(): string
}

/** Options of {@link Registry.enum}. */
export interface RegistryEnumOptions extends MetricOptions {
  /** The states of a new family (required; ignored for an existing one). */
  states: string[]
}

export declare class Registry {
  /** A new, empty private registry (not shared with other threads). */
  constructor()
  /** The process-wide default registry: the same object as {@link registry}. */
  static global(): Registry
  /**
   * The process-wide registry called `name`, shared by every thread and worker; created on first
   * use. The same object for the same name within a thread. `''` is a name like any other, not
   * the default registry.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `name` is not a string.
   */
  static named(name: string): Registry
  /** `'text/plain; version=0.0.4; charset=utf-8'`. */
  static readonly PROMETHEUS_CONTENT_TYPE: string
  /** `'application/openmetrics-text; version=1.0.0; charset=utf-8'`. */
  static readonly OPENMETRICS_CONTENT_TYPE: string
  /** `'application/json'`. */
  static readonly JSON_CONTENT_TYPE: string
  /**
   * `'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'`:
   * the content type of `metrics({ format: 'protobuf' })`.
   */
  static readonly PROTOBUF_CONTENT_TYPE: string
  /**
   * The counter `name` with these labels, created if absent (exported as `<name>_total` unless
   * the name already ends in `_total`).
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT`: invalid name or label name, `name` registered as
   *   another kind or with other label names.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT`: wrong JS types.
   */
  counter(name: string, options?: MetricOptions): Counter
  /** The gauge `name` with these labels, created if absent. Errors as {@link Registry.counter}. */
  gauge(name: string, options?: MetricOptions): Gauge
  /**
   * The histogram `name` with these labels, created if absent (default precision; values are
   * u64, nanoseconds by default). `buckets` and `scale` set the export of a new family.
   * Errors as {@link Registry.counter}, and for `le` as a label or bad buckets or scale.
   */
  histogram(name: string, options?: RegistryHistogramOptions): Histogram
  /**
   * The summary `name` with these labels, created if absent: exported as a Prometheus summary,
   * `<name>{quantile="0.5"}`... over the window (`NaN` while it is empty), `<name>_sum` and
   * `<name>_count` over all time (values recorded in nanoseconds, exported in seconds by
   * default). The options lay out a new family and are ignored for an existing one.
   * Errors as {@link Registry.counter} (an `Error` `AP_ERR_INVALID_ARGUMENT` for `quantile` as a
   * label or a scale that is not positive), and the `RangeError`s of the {@link Summary}
   * constructor for bad options.
   */
  summary(name: string, options?: RegistrySummaryOptions): Summary
  /**
   * The timer `name` with these labels, created if absent: exported as a histogram of seconds
   * `<name>` with Prometheus' default buckets plus a counter `<name>_errors_total`.
   * Errors as {@link Registry.counter}, and for `le` as a label.
   */
  timer(name: string, options?: MetricOptions): Timer
  /**
   * The min/max `name` with these labels, created if absent: exported as two gauges
   * `<name>_min` and `<name>_max` (absent while empty). Errors as {@link Registry.counter}.
   */
  minmax(name: string, options?: MetricOptions): MinMax
  /**
   * The native histogram `name` with these labels, created if absent (values in exported units,
   * durations in seconds: see {@link NativeHistogram}); `schema`, `zeroThreshold`, `denseRange`
   * and `classicBuckets` lay out a new family and are ignored afterwards. Exported as a native
   * histogram by `metrics({ format: 'protobuf' })`, and by the text formats as a histogram of its
   * `classicBuckets`, `+Inf`, `_sum` and `_count`.
   * Errors as {@link Registry.counter}, for `le` as a label or bad classic buckets, and a
   * `RangeError` `AP_ERR_OUT_OF_RANGE` for a bad schema, zero threshold or dense range.
   */
  nativeHistogram(name: string, options?: RegistryNativeHistogramOptions): NativeHistogram
  /**
   * The info `name` with these labels, created (with no pairs) if absent: exported as
   * `<name>_info` (one `_info` suffix whether or not `name` ends in it). Not cached: one native
   * call each. Errors as {@link Registry.counter}.
   */
  info(name: string, options?: MetricOptions): Info
  /**
   * The enum `name` with these labels, created in its first state if absent. `states` lays out a
   * new family and is ignored for an existing one; the state label is named `name`, so `name`
   * must also be a valid label name (no `:`). Not cached: one native call each.
   * Errors as {@link Registry.counter}, and for bad states.
   */
  enum(name: string, options: RegistryEnumOptions): Enum
  /**
   * Removes the series of family `name` with these labels (the object a look-up takes; omitted
   * for a family without labels): it is no longer exported and no longer counts against
   * `seriesLimit`. `false` if there was none (or no such family).
   *
   * A metric object of the series that a caller still holds keeps working: its updates are
   * accepted (also its direct writes: its cells live as long as the object) and never exported
   * again, and its memory is freed once no object refers to it. A new look-up, in any thread,
   * creates a new series from zero (the look-up caches notice removals). The family stays
   * registered (name, kind, help, label names).
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` if the label names are not the family's.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT`: wrong JS types.
   */
  remove(name: string, labels?: Labels): boolean
  /**
   * Removes every series of family `name` (as {@link Registry.remove} does each); returns how
   * many there were (0 for no such family).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `name` is not a string.
   */
  clearFamily(name: string): number
  /**
   * Removes every series of every family (as {@link Registry.remove} does each); returns how
   * many there were. The families stay registered.
   */
  clear(): number
  /**
   * Registers the default metrics, set at each `metrics()` of this thread and never in between
   * (but the event-loop delay monitor and the GC observer, which record as things happen): the
   * process metrics (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
   * `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
   * `process_start_time_seconds`; read from /proc, Linux only) and prom-client's Node.js ones
   * under its names, help texts and buckets: `nodejs_eventloop_lag_seconds` and
   * `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`,
   * `nodejs_gc_duration_seconds{kind}`, `nodejs_heap_size_total_bytes`,
   * `nodejs_heap_size_used_bytes`, `nodejs_external_memory_bytes`,
   * `nodejs_active_handles_total`, `nodejs_active_requests_total`, `nodejs_version_info`.
   * Calling it again does nothing.
   * @throws {Error} `AP_ERR_INVALID_ARGUMENT` on a platform other than Linux, or if the registry
   * already has a family whose exported names meet theirs.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` for the options `prefix` and `labels`, which
   * are not supported.
   */
  registerDefaultMetrics(options?: DefaultMetricsOptions): void
  /**
   * Every family and series, sorted by name, in the Prometheus text format (default; valid for
   * `promtool check metrics`), OpenMetrics, JSON (strings) or the Prometheus protobuf format (a
   * Buffer). Synchronous: it reads atomic cells and never blocks recording (about a millisecond
   * per few thousand series). See {@link negotiate} to pick the format a scraper asks for.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `format` is not a string.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` for an unknown format.
   */
  metrics(options: { format: 'protobuf' }): ByteBuffer
  metrics(options?: { format?: 'prometheus' | 'openmetrics' | 'json' }): string
  metrics(options?: MetricsOptions): string | ByteBuffer
  /** The content type of `metrics()` with no options: {@link Registry.PROMETHEUS_CONTENT_TYPE}. */
  readonly contentType: string
  /** Number of metric families registered. */
  readonly size: number
  /**
   * The cap on the number of series (one per name and label values), `null` for none. A label
   * with unbounded values (a user id, a URL) otherwise grows memory without end. Creating a
   * series past the cap throws a TypeError with code `AP_ERR_INVALID_ARGUMENT` (and is counted in
   * `refusedSeries`); existing series keep working. Settable (`null` removes the cap).
   */
  seriesLimit: number | null
  /** Number of series in the registry (every label set of every family). */
  readonly seriesCount: number
  /** Number of series refused because `seriesLimit` was reached. */
  readonly refusedSeries: number
  /** Whether `other` is a Registry object over the same registry (`Registry.named` in two threads). */
  isSameAs(other: unknown): boolean
  toString(): string
}

/** The process-wide default registry, shared by every thread and worker of the process. */
export declare const registry: Registry

/** Options of the default metrics, as prom-client's. */
export interface DefaultMetricsOptions {
  /** Buckets of `nodejs_gc_duration_seconds`, in seconds (default 0.001, 0.01, 0.1, 1, 2, 5). */
  gcDurationBuckets?: number[]
  /** Resolution of the event-loop delay monitor, in ms (default 10). */
  eventLoopMonitoringPrecision?: number
}

/**
 * prom-client's call: registers the default metrics ({@link Registry.registerDefaultMetrics}) in
 * `config.register`, the default {@link registry} when absent.
 */
export declare function collectDefaultMetrics(config?: DefaultMetricsOptions & { register?: Registry }): void

// ---- SharedRegistry ---------------------------------------------------------------------------

/**
 * How a {@link SharedRegistry} gauge combines the values of the processes that set it (each
 * process sets its own value, except in `'mostrecent'` mode). The live modes count only processes
 * alive at export time: a worker killed with SIGKILL drops out on its own. prometheus_client's
 * multiprocess modes:
 * - `'all'` (default) / `'liveall'`: one series per process, labelled `pid` (exited ones too / live ones only);
 * - `'sum'` / `'livesum'`: the sum of the processes' values;
 * - `'max'` / `'livemax'`, `'min'` / `'livemin'`: the extreme (no sample while no process has a value);
 * - `'mostrecent'`: one value for all processes, the last set wins.
 */
export type GaugeMode =
  | 'all'
  | 'liveall'
  | 'sum'
  | 'livesum'
  | 'max'
  | 'livemax'
  | 'min'
  | 'livemin'
  | 'mostrecent'

/** Options of {@link SharedRegistry.gauge}. */
export interface SharedGaugeOptions extends MetricOptions {
  /** How the processes' values are combined at export. Default `'all'`. */
  mode?: GaugeMode
}

/**
 * Options of `new SharedRegistry()`. The sizes apply when the segment is created; an existing
 * segment keeps its own.
 */
export interface SharedRegistryOptions {
  /** Directory of segments opened by name. Default `/dev/shm` (the temporary directory where there is none). */
  dir?: string
  /** Permission bits of a new segment file. Default `0o600` (the owner only). */
  mode?: number
  /** Series entries: each name and label set takes one, whatever the number of processes. Default 4,096. */
  maxSeries?: number
  /** Slots of the process table: processes that hold per-process gauge values at once. Default 64. */
  maxProcesses?: number
  /** Stripes of each counter, a power of two. Default: twice the CPUs, rounded up, at most 64. */
  counterStripes?: number
  /** Bytes for names, labels and cells (the file is sparse). Default 64 MiB. */
  dataBytes?: number | bigint
  /** Open only a segment that exists (an error if there is none) instead of creating it. Default false. */
  openExisting?: boolean
}

/** Options of {@link SharedRegistry.remove}. */
export interface SharedRegistryRemoveOptions {
  /** Directory of segments opened by name, as for `new SharedRegistry()`. */
  dir?: string
}

/**
 * A registry whose metrics live in one shared-memory segment that every process opens by name
 * (the workers of a `cluster`, child processes, processes of other languages): they record into
 * the same series, and any of them exports the totals. The API is {@link Registry}'s, and the
 * metrics are the same {@link Counter}, {@link Gauge}, {@link Histogram} and {@link Timer}
 * classes, whose cells are in the segment: `inc()`, `set()` and `record()` write them with
 * `Atomics`, as in process, with no native call, lock or message to another process.
 *
 * `pathOrName` without a `/` is the file `<dir>/atomicperf-<name>` (`/dev/shm` by default); with a
 * `/` it is used as it is. Counters and histograms add up across processes and never go backwards,
 * also when a process is killed. A gauge handle reads and writes the calling process's own value,
 * and its {@link GaugeMode} says how the export combines them.
 *
 * Errors: an invalid name, a file that is not a segment (another file, another layout version,
 * truncated, corrupted), a file that cannot be read and written, invalid options, a full segment
 * and conflicting registrations throw an `Error` with code `'AP_ERR_INVALID_ARGUMENT'`; arguments
 * of the wrong JS type a `TypeError` with the same code; negative or fractional sizes a
 * `RangeError` `'AP_ERR_OUT_OF_RANGE'`; any call on a closed registry an `Error` `'AP_ERR_CLOSED'`.
 *
 * @example
 * const cluster = require('node:cluster')
 * const { SharedRegistry } = require('atomicperf')
 * const metrics = new SharedRegistry('my-app') // /dev/shm/atomicperf-my-app, in every worker
 * const requests = metrics.counter('http_requests', { help: 'Requests.' })
 * const inFlight = metrics.gauge('http_in_flight', { help: 'In flight.', mode: 'livesum' })
 * // in a request handler: requests.inc(); inFlight.inc() ... inFlight.dec()
 * // /metrics, in any worker: res.end(metrics.metrics()) // every worker's totals
 */
export declare class SharedRegistry {
  /**
   * Opens the segment `pathOrName`, creating it if absent (unless `openExisting`). Racing
   * openers are safe: one creates it, the others open it.
   */
  constructor(pathOrName: string, options?: SharedRegistryOptions)
  /** Removes the segment file `pathOrName`; processes that have it open keep using it. */
  static remove(pathOrName: string, options?: SharedRegistryRemoveOptions): void
  /** `'text/plain; version=0.0.4; charset=utf-8'`. */
  static readonly PROMETHEUS_CONTENT_TYPE: string
  /** `'application/openmetrics-text; version=1.0.0; charset=utf-8'`. */
  static readonly OPENMETRICS_CONTENT_TYPE: string
  /** `'application/json'`. */
  static readonly JSON_CONTENT_TYPE: string
  /** The content type of `metrics({ format: 'protobuf' })`, as {@link Registry.PROTOBUF_CONTENT_TYPE}. */
  static readonly PROTOBUF_CONTENT_TYPE: string
  /** The counter `name` with these labels, created if absent (by this or any process). Errors as {@link Registry.counter}. */
  counter(name: string, options?: MetricOptions): Counter
  /**
   * The gauge `name` with these labels and mode, created if absent; the handle reads and writes
   * this process's value. Another mode than the family's, an unknown mode or a `pid` label throw
   * `AP_ERR_INVALID_ARGUMENT`.
   */
  gauge(name: string, options?: SharedGaugeOptions): Gauge
  /** The histogram `name` with these labels, created if absent. Errors as {@link Registry.histogram}. */
  histogram(name: string, options?: RegistryHistogramOptions): Histogram
  /** The timer `name` with these labels, created if absent. Errors as {@link Registry.timer}. */
  timer(name: string, options?: MetricOptions): Timer
  /** Every process's metrics, combined, in the format of {@link Registry.metrics} (the same text for the same data). */
  metrics(options: { format: 'protobuf' }): ByteBuffer
  metrics(options?: { format?: 'prometheus' | 'openmetrics' | 'json' }): string
  metrics(options?: MetricsOptions): string | ByteBuffer
  /** The content type of `metrics()` with no options. */
  readonly contentType: string
  /** The segment file (still readable after `close()`). */
  readonly path: string
  /** Number of metric families in the segment. */
  readonly size: number
  /** Number of series in the segment, registered by any process. */
  readonly seriesCount: number
  /** The segment's capacity in series. */
  readonly maxSeries: number
  /** Slots of the segment's process table. */
  readonly maxProcesses: number
  /** Series refused because the segment was full. */
  readonly refusedSeries: number
  /** Times a process found the process table full. */
  readonly refusedProcesses: number
  /** Removes the segment's file name; this registry and its metrics keep working. */
  unlink(): void
  /**
   * Lets go of the registry: every later call on it throws `AP_ERR_CLOSED`. Metrics it returned
   * keep working, and keep the segment mapped, until they are garbage-collected. A second close
   * does nothing.
   */
  close(): void
  /** Whether `close()` was called. */
  readonly closed: boolean
  /** Whether `other` is this same opened registry (two opens of one segment are two registries). */
  isSameAs(other: unknown): boolean
  toString(): string
}

/** Options of a {@link Pushgateway}. */
export interface PushgatewayOptions {
  /** Milliseconds each request may take, response included (default 30000). */
  timeout?: number
  /** Headers added to every request (authentication, say). */
  headers?: Record<string, string>
  /** Passed to `http.request` / `https.request` as its `agent`. */
  agent?: unknown
}

/** The group a {@link Pushgateway} request acts on: the job and the other grouping labels. */
export interface PushgatewayParams {
  /** The job label of the group; must not be empty. */
  jobName: string
  /**
   * The group's other labels, e.g. `{ instance: 'host-1' }`. Names follow the Prometheus data
   * model (not `job`, not starting with `__`); values may be anything, `/` and `''` included.
   */
  groupings?: Labels
}

/** The gateway's answer to a successful request. */
export interface PushgatewayResponse {
  /** Node's `http.IncomingMessage`: `statusCode` (2xx) and `headers` among others. */
  resp: { statusCode?: number; headers: Record<string, string | string[] | undefined> }
  /** The response body (usually empty). */
  body: string
}

/**
 * Pushes a registry to a Prometheus Pushgateway, with prom-client's API: `push` (PUT: the
 * registry's metrics replace the group's), `pushAdd` (POST: they replace only the families of
 * the same names) and `delete` (DELETE of the group). The group's URL is built by the core, the
 * same in every atomicperf language (a value with a `/` or an empty one goes base64-encoded).
 *
 * Every method returns a Promise. It rejects with: an Error with code `AP_ERR_INVALID_ARGUMENT`
 * for an empty job, an invalid grouping label name or gateway URL (before any request; a
 * TypeError for wrong JS types); an Error with `status` and the gateway's reason in `body` for a
 * status other than 2xx; an Error with code `AP_ERR_TIMEOUT` when the gateway does not answer
 * within `timeout`; an Error whose `cause` is Node's own (`ECONNREFUSED`...) when the gateway
 * cannot be reached.
 *
 * @example
 * const { Pushgateway, Registry } = require('atomicperf')
 * const registry = new Registry()
 * registry.counter('backups_done', { help: 'Backups done.' }).inc()
 * const gateway = new Pushgateway('http://127.0.0.1:9091', { timeout: 5000 }, registry)
 * await gateway.push({ jobName: 'backup', groupings: { path: '/var/tmp' } })
 */
export declare class Pushgateway {
  /**
   * `url` is `http://host:port` or `https://...`, optionally with a path prefix; `registry`
   * defaults to the process-wide {@link registry}.
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` for a url that is no string, bad options or a
   *   registry that is no Registry or SharedRegistry.
   */
  constructor(url: string, options?: PushgatewayOptions | null, registry?: Registry | SharedRegistry | null)
  /** POST: the registry's metrics replace only the group's families of the same names. */
  pushAdd(params: PushgatewayParams): Promise<PushgatewayResponse>
  /** PUT: the registry's metrics replace every metric of the group. */
  push(params: PushgatewayParams): Promise<PushgatewayResponse>
  /** DELETE: the group and all its metrics are deleted (a group that does not exist too). */
  delete(params: PushgatewayParams): Promise<PushgatewayResponse>
}

// ---- bench ------------------------------------------------------------------------------------

/** Options of {@link bench.run}. */
export interface BenchOptions {
  /** Thread counts, each from 1 to 256; every workload runs at each. Default `[1, 2, 4]`. */
  threads?: number[]
  /**
   * Time per cell (one design of one workload at one thread count), milliseconds, above 0 (at
   * most one hour). Default 1500: the full suite then takes about two minutes.
   */
  durationMs?: number
  /** Workloads to run: a name or names, matched as substrings (see {@link bench.workloads}). Default: all. */
  filter?: string | string[]
}

/** One measured cell of a {@link BenchReport}: one design of one workload at one thread count. */
export interface BenchCell {
  /** Workload name (`'counter'`, `'map_read_heavy'`, ...). */
  workload: string
  /** What the workload does. */
  description: string
  /** Design measured (`'atomicperf Counter (striped)'`, `'Mutex<u64>'`, ...). */
  design: string
  /** Whether this design is the workload's baseline (speed-up 1). */
  baseline: boolean
  /** Threads running the operation. */
  threads: number
  /** Operations completed by all threads. */
  ops: number
  /** Wall time of the cell, seconds. */
  seconds: number
  /** Operations per second, all threads together. */
  ops_per_sec: number
  /** Time per operation per thread, ns (`seconds × threads / ops`). */
  ns_per_op: number
  /** Median of sampled single-operation latencies, ns (includes one clock read). */
  p50_ns: number
  /** 99th percentile of the sampled latencies, ns. */
  p99_ns: number
  /** `ops_per_sec` over the baseline's at the same thread count, in the same run. */
  speedup: number
}

/** A figure published by the write-ups atomicperf answers, and the workload that answers it. */
export interface BenchPublished {
  source: string
  what: string
  figure: string
  answered_by: string
}

/**
 * The report of {@link bench.run}: the core's JSON report (schema `'atomicperf-bench/1'`, the
 * same as `atomicperf bench --json`, `ap_bench_run` and every binding), parsed, with the core's
 * two renderings attached as non-enumerable methods (so `JSON.stringify` gives the JSON back).
 */
export interface BenchReport {
  schema: 'atomicperf-bench/1'
  /** Library version. */
  version: string
  /** Available parallelism of the machine. */
  cpus: number
  /** Thread counts run. */
  threads: number[]
  /** Time per cell, seconds. */
  cell_seconds: number
  /** Wall time of the whole run, seconds. */
  total_seconds: number
  /** Every cell, grouped by workload then thread count. */
  cells: BenchCell[]
  /** Published figures for comparing designs (measured elsewhere). */
  published: BenchPublished[]
  /** The report as the plain-text table `npx atomicperf bench` prints. */
  toTable(): string
  /** The report as a Markdown table followed by the published figures. */
  toMarkdown(): string
}

/**
 * The benchmark suite: every primitive against the design it replaces (Mutex, RwLock, one
 * atomic), over thread counts, in one run. The workloads run on Rust threads, as from the CLI and
 * every other binding, so the numbers measure the primitives, not this binding (for the binding's
 * per-call cost see `npx atomicperf overhead`). Also on the command line:
 * `npx atomicperf bench [--threads 1,2] [--duration-ms 500] [--filter counter] [--json FILE]`.
 */
export declare const bench: {
  /**
   * Runs the suite on a thread of its own (not the libuv pool: minutes with the defaults) and
   * resolves its report. The JS thread stays free meanwhile.
   *
   * Rejects with a RangeError `AP_ERR_OUT_OF_RANGE` for no thread counts, a count outside 1..256
   * or not an integer, a duration that is not above 0, or a filter that matches no workload; with
   * a TypeError `AP_ERR_INVALID_ARGUMENT` for options of the wrong type.
   *
   * @example
   * const { bench } = require('atomicperf')
   * const report = await bench.run({ threads: [1, 2], durationMs: 500, filter: 'counter' })
   * console.log(report.toTable())
   */
  run(options?: BenchOptions): Promise<BenchReport>
  /** Every workload's name, in report order. */
  workloads(): string[]
}
