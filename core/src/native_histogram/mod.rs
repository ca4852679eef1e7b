//! [`NativeHistogram`]: a lock-free histogram with the exponential buckets of Prometheus native
//! histograms (a `schema` from -4 to 8, a zero bucket), bucket for bucket what Prometheus' other
//! clients record.

mod bounds;
mod config;
mod snapshot;
mod spill;
#[cfg(all(test, not(loom)))]
mod tests;

pub use config::NativeConfig;
pub use snapshot::{BucketSpan, NativeSnapshot};

use crate::cells::CellBlock;
use crate::histogram::sum_stripes;
use crate::stripe::thread_index;
use crate::sync::{AtomicU64, Ordering};
use crate::Error;
use spill::Spill;

// Layout of the one allocation, in u64 cells: a header line (the zero bucket and the NaN count,
// rarely written), then the sum (f64 bits) striped one cache line apart, then the dense buckets.
const ZERO: usize = 0;
const NAN: usize = 1;
/// Cells per cache line.
const LINE: usize = 8;

/// A lock-free histogram of `f64` values with the exponential buckets of Prometheus native
/// histograms: what client_golang records for a histogram with `NativeHistogramBucketFactor`,
/// and what a Prometheus server stores as one series instead of a dozen `le` buckets.
///
/// For schema `s`, bucket `k` holds the values `v` with `b^(k-1) < |v| <= b^k`, `b = 2^(2^-s)`
/// (positive and negative values in buckets of their own); values with `|v|` at most the zero
/// threshold land in the zero bucket, NaN in no bucket (but in the count, and the sum becomes
/// NaN), ±∞ in the bucket past the largest finite value. The bucket of a value is computed
/// exactly as client_golang computes it (the same boundary table, the same rounding), so a value
/// on a boundary lands where every Prometheus client puts it.
///
/// # Error bound
/// A value is known to its bucket: any estimate inside bucket `k` is within a factor `b` of
/// every value in it, a relative error of at most `b - 1` (9.05% at the default schema 3). The
/// bucket's geometric midpoint `b^(k - 1/2)` is within `sqrt(b) - 1` (4.43% at schema 3) of any
/// value of the bucket. [`quantile`](Self::quantile) interpolates inside the bucket of the rank
/// the way Prometheus' `histogram_quantile` does (exponentially), so it is within `b - 1` of the
/// value of that rank.
///
/// # Storage
/// Positive values between the [`NativeConfig`]'s dense range (1 ns to 1 h, in seconds, by
/// default) land in a fixed array of `u64` cells, one per bucket: recording is a few
/// instructions to find the bucket, one atomic add to it and one to a striped sum, and never
/// waits. Other values (negative, or outside the range) go to spill tables allocated on first
/// use and never moved, so no value is ever clamped or dropped. The default histogram takes
/// under 4 KiB on any machine ([`memory_bytes`](Self::memory_bytes)).
///
/// Reads taken while writers run see each record wholly or not at all in the bucket counts; the
/// sum may run slightly ahead of the counts.
///
/// # Example
/// ```
/// use atomicperf::NativeHistogram;
///
/// let latency = NativeHistogram::new(); // schema 3, seconds
/// for ms in 1..=1000u64 {
///     latency.record_nanos(ms * 1_000_000);
/// }
/// assert_eq!(latency.count(), 1000);
/// let p99 = latency.quantile(0.99).unwrap().unwrap();
/// assert!((p99 - 0.990).abs() <= 0.990 * latency.config().relative_error());
/// ```
pub struct NativeHistogram {
    config: NativeConfig,
    cells: CellBlock<AtomicU64>,
    sum_mask: usize,
    /// Key of the first dense bucket cell.
    first: i32,
    spill: Spill,
}

impl Default for NativeHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for NativeHistogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeHistogram")
            .field("config", &self.config)
            .field("count", &self.count())
            .field("sum", &self.sum())
            .finish()
    }
}

impl NativeHistogram {
    /// An empty histogram with the default [`NativeConfig`] (schema 3, zero threshold 2^-128,
    /// dense from 1 ns to 1 h in seconds).
    pub fn new() -> Self {
        Self::with_config(NativeConfig::default())
    }

