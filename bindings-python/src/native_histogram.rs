//! `NativeHistogram` and `NativeSnapshot`: the exponential buckets of Prometheus native
//! histograms.
//!
//! Translation only: keyword options become core's `NativeConfig` (core's defaults for `None`,
//! core's messages for bad values), a measured duration becomes nanoseconds (`durations`) and
//! goes through core's `record_nanos` (Go's `Duration.Seconds()`), and a snapshot's buckets
//! become lists of `(key, count)` tuples. Every rule (bucket of a value, quantiles, merging) is
//! core's.

use std::sync::Arc;

use atomicperf as ap;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::float_repr;
use crate::durations::measured_nanos;
use crate::errors::to_pyerr;

/// A lock-free histogram of floats with the exponential buckets of Prometheus native
/// histograms.
#[pyclass(frozen, module = "atomicperf")]
pub struct NativeHistogram {
    pub(crate) inner: Arc<ap::NativeHistogram>,
}

impl NativeHistogram {
    /// Wraps a metric that something else (a registry) also holds.
    pub(crate) fn from_arc(inner: Arc<ap::NativeHistogram>) -> Self {
        NativeHistogram { inner }
    }
}

/// The layout from the keyword options (core's defaults for `None`, core's checks).
pub(crate) fn native_config(
    schema: i64,
    zero_threshold: Option<f64>,
    dense_range: Option<(f64, f64)>,
) -> PyResult<ap::NativeConfig> {
    // Core takes an i8; an int outside it is as invalid as 9, and refused in core's words.
    let Ok(schema) = i8::try_from(schema) else {
        return Err(PyValueError::new_err(format!(
            "native histogram schema {schema}: expected -4 to 8"
        )));
    };
    let mut config = ap::NativeConfig::new(schema).map_err(to_pyerr)?;
    if let Some(t) = zero_threshold {
        config = config.with_zero_threshold(t).map_err(to_pyerr)?;
    }
    if let Some((lowest, highest)) = dense_range {
        config = config.with_dense_range(lowest, highest).map_err(to_pyerr)?;
    }
    Ok(config)
}

#[pymethods]
impl NativeHistogram {
    #[new]
    #[pyo3(
        signature = (*, schema = 3, zero_threshold = None, dense_range = None),
        text_signature = "(*, schema=3, zero_threshold=None, dense_range=None)"
    )]
    fn new(
        schema: i64,
        zero_threshold: Option<f64>,
        dense_range: Option<(f64, f64)>,
    ) -> PyResult<Self> {
        let config = native_config(schema, zero_threshold, dense_range)?;
        Ok(NativeHistogram {
            inner: Arc::new(ap::NativeHistogram::with_config(config)),
        })
    }

    /// Records one value (any real number; NaN and infinities included).
    fn record(&self, value: f64) {
        self.inner.record(value);
    }

    /// Records a measured duration (int ns, float s or timedelta) in seconds.
    fn record_duration(&self, duration: &Bound<'_, PyAny>) -> PyResult<()> {
        self.inner
            .record_nanos(measured_nanos(duration, "duration")?);
        Ok(())
    }

    /// Number of recorded values, NaN included.
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of the recorded values.
    fn sum(&self) -> f64 {
        self.inner.sum()
    }

    /// Values in the zero bucket.
    fn zero_count(&self) -> u64 {
        self.inner.zero_count()
    }

    /// The value at quantile `q` in [0, 1], as histogram_quantile estimates it; None when empty.
    fn quantile(&self, q: f64) -> PyResult<Option<f64>> {
        self.inner.quantile(q).map_err(to_pyerr)
    }

    /// Every statistic and bucket from one moment.
    fn snapshot(&self) -> NativeSnapshot {
        NativeSnapshot {
            inner: self.inner.snapshot(),
        }
    }

    /// Adds every value of `other` (a NativeHistogram or a NativeSnapshot) to this histogram.
    fn merge(&self, other: &Bound<'_, PyAny>) -> PyResult<()> {
        if let Ok(h) = other.cast::<NativeHistogram>() {
            return self.inner.merge(&h.get().inner).map_err(to_pyerr);
        }
        if let Ok(s) = other.cast::<NativeSnapshot>() {
            return self.inner.merge_snapshot(&s.get().inner).map_err(to_pyerr);
        }
        Err(PyTypeError::new_err(format!(
            "merge() takes a NativeHistogram or a NativeSnapshot, not {}",
            other
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".to_owned())
        )))
    }

    /// Sets every count and the sum back to zero.
    fn reset(&self) {
        self.inner.reset();
    }

    /// Bytes the histogram occupies.
    fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
    }

    /// The schema (-4 to 8).
    #[getter]
    fn schema(&self) -> i8 {
        self.inner.config().schema()
    }

    /// Values of magnitude at most this count in the zero bucket.
    #[getter]
    fn zero_threshold(&self) -> f64 {
        self.inner.config().zero_threshold()
    }

    /// The positive values kept in the fixed bucket array.
    #[getter]
    fn dense_range(&self) -> (f64, f64) {
        self.inner.config().dense_range()
    }

    /// Factor between neighbouring bucket boundaries, 2 ** (2 ** -schema).
    #[getter]
    fn bucket_factor(&self) -> f64 {
        self.inner.config().bucket_factor()
    }

    /// Largest relative error of a value estimated in its bucket (bucket_factor - 1).
    #[getter]
    fn relative_error(&self) -> f64 {
        self.inner.config().relative_error()
    }

    /// Equal when both wrap the same metric (as two registry look-ups of one series do).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<NativeHistogram>()
            .is_ok_and(|o| Arc::ptr_eq(&self.inner, &o.get().inner))
    }

    fn __hash__(&self) -> u64 {
        Arc::as_ptr(&self.inner) as usize as u64
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // One snapshot, so that count and sum describe the same moment.
        let s = self.inner.snapshot();
        Ok(format!(
            "NativeHistogram(count={}, sum={}, schema={}, zero_threshold={})",
            s.count(),
            float_repr(py, s.sum())?,
            s.schema(),
            float_repr(py, s.zero_threshold())?,
        ))
    }
}

