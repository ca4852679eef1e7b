//! Conversions between JS values and Rust ones: numbers and BigInts (u64, i64, f64, i128),
//! booleans, strings (well-formed UTF-16 only), byte strings (a Buffer, a Uint8Array or a string)
//! and typed arrays, and the values results are built of (arrays, plain objects, Buffers, Dates,
//! `null`).
//!
//! Argument rules, the same in every function: a value of the wrong JS type is a TypeError with
//! code `AP_ERR_INVALID_ARGUMENT`, a value of the right type outside the allowed range a
//! RangeError with code `AP_ERR_OUT_OF_RANGE`. No conversion calls into JS (no `valueOf`, no
//! getters), except [`to_array`] reading the elements of an array.
//!
//! Every unsafe block here is one N-API call; each relies on the scope invariants of
//! `callback.rs`: an [`Env`] is live for as long as it exists, and a [`Value`] belongs to its
//! scope (or is NULL, which N-API refuses as an argument).

use std::ffi::c_void;
use std::ptr;

use napi::sys;

use crate::callback::{Env, Value};
use crate::error::{check, Fail, Result};

// ---- Types ---------------------------------------------------------------------------------

pub(crate) fn type_of(env: Env<'_>, v: Value<'_>) -> Result<sys::napi_valuetype> {
    let mut t = 0;
    // SAFETY: `env` is live, `v` of its scope, `t` a local.
    let status = unsafe { sys::napi_typeof(env.raw(), v.raw(), &mut t) };
    check(status, "reading a type")?;
    Ok(t)
}

/// True for `undefined` (an omitted optional argument).
pub(crate) fn is_undefined(env: Env<'_>, v: Value<'_>) -> Result<bool> {
    Ok(type_of(env, v)? == sys::ValueType::napi_undefined)
}

// ---- Numbers and BigInts -------------------------------------------------------------------

