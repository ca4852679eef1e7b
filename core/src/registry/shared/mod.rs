//! [`SharedRegistry`]: a registry whose metrics live in one shared-memory segment, which any
//! process (and any language) opens by name, so that the workers of a pre-fork server, or the
//! processes of a cluster, record into the same series and any of them exports the totals.
//!
//! The segment is append-only. Registering a series takes an entry index with `fetch_add` and
//! bump-allocates its metadata and cells, writes them, and publishes the entry by setting its
//! state word to READY last (release). Then it claims the series' key in the index with one
//! compare-and-swap: two processes that register one series at once both publish an entry, but
//! only one entry gets the key, and both (and every later process) use that one; the other is
//! never written and never exported. A registrant killed half-way leaves an entry that never
//! becomes READY, or one that never gets its key: either way it is skipped for ever. Nothing in
//! shared memory is a lock: recorders only touch their cells, readers only load, and no process
//! waits for another.
//!
//! Counters, histograms and timers have the in-process types' cell layouts (stripes, histogram
//! header, sum stripes and buckets), written by every process. A gauge keeps one cell per process
//! slot (see `process.rs`), combined at export by its [`GaugeMode`].

mod process;
mod segment;
#[cfg(all(test, not(loom)))]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crossbeam_utils::CachePadded;

use super::export::{write_json, write_protobuf, write_text, FamilyView, Format, ReadValue, Value};
use super::{Family, HistogramOpts, Metric, MetricKind};
use crate::cells::{CellBlock, ExternalCell, Keeper};
use crate::fork::Guarded;
use crate::{Counter, Error, Gauge, Histogram, HistogramConfig, HistogramSnapshot, Timer};
use process::{Identity, Owner};
use segment::{Geometry, Segment, EMPTY, READY, WRITING};

/// How a [`SharedRegistry`] gauge combines the values of the processes that set it. Each process
/// sets its own value (a gauge handle reads and writes the calling process's value), except in
/// [`MostRecent`](GaugeMode::MostRecent) mode, where every process sets the one value.
///
/// The `live` modes count only processes that are alive at export time: a process killed with
/// SIGKILL drops out by itself, with no hook and no reaper. The others also keep the last value
/// of a process that has exited, until a new process takes over its slot of the process table.
/// The names are prometheus_client's multiprocess modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum GaugeMode {
    /// One series per process, with a `pid` label (alive or exited).
    #[default]
    All = 1,
    /// One series per live process, with a `pid` label.
    LiveAll = 2,
    /// The sum of every process's value (alive or exited).
    Sum = 3,
    /// The sum of the live processes' values (in-flight requests, open connections).
    LiveSum = 4,
    /// The largest value of any process (alive or exited); no sample while none has one.
    Max = 5,
    /// The largest value of a live process.
    LiveMax = 6,
    /// The smallest value of any process (alive or exited).
    Min = 7,
    /// The smallest value of a live process.
    LiveMin = 8,
    /// One value for all processes: the last set wins (`add` adds to it), and it stays after
    /// every process has exited.
    MostRecent = 9,
}

impl GaugeMode {
    /// Every mode, in code order.
    pub const ALL_MODES: [GaugeMode; 9] = [
        GaugeMode::All,
        GaugeMode::LiveAll,
        GaugeMode::Sum,
        GaugeMode::LiveSum,
        GaugeMode::Max,
        GaugeMode::LiveMax,
        GaugeMode::Min,
        GaugeMode::LiveMin,
        GaugeMode::MostRecent,
    ];

    /// The mode's name: `"all"`, `"liveall"`, `"sum"`, `"livesum"`, `"max"`, `"livemax"`,
    /// `"min"`, `"livemin"` or `"mostrecent"`.
    pub fn name(self) -> &'static str {
        match self {
            GaugeMode::All => "all",
            GaugeMode::LiveAll => "liveall",
            GaugeMode::Sum => "sum",
            GaugeMode::LiveSum => "livesum",
            GaugeMode::Max => "max",
            GaugeMode::LiveMax => "livemax",
            GaugeMode::Min => "min",
            GaugeMode::LiveMin => "livemin",
            GaugeMode::MostRecent => "mostrecent",
        }
    }

    /// The mode called `name` (see [`name`](Self::name)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for any other name.
    pub fn from_name(name: &str) -> Result<GaugeMode, Error> {
        Self::ALL_MODES
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL_MODES.iter().map(|m| m.name()).collect();
                Error::InvalidArgument(format!(
                    "unknown gauge mode {name:?}: expected one of {}",
                    names.join(", ")
                ))
            })
    }

    /// The mode's number (the C ABI's `AP_GAUGE_MODE_*`, and what the segment stores).
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The mode numbered `code`, if there is one.
    pub fn from_code(code: u32) -> Option<GaugeMode> {
        Self::ALL_MODES.into_iter().find(|m| m.code() == code)
    }

    fn live(self) -> bool {
        matches!(
            self,
            GaugeMode::LiveAll | GaugeMode::LiveSum | GaugeMode::LiveMax | GaugeMode::LiveMin
        )
    }

    fn per_pid(self) -> bool {
        matches!(self, GaugeMode::All | GaugeMode::LiveAll)
    }
}

/// How [`SharedRegistry::open`] finds or creates a segment. The sizes apply when the segment is
/// created; an existing segment keeps its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedOptions {
    /// Directory of segments opened by name; `None` is `/dev/shm` (shared memory that is never
    /// written to disk), or the temporary directory where there is no `/dev/shm`.
    pub dir: Option<PathBuf>,
    /// Permission bits of a new segment file (default `0o600`: the owner only). Every process
    /// that opens the segment needs read and write permission.
    pub mode: u32,
    /// Series entries (default 4,096). Each name and label set takes one, whatever the number of
    /// processes; a registration race may take one more (never used).
    pub max_series: u32,
    /// Slots of the process table (default 64): processes that can hold per-process gauge
    /// values at once. A slot whose process has died is taken over by the next one.
    pub max_processes: u32,
    /// Bytes for names, labels and cells (default 64 MiB). The file is sparse: untouched bytes
    /// cost no memory.
    pub data_bytes: u64,
    /// Stripes of each counter; `None` takes twice this machine's CPUs, rounded up to a power of
    /// two, at most 64 (the in-process default).
    pub counter_stripes: Option<u32>,
    /// Create the segment when there is none (default true); with false, opening a missing
    /// segment is an error.
    pub create: bool,
}

impl Default for SharedOptions {
    fn default() -> Self {
        SharedOptions {
            dir: None,
            mode: 0o600,
            max_series: 4096,
            max_processes: 64,
            data_bytes: 64 << 20,
            counter_stripes: None,
            create: true,
        }
    }
}

