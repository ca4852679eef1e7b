use std::ffi::c_void;
use std::sync::Arc;

use atomicperf::{NativeConfig, NativeHistogram, NativeOpts};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{
    ap_status, guard, input_slice, present, Fail, Out, AP_ERR_BUFFER_TOO_SMALL, AP_ERR_NULL_POINTER,
};

/// A lock-free histogram with the exponential buckets of Prometheus native histograms (a schema
/// from -4 to 8, neighbouring bucket boundaries a factor 2^(2^-schema) apart, and a zero bucket):
/// a value lands in the bucket client_golang puts it in.
pub struct ApNativeHistogram {
    _opaque: [u8; 0],
}

/// How ap_native_histogram_new lays out a native histogram. Fill it with
/// ap_native_options_default, then change what you need.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ap_native_options {
    /// -4 to 8 (default 3: boundaries a factor 2^(1/8) apart, a relative error of at most 9.05%
    /// anywhere in a bucket).
    pub schema: i32,
    /// Values of magnitude at most this count in the zero bucket (default 2^-128).
    pub zero_threshold: f64,
    /// Positive values from dense_lowest to dense_highest are kept in a fixed array of buckets
    /// (default 1e-9 to 3600: 1 ns to 1 h in seconds); others in tables allocated on first use.
    /// The range sets speed and memory only, never what is recorded.
    pub dense_lowest: f64,
    /// See dense_lowest.
    pub dense_highest: f64,
}

/// The state of a native histogram, as ap_native_histogram_snapshot reads it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ap_native_stats {
    /// The schema.
    pub schema: i32,
    /// The zero threshold.
    pub zero_threshold: f64,
    /// Values in the zero bucket.
    pub zero_count: u64,
    /// NaN values (counted, in no bucket).
    pub nan_count: u64,
    /// Every value recorded, NaN included.
    pub count: u64,
    /// Sum of the values.
    pub sum: f64,
}

/// One non-empty bucket: for a positive bucket, the values v with
/// bound(key - 1) < v <= bound(key), bound(k) = 2^(k * 2^-schema); a negative bucket holds the
/// values whose magnitude is in the positive bucket of that key.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct ap_native_bucket {
    /// The bucket's key.
    pub key: i32,
    /// 1 for a bucket of negative values, 0 for positive.
    pub negative: u32,
    /// Values in the bucket.
    pub count: u64,
}

/// The registry options of a native histogram family: `opts` (NULL for the defaults) and the
/// classic bucket bounds.
///
/// # Safety
/// `opts` is NULL or readable; `classic` holds n_classic doubles (or is NULL with 0).
pub(crate) unsafe fn native_opts(
    opts: *const ap_native_options,
    classic: *const f64,
    n_classic: usize,
) -> Result<NativeOpts, Fail> {
    // SAFETY: the caller guarantees `opts` is NULL or readable.
    let config = match unsafe { opts.as_ref() } {
        None => NativeConfig::default(),
        Some(o) => config_of(o)?,
    };
    Ok(NativeOpts {
        config,
        classic_buckets: input_slice(classic, n_classic)?.to_vec(),
    })
}

/// Where a native histogram's cells are, for a recorder in another language that writes the
/// dense buckets itself (the Go binding does): byte offsets from `base`, and the parameters of
/// the bucket-key function. Valid while a handle to the histogram it describes is alive. To
/// record `v` exactly as ap_native_histogram_record does:
///
/// 1. Decide first: if `v > zero_threshold` and `k - first_key` is not in [0, dense_count) for
///    `k = key(v)`, or if `v < -zero_threshold`, call ap_native_histogram_record instead and
///    stop.
/// 2. Add `v` to any one sum stripe: load it, compare-and-swap it to the bits of
///    `(double)old + v`, retry on failure.
/// 3. Add 1 (release or stronger) to dense cell `k - first_key` if `v > zero_threshold`, else
///    to the NaN cell if `v` is NaN, else to the zero cell.
///
/// `key(v)` for a positive finite `v = frac * 2^exp`, `frac` in [0.5, 1) (C's frexp), `s`
/// = schema: for `s > 0`, `cell` = the top `s + 2` bits of frac's 52-bit mantissa field,
/// `below = lookup[cell]`, plus 1 if `bounds[below] < frac`, and `key = below + (exp - 1) *
/// 2^s`; for `s <= 0`, `e = exp - 1` if `frac == 0.5` else `exp`, and `key = (e + 2^-s - 1) >>
/// -s` (arithmetic shift). +infinity is never dense. Never write a cell in any other way.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ap_native_cells {
    /// Start of the memory the cells live in.
    pub base: *mut c_void,
    /// Bytes from `base` to the zero bucket's count: atomic add only.
    pub zero_offset: usize,
    /// Bytes from `base` to the NaN count: atomic add only.
    pub nan_offset: usize,
    /// Bytes from `base` to sum stripe 0 (the bits of a double): compare-and-swap only.
    pub sum_offset: usize,
    /// Number of sum stripes: a power of two.
    pub sum_count: usize,
    /// Bytes from one sum stripe to the next: a multiple of 8.
    pub sum_stride: usize,
    /// Bytes from `base` to dense cell 0 (the bucket of key `first_key`); cell i is 8 * i
    /// bytes further: atomic add only.
    pub dense_offset: usize,
    /// Number of dense cells.
    pub dense_count: usize,
    /// The key of dense cell 0.
    pub first_key: i32,
    /// The schema.
    pub schema: i32,
    /// The zero threshold.
    pub zero_threshold: f64,
    /// The key function's cell table, lookup_len entries (none for schemas 0 and below).
    pub lookup: *const u16,
    /// Entries of `lookup`.
    pub lookup_len: usize,
    /// The key function's bounds, bounds_len entries (one past the last bound included).
    pub bounds: *const f64,
    /// Entries of `bounds`.
    pub bounds_len: usize,
}

