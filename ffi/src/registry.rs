use std::ffi::{c_char, CStr};
use std::sync::Arc;

use atomicperf::{
    Counter, Gauge, Histogram, HistogramOpts, MinMax, NativeHistogram, Registry, Timer,
};

use crate::counter::ApCounter;
use crate::gauge::ApGauge;
use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::histogram::ApHistogram;
use crate::minmax::ApMinMax;
use crate::native_histogram::{ap_native_options, native_opts, ApNativeHistogram};
use crate::status::{
    ap_status, guard, input_slice, Fail, Out, AP_ERR_BUFFER_TOO_SMALL, AP_ERR_INVALID_ARGUMENT,
    AP_ERR_NULL_POINTER, AP_ERR_OUT_OF_RANGE,
};
use crate::timer::ApTimer;

/// Named metrics with help text and labels, created on first use and shared afterwards, and
/// their export. The same name and label values give the same metric; another kind or another
/// label set for a name is AP_ERR_INVALID_ARGUMENT. Metric handles obtained from a registry are
/// ordinary owning handles: free them when done (the registry keeps its own reference).
pub struct ApRegistry {
    _opaque: [u8; 0],
}

/// Export format: Prometheus text exposition 0.0.4 (content type
/// "text/plain; version=0.0.4; charset=utf-8").
pub const AP_FORMAT_PROMETHEUS: u32 = 0;
/// Export format: OpenMetrics 1.0 text, ending with "# EOF".
pub const AP_FORMAT_OPENMETRICS: u32 = 1;
/// Export format: JSON (see the Rust docs of Registry::export_json for the schema).
pub const AP_FORMAT_JSON: u32 = 2;
/// Export format: the Prometheus protobuf exposition (length-delimited
/// io.prometheus.client.MetricFamily messages, content type
/// "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
/// encoding=delimited"), the only one that carries native histograms. Binary: use *len, not the
/// NUL the buffer protocol still appends.
pub const AP_FORMAT_PROTOBUF: u32 = 3;

/// Stores in *out a handle to the process-wide default registry (free it like any handle; the
/// registry itself lives as long as the process). Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_registry_default(out: *mut *mut ApRegistry) -> ap_status {
    guard("ap_registry_default", || {
        Out::new(out)?.write(into_handle::<Registry, _>(Registry::global().clone()))
    })
}

/// Stores in *out a handle to the process-wide registry called `name` (NUL-terminated UTF-8),
/// created on first use. Errors: AP_ERR_INVALID_ARGUMENT for invalid UTF-8; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_named(
    name: *const c_char,
    out: *mut *mut ApRegistry,
) -> ap_status {
    guard("ap_registry_named", || {
        let out = Out::new(out)?;
        // SAFETY: the caller guarantees `name` is NULL or a NUL-terminated string (# Safety above),
        // alive for this call, which is what `utf8` requires.
        let name = unsafe { utf8(name, "name") }?;
        out.write(into_handle::<Registry, _>(Registry::named(name)))
    })
}

/// Creates an empty, private registry. Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_registry_new(out: *mut *mut ApRegistry) -> ap_status {
    guard("ap_registry_new", || {
        Out::new(out)?.write(into_handle::<Registry, _>(Arc::new(Registry::new())))
    })
}

/// Returns another owning handle to the same registry (NULL for NULL). Free each handle once.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_clone(r: *const ApRegistry) -> *mut ApRegistry {
    // SAFETY: the caller guarantees `r` is NULL or a live registry handle (# Safety above), which
    // is what `clone_handle` requires.
    unsafe { clone_handle::<Registry, _>(r) }
}

/// Releases one owner's handle. NULL is a no-op.
///
/// # Safety
/// `r` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_free(r: *mut ApRegistry) {
    // SAFETY: the caller guarantees `r` is NULL or a registry handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Registry, _>(r) }
}

/// The UTF-8 text of a C string argument named `what` (for messages).
///
/// # Safety
/// `s` is NULL or a NUL-terminated string that stays valid and unchanged for `'a`.
pub(crate) unsafe fn utf8<'a>(s: *const c_char, what: &str) -> Result<&'a str, Fail> {
    if s.is_null() {
        return Err(Fail::new(AP_ERR_NULL_POINTER, format!("{what} is NULL")));
    }
    // SAFETY: checked non-null just above, so by the contract above `s` is a NUL-terminated
    // string valid for `'a`, which is what `CStr::from_ptr` requires.
    let s = unsafe { CStr::from_ptr(s) };
    text(s.to_bytes()).ok_or_else(|| {
        Fail::new(
            AP_ERR_INVALID_ARGUMENT,
            format!("{what} is not valid UTF-8"),
        )
    })
}

