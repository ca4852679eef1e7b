//! Interprets bytes as a sequence of C ABI calls (the real `extern "C"` functions of the ffi
//! crate) over every handle type, with arbitrary arguments: NULL handles and out-pointers, short
//! buffers, NULL buffers with a length, invalid UTF-8 names, out-of-range values. The harness
//! owns a table of live handles per type, so it never passes a freed handle or a buffer shorter
//! than the length it states (that would be the caller's undefined behaviour, not a library bug).
//!
//! Invariants checked after every call (a failed one panics, which the fuzzer reports):
//! - no call returns AP_ERR_INTERNAL (a panic caught at the boundary) or an unknown status;
//! - a shadow model agrees with the library: counter totals, histogram and timer counts, min/max
//!   extremes, gauge values, map contents, ledger balances and total (conserved by transfers),
//!   snapshot cell values and revisions, rate tracker deltas, async recorder accounting;
//! - every registry export is NUL-terminated UTF-8 that parses: Prometheus text and OpenMetrics
//!   line by line (comments, `name{labels} value` samples, `# EOF`), one TYPE per family, every
//!   series once; JSON with serde_json.
//!
//! Shared by the cargo-fuzz target (fuzz/fuzz_targets/c_abi.rs) and a bounded proptest run under
//! `cargo test` (ffi/tests/c_abi_model.rs). The including crate provides `crate::ffi`, the ffi
//! crate.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::{c_char, CString};
use std::ptr::{null, null_mut};

use arbitrary::{Arbitrary, Unstructured};

use crate::ffi::*;

/// Most handles of one type alive at once (bounds memory and threads per input).
const MAX_LIVE: usize = 12;
/// Most async recorders alive at once (each runs worker threads).
const MAX_RECORDERS: usize = 3;

/// A handle argument: one of the live handles of the type, or NULL.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Sel(u8);

/// Registry names used for process-wide registries: a small fixed set, so that repeated inputs
/// do not grow the process without bound.
const GLOBAL_NAMES: [&str; 3] = ["fuzz", "fuzz_other", ""];
const NAME_DICT: [&str; 12] = [
    "requests", "requests_total", "requests_total_total", "lat", "lat_bucket", "lat_count",
    "lat_sum", "t", "t_errors", "t_errors_total", "m_min", "m",
];
const LABEL_DICT: [&str; 6] = ["code", "le", "method", "__x", "bad-name", "quantile"];
const VALUE_DICT: [&str; 6] = ["", "200", "a\"b", "back\\slash", "new\nline", "ünï€ode"];

#[derive(Arbitrary, Debug)]
pub enum Text {
    /// From a dictionary (names that collide in the exports, reserved label names, values with
    /// characters that need escaping).
    Dict(u8),
    /// Arbitrary bytes: often not UTF-8, may contain NUL (which ends the C string early).
    Bytes(Vec<u8>),
    Null,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
    Timer,
    MinMax,
}

#[derive(Arbitrary, Debug)]
pub enum Target {
    Counter(Sel),
    Histogram(Sel),
    MinMax(Sel),
    Timer(Sel),
    Gauge(Sel),
}

#[derive(Arbitrary, Debug)]
pub struct Config {
    capacity: u8,
    workers: u8,
    batch: u8,
    overflow: u8,
}

#[derive(Arbitrary, Debug)]
pub enum Op {
    Misc(i32),
    CounterNew(Option<u16>, bool),
    CounterClone(Sel),
    CounterFree(Sel),
    CounterInc(Sel),
    CounterAdd(Sel, u64),
    CounterAddMany(Sel, Vec<u64>, bool),
    CounterGet(Sel, bool),
    CounterCellsAdd(Sel, u16, u64, bool),
    GaugeNew(f64, bool),
    GaugeClone(Sel),
    GaugeFree(Sel),
    GaugeOp(Sel, u8, f64),
    GaugeGet(Sel, bool),
    GaugeCellsStore(Sel, f64),
    HistNew(Option<(u8, u64)>, bool),
    HistClone(Sel),
    HistFree(Sel),
    HistRecord(Sel, u64),
    HistRecordN(Sel, u64, u64),
    HistRecordMany(Sel, Vec<u64>, bool),
    HistRead(Sel, u8, f64, bool),
    HistMerge(Sel, Sel),
    HistReset(Sel),
    HistSnapshot(Sel, bool),
    MinMaxNew(bool),
    MinMaxClone(Sel),
    MinMaxFree(Sel),
    MinMaxRecord(Sel, u64),
    MinMaxRead(Sel, bool),
    MinMaxReset(Sel),
    TimerNew(Option<(u8, u64)>, bool),
    TimerClone(Sel),
    TimerFree(Sel),
    TimerRecord(Sel, u64, bool),
    TimerSnapshot(Sel, bool),
    TimerQuantile(Sel, f64, bool),
    TimerReset(Sel),
    RateNew(Vec<Sel>, bool, bool),
    RateClone(Sel),
    RateFree(Sel),
    RateRates(Sel, u8, bool, bool, bool),
    WindowNew(u64, u32, u64, bool),
    WindowClone(Sel),
    WindowFree(Sel),
    WindowRecord(Sel, u64),
    WindowStats(Sel, bool),
    AsyncNew(Target, Option<Config>, bool),
    AsyncClone(Sel),
    AsyncFree(Sel),
    AsyncRecord(Sel, u64, bool),
    AsyncRecordTimeout(Sel, u64, u16),
    AsyncRecordTimer(Sel, u64, bool, bool),
    AsyncRecordGauge(Sel, u8, f64, bool),
    AsyncFlush(Sel, u16, bool),
    AsyncClose(Sel),
    AsyncStats(Sel, bool),
    MapNew(u16, bool),
    MapClone(Sel),
    MapFree(Sel),
    MapGet(Sel, Vec<u8>, u8, bool),
    MapInsert(Sel, Vec<u8>, Vec<u8>, bool, bool),
    MapRemove(Sel, Vec<u8>, bool),
    MapContains(Sel, Vec<u8>, bool),
    MapLen(Sel, bool),
    MapClear(Sel),
    MapSnapshot(Sel, u8),
    LedgerNew(bool),
    LedgerClone(Sel),
    LedgerFree(Sel),
    LedgerOpen(Sel, u8, bool),
    LedgerDeposit(Sel, u8, i64, bool),
    LedgerWithdraw(Sel, u8, i64, bool),
    LedgerTransfer(Sel, u8, u8, i64),
    LedgerBalance(Sel, u8, bool),
    LedgerTotal(Sel, bool),
    LedgerLen(Sel, bool),
    CellNew(Vec<u8>, bool, bool),
    CellClone(Sel),
    CellFree(Sel),
    CellLoad(Sel, u8, bool, bool),
    CellStore(Sel, Vec<u8>, bool),
    CellCas(Sel, Option<u64>, Vec<u8>),
    CellTimes(Sel, bool),
    OnceNew(bool),
    OnceClone(Sel),
    OnceFree(Sel),
    OnceClaim(Sel, u8, u8, bool),
    OnceComplete(Sel, Vec<u8>, bool),
    OnceAbandon(Sel),
    OnceGet(Sel, u8, u8, bool),
    OnceRemove(Sel, u8, bool),
    OnceLen(Sel, bool),
    TokenNew(bool),
    TokenClone(Sel),
    TokenFree(Sel),
    TokenChild(Sel, bool),
    TokenCancel(Sel),
    TokenIsCancelled(Sel, bool),
    TokenWait(Sel, u8, bool),
    RegNew(bool),
    RegDefault(bool),
    RegNamed(Text, bool),
    RegClone(Sel),
    RegFree(Sel),
    RegMetric {
        reg: Sel,
        kind: Kind,
        name: Text,
        help: Text,
        labels: Vec<(Text, Text)>,
        null_arrays: bool,
        buckets: Vec<f64>,
        scale: f64,
        null_out: bool,
    },
    RegExport(Sel, u32, u16, bool),
}

// ---------------------------------------------------------------------------------------------
// Handle tables and shadow objects.

/// A live handle and the shadow object it refers to.
struct Slot<T> {
    ptr: *mut T,
    obj: usize,
}

struct Table<T> {
    slots: Vec<Slot<T>>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { slots: Vec::new() }
    }
}

impl<T> Table<T> {
    /// The handle `s` selects (NULL for an empty table or the top values) and its object.
    fn get(&self, s: Sel) -> (*mut T, Option<usize>) {
        if self.slots.is_empty() || s.0 >= 250 {
            (null_mut(), None)
        } else {
            let slot = &self.slots[s.0 as usize % self.slots.len()];
            (slot.ptr, Some(slot.obj))
        }
    }
    fn full(&self) -> bool {
        self.slots.len() >= MAX_LIVE
    }
    fn push(&mut self, ptr: *mut T, obj: usize) {
        assert!(!ptr.is_null(), "a successful call returned a NULL handle");
        self.slots.push(Slot { ptr, obj });
    }
    /// Removes the selected handle from the table (the caller frees it).
    fn take(&mut self, s: Sel) -> Option<Slot<T>> {
        if self.slots.is_empty() || s.0 >= 250 {
            None
        } else {
            let i = s.0 as usize % self.slots.len();
            Some(self.slots.swap_remove(i))
        }
    }
    fn count(&self, obj: usize) -> usize {
        self.slots.iter().filter(|s| s.obj == obj).count()
    }
}

#[derive(Default, Clone)]
struct CounterObj {
    value: u64,
    exact: bool,
}

#[derive(Default, Clone)]
struct HistObj {
    count: u64,
    exact: bool,
}

#[derive(Default, Clone)]
struct MinMaxObj {
    range: Option<(u64, u64)>,
    exact: bool,
}

#[derive(Default, Clone)]
struct TimerObj {
    count: u64,
    errors: u64,
    exact: bool,
}

#[derive(Default, Clone)]
struct GaugeObj {
    /// None when the value cannot be predicted (async updates applied in any order, or a
    /// comparison of equal values with different bits).
    value: Option<f64>,
}

#[derive(Clone, Copy)]
enum TargetObj {
    Counter(usize),
    Histogram(usize),
    MinMax(usize),
    Timer(usize),
    Gauge(usize),
}

enum Event {
    Value(u64),
    Timer(bool),
}

struct AsyncObj {
    target: TargetObj,
    /// Events queued but maybe not applied yet.
    pending: Vec<Event>,
    /// An event of unknown fate (dropped or queued) was offered: the target is inexact for good.
    unknown: bool,
    closed: bool,
}

struct RateObj {
    counters: Vec<usize>,
    last: Option<Vec<u64>>,
}

#[derive(Default)]
struct LedgerObj {
    accounts: HashMap<u64, (i64, bool)>,
}

struct CellObj {
    value: Vec<u8>,
    revision: u64,
}

#[derive(Default)]
struct OnceObj {
    values: HashMap<Vec<u8>, Vec<u8>>,
    /// Keys whose value is unpredictable (removed while a ticket was out).
    unsure: HashSet<Vec<u8>>,
}

struct TicketObj {
    map: usize,
    key: Vec<u8>,
}

/// The key under which a registry shares a metric: kind, name and sorted label pairs.
type MetricKey = (u8, String, Vec<(String, String)>);

#[derive(Default)]
struct RegObj {
    global: bool,
    metrics: HashMap<MetricKey, usize>,
}

#[derive(Default)]
struct Harness {
    counters: Table<ApCounter>,
    counter_objs: Vec<CounterObj>,
    gauges: Table<ApGauge>,
    gauge_objs: Vec<GaugeObj>,
    hists: Table<ApHistogram>,
    hist_objs: Vec<HistObj>,
    minmaxes: Table<ApMinMax>,
    minmax_objs: Vec<MinMaxObj>,
    timers: Table<ApTimer>,
    timer_objs: Vec<TimerObj>,
    rates: Table<ApRateTracker>,
    rate_objs: Vec<RateObj>,
    windows: Table<ApThroughputWindow>,
    recorders: Table<ApAsyncRecorder>,
    recorder_objs: Vec<AsyncObj>,
    maps: Table<ApMap>,
    map_objs: Vec<BTreeMap<Vec<u8>, Vec<u8>>>,
    ledgers: Table<ApLedger>,
    ledger_objs: Vec<LedgerObj>,
    cells: Table<ApSnapshotCell>,
    cell_objs: Vec<CellObj>,
    onces: Table<ApOnceMap>,
    once_objs: Vec<OnceObj>,
    tickets: Table<ApOnceTicket>,
    ticket_objs: Vec<TicketObj>,
    tokens: Table<ApCancellationToken>,
    regs: Table<ApRegistry>,
    reg_objs: Vec<RegObj>,
    global_regs: HashMap<String, usize>,
}

