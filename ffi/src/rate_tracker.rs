use std::sync::Arc;

use atomicperf::{Counter, RateTracker};

use crate::counter::ApCounter;
use crate::handle::{borrow, clone_handle, free_handle, into_handle, share};
use crate::status::{
    ap_status, guard, input_slice, Fail, Out, AP_ERR_BUFFER_TOO_SMALL, AP_ERR_NULL_POINTER,
};

/// Per-second rates of a set of counters between successive ap_rate_tracker_rates calls. The
/// previous snapshot is swapped atomically: concurrent callers never block each other.
pub struct ApRateTracker {
    _opaque: [u8; 0],
}

/// Creates a tracker of the `len` counters at `counters` (it keeps its own reference to each, so
/// the caller may free its handles). Rates come back in this order.
/// Errors: AP_ERR_NULL_POINTER if counters is NULL with len > 0 or out is NULL;
/// AP_ERR_NULL_HANDLE if any counter is NULL.
///
/// # Safety
/// `counters` points to `len` handles, each NULL or live; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_rate_tracker_new(
    counters: *const *const ApCounter,
    len: usize,
    out: *mut *mut ApRateTracker,
) -> ap_status {
    guard("ap_rate_tracker_new", || {
        let out = Out::new(out)?;
        let handles = input_slice(counters, len)?;
        let sources = handles
            .iter()
            .enumerate()
            // SAFETY: `c` is an element of `counters`, each NULL or a live counter handle by the
            // caller's guarantee (# Safety above), which is what `share` requires.
            .map(|(i, &c)| Ok((format!("counter_{i}"), unsafe { share::<Counter, _>(c) }?)))
            .collect::<Result<Vec<_>, Fail>>()?;
        out.write(into_handle::<RateTracker, _>(Arc::new(RateTracker::new(
            sources,
        ))))
    })
}

/// Returns another owning handle to the same tracker (NULL for NULL). Free each handle once.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_rate_tracker_clone(t: *const ApRateTracker) -> *mut ApRateTracker {
    // SAFETY: the caller guarantees `t` is NULL or a live rate tracker handle (# Safety above),
    // which is what `clone_handle` requires.
    unsafe { clone_handle::<RateTracker, _>(t) }
}

/// Releases one owner's handle (and, with the last, the tracker's counter references).
///
/// # Safety
/// `t` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_rate_tracker_free(t: *mut ApRateTracker) {
    // SAFETY: the caller guarantees `t` is NULL or a rate tracker handle it owns and never uses
    // again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<RateTracker, _>(t) }
}

/// Computes the rates since the previous call (from any thread) and writes, for each tracked
/// counter in creation order, its per-second rate to per_second[i] and, if deltas is not NULL,
/// its increase to deltas[i]; the number of counters goes to *len. The first call gives zeros.
/// Errors: AP_ERR_BUFFER_TOO_SMALL if capacity is below the number of counters (*len is set to
/// it and the interval is not consumed); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER if len is NULL
/// or per_second is NULL while there are counters.
///
/// # Safety
/// `t` is NULL or a live handle; per_second (and deltas if not NULL) hold `capacity` elements.
#[no_mangle]
pub unsafe extern "C" fn ap_rate_tracker_rates(
    t: *const ApRateTracker,
    per_second: *mut f64,
    deltas: *mut u64,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_rate_tracker_rates", || {
        // SAFETY: the caller guarantees `t` is NULL or a live rate tracker handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let t = unsafe { borrow::<RateTracker, _>(t) }?;
        let len = Out::new(len)?;
        let needed = t.names().count();
        if needed > capacity {
            len.write(needed)?;
            return Err(Fail::new(
                AP_ERR_BUFFER_TOO_SMALL,
                format!("{needed} counters, capacity {capacity}"),
            ));
        }
        if needed > 0 && per_second.is_null() {
            return Err(Fail::new(AP_ERR_NULL_POINTER, "per_second is NULL"));
        }
        for (i, rate) in t.rates().into_iter().enumerate() {
            // SAFETY: `rates()` has one entry per tracked counter, so i < needed <= capacity
            // (checked above); `per_second` is non-null when needed > 0 (checked above) and, like
            // a non-null `deltas`, holds `capacity` writable elements by the # Safety above.
            unsafe {
                per_second.add(i).write(rate.per_second);
                if !deltas.is_null() {
                    deltas.add(i).write(rate.delta);
                }
            }
        }
        len.write(needed)
    })
}
