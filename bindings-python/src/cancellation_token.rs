//! `CancellationToken`: cancel once, seen by the token and all its children.
//!
//! The core token is itself a shared handle (an `Arc` inside), so the pyclass holds it directly;
//! `child()` returns a new Python object around the child token. `wait` releases the GIL.

use atomicperf as ap;
use pyo3::prelude::*;

use crate::durations::{timeout, MAX_WAIT};

/// A cancellation signal for a tree of tasks: `cancel()` once, every holder of the token or of a
/// child token sees it.
#[pyclass(frozen, module = "atomicperf")]
pub struct CancellationToken {
    inner: ap::CancellationToken,
}

#[pymethods]
impl CancellationToken {
    #[new]
    fn new() -> Self {
        CancellationToken {
            inner: ap::CancellationToken::new(),
        }
    }

    /// Cancels this token and its descendants, waking every waiter. Idempotent.
    fn cancel(&self) {
        self.inner.cancel();
    }

    /// Whether the token was cancelled (one atomic load).
    #[getter]
    fn is_cancelled(&self) -> bool {
        self.inner.is_cancelled()
    }

    /// A new token, cancelled when this one is (and cancellable on its own).
    fn child(&self) -> CancellationToken {
        CancellationToken {
            inner: self.inner.child(),
        }
    }

    /// Waits, with the GIL released, until the token is cancelled or `timeout` seconds pass;
    /// returns whether it was cancelled.
    #[pyo3(signature = (timeout = None))]
    fn wait(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let wait = self::timeout(timeout, "timeout")?.unwrap_or(MAX_WAIT);
        if self.inner.is_cancelled() {
            return Ok(true);
        }
        let inner = &self.inner;
        let cancelled =
            crate::wait::interruptible(py, wait, |slice| inner.wait(slice).then_some(()))?;
        Ok(cancelled.is_some())
    }

    fn __repr__(&self) -> String {
        format!(
            "CancellationToken(cancelled={})",
            if self.inner.is_cancelled() {
                "True"
            } else {
                "False"
            }
        )
    }
}