/// `bytes` as UTF-8 text, if they are. The usual string (a name, a hex trace id) is ASCII, which
/// `is_ascii` checks a word at a time, instead of the full decoder's byte-by-byte walk.
pub(crate) fn text(bytes: &[u8]) -> Option<&str> {
    if bytes.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// The `n` (name, value) label pairs from two parallel string arrays.
///
/// # Safety
/// `names` and `values` are each NULL or hold `n` pointers (NULL allowed only when `n` is 0), and
/// every one of those pointers is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn labels<'a>(
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
) -> Result<Vec<(&'a str, &'a str)>, Fail> {
    let names = input_slice(names, n)?;
    let values = input_slice(values, n)?;
    names
        .iter()
        .zip(values)
        .map(|(&k, &v)| {
            // SAFETY: `k` is an element of `names`: NULL or a NUL-terminated string valid for
            // `'a` by the contract above, which is what `utf8` requires.
            let name = unsafe { utf8(k, "label name") }?;
            // SAFETY: `v` is an element of `values`, with the same guarantee as `k`.
            let value = unsafe { utf8(v, "label value") }?;
            Ok((name, value))
        })
        .collect()
}

/// As [`labels`], but the pairs of a set of up to 8 (an exemplar's trace_id and span_id) are
/// built on the stack instead of in a Vec, and handed to `f`: a hot call (a record with an
/// exemplar) allocates nothing here. Same checks, in the same order.
///
/// # Safety
/// As [`labels`].
pub(crate) unsafe fn with_labels<'a, R>(
    names: *const *const c_char,
    values: *const *const c_char,
    n: usize,
    f: impl FnOnce(&[(&'a str, &'a str)]) -> R,
) -> Result<R, Fail> {
    const ON_STACK: usize = 8;
    if n > ON_STACK {
        // SAFETY: this function's contract is `labels`'.
        return Ok(f(&unsafe { labels(names, values, n) }?));
    }
    let names = input_slice(names, n)?;
    let values = input_slice(values, n)?;
    let mut pairs: [(&str, &str); ON_STACK] = [("", ""); ON_STACK];
    for (pair, (&k, &v)) in pairs.iter_mut().zip(names.iter().zip(values)) {
        // SAFETY: `k` and `v` are elements of `names` and `values`: NULL or NUL-terminated
        // strings valid for `'a` by the contract above, which is what `utf8` requires.
        *pair = unsafe { (utf8(k, "label name")?, utf8(v, "label value")?) };
    }
    Ok(f(&pairs[..n]))
}

/// Shared body of the get-or-create calls of both registries (`R`: [`Registry`] or
/// `SharedRegistry`, behind handle type `RH`): arguments checked in order (registry, out,
/// strings), then the metric looked up or created and a new owning handle written to *out.
///
/// # Safety
/// The contract of ap_registry_counter: `r` is NULL or a live handle of an `R`; `name` and `help`
/// are NULL or NUL-terminated; the label arrays hold `n_labels` pointers, each NULL or
/// NUL-terminated; `out` is NULL or writable.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn lookup<R, RH, T, H>(
    what: &str,
    r: *const RH,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut H,
    get: impl FnOnce(&R, &str, &str, &[(&str, &str)]) -> Result<Arc<T>, atomicperf::Error>,
) -> ap_status {
    guard(what, || {
        // SAFETY: `r` is NULL or a live handle of an `R` for the whole call (the contract above),
        // which is what `borrow` requires.
        let registry = unsafe { borrow::<R, RH>(r) }?;
        let out = Out::new(out)?;
        // SAFETY: `name` and `help` are NULL or NUL-terminated strings, alive for this call (the
        // contract above), which is what `utf8` requires.
        let (name, help) = unsafe { (utf8(name, "name")?, utf8(help, "help")?) };
        // SAFETY: the label arrays are as `labels` requires, by the contract above.
        let labels = unsafe { labels(label_names, label_values, n_labels) }?;
        out.write(into_handle::<T, H>(get(registry, name, help, &labels)?))
    })
}

/// Stores in *out an owning handle to the counter `name` with the `n_labels` labels
/// label_names[i] = label_values[i] (any order), creating it if absent. `help` is kept from the
/// first registration. Errors: AP_ERR_INVALID_ARGUMENT for a name or label name outside the
/// Prometheus data model, a label given twice, a name registered as another kind or with other
/// label names, or strings that are not UTF-8 (nothing is registered then); AP_ERR_NULL_HANDLE;
/// AP_ERR_NULL_POINTER for NULL strings, arrays (with n_labels > 0) or out.
///
/// # Safety
/// `r` is NULL or a live handle; strings are NULL or NUL-terminated; the label arrays hold
/// n_labels pointers; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_counter(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApCounter,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above (registry handle, strings, label arrays,
    // out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, Counter, _>(
            "ap_registry_counter",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.counter(n, h, l),
        )
    }
}

