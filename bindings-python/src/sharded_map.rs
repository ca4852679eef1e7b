//! `ShardedMap`: a concurrent map of byte strings to byte strings.
//!
//! The core map is `ShardedMap<Box<[u8]>, Arc<Py<PyBytes>>>`: keys are owned bytes (look-ups
//! borrow the `bytes` object's buffer, no copy), values are the very `bytes` objects inserted
//! (`get` returns the inserted object, as a dict does). Every call holds the GIL and none releases
//! it: the shard locks are held for a table operation only, and no Python code (and nothing that
//! could wait for the GIL) ever runs under one, so a shard lock and the GIL can never deadlock.
//!
//! `compute_if_absent(key, fn)` calls `fn` outside any lock, then inserts its result only if the
//! key is still absent (core `compute_if_absent` with the value already computed) and returns the
//! winner. `fn` may therefore call the map itself, and racing callers may each run their `fn`;
//! one value wins and every caller gets it.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::bytes_arg::{exact_bytes, owned, with_bytes};
use crate::convert::to_u64;
use crate::errors::to_pyerr;

type Value = Arc<Py<PyBytes>>;

/// A concurrent hash map of byte strings, sharded by key, for many threads.
#[pyclass(frozen, module = "atomicperf")]
pub struct ShardedMap {
    inner: Arc<ap::ShardedMap<Box<[u8]>, Value>>,
}

fn stored(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    Ok(Arc::new(exact_bytes(value, what)?.unbind()))
}

impl ShardedMap {
    fn lookup(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyBytes>>> {
        with_bytes(key, "key", |k| self.inner.with(k, |v| v.clone_ref(py)))
    }
}

#[pymethods]
impl ShardedMap {
    #[new]
    #[pyo3(signature = (shards = None))]
    fn new(shards: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let inner = match shards {
            None => ap::ShardedMap::new(),
            Some(s) if s.is_none() => ap::ShardedMap::new(),
            Some(s) => {
                let n = usize::try_from(to_u64(s, "shards")?).unwrap_or(usize::MAX);
                ap::ShardedMap::with_shards(n).map_err(to_pyerr)?
            }
        };
        Ok(ShardedMap {
            inner: Arc::new(inner),
        })
    }

    /// The value for `key`, or `default`.
    #[pyo3(signature = (key, default = None))]
    fn get(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        default: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        Ok(match self.lookup(py, key)? {
            Some(v) => v.into_any(),
            None => default.unwrap_or_else(|| py.None()),
        })
    }

    /// Sets `key` to `value`; returns the previous value or None.
    fn insert(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<Option<Py<PyBytes>>> {
        let k = owned(key, "key")?;
        let v = stored(value, "value")?;
        Ok(self.inner.insert(k, v).map(|old| old.clone_ref(py)))
    }

    /// Removes `key`; returns its value or None.
    fn remove(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Option<Py<PyBytes>>> {
        let old = with_bytes(key, "key", |k| self.inner.remove(k))?;
        Ok(old.map(|v| v.clone_ref(py)))
    }

    /// Whether `key` is present.
    fn contains(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        with_bytes(key, "key", |k| self.inner.contains(k))
    }

    /// The value for `key`; if absent, calls `fn()` (no lock held) and inserts its result unless
    /// another caller inserted first. Returns the value in the map.
    #[pyo3(name = "compute_if_absent")]
    fn compute_if_absent(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        r#fn: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyBytes>> {
        let k = owned(key, "key")?;
        if let Some(v) = self.inner.with(&k[..], |v| v.clone_ref(py)) {
            return Ok(v);
        }
        // Python code runs here, with no core lock held: it may use this map, release the GIL,
        // or raise (nothing is inserted then).
        let produced = r#fn.call0()?;
        let v = stored(&produced, "compute_if_absent() fn result")?;
        Ok(self.inner.compute_if_absent(k, move || v).clone_ref(py))
    }

    /// Removes every entry.
    fn clear(&self) {
        self.inner.clear();
    }

    /// Every entry as a dict, copied shard by shard.
    fn snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.inner.snapshot() {
            d.set_item(PyBytes::new(py, &k), v.bind(py))?;
        }
        Ok(d)
    }

    /// Every (key, value) pair, copied shard by shard.
    fn items<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let pairs = self.inner.snapshot().into_iter().map(|(k, v)| {
            PyTuple::new(
                py,
                [
                    PyBytes::new(py, &k).into_any(),
                    v.bind(py).clone().into_any(),
                ],
            )
        });
        let pairs: PyResult<Vec<_>> = pairs.collect();
        PyList::new(py, pairs?)
    }

    /// Every key, copied shard by shard.
    fn keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(
            py,
            self.inner
                .snapshot()
                .iter()
                .map(|(k, _)| PyBytes::new(py, k)),
        )
    }

    /// Every value, copied shard by shard.
    fn values<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        PyList::new(
            py,
            self.inner
                .snapshot()
                .iter()
                .map(|(_, v)| v.bind(py).clone()),
        )
    }

    /// Number of shards (a power of two).
    #[getter]
    fn shards(&self) -> usize {
        self.inner.shards()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.contains(key)
    }

    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyBytes>> {
        self.lookup(py, key)?
            .ok_or_else(|| PyKeyError::new_err(key.clone().unbind()))
    }

    fn __setitem__(&self, key: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let k = owned(key, "key")?;
        let v = stored(value, "value")?;
        self.inner.insert(k, v);
        Ok(())
    }

    fn __delitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<()> {
        match with_bytes(key, "key", |k| self.inner.remove(k))? {
            Some(_) => Ok(()),
            None => Err(PyKeyError::new_err(key.clone().unbind())),
        }
    }

    /// Iterates over a snapshot of the keys.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(self.keys(py)?.try_iter()?.into_any())
    }

    fn __repr__(&self) -> String {
        format!(
            "ShardedMap(len={}, shards={})",
            self.inner.len(),
            self.inner.shards()
        )
    }
}
