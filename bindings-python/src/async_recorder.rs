//! `AsyncRecorder`: a bounded queue in front of a metric, applied by worker threads.
//!
//! Every wait (`flush`, `close`, a block-mode `record` on a full queue, any `record` with a
//! timeout) runs detached from the interpreter (`Python::detach`), so other Python threads run
//! meanwhile. A record first tries the queue without waiting and without releasing the GIL: the
//! common case (room in the queue) pays no GIL hand-off.

use std::sync::Arc;
use std::time::Duration;

use atomicperf as ap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::convert::to_u64;
use crate::counter::Counter;
use crate::durations::{measured_nanos, timeout, MAX_WAIT};
use crate::errors::{error_with_message, to_pyerr};
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::minmax::MinMax;
use crate::timer::Timer;

/// A bounded queue in front of a metric, applied by worker threads in batches.
#[pyclass(frozen, module = "atomicperf")]
pub struct AsyncRecorder {
    inner: Arc<ap::AnyAsyncRecorder>,
    metric: Py<PyAny>,
    capacity: usize,
    workers: usize,
    batch: usize,
    overflow: ap::Overflow,
}

fn size(obj: Option<&Bound<'_, PyAny>>, what: &str, default: usize) -> PyResult<usize> {
    match obj {
        None => Ok(default),
        Some(o) => Ok(usize::try_from(to_u64(o, what)?).unwrap_or(usize::MAX)),
    }
}

/// A core error of a record as the exception of its status, its message naming the call.
fn async_error(py: Python<'_>, e: ap::Error, what: &str) -> PyErr {
    let message = match e {
        ap::Error::Closed => {
            format!("{what}: the AsyncRecorder is closed and accepts no more records")
        }
        ap::Error::Forked => format!("{what}: the AsyncRecorder is {e}"),
        ap::Error::Timeout => format!("{what}: no room in the queue before the timeout"),
        _ => format!("{what}: {e}"),
    };
    error_with_message(py, &e, message)
}

impl AsyncRecorder {
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }

    fn wrong_method(&self, method: &str) -> PyErr {
        let takes = match self.kind() {
            "gauge" => "set(), add(), set_max() or set_min()",
            _ => "record()",
        };
        PyTypeError::new_err(format!(
            "{method} does not apply to an AsyncRecorder in front of a {}: it takes {takes}",
            self.kind()
        ))
    }

    fn send(
        &self,
        py: Python<'_>,
        event: ap::AsyncEvent,
        timeout_arg: Option<&Bound<'_, PyAny>>,
        what: &str,
    ) -> PyResult<bool> {
        let wait = timeout(timeout_arg, "timeout")?;
        let inner = &*self.inner;
        let result = if wait.is_none() && self.overflow == ap::Overflow::Drop {
            // Drop mode never waits.
            inner.record(event)
        } else {
            match inner.record_with_timeout(event, Duration::ZERO) {
                Err(ap::Error::Timeout) => {
                    let total = wait.unwrap_or(crate::durations::MAX_WAIT);
                    crate::wait::interruptible(py, total, |slice| {
                        match inner.record_with_timeout(event, slice) {
                            Err(ap::Error::Timeout) => None,
                            done => Some(done),
                        }
                    })?
                    .unwrap_or(Err(ap::Error::Timeout))
                }
                other => other,
            }
        };
        match result {
            Ok(ap::Recorded::Queued) => Ok(true),
            Ok(ap::Recorded::Dropped) => Ok(false),
            Err(e) => Err(async_error(py, e, what)),
        }
    }

    fn gauge_op(
        &self,
        py: Python<'_>,
        op: ap::GaugeOp,
        timeout_arg: Option<&Bound<'_, PyAny>>,
        what: &str,
    ) -> PyResult<bool> {
        if self.kind() != "gauge" {
            return Err(self.wrong_method(what));
        }
        self.send(py, ap::AsyncEvent::Gauge(op), timeout_arg, what)
    }
}

