//! `SharedRegistry`: a registry whose metrics live in one shared-memory segment, shared by every
//! process that opens it (gunicorn and uvicorn workers, multiprocessing pools, processes of other
//! languages).
//!
//! Translation only: the options become core's `SharedOptions` (`None` keeps core's default),
//! labels and histogram options are read as `Registry` reads them, a gauge mode name goes to
//! core's `GaugeMode::from_name`, and the metrics are the package's ordinary `Counter`, `Gauge`,
//! `Histogram` and `Timer` objects. Every rule (names, modes, sizes, the segment) is core's.

use std::path::PathBuf;
use std::sync::Arc;

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::convert::to_u64;
use crate::counter::Counter;
use crate::errors::to_pyerr;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::registry::{histogram_opts, scrape_format, text_format_error, with_labels};
use crate::timer::Timer;

/// A registry of named, labelled metrics that many processes share through one shared-memory
/// segment.
#[pyclass(frozen, module = "atomicperf")]
pub struct SharedRegistry {
    inner: Arc<ap::SharedRegistry>,
}

/// A size option: an int, with anything beyond `u32` passed on as `u32::MAX` for core to refuse
/// with its own message.
fn size_u32(v: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<u32>> {
    v.filter(|v| !v.is_none())
        .map(|v| Ok(u32::try_from(to_u64(v, what)?).unwrap_or(u32::MAX)))
        .transpose()
}

fn options(
    dir: Option<PathBuf>,
    mode: Option<&Bound<'_, PyAny>>,
    max_series: Option<&Bound<'_, PyAny>>,
    max_processes: Option<&Bound<'_, PyAny>>,
    data_bytes: Option<&Bound<'_, PyAny>>,
    counter_stripes: Option<&Bound<'_, PyAny>>,
    create: bool,
) -> PyResult<ap::SharedOptions> {
    let mut opts = ap::SharedOptions {
        dir,
        create,
        counter_stripes: size_u32(counter_stripes, "counter_stripes")?,
        ..ap::SharedOptions::default()
    };
    if let Some(m) = size_u32(mode, "mode")? {
        opts.mode = m;
    }
    if let Some(n) = size_u32(max_series, "max_series")? {
        opts.max_series = n;
    }
    if let Some(n) = size_u32(max_processes, "max_processes")? {
        opts.max_processes = n;
    }
    if let Some(b) = data_bytes.filter(|b| !b.is_none()) {
        opts.data_bytes = to_u64(b, "data_bytes")?;
    }
    Ok(opts)
}

#[pymethods]
impl SharedRegistry {
    /// Opens (creating if needed) the shared registry `path_or_name`.
    #[new]
    #[pyo3(signature = (
        path_or_name, *, dir = None, mode = None, max_series = None, max_processes = None,
        data_bytes = None, counter_stripes = None, create = true
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path_or_name: &str,
        dir: Option<PathBuf>,
        mode: Option<&Bound<'_, PyAny>>,
        max_series: Option<&Bound<'_, PyAny>>,
        max_processes: Option<&Bound<'_, PyAny>>,
        data_bytes: Option<&Bound<'_, PyAny>>,
        counter_stripes: Option<&Bound<'_, PyAny>>,
        create: bool,
    ) -> PyResult<Self> {
        let opts = options(
            dir,
            mode,
            max_series,
            max_processes,
            data_bytes,
            counter_stripes,
            create,
        )?;
        let name = path_or_name.to_owned();
        // Creating a segment writes a file: other Python threads may run meanwhile.
        let inner = py
            .detach(move || ap::SharedRegistry::open(&name, &opts))
            .map_err(to_pyerr)?;
        Ok(SharedRegistry {
            inner: Arc::new(inner),
        })
    }

    /// Removes the segment file `path_or_name` (resolved in `dir` as the constructor does).
    #[staticmethod]
    #[pyo3(signature = (path_or_name, *, dir = None))]
    fn remove(path_or_name: &str, dir: Option<PathBuf>) -> PyResult<()> {
        let opts = ap::SharedOptions {
            dir,
            ..ap::SharedOptions::default()
        };
        ap::SharedRegistry::remove(path_or_name, &opts).map_err(to_pyerr)
    }

    /// Removes this registry's file name; the registry and its metrics keep working.
    fn unlink(&self) -> PyResult<()> {
        self.inner.unlink().map_err(to_pyerr)
    }

    /// The counter `name` with these labels, created if absent (by this or any process).
    #[pyo3(signature = (name, help = "", labels = None))]
    fn counter(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Counter> {
        with_labels(labels, |l| self.inner.counter(name, help, l)).map(Counter::from_arc)
    }

    /// The gauge `name` with these labels, created if absent; `mode` combines the processes'
    /// values.
    #[pyo3(signature = (name, help = "", labels = None, mode = "all"))]
    fn gauge(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
        mode: &str,
    ) -> PyResult<Gauge> {
        let mode = ap::GaugeMode::from_name(mode).map_err(to_pyerr)?;
        with_labels(labels, |l| self.inner.gauge(name, help, l, mode)).map(Gauge::from_arc)
    }

    /// The histogram `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None, buckets = None, scale = None))]
    fn histogram(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
        buckets: Option<&Bound<'_, PyAny>>,
        scale: Option<f64>,
    ) -> PyResult<Histogram> {
        let opts = histogram_opts(buckets, scale)?;
        with_labels(labels, |l| self.inner.histogram(name, help, l, &opts)).map(Histogram::from_arc)
    }

    /// The timer `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None))]
    fn timer(&self, name: &str, help: &str, labels: Option<&Bound<'_, PyAny>>) -> PyResult<Timer> {
        with_labels(labels, |l| self.inner.timer(name, help, l)).map(Timer::from_arc)
    }

    /// Every process's metrics, combined: "prometheus" (0.0.4), "openmetrics" (1.0) or "json".
    #[pyo3(signature = (format = "prometheus"))]
    fn export(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        let inner = Arc::clone(&self.inner);
        let f: fn(&ap::SharedRegistry) -> String = match format {
            "prometheus" => ap::SharedRegistry::export_prometheus,
            "openmetrics" => ap::SharedRegistry::export_openmetrics,
            "json" => ap::SharedRegistry::export_json,
            other => return Err(text_format_error(other)),
        };
        // Export reads atomics and never blocks recorders; other Python threads run meanwhile.
        Ok(py.detach(move || f(&inner)))
    }

    /// Every process's metrics, combined, as the bytes of an HTTP body: "prometheus",
    /// "openmetrics", "json" (UTF-8 text) or "protobuf" (delimited MetricFamily messages).
    #[pyo3(signature = (format = "prometheus"))]
    fn export_bytes<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        let inner = Arc::clone(&self.inner);
        let body = match scrape_format(format)? {
            Some(f) => py.detach(move || inner.export(f)),
            None => py.detach(move || inner.export_json().into_bytes()),
        };
        Ok(PyBytes::new(py, &body))
    }

    /// The segment file.
    #[getter]
    fn path(&self) -> String {
        self.inner.path().to_string_lossy().into_owned()
    }

    /// Number of series in the segment, registered by any process.
    #[getter]
    fn series_count(&self) -> usize {
        self.inner.series_count()
    }

    /// The segment's capacity in series.
    #[getter]
    fn max_series(&self) -> u32 {
        self.inner.max_series()
    }

    /// The segment's process table slots.
    #[getter]
    fn max_processes(&self) -> u32 {
        self.inner.max_processes()
    }

    /// Series refused because the segment was full.
    #[getter]
    fn refused_series(&self) -> u64 {
        self.inner.refused_series()
    }

    /// Times a process found the process table full.
    #[getter]
    fn refused_processes(&self) -> u64 {
        self.inner.refused_processes()
    }

    /// Number of metric families in the segment.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<SharedRegistry>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        format!(
            "SharedRegistry({:?}, families={})",
            self.inner.path().to_string_lossy(),
            self.inner.len()
        )
    }
}
