//! Exemplars: the timestamp argument of `counterAddWithExemplar` and
//! `histogramRecordWithExemplar`, and an exemplar read back as a JS object.

use atomicperf::Exemplar;

use crate::callback::{Env, Value};
use crate::convert;
use crate::error::{Fail, Result};

/// The optional timestamp: seconds since the Unix epoch (`lib` converts a Date), undefined for
/// none; the core refuses a non-finite one.
pub(crate) fn timestamp(env: Env<'_>, ts: Value<'_>) -> Result<Option<f64>> {
    if convert::is_undefined(env, ts)? {
        return Ok(None);
    }
    Ok(Some(convert::to_f64(env, ts, "timestamp")?))
}

/// The labels argument: one string of `name\0value\0` per label, which `index.js` builds (and
/// in which it refuses a NUL inside a name or value), read with one string conversion instead of
/// one per name and value of an array. TypeError for anything else.
pub(crate) fn read_labels(env: Env<'_>, v: Value<'_>) -> Result<String> {
    convert::to_string(env, v, "exemplar labels")
}

/// The pairs of a [`read_labels`] string, borrowed from it; TypeError for an odd number of parts.
pub(crate) fn pairs(packed: &str) -> Result<Vec<(&str, &str)>> {
    let Some(body) = packed.strip_suffix('\0') else {
        return if packed.is_empty() {
            Ok(Vec::new())
        } else {
            Err(Fail::type_error("exemplar labels must end in a NUL"))
        };
    };
    let mut parts = body.split('\0');
    let mut out = Vec::new();
    while let Some(name) = parts.next() {
        let value = parts
            .next()
            .ok_or_else(|| Fail::type_error("exemplar labels must be name, value pairs"))?;
        out.push((name, value));
    }
    Ok(out)
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