/// As ap_registry_counter, for a gauge.
///
/// # Safety
/// As ap_registry_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_gauge(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApGauge,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, ap_registry_counter's (registry handle,
    // strings, label arrays, out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, Gauge, _>(
            "ap_registry_gauge",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.gauge(n, h, l),
        )
    }
}

/// As ap_registry_counter, for a histogram. A new family is exported with the `n_buckets`
/// increasing bounds at `buckets` (in exported units) and exported value = recorded × `scale`;
/// n_buckets 0 and scale 0 select Prometheus' default buckets and 1e-9 (record nanoseconds,
/// export seconds). Both are ignored for an existing family. Errors: as ap_registry_counter, and
/// AP_ERR_INVALID_ARGUMENT for bounds that are not finite and increasing or a negative scale.
///
/// # Safety
/// As ap_registry_counter; `buckets` holds n_buckets doubles.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_histogram(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    buckets: *const f64,
    n_buckets: usize,
    scale: f64,
    out: *mut *mut ApHistogram,
) -> ap_status {
    let opts = match histogram_opts(buckets, n_buckets, scale) {
        Ok(opts) => opts,
        Err(fail) => return guard("ap_registry_histogram", || Err(fail)),
    };
    // SAFETY: the caller guarantees the # Safety above, ap_registry_counter's (registry handle,
    // strings, label arrays, out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, Histogram, _>(
            "ap_registry_histogram",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.histogram(n, h, l, &opts),
        )
    }
}

/// As ap_registry_counter, for a native histogram (see ap_native_histogram_new) laid out by
/// `opts` (NULL for the defaults), with the `n_classic` increasing bounds at `classic` exported
/// as classic `le` buckets beside the native ones (0: none). Both are ignored for an existing
/// family. Errors: as ap_registry_counter; AP_ERR_OUT_OF_RANGE for bad options (as
/// ap_native_histogram_new); AP_ERR_INVALID_ARGUMENT for classic bounds that are not finite and
/// increasing.
///
/// # Safety
/// As ap_registry_counter; `opts` is NULL or readable; `classic` holds n_classic doubles.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_native_histogram(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    opts: *const ap_native_options,
    classic: *const f64,
    n_classic: usize,
    out: *mut *mut ApNativeHistogram,
) -> ap_status {
    let what = "ap_registry_native_histogram";
    // SAFETY: the caller guarantees `opts` is NULL or readable and `classic` holds n_classic
    // doubles (# Safety above), which is what `native_opts` requires.
    let opts = match unsafe { native_opts(opts, classic, n_classic) } {
        Ok(opts) => opts,
        Err(fail) => return guard(what, || Err(fail)),
    };
    // SAFETY: the caller guarantees the # Safety above, ap_registry_counter's (registry handle,
    // strings, label arrays, out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, NativeHistogram, _>(
            what,
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.native_histogram(n, h, l, &opts),
        )
    }
}

/// The export options of a new histogram family: `n_buckets` bounds at `buckets` (0: Prometheus'
/// defaults) and `scale` (0: 1e-9).
pub(crate) fn histogram_opts(
    buckets: *const f64,
    n_buckets: usize,
    scale: f64,
) -> Result<HistogramOpts, Fail> {
    let b = input_slice(buckets, n_buckets)?;
    let mut opts = HistogramOpts::default();
    if !b.is_empty() {
        opts.buckets = b.to_vec();
    }
    if scale != 0.0 {
        opts.scale = scale;
    }
    Ok(opts)
}

/// As ap_registry_counter, for a timer (exported as a histogram of seconds `name` and a counter
/// `name_errors_total`).
///
/// # Safety
/// As ap_registry_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_timer(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApTimer,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, ap_registry_counter's (registry handle,
    // strings, label arrays, out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, Timer, _>(
            "ap_registry_timer",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.timer(n, h, l),
        )
    }
}

/// As ap_registry_counter, for a min/max (exported as gauges `name_min` and `name_max`).
///
/// # Safety
/// As ap_registry_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_minmax(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    out: *mut *mut ApMinMax,
) -> ap_status {
    // SAFETY: the caller guarantees the # Safety above, ap_registry_counter's (registry handle,
    // strings, label arrays, out-pointer), which is the contract `lookup` requires.
    unsafe {
        lookup::<Registry, _, MinMax, _>(
            "ap_registry_minmax",
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.minmax(n, h, l),
        )
    }
}

