//! `Ledger`: accounts keyed by u64 with i64 balances.
//!
//! Each core error is its own exception class (`errors.rs`), all under `LedgerError(ValueError)`;
//! `UnknownAccountError` is also a `KeyError`. Every exception carries the values of the core
//! error as attributes (`account`, `balance`, `amount`). Single calls hold the GIL (the core takes
//! no lock: a balance changes by compare-and-swap); `transfer_many` converts its batch with the
//! GIL, then runs it detached from the interpreter.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyOverflowError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PySequence, PyTuple};

use crate::convert::to_u64;
use crate::errors::{raise, to_pyerr};

fn account_id(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    to_u64(obj, what)
}

/// An amount as i64: `TypeError` for a non-int, `InvalidAmountError` (with `.amount` the given
/// int) for one that is not from 1 to 2**63 - 1. Zero and negative amounts that fit are left to
/// the core, which refuses them with its own message.
fn amount(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    match obj.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(e) if e.is_instance_of::<PyOverflowError>(obj.py()) => Err(raise(
            obj.py(),
            ap::Status::InvalidAmount,
            format!(
                "amount must be an int from 1 to 2**63 - 1, got {}",
                obj.repr()?
            ),
            &[("amount", obj.clone().unbind())],
        )),
        Err(e) => {
            let ty = obj.get_type().name()?;
            let err = PyTypeError::new_err(format!("amount must be an int, not {ty}"));
            err.set_cause(obj.py(), Some(e));
            Err(err)
        }
    }
}

/// The transfers of a batch, converted before any runs: a malformed batch raises and changes
/// nothing. Each item is a tuple (or other sequence) of three ints. The error messages are only
/// formatted on failure: the common path is three int conversions per item.
fn batch(transfers: &Bound<'_, PyAny>) -> PyResult<Vec<(u64, u64, i64)>> {
    let mut out = Vec::with_capacity(transfers.len().unwrap_or(0));
    let mut convert =
        |i: usize, from: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>, amt: &Bound<'_, PyAny>| {
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
            out.push((from, to, amt));
            PyResult::Ok(())
        };
    for (i, item) in transfers.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(t) = item.cast::<PyTuple>() {
            if t.len() == 3 {
                convert(i, &t.get_item(0)?, &t.get_item(1)?, &t.get_item(2)?)?;
                continue;
            }
        }
        match item.cast::<PySequence>() {
            Ok(s) if !item.is_instance_of::<pyo3::types::PyString>() && s.len()? == 3 => {
                convert(i, &s.get_item(0)?, &s.get_item(1)?, &s.get_item(2)?)?;
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
    fn transfer_many<'py>(
        &self,
        py: Python<'py>,
        transfers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        let batch = batch(transfers)?;
        let inner = &self.inner;
        let results = py.detach(|| inner.transfer_many(&batch));
        PyList::new(
            py,
            results.into_iter().map(|r| match r {
                Ok(()) => py.None(),
                Err(e) => to_pyerr(e).into_value(py).into_any(),
            }),
        )
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
