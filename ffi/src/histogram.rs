use std::sync::Arc;

use atomicperf::Histogram;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, input_slice, present, Fail, Out};

/// A lock-free log-linear histogram of uint64_t values (nanoseconds by default). Quantiles are
/// within 10^-significant_figures of the true value; values above the highest trackable value are
/// clamped to it and counted by ap_histogram_overflow_count.
pub struct ApHistogram {
    _opaque: [u8; 0],
}

/// Creates an empty histogram with the default layout (2 significant figures, values 0 to 60 s
/// in ns, under 16 KiB). Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_histogram_new(out: *mut *mut ApHistogram) -> ap_status {
    guard("ap_histogram_new", || {
        Out::new(out)?.write(into_handle::<Histogram, _>(Arc::new(Histogram::new())))
    })
}

/// Creates an empty histogram of values 0 to `highest` with `significant_figures` (1 to 5).
/// Errors: AP_ERR_OUT_OF_RANGE for precision outside 1..5 or highest < 2; AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_histogram_new_with_precision(
    significant_figures: u32,
    highest: u64,
    out: *mut *mut ApHistogram,
) -> ap_status {
    guard("ap_histogram_new_with_precision", || {
        let out = Out::new(out)?;
        let figures = u8::try_from(significant_figures).unwrap_or(u8::MAX);
        out.write(into_handle::<Histogram, _>(Arc::new(
            Histogram::with_precision(figures, highest)?,
        )))
    })
}

/// Returns another owning handle to the same histogram (NULL for NULL). Free each handle once.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_clone(h: *const ApHistogram) -> *mut ApHistogram {
    // SAFETY: the caller guarantees `h` is NULL or a live histogram handle (# Safety above), which
    // is what `clone_handle` requires.
    unsafe { clone_handle::<Histogram, _>(h) }
}

/// Releases one owner's handle; the histogram is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `h` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_free(h: *mut ApHistogram) {
    // SAFETY: the caller guarantees `h` is NULL or a histogram handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Histogram, _>(h) }
}

/// Runs `f` on the histogram behind `h` as the API call `what`.
fn with(
    h: *const ApHistogram,
    what: &str,
    f: impl FnOnce(&Histogram) -> Result<(), Fail>,
) -> ap_status {
    // SAFETY: `h` is NULL or a live histogram handle for the whole call: the only callers are this
    // module's `unsafe extern "C" fn`s (directly or through `read`), whose # Safety requires
    // exactly that of the C caller; that is what `borrow` requires.
    guard(what, || f(unsafe { borrow::<Histogram, _>(h) }?))
}

/// Writes one statistic of the histogram behind `h` through `out`: handle checked first, then
/// the out-pointer, then the statistic itself (which may be AP_ERR_EMPTY or out of range).
fn read<T>(
    h: *const ApHistogram,
    out: *mut T,
    what: &str,
    f: impl FnOnce(&Histogram) -> Result<T, Fail>,
) -> ap_status {
    with(h, what, |h| {
        let out = Out::new(out)?;
        out.write(f(h)?)
    })
}

/// Records one value. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_record(h: *const ApHistogram, value: u64) -> ap_status {
    with(h, "ap_histogram_record", |h| {
        let _: () = h.record(value);
        Ok(())
    })
}

/// Records `value` as if `n` times. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_record_n(
    h: *const ApHistogram,
    value: u64,
    n: u64,
) -> ap_status {
    with(h, "ap_histogram_record_n", |h| {
        let _: () = h.record_n(value, n);
        Ok(())
    })
}

/// Records each of the `len` values at `values`, crossing the boundary once for all of them.
/// `values` may be NULL when len is 0. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `values` points to `len` readable uint64_t.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_record_many(
    h: *const ApHistogram,
    values: *const u64,
    len: usize,
) -> ap_status {
    with(h, "ap_histogram_record_many", |h| {
        h.record_many(input_slice(values, len)?);
        Ok(())
    })
}

/// Writes the number of recorded values to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_count(h: *const ApHistogram, out: *mut u64) -> ap_status {
    read(h, out, "ap_histogram_count", |h| Ok(h.count()))
}

/// Writes the sum of the recorded values (wrapping at 2^64) to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_sum(h: *const ApHistogram, out: *mut u64) -> ap_status {
    read(h, out, "ap_histogram_sum", |h| Ok(h.sum()))
}

/// Writes the smallest recorded value to *out.
/// Errors: AP_ERR_EMPTY when nothing was recorded (out untouched); AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_min(h: *const ApHistogram, out: *mut u64) -> ap_status {
    read(h, out, "ap_histogram_min", |h| present(h.min()))
}

/// Writes the largest recorded (clamped) value to *out.
/// Errors: AP_ERR_EMPTY when nothing was recorded (out untouched); AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_max(h: *const ApHistogram, out: *mut u64) -> ap_status {
    read(h, out, "ap_histogram_max", |h| present(h.max()))
}

/// Writes the arithmetic mean of the recorded values to *out.
/// Errors: AP_ERR_EMPTY when nothing was recorded; AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_mean(h: *const ApHistogram, out: *mut f64) -> ap_status {
    read(h, out, "ap_histogram_mean", |h| present(h.mean()))
}

/// Writes the value at quantile q (0 = min, 0.5 = median, 1 = max) to *out.
/// Errors: AP_ERR_OUT_OF_RANGE if q is NaN or outside [0, 1]; AP_ERR_EMPTY when nothing was
/// recorded; AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_quantile(
    h: *const ApHistogram,
    q: f64,
    out: *mut u64,
) -> ap_status {
    read(h, out, "ap_histogram_quantile", |h| present(h.quantile(q)?))
}

/// Writes how many values were above the highest trackable value (and clamped) to *out.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_overflow_count(
    h: *const ApHistogram,
    out: *mut u64,
) -> ap_status {
    read(h, out, "ap_histogram_overflow_count", |h| {
        Ok(h.overflow_count())
    })
}

/// Writes the bytes this histogram occupies to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_memory_bytes(
    h: *const ApHistogram,
    out: *mut usize,
) -> ap_status {
    read(
        h,
        out,
        "ap_histogram_memory_bytes",
        |h| Ok(h.memory_bytes()),
    )
}

/// Adds every value of `src` to `dst` (layouts may differ; see the Rust docs of merge).
/// `src` is unchanged. Errors: AP_ERR_NULL_HANDLE if either is NULL.
///
/// # Safety
/// `dst` and `src` are NULL or live handles.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_merge(
    dst: *const ApHistogram,
    src: *const ApHistogram,
) -> ap_status {
    with(dst, "ap_histogram_merge", |d| {
        // SAFETY: the caller guarantees `src` is NULL or a live histogram handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = d.merge(unsafe { borrow::<Histogram, _>(src) }?);
        Ok(())
    })
}

/// Empties the histogram. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_reset(h: *const ApHistogram) -> ap_status {
    with(h, "ap_histogram_reset", |h| {
        let _: () = h.reset();
        Ok(())
    })
}

/// Stores in *out a new, independent histogram holding a copy of `h`'s values now: read many
/// statistics from one moment. Free it with ap_histogram_free.
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_histogram_snapshot(
    h: *const ApHistogram,
    out: *mut *mut ApHistogram,
) -> ap_status {
    read(h, out, "ap_histogram_snapshot", |h| {
        Ok(into_handle::<Histogram, _>(Arc::new(
            Histogram::from_snapshot(&h.snapshot()),
        )))
    })
}
