//! `Ledger`: accounts keyed by u64 with i64 balances.
//!
//! Each core error is its own exception class (`errors.rs`), all under `LedgerError(ValueError)`;
//! `UnknownAccountError` is also a `KeyError`. Every exception carries the values of the core
//! error as attributes (`account`, `balance`, `amount`). Single calls hold the GIL (the core takes
//! no lock: a balance changes by compare-and-swap); `transfer_many` converts its batch with the
//! GIL, then runs it detached from the interpreter.
//!
//! `transfer_many` takes its batch in one of two forms:
//! - a sequence (or iterable) of `(from_id, to_id, amount)` tuples: three int conversions per
//!   transfer, then the batch runs;
//! - a buffer of 8-byte native-endian integers, three per transfer (`bytes`, `bytearray`,
//!   `memoryview` or `array.array`, e.g. `array("q", [1, 2, 5, 1, 3, 7])`): no conversion per
//!   transfer. A `bytes` object is read in place; the other buffers are copied into one first (a
//!   memory copy), so that no other thread changes them while the batch runs without the GIL.
//!
//! Either way the core runs the batch (`Ledger::transfer_each`) and reports only the failures; the
//! result list is `[None] * n` with the failures' exceptions set in their places.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyByteArray, PyBytes, PyList, PyMemoryView, PySequence, PyString, PyTuple, PyType,
};

use crate::convert::to_u64;
use crate::errors::{error_with_message, raise, to_pyerr};

/// Bytes of one transfer in the buffer form: from_id, to_id, amount.
const TRIPLE: usize = 24;

fn account_id(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    to_u64(obj, what)
}

/// An amount as i64: `TypeError` for a non-int, `InvalidAmountError` (with `.amount` the given
/// int) for one that is not from 1 to 2**63 - 1. Zero and negative amounts that fit are left to
/// the core, which refuses them with its own message.
fn amount(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(e) => Err(bad_amount(obj, e)),
    }
}

#[cold]
#[inline(never)]
fn bad_amount(obj: &Bound<'_, PyAny>, e: PyErr) -> PyErr {
    let py = obj.py();
    if e.is_instance_of::<PyOverflowError>(py) {
        let shown = match obj.repr() {
            Ok(r) => r.to_string(),
            Err(e) => return e,
        };
        return raise(
            py,
            ap::Status::InvalidAmount,
            format!("amount must be an int from 1 to 2**63 - 1, got {shown}"),
            &[("amount", obj.clone().unbind())],
        );
    }
    let ty = match obj.get_type().name() {
        Ok(n) => n.to_string(),
        Err(e) => return e,
    };
    let err = PyTypeError::new_err(format!("amount must be an int, not {ty}"));
    err.set_cause(py, Some(e));
    err
}

/// One `(from_id, to_id, amount)` item of the tuple form. The error messages are only formatted
/// on failure: the common path is three int conversions.
#[inline]
fn triple(
    i: usize,
    from: &Bound<'_, PyAny>,
    to: &Bound<'_, PyAny>,
    amt: &Bound<'_, PyAny>,
) -> PyResult<(u64, u64, i64)> {
    let from = match from.extract::<u64>() {
        Ok(v) => v,
        Err(_) => account_id(from, &format!("transfers[{i}] from_id"))?,
    };
    let to = match to.extract::<u64>() {
        Ok(v) => v,
        Err(_) => account_id(to, &format!("transfers[{i}] to_id"))?,
    };
    let amt = match amt.extract::<i64>() {
        Ok(v) => v,
        Err(_) => amount(amt)?,
    };
    Ok((from, to, amt))
}

/// The transfers of the tuple form, converted before any runs: a malformed batch raises and
/// changes nothing. Each item is a tuple (or other sequence) of three ints.
fn tuples(transfers: &Bound<'_, PyAny>) -> PyResult<Vec<(u64, u64, i64)>> {
    let mut out = Vec::with_capacity(transfers.len().unwrap_or(0));
    for (i, item) in transfers.try_iter()?.enumerate() {
        let item = item?;
        // An exact tuple first: one type comparison (a subclass check is a call under abi3).
        if let Ok(t) = item
            .cast_exact::<PyTuple>()
            .or_else(|_| item.cast::<PyTuple>())
        {
            if t.len() == 3 {
                // Borrowed: a tuple's items cannot change while it is held.
                out.push(triple(
                    i,
                    &*t.get_borrowed_item(0)?,
                    &*t.get_borrowed_item(1)?,
                    &*t.get_borrowed_item(2)?,
                )?);
                continue;
            }
        }
        match item.cast::<PySequence>() {
            Ok(s) if !item.is_instance_of::<PyString>() && s.len()? == 3 => {
                out.push(triple(
                    i,
                    &s.get_item(0)?,
                    &s.get_item(1)?,
                    &s.get_item(2)?,
                )?);
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "transfers[{i}] must be a (from_id, to_id, amount) tuple, not {}",
                    item.get_type().name()?
                )))
            }
        }
    }
    Ok(out)
}

static ARRAY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// The batch as a `bytes` object if it is in the buffer form (`None` for the tuple form).
fn buffer<'py>(transfers: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyBytes>>> {
    let py = transfers.py();
    let bytes = if let Ok(b) = transfers.cast::<PyBytes>() {
        b.clone()
    } else if transfers.is_instance_of::<PyByteArray>()
        || transfers.is_instance_of::<PyMemoryView>()
        || transfers.is_instance(ARRAY.import(py, "array", "array")?)?
    {
        // bytes() copies any buffer as raw bytes, whatever its format or layout.
        py.get_type::<PyBytes>()
            .call1((transfers,))?
            .cast_into::<PyBytes>()?
    } else {
        return Ok(None);
    };
    let len = bytes.as_bytes().len();
    if len % TRIPLE != 0 {
        return Err(PyValueError::new_err(format!(
            "a buffer of transfers holds 8-byte integers, three per transfer (24 bytes), got \
             {len} bytes"
        )));
    }
    Ok(Some(bytes))
}

