use std::sync::Arc;
use std::time::Duration;

use atomicperf::{
    AnyAsyncRecorder, AsyncConfig, AsyncEvent, Counter, Gauge, GaugeOp, Histogram, MinMax,
    Overflow, Recorded, Timer,
};

use crate::counter::ApCounter;
use crate::gauge::ApGauge;
use crate::handle::{borrow, clone_handle, free_handle, into_handle, share};
use crate::histogram::ApHistogram;
use crate::minmax::ApMinMax;
use crate::status::{ap_status, guard, Fail, Out, AP_ERR_OUT_OF_RANGE};
use crate::timer::ApTimer;

/// A bounded queue in front of one metric, applied by worker threads in batches. Recording
/// costs a queue push instead of the metric update. Freeing the last handle closes it (drains the
/// queue and joins the workers).
pub struct ApAsyncRecorder {
    _opaque: [u8; 0],
}

/// Full queue: drop the event and count it (the caller never waits).
pub const AP_OVERFLOW_DROP: u32 = 0;
/// Full queue: wait for room.
pub const AP_OVERFLOW_BLOCK: u32 = 1;

/// Gauge operation: set.
pub const AP_GAUGE_SET: u32 = 0;
/// Gauge operation: add (negative to subtract).
pub const AP_GAUGE_ADD: u32 = 1;
/// Gauge operation: raise to the value if greater.
pub const AP_GAUGE_SET_MAX: u32 = 2;
/// Gauge operation: lower to the value if smaller.
pub const AP_GAUGE_SET_MIN: u32 = 3;

/// Configuration of an async recorder. Pass NULL for the defaults: capacity 65536, 1 worker,
/// batches of 256, AP_OVERFLOW_DROP. Capacity is at most 2^24 and workers at most 256.
#[repr(C)]
pub struct ap_async_config {
    /// Events the queue holds (at least 1).
    pub capacity: usize,
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Most events a worker applies per wake-up (at least 1).
    pub batch: usize,
    /// AP_OVERFLOW_DROP or AP_OVERFLOW_BLOCK.
    pub overflow: u32,
}

/// Counts of an async recorder. Once a flush returned true with no concurrent recorders,
/// applied + dropped == enqueued.
#[repr(C)]
pub struct ap_async_stats {
    /// Events offered: queued plus dropped.
    pub enqueued: u64,
    /// Events applied to the metric.
    pub applied: u64,
    /// Events dropped on a full queue (drop mode).
    pub dropped: u64,
    /// Whether ap_async_recorder_close was called.
    pub closed: bool,
}

/// The core's configuration for an optional C one (NULL: the defaults).
///
/// # Safety
/// `c` is NULL or points to a readable, initialised `ap_async_config`.
unsafe fn config(c: *const ap_async_config) -> Result<AsyncConfig, Fail> {
    // SAFETY: the contract above: NULL (None here) or readable, and `as_ref` checks for NULL.
    let Some(c) = (unsafe { c.as_ref() }) else {
        return Ok(AsyncConfig::default());
    };
    let overflow = match c.overflow {
        AP_OVERFLOW_DROP => Overflow::Drop,
        AP_OVERFLOW_BLOCK => Overflow::Block,
        other => {
            return Err(Fail::new(
                AP_ERR_OUT_OF_RANGE,
                format!("overflow must be AP_OVERFLOW_DROP or AP_OVERFLOW_BLOCK, got {other}"),
            ))
        }
    };
    Ok(AsyncConfig {
        capacity: c.capacity,
        workers: c.workers,
        batch: c.batch,
        overflow,
    })
}

fn create(
    what: &str,
    out: *mut *mut ApAsyncRecorder,
    make: impl FnOnce() -> Result<AnyAsyncRecorder, Fail>,
) -> ap_status {
    guard(what, || {
        let out = Out::new(out)?;
        out.write(into_handle::<AnyAsyncRecorder, _>(Arc::new(make()?)))
    })
}

