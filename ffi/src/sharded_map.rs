use std::sync::Arc;

use atomicperf::ShardedMap;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{
    ap_status, guard, input_slice, write_bytes, write_opt, Fail, Out, AP_ERR_NULL_HANDLE,
    AP_ERR_OUT_OF_RANGE,
};

type BytesMap = ShardedMap<Vec<u8>, Vec<u8>>;
/// What an entries handle points to.
type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// A concurrent hash map of byte-string keys to byte-string values, sharded over independently
/// locked, cache-padded shards. No call hands out a reference into the map: values are copied out.
pub struct ApMap {
    _opaque: [u8; 0],
}

/// A copy of every entry of a map at one moment, from ap_map_snapshot. Not reference counted:
/// free it once with ap_map_entries_free.
pub struct ApMapEntries {
    _opaque: [u8; 0],
}

/// Creates an empty map with `shards` shards (a power of two up to 4096), or the default (four
/// times the core count) when `shards` is 0. Errors: AP_ERR_OUT_OF_RANGE; AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_map_new(shards: usize, out: *mut *mut ApMap) -> ap_status {
    guard("ap_map_new", || {
        let out = Out::new(out)?;
        let map = if shards == 0 {
            ShardedMap::new()
        } else {
            ShardedMap::with_shards(shards)?
        };
        out.write(into_handle::<BytesMap, _>(Arc::new(map)))
    })
}

/// Returns another owning handle to the same map (NULL for NULL). Free each handle once.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_map_clone(m: *const ApMap) -> *mut ApMap {
    // SAFETY: the caller guarantees `m` is NULL or a live map handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<BytesMap, _>(m) }
}

/// Releases one owner's handle; the map is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `m` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_map_free(m: *mut ApMap) {
    // SAFETY: the caller guarantees `m` is NULL or a map handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<BytesMap, _>(m) }
}

/// Copies the value of `key` (key_len bytes) into `buf` (capacity bytes). *found says whether the
/// key is present; *len gets the value's length. Errors: AP_ERR_BUFFER_TOO_SMALL (with *found
/// true and *len the needed length) when the value does not fit; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for a NULL found or len,
/// a NULL key with key_len > 0, or a NULL buf when the value is not empty.
///
/// # Safety
/// `m` is NULL or a live handle; `key` holds key_len bytes; `buf` holds capacity bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_map_get(
    m: *const ApMap,
    key: *const u8,
    key_len: usize,
    buf: *mut u8,
    capacity: usize,
    len: *mut usize,
    found: *mut bool,
) -> ap_status {
    guard("ap_map_get", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        let (len, found) = (Out::new(len)?, Out::new(found)?);
        let key = input_slice(key, key_len)?;
        // Copied out under the shard's read lock: no clone of the value.
        match m.with(key, |v| write_bytes(v, buf, capacity, len)) {
            Some(copied) => {
                found.write(true)?;
                copied
            }
            None => found.write(false),
        }
    })
}

/// Sets `key` to `value`; *replaced (if not NULL) says whether a previous value was replaced.
/// Errors: AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for a NULL key or value with a length > 0.
///
/// # Safety
/// `m` is NULL or a live handle; `key` and `value` hold their lengths in bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_map_insert(
    m: *const ApMap,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    replaced: *mut bool,
) -> ap_status {
    guard("ap_map_insert", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        let (key, value) = (input_slice(key, key_len)?, input_slice(value, value_len)?);
        let previous = m.insert(key.to_vec(), value.to_vec());
        write_opt(replaced, previous.is_some());
        Ok(())
    })
}

/// Sets `key` to `value` only if the key is absent (the C form of compute-if-absent);
/// *inserted (if not NULL) says whether it was. Errors as ap_map_insert.
///
/// # Safety
/// As ap_map_insert.
#[no_mangle]
pub unsafe extern "C" fn ap_map_insert_if_absent(
    m: *const ApMap,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    inserted: *mut bool,
) -> ap_status {
    guard("ap_map_insert_if_absent", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        let (key, value) = (input_slice(key, key_len)?, input_slice(value, value_len)?);
        let mut ran = false;
        m.compute_if_absent(key.to_vec(), || {
            ran = true;
            value.to_vec()
        });
        write_opt(inserted, ran);
        Ok(())
    })
}

/// Removes `key`; *removed (if not NULL) says whether it was present.
/// Errors: AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER for a NULL key with key_len > 0.
///
/// # Safety
/// `m` is NULL or a live handle; `key` holds key_len bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_map_remove(
    m: *const ApMap,
    key: *const u8,
    key_len: usize,
    removed: *mut bool,
) -> ap_status {
    guard("ap_map_remove", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        write_opt(removed, m.remove(input_slice(key, key_len)?).is_some());
        Ok(())
    })
}

