//! `Registry`: named, labelled metrics (get-or-create) and their export.
//!
//! Translation only: a `dict[str, str]` of labels becomes core's `&[(&str, &str)]` (borrowed from
//! the Python strings, no copies), core's `Arc`'d metrics become the package's `Counter`,
//! `Gauge`, `Histogram`, `Timer` and `MinMax` objects, and core's errors become the exceptions of
//! their statuses (`ValueError`).
//! Every rule (names, label sets, kinds, buckets, export formats) is core's.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyDict, PyMapping, PyString};

use crate::counter::Counter;
use crate::errors::to_pyerr;
use crate::gauge::Gauge;
use crate::histogram::Histogram;
use crate::info::{state_strings, Enum, Info};
use crate::minmax::MinMax;
use crate::native_histogram::{native_config, NativeHistogram};
use crate::summary::{summary_config, Summary};
use crate::timer::Timer;

/// A registry of named metrics with help text and labels, created on first use and shared
/// afterwards.
#[pyclass(frozen, module = "atomicperf")]
pub struct Registry {
    inner: Arc<ap::Registry>,
    // For __repr__ only: "default", or the name given to Registry.named.
    origin: Origin,
}

enum Origin {
    Private,
    Default,
    Named(String),
}

static DEFAULT: PyOnceLock<Py<Registry>> = PyOnceLock::new();

fn default_registry_obj(py: Python<'_>) -> PyResult<Py<Registry>> {
    DEFAULT
        .get_or_try_init(py, || {
            Py::new(
                py,
                Registry {
                    inner: Arc::clone(ap::Registry::global()),
                    origin: Origin::Default,
                },
            )
        })
        .map(|r| r.clone_ref(py))
}

/// The process-wide default registry (the one every language in the process shares).
#[pyfunction]
pub fn default_registry(py: Python<'_>) -> PyResult<Py<Registry>> {
    default_registry_obj(py)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".to_owned())
}

/// One label as owned-by-Python strings; TypeError for a name or value that is not a str.
fn label_pair<'py>(
    k: Bound<'py, PyAny>,
    v: Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyString>, Bound<'py, PyString>)> {
    let k = match k.cast_into::<PyString>() {
        Ok(k) => k,
        Err(e) => {
            return Err(PyTypeError::new_err(format!(
                "label names must be str, not {}",
                type_name(e.into_inner().as_any())
            )))
        }
    };
    let v = match v.cast_into::<PyString>() {
        Ok(v) => v,
        Err(e) => {
            return Err(PyTypeError::new_err(format!(
                "label values must be str, got {} for label {}",
                type_name(e.into_inner().as_any()),
                k.repr()?
            )))
        }
    };
    Ok((k, v))
}

/// The labels argument as owned-by-Python strings: `None` or a mapping of str to str.
fn label_strings<'py>(
    labels: Option<&Bound<'py, PyAny>>,
) -> PyResult<Vec<(Bound<'py, PyString>, Bound<'py, PyString>)>> {
    let Some(labels) = labels else {
        return Ok(Vec::new());
    };
    if labels.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(d) = labels.cast::<PyDict>() {
        let mut out = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            out.push(label_pair(k, v)?);
        }
        return Ok(out);
    }
    if let Ok(m) = labels.cast::<PyMapping>() {
        let items = m.items()?;
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            let (k, v): (Bound<'py, PyAny>, Bound<'py, PyAny>) = item.extract()?;
            out.push(label_pair(k, v)?);
        }
        return Ok(out);
    }
    Err(PyTypeError::new_err(format!(
        "labels must be a dict of str to str (or None), not {}",
        type_name(labels)
    )))
}

/// A sequence of numbers (bucket bounds), with `what` naming the argument.
fn numbers(b: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<f64>> {
    if b.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(format!(
            "{what} must be a sequence of numbers, not str"
        )));
    }
    b.extract::<Vec<f64>>().map_err(|e| {
        let err = PyTypeError::new_err(format!(
            "{what} must be a sequence of numbers, not {}",
            type_name(b)
        ));
        err.set_cause(b.py(), Some(e));
        err
    })
}

