//! [`Summary`]: quantiles over a sliding time window, as client_golang's `Summary` (objectives,
//! `MaxAge`, `AgeBuckets`), recorded lock-free into a ring of [`Histogram`]s.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use crossbeam_utils::CachePadded;

use crate::clock::Clock;
use crate::sync::{AtomicU64, Ordering};
use crate::{Error, Histogram, HistogramCellsLayout, HistogramConfig, HistogramSnapshot};

/// How a [`Summary`] is laid out: which quantiles it reports, over how long a window, in how
/// many steps the window slides, and the layout (precision, range) of its histograms.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryConfig {
    /// The quantiles reported ([`Summary::snapshot`], the registry's export), each in `[0, 1]`,
    /// no two equal; kept sorted. Empty: only count and sum are exported. Default 0.5, 0.9, 0.99.
    pub quantiles: Vec<f64>,
    /// How long a recorded value counts towards the quantiles (client_golang's `MaxAge`).
    /// Default 10 minutes.
    pub max_age: Duration,
    /// In how many steps the window slides (client_golang's `AgeBuckets`): values leave the
    /// window `max_age / age_buckets` at a time. 1 to [`MAX_AGE_BUCKETS`](Self::MAX_AGE_BUCKETS);
    /// default 5. Each costs one histogram (16 KiB with the default layout), plus two spares.
    pub age_buckets: u32,
    /// The layout of the ring's histograms: the quantiles' precision and range.
    pub histogram: HistogramConfig,
}

impl SummaryConfig {
    /// The default quantiles: 0.5, 0.9, 0.99.
    pub const DEFAULT_QUANTILES: [f64; 3] = [0.5, 0.9, 0.99];
    /// The default window: 10 minutes, as client_golang's `DefMaxAge`.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
    /// The default number of steps: 5, as client_golang's `DefAgeBuckets`.
    pub const DEFAULT_AGE_BUCKETS: u32 = 5;
    /// Most age buckets.
    pub const MAX_AGE_BUCKETS: u32 = 255;
    /// Shortest age bucket (`max_age / age_buckets`): 1 ms.
    pub const MIN_AGE_BUCKET: Duration = Duration::from_millis(1);

    /// Checks the configuration and returns it with the quantiles sorted.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a quantile that is NaN, outside `[0, 1]` or given twice, age
    /// buckets outside 1 to 255, or an age bucket (`max_age / age_buckets`) shorter than 1 ms.
    pub fn checked(mut self) -> Result<Self, Error> {
        if let Some(q) = self.quantiles.iter().find(|q| !(0.0..=1.0).contains(*q)) {
            return Err(Error::InvalidConfig(format!(
                "summary quantiles must be within [0, 1], got {q}"
            )));
        }
        self.quantiles.sort_by(f64::total_cmp);
        if let Some(w) = self.quantiles.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::InvalidConfig(format!(
                "summary quantile {} given twice",
                w[0]
            )));
        }
        if !(1..=Self::MAX_AGE_BUCKETS).contains(&self.age_buckets) {
            return Err(Error::InvalidConfig(format!(
                "a summary needs 1 to {} age buckets, got {}",
                Self::MAX_AGE_BUCKETS,
                self.age_buckets
            )));
        }
        if self.max_age / self.age_buckets < Self::MIN_AGE_BUCKET {
            return Err(Error::InvalidConfig(format!(
                "a summary's age buckets (max_age / age_buckets = {:?} / {}) must be at least 1 \
                 ms",
                self.max_age, self.age_buckets
            )));
        }
        Ok(self)
    }

    /// Length of one age bucket: the step by which the window slides.
    pub fn age_bucket(&self) -> Duration {
        self.max_age / self.age_buckets.max(1)
    }
}

impl Default for SummaryConfig {
    fn default() -> Self {
        SummaryConfig {
            quantiles: Self::DEFAULT_QUANTILES.to_vec(),
            max_age: Self::DEFAULT_MAX_AGE,
            age_buckets: Self::DEFAULT_AGE_BUCKETS,
            histogram: HistogramConfig::default(),
        }
    }
}

/// The time a summary's window slides by.
enum SummaryClock {
    /// The system's coarse monotonic clock (`CLOCK_MONOTONIC_COARSE` on Linux: a few ns to read,
    /// a few ms of resolution, far finer than an age bucket needs).
    Coarse,
    /// An injected clock (tests move a [`ManualClock`](crate::ManualClock)).
    Custom(Arc<dyn Clock>),
}

impl SummaryClock {
    #[inline]
    fn now_nanos(&self) -> u64 {
        match self {
            SummaryClock::Coarse => coarse_nanos(),
            SummaryClock::Custom(c) => c.now_nanos(),
        }
    }
}

