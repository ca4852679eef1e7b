//! `Info` (label pairs describing something, such as a build) and `Enum` (which of a fixed set of
//! states something is in): core's `Info` and `Enum`, as prometheus_client's `Info` and `Enum`.
//!
//! Translation only: a `dict[str, str]` of pairs becomes core's `&[(&str, &str)]` (through the
//! registry's label conversion, with its messages), a sequence of str the states; every rule
//! (names, states) and message is core's.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::errors::to_pyerr;
use crate::registry::with_labels;

/// Label pairs that describe something (a build's version and commit), exported as one sample
/// `<name>_info{...} 1`. `set` replaces the pairs as a whole.
#[pyclass(frozen, module = "atomicperf")]
pub struct Info {
    pub(crate) inner: Arc<ap::Info>,
}

impl Info {
    /// Wraps an Info that a registry also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Info>) -> Self {
        Info { inner }
    }
}

#[pymethods]
impl Info {
    /// An Info with no pairs.
    #[new]
    fn new() -> Self {
        Info {
            inner: Arc::new(ap::Info::new()),
        }
    }

    /// Replaces the pairs (a dict of str to str; exported sorted by name). A label name outside
    /// the Prometheus data model, or one of a registry Info's own label names, raises ValueError
    /// and leaves the pairs unchanged.
    fn set(&self, pairs: &Bound<'_, PyAny>) -> PyResult<()> {
        with_labels(Some(pairs), |p| self.inner.set(p))
    }

    /// The pairs, as a dict in name order.
    fn get<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.inner.get() {
            d.set_item(k, v)?;
        }
        Ok(d)
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Info>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Info({})", self.get(py)?.repr()?))
    }
}

/// The states argument: a sequence of str (not a str itself).
pub(crate) fn state_strings(states: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if states.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "states must be a sequence of str, not a str",
        ));
    }
    states.extract::<Vec<String>>().map_err(|e| {
        let ty = states
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        let err = PyTypeError::new_err(format!("states must be a sequence of str, not {ty}"));
        err.set_cause(states.py(), Some(e));
        err
    })
}

/// Which one of a fixed set of states something is in, exported as one sample per state (1 for
/// the current one, 0 for the others). Starts in its first state.
#[pyclass(frozen, module = "atomicperf")]
pub struct Enum {
    pub(crate) inner: Arc<ap::Enum>,
}

impl Enum {
    /// Wraps an Enum that a registry also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Enum>) -> Self {
        Enum { inner }
    }
}

#[pymethods]
impl Enum {
    /// An Enum over `states` (a sequence of str), in the first. No states, an empty state or one
    /// given twice raise ValueError.
    #[new]
    fn new(states: &Bound<'_, PyAny>) -> PyResult<Self> {
        let states = state_strings(states)?;
        let refs: Vec<&str> = states.iter().map(String::as_str).collect();
        Ok(Enum {
            inner: Arc::new(ap::Enum::new(&refs).map_err(to_pyerr)?),
        })
    }

    /// Makes `state` the current state; ValueError (nothing changes) if it is not one of the
    /// states.
    fn set(&self, state: &str) -> PyResult<()> {
        self.inner.set(state).map_err(to_pyerr)
    }

    /// The current state.
    fn get(&self) -> String {
        self.inner.get().to_owned()
    }

    /// The index of the current state in `states`.
    #[getter]
    fn index(&self) -> usize {
        self.inner.index()
    }

    /// Every state, in the order given.
    #[getter]
    fn states(&self) -> Vec<String> {
        self.inner.states().to_vec()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Enum>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        format!(
            "Enum(state={:?}, states={:?})",
            self.inner.get(),
            self.inner.states()
        )
    }
}
