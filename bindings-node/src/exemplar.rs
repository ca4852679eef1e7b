//! Exemplars: the timestamp argument of `counterAddWithExemplar` and
//! `histogramRecordWithExemplar`, and an exemplar read back as a JS object.

use atomicperf::Exemplar;

use crate::callback::{Env, Value};
use crate::convert;
use crate::error::Result;

/// The optional timestamp: seconds since the Unix epoch (`lib` converts a Date), undefined for
/// none; the core refuses a non-finite one.
pub(crate) fn timestamp(env: Env<'_>, ts: Value<'_>) -> Result<Option<f64>> {
    if convert::is_undefined(env, ts)? {
        return Ok(None);
    }
    Ok(Some(convert::to_f64(env, ts, "timestamp")?))
}

/// Borrowed pairs of owned labels.
pub(crate) fn refs(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// `{labels: {name: value}, value, timestamp: number | null}` (timestamp in seconds), or `null`.
pub(crate) fn value(env: Env<'_>, e: Option<Exemplar>) -> Result<Value<'_>> {
    let Some(e) = e else {
        return convert::null(env);
    };
    let labels = convert::object(env)?;
    for (k, v) in &e.labels {
        let key = format!("{k}\0");
        convert::set(env, labels, &key, convert::string(env, v)?)?;
    }
    let out = convert::object(env)?;
    convert::set(env, out, "labels\0", labels)?;
    convert::set(env, out, "value\0", convert::from_f64(env, e.value)?)?;
    convert::set(
        env,
        out,
        "timestamp\0",
        convert::optional_f64(env, e.timestamp)?,
    )?;
    Ok(out)
}