/// A registry of named, labelled metrics that several processes share: the same API as
/// [`Registry`](crate::Registry) (get-or-create by name and labels, export as Prometheus text,
/// OpenMetrics or JSON), with every metric in one shared-memory segment, a file that any process,
/// in any language, opens by name. A counter incremented by eight gunicorn workers reads as the
/// total of all eight, from any of them or from a ninth process that only exports.
///
/// The metrics it returns are ordinary [`Counter`], [`Gauge`], [`Histogram`] and [`Timer`]
/// values whose cells live in the segment, so recording costs what it costs in process (a
/// counter `inc` is one `fetch_add`): no lock, no system call, no message to another process.
///
/// # Guarantees
/// - Counters and histograms add up across processes and never go backwards: a process that
///   exits or is killed (at any instruction) leaves its increments in place.
/// - A process killed at any instruction, including in the middle of registering a series,
///   leaves the segment readable and consistent for every other process: a half-written entry
///   is never published and is skipped.
/// - One series, one set of cells: processes that register a series at the same moment agree on
///   one entry (an index of keys, claimed by compare-and-swap), so every handle of a series, in
///   every process, reads its total.
/// - Recorders never wait for each other or for readers; no lock lives in shared memory.
/// - Process churn does not grow the segment: a new worker finds its series already registered,
///   and takes over the process table slot of a dead one.
/// - Gauges combine per-process values by [`GaugeMode`]; the live modes drop a dead process's
///   value on their own (the table records each process's start time, so a reused pid does not
///   keep a dead process alive).
/// - Capacity is fixed at creation ([`SharedOptions`]): a full segment refuses new series with an
///   error and keeps every existing one working.
/// - A file that is not a segment of this layout version, is truncated, corrupted or not
///   readable and writable gives an error, never a crash. (A file truncated while mapped cannot be
///   guarded against: do not truncate a segment in use.)
///
/// Names, labels and their rules are the in-process registry's, with one more reserved label:
/// `pid`, for gauges of mode [`All`](GaugeMode::All) and [`LiveAll`](GaugeMode::LiveAll), which
/// add it. [`MinMax`](crate::MinMax) is not available in a shared registry.
///
/// Every process must see the others' pids (one pid namespace) for the live modes, and the
/// segment is for one machine: it is memory, not a file format to copy elsewhere.
///
/// # Example
/// ```
/// use atomicperf::{GaugeMode, SharedOptions, SharedRegistry};
///
/// # let name = format!("doc-{}", std::process::id());
/// let registry = SharedRegistry::open(&name, &SharedOptions::default()).unwrap();
/// registry.counter("jobs", "Jobs done.", &[("queue", "mail")]).unwrap().inc();
/// registry.gauge("busy", "Busy workers.", &[], GaugeMode::LiveSum).unwrap().set(1.0);
/// // ... in every worker process; then, from any process:
/// let text = registry.export_prometheus();
/// assert!(text.contains("jobs_total{queue=\"mail\"} 1"));
/// assert!(text.contains("busy 1"));
/// registry.unlink().unwrap(); // removes the file name; open handles keep working
/// ```
#[derive(Clone)]
pub struct SharedRegistry {
    inner: Arc<Inner>,
}

struct Inner {
    segment: Arc<Segment>,
    slots: Arc<SlotCache>,
    local: Mutex<Local>,
}

/// What this process knows of the segment: the entries it has read, and the handles it gave out.
#[derive(Default)]
struct Local {
    /// Entries below this index have been looked at.
    scanned: usize,
    /// Entries looked at before they were READY (being written, or abandoned): looked at again.
    pending: Vec<usize>,
    /// Every READY entry read, with or without its key in the index.
    read: HashMap<usize, Arc<Series>>,
    /// READY entries whose key the index gives no entry yet (their registrant is about to claim
    /// it, or was killed before it could): looked at again.
    unindexed: Vec<usize>,
    /// The series: the entries the index gives their keys, by entry index.
    series: BTreeMap<usize, Arc<Series>>,
    /// The first series of each family name.
    families: HashMap<String, usize>,
    /// Every exported name of every family, with the family that owns it.
    exported: HashMap<String, String>,
    /// The handle given out for each key (so that every look-up returns the same metric).
    handles: HashMap<Vec<u8>, (MetricKind, Option<GaugeMode>, Metric)>,
}

/// One READY entry, read.
struct Series {
    entry: usize,
    kind: MetricKind,
    mode: Option<GaugeMode>,
    name: String,
    help: String,
    label_names: Vec<String>,
    label_values: Vec<String>,
    opts: HistogramOpts,
    key: Vec<u8>,
    cells: SeriesCells,
}

enum SeriesCells {
    Counter(Arc<Counter>),
    Histogram(Arc<Histogram>),
    Timer(Arc<Timer>),
    /// `slots` (value, owner tag) pairs of `u64` cells at `offset`, one per process slot.
    PerProcess {
        offset: u64,
        slots: usize,
    },
    MostRecent(Arc<Gauge>),
}

const KIND_COUNTER: u32 = 1;
const KIND_GAUGE: u32 = 2;
const KIND_HISTOGRAM: u32 = 3;
const KIND_TIMER: u32 = 4;
/// Most labels a series may have in a segment (a corrupted count is refused early).
const MAX_LABELS: u32 = 256;
/// Most bytes of one series' metadata.
const MAX_META: u32 = 1 << 20;

fn kind_code(kind: MetricKind) -> u32 {
    match kind {
        MetricKind::Counter => KIND_COUNTER,
        MetricKind::Gauge => KIND_GAUGE,
        MetricKind::Histogram => KIND_HISTOGRAM,
        MetricKind::Timer => KIND_TIMER,
        MetricKind::MinMax
        | MetricKind::NativeHistogram
        | MetricKind::Info
        | MetricKind::Enum
        | MetricKind::Summary => 0,
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_ne_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// The key of a series: its name and its labels, sorted by label name, length-prefixed.
fn key_bytes<'a>(name: &str, labels: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut key = Vec::with_capacity(64);
    put_str(&mut key, name);
    key.extend_from_slice(&(labels.len() as u32).to_ne_bytes());
    for (label, value) in labels {
        put_str(&mut key, label);
        put_str(&mut key, value);
    }
    key
}

/// Reads a metadata blob, refusing anything out of bounds.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.take(4)?.try_into().ok()?))
    }

    fn f64(&mut self) -> Option<f64> {
        Some(f64::from_ne_bytes(self.take(8)?.try_into().ok()?))
    }

    fn string(&mut self) -> Option<String> {
        let n = self.u32()? as usize;
        String::from_utf8(self.take(n)?.to_vec()).ok()
    }
}