/// Writes the registry's exposition in `format` (AP_FORMAT_PROMETHEUS, AP_FORMAT_OPENMETRICS,
/// AP_FORMAT_JSON or AP_FORMAT_PROTOBUF) into `buf` followed by a NUL; its length without the
/// NUL goes to *len. Errors: AP_ERR_BUFFER_TOO_SMALL when capacity < *len + 1 (*len is set: retry with
/// *len + 1 bytes; output can grow between calls); AP_ERR_OUT_OF_RANGE for another format;
/// AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `buf` holds capacity bytes; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_export(
    r: *const ApRegistry,
    format: u32,
    buf: *mut c_char,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    guard("ap_registry_export", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        let len = Out::new(len)?;
        let bytes = match format {
            AP_FORMAT_PROMETHEUS => registry.export_prometheus().into_bytes(),
            AP_FORMAT_OPENMETRICS => registry.export_openmetrics().into_bytes(),
            AP_FORMAT_JSON => registry.export_json().into_bytes(),
            AP_FORMAT_PROTOBUF => registry.export_protobuf(),
            other => return Err(unknown_format(other)),
        };
        // SAFETY: `buf` holds `capacity` writable bytes or is NULL (# Safety above), which is
        // what `write_text` requires.
        unsafe { write_text(&bytes, buf, capacity, len) }
    })
}

/// Writes to *format the AP_FORMAT_* to answer a scrape whose Accept header is `accept` with:
/// the supported media range with the highest q (the first of equals), as Prometheus
/// negotiates: AP_FORMAT_PROTOBUF for "application/vnd.google.protobuf" with
/// proto=io.prometheus.client.MetricFamily and encoding=delimited, AP_FORMAT_OPENMETRICS for
/// "application/openmetrics-text", AP_FORMAT_PROMETHEUS for "text/plain", "*/*", an empty or an
/// unsupported header (NULL counts as empty). Errors: AP_ERR_INVALID_ARGUMENT for a header that
/// is not UTF-8; AP_ERR_NULL_POINTER for a NULL `format`.
///
/// # Safety
/// `accept` is NULL or NUL-terminated; `format` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_negotiate(accept: *const c_char, format: *mut u32) -> ap_status {
    guard("ap_negotiate", || {
        let out = Out::new(format)?;
        let accept = if accept.is_null() {
            ""
        } else {
            // SAFETY: non-null, so NUL-terminated and alive for the call (# Safety above).
            unsafe { utf8(accept, "accept") }?
        };
        out.write(match atomicperf::negotiate(accept) {
            atomicperf::ExportFormat::Prometheus => AP_FORMAT_PROMETHEUS,
            atomicperf::ExportFormat::OpenMetrics => AP_FORMAT_OPENMETRICS,
            atomicperf::ExportFormat::Protobuf => AP_FORMAT_PROTOBUF,
        })
    })
}

/// The error for an export format that is not one of the AP_FORMAT_* constants.
pub(crate) fn unknown_format(format: u32) -> Fail {
    Fail::new(AP_ERR_OUT_OF_RANGE, format!("unknown format {format}"))
}

/// Writes `text` and a NUL into `buf` and its length to `len`, as ap_registry_export documents.
///
/// # Safety
/// `buf` is NULL or holds `capacity` writable bytes.
pub(crate) unsafe fn write_text(
    text: &[u8],
    buf: *mut c_char,
    capacity: usize,
    len: Out<usize>,
) -> Result<(), Fail> {
    len.write(text.len())?;
    if capacity < text.len() + 1 {
        return Err(Fail::new(
            AP_ERR_BUFFER_TOO_SMALL,
            format!(
                "{} bytes needed with the NUL, buffer holds {capacity}",
                text.len() + 1
            ),
        ));
    }
    if buf.is_null() {
        return Err(Fail::new(AP_ERR_NULL_POINTER, "buffer is NULL"));
    }
    // SAFETY: `buf` is non-null (checked above) and holds `capacity` writable bytes by the
    // # Safety above; capacity >= text.len() + 1 (checked above), so the bytes and the NUL
    // fit; a fresh export cannot overlap the caller's buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    Ok(())
}