/// Starts a recorder in front of a counter (events: amounts to add, ap_async_recorder_record).
/// `config` may be NULL. Errors: AP_ERR_NULL_HANDLE; AP_ERR_OUT_OF_RANGE for a zero capacity,
/// workers or batch or an unknown overflow; AP_ERR_NULL_POINTER.
///
/// # Safety
/// `c` is NULL or a live handle; `config` is NULL or readable; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_new_counter(
    c: *const ApCounter,
    config: *const ap_async_config,
    out: *mut *mut ApAsyncRecorder,
) -> ap_status {
    create("ap_async_recorder_new_counter", out, || {
        Ok(AnyAsyncRecorder::counter(
            // SAFETY: the caller guarantees `c` is NULL or a live counter handle (# Safety above),
            // which is what `share` requires; the new owner takes its own reference.
            unsafe { share::<Counter, _>(c) }?,
            // SAFETY: the caller guarantees `config` is NULL or a readable ap_async_config
            // (# Safety above), which is what `config` requires.
            unsafe { self::config(config) }?,
        )?)
    })
}

/// Starts a recorder in front of a histogram (events: values, ap_async_recorder_record).
/// Errors as ap_async_recorder_new_counter.
///
/// # Safety
/// As ap_async_recorder_new_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_new_histogram(
    h: *const ApHistogram,
    config: *const ap_async_config,
    out: *mut *mut ApAsyncRecorder,
) -> ap_status {
    create("ap_async_recorder_new_histogram", out, || {
        Ok(AnyAsyncRecorder::histogram(
            // SAFETY: the caller guarantees `h` is NULL or a live histogram handle (# Safety
            // above), which is what `share` requires; the new owner takes its own reference.
            unsafe { share::<Histogram, _>(h) }?,
            // SAFETY: the caller guarantees `config` is NULL or a readable ap_async_config
            // (# Safety above), which is what `config` requires.
            unsafe { self::config(config) }?,
        )?)
    })
}

/// Starts a recorder in front of a min/max (events: values, ap_async_recorder_record).
/// Errors as ap_async_recorder_new_counter.
///
/// # Safety
/// As ap_async_recorder_new_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_new_minmax(
    m: *const ApMinMax,
    config: *const ap_async_config,
    out: *mut *mut ApAsyncRecorder,
) -> ap_status {
    create("ap_async_recorder_new_minmax", out, || {
        Ok(AnyAsyncRecorder::minmax(
            // SAFETY: the caller guarantees `m` is NULL or a live min/max handle (# Safety above),
            // which is what `share` requires; the new owner takes its own reference.
            unsafe { share::<MinMax, _>(m) }?,
            // SAFETY: the caller guarantees `config` is NULL or a readable ap_async_config
            // (# Safety above), which is what `config` requires.
            unsafe { self::config(config) }?,
        )?)
    })
}

/// Starts a recorder in front of a timer (events: ap_async_recorder_record_timer).
/// Errors as ap_async_recorder_new_counter.
///
/// # Safety
/// As ap_async_recorder_new_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_new_timer(
    t: *const ApTimer,
    config: *const ap_async_config,
    out: *mut *mut ApAsyncRecorder,
) -> ap_status {
    create("ap_async_recorder_new_timer", out, || {
        Ok(AnyAsyncRecorder::timer(
            // SAFETY: the caller guarantees `t` is NULL or a live timer handle (# Safety above),
            // which is what `share` requires; the new owner takes its own reference.
            unsafe { share::<Timer, _>(t) }?,
            // SAFETY: the caller guarantees `config` is NULL or a readable ap_async_config
            // (# Safety above), which is what `config` requires.
            unsafe { self::config(config) }?,
        )?)
    })
}

