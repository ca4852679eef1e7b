mod config;
mod snapshot;

pub use config::HistogramConfig;
pub use snapshot::HistogramSnapshot;

use crate::exemplar::{self, Exemplar, Slots};
use std::sync::OnceLock;

use crate::cells::CellBlock;
use crate::stripe::thread_index;
use crate::sync::{AtomicU64, Ordering};
use crate::Error;

// Layout of the one allocation, in u64 cells: a header line (extremes and overflow, rarely
// written), then the sum striped one cache line apart (every record adds to it, so threads must
// not share it), then the buckets.
const MIN: usize = 0;
const MAX: usize = 1;
const OVERFLOW: usize = 2;
/// A header cell the histogram never touches: a [`Timer`](crate::Timer) keeps its error count
/// there, so that a timer is one allocation (and one block of shared memory).
const SPARE: usize = 3;
/// Cells per cache line.
const LINE: usize = 8;
/// Most sum stripes: keeps the default histogram within 16 KiB on any machine.
pub(crate) const MAX_SUM_STRIPES: usize = 8;

/// The number of sum stripes a new histogram gets on this machine.
pub(crate) fn sum_stripes() -> usize {
    // `available_parallelism` reads cgroup files: asked once.
    static STRIPES: OnceLock<usize> = OnceLock::new();
    *STRIPES.get_or_init(|| {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cpus * 2).next_power_of_two().min(MAX_SUM_STRIPES)
    })
}

/// A lock-free log-linear histogram of `u64` values (nanoseconds by default): equivalent to a
/// `Mutex<hdrhistogram::Histogram>`, except that recording is a handful of atomic operations that
/// never wait, and reads (`count`, `quantile`) scan the buckets.
///
/// Values land in buckets laid out by a [`HistogramConfig`] (precision 1 to 5 significant figures,
/// values 0 to a highest trackable value). Recording adds to one bucket, adds to the sum and
/// raises the min/max only when the value is a new extreme. A value above the range is clamped to
/// the highest trackable value and counted in [`overflow_count`](Histogram::overflow_count); it is
/// never dropped.
///
/// # Guarantees
/// - No record is lost: the count always equals the number of recorded values, up to
///   `u64::MAX`. Counts saturate instead of wrapping: a bucket, the total count and the overflow
///   count that would pass `u64::MAX` (only `record_n` with huge `n` gets there) stay at
///   `u64::MAX` until [`reset`](Histogram::reset), so count, quantiles and export stay consistent.
///   The sum wraps at 2^64 ([`sum`](Histogram::sum)); [`mean`](Histogram::mean) and the exported
///   sum undo the wrapping ([`HistogramSnapshot::sum_f64`]).
/// - [`quantile`](Histogram::quantile) is within [`HistogramConfig::relative_error`] of the value
///   of that rank in the (clamped) recorded data; quantile 0 and 1 are the exact min and max.
/// - Reads taken while writers run see each record wholly or not at all in the bucket counts;
///   sum, min and max may run slightly ahead of the counts.
/// - The state is one allocation of `u64` cells (a four-cell header, then the buckets) with no
///   pointers inside: a header line, the sum striped one cache line per stripe (at most 8, so
///   that concurrent recorders never share it), then the buckets. The default layout takes
///   16,112 bytes on a 2-CPU machine and at most 16,368 anywhere.
///
/// # Example
/// ```
/// use atomicperf::Histogram;
///
/// let latency = Histogram::new(); // 2 significant figures, 0 to 60 s in ns
/// for v in 1..=1000u64 {
///     latency.record(v * 1000);
/// }
/// assert_eq!(latency.count(), 1000);
/// let p99 = latency.quantile(0.99).unwrap().unwrap();
/// assert!((p99 as f64 - 990_000.0).abs() <= 990_000.0 * 0.01);
/// assert_eq!(latency.max(), Some(1_000_000));
/// ```
pub struct Histogram {
    config: HistogramConfig,
    cells: CellBlock<AtomicU64>,
    sum_mask: usize,
    /// The latest exemplar of each exported bucket (allocated on the first), and the buckets:
    /// upper bounds in exported units and the factor from recorded values to them (none: one
    /// exemplar for the whole histogram).
    exemplars: Slots,
    exemplar_bounds: Box<[f64]>,
    exemplar_scale: f64,
}

impl Histogram {
    /// An empty histogram with the default layout (2 significant figures, up to 60 s in ns).
    pub fn new() -> Self {
        Self::with_config(HistogramConfig::default())
    }