impl Series {
    /// Whether `other` belongs to the same family as this (first) series of a name: same kind,
    /// label names and gauge mode.
    fn same_family(&self, other: &Series) -> bool {
        self.kind == other.kind && self.label_names == other.label_names && self.mode == other.mode
    }

    /// Reads entry `i` (READY). Every offset, length, name and number is checked: a corrupted
    /// entry is an error, never an access outside the segment.
    fn read(segment: &Arc<Segment>, i: usize) -> Result<Series, String> {
        let e = segment.entry(i);
        let g = *segment.geometry();
        let info = e.info.load(Ordering::Relaxed);
        let (kind, mode, figures) = (info & 0xff, (info >> 8) & 0xff, (info >> 16) & 0xff);
        let meta_len = e.meta_len.load(Ordering::Relaxed);
        if meta_len > MAX_META {
            return Err(format!("metadata of {meta_len} bytes"));
        }
        let meta = segment
            .read_bytes(e.meta_offset.load(Ordering::Relaxed), u64::from(meta_len))
            .ok_or("metadata outside the data area")?;
        let mut r = Reader {
            bytes: &meta,
            at: 0,
        };
        let name = r.string().ok_or("unreadable name")?;
        super::names::check_metric_name(&name).map_err(|e| e.to_string())?;
        let n = r
            .u32()
            .filter(|n| *n <= MAX_LABELS)
            .ok_or("bad label count")?;
        let (mut label_names, mut label_values) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let label = r.string().ok_or("unreadable label name")?;
            super::names::check_label_name(&label, &[]).map_err(|e| e.to_string())?;
            if label_names
                .last()
                .is_some_and(|last: &String| *last >= label)
            {
                return Err("label names not sorted".into());
            }
            label_names.push(label);
            label_values.push(r.string().ok_or("unreadable label value")?);
        }
        let key_len = r.at;
        let help = r.string().ok_or("unreadable help")?;
        let kind = match kind {
            KIND_COUNTER => MetricKind::Counter,
            KIND_GAUGE => MetricKind::Gauge,
            KIND_HISTOGRAM => MetricKind::Histogram,
            KIND_TIMER => MetricKind::Timer,
            other => return Err(format!("unknown kind {other}")),
        };
        let mut opts = HistogramOpts::default();
        if matches!(kind, MetricKind::Histogram | MetricKind::Timer) {
            let n = r.u32().filter(|n| *n <= 4096).ok_or("bad bucket count")?;
            opts.buckets = (0..n)
                .map(|_| r.f64())
                .collect::<Option<_>>()
                .ok_or("bad buckets")?;
            opts.scale = r.f64().ok_or("bad scale")?;
            opts.check().map_err(|e| e.to_string())?;
        }
        let mode = match kind {
            MetricKind::Gauge => {
                Some(GaugeMode::from_code(mode).ok_or_else(|| format!("unknown mode {mode}"))?)
            }
            _ => None,
        };
        let keeper: Keeper = segment.clone();
        let count = e.count.load(Ordering::Relaxed) as usize;
        let offset = e.cells_offset.load(Ordering::Relaxed);
        let cells_len = e.cells_len.load(Ordering::Relaxed);
        let bad_cells = || format!("cells of a {} do not fit", kind.as_str());
        let cells = match (kind, mode) {
            (MetricKind::Counter, _) => {
                let ok = count.is_power_of_two()
                    && count <= crate::counter::MAX_STRIPES
                    && cells_len == (count * Counter::STRIPE_STRIDE) as u64;
                let base = segment
                    .cells::<CachePadded<AtomicU64>>(offset, count)
                    .filter(|_| ok)
                    .ok_or_else(bad_cells)?;
                // SAFETY: `count` stripes inside the mapping (checked), aligned; the keeper keeps
                // the mapping; shared memory is only accessed atomically.
                let block = unsafe { CellBlock::external(base, count, keeper) };
                SeriesCells::Counter(Arc::new(Counter::on_cells(block).ok_or_else(bad_cells)?))
            }
            (MetricKind::Histogram | MetricKind::Timer, _) => {
                let config = HistogramConfig::new(figures as u8, e.highest.load(Ordering::Relaxed))
                    .map_err(|e| e.to_string())?;
                let cells = Histogram::cell_count(&config, count);
                let ok = count.is_power_of_two()
                    && count <= crate::histogram::MAX_SUM_STRIPES
                    && cells_len == cells as u64 * 8;
                let base = segment
                    .cells::<AtomicU64>(offset, cells)
                    .filter(|_| ok)
                    .ok_or_else(bad_cells)?;
                // SAFETY: as for a counter: `cells` aligned cells inside the mapping.
                let block = unsafe { CellBlock::external(base, cells, keeper) };
                let h = Histogram::on_cells(config, block, count).ok_or_else(bad_cells)?;
                if kind == MetricKind::Timer {
                    SeriesCells::Timer(Arc::new(Timer::on_histogram(h)))
                } else {
                    SeriesCells::Histogram(Arc::new(h))
                }
            }
            (_, Some(GaugeMode::MostRecent)) => {
                let cell = segment
                    .cells::<AtomicU64>(offset, 1)
                    .filter(|_| count == 1 && cells_len == 8)
                    .ok_or_else(bad_cells)?;
                SeriesCells::MostRecent(Arc::new(Gauge::external(Box::new(FixedCell {
                    cell,
                    _keeper: keeper,
                }))))
            }
            _ => {
                let ok = count == g.max_processes as usize && cells_len == 16 * count as u64;
                segment
                    .cells::<AtomicU64>(offset, 2 * count)
                    .filter(|_| ok)
                    .ok_or_else(bad_cells)?;
                SeriesCells::PerProcess {
                    offset,
                    slots: count,
                }
            }
        };
        Ok(Series {
            entry: i,
            kind,
            mode,
            name,
            help,
            label_names,
            label_values,
            opts,
            key: meta[..key_len].to_vec(),
            cells,
        })
    }
}

/// The one cell of a [`GaugeMode::MostRecent`] gauge.
struct FixedCell {
    cell: NonNull<AtomicU64>,
    _keeper: Keeper,
}

// SAFETY: the cell is an atomic in a mapping that `_keeper` keeps alive; it is only accessed
// through `&AtomicU64`.
unsafe impl Send for FixedCell {}
// SAFETY: as for `Send`.
unsafe impl Sync for FixedCell {}

impl ExternalCell for FixedCell {
    fn cell(&self) -> &AtomicU64 {
        // SAFETY: checked inside the mapping when the entry was read; the keeper keeps it mapped
        // for as long as `self` lives.
        unsafe { self.cell.as_ref() }
    }
}

