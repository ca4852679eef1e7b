//! `AsyncRecorder`: the native half. The JS class in `lib/metrics.js` passes the metric's handle
//! and kind; the recorder shares the metric (`Arc`), so the metric lives as long as the recorder.
//!
//! Nothing here waits on the JS thread: `record*` never blocks (in block mode a full queue
//! answers `null`, and the JS side then calls `asyncRecorderWait`), and `asyncRecorderWait` and
//! `flush` return Promises that the watcher of `waits.rs` settles (no thread blocks on them: the
//! recorder's workers report the wait's key to the watcher once the events it waits for are
//! applied, `AsyncRecorder::watch_applied`), `close` one settled by a thread of its own (core's
//! close joins the workers). None uses the libuv pool.

use std::sync::Arc;
use std::time::Duration;

use atomicperf::{
    AnyAsyncRecorder, AsyncConfig, AsyncEvent, CancelWatcher, Counter, Error, Gauge, GaugeOp,
    Histogram, MinMax, Overflow, Recorded, Timer,
};

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;
use crate::waits;

/// A recorder, its overflow policy and its capacity (core does not report them back).
pub(crate) struct JsRecorder {
    inner: AnyAsyncRecorder,
    block: bool,
    capacity: u64,
}

impl JsRecorder {
    /// Asks `watcher` to report `key` once the first `target` queued events are applied (or the
    /// recorder is closed, or lives in a forked child).
    fn watch_applied(&self, target: u64, watcher: &CancelWatcher, key: u64) {
        match &self.inner {
            AnyAsyncRecorder::Counter(r) => r.watch_applied(target, watcher, key),
            AnyAsyncRecorder::Gauge(r) => r.watch_applied(target, watcher, key),
            AnyAsyncRecorder::Histogram(r) => r.watch_applied(target, watcher, key),
            AnyAsyncRecorder::Timer(r) => r.watch_applied(target, watcher, key),
            AnyAsyncRecorder::MinMax(r) => r.watch_applied(target, watcher, key),
        }
    }

    /// Offers `e` without waiting: `Some(true)` queued, `Some(false)` dropped (drop mode),
    /// `None` when the queue is full in block mode.
    fn offer(&self, e: AsyncEvent) -> Result<Option<bool>> {
        let r = if self.block {
            match self.inner.record_with_timeout(e, Duration::ZERO) {
                Err(Error::Timeout) => return Ok(None),
                r => r,
            }
        } else {
            self.inner.record(e)
        };
        Ok(Some(r? == Recorded::Queued))
    }
}

