//! Python durations to nanoseconds and `Duration`s.
//!
//! Two conventions, both the standard library's:
//! - A *measurement* (`Timer.record`, `ThroughputWindow.record`) is an int of nanoseconds (what
//!   `time.perf_counter_ns()` differences give), a float of seconds (what `time.perf_counter()`
//!   differences give) or a `datetime.timedelta`.
//! - A *setting* or *timeout* (`window=`, `sla=`, `timeout=`) is seconds, int or float, or a
//!   `datetime.timedelta`, as every timeout in `threading` and `queue` is.

use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDelta, PyDeltaAccess, PyFloat};

use crate::convert::to_u64;

/// Longest wait a timeout can ask for; longer ones (and `None`) wait this long, about 100 years,
/// which keeps `Instant::now() + timeout` from overflowing.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn shown(obj: &Bound<'_, PyAny>) -> String {
    obj.repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// Nanoseconds in a timedelta: `None` if negative or beyond `u64`.
fn delta_nanos(d: &Bound<'_, PyDelta>) -> Option<u64> {
    let days = i128::from(d.get_days());
    let secs = days * 86_400 + i128::from(d.get_seconds());
    let nanos = secs * 1_000_000_000 + i128::from(d.get_microseconds()) * 1_000;
    u64::try_from(nanos).ok()
}

/// A measured duration in nanoseconds: int ns, float seconds or timedelta.
///
/// `ValueError` for a negative, NaN, infinite or too long duration; `TypeError` for anything else
/// (a bool included: `record(True)` is a mistake for `record(d, ok=True)`).
#[inline]
pub(crate) fn measured_nanos(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if let Ok(f) = obj.cast::<PyFloat>() {
        return seconds_to_nanos(f.value(), obj, what);
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(bad_duration_type(obj, what));
    }
    match obj.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(_) => measured_slow(obj, what),
    }
}

#[cold]
#[inline(never)]
fn measured_slow(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if let Ok(d) = obj.cast::<PyDelta>() {
        return delta_nanos(d).ok_or_else(|| out_of_range(obj, what));
    }
    match to_u64(obj, what) {
        // Negative or beyond 2**64 - 1: say it as a duration.
        Err(e) if e.is_instance_of::<PyValueError>(obj.py()) => Err(out_of_range(obj, what)),
        Err(_) => Err(bad_duration_type(obj, what)),
        Ok(v) => Ok(v),
    }
}

fn seconds_to_nanos(s: f64, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    let ns = (s * 1e9).round();
    // 2**64 as f64 is exact; anything at or above it (or NaN, or negative) does not fit.
    if !(0.0..18_446_744_073_709_551_616.0).contains(&ns) {
        return Err(out_of_range(obj, what));
    }
    Ok(ns as u64)
}

#[cold]
fn out_of_range(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{what} must be a duration from 0 to 2**64 - 1 ns (584 years), got {}",
        shown(obj)
    ))
}

#[cold]
fn bad_duration_type(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} must be an int of nanoseconds, a float of seconds or a datetime.timedelta, not {}",
        type_name(obj)
    ))
}

/// A setting or timeout: seconds (int or float) or a timedelta, as a `Duration`. `None` when
/// the value does not fit a `Duration` (the caller decides: clamp a timeout, refuse a setting).
fn setting(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Option<Duration>> {
    if let Ok(d) = obj.cast::<PyDelta>() {
        return match delta_nanos(d) {
            Some(ns) => Ok(Some(Duration::from_nanos(ns))),
            None if d.get_days() < 0 => Err(negative(obj, what)),
            None => Ok(None),
        };
    }
    if obj.is_instance_of::<PyBool>() {
        return Err(bad_setting_type(obj, what));
    }
    let s = obj
        .extract::<f64>()
        .map_err(|_| bad_setting_type(obj, what))?;
    if s.is_nan() || s < 0.0 {
        return Err(negative(obj, what));
    }
    Ok(Duration::try_from_secs_f64(s).ok())
}

/// A configuration duration (`window=`, `sla=`): seconds or timedelta, finite and not negative.
pub(crate) fn setting_duration(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Duration> {
    setting(obj, what)?
        .ok_or_else(|| PyValueError::new_err(format!("{what} is too long, got {}", shown(obj))))
}

/// A timeout: seconds or timedelta; `None` and anything longer than [`MAX_WAIT`] wait
/// [`MAX_WAIT`].
pub(crate) fn timeout(obj: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Duration>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(setting(o, what)?.unwrap_or(MAX_WAIT).min(MAX_WAIT))),
    }
}

#[cold]
fn negative(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{what} must be a number of seconds (or a timedelta) not below 0, got {}",
        shown(obj)
    ))
}

#[cold]
fn bad_setting_type(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{what} must be a number of seconds or a datetime.timedelta, not {}",
        type_name(obj)
    ))
}

/// Seconds as a float, for properties that report a setting back.
pub(crate) fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
