use std::ffi::c_void;

use atomicperf::{
    Counter, Gauge, Histogram, HistogramCellsLayout, MinMax, SnapshotCell, Summary, Timer,
};

use crate::counter::ApCounter;
use crate::gauge::ApGauge;
use crate::handle::borrow;
use crate::histogram::ApHistogram;
use crate::minmax::ApMinMax;
use crate::snapshot_cell::ApSnapshotCell;
use crate::status::{ap_status, guard, Fail, Out, AP_ERR_OUT_OF_RANGE};
use crate::summary::ApSummary;
use crate::timer::ApTimer;

/// Kind of the cells an ap_cells describes, and so which atomic operations a foreign writer may
/// perform on them.
pub type ap_cell_kind = u32;

/// Counter stripes: `uint64_t` cells. A writer may only atomically add to a cell (C11
/// atomic_fetch_add, Go atomic.AddUint64, JavaScript Atomics.add), with any memory order; relaxed
/// is enough. Any stripe is correct; a thread that keeps to one stripe avoids sharing cache lines.
/// Never store, subtract or write non-atomically. The total is read through ap_counter_get.
pub const AP_CELL_COUNTER_STRIPES: ap_cell_kind = 1;
/// A gauge: one `uint64_t` cell holding the IEEE-754 bits of a double. A writer may atomically
/// store new bits (set) or compare-and-swap them (add, set_max: load, compute, CAS, retry).
/// Read through ap_gauge_get or by an atomic load.
pub const AP_CELL_GAUGE_BITS: ap_cell_kind = 2;

/// A published revision: one `uint64_t` cell that foreign code may only load atomically (with
/// acquire, or sequentially consistent, ordering). See ap_snapshot_cell_revision_cell.
pub const AP_CELL_REVISION: ap_cell_kind = 3;

/// Where a metric's cells are, for foreign code that updates them without a call per operation:
/// cell `i` (0 <= i < count) is the 8-byte-aligned uint64_t at `base + offset + i * stride`.
/// Offsets are relative to `base` so that the same description can later serve memory mapped at
/// another address by another process.
///
/// Lifetime: the cells stay valid, at this address, while the handle they were described from
/// (or any clone of it) is alive. Keep a clone for as long as any view of the cells exists, and
/// free it after the last write.
#[repr(C)]
pub struct ap_cells {
    /// Start of the memory the cells live in.
    pub base: *mut c_void,
    /// Bytes from `base` to cell 0.
    pub offset: usize,
    /// Number of cells.
    pub count: usize,
    /// Bytes from one cell to the next: a multiple of 8, at least 8.
    pub stride: usize,
    /// AP_CELL_COUNTER_STRIPES, AP_CELL_GAUGE_BITS or AP_CELL_REVISION: which operations a
    /// writer may perform.
    pub kind: ap_cell_kind,
}

/// Describes the counter's stripes (kind AP_CELL_COUNTER_STRIPES) in *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_cells(c: *const ApCounter, out: *mut ap_cells) -> ap_status {
    guard("ap_counter_cells", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let c = unsafe { borrow::<Counter, _>(c) }?;
        Out::new(out)?.write(ap_cells {
            base: c.stripe_cells().cast_mut().cast(),
            offset: 0,
            count: c.stripes(),
            stride: Counter::STRIPE_STRIDE,
            kind: AP_CELL_COUNTER_STRIPES,
        })
    })
}

/// Describes the gauge's cell (kind AP_CELL_GAUGE_BITS, count 1) in *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `g` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_cells(g: *const ApGauge, out: *mut ap_cells) -> ap_status {
    guard("ap_gauge_cells", || {
        // SAFETY: the caller guarantees `g` is NULL or a live gauge handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let g = unsafe { borrow::<Gauge, _>(g) }?;
        Out::new(out)?.write(ap_cells {
            base: g.cell().cast_mut().cast(),
            offset: 0,
            count: 1,
            stride: std::mem::size_of::<u64>(),
            kind: AP_CELL_GAUGE_BITS,
        })
    })
}