/// Starts a recorder in front of a gauge (events: ap_async_recorder_record_gauge).
/// Errors as ap_async_recorder_new_counter.
///
/// # Safety
/// As ap_async_recorder_new_counter.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_new_gauge(
    g: *const ApGauge,
    config: *const ap_async_config,
    out: *mut *mut ApAsyncRecorder,
) -> ap_status {
    create("ap_async_recorder_new_gauge", out, || {
        Ok(AnyAsyncRecorder::gauge(
            // SAFETY: the caller guarantees `g` is NULL or a live gauge handle (# Safety above),
            // which is what `share` requires; the new owner takes its own reference.
            unsafe { share::<Gauge, _>(g) }?,
            // SAFETY: the caller guarantees `config` is NULL or a readable ap_async_config
            // (# Safety above), which is what `config` requires.
            unsafe { self::config(config) }?,
        )?)
    })
}

/// Returns another owning handle to the same recorder (NULL for NULL). Free each handle once.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_clone(
    r: *const ApAsyncRecorder,
) -> *mut ApAsyncRecorder {
    // SAFETY: the caller guarantees `r` is NULL or a live async recorder handle (# Safety above),
    // which is what `clone_handle` requires.
    unsafe { clone_handle::<AnyAsyncRecorder, _>(r) }
}

/// Releases one owner's handle; the last one closes the recorder (drains the queue, joins the
/// workers) and frees it. NULL is a no-op.
///
/// # Safety
/// `r` is NULL or a handle the caller owns and does not use afterwards.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_free(r: *mut ApAsyncRecorder) {
    // SAFETY: the caller guarantees `r` is NULL or an async recorder handle it owns and never uses
    // again (# Safety above), which is what `free_handle` requires.
    unsafe { free_handle::<AnyAsyncRecorder, _>(r) }
}

fn submit(
    r: *const ApAsyncRecorder,
    what: &str,
    event: AsyncEvent,
    timeout: Option<Duration>,
    queued: *mut bool,
) -> ap_status {
    guard(what, || {
        // SAFETY: `r` is NULL or a live async recorder handle for the whole call: the only callers
        // are this module's `unsafe extern "C" fn`s, whose # Safety requires exactly that of the C
        // caller; that is what `borrow` requires.
        let r = unsafe { borrow::<AnyAsyncRecorder, _>(r) }?;
        let recorded = match timeout {
            Some(t) => r.record_with_timeout(event, t)?,
            None => r.record(event)?,
        };
        if !queued.is_null() {
            // SAFETY: non-null, so it is the `queued` of ap_async_recorder_record or
            // ap_async_recorder_record_timer/_gauge, whose # Safety makes it writable (the
            // timeout variant passes NULL).
            unsafe { queued.write(recorded == Recorded::Queued) };
        }
        Ok(())
    })
}

/// Queues `value` for a counter (added), histogram or min/max (recorded). In drop mode it never
/// waits; *queued (if not NULL) is set to false when the event was dropped on a full queue. In
/// block mode it waits for room. Errors: AP_ERR_INVALID_ARGUMENT for a timer or gauge recorder;
/// AP_ERR_CLOSED after close; AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `r` is NULL or a live handle; `queued` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_record(
    r: *const ApAsyncRecorder,
    value: u64,
    queued: *mut bool,
) -> ap_status {
    submit(
        r,
        "ap_async_recorder_record",
        AsyncEvent::Value(value),
        None,
        queued,
    )
}

/// As ap_async_recorder_record, but waits at most `timeout_ns` for room in either mode.
/// Errors: AP_ERR_TIMEOUT when there was no room in time (the event is neither queued nor
/// counted as dropped), and those of ap_async_recorder_record.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_record_timeout(
    r: *const ApAsyncRecorder,
    value: u64,
    timeout_ns: u64,
) -> ap_status {
    submit(
        r,
        "ap_async_recorder_record_timeout",
        AsyncEvent::Value(value),
        Some(Duration::from_nanos(timeout_ns)),
        std::ptr::null_mut(),
    )
}

