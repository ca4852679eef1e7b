//! `Summary`: quantiles over a sliding window of time (client_golang's Summary), lock-free.

use std::sync::Arc;
use std::time::Duration;

use atomicperf as ap;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::convert::{histogram_config, to_u64};
use crate::durations::{measured_nanos, setting_duration};
use crate::errors::to_pyerr;

/// Quantiles over a sliding window of time, with the count and sum of every value ever recorded.
#[pyclass(frozen, module = "atomicperf")]
pub struct Summary {
    pub(crate) inner: Arc<ap::Summary>,
}

impl Summary {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::Summary>) -> Self {
        Summary { inner }
    }
}

/// The layout of a summary from the keyword arguments shared by `Summary()` and
/// `Registry.summary()`, checked (`ValueError` saying what is wrong).
pub(crate) fn summary_config(
    quantiles: Option<Vec<f64>>,
    max_age: Option<&Bound<'_, PyAny>>,
    age_buckets: Option<&Bound<'_, PyAny>>,
    significant_figures: Option<&Bound<'_, PyAny>>,
    highest: Option<&Bound<'_, PyAny>>,
) -> PyResult<ap::SummaryConfig> {
    let mut config = ap::SummaryConfig {
        histogram: histogram_config(significant_figures, highest)?,
        ..ap::SummaryConfig::default()
    };
    if let Some(q) = quantiles {
        config.quantiles = q;
    }
    if let Some(m) = max_age {
        config.max_age = setting_duration(m, "max_age")?;
    }
    if let Some(b) = age_buckets {
        config.age_buckets = match to_u64(b, "age_buckets") {
            Ok(v) => u32::try_from(v).unwrap_or(u32::MAX),
            Err(e) if e.is_instance_of::<PyValueError>(b.py()) => 0,
            Err(e) => return Err(e),
        };
    }
    config.checked().map_err(to_pyerr)
}

#[pymethods]
impl Summary {
    #[new]
    #[pyo3(
        signature = (*, quantiles = None, max_age = None, age_buckets = None, significant_figures = None, highest = None),
        text_signature = "(*, quantiles=(0.5, 0.9, 0.99), max_age=600.0, age_buckets=5, significant_figures=2, highest=60000000000)"
    )]
    fn new(
        quantiles: Option<Vec<f64>>,
        max_age: Option<&Bound<'_, PyAny>>,
        age_buckets: Option<&Bound<'_, PyAny>>,
        significant_figures: Option<&Bound<'_, PyAny>>,
        highest: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let config = summary_config(
            quantiles,
            max_age,
            age_buckets,
            significant_figures,
            highest,
        )?;
        Ok(Summary {
            inner: Arc::new(ap::Summary::with_config(config).map_err(to_pyerr)?),
        })
    }

    /// Records one value (a non-negative int; nanoseconds for a duration).
    fn record(&self, v: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner.record(to_u64(v, "record() value")?);
        Ok(())
    }

    /// Records a duration (int ns, float seconds or timedelta) in nanoseconds.
    fn record_duration(&self, d: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .record_duration(Duration::from_nanos(measured_nanos(d, "duration")?));
        Ok(())
    }

    /// Values recorded since creation (over all time, as client_golang's).
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of the values recorded since creation (wrapping at 2^64).
    fn sum(&self) -> u64 {
        self.inner.sum()
    }

    /// Values in the window now.
    fn window_count(&self) -> u64 {
        self.inner.window().count()
    }

    /// The value at quantile `q` (0 to 1) of the window's values, None when it is empty.
    fn quantile(&self, q: f64) -> PyResult<Option<u64>> {
        self.inner.quantile(q).map_err(to_pyerr)
    }

    /// The configured quantiles over the window: a list of (q, value or None).
    fn quantiles(&self) -> Vec<(f64, Option<u64>)> {
        self.inner.snapshot().quantiles().to_vec()
    }

    /// The configured quantiles, sorted.
    #[getter]
    fn objectives(&self) -> Vec<f64> {
        self.inner.config().quantiles.clone()
    }

    /// The window's length in seconds.
    #[getter]
    fn max_age(&self) -> f64 {
        self.inner.config().max_age.as_secs_f64()
    }

    /// In how many steps the window slides.
    #[getter]
    fn age_buckets(&self) -> u32 {
        self.inner.config().age_buckets
    }

    fn __repr__(&self) -> String {
        let c = self.inner.config();
        format!(
            "Summary(count={}, quantiles={:?}, max_age={}, age_buckets={})",
            self.inner.count(),
            c.quantiles,
            c.max_age.as_secs_f64(),
            c.age_buckets
        )
    }
}