    /// An empty histogram with the given configuration.
    pub fn with_config(config: NativeConfig) -> Self {
        let stripes = sum_stripes();
        let (first, last) = config.dense_keys();
        let n = LINE * (1 + stripes) + (last - first + 1) as usize;
        let cells = (0..n).map(|_| AtomicU64::new(0)).collect();
        NativeHistogram {
            config,
            cells: CellBlock::new(cells),
            sum_mask: stripes - 1,
            first,
            spill: Spill::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &NativeConfig {
        &self.config
    }

    /// Bytes this histogram occupies: its cells, and the spill tables allocated so far.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + std::mem::size_of_val(&*self.cells)
            + self.spill.memory_bytes()
    }

    fn dense(&self) -> &[AtomicU64] {
        &self.cells[LINE * (1 + self.sum_mask + 1)..]
    }

    fn sums(&self) -> impl Iterator<Item = &AtomicU64> {
        self.cells[LINE..LINE * (2 + self.sum_mask)]
            .iter()
            .step_by(LINE)
    }

    /// Records one value.
    #[inline]
    pub fn record(&self, v: f64) {
        self.add_to_sum(v);
        let zero = self.config.zero_threshold();
        if v > zero {
            let k = key(v, self.config.schema());
            let i = k.wrapping_sub(self.first) as u32 as usize;
            match self.dense().get(i) {
                Some(cell) => {
                    cell.fetch_add(1, Ordering::Release);
                }
                None => self.spill.add(k, false),
            }
        } else if v < -zero {
            self.spill.add(key(-v, self.config.schema()), true);
        } else if v.is_nan() {
            self.cells[NAN].fetch_add(1, Ordering::Release);
        } else {
            self.cells[ZERO].fetch_add(1, Ordering::Release);
        }
    }

    /// Records a duration of `nanos` nanoseconds, in seconds: the same `f64` as Go's
    /// `time.Duration.Seconds()` (whole seconds plus the nanoseconds over 1e9), so that a
    /// duration lands in the same bucket as in client_golang.
    #[inline]
    pub fn record_nanos(&self, nanos: u64) {
        self.record(nanos_to_seconds(nanos));
    }

    #[inline]
    fn add_to_sum(&self, v: f64) {
        // Stripe i is cell LINE * (1 + i): the index is masked to the stripes.
        let cell = &self.cells[LINE * (1 + (thread_index() & self.sum_mask))];
        let mut old = cell.load(Ordering::Relaxed);
        loop {
            let new = (f64::from_bits(old) + v).to_bits();
            match cell.compare_exchange_weak(old, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return,
                Err(now) => old = now,
            }
        }
    }

    /// Number of recorded values, NaN included (a scan of the buckets).
    pub fn count(&self) -> u64 {
        let dense = self.dense().iter().map(|c| c.load(Ordering::Acquire));
        let header = [ZERO, NAN].map(|i| self.cells[i].load(Ordering::Acquire));
        dense
            .chain(header)
            .chain(self.spill.entries().map(|(_, _, n)| n))
            .fold(0u64, u64::wrapping_add)
    }

    /// Sum of the recorded values (NaN once a NaN is recorded; ±∞ likewise).
    pub fn sum(&self) -> f64 {
        self.sums()
            .map(|c| f64::from_bits(c.load(Ordering::Relaxed)))
            .sum()
    }

    /// Number of values in the zero bucket (`|v|` at most the zero threshold).
    pub fn zero_count(&self) -> u64 {
        self.cells[ZERO].load(Ordering::Acquire)
    }

    /// The value of rank `q` (0 to 1), estimated as Prometheus' `histogram_quantile` does for a
    /// native histogram (see [`NativeSnapshot::quantile`]); `None` while empty.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<f64>, Error> {
        self.snapshot().quantile(q)
    }

    /// A copy of the state, to read many statistics from one moment and to export.
    pub fn snapshot(&self) -> NativeSnapshot {
        let mut positive: Vec<(i32, u64)> = self
            .dense()
            .iter()
            .enumerate()
            .map(|(i, c)| (self.first + i as i32, c.load(Ordering::Acquire)))
            .filter(|&(_, n)| n > 0)
            .collect();
        let mut negative = Vec::new();
        for (k, neg, n) in self.spill.entries() {
            if n > 0 {
                if neg {
                    negative.push((k, n));
                } else {
                    positive.push((k, n));
                }
            }
        }
        positive.sort_unstable();
        negative.sort_unstable();
        NativeSnapshot::new(
            self.config.schema(),
            self.config.zero_threshold(),
            self.zero_count(),
            self.cells[NAN].load(Ordering::Acquire),
            self.sum(),
            positive,
            negative,
        )
    }

    /// Adds every value of `other` to this histogram (see [`merge_snapshot`](Self::merge_snapshot)).
    ///
    /// # Errors
    /// As [`merge_snapshot`](Self::merge_snapshot).
    pub fn merge(&self, other: &NativeHistogram) -> Result<(), Error> {
        self.merge_snapshot(&other.snapshot())
    }

