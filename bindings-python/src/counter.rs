//! `Counter`: a monotonic counter of non-negative ints.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;

use crate::convert::to_u64;
use crate::errors::to_pyerr;
use crate::exemplar::{exemplar_tuple, ExemplarTuple};
use crate::registry::with_labels;

/// A monotonic counter of non-negative integers that many threads increment without a lock.
#[pyclass(frozen, module = "atomicperf")]
pub struct Counter {
    pub(crate) inner: Arc<ap::Counter>,
}

impl Counter {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Counter>) -> Self {
        Counter { inner }
    }
}

#[pymethods]
impl Counter {
    #[new]
    #[pyo3(signature = (stripes = None))]
    fn new(stripes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let inner = match stripes {
            None => ap::Counter::new(),
            Some(s) => {
                let n = to_u64(s, "stripes")?;
                // Beyond usize (32-bit targets only) is invalid anyway: core rejects usize::MAX.
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                ap::Counter::with_stripes(n).map_err(to_pyerr)?
            }
        };
        Ok(Counter {
            inner: Arc::new(inner),
        })
    }

    /// Adds one.
    fn inc(&self) {
        self.inner.inc();
    }

    /// Adds `n` (an int from 0 to 2**64 - 1).
    fn add(&self, n: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.add(to_u64(n, "add() argument")?);
        Ok(())
    }

    /// Adds one and makes `exemplar` (a dict of str to str: a trace's labels, such as
    /// trace_id) the counter's exemplar, stamped with `timestamp` (seconds since the Unix epoch,
    /// or None). A registry exports the latest one in OpenMetrics and protobuf. ValueError for a
    /// label name outside the Prometheus data model or more than 128 characters of names and
    /// values together (OpenMetrics' limit); nothing is added then.
    #[pyo3(signature = (exemplar, timestamp = None))]
    fn inc_with_exemplar(
        &self,
        exemplar: &Bound<'_, PyAny>,
        timestamp: Option<f64>,
    ) -> PyResult<()> {
        with_labels(Some(exemplar), |l| {
            self.inner.add_with_exemplar(1, l, timestamp)
        })
    }

    /// Adds `n` with an exemplar, as `inc_with_exemplar`.
    #[pyo3(signature = (n, exemplar, timestamp = None))]
    fn add_with_exemplar(
        &self,
        n: &Bound<'_, PyAny>,
        exemplar: &Bound<'_, PyAny>,
        timestamp: Option<f64>,
    ) -> PyResult<()> {
        let n = to_u64(n, "add_with_exemplar() argument")?;
        with_labels(Some(exemplar), |l| {
            self.inner.add_with_exemplar(n, l, timestamp)
        })
    }

    /// The latest exemplar as `(labels, value, timestamp)`, or None.
    fn exemplar<'py>(&self, py: Python<'py>) -> PyResult<Option<ExemplarTuple<'py>>> {
        self.inner
            .exemplar()
            .map(|e| exemplar_tuple(py, e))
            .transpose()
    }

    /// The total.
    fn get(&self) -> u64 {
        self.inner.get()
    }

    /// The total (same as `get()`).
    #[getter]
    fn value(&self) -> u64 {
        self.inner.get()
    }

    /// Number of stripes (a power of two).
    #[getter]
    fn stripes(&self) -> usize {
        self.inner.stripes()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Counter>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        format!("Counter(value={})", self.inner.get())
    }
}
