use std::sync::Arc;

use atomicperf::MinMax;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, present, Out};

/// Lock-free running minimum and maximum of uint64_t values. An empty one reports AP_ERR_EMPTY,
/// never a sentinel value.
pub struct ApMinMax {
    _opaque: [u8; 0],
}

/// Creates an empty min/max and stores its handle in *out. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_minmax_new(out: *mut *mut ApMinMax) -> ap_status {
    guard("ap_minmax_new", || {
        Out::new(out)?.write(into_handle::<MinMax, _>(Arc::new(MinMax::new())))
    })
}

/// Returns another owning handle to the same min/max (NULL for NULL). Free each handle once.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_clone(m: *const ApMinMax) -> *mut ApMinMax {
    // SAFETY: the caller guarantees `m` is NULL or a live min/max handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<MinMax, _>(m) }
}

/// Releases one owner's handle; freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `m` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_free(m: *mut ApMinMax) {
    // SAFETY: the caller guarantees `m` is NULL or a min/max handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<MinMax, _>(m) }
}

/// Takes `value` into the running extremes. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_record(m: *const ApMinMax, value: u64) -> ap_status {
    guard("ap_minmax_record", || {
        // SAFETY: the caller guarantees `m` is NULL or a live min/max handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<MinMax, _>(m) }?.record(value);
        Ok(())
    })
}

/// Writes the smallest recorded value to *out. Errors: AP_ERR_EMPTY when nothing was recorded
/// (out untouched); AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_min(m: *const ApMinMax, out: *mut u64) -> ap_status {
    guard("ap_minmax_min", || {
        // SAFETY: the caller guarantees `m` is NULL or a live min/max handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<MinMax, _>(m) }?;
        Out::new(out)?.write(present(m.min())?)
    })
}

/// Writes the largest recorded value to *out. Errors: AP_ERR_EMPTY when nothing was recorded
/// (out untouched); AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_max(m: *const ApMinMax, out: *mut u64) -> ap_status {
    guard("ap_minmax_max", || {
        // SAFETY: the caller guarantees `m` is NULL or a live min/max handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<MinMax, _>(m) }?;
        Out::new(out)?.write(present(m.max())?)
    })
}

/// Forgets every value. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_minmax_reset(m: *const ApMinMax) -> ap_status {
    guard("ap_minmax_reset", || {
        // SAFETY: the caller guarantees `m` is NULL or a live min/max handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<MinMax, _>(m) }?.reset();
        Ok(())
    })
}
