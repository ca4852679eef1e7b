//! Core errors as Python exceptions: the one table from core's statuses
//! ([`atomicperf::Status`], the C ABI's `ap_status`) to exception classes, and the exception
//! classes the package defines.
//!
//! Every core error is raised through [`to_pyerr`] (or [`raise`], for a message that names the
//! call): its class is the one [`class_of`] gives its status, its message is core's, and a
//! ledger error carries its values as attributes (`account`, `balance`, `amount`). The table is
//! exposed to Python (`_statuses()`, `_status_exceptions()`) so that the tests check it covers
//! every status of core, the stub's table included.
//!
//! | status | class |
//! |---|---|
//! | `AP_ERR_NULL_HANDLE`, `AP_ERR_NULL_POINTER` | `TypeError` (C only: a Python object is never NULL) |
//! | `AP_ERR_OUT_OF_RANGE`, `AP_ERR_INVALID_ARGUMENT` | `ValueError` |
//! | `AP_ERR_EMPTY` | `ValueError` (not raised: an empty statistic is `None`) |
//! | `AP_ERR_BUFFER_TOO_SMALL` | `ValueError` (C only: Python has no caller buffers) |
//! | `AP_ERR_INTERNAL` | pyo3's `PanicException` (a Rust panic; a `BaseException`) |
//! | `AP_ERR_TIMEOUT` | `TimeoutError` |
//! | `AP_ERR_CLOSED` | `ClosedError(RuntimeError)` |
//! | ledger statuses | their `LedgerError(ValueError)` subclass (`AP_ERR_OVERFLOW`: `BalanceOverflowError`) |
//! | `AP_ERR_REVISION_MISMATCH` | `RevisionMismatchError(ValueError)` |

use atomicperf as ap;
use atomicperf::Status;
use pyo3::create_exception;
use pyo3::exceptions::{
    PyBaseException, PyKeyError, PyRuntimeError, PyTimeoutError, PyTypeError, PyValueError,
};
use pyo3::panic::PanicException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyInt, PyTuple, PyType};

create_exception!(
    atomicperf,
    ClosedError,
    PyRuntimeError,
    "Raised when recording into an AsyncRecorder after close()."
);
create_exception!(
    atomicperf,
    RevisionMismatchError,
    PyValueError,
    "SnapshotCell.compare_and_store() found another revision than the expected one."
);
create_exception!(
    atomicperf,
    LedgerError,
    PyValueError,
    "Base class of the errors a Ledger operation raises; a ValueError."
);
create_exception!(
    atomicperf,
    AccountExistsError,
    LedgerError,
    "open() of an account id that is already open."
);
create_exception!(
    atomicperf,
    InvalidAmountError,
    LedgerError,
    "An amount that is not from 1 to 2**63 - 1."
);
create_exception!(
    atomicperf,
    SameAccountError,
    LedgerError,
    "A transfer from an account to itself."
);
create_exception!(
    atomicperf,
    InsufficientFundsError,
    LedgerError,
    "A withdrawal or transfer that would take an account without overdraft below zero."
);
create_exception!(
    atomicperf,
    BalanceOverflowError,
    LedgerError,
    "An operation that would take a balance outside -2**63 .. 2**63 - 1."
);
create_exception!(
    atomicperf,
    AccountClosedError,
    LedgerError,
    "An operation on a closed account (reopen() it to use it again), or open() of a closed id."
);
create_exception!(
    atomicperf,
    AccountNotEmptyError,
    LedgerError,
    "close() of an account whose balance is not 0 or that has a transfer from it in flight."
);

static UNKNOWN_ACCOUNT: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `UnknownAccountError(LedgerError, KeyError)`: built with `type()` because it has two bases;
/// its `str()` is the message (not the quoted repr a KeyError shows).
pub(crate) fn unknown_account_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    UNKNOWN_ACCOUNT
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [py.get_type::<LedgerError>(), py.get_type::<PyKeyError>()],
            )?;
            let dict = PyDict::new(py);
            dict.set_item("__module__", "atomicperf")?;
            dict.set_item(
                "__doc__",
                "An account id that is not open; a LedgerError and a KeyError.",
            )?;
            dict.set_item(
                "__str__",
                py.get_type::<PyBaseException>().getattr("__str__")?,
            )?;
            let ty = py
                .get_type::<PyType>()
                .call1(("UnknownAccountError", bases, dict))?;
            Ok(ty.cast_into::<PyType>()?.unbind())
        })
        .map(|t| t.bind(py))
}

