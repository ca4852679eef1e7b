//! `Timer` and `TimerSnapshot`: execution metrics of one operation.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyType};

use crate::convert::{histogram_config, opt_repr};
use crate::durations::measured_nanos;
use crate::errors::to_pyerr;

/// Execution metrics of one operation: count, errors, total, min, max and a duration histogram.
#[pyclass(frozen, module = "atomicperf")]
pub struct Timer {
    pub(crate) inner: Arc<ap::Timer>,
}

/// The scoped-timing helper class, written in Python (`atomicperf/_timing.py`) so that it can
/// wrap generators, coroutines and any callable with `functools.wraps`.
static TIMING: PyOnceLock<Py<PyType>> = PyOnceLock::new();

fn timing_class(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    TIMING.import(py, "atomicperf._timing", "Timing")
}

impl Timer {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Timer>) -> Self {
        Timer { inner }
    }
}

#[pymethods]
impl Timer {
    #[new]
    #[pyo3(
        signature = (significant_figures = None, highest = None),
        text_signature = "(significant_figures=2, highest=60000000000)"
    )]
    fn new(
        significant_figures: Option<&Bound<'_, PyAny>>,
        highest: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = histogram_config(significant_figures, highest)?;
        Ok(Timer {
            inner: Arc::new(ap::Timer::with_config(config)),
        })
    }

    /// Records one execution that took `duration` (int ns, float s or timedelta).
    #[pyo3(signature = (duration, ok = true))]
    fn record(&self, duration: &Bound<'_, PyAny>, ok: bool) -> PyResult<()> {
        self.inner
            .record_nanos(measured_nanos(duration, "duration")?, ok);
        Ok(())
    }

    /// A context manager (and decorator) that records the time its block takes.
    fn time<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        timing_class(slf.py())?.call1((slf,))
    }

    /// Decorator: records every call of `func`.
    fn timed<'py>(slf: &Bound<'py, Self>, func: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        Self::time(slf)?.call1((func,))
    }

    /// Number of executions recorded.
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Number of executions recorded as errors.
    fn errors(&self) -> u64 {
        self.inner.errors()
    }

    /// Total duration in ns.
    fn total(&self) -> u64 {
        self.inner.total()
    }

    /// Shortest duration in ns, None when empty.
    fn min(&self) -> Option<u64> {
        self.inner.min()
    }

    /// Longest duration in ns, None when empty.
    fn max(&self) -> Option<u64> {
        self.inner.max()
    }

    /// Mean duration in ns, None when empty.
    fn mean(&self) -> Option<f64> {
        self.inner.mean()
    }

    /// Duration in ns at quantile `q` in [0, 1], None when empty.
    fn quantile(&self, q: f64) -> PyResult<Option<u64>> {
        self.inner.quantile(q).map_err(to_pyerr)
    }

    /// Every statistic from one moment.
    fn snapshot(&self) -> PyResult<TimerSnapshot> {
        TimerSnapshot::from_core(self.inner.snapshot())
    }

    /// Forgets everything recorded.
    fn reset(&self) {
        self.inner.reset();
    }

    /// Precision of the duration histogram (1 to 5).
    #[getter]
    fn significant_figures(&self) -> u8 {
        self.inner.histogram().config().significant_figures()
    }

    /// Highest trackable duration in ns; longer ones are clamped to it.
    #[getter]
    fn highest(&self) -> u64 {
        self.inner.histogram().config().highest()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Timer>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        let s = self.inner.snapshot();
        format!(
            "Timer(count={}, errors={}, total={}, min={}, max={})",
            s.count(),
            s.errors(),
            s.total(),
            opt_repr(s.min()),
            opt_repr(s.max()),
        )
    }
}

/// A Timer's statistics from one moment (durations in ns).
#[pyclass(frozen, module = "atomicperf")]
pub struct TimerSnapshot {
    #[pyo3(get)]
    count: u64,
    #[pyo3(get)]
    errors: u64,
    #[pyo3(get)]
    total: u64,
    #[pyo3(get)]
    min: Option<u64>,
    #[pyo3(get)]
    max: Option<u64>,
    #[pyo3(get)]
    mean: Option<f64>,
    #[pyo3(get)]
    error_ratio: f64,
    #[pyo3(get)]
    p50: Option<u64>,
    #[pyo3(get)]
    p90: Option<u64>,
    #[pyo3(get)]
    p99: Option<u64>,
    #[pyo3(get)]
    p999: Option<u64>,
    // Kept for quantile(); boxed, like every core object here, so that its alignment never
    // depends on the Python object's memory.
    snapshot: Box<ap::TimerSnapshot>,
}

impl TimerSnapshot {
    fn from_core(s: ap::TimerSnapshot) -> PyResult<Self> {
        let q = |q: f64| s.quantile(q).map_err(to_pyerr);
        Ok(TimerSnapshot {
            count: s.count(),
            errors: s.errors(),
            total: s.total(),
            min: s.min(),
            max: s.max(),
            mean: s.mean(),
            error_ratio: s.error_ratio(),
            p50: q(0.5)?,
            p90: q(0.9)?,
            p99: q(0.99)?,
            p999: q(0.999)?,
            snapshot: Box::new(s),
        })
    }
}

#[pymethods]
impl TimerSnapshot {
    /// Duration in ns at quantile `q` in [0, 1], None when empty.
    fn quantile(&self, q: f64) -> PyResult<Option<u64>> {
        self.snapshot.quantile(q).map_err(to_pyerr)
    }

    /// The statistics as a dict (count, errors, total, min, max, mean, error_ratio, p50, p90,
    /// p99, p999).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("count", self.count)?;
        d.set_item("errors", self.errors)?;
        d.set_item("total", self.total)?;
        d.set_item("min", self.min)?;
        d.set_item("max", self.max)?;
        d.set_item("mean", self.mean)?;
        d.set_item("error_ratio", self.error_ratio)?;
        d.set_item("p50", self.p50)?;
        d.set_item("p90", self.p90)?;
        d.set_item("p99", self.p99)?;
        d.set_item("p999", self.p999)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let mut parts = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
        Ok(format!("TimerSnapshot({})", parts.join(", ")))
    }
}
