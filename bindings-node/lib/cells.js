'use strict'
// Direct records into the cells of a Histogram, a Timer, a MinMax and a NativeHistogram: no native
// call per value.
//
// At construction the native module hands over the metric's cells as an external ArrayBuffer
// together with the core's own description of them (histogramCells, timerCells, minmaxCells: the
// byte offsets, the sum stripes and the parameters of the bucket-index function that the C ABI's
// ap_histogram_cells and ap_minmax_layout describe too). A record then follows the rules of that
// description exactly as the core's own record does:
//
//   1. a value above `highest` adds n to the overflow count (saturating) and is recorded as
//      `highest`;
//   2. the minimum is lowered and 3. the maximum raised, by compare-and-swap;
//   4. v * n is added (wrapping) to this thread's sum stripe;
//   5. last, n is added to the value's bucket, saturating at 2^64-1 (an add that carries past it
//      is followed by a store of 2^64-1, the core's add_saturating).
//
// The extremes are checked before any atomic operation, as the core does with a relaxed load: a
// value that is not below the minimum (nor above the maximum) never touches them. The check
// reads the cell with a plain Float64Array load (one 8-byte load, so never a torn value, and no
// BigInt; an Atomics.load is a builtin call costing as much as the add itself), splits its bits
// into two 32-bit halves through a scratch buffer and compares them with v's (a cell whose bits
// are a NaN as a double could in principle come back as another NaN; every NaN's high half is
// above that of any value of the fast path, so the decision is the same). The minimum only
// ever decreases and the maximum only increases (until a reset, which is allowed to race with
// records), so a value read at any moment of the record is a safe bound: skipping the
// compare-and-swap is only ever decided on a minimum at or above the current one, or a maximum at
// or below it.
//
// The fast path takes integer numbers from 0 to Number.MAX_SAFE_INTEGER (2^53-1), the values a
// double holds exactly with all integers below them; everything else (a BigInt, larger numbers,
// any invalid argument) goes to the native call, which records it exactly or throws.

const { threadId } = require('node:worker_threads')

const MAX_U64 = 0xffff_ffff_ffff_ffffn
// 2^-32: (v * INV_POW2_32) >>> 0 is the high 32 bits of v (below 2^53), without a division.
const INV_POW2_32 = 2 ** -32
// 2^-k for every shift k of the index function: v * INV_POW2[k] is v / 2^k, exactly.
const INV_POW2 = new Float64Array(65)
for (let k = 0; k < INV_POW2.length; k++) INV_POW2[k] = 2 ** -k
// Scratch for the halves of the minimum and maximum cells (read as doubles: one 8-byte load
// each). Each thread loads this module anew and runs one record at a time, so no two records
// ever share it.
const SCRATCH_F64 = new Float64Array(2)
const SCRATCH_U32 = new Uint32Array(SCRATCH_F64.buffer)
// The cells are native-endian u64s, as are these views.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const MIN_LO = LITTLE_ENDIAN ? 0 : 1
const MIN_HI = 1 - MIN_LO
const MAX_LO = MIN_LO + 2
const MAX_HI = MIN_HI + 2

/**
 * The bucket index of v (an integer number from 0 to 2^53-1) for a layout with `subBits` = m:
 * the core's `k = 63 - clz64(v | (2^(m+1) - 1)) - m`, `index = (k << m) + (v >> k)`, in doubles
 * (every step is exact below 2^53). `subCount` is 2^m.
 */
function bucketIndex(v, subBits, subCount) {
  const hi = (v * INV_POW2_32) >>> 0
  const bits = hi !== 0 ? 64 - Math.clz32(hi) : 32 - Math.clz32(v >>> 0)
  const k = bits > subBits + 1 ? bits - subBits - 1 : 0
  return k * subCount + Math.floor(v * INV_POW2[k])
}

/** The same index for any u64 BigInt (only to check a description at construction). */
function bucketIndexBig(v, subBits) {
  const bits = v === 0n ? 0 : v.toString(2).length
  const k = bits > subBits + 1 ? bits - subBits - 1 : 0
  return k * 2 ** subBits + Number(v >> BigInt(k))
}

/** Lowers cell i to `big` (compare-and-swap while `big` is below it). */
function lower(u64, i, big) {
  let old = Atomics.load(u64, i)
  while (big < old) {
    const seen = Atomics.compareExchange(u64, i, old, big)
    if (seen === old) return
    old = seen
  }
}

/** Raises cell i to `big` (compare-and-swap while `big` is above it). */
function raise(u64, i, big) {
  let old = Atomics.load(u64, i)
  while (big > old) {
    const seen = Atomics.compareExchange(u64, i, old, big)
    if (seen === old) return
    old = seen
  }
}