    /// An empty histogram tracking 0 to `highest` with `significant_figures` of precision.
    ///
    /// # Errors
    /// As [`HistogramConfig::new`]: precision outside 1..=5 or `highest < 2`.
    pub fn with_precision(significant_figures: u8, highest: u64) -> Result<Self, Error> {
        Ok(Self::with_config(HistogramConfig::new(
            significant_figures,
            highest,
        )?))
    }

    /// An empty histogram with the given layout.
    pub fn with_config(config: HistogramConfig) -> Self {
        let stripes = sum_stripes();
        let cells = (0..Self::cell_count(&config, stripes))
            .map(|_| AtomicU64::new(0))
            .collect();
        let h = Histogram {
            config,
            cells: CellBlock::new(cells),
            sum_mask: stripes - 1,
            exemplars: Slots::new(1),
            exemplar_bounds: Box::new([]),
            exemplar_scale: 1.0,
        };
        h.cells[MIN].store(u64::MAX, Ordering::Relaxed);
        h
    }

    /// Number of `u64` cells of a histogram with this layout and `sum_stripes` sum stripes.
    pub(crate) fn cell_count(config: &HistogramConfig, sum_stripes: usize) -> usize {
        LINE * (1 + sum_stripes) + config.bucket_count()
    }

    /// Index of the minimum cell, which an empty histogram holds at `u64::MAX` (every other cell
    /// of an empty histogram is 0).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) const MIN_CELL: usize = MIN;

    /// A histogram over cells that live elsewhere (shared memory), already initialised (all 0
    /// but [`MIN_CELL`](Self::MIN_CELL) at `u64::MAX` when empty). `None` unless `sum_stripes` is
    /// a power of two from 1 to 8 and the cells are exactly as many as
    /// [`cell_count`](Self::cell_count) says.
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn on_cells(
        config: HistogramConfig,
        cells: CellBlock<AtomicU64>,
        sum_stripes: usize,
    ) -> Option<Self> {
        let fits = sum_stripes.is_power_of_two()
            && sum_stripes <= MAX_SUM_STRIPES
            && cells.len() == Self::cell_count(&config, sum_stripes);
        fits.then(|| Histogram {
            config,
            cells,
            sum_mask: sum_stripes - 1,
            exemplars: Slots::new(1),
            exemplar_bounds: Box::new([]),
            exemplar_scale: 1.0,
        })
    }

    /// The header cell no histogram operation touches (see [`Timer`](crate::Timer)).
    pub(crate) fn spare_cell(&self) -> &AtomicU64 {
        &self.cells[SPARE]
    }

    /// A histogram holding exactly the values of `snapshot`.
    pub fn from_snapshot(snapshot: &HistogramSnapshot) -> Self {
        let h = Self::with_config(*snapshot.config());
        h.merge_snapshot(snapshot);
        h
    }

    /// The bucket layout.
    pub fn config(&self) -> &HistogramConfig {
        &self.config
    }