/// This process's slot in the process table, per fork generation: a forked child claims its own.
struct SlotCache {
    segment: Arc<Segment>,
    /// (fork generation + 1, the slot and tag claimed in it, `None` when the table was full).
    state: Mutex<(u64, Option<(usize, u64)>)>,
}

impl SlotCache {
    /// Runs `f` with this process's slot and tag (claiming one first if this process has none),
    /// under a lock, so that the threads of a process initialise its cells once.
    fn with_slot<R>(&self, now: u64, f: impl FnOnce(Option<(usize, u64)>) -> R) -> R {
        let mut state = Guarded::lock(|| self.state.lock().unwrap_or_else(|e| e.into_inner()));
        if state.0 != now {
            let me = Identity::current();
            let claimed = process::claim(&self.segment, me).ok();
            *state = (now, claimed.map(|slot| (slot, me.tag())));
        }
        f(state.1)
    }
}

/// The cell of a per-process gauge: the calling process's own, found (and its slot claimed) on
/// first use in each process.
struct ProcessCell {
    slots: Arc<SlotCache>,
    /// The series' (value, tag) pairs (checked inside the segment when the entry was read).
    offset: u64,
    resolved: AtomicPtr<AtomicU64>,
    /// Fork generation + 1 that `resolved` belongs to; 0 before the first use.
    generation: AtomicU64,
    /// Where a process that found the process table full keeps its value: written, never
    /// exported (counted in `SharedRegistry::refused_processes`).
    private: AtomicU64,
}

impl ExternalCell for ProcessCell {
    #[inline]
    fn cell(&self) -> &AtomicU64 {
        let now = crate::fork::generation() + 1;
        if self.generation.load(Ordering::Acquire) == now {
            // SAFETY: resolved in this process (this fork generation) to a cell of the segment,
            // which `slots` keeps mapped, or to `self.private`.
            return unsafe { &*self.resolved.load(Ordering::Relaxed) };
        }
        self.resolve(now)
    }
}

impl ProcessCell {
    #[cold]
    fn resolve(&self, now: u64) -> &AtomicU64 {
        let cell: &AtomicU64 = self.slots.with_slot(now, |mine| match mine {
            Some((slot, tag)) => {
                let segment = &*self.slots.segment;
                let value = segment.cell(self.offset, 2 * slot);
                let owner = segment.cell(self.offset, 2 * slot + 1);
                // A new owner of the slot starts from 0, not from the last owner's value.
                if owner.load(Ordering::Acquire) != tag {
                    value.store(0f64.to_bits(), Ordering::Relaxed);
                    owner.store(tag, Ordering::Release);
                }
                value
            }
            None => &self.private,
        });
        self.resolved
            .store(std::ptr::from_ref(cell).cast_mut(), Ordering::Relaxed);
        self.generation.store(now, Ordering::Release);
        cell
    }
}

/// Where a segment called `name` lives: a path as given when it has a `/`, else
/// `<dir>/atomicperf-<name>`.
fn segment_path(name: &str, dir: Option<&Path>) -> Result<PathBuf, Error> {
    if name.contains('/') {
        return Ok(PathBuf::from(name));
    }
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(Error::InvalidArgument(format!(
            "invalid shared registry name {name:?}: use letters, digits, '.', '_' and '-', or \
             give a path (with a '/')"
        )));
    }
    let dir = dir.map_or_else(
        || {
            let shm = Path::new("/dev/shm");
            if shm.is_dir() {
                shm.to_path_buf()
            } else {
                std::env::temp_dir()
            }
        },
        Path::to_path_buf,
    );
    Ok(dir.join(format!("atomicperf-{name}")))
}

