//! The benchmark suite (core's `bench::run`) from Python: arguments translated to a
//! `BenchConfig`, the run on Rust threads with the GIL released, the report kept whole so that
//! Python gets core's JSON, table and Markdown renderings of it.

use atomicperf_bench::{self as bench, BenchConfig};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyInt, PyString};

use crate::convert::to_u64;
use crate::durations::setting_duration;

/// The result of a benchmark run (core's report), rendered by core.
#[pyclass(frozen, module = "atomicperf")]
pub struct BenchReport {
    inner: bench::Report,
}

#[pymethods]
impl BenchReport {
    /// The report as JSON, schema "atomicperf-bench/1".
    fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The report as a plain-text table for a terminal.
    fn to_table(&self) -> String {
        self.inner.to_table()
    }

    /// The report as a Markdown table.
    fn to_markdown(&self) -> String {
        self.inner.to_markdown()
    }

    fn __repr__(&self) -> String {
        format!(
            "BenchReport(cells={}, threads={:?}, cell_seconds={}, total_seconds={:.3})",
            self.inner.cells.len(),
            self.inner.threads,
            self.inner.cell_seconds,
            self.inner.total_seconds
        )
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

fn thread_counts(threads: &Bound<'_, PyAny>) -> PyResult<Vec<usize>> {
    let one = |t: &Bound<'_, PyAny>| -> PyResult<usize> {
        let n = match to_u64(t, "thread count") {
            Ok(n) => n,
            Err(e) if e.is_instance_of::<PyValueError>(t.py()) => {
                return Err(PyValueError::new_err(format!(
                    "thread counts must be positive ints, got {}",
                    t.repr()?
                )))
            }
            Err(e) => return Err(e),
        };
        // Core refuses anything above 256; saturate rather than wrap on 32-bit targets.
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    };
    if threads.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "threads must be an int or a sequence of ints, not str",
        ));
    }
    if threads.is_instance_of::<PyInt>() {
        return Ok(vec![one(threads)?]);
    }
    let iter = threads.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "threads must be an int or a sequence of ints, not {}",
            type_name(threads)
        ))
    })?;
    iter.map(|t| one(&t?)).collect()
}

fn filters(filter: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(filter) = filter.filter(|f| !f.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = filter.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    let iter = filter.try_iter().map_err(|_| {
        PyTypeError::new_err(format!(
            "filter must be a str or a sequence of str, not {}",
            type_name(filter)
        ))
    })?;
    iter.map(|f| {
        let f = f?;
        match f.cast::<PyString>() {
            Ok(s) => Ok(s.to_str()?.to_owned()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "filter entries must be str, not {}",
                type_name(&f)
            ))),
        }
    })
    .collect()
}

/// Runs the benchmark suite; see `atomicperf.bench.run`.
#[pyfunction]
#[pyo3(signature = (threads, duration, filter = None, progress = None))]
fn _bench_run(
    py: Python<'_>,
    threads: &Bound<'_, PyAny>,
    duration: &Bound<'_, PyAny>,
    filter: Option<&Bound<'_, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<BenchReport> {
    let config = BenchConfig {
        threads: thread_counts(threads)?,
        duration: setting_duration(duration, "duration")?,
        filter: filters(filter)?,
    };
    let progress = progress.filter(|p| !p.is_none(py));
    if let Some(p) = &progress {
        if !p.bind(py).is_callable() {
            return Err(PyTypeError::new_err("progress must be callable or None"));
        }
    }
    let mut failed: Option<PyErr> = None;
    // The workloads run on Rust threads; this thread only waits for them, without the GIL.
    // A progress callback takes the GIL back for the duration of its call.
    let result = py.detach(|| {
        bench::run(&config, |p| {
            let Some(cb) = &progress else { return };
            if failed.is_some() {
                return;
            }
            Python::attach(|py| {
                let r = py.check_signals().and_then(|()| {
                    cb.call1(py, (p.done, p.total, p.workload, p.design, p.threads))
                        .map(drop)
                });
                if let Err(e) = r {
                    failed = Some(e);
                }
            });
        })
    });
    if let Some(e) = failed {
        return Err(e);
    }
    match result {
        Ok(inner) => Ok(BenchReport { inner }),
        Err(e) => Err(PyValueError::new_err(e.to_string())),
    }
}

/// Names of every workload of the suite, in report order.
#[pyfunction]
fn _bench_workloads() -> Vec<&'static str> {
    bench::workload_names()
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<BenchReport>()?;
    m.add_function(wrap_pyfunction!(_bench_run, m)?)?;
    m.add_function(wrap_pyfunction!(_bench_workloads, m)?)?;
    Ok(())
}
