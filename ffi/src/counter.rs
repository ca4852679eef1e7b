use std::sync::Arc;

use atomicperf::Counter;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, input_slice, Out};

/// A monotonic 64-bit counter striped over cache-padded cells: increments from different threads
/// do not contend. Replaces a mutex-guarded or single atomic counter.
pub struct ApCounter {
    _opaque: [u8; 0],
}

/// Creates a counter at 0 with the default stripe count and stores its handle in *out.
/// Errors: AP_ERR_NULL_POINTER if out is NULL.
#[no_mangle]
pub extern "C" fn ap_counter_new(out: *mut *mut ApCounter) -> ap_status {
    guard("ap_counter_new", || {
        Out::new(out)?.write(into_handle::<Counter, _>(Arc::new(Counter::new())))
    })
}

/// Creates a counter at 0 with `stripes` cells (a power of two from 1 to 1024).
/// Errors: AP_ERR_OUT_OF_RANGE for another stripe count; AP_ERR_NULL_POINTER if out is NULL.
#[no_mangle]
pub extern "C" fn ap_counter_new_with_stripes(
    stripes: usize,
    out: *mut *mut ApCounter,
) -> ap_status {
    guard("ap_counter_new_with_stripes", || {
        let out = Out::new(out)?;
        out.write(into_handle::<Counter, _>(Arc::new(Counter::with_stripes(
            stripes,
        )?)))
    })
}

/// Returns another owning handle to the same counter (NULL for NULL). Free each handle once.
///
/// # Safety
/// `c` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_clone(c: *const ApCounter) -> *mut ApCounter {
    // SAFETY: the caller guarantees `c` is NULL or a live counter handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<Counter, _>(c) }
}

/// Releases one owner's handle; the counter is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `c` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_free(c: *mut ApCounter) {
    // SAFETY: the caller guarantees `c` is NULL or a counter handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Counter, _>(c) }
}

/// Adds 1. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `c` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_inc(c: *const ApCounter) -> ap_status {
    guard("ap_counter_inc", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<Counter, _>(c) }?.inc();
        Ok(())
    })
}

/// Adds n. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `c` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_add(c: *const ApCounter, n: u64) -> ap_status {
    guard("ap_counter_add", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<Counter, _>(c) }?.add(n);
        Ok(())
    })
}

/// Adds every one of the `len` values at `values`, crossing the boundary once for all of them.
/// `values` may be NULL when len is 0. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `values` points to `len` readable uint64_t.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_add_many(
    c: *const ApCounter,
    values: *const u64,
    len: usize,
) -> ap_status {
    guard("ap_counter_add_many", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let counter = unsafe { borrow::<Counter, _>(c) }?;
        let values = input_slice(values, len)?;
        counter.add(values.iter().fold(0u64, |a, &v| a.wrapping_add(v)));
        Ok(())
    })
}

/// Writes the total (the sum of all stripes) to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_get(c: *const ApCounter, out: *mut u64) -> ap_status {
    guard("ap_counter_get", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let c = unsafe { borrow::<Counter, _>(c) }?;
        Out::new(out)?.write(c.get())
    })
}
