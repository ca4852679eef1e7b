//! `RateTracker`: per-second rates of counters between calls.

use std::collections::HashSet;
use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::counter::Counter;

/// Per-second rates of a set of counters between successive `rates()` calls.
#[pyclass(frozen, module = "atomicperf")]
pub struct RateTracker {
    inner: Arc<ap::RateTracker>,
}

fn source(
    name: &Bound<'_, PyAny>,
    counter: &Bound<'_, PyAny>,
) -> PyResult<(String, Arc<ap::Counter>)> {
    let name = name.cast::<PyString>().map_err(|_| {
        PyTypeError::new_err(format!(
            "RateTracker names must be str, not {}",
            name.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let counter = counter.cast::<Counter>().map_err(|_| {
        PyTypeError::new_err(format!(
            "RateTracker tracks atomicperf.Counter objects, not {} (for {})",
            counter
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            name.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })?;
    Ok((name.to_str()?.to_owned(), counter.get().inner.clone()))
}

#[pymethods]
impl RateTracker {
    #[new]
    fn new(counters: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut sources = Vec::new();
        if let Ok(d) = counters.cast::<PyDict>() {
            for (name, counter) in d.iter() {
                sources.push(source(&name, &counter)?);
            }
        } else if counters.is_instance_of::<PyString>() {
            return Err(PyTypeError::new_err(
                "RateTracker takes a dict of name -> Counter or an iterable of (name, Counter) pairs, not str",
            ));
        } else {
            let items = counters.try_iter().map_err(|_| {
                PyTypeError::new_err(format!(
                    "RateTracker takes a dict of name -> Counter or an iterable of (name, Counter) pairs, not {}",
                    counters.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                ))
            })?;
            for item in items {
                let item = item?;
                let pair = item
                    .cast::<PyTuple>()
                    .ok()
                    .filter(|t| t.len() == 2)
                    .ok_or_else(|| {
                        PyTypeError::new_err(format!(
                            "RateTracker pairs must be (name, Counter) tuples, got {}",
                            item.repr().map(|r| r.to_string()).unwrap_or_default()
                        ))
                    })?;
                sources.push(source(&pair.get_item(0)?, &pair.get_item(1)?)?);
            }
        }
        let mut seen = HashSet::new();
        for (name, _) in &sources {
            if !seen.insert(name.as_str()) {
                return Err(PyValueError::new_err(format!(
                    "RateTracker names must be unique, {name:?} appears twice"
                )));
            }
        }
        Ok(RateTracker {
            inner: Arc::new(ap::RateTracker::new(sources)),
        })
    }

    /// Per-second rate of each counter since the previous call (zeros on the first call).
    fn rates<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for r in self.inner.rates() {
            d.set_item(r.name, r.per_second)?;
        }
        Ok(d)
    }

    /// (name, delta, per_second) of each counter since the previous call.
    fn rates_detailed<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = self
            .inner
            .rates()
            .into_iter()
            .map(|r| (r.name, r.delta, r.per_second));
        PyList::new(py, rows)
    }

    /// Names of the tracked counters, in order.
    #[getter]
    fn names(&self) -> Vec<String> {
        self.inner.names().map(str::to_owned).collect()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let names = PyList::new(py, self.inner.names())?;
        Ok(format!("RateTracker(names={})", names.repr()?))
    }
}
