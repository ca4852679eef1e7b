use std::ffi::c_char;
use std::sync::Arc;
use std::time::Duration;

use atomicperf::{HistogramConfig, Registry, Summary, SummaryConfig, SummaryOpts};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::registry::{lookup, ApRegistry};
use crate::status::{ap_status, guard, input_slice, present, Fail, Out};

/// Quantiles over a sliding window of time (client_golang's Summary: objectives over MaxAge,
/// sliding by AgeBuckets), with the count and sum of every value ever recorded. Recording is
/// lock-free and costs about a histogram record; quantiles are within the histogram's precision.
pub struct ApSummary {
    _opaque: [u8; 0],
}

/// How ap_summary_new and ap_registry_summary lay out a summary. Fill it with
/// ap_summary_options_default, then change what you need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ap_summary_options {
    /// The n_quantiles quantiles reported, each in [0, 1], none twice (any order). NULL with
    /// n_quantiles 0: none (only count and sum). Default 0.5, 0.9, 0.99 (a static array).
    pub quantiles: *const f64,
    /// Number of quantiles at `quantiles`.
    pub n_quantiles: usize,
    /// How long a value counts towards the quantiles, in nanoseconds (default 10 minutes).
    pub max_age_ns: u64,
    /// In how many steps the window slides: values leave it max_age_ns / age_buckets at a time
    /// (1 to 255, default 5; each step at least 1 ms).
    pub age_buckets: u32,
    /// Precision of the histograms, 1 to 5 (default 2: quantiles within 0.78%).
    pub significant_figures: u32,
    /// Highest trackable value; larger values are clamped to it (default 60 s in ns).
    pub highest: u64,
    /// For ap_registry_summary: exported value = recorded value × scale (default 1e-9: record
    /// nanoseconds, export seconds). Ignored by ap_summary_new.
    pub scale: f64,
}

static DEFAULT_QUANTILES: [f64; 3] = SummaryConfig::DEFAULT_QUANTILES;

/// Writes the default options (quantiles 0.5, 0.9, 0.99 over 10 minutes in 5 steps, 2
/// significant figures up to 60 s, scale 1e-9) to *out. Errors: AP_ERR_NULL_POINTER.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_options_default(out: *mut ap_summary_options) -> ap_status {
    guard("ap_summary_options_default", || {
        let c = SummaryConfig::default();
        Out::new(out)?.write(ap_summary_options {
            quantiles: DEFAULT_QUANTILES.as_ptr(),
            n_quantiles: DEFAULT_QUANTILES.len(),
            max_age_ns: u64::try_from(c.max_age.as_nanos()).unwrap_or(u64::MAX),
            age_buckets: c.age_buckets,
            significant_figures: u32::from(c.histogram.significant_figures()),
            highest: c.histogram.highest(),
            scale: 1e-9,
        })
    })
}

/// The registry options of `opts` (NULL: the defaults), checked.
///
/// # Safety
/// `opts` is NULL or readable, and its `quantiles` holds `n_quantiles` doubles.
unsafe fn opts_of(opts: *const ap_summary_options) -> Result<SummaryOpts, Fail> {
    // SAFETY: the caller guarantees `opts` is NULL or readable.
    let Some(o) = (unsafe { opts.as_ref() }) else {
        return Ok(SummaryOpts::default());
    };
    let figures = u8::try_from(o.significant_figures).unwrap_or(u8::MAX);
    let config = SummaryConfig {
        quantiles: input_slice(o.quantiles, o.n_quantiles)?.to_vec(),
        max_age: Duration::from_nanos(o.max_age_ns),
        age_buckets: o.age_buckets,
        histogram: HistogramConfig::new(figures, o.highest)?,
    }
    .checked()?;
    Ok(SummaryOpts {
        config,
        scale: o.scale,
    })
}

/// Creates an empty summary laid out by `opts` (NULL for the defaults) and stores its handle in
/// *out. Errors: AP_ERR_OUT_OF_RANGE for a quantile outside [0, 1] or NaN or given twice, age
/// buckets outside 1..255, max_age_ns / age_buckets under 1 ms, precision outside 1..5 or
/// highest < 2 (the message says which); AP_ERR_NULL_POINTER (also for NULL quantiles with
/// n_quantiles > 0).
///
/// # Safety
/// `opts` is NULL or readable, its `quantiles` holding n_quantiles doubles; `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_new(
    opts: *const ap_summary_options,
    out: *mut *mut ApSummary,
) -> ap_status {
    guard("ap_summary_new", || {
        let out = Out::new(out)?;
        // SAFETY: the caller guarantees `opts` as `opts_of` requires (# Safety above).
        let opts = unsafe { opts_of(opts) }?;
        out.write(into_handle::<Summary, _>(Arc::new(Summary::with_config(
            opts.config,
        )?)))
    })
}

