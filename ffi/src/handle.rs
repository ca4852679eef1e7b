//! Reference-counted opaque handles: a handle is `Arc::into_raw` of the wrapped core type, so
//! `clone` and `free` are strong-count operations and every owner (a registry, a Go finalizer, a
//! caller) can release its own reference.

use std::sync::Arc;

use crate::status::{Fail, AP_ERR_NULL_HANDLE};

pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Arc::into_raw(Arc::new(value)).cast_mut()
}

/// Borrows the object behind a handle for the duration of one call.
///
/// # Safety
/// `h` is NULL or a live handle of type `T` that the caller owns for the whole call.
pub(crate) unsafe fn borrow<'a, T>(h: *const T) -> Result<&'a T, Fail> {
    // SAFETY: per the contract above, a non-null `h` came from `into_handle` and is still owned.
    unsafe { h.as_ref() }.ok_or_else(|| Fail::new(AP_ERR_NULL_HANDLE, "handle is NULL"))
}

/// # Safety
/// As [`borrow`].
pub(crate) unsafe fn clone_handle<T>(h: *const T) -> *mut T {
    if !h.is_null() {
        // SAFETY: a live handle from `into_handle` is an `Arc` pointer.
        unsafe { Arc::increment_strong_count(h) };
    }
    h.cast_mut()
}

/// # Safety
/// `h` is NULL or a handle the caller owns and never uses again.
pub(crate) unsafe fn free_handle<T>(h: *mut T) {
    if !h.is_null() {
        // SAFETY: gives back the reference that `into_handle` or `clone_handle` handed out.
        drop(unsafe { Arc::from_raw(h.cast_const()) });
    }
}
