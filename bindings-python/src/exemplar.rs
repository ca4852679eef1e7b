//! Exemplars read back: core's `Exemplar` as a Python tuple `(labels, value, timestamp)`.

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::types::PyDict;

/// `(labels, value, timestamp)`: a dict of the labels in name order, the value, and the
/// timestamp in seconds since the Unix epoch or None.
pub(crate) type ExemplarTuple<'py> = (Bound<'py, PyDict>, f64, Option<f64>);

pub(crate) fn exemplar_tuple(py: Python<'_>, e: ap::Exemplar) -> PyResult<ExemplarTuple<'_>> {
    let labels = PyDict::new(py);
    for (k, v) in e.labels {
        labels.set_item(k, v)?;
    }
    Ok((labels, e.value, e.timestamp))
}
