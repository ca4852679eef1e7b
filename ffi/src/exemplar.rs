use std::ffi::c_char;

use atomicperf::{Counter, Histogram};

use crate::handle::borrow;
use crate::registry::{text, with_labels};
use crate::status::{ap_status, guard, input_slice, Fail, AP_ERR_INVALID_ARGUMENT};

/// The timestamp argument: NaN means none.
fn timestamp(t: f64) -> Option<f64> {
    (!t.is_nan()).then_some(t)
}

/// Adds n and makes the `n_labels` labels names[i] = values[i] (a trace id, a span id) the
/// counter's exemplar, with value n and `timestamp` in seconds since the Unix epoch (NaN: none).
/// A registry exports the latest exemplar in OpenMetrics and protobuf, never in the Prometheus
/// text format. Lock-free; allocates only for a counter's first exemplar. Errors:
/// AP_ERR_INVALID_ARGUMENT for a label name outside the Prometheus data model, one given twice,
/// a value holding a NUL, more than 128 characters of names and values together (OpenMetrics'
/// limit), an infinite timestamp, or strings that are not UTF-8 (nothing is added then);
/// AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; the label arrays hold n_labels pointers, each NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_add_with_exemplar(
    c: *const crate::counter::ApCounter,
    n: u64,
    names: *const *const c_char,
    values: *const *const c_char,
    n_labels: usize,
    timestamp_seconds: f64,
) -> ap_status {
    guard("ap_counter_add_with_exemplar", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call.
        let c = unsafe { borrow::<Counter, _>(c) }?;
        // SAFETY: the label arrays are as `with_labels` requires, by the # Safety above.
        let added = unsafe {
            with_labels(names, values, n_labels, |pairs| {
                c.add_with_exemplar(n, pairs, timestamp(timestamp_seconds))
            })
        }?;
        Ok(added?)
    })
}

/// Records `value` and makes the `n_labels` labels names[i] = values[i] the exemplar of the
/// exported bucket it falls in (a registry histogram: one per `le` bucket, the exemplar's value
/// in exported units; otherwise one for the histogram), with `timestamp` in seconds since the
/// Unix epoch (NaN: none). Errors: as ap_counter_add_with_exemplar (nothing is recorded then).
///
/// # Safety
/// `h` is NULL or a live handle; the label arrays hold n_labels pointers, each NULL or
/// NUL-terminated.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_record_with_exemplar(
    h: *const crate::histogram::ApHistogram,
    value: u64,
    names: *const *const c_char,
    values: *const *const c_char,
    n_labels: usize,
    timestamp_seconds: f64,
) -> ap_status {
    guard("ap_histogram_record_with_exemplar", || {
        // SAFETY: the caller guarantees `h` is NULL or a live histogram handle for the whole
        // call.
        let h = unsafe { borrow::<Histogram, _>(h) }?;
        // SAFETY: the label arrays are as `with_labels` requires, by the # Safety above.
        let recorded = unsafe {
            with_labels(names, values, n_labels, |pairs| {
                h.record_with_exemplar(value, pairs, timestamp(timestamp_seconds))
            })
        }?;
        Ok(recorded?)
    })
}