/// The class a status is raised as; `None` for `Ok` and for a status newer than this table
/// (which `tests/test_errors.py` refuses).
pub(crate) fn class_of(py: Python<'_>, status: Status) -> PyResult<Option<Bound<'_, PyType>>> {
    Ok(Some(match status {
        Status::Ok => return Ok(None),
        Status::NullHandle | Status::NullPointer => py.get_type::<PyTypeError>(),
        Status::OutOfRange | Status::Empty | Status::BufferTooSmall | Status::InvalidArgument => {
            py.get_type::<PyValueError>()
        }
        Status::Internal => py.get_type::<PanicException>(),
        Status::Timeout => py.get_type::<PyTimeoutError>(),
        Status::Closed => py.get_type::<ClosedError>(),
        Status::UnknownAccount => unknown_account_type(py)?.clone(),
        Status::AccountExists => py.get_type::<AccountExistsError>(),
        Status::InvalidAmount => py.get_type::<InvalidAmountError>(),
        Status::SameAccount => py.get_type::<SameAccountError>(),
        Status::InsufficientFunds => py.get_type::<InsufficientFundsError>(),
        Status::Overflow => py.get_type::<BalanceOverflowError>(),
        Status::RevisionMismatch => py.get_type::<RevisionMismatchError>(),
        Status::AccountClosed => py.get_type::<AccountClosedError>(),
        Status::AccountNotEmpty => py.get_type::<AccountNotEmptyError>(),
        Status::Io => py.get_type::<pyo3::exceptions::PyOSError>(),
        _ => return Ok(None),
    }))
}

/// An exception of the class of `status`, with `message` and the given attributes.
pub(crate) fn raise(
    py: Python<'_>,
    status: Status,
    message: String,
    attrs: &[(&str, Py<PyAny>)],
) -> PyErr {
    let made = (|| {
        let Some(class) = class_of(py, status)? else {
            // A status this table does not know yet (the tests fail on it): still an error.
            return Ok(PyValueError::new_err(message));
        };
        let e = class.call1((message,))?;
        for (name, value) in attrs {
            e.setattr(*name, value)?;
        }
        Ok(PyErr::from_value(e))
    })();
    made.unwrap_or_else(|e: PyErr| e)
}

/// A core error as the exception of its status, with core's message; a ledger error carries
/// its values as attributes.
pub(crate) fn to_pyerr(e: ap::Error) -> PyErr {
    Python::attach(|py| error_with_message(py, &e, e.to_string()))
}

/// As [`to_pyerr`], with another message (one that names the call).
pub(crate) fn error_with_message(py: Python<'_>, e: &ap::Error, message: String) -> PyErr {
    let int = |v: i64| PyInt::new(py, v).into_any().unbind();
    let uint = |v: u64| PyInt::new(py, v).into_any().unbind();
    let attrs = match *e {
        ap::Error::UnknownAccount(id)
        | ap::Error::AccountExists(id)
        | ap::Error::SameAccount(id)
        | ap::Error::BalanceOverflow(id)
        | ap::Error::AccountClosed(id) => vec![("account", uint(id))],
        ap::Error::InvalidAmount(a) => vec![("amount", int(a))],
        ap::Error::InsufficientFunds {
            account,
            balance,
            amount,
        } => vec![
            ("account", uint(account)),
            ("balance", int(balance)),
            ("amount", int(amount)),
        ],
        ap::Error::AccountNotEmpty { account, balance } => {
            vec![("account", uint(account)), ("balance", int(balance))]
        }
        _ => Vec::new(),
    };
    raise(py, e.status(), message, &attrs)
}

/// Every status of core, in code order: `(code, name)` pairs (`AP_OK` included).
#[pyfunction]
pub(crate) fn _statuses() -> Vec<(i32, &'static str)> {
    Status::ALL.iter().map(|s| (s.code(), s.name())).collect()
}

/// The exception class of every status this binding maps, by status name (`AP_OK` has none).
#[pyfunction]
pub(crate) fn _status_exceptions(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let table = PyDict::new(py);
    for &status in Status::ALL {
        if let Some(class) = class_of(py, status)? {
            table.set_item(status.name(), class)?;
        }
    }
    Ok(table)
}