    /// Adds every value of `snapshot` to this histogram. A snapshot of a finer schema is merged
    /// exactly (its buckets nest in this histogram's); buckets wholly inside this histogram's
    /// zero bucket, and the snapshot's zero bucket, count in the zero bucket.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the snapshot's schema is coarser than this histogram's
    /// (its buckets cannot be split).
    pub fn merge_snapshot(&self, snapshot: &NativeSnapshot) -> Result<(), Error> {
        let (ours, theirs) = (self.config.schema(), snapshot.schema());
        if theirs < ours {
            return Err(Error::InvalidArgument(format!(
                "cannot merge a native histogram of schema {theirs} into one of schema {ours}: \
                 its buckets are wider"
            )));
        }
        let shift = u32::from((theirs - ours) as u8);
        let zero = self.config.zero_threshold();
        self.add_to_sum(snapshot.sum());
        let mut zeros = snapshot.zero_count();
        for (buckets, negative) in [(snapshot.positive(), false), (snapshot.negative(), true)] {
            for &(k, n) in buckets {
                // Upper bound of the snapshot's bucket: at most the zero threshold, it is all zero.
                if bound(k, theirs) <= zero {
                    zeros += n;
                    continue;
                }
                let k = reduce(k, shift);
                let i = k.wrapping_sub(self.first) as u32 as usize;
                match (negative, self.dense().get(i)) {
                    (false, Some(cell)) => {
                        cell.fetch_add(n, Ordering::Release);
                    }
                    _ => self.spill.add_n(k, negative, n),
                }
            }
        }
        self.cells[ZERO].fetch_add(zeros, Ordering::Release);
        self.cells[NAN].fetch_add(snapshot.nan_count(), Ordering::Release);
        Ok(())
    }

    /// Where this histogram's cells are, for a foreign recorder (the Go binding) that writes the
    /// dense buckets itself: offsets in bytes from [`cells_base`](Self::cells_base), and the
    /// parameters of the bucket-key function. See [`NativeCellsLayout`].
    pub fn cells_layout(&self) -> NativeCellsLayout {
        let schema = self.config.schema();
        let (lookup, bounds): (&'static [u16], &'static [f64]) = if schema > 0 {
            (
                bounds::LOOKUP[schema as usize],
                bounds::PADDED[schema as usize],
            )
        } else {
            (&[], &[])
        };
        NativeCellsLayout {
            zero_offset: 8 * ZERO,
            nan_offset: 8 * NAN,
            sum_offset: 8 * LINE,
            sum_count: self.sum_mask + 1,
            sum_stride: 8 * LINE,
            dense_offset: 8 * LINE * (2 + self.sum_mask),
            dense_count: self.dense().len(),
            len: 8 * self.cells.len(),
            first_key: self.first,
            schema,
            zero_threshold: self.config.zero_threshold(),
            lookup,
            bounds,
        }
    }

    /// Start of the cells [`cells_layout`](Self::cells_layout) describes; valid while the
    /// histogram lives.
    pub fn cells_base(&self) -> *const AtomicU64 {
        self.cells.as_ptr()
    }

    /// Sets every count and the sum back to zero (spill tables stay allocated). Records that
    /// run at the same time are kept or lost whole in the counts.
    pub fn reset(&self) {
        for c in self.cells.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.spill.reset();
    }
}

