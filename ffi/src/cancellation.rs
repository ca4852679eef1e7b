use std::sync::Arc;
use std::time::Duration;

use atomicperf::CancellationToken;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, Fail, Out};

/// A cancellation signal for a tree of tasks: cancel once and every holder, and every child
/// token, sees it; checking is one atomic load; waiting blocks without polling.
pub struct ApCancellationToken {
    _opaque: [u8; 0],
}

/// Creates a token that is not cancelled. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_cancellation_token_new(out: *mut *mut ApCancellationToken) -> ap_status {
    guard("ap_cancellation_token_new", || {
        Out::new(out)?.write(into_handle::<CancellationToken, _>(Arc::new(
            CancellationToken::new(),
        )))
    })
}

/// Returns another owning handle to the same token (NULL for NULL). Free each handle once.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_clone(
    t: *const ApCancellationToken,
) -> *mut ApCancellationToken {
    // SAFETY: forwarded contract.
    unsafe { clone_handle::<CancellationToken, _>(t) }
}

/// Releases one owner's handle. Freeing does not cancel. NULL is a no-op.
///
/// # Safety
/// `t` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_free(t: *mut ApCancellationToken) {
    // SAFETY: forwarded contract.
    unsafe { free_handle::<CancellationToken, _>(t) }
}

fn with(
    t: *const ApCancellationToken,
    what: &str,
    f: impl FnOnce(&CancellationToken) -> Result<(), Fail>,
) -> ap_status {
    // SAFETY: every caller is an `unsafe extern fn` whose contract makes `t` NULL or live.
    guard(what, || f(unsafe { borrow::<CancellationToken, _>(t) }?))
}

/// Stores in *out a new token that is cancelled when `t` is (already cancelled if `t` is).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_child(
    t: *const ApCancellationToken,
    out: *mut *mut ApCancellationToken,
) -> ap_status {
    with(t, "ap_cancellation_token_child", |t| {
        let out = Out::new(out)?;
        out.write(into_handle::<CancellationToken, _>(Arc::new(t.child())))
    })
}

/// Cancels the token and its descendants and wakes every waiter. Idempotent.
/// Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_cancel(t: *const ApCancellationToken) -> ap_status {
    with(t, "ap_cancellation_token_cancel", |t| {
        let _: () = t.cancel();
        Ok(())
    })
}

/// Writes whether the token was cancelled to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_is_cancelled(
    t: *const ApCancellationToken,
    out: *mut bool,
) -> ap_status {
    with(t, "ap_cancellation_token_is_cancelled", |t| {
        Out::new(out)?.write(t.is_cancelled())
    })
}

/// Blocks until the token is cancelled or `timeout_ns` passes (UINT64_MAX: about 584 years);
/// *cancelled says which. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `cancelled` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_wait(
    t: *const ApCancellationToken,
    timeout_ns: u64,
    cancelled: *mut bool,
) -> ap_status {
    with(t, "ap_cancellation_token_wait", |t| {
        let out = Out::new(cancelled)?;
        out.write(t.wait(Duration::from_nanos(timeout_ns)))
    })
}
