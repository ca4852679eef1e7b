use std::ffi::c_void;

use atomicperf::{Counter, Gauge};

use crate::counter::ApCounter;
use crate::gauge::ApGauge;
use crate::handle::borrow;
use crate::status::{ap_status, guard, Out};

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
    /// AP_CELL_COUNTER_STRIPES or AP_CELL_GAUGE_BITS: which operations a writer may perform.
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
        // SAFETY: forwarded contract.
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
        // SAFETY: forwarded contract.
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