/// 2^64 and 2^63 as f64: the first numbers past the u64 and i64 ranges.
pub(crate) const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;
pub(crate) const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Largest integer a JS number holds exactly along with all smaller ones
/// (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JS number or BigInt as a u64: TypeError for other types, RangeError for NaN, infinities,
/// fractions, negative values and values from 2^64 up. Numbers above 2^53 are accepted when
/// they are integers: every such double is an exact integer.
#[inline(always)]
pub(crate) fn to_u64(env: Env<'_>, v: Value<'_>, what: &str) -> Result<u64> {
    let mut d = 0.0f64;
    // SAFETY: `env` is live, `v` of its scope, `d` a local.
    match unsafe { sys::napi_get_value_double(env.raw(), v.raw(), &mut d) } {
        sys::Status::napi_ok => {
            if (0.0..TWO_POW_64).contains(&d) && d.fract() == 0.0 {
                Ok(d as u64)
            } else {
                Err(Fail::range(format!(
                    "{what} must be an integer from 0 to 2^64-1, got {}",
                    js_number(d)
                )))
            }
        }
        sys::Status::napi_number_expected => {
            let mut x = 0u64;
            let mut lossless = false;
            // SAFETY: `env` is live, `v` of its scope, both out-pointers locals.
            let status = unsafe {
                sys::napi_get_value_bigint_uint64(env.raw(), v.raw(), &mut x, &mut lossless)
            };
            match status {
                sys::Status::napi_ok if lossless => Ok(x),
                sys::Status::napi_ok => Err(Fail::range(format!(
                    "{what} must be a BigInt from 0n to 2n**64n-1n"
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

/// A u64 argument as a usize (a count or size), saturating above the platform's range.
pub(crate) fn to_usize(env: Env<'_>, v: Value<'_>, what: &str) -> Result<usize> {
    Ok(usize::try_from(to_u64(env, v, what)?).unwrap_or(usize::MAX))
}

/// A JS number or BigInt as an i64: TypeError for other types, RangeError for NaN, infinities,
/// fractions and values outside -2^63..2^63-1.
#[inline(always)]
pub(crate) fn to_i64(env: Env<'_>, v: Value<'_>, what: &str) -> Result<i64> {
    let mut d = 0.0f64;
    // SAFETY: `env` is live, `v` of its scope, `d` a local.
    match unsafe { sys::napi_get_value_double(env.raw(), v.raw(), &mut d) } {
        sys::Status::napi_ok => {
            if (-TWO_POW_63..TWO_POW_63).contains(&d) && d.fract() == 0.0 {
                Ok(d as i64)
            } else {
                Err(Fail::range(format!(
                    "{what} must be an integer from -2^63 to 2^63-1, got {}",
                    js_number(d)
                )))
            }
        }
        sys::Status::napi_number_expected => {
            let mut x = 0i64;
            let mut lossless = false;
            // SAFETY: `env` is live, `v` of its scope, both out-pointers locals.
            let status = unsafe {
                sys::napi_get_value_bigint_int64(env.raw(), v.raw(), &mut x, &mut lossless)
            };
            match status {
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

/// A JS number as an f64 (NaN included): TypeError for any other type, BigInt included.
#[inline(always)]
pub(crate) fn to_f64(env: Env<'_>, v: Value<'_>, what: &str) -> Result<f64> {
    let mut d = 0.0f64;
    // SAFETY: `env` is live, `v` of its scope, `d` a local.
    match unsafe { sys::napi_get_value_double(env.raw(), v.raw(), &mut d) } {
        sys::Status::napi_ok => Ok(d),
        _ => Err(Fail::type_error(format!("{what} must be a number"))),
    }
}

/// How JS prints a number, for messages (`NaN`, `-Infinity`, `1.5`).
pub(crate) fn js_number(d: f64) -> String {
    if d.is_nan() {
        "NaN".into()
    } else if d.is_infinite() {
        if d > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        d.to_string()
    }
}

#[inline(always)]
pub(crate) fn from_f64(env: Env<'_>, d: f64) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_create_double takes a plain double and writes the number.
    unsafe {
        env.make("creating a number", |e, out| {
            sys::napi_create_double(e, d, out)
        })
    }
}

pub(crate) fn from_u64_bigint(env: Env<'_>, x: u64) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_create_bigint_uint64 takes a plain u64 and writes the BigInt.
    unsafe {
        env.make("creating a BigInt", |e, out| {
            sys::napi_create_bigint_uint64(e, x, out)
        })
    }
}

/// A u64 as a JS number, or a RangeError (with `advice` on what to call instead) when it is
/// above `Number.MAX_SAFE_INTEGER` and a number would silently lose precision.
#[inline(always)]
pub(crate) fn from_u64_exact<'s>(
    env: Env<'s>,
    x: u64,
    what: &str,
    advice: &str,
) -> Result<Value<'s>> {
    if x > MAX_SAFE_INTEGER {
        return Err(Fail::range(format!(
            "{what} {x} exceeds Number.MAX_SAFE_INTEGER and would lose precision; {advice}"
        )));
    }
    from_f64(env, x as f64)
}

/// A u64 as a number when it is at most `Number.MAX_SAFE_INTEGER`, otherwise as a BigInt (for
/// results that must not be lost, such as a rate's delta: the reading is already taken).
pub(crate) fn u64_number_or_bigint(env: Env<'_>, x: u64) -> Result<Value<'_>> {
    if x > MAX_SAFE_INTEGER {
        from_u64_bigint(env, x)
    } else {
        from_f64(env, x as f64)
    }
}

/// An i64 as a number, or a RangeError (naming `advice`) outside +-`Number.MAX_SAFE_INTEGER`.
pub(crate) fn from_i64_exact<'s>(
    env: Env<'s>,
    x: i64,
    what: &str,
    advice: &str,
) -> Result<Value<'s>> {
    if x.unsigned_abs() > MAX_SAFE_INTEGER {
        return Err(Fail::range(format!(
            "{what} {x} is beyond Number.MAX_SAFE_INTEGER and would lose precision; {advice}"
        )));
    }
    from_f64(env, x as f64)
}

/// An i64 as a number when it is within +-`Number.MAX_SAFE_INTEGER`, otherwise as a BigInt (for
/// results of an operation that already happened, which must not be lost).
pub(crate) fn i64_number_or_bigint(env: Env<'_>, x: i64) -> Result<Value<'_>> {
    if x.unsigned_abs() > MAX_SAFE_INTEGER {
        i128_bigint(env, i128::from(x))
    } else {
        from_f64(env, x as f64)
    }
}

/// An i128 as a BigInt.
pub(crate) fn i128_bigint(env: Env<'_>, x: i128) -> Result<Value<'_>> {
    let m = x.unsigned_abs();
    let words = [m as u64, (m >> 64) as u64];
    // SAFETY: `env` is live; `words` holds the 2 words the call reads, and outlives it.
    unsafe {
        env.make("creating a BigInt", |e, out| {
            sys::napi_create_bigint_words(e, i32::from(x < 0), words.len(), words.as_ptr(), out)
        })
    }
}

/// A statistic that may be absent: a number (RangeError above `Number.MAX_SAFE_INTEGER`, naming
/// `advice`) or `null`.
pub(crate) fn optional_u64<'s>(
    env: Env<'s>,
    v: Option<u64>,
    what: &str,
    advice: &str,
) -> Result<Value<'s>> {
    match v {
        Some(v) => from_u64_exact(env, v, what, advice),
        None => null(env),
    }
}

/// A BigInt, or `null`.
pub(crate) fn optional_u64_bigint(env: Env<'_>, v: Option<u64>) -> Result<Value<'_>> {
    match v {
        Some(v) => from_u64_bigint(env, v),
        None => null(env),
    }
}

/// A number, or `null`.
pub(crate) fn optional_f64(env: Env<'_>, v: Option<f64>) -> Result<Value<'_>> {
    match v {
        Some(v) => from_f64(env, v),
        None => null(env),
    }
}

// ---- Booleans and null -------------------------------------------------------------------

/// A boolean argument, `default` when omitted (`undefined`); TypeError for any other type.
pub(crate) fn to_bool_or(env: Env<'_>, v: Value<'_>, default: bool, what: &str) -> Result<bool> {
    if is_undefined(env, v)? {
        return Ok(default);
    }
    let mut b = false;
    // SAFETY: `env` is live, `v` of its scope, `b` a local.
    match unsafe { sys::napi_get_value_bool(env.raw(), v.raw(), &mut b) } {
        sys::Status::napi_ok => Ok(b),
        _ => Err(Fail::type_error(format!("{what} must be a boolean"))),
    }
}

pub(crate) fn boolean(env: Env<'_>, b: bool) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_get_boolean writes the boolean singleton.
    unsafe {
        env.make("creating a boolean", |e, out| {
            sys::napi_get_boolean(e, b, out)
        })
    }
}

pub(crate) fn null(env: Env<'_>) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_get_null writes the null singleton.
    unsafe { env.make("creating null", |e, out| sys::napi_get_null(e, out)) }
}

/// A real `undefined` value (for a Promise's result; a callback returns `Value::UNDEFINED`).
pub(crate) fn undefined(env: Env<'_>) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_get_undefined writes the undefined singleton.
    unsafe {
        env.make("creating undefined", |e, out| {
            sys::napi_get_undefined(e, out)
        })
    }
}

// ---- Strings -------------------------------------------------------------------------------

/// `napi_get_value_string_utf8` of `v`: with a non-empty `buf`, which need not be initialised,
/// the UTF-8 bytes written into it (at most `buf.len() - 1`, then a NUL; with napi_ok, those bytes
/// are initialised); with an empty `buf`, the length only. Its status, and the bytes written or
/// the length.
#[inline(always)]
fn read_utf8(
    env: Env<'_>,
    v: Value<'_>,
    buf: &mut [std::mem::MaybeUninit<u8>],
) -> (sys::napi_status, usize) {
    let mut len = 0usize;
    let ptr = if buf.is_empty() {
        ptr::null_mut()
    } else {
        buf.as_mut_ptr().cast()
    };
    // SAFETY: `env` is live, `v` of its scope; `ptr` is NULL (the length only) or has room for
    // `buf.len()` bytes, the terminating NUL included, and N-API only writes into it.
    let status =
        unsafe { sys::napi_get_value_string_utf8(env.raw(), v.raw(), ptr, buf.len(), &mut len) };
    (status, len)
}

/// Whether a read of `len` bytes into a buffer of `cap` bytes may have been cut off: N-API
/// writes whole characters (at most 4 bytes each) and the NUL, so 4 bytes or more to spare mean
/// nothing was.
#[inline(always)]
fn maybe_cut(len: usize, cap: usize) -> bool {
    len + 4 >= cap
}

/// A string argument; TypeError for any other type, and for a string that is not well-formed
/// UTF-16 (see [`check_well_formed`]).
pub(crate) fn to_string(env: Env<'_>, v: Value<'_>, what: &str) -> Result<String> {
    let (status, len) = read_utf8(env, v, &mut []);
    if status != sys::Status::napi_ok {
        return Err(Fail::type_error(format!("{what} must be a string")));
    }
    let mut buf = Vec::<u8>::with_capacity(len + 1);
    let (status, got) = read_utf8(env, v, &mut buf.spare_capacity_mut()[..len + 1]);
    check(status, "reading a string")?;
    // SAFETY: napi_ok: N-API initialised the first `got` (<= len) bytes of the spare capacity.
    unsafe { buf.set_len(got) };
    check_well_formed(env, v, &buf, what)?;
    String::from_utf8(buf).map_err(|_| Fail::type_error(format!("{what} is not valid UTF-8")))
}

/// Bytes of the stack buffer of [`with_strs`].
const STACK_STR: usize = 1024;

/// Runs `f` on the UTF-8 text of `N` string arguments, as [`to_string`] reads each (the same
/// TypeErrors), but read with one N-API call each into one stack buffer, left uninitialised
/// (N-API writes what is read), when they fit in it together; otherwise each into a `String` of
/// its own. For a hot call's short strings: nothing allocated, nothing zeroed.
pub(crate) fn with_strs<const N: usize, R>(
    env: Env<'_>,
    vals: [Value<'_>; N],
    what: &str,
    f: impl FnOnce([&str; N]) -> Result<R>,
) -> Result<R> {
    let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); STACK_STR];
    // Where each string's bytes are in `buf`: each is followed by the NUL N-API writes.
    let mut spans = [(0usize, 0usize); N];
    let mut at = 0;
    for (span, &v) in spans.iter_mut().zip(&vals) {
        // `at` < STACK_STR: each string read so far left 4 bytes or more of room after it.
        let room = &mut buf[at..];
        let (status, len) = read_utf8(env, v, room);
        if status != sys::Status::napi_ok {
            return Err(Fail::type_error(format!("{what} must be a string")));
        }
        if maybe_cut(len, room.len()) {
            let owned = vals
                .iter()
                .map(|&v| to_string(env, v, what))
                .collect::<Result<Vec<_>>>()?;
            return f(std::array::from_fn(|i| owned[i].as_str()));
        }
        // SAFETY: napi_ok: N-API initialised the first `len` bytes of `room` (and a NUL).
        let bytes = unsafe { std::slice::from_raw_parts(room.as_ptr().cast::<u8>(), len) };
        check_well_formed(env, v, bytes, what)?;
        *span = (at, len);
        at += len + 1;
    }
    // SAFETY: every byte before `at` was initialised by N-API above (each string and its NUL).
    let read = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), at) };
    let mut texts = [""; N];
    for (text, &(start, len)) in texts.iter_mut().zip(&spans) {
        let bytes = &read[start..start + len];
        *text = if bytes.is_ascii() {
            // SAFETY: ASCII is UTF-8.
            unsafe { std::str::from_utf8_unchecked(bytes) }
        } else {
            std::str::from_utf8(bytes)
                .map_err(|_| Fail::type_error(format!("{what} is not valid UTF-8")))?
        };
    }
    f(texts)
}

/// U+FFFD in UTF-8.
const REPLACEMENT: [u8; 3] = [0xef, 0xbf, 0xbd];

/// Refuses a string argument that is not well-formed UTF-16 (it holds a lone surrogate): N-API's
/// UTF-8 conversion turns each into U+FFFD, so two different strings would become one name, label
/// value or key. `utf8` is the converted string: only one holding U+FFFD is read again as UTF-16.
/// A TypeError with code `AP_ERR_INVALID_ARGUMENT`, as the C ABI refuses invalid UTF-8.
#[inline(always)]
fn check_well_formed(env: Env<'_>, v: Value<'_>, utf8: &[u8], what: &str) -> Result<()> {
    // U+FFFD is not ASCII: most strings are, and this scan is a word at a time.
    if utf8.is_ascii() || !utf8.windows(3).any(|w| w == REPLACEMENT) {
        return Ok(());
    }
    let mut len = 0usize;
    // SAFETY: `env` is live, `v` a string of its scope; a NULL buffer asks for the length only.
    let status = unsafe {
        sys::napi_get_value_string_utf16(env.raw(), v.raw(), ptr::null_mut(), 0, &mut len)
    };
    check(status, "reading a string")?;
    let mut units = vec![0u16; len + 1];
    // SAFETY: as above, with room for `units.len()` code units, the terminating NUL included.
    let status = unsafe {
        sys::napi_get_value_string_utf16(
            env.raw(),
            v.raw(),
            units.as_mut_ptr(),
            units.len(),
            &mut len,
        )
    };
    check(status, "reading a string")?;
    if char::decode_utf16(units[..len].iter().copied()).any(|c| c.is_err()) {
        return Err(Fail::type_error(format!(
            "{what} is not well-formed UTF-16: it holds a lone surrogate, which has no UTF-8 form"
        )));
    }
    Ok(())
}

pub(crate) fn string<'s>(env: Env<'s>, s: &str) -> Result<Value<'s>> {
    utf8_string(env, s.as_bytes())
}

/// A JS string decoded from UTF-8 bytes (invalid sequences become U+FFFD, as
/// `buffer.toString('utf8')` does).
pub(crate) fn utf8_string<'s>(env: Env<'s>, bytes: &[u8]) -> Result<Value<'s>> {
    let len = isize::try_from(bytes.len())
        .map_err(|_| Fail::range("a string longer than isize::MAX bytes"))?;
    // SAFETY: `env` is live; N-API reads `len` bytes at `bytes`, which outlives the call.
    unsafe {
        env.make("creating a string", |e, out| {
            sys::napi_create_string_utf8(e, bytes.as_ptr().cast(), len, out)
        })
    }
}

// ---- Byte strings and typed arrays -------------------------------------------------------------

/// Strings up to this many UTF-8 bytes are read into a stack buffer (no allocation).
const STACK_STRING: usize = 256;

/// Runs `f` on the bytes of a key or value argument: a Uint8Array (a Buffer is one) is read in
/// place, a string is UTF-8 encoded; TypeError `AP_ERR_INVALID_ARGUMENT` for anything else and
/// for a string with a lone surrogate (see [`check_well_formed`]).
///
/// `f` sees memory owned by JS, for the duration of the call: it must copy what it keeps. It is
/// `Send`, so it holds no [`Env`] or [`Value`] and cannot run JS (which could detach the buffer
/// under it).
#[inline(always)]
pub(crate) fn with_bytes<R>(
    env: Env<'_>,
    v: Value<'_>,
    what: &str,
    f: impl FnOnce(&[u8]) -> R + Send,
) -> Result<R> {
    // A string first: the common case for keys (the status says whether `v` is one), read
    // once into a stack buffer left uninitialised, and again by `to_string` if it did not fit.
    let mut stack = [std::mem::MaybeUninit::<u8>::uninit(); STACK_STRING];
    let (status, got) = read_utf8(env, v, &mut stack);
    match status {
        sys::Status::napi_ok if !maybe_cut(got, STACK_STRING) => {
            // SAFETY: napi_ok: N-API initialised the first `got` bytes of `stack`.
            let bytes = unsafe { std::slice::from_raw_parts(stack.as_ptr().cast::<u8>(), got) };
            check_well_formed(env, v, bytes, what)?;
            return Ok(f(bytes));
        }
        sys::Status::napi_ok => return Ok(f(to_string(env, v, what)?.as_bytes())),
        sys::Status::napi_string_expected => {}
        status => {
            return Err(Fail::internal(format!(
                "N-API call failed while reading {what} (status {status})"
            )))
        }
    }
    if let Some((sys::TypedarrayType::uint8_array, len, data)) = typed_array(env, v)? {
        let bytes = if len == 0 || data.is_null() {
            &[][..]
        } else {
            // SAFETY: a Uint8Array of `len` bytes at `data` (N-API applied the byte offset). The
            // argument keeps its buffer alive for the callback, and no JS runs while `f` reads
            // (`f` cannot reach the Env), so nothing detaches or moves it meanwhile. A
            // SharedArrayBuffer may be written by another thread at the same time: `f` then sees
            // some mix of old and new bytes, as a racing non-atomic read in JS would, never
            // memory outside the array.
            unsafe { std::slice::from_raw_parts(data.cast::<u8>().cast_const(), len) }
        };
        return Ok(f(bytes));
    }
    Err(Fail::type_error(format!(
        "{what} must be a Buffer, a Uint8Array or a string"
    )))
}

/// An owned copy of a byte-string argument (see [`with_bytes`]).
pub(crate) fn to_bytes(env: Env<'_>, v: Value<'_>, what: &str) -> Result<Box<[u8]>> {
    with_bytes(env, v, what, |b: &[u8]| Box::<[u8]>::from(b))
}

/// A typed array's kind, element count and data (NULL when empty), or `None` for anything else.
/// The data pointer is valid while the array's buffer is attached: read it before any JS runs.
fn typed_array(
    env: Env<'_>,
    v: Value<'_>,
) -> Result<Option<(sys::napi_typedarray_type, usize, *mut c_void)>> {
    let mut is_typed = false;
    // SAFETY: `env` is live, `v` of its scope, `is_typed` a local.
    let status = unsafe { sys::napi_is_typedarray(env.raw(), v.raw(), &mut is_typed) };
    check(status, "checking a typed array")?;
    if !is_typed {
        return Ok(None);
    }
    let (mut kind, mut len, mut data) = (0, 0usize, ptr::null_mut());
    let (mut buffer, mut offset) = (ptr::null_mut(), 0usize);
    // SAFETY: `env` is live, `v` a typed array of its scope, every out-pointer a local.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            env.raw(),
            v.raw(),
            &mut kind,
            &mut len,
            &mut data,
            &mut buffer,
            &mut offset,
        )
    };
    check(status, "reading a typed array")?;
    Ok(Some((kind, len, data)))
}