impl SharedRegistry {
    /// Opens the shared registry `name_or_path`, creating its segment if there is none (and
    /// `opts.create`). A name (letters, digits, `.`, `_`, `-`) is the file
    /// `<opts.dir>/atomicperf-<name>`, in `/dev/shm` by default; anything with a `/` is a path.
    /// Every process that opens the same file shares its metrics. Racing openers are safe: the
    /// segment is built whole under no name and linked into place, so one creator wins and the
    /// others open its segment.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name or option, a file that cannot be opened
    /// for reading and writing (the message says why: permission, missing directory...), or one
    /// that is not a whole, valid segment of this layout version (another file, another version,
    /// truncated, corrupted); [`Error::InvalidConfig`] when this platform has no lock-free
    /// 128-bit atomics (the process table needs them).
    pub fn open(name_or_path: &str, opts: &SharedOptions) -> Result<SharedRegistry, Error> {
        if !portable_atomic::AtomicU128::is_lock_free() {
            return Err(Error::InvalidConfig(
                "a shared registry needs lock-free 128-bit atomics, which this CPU lacks".into(),
            ));
        }
        if opts.mode & !0o7777 != 0 {
            return Err(Error::InvalidArgument(format!(
                "mode {:#o} is not a file permission mode",
                opts.mode
            )));
        }
        let path = segment_path(name_or_path, opts.dir.as_deref())?;
        let geometry = if opts.create {
            let stripes = opts
                .counter_stripes
                .unwrap_or(crate::counter::default_stripes() as u32);
            Some(
                Geometry::new(
                    opts.max_processes,
                    opts.max_series,
                    opts.data_bytes,
                    stripes,
                    crate::histogram::sum_stripes() as u32,
                )
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "invalid shared registry options: max_processes {} (1 to {}), \
                         max_series {} (1 to {}), data_bytes {} (128 to 2^40), counter_stripes \
                         {stripes} (a power of two from 1 to 1024)",
                        opts.max_processes,
                        segment::MAX_PROCESSES,
                        opts.max_series,
                        segment::MAX_SERIES,
                        opts.data_bytes
                    ))
                })?,
            )
        } else {
            None
        };
        // A gauge learns that it runs in a forked child from the fork handlers.
        crate::fork::generation();
        let segment = Arc::new(Segment::open_or_create(
            &path,
            geometry.as_ref().map(|g| (g, opts.mode)),
        )?);
        let inner = Inner {
            slots: Arc::new(SlotCache {
                segment: segment.clone(),
                state: Mutex::new((0, None)),
            }),
            segment,
            local: Mutex::new(Local::default()),
        };
        // Every published entry must read back: a corrupted segment is refused now rather than
        // half-exported later.
        inner.refresh(&mut inner.local(), true)?;
        Ok(SharedRegistry {
            inner: Arc::new(inner),
        })
    }

    /// Removes the segment file `name_or_path` (resolved as by [`open`](Self::open) with
    /// `opts.dir`). Processes that have it open keep using it; the next `open` creates a new one.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an invalid name or a file that cannot be removed.
    pub fn remove(name_or_path: &str, opts: &SharedOptions) -> Result<(), Error> {
        let path = segment_path(name_or_path, opts.dir.as_deref())?;
        std::fs::remove_file(&path)
            .map_err(|e| Error::InvalidArgument(format!("cannot remove {}: {e}", path.display())))
    }

    /// Removes this registry's file name, as [`remove`](Self::remove) does; this handle (and
    /// every metric from it) keeps working.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when the file cannot be removed (already removed, permission).
    pub fn unlink(&self) -> Result<(), Error> {
        self.inner.segment.unlink()
    }

    /// The segment's file.
    pub fn path(&self) -> &Path {
        self.inner.segment.path()
    }

    /// The counter `name` with these labels, created if absent (in this process or any other).
    ///
    /// # Errors
    /// As [`Registry::counter`](crate::Registry::counter), and [`Error::InvalidArgument`] when
    /// the segment is full.
    pub fn counter(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Counter>, Error> {
        match self.get_or_create(name, help, MetricKind::Counter, None, labels, None)? {
            Metric::Counter(c) => Ok(c),
            _ => unreachable!("kind checked"),
        }
    }

    /// The gauge `name` with these labels, created if absent; `mode` says how the processes'
    /// values combine (see [`GaugeMode`]). The handle reads and writes the calling process's
    /// value (every process's, for [`GaugeMode::MostRecent`]); a forked child that uses a handle
    /// of its parent gets a value of its own, starting at 0.
    ///
    /// # Errors
    /// As [`counter`](Self::counter); also for a family registered with another mode, a `pid`
    /// label on an [`All`](GaugeMode::All) or [`LiveAll`](GaugeMode::LiveAll) gauge, and when
    /// the process table is full (every slot held by a live process).
    pub fn gauge(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        mode: GaugeMode,
    ) -> Result<Arc<Gauge>, Error> {
        match self.get_or_create(name, help, MetricKind::Gauge, Some(mode), labels, None)? {
            Metric::Gauge(g) => Ok(g),
            _ => unreachable!("kind checked"),
        }
    }

    /// The histogram `name` with these labels, created if absent; `opts` sets the export of a new
    /// family and is ignored for an existing one.
    ///
    /// # Errors
    /// As [`Registry::histogram`](crate::Registry::histogram), and when the segment is full.
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
        opts: &HistogramOpts,
    ) -> Result<Arc<Histogram>, Error> {
        match self.get_or_create(name, help, MetricKind::Histogram, None, labels, Some(opts))? {
            Metric::Histogram(h) => Ok(h),
            _ => unreachable!("kind checked"),
        }
    }

    /// The timer `name` with these labels, created if absent (exported as the in-process
    /// registry's timers are).
    ///
    /// # Errors
    /// As [`counter`](Self::counter).
    pub fn timer(
        &self,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<Timer>, Error> {
        match self.get_or_create(name, help, MetricKind::Timer, None, labels, None)? {
            Metric::Timer(t) => Ok(t),
            _ => unreachable!("kind checked"),
        }
    }

    /// Number of metric families in the segment (registered by any process).
    pub fn len(&self) -> usize {
        let mut local = self.inner.local();
        let _ = self.inner.refresh(&mut local, false);
        local.families.len()
    }

    /// Whether no family is registered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of series in the segment (one per name and label values, registered by any
    /// process).
    pub fn series_count(&self) -> usize {
        let mut local = self.inner.local();
        let _ = self.inner.refresh(&mut local, false);
        local.series.len()
    }

    /// The segment's capacity in series entries.
    pub fn max_series(&self) -> u32 {
        self.inner.segment.geometry().max_series
    }

    /// The segment's number of process table slots.
    pub fn max_processes(&self) -> u32 {
        self.inner.segment.geometry().max_processes
    }

    /// Series refused because the segment was full, by every process since its creation.
    pub fn refused_series(&self) -> u64 {
        self.inner.segment.refused_series().load(Ordering::Relaxed)
    }

    /// Times a process found the process table full, since the segment's creation.
    pub fn refused_processes(&self) -> u64 {
        self.inner
            .segment
            .refused_processes()
            .load(Ordering::Relaxed)
    }

    /// Every family, with every process's values combined, in the Prometheus text exposition
    /// format 0.0.4 (content type [`PROMETHEUS_CONTENT_TYPE`](crate::PROMETHEUS_CONTENT_TYPE)):
    /// the in-process registry's exposition, written by the same code.
    pub fn export_prometheus(&self) -> String {
        let plan = self.inner.plan();
        write_text(plan.views(), Format::Prometheus)
    }

    /// As [`export_prometheus`](Self::export_prometheus), in OpenMetrics 1.0.
    pub fn export_openmetrics(&self) -> String {
        let plan = self.inner.plan();
        write_text(plan.views(), Format::OpenMetrics)
    }

    /// As [`export_prometheus`](Self::export_prometheus), as the JSON of
    /// [`Registry::export_json`](crate::Registry::export_json).
    pub fn export_json(&self) -> String {
        let plan = self.inner.plan();
        write_json(plan.views())
    }

    /// As [`export_prometheus`](Self::export_prometheus), in the Prometheus protobuf format of
    /// [`Registry::export_protobuf`](crate::Registry::export_protobuf).
    pub fn export_protobuf(&self) -> Vec<u8> {
        let plan = self.inner.plan();
        write_protobuf(plan.views())
    }

    /// The exposition in `format`, as bytes (the text formats are UTF-8).
    pub fn export(&self, format: crate::ExportFormat) -> Vec<u8> {
        match format {
            crate::ExportFormat::Prometheus => self.export_prometheus().into_bytes(),
            crate::ExportFormat::OpenMetrics => self.export_openmetrics().into_bytes(),
            crate::ExportFormat::Protobuf => self.export_protobuf(),
        }
    }

    fn get_or_create(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        mode: Option<GaugeMode>,
        labels: &[(&str, &str)],
        opts: Option<&HistogramOpts>,
    ) -> Result<Metric, Error> {
        // Fast path: a series this process has looked up before. The key sorts the labels, so
        // that any order finds it; a malformed request never matches a valid key.
        let mut sorted: Vec<(&str, &str)> = labels.to_vec();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let key = key_bytes(name, sorted.iter().copied());
        let mut local = self.inner.local();
        if let Some((k, m, metric)) = local.handles.get(&key) {
            return if *k == kind && *m == mode {
                Ok(metric.clone())
            } else {
                Err(kind_mismatch(name, *k, *m, kind, mode))
            };
        }
        // The in-process registry's rules for names, labels and options, defined once.
        let family = Family::new(name, help, kind, labels, opts)?;
        if mode.is_some_and(GaugeMode::per_pid) && family.label_names.iter().any(|l| l == "pid") {
            return Err(Error::InvalidArgument(format!(
                "label name \"pid\" is reserved for gauges of mode {}: the export adds it",
                mode.map_or("", GaugeMode::name)
            )));
        }
        self.inner.refresh(&mut local, false)?;
        let first = local
            .families
            .get(name)
            .and_then(|i| local.series.get(i))
            .cloned();
        match &first {
            Some(f) if f.kind != kind || f.mode != mode => {
                return Err(kind_mismatch(name, f.kind, f.mode, kind, mode));
            }
            Some(f) if f.label_names != family.label_names => {
                let got: Vec<&str> = labels.iter().map(|(l, _)| *l).collect();
                return Err(Error::InvalidArgument(format!(
                    "metric {name:?} has labels {:?}, got {got:?}",
                    f.label_names
                )));
            }
            Some(_) => {}
            None => {
                for n in kind.exported_names(name) {
                    if let Some(owner) = local.exported.get(&n).filter(|o| *o != name) {
                        let other = local
                            .families
                            .get(owner)
                            .and_then(|i| local.series.get(i))
                            .map_or("metric", |s| s.kind.as_str());
                        return Err(super::collision(kind, name, &n, other, owner));
                    }
                }
            }
        }
        let entry = match self.inner.probe(&mut local, &key) {
            Some(entry) => entry,
            None => {
                // A new family takes the caller's export options; a new series of an existing
                // one keeps the family's.
                let opts = first.as_ref().map_or(&family.opts, |f| &f.opts);
                let mine = self.inner.register(name, help, kind, mode, opts, &key)?;
                // A racing registrant of the same series may have claimed the key first: then
                // its entry is the series, here too.
                self.inner.claim_key(&mut local, &key, mine)?
            }
        };
        let series = self.inner.entry(&mut local, entry).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "the shared registry {} lost the series {name} (was the segment overwritten?)",
                self.path().display()
            ))
        })?;
        if series.kind != kind || series.mode != mode {
            return Err(kind_mismatch(name, series.kind, series.mode, kind, mode));
        }
        self.inner.refresh(&mut local, false)?;
        let metric = self.inner.handle(&series)?;
        local.handles.insert(key, (kind, mode, metric.clone()));
        Ok(metric)
    }
}

