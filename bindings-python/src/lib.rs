//! Python binding of atomicperf: `atomicperf._atomicperf`, re-exported by the `atomicperf` package.
//!
//! This crate only translates: Python ints, floats and timedeltas to `u64`/`f64`/`Duration`, core
//! [`atomicperf::Error`]s to `ValueError`, `TypeError`, `TimeoutError` or `ClosedError`, and `None`
//! for empty statistics. Every rule (stripes, precision, clamping, quantile bounds, windows,
//! queues) lives in the core crate.
//!
//! Every class is `#[pyclass(frozen)]`: the core types are `Sync` and mutate through atomics, so
//! methods take `&self` and pyo3 skips the borrow flag that a mutable pyclass checks on every
//! call. Every class holds its core object in an `Arc`: a gauge's cell is 128-byte aligned, which
//! a Python object's memory is not, and the Arc lets rate trackers and async recorders share the
//! metric. Only [`AsyncRecorder`](async_recorder::AsyncRecorder) waits, and it releases the GIL
//! in every wait (`Python::detach`).

mod async_recorder;
mod bench;
mod bytes_arg;
mod cancellation;
mod durations;
mod ledger;
mod minmax;
mod once_map;
mod rate;
mod registry;
mod sharded_map;
mod snapshot_cell;
mod throughput;
mod timer;
mod wait;

use atomicperf as ap;
use std::sync::Arc;

use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;

pub(crate) fn value_error(e: ap::Error) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Converts a Python int to `u64`: `ValueError` for a negative or too large int, `TypeError` for
/// anything that is not an int (floats included), with `what` naming the argument.
#[inline]
pub(crate) fn to_u64(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    match obj.extract::<u64>() {
        Ok(v) => Ok(v),
        Err(e) => Err(bad_u64(obj, what, e)),
    }
}

// Kept out of line so that the successful conversion stays small enough to inline.
#[cold]
#[inline(never)]
fn bad_u64(obj: &Bound<'_, PyAny>, what: &str, e: PyErr) -> PyErr {
    let py = obj.py();
    if e.is_instance_of::<PyOverflowError>(py) {
        let shown = obj
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        PyValueError::new_err(format!(
            "{what} must be an int from 0 to 2**64 - 1, got {shown}"
        ))
    } else {
        let ty = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".to_owned());
        let err = PyTypeError::new_err(format!("{what} must be an int, not {ty}"));
        err.set_cause(py, Some(e));
        err
    }
}

/// The histogram layout from optional `significant_figures` and `highest` arguments (Histogram
/// and Timer), with core's defaults and core's messages.
pub(crate) fn histogram_config(
    significant_figures: Option<&Bound<'_, PyAny>>,
    highest: Option<&Bound<'_, PyAny>>,
) -> PyResult<ap::HistogramConfig> {
    let figures = match significant_figures {
        None => ap::HistogramConfig::DEFAULT_SIGNIFICANT_FIGURES,
        // Core takes a u8; a negative or huge int is as invalid as 6, so say it in core's words.
        Some(s) => match to_u64(s, "significant_figures") {
            Ok(v) if v <= u64::from(u8::MAX) => v as u8,
            Err(e) if !e.is_instance_of::<PyValueError>(s.py()) => return Err(e),
            _ => {
                return Err(PyValueError::new_err(format!(
                    "precision must be 1 to 5 significant figures, got {}",
                    s.repr()?
                )))
            }
        },
    };
    let highest = match highest {
        None => ap::HistogramConfig::DEFAULT_HIGHEST,
        Some(h) => to_u64(h, "highest")?,
    };
    ap::HistogramConfig::new(figures, highest).map_err(value_error)
}

pub(crate) fn float_repr(py: Python<'_>, v: f64) -> PyResult<String> {
    Ok(v.into_pyobject(py)?.repr()?.to_string())
}

pub(crate) fn opt_repr<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| v.to_string())
}

/// A monotonic counter of non-negative integers that many threads increment without a lock.
#[pyclass(frozen, module = "atomicperf")]
pub struct Counter {
    pub(crate) inner: Arc<ap::Counter>,
}

impl Counter {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Counter>) -> Self {
        Counter { inner }
    }
}

#[pymethods]
impl Counter {
    #[new]
    #[pyo3(signature = (stripes = None))]
    fn new(stripes: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let inner = match stripes {
            None => ap::Counter::new(),
            Some(s) => {
                let n = to_u64(s, "stripes")?;
                // Beyond usize (32-bit targets only) is invalid anyway: core rejects usize::MAX.
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                ap::Counter::with_stripes(n).map_err(value_error)?
            }
        };
        Ok(Counter {
            inner: Arc::new(inner),
        })
    }

