//! Conversions the newer metrics (MinMax, Timer, RateTracker, ThroughputWindow, AsyncRecorder)
//! need beyond `raw.rs`: booleans, strings, arrays and plain result objects.

use std::ptr;

use napi::sys;

use crate::raw::{self, Env, Fail, Result, Value};

/// Largest u64 a JS number holds exactly along with all smaller ones.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A boolean argument, `default` when omitted (`undefined`); TypeError for any other type.
pub(crate) unsafe fn to_bool_or(env: Env, v: Value, default: bool, what: &str) -> Result<bool> {
    if raw::is_undefined(env, v)? {
        return Ok(default);
    }
    let mut b = false;
    match sys::napi_get_value_bool(env, v, &mut b) {
        sys::Status::napi_ok => Ok(b),
        _ => Err(Fail::type_error(format!("{what} must be a boolean"))),
    }
}

/// A u64 argument as a usize (a count or size), saturating above the platform's range.
pub(crate) unsafe fn to_usize(env: Env, v: Value, what: &str) -> Result<usize> {
    Ok(usize::try_from(raw::to_u64(env, v, what)?).unwrap_or(usize::MAX))
}

/// A string argument; TypeError for any other type.
pub(crate) unsafe fn to_string(env: Env, v: Value, what: &str) -> Result<String> {
    let mut len = 0usize;
    if sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) != sys::Status::napi_ok
    {
        return Err(Fail::type_error(format!("{what} must be a string")));
    }
    let mut buf = vec![0u8; len + 1];
    raw::check(
        sys::napi_get_value_string_utf8(env, v, buf.as_mut_ptr().cast(), buf.len(), &mut len),
        "reading a string",
    )?;
    buf.truncate(len);
    check_well_formed(env, v, &buf, what)?;
    String::from_utf8(buf).map_err(|_| Fail::type_error(format!("{what} is not valid UTF-8")))
}

/// U+FFFD in UTF-8.
const REPLACEMENT: [u8; 3] = [0xef, 0xbf, 0xbd];

/// Refuses a string argument that is not well-formed UTF-16 (it holds a lone surrogate): N-API's
/// UTF-8 conversion turns each into U+FFFD, so two different strings would become one name, label
/// value or key. `utf8` is the converted string: only one holding U+FFFD is read again as UTF-16.
/// A TypeError with code `AP_ERR_INVALID_ARGUMENT`, as the C ABI refuses invalid UTF-8.
#[inline(always)]
pub(crate) unsafe fn check_well_formed(env: Env, v: Value, utf8: &[u8], what: &str) -> Result<()> {
    if !utf8.windows(3).any(|w| w == REPLACEMENT) {
        return Ok(());
    }
    let mut len = 0usize;
    raw::check(
        sys::napi_get_value_string_utf16(env, v, ptr::null_mut(), 0, &mut len),
        "reading a string",
    )?;
    let mut units = vec![0u16; len + 1];
    raw::check(
        sys::napi_get_value_string_utf16(env, v, units.as_mut_ptr(), units.len(), &mut len),
        "reading a string",
    )?;
    if char::decode_utf16(units[..len].iter().copied()).any(|c| c.is_err()) {
        return Err(Fail::type_error(format!(
            "{what} is not well-formed UTF-16: it holds a lone surrogate, which has no UTF-8 form"
        )));
    }
    Ok(())
}

/// The elements of an array argument; TypeError for any other type.
pub(crate) unsafe fn to_array(env: Env, v: Value, what: &str) -> Result<Vec<Value>> {
    let mut is_array = false;
    raw::check(
        sys::napi_is_array(env, v, &mut is_array),
        "checking an array",
    )?;
    if !is_array {
        return Err(Fail::type_error(format!("{what} must be an array")));
    }
    let mut len = 0u32;
    raw::check(
        sys::napi_get_array_length(env, v, &mut len),
        "reading an array length",
    )?;
    (0..len)
        .map(|i| {
            let mut e = ptr::null_mut();
            raw::check(
                sys::napi_get_element(env, v, i, &mut e),
                "reading an array element",
            )?;
            Ok(e)
        })
        .collect()
}

pub(crate) unsafe fn boolean(env: Env, b: bool) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_get_boolean(env, b, &mut out),
        "creating a boolean",
    )?;
    Ok(out)
}

pub(crate) unsafe fn string(env: Env, s: &str) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_create_string_utf8(env, s.as_ptr().cast(), s.len() as isize, &mut out),
        "creating a string",
    )?;
    Ok(out)
}

pub(crate) unsafe fn object(env: Env) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(sys::napi_create_object(env, &mut out), "creating an object")?;
    Ok(out)
}

pub(crate) unsafe fn array(env: Env, len: usize) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_create_array_with_length(env, len, &mut out),
        "creating an array",
    )?;
    Ok(out)
}

pub(crate) unsafe fn set_element(env: Env, array: Value, i: u32, v: Value) -> Result<()> {
    raw::check(
        sys::napi_set_element(env, array, i, v),
        "setting an array element",
    )
}

/// Sets `obj[name] = v`; `name` is NUL-terminated.
pub(crate) unsafe fn set(env: Env, obj: Value, name: &str, v: Value) -> Result<()> {
    debug_assert!(name.ends_with('\0'));
    raw::check(
        sys::napi_set_named_property(env, obj, name.as_ptr().cast(), v),
        "setting a property",
    )
}

/// A u64 as a number when it is at most `Number.MAX_SAFE_INTEGER`, otherwise as a BigInt (for
/// results that must not be lost, such as a rate's delta: the reading is already taken).
pub(crate) unsafe fn u64_number_or_bigint(env: Env, x: u64) -> Result<Value> {
    if x > MAX_SAFE_INTEGER {
        raw::from_u64_bigint(env, x)
    } else {
        raw::from_f64(env, x as f64)
    }
}

/// A statistic that may be absent: a number (RangeError above `Number.MAX_SAFE_INTEGER`, naming
/// `advice`) or `null`.
pub(crate) unsafe fn optional_u64(
    env: Env,
    v: Option<u64>,
    what: &str,
    advice: &str,
) -> Result<Value> {
    match v {
        Some(v) => raw::from_u64_exact(env, v, what, advice),
        None => raw::null(env),
    }
}

pub(crate) unsafe fn optional_u64_bigint(env: Env, v: Option<u64>) -> Result<Value> {
    match v {
        Some(v) => raw::from_u64_bigint(env, v),
        None => raw::null(env),
    }
}

pub(crate) unsafe fn optional_f64(env: Env, v: Option<f64>) -> Result<Value> {
    match v {
        Some(v) => raw::from_f64(env, v),
        None => raw::null(env),
    }
}