fn kind_mismatch(
    name: &str,
    had: MetricKind,
    had_mode: Option<GaugeMode>,
    kind: MetricKind,
    mode: Option<GaugeMode>,
) -> Error {
    if had == kind {
        Error::InvalidArgument(format!(
            "gauge {name:?} is registered with mode {}, not {}",
            had_mode.map_or("?", GaugeMode::name),
            mode.map_or("?", GaugeMode::name)
        ))
    } else {
        Error::InvalidArgument(format!(
            "metric {name:?} is registered as a {}, not a {}",
            had.as_str(),
            kind.as_str()
        ))
    }
}

impl Inner {
    fn local(&self) -> Guarded<MutexGuard<'_, Local>> {
        Guarded::lock(|| self.local.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the entries published since the last look, and takes as series those whose key the
    /// index gives them. With `strict`, an entry that is READY but does not read back, a state
    /// word that is none of the three, or an index slot that names no READY entry is an error;
    /// otherwise such an entry or slot is skipped for ever.
    fn refresh(&self, local: &mut Local, strict: bool) -> Result<(), Error> {
        let segment = &self.segment;
        let g = segment.geometry();
        let corrupted = |why: String| {
            Err(Error::InvalidArgument(format!(
                "{}: corrupted shared registry: {why}",
                segment.path().display()
            )))
        };
        let end = segment
            .next_entry()
            .load(Ordering::Acquire)
            .min(u64::from(g.max_series)) as usize;
        let mut look = std::mem::take(&mut local.pending);
        look.extend(local.scanned..end.max(local.scanned));
        local.scanned = local.scanned.max(end);
        for i in look {
            match segment.entry(i).state.load(Ordering::Acquire) {
                READY => match Series::read(segment, i) {
                    Ok(series) => {
                        local.read.insert(i, Arc::new(series));
                        local.unindexed.push(i);
                    }
                    Err(why) if strict => return corrupted(format!("series entry {i}: {why}")),
                    Err(_) => {}
                },
                EMPTY | WRITING => local.pending.push(i),
                other if strict => {
                    return corrupted(format!("series entry {i} in state {other}"));
                }
                _ => {}
            }
        }
        if strict {
            for slot in 0..g.index_slots as usize {
                let v = segment.index_slot(slot).load(Ordering::Acquire);
                // An entry is READY before its key is claimed: one published since the scan
                // above is read now.
                if let Some(e) = v.checked_sub(1) {
                    if usize::try_from(e).map_or(true, |e| self.entry(local, e).is_none()) {
                        return corrupted(format!("index slot {slot} names no series entry"));
                    }
                }
            }
        }
        for i in std::mem::take(&mut local.unindexed) {
            let key = local.read[&i].key.clone();
            match self.probe(local, &key) {
                Some(e) if e == i => local.add(local.read[&i].clone()),
                Some(_) => {} // another entry has the key: this one is never used
                None => local.unindexed.push(i),
            }
        }
        Ok(())
    }

    /// The READY entry `i`, read (now if this process has not read it yet).
    fn entry(&self, local: &mut Local, i: usize) -> Option<Arc<Series>> {
        if let Some(s) = local.read.get(&i) {
            return Some(s.clone());
        }
        let segment = &self.segment;
        if i >= segment.geometry().max_series as usize
            || segment.entry(i).state.load(Ordering::Acquire) != READY
        {
            return None;
        }
        let series = Arc::new(Series::read(segment, i).ok()?);
        local.read.insert(i, series.clone());
        Some(series)
    }

    /// The index slots `key` probes, in order: from its hash, linearly, all of them at most.
    fn probes(&self, key: &[u8]) -> impl Iterator<Item = usize> {
        let slots = self.segment.geometry().index_slots as usize;
        let start = segment::fnv1a(key) as usize;
        (0..slots).map(move |n| start.wrapping_add(n) & (slots - 1))
    }

    /// The entry the index gives `key`, if any.
    fn probe(&self, local: &mut Local, key: &[u8]) -> Option<usize> {
        for slot in self.probes(key) {
            let v = self.segment.index_slot(slot).load(Ordering::Acquire);
            let entry = v.checked_sub(1)? as usize;
            if self.entry(local, entry).is_some_and(|s| s.key == key) {
                return Some(entry);
            }
        }
        None
    }

    /// Gives `key` the entry `mine` (READY) in the index, unless another entry got it first:
    /// returns the entry that has it.
    fn claim_key(&self, local: &mut Local, key: &[u8], mine: usize) -> Result<usize, Error> {
        for slot in self.probes(key) {
            let cell = self.segment.index_slot(slot);
            let mut v = cell.load(Ordering::Acquire);
            if v == 0 {
                // Release: a process that finds the key sees the entry READY.
                match cell.compare_exchange(0, mine as u64 + 1, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Ok(mine),
                    Err(now) => v = now,
                }
            }
            let entry = (v - 1) as usize;
            if self.entry(local, entry).is_some_and(|s| s.key == key) {
                return Ok(entry);
            }
        }
        Err(Error::InvalidArgument(format!(
            "{}: corrupted shared registry: its index has no free slot",
            self.segment.path().display()
        )))
    }

    /// Appends and publishes an entry for a new series (its key is claimed afterwards); returns
    /// its index.
    fn register(
        &self,
        name: &str,
        help: &str,
        kind: MetricKind,
        mode: Option<GaugeMode>,
        opts: &HistogramOpts,
        key: &[u8],
    ) -> Result<usize, Error> {
        let segment = &self.segment;
        let g = *segment.geometry();
        let full = |what: String, option: &str| {
            segment.refused_series().fetch_add(1, Ordering::Relaxed);
            Error::InvalidArgument(format!(
                "the shared registry {} is full ({what}): {name} was not created; existing \
                 series keep working; create the registry with a larger {option}",
                segment.path().display()
            ))
        };
        let mut meta = key.to_vec();
        put_str(&mut meta, help);
        let config = HistogramConfig::default();
        let (count, cells_len) = match (kind, mode) {
            (MetricKind::Counter, _) => {
                let n = g.counter_stripes as usize;
                (n, (n * Counter::STRIPE_STRIDE) as u64)
            }
            (MetricKind::Histogram | MetricKind::Timer, _) => {
                meta.extend_from_slice(&(opts.buckets.len() as u32).to_ne_bytes());
                for b in &opts.buckets {
                    meta.extend_from_slice(&b.to_ne_bytes());
                }
                meta.extend_from_slice(&opts.scale.to_ne_bytes());
                let n = g.sum_stripes as usize;
                (n, Histogram::cell_count(&config, n) as u64 * 8)
            }
            (_, Some(GaugeMode::MostRecent)) => (1, 8),
            _ => {
                let n = g.max_processes as usize;
                (n, 16 * n as u64)
            }
        };
        if meta.len() > MAX_META as usize {
            return Err(Error::InvalidArgument(format!(
                "{name}: help and labels take {} bytes, more than a shared registry holds per \
                 series ({MAX_META})",
                meta.len()
            )));
        }
        let index = segment.next_entry().fetch_add(1, Ordering::AcqRel);
        if index >= u64::from(g.max_series) {
            return Err(full(
                format!("its {} series entries are taken", g.max_series),
                "max_series",
            ));
        }
        let e = segment.entry(index as usize);
        e.writer.store(std::process::id(), Ordering::Relaxed);
        e.state.store(WRITING, Ordering::Relaxed);
        let no_room = || {
            full(
                format!("its {} bytes of data are taken", g.arena_bytes),
                "data_bytes",
            )
        };
        let meta_offset = segment.alloc(meta.len() as u64).ok_or_else(no_room)?;
        let cells_offset = segment.alloc(cells_len).ok_or_else(no_room)?;
        segment.write_bytes(meta_offset, &meta);
        if matches!(kind, MetricKind::Histogram | MetricKind::Timer) {
            segment
                .cell(cells_offset, Histogram::MIN_CELL)
                .store(u64::MAX, Ordering::Relaxed);
        }
        let figures = u32::from(config.significant_figures());
        let mode_code = mode.map_or(0, GaugeMode::code);
        e.info.store(
            kind_code(kind) | (mode_code << 8) | (figures << 16),
            Ordering::Relaxed,
        );
        e.meta_offset.store(meta_offset, Ordering::Relaxed);
        e.meta_len.store(meta.len() as u32, Ordering::Relaxed);
        e.count.store(count as u32, Ordering::Relaxed);
        e.cells_offset.store(cells_offset, Ordering::Relaxed);
        e.cells_len.store(cells_len, Ordering::Relaxed);
        e.highest.store(config.highest(), Ordering::Relaxed);
        e.key_hash.store(segment::fnv1a(key), Ordering::Relaxed);
        // Published last: a reader that sees READY sees every field above.
        e.state.store(READY, Ordering::Release);
        Ok(index as usize)
    }

    /// The metric this process records into for `series`.
    fn handle(&self, series: &Series) -> Result<Metric, Error> {
        Ok(match &series.cells {
            SeriesCells::Counter(c) => Metric::Counter(c.clone()),
            SeriesCells::Histogram(h) => Metric::Histogram(h.clone()),
            SeriesCells::Timer(t) => Metric::Timer(t.clone()),
            SeriesCells::MostRecent(g) => Metric::Gauge(g.clone()),
            SeriesCells::PerProcess { offset, .. } => {
                let now = crate::fork::generation() + 1;
                if !self.slots.with_slot(now, |mine| mine.is_some()) {
                    return Err(process::claim(&self.segment, Identity::current())
                        .err()
                        .unwrap_or_else(|| {
                            Error::InvalidArgument("the process table is full".into())
                        }));
                }
                let gauge = Gauge::external(Box::new(ProcessCell {
                    slots: self.slots.clone(),
                    offset: *offset,
                    resolved: AtomicPtr::new(std::ptr::null_mut()),
                    generation: AtomicU64::new(0),
                    private: AtomicU64::new(0),
                }));
                gauge.get(); // finds this process's cell now
                Metric::Gauge(Arc::new(gauge))
            }
        })
    }

    /// What an export writes: the families, sorted by name, with their series. The first series
    /// of a name defines its family; a series of that name with another kind, labels or mode, or
    /// a family whose exported names collide with an earlier one's, can only come from processes
    /// that registered conflicting definitions at the same moment (each refuses the other's
    /// otherwise), and is left out.
    fn plan(&self) -> Plan {
        let series: Vec<Arc<Series>> = {
            let mut local = self.local();
            let _ = self.refresh(&mut local, false);
            local.series.values().cloned().collect()
        };
        let mut families: Vec<PlannedFamily> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut exported: HashMap<String, String> = HashMap::new();
        let mut left_out: HashSet<String> = HashSet::new();
        for s in series {
            if left_out.contains(&s.name) {
                continue;
            }
            if let Some(&f) = by_name.get(&s.name) {
                let family = &mut families[f];
                if family.first.same_family(&s) {
                    family.series.push(s);
                }
                continue;
            }
            let names = s.kind.exported_names(&s.name);
            if names
                .iter()
                .any(|n| exported.get(n).is_some_and(|o| *o != s.name))
            {
                left_out.insert(s.name.clone());
                continue;
            }
            for n in names {
                exported.insert(n, s.name.clone());
            }
            let mut label_names = s.label_names.clone();
            if s.mode.is_some_and(GaugeMode::per_pid) {
                label_names.push("pid".into());
                label_names.sort_unstable();
            }
            by_name.insert(s.name.clone(), families.len());
            families.push(PlannedFamily {
                first: s.clone(),
                label_names,
                series: vec![s],
            });
        }
        families.sort_by(|a, b| a.first.name.cmp(&b.first.name));
        let per_process = families
            .iter()
            .any(|f| f.first.mode.is_some_and(|m| m != GaugeMode::MostRecent));
        let owners = if per_process {
            process::owners(&self.segment)
        } else {
            Vec::new()
        };
        Plan {
            families,
            owners,
            segment: self.segment.clone(),
        }
    }
}

impl Local {
    /// Takes entry `s` as the series of its key.
    fn add(&mut self, s: Arc<Series>) {
        let i = s.entry;
        match self.families.get(&s.name) {
            Some(&j) if j < i => {}
            _ => {
                self.families.insert(s.name.clone(), i);
                for n in s.kind.exported_names(&s.name) {
                    self.exported.entry(n).or_insert_with(|| s.name.clone());
                }
            }
        }
        self.series.insert(i, s);
    }
}

struct Plan {
    families: Vec<PlannedFamily>,
    owners: Vec<Option<Owner>>,
    segment: Arc<Segment>,
}

struct PlannedFamily {
    first: Arc<Series>,
    /// Exported label names: the family's, with `pid` for per-process series.
    label_names: Vec<String>,
    /// Its series (one per label values: the index gives each key one entry).
    series: Vec<Arc<Series>>,
}

impl Plan {
    fn views(&self) -> impl Iterator<Item = FamilyView<'_>> {
        self.families.iter().map(|f| f.view(self))
    }