/// Writes whether `key` is present to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `key` holds key_len bytes; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_map_contains(
    m: *const ApMap,
    key: *const u8,
    key_len: usize,
    out: *mut bool,
) -> ap_status {
    guard("ap_map_contains", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        let out = Out::new(out)?;
        out.write(m.contains(input_slice(key, key_len)?))
    })
}

/// Writes the number of entries to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_map_len(m: *const ApMap, out: *mut usize) -> ap_status {
    guard("ap_map_len", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        Out::new(out)?.write(m.len())
    })
}

/// Removes every entry. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `m` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_map_clear(m: *const ApMap) -> ap_status {
    guard("ap_map_clear", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<BytesMap, _>(m) }?.clear();
        Ok(())
    })
}

/// Stores in *out a copy of every entry (each shard copied consistently). Free it with
/// ap_map_entries_free. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `m` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_map_snapshot(
    m: *const ApMap,
    out: *mut *mut ApMapEntries,
) -> ap_status {
    guard("ap_map_snapshot", || {
        // SAFETY: the caller guarantees `m` is NULL or a live map handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let m = unsafe { borrow::<BytesMap, _>(m) }?;
        let out = Out::new(out)?;
        out.write(Box::into_raw(Box::new(m.snapshot())).cast())
    })
}

/// Borrows the snapshot behind an entries handle for the duration of one call.
///
/// # Safety
/// `e` is NULL or a live entries handle (made by ap_map_snapshot, not yet freed).
unsafe fn entries<'a>(e: *const ApMapEntries) -> Result<&'a Entries, Fail> {
    // SAFETY: the contract above: a non-null `e` is the `Box<Entries>` that ap_map_snapshot
    // leaked, still alive; `as_ref` turns NULL into None.
    unsafe { e.cast::<Entries>().as_ref() }
        .ok_or_else(|| Fail::new(AP_ERR_NULL_HANDLE, "handle is NULL"))
}

/// Writes the number of entries in a snapshot to *out. Errors: AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `e` is NULL or a live entries handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_map_entries_len(e: *const ApMapEntries, out: *mut usize) -> ap_status {
    guard("ap_map_entries_len", || {
        // SAFETY: the caller guarantees `e` is NULL or a live entries handle (# Safety above),
        // which is what `entries` requires.
        let e = unsafe { entries(e) }?;
        Out::new(out)?.write(e.len())
    })
}

/// Points *key/*key_len and *value/*value_len at entry `index` of a snapshot. The bytes belong
/// to the snapshot and stay valid until ap_map_entries_free. Errors: AP_ERR_OUT_OF_RANGE for an
/// index past the end; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `e` is NULL or a live entries handle; the four out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_map_entries_get(
    e: *const ApMapEntries,
    index: usize,
    key: *mut *const u8,
    key_len: *mut usize,
    value: *mut *const u8,
    value_len: *mut usize,
) -> ap_status {
    guard("ap_map_entries_get", || {
        // SAFETY: the caller guarantees `e` is NULL or a live entries handle (# Safety above),
        // which is what `entries` requires; the pointers written out borrow the snapshot, which the
        // caller keeps until ap_map_entries_free.
        let e = unsafe { entries(e) }?;
        let (key, key_len, value, value_len) = (
            Out::new(key)?,
            Out::new(key_len)?,
            Out::new(value)?,
            Out::new(value_len)?,
        );
        let (k, v) = e.get(index).ok_or_else(|| {
            Fail::new(
                AP_ERR_OUT_OF_RANGE,
                format!("index {index}, {} entries", e.len()),
            )
        })?;
        key.write(k.as_ptr())?;
        key_len.write(k.len())?;
        value.write(v.as_ptr())?;
        value_len.write(v.len())
    })
}

/// Frees a snapshot. NULL is a no-op.
///
/// # Safety
/// `e` is NULL or an entries handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_map_entries_free(e: *mut ApMapEntries) {
    if !e.is_null() {
        // SAFETY: non-null, so by the # Safety above `e` is the `Box<Entries>` that
        // ap_map_snapshot leaked, owned by the caller and given up here: it is freed once.
        let entries = unsafe { Box::from_raw(e.cast::<Entries>()) };
        crate::status::guard_void("ap_map_entries_free", move || drop(entries));
    }
}
