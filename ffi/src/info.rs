use std::ffi::c_char;
use std::sync::Arc;

use atomicperf::{Enum, Info, Registry};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::registry::{labels, lookup, utf8, write_text, ApRegistry};
use crate::status::{ap_status, guard, input_slice, Fail, Out};

/// Label pairs describing something (a build's version), exported as one sample
/// `<name>_info{...} 1` (OpenMetrics `info`; a gauge in the Prometheus text format).
pub struct ApInfo {
    _opaque: [u8; 0],
}

/// Which one of a fixed set of states something is in, exported as one sample per state, 1 for
/// the current one (OpenMetrics `stateset`; a gauge in the Prometheus text format).
pub struct ApEnum {
    _opaque: [u8; 0],
}

/// The `n` strings of `strings`, as UTF-8.
///
/// # Safety
/// `strings` is NULL or holds `n` pointers, each NULL or NUL-terminated, valid for `'a`.
unsafe fn strs<'a>(
    strings: *const *const c_char,
    n: usize,
    what: &str,
) -> Result<Vec<&'a str>, Fail> {
    input_slice(strings, n)?
        .iter()
        // SAFETY: each element is NULL or a NUL-terminated string valid for `'a` (above).
        .map(|&s| unsafe { utf8(s, what) })
        .collect()
}

/// Creates an Info with no pairs and stores its handle in *out. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_info_new(out: *mut *mut ApInfo) -> ap_status {
    guard("ap_info_new", || {
        Out::new(out)?.write(into_handle::<Info, _>(Arc::new(Info::new())))
    })
}

/// Returns another owning handle to the same Info (NULL for NULL). Free each handle once.
///
/// # Safety
/// `i` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_info_clone(i: *const ApInfo) -> *mut ApInfo {
    // SAFETY: the caller guarantees `i` is NULL or a live Info handle (# Safety above).
    unsafe { clone_handle::<Info, _>(i) }
}

/// Releases one owner's handle; freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `i` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_info_free(i: *mut ApInfo) {
    // SAFETY: the caller guarantees `i` is NULL or an Info handle it owns and never uses again.
    unsafe { free_handle::<Info, _>(i) }
}

/// Replaces the Info's pairs with the `n` pairs names[k] = values[k] (any order; exported
/// sorted by name). Errors: AP_ERR_INVALID_ARGUMENT for a label name outside the Prometheus data
/// model, one given twice, one of a registry Info's own labels, or strings that are not UTF-8
/// (the pairs are then unchanged); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `i` is NULL or a live handle; the arrays hold `n` pointers, each NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_info_set(
    i: *const ApInfo,
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> ap_status {
    guard("ap_info_set", || {
        // SAFETY: the caller guarantees `i` is NULL or a live Info handle for the whole call.
        let info = unsafe { borrow::<Info, _>(i) }?;
        // SAFETY: the arrays are as `labels` requires, by the # Safety above.
        let pairs = unsafe { labels(names, values, n) }?;
        Ok(info.set(&pairs)?)
    })
}

/// Creates an Enum over the `n_states` states (at least one, none empty or twice), in the
/// first, and stores its handle in *out. Errors: AP_ERR_INVALID_ARGUMENT for bad states or
/// strings that are not UTF-8; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `states` is NULL or holds `n_states` pointers, each NULL or NUL-terminated; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ap_enum_new(
    states: *const *const c_char,
    n_states: usize,
    out: *mut *mut ApEnum,
) -> ap_status {
    guard("ap_enum_new", || {
        let out = Out::new(out)?;
        // SAFETY: `states` is as `strs` requires, by the # Safety above.
        let states = unsafe { strs(states, n_states, "state") }?;
        out.write(into_handle::<Enum, _>(Arc::new(Enum::new(&states)?)))
    })
}

/// Returns another owning handle to the same Enum (NULL for NULL). Free each handle once.
///
/// # Safety
/// `e` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_enum_clone(e: *const ApEnum) -> *mut ApEnum {
    // SAFETY: the caller guarantees `e` is NULL or a live Enum handle (# Safety above).
    unsafe { clone_handle::<Enum, _>(e) }
}

/// Releases one owner's handle; freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `e` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_enum_free(e: *mut ApEnum) {
    // SAFETY: the caller guarantees `e` is NULL or an Enum handle it owns and never uses again.
    unsafe { free_handle::<Enum, _>(e) }
}

/// Makes `state` the current state. Errors: AP_ERR_INVALID_ARGUMENT if it is not one of the
/// states (nothing changes) or not UTF-8; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `e` is NULL or a live handle; `state` is NULL or NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_enum_set(e: *const ApEnum, state: *const c_char) -> ap_status {
    guard("ap_enum_set", || {
        // SAFETY: the caller guarantees `e` is NULL or a live Enum handle for the whole call.
        let e = unsafe { borrow::<Enum, _>(e) }?;
        // SAFETY: `state` is NULL or NUL-terminated, alive for this call (# Safety above).
        let state = unsafe { utf8(state, "state") }?;
        Ok(e.set(state)?)
    })
}

/// Writes the current state followed by a NUL into `buf`, its length without the NUL to *len,
/// and its index among the states to *index. Errors: AP_ERR_BUFFER_TOO_SMALL when capacity <
/// *len + 1 (*len and *index are set); AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `e` is NULL or a live handle; `buf` is NULL or holds `capacity` writable bytes; `len` and
/// `index` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_enum_get(
    e: *const ApEnum,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
    index: *mut usize,
) -> ap_status {
    guard("ap_enum_get", || {
        // SAFETY: the caller guarantees `e` is NULL or a live Enum handle for the whole call.
        let e = unsafe { borrow::<Enum, _>(e) }?;
        let (len, index) = (Out::new(len)?, Out::new(index)?);
        let i = e.index();
        index.write(i)?;
        // SAFETY: `buf` holds `capacity` writable bytes or is NULL (# Safety above).
        unsafe { write_text(e.states()[i].as_bytes(), buf, capacity, len) }
    })
}

/// As ap_registry_counter, for an Info (created with no pairs; exported as `name_info`, with one
/// `_info` suffix whether or not `name` ends in it). Its pairs may not use the family's label
/// names.
///
/// # Safety
/// As ap_registry_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_info(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApInfo,
) -> ap_status {
    // SAFETY: the caller guarantees ap_registry_counter's contract, which `lookup` requires.
    unsafe {
        lookup::<Registry, _, Info, _>(
            "ap_registry_info",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.info(n, h, l),
        )
    }
}

/// As ap_registry_counter, for an Enum over the `n_states` states (used when the family is
/// created, ignored for an existing one), in its first state when new. Its state label is named
/// `name`, which must therefore be a valid label name and not one of its labels. Errors: as
/// ap_registry_counter, and AP_ERR_INVALID_ARGUMENT for bad states.
///
/// # Safety
/// As ap_registry_counter; `states` is NULL or holds `n_states` pointers, each NULL or
/// NUL-terminated.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ap_registry_enum(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    states: *const *const c_char,
    n_states: usize,
    out: *mut *mut ApEnum,
) -> ap_status {
    // SAFETY: `states` is as `strs` requires, by the # Safety above.
    let states = match unsafe { strs(states, n_states, "state") } {
        Ok(s) => s,
        Err(fail) => return guard("ap_registry_enum", || Err(fail)),
    };
    // SAFETY: the caller guarantees ap_registry_counter's contract, which `lookup` requires.
    unsafe {
        lookup::<Registry, _, Enum, _>(
            "ap_registry_enum",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.enumeration(n, h, l, &states),
        )
    }
}