/// Where a histogram's cells are and the parameters of its bucket-index function, for foreign
/// code that records without a call per value. Every cell is an 8-byte-aligned `uint64_t` at
/// `base` + a byte offset below; they stay valid, at this address, while the handle they were
/// described from (or any clone) is alive. The layout of the cells and the index function change
/// only with AP_ABI_VERSION.
///
/// To record `v` as if `n` times (`n` > 0), exactly as ap_histogram_record_n does:
///
/// 1. If `v > highest`: add `n` to the overflow cell (saturating, see below) and record
///    `highest` instead of `v`.
/// 2. Min: load; while `v` is below the loaded value, compare-and-swap it to `v`.
/// 3. Max: load; while `v` is above the loaded value, compare-and-swap it to `v`.
/// 4. Add `v * n` (wrapping modulo 2^64) to any one sum stripe, atomically. A thread that keeps
///    to one stripe avoids sharing cache lines.
/// 5. Last, add `n` to bucket `index(v)` atomically (release or stronger), saturating.
///
/// The bucket index of `v <= highest`, with m = `sub_bits`:
///
///     mask  = 2^(m+1) - 1
///     k     = 63 - count_leading_zeros(v | mask) - m
///     index = (k << m) + (v >> k)
///
/// Saturation: bucket and overflow counts never wrap. When the value an atomic add returns plus
/// `n` exceeds UINT64_MAX, store UINT64_MAX into that cell right after.
///
/// Never write a cell in any other way (no plain stores, no subtraction); reads go through the
/// ap_histogram_* functions. ap_histogram_reset may run concurrently and keep part of a racing
/// record, as with the library's own records.
#[repr(C)]
pub struct ap_histogram_cells {
    /// Start of the memory the cells live in.
    pub base: *mut c_void,
    /// Bytes from `base` to the minimum cell (UINT64_MAX while empty): compare-and-swap lower only.
    pub min_offset: usize,
    /// Bytes from `base` to the maximum cell (0 while empty): compare-and-swap higher only.
    pub max_offset: usize,
    /// Bytes from `base` to the overflow count: saturating atomic add only.
    pub overflow_offset: usize,
    /// Bytes from `base` to sum stripe 0: atomic (wrapping) add only.
    pub sum_offset: usize,
    /// Number of sum stripes: a power of two.
    pub sum_count: usize,
    /// Bytes from one sum stripe to the next: a multiple of 8.
    pub sum_stride: usize,
    /// Bytes from `base` to bucket 0; bucket i is 8 * i bytes further: saturating atomic add only.
    pub bucket_offset: usize,
    /// Number of buckets: index(highest) + 1.
    pub bucket_count: usize,
    /// Highest trackable value: larger values are clamped to it and counted as overflow.
    pub highest: u64,
    /// The m of the index function.
    pub sub_bits: u32,
    /// Significant figures of precision (1 to 5).
    pub significant_figures: u32,
}

/// The core's description of the cells (`Histogram::cells_layout`, which the Node binding also
/// maps), in the C ABI's types.
fn histogram_cells(h: &Histogram) -> ap_histogram_cells {
    histogram_cells_at(h.cells_base().cast_mut().cast(), &h.cells_layout())
}

/// The core's description of cells at `base` in the C ABI's types.
fn histogram_cells_at(base: *mut c_void, l: &HistogramCellsLayout) -> ap_histogram_cells {
    ap_histogram_cells {
        base,
        min_offset: l.min_offset,
        max_offset: l.max_offset,
        overflow_offset: l.overflow_offset,
        sum_offset: l.sum_offset,
        sum_count: l.sum_count,
        sum_stride: l.sum_stride,
        bucket_offset: l.bucket_offset,
        bucket_count: l.bucket_count,
        highest: l.highest,
        sub_bits: l.sub_bits,
        significant_figures: u32::from(l.significant_figures),
    }
}

/// Describes the histogram's cells and index function in *out (see ap_histogram_cells).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_layout(
    h: *const ApHistogram,
    out: *mut ap_histogram_cells,
) -> ap_status {
    guard("ap_histogram_layout", || {
        // SAFETY: the caller guarantees `h` is NULL or a live histogram handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let h = unsafe { borrow::<Histogram, _>(h) }?;
        Out::new(out)?.write(histogram_cells(h))
    })
}

/// Writes to *out the bucket index the library's own records use for `value` (clamped to the
/// highest trackable value, as recording does): the reference for a foreign implementation of
/// the index function of ap_histogram_cells. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_index_of(
    h: *const ApHistogram,
    value: u64,
    out: *mut usize,
) -> ap_status {
    guard("ap_histogram_index_of", || {
        // SAFETY: the caller guarantees `h` is NULL or a live histogram handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let h = unsafe { borrow::<Histogram, _>(h) }?;
        let c = h.config();
        Out::new(out)?.write(c.index(value.min(c.highest())))
    })
}

