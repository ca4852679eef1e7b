//! `MinMax`: running extremes of non-negative ints.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;

use crate::convert::{opt_repr, to_u64};

/// Lock-free running minimum and maximum of non-negative ints.
#[pyclass(frozen, module = "atomicperf")]
pub struct MinMax {
    pub(crate) inner: Arc<ap::MinMax>,
}

impl MinMax {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::MinMax>) -> Self {
        MinMax { inner }
    }
}

#[pymethods]
impl MinMax {
    #[new]
    fn new() -> Self {
        MinMax {
            inner: Arc::new(ap::MinMax::new()),
        }
    }

    /// Takes `v` into the running extremes.
    fn record(&self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.record(to_u64(v, "record() value")?);
        Ok(())
    }

    /// Smallest recorded value, None when empty.
    fn min(&self) -> Option<u64> {
        self.inner.min()
    }

    /// Largest recorded value, None when empty.
    fn max(&self) -> Option<u64> {
        self.inner.max()
    }

    /// Forgets every value.
    fn reset(&self) {
        self.inner.reset();
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<MinMax>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        format!(
            "MinMax(min={}, max={})",
            opt_repr(self.inner.min()),
            opt_repr(self.inner.max())
        )
    }
}
