//! `SnapshotCell`: a byte string swapped atomically, with a revision and an update time.
//!
//! The core cell holds the exact `bytes` object stored (`load` returns it, no copy). Reads and
//! stores never wait (arc-swap), so no call releases the GIL.

use std::sync::Arc;
use std::time::UNIX_EPOCH;

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyInt};

use crate::bytes_arg::exact_bytes;
use crate::convert::to_u64;
use crate::errors::raise;

static FROM_TIMESTAMP: PyOnceLock<(Py<PyAny>, Py<PyAny>)> = PyOnceLock::new();

/// A read-mostly byte string replaced atomically, with a revision number and update time.
#[pyclass(frozen, module = "atomicperf")]
pub struct SnapshotCell {
    inner: Arc<ap::SnapshotCell<Py<PyBytes>>>,
}

#[pymethods]
impl SnapshotCell {
    #[new]
    fn new(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        let v = exact_bytes(value, "value")?.unbind();
        Ok(SnapshotCell {
            inner: Arc::new(ap::SnapshotCell::new(v)),
        })
    }

    /// The current value.
    fn load(&self, py: Python<'_>) -> Py<PyBytes> {
        self.inner.load().clone_ref(py)
    }

    /// The current value and the revision it was stored under, read together.
    fn load_with_revision(&self, py: Python<'_>) -> (Py<PyBytes>, u64) {
        let (v, rev) = self.inner.load_with_revision();
        (v.clone_ref(py), rev)
    }

    /// Replaces the value; returns its revision.
    fn store(&self, value: &Bound<'_, PyAny>) -> PyResult<u64> {
        let v = exact_bytes(value, "value")?.unbind();
        Ok(self.inner.store(v))
    }

    /// Replaces the value only if the revision is still `expected`; returns the new revision.
    fn compare_and_store(
        &self,
        py: Python<'_>,
        expected: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<u64> {
        let expected = to_u64(expected, "expected")?;
        let v = exact_bytes(value, "value")?.unbind();
        self.inner
            .compare_and_store(expected, v)
            .map_err(|(current, _value)| {
                let int = |v: u64| PyInt::new(py, v).into_any().unbind();
                raise(
                    py,
                    ap::Status::RevisionMismatch,
                    format!(
                        "revision is {current}, not the expected {expected}: another store came \
                         first"
                    ),
                    &[("expected", int(expected)), ("current", int(current))],
                )
            })
    }

    /// The current revision: 0 for the initial value, one more per store.
    #[getter]
    fn revision(&self) -> u64 {
        self.inner.revision()
    }

    /// Seconds (float) since the last store, or since creation (monotonic clock).
    #[getter]
    fn age(&self) -> f64 {
        self.inner.age().as_secs_f64()
    }

    /// Wall-clock time of the last store (or of creation) as an aware datetime in UTC.
    #[getter]
    fn last_updated<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (from_timestamp, utc) = FROM_TIMESTAMP.get_or_try_init(py, || {
            let dt = py.import("datetime")?;
            Ok::<_, PyErr>((
                dt.getattr("datetime")?.getattr("fromtimestamp")?.unbind(),
                dt.getattr("timezone")?.getattr("utc")?.unbind(),
            ))
        })?;
        let since_epoch = match self.inner.last_updated().duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_secs_f64(),
            Err(e) => -e.duration().as_secs_f64(),
        };
        from_timestamp.bind(py).call1((since_epoch, utc.bind(py)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let (v, rev) = self.inner.load_with_revision();
        format!(
            "SnapshotCell(revision={rev}, len={}, age={:.3})",
            v.bind(py).as_bytes().len(),
            self.inner.age().as_secs_f64()
        )
    }
}