/// Which clock a summary's slots are read from (ap_summary_cells.clock), and so whether foreign
/// code can tell the current slot.
pub type ap_summary_clock = u32;
/// A clock foreign code cannot read (the library's own, off Linux): record every value with
/// ap_summary_record.
pub const AP_SUMMARY_CLOCK_OTHER: ap_summary_clock = 0;
/// The system's monotonic clock: on Linux, slots are read from CLOCK_MONOTONIC_COARSE, which
/// shares its base with CLOCK_MONOTONIC (the coarse one lags by at most a tick). A writer may
/// read either.
pub const AP_SUMMARY_CLOCK_MONOTONIC: ap_summary_clock = 1;

/// What foreign code needs to record into a summary without a call per value: its current word
/// (which slot is current and which ring entry holds it), the slot length, its clock, and (through
/// ap_summary_entry_layout) the cells of each ring entry's histogram. Everything described stays
/// valid, at these addresses, while the handle it was described from (or any clone) is alive; the
/// layout changes only with AP_ABI_VERSION.
///
/// To record `v` exactly as ap_summary_record(s, v) would at that instant:
///
/// 1. Only when `clock` is AP_SUMMARY_CLOCK_MONOTONIC (otherwise call ap_summary_record):
///    `now` = CLOCK_MONOTONIC (or CLOCK_MONOTONIC_COARSE) in nanoseconds, sec * 10^9 + nsec.
/// 2. `word` = atomic load of the `uint64_t` at `current`, acquire or stronger. Never write it.
/// 3. `slot = word >> index_bits`, `index = word & (2^index_bits - 1)`.
/// 4. If `now - slot * slot_ns` (unsigned, wrapping modulo 2^64) is below `slot_ns` and `index <
///    entry_count`: record `v` into entry `index`'s histogram as ap_histogram_cells describes.
///    Otherwise the slot is changing: call ap_summary_record(s, v), which claims an entry for
///    the new slot. Never record into an entry the word does not name.
///
/// A record racing a slot change may land in the slot before, as the library's own records may.
#[repr(C)]
pub struct ap_summary_cells {
    /// The current word: a `uint64_t`, 8-byte aligned, slot above `index_bits`, entry index
    /// below. Atomic loads only.
    pub current: *const c_void,
    /// Bits of the current word that hold the entry index.
    pub index_bits: u32,
    /// AP_SUMMARY_CLOCK_MONOTONIC or AP_SUMMARY_CLOCK_OTHER.
    pub clock: ap_summary_clock,
    /// Length of a slot (max_age_ns / age_buckets) in nanoseconds: the slot of time t is
    /// t / slot_ns.
    pub slot_ns: u64,
    /// Number of ring entries (age_buckets + 2): valid indexes for ap_summary_entry_layout.
    pub entry_count: usize,
}

/// Describes the summary's current word, slot length and clock in *out (see ap_summary_cells).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_layout(
    s: *const ApSummary,
    out: *mut ap_summary_cells,
) -> ap_status {
    guard("ap_summary_layout", || {
        // SAFETY: the caller guarantees `s` is NULL or a live summary handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let s = unsafe { borrow::<Summary, _>(s) }?;
        let l = s.cells_layout();
        Out::new(out)?.write(ap_summary_cells {
            current: s.current_cell().cast(),
            index_bits: l.index_bits,
            clock: if l.coarse_clock {
                AP_SUMMARY_CLOCK_MONOTONIC
            } else {
                AP_SUMMARY_CLOCK_OTHER
            },
            slot_ns: l.slot_nanos,
            entry_count: l.entry_count,
        })
    })
}

/// Describes the cells of the summary's ring entry `index` (below ap_summary_cells.entry_count)
/// in *out, in the format of ap_histogram_layout. Record into it only while the current word
/// names it (see ap_summary_cells). Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER,
/// AP_ERR_OUT_OF_RANGE for an index past the ring (out untouched).
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_entry_layout(
    s: *const ApSummary,
    index: usize,
    out: *mut ap_histogram_cells,
) -> ap_status {
    guard("ap_summary_entry_layout", || {
        // SAFETY: the caller guarantees `s` is NULL or a live summary handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let s = unsafe { borrow::<Summary, _>(s) }?;
        let out = Out::new(out)?;
        let Some((base, layout)) = s.entry_cells(index) else {
            return Err(Fail::new(
                AP_ERR_OUT_OF_RANGE,
                format!(
                    "entry {index} is past the summary's ring of {}",
                    s.cells_layout().entry_count
                ),
            ));
        };
        out.write(histogram_cells_at(base.cast_mut().cast(), &layout))
    })
}