/** Adds n (a BigInt from 1n) to count cell i, saturating at 2^64-1 (the core's add_saturating). */
function addSaturating(u64, i, n) {
  if (Atomics.add(u64, i, n) > MAX_U64 - n) Atomics.store(u64, i, MAX_U64)
}

/**
 * Takes v (an integer number from 0 to 2^53-1) into the extremes of cells `min` and `max`: the
 * exact compare-and-swap only when the plain read of the cell does not rule it out (see above).
 */
function extremes(u64, f64, min, max, v) {
  SCRATCH_F64[0] = f64[min]
  SCRATCH_F64[1] = f64[max]
  const hi = (v * INV_POW2_32) >>> 0
  const lo = v >>> 0
  const minHi = SCRATCH_U32[MIN_HI]
  if (hi < minHi || (hi === minHi && lo < SCRATCH_U32[MIN_LO])) lower(u64, min, BigInt(v))
  const maxHi = SCRATCH_U32[MAX_HI]
  if (hi > maxHi || (hi === maxHi && lo > SCRATCH_U32[MAX_LO])) raise(u64, max, BigInt(v))
}

/** v as a BigInt: a small integer converts without a detour through a double. */
function big(v) {
  return v <= 0x3fff_ffff ? BigInt(v | 0) : BigInt(v)
}

/** The cells of one histogram, as the core describes them, for this thread. */
class HistogramCells {
  /**
   * @param desc what histogramCells (or timerCells' `durations`) returned.
   * @param stripeBase added to threadId to pick the sum stripe: 0, or for a SharedRegistry's
   *   metric this process's pid (cluster workers' main threads all have threadId 0).
   * @throws {Error} if the description breaks the contract (the caller falls back to calls).
   */
  constructor(desc, stripeBase = 0) {
    const { buffer } = desc
    const cell = (offset, what) => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + 8 > buffer.byteLength) {
        throw new Error(`the histogram's ${what} cell (byte ${offset}) is not an aligned cell of the buffer`)
      }
      return offset / 8
    }
    const { sumCount, sumStride, bucketCount, subBits, highest } = desc
    if (!(sumCount >= 1 && (sumCount & (sumCount - 1)) === 0 && sumStride % 8 === 0)) {
      throw new Error(`the histogram's sum stripes (${sumCount}, ${sumStride} bytes apart) break the contract`)
    }
    if (!(Number.isInteger(subBits) && subBits >= 1 && subBits <= 32) || typeof highest !== 'bigint') {
      throw new Error(`the histogram's index parameters (sub_bits ${subBits}) break the contract`)
    }
    if (bucketIndexBig(highest, subBits) + 1 !== bucketCount) {
      throw new Error(`the histogram has ${bucketCount} buckets, its index function needs ${bucketIndexBig(highest, subBits) + 1}`)
    }
    this.u64 = new BigUint64Array(buffer)
    this.f64 = new Float64Array(buffer)
    this.min = cell(desc.minOffset, 'minimum')
    this.max = cell(desc.maxOffset, 'maximum')
    this.overflow = cell(desc.overflowOffset, 'overflow')
    // This thread's stripe: threads with stripes of their own never share a cache line.
    this.sum = cell(desc.sumOffset + ((threadId + stripeBase) & (sumCount - 1)) * sumStride, 'sum')
    this.buckets = cell(desc.bucketOffset, 'first bucket')
    cell(desc.bucketOffset + (bucketCount - 1) * 8, 'last bucket')
    this.subBits = subBits
    this.subCount = 2 ** subBits
    // Values above are clamped; a `highest` from 2^53 up is above every value of the fast path.
    this.clampAbove = highest <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(highest) : Infinity
  }
}

/** Records v (an integer number from 0 to 2^53-1) once into `c`, a HistogramCells. */
function recordOne(c, v) {
  const u64 = c.u64
  if (v > c.clampAbove) {
    if (Atomics.add(u64, c.overflow, 1n) === MAX_U64) Atomics.store(u64, c.overflow, MAX_U64)
    v = c.clampAbove
  }
  extremes(u64, c.f64, c.min, c.max, v)
  Atomics.add(u64, c.sum, big(v))
  const i = c.buckets + bucketIndex(v, c.subBits, c.subCount)
  if (Atomics.add(u64, i, 1n) === MAX_U64) Atomics.store(u64, i, MAX_U64)
}

/** Records v (an integer number from 0 to 2^53-1) n times (n a BigInt from 1n to 2^64-1). */
function recordN(c, v, n) {
  const u64 = c.u64
  if (v > c.clampAbove) {
    addSaturating(u64, c.overflow, n)
    v = c.clampAbove
  }
  extremes(u64, c.f64, c.min, c.max, v)
  Atomics.add(u64, c.sum, BigInt.asUintN(64, BigInt(v) * n))
  addSaturating(u64, c.buckets + bucketIndex(v, c.subBits, c.subCount), n)
}

