use std::sync::Arc;
use std::time::Duration;

use atomicperf::{CancelWatcher, CancellationToken};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, Fail, Out, AP_ERR_NULL_POINTER};

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
    // SAFETY: the caller guarantees `t` is NULL or a live cancellation token handle (# Safety
    // above), which is what `clone_handle` requires.
    unsafe { clone_handle::<CancellationToken, _>(t) }
}

/// Releases one owner's handle. Freeing does not cancel. NULL is a no-op.
///
/// # Safety
/// `t` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_free(t: *mut ApCancellationToken) {
    // SAFETY: the caller guarantees `t` is NULL or a cancellation token handle it owns and never
    // uses again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<CancellationToken, _>(t) }
}

fn with(
    t: *const ApCancellationToken,
    what: &str,
    f: impl FnOnce(&CancellationToken) -> Result<(), Fail>,
) -> ap_status {
    // SAFETY: `t` is NULL or a live cancellation token handle for the whole call: the only callers
    // are this module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C
    // caller; that is what `borrow` requires.
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

/// One waiter for the cancellation of any number of tokens, so that a language binding turns
/// cancellations into its own events (Go channels, JavaScript promises) with one thread per
/// process instead of one blocked thread per watched token: register tokens with
/// ap_cancellation_token_watch(t, w, key), and one thread loops on ap_cancel_watcher_wait, which
/// hands back the key of each token cancelled since.
pub struct ApCancelWatcher {
    _opaque: [u8; 0],
}

/// Creates a watcher with nothing registered. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_cancel_watcher_new(out: *mut *mut ApCancelWatcher) -> ap_status {
    guard("ap_cancel_watcher_new", || {
        Out::new(out)?.write(into_handle::<CancelWatcher, _>(Arc::new(
            CancelWatcher::new(),
        )))
    })
}

/// Releases one owner's handle. Tokens hold a watcher weakly: once its last handle is freed,
/// its registrations are dropped and no key is reported. NULL is a no-op.
///
/// # Safety
/// `w` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_cancel_watcher_free(w: *mut ApCancelWatcher) {
    // SAFETY: the caller guarantees `w` is NULL or a cancel watcher handle it owns and never uses
    // again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<CancelWatcher, _>(w) }
}

/// Asks `w` to report `key` once `t` is cancelled (through any holder or an ancestor), or at
/// once if it already is. Each registration is reported at most once; register a key at most
/// once per token and watcher. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `t` and `w` are NULL or live handles.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_watch(
    t: *const ApCancellationToken,
    w: *const ApCancelWatcher,
    key: u64,
) -> ap_status {
    with(t, "ap_cancellation_token_watch", |t| {
        // SAFETY: the caller guarantees `w` is NULL or a live cancel watcher handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let w = unsafe { borrow::<CancelWatcher, _>(w) }?;
        t.watch(w, key);
        Ok(())
    })
}

/// Withdraws the registration of `key` with `w`; *pending (if not NULL) says whether it was
/// still pending (false once reported or if it never existed). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `t` and `w` are NULL or live handles; `pending` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_cancellation_token_unwatch(
    t: *const ApCancellationToken,
    w: *const ApCancelWatcher,
    key: u64,
    pending: *mut bool,
) -> ap_status {
    with(t, "ap_cancellation_token_unwatch", |t| {
        // SAFETY: the caller guarantees `w` is NULL or a live cancel watcher handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let w = unsafe { borrow::<CancelWatcher, _>(w) }?;
        let was = t.unwatch(w, key);
        if !pending.is_null() {
            // SAFETY: checked non-null just above, and the # Safety above makes a non-null
            // `pending` writable.
            unsafe { pending.write(was) };
        }
        Ok(())
    })
}

/// Blocks until at least one watched token was cancelled, `timeout_ns` passes (UINT64_MAX:
/// about 584 years) or the watcher is closed; then moves up to `capacity` reported keys into
/// `keys`, in the order of the cancels, and their number into *n (0 on timeout or once closed
/// with nothing queued). Any number of tokens share the one waiting thread.
/// Errors: AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for a NULL n, or NULL keys with capacity > 0.
///
/// # Safety
/// `w` is NULL or a live handle; `keys` holds capacity uint64_t; `n` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_cancel_watcher_wait(
    w: *const ApCancelWatcher,
    keys: *mut u64,
    capacity: usize,
    timeout_ns: u64,
    n: *mut usize,
) -> ap_status {
    guard("ap_cancel_watcher_wait", || {
        // SAFETY: the caller guarantees `w` is NULL or a live cancel watcher handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let w = unsafe { borrow::<CancelWatcher, _>(w) }?;
        let n = Out::new(n)?;
        if keys.is_null() && capacity > 0 {
            return Err(Fail::new(AP_ERR_NULL_POINTER, "keys is NULL"));
        }
        let buf: &mut [u64] = if capacity == 0 {
            &mut []
        } else {
            // SAFETY: capacity > 0 here, so `keys` is non-null (checked above) and holds
            // `capacity` writable uint64_t by the # Safety above; as with any output buffer of
            // the C API, it is this call's alone until the call returns. The caller need not
            // have initialised it: it is zeroed first, so the slice only ever covers
            // initialised memory.
            unsafe {
                std::ptr::write_bytes(keys, 0, capacity);
                std::slice::from_raw_parts_mut(keys, capacity)
            }
        };
        n.write(w.wait_into(buf, Duration::from_nanos(timeout_ns)))
    })
}

/// Wakes every thread in ap_cancel_watcher_wait and makes later waits return at once (keys
/// already reported are still handed out first). Idempotent. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `w` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_cancel_watcher_close(w: *const ApCancelWatcher) -> ap_status {
    guard("ap_cancel_watcher_close", || {
        // SAFETY: the caller guarantees `w` is NULL or a live cancel watcher handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<CancelWatcher, _>(w) }?.close();
        Ok(())
    })
}