/// Runs `f` on the elements of a Float64Array argument; `None` if `v` is anything else. `f` is
/// `Send` for the reason [`with_bytes`] gives.
pub(crate) fn with_f64_array<R>(
    env: Env<'_>,
    v: Value<'_>,
    f: impl FnOnce(&[f64]) -> R + Send,
) -> Result<Option<R>> {
    match typed_array(env, v)? {
        Some((sys::TypedarrayType::float64_array, len, data)) => {
            let values = if len == 0 || data.is_null() {
                &[][..]
            } else {
                // SAFETY: a Float64Array of `len` elements at `data` (aligned: a Float64Array's
                // offset is a multiple of 8), kept attached and in place while `f` runs, as in
                // `with_bytes` (a racing writer on another thread gives old or new values).
                unsafe { std::slice::from_raw_parts(data.cast::<f64>().cast_const(), len) }
            };
            Ok(Some(f(values)))
        }
        _ => Ok(None),
    }
}

/// The length of a Uint8Array argument; `None` if `v` is anything else.
pub(crate) fn u8_array_len(env: Env<'_>, v: Value<'_>) -> Result<Option<usize>> {
    Ok(match typed_array(env, v)? {
        Some((sys::TypedarrayType::uint8_array, len, _)) => Some(len),
        _ => None,
    })
}