/** A Timer's cells: its duration histogram and its error count. */
class TimerCells {
  constructor(desc, stripeBase = 0) {
    this.durations = new HistogramCells(desc.durations, stripeBase)
    if (desc.errors.byteLength !== 8) throw new Error('the timer\'s error count is not one cell')
    this.errors = new BigUint64Array(desc.errors)
  }
}

/** Records one execution of d ns (an integer number from 0 to 2^53-1), an error unless ok. */
function recordTiming(c, d, ok) {
  recordOne(c.durations, d)
  if (!ok) Atomics.add(c.errors, 0, 1n)
}

/** A MinMax's three cells. */
class MinMaxCells {
  constructor(desc) {
    const { buffer } = desc
    const cell = (offset) => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + 8 > buffer.byteLength) {
        throw new Error(`a MinMax cell (byte ${offset}) is not an aligned cell of the buffer`)
      }
      return offset / 8
    }
    this.u64 = new BigUint64Array(buffer)
    this.f64 = new Float64Array(buffer)
    this.min = cell(desc.minOffset)
    this.max = cell(desc.maxOffset)
    this.recorded = cell(desc.recordedOffset)
  }
}

/** Takes v (an integer number from 0 to 2^53-1) into the extremes, then marks them recorded. */
function recordExtremes(c, v) {
  extremes(c.u64, c.f64, c.min, c.max, v)
  // The flag is 0 or 1; its bits read as a double are +0 or the smallest subnormal.
  if (c.f64[c.recorded] === 0) Atomics.store(c.u64, c.recorded, 1n)
}

// ---- NativeHistogram ---------------------------------------------------------------------------
// A native histogram's record, by the protocol of the core's NativeCellsLayout (the one the C
// ABI's ap_native_histogram_layout documents):
//
//   1. v is added to one sum stripe (this thread's) by compare-and-swap of its f64 bits;
//   2. a v above the zero threshold adds 1 to its dense bucket cell, when its key is in the
//      dense range; 3. a v below minus the threshold, or one whose key is outside the dense
//      range, is recorded through the native call instead (decided before step 1: nothing is
//      written then); 4. NaN adds 1 to the NaN cell, anything else (|v| <= threshold) to the zero
//      cell.
//
// The key of a positive finite v = frac * 2^exp (frac in [0.5, 1)): for schema s > 0, the top
// s + 2 bits of the mantissa pick a cell of `lookup`, whose entry is the number of bounds below
// it, plus 1 if `bounds[that] < frac`; key = that + (exp - 1) * 2^s. For s <= 0: e = exp - 1 when
// frac is exactly 0.5, exp otherwise; key = (e + 2^-s - 1) >> -s. The bits are read through a
// scratch Float64Array, as for the extremes above (one load, no BigInt). Subnormals and
// infinities take the call (their keys are outside any dense range anyway).
const NH_F64 = new Float64Array(1)
const NH_U32 = new Uint32Array(NH_F64.buffer)
const NH_U64 = new BigUint64Array(NH_F64.buffer)
const NH_HI = LITTLE_ENDIAN ? 1 : 0
const NH_LO = 1 - NH_HI

/** The cells of one native histogram, as the core describes them, for this thread. */
class NativeCells {
  /**
   * @param desc what nativeHistogramCells returned.
   * @throws {Error} if the description breaks the contract (the caller falls back to calls).
   */
  constructor(desc, stripeBase = 0) {
    const { buffer } = desc
    const cell = (offset, what) => {
      if (!Number.isSafeInteger(offset) || offset < 0 || offset % 8 !== 0 || offset + 8 > buffer.byteLength) {
        throw new Error(`the native histogram's ${what} cell (byte ${offset}) is not an aligned cell of the buffer`)
      }
      return offset / 8
    }
    const { sumCount, sumStride, denseCount, firstKey, schema, zeroThreshold, lookup, bounds } = desc
    if (!(sumCount >= 1 && (sumCount & (sumCount - 1)) === 0 && sumStride % 8 === 0)) {
      throw new Error(`the native histogram's sum stripes (${sumCount}, ${sumStride} bytes apart) break the contract`)
    }
    if (!(Number.isInteger(schema) && schema >= -4 && schema <= 8) || !Number.isInteger(firstKey) ||
      !(zeroThreshold >= 0) || !(Number.isInteger(denseCount) && denseCount >= 1)) {
      throw new Error(`the native histogram's layout (schema ${schema}, first key ${firstKey}) breaks the contract`)
    }
    // The tables: 4 << s cells for schema s > 0, each an index into the 2^s + 1 bounds (the last
    // one past every fraction).
    const tables = schema > 0
      ? lookup.length === 4 << schema && bounds.length === (1 << schema) + 1 &&
        lookup.every((b) => Number.isInteger(b) && b >= 0 && b < bounds.length)
      : lookup.length === 0
    if (!tables) throw new Error(`the native histogram's key tables do not fit schema ${schema}`)
    this.u64 = new BigUint64Array(buffer)
    this.f64 = new Float64Array(buffer)
    this.zeroCell = cell(desc.zeroOffset, 'zero')
    this.nanCell = cell(desc.nanOffset, 'NaN')
    this.sum = cell(desc.sumOffset + ((threadId + stripeBase) & (sumCount - 1)) * sumStride, 'sum')
    this.dense = cell(desc.denseOffset, 'first dense')
    cell(desc.denseOffset + (denseCount - 1) * 8, 'last dense')
    this.denseCount = denseCount
    this.first = firstKey
    this.schema = schema
    this.zero = zeroThreshold
    // (hi >>> shift) & mask: the top s + 2 mantissa bits of the high word (s + 2 <= 10 < 20).
    this.shift = 20 - (schema + 2)
    this.mask = (4 << schema) - 1
    this.lookup = Uint16Array.from(lookup)
    this.bounds = Float64Array.from(bounds)
    // For schemas <= 0: 2^-s - 1 and -s.
    this.round = schema <= 0 ? (1 << -schema) - 1 : 0
    this.down = schema <= 0 ? -schema : 0
  }
}

