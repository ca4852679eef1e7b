use std::sync::Arc;

use atomicperf::Gauge;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, Fail, Out};

/// A double-precision value set and adjusted by many threads without a lock.
pub struct ApGauge {
    _opaque: [u8; 0],
}

/// Creates a gauge at `initial` and stores its handle in *out. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_gauge_new(initial: f64, out: *mut *mut ApGauge) -> ap_status {
    guard("ap_gauge_new", || {
        Out::new(out)?.write(into_handle::<Gauge, _>(Arc::new(Gauge::with_value(
            initial,
        ))))
    })
}

/// Returns another owning handle to the same gauge (NULL for NULL). Free each handle once.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_clone(g: *const ApGauge) -> *mut ApGauge {
    // SAFETY: the caller guarantees `g` is NULL or a live gauge handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<Gauge, _>(g) }
}

/// Releases one owner's handle; the gauge is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `g` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_free(g: *mut ApGauge) {
    // SAFETY: the caller guarantees `g` is NULL or a gauge handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Gauge, _>(g) }
}

/// Runs `f` on the gauge behind `g` as the API call `what`.
fn with_gauge(g: *const ApGauge, what: &str, f: impl FnOnce(&Gauge)) -> ap_status {
    guard(what, || {
        // SAFETY: `g` is NULL or a live gauge handle for the whole call: the only callers are this
        // module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C caller;
        // that is what `borrow` requires.
        f(unsafe { borrow::<Gauge, _>(g) }?);
        Ok::<(), Fail>(())
    })
}

/// Replaces the value. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_set(g: *const ApGauge, v: f64) -> ap_status {
    with_gauge(g, "ap_gauge_set", |g| g.set(v))
}

/// Writes the current value to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `g` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_get(g: *const ApGauge, out: *mut f64) -> ap_status {
    guard("ap_gauge_get", || {
        // SAFETY: the caller guarantees `g` is NULL or a live gauge handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let g = unsafe { borrow::<Gauge, _>(g) }?;
        Out::new(out)?.write(g.get())
    })
}

/// Adds d (may be negative). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_add(g: *const ApGauge, d: f64) -> ap_status {
    with_gauge(g, "ap_gauge_add", |g| g.add(d))
}

/// Subtracts d. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_sub(g: *const ApGauge, d: f64) -> ap_status {
    with_gauge(g, "ap_gauge_sub", |g| g.sub(d))
}

/// Adds 1. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_inc(g: *const ApGauge) -> ap_status {
    with_gauge(g, "ap_gauge_inc", Gauge::inc)
}

/// Subtracts 1. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_dec(g: *const ApGauge) -> ap_status {
    with_gauge(g, "ap_gauge_dec", Gauge::dec)
}

/// Raises the value to v if v is greater. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_set_max(g: *const ApGauge, v: f64) -> ap_status {
    with_gauge(g, "ap_gauge_set_max", |g| g.set_max(v))
}

/// Lowers the value to v if v is smaller. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `g` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_gauge_set_min(g: *const ApGauge, v: f64) -> ap_status {
    with_gauge(g, "ap_gauge_set_min", |g| g.set_min(v))
}
