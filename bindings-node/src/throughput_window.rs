//! `ThroughputWindow`: the native half. The JS class in `lib/metrics.js` calls these with its
//! handle. Configuration comes in milliseconds (JS's unit for time spans), latencies in
//! nanoseconds (the unit of every value this package records).

use std::time::Duration;

use atomicperf::ThroughputWindow;

use crate::callback::{self, callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{Fail, Result};
use crate::handle;

/// A duration in milliseconds (a finite, non-negative number, fractions allowed).
fn millis(env: Env<'_>, v: Value<'_>, what: &str) -> Result<Duration> {
    let ms = convert::to_f64(env, v, what)?;
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
        let [window, buckets, sla] = callback::args::<3>(env, info)?;
        let window = millis(env, window, "windowMs")?;
        let buckets = convert::to_usize(env, buckets, "buckets")?;
        let sla = millis(env, sla, "slaMs")?;
        handle::new(env, ThroughputWindow::new(window, buckets, sla)?)
    }

    /// `throughputRecord(h, latencyNs: number | bigint)`.
    fn throughput_record(env, info) {
        let [h, v] = callback::args::<2>(env, info)?;
        let w = handle::get::<ThroughputWindow>(env, h)?;
        w.record_nanos(convert::to_u64(env, v, "latencyNs")?);
        Ok(Value::UNDEFINED)
    }

    /// `throughputStats(h): {events, violations, eventsPerSecond, violationRatio, coveredMs}`.
    fn throughput_stats(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let s = handle::get::<ThroughputWindow>(env, h)?.stats();
        let out = convert::object(env)?;
        convert::set(env, out, "events\0", convert::u64_number_or_bigint(env, s.events)?)?;
        convert::set(env, out, "violations\0", convert::u64_number_or_bigint(env, s.violations)?)?;
        convert::set(env, out, "eventsPerSecond\0", convert::from_f64(env, s.events_per_second)?)?;
        convert::set(env, out, "violationRatio\0", convert::from_f64(env, s.violation_ratio)?)?;
        convert::set(env, out, "coveredMs\0", convert::from_f64(env, s.covered.as_nanos() as f64 / 1e6)?)?;
        Ok(out)
    }

    /// `throughputConfig(h): {windowMs, buckets, slaMs}` as the window was built (the window is
    /// rounded down to a whole number of nanoseconds per bucket).
    fn throughput_config(env, info) {
        let [h] = callback::args::<1>(env, info)?;
        let w = handle::get::<ThroughputWindow>(env, h)?;
        let out = convert::object(env)?;
        convert::set(env, out, "windowMs\0", convert::from_f64(env, w.window().as_nanos() as f64 / 1e6)?)?;
        convert::set(env, out, "buckets\0", convert::from_f64(env, w.buckets() as f64)?)?;
        convert::set(env, out, "slaMs\0", convert::from_f64(env, w.sla().as_nanos() as f64 / 1e6)?)?;
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[
    export!("throughputNew", throughput_new),
    export!("throughputRecord", throughput_record),
    export!("throughputStats", throughput_stats),
    export!("throughputConfig", throughput_config),
];
