//! Reference-counted opaque handles: a handle is `Arc::into_raw` of the core object, cast to an
//! opaque marker type (`ap_counter`, ...: a zero-sized struct that C can only point to) so that
//! C sees distinct handle types. `clone` and `free`
//! are strong-count operations, so every owner (a registry, a Go cleanup, a JavaScript buffer
//! finalizer, a caller) releases its own reference, and the core object is shared as an
//! `Arc` with whatever needs it (a rate tracker, an async recorder).

use std::sync::Arc;

use crate::status::{guard_void, Fail, AP_ERR_NULL_HANDLE};

pub(crate) fn into_handle<T, H>(value: Arc<T>) -> *mut H {
    Arc::into_raw(value).cast_mut().cast()
}

/// Borrows the object behind a handle for the duration of one call.
///
/// # Safety
/// `h` is NULL or a live handle created from an `Arc<T>` that the caller owns for the whole call.
pub(crate) unsafe fn borrow<'a, T, H>(h: *const H) -> Result<&'a T, Fail> {
    // SAFETY: per the contract above, a non-null `h` came from `into_handle::<T, H>` and is live.
    unsafe { h.cast::<T>().as_ref() }.ok_or_else(|| Fail::new(AP_ERR_NULL_HANDLE, "handle is NULL"))
}

/// Another owning `Arc` of the object behind a handle (for objects that keep it, such as a rate
/// tracker holding its counters).
///
/// # Safety
/// As [`borrow`].
pub(crate) unsafe fn share<T, H>(h: *const H) -> Result<Arc<T>, Fail> {
    // SAFETY: forwarded contract; the borrow proves `h` is non-null and live.
    unsafe { borrow::<T, H>(h) }?;
    // SAFETY: a live handle is an `Arc<T>` pointer; the increment pays for the new owner.
    unsafe {
        Arc::increment_strong_count(h.cast::<T>());
        Ok(Arc::from_raw(h.cast::<T>()))
    }
}

/// # Safety
/// As [`borrow`].
pub(crate) unsafe fn clone_handle<T, H>(h: *const H) -> *mut H {
    if !h.is_null() {
        // SAFETY: a live handle from `into_handle` is an `Arc<T>` pointer.
        unsafe { Arc::increment_strong_count(h.cast::<T>()) };
    }
    h.cast_mut()
}

/// Releases one reference. Dropping the last one runs the object's destructor, which may do real
/// work (an async recorder drains its queue and joins its workers): a panic there is caught and
/// kept in `ap_last_error()`, never unwound into C.
///
/// # Safety
/// `h` is NULL or a handle of an `Arc<T>` the caller owns and never uses again.
pub(crate) unsafe fn free_handle<T, H>(h: *mut H) {
    if !h.is_null() {
        // SAFETY: gives back the reference that `into_handle` or `clone_handle` handed out.
        let owned = unsafe { Arc::from_raw(h.cast_const().cast::<T>()) };
        guard_void("free", move || drop(owned));
    }
}