#[cfg(target_os = "linux")]
#[inline]
fn coarse_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC_COARSE always exists on Linux
    // (2.6.32+), so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

#[cfg(not(target_os = "linux"))]
#[inline]
fn coarse_nanos() -> u64 {
    static ORIGIN: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let origin = ORIGIN.get_or_init(std::time::Instant::now);
    u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// What code outside Rust needs to record into a [`Summary`] without a call per value (the C
/// ABI's `ap_summary_layout` hands it out): the current word ([`Summary::current_cell`]), how it
/// packs the slot and the entry index, the slot length, whether slots are read from the system's
/// coarse monotonic clock, and the ring's histograms ([`Summary::entry_cells`]).
///
/// A foreign record of `v`, with the same outcome as [`Summary::record`]`(v)`:
///
/// 1. `now`: the system's monotonic clock in nanoseconds (`CLOCK_MONOTONIC` or
///    `CLOCK_MONOTONIC_COARSE` on Linux: they share one base, the coarse one lagging by at most a
///    tick). Only when [`coarse_clock`](Self::coarse_clock) is true; otherwise always call
///    [`Summary::record`].
/// 2. `word`: an atomic load, acquire or stronger, of the current word. Never write it.
/// 3. `slot = word >> index_bits`, `index = word & (2^index_bits - 1)`.
/// 4. If `now - slot * slot_nanos` (wrapping modulo 2^64) is below `slot_nanos` and `index <
///    entry_count`, record `v` into the histogram of entry `index` as
///    [`HistogramCellsLayout`] describes. Otherwise the slot is changing: call
///    [`Summary::record`], which claims a histogram for the new slot.
///
/// Step 4 records where [`Summary::record`] would at that instant: `now` is the slot the current
/// word names, and a coarse clock reading a tick behind it (in the slot before) would also record
/// into the current histogram. A record racing a slot change may land in the slot before, as the
/// library's own records may (see [`Summary`]'s # Semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SummaryCellsLayout {
    /// Length of a slot (an age bucket) in nanoseconds: the slot of time `t` is `t / slot_nanos`.
    pub slot_nanos: u64,
    /// Bits of the current word that hold the entry index; the slot number is above them.
    pub index_bits: u32,
    /// Number of histograms in the ring: every index the current word names is below it.
    pub entry_count: usize,
    /// True when slots are read from the system's coarse monotonic clock
    /// (`CLOCK_MONOTONIC_COARSE`, Linux only), which a foreign writer can read too; false for an
    /// injected clock, or on other systems, where a writer must call [`Summary::record`].
    pub coarse_clock: bool,
}

/// A tag of an entry that holds no slot: never used, or given back by a claimer that lost.
const FREE: u64 = u64::MAX;
/// A tag of an entry being reset by the claimer that owns it.
const RESERVED: u64 = u64::MAX - 1;
/// Bits of the current word that hold the entry index (the slot number is above them).
const INDEX_BITS: u32 = 16;

fn pack(slot: u64, index: usize) -> u64 {
    (slot << INDEX_BITS) | index as u64
}

fn slot_of(word: u64) -> u64 {
    word >> INDEX_BITS
}

fn index_of(word: u64) -> usize {
    (word & ((1 << INDEX_BITS) - 1)) as usize
}

/// One histogram of the ring and the slot (time step) whose values it holds. Its counts and sum
/// are never reset: they hold every value it ever received, so that the summary's all-time count
/// and sum cost a record nothing. `base` is what they held when the slot claimed it: the slot's
/// values are the difference.
struct Entry {
    tag: AtomicU64,
    values: Histogram,
    base: ArcSwap<Baseline>,
}

/// The counts (non-empty buckets only) and sum of an entry's histogram when its slot claimed it.
#[derive(Default)]
struct Baseline {
    counts: Box<[(u32, u64)]>,
    sum: u64,
}

impl Baseline {
    fn of(s: &HistogramSnapshot) -> Self {
        Baseline {
            counts: s
                .counts()
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(i, &n)| (i as u32, n))
                .collect(),
            sum: s.sum(),
        }
    }
}

