//! `Registry.register_default_metrics()`: the core's process metrics plus prometheus_client's
//! Python ones (its names, types and help texts), `python_gc_objects_collected_total`,
//! `python_gc_objects_uncollectable_total` and `python_gc_collections_total` (per generation,
//! from `gc.get_stats()`) and `python_info`. They are the core's collected families: this
//! binding sets their values just before each of its exports (`export`, `export_bytes`, and so
//! every scrape, Collector and push of atomicperf.prometheus), never in between.

use std::sync::{Arc, Mutex};

use atomicperf as ap;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::to_pyerr;

/// The registries whose exports set the Python metrics first (held, so that an address is never
/// another registry's).
static REGISTERED: Mutex<Vec<Arc<ap::Registry>>> = Mutex::new(Vec::new());

const GC: [(&str, &str, &str); 3] = [
    (
        "python_gc_objects_collected_total",
        "Objects collected during gc",
        "collected",
    ),
    (
        "python_gc_objects_uncollectable_total",
        "Uncollectable objects found during GC",
        "uncollectable",
    ),
    (
        "python_gc_collections_total",
        "Number of times this generation was collected",
        "collections",
    ),
];
const INFO: (&str, &str) = ("python_info", "Python platform information");

/// The labels of `python_info`, as prometheus_client's platform collector gives them.
fn info_labels(py: Python<'_>) -> PyResult<Vec<(&'static str, String)>> {
    let platform = py.import("platform")?;
    let (major, minor, patchlevel): (String, String, String) =
        platform.call_method0("python_version_tuple")?.extract()?;
    Ok(vec![
        (
            "implementation",
            platform.call_method0("python_implementation")?.extract()?,
        ),
        ("major", major),
        ("minor", minor),
        ("patchlevel", patchlevel),
        (
            "version",
            platform.call_method0("python_version")?.extract()?,
        ),
    ])
}

/// `gc.get_stats()`, one dict per generation; none where there is no such function (PyPy), as
/// prometheus_client reports none there.
fn gc_stats(py: Python<'_>) -> PyResult<Vec<Bound<'_, PyDict>>> {
    let gc = py.import("gc")?;
    if !gc.hasattr("get_stats")? {
        return Ok(Vec::new());
    }
    gc.call_method0("get_stats")?.extract()
}

/// Sets every Python metric of `registry` (creating its series if absent).
fn set_values(py: Python<'_>, registry: &ap::Registry) -> PyResult<()> {
    for (generation, stats) in gc_stats(py)?.iter().enumerate() {
        let generation = generation.to_string();
        let labels = [("generation", generation.as_str())];
        for (name, help, key) in GC {
            let value: f64 = match stats.get_item(key)? {
                Some(v) => v.extract()?,
                None => continue,
            };
            registry
                .collected_counter(name, help, &labels)
                .map_err(to_pyerr)?
                .set(value);
        }
    }
    let info = info_labels(py)?;
    let labels: Vec<(&str, &str)> = info.iter().map(|(n, v)| (*n, v.as_str())).collect();
    registry
        .collected_gauge(INFO.0, INFO.1, &labels)
        .map_err(to_pyerr)?
        .set(1.0);
    Ok(())
}

/// Registers the process and Python metrics in `registry` (again: nothing more).
pub(crate) fn register(py: Python<'_>, registry: &Arc<ap::Registry>) -> PyResult<()> {
    registry.register_process_metrics().map_err(to_pyerr)?;
    set_values(py, registry)?;
    let mut all = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if !all.iter().any(|r| Arc::ptr_eq(r, registry)) {
        all.push(Arc::clone(registry));
    }
    Ok(())
}

/// Before an export: sets the Python metrics if `registry` has them (a lock and a scan of the
/// few registered registries otherwise).
pub(crate) fn before_export(py: Python<'_>, registry: &Arc<ap::Registry>) -> PyResult<()> {
    let registered = REGISTERED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .any(|r| Arc::ptr_eq(r, registry));
    if registered {
        set_values(py, registry)?;
    }
    Ok(())
}
