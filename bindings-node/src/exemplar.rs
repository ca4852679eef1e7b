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

/// Runs `f` on the labels argument — one string of `name\0value\0` per label, which `index.js`
/// builds (and in which it refuses a NUL inside a name or value), read with one string
/// conversion instead of one per name and value — as (name, value) pairs borrowed from it, and
/// on the timestamp argument (see [`timestamp`]). Checked in this order: the labels a string
/// (TypeError), the timestamp, the pairs (TypeError for an odd number of parts). The string is
/// read into a stack buffer, the pairs of up to 8 labels built on the stack: nothing allocated.
pub(crate) fn with_labels<R>(
    env: Env<'_>,
    labels: Value<'_>,
    ts: Value<'_>,
    f: impl FnOnce(&[(&str, &str)], Option<f64>) -> Result<R>,
) -> Result<R> {
    convert::with_strs(env, [labels], "exemplar labels", |[packed]| {
        let ts = timestamp(env, ts)?;
        const ON_STACK: usize = 8;
        let mut stack: [(&str, &str); ON_STACK] = [("", ""); ON_STACK];
        let mut more = Vec::new();
        let mut n = 0;
        for pair in Pairs::new(packed)? {
            let pair = pair?;
            match stack.get_mut(n) {
                Some(slot) => *slot = pair,
                None => {
                    if more.is_empty() {
                        more.extend_from_slice(&stack);
                    }
                    more.push(pair);
                }
            }
            n += 1;
        }
        f(if n <= ON_STACK { &stack[..n] } else { &more }, ts)
    })
}

/// Runs `f` on the exemplar of a `...WithExemplarPairs(h, x, ...rest)` call: at most two labels
/// given as arguments instead of packed (`index.js` passes the usual trace_id and span_id this
/// way), then the timestamp in seconds if there is one: `rest` is `[name1, value1, [name2,
/// value2,]] [timestamp]`, and `argc` (every argument, `h` and `x` included) tells which: no
/// `typeof` per call. Nothing is packed, flattened or split: the strings are read into one stack
/// buffer. The timestamp is checked first, then the strings (TypeError for one that is not a
/// string).
pub(crate) fn with_pairs<R>(
    env: Env<'_>,
    rest: [Value<'_>; 5],
    argc: usize,
    f: impl FnOnce(&[(&str, &str)], Option<f64>) -> Result<R>,
) -> Result<R> {
    if argc > 7 {
        return Err(Fail::type_error("too many arguments"));
    }
    let rest = &rest[..argc.saturating_sub(2)];
    let (ts, strings) = if rest.len() % 2 == 1 {
        let (last, strings) = rest.split_last().expect("an odd length is not 0");
        (Some(convert::to_f64(env, *last, "timestamp")?), strings)
    } else {
        (None, rest)
    };
    let what = "an exemplar label name or value";
    match *strings {
        [] => f(&[], ts),
        [n1, v1] => convert::with_strs(env, [n1, v1], what, |[n1, v1]| f(&[(n1, v1)], ts)),
        [n1, v1, n2, v2] => convert::with_strs(env, [n1, v1, n2, v2], what, |[n1, v1, n2, v2]| {
            f(&[(n1, v1), (n2, v2)], ts)
        }),
        _ => unreachable!("an even length of at most 4"),
    }
}

/// The pairs of a `name\0value\0...` string, borrowed from it; TypeError for a string that does
/// not end in a NUL or has an odd number of parts.
struct Pairs<'a>(Option<std::str::Split<'a, char>>);

impl<'a> Pairs<'a> {
    fn new(packed: &'a str) -> Result<Self> {
        match packed.strip_suffix('\0') {
            Some(body) => Ok(Pairs(Some(body.split('\0')))),
            None if packed.is_empty() => Ok(Pairs(None)),
            None => Err(Fail::type_error("exemplar labels must end in a NUL")),
        }
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = Result<(&'a str, &'a str)>;

    fn next(&mut self) -> Option<Self::Item> {
        let parts = self.0.as_mut()?;
        let name = parts.next()?;
        Some(
            parts
                .next()
                .map(|value| (name, value))
                .ok_or_else(|| Fail::type_error("exemplar labels must be name, value pairs")),
        )
    }
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