/// Quantiles over a sliding window of time, with the count and sum of every value ever recorded:
/// client_golang's `Summary` (objectives over `MaxAge`, sliding by `AgeBuckets`), except that
/// recording never takes a lock and costs about what a [`Histogram`] record costs.
///
/// # Design
/// Time is cut into slots of `max_age / age_buckets` (the age bucket). The summary keeps a ring
/// of `age_buckets + 2` histograms, each tagged with the slot whose values it holds, and a word
/// naming the current slot and its histogram. A record reads a coarse clock, checks that the
/// current word is still the current slot (one load, one multiply) and records into that
/// histogram: nothing else. The first record of a new slot claims a histogram whose slot has
/// left the window (a compare-and-swap of its tag, so two claimers never take the same one),
/// and, while nobody can record into it, resets its min and max and copies its counts and sum
/// as the new slot's baseline (counts and sum are never reset: the all-time count and sum are
/// those of the ring, and a slot's values are its histogram's less the baseline); it then tags
/// it with the new slot and publishes it with a compare-and-swap of the current word. A claimer
/// that loses that race gives its histogram back and records into the winner's. Nobody ever waits:
/// a claimer that stalls leaves the others to claim another histogram (two are spare: beside
/// the window's, one for the claimer that wins and one for a claimer racing it).
///
/// # Semantics
/// - [`count`](Self::count) and [`sum`](Self::sum) are over all time, as client_golang's.
/// - Quantiles are over the values recorded in the current slot and the `age_buckets - 1`
///   before it: the window covers between `max_age - max_age / age_buckets` and `max_age` of
///   time (the granularity is one age bucket), as client_golang's. A slot in which nothing was
///   recorded costs nothing: the ring is only ever advanced by a record.
/// - Each quantile is the histogram's: within [`HistogramConfig::relative_error`] of the value
///   of that rank among the window's (clamped) values; 0 and 1 are the exact min and max.
/// - Every record lands in exactly one histogram, never one being claimed, so a value stays in the
///   window until its slot ages out. A record made as the slot changes may land in the slot
///   before (the current word read a moment before the change), and so age out one step early;
///   so does a record made when more than two recorders start the same slot at the same instant
///   (no spare histogram is left for the third), and after an idle spell longer than the window
///   that third record lands in a histogram already out of the window.
///   A recorder stalled (preempted) for a whole window between reading the current word and
///   writing may write into a histogram already reused: that value is in the all-time count
///   and sum but may be missing from, or counted in a later, window.
/// - The clock is the system's coarse monotonic clock (resolution a few ms on Linux), so slot
///   boundaries are that precise; age buckets are at least 1 ms.
///
/// # Example
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use atomicperf::{ManualClock, Summary, SummaryConfig};
///
/// let clock = Arc::new(ManualClock::new());
/// let config = SummaryConfig { max_age: Duration::from_secs(60), age_buckets: 3, ..SummaryConfig::default() };
/// let latency = Summary::with_clock(config, clock.clone()).unwrap();
/// for ms in 1..=100u64 {
///     latency.record(ms * 1_000_000);
/// }
/// let p50 = latency.quantile(0.5).unwrap().unwrap();
/// assert!((p50 as f64 - 50e6).abs() <= 50e6 * 0.01);
/// clock.advance(Duration::from_secs(61)); // older than max_age: out of the window
/// assert_eq!(latency.quantile(0.5).unwrap(), None);
/// assert_eq!(latency.count(), 100); // count and sum are over all time
/// ```
pub struct Summary {
    /// Slot and entry index of the current slot.
    current: CachePadded<AtomicU64>,
    slot_nanos: u64,
    age_buckets: u64,
    entries: Box<[Entry]>,
    clock: SummaryClock,
    config: SummaryConfig,
}

/// What a [`Summary`] holds at one moment ([`Summary::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SummarySnapshot {
    count: u64,
    sum: u64,
    quantiles: Vec<(f64, Option<u64>)>,
    window: HistogramSnapshot,
}

impl SummarySnapshot {
    /// Values recorded since the summary was created.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Sum of every (clamped) value recorded since the summary was created, wrapping at 2^64.
    pub fn sum(&self) -> u64 {
        self.sum
    }

    /// The configured quantiles over the window, each with its value (`None`: the window is
    /// empty).
    pub fn quantiles(&self) -> &[(f64, Option<u64>)] {
        &self.quantiles
    }

    /// The values of the window, merged into one histogram snapshot: any quantile, the window's
    /// count, min and max.
    pub fn window(&self) -> &HistogramSnapshot {
        &self.window
    }
}

impl Summary {
    /// A summary with the default configuration (quantiles 0.5, 0.9, 0.99 over 10 minutes in 5
    /// steps, 2 significant figures up to 60 s in nanoseconds).
    pub fn new() -> Self {
        Self::build(SummaryConfig::default(), SummaryClock::Coarse)
    }

    /// A summary laid out by `config`.
    ///
    /// # Errors
    /// As [`SummaryConfig::checked`].
    pub fn with_config(config: SummaryConfig) -> Result<Self, Error> {
        Ok(Self::build(config.checked()?, SummaryClock::Coarse))
    }

