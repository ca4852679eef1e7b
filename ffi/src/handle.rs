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
    // SAFETY: per the contract above, a non-null `h` came from `into_handle::<T, H>` and its
    // `Arc<T>` stays alive for the call, so it points to a valid `T`; `as_ref` maps NULL to None.
    unsafe { h.cast::<T>().as_ref() }.ok_or_else(|| Fail::new(AP_ERR_NULL_HANDLE, "handle is NULL"))
}

/// Another owning `Arc` of the object behind a handle (for objects that keep it, such as a rate
/// tracker holding its counters).
///
/// # Safety
/// As [`borrow`].
pub(crate) unsafe fn share<T, H>(h: *const H) -> Result<Arc<T>, Fail> {
    // SAFETY: this function's contract is `borrow`'s; the borrow returns early for a NULL `h`.
    unsafe { borrow::<T, H>(h) }?;
    // SAFETY: `h` is non-null (checked by the borrow) and, by the contract, came from
    // `Arc::into_raw` of a live `Arc<T>`; the increment pays for the owner `from_raw` creates, so
    // the caller's reference is untouched.
    unsafe {
        Arc::increment_strong_count(h.cast::<T>());
        Ok(Arc::from_raw(h.cast::<T>()))
    }
}

/// # Safety
/// As [`borrow`].
pub(crate) unsafe fn clone_handle<T, H>(h: *const H) -> *mut H {
    if !h.is_null() {
        // SAFETY: non-null, so by the contract `h` came from `Arc::into_raw` (`into_handle`) and
        // its `Arc<T>` is alive, which is what `increment_strong_count` requires.
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
        // SAFETY: non-null, so by the contract `h` came from `Arc::into_raw` (`into_handle`, or a
        // `clone_handle` increment) and carries one reference the caller owns and gives up here:
        // `from_raw` takes that reference back, once.
        let owned = unsafe { Arc::from_raw(h.cast_const().cast::<T>()) };
        guard_void("free", move || drop(owned));
    }
}