    /// Each process's value of a per-process gauge series, as (owner, value): the slots whose
    /// cell carries their current owner's tag, live owners only if `live`.
    fn process_values(&self, s: &Series, live: bool) -> Vec<(Owner, f64)> {
        let SeriesCells::PerProcess { offset, slots } = s.cells else {
            return Vec::new();
        };
        let cell = |i: usize| self.segment.cell(offset, i);
        self.owners
            .iter()
            .enumerate()
            .take(slots)
            .filter_map(|(slot, owner)| {
                let owner = owner.filter(|o| o.alive || !live)?;
                (cell(2 * slot + 1).load(Ordering::Acquire) == owner.tag).then(|| {
                    (
                        owner,
                        f64::from_bits(cell(2 * slot).load(Ordering::Relaxed)),
                    )
                })
            })
            .collect()
    }
}

/// The durations and errors of a histogram (no errors) or timer series.
fn histogram_of(s: &Series) -> (HistogramSnapshot, u64) {
    match &s.cells {
        SeriesCells::Histogram(h) => (h.snapshot(), 0),
        SeriesCells::Timer(t) => {
            // Errors first, as `Timer::snapshot` reads them.
            let errors = t.errors();
            (t.histogram().snapshot(), errors)
        }
        _ => (Histogram::new().snapshot(), 0),
    }
}

