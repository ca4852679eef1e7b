//! The thin layer over `napi::sys` that every exported callback goes through: argument reading,
//! handle checking, number/BigInt conversion and errors with a `code`.
//!
//! Why raw callbacks: with napi-derive a function taking `&External<T>` costs 40-60 ns per call
//! and a class method 85-105 ns, while a callback written against the C N-API costs 8-16 ns
//! (measured with napi 3 and napi-derive 3.5.10 on Node 20; napi-derive 3.6 and later add per-call
//! borrow tracking on top). Metrics sit on hot paths, so every call that takes a handle is
//! written here, and the JS classes in `index.js` wrap them.
//!
//! Safety model: a handle is a JS External holding an `Arc<T>` (its data pointer is
//! `Arc::into_raw`, so it points at the `T` itself; the External's finalizer releases that
//! reference), tagged with a type tag unique to `T` (`napi_type_tag_object`). Being an `Arc`,
//! the `T` can have other owners that outlive the External: [`handle_arc`] clones one (an
//! external ArrayBuffer over a counter's cells, another metric that refers to this one).
//!
//! Every callback checks the tag (`napi_check_object_type_tag`) before dereferencing, so a
//! number, an object, another metric's handle or another addon's External raises a TypeError
//! instead of reading foreign memory. There is no unchecked build: anyone can load `binding.js`
//! and call these functions with anything, and no JavaScript may be able to crash the process or
//! corrupt memory. The check costs a few ns a call (see the README's overhead table).
//!
//! No Rust panic crosses into JS: it becomes an Error with code `AP_ERR_INTERNAL`.

use std::ffi::{c_void, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Arc;

use napi::sys;

pub(crate) type Env = sys::napi_env;
pub(crate) type Value = sys::napi_value;
pub(crate) type Info = sys::napi_callback_info;

/// The JS error class of a failure.
#[derive(Clone, Copy)]
pub(crate) enum Class {
    Error,
    TypeError,
    RangeError,
}

/// A failure on its way to JS: class, `code` (the C ABI's status name) and message.
pub(crate) struct Fail {
    class: Class,
    code: &'static str,
    message: String,
}

pub(crate) const OUT_OF_RANGE: &str = "AP_ERR_OUT_OF_RANGE";
pub(crate) const INVALID_ARGUMENT: &str = "AP_ERR_INVALID_ARGUMENT";
pub(crate) const CLOSED: &str = "AP_ERR_CLOSED";
pub(crate) const TIMEOUT: &str = "AP_ERR_TIMEOUT";
const INTERNAL: &str = "AP_ERR_INTERNAL";

impl Fail {
    /// TypeError, code `AP_ERR_INVALID_ARGUMENT`: the argument has the wrong JS type.
    pub(crate) fn type_error(message: impl Into<String>) -> Self {
        Fail {
            class: Class::TypeError,
            code: INVALID_ARGUMENT,
            message: message.into(),
        }
    }

    /// RangeError, code `AP_ERR_OUT_OF_RANGE`: right type, value outside what is allowed.
    pub(crate) fn range(message: impl Into<String>) -> Self {
        Fail {
            class: Class::RangeError,
            code: OUT_OF_RANGE,
            message: message.into(),
        }
    }

    /// A plain Error with the given code (`AP_ERR_CLOSED`, `AP_ERR_TIMEOUT`).
    pub(crate) fn error(code: &'static str, message: impl Into<String>) -> Self {
        Fail {
            class: Class::Error,
            code,
            message: message.into(),
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Fail {
            class: Class::Error,
            code: INTERNAL,
            message: message.into(),
        }
    }

    /// The error as a JS value, not thrown: the reason of a Promise settled on the JS thread.
    pub(crate) unsafe fn into_value(self, env: Env) -> Result<Value> {
        let mut code = ptr::null_mut();
        check(
            sys::napi_create_string_utf8(
                env,
                self.code.as_ptr().cast(),
                self.code.len() as isize,
                &mut code,
            ),
            "creating a string",
        )?;
        let mut message = ptr::null_mut();
        check(
            sys::napi_create_string_utf8(
                env,
                self.message.as_ptr().cast(),
                self.message.len() as isize,
                &mut message,
            ),
            "creating a string",
        )?;
        let create = match self.class {
            Class::Error => sys::napi_create_error,
            Class::TypeError => sys::napi_create_type_error,
            Class::RangeError => sys::napi_create_range_error,
        };
        let mut error = ptr::null_mut();
        check(create(env, code, message, &mut error), "creating an error")?;
        Ok(error)
    }

    unsafe fn throw(self, env: Env) {
        // A message with an interior NUL cannot come from us; fall back rather than fail.
        let code = CString::new(self.code).unwrap_or_default();
        let message = CString::new(self.message).unwrap_or_default();
        let throw = match self.class {
            Class::Error => sys::napi_throw_error,
            Class::TypeError => sys::napi_throw_type_error,
            Class::RangeError => sys::napi_throw_range_error,
        };
        throw(env, code.as_ptr(), message.as_ptr());
    }
}

impl From<atomicperf::Error> for Fail {
    fn from(e: atomicperf::Error) -> Self {
        // The status every language reports (`atomicperf::Status`) is the code: a wrong kind of
        // argument is a TypeError, a value outside its range a RangeError, anything else (a
        // closed primitive, a timed-out wait, a ledger error) a plain Error.
        use atomicperf::Status as S;
        match e.status() {
            S::InvalidArgument => Fail::type_error(e.to_string()),
            S::OutOfRange => Fail::range(e.to_string()),
            S::Closed => Fail::error(CLOSED, e.to_string()),
            S::Timeout => Fail::error(TIMEOUT, e.to_string()),
            status => Fail::error(status.name(), e.to_string()),
        }
    }
}

pub(crate) type Result<T> = std::result::Result<T, Fail>;

/// Runs the body of a callback: an error is thrown as a JS exception, a panic becomes an Error
/// with code `AP_ERR_INTERNAL`. A null return is `undefined` in JS.
#[inline(always)]
pub(crate) unsafe fn run(env: Env, body: impl FnOnce() -> Result<Value>) -> Value {
    let fail = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(v)) => return v,
        Ok(Err(fail)) => fail,
        Err(_) => Fail::internal(
            "internal error in atomicperf (a Rust panic was caught); please report it",
        ),
    };
    fail.throw(env);
    ptr::null_mut()
}