/// A call with a NULL handle: refused as such, or for another NULL argument checked first.
fn assert_null(st: ap_status) {
    assert!(
        st == AP_ERR_NULL_HANDLE || st == AP_ERR_NULL_POINTER,
        "call with a NULL handle: status {st}"
    );
}

/// Statuses the ABI defines.
fn check(st: ap_status, what: &str) -> ap_status {
    assert!(
        st != AP_ERR_INTERNAL,
        "{what}: AP_ERR_INTERNAL (a panic inside the library): {}",
        last_error()
    );
    assert!((0..=16).contains(&st), "{what}: unknown status {st}");
    st
}

fn last_error() -> String {
    // SAFETY: never NULL, NUL-terminated, valid until the next failing call on this thread.
    unsafe { std::ffi::CStr::from_ptr(ap_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// An out-pointer: `v` or NULL.
fn out<T>(v: &mut T, null: bool) -> *mut T {
    if null {
        null_mut()
    } else {
        v
    }
}

fn new_obj<T>(objs: &mut Vec<T>, v: T) -> usize {
    objs.push(v);
    objs.len() - 1
}

/// Bytes of a C string argument: from the dictionary or arbitrary (NUL ends it early).
fn text_bytes(t: &Text, dict: &[&str]) -> Option<Vec<u8>> {
    match t {
        Text::Dict(i) => Some(dict[*i as usize % dict.len()].as_bytes().to_vec()),
        Text::Bytes(b) => Some(b.iter().copied().take_while(|&c| c != 0).collect()),
        Text::Null => None,
    }
}

fn cstring(b: &Option<Vec<u8>>) -> Option<CString> {
    b.as_ref().map(|b| CString::new(b.clone()).expect("NUL removed"))
}

fn cptr(c: &Option<CString>) -> *const c_char {
    c.as_ref().map_or(null(), |c| c.as_ptr())
}

/// A bounded wait for calls that block: 0, 1 µs or 1 ms.
fn short_timeout(v: u8) -> u64 {
    match v % 3 {
        0 => 0,
        1 => 1_000,
        _ => 1_000_000,
    }
}

impl Harness {
    fn counter_exact(&self, obj: usize) -> bool {
        self.counter_objs[obj].exact && !self.async_pending(|t| matches!(t, TargetObj::Counter(o) if o == obj))
    }

    /// Whether a live or unknown-fate async recorder may still change a target.
    fn async_pending(&self, is_target: impl Fn(TargetObj) -> bool) -> bool {
        self.recorder_objs
            .iter()
            .any(|r| is_target(r.target) && (!r.pending.is_empty() || r.unknown))
    }

    /// Applies the recorder's pending events to its target's shadow (they were applied).
    fn apply_pending(&mut self, robj: usize) {
        let r = &mut self.recorder_objs[robj];
        let events = std::mem::take(&mut r.pending);
        let target = r.target;
        for e in events {
            match (target, e) {
                (TargetObj::Counter(o), Event::Value(v)) => {
                    let c = &mut self.counter_objs[o];
                    c.value = c.value.wrapping_add(v);
                }
                (TargetObj::Histogram(o), Event::Value(_)) => {
                    let h = &mut self.hist_objs[o];
                    h.count = h.count.saturating_add(1);
                }
                (TargetObj::MinMax(o), Event::Value(v)) => {
                    let m = &mut self.minmax_objs[o];
                    m.range = Some(m.range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
                }
                (TargetObj::Timer(o), Event::Timer(ok)) => {
                    let t = &mut self.timer_objs[o];
                    t.count += 1;
                    t.errors += u64::from(!ok);
                }
                (TargetObj::Gauge(o), _) => self.gauge_objs[o].value = None,
                _ => panic!("an event of the wrong kind was accepted"),
            }
        }
    }

    fn counter_get_check(&self, c: *mut ApCounter, obj: usize, ctx: &str) {
        let mut v = 0u64;
        // SAFETY: every caller passes a counter handle it took from `counters` (live, owned by the
        // harness, see `Table`); `v` is a local, so the out-pointer is writable.
        let st = check(unsafe { ap_counter_get(c, &mut v) }, ctx);
        assert_eq!(st, AP_OK, "{ctx}");
        if self.counter_exact(obj) {
            assert_eq!(v, self.counter_objs[obj].value, "{ctx}: counter total");
        }
    }

    fn hist_count(&self, h: *mut ApHistogram) -> u64 {
        let mut v = 0u64;
        // SAFETY: every caller passes a histogram handle it took from `hists` or just received
        // from a successful call (live, owned by the harness); `v` is a local.
        assert_eq!(check(unsafe { ap_histogram_count(h, &mut v) }, "count"), AP_OK);
        v
    }

    fn run_op(&mut self, op: Op) {
        // SAFETY: this block only makes calls whose contracts the harness keeps by construction.
        // Handles are NULL or come from the tables (`Table::get`), which hold only handles that a
        // successful call returned and that were not freed since (`Table::take` removes a handle
        // before it is freed), so every non-NULL handle is live. Out-pointers are NULL or point
        // to locals. Every buffer is a local `Vec` or array at least as long as the length passed
        // with it, and every string a `CString` or NULL. The `std::mem::zeroed` C result structs
        // hold only integers, floats, bools and pointers, for which all-zero bytes are valid.
        // Cell pointers come from `ap_*_cells`/`*_layout` of a live handle and are used within
        // the layout those calls describe, while the handle is alive; entry pointers come from
        // `ap_map_entries_get` of a live snapshot, with the lengths it returned, and are copied
        // before the snapshot is freed. The `unsafe fn` helpers of `Harness` that need a live
        // handle (`check_async_stats`, `ledger_total`, `check_ledger`) are called only once the
        // handle is known non-NULL (its table slot exists).
        unsafe {
            match op {
                Op::Misc(s) => {
                    assert!(!ap_status_str(s).is_null());
                    assert!(!ap_version().is_null());
                    assert_eq!(ap_abi_version(), AP_ABI_VERSION);
                    let _ = last_error();
                    // Only arguments that are refused before anything runs: a thread count of 0
                    // or above 256.
                    let threads = [if s % 2 == 0 { 0usize } else { 257 + (s as u16 as usize) }];
                    let mut buf = [0 as c_char; 16];
                    let mut len = 0usize;
                    let st = check(
                        ap_bench_run(null(), threads.as_ptr(), 1, 1, buf.as_mut_ptr(), 16, &mut len),
                        "bench_run",
                    );
                    assert_eq!(st, AP_ERR_OUT_OF_RANGE, "bench_run with thread count {threads:?}");
                }

                // ---------------- counter
                Op::CounterNew(stripes, null_out) => {
                    if self.counters.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = match stripes {
                        None => ap_counter_new(out(&mut p, null_out)),
                        Some(s) => ap_counter_new_with_stripes(s as usize, out(&mut p, null_out)),
                    };
                    let st = check(st, "counter_new");
                    if null_out {
                        assert_eq!(st, AP_ERR_NULL_POINTER);
                    } else if let Some(s) = stripes {
                        let valid = s.is_power_of_two() && s <= 1024;
                        assert_eq!(st == AP_OK, valid, "counter_new_with_stripes({s})");
                    }
                    if st == AP_OK {
                        let o = new_obj(&mut self.counter_objs, CounterObj { value: 0, exact: true });
                        self.counters.push(p, o);
                    }
                }
                Op::CounterClone(s) => {
                    let (c, obj) = self.counters.get(s);
                    let p = ap_counter_clone(c);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.counters.full() => self.counters.push(p, o),
                        Some(_) => ap_counter_free(p),
                    }
                }
                Op::CounterFree(s) => match self.counters.take(s) {
                    Some(slot) => ap_counter_free(slot.ptr),
                    None => ap_counter_free(null_mut()),
                },
                Op::CounterInc(s) => {
                    let (c, obj) = self.counters.get(s);
                    let st = check(ap_counter_inc(c), "counter_inc");
                    self.after_counter_add(st, obj, 1);
                }
                Op::CounterAdd(s, n) => {
                    let (c, obj) = self.counters.get(s);
                    let st = check(ap_counter_add(c, n), "counter_add");
                    self.after_counter_add(st, obj, n);
                }
                Op::CounterAddMany(s, values, null_values) => {
                    let (c, obj) = self.counters.get(s);
                    let ptr = if null_values { null() } else { values.as_ptr() };
                    let st = check(ap_counter_add_many(c, ptr, values.len()), "counter_add_many");
                    if obj.is_some() && null_values && !values.is_empty() {
                        assert_eq!(st, AP_ERR_NULL_POINTER);
                    }
                    let sum = values.iter().fold(0u64, |a, v| a.wrapping_add(*v));
                    self.after_counter_add(st, obj, sum);
                }
                Op::CounterGet(s, null_out) => {
                    let (c, obj) = self.counters.get(s);
                    let mut v = 0u64;
                    let st = check(ap_counter_get(c, out(&mut v, null_out)), "counter_get");
                    match obj {
                        None => assert_null(st),
                        Some(_) if null_out => assert_eq!(st, AP_ERR_NULL_POINTER),
                        Some(o) => {
                            assert_eq!(st, AP_OK);
                            if self.counter_exact(o) {
                                assert_eq!(v, self.counter_objs[o].value, "counter total");
                            }
                        }
                    }
                }
                Op::CounterCellsAdd(s, stripe, n, null_out) => {
                    let (c, obj) = self.counters.get(s);
                    let mut cells: ap_cells = std::mem::zeroed();
                    let st = check(ap_counter_cells(c, out(&mut cells, null_out)), "counter_cells");
                    if st == AP_OK {
                        let o = obj.expect("cells of a NULL handle");
                        assert_eq!(cells.kind, AP_CELL_COUNTER_STRIPES);
                        assert!(cells.count >= 1 && cells.stride >= 8 && cells.stride.is_multiple_of(8));
                        let i = stripe as usize % cells.count;
                        let cell = (cells.base as *mut u8).add(cells.offset + i * cells.stride)
                            as *const std::sync::atomic::AtomicU64;
                        assert_eq!(cell as usize % 8, 0, "cell alignment");
                        (*cell).fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                        let co = &mut self.counter_objs[o];
                        co.value = co.value.wrapping_add(n);
                        self.counter_get_check(c, o, "after a write through the cells");
                    }
                }

                // ---------------- gauge
                Op::GaugeNew(v, null_out) => {
                    if self.gauges.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = check(ap_gauge_new(v, out(&mut p, null_out)), "gauge_new");
                    assert_eq!(st == AP_OK, !null_out);
                    if st == AP_OK {
                        let o = new_obj(&mut self.gauge_objs, GaugeObj { value: Some(v) });
                        self.gauges.push(p, o);
                    }
                }
                Op::GaugeClone(s) => {
                    let (g, obj) = self.gauges.get(s);
                    let p = ap_gauge_clone(g);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.gauges.full() => self.gauges.push(p, o),
                        Some(_) => ap_gauge_free(p),
                    }
                }
                Op::GaugeFree(s) => match self.gauges.take(s) {
                    Some(slot) => ap_gauge_free(slot.ptr),
                    None => ap_gauge_free(null_mut()),
                },
                Op::GaugeOp(s, which, d) => {
                    let (g, obj) = self.gauges.get(s);
                    let st = check(
                        match which % 7 {
                            0 => ap_gauge_set(g, d),
                            1 => ap_gauge_add(g, d),
                            2 => ap_gauge_sub(g, d),
                            3 => ap_gauge_inc(g),
                            4 => ap_gauge_dec(g),
                            5 => ap_gauge_set_max(g, d),
                            _ => ap_gauge_set_min(g, d),
                        },
                        "gauge op",
                    );
                    let Some(o) = obj else {
                        assert_null(st);
                        return;
                    };
                    assert_eq!(st, AP_OK);
                    let cur = self.gauge_objs[o].value;
                    self.gauge_objs[o].value = match (which % 7, cur) {
                        (0, _) => Some(d),
                        (_, None) => None,
                        (1, Some(x)) => Some(x + d),
                        (2, Some(x)) => Some(x - d),
                        (3, Some(x)) => Some(x + 1.0),
                        (4, Some(x)) => Some(x - 1.0),
                        (5, Some(x)) if d > x => Some(d),
                        (5, Some(x)) if d < x => Some(x),
                        (6, Some(x)) if d < x => Some(d),
                        (6, Some(x)) if d > x => Some(x),
                        _ => None,
                    };
                    if self.gauge_is_async(o) {
                        self.gauge_objs[o].value = None;
                    }
                }
                Op::GaugeGet(s, null_out) => {
                    let (g, obj) = self.gauges.get(s);
                    let mut v = 0f64;
                    let st = check(ap_gauge_get(g, out(&mut v, null_out)), "gauge_get");
                    match obj {
                        None => assert_null(st),
                        Some(_) if null_out => assert_eq!(st, AP_ERR_NULL_POINTER),
                        Some(o) => {
                            assert_eq!(st, AP_OK);
                            if let (Some(e), false) = (self.gauge_objs[o].value, self.gauge_is_async(o)) {
                                assert!(
                                    e.to_bits() == v.to_bits() || (e.is_nan() && v.is_nan()),
                                    "gauge value {v}, expected {e}"
                                );
                            }
                        }
                    }
                }
                Op::GaugeCellsStore(s, v) => {
                    let (g, obj) = self.gauges.get(s);
                    let mut cells: ap_cells = std::mem::zeroed();
                    let st = check(ap_gauge_cells(g, &mut cells), "gauge_cells");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        assert_eq!((cells.kind, cells.count), (AP_CELL_GAUGE_BITS, 1));
                        let cell = (cells.base as *mut u8).add(cells.offset)
                            as *const std::sync::atomic::AtomicU64;
                        (*cell).store(v.to_bits(), std::sync::atomic::Ordering::Relaxed);
                        self.gauge_objs[o].value = Some(v);
                        let mut got = 0f64;
                        assert_eq!(check(ap_gauge_get(g, &mut got), "gauge_get"), AP_OK);
                        assert_eq!(got.to_bits(), v.to_bits(), "gauge read after a cell store");
                    }
                }

                // ---------------- histogram
                Op::HistNew(prec, null_out) => {
                    // 4 and 5 significant figures over the whole u64 range take megabytes: keep
                    // them to a billion so inputs stay fast (every range is still reachable at 1-3).
                    let prec = prec.map(|(sig, hi)| if sig % 7 >= 4 { (sig, hi % 1_000_000_000) } else { (sig, hi) });
                    if self.hists.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = check(
                        match prec {
                            None => ap_histogram_new(out(&mut p, null_out)),
                            Some((sig, hi)) => ap_histogram_new_with_precision(
                                u32::from(sig % 7),
                                hi,
                                out(&mut p, null_out),
                            ),
                        },
                        "histogram_new",
                    );
                    if let (Some((sig, hi)), false) = (prec, null_out) {
                        let valid = (1..=5).contains(&(sig % 7)) && hi >= 2;
                        assert_eq!(st == AP_OK, valid, "histogram_new_with_precision({}, {hi})", sig % 7);
                    }
                    if st == AP_OK {
                        let o = new_obj(&mut self.hist_objs, HistObj { count: 0, exact: true });
                        self.hists.push(p, o);
                    }
                }
                Op::HistClone(s) => {
                    let (h, obj) = self.hists.get(s);
                    let p = ap_histogram_clone(h);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.hists.full() => self.hists.push(p, o),
                        Some(_) => ap_histogram_free(p),
                    }
                }
                Op::HistFree(s) => match self.hists.take(s) {
                    Some(slot) => ap_histogram_free(slot.ptr),
                    None => ap_histogram_free(null_mut()),
                },
                Op::HistRecord(s, v) => {
                    let (h, obj) = self.hists.get(s);
                    let st = check(ap_histogram_record(h, v), "histogram_record");
                    self.after_hist_add(st, obj, 1);
                }
                Op::HistRecordN(s, v, n) => {
                    let (h, obj) = self.hists.get(s);
                    let st = check(ap_histogram_record_n(h, v, n), "histogram_record_n");
                    self.after_hist_add(st, obj, n);
                }
                Op::HistRecordMany(s, values, null_values) => {
                    let (h, obj) = self.hists.get(s);
                    let ptr = if null_values { null() } else { values.as_ptr() };
                    let st = check(ap_histogram_record_many(h, ptr, values.len()), "histogram_record_many");
                    self.after_hist_add(st, obj, values.len() as u64);
                }
                Op::HistRead(s, which, q, null_out) => {
                    let (h, obj) = self.hists.get(s);
                    let (mut u, mut f, mut z) = (0u64, 0f64, 0usize);
                    let st = check(
                        match which % 8 {
                            0 => ap_histogram_count(h, out(&mut u, null_out)),
                            1 => ap_histogram_sum(h, out(&mut u, null_out)),
                            2 => ap_histogram_min(h, out(&mut u, null_out)),
                            3 => ap_histogram_max(h, out(&mut u, null_out)),
                            4 => ap_histogram_mean(h, out(&mut f, null_out)),
                            5 => ap_histogram_quantile(h, q, out(&mut u, null_out)),
                            6 => ap_histogram_overflow_count(h, out(&mut u, null_out)),
                            _ => ap_histogram_memory_bytes(h, out(&mut z, null_out)),
                        },
                        "histogram read",
                    );
                    let Some(o) = obj else {
                        assert_null(st);
                        return;
                    };
                    let ho = self.hist_objs[o].clone();
                    let exact = ho.exact && !self.hist_async(o);
                    if which % 8 == 0 && !null_out {
                        assert_eq!(st, AP_OK);
                        if exact {
                            assert_eq!(u, ho.count, "histogram count");
                        }
                    }
                    if exact && !null_out && matches!(which % 8, 2..=4) {
                        assert_eq!(st == AP_ERR_EMPTY, ho.count == 0, "EMPTY iff nothing recorded");
                    }
                    if which % 8 == 5 && !(0.0..=1.0).contains(&q) && !null_out {
                        assert_eq!(st, AP_ERR_OUT_OF_RANGE, "quantile {q}");
                    }
                }
                Op::HistMerge(d, s) => {
                    let (dst, dobj) = self.hists.get(d);
                    let (src, sobj) = self.hists.get(s);
                    let st = check(ap_histogram_merge(dst, src), "histogram_merge");
                    match (dobj, sobj) {
                        (Some(a), Some(b)) => {
                            assert_eq!(st, AP_OK);
                            let n = self.hist_objs[b].count;
                            let exact = self.hist_objs[b].exact && !self.hist_async(b);
                            let ha = &mut self.hist_objs[a];
                            ha.count = ha.count.saturating_add(n);
                            ha.exact &= exact;
                        }
                        _ => assert_null(st),
                    }
                }
                Op::HistReset(s) => {
                    let (h, obj) = self.hists.get(s);
                    let st = check(ap_histogram_reset(h), "histogram_reset");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        if !self.hist_async(o) {
                            self.hist_objs[o] = HistObj { count: 0, exact: true };
                        }
                    }
                }
                Op::HistSnapshot(s, null_out) => {
                    let (h, obj) = self.hists.get(s);
                    let mut p = null_mut();
                    let st = check(ap_histogram_snapshot(h, out(&mut p, null_out)), "histogram_snapshot");
                    if st == AP_OK {
                        let o = obj.unwrap();
                        let mut ho = self.hist_objs[o].clone();
                        ho.exact &= !self.hist_async(o);
                        if ho.exact {
                            assert_eq!(self.hist_count(p), ho.count, "snapshot count");
                        }
                        if self.hists.full() {
                            ap_histogram_free(p);
                        } else {
                            let n = new_obj(&mut self.hist_objs, ho);
                            self.hists.push(p, n);
                        }
                    }
                }

                // ---------------- min/max
                Op::MinMaxNew(null_out) => {
                    if self.minmaxes.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = check(ap_minmax_new(out(&mut p, null_out)), "minmax_new");
                    if st == AP_OK {
                        let o = new_obj(&mut self.minmax_objs, MinMaxObj { range: None, exact: true });
                        self.minmaxes.push(p, o);
                    }
                }
                Op::MinMaxClone(s) => {
                    let (m, obj) = self.minmaxes.get(s);
                    let p = ap_minmax_clone(m);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.minmaxes.full() => self.minmaxes.push(p, o),
                        Some(_) => ap_minmax_free(p),
                    }
                }
                Op::MinMaxFree(s) => match self.minmaxes.take(s) {
                    Some(slot) => ap_minmax_free(slot.ptr),
                    None => ap_minmax_free(null_mut()),
                },
                Op::MinMaxRecord(s, v) => {
                    let (m, obj) = self.minmaxes.get(s);
                    let st = check(ap_minmax_record(m, v), "minmax_record");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let mo = &mut self.minmax_objs[o];
                        mo.range = Some(mo.range.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
                    }
                }
                Op::MinMaxRead(s, null_out) => {
                    let (m, obj) = self.minmaxes.get(s);
                    let (mut lo, mut hi) = (0u64, 0u64);
                    let a = check(ap_minmax_min(m, out(&mut lo, null_out)), "minmax_min");
                    let b = check(ap_minmax_max(m, out(&mut hi, null_out)), "minmax_max");
                    if let (Some(o), false) = (obj, null_out) {
                        let mo = &self.minmax_objs[o];
                        if mo.exact && !self.async_pending(|t| matches!(t, TargetObj::MinMax(x) if x == o)) {
                            match mo.range {
                                None => assert_eq!((a, b), (AP_ERR_EMPTY, AP_ERR_EMPTY)),
                                Some(r) => {
                                    assert_eq!((a, b), (AP_OK, AP_OK));
                                    assert_eq!((lo, hi), r, "min/max");
                                }
                            }
                        }
                    }
                }
                Op::MinMaxReset(s) => {
                    let (m, obj) = self.minmaxes.get(s);
                    let st = check(ap_minmax_reset(m), "minmax_reset");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        self.minmax_objs[o].range = None;
                    }
                }

                // ---------------- timer
                Op::TimerNew(prec, null_out) => {
                    // 4 and 5 significant figures over the whole u64 range take megabytes: keep
                    // them to a billion so inputs stay fast (every range is still reachable at 1-3).
                    let prec = prec.map(|(sig, hi)| if sig % 7 >= 4 { (sig, hi % 1_000_000_000) } else { (sig, hi) });
                    if self.timers.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = check(
                        match prec {
                            None => ap_timer_new(out(&mut p, null_out)),
                            Some((sig, hi)) => {
                                ap_timer_new_with_precision(u32::from(sig % 7), hi, out(&mut p, null_out))
                            }
                        },
                        "timer_new",
                    );
                    if st == AP_OK {
                        let o = new_obj(&mut self.timer_objs, TimerObj { count: 0, errors: 0, exact: true });
                        self.timers.push(p, o);
                    }
                }
                Op::TimerClone(s) => {
                    let (t, obj) = self.timers.get(s);
                    let p = ap_timer_clone(t);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.timers.full() => self.timers.push(p, o),
                        Some(_) => ap_timer_free(p),
                    }
                }
                Op::TimerFree(s) => match self.timers.take(s) {
                    Some(slot) => ap_timer_free(slot.ptr),
                    None => ap_timer_free(null_mut()),
                },
                Op::TimerRecord(s, d, ok) => {
                    let (t, obj) = self.timers.get(s);
                    let st = check(ap_timer_record(t, d, ok), "timer_record");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let to = &mut self.timer_objs[o];
                        to.count += 1;
                        to.errors += u64::from(!ok);
                    }
                }
                Op::TimerSnapshot(s, null_out) => {
                    let (t, obj) = self.timers.get(s);
                    let mut stats: ap_timer_stats = std::mem::zeroed();
                    let st = check(ap_timer_snapshot(t, out(&mut stats, null_out)), "timer_snapshot");
                    if st == AP_OK {
                        let o = obj.unwrap();
                        self.check_timer(o, &stats);
                    }
                }
                Op::TimerQuantile(s, q, null_out) => {
                    let (t, _) = self.timers.get(s);
                    let mut v = 0u64;
                    check(ap_timer_quantile(t, q, out(&mut v, null_out)), "timer_quantile");
                }
                Op::TimerReset(s) => {
                    let (t, obj) = self.timers.get(s);
                    let st = check(ap_timer_reset(t), "timer_reset");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let to = &mut self.timer_objs[o];
                        to.count = 0;
                        to.errors = 0;
                    }
                }

                // ---------------- rate tracker
                Op::RateNew(sels, null_array, null_out) => {
                    if self.rates.full() {
                        return;
                    }
                    let picked: Vec<(*mut ApCounter, Option<usize>)> =
                        sels.iter().take(8).map(|s| self.counters.get(*s)).collect();
                    let ptrs: Vec<*const ApCounter> = picked.iter().map(|p| p.0 as *const _).collect();
                    let arr = if null_array { null() } else { ptrs.as_ptr() };
                    let mut p = null_mut();
                    let st = check(ap_rate_tracker_new(arr, ptrs.len(), out(&mut p, null_out)), "rate_tracker_new");
                    if st == AP_OK {
                        let counters = picked.iter().map(|p| p.1.expect("NULL counter accepted")).collect();
                        let o = new_obj(&mut self.rate_objs, RateObj { counters, last: None });
                        self.rates.push(p, o);
                    } else if !null_out && !null_array && picked.iter().any(|p| p.1.is_none()) {
                        assert_null(st);
                    }
                }
                Op::RateClone(s) => {
                    let (t, obj) = self.rates.get(s);
                    let p = ap_rate_tracker_clone(t);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.rates.full() => self.rates.push(p, o),
                        Some(_) => ap_rate_tracker_free(p),
                    }
                }
                Op::RateFree(s) => match self.rates.take(s) {
                    Some(slot) => ap_rate_tracker_free(slot.ptr),
                    None => ap_rate_tracker_free(null_mut()),
                },
                Op::RateRates(s, cap, with_deltas, null_rates, null_len) => {
                    let (t, obj) = self.rates.get(s);
                    let cap = cap as usize % 10;
                    let mut per_second = vec![0f64; cap];
                    let mut deltas = vec![0u64; cap];
                    let mut len = 0usize;
                    let st = check(
                        ap_rate_tracker_rates(
                            t,
                            if null_rates { null_mut() } else { per_second.as_mut_ptr() },
                            if with_deltas { deltas.as_mut_ptr() } else { null_mut() },
                            cap,
                            out(&mut len, null_len),
                        ),
                        "rate_tracker_rates",
                    );
                    let Some(o) = obj else { return };
                    let n = self.rate_objs[o].counters.len();
                    if st == AP_ERR_BUFFER_TOO_SMALL {
                        assert!(cap < n);
                        assert_eq!(len, n);
                    }
                    if st == AP_OK {
                        assert_eq!(len, n);
                        let counters = self.rate_objs[o].counters.clone();
                        let exact = counters.iter().all(|&c| self.counter_exact(c));
                        let now: Vec<u64> = counters.iter().map(|&c| self.counter_objs[c].value).collect();
                        if exact && with_deltas {
                            match &self.rate_objs[o].last {
                                None => assert!(deltas[..n].iter().all(|&d| d == 0), "first rates call"),
                                Some(last) => {
                                    for i in 0..n {
                                        assert_eq!(deltas[i], now[i].wrapping_sub(last[i]), "rate delta {i}");
                                    }
                                }
                            }
                        }
                        assert!(per_second[..n.min(cap)].iter().all(|r| !r.is_nan()));
                        self.rate_objs[o].last = if exact { Some(now) } else { None };
                    }
                }

                // ---------------- throughput window
                Op::WindowNew(window, buckets, sla, null_out) => {
                    if self.windows.full() {
                        return;
                    }
                    let mut p = null_mut();
                    // Small windows, and one count just above the limit (refused): a 2^20-bucket window
                    // per input would make the fuzzer spend its time zeroing memory.
                    let buckets = [0, 1, 3, 64, (1 << 20) + 1][buckets as usize % 5];
                    let st = check(
                        ap_throughput_window_new(window, buckets, sla, out(&mut p, null_out)),
                        "throughput_window_new",
                    );
                    if st == AP_OK {
                        self.windows.push(p, 0);
                    }
                }
                Op::WindowClone(s) => {
                    let (w, obj) = self.windows.get(s);
                    let p = ap_throughput_window_clone(w);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.windows.full() => self.windows.push(p, o),
                        Some(_) => ap_throughput_window_free(p),
                    }
                }
                Op::WindowFree(s) => match self.windows.take(s) {
                    Some(slot) => ap_throughput_window_free(slot.ptr),
                    None => ap_throughput_window_free(null_mut()),
                },
                Op::WindowRecord(s, l) => {
                    let (w, obj) = self.windows.get(s);
                    let st = check(ap_throughput_window_record(w, l), "throughput_window_record");
                    assert_eq!(st == AP_OK, obj.is_some());
                }
                Op::WindowStats(s, null_out) => {
                    let (w, _) = self.windows.get(s);
                    let mut stats: ap_window_stats = std::mem::zeroed();
                    let st = check(ap_throughput_window_stats(w, out(&mut stats, null_out)), "window_stats");
                    if st == AP_OK {
                        assert!(stats.violations <= stats.events);
                        assert!((0.0..=1.0).contains(&stats.violation_ratio));
                    }
                }

                // ---------------- async recorder
                Op::AsyncNew(target, config, null_out) => {
                    if self.recorders.slots.len() >= MAX_RECORDERS {
                        return;
                    }
                    let cfg = config.map(|c| ap_async_config {
                        capacity: [0, 1, 2, 16, 1024, (1 << 24) + 1][c.capacity as usize % 6],
                        workers: [0, 1, 2, 3, 257][c.workers as usize % 5],
                        batch: [0, 1, 3, 256][c.batch as usize % 4],
                        overflow: u32::from(c.overflow % 3),
                    });
                    let cptr = cfg.as_ref().map_or(null(), |c| c as *const ap_async_config);
                    let mut p = null_mut();
                    let o = out(&mut p, null_out);
                    let (st, tobj) = match target {
                        Target::Counter(s) => {
                            let (h, obj) = self.counters.get(s);
                            (ap_async_recorder_new_counter(h, cptr, o), obj.map(TargetObj::Counter))
                        }
                        Target::Histogram(s) => {
                            let (h, obj) = self.hists.get(s);
                            (ap_async_recorder_new_histogram(h, cptr, o), obj.map(TargetObj::Histogram))
                        }
                        Target::MinMax(s) => {
                            let (h, obj) = self.minmaxes.get(s);
                            (ap_async_recorder_new_minmax(h, cptr, o), obj.map(TargetObj::MinMax))
                        }
                        Target::Timer(s) => {
                            let (h, obj) = self.timers.get(s);
                            (ap_async_recorder_new_timer(h, cptr, o), obj.map(TargetObj::Timer))
                        }
                        Target::Gauge(s) => {
                            let (h, obj) = self.gauges.get(s);
                            (ap_async_recorder_new_gauge(h, cptr, o), obj.map(TargetObj::Gauge))
                        }
                    };
                    let st = check(st, "async_recorder_new");
                    if let Some(c) = &cfg {
                        let valid = c.capacity >= 1
                            && c.capacity <= 1 << 24
                            && (1..=256).contains(&c.workers)
                            && c.batch >= 1
                            && c.overflow <= 1;
                        if !valid {
                            assert_ne!(st, AP_OK, "async config accepted: capacity {} workers {} batch {} overflow {}", c.capacity, c.workers, c.batch, c.overflow);
                        }
                    }
                    if st == AP_OK {
                        let target = tobj.expect("recorder on a NULL metric");
                        let r = AsyncObj { target, pending: Vec::new(), unknown: false, closed: false };
                        let n = new_obj(&mut self.recorder_objs, r);
                        self.recorders.push(p, n);
                    }
                }
                Op::AsyncClone(s) => {
                    let (r, obj) = self.recorders.get(s);
                    let p = ap_async_recorder_clone(r);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.recorders.full() => self.recorders.push(p, o),
                        Some(_) => ap_async_recorder_free(p),
                    }
                }
                Op::AsyncFree(s) => match self.recorders.take(s) {
                    Some(slot) => {
                        ap_async_recorder_free(slot.ptr);
                        if self.recorders.count(slot.obj) == 0 {
                            // The last handle closes it: everything queued was applied.
                            self.recorder_closed(slot.obj);
                        }
                    }
                    None => ap_async_recorder_free(null_mut()),
                },
                Op::AsyncRecord(s, v, null_queued) => {
                    let (r, obj) = self.recorders.get(s);
                    let mut queued = false;
                    let st = check(ap_async_recorder_record(r, v, out(&mut queued, null_queued)), "async_record");
                    self.after_async_record(obj, st, Event::Value(v), if null_queued { None } else { Some(queued) });
                }
                Op::AsyncRecordTimeout(s, v, t) => {
                    let (r, obj) = self.recorders.get(s);
                    let st = check(
                        ap_async_recorder_record_timeout(r, v, u64::from(t) * 100),
                        "async_record_timeout",
                    );
                    self.after_async_record(obj, st, Event::Value(v), Some(true));
                }
                Op::AsyncRecordTimer(s, d, ok, null_queued) => {
                    let (r, obj) = self.recorders.get(s);
                    let mut queued = false;
                    let st = check(
                        ap_async_recorder_record_timer(r, d, ok, out(&mut queued, null_queued)),
                        "async_record_timer",
                    );
                    self.after_async_record(obj, st, Event::Timer(ok), if null_queued { None } else { Some(queued) });
                }
                Op::AsyncRecordGauge(s, op, v, null_queued) => {
                    let (r, obj) = self.recorders.get(s);
                    let mut queued = false;
                    let st = check(
                        ap_async_recorder_record_gauge(r, u32::from(op % 5), v, out(&mut queued, null_queued)),
                        "async_record_gauge",
                    );
                    if op % 5 > 3 && obj.is_some() {
                        assert_ne!(st, AP_OK, "unknown gauge op accepted");
                    }
                    self.after_async_record(obj, st, Event::Value(0), if null_queued { None } else { Some(queued) });
                }
                Op::AsyncFlush(s, t, null_done) => {
                    let (r, obj) = self.recorders.get(s);
                    let mut done = false;
                    // A bounded wait (up to 6.5 ms) or, rarely, no limit (workers always drain).
                    let timeout = if t == u16::MAX { u64::MAX } else { u64::from(t) * 100 };
                    let st = check(ap_async_recorder_flush(r, timeout, out(&mut done, null_done)), "async_flush");
                    if let (Some(o), AP_OK) = (obj, st) {
                        if done {
                            self.apply_pending(o);
                            self.check_async_stats(r, o);
                        }
                    }
                }
                Op::AsyncClose(s) => {
                    let (r, obj) = self.recorders.get(s);
                    let st = check(ap_async_recorder_close(r), "async_close");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        self.recorder_closed(o);
                        self.check_async_stats(r, o);
                    }
                }
                Op::AsyncStats(s, null_out) => {
                    let (r, _) = self.recorders.get(s);
                    let mut stats: ap_async_stats = std::mem::zeroed();
                    let st = check(ap_async_recorder_stats(r, out(&mut stats, null_out)), "async_stats");
                    if st == AP_OK {
                        assert!(stats.applied + stats.dropped <= stats.enqueued, "async counts");
                    }
                }

                // ---------------- sharded map
                Op::MapNew(shards, null_out) => {
                    if self.maps.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let st = check(ap_map_new(shards as usize, out(&mut p, null_out)), "map_new");
                    if !null_out {
                        let valid = shards == 0 || (shards.is_power_of_two() && shards <= 4096);
                        assert_eq!(st == AP_OK, valid, "map_new({shards})");
                    }
                    if st == AP_OK {
                        let o = new_obj(&mut self.map_objs, BTreeMap::new());
                        self.maps.push(p, o);
                    }
                }
                Op::MapClone(s) => {
                    let (m, obj) = self.maps.get(s);
                    let p = ap_map_clone(m);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.maps.full() => self.maps.push(p, o),
                        Some(_) => ap_map_free(p),
                    }
                }
                Op::MapFree(s) => match self.maps.take(s) {
                    Some(slot) => ap_map_free(slot.ptr),
                    None => ap_map_free(null_mut()),
                },
                Op::MapGet(s, key, cap, null_buf) => {
                    let (m, obj) = self.maps.get(s);
                    let mut buf = vec![0u8; cap as usize % 40];
                    let (mut len, mut found) = (0usize, false);
                    let bp = if null_buf { null_mut() } else { buf.as_mut_ptr() };
                    let st = check(
                        ap_map_get(m, key.as_ptr(), key.len(), bp, if null_buf { 0 } else { buf.len() }, &mut len, &mut found),
                        "map_get",
                    );
                    let Some(o) = obj else { return };
                    match self.map_objs[o].get(&key) {
                        None => {
                            assert_eq!(st, AP_OK);
                            assert!(!found);
                        }
                        Some(v) => {
                            assert!(found, "map key missing");
                            assert_eq!(len, v.len());
                            if st == AP_OK {
                                assert_eq!(&buf[..len], &v[..], "map value");
                            } else {
                                assert!(st == AP_ERR_BUFFER_TOO_SMALL || st == AP_ERR_NULL_POINTER, "map_get {st}");
                            }
                        }
                    }
                }
                Op::MapInsert(s, key, value, if_absent, null_value) => {
                    let (m, obj) = self.maps.get(s);
                    let mut flag = false;
                    let vp = if null_value { null() } else { value.as_ptr() };
                    let st = check(
                        if if_absent {
                            ap_map_insert_if_absent(m, key.as_ptr(), key.len(), vp, value.len(), &mut flag)
                        } else {
                            ap_map_insert(m, key.as_ptr(), key.len(), vp, value.len(), &mut flag)
                        },
                        "map_insert",
                    );
                    let Some(o) = obj else { return };
                    if null_value && !value.is_empty() {
                        assert_eq!(st, AP_ERR_NULL_POINTER);
                        return;
                    }
                    assert_eq!(st, AP_OK);
                    let shadow = &mut self.map_objs[o];
                    let present = shadow.contains_key(&key);
                    if if_absent {
                        assert_eq!(flag, !present, "insert_if_absent");
                        shadow.entry(key).or_insert(value);
                    } else {
                        assert_eq!(flag, present, "insert replaced");
                        shadow.insert(key, value);
                    }
                }
                Op::MapRemove(s, key, null_removed) => {
                    let (m, obj) = self.maps.get(s);
                    let mut removed = false;
                    let st = check(ap_map_remove(m, key.as_ptr(), key.len(), out(&mut removed, null_removed)), "map_remove");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let was = self.map_objs[o].remove(&key).is_some();
                        if !null_removed {
                            assert_eq!(removed, was);
                        }
                    }
                }
                Op::MapContains(s, key, null_key) => {
                    let (m, obj) = self.maps.get(s);
                    let mut present = false;
                    let kp = if null_key { null() } else { key.as_ptr() };
                    let st = check(ap_map_contains(m, kp, key.len(), &mut present), "map_contains");
                    if let (Some(o), false) = (obj, null_key && !key.is_empty()) {
                        assert_eq!(st, AP_OK);
                        assert_eq!(present, self.map_objs[o].contains_key(&key));
                    }
                }
                Op::MapLen(s, null_out) => {
                    let (m, obj) = self.maps.get(s);
                    let mut n = 0usize;
                    let st = check(ap_map_len(m, out(&mut n, null_out)), "map_len");
                    if st == AP_OK {
                        assert_eq!(n, self.map_objs[obj.unwrap()].len(), "map len");
                    }
                }
                Op::MapClear(s) => {
                    let (m, obj) = self.maps.get(s);
                    let st = check(ap_map_clear(m), "map_clear");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        self.map_objs[o].clear();
                    }
                }
                Op::MapSnapshot(s, probe) => {
                    let (m, obj) = self.maps.get(s);
                    let mut e = null_mut();
                    let st = check(ap_map_snapshot(m, &mut e), "map_snapshot");
                    let Some(o) = obj else {
                        assert_null(st);
                        return;
                    };
                    assert_eq!(st, AP_OK);
                    let mut n = 0usize;
                    assert_eq!(check(ap_map_entries_len(e, &mut n), "entries_len"), AP_OK);
                    let mut seen = BTreeMap::new();
                    for i in 0..n + (probe as usize % 3) {
                        let (mut k, mut kl, mut v, mut vl) = (null(), 0usize, null(), 0usize);
                        let st = check(ap_map_entries_get(e, i, &mut k, &mut kl, &mut v, &mut vl), "entries_get");
                        if i >= n {
                            assert_eq!(st, AP_ERR_OUT_OF_RANGE);
                            continue;
                        }
                        assert_eq!(st, AP_OK);
                        let key = if kl == 0 { Vec::new() } else { std::slice::from_raw_parts(k, kl).to_vec() };
                        let val = if vl == 0 { Vec::new() } else { std::slice::from_raw_parts(v, vl).to_vec() };
                        assert!(seen.insert(key, val).is_none(), "a key twice in a snapshot");
                    }
                    assert_eq!(seen, self.map_objs[o], "map snapshot");
                    check(ap_map_entries_get(e, 0, null_mut(), &mut n, null_mut(), null_mut()), "entries_get NULL");
                    check(ap_map_entries_len(null(), &mut n), "entries_len NULL");
                    ap_map_entries_free(e);
                    ap_map_entries_free(null_mut());
                }

                // ---------------- ledger
                Op::LedgerNew(null_out) => {
                    if self.ledgers.full() {
                        return;
                    }
                    let mut p = null_mut();
                    if check(ap_ledger_new(out(&mut p, null_out)), "ledger_new") == AP_OK {
                        let o = new_obj(&mut self.ledger_objs, LedgerObj::default());
                        self.ledgers.push(p, o);
                    }
                }
                Op::LedgerClone(s) => {
                    let (l, obj) = self.ledgers.get(s);
                    let p = ap_ledger_clone(l);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.ledgers.full() => self.ledgers.push(p, o),
                        Some(_) => ap_ledger_free(p),
                    }
                }
                Op::LedgerFree(s) => match self.ledgers.take(s) {
                    Some(slot) => ap_ledger_free(slot.ptr),
                    None => ap_ledger_free(null_mut()),
                },
                Op::LedgerOpen(s, id, overdraft) => {
                    let (l, obj) = self.ledgers.get(s);
                    let id = u64::from(id % 8);
                    let st = check(ap_ledger_open(l, id, overdraft), "ledger_open");
                    if let Some(o) = obj {
                        match self.ledger_objs[o].accounts.entry(id) {
                            Entry::Occupied(_) => assert_eq!(st, AP_ERR_ACCOUNT_EXISTS),
                            Entry::Vacant(v) => {
                                assert_eq!(st, AP_OK);
                                v.insert((0, overdraft));
                            }
                        }
                    }
                }
                Op::LedgerDeposit(s, id, amount, null_balance) => {
                    self.ledger_move(s, id, amount, null_balance, true);
                }
                Op::LedgerWithdraw(s, id, amount, null_balance) => {
                    self.ledger_move(s, id, amount, null_balance, false);
                }
                Op::LedgerTransfer(s, from, to, amount) => {
                    let (l, obj) = self.ledgers.get(s);
                    let (from, to) = (u64::from(from % 8), u64::from(to % 8));
                    let before = if l.is_null() { None } else { self.ledger_total(l) };
                    let st = check(ap_ledger_transfer(l, from, to, amount), "ledger_transfer");
                    let Some(o) = obj else {
                        assert_null(st);
                        return;
                    };
                    let accounts = &mut self.ledger_objs[o].accounts;
                    let expect_ok = amount > 0
                        && from != to
                        && accounts.contains_key(&from)
                        && accounts.contains_key(&to)
                        && {
                            let (fb, fo) = accounts[&from];
                            let tb = accounts[&to].0;
                            match (fb.checked_sub(amount), tb.checked_add(amount)) {
                                (Some(nf), Some(_)) => fo || nf >= 0,
                                _ => false,
                            }
                        };
                    assert_eq!(st == AP_OK, expect_ok, "transfer {from}->{to} {amount}: status {st}");
                    if expect_ok {
                        accounts.get_mut(&from).unwrap().0 -= amount;
                        accounts.get_mut(&to).unwrap().0 += amount;
                    }
                    // Transfers conserve the total.
                    assert_eq!(self.ledger_total(l), before, "ledger total after a transfer");
                    self.check_ledger(l, o);
                }
                Op::LedgerBalance(s, id, null_out) => {
                    let (l, obj) = self.ledgers.get(s);
                    let id = u64::from(id % 8);
                    let mut b = 0i64;
                    let st = check(ap_ledger_balance(l, id, out(&mut b, null_out)), "ledger_balance");
                    if let (Some(o), false) = (obj, null_out) {
                        match self.ledger_objs[o].accounts.get(&id) {
                            None => assert_eq!(st, AP_ERR_UNKNOWN_ACCOUNT),
                            Some(&(e, _)) => assert_eq!((st, b), (AP_OK, e), "balance"),
                        }
                    }
                }
                Op::LedgerTotal(s, null_out) => {
                    let (l, obj) = self.ledgers.get(s);
                    let mut t = 0i64;
                    let st = check(ap_ledger_total(l, out(&mut t, null_out)), "ledger_total");
                    if let (Some(o), false) = (obj, null_out) {
                        let e: i128 = self.ledger_objs[o].accounts.values().map(|a| i128::from(a.0)).sum();
                        match i64::try_from(e) {
                            Ok(e) => assert_eq!((st, t), (AP_OK, e), "ledger total"),
                            Err(_) => assert_eq!(st, AP_ERR_OVERFLOW),
                        }
                    }
                }
                Op::LedgerLen(s, null_out) => {
                    let (l, obj) = self.ledgers.get(s);
                    let mut n = 0usize;
                    let st = check(ap_ledger_len(l, out(&mut n, null_out)), "ledger_len");
                    if st == AP_OK {
                        assert_eq!(n, self.ledger_objs[obj.unwrap()].accounts.len());
                    }
                }

                // ---------------- snapshot cell
                Op::CellNew(value, null_value, null_out) => {
                    if self.cells.full() {
                        return;
                    }
                    let mut p = null_mut();
                    let vp = if null_value { null() } else { value.as_ptr() };
                    let st = check(ap_snapshot_cell_new(vp, value.len(), out(&mut p, null_out)), "cell_new");
                    if st == AP_OK {
                        assert!(!null_value || value.is_empty());
                        let value = if null_value { Vec::new() } else { value };
                        let o = new_obj(&mut self.cell_objs, CellObj { value, revision: 0 });
                        self.cells.push(p, o);
                    }
                }
                Op::CellClone(s) => {
                    let (c, obj) = self.cells.get(s);
                    let p = ap_snapshot_cell_clone(c);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.cells.full() => self.cells.push(p, o),
                        Some(_) => ap_snapshot_cell_free(p),
                    }
                }
                Op::CellFree(s) => match self.cells.take(s) {
                    Some(slot) => ap_snapshot_cell_free(slot.ptr),
                    None => ap_snapshot_cell_free(null_mut()),
                },
                Op::CellLoad(s, cap, null_len, null_rev) => {
                    let (c, obj) = self.cells.get(s);
                    let mut buf = vec![0u8; cap as usize % 40];
                    let (mut len, mut rev) = (0usize, 0u64);
                    let st = check(
                        ap_snapshot_cell_load(c, buf.as_mut_ptr(), buf.len(), out(&mut len, null_len), out(&mut rev, null_rev)),
                        "cell_load",
                    );
                    let (Some(o), false) = (obj, null_len) else { return };
                    let co = &self.cell_objs[o];
                    if st == AP_OK {
                        assert_eq!(&buf[..len], &co.value[..], "cell value");
                        if !null_rev {
                            assert_eq!(rev, co.revision, "cell revision");
                        }
                    } else {
                        assert_eq!(st, AP_ERR_BUFFER_TOO_SMALL);
                        assert_eq!(len, co.value.len());
                        assert!(buf.len() < len);
                    }
                }
                Op::CellStore(s, value, null_rev) => {
                    let (c, obj) = self.cells.get(s);
                    let mut rev = 0u64;
                    let st = check(
                        ap_snapshot_cell_store(c, value.as_ptr(), value.len(), out(&mut rev, null_rev)),
                        "cell_store",
                    );
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let co = &mut self.cell_objs[o];
                        co.value = value;
                        co.revision += 1;
                        if !null_rev {
                            assert_eq!(rev, co.revision);
                        }
                    }
                }
                Op::CellCas(s, expected, value) => {
                    let (c, obj) = self.cells.get(s);
                    let Some(o) = obj else {
                        let st = check(ap_snapshot_cell_compare_and_store(c, 0, value.as_ptr(), value.len(), null_mut()), "cas");
                        assert_null(st);
                        return;
                    };
                    let cur = self.cell_objs[o].revision;
                    let expected = expected.unwrap_or(cur);
                    let mut rev = 0u64;
                    let st = check(
                        ap_snapshot_cell_compare_and_store(c, expected, value.as_ptr(), value.len(), &mut rev),
                        "cell_compare_and_store",
                    );
                    let co = &mut self.cell_objs[o];
                    if expected == cur {
                        assert_eq!(st, AP_OK);
                        co.value = value;
                        co.revision += 1;
                    } else {
                        assert_eq!(st, AP_ERR_REVISION_MISMATCH);
                    }
                    assert_eq!(rev, co.revision);
                }
                Op::CellTimes(s, null_out) => {
                    let (c, obj) = self.cells.get(s);
                    let mut v = 0u64;
                    let a = check(ap_snapshot_cell_revision(c, out(&mut v, null_out)), "cell_revision");
                    if let (Some(o), AP_OK) = (obj, a) {
                        assert_eq!(v, self.cell_objs[o].revision);
                    }
                    check(ap_snapshot_cell_age_ns(c, out(&mut v, null_out)), "cell_age");
                    check(ap_snapshot_cell_last_updated_unix_ns(c, out(&mut v, null_out)), "cell_last_updated");
                }

                // ---------------- once map
                Op::OnceNew(null_out) => {
                    if self.onces.full() {
                        return;
                    }
                    let mut p = null_mut();
                    if check(ap_once_map_new(out(&mut p, null_out)), "once_map_new") == AP_OK {
                        let o = new_obj(&mut self.once_objs, OnceObj::default());
                        self.onces.push(p, o);
                    }
                }
                Op::OnceClone(s) => {
                    let (m, obj) = self.onces.get(s);
                    let p = ap_once_map_clone(m);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.onces.full() => self.onces.push(p, o),
                        Some(_) => ap_once_map_free(p),
                    }
                }
                Op::OnceFree(s) => match self.onces.take(s) {
                    Some(slot) => ap_once_map_free(slot.ptr),
                    None => ap_once_map_free(null_mut()),
                },
                Op::OnceClaim(s, key, cap, null_ticket) => {
                    let (m, obj) = self.onces.get(s);
                    let key = vec![key % 4; (key % 3) as usize];
                    let mut buf = vec![0u8; cap as usize % 24];
                    let mut len = 0usize;
                    let mut ticket = null_mut();
                    let st = check(
                        ap_once_map_claim(
                            m,
                            key.as_ptr(),
                            key.len(),
                            short_timeout(cap),
                            buf.as_mut_ptr(),
                            buf.len(),
                            &mut len,
                            out(&mut ticket, null_ticket),
                        ),
                        "once_map_claim",
                    );
                    let Some(o) = obj else { return };
                    if st == AP_OK && !ticket.is_null() {
                        if self.tickets.full() {
                            ap_once_ticket_abandon(ticket);
                        } else {
                            let t = new_obj(&mut self.ticket_objs, TicketObj { map: o, key: key.clone() });
                            self.tickets.push(ticket, t);
                        }
                        assert!(
                            !self.once_objs[o].values.contains_key(&key) || self.once_objs[o].unsure.contains(&key),
                            "a ticket for an initialised key"
                        );
                    } else if st == AP_OK {
                        if let Some(v) = self.once_objs[o].values.get(&key) {
                            if !self.once_objs[o].unsure.contains(&key) {
                                assert_eq!(&buf[..len], &v[..], "once value");
                            }
                        }
                    } else if st == AP_ERR_TIMEOUT {
                        assert!(
                            self.ticket_objs_live(o, &key),
                            "claim timed out with no ticket outstanding for the key"
                        );
                    }
                }
                Op::OnceComplete(s, value, null_value) => {
                    let Some(slot) = self.tickets.take(s) else {
                        let st = check(ap_once_ticket_complete(null_mut(), value.as_ptr(), value.len()), "complete NULL");
                        assert_null(st);
                        return;
                    };
                    let vp = if null_value { null() } else { value.as_ptr() };
                    let st = check(ap_once_ticket_complete(slot.ptr, vp, value.len()), "once_ticket_complete");
                    let TicketObj { map, key } = &self.ticket_objs[slot.obj];
                    let (map, key) = (*map, key.clone());
                    let oo = &mut self.once_objs[map];
                    if st == AP_OK {
                        if oo.values.contains_key(&key) {
                            oo.unsure.insert(key.clone());
                        }
                        oo.values.insert(key, if null_value { Vec::new() } else { value });
                    }
                }
                Op::OnceAbandon(s) => match self.tickets.take(s) {
                    Some(slot) => ap_once_ticket_abandon(slot.ptr),
                    None => ap_once_ticket_abandon(null_mut()),
                },
                Op::OnceGet(s, key, cap, null_found) => {
                    let (m, obj) = self.onces.get(s);
                    let key = vec![key % 4; (key % 3) as usize];
                    let mut buf = vec![0u8; cap as usize % 24];
                    let (mut len, mut found) = (0usize, false);
                    let st = check(
                        ap_once_map_get(m, key.as_ptr(), key.len(), buf.as_mut_ptr(), buf.len(), &mut len, out(&mut found, null_found)),
                        "once_map_get",
                    );
                    let (Some(o), false) = (obj, null_found) else { return };
                    let oo = &self.once_objs[o];
                    if oo.unsure.contains(&key) {
                        return;
                    }
                    match oo.values.get(&key) {
                        None => assert!(st == AP_OK && !found, "once get of an absent key"),
                        Some(v) => {
                            assert!(found);
                            assert_eq!(len, v.len());
                            if st == AP_OK {
                                assert_eq!(&buf[..len], &v[..]);
                            } else {
                                assert_eq!(st, AP_ERR_BUFFER_TOO_SMALL);
                            }
                        }
                    }
                }
                Op::OnceRemove(s, key, null_removed) => {
                    let (m, obj) = self.onces.get(s);
                    let key = vec![key % 4; (key % 3) as usize];
                    let mut removed = false;
                    let st = check(ap_once_map_remove(m, key.as_ptr(), key.len(), out(&mut removed, null_removed)), "once_remove");
                    if let Some(o) = obj {
                        assert_eq!(st, AP_OK);
                        let oo = &mut self.once_objs[o];
                        let was = oo.values.remove(&key).is_some();
                        if !null_removed && !oo.unsure.contains(&key) {
                            assert_eq!(removed, was);
                        }
                        if self.ticket_objs_live(o, &key) {
                            self.once_objs[o].unsure.insert(key);
                        } else {
                            self.once_objs[o].unsure.remove(&key);
                        }
                    }
                }
                Op::OnceLen(s, null_out) => {
                    let (m, obj) = self.onces.get(s);
                    let mut n = 0usize;
                    let st = check(ap_once_map_len(m, out(&mut n, null_out)), "once_len");
                    if st == AP_OK {
                        let oo = &self.once_objs[obj.unwrap()];
                        if oo.unsure.is_empty() {
                            assert_eq!(n, oo.values.len(), "once map len");
                        }
                    }
                }

                // ---------------- cancellation token
                Op::TokenNew(null_out) => {
                    if self.tokens.full() {
                        return;
                    }
                    let mut p = null_mut();
                    if check(ap_cancellation_token_new(out(&mut p, null_out)), "token_new") == AP_OK {
                        self.tokens.push(p, 0);
                    }
                }
                Op::TokenClone(s) => {
                    let (t, obj) = self.tokens.get(s);
                    let p = ap_cancellation_token_clone(t);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.tokens.full() => self.tokens.push(p, o),
                        Some(_) => ap_cancellation_token_free(p),
                    }
                }
                Op::TokenFree(s) => match self.tokens.take(s) {
                    Some(slot) => ap_cancellation_token_free(slot.ptr),
                    None => ap_cancellation_token_free(null_mut()),
                },
                Op::TokenChild(s, null_out) => {
                    let (t, _) = self.tokens.get(s);
                    let mut p = null_mut();
                    let st = check(ap_cancellation_token_child(t, out(&mut p, null_out)), "token_child");
                    if st == AP_OK {
                        let (mut a, mut b) = (false, false);
                        ap_cancellation_token_is_cancelled(t, &mut a);
                        ap_cancellation_token_is_cancelled(p, &mut b);
                        assert_eq!(a, b, "a child of a cancelled token is cancelled");
                        if self.tokens.full() {
                            ap_cancellation_token_free(p);
                        } else {
                            self.tokens.push(p, 0);
                        }
                    }
                }
                Op::TokenCancel(s) => {
                    let (t, obj) = self.tokens.get(s);
                    let st = check(ap_cancellation_token_cancel(t), "token_cancel");
                    if obj.is_some() {
                        assert_eq!(st, AP_OK);
                        let mut c = false;
                        ap_cancellation_token_is_cancelled(t, &mut c);
                        assert!(c);
                    }
                }
                Op::TokenIsCancelled(s, null_out) => {
                    let (t, _) = self.tokens.get(s);
                    let mut c = false;
                    check(ap_cancellation_token_is_cancelled(t, out(&mut c, null_out)), "token_is_cancelled");
                }
                Op::TokenWait(s, t, null_out) => {
                    let (tok, obj) = self.tokens.get(s);
                    let mut cancelled = false;
                    let st = check(
                        ap_cancellation_token_wait(tok, short_timeout(t), out(&mut cancelled, null_out)),
                        "token_wait",
                    );
                    if obj.is_some() && !null_out {
                        assert_eq!(st, AP_OK);
                        let mut c = false;
                        ap_cancellation_token_is_cancelled(tok, &mut c);
                        assert_eq!(c, cancelled);
                    }
                }

                // ---------------- registry
                Op::RegNew(null_out) => {
                    if self.regs.full() {
                        return;
                    }
                    let mut p = null_mut();
                    if check(ap_registry_new(out(&mut p, null_out)), "registry_new") == AP_OK {
                        let o = new_obj(&mut self.reg_objs, RegObj::default());
                        self.regs.push(p, o);
                    }
                }
                Op::RegDefault(null_out) => {
                    if self.regs.full() {
                        return;
                    }
                    let mut p = null_mut();
                    if check(ap_registry_default(out(&mut p, null_out)), "registry_default") == AP_OK {
                        let o = self.global_reg("\0default");
                        self.regs.push(p, o);
                    }
                }
                Op::RegNamed(name, null_out) => {
                    if self.regs.full() {
                        return;
                    }
                    // Process-wide registries live for the whole process: only a few names, or
                    // bytes that are not UTF-8 (refused).
                    let bytes = match &name {
                        Text::Bytes(b) if std::str::from_utf8(b).is_ok() => {
                            Some(GLOBAL_NAMES[b.len() % GLOBAL_NAMES.len()].as_bytes().to_vec())
                        }
                        other => text_bytes(other, &GLOBAL_NAMES),
                    };
                    let c = cstring(&bytes);
                    let mut p = null_mut();
                    let st = check(ap_registry_named(cptr(&c), out(&mut p, null_out)), "registry_named");
                    if let (Some(b), false) = (&bytes, null_out) {
                        assert_eq!(st == AP_OK, std::str::from_utf8(b).is_ok(), "registry_named status {st}");
                    }
                    if st == AP_OK {
                        let name = String::from_utf8(bytes.unwrap()).unwrap();
                        let o = self.global_reg(&name);
                        self.regs.push(p, o);
                    }
                }
                Op::RegClone(s) => {
                    let (r, obj) = self.regs.get(s);
                    let p = ap_registry_clone(r);
                    match obj {
                        None => assert!(p.is_null()),
                        Some(o) if !self.regs.full() => self.regs.push(p, o),
                        Some(_) => ap_registry_free(p),
                    }
                }
                Op::RegFree(s) => match self.regs.take(s) {
                    Some(slot) => ap_registry_free(slot.ptr),
                    None => ap_registry_free(null_mut()),
                },
                Op::RegMetric { reg, kind, name, help, labels, null_arrays, buckets, scale, null_out } => {
                    self.reg_metric(reg, kind, name, help, labels, null_arrays, buckets, scale, null_out);
                }
                Op::RegExport(s, format, cap, null_len) => {
                    let (r, obj) = self.regs.get(s);
                    let format = if format % 8 < 6 { format % 3 } else { format };
                    let mut cap = cap as usize % 4096;
                    let mut len = 0usize;
                    for attempt in 0.. {
                        assert!(attempt < 8, "export kept growing");
                        let mut buf = vec![0x55u8; cap];
                        let st = check(
                            ap_registry_export(r, format, buf.as_mut_ptr().cast(), cap, out(&mut len, null_len)),
                            "registry_export",
                        );
                        if obj.is_none() {
                            assert_null(st);
                            return;
                        }
                        if format > 2 {
                            assert!(st == AP_ERR_OUT_OF_RANGE || (null_len && st == AP_ERR_NULL_POINTER));
                            return;
                        }
                        if null_len {
                            assert_eq!(st, AP_ERR_NULL_POINTER);
                            return;
                        }
                        if st == AP_ERR_BUFFER_TOO_SMALL {
                            assert!(cap < len + 1, "BUFFER_TOO_SMALL with room: {cap} for {len}");
                            cap = len + 1;
                            continue;
                        }
                        assert_eq!(st, AP_OK);
                        assert!(len < cap);
                        assert_eq!(buf[len], 0, "export not NUL-terminated");
                        buf.truncate(len);
                        assert!(!buf.contains(&0), "NUL inside the export");
                        let text = String::from_utf8(buf).expect("export is not UTF-8");
                        match format {
                            AP_FORMAT_JSON => {
                                let v: serde_json::Value =
                                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("JSON export: {e}\n{text}"));
                                assert!(v["families"].is_array());
                            }
                            f => check_exposition(&text, f == AP_FORMAT_OPENMETRICS),
                        }
                        break;
                    }
                }
            }
        }
    }

    fn global_reg(&mut self, name: &str) -> usize {
        if let Some(&o) = self.global_regs.get(name) {
            return o;
        }
        let o = new_obj(&mut self.reg_objs, RegObj { global: true, metrics: HashMap::new() });
        self.global_regs.insert(name.to_string(), o);
        o
    }

    #[allow(clippy::too_many_arguments)]
    fn reg_metric(
        &mut self,
        reg: Sel,
        kind: Kind,
        name: Text,
        help: Text,
        labels: Vec<(Text, Text)>,
        null_arrays: bool,
        buckets: Vec<f64>,
        scale: f64,
        null_out: bool,
    ) {
        let (r, robj) = self.regs.get(reg);
        let global = robj.is_some_and(|o| self.reg_objs[o].global);
        // Process-wide registries keep every series for good: dictionary names only there.
        let dictify = |t: Text| match t {
            Text::Bytes(b) if global => Text::Dict(b.len() as u8),
            t => t,
        };
        let name_b = text_bytes(&dictify(name), &NAME_DICT);
        let help_b = text_bytes(&help, &VALUE_DICT);
        let labels: Vec<_> = labels
            .into_iter()
            .take(4)
            .map(|(n, v)| (text_bytes(&dictify(n), &LABEL_DICT), text_bytes(&dictify(v), &VALUE_DICT)))
            .collect();
        let (name_c, help_c) = (cstring(&name_b), cstring(&help_b));
        let ln: Vec<Option<CString>> = labels.iter().map(|l| cstring(&l.0)).collect();
        let lv: Vec<Option<CString>> = labels.iter().map(|l| cstring(&l.1)).collect();
        let lnp: Vec<*const c_char> = ln.iter().map(cptr).collect();
        let lvp: Vec<*const c_char> = lv.iter().map(cptr).collect();
        let (np, vp) = if null_arrays { (null(), null()) } else { (lnp.as_ptr(), lvp.as_ptr()) };
        let n = labels.len();
        let (nm, hp) = (cptr(&name_c), cptr(&help_c));
        let buckets: Vec<f64> = buckets.into_iter().take(16).collect();

        // The key under which the registry shares a metric: name and labels in any order.
        let key = || -> Option<MetricKey> {
            let name = String::from_utf8(name_b.clone()?).ok()?;
            let mut pairs = Vec::new();
            for (a, b) in &labels {
                pairs.push((String::from_utf8(a.clone()?).ok()?, String::from_utf8(b.clone()?).ok()?));
            }
            pairs.sort();
            Some((kind as u8, name, pairs))
        };
        macro_rules! lookup {
            ($table:ident, $objs:ident, $p:expr, $fresh:expr) => {{
                let p = $p;
                let o = robj.unwrap();
                let k = key().expect("a registry accepted a name or label that is not UTF-8");
                let obj = match self.reg_objs[o].metrics.get(&k) {
                    Some(&obj) => obj,
                    None => {
                        let fresh = $fresh;
                        let obj = new_obj(&mut self.$objs, fresh);
                        self.reg_objs[o].metrics.insert(k, obj);
                        obj
                    }
                };
                if self.$table.full() {
                    false
                } else {
                    self.$table.push(p, obj);
                    true
                }
            }};
        }
        let st;
        // SAFETY: `r` is NULL or a registry handle from `regs` (live, see `Table`); the name, help
        // and label strings are NULL or `CString`s alive until the end of this function, and the
        // label and bucket arrays are NULL or local `Vec`s of the lengths passed; out-pointers are
        // NULL or locals. `p` is used only after the call that wrote it succeeded (a live handle
        // owned here until a table takes it), and is freed only when no table took it.
        // `ap_timer_stats` holds only integers, for which all-zero bytes are valid.
        unsafe {
            match kind {
                Kind::Counter => {
                    let mut p = null_mut();
                    st = check(ap_registry_counter(r, nm, hp, np, vp, n, out(&mut p, null_out)), "registry_counter");
                    if st == AP_OK {
                        let mut v = 0;
                        ap_counter_get(p, &mut v);
                        // A metric met for the first time in this run starts from what it holds.
                        if !lookup!(counters, counter_objs, p, CounterObj { value: v, exact: true }) {
                            ap_counter_free(p);
                        } else {
                            let obj = self.counters.slots.last().unwrap().obj;
                            self.counter_get_check(p, obj, "registry counter");
                        }
                    }
                }
                Kind::Gauge => {
                    let mut p = null_mut();
                    st = check(ap_registry_gauge(r, nm, hp, np, vp, n, out(&mut p, null_out)), "registry_gauge");
                    if st == AP_OK {
                        let mut v = 0.0;
                        ap_gauge_get(p, &mut v);
                        if !lookup!(gauges, gauge_objs, p, GaugeObj { value: Some(v) }) {
                            ap_gauge_free(p);
                        }
                    }
                }
                Kind::Histogram => {
                    let mut p = null_mut();
                    let bp = if null_arrays && !buckets.is_empty() { null() } else { buckets.as_ptr() };
                    st = check(
                        ap_registry_histogram(r, nm, hp, np, vp, n, bp, buckets.len(), scale, out(&mut p, null_out)),
                        "registry_histogram",
                    );
                    if st == AP_OK {
                        let count = self.hist_count(p);
                        if !lookup!(hists, hist_objs, p, HistObj { count, exact: true }) {
                            ap_histogram_free(p);
                        } else {
                            let obj = self.hists.slots.last().unwrap().obj;
                            if !self.hist_async(obj) && self.hist_objs[obj].exact {
                                assert_eq!(self.hist_count(p), self.hist_objs[obj].count, "registry histogram");
                            }
                        }
                    }
                }
                Kind::Timer => {
                    let mut p = null_mut();
                    st = check(ap_registry_timer(r, nm, hp, np, vp, n, out(&mut p, null_out)), "registry_timer");
                    if st == AP_OK {
                        let mut s: ap_timer_stats = std::mem::zeroed();
                        ap_timer_snapshot(p, &mut s);
                        let fresh = TimerObj { count: s.count, errors: s.errors, exact: true };
                        if !lookup!(timers, timer_objs, p, fresh) {
                            ap_timer_free(p);
                        } else {
                            let obj = self.timers.slots.last().unwrap().obj;
                            self.check_timer(obj, &s);
                        }
                    }
                }
                Kind::MinMax => {
                    let mut p = null_mut();
                    st = check(ap_registry_minmax(r, nm, hp, np, vp, n, out(&mut p, null_out)), "registry_minmax");
                    if st == AP_OK {
                        let (mut lo, mut hi) = (0, 0);
                        let range = (ap_minmax_min(p, &mut lo) == AP_OK && ap_minmax_max(p, &mut hi) == AP_OK)
                            .then_some((lo, hi));
                        if !lookup!(minmaxes, minmax_objs, p, MinMaxObj { range, exact: true }) {
                            ap_minmax_free(p);
                        }
                    }
                }
            }
        }
        if robj.is_none() {
            assert_ne!(st, AP_OK, "registry call on a NULL handle");
        } else if name_b.is_none()
            || help_b.is_none()
            || (n > 0 && null_arrays)
            || null_out
            || labels.iter().any(|(a, b)| a.is_none() || b.is_none())
            || (matches!(kind, Kind::Histogram) && null_arrays && !buckets.is_empty())
        {
            // Which of a NULL and an invalid argument is reported first is not specified.
            assert!(
                st == AP_ERR_NULL_POINTER || st == AP_ERR_INVALID_ARGUMENT,
                "NULL argument to a registry call: status {st}"
            );
        } else if st == AP_OK {
            let name = String::from_utf8(name_b.unwrap()).unwrap();
            let mut chars = name.chars();
            assert!(
                matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "invalid metric name {name:?} accepted"
            );
            let mut seen = HashSet::new();
            for (l, _) in &labels {
                let l = std::str::from_utf8(l.as_ref().unwrap()).unwrap();
                assert!(seen.insert(l), "label {l:?} given twice accepted");
                assert!(!l.starts_with("__"), "reserved label {l:?} accepted");
            }
        } else {
            assert!(
                st == AP_ERR_INVALID_ARGUMENT || st == AP_ERR_OUT_OF_RANGE,
                "registry call refused with {st}: {}",
                last_error()
            );
        }
    }

    fn check_timer(&self, o: usize, s: &ap_timer_stats) {
        let to = &self.timer_objs[o];
        if to.exact && !self.async_pending(|t| matches!(t, TargetObj::Timer(x) if x == o)) {
            assert_eq!((s.count, s.errors), (to.count, to.errors), "timer count and errors");
        }
        assert!(s.errors <= s.count);
        if s.count == 0 {
            assert_eq!((s.total_ns, s.min_ns, s.max_ns), (0, 0, 0));
        } else {
            assert!(s.min_ns <= s.max_ns);
        }
    }

    fn hist_async(&self, o: usize) -> bool {
        self.async_pending(|t| matches!(t, TargetObj::Histogram(x) if x == o))
    }

    fn gauge_is_async(&self, o: usize) -> bool {
        self.recorder_objs.iter().any(|r| matches!(r.target, TargetObj::Gauge(x) if x == o) && !r.closed)
            || self.async_pending(|t| matches!(t, TargetObj::Gauge(x) if x == o))
    }

    fn ticket_objs_live(&self, map: usize, key: &[u8]) -> bool {
        self.tickets
            .slots
            .iter()
            .any(|s| self.ticket_objs[s.obj].map == map && self.ticket_objs[s.obj].key == key)
    }

    fn after_counter_add(&mut self, st: ap_status, obj: Option<usize>, n: u64) {
        match obj {
            None => assert_null(st),
            Some(o) if st == AP_OK => {
                let c = &mut self.counter_objs[o];
                c.value = c.value.wrapping_add(n);
            }
            Some(_) => {}
        }
    }

    fn after_hist_add(&mut self, st: ap_status, obj: Option<usize>, n: u64) {
        match obj {
            None => assert_null(st),
            Some(o) if st == AP_OK => {
                let h = &mut self.hist_objs[o];
                h.count = h.count.saturating_add(n);
            }
            Some(_) => {}
        }
    }

    fn after_async_record(&mut self, obj: Option<usize>, st: ap_status, e: Event, queued: Option<bool>) {
        let Some(o) = obj else {
            assert_null(st);
            return;
        };
        let r = &mut self.recorder_objs[o];
        if r.closed {
            assert_ne!(st, AP_OK, "a closed recorder accepted an event");
        }
        if st != AP_OK {
            return;
        }
        let fits = matches!(
            (r.target, &e),
            (TargetObj::Counter(_) | TargetObj::Histogram(_) | TargetObj::MinMax(_), Event::Value(_))
                | (TargetObj::Timer(_), Event::Timer(..))
                | (TargetObj::Gauge(_), Event::Value(_))
        );
        assert!(fits, "an event of the wrong kind was accepted");
        match queued {
            Some(true) => r.pending.push(e),
            Some(false) => {}
            None => r.unknown = true,
        }
        if let (TargetObj::Gauge(g), true) = (r.target, queued != Some(false)) {
            self.gauge_objs[g].value = None;
        }
    }

    fn recorder_closed(&mut self, o: usize) {
        self.apply_pending(o);
        self.recorder_objs[o].closed = true;
    }

    /// # Safety
    /// `r` is a live async recorder handle.
    unsafe fn check_async_stats(&self, r: *mut ApAsyncRecorder, _o: usize) {
        // SAFETY: `ap_async_stats` holds only integers and a bool, for which all-zero bytes are
        // valid (0 and false).
        let mut stats: ap_async_stats = unsafe { std::mem::zeroed() };
        // SAFETY: `r` is a live handle by the contract above; `stats` is a local.
        assert_eq!(check(unsafe { ap_async_recorder_stats(r, &mut stats) }, "async_stats"), AP_OK);
        assert_eq!(stats.applied + stats.dropped, stats.enqueued, "flushed: applied + dropped == enqueued");
    }

    /// # Safety
    /// `l` is a live ledger handle.
    unsafe fn ledger_total(&self, l: *mut ApLedger) -> Option<i64> {
        let mut t = 0i64;
        // SAFETY: `l` is a live handle by the contract above; `t` is a local.
        (unsafe { ap_ledger_total(l, &mut t) } == AP_OK).then_some(t)
    }

    /// # Safety
    /// `l` is a live ledger handle.
    unsafe fn check_ledger(&self, l: *mut ApLedger, o: usize) {
        for (id, (b, _)) in &self.ledger_objs[o].accounts {
            let mut got = 0i64;
            // SAFETY: `l` is a live handle by the contract above; `got` is a local.
            assert_eq!(unsafe { ap_ledger_balance(l, *id, &mut got) }, AP_OK);
            assert_eq!(got, *b, "balance of account {id}");
        }
    }

    fn ledger_move(&mut self, s: Sel, id: u8, amount: i64, null_balance: bool, deposit: bool) {
        let (l, obj) = self.ledgers.get(s);
        let id = u64::from(id % 8);
        let mut bal = 0i64;
        // SAFETY: `l` is NULL or a ledger handle from `ledgers` (live, see `Table`); the
        // out-pointer is NULL or the local `bal`.
        let st = check(
            unsafe {
                if deposit {
                    ap_ledger_deposit(l, id, amount, out(&mut bal, null_balance))
                } else {
                    ap_ledger_withdraw(l, id, amount, out(&mut bal, null_balance))
                }
            },
            "ledger deposit/withdraw",
        );
        let Some(o) = obj else {
            assert_null(st);
            return;
        };
        let accounts = &mut self.ledger_objs[o].accounts;
        let expected = match accounts.get(&id) {
            _ if amount <= 0 => Err(AP_ERR_INVALID_AMOUNT),
            None => Err(AP_ERR_UNKNOWN_ACCOUNT),
            Some(&(b, overdraft)) => {
                let nb = if deposit { b.checked_add(amount) } else { b.checked_sub(amount) };
                match nb {
                    None => Err(AP_ERR_OVERFLOW),
                    Some(nb) if !deposit && nb < 0 && !overdraft => Err(AP_ERR_INSUFFICIENT_FUNDS),
                    Some(nb) => Ok(nb),
                }
            }
        };
        match expected {
            Ok(nb) => {
                assert_eq!(st, AP_OK, "ledger op refused: {}", last_error());
                accounts.get_mut(&id).unwrap().0 = nb;
                if !null_balance {
                    assert_eq!(bal, nb);
                }
            }
            Err(e) => assert_eq!(st, e, "ledger op status"),
        }
        // SAFETY: `obj` is Some, so `l` is a handle from `ledgers`: live (see `Table`).
        unsafe { self.check_ledger(l, o) };
    }

    /// Frees every live handle (the harness owns them all).
    fn release(&mut self) {
        // SAFETY: every pointer in the tables is a live handle owned by the harness (see `Table`),
        // and each table is drained as it is freed, so every handle is freed exactly once.
        unsafe {
            for s in self.tickets.slots.drain(..) {
                ap_once_ticket_abandon(s.ptr);
            }
            for s in self.recorders.slots.drain(..) {
                ap_async_recorder_free(s.ptr);
            }
            for s in self.rates.slots.drain(..) {
                ap_rate_tracker_free(s.ptr);
            }
            for s in self.counters.slots.drain(..) {
                ap_counter_free(s.ptr);
            }
            for s in self.gauges.slots.drain(..) {
                ap_gauge_free(s.ptr);
            }
            for s in self.hists.slots.drain(..) {
                ap_histogram_free(s.ptr);
            }
            for s in self.minmaxes.slots.drain(..) {
                ap_minmax_free(s.ptr);
            }
            for s in self.timers.slots.drain(..) {
                ap_timer_free(s.ptr);
            }
            for s in self.windows.slots.drain(..) {
                ap_throughput_window_free(s.ptr);
            }
            for s in self.maps.slots.drain(..) {
                ap_map_free(s.ptr);
            }
            for s in self.ledgers.slots.drain(..) {
                ap_ledger_free(s.ptr);
            }
            for s in self.cells.slots.drain(..) {
                ap_snapshot_cell_free(s.ptr);
            }
            for s in self.onces.slots.drain(..) {
                ap_once_map_free(s.ptr);
            }
            for s in self.tokens.slots.drain(..) {
                ap_cancellation_token_free(s.ptr);
            }
            for s in self.regs.slots.drain(..) {
                ap_registry_free(s.ptr);
            }
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.release();
    }
}

