use std::sync::Arc;
use std::time::Duration;

use atomicperf::ThroughputWindow;

use crate::handle::{borrow, clone_handle, free_handle, into_handle};
use crate::status::{ap_status, guard, Out};

/// Events per second over a sliding window of time buckets, with SLA accounting: events whose
/// latency exceeds a threshold count as violations.
pub struct ApThroughputWindow {
    _opaque: [u8; 0],
}

/// What a throughput window saw over its current window.
#[repr(C)]
pub struct ap_window_stats {
    /// Events in the window.
    pub events: u64,
    /// Events whose latency exceeded the SLA threshold.
    pub violations: u64,
    /// Events per second over the covered time.
    pub events_per_second: f64,
    /// violations / events (0 without events).
    pub violation_ratio: f64,
    /// Time the window covers, ns: its length, or its age while younger.
    pub covered_ns: u64,
}

/// Creates a window of `window_ns` split into `buckets`, counting a violation for latencies above
/// `sla_ns`, timed by the monotonic clock. Errors: AP_ERR_OUT_OF_RANGE for zero buckets or more
/// than 2^20, a zero window or buckets shorter than 1 ns; AP_ERR_NULL_POINTER.
#[no_mangle]
pub extern "C" fn ap_throughput_window_new(
    window_ns: u64,
    buckets: usize,
    sla_ns: u64,
    out: *mut *mut ApThroughputWindow,
) -> ap_status {
    guard("ap_throughput_window_new", || {
        let out = Out::new(out)?;
        let w = ThroughputWindow::new(
            Duration::from_nanos(window_ns),
            buckets,
            Duration::from_nanos(sla_ns),
        )?;
        out.write(into_handle::<ThroughputWindow, _>(Arc::new(w)))
    })
}

/// Returns another owning handle to the same window (NULL for NULL). Free each handle once.
///
/// # Safety
/// `w` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_throughput_window_clone(
    w: *const ApThroughputWindow,
) -> *mut ApThroughputWindow {
    // SAFETY: the caller guarantees `w` is NULL or a live throughput window handle (# Safety
    // above), which is what `clone_handle` requires.
    unsafe { clone_handle::<ThroughputWindow, _>(w) }
}

/// Releases one owner's handle; freed with its last handle. NULL is a no-op.
///
/// # Safety
/// `w` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_throughput_window_free(w: *mut ApThroughputWindow) {
    // SAFETY: the caller guarantees `w` is NULL or a throughput window handle it owns and never
    // uses again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<ThroughputWindow, _>(w) }
}

/// Counts one event of `latency_ns` (a violation if above the SLA). Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `w` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_throughput_window_record(
    w: *const ApThroughputWindow,
    latency_ns: u64,
) -> ap_status {
    guard("ap_throughput_window_record", || {
        // SAFETY: the caller guarantees `w` is NULL or a live throughput window handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<ThroughputWindow, _>(w) }?.record_nanos(latency_ns);
        Ok(())
    })
}

/// Writes the window's statistics to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `w` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_throughput_window_stats(
    w: *const ApThroughputWindow,
    out: *mut ap_window_stats,
) -> ap_status {
    guard("ap_throughput_window_stats", || {
        // SAFETY: the caller guarantees `w` is NULL or a live throughput window handle for the
        // whole call (# Safety above), which is what `borrow` requires.
        let w = unsafe { borrow::<ThroughputWindow, _>(w) }?;
        let out = Out::new(out)?;
        let s = w.stats();
        out.write(ap_window_stats {
            events: s.events,
            violations: s.violations,
            events_per_second: s.events_per_second,
            violation_ratio: s.violation_ratio,
            covered_ns: u64::try_from(s.covered.as_nanos()).unwrap_or(u64::MAX),
        })
    })
}