    /// Bytes this histogram occupies, its cells included.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + std::mem::size_of_val(&*self.cells)
            + std::mem::size_of_val(&*self.exemplar_bounds)
            + self.exemplars.memory_bytes()
    }

    /// Records one value.
    #[inline]
    pub fn record(&self, v: u64) {
        self.record_n(v, 1);
    }

    /// Records `v` as if `n` times. `n = 0` does nothing.
    #[inline]
    pub fn record_n(&self, v: u64, n: u64) {
        if n == 0 {
            return;
        }
        let v = if v > self.config.highest() {
            add_saturating(&self.cells[OVERFLOW], n, Ordering::Relaxed);
            self.config.highest()
        } else {
            v
        };
        // Extremes first, and the bucket with Release: a reader that sees the count (Acquire)
        // also sees min and max, so a non-empty histogram never reports the empty sentinel.
        if v < self.cells[MIN].load(Ordering::Relaxed) {
            self.cells[MIN].fetch_min(v, Ordering::Relaxed);
        }
        if v > self.cells[MAX].load(Ordering::Relaxed) {
            self.cells[MAX].fetch_max(v, Ordering::Relaxed);
        }
        self.my_sum()
            .fetch_add(v.wrapping_mul(n), Ordering::Relaxed);
        add_saturating(&self.buckets()[self.config.index(v)], n, Ordering::Release);
    }

    /// Keeps exemplars per exported bucket: `bounds` are the `le` bounds (increasing, in
    /// exported units; `+Inf` is implied) and `scale` the factor from recorded values to them,
    /// as the registry exports the histogram. Without it a histogram keeps one exemplar.
    pub(crate) fn with_exemplar_buckets(mut self, bounds: &[f64], scale: f64) -> Self {
        self.exemplars = Slots::new(bounds.len() + 1);
        self.exemplar_bounds = bounds.into();
        self.exemplar_scale = scale;
        self
    }

    /// Records `v` and makes (`labels`, `v`, `timestamp`) the exemplar of the exported bucket
    /// `v` falls in: the label set of the trace (`trace_id`, `span_id`) of the request that took
    /// `v`, and optionally when it happened (seconds since the Unix epoch). A registry exports
    /// the latest exemplar of each `le` bucket in OpenMetrics and protobuf (the exemplar's value
    /// in exported units, seconds for nanoseconds); a histogram outside a registry keeps the
    /// latest one ([`exemplars`](Self::exemplars)). Lock-free; allocates only for the first.
    ///
    /// # Errors
    /// As [`Counter::add_with_exemplar`](crate::Counter::add_with_exemplar); nothing is
    /// recorded then.
    pub fn record_with_exemplar(
        &self,
        v: u64,
        labels: &[(&str, &str)],
        timestamp: Option<f64>,
    ) -> Result<(), Error> {
        let exported = crate::registry::scaled(v, self.exemplar_scale);
        let bucket = self
            .exemplar_bounds
            .iter()
            .position(|&le| exported <= le)
            .unwrap_or(self.exemplar_bounds.len());
        exemplar::with_packed(labels, timestamp, |packed| {
            self.exemplars.store(bucket, packed, exported, timestamp);
        })?;
        self.record(v);
        Ok(())
    }

    /// The latest exemplar of each exported bucket (see
    /// [`record_with_exemplar`](Self::record_with_exemplar)), `+Inf` last; one entry for a
    /// histogram outside a registry.
    pub fn exemplars(&self) -> Vec<Option<Exemplar>> {
        (0..self.exemplars.len())
            .map(|i| self.exemplars.load(i))
            .collect()
    }

    /// Records every value of `values`: the same result as calling [`record`](Self::record) for
    /// each, with the sum, extremes and overflow gathered locally and published once, so that a
    /// batch costs one atomic add per value instead of several.
    pub fn record_many(&self, values: &[u64]) {
        let highest = self.config.highest();
        let (mut sum, mut min, mut max, mut over) = (0u64, u64::MAX, 0u64, 0u64);
        for &v in values {
            over += u64::from(v > highest);
            let v = v.min(highest);
            sum = sum.wrapping_add(v);
            min = min.min(v);
            max = max.max(v);
        }
        if values.is_empty() {
            return;
        }
        if over > 0 {
            add_saturating(&self.cells[OVERFLOW], over, Ordering::Relaxed);
        }
        // Same publication order as `record_n`: extremes and sum, then the buckets with Release.
        if min < self.cells[MIN].load(Ordering::Relaxed) {
            self.cells[MIN].fetch_min(min, Ordering::Relaxed);
        }
        if max > self.cells[MAX].load(Ordering::Relaxed) {
            self.cells[MAX].fetch_max(max, Ordering::Relaxed);
        }
        self.my_sum().fetch_add(sum, Ordering::Relaxed);
        for &v in values {
            add_saturating(
                &self.buckets()[self.config.index(v.min(highest))],
                1,
                Ordering::Release,
            );
        }
    }

    /// Number of recorded values (a scan of the buckets), saturating at `u64::MAX`.
    pub fn count(&self) -> u64 {
        self.buckets()
            .iter()
            .fold(0u64, |acc, c| acc.saturating_add(c.load(Ordering::Acquire)))
    }

    /// Sum of the recorded (clamped) values, wrapping at 2^64.
    pub fn sum(&self) -> u64 {
        self.sums()
            .fold(0u64, |acc, c| acc.wrapping_add(c.load(Ordering::Relaxed)))
    }

    /// Smallest recorded value, `None` when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count() > 0).then(|| self.cells[MIN].load(Ordering::Relaxed))
    }

    /// Largest recorded (clamped) value, `None` when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count() > 0).then(|| self.cells[MAX].load(Ordering::Relaxed))
    }

    /// Arithmetic mean of the recorded values, `None` when empty. Correct past a wrap of the sum
    /// (see [`HistogramSnapshot::sum_f64`]).
    pub fn mean(&self) -> Option<f64> {
        self.snapshot().mean()
    }

    /// Number of values that were above the highest trackable value and were clamped to it.
    pub fn overflow_count(&self) -> u64 {
        self.cells[OVERFLOW].load(Ordering::Relaxed)
    }

    /// The value at quantile `q` (0 = min, 0.5 = median, 1 = max), `None` when empty.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<u64>, Error> {
        self.snapshot().quantile(q)
    }

    /// A consistent copy of the state, to read many statistics from one moment.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let counts: Vec<u64> = self
            .buckets()
            .iter()
            .map(|c| c.load(Ordering::Acquire))
            .collect();
        HistogramSnapshot::new(
            self.config,
            counts,
            self.sum(),
            self.cells[MIN].load(Ordering::Relaxed),
            self.cells[MAX].load(Ordering::Relaxed),
            self.overflow_count(),
        )
    }

    /// Adds every value of `other` to this histogram. Layouts may differ: values are then
    /// re-bucketed at `other`'s bucket midpoints, and buckets wholly above this histogram's range
    /// are clamped to its highest value and counted as overflow, as recording them would. Values
    /// that `other` had already clamped stay counted as overflow.
    pub fn merge(&self, other: &Histogram) {
        self.merge_snapshot(&other.snapshot());
    }

    /// Adds every value of a snapshot to this histogram (see [`merge`](Histogram::merge)).
    pub fn merge_snapshot(&self, other: &HistogramSnapshot) {
        let highest = self.config.highest();
        let same_layout = *other.config() == self.config;
        let (mut clamped, mut excess) = (0u64, 0u64);
        let mut top_clamped = false;
        for (i, &n) in other.counts().iter().enumerate().filter(|(_, n)| **n > 0) {
            let index = if same_layout {
                i
            } else if other.config().bucket_low(i) > highest {
                clamped = clamped.saturating_add(n);
                // The sum loses what clamping removes, as if the values were recorded here.
                excess =
                    excess.wrapping_add(n.wrapping_mul(other.config().bucket_value(i) - highest));
                top_clamped |= i + 1 == other.config().bucket_count();
                self.config.index(highest)
            } else {
                self.config
                    .index(other.config().bucket_value(i).min(highest))
            };
            add_saturating(&self.buckets()[index], n, Ordering::Release);
        }
        if let (Some(min), Some(max)) = (other.min(), other.max()) {
            self.cells[MIN].fetch_min(min.min(highest), Ordering::Relaxed);
            self.cells[MAX].fetch_max(max.min(highest), Ordering::Relaxed);
        }
        // Midpoints estimate what clamping removed; the cap keeps the merged values' mean within
        // their clamped range whichever way the estimate errs.
        let added = other
            .sum()
            .saturating_sub(excess)
            .min(other.count().saturating_mul(highest));
        self.my_sum().fetch_add(added, Ordering::Relaxed);
        // `other`'s own overflow sits in its top bucket: do not count it twice.
        let carried = if top_clamped {
            0
        } else {
            other.overflow_count()
        };
        add_saturating(
            &self.cells[OVERFLOW],
            carried.saturating_add(clamped),
            Ordering::Relaxed,
        );
    }

    /// Empties the histogram. Records that run concurrently with `reset` may be partly kept.
    pub fn reset(&self) {
        for c in self.buckets() {
            c.store(0, Ordering::Relaxed);
        }
        for stripe in self.sums() {
            stripe.store(0, Ordering::Relaxed);
        }
        self.cells[MIN].store(u64::MAX, Ordering::Relaxed);
        self.cells[MAX].store(0, Ordering::Relaxed);
        self.cells[OVERFLOW].store(0, Ordering::Relaxed);
    }

    /// Forgets the min and max (a [`Summary`](crate::Summary) slot starts its own extremes on a
    /// histogram whose counts it keeps).
    pub(crate) fn reset_extremes(&self) {
        self.cells[MIN].store(u64::MAX, Ordering::Relaxed);
        self.cells[MAX].store(0, Ordering::Relaxed);
    }

    /// Where each kind of cell lies in the histogram's one allocation, in bytes from
    /// [`cells_base`](Self::cells_base), and the parameters of the bucket-index function: the
    /// one description that code outside Rust records by without a call (the C ABI's
    /// `ap_histogram_layout` hands it out, the Node binding maps it into JavaScript). The cells
    /// are 8-byte-aligned `u64`s; the allocation stays at `cells_base` for the histogram's
    /// lifetime. See [`HistogramCellsLayout`] for the operations a writer may perform.
    pub fn cells_layout(&self) -> HistogramCellsLayout {
        const CELL: usize = std::mem::size_of::<u64>();
        HistogramCellsLayout {
            min_offset: MIN * CELL,
            max_offset: MAX * CELL,
            overflow_offset: OVERFLOW * CELL,
            sum_offset: LINE * CELL,
            sum_count: self.sum_mask + 1,
            sum_stride: LINE * CELL,
            bucket_offset: LINE * (self.sum_mask + 2) * CELL,
            bucket_count: self.config.bucket_count(),
            len: self.cells.len() * CELL,
            highest: self.config.highest(),
            sub_bits: self.config.sub_bits(),
            significant_figures: self.config.significant_figures(),
        }
    }

    /// Address of the allocation [`cells_layout`](Self::cells_layout) describes.
    pub fn cells_base(&self) -> *const AtomicU64 {
        self.cells.as_ptr()
    }

    fn buckets(&self) -> &[AtomicU64] {
        &self.cells[LINE * (self.sum_mask + 2)..]
    }

    fn sums(&self) -> impl Iterator<Item = &AtomicU64> {
        (0..=self.sum_mask).map(|i| &self.cells[LINE * (1 + i)])
    }

    /// The calling thread's sum stripe.
    #[inline]
    fn my_sum(&self) -> &AtomicU64 {
        &self.cells[LINE * (1 + (thread_index() & self.sum_mask))]
    }
}

