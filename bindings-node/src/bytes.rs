//! Conversions the concurrent-state primitives (ShardedMap, Ledger, SnapshotCell, OnceMap,
//! CancellationToken) need beyond `raw.rs` and `js.rs`: byte-string arguments (a Buffer, a
//! Uint8Array or a string, UTF-8 encoded) and Buffer results, i64 arguments and results, i128
//! BigInts, Dates, and errors that carry extra
//! properties besides their `code`.

use std::ffi::c_void;
use std::ptr;

use napi::sys;

use crate::raw::{self, Class, Env, Fail, Result, Value};

/// Strings up to this many UTF-8 bytes are read into a stack buffer (no allocation).
const STACK_STRING: usize = 256;

/// Runs `f` on the bytes of a key or value argument: a Uint8Array (a Buffer is one) is read in
/// place, a string is UTF-8 encoded; TypeError `AP_ERR_INVALID_ARGUMENT` for anything else and
/// for a string with a lone surrogate (see `js::check_well_formed`).
///
/// `f` sees memory owned by JS (the argument keeps it alive for the callback): it must not run
/// JS code, and it must copy what it keeps.
#[inline(always)]
pub(crate) unsafe fn with_bytes<R>(
    env: Env,
    v: Value,
    what: &str,
    f: impl FnOnce(&[u8]) -> R,
) -> Result<R> {
    let mut len = 0usize;
    // A string first: the common case for keys.
    match sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) {
        sys::Status::napi_ok => {
            if len < STACK_STRING {
                let mut buf = [0u8; STACK_STRING];
                let mut got = 0usize;
                raw::check(
                    sys::napi_get_value_string_utf8(
                        env,
                        v,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        &mut got,
                    ),
                    "reading a string",
                )?;
                crate::js::check_well_formed(env, v, &buf[..got], what)?;
                return Ok(f(&buf[..got]));
            }
            let mut buf = vec![0u8; len + 1];
            let mut got = 0usize;
            raw::check(
                sys::napi_get_value_string_utf8(
                    env,
                    v,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    &mut got,
                ),
                "reading a string",
            )?;
            crate::js::check_well_formed(env, v, &buf[..got], what)?;
            return Ok(f(&buf[..got]));
        }
        sys::Status::napi_string_expected => {}
        status => {
            return Err(Fail::internal(format!(
                "N-API call failed while reading {what} (status {status})"
            )))
        }
    }
    let mut is_typed = false;
    raw::check(
        sys::napi_is_typedarray(env, v, &mut is_typed),
        "checking a typed array",
    )?;
    if is_typed {
        let mut kind = 0;
        let mut data = ptr::null_mut();
        let mut buffer = ptr::null_mut();
        let mut offset = 0usize;
        raw::check(
            sys::napi_get_typedarray_info(
                env,
                v,
                &mut kind,
                &mut len,
                &mut data,
                &mut buffer,
                &mut offset,
            ),
            "reading a typed array",
        )?;
        if kind == sys::TypedarrayType::uint8_array {
            // `data` already points at the first element (the byte offset is applied).
            let bytes = if len == 0 || data.is_null() {
                &[][..]
            } else {
                std::slice::from_raw_parts(data.cast::<u8>().cast_const(), len)
            };
            return Ok(f(bytes));
        }
    }
    Err(Fail::type_error(format!(
        "{what} must be a Buffer, a Uint8Array or a string"
    )))
}

/// An owned copy of a byte-string argument (see [`with_bytes`]).
pub(crate) unsafe fn to_bytes(env: Env, v: Value, what: &str) -> Result<Box<[u8]>> {
    with_bytes(env, v, what, |b: &[u8]| Box::<[u8]>::from(b))
}

/// A new Buffer holding a copy of `bytes`.
#[inline(always)]
pub(crate) unsafe fn buffer(env: Env, bytes: &[u8]) -> Result<Value> {
    let mut out = ptr::null_mut();
    let mut data = ptr::null_mut();
    raw::check(
        sys::napi_create_buffer_copy(
            env,
            bytes.len(),
            bytes.as_ptr().cast::<c_void>(),
            &mut data,
            &mut out,
        ),
        "creating a Buffer",
    )?;
    Ok(out)
}

/// A Buffer copy of `bytes`, or `undefined` for `None`.
#[inline(always)]
pub(crate) unsafe fn optional_buffer(env: Env, bytes: Option<&[u8]>) -> Result<Value> {
    match bytes {
        Some(b) => buffer(env, b),
        None => Ok(raw::UNDEFINED),
    }
}