/// Where a [`NativeHistogram`]'s cells are (byte offsets from
/// [`NativeHistogram::cells_base`]), and what a foreign recorder needs to record a value the
/// way [`NativeHistogram::record`] does. To record `v`:
///
/// 1. Add `v` to any one sum stripe: load it, compare-and-swap it to the bits of
///    `f64::from_bits(old) + v`, retry on failure.
/// 2. If `v > zero_threshold`: compute `k = key(v)` (below); if `0 <= k - first_key <
///    dense_count`, add 1 to dense cell `k - first_key` (release); otherwise record `v` through
///    the library instead (which adds to the sum again: decide before step 1).
/// 3. Else if `v < -zero_threshold`: record `v` through the library (decide before step 1).
/// 4. Else if `v` is NaN: add 1 to the NaN cell (release); else add 1 to the zero cell (release).
///
/// `key(v)`, for a positive finite `v` with `v = frac · 2^exp`, `frac` in [0.5, 1) (C's
/// `frexp`), and `s = schema`:
/// - `s > 0`: `cell` = the top `s + 2` bits of `frac`'s 52-bit mantissa field,
///   `below = lookup[cell]`, plus 1 if `bounds[below] < frac`; `key = below + (exp - 1) · 2^s`.
/// - `s <= 0`: `e = exp - 1` if `frac == 0.5`, else `exp`; `key = (e + 2^-s - 1) >> -s`
///   (arithmetic shift).
///
/// +∞ has the key of `f64::MAX` plus one (never dense).
#[derive(Debug, Clone, Copy)]
pub struct NativeCellsLayout {
    /// The zero bucket's count: atomic add only.
    pub zero_offset: usize,
    /// The NaN count: atomic add only.
    pub nan_offset: usize,
    /// Sum stripe 0 (f64 bits): compare-and-swap only.
    pub sum_offset: usize,
    /// Number of sum stripes (a power of two).
    pub sum_count: usize,
    /// Bytes from one sum stripe to the next (a multiple of 8).
    pub sum_stride: usize,
    /// Dense bucket cell 0 (key `first_key`); cell `i` is `8 * i` bytes further: atomic add only.
    pub dense_offset: usize,
    /// Number of dense bucket cells.
    pub dense_count: usize,
    /// Bytes of the whole allocation from the base.
    pub len: usize,
    /// The key of dense cell 0.
    pub first_key: i32,
    /// The schema.
    pub schema: i8,
    /// The zero threshold.
    pub zero_threshold: f64,
    /// The key function's cell table (empty for schemas 0 and below).
    pub lookup: &'static [u16],
    /// The key function's bounds (empty for schemas 0 and below), one past the last bound
    /// included.
    pub bounds: &'static [f64],
}

/// Go's `time.Duration.Seconds()` of `nanos` nanoseconds.
pub(crate) fn nanos_to_seconds(nanos: u64) -> f64 {
    (nanos / 1_000_000_000) as f64 + (nanos % 1_000_000_000) as f64 / 1e9
}

/// The fraction in [0.5, 1) and the exponent of a positive finite `v` (C's `frexp`).
pub(crate) fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 || !v.is_finite() {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (f, e) = frexp(v * f64::from_bits(0x4350_0000_0000_0000)); // 2^54
        return (f, e - 54);
    }
    let frac = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (frac, exp - 1022)
}

/// The bucket key of a positive `v` (finite or +∞) at `schema`, as client_golang computes it.
#[inline]
pub(crate) fn key(v: f64, schema: i8) -> i32 {
    let (v, inf) = if v == f64::INFINITY {
        (f64::MAX, 1)
    } else {
        (v, 0)
    };
    let (frac, exp) = frexp(v);
    let k = if schema > 0 {
        // The number of bounds below `frac`: client_golang's binary search, as one table look-up
        // by the top mantissa bits and one comparison (see bounds::LOOKUP).
        let s = schema as usize;
        let cell = ((frac.to_bits() >> (52 - (s + 2))) as usize) & ((4 << s) - 1);
        let below = usize::from(bounds::LOOKUP[s][cell]);
        let below = below + usize::from(bounds::PADDED[s][below] < frac);
        below as i32 + (exp - 1) * (1 << s)
    } else {
        let k = if frac == 0.5 { exp - 1 } else { exp };
        let shift = -i32::from(schema);
        (k + (1 << shift) - 1) >> shift
    };
    k + inf
}

/// The upper bound of bucket `k` at `schema` (the lower bound is `bound(k - 1)`), as
/// Prometheus computes it; +∞ past the largest finite value.
pub(crate) fn bound(k: i32, schema: i8) -> f64 {
    if schema > 0 {
        let b = bounds::BOUNDS[schema as usize];
        let frac = b[(k & ((1 << schema) - 1)) as usize];
        let exp = (k >> schema) + 1;
        if frac == 0.5 && exp == 1025 {
            return f64::INFINITY;
        }
        ldexp(frac, exp)
    } else {
        let exp = i64::from(k) << -i32::from(schema);
        if exp >= 1024 {
            return f64::INFINITY;
        }
        ldexp(1.0, exp.max(-1100) as i32)
    }
}

/// `frac * 2^exp`, in two steps so that neither power of two leaves the normal range.
fn ldexp(frac: f64, exp: i32) -> f64 {
    let exp = exp.clamp(-1100, 1100); // past either end the result is 0 or ∞ anyway
    let pow2 = |e: i32| f64::from_bits(((e + 1023) as u64) << 52);
    let half = exp / 2;
    frac * pow2(half) * pow2(exp - half)
}

/// The key at a schema `shift` steps coarser of bucket `k`.
pub(crate) fn reduce(k: i32, shift: u32) -> i32 {
    // Buckets nest: bucket k of schema s lies in bucket ceil(k / 2^shift) of schema s - shift.
    (k + (1 << shift) - 1) >> shift
}
