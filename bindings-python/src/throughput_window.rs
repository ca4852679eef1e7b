//! `ThroughputWindow` and `WindowStats`: events per second over a sliding window, with SLA
//! violations.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{float_repr, to_u64};
use crate::durations::{measured_nanos, secs, setting_duration};
use crate::errors::to_pyerr;

/// Events per second over a sliding window of time buckets, with SLA-violation counting.
#[pyclass(frozen, module = "atomicperf")]
pub struct ThroughputWindow {
    inner: Arc<ap::ThroughputWindow>,
}

#[pymethods]
impl ThroughputWindow {
    #[new]
    #[pyo3(
        signature = (window = None, buckets = None, sla = None),
        text_signature = "(window=10.0, buckets=10, sla=0.1)"
    )]
    fn new(
        window: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
        sla: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let window = match window {
            None => std::time::Duration::from_secs(10),
            Some(w) => setting_duration(w, "window")?,
        };
        let buckets = match buckets {
            None => 10,
            Some(b) => usize::try_from(to_u64(b, "buckets")?).unwrap_or(usize::MAX),
        };
        let sla = match sla {
            None => std::time::Duration::from_millis(100),
            Some(s) => setting_duration(s, "sla")?,
        };
        let inner = ap::ThroughputWindow::new(window, buckets, sla).map_err(to_pyerr)?;
        Ok(ThroughputWindow {
            inner: Arc::new(inner),
        })
    }

    /// Counts one event of the given latency (int ns, float s or timedelta).
    fn record(&self, latency: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.record_nanos(measured_nanos(latency, "latency")?);
        Ok(())
    }

    /// Events, violations and rates over the current window.
    fn stats(&self) -> WindowStats {
        let s = self.inner.stats();
        WindowStats {
            events: s.events,
            violations: s.violations,
            events_per_second: s.events_per_second,
            violation_ratio: s.violation_ratio,
            covered: secs(s.covered),
        }
    }

    /// Length of the window in seconds.
    #[getter]
    fn window(&self) -> f64 {
        secs(self.inner.window())
    }

    /// Number of buckets in the ring.
    #[getter]
    fn buckets(&self) -> usize {
        self.inner.buckets()
    }

    /// The SLA threshold in seconds.
    #[getter]
    fn sla(&self) -> f64 {
        secs(self.inner.sla())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let s = self.inner.stats();
        Ok(format!(
            "ThroughputWindow(window={}, buckets={}, sla={}, events={}, violations={})",
            float_repr(py, secs(self.inner.window()))?,
            self.inner.buckets(),
            float_repr(py, secs(self.inner.sla()))?,
            s.events,
            s.violations,
        ))
    }
}

/// What a ThroughputWindow saw over its current window.
#[pyclass(frozen, module = "atomicperf")]
pub struct WindowStats {
    #[pyo3(get)]
    events: u64,
    #[pyo3(get)]
    violations: u64,
    #[pyo3(get)]
    events_per_second: f64,
    #[pyo3(get)]
    violation_ratio: f64,
    #[pyo3(get)]
    covered: f64,
}

#[pymethods]
impl WindowStats {
    /// The statistics as a dict.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("events", self.events)?;
        d.set_item("violations", self.violations)?;
        d.set_item("events_per_second", self.events_per_second)?;
        d.set_item("violation_ratio", self.violation_ratio)?;
        d.set_item("covered", self.covered)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "WindowStats(events={}, violations={}, events_per_second={}, violation_ratio={}, covered={})",
            self.events,
            self.violations,
            float_repr(py, self.events_per_second)?,
            float_repr(py, self.violation_ratio)?,
            float_repr(py, self.covered)?,
        ))
    }
}