/**
 * Adds v (a number) to this thread's sum stripe of `c`, by compare-and-swap of its bits. The
 * first expected value comes from a plain Float64Array load (one 8-byte load, never torn, and no
 * call into an Atomics builtin): a stale one only fails the compare-and-swap, which then hands
 * over the cell's bits exactly.
 */
function addToSum(c, v) {
  const u64 = c.u64
  const at = c.sum
  NH_F64[0] = c.f64[at]
  let old = NH_U64[0]
  NH_F64[0] += v
  let seen = Atomics.compareExchange(u64, at, old, NH_U64[0])
  while (seen !== old) {
    old = seen
    NH_U64[0] = old
    NH_F64[0] += v
    seen = Atomics.compareExchange(u64, at, old, NH_U64[0])
  }
}

/**
 * Records v (a number) into `c`, a NativeCells, and returns true; or writes nothing and returns
 * false when v takes the native call (negative beyond the threshold, subnormal, infinite, or its
 * key outside the dense range).
 */
function recordNative(c, v) {
  if (v > c.zero) {
    NH_F64[0] = v
    const hi = NH_U32[NH_HI]
    const e = hi >>> 20 // v > 0: no sign bit
    if (e === 0 || e === 0x7ff) return false
    const s = c.schema
    let key
    if (s > 0) {
      let below = c.lookup[(hi >>> c.shift) & c.mask]
      NH_U32[NH_HI] = (hi & 0x000f_ffff) | 0x3fe0_0000 // frac: the exponent of 0.5
      if (c.bounds[below] < NH_F64[0]) below++
      key = below + (e - 1023) * (1 << s) // exp - 1 = (e - 1022) - 1
    } else {
      const exp = (hi & 0x000f_ffff) === 0 && NH_U32[NH_LO] === 0 ? e - 1023 : e - 1022
      key = (exp + c.round) >> c.down
    }
    const i = key - c.first
    if (i < 0 || i >= c.denseCount) return false
    addToSum(c, v)
    Atomics.add(c.u64, c.dense + i, 1n)
    return true
  }
  if (v < -c.zero) return false
  addToSum(c, v)
  Atomics.add(c.u64, v === v ? c.zeroCell : c.nanCell, 1n)
  return true
}

/**
 * Go's Duration.Seconds() of d ns (an integer number from 0 to 2^53-1), as the core's
 * record_nanos converts it: whole seconds plus the nanoseconds over 1e9 (below a second, just
 * d / 1e9). The whole seconds come from a multiplication by 1e-9 (cheaper than a division), whose
 * floor may be one off near a multiple of 1e9: the remainder's sign corrects it. q * 1e9 and
 * d - q * 1e9 are exact (integers below 2^53), and so the result is the core's, bit for bit.
 */
function nanosToSeconds(d) {
  if (d < 1e9) return d / 1e9
  let q = Math.floor(d * 1e-9)
  let r = d - q * 1e9
  if (r < 0) {
    q -= 1
    r += 1e9
  } else if (r >= 1e9) {
    q += 1
    r -= 1e9
  }
  return q + r / 1e9
}

/** True for the values of the fast path: integer numbers from 0 to 2^53-1. */
function isFast(v) {
  return typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Math.floor(v) === v
}

module.exports = {
  HistogramCells, TimerCells, MinMaxCells, recordOne, recordN, recordTiming, recordExtremes, isFast, bucketIndex,
  NativeCells, recordNative, nanosToSeconds,
}
