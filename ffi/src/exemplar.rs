use std::ffi::c_char;

use atomicperf::{Counter, Histogram};

use crate::handle::borrow;
use crate::registry::labels;
use crate::status::{ap_status, guard};

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
        // SAFETY: the label arrays are as `labels` requires, by the # Safety above.
        let pairs = unsafe { labels(names, values, n_labels) }?;
        Ok(c.add_with_exemplar(n, &pairs, timestamp(timestamp_seconds))?)
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
        // SAFETY: the label arrays are as `labels` requires, by the # Safety above.
        let pairs = unsafe { labels(names, values, n_labels) }?;
        Ok(h.record_with_exemplar(value, &pairs, timestamp(timestamp_seconds))?)
    })
}
