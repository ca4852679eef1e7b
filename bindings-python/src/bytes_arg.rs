//! Python byte strings to and from the core's `[u8]` keys and values.
//!
//! Keys and values of `ShardedMap`, `OnceMap` keys and `SnapshotCell` values are byte strings, as
//! across the C ABI. A `bytes` object is used as it is (no copy for a look-up; stored as the same
//! object); a `bytearray`, a `memoryview` or a `bytes` subclass is copied into a new `bytes`.
//! Anything else raises `TypeError`, `str` included: text has no single byte form, so the caller
//! encodes it (and `"a"` and `b"a"` are never silently the same key).
//!
//! Stored values are exact `bytes` objects: dropping one (under a shard lock, in `clear()`) only
//! frees memory and never runs Python code, so no Python code ever runs under a core lock.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView, PyString};

#[cold]
#[inline(never)]
fn not_bytes(obj: &Bound<'_, PyAny>, what: &str) -> PyErr {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    let hint = if obj.is_instance_of::<PyString>() {
        " (encode the str first, e.g. s.encode())"
    } else {
        ""
    };
    PyTypeError::new_err(format!(
        "{what} must be bytes, bytearray or memoryview, not {ty}{hint}"
    ))
}

/// A copy of a non-`bytes` byte string as an exact `bytes` object.
#[cold]
#[inline(never)]
fn copied<'py>(obj: &Bound<'py, PyAny>, what: &str) -> PyResult<Bound<'py, PyBytes>> {
    let py = obj.py();
    if let Ok(b) = obj.cast::<PyBytes>() {
        // A bytes subclass: stored as plain bytes (a subclass could run Python code when freed).
        return Ok(PyBytes::new(py, b.as_bytes()));
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(PyBytes::new(py, &b.to_vec()));
    }
    if obj.is_instance_of::<PyMemoryView>() {
        // tobytes() copies any memoryview (any format, contiguous or not) as raw bytes.
        return Ok(obj.call_method0("tobytes")?.cast_into::<PyBytes>()?);
    }
    Err(not_bytes(obj, what))
}

/// `obj` as an exact `bytes` object: the object itself if it is one, else a copy.
#[inline]
pub(crate) fn exact_bytes<'py>(
    obj: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    match obj.cast_exact::<PyBytes>() {
        Ok(b) => Ok(b.clone()),
        Err(_) => copied(obj, what),
    }
}

/// Runs `f` on the bytes of `obj` (borrowed from a `bytes` object, copied otherwise).
#[inline]
pub(crate) fn with_bytes<R>(
    obj: &Bound<'_, PyAny>,
    what: &str,
    f: impl FnOnce(&[u8]) -> R,
) -> PyResult<R> {
    match obj.cast::<PyBytes>() {
        Ok(b) => Ok(f(b.as_bytes())),
        Err(_) => Ok(f(copied(obj, what)?.as_bytes())),
    }
}

/// The bytes of `obj`, owned (a key to store).
#[inline]
pub(crate) fn owned(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Box<[u8]>> {
    with_bytes(obj, what, |b| Box::from(b))
}

/// A short `repr` of a key for messages: `b'abc'`, cut after 40 bytes.
pub(crate) fn key_repr(py: Python<'_>, key: &[u8]) -> String {
    let shown = &key[..key.len().min(40)];
    let r = PyBytes::new(py, shown)
        .repr()
        .map(|r| r.to_string())
        .unwrap_or_else(|_| "?".to_owned());
    if key.len() > 40 {
        format!("{r}...")
    } else {
        r
    }
}