/// The export options of a new histogram family from the `buckets` and `scale` arguments (core's
/// defaults for `None`).
pub(crate) fn histogram_opts(
    buckets: Option<&Bound<'_, PyAny>>,
    scale: Option<f64>,
) -> PyResult<ap::HistogramOpts> {
    let mut opts = ap::HistogramOpts::default();
    if let Some(b) = buckets.filter(|b| !b.is_none()) {
        opts.buckets = numbers(b, "buckets")?;
    }
    if let Some(s) = scale {
        opts.scale = s;
    }
    Ok(opts)
}

/// The format name of `export_bytes` as core's `ExportFormat`: `Ok(None)` for "json" (a text
/// format only the registries write, not a scrape format).
pub(crate) fn scrape_format(format: &str) -> PyResult<Option<ap::ExportFormat>> {
    Ok(Some(match format {
        "prometheus" => ap::ExportFormat::Prometheus,
        "openmetrics" => ap::ExportFormat::OpenMetrics,
        "protobuf" => ap::ExportFormat::Protobuf,
        "json" => return Ok(None),
        other => {
            return Err(PyValueError::new_err(format!(
                "format must be 'prometheus', 'openmetrics', 'protobuf' or 'json', got {other:?}"
            )))
        }
    }))
}

/// The refusal of `export("protobuf")`, or of an unknown format.
pub(crate) fn text_format_error(format: &str) -> PyErr {
    if format == "protobuf" {
        PyValueError::new_err(
            "the protobuf format is binary: export_bytes('protobuf') returns it as bytes",
        )
    } else {
        PyValueError::new_err(format!(
            "format must be 'prometheus', 'openmetrics' or 'json', got {format:?}"
        ))
    }
}

/// The format name of core's `ExportFormat`, as `export_bytes` takes it.
pub(crate) fn format_name(format: ap::ExportFormat) -> &'static str {
    match format {
        ap::ExportFormat::Prometheus => "prometheus",
        ap::ExportFormat::OpenMetrics => "openmetrics",
        ap::ExportFormat::Protobuf => "protobuf",
    }
}

/// The format and content type to answer a scrape with, from its `Accept` header: core's
/// negotiation, so that every language answers alike.
#[pyfunction]
pub fn negotiate(accept_header: &str) -> (&'static str, &'static str) {
    let format = ap::negotiate(accept_header);
    (format_name(format), format.content_type())
}

/// Runs `f` with the labels as core's `&[(&str, &str)]`, borrowed from the Python strings.
pub(crate) fn with_labels<R>(
    labels: Option<&Bound<'_, PyAny>>,
    f: impl FnOnce(&[(&str, &str)]) -> Result<R, ap::Error>,
) -> PyResult<R> {
    // A small dict (an exemplar's trace_id and span_id, a usual label set): its strings and
    // their text on the stack, nothing allocated; the same checks in the same order.
    const ON_STACK: usize = 8;
    if let Some(d) = labels.and_then(|l| l.cast::<PyDict>().ok()) {
        if d.len() <= ON_STACK {
            let mut owned: [Option<(Bound<'_, PyString>, Bound<'_, PyString>)>; ON_STACK] =
                Default::default();
            let mut n = 0;
            for (k, v) in d.iter() {
                if n == ON_STACK {
                    // More items than its length said (changed meanwhile): the general path.
                    n += 1;
                    break;
                }
                owned[n] = Some(label_pair(k, v)?);
                n += 1;
            }
            if n <= ON_STACK {
                let mut pairs = [("", ""); ON_STACK];
                for (pair, (k, v)) in pairs.iter_mut().zip(owned.iter().flatten()) {
                    *pair = (k.to_str()?, v.to_str()?);
                }
                return f(&pairs[..n]).map_err(to_pyerr);
            }
        }
    }
    let owned = label_strings(labels)?;
    let mut pairs = Vec::with_capacity(owned.len());
    for (k, v) in &owned {
        pairs.push((k.to_str()?, v.to_str()?));
    }
    f(&pairs).map_err(to_pyerr)
}

#[pymethods]
impl Registry {
    /// A new, private registry (not shared with anything else).
    #[new]
    fn new() -> Self {
        Registry {
            inner: Arc::new(ap::Registry::new()),
            origin: Origin::Private,
        }
    }

    /// The process-wide default registry (same as `default_registry()`).
    #[staticmethod]
    fn default(py: Python<'_>) -> PyResult<Py<Registry>> {
        default_registry_obj(py)
    }

