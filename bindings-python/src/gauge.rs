//! `Gauge`: a float set and adjusted without a lock.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;

use crate::convert::float_repr;

/// A float that many threads set and adjust without a lock.
#[pyclass(frozen, module = "atomicperf")]
pub struct Gauge {
    // Boxed in an Arc: the gauge's cell is cache-padded (128-byte aligned), which a Python object's
    // memory is not; it also lets other objects (async recorders) share the metric.
    pub(crate) inner: Arc<ap::Gauge>,
}

impl Gauge {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Gauge>) -> Self {
        Gauge { inner }
    }
}

#[pymethods]
impl Gauge {
    #[new]
    #[pyo3(signature = (value = 0.0))]
    fn new(value: f64) -> Self {
        Gauge {
            inner: Arc::new(ap::Gauge::with_value(value)),
        }
    }

    /// Replaces the value.
    fn set(&self, v: f64) {
        self.inner.set(v);
    }

    /// The current value.
    fn get(&self) -> f64 {
        self.inner.get()
    }

    /// Adds `d` (which may be negative).
    fn add(&self, d: f64) {
        self.inner.add(d);
    }

    /// Subtracts `d`.
    fn sub(&self, d: f64) {
        self.inner.sub(d);
    }

    /// Adds one.
    fn inc(&self) {
        self.inner.inc();
    }

    /// Subtracts one.
    fn dec(&self) {
        self.inner.dec();
    }

    /// Raises the value to `v` if `v` is greater.
    fn set_max(&self, v: f64) {
        self.inner.set_max(v);
    }

    /// Lowers the value to `v` if `v` is smaller.
    fn set_min(&self, v: f64) {
        self.inner.set_min(v);
    }

    /// The current value (same as `get()`).
    #[getter]
    fn value(&self) -> f64 {
        self.inner.get()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Gauge>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Gauge(value={})",
            float_repr(py, self.inner.get())?
        ))
    }
}