/// Describes the histogram's cells in *out (see ap_native_cells).
/// Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_layout(
    h: *const ApNativeHistogram,
    out: *mut ap_native_cells,
) -> ap_status {
    with(h, "ap_native_histogram_layout", |h| {
        let out = Out::new(out)?;
        let l = h.cells_layout();
        out.write(ap_native_cells {
            base: h.cells_base().cast_mut().cast(),
            zero_offset: l.zero_offset,
            nan_offset: l.nan_offset,
            sum_offset: l.sum_offset,
            sum_count: l.sum_count,
            sum_stride: l.sum_stride,
            dense_offset: l.dense_offset,
            dense_count: l.dense_count,
            first_key: l.first_key,
            schema: i32::from(l.schema),
            zero_threshold: l.zero_threshold,
            lookup: l.lookup.as_ptr(),
            lookup_len: l.lookup.len(),
            bounds: l.bounds.as_ptr(),
            bounds_len: l.bounds.len(),
        })
    })
}

fn config_of(o: &ap_native_options) -> Result<NativeConfig, Fail> {
    let schema = i8::try_from(o.schema).unwrap_or(i8::MAX);
    Ok(NativeConfig::new(schema)?
        .with_zero_threshold(o.zero_threshold)?
        .with_dense_range(o.dense_lowest, o.dense_highest)?)
}

/// Writes the default options (schema 3, zero threshold 2^-128, dense from 1e-9 to 3600) to
/// *out. Errors: AP_ERR_NULL_POINTER.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_native_options_default(out: *mut ap_native_options) -> ap_status {
    guard("ap_native_options_default", || {
        let c = NativeConfig::default();
        let (dense_lowest, dense_highest) = c.dense_range();
        Out::new(out)?.write(ap_native_options {
            schema: i32::from(c.schema()),
            zero_threshold: c.zero_threshold(),
            dense_lowest,
            dense_highest,
        })
    })
}

/// Creates an empty native histogram laid out by `opts` (NULL for the defaults).
/// Errors: AP_ERR_OUT_OF_RANGE for a schema outside -4..8, a negative or non-finite zero
/// threshold, or a dense range that is not 0 < lowest <= highest (finite) over at most 65,536
/// buckets; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `opts` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_new(
    opts: *const ap_native_options,
    out: *mut *mut ApNativeHistogram,
) -> ap_status {
    guard("ap_native_histogram_new", || {
        let out = Out::new(out)?;
        // SAFETY: the caller guarantees `opts` is NULL or readable (# Safety above).
        let config = match unsafe { opts.as_ref() } {
            None => NativeConfig::default(),
            Some(o) => config_of(o)?,
        };
        out.write(into_handle::<NativeHistogram, _>(Arc::new(
            NativeHistogram::with_config(config),
        )))
    })
}

/// Returns another owning handle to the same histogram (NULL for NULL). Free each handle once.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_clone(
    h: *const ApNativeHistogram,
) -> *mut ApNativeHistogram {
    // SAFETY: the caller guarantees `h` is NULL or a live native histogram handle (# Safety
    // above), which is what `clone_handle` requires.
    unsafe { clone_handle::<NativeHistogram, _>(h) }
}

/// Releases one owner's handle; the histogram is freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `h` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_free(h: *mut ApNativeHistogram) {
    // SAFETY: the caller guarantees `h` is NULL or a native histogram handle it owns and never
    // uses again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<NativeHistogram, _>(h) }
}

