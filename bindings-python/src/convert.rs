//! Python arguments to core's types, and core's values to Python text.
//!
//! Integers: a Python int to `u64` (`ValueError` for a negative or too large int, `TypeError` for
//! anything else, floats included). Histogram layouts from the optional `significant_figures` and
//! `highest` arguments of `Histogram` and `Timer`. Byte strings are in `bytes_arg`, durations in
//! `durations`.

use atomicperf as ap;
use pyo3::exceptions::{PyOverflowError, PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::to_pyerr;

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
    ap::HistogramConfig::new(figures, highest).map_err(to_pyerr)
}

/// A float as Python writes it (`repr`).
pub(crate) fn float_repr(py: Python<'_>, v: f64) -> PyResult<String> {
    Ok(v.into_pyobject(py)?.repr()?.to_string())
}

/// An optional statistic as Python writes it: the value, or `None`.
pub(crate) fn opt_repr<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "None".to_owned(), |v| v.to_string())
}
