//! `OnceMap`: get-or-initialise per byte-string key, with Python initialisers and values.
//!
//! The core map is `OnceMap<Box<[u8]>, Arc<Py<PyAny>>>`: keys are byte strings (as for
//! `ShardedMap`), values any Python object (the Arc makes them `Clone` without the GIL). A call
//! first looks the key up with the GIL held; if it is not initialised, it claims the key with the
//! GIL released (`Python::detach`), so that waiting for another thread's initialiser lets every
//! other Python thread run. The caller that wins the claim runs `fn` with the GIL and completes
//! the ticket with its result; if `fn` raises, the ticket is dropped (abandoned): nothing is
//! cached, the exception propagates, and one waiting caller runs its own `fn`.
//!
//! A `fn` that calls `get_or_init` for its own key on the same map, on the same thread, would wait
//! for itself forever; the binding refuses it with `RuntimeError` (a thread-local list of the keys
//! this thread is initialising).

use std::cell::RefCell;
use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyKeyError, PyRuntimeError};
use pyo3::prelude::*;

use crate::bytes_arg::{key_repr, owned, with_bytes};
use crate::errors::error_with_message;

type Value = Arc<Py<PyAny>>;
type Core = ap::OnceMap<Box<[u8]>, Value>;

std::thread_local! {
    // (map address, key) pairs whose initialiser this thread is running.
    static INITIALISING: RefCell<Vec<(usize, Box<[u8]>)>> = const { RefCell::new(Vec::new()) };
}

struct Initialising(usize);

impl Initialising {
    fn enter(map: usize, key: &[u8]) -> Option<Self> {
        INITIALISING.with(|s| {
            let mut s = s.borrow_mut();
            if s.iter().any(|(m, k)| *m == map && **k == *key) {
                return None;
            }
            s.push((map, Box::from(key)));
            Some(Initialising(s.len() - 1))
        })
    }
}

impl Drop for Initialising {
    fn drop(&mut self) {
        INITIALISING.with(|s| {
            s.borrow_mut().truncate(self.0);
        });
    }
}

/// Get-or-initialise per key: concurrent callers for one key run one initialiser and share its
/// value; a failed initialiser is not cached.
#[pyclass(frozen, module = "atomicperf")]
pub struct OnceMap {
    inner: Arc<Core>,
}

impl OnceMap {
    fn address(&self) -> usize {
        Arc::as_ptr(&self.inner) as usize
    }
}

#[pymethods]
impl OnceMap {
    #[new]
    fn new() -> Self {
        OnceMap {
            inner: Arc::new(ap::OnceMap::new()),
        }
    }

    /// The value for `key`, calling `fn()` to make it if no caller has yet.
    #[pyo3(signature = (key, r#fn, timeout = None))]
    fn get_or_init(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        r#fn: &Bound<'_, PyAny>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let wait = crate::durations::timeout(timeout, "timeout")?;
        // Fast path, GIL held, key borrowed: an initialised key neither waits nor allocates.
        if let Some(v) = with_bytes(key, "key", |k| self.inner.get(k))? {
            return Ok(v.clone_ref(py));
        }
        let k = owned(key, "key")?;
        let Some(_scope) = Initialising::enter(self.address(), &k) else {
            return Err(PyRuntimeError::new_err(format!(
                "OnceMap.get_or_init(): key {} is being initialised by this thread (fn called \
                 get_or_init for its own key); waiting for it would deadlock",
                key_repr(py, &k)
            )));
        };
        let inner = &*self.inner;
        let shown = key_repr(py, &k);
        let total = wait.unwrap_or(crate::durations::MAX_WAIT);
        let claim = crate::wait::interruptible(py, total, |slice| {
            match inner.claim_timeout(k.clone(), slice) {
                Err(ap::Error::Timeout) => None,
                done => Some(done),
            }
        })?
        .unwrap_or(Err(ap::Error::Timeout));
        match claim {
            Ok(ap::Claim::Ready(v)) => Ok(v.clone_ref(py)),
            Ok(ap::Claim::Init(ticket)) => {
                // On an exception the ticket is dropped here: abandoned, not cached.
                let made = r#fn.call0()?;
                Ok(ticket.complete(Arc::new(made.unbind())).clone_ref(py))
            }
            Err(e) => Err(error_with_message(
                py,
                &e,
                format!(
                    "OnceMap.get_or_init(): key {shown} is being initialised by another caller \
                     and was not ready before the timeout"
                ),
            )),
        }
    }

    /// The value for `key` if it was initialised, else `default`.
    #[pyo3(signature = (key, default = None))]
    fn get(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        default: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Ok(match with_bytes(key, "key", |k| self.inner.get(k))? {
            Some(v) => v.clone_ref(py),
            None => default.unwrap_or_else(|| py.None()),
        })
    }

    /// Forgets `key` (the next get_or_init initialises it again); returns its value or None.
    fn remove(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyAny>>> {
        let old = with_bytes(key, "key", |k| self.inner.remove(k))?;
        Ok(old.map(|v| v.clone_ref(py)))
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        with_bytes(key, "key", |k| self.inner.get(k).is_some())
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match with_bytes(key, "key", |k| self.inner.get(k))? {
            Some(v) => Ok(v.clone_ref(py)),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    fn __repr__(&self) -> String {
        format!("OnceMap(len={})", self.inner.len())
    }
}