/// Where a timer's cells are: its duration histogram (recorded as in ap_histogram_cells, in
/// nanoseconds) and its error count. To record one execution as ap_timer_record does, record
/// the duration in `durations`, then, for a failure, atomically add 1 to the `errors` cell
/// (kind AP_CELL_COUNTER_STRIPES, count 1). The cells live while the handle (or a clone) does;
/// their layout changes only with AP_ABI_VERSION.
#[repr(C)]
pub struct ap_timer_cells {
    /// The duration histogram.
    pub durations: ap_histogram_cells,
    /// The error count: one cell, atomic add only.
    pub errors: ap_cells,
}

/// Describes the timer's cells in *out (see ap_timer_cells).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_layout(t: *const ApTimer, out: *mut ap_timer_cells) -> ap_status {
    guard("ap_timer_layout", || {
        // SAFETY: the caller guarantees `t` is NULL or a live timer handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let t = unsafe { borrow::<Timer, _>(t) }?;
        Out::new(out)?.write(ap_timer_cells {
            durations: histogram_cells(t.histogram()),
            errors: ap_cells {
                base: t.errors_cell().as_ptr().cast(),
                offset: 0,
                count: 1,
                stride: std::mem::size_of::<u64>(),
                kind: AP_CELL_COUNTER_STRIPES,
            },
        })
    })
}

/// Where a MinMax's three `uint64_t` cells are, each at `base` + its byte offset (8-byte
/// aligned). To record `v` as ap_minmax_record does: lower `min` to `v` (load; while `v` is
/// below the loaded value, compare-and-swap), raise `max` to `v` the same way, then, if
/// `recorded` loads 0, store 1 into it (release or stronger). Nothing else may be written; read
/// through ap_minmax_min and ap_minmax_max. The cells live while the handle (or a clone) does;
/// their layout changes only with AP_ABI_VERSION.
#[repr(C)]
pub struct ap_minmax_layout {
    /// Start of the memory the cells live in.
    pub base: *mut c_void,
    /// Bytes from `base` to the minimum (UINT64_MAX while empty).
    pub min_offset: usize,
    /// Bytes from `base` to the maximum (0 while empty).
    pub max_offset: usize,
    /// Bytes from `base` to the recorded flag (0 while empty, then 1).
    pub recorded_offset: usize,
}

/// Describes the MinMax's cells in *out (see ap_minmax_layout).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_cells(
    m: *const ApMinMax,
    out: *mut ap_minmax_layout,
) -> ap_status {
    guard("ap_minmax_cells", || {
        // SAFETY: the caller guarantees `m` is NULL or a live min/max handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<MinMax, _>(m) }?;
        // The core's description (`MinMax::cell_offsets`, which the Node binding also maps).
        let [min_offset, max_offset, recorded_offset] = m.cell_offsets();
        Out::new(out)?.write(ap_minmax_layout {
            base: (m as *const MinMax).cast_mut().cast(),
            min_offset,
            max_offset,
            recorded_offset,
        })
    })
}

/// Describes the cell's published revision (kind AP_CELL_REVISION, count 1) in *out: the
/// revision of the last completed store, 0 at creation. It only grows, is raised right after
/// each store publishes its value (so it never names a revision that ap_snapshot_cell_load
/// cannot return yet) and before ap_snapshot_cell_store returns. A reader that loaded a value at
/// revision r may keep using its copy while an atomic load of this cell returns r, and loads
/// again otherwise: one atomic load instead of a call per read. Read-only.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_revision_cell(
    c: *const ApSnapshotCell,
    out: *mut ap_cells,
) -> ap_status {
    guard("ap_snapshot_cell_revision_cell", || {
        // SAFETY: the caller guarantees `c` is NULL or a live snapshot cell handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let c = unsafe { borrow::<SnapshotCell<Vec<u8>>, _>(c) }?;
        Out::new(out)?.write(ap_cells {
            base: c.revision_cell().as_ptr().cast(),
            offset: 0,
            count: 1,
            stride: std::mem::size_of::<u64>(),
            kind: AP_CELL_REVISION,
        })
    })
}