/// Returns another owning handle to the same summary (NULL for NULL). Free each handle once.
///
/// # Safety
/// `s` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_clone(s: *const ApSummary) -> *mut ApSummary {
    // SAFETY: the caller guarantees `s` is NULL or a live summary handle (# Safety above).
    unsafe { clone_handle::<Summary, _>(s) }
}

/// Releases one owner's handle; the summary is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_free(s: *mut ApSummary) {
    // SAFETY: the caller guarantees `s` is NULL or a summary handle it owns and never uses again.
    unsafe { free_handle::<Summary, _>(s) }
}

/// Writes one statistic of the summary behind `s` through `out`: handle checked first, then the
/// out-pointer, then the statistic itself.
fn read<T>(
    s: *const ApSummary,
    out: *mut T,
    what: &str,
    f: impl FnOnce(&Summary) -> Result<T, Fail>,
) -> ap_status {
    guard(what, || {
        // SAFETY: `s` is NULL or a live summary handle for the whole call: the only callers are
        // this module's `unsafe extern "C" fn`s, whose # Safety requires exactly that.
        let s = unsafe { borrow::<Summary, _>(s) }?;
        let out = Out::new(out)?;
        out.write(f(s)?)
    })
}

/// Records one value (nanoseconds, for a duration). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `s` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_record(s: *const ApSummary, value: u64) -> ap_status {
    guard("ap_summary_record", || {
        // SAFETY: the caller guarantees `s` is NULL or a live summary handle (# Safety above).
        let _: () = unsafe { borrow::<Summary, _>(s) }?.record(value);
        Ok(())
    })
}

/// Writes the value at quantile q of the values in the window to *out.
/// Errors: AP_ERR_OUT_OF_RANGE if q is NaN or outside [0, 1]; AP_ERR_EMPTY when the window holds
/// no value (out untouched); AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_quantile(
    s: *const ApSummary,
    q: f64,
    out: *mut u64,
) -> ap_status {
    read(s, out, "ap_summary_quantile", |s| present(s.quantile(q)?))
}

/// Writes the number of values recorded since creation to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_count(s: *const ApSummary, out: *mut u64) -> ap_status {
    read(s, out, "ap_summary_count", |s| Ok(s.count()))
}

/// Writes the sum of the (clamped) values recorded since creation, wrapping at 2^64, to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_sum(s: *const ApSummary, out: *mut u64) -> ap_status {
    read(s, out, "ap_summary_sum", |s| Ok(s.sum()))
}

/// Writes the number of values in the window now to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `s` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_summary_window_count(s: *const ApSummary, out: *mut u64) -> ap_status {
    read(s, out, "ap_summary_window_count", |s| {
        Ok(s.window().count())
    })
}

/// As ap_registry_counter, for a summary laid out and exported by `opts` (NULL for the
/// defaults; used when the family is created, ignored for an existing one): exported as
/// `name{quantile="..."}` per quantile over the window, `name_sum` and `name_count` over all
/// time. The label `quantile` is reserved. Errors: as ap_registry_counter; as ap_summary_new for
/// bad options; AP_ERR_INVALID_ARGUMENT for a scale that is not positive and finite.
///
/// # Safety
/// As ap_registry_counter; `opts` is NULL or readable, its `quantiles` holding n_quantiles
/// doubles.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ap_registry_summary(
    r: *const ApRegistry,
    name: *const c_char,
    help: *const c_char,
    label_names: *const *const c_char,
    label_values: *const *const c_char,
    n_labels: usize,
    opts: *const ap_summary_options,
    out: *mut *mut ApSummary,
) -> ap_status {
    let what = "ap_registry_summary";
    // SAFETY: the caller guarantees `opts` as `opts_of` requires (# Safety above).
    let opts = match unsafe { opts_of(opts) } {
        Ok(opts) => opts,
        Err(fail) => return guard(what, || Err(fail)),
    };
    // SAFETY: the caller guarantees ap_registry_counter's contract, which `lookup` requires.
    unsafe {
        lookup::<Registry, _, Summary, _>(
            what,
            r,
            name,
            help,
            label_names,
            label_values,
            n_labels,
            out,
            |r, n, h, l| r.summary(n, h, l, &opts),
        )
    }
}