/// Queues one timer execution of `duration_ns` (an error when ok is false). Errors:
/// AP_ERR_INVALID_ARGUMENT unless the recorder feeds a timer; otherwise as
/// ap_async_recorder_record.
///
/// # Safety
/// `r` is NULL or a live handle; `queued` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_record_timer(
    r: *const ApAsyncRecorder,
    duration_ns: u64,
    ok: bool,
    queued: *mut bool,
) -> ap_status {
    submit(
        r,
        "ap_async_recorder_record_timer",
        AsyncEvent::Timing {
            nanos: duration_ns,
            ok,
        },
        None,
        queued,
    )
}

/// Queues one gauge operation (AP_GAUGE_SET, AP_GAUGE_ADD, AP_GAUGE_SET_MAX, AP_GAUGE_SET_MIN)
/// with `value`. Errors: AP_ERR_OUT_OF_RANGE for another op; AP_ERR_INVALID_ARGUMENT unless the
/// recorder feeds a gauge; otherwise as ap_async_recorder_record.
///
/// # Safety
/// `r` is NULL or a live handle; `queued` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_record_gauge(
    r: *const ApAsyncRecorder,
    op: u32,
    value: f64,
    queued: *mut bool,
) -> ap_status {
    const WHAT: &str = "ap_async_recorder_record_gauge";
    let op = match op {
        AP_GAUGE_SET => GaugeOp::Set(value),
        AP_GAUGE_ADD => GaugeOp::Add(value),
        AP_GAUGE_SET_MAX => GaugeOp::SetMax(value),
        AP_GAUGE_SET_MIN => GaugeOp::SetMin(value),
        other => {
            return guard(WHAT, || {
                // The handle is checked first, as in every other function.
                // SAFETY: the caller guarantees `r` is NULL or a live async recorder handle for the
                // whole call (# Safety above), which is what `borrow` requires.
                unsafe { borrow::<AnyAsyncRecorder, _>(r) }?;
                Err(Fail::new(
                    AP_ERR_OUT_OF_RANGE,
                    format!("unknown gauge operation {other}"),
                ))
            });
        }
    };
    submit(r, WHAT, AsyncEvent::Gauge(op), None, queued)
}

/// Waits until every event queued before the call has been applied, at most `timeout_ns`;
/// *done is true if they were, false if the time ran out. Errors: AP_ERR_NULL_HANDLE,
/// AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `done` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_flush(
    r: *const ApAsyncRecorder,
    timeout_ns: u64,
    done: *mut bool,
) -> ap_status {
    guard("ap_async_recorder_flush", || {
        // SAFETY: the caller guarantees `r` is NULL or a live async recorder handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let r = unsafe { borrow::<AnyAsyncRecorder, _>(r) }?;
        let done = Out::new(done)?;
        done.write(r.flush(Duration::from_nanos(timeout_ns)))
    })
}

/// Stops accepting events, applies everything queued and joins the workers. Later records fail
/// with AP_ERR_CLOSED; closing again does nothing. Errors: AP_ERR_NULL_HANDLE.
///
/// # Safety
/// `r` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_close(r: *const ApAsyncRecorder) -> ap_status {
    guard("ap_async_recorder_close", || {
        // SAFETY: the caller guarantees `r` is NULL or a live async recorder handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let _: () = unsafe { borrow::<AnyAsyncRecorder, _>(r) }?.close();
        Ok(())
    })
}

/// Writes the recorder's counts to *out. Errors: AP_ERR_NULL_HANDLE, AP_ERR_NULL_POINTER.
///
/// # Safety
/// `r` is NULL or a live handle; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn ap_async_recorder_stats(
    r: *const ApAsyncRecorder,
    out: *mut ap_async_stats,
) -> ap_status {
    guard("ap_async_recorder_stats", || {
        // SAFETY: the caller guarantees `r` is NULL or a live async recorder handle for the whole
        // call (# Safety above), which is what `borrow` requires.
        let r = unsafe { borrow::<AnyAsyncRecorder, _>(r) }?;
        let out = Out::new(out)?;
        out.write(ap_async_stats {
            enqueued: r.enqueued(),
            applied: r.applied(),
            dropped: r.dropped(),
            closed: r.is_closed(),
        })
    })
}