/// Copies `bytes` to the start of a Uint8Array argument if it has room for them (true); false
/// (nothing written) if it has not. TypeError for anything but a Uint8Array.
pub(crate) fn copy_into_u8_array(
    env: Env<'_>,
    v: Value<'_>,
    bytes: &[u8],
    what: &str,
) -> Result<bool> {
    match typed_array(env, v)? {
        Some((sys::TypedarrayType::uint8_array, len, data)) => {
            if bytes.len() > len {
                return Ok(false);
            }
            if !bytes.is_empty() {
                // SAFETY: the array has `len` >= `bytes.len()` bytes at `data`, attached and in
                // place (no JS runs between `typed_array` and this copy); `bytes` is Rust
                // memory, so the two do not overlap.
                unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
            }
            Ok(true)
        }
        _ => Err(Fail::type_error(format!("{what} must be a Uint8Array"))),
    }
}

/// A new Float64Array holding a copy of `values`.
pub(crate) fn f64_array<'s>(env: Env<'s>, values: &[f64]) -> Result<Value<'s>> {
    let bytes = std::mem::size_of_val(values);
    let mut data: *mut c_void = ptr::null_mut();
    // SAFETY: `env` is live; napi_create_arraybuffer writes the new buffer and the address of its
    // `bytes` bytes to `data`.
    let buffer = unsafe {
        env.make("creating an ArrayBuffer", |e, out| {
            sys::napi_create_arraybuffer(e, bytes, &mut data, out)
        })
    }?;
    if bytes > 0 {
        // SAFETY: `data` holds `bytes` bytes, just allocated by V8 for the buffer (8-aligned, as
        // every ArrayBuffer's store is), which no other code can have seen yet.
        unsafe { ptr::copy_nonoverlapping(values.as_ptr(), data.cast::<f64>(), values.len()) };
    }
    // SAFETY: `env` is live and `buffer` an ArrayBuffer of its scope with room for `len` f64s at
    // offset 0.
    unsafe {
        env.make("creating a Float64Array", |e, out| {
            sys::napi_create_typedarray(
                e,
                sys::TypedarrayType::float64_array,
                values.len(),
                buffer.raw(),
                0,
                out,
            )
        })
    }
}

