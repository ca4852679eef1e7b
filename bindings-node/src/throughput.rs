//! `ThroughputWindow`: the native half. The JS class in `lib/metrics.js` calls these with its
//! handle. Configuration comes in milliseconds (JS's unit for time spans), latencies in
//! nanoseconds (the unit of every value this package records).

use std::time::Duration;

use atomicperf::ThroughputWindow;
use napi::sys;

use crate::js;
use crate::raw::{self, callbacks, export, Export, Fail, Handle, UNDEFINED};

impl Handle for ThroughputWindow {
    const TAG: sys::napi_type_tag = sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0007,
    };
    const NAME: &'static str = "ThroughputWindow";
}

/// A duration in milliseconds (a finite, non-negative number, fractions allowed).
unsafe fn millis(env: raw::Env, v: raw::Value, what: &str) -> raw::Result<Duration> {
    let ms = raw::to_f64(env, v, what)?;
    // 1.8e13 ms is ~570 years: beyond that Duration arithmetic in nanoseconds would overflow u64.
    if !(0.0..=1.8e13).contains(&ms) {
        return Err(Fail::range(format!(
            "{what} must be a finite number of milliseconds from 0 to 1.8e13, got {ms}"
        )));
    }
    Ok(Duration::from_nanos((ms * 1e6).round() as u64))
}

callbacks! {
    /// `throughputNew(windowMs: number, buckets: number, slaMs: number): handle`.
    fn throughput_new(env, info) {
        let [window, buckets, sla] = raw::args::<3>(env, info)?;
        let window = millis(env, window, "windowMs")?;
        let buckets = js::to_usize(env, buckets, "buckets")?;
        let sla = millis(env, sla, "slaMs")?;
        raw::new_handle(env, ThroughputWindow::new(window, buckets, sla)?)
    }

    /// `throughputRecord(h, latencyNs: number | bigint)`.
    fn throughput_record(env, info) {
        let [h, v] = raw::args::<2>(env, info)?;
        let w = raw::handle::<ThroughputWindow>(env, h)?;
        w.record_nanos(raw::to_u64(env, v, "latencyNs")?);
        Ok(UNDEFINED)
    }

    /// `throughputStats(h): {events, violations, eventsPerSecond, violationRatio, coveredMs}`.
    fn throughput_stats(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let s = raw::handle::<ThroughputWindow>(env, h)?.stats();
        let out = js::object(env)?;
        js::set(env, out, "events\0", js::u64_number_or_bigint(env, s.events)?)?;
        js::set(env, out, "violations\0", js::u64_number_or_bigint(env, s.violations)?)?;
        js::set(env, out, "eventsPerSecond\0", raw::from_f64(env, s.events_per_second)?)?;
        js::set(env, out, "violationRatio\0", raw::from_f64(env, s.violation_ratio)?)?;
        js::set(env, out, "coveredMs\0", raw::from_f64(env, s.covered.as_nanos() as f64 / 1e6)?)?;
        Ok(out)
    }

    /// `throughputConfig(h): {windowMs, buckets, slaMs}` as the window was built (the window is
    /// rounded down to a whole number of nanoseconds per bucket).
    fn throughput_config(env, info) {
        let [h] = raw::args::<1>(env, info)?;
        let w = raw::handle::<ThroughputWindow>(env, h)?;
        let out = js::object(env)?;
        js::set(env, out, "windowMs\0", raw::from_f64(env, w.window().as_nanos() as f64 / 1e6)?)?;
        js::set(env, out, "buckets\0", raw::from_f64(env, w.buckets() as f64)?)?;
        js::set(env, out, "slaMs\0", raw::from_f64(env, w.sla().as_nanos() as f64 / 1e6)?)?;
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("throughputNew", throughput_new),
    export!("throughputRecord", throughput_record),
    export!("throughputStats", throughput_stats),
    export!("throughputConfig", throughput_config),
];