/// Where a histogram's cells lie, in bytes from [`Histogram::cells_base`], and the parameters of
/// its bucket-index function (what the C ABI's `ap_histogram_cells` describes). What a writer
/// outside Rust may do to each cell so that its records are exactly those of
/// [`Histogram::record_n`]`(v, n)` (`n > 0`), in this order:
///
/// 1. `overflow`: when `v > highest`, add `n` (saturating: see below) and record `highest`
///    instead.
/// 2. `min`: lower to `v` (load; while `v` is below the cell, compare-and-swap).
/// 3. `max`: raise to `v` the same way.
/// 4. sum stripes (`sum_count` cells, `sum_stride` bytes apart): add `v * n` (wrapping) to any
///    one stripe.
/// 5. buckets (`bucket_count` consecutive cells): last, add `n` to bucket `index(v)`, saturating,
///    with release ordering or stronger (a reader that sees the count sees the extremes).
///
/// The bucket index, a function of `sub_bits` (m) alone ([`HistogramConfig::index`]):
/// `k = 63 - leading_zeros(v | (2^(m+1) - 1)) - m`, `index = (k << m) + (v >> k)`.
///
/// Saturation rule for bucket and overflow counts: when the old value of the atomic add plus `n`
/// exceeds `u64::MAX`, store `u64::MAX` into the cell right after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistogramCellsLayout {
    /// The minimum (u64::MAX while empty).
    pub min_offset: usize,
    /// The maximum (0 while empty).
    pub max_offset: usize,
    /// Count of values clamped to the highest trackable value.
    pub overflow_offset: usize,
    /// Sum stripe 0.
    pub sum_offset: usize,
    /// Number of sum stripes (a power of two).
    pub sum_count: usize,
    /// Bytes from one sum stripe to the next (a multiple of 8).
    pub sum_stride: usize,
    /// Bucket 0; bucket `i` is `8 * i` bytes further.
    pub bucket_offset: usize,
    /// Number of buckets: `index(highest) + 1`.
    pub bucket_count: usize,
    /// Bytes of the whole allocation from `cells_base`: every cell above lies within them.
    pub len: usize,
    /// Highest trackable value: larger values are clamped to it and counted as overflow.
    pub highest: u64,
    /// The m of the index function.
    pub sub_bits: u32,
    /// Significant figures of precision (1 to 5).
    pub significant_figures: u8,
}

/// Adds `n` to a count cell, saturating at `u64::MAX`. The common case is one `fetch_add`; a
/// cell it carries past `u64::MAX` is set to `u64::MAX` right after, which is where every add to
/// it (concurrent ones included) would take it. Until that store, readers may briefly see the
/// wrapped value; only a count that reached 2^64 ever wraps.
#[inline]
fn add_saturating(cell: &AtomicU64, n: u64, order: Ordering) {
    let old = cell.fetch_add(n, order);
    if old.checked_add(n).is_none() {
        cold_saturate(cell, order);
    }
}

#[cold]
#[inline(never)]
fn cold_saturate(cell: &AtomicU64, order: Ordering) {
    let order = if order == Ordering::Relaxed {
        Ordering::Relaxed
    } else {
        Ordering::Release
    };
    cell.store(u64::MAX, order);
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.snapshot();
        f.debug_struct("Histogram")
            .field("count", &s.count())
            .field("sum", &s.sum())
            .field("min", &s.min())
            .field("max", &s.max())
            .field("config", &self.config)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