    /// The process-wide registry called `name`, created on first use.
    #[staticmethod]
    fn named(name: &str) -> Registry {
        Registry {
            inner: ap::Registry::named(name),
            origin: Origin::Named(name.to_owned()),
        }
    }

    /// The counter `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None))]
    fn counter(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Counter> {
        with_labels(labels, |l| self.inner.counter(name, help, l)).map(Counter::from_arc)
    }

    /// The gauge `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None))]
    fn gauge(&self, name: &str, help: &str, labels: Option<&Bound<'_, PyAny>>) -> PyResult<Gauge> {
        with_labels(labels, |l| self.inner.gauge(name, help, l)).map(Gauge::from_arc)
    }

    /// The histogram `name` with these labels, created if absent. `buckets` and `scale` set the
    /// export of a new family (ignored for an existing one).
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

    /// The summary `name` with these labels, created if absent: quantiles over a sliding window
    /// exported as `name{quantile="0.5"}`..., with `name_sum` and `name_count` over all time
    /// (nanoseconds recorded, seconds exported unless `scale` says otherwise). The keyword
    /// arguments lay out a new family (ignored for an existing one); `quantile` is a reserved
    /// label.
    #[pyo3(signature = (
        name, help = "", labels = None, *, quantiles = None, max_age = None, age_buckets = None,
        significant_figures = None, highest = None, scale = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn summary(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
        quantiles: Option<Vec<f64>>,
        max_age: Option<&Bound<'_, PyAny>>,
        age_buckets: Option<&Bound<'_, PyAny>>,
        significant_figures: Option<&Bound<'_, PyAny>>,
        highest: Option<&Bound<'_, PyAny>>,
        scale: Option<f64>,
    ) -> PyResult<Summary> {
        let opts = ap::SummaryOpts {
            config: summary_config(
                quantiles,
                max_age,
                age_buckets,
                significant_figures,
                highest,
            )?,
            scale: scale.unwrap_or(1e-9),
        };
        with_labels(labels, |l| self.inner.summary(name, help, l, &opts)).map(Summary::from_arc)
    }

    /// The timer `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None))]
    fn timer(&self, name: &str, help: &str, labels: Option<&Bound<'_, PyAny>>) -> PyResult<Timer> {
        with_labels(labels, |l| self.inner.timer(name, help, l)).map(Timer::from_arc)
    }

    /// The min/max `name` with these labels, created if absent.
    #[pyo3(signature = (name, help = "", labels = None))]
    fn minmax(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<MinMax> {
        with_labels(labels, |l| self.inner.minmax(name, help, l)).map(MinMax::from_arc)
    }

    /// The info `name` with these labels, created (with no pairs) if absent: exported as
    /// `<name>_info` (one `_info` suffix whether or not `name` ends in it).
    #[pyo3(signature = (name, help = "", labels = None))]
    fn info(&self, name: &str, help: &str, labels: Option<&Bound<'_, PyAny>>) -> PyResult<Info> {
        with_labels(labels, |l| self.inner.info(name, help, l)).map(Info::from_arc)
    }

    /// The enum `name` with these labels, created in its first state if absent. `states` (a
    /// sequence of str, required) lays out a new family and is ignored for an existing one; its
    /// state label is named `name`.
    #[pyo3(signature = (name, help = "", labels = None, states = None))]
    fn r#enum(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
        states: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Enum> {
        let Some(states) = states else {
            return Err(PyTypeError::new_err("enum() needs its states"));
        };
        let states = state_strings(states)?;
        let refs: Vec<&str> = states.iter().map(String::as_str).collect();
        with_labels(labels, |l| self.inner.enumeration(name, help, l, &refs)).map(Enum::from_arc)
    }

    /// Registers the default metrics, read at each export of this binding and never in between:
    /// the process metrics (process_cpu_seconds_total, process_resident_memory_bytes,
    /// process_virtual_memory_bytes, process_open_fds, process_max_fds,
    /// process_start_time_seconds; Linux only) and prometheus_client's Python ones
    /// (python_gc_objects_collected_total, python_gc_objects_uncollectable_total and
    /// python_gc_collections_total per generation, python_info). Calling it again does nothing.
    fn register_default_metrics(&self, py: Python<'_>) -> PyResult<()> {
        crate::default_metrics::register(py, &self.inner)
    }

    /// Every metric as text: "prometheus" (0.0.4), "openmetrics" (1.0) or "json".
    #[pyo3(signature = (format = "prometheus"))]
    fn export(&self, py: Python<'_>, format: &str) -> PyResult<String> {
        crate::default_metrics::before_export(py, &self.inner)?;
        let inner = Arc::clone(&self.inner);
        let f: fn(&ap::Registry) -> String = match format {
            "prometheus" => ap::Registry::export_prometheus,
            "openmetrics" => ap::Registry::export_openmetrics,
            "json" => ap::Registry::export_json,
            other => return Err(text_format_error(other)),
        };
        // Export reads atomics and never blocks recorders; releasing the GIL lets other Python
        // threads record while a large registry is written out.
        Ok(py.detach(move || f(&inner)))
    }

    /// Every metric as the bytes of an HTTP body: "prometheus", "openmetrics", "json" (UTF-8
    /// text) or "protobuf" (delimited MetricFamily messages).
    #[pyo3(signature = (format = "prometheus"))]
    fn export_bytes<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        crate::default_metrics::before_export(py, &self.inner)?;
        let inner = Arc::clone(&self.inner);
        let body = match scrape_format(format)? {
            Some(f) => py.detach(move || inner.export(f)),
            None => py.detach(move || inner.export_json().into_bytes()),
        };
        Ok(PyBytes::new(py, &body))
    }

    /// The native histogram `name` with these labels, created if absent.
    #[pyo3(signature = (
        name, help = "", labels = None, *, schema = 3, zero_threshold = None, dense_range = None,
        classic_buckets = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn native_histogram(
        &self,
        name: &str,
        help: &str,
        labels: Option<&Bound<'_, PyAny>>,
        schema: i64,
        zero_threshold: Option<f64>,
        dense_range: Option<(f64, f64)>,
        classic_buckets: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<NativeHistogram> {
        let opts = ap::NativeOpts {
            config: native_config(schema, zero_threshold, dense_range)?,
            classic_buckets: match classic_buckets.filter(|b| !b.is_none()) {
                Some(b) => numbers(b, "classic_buckets")?,
                None => Vec::new(),
            },
        };
        with_labels(labels, |l| {
            self.inner.native_histogram(name, help, l, &opts)
        })
        .map(NativeHistogram::from_arc)
    }

    /// Removes the series of family `name` with these labels: False if there was none (or no
    /// such family). A handle to it keeps working, unexported; a new look-up starts from zero.
    #[pyo3(signature = (name, labels = None))]
    fn remove(&self, name: &str, labels: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        with_labels(labels, |l| self.inner.remove(name, l))
    }

    /// Removes every series of family `name`, returning how many there were.
    fn clear_family(&self, py: Python<'_>, name: &str) -> usize {
        let inner = Arc::clone(&self.inner);
        // Frees the series no handle holds any more: the GIL is not needed for that.
        py.detach(move || inner.clear_family(name))
    }

    /// Removes every series of every family, returning how many there were.
    fn clear(&self, py: Python<'_>) -> usize {
        let inner = Arc::clone(&self.inner);
        py.detach(move || inner.clear())
    }

    /// The cap on the number of series (one per name and label values), or None for no cap.
    /// Creating a series past it raises ValueError; existing series keep working.
    #[getter]
    fn get_series_limit(&self) -> Option<usize> {
        self.inner.series_limit()
    }

    #[setter]
    fn set_series_limit(&self, limit: Option<usize>) {
        self.inner.set_series_limit(limit);
    }

    /// Number of series in the registry.
    #[getter]
    fn series_count(&self) -> usize {
        self.inner.series_count()
    }

    /// Number of series refused because the cap was reached.
    #[getter]
    fn refused_series(&self) -> u64 {
        self.inner.refused_series()
    }

    /// Number of metric families.
    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Registry>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self) -> String {
        let n = self.inner.len();
        match &self.origin {
            Origin::Private => format!("Registry(families={n})"),
            Origin::Default => format!("Registry.default(families={n})"),
            Origin::Named(name) => format!("Registry.named({name:?}, families={n})"),
        }
    }
}