/// Caps the number of series (one per name and label values) the registry holds; 0 removes the
/// cap. Creating a series past the cap fails with AP_ERR_INVALID_ARGUMENT (existing series keep
/// working) and is counted (see ap_registry_series_stats). A label with unbounded values (a user
/// id, a URL) otherwise grows memory without end. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_set_series_limit(
    r: *const ApRegistry,
    limit: u64,
) -> ap_status {
    guard("ap_registry_set_series_limit", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        registry.set_series_limit(match limit {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        });
        Ok(())
    })
}

/// Writes the registry's number of series to *series, its cap (0: none) to *limit and the number
/// of series refused by the cap so far to *refused. Errors: AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; the out-pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_series_stats(
    r: *const ApRegistry,
    series: *mut u64,
    limit: *mut u64,
    refused: *mut u64,
) -> ap_status {
    guard("ap_registry_series_stats", || {
        let (series, limit, refused) = (Out::new(series)?, Out::new(limit)?, Out::new(refused)?);
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        series.write(registry.series_count() as u64)?;
        limit.write(registry.series_limit().map_or(0, |n| n as u64))?;
        refused.write(registry.refused_series())
    })
}

/// Removes the series of family `name` with the `n_labels` labels label_names[i] =
/// label_values[i] (any order), and writes 1 to *removed if there was one, else 0 (also for no
/// such family). A removed series is no longer exported; handles to it that callers hold keep
/// working (their updates are never exported again) and its memory is freed when the last is
/// freed; looking it up again creates a new series from zero. Errors: AP_ERR_INVALID_ARGUMENT
/// if the label names are not the family's, or strings that are not UTF-8; AP_ERR_NULL_HANDLE;
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `name` is NULL or NUL-terminated; the label arrays hold
/// n_labels pointers, each NULL or NUL-terminated; `removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_remove(
    r: *const ApRegistry,
    name: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    removed: *mut u8,
) -> ap_status {
    guard("ap_registry_remove", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        let removed = Out::new(removed)?;
        // SAFETY: `name` is NULL or NUL-terminated, alive for this call (# Safety above).
        let name = unsafe { utf8(name, "name") }?;
        // SAFETY: the label arrays are as `labels` requires, by the # Safety above.
        let labels = unsafe { labels(label_names, label_values, n_labels) }?;
        removed.write(u8::from(registry.remove(name, &labels)?))
    })
}

/// Removes every series of family `name` (the family stays registered) and writes how many
/// there were to *removed (0 for no such family). Errors: AP_ERR_INVALID_ARGUMENT for a name
/// that is not UTF-8; AP_ERR_NULL_HANDLE; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `name` is NULL or NUL-terminated; `removed` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_clear_family(
    r: *const ApRegistry,
    name: *const c_char,
    removed: *mut u64,
) -> ap_status {
    guard("ap_registry_clear_family", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        let removed = Out::new(removed)?;
        // SAFETY: `name` is NULL or NUL-terminated, alive for this call (# Safety above).
        let name = unsafe { utf8(name, "name") }?;
        removed.write(registry.clear_family(name) as u64)
    })
}

/// Removes every series of every family (the families stay registered) and writes how many
/// there were to *removed. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `removed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_clear(r: *const ApRegistry, removed: *mut u64) -> ap_status {
    guard("ap_registry_clear", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        let removed = Out::new(removed)?;
        removed.write(registry.clear() as u64)
    })
}

/// Writes to *cell the address of the registry's removal count: a uint64_t that grows whenever
/// series are removed, after they are gone. A cache of looked-up handles loads it (atomically,
/// acquire or stronger) before a look-up, and keeps the handle it got only while the count is
/// unchanged. Load only, never write; valid while the handle or a clone of it is alive.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `cell` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_removals_cell(
    r: *const ApRegistry,
    cell: *mut *const u64,
) -> ap_status {
    guard("ap_registry_removals_cell", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        let cell = Out::new(cell)?;
        cell.write(registry.removals_cell().as_ptr().cast_const())
    })
}

/// Adds the process metrics every Prometheus client exports to the registry, read from /proc at
/// each export and never in between: process_cpu_seconds_total (a counter),
/// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
/// process_max_fds and process_start_time_seconds (gauges). Their names are taken: a family of
/// the registry's own whose exported names meet them is refused afterwards. Calling it again
/// does nothing. Errors: AP_ERR_INVALID_ARGUMENT on a platform other than Linux (no /proc), or
/// if the registry already has a family whose exported names meet theirs (nothing is
/// registered then); AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_registry_register_process_metrics(r: *const ApRegistry) -> ap_status {
    guard("ap_registry_register_process_metrics", || {
        // SAFETY: the caller guarantees `r` is NULL or a live registry handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let registry = unsafe { borrow::<Registry, _>(r) }?;
        Ok(registry.register_process_metrics()?)
    })
}