/// The first `N` arguments; missing ones are `undefined` (N-API fills them in).
#[inline(always)]
pub(crate) unsafe fn args<const N: usize>(env: Env, info: Info) -> Result<[Value; N]> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    let status = sys::napi_get_cb_info(
        env,
        info,
        &mut argc,
        argv.as_mut_ptr(),
        ptr::null_mut(),
        ptr::null_mut(),
    );
    check(status, "reading the arguments")?;
    Ok(argv)
}

#[inline(always)]
pub(crate) fn check(status: sys::napi_status, what: &str) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(Fail::internal(format!(
            "N-API call failed while {what} (status {status})"
        )))
    }
}

/// A Rust type that travels to JS as a tagged External handle.
pub(crate) trait Handle: Sized + 'static {
    /// Unique per type: the check that tells our handles from every other External.
    const TAG: sys::napi_type_tag;
    /// Name in error messages.
    const NAME: &'static str;
}

unsafe extern "C" fn finalize<T: Handle>(_env: Env, data: *mut c_void, _hint: *mut c_void) {
    drop(Arc::from_raw(data.cast::<T>().cast_const()));
}

/// Moves `value` into a new External handle owned by the JS garbage collector.
pub(crate) unsafe fn new_handle<T: Handle>(env: Env, value: T) -> Result<Value> {
    new_arc_handle(env, Arc::new(value))
}

/// A new External handle that owns one reference to `value` (released when V8 collects it).
pub(crate) unsafe fn new_arc_handle<T: Handle>(env: Env, value: Arc<T>) -> Result<Value> {
    let data = Arc::into_raw(value).cast_mut().cast::<c_void>();
    let mut external = ptr::null_mut();
    let status = sys::napi_create_external(
        env,
        data,
        Some(finalize::<T>),
        ptr::null_mut(),
        &mut external,
    );
    if status != sys::Status::napi_ok {
        drop(Arc::from_raw(data.cast::<T>().cast_const()));
        return Err(Fail::internal(format!(
            "could not create a {} handle (status {status})",
            T::NAME
        )));
    }
    check(
        sys::napi_type_tag_object(env, external, &T::TAG),
        "tagging a handle",
    )?;
    Ok(external)
}

/// A new owning reference to the `T` behind a handle argument (checked as [`handle`] does), for
/// an owner that may outlive the handle.
pub(crate) unsafe fn handle_arc<T: Handle>(env: Env, v: Value) -> Result<Arc<T>> {
    let t: &T = handle::<T>(env, v)?;
    // `t` came from `Arc::into_raw` in `new_arc_handle`, and the handle (an argument of the
    // running callback) keeps that reference alive while the count is raised.
    Arc::increment_strong_count(t as *const T);
    Ok(Arc::from_raw(t as *const T))
}

/// The `T` behind a handle argument, or a TypeError if `v` is anything else (checked by its type
/// tag).
///
/// The reference lives as long as the callback: `v` is one of its arguments, so the External
/// (and the Arc reference it owns) cannot be collected before the callback returns.
#[inline(always)]
pub(crate) unsafe fn handle<'a, T: Handle>(env: Env, v: Value) -> Result<&'a T> {
    let mut tagged = false;
    let status = sys::napi_check_object_type_tag(env, v, &T::TAG, &mut tagged);
    if status != sys::Status::napi_ok || !tagged {
        if status == sys::Status::napi_pending_exception {
            // The check converts its argument with ToObject, which throws for undefined and
            // null; replace that exception with ours, which says what was expected.
            let mut discarded = ptr::null_mut();
            sys::napi_get_and_clear_last_exception(env, &mut discarded);
        }
        return Err(Fail::type_error(format!("expected a {} handle", T::NAME)));
    }
    let mut data = ptr::null_mut();
    check(
        sys::napi_get_value_external(env, v, &mut data),
        "reading a handle",
    )?;
    Ok(&*data.cast::<T>())
}