fn offered(env: Env<'_>, r: Option<bool>) -> Result<Value<'_>> {
    match r {
        Some(q) => convert::boolean(env, q),
        None => convert::null(env),
    }
}

/// An optional count option: core's default when omitted.
fn count_or(env: Env<'_>, v: Value<'_>, default: usize, what: &str) -> Result<usize> {
    if convert::is_undefined(env, v)? {
        Ok(default)
    } else {
        convert::to_usize(env, v, what)
    }
}

/// A gauge operation code as `lib/metrics.js` sends it.
fn gauge_op(op: f64, v: f64) -> Result<GaugeOp> {
    Ok(match op as i32 {
        0 => GaugeOp::Set(v),
        1 => GaugeOp::Add(v),
        2 => GaugeOp::SetMax(v),
        3 => GaugeOp::SetMin(v),
        _ => return Err(Fail::range(format!("unknown gauge operation {op}"))),
    })
}

/// Waits for room for one event. Resolves 1 (queued), 0 (dropped) or -1 (the recorder was
/// closed first).
///
/// The queue holds `capacity` events: once the first `queued - capacity + 1` queued events are
/// applied, the workers have taken at least that many off it, so there is room unless another
/// thread filled it again meanwhile (the wait then registers again, with the new count).
struct RoomWait {
    recorder: Arc<JsRecorder>,
    event: AsyncEvent,
}

impl waits::Wait for RoomWait {
    fn poll(&mut self) -> Option<waits::Settle> {
        Some(waits::number(
            match self
                .recorder
                .inner
                .record_with_timeout(self.event, Duration::ZERO)
            {
                Err(Error::Timeout) => return None,
                Ok(Recorded::Queued) => 1.0,
                Ok(Recorded::Dropped) => 0.0,
                Err(_) => -1.0,
            },
        ))
    }
    fn watch(&mut self, watcher: &CancelWatcher, key: u64) {
        let r = &self.recorder;
        let target = r.inner.queued().saturating_sub(r.capacity) + 1;
        r.watch_applied(target, watcher, key);
    }
    fn timed_out(&mut self) -> waits::Settle {
        unreachable!("a wait for room has no deadline")
    }
}

/// Waits until the events queued before the call are applied (true), or the timeout (false).
/// A registration that times out stays with the recorder until its events are applied or it is
/// closed (core has no way to withdraw it); its late report is ignored.
struct FlushWait {
    recorder: Arc<JsRecorder>,
    target: u64,
}

impl waits::Wait for FlushWait {
    fn poll(&mut self) -> Option<waits::Settle> {
        (self.recorder.inner.applied() >= self.target).then(|| waits::boolean(true))
    }
    fn watch(&mut self, watcher: &CancelWatcher, key: u64) {
        self.recorder.watch_applied(self.target, watcher, key);
    }
    /// Reported: the events are applied, or the recorder is in a forked child, where they never
    /// will be (false at once, as core's flush answers there).
    fn woken(&mut self) -> Option<waits::Settle> {
        Some(waits::boolean(self.recorder.inner.applied() >= self.target))
    }
    fn timed_out(&mut self) -> waits::Settle {
        waits::boolean(false)
    }
}

/// Longest flush wait: one year (an `Instant` plus `Duration::MAX` would overflow).
const MAX_WAIT_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

callbacks! {
    /// `asyncRecorderNew(kind, target, capacity?, workers?, batch?, overflow?: 'drop' | 'block')`;
    /// `kind` names the handle's metric type: 'counter', 'gauge', 'histogram', 'timer', 'minmax'.
    fn async_recorder_new(env, info) {
        let [kind, target, capacity, workers, batch, overflow] = callback::args::<6>(env, info)?;
        let d = AsyncConfig::default();
        let overflow_mode = if convert::is_undefined(env, overflow)? {
            d.overflow
        } else {
            match convert::to_string(env, overflow, "overflow")?.as_str() {
                "drop" => Overflow::Drop,
                "block" => Overflow::Block,
                other => return Err(Fail::range(format!("overflow must be 'drop' or 'block', got {other:?}"))),
            }
        };
        let config = AsyncConfig {
            capacity: count_or(env, capacity, d.capacity, "capacity")?,
            workers: count_or(env, workers, d.workers, "workers")?,
            batch: count_or(env, batch, d.batch, "batch")?,
            overflow: overflow_mode,
        };
        let inner = match convert::to_string(env, kind, "kind")?.as_str() {
            "counter" => AnyAsyncRecorder::counter(handle::get_arc::<Counter>(env, target)?, config)?,
            "gauge" => AnyAsyncRecorder::gauge(handle::get_arc::<Gauge>(env, target)?, config)?,
            "histogram" => AnyAsyncRecorder::histogram(handle::get_arc::<Histogram>(env, target)?, config)?,
            "timer" => AnyAsyncRecorder::timer(handle::get_arc::<Timer>(env, target)?, config)?,
            "minmax" => AnyAsyncRecorder::minmax(handle::get_arc::<MinMax>(env, target)?, config)?,
            other => return Err(Fail::type_error(format!("unknown metric kind {other:?}"))),
        };
        handle::new(env, JsRecorder { inner, block: overflow_mode == Overflow::Block, capacity: config.capacity as u64 })
    }

    /// `asyncRecorderRecord(h, v: number | bigint): boolean | null` (Counter, Histogram, MinMax):
    /// true queued, false dropped, null full in block mode.
    fn async_recorder_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let r = handle::get::<JsRecorder>(env, h)?;
        offered(env, r.offer(AsyncEvent::Value(convert::to_u64(env, v, "value")?))?)
    }

    /// `asyncRecorderRecordTiming(h, durationNs, ok?: boolean): boolean | null` (Timer).
    fn async_recorder_record_timing(env, info) {
        let [h, d, ok] = callback::args::<3>(env, info)?;
        let r = handle::get::<JsRecorder>(env, h)?;
        let nanos = convert::to_u64(env, d, "durationNs")?;
        let ok = convert::to_bool_or(env, ok, true, "ok")?;
        offered(env, r.offer(AsyncEvent::Timing { nanos, ok })?)
    }

    /// `asyncRecorderRecordGauge(h, op: 0 set | 1 add | 2 setMax | 3 setMin, v: number)`.
    fn async_recorder_record_gauge(env, info) {
        let [h, op, v] = callback::args::<3>(env, info)?;
        let r = handle::get::<JsRecorder>(env, h)?;
        let op = gauge_op(convert::to_f64(env, op, "op")?, convert::to_f64(env, v, "value")?)?;
        offered(env, r.offer(AsyncEvent::Gauge(op))?)
    }

    /// `asyncRecorderWait(h, op, a, b): Promise<number>`: queues one event, waiting for room off
    /// the JS thread (the watcher of `waits.rs`). `op`: 0 value `a`; 1 timing `a` ns, ok `b`; 2..5 gauge set, add,
    /// setMax, setMin `a`. Resolves 1 queued, 0 dropped, -1 closed before there was room.
    fn async_recorder_wait(env, info) {
        let [h, op, a, b] = callback::args::<4>(env, info)?;
        let recorder = handle::get_arc::<JsRecorder>(env, h)?;
        let event = match convert::to_f64(env, op, "op")? as i32 {
            0 => AsyncEvent::Value(convert::to_u64(env, a, "value")?),
            1 => AsyncEvent::Timing { nanos: convert::to_u64(env, a, "durationNs")?, ok: convert::to_bool_or(env, b, true, "ok")? },
            g @ 2..=5 => AsyncEvent::Gauge(gauge_op(f64::from(g - 2), convert::to_f64(env, a, "value")?)?),
            other => return Err(Fail::range(format!("unknown event kind {other}"))),
        };
        waits::promise(env, RoomWait { recorder, event }, None)
    }

    /// `asyncRecorderFlush(h, timeoutMs: number): Promise<boolean>`.
    fn async_recorder_flush(env, info) {
        let [h, t] = callback::args::<2>(env, info)?;
        let recorder = handle::get_arc::<JsRecorder>(env, h)?;
        let ms = convert::to_f64(env, t, "timeoutMs")?;
        if ms.is_nan() || ms < 0.0 {
            return Err(Fail::range(format!("timeoutMs must be a number of milliseconds >= 0, got {ms}")));
        }
        let timeout = Duration::from_nanos((ms.min(MAX_WAIT_MS) * 1e6) as u64);
        let target = recorder.inner.queued();
        waits::promise(env, FlushWait { recorder, target }, Some(timeout))
    }

    /// `asyncRecorderClose(h): Promise<boolean>` (true once drained and joined).
    fn async_recorder_close(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let recorder = handle::get_arc::<JsRecorder>(env, h)?;
        waits::spawn(env, "close", move || {
            recorder.inner.close();
            waits::boolean(true)
        })
    }

    fn async_recorder_enqueued(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<JsRecorder>(env, h)?.inner.enqueued(), "enqueued", "no BigInt variant exists yet")
    }

    fn async_recorder_applied(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<JsRecorder>(env, h)?.inner.applied(), "applied", "no BigInt variant exists yet")
    }

    fn async_recorder_dropped(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::from_u64_exact(env, handle::get::<JsRecorder>(env, h)?.inner.dropped(), "dropped", "no BigInt variant exists yet")
    }

    fn async_recorder_is_closed(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        convert::boolean(env, handle::get::<JsRecorder>(env, h)?.inner.is_closed())
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("asyncRecorderNew", async_recorder_new),
    export!("asyncRecorderRecord", async_recorder_record),
    export!("asyncRecorderRecordTiming", async_recorder_record_timing),
    export!("asyncRecorderRecordGauge", async_recorder_record_gauge),
    export!("asyncRecorderWait", async_recorder_wait),
    export!("asyncRecorderFlush", async_recorder_flush),
    export!("asyncRecorderClose", async_recorder_close),
    export!("asyncRecorderEnqueued", async_recorder_enqueued),
    export!("asyncRecorderApplied", async_recorder_applied),
    export!("asyncRecorderDropped", async_recorder_dropped),
    export!("asyncRecorderIsClosed", async_recorder_is_closed),
];
