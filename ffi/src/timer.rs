use std::sync::Arc;

use atomicperf::{Timer, TimerSnapshot};

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, present, Fail, Out};

/// Execution metrics of one operation (a rule, a handler, a query): count, errors, total, min and
/// max duration and a histogram of durations, updated without a lock. Durations in nanoseconds.
pub struct ApTimer {
    _opaque: [u8; 0],
}

/// Every statistic of a timer from one moment. When `count` is 0 the duration fields are 0.
#[repr(C)]
pub struct ap_timer_stats {
    /// Executions recorded.
    pub count: u64,
    /// Executions recorded as errors.
    pub errors: u64,
    /// Total duration, ns.
    pub total_ns: u64,
    /// Shortest duration, ns.
    pub min_ns: u64,
    /// Longest duration, ns.
    pub max_ns: u64,
    /// Mean duration, ns.
    pub mean_ns: f64,
    /// Median duration, ns.
    pub p50_ns: u64,
    /// 90th percentile, ns.
    pub p90_ns: u64,
    /// 99th percentile, ns.
    pub p99_ns: u64,
    /// 99.9th percentile, ns.
    pub p999_ns: u64,
}

/// Creates a timer (histogram of 2 significant figures up to 60 s) and stores its handle in *out.
/// Errors: AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_timer_new(out: *mut *mut ApTimer) -> ap_status {
    guard("ap_timer_new", || {
        Out::new(out)?.write(into_handle::<Timer, _>(Arc::new(Timer::new())))
    })
}

/// Creates a timer whose duration histogram has `significant_figures` (1 to 5) up to
/// `highest_ns`. Errors: AP_ERR_OUT_OF_RANGE as ap_histogram_new_with_precision;
/// AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_timer_new_with_precision(
    significant_figures: u32,
    highest_ns: u64,
    out: *mut *mut ApTimer,
) -> ap_status {
    guard("ap_timer_new_with_precision", || {
        let out = Out::new(out)?;
        let figures = u8::try_from(significant_figures).unwrap_or(u8::MAX);
        let config = atomicperf::HistogramConfig::new(figures, highest_ns)?;
        out.write(into_handle::<Timer, _>(Arc::new(Timer::with_config(
            config,
        ))))
    })
}

/// Returns another owning handle to the same timer (NULL for NULL). Free each handle once.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_clone(t: *const ApTimer) -> *mut ApTimer {
    // SAFETY: the caller guarantees `t` is NULL or a live timer handle (# Safety above), which is
    // what `clone_handle` requires.
    unsafe { clone_handle::<Timer, _>(t) }
}

/// Releases one owner's handle; freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `t` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_free(t: *mut ApTimer) {
    // SAFETY: the caller guarantees `t` is NULL or a timer handle it owns and never uses again
    // (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<Timer, _>(t) }
}

/// Records one execution of `duration_ns`; `ok == false` also counts it as an error.
/// Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_record(
    t: *const ApTimer,
    duration_ns: u64,
    ok: bool,
) -> ap_status {
    guard("ap_timer_record", || {
        // SAFETY: the caller guarantees `t` is NULL or a live timer handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<Timer, _>(t) }?.record_nanos(duration_ns, ok);
        Ok(())
    })
}

/// Writes every statistic, from one moment, to *out. Errors: AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_snapshot(
    t: *const ApTimer,
    out: *mut ap_timer_stats,
) -> ap_status {
    guard("ap_timer_snapshot", || {
        // SAFETY: the caller guarantees `t` is NULL or a live timer handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let t = unsafe { borrow::<Timer, _>(t) }?;
        let out = Out::new(out)?;
        let s = t.snapshot();
        out.write(stats(&s)?)
    })
}

fn stats(s: &TimerSnapshot) -> Result<ap_timer_stats, Fail> {
    let q = |q: f64| -> Result<u64, Fail> { Ok(s.quantile(q)?.unwrap_or(0)) };
    Ok(ap_timer_stats {
        count: s.count(),
        errors: s.errors(),
        total_ns: s.total(),
        min_ns: s.min().unwrap_or(0),
        max_ns: s.max().unwrap_or(0),
        mean_ns: s.mean().unwrap_or(0.0),
        p50_ns: q(0.5)?,
        p90_ns: q(0.9)?,
        p99_ns: q(0.99)?,
        p999_ns: q(0.999)?,
    })
}

/// Writes the duration at quantile q (0 to 1) to *out. Errors: AP_ERR_OUT_OF_RANGE for q outside
/// [0, 1] or NaN; AP_ERR_EMPTY when nothing was recorded; AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `t` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_quantile(t: *const ApTimer, q: f64, out: *mut u64) -> ap_status {
    guard("ap_timer_quantile", || {
        // SAFETY: the caller guarantees `t` is NULL or a live timer handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let t = unsafe { borrow::<Timer, _>(t) }?;
        let out = Out::new(out)?;
        out.write(present(t.quantile(q)?)?)
    })
}

/// Forgets everything recorded. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `t` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_timer_reset(t: *const ApTimer) -> ap_status {
    guard("ap_timer_reset", || {
        // SAFETY: the caller guarantees `t` is NULL or a live timer handle for the whole call
        // (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<Timer, _>(t) }?.reset();
        Ok(())
    })
}