/// A new Buffer holding a copy of `bytes`.
#[inline(always)]
pub(crate) fn buffer<'s>(env: Env<'s>, bytes: &[u8]) -> Result<Value<'s>> {
    let mut data = ptr::null_mut();
    // SAFETY: `env` is live; N-API copies `bytes.len()` bytes from `bytes` (which outlives the
    // call) into the Buffer it writes; `data` is a local.
    unsafe {
        env.make("creating a Buffer", |e, out| {
            sys::napi_create_buffer_copy(
                e,
                bytes.len(),
                bytes.as_ptr().cast::<c_void>(),
                &mut data,
                out,
            )
        })
    }
}

/// A Buffer copy of `bytes`, or `undefined` for `None`.
#[inline(always)]
pub(crate) fn optional_buffer<'s>(env: Env<'s>, bytes: Option<&[u8]>) -> Result<Value<'s>> {
    match bytes {
        Some(b) => buffer(env, b),
        None => Ok(Value::UNDEFINED),
    }
}

// ---- Arrays, objects, Dates ----------------------------------------------------------------

/// The elements of an array argument; TypeError for any other type. (An element with a getter
/// runs it: the one conversion that can call JS.)
pub(crate) fn to_array<'s>(env: Env<'s>, v: Value<'s>, what: &str) -> Result<Vec<Value<'s>>> {
    let mut is_array = false;
    // SAFETY: `env` is live, `v` of its scope, `is_array` a local.
    let status = unsafe { sys::napi_is_array(env.raw(), v.raw(), &mut is_array) };
    check(status, "checking an array")?;
    if !is_array {
        return Err(Fail::type_error(format!("{what} must be an array")));
    }
    let mut len = 0u32;
    // SAFETY: `env` is live, `v` an array of its scope, `len` a local.
    let status = unsafe { sys::napi_get_array_length(env.raw(), v.raw(), &mut len) };
    check(status, "reading an array length")?;
    (0..len)
        .map(|i| {
            // SAFETY: `env` is live, `v` an object of its scope; a missing element reads as
            // undefined.
            unsafe {
                env.make("reading an array element", |e, out| {
                    sys::napi_get_element(e, v.raw(), i, out)
                })
            }
        })
        .collect()
}