/// Checks a Prometheus text (0.0.4) or OpenMetrics exposition line by line: every line is a
/// `# HELP`/`# TYPE` comment, a sample `name{labels} value` with a parseable value, or (last in
/// OpenMetrics) `# EOF`; one TYPE per family name, each sample under its family's TYPE, each
/// series (name and labels) once.
pub fn check_exposition(text: &str, openmetrics: bool) {
    let fail = |line: &str, why: &str| -> ! { panic!("{why}: {line:?}\nin export:\n{text}") };
    if openmetrics {
        assert!(text.ends_with("# EOF\n"), "OpenMetrics export does not end with # EOF:\n{text}");
    } else {
        assert!(text.is_empty() || text.ends_with('\n'), "export does not end with a newline");
    }
    let body = if openmetrics { &text[..text.len() - "# EOF\n".len()] } else { text };
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps = HashSet::new();
    let mut series = HashSet::new();
    let mut current: Option<(String, String)> = None;
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# ") {
            let (word, rest) = rest.split_once(' ').unwrap_or((rest, ""));
            let (name, arg) = rest.split_once(' ').unwrap_or((rest, ""));
            if !valid_metric_name(name) {
                fail(line, "comment with an invalid metric name");
            }
            match word {
                "HELP" => {
                    if !helps.insert(name.to_string()) {
                        fail(line, "second HELP for a family");
                    }
                    check_escapes(arg, openmetrics, line, text);
                }
                "TYPE" => {
                    let kinds: &[&str] = if openmetrics {
                        &["counter", "gauge", "histogram", "summary", "unknown", "info", "stateset", "gaugehistogram"]
                    } else {
                        &["counter", "gauge", "histogram", "summary", "untyped"]
                    };
                    if !kinds.contains(&arg) {
                        fail(line, "unknown TYPE");
                    }
                    if types.insert(name.to_string(), arg.to_string()).is_some() {
                        fail(line, "second TYPE for a family");
                    }
                    current = Some((name.to_string(), arg.to_string()));
                }
                _ => fail(line, "unknown comment"),
            }
            continue;
        }
        if line.starts_with('#') {
            fail(line, "a comment other than HELP, TYPE or EOF");
        }
        let (name, labels, value) = parse_sample(line).unwrap_or_else(|e| fail(line, e));
        let Some((family, kind)) = &current else { fail(line, "a sample before any TYPE") };
        let suffixes: &[&str] = match (kind.as_str(), openmetrics) {
            ("counter", true) => &["_total", "_created"],
            ("counter", false) => &[""],
            ("histogram", _) => &["_bucket", "_sum", "_count", "_created"],
            _ => &[""],
        };
        if !suffixes.iter().any(|s| name == format!("{family}{s}")) {
            fail(line, "a sample outside its family");
        }
        if kind == "histogram" && name.ends_with("_bucket") && !labels.contains("le=\"") {
            fail(line, "a bucket without le");
        }
        if !series.insert(format!("{name}{labels}")) {
            fail(line, "a series twice");
        }
        let v = match value {
            "NaN" => f64::NAN,
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse::<f64>().unwrap_or_else(|_| fail(line, "unparseable value")),
        };
        if !v.is_nan() && value.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
            fail(line, "value spelled in a way the text formats do not allow");
        }
    }
}

fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// HELP text: 0.0.4 allows `\\` and `\n` escapes, OpenMetrics also `\"`; no raw newline.
fn check_escapes(s: &str, openmetrics: bool, line: &str, text: &str) {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('\\') | Some('n') => {}
                Some('"') if openmetrics => {}
                _ => panic!("bad escape in HELP: {line:?}\n{text}"),
            }
        } else if c == '"' && openmetrics {
            panic!("unescaped quote in OpenMetrics HELP: {line:?}\n{text}");
        }
    }
}

/// Splits `name{l="v",...} value` into name, the label part (verbatim) and the value.
fn parse_sample(line: &str) -> Result<(&str, &str, &str), &'static str> {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .ok_or("no value")?;
    let name = &line[..end];
    if !valid_metric_name(name) {
        return Err("invalid sample name");
    }
    let mut rest = &line[end..];
    let mut labels = "";
    if rest.starts_with('{') {
        let bytes = rest.as_bytes();
        let mut i = 1;
        let mut names = HashSet::new();
        loop {
            if bytes.get(i) == Some(&b'}') {
                i += 1;
                break;
            }
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let lname = &rest[start..i];
            if lname.is_empty() || lname.as_bytes()[0].is_ascii_digit() {
                return Err("invalid label name");
            }
            if !names.insert(lname) {
                return Err("a label twice in one sample");
            }
            if rest.get(i..i + 2) != Some("=\"") {
                return Err("label without =\"");
            }
            i += 2;
            loop {
                match bytes.get(i) {
                    None => return Err("unterminated label value"),
                    Some(b'"') => break,
                    Some(b'\\') => {
                        match bytes.get(i + 1) {
                            Some(b'\\') | Some(b'"') | Some(b'n') => {}
                            _ => return Err("bad escape in a label value"),
                        }
                        i += 2;
                    }
                    Some(b'\n') => return Err("raw newline in a label value"),
                    Some(_) => i += 1,
                }
            }
            i += 1;
            match bytes.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err("expected , or } after a label"),
            }
        }
        labels = &rest[..i];
        rest = &rest[i..];
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    if value.is_empty() || value.contains(' ') {
        return Err("value missing, or a timestamp (never exported)");
    }
    Ok((name, labels, value))
}

/// Runs one input: decodes operations until the bytes run out, then frees every handle.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let mut h = Harness::default();
    for _ in 0..256 {
        if u.is_empty() {
            break;
        }
        match Op::arbitrary(&mut u) {
            Ok(op) => h.run_op(op),
            Err(_) => break,
        }
    }
    h.release();
}

/// Decodes the operations of an input, for printing a failing case.
pub fn decode(data: &[u8]) -> Vec<String> {
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < 256 {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(format!("{op:?}")),
            Err(_) => break,
        }
    }
    ops
}