/// A transfer of the buffer form: from_id and to_id unsigned, amount signed.
#[inline]
fn unpack(t: &[u8]) -> (u64, u64, i64) {
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&t[i * 8..i * 8 + 8]);
        w
    };
    (
        u64::from_ne_bytes(word(0)),
        u64::from_ne_bytes(word(1)),
        i64::from_ne_bytes(word(2)),
    )
}

/// `[None] * n`, with each failure's exception in its place.
fn results<'py>(
    py: Python<'py>,
    n: usize,
    failed: Vec<(usize, ap::Error)>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::new(py, [py.None()])?
        .as_sequence()
        .repeat(n)?
        .cast_into::<PyList>()?;
    for (i, e) in failed {
        let message = e.to_string();
        list.set_item(i, error_with_message(py, &e, message).into_value(py))?;
    }
    Ok(list)
}

/// Accounts keyed by int ids with int balances; transfers are atomic and conserve the total.
#[pyclass(frozen, module = "atomicperf")]
pub struct Ledger {
    inner: Arc<ap::Ledger>,
}

#[pymethods]
impl Ledger {
    #[new]
    fn new() -> Self {
        Ledger {
            inner: Arc::new(ap::Ledger::new()),
        }
    }

    /// Opens account `id` at balance 0; `overdraft` lets its balance go below zero.
    #[pyo3(signature = (id, overdraft = false))]
    fn open(&self, id: &Bound<'_, PyAny>, overdraft: bool) -> PyResult<()> {
        let id = account_id(id, "account id")?;
        self.inner.open(id, overdraft).map_err(to_pyerr)
    }

    /// Opens account `id` as a hot account (one that many transfers credit at once): its credits
    /// are spread over per-thread stripes.
    #[pyo3(signature = (id, overdraft = false))]
    fn open_hot(&self, id: &Bound<'_, PyAny>, overdraft: bool) -> PyResult<()> {
        let id = account_id(id, "account id")?;
        self.inner.open_hot(id, overdraft).map_err(to_pyerr)
    }

    /// Closes account `id` (balance 0, no transfer from it in flight).
    fn close(&self, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = account_id(id, "account id")?;
        self.inner.close(id).map_err(to_pyerr)
    }

    /// Reopens closed account `id` at balance 0.
    fn reopen(&self, id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = account_id(id, "account id")?;
        self.inner.reopen(id).map_err(to_pyerr)
    }

    /// Applies `(from_id, to_id, amount)` transfers in order, each all-or-nothing, in one call
    /// with the GIL released; returns one entry per transfer: `None` or the exception instance.
    /// `transfers` is a sequence of `(from_id, to_id, amount)` tuples, or a buffer of 8-byte
    /// integers, three per transfer.
    fn transfer_many<'py>(
        &self,
        py: Python<'py>,
        transfers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let inner = &*self.inner;
        let mut failed = Vec::new();
        let mut note = |i: usize, r: Result<(), ap::Error>| {
            if let Err(e) = r {
                failed.push((i, e));
            }
        };
        let n = if let Some(bytes) = buffer(transfers)? {
            // A bytes object never changes: read in place while the batch runs.
            let data = bytes.as_bytes();
            py.detach(|| inner.transfer_each(data.chunks_exact(TRIPLE).map(unpack), &mut note));
            data.len() / TRIPLE
        } else {
            let batch = tuples(transfers)?;
            py.detach(|| inner.transfer_each(batch.iter().copied(), &mut note));
            batch.len()
        };
        results(py, n, failed)
    }

    /// Adds `amount` to account `id`; returns the new balance.
    fn deposit(&self, id: &Bound<'_, PyAny>, amount: &Bound<'_, PyAny>) -> PyResult<i64> {
        let id = account_id(id, "account id")?;
        let amount = self::amount(amount)?;
        self.inner.deposit(id, amount).map_err(to_pyerr)
    }

    /// Takes `amount` from account `id`; returns the new balance.
    fn withdraw(&self, id: &Bound<'_, PyAny>, amount: &Bound<'_, PyAny>) -> PyResult<i64> {
        let id = account_id(id, "account id")?;
        let amount = self::amount(amount)?;
        self.inner.withdraw(id, amount).map_err(to_pyerr)
    }

    /// Moves `amount` from `from_id` to `to_id` atomically; nothing changes on error.
    fn transfer(
        &self,
        from_id: &Bound<'_, PyAny>,
        to_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let from = account_id(from_id, "from_id")?;
        let to = account_id(to_id, "to_id")?;
        let amount = self::amount(amount)?;
        self.inner.transfer(from, to, amount).map_err(to_pyerr)
    }

    /// The balance of account `id`.
    fn balance(&self, id: &Bound<'_, PyAny>) -> PyResult<i64> {
        let id = account_id(id, "account id")?;
        self.inner.balance(id).map_err(to_pyerr)
    }

    /// Sum of all balances (exact when no transfer runs concurrently).
    fn total(&self) -> i128 {
        self.inner.total()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __contains__(&self, id: &Bound<'_, PyAny>) -> PyResult<bool> {
        let id = account_id(id, "account id")?;
        Ok(self.inner.balance(id).is_ok())
    }

    fn __repr__(&self) -> String {
        format!(
            "Ledger(accounts={}, total={})",
            self.inner.len(),
            self.inner.total()
        )
    }
}