pub(crate) fn object(env: Env<'_>) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_create_object writes the new object.
    unsafe {
        env.make("creating an object", |e, out| {
            sys::napi_create_object(e, out)
        })
    }
}

pub(crate) fn array(env: Env<'_>, len: usize) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_create_array_with_length writes the new array.
    unsafe {
        env.make("creating an array", |e, out| {
            sys::napi_create_array_with_length(e, len, out)
        })
    }
}

pub(crate) fn set_element(env: Env<'_>, array: Value<'_>, i: u32, v: Value<'_>) -> Result<()> {
    // SAFETY: `env` is live; `array` and `v` are values of its scope (arrays this module made:
    // no setter runs).
    let status = unsafe { sys::napi_set_element(env.raw(), array.raw(), i, v.raw()) };
    check(status, "setting an array element")
}

/// Sets `obj[name] = v`; `name` is NUL-terminated.
pub(crate) fn set(env: Env<'_>, obj: Value<'_>, name: &str, v: Value<'_>) -> Result<()> {
    assert!(name.ends_with('\0'), "property names are NUL-terminated");
    // SAFETY: `env` is live; `obj` and `v` are values of its scope; `name` is NUL-terminated
    // (checked above) and outlives the call.
    check(
        unsafe {
            sys::napi_set_named_property(env.raw(), obj.raw(), name.as_ptr().cast(), v.raw())
        },
        "setting a property",
    )
}

pub(crate) fn date(env: Env<'_>, ms_since_epoch: f64) -> Result<Value<'_>> {
    // SAFETY: `env` is live; napi_create_date takes a plain double and writes the Date.
    unsafe {
        env.make("creating a Date", |e, out| {
            sys::napi_create_date(e, ms_since_epoch, out)
        })
    }
}