    /// As [`with_config`](Self::with_config), timed by `clock` (tests inject a
    /// [`ManualClock`](crate::ManualClock)).
    ///
    /// # Errors
    /// As [`SummaryConfig::checked`].
    pub fn with_clock(config: SummaryConfig, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        Ok(Self::build(config.checked()?, SummaryClock::Custom(clock)))
    }

    /// A summary of a configuration [`SummaryConfig::checked`] accepted.
    pub(crate) fn from_checked(config: SummaryConfig) -> Self {
        Self::build(config, SummaryClock::Coarse)
    }

    fn build(config: SummaryConfig, clock: SummaryClock) -> Self {
        let slot_nanos = u64::try_from(config.age_bucket().as_nanos()).unwrap_or(u64::MAX);
        let entries: Box<[Entry]> = (0..config.age_buckets + 2)
            .map(|_| Entry {
                tag: AtomicU64::new(FREE),
                values: Histogram::with_config(config.histogram),
                base: ArcSwap::from_pointee(Baseline::default()),
            })
            .collect();
        let slot = clock.now_nanos() / slot_nanos;
        entries[0].tag.store(slot, Ordering::Relaxed);
        Summary {
            current: CachePadded::new(AtomicU64::new(pack(slot, 0))),
            slot_nanos,
            age_buckets: u64::from(config.age_buckets),
            entries,
            clock,
            config,
        }
    }

    /// The configuration (quantiles sorted).
    pub fn config(&self) -> &SummaryConfig {
        &self.config
    }

    /// What a writer outside Rust needs to record without a call per value (see
    /// [`SummaryCellsLayout`]).
    pub fn cells_layout(&self) -> SummaryCellsLayout {
        SummaryCellsLayout {
            slot_nanos: self.slot_nanos,
            index_bits: INDEX_BITS,
            entry_count: self.entries.len(),
            coarse_clock: cfg!(target_os = "linux") && matches!(self.clock, SummaryClock::Coarse),
        }
    }

    /// Address of the current word (slot and entry index, see [`SummaryCellsLayout`]): an 8-byte
    /// aligned `u64` that stays at this address for the summary's lifetime. Foreign code may
    /// only load it atomically (acquire or stronger).
    pub fn current_cell(&self) -> *const AtomicU64 {
        &*self.current
    }

    /// The cells of the ring's histogram `index` (below
    /// [`entry_count`](SummaryCellsLayout::entry_count), else `None`): the address of its
    /// allocation and its [`HistogramCellsLayout`]. They stay at
    /// this address for the summary's lifetime. A foreign writer records only into the entry the
    /// current word names, by the steps of [`SummaryCellsLayout`].
    pub fn entry_cells(&self, index: usize) -> Option<(*const AtomicU64, HistogramCellsLayout)> {
        let h = &self.entries.get(index)?.values;
        Some((h.cells_base(), h.cells_layout()))
    }

    /// Records one value (nanoseconds, for a duration).
    #[inline]
    pub fn record(&self, v: u64) {
        let now = self.clock.now_nanos();
        let current = self.current.load(Ordering::Acquire);
        // Still the current slot: `now` within [slot * len, (slot + 1) * len).
        let index =
            if now.wrapping_sub(slot_of(current).wrapping_mul(self.slot_nanos)) < self.slot_nanos {
                index_of(current)
            } else {
                self.advance(now / self.slot_nanos, current)
            };
        self.entries[index].values.record(v);
    }