/// Runs `f` on the histogram behind `h` as the API call `what`.
fn with(
    h: *const ApNativeHistogram,
    what: &str,
    f: impl FnOnce(&NativeHistogram) -> Result<(), Fail>,
) -> ap_status {
    // SAFETY: `h` is NULL or a live native histogram handle for the whole call: the only callers
    // are this module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C
    // caller; that is what `borrow` requires.
    guard(what, || f(unsafe { borrow::<NativeHistogram, _>(h) }?))
}

/// Records one value (any double: NaN is counted in no bucket, ±infinity in the bucket past the
/// largest finite value). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_record(
    h: *const ApNativeHistogram,
    value: f64,
) -> ap_status {
    with(h, "ap_native_histogram_record", |h| {
        h.record(value);
        Ok(())
    })
}

/// Records a duration of `nanos` nanoseconds, in seconds (the same double as Go's
/// time.Duration.Seconds()). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_record_nanos(
    h: *const ApNativeHistogram,
    nanos: u64,
) -> ap_status {
    with(h, "ap_native_histogram_record_nanos", |h| {
        h.record_nanos(nanos);
        Ok(())
    })
}

/// Writes the value at quantile q (0 to 1), estimated as Prometheus' histogram_quantile does
/// (exponential interpolation inside the bucket of that rank), to *out.
/// Errors: AP_ERR_OUT_OF_RANGE if q is NaN or outside [0, 1]; AP_ERR_EMPTY when nothing was
/// recorded; AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_quantile(
    h: *const ApNativeHistogram,
    q: f64,
    out: *mut f64,
) -> ap_status {
    with(h, "ap_native_histogram_quantile", |h| {
        let out = Out::new(out)?;
        out.write(present(h.quantile(q)?)?)
    })
}

/// Reads the histogram at one moment: its statistics to *stats, and its non-empty buckets
/// (negative ones first, then positive, each by key) to `buckets`, their number to *len.
/// `buckets` may be NULL when capacity is 0 (to learn *len).
/// Errors: AP_ERR_BUFFER_TOO_SMALL when capacity < *len (*stats and *len are written, the
/// buckets are not); AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `h` is NULL or a live handle; `stats` and `len` are NULL or writable; `buckets` holds
/// capacity writable ap_native_bucket.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_snapshot(
    h: *const ApNativeHistogram,
    stats: *mut ap_native_stats,
    buckets: *mut ap_native_bucket,
    capacity: usize,
    len: *mut usize,
) -> ap_status {
    with(h, "ap_native_histogram_snapshot", |h| {
        let (stats, len) = (Out::new(stats)?, Out::new(len)?);
        let s = h.snapshot();
        stats.write(ap_native_stats {
            schema: i32::from(s.schema()),
            zero_threshold: s.zero_threshold(),
            zero_count: s.zero_count(),
            nan_count: s.nan_count(),
            count: s.count(),
            sum: s.sum(),
        })?;
        let all: Vec<ap_native_bucket> = s
            .negative()
            .iter()
            .map(|&(key, count)| (key, 1, count))
            .chain(s.positive().iter().map(|&(key, count)| (key, 0, count)))
            .map(|(key, negative, count)| ap_native_bucket {
                key,
                negative,
                count,
            })
            .collect();
        len.write(all.len())?;
        if all.len() > capacity {
            return Err(Fail::new(
                AP_ERR_BUFFER_TOO_SMALL,
                format!("{} buckets, buffer holds {capacity}", all.len()),
            ));
        }
        if !all.is_empty() {
            if buckets.is_null() {
                return Err(Fail::new(AP_ERR_NULL_POINTER, "buckets is NULL"));
            }
            // SAFETY: `buckets` is non-null (checked above) and holds `capacity` writable
            // buckets by the caller's contract (# Safety above); all.len() <= capacity; `all` is
            // the library's own, so it cannot overlap `buckets`.
            unsafe { std::ptr::copy_nonoverlapping(all.as_ptr(), buckets, all.len()) };
        }
        Ok(())
    })
}

/// Adds every value of `src` to `dst` (a finer schema merges exactly; the zero buckets add up).
/// Errors: AP_ERR_INVALID_ARGUMENT if src's schema is coarser than dst's; AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `dst` and `src` are NULL or live handles.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_merge(
    dst: *const ApNativeHistogram,
    src: *const ApNativeHistogram,
) -> ap_status {
    with(dst, "ap_native_histogram_merge", |dst| {
        // SAFETY: the caller guarantees `src` is NULL or a live native histogram handle.
        let src = unsafe { borrow::<NativeHistogram, _>(src) }?;
        Ok(dst.merge(src)?)
    })
}

/// Sets every count and the sum back to zero. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_native_histogram_reset(h: *const ApNativeHistogram) -> ap_status {
    with(h, "ap_native_histogram_reset", |h| {
        h.reset();
        Ok(())
    })
}