/// The (name, value) pairs of `len` bytes at `labels` holding `name\0value\0` per label, one
/// after another (no labels: `len` 0), borrowed from them and handed to `f`: built on the stack
/// for up to 8 labels. One UTF-8 check of the whole buffer (ASCII a word at a time), no strlen.
///
/// # Safety
/// `labels` is NULL (only with `len` 0) or `len` readable bytes that stay unchanged for `'a`.
unsafe fn with_packed_labels<'a, R>(
    labels: *const c_char,
    len: usize,
    f: impl FnOnce(&[(&'a str, &'a str)]) -> R,
) -> Result<R, Fail> {
    let bad = |what: &str| Fail::new(AP_ERR_INVALID_ARGUMENT, format!("exemplar labels {what}"));
    let bytes: &'a [u8] = input_slice(labels.cast::<u8>(), len)?;
    let text = text(bytes).ok_or_else(|| bad("are not valid UTF-8"))?;
    // One pass over the bytes, a part ending at each NUL (a byte loop: the parts are short, and
    // a memchr per part cost more than the scan).
    const ON_STACK: usize = 8;
    let mut stack: [(&str, &str); ON_STACK] = [("", ""); ON_STACK];
    let mut more = Vec::new();
    let mut n = 0;
    // `pending`: a name read, its value not yet.
    let (mut start, mut pending) = (0, None);
    for (i, &b) in bytes.iter().enumerate() {
        if b != 0 {
            continue;
        }
        // A NUL is ASCII: `start` and `i` are character boundaries.
        let part = &text[start..i];
        start = i + 1;
        let Some(name) = pending.take() else {
            pending = Some(part);
            continue;
        };
        match stack.get_mut(n) {
            Some(pair) => *pair = (name, part),
            None => {
                if more.is_empty() {
                    more.extend_from_slice(&stack);
                }
                more.push((name, part));
            }
        }
        n += 1;
    }
    if start != bytes.len() {
        return Err(bad("must end in a NUL"));
    }
    if pending.is_some() {
        return Err(bad("must be name, value pairs, each followed by a NUL"));
    }
    Ok(f(if n <= ON_STACK { &stack[..n] } else { &more }))
}

/// As ap_counter_add_with_exemplar, with the labels packed in one buffer: `labels_len` bytes
/// at `labels` holding `name\0value\0` per label, one after another (no labels: length 0). For
/// a caller that has them so already (a language binding): no arrays of pointers, no string
/// lengths to find. Same checks and errors; AP_ERR_INVALID_ARGUMENT as well for bytes that are
/// not such pairs (a name without its value, a last part without its NUL). A label name or
/// value cannot hold a NUL here: the NUL ends it.
///
/// # Safety
/// `c` is NULL or a live handle; `labels` is NULL (only with `labels_len` 0) or holds
/// `labels_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_counter_add_with_exemplar_packed(
    c: *const crate::counter::ApCounter,
    n: u64,
    labels: *const c_char,
    labels_len: usize,
    timestamp_seconds: f64,
) -> ap_status {
    guard("ap_counter_add_with_exemplar_packed", || {
        // SAFETY: the caller guarantees `c` is NULL or a live counter handle for the whole call.
        let c = unsafe { borrow::<Counter, _>(c) }?;
        // SAFETY: `labels` is as `with_packed_labels` requires, by the # Safety above.
        let added = unsafe {
            with_packed_labels(labels, labels_len, |pairs| {
                c.add_with_exemplar(n, pairs, timestamp(timestamp_seconds))
            })
        }?;
        Ok(added?)
    })
}

/// As ap_histogram_record_with_exemplar, with the labels packed in one buffer as for
/// ap_counter_add_with_exemplar_packed. Errors: as ap_counter_add_with_exemplar_packed
/// (nothing is recorded then).
///
/// # Safety
/// `h` is NULL or a live handle; `labels` is NULL (only with `labels_len` 0) or holds
/// `labels_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_record_with_exemplar_packed(
    h: *const crate::histogram::ApHistogram,
    value: u64,
    labels: *const c_char,
    labels_len: usize,
    timestamp_seconds: f64,
) -> ap_status {
    guard("ap_histogram_record_with_exemplar_packed", || {
        // SAFETY: the caller guarantees `h` is NULL or a live histogram handle for the whole
        // call.
        let h = unsafe { borrow::<Histogram, _>(h) }?;
        // SAFETY: `labels` is as `with_packed_labels` requires, by the # Safety above.
        let recorded = unsafe {
            with_packed_labels(labels, labels_len, |pairs| {
                h.record_with_exemplar(value, pairs, timestamp(timestamp_seconds))
            })
        }?;
        Ok(recorded?)
    })
}