    /// Records a duration, in nanoseconds.
    #[inline]
    pub fn record_duration(&self, d: Duration) {
        self.record(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    /// The index of the histogram to record into at `slot`, which the current word `current`
    /// did not name: the current one if it is that slot or a later one (the caller's clock
    /// reading was older than another recorder's), else one claimed for `slot`.
    #[cold]
    #[inline(never)]
    fn advance(&self, slot: u64, mut current: u64) -> usize {
        loop {
            if slot_of(current) >= slot {
                return index_of(current);
            }
            let Some(claimed) = self.claim(slot, index_of(current)) else {
                // Every other histogram is in the window or held by another claimer: record
                // into the current one, whose slot is the latest there is.
                return index_of(self.current.load(Ordering::Acquire));
            };
            let entry = &self.entries[claimed];
            // Nobody records into it: it is not current and its slot has left the window.
            entry.values.reset_extremes();
            entry
                .base
                .store(Arc::new(Baseline::of(&entry.values.snapshot())));
            entry.tag.store(slot, Ordering::Release);
            match self.current.compare_exchange(
                current,
                pack(slot, claimed),
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return claimed,
                Err(now) => {
                    // Another claimer published first: give the histogram back (nothing was
                    // recorded into it since its baseline).
                    entry.tag.store(FREE, Ordering::Release);
                    current = now;
                }
            }
        }
    }

    /// Reserves a histogram that is neither the current one (`current_index`) nor in the window
    /// ending at `slot`.
    fn claim(&self, slot: u64, current_index: usize) -> Option<usize> {
        let oldest = self.oldest_in_window(slot);
        self.entries.iter().enumerate().find_map(|(i, entry)| {
            if i == current_index {
                return None;
            }
            let tag = entry.tag.load(Ordering::Acquire);
            let stale = tag == FREE || (tag != RESERVED && tag < oldest);
            (stale
                && entry
                    .tag
                    .compare_exchange(tag, RESERVED, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok())
            .then_some(i)
        })
    }

    /// The first slot of the window whose last slot is `slot`.
    fn oldest_in_window(&self, slot: u64) -> u64 {
        slot.saturating_sub(self.age_buckets - 1)
    }

    /// Number of values recorded since creation (a scan of the ring's buckets), saturating at
    /// `u64::MAX`.
    pub fn count(&self) -> u64 {
        self.entries
            .iter()
            .fold(0u64, |a, e| a.saturating_add(e.values.count()))
    }

    /// Sum of the (clamped) values recorded since creation, wrapping at 2^64.
    pub fn sum(&self) -> u64 {
        self.entries
            .iter()
            .fold(0u64, |a, e| a.wrapping_add(e.values.sum()))
    }

    /// The values recorded in the window now, merged into one histogram snapshot (its overflow
    /// count is not kept: 0).
    pub fn window(&self) -> HistogramSnapshot {
        let slot = self.clock.now_nanos() / self.slot_nanos;
        let oldest = self.oldest_in_window(slot);
        let config = self.config.histogram;
        let mut counts = vec![0u64; config.bucket_count()];
        let (mut sum, mut min, mut max) = (0u64, u64::MAX, 0u64);
        for entry in self.entries.iter() {
            let tag = entry.tag.load(Ordering::Acquire);
            if tag < oldest || tag >= RESERVED {
                continue;
            }
            let base = entry.base.load_full();
            let values = entry.values.snapshot();
            // Reused while being read (its slot left the window meanwhile): leave it out.
            if entry.tag.load(Ordering::Acquire) != tag {
                continue;
            }
            let mut slot_counts = values.counts().to_vec();
            for &(i, n) in base.counts.iter() {
                slot_counts[i as usize] = slot_counts[i as usize].saturating_sub(n);
            }
            if slot_counts.iter().all(|&n| n == 0) {
                continue;
            }
            for (total, n) in counts.iter_mut().zip(slot_counts) {
                *total = total.saturating_add(n);
            }
            sum = sum.wrapping_add(values.sum().wrapping_sub(base.sum));
            // The extremes were reset with the baseline: they are the slot's.
            min = min.min(values.min().unwrap_or(u64::MAX));
            max = max.max(values.max().unwrap_or(0));
        }
        HistogramSnapshot::new(config, counts, sum, min, max, 0)
    }

    /// The value at quantile `q` of the window's values, `None` when the window is empty.
    ///
    /// # Errors
    /// [`Error::InvalidQuantile`] if `q` is NaN or outside `[0, 1]`.
    pub fn quantile(&self, q: f64) -> Result<Option<u64>, Error> {
        if !(0.0..=1.0).contains(&q) {
            return Err(Error::InvalidQuantile(q));
        }
        self.window().quantile(q)
    }

    /// All-time count and sum, and the configured quantiles over the window, from one moment.
    pub fn snapshot(&self) -> SummarySnapshot {
        // The window first: a value it holds is then in the count and sum too.
        let window = self.window();
        let (count, sum) = (self.count(), self.sum());
        let quantiles = self
            .config
            .quantiles
            .iter()
            .map(|&q| (q, window.quantile(q).ok().flatten()))
            .collect();
        SummarySnapshot {
            count,
            sum,
            quantiles,
            window,
        }
    }

    /// Bytes this summary occupies, its histograms included.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self
                .entries
                .iter()
                .map(|e| {
                    let base = e.base.load();
                    std::mem::size_of::<Entry>()
                        + e.values.memory_bytes()
                        + std::mem::size_of::<Baseline>()
                        + std::mem::size_of_val(&*base.counts)
                })
                .sum::<usize>()
    }
}

impl Default for Summary {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Summary")
            .field("count", &self.count())
            .field("sum", &self.sum())
            .field("config", &self.config)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests;