pub(crate) unsafe fn type_of(env: Env, v: Value) -> Result<sys::napi_valuetype> {
    let mut t = 0;
    check(sys::napi_typeof(env, v, &mut t), "reading a type")?;
    Ok(t)
}

/// True for `undefined` (an omitted optional argument).
pub(crate) unsafe fn is_undefined(env: Env, v: Value) -> Result<bool> {
    Ok(type_of(env, v)? == sys::ValueType::napi_undefined)
}

/// 2^64 as an f64: the first number that does not fit in a u64.
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

/// A JS number or BigInt as a u64: TypeError for other types, RangeError for NaN, infinities,
/// fractions, negative values and values from 2^64 up. Numbers above 2^53 are accepted when
/// they are integers: every such double is an exact integer.
#[inline(always)]
pub(crate) unsafe fn to_u64(env: Env, v: Value, what: &str) -> Result<u64> {
    let mut d = 0.0f64;
    match sys::napi_get_value_double(env, v, &mut d) {
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
            match sys::napi_get_value_bigint_uint64(env, v, &mut x, &mut lossless) {
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

/// A JS number as an f64 (NaN included): TypeError for any other type, BigInt included.
#[inline(always)]
pub(crate) unsafe fn to_f64(env: Env, v: Value, what: &str) -> Result<f64> {
    let mut d = 0.0f64;
    match sys::napi_get_value_double(env, v, &mut d) {
        sys::Status::napi_ok => Ok(d),
        _ => Err(Fail::type_error(format!("{what} must be a number"))),
    }
}

/// How JS prints a number, for messages (`NaN`, `-Infinity`, `1.5`).
fn js_number(d: f64) -> String {
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

/// Largest u64 a JS number holds exactly along with all smaller ones (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A u64 as a JS number, or a RangeError (with `advice` on what to call instead) when it is
/// above `Number.MAX_SAFE_INTEGER` and a number would silently lose precision.
#[inline(always)]
pub(crate) unsafe fn from_u64_exact(env: Env, x: u64, what: &str, advice: &str) -> Result<Value> {
    if x > MAX_SAFE_INTEGER {
        return Err(Fail::range(format!(
            "{what} {x} exceeds Number.MAX_SAFE_INTEGER and would lose precision; {advice}"
        )));
    }
    from_f64(env, x as f64)
}

#[inline(always)]
pub(crate) unsafe fn from_f64(env: Env, d: f64) -> Result<Value> {
    let mut out = ptr::null_mut();
    check(
        sys::napi_create_double(env, d, &mut out),
        "creating a number",
    )?;
    Ok(out)
}

pub(crate) unsafe fn from_u64_bigint(env: Env, x: u64) -> Result<Value> {
    let mut out = ptr::null_mut();
    check(
        sys::napi_create_bigint_uint64(env, x, &mut out),
        "creating a BigInt",
    )?;
    Ok(out)
}

pub(crate) unsafe fn null(env: Env) -> Result<Value> {
    let mut out = ptr::null_mut();
    check(sys::napi_get_null(env, &mut out), "creating null")?;
    Ok(out)
}

/// `undefined`: what a callback returns when it has nothing to return.
pub(crate) const UNDEFINED: Value = ptr::null_mut();

/// An N-API callback.
pub(crate) type Callback = unsafe extern "C" fn(Env, Info) -> Value;

/// One exported function: its JS name (NUL-terminated) and its callback.
pub(crate) type Export = (&'static str, Callback);

/// The export table entry for a callback declared with [`callbacks!`].
macro_rules! export {
    ($name:literal, $f:ident) => {
        (concat!($name, "\0"), $f as $crate::raw::Callback)
    };
}
pub(crate) use export;

/// Defines `functions` on `target`.
pub(crate) unsafe fn define(env: Env, target: Value, functions: &[Export]) -> Result<()> {
    let descriptors: Vec<sys::napi_property_descriptor> = functions
        .iter()
        .map(|&(name, cb)| {
            debug_assert!(name.ends_with('\0'));
            sys::napi_property_descriptor {
                utf8name: name.as_ptr().cast(),
                name: ptr::null_mut(),
                method: Some(cb),
                getter: None,
                setter: None,
                value: ptr::null_mut(),
                attributes: sys::PropertyAttributes::enumerable,
                data: ptr::null_mut(),
            }
        })
        .collect();
    check(
        sys::napi_define_properties(env, target, descriptors.len(), descriptors.as_ptr()),
        "defining functions",
    )
}

/// Declares `extern "C"` N-API callbacks whose bodies run under [`run`]:
/// `callbacks!(fn name(env, info) { ...; Ok(value) })`.
macro_rules! callbacks {
    ($( $(#[$m:meta])* fn $name:ident($env:ident, $info:ident) $body:block )*) => {$(
        $(#[$m])*
        pub(crate) unsafe extern "C" fn $name(
            $env: $crate::raw::Env,
            $info: $crate::raw::Info,
        ) -> $crate::raw::Value {
            $crate::raw::run($env, || $body)
        }
    )*};
}
pub(crate) use callbacks;