#[pymethods]
impl AsyncRecorder {
    #[new]
    #[pyo3(
        signature = (metric, capacity = None, workers = None, batch = None, overflow = None),
        text_signature = "(metric, capacity=65536, workers=1, batch=256, overflow='drop')"
    )]
    fn new(
        metric: &Bound<'_, PyAny>,
        capacity: Option<&Bound<'_, PyAny>>,
        workers: Option<&Bound<'_, PyAny>>,
        batch: Option<&Bound<'_, PyAny>>,
        overflow: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let defaults = ap::AsyncConfig::default();
        let overflow = match overflow {
            None => defaults.overflow,
            Some(o) => {
                let s = o.cast::<PyString>().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "overflow must be \"drop\" or \"block\", not {}",
                        o.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    ))
                })?;
                match s.to_str()? {
                    "drop" => ap::Overflow::Drop,
                    "block" => ap::Overflow::Block,
                    other => {
                        return Err(PyValueError::new_err(format!(
                            "overflow must be \"drop\" or \"block\", got {other:?}"
                        )))
                    }
                }
            }
        };
        let config = ap::AsyncConfig {
            capacity: size(capacity, "capacity", defaults.capacity)?,
            workers: size(workers, "workers", defaults.workers)?,
            batch: size(batch, "batch", defaults.batch)?,
            overflow,
        };
        let inner = if let Ok(c) = metric.cast::<Counter>() {
            ap::AnyAsyncRecorder::counter(c.get().inner.clone(), config)
        } else if let Ok(g) = metric.cast::<Gauge>() {
            ap::AnyAsyncRecorder::gauge(g.get().inner.clone(), config)
        } else if let Ok(h) = metric.cast::<Histogram>() {
            ap::AnyAsyncRecorder::histogram(h.get().inner.clone(), config)
        } else if let Ok(t) = metric.cast::<Timer>() {
            ap::AnyAsyncRecorder::timer(t.get().inner.clone(), config)
        } else if let Ok(m) = metric.cast::<MinMax>() {
            ap::AnyAsyncRecorder::minmax(m.get().inner.clone(), config)
        } else {
            return Err(PyTypeError::new_err(format!(
                "AsyncRecorder takes a Counter, Gauge, Histogram, Timer or MinMax, not {}",
                metric
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            )));
        }
        .map_err(to_pyerr)?;
        Ok(AsyncRecorder {
            inner: Arc::new(inner),
            metric: metric.clone().unbind(),
            capacity: config.capacity,
            workers: config.workers,
            batch: config.batch,
            overflow,
        })
    }

    /// Queues one event: a value for a Counter (amount to add), Histogram or MinMax; a duration
    /// and `ok` for a Timer. True if queued, False if dropped.
    #[pyo3(signature = (value, ok = None, *, timeout = None))]
    fn record(
        &self,
        py: Python<'_>,
        value: &Bound<'_, PyAny>,
        ok: Option<bool>,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        let event = match self.kind() {
            "timer" => ap::AsyncEvent::Timing {
                nanos: measured_nanos(value, "duration")?,
                ok: ok.unwrap_or(true),
            },
            "gauge" => return Err(self.wrong_method("record()")),
            kind => {
                if ok.is_some() {
                    return Err(PyTypeError::new_err(format!(
                        "ok= is for a Timer; this AsyncRecorder is in front of a {kind}"
                    )));
                }
                ap::AsyncEvent::Value(to_u64(value, "record() value")?)
            }
        };
        self.send(py, event, timeout, "record()")
    }

    /// Queues Gauge.set(v).
    #[pyo3(signature = (v, *, timeout = None))]
    fn set(&self, py: Python<'_>, v: f64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        self.gauge_op(py, ap::GaugeOp::Set(v), timeout, "set()")
    }

    /// Queues Gauge.add(v).
    #[pyo3(signature = (v, *, timeout = None))]
    fn add(&self, py: Python<'_>, v: f64, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        self.gauge_op(py, ap::GaugeOp::Add(v), timeout, "add()")
    }

    /// Queues Gauge.set_max(v).
    #[pyo3(signature = (v, *, timeout = None))]
    fn set_max(
        &self,
        py: Python<'_>,
        v: f64,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.gauge_op(py, ap::GaugeOp::SetMax(v), timeout, "set_max()")
    }

    /// Queues Gauge.set_min(v).
    #[pyo3(signature = (v, *, timeout = None))]
    fn set_min(
        &self,
        py: Python<'_>,
        v: f64,
        timeout: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<bool> {
        self.gauge_op(py, ap::GaugeOp::SetMin(v), timeout, "set_min()")
    }

    /// Waits until every event queued before the call is applied; False if `timeout` (seconds)
    /// passed first. Releases the GIL while waiting.
    #[pyo3(signature = (timeout = None))]
    fn flush(&self, py: Python<'_>, timeout: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let wait = crate::durations::timeout(timeout, "timeout")?.unwrap_or(MAX_WAIT);
        let inner = &*self.inner;
        // The events queued before this call: later slices must not wait for newer ones.
        let target = inner.queued();
        // A closed recorder (or one in a forked child, whose workers do not exist) answers at
        // once: waiting longer cannot change the answer.
        let flushed = crate::wait::interruptible(py, wait, |slice| {
            let done = inner.flush_until(target, slice);
            (done || inner.is_closed()).then_some(done)
        })?;
        Ok(flushed == Some(true))
    }

    /// Stops accepting events, applies every queued one and stops the workers. Idempotent.
    /// Releases the GIL while waiting.
    fn close(&self, py: Python<'_>) {
        let inner = &*self.inner;
        py.detach(|| inner.close());
    }

    /// Whether close() was called.
    #[getter]
    fn closed(&self) -> bool {
        self.inner.is_closed()
    }

    /// Events offered: queued plus dropped.
    #[getter]
    fn enqueued(&self) -> u64 {
        self.inner.enqueued()
    }

    /// Events applied to the metric.
    #[getter]
    fn applied(&self) -> u64 {
        self.inner.applied()
    }

    /// Events dropped because the queue was full (drop mode).
    #[getter]
    fn dropped(&self) -> u64 {
        self.inner.dropped()
    }

    /// The metric behind the queue.
    #[getter]
    fn metric(&self, py: Python<'_>) -> Py<PyAny> {
        self.metric.clone_ref(py)
    }

    /// Queue capacity.
    #[getter]
    fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of worker threads.
    #[getter]
    fn workers(&self) -> usize {
        self.workers
    }

    /// Most events a worker applies per wake-up.
    #[getter]
    fn batch(&self) -> usize {
        self.batch
    }

    /// "drop" or "block".
    #[getter]
    fn overflow(&self) -> &'static str {
        match self.overflow {
            ap::Overflow::Drop => "drop",
            ap::Overflow::Block => "block",
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "AsyncRecorder(metric={}, overflow='{}', capacity={}, workers={}, enqueued={}, applied={}, dropped={}, closed={})",
            self.metric.bind(py).repr()?,
            self.overflow(),
            self.capacity,
            self.workers,
            self.inner.enqueued(),
            self.inner.applied(),
            self.inner.dropped(),
            if self.inner.is_closed() { "True" } else { "False" },
        ))
    }
}
