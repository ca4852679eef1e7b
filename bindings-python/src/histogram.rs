//! `Histogram`: a lock-free log-linear histogram of non-negative ints.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;

use crate::convert::{histogram_config, opt_repr, to_u64};
use crate::errors::to_pyerr;
use crate::exemplar::{exemplar_tuple, ExemplarTuple};
use crate::registry::with_labels;

/// A lock-free log-linear histogram of non-negative integers (nanoseconds by default).
#[pyclass(frozen, module = "atomicperf")]
pub struct Histogram {
    pub(crate) inner: Arc<ap::Histogram>,
}

impl Histogram {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Histogram>) -> Self {
        Histogram { inner }
    }
}

#[pymethods]
impl Histogram {
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
        let inner = ap::Histogram::with_config(config);
        Ok(Histogram {
            inner: Arc::new(inner),
        })
    }

    /// Records one value.
    fn record(&self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.record(to_u64(v, "record() value")?);
        Ok(())
    }

    /// Records `v` and makes `exemplar` (a dict of str to str: a trace's labels, such as
    /// trace_id) the exemplar of the exported bucket `v` falls in, stamped with `timestamp`
    /// (seconds since the Unix epoch, or None). A registry exports the latest exemplar of each
    /// `le` bucket in OpenMetrics and protobuf. Errors as `Counter.inc_with_exemplar`; nothing is
    /// recorded then.
    #[pyo3(signature = (v, exemplar, timestamp = None))]
    fn record_with_exemplar(
        &self,
        v: &Bound<'_, PyAny>,
        exemplar: &Bound<'_, PyAny>,
        timestamp: Option<f64>,
    ) -> PyResult<()> {
        let v = to_u64(v, "record_with_exemplar() value")?;
        with_labels(Some(exemplar), |l| {
            self.inner.record_with_exemplar(v, l, timestamp)
        })
    }

    /// The latest exemplar of each exported bucket (`+Inf` last; one entry for a histogram
    /// outside a registry), each `(labels, value, timestamp)` or None.
    fn exemplars<'py>(&self, py: Python<'py>) -> PyResult<Vec<Option<ExemplarTuple<'py>>>> {
        self.inner
            .exemplars()
            .into_iter()
            .map(|e| e.map(|e| exemplar_tuple(py, e)).transpose())
            .collect()
    }

    /// Records `v` as if `n` times.
    fn record_n(&self, v: &Bound<'_, PyAny>, n: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = to_u64(v, "record_n() value")?;
        let n = to_u64(n, "record_n() count")?;
        self.inner.record_n(v, n);
        Ok(())
    }

    /// Number of recorded values.
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of the recorded (clamped) values, wrapping at 2**64.
    fn sum(&self) -> u64 {
        self.inner.sum()
    }

    /// Smallest recorded value, None when empty.
    fn min(&self) -> Option<u64> {
        self.inner.min()
    }

    /// Largest recorded (clamped) value, None when empty.
    fn max(&self) -> Option<u64> {
        self.inner.max()
    }

    /// Mean of the recorded values, None when empty.
    fn mean(&self) -> Option<f64> {
        self.inner.mean()
    }

    /// The value at quantile `q` in [0, 1], None when empty.
    fn quantile(&self, q: f64) -> PyResult<Option<u64>> {
        self.inner.quantile(q).map_err(to_pyerr)
    }

    /// Values above the highest trackable value, clamped to it.
    fn overflow_count(&self) -> u64 {
        self.inner.overflow_count()
    }

    /// Bytes the histogram's state occupies.
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }

    /// A new, independent histogram holding the values recorded so far.
    fn snapshot(&self) -> Histogram {
        Histogram {
            inner: Arc::new(ap::Histogram::from_snapshot(&self.inner.snapshot())),
        }
    }

    /// Adds every value of `other` to this histogram.
    fn merge(&self, other: &Bound<'_, Histogram>) {
        self.inner.merge(&other.get().inner);
    }

    /// Empties the histogram.
    fn reset(&self) {
        self.inner.reset();
    }

    /// Precision of the bucket layout (1 to 5).
    #[getter]
    fn significant_figures(&self) -> u8 {
        self.inner.config().significant_figures()
    }

    /// Highest trackable value; larger values are clamped to it.
    #[getter]
    fn highest(&self) -> u64 {
        self.inner.config().highest()
    }

    /// Largest relative error of a reported quantile.
    #[getter]
    fn relative_error(&self) -> f64 {
        self.inner.config().relative_error()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Histogram>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        // One snapshot, so that count, sum, min and max describe the same moment.
        let s = self.inner.snapshot();
        format!(
            "Histogram(count={}, sum={}, min={}, max={}, significant_figures={}, highest={})",
            s.count(),
            s.sum(),
            opt_repr(s.min()),
            opt_repr(s.max()),
            s.config().significant_figures(),
            s.config().highest(),
        )
    }
}