/// A JS string decoded from UTF-8 bytes (invalid sequences become U+FFFD, as
/// `buffer.toString('utf8')` does).
pub(crate) unsafe fn utf8_string(env: Env, bytes: &[u8]) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_create_string_utf8(env, bytes.as_ptr().cast(), bytes.len() as isize, &mut out),
        "creating a string",
    )?;
    Ok(out)
}

/// 2^63 as an f64: the first number above the i64 range.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A JS number or BigInt as an i64: TypeError for other types, RangeError for NaN, infinities,
/// fractions and values outside -2^63..2^63-1.
#[inline(always)]
pub(crate) unsafe fn to_i64(env: Env, v: Value, what: &str) -> Result<i64> {
    let mut d = 0.0f64;
    match sys::napi_get_value_double(env, v, &mut d) {
        sys::Status::napi_ok => {
            if (-TWO_POW_63..TWO_POW_63).contains(&d) && d.fract() == 0.0 {
                Ok(d as i64)
            } else {
                Err(Fail::range(format!(
                    "{what} must be an integer from -2^63 to 2^63-1, got {d}"
                )))
            }
        }
        sys::Status::napi_number_expected => {
            let mut x = 0i64;
            let mut lossless = false;
            match sys::napi_get_value_bigint_int64(env, v, &mut x, &mut lossless) {
                sys::Status::napi_ok if lossless => Ok(x),
                sys::Status::napi_ok => Err(Fail::range(format!(
                    "{what} must be a BigInt from -(2n**63n) to 2n**63n-1n"
                ))),
                _ => Err(Fail::type_error(format!(
                    "{what} must be a number or a BigInt"
                ))),
            }
        }
        status => Err(Fail::internal(format!(
            "N-API call failed while reading {what} (status {status})"
        ))),
    }
}

/// Largest integer a JS number holds exactly along with all smaller ones.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// An i64 as a number, or a RangeError (naming `advice`) outside +-`Number.MAX_SAFE_INTEGER`.
pub(crate) unsafe fn from_i64_exact(env: Env, x: i64, what: &str, advice: &str) -> Result<Value> {
    if !(-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&x) {
        return Err(Fail::range(format!(
            "{what} {x} is beyond Number.MAX_SAFE_INTEGER and would lose precision; {advice}"
        )));
    }
    raw::from_f64(env, x as f64)
}

/// An i64 as a number when it is within +-`Number.MAX_SAFE_INTEGER`, otherwise as a BigInt (for
/// results of an operation that already happened, which must not be lost).
pub(crate) unsafe fn i64_number_or_bigint(env: Env, x: i64) -> Result<Value> {
    if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&x) {
        raw::from_f64(env, x as f64)
    } else {
        i128_bigint(env, i128::from(x))
    }
}

/// An i128 as a BigInt.
pub(crate) unsafe fn i128_bigint(env: Env, x: i128) -> Result<Value> {
    let m = x.unsigned_abs();
    let words = [m as u64, (m >> 64) as u64];
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_create_bigint_words(env, i32::from(x < 0), words.len(), words.as_ptr(), &mut out),
        "creating a BigInt",
    )?;
    Ok(out)
}

pub(crate) unsafe fn date(env: Env, ms_since_epoch: f64) -> Result<Value> {
    let mut out = ptr::null_mut();
    raw::check(
        sys::napi_create_date(env, ms_since_epoch, &mut out),
        "creating a Date",
    )?;
    Ok(out)
}

/// Throws an error of `class` with `code`, `message` and extra properties (`name` NUL-terminated),
/// and returns the `undefined` a callback then returns (the pending exception wins).
pub(crate) unsafe fn throw_with(
    env: Env,
    class: Class,
    code: &str,
    message: &str,
    props: &[(&str, Value)],
) -> Result<Value> {
    let code_v = crate::js::string(env, code)?;
    let message_v = crate::js::string(env, message)?;
    let create = match class {
        Class::Error => sys::napi_create_error,
        Class::TypeError => sys::napi_create_type_error,
        Class::RangeError => sys::napi_create_range_error,
    };
    let mut error = ptr::null_mut();
    raw::check(
        create(env, code_v, message_v, &mut error),
        "creating an error",
    )?;
    for &(name, v) in props {
        crate::js::set(env, error, name, v)?;
    }
    raw::check(sys::napi_throw(env, error), "throwing an error")?;
    Ok(raw::UNDEFINED)
}