/// A NativeHistogram's state at one moment: schema, zero bucket, NaN count, count, sum and the
/// non-empty buckets by key.
#[pyclass(frozen, module = "atomicperf")]
pub struct NativeSnapshot {
    inner: ap::NativeSnapshot,
}

#[pymethods]
impl NativeSnapshot {
    /// The schema.
    #[getter]
    fn schema(&self) -> i8 {
        self.inner.schema()
    }

    /// The zero threshold.
    #[getter]
    fn zero_threshold(&self) -> f64 {
        self.inner.zero_threshold()
    }

    /// Values in the zero bucket.
    #[getter]
    fn zero_count(&self) -> u64 {
        self.inner.zero_count()
    }

    /// NaN values recorded (in the count, in no bucket).
    #[getter]
    fn nan_count(&self) -> u64 {
        self.inner.nan_count()
    }

    /// Number of recorded values, NaN included.
    #[getter]
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of the recorded values.
    #[getter]
    fn sum(&self) -> f64 {
        self.inner.sum()
    }

    /// The non-empty buckets of positive values: (key, count), by key.
    #[getter]
    fn positive(&self) -> Vec<(i32, u64)> {
        self.inner.positive().to_vec()
    }

    /// The non-empty buckets of negative values: (key, count), by key.
    #[getter]
    fn negative(&self) -> Vec<(i32, u64)> {
        self.inner.negative().to_vec()
    }

    /// The upper bound of positive bucket `key` at this schema.
    fn bucket_bound(&self, key: i32) -> f64 {
        self.inner.bucket_bound(key)
    }

    /// Values whose bucket lies wholly at or below `le` (a classic bucket's count).
    fn cumulative_count(&self, le: f64) -> u64 {
        self.inner.cumulative_count(le)
    }

    /// The value at quantile `q` in [0, 1], None when empty.
    fn quantile(&self, q: f64) -> PyResult<Option<f64>> {
        self.inner.quantile(q).map_err(to_pyerr)
    }

    /// The snapshot as a dict (schema, zero_threshold, zero_count, nan_count, count, sum,
    /// positive, negative).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("schema", self.schema())?;
        d.set_item("zero_threshold", self.zero_threshold())?;
        d.set_item("zero_count", self.zero_count())?;
        d.set_item("nan_count", self.nan_count())?;
        d.set_item("count", self.count())?;
        d.set_item("sum", self.sum())?;
        d.set_item("positive", self.positive())?;
        d.set_item("negative", self.negative())?;
        Ok(d)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<NativeSnapshot>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let d = self.to_dict(py)?;
        let mut parts = Vec::with_capacity(d.len());
        for (k, v) in d.iter() {
            parts.push(format!("{}={}", k.str()?, v.repr()?));
        }
        Ok(format!("NativeSnapshot({})", parts.join(", ")))
    }
}
