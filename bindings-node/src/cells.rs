//! External ArrayBuffers over a metric's cells: how `Counter.inc()` and `Gauge.set()` skip the
//! native call. Even a hand-written N-API callback costs 8-16 ns and an ordinary napi-rs one
//! 20-25 ns, while `Atomics.add` on a typed array over Rust-owned memory costs about 14 ns, so
//! the hot path crosses the boundary once, at construction, and never again.
//!
//! `index.js` wraps the buffer in a `BigUint64Array` and updates the cells with `Atomics`, as the
//! core allows foreign writers to (`Counter::stripe_cells`: atomic fetch-and-add only;
//! `Gauge::cell`: atomic store and compare-and-swap only); Rust reads them as usual.
//!
//! Lifetime: the buffer's finalizer owns an `Arc` of the metric, released when V8 collects the
//! buffer, so the cells outlive every view of them whatever order the JS objects die in (the
//! metric's handle holds a reference of its own). Node runs that finalizer on the JS thread,
//! at the latest when the environment (a worker) shuts down.
//!
//! Runtimes that refuse external buffers (V8 sandbox builds, Electron) answer
//! `napi_no_external_buffers_allowed`: the callers get `null` and `index.js` falls back to calls.
//! A runtime that silently copied instead is caught by the self-check in `index.js`.

use std::ffi::c_void;
use std::ptr;
use std::sync::Arc;

use napi::sys;

use crate::callback::{Env, Value};
use crate::convert;
use crate::error::{Fail, Result};

unsafe extern "C" fn release<T>(_env: sys::napi_env, _data: *mut c_void, hint: *mut c_void) {
    // SAFETY: the hint is the `Arc::into_raw` that `external_buffer` passed with the buffer, and
    // N-API calls the finalizer once: this releases that one reference once.
    drop(unsafe { Arc::from_raw(hint.cast::<T>().cast_const()) });
}

/// An external ArrayBuffer of `len` bytes at `cells`, memory that `owner` keeps alive; `null`
/// where the runtime does not allow external buffers.
///
/// # Safety
/// `cells..cells + len` lies inside memory `owner` owns and never moves, and every byte of it may
/// be read and written by JS (through `Atomics`, as `index.js` does) while `owner` lives.
pub(crate) unsafe fn external_buffer<'s, T: Send + Sync + 'static>(
    env: Env<'s>,
    owner: Arc<T>,
    cells: *const u8,
    len: usize,
) -> Result<Value<'s>> {
    let hint = Arc::into_raw(owner).cast_mut().cast::<c_void>();
    let mut buffer = ptr::null_mut();
    // SAFETY: `env` is live; the memory stays valid and in place until `release::<T>` drops the
    // owner (the caller's contract), which N-API calls once, when the buffer is collected.
    let status = unsafe {
        sys::napi_create_external_arraybuffer(
            env.raw(),
            cells.cast_mut().cast::<c_void>(),
            len,
            Some(release::<T>),
            hint,
            &mut buffer,
        )
    };
    if status == sys::Status::napi_ok {
        // SAFETY: napi_ok: `buffer` is the ArrayBuffer just created in this scope.
        return Ok(unsafe { Value::from_raw(buffer) });
    }
    // SAFETY: not created, so the finalizer will never run: the reference is ours to release.
    drop(unsafe { Arc::from_raw(hint.cast::<T>().cast_const()) });
    if status == sys::Status::napi_no_external_buffers_allowed {
        return convert::null(env);
    }
    Err(Fail::internal(format!(
        "N-API call failed while creating an external ArrayBuffer (status {status})"
    )))
}
