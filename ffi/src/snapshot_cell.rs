use std::sync::Arc;
use std::time::UNIX_EPOCH;

use atomicperf::SnapshotCell;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{
    ap_status, guard, input_slice, write_bytes, write_opt, Fail, Out, AP_ERR_REVISION_MISMATCH,
};

type BytesCell = SnapshotCell<Vec<u8>>;

/// A read-mostly byte-string value swapped atomically, with a revision number (0 for the initial
/// value, +1 per store) and a last-updated time, all readable without a lock.
pub struct ApSnapshotCell {
    _opaque: [u8; 0],
}

/// Creates a cell holding a copy of `value` (len bytes) at revision 0.
/// Errors: AP_ERR_NULL_POINTER for a NULL out, or a NULL value with len > 0.
///
/// # Safety
/// `value` holds len bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_new(
    value: *const u8,
    len: usize,
    out: *mut *mut ApSnapshotCell,
) -> ap_status {
    guard("ap_snapshot_cell_new", || {
        let out = Out::new(out)?;
        let value = input_slice(value, len)?.to_vec();
        out.write(into_handle::<BytesCell, _>(Arc::new(SnapshotCell::new(
            value,
        ))))
    })
}

/// Returns another owning handle to the same cell (NULL for NULL). Free each handle once.
///
/// # Safety
/// `c` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_clone(c: *const ApSnapshotCell) -> *mut ApSnapshotCell {
    // SAFETY: the caller guarantees `c` is NULL or a live snapshot cell handle (# Safety above),
    // which is what `clone_handle` requires.
    unsafe { clone_handle::<BytesCell, _>(c) }
}

/// Releases one owner's handle; the cell is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `c` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_free(c: *mut ApSnapshotCell) {
    // SAFETY: the caller guarantees `c` is NULL or a snapshot cell handle it owns and never uses
    // again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<BytesCell, _>(c) }
}

fn with(
    c: *const ApSnapshotCell,
    what: &str,
    f: impl FnOnce(&BytesCell) -> Result<(), Fail>,
) -> ap_status {
    // SAFETY: `c` is NULL or a live snapshot cell handle for the whole call: the only callers are
    // this module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C caller;
    // that is what `borrow` requires.
    guard(what, || f(unsafe { borrow::<BytesCell, _>(c) }?))
}

/// Copies the current value into `buf` (capacity bytes); its length goes to *len and, if
/// `revision` is not NULL, the revision it was stored under to *revision.
/// Errors: AP_ERR_BUFFER_TOO_SMALL (with *len set); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `buf` holds capacity bytes; `len`, `revision` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_load(
    c: *const ApSnapshotCell,
    buf: *mut u8,
    capacity: usize,
    len: *mut usize,
    revision: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_load", |c| {
        let len = Out::new(len)?;
        let (value, rev) = c.load_with_revision();
        write_opt(revision, rev);
        write_bytes(&value, buf, capacity, len)
    })
}

/// Replaces the value with a copy of `value` (len bytes); the new revision goes to *revision if
/// it is not NULL. Errors: AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for a NULL value with len > 0.
///
/// # Safety
/// `c` is NULL or a live handle; `value` holds len bytes; `revision` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_store(
    c: *const ApSnapshotCell,
    value: *const u8,
    len: usize,
    revision: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_store", |c| {
        let value = input_slice(value, len)?.to_vec();
        write_opt(revision, c.store(value));
        Ok(())
    })
}

/// Replaces the value only if the revision is still `expected`. *revision (if not NULL) gets the
/// new revision, or on AP_ERR_REVISION_MISMATCH the current one (nothing was stored).
/// Errors: AP_ERR_REVISION_MISMATCH; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// As ap_snapshot_cell_store.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_compare_and_store(
    c: *const ApSnapshotCell,
    expected: u64,
    value: *const u8,
    len: usize,
    revision: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_compare_and_store", |c| {
        let value = input_slice(value, len)?.to_vec();
        match c.compare_and_store(expected, value) {
            Ok(rev) => {
                write_opt(revision, rev);
                Ok(())
            }
            Err((current, _)) => {
                write_opt(revision, current);
                Err(Fail::new(
                    AP_ERR_REVISION_MISMATCH,
                    format!("expected revision {expected}, current is {current}"),
                ))
            }
        }
    })
}

/// Writes the current revision to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_revision(
    c: *const ApSnapshotCell,
    out: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_revision", |c| {
        Out::new(out)?.write(c.revision())
    })
}

/// Writes the nanoseconds since the last store (or creation) to *out (monotonic clock).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_age_ns(
    c: *const ApSnapshotCell,
    out: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_age_ns", |c| {
        Out::new(out)?.write(u64::try_from(c.age().as_nanos()).unwrap_or(u64::MAX))
    })
}

/// Writes the wall-clock time of the last store (or creation) to *out, in nanoseconds since the
/// Unix epoch. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_snapshot_cell_last_updated_unix_ns(
    c: *const ApSnapshotCell,
    out: *mut u64,
) -> ap_status {
    with(c, "ap_snapshot_cell_last_updated_unix_ns", |c| {
        let since_epoch = c
            .last_updated()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Out::new(out)?.write(u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX))
    })
}