impl PlannedFamily {
    fn view<'a>(&'a self, plan: &'a Plan) -> FamilyView<'a> {
        let first = &self.first;
        let mut series: Vec<(Vec<String>, ReadValue<'a>)> = Vec::new();
        for s in &self.series {
            let values = s.label_values.clone();
            match (&s.cells, first.mode) {
                (SeriesCells::Counter(c), _) => {
                    series.push((values, Box::new(move || Value::Counter(c.get(), None))));
                }
                (SeriesCells::Histogram(_), _) => series.push((
                    values,
                    Box::new(move || Value::Histogram(histogram_of(s).0, Vec::new())),
                )),
                (SeriesCells::Timer(_), _) => series.push((
                    values,
                    Box::new(move || {
                        let (h, errors) = histogram_of(s);
                        Value::Timer(h, errors)
                    }),
                )),
                (SeriesCells::MostRecent(g), _) => {
                    series.push((values, Box::new(move || Value::Gauge(g.get()))));
                }
                (SeriesCells::PerProcess { .. }, Some(mode)) => {
                    self.gauge_rows(plan, mode, s, &mut series);
                }
                (SeriesCells::PerProcess { .. }, None) => {}
            }
        }
        FamilyView {
            name: &first.name,
            help: &first.help,
            kind: first.kind,
            label_names: &self.label_names,
            opts: &first.opts,
            series,
        }
    }

    fn gauge_rows<'a>(
        &self,
        plan: &Plan,
        mode: GaugeMode,
        s: &Series,
        out: &mut Vec<(Vec<String>, ReadValue<'a>)>,
    ) {
        let found = plan.process_values(s, mode.live());
        let values = &s.label_values;
        let mut row =
            |labels: Vec<String>, v: f64| out.push((labels, Box::new(move || Value::Gauge(v))));
        match mode {
            GaugeMode::All | GaugeMode::LiveAll => {
                // One series per pid: a pid held by an exited process and by a live one (reused)
                // is the live one's.
                let mut by_pid: BTreeMap<u32, (bool, f64)> = BTreeMap::new();
                for (owner, v) in found {
                    match by_pid.get(&owner.pid) {
                        Some((alive, _)) if *alive || !owner.alive => {}
                        _ => {
                            by_pid.insert(owner.pid, (owner.alive, v));
                        }
                    }
                }
                let at = self
                    .label_names
                    .iter()
                    .position(|l| l == "pid")
                    .unwrap_or(0);
                for (pid, (_, v)) in by_pid {
                    let mut labels = values.to_vec();
                    labels.insert(at, pid.to_string());
                    row(labels, v);
                }
            }
            GaugeMode::Sum | GaugeMode::LiveSum => {
                // From +0.0: std's f64 sum of nothing is -0.0, which would export as "-0".
                row(values.to_vec(), found.iter().fold(0.0, |acc, f| acc + f.1));
            }
            GaugeMode::Max | GaugeMode::LiveMax => {
                if let Some(v) = found.iter().map(|f| f.1).reduce(f64::max) {
                    row(values.to_vec(), v);
                }
            }
            GaugeMode::Min | GaugeMode::LiveMin => {
                if let Some(v) = found.iter().map(|f| f.1).reduce(f64::min) {
                    row(values.to_vec(), v);
                }
            }
            GaugeMode::MostRecent => {}
        }
    }
}

impl std::fmt::Debug for SharedRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRegistry")
            .field("path", &self.path())
            .field("families", &self.len())
            .finish()
    }
}