    /// Adds one.
    fn inc(&self) {
        self.inner.inc();
    }

    /// Adds `n` (an int from 0 to 2**64 - 1).
    fn add(&self, n: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.add(to_u64(n, "add() argument")?);
        Ok(())
    }

    /// The total.
    fn get(&self) -> u64 {
        self.inner.get()
    }

    /// The total (same as `get()`).
    #[getter]
    fn value(&self) -> u64 {
        self.inner.get()
    }

    /// Number of stripes (a power of two).
    #[getter]
    fn stripes(&self) -> usize {
        self.inner.stripes()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Counter>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        format!("Counter(value={})", self.inner.get())
    }
}

/// A float that many threads set and adjust without a lock.
#[pyclass(frozen, module = "atomicperf")]
pub struct Gauge {
    // Boxed in an Arc: the gauge's cell is cache-padded (128-byte aligned), which a Python object's
    // memory is not; it also lets other objects (async recorders) share the metric.
    pub(crate) inner: Arc<ap::Gauge>,
}

impl Gauge {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Gauge>) -> Self {
        Gauge { inner }
    }
}

#[pymethods]
impl Gauge {
    #[new]
    #[pyo3(signature = (value = 0.0))]
    fn new(value: f64) -> Self {
        Gauge {
            inner: Arc::new(ap::Gauge::with_value(value)),
        }
    }

    /// Replaces the value.
    fn set(&self, v: f64) {
        self.inner.set(v);
    }

    /// The current value.
    fn get(&self) -> f64 {
        self.inner.get()
    }

    /// Adds `d` (which may be negative).
    fn add(&self, d: f64) {
        self.inner.add(d);
    }

    /// Subtracts `d`.
    fn sub(&self, d: f64) {
        self.inner.sub(d);
    }

    /// Adds one.
    fn inc(&self) {
        self.inner.inc();
    }

    /// Subtracts one.
    fn dec(&self) {
        self.inner.dec();
    }

    /// Raises the value to `v` if `v` is greater.
    fn set_max(&self, v: f64) {
        self.inner.set_max(v);
    }

    /// Lowers the value to `v` if `v` is smaller.
    fn set_min(&self, v: f64) {
        self.inner.set_min(v);
    }

    /// The current value (same as `get()`).
    #[getter]
    fn value(&self) -> f64 {
        self.inner.get()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Gauge>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Gauge(value={})",
            float_repr(py, self.inner.get())?
        ))
    }
}

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
        self.inner.quantile(q).map_err(value_error)
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

/// Lock-free metrics primitives backed by the atomicperf Rust core.
#[pymodule]
fn _atomicperf(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Counter>()?;
    m.add_class::<Gauge>()?;
    m.add_class::<Histogram>()?;
    m.add_class::<minmax::MinMax>()?;
    m.add_class::<timer::Timer>()?;
    m.add_class::<timer::TimerSnapshot>()?;
    m.add_class::<rate::RateTracker>()?;
    m.add_class::<throughput::ThroughputWindow>()?;
    m.add_class::<throughput::WindowStats>()?;
    m.add_class::<async_recorder::AsyncRecorder>()?;
    m.add(
        "ClosedError",
        m.py().get_type::<async_recorder::ClosedError>(),
    )?;
    m.add_class::<sharded_map::ShardedMap>()?;
    m.add_class::<ledger::Ledger>()?;
    let py = m.py();
    m.add("LedgerError", py.get_type::<ledger::LedgerError>())?;
    m.add("UnknownAccountError", ledger::unknown_account_type(py)?)?;
    m.add(
        "AccountExistsError",
        py.get_type::<ledger::AccountExistsError>(),
    )?;
    m.add(
        "InvalidAmountError",
        py.get_type::<ledger::InvalidAmountError>(),
    )?;
    m.add(
        "SameAccountError",
        py.get_type::<ledger::SameAccountError>(),
    )?;
    m.add(
        "InsufficientFundsError",
        py.get_type::<ledger::InsufficientFundsError>(),
    )?;
    m.add(
        "BalanceOverflowError",
        py.get_type::<ledger::BalanceOverflowError>(),
    )?;
    m.add(
        "AccountClosedError",
        py.get_type::<ledger::AccountClosedError>(),
    )?;
    m.add(
        "AccountNotEmptyError",
        py.get_type::<ledger::AccountNotEmptyError>(),
    )?;
    snapshot_cell::register(m)?;
    m.add_class::<once_map::OnceMap>()?;
    m.add_class::<cancellation::CancellationToken>()?;
    registry::register(m)?;
    bench::register(m)?;
    Ok(())
}
