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

/** Error codes carried by the `code` property of errors thrown by this package. */
export type AtomicperfErrorCode = 'AP_ERR_OUT_OF_RANGE' | 'AP_ERR_INVALID_ARGUMENT' | 'AP_ERR_INTERNAL'

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
   * Records one value (above `highest` it is clamped and counted as overflow).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` is negative, fractional, NaN or >= 2^64.
   */
  record(v: U64): void
  /**
   * Records `v` as if `n` times (`n = 0` records nothing).
   * @throws {TypeError} `AP_ERR_INVALID_ARGUMENT` if `v` or `n` is neither a number nor a bigint.
   * @throws {RangeError} `AP_ERR_OUT_OF_RANGE` if `v` or `n` is negative, fractional, NaN or >= 2^64.
   */
  recordN(v: U64, n: U64): void
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
  /** Bytes of native memory this histogram occupies (15.4 KiB with the defaults). */
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

/**
 * Returns its argument. For the benchmark only: the cost of a plain napi-rs function taking and
 * returning one number, the baseline `counter.inc()` is compared with.
 */
export declare function benchIdentity(n: number): number
