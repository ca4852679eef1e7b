//! The N-API callbacks every exported function is, and what they run on: the scope types
//! [`Env`], [`Value`] and [`Info`], argument reading, and the export table.
//!
//! Why hand-written callbacks: with napi-derive a function taking `&External<T>` costs 40-60 ns per
//! call and a class method 85-105 ns, while a callback written against the C N-API costs 8-16 ns
//! (measured with napi 3 and napi-derive 3.5.10 on Node 20; napi-derive 3.6 and later add per-call
//! borrow tracking on top). Metrics sit on hot paths, so every call that takes a handle is
//! written with [`callbacks!`], and the JS classes in `index.js` wrap them.
//!
//! Safety model: N-API's `napi_env` and `napi_value` are raw pointers that are valid on one
//! thread, during one callback (a value lives in the handle scope N-API opens for the call). Here
//! they travel as [`Env<'s>`] and [`Value<'s>`], where `'s` is that callback's scope: only
//! [`run`] (for a callback), the module's registration (`lib.rs`) and `waits.rs` (for a Promise's
//! settlement, which Node also runs in a scope of its own) create an `Env`, for a closure that must work for every `'s`, so neither it
//! nor any value it yields can outlive the scope or move to another thread (both types hold a raw
//! pointer, so they are neither `Send` nor `Sync`). A `Value` is only made from what N-API hands
//! out in that scope, or is [`Value::UNDEFINED`] (NULL, which N-API refuses with
//! `napi_invalid_arg` wherever an argument is expected, and reads as `undefined` when a callback
//! returns it). With these invariants the conversions of `convert.rs`, the handles of
//! `handle.rs` and the errors of `error.rs` are safe functions, and every callback body is safe
//! Rust: the unsafe blocks are the N-API calls inside those modules.
//!
//! No Rust panic crosses into JS: [`run`] turns it into an Error with code `AP_ERR_INTERNAL`.

use std::marker::PhantomData;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::sys;

use crate::error::{check, Fail, Result};

/// The environment of the running callback, valid for its scope `'s` only.
#[derive(Clone, Copy)]
pub(crate) struct Env<'s> {
    raw: sys::napi_env,
    _scope: PhantomData<&'s ()>,
}

impl Env<'_> {
    /// # Safety
    /// `raw` is the environment of the calling thread, N-API may be called with it for as long
    /// as the `Env` (and the values made from it) is used, and a handle scope is open that lasts
    /// as long: N-API passed it to a callback that is running, and the `Env` does not leave it.
    pub(crate) unsafe fn from_raw(raw: sys::napi_env) -> Self {
        Env {
            raw,
            _scope: PhantomData,
        }
    }

    /// The pointer, for an N-API call.
    #[inline(always)]
    pub(crate) fn raw(self) -> sys::napi_env {
        self.raw
    }
}

impl<'s> Env<'s> {
    /// Runs an N-API call that writes one value to its out-pointer, and returns that value.
    ///
    /// # Safety
    /// `call` is one N-API function called with this environment, the out-pointer it is given
    /// and arguments valid for it; when it returns `napi_ok` it has written a value of the
    /// current scope (as every N-API function that creates or looks up a value does).
    #[inline(always)]
    pub(crate) unsafe fn make(
        self,
        what: &str,
        call: impl FnOnce(sys::napi_env, *mut sys::napi_value) -> sys::napi_status,
    ) -> Result<Value<'s>> {
        let mut out = ptr::null_mut();
        check(call(self.raw, &mut out), what)?;
        // SAFETY: napi_ok: `out` holds a value of the current scope (the contract of `call`).
        Ok(unsafe { Value::from_raw(out) })
    }
}

/// A JS value of the scope `'s` (see the module documentation).
#[derive(Clone, Copy)]
pub(crate) struct Value<'s> {
    raw: sys::napi_value,
    _scope: PhantomData<&'s ()>,
}

impl Value<'_> {
    /// `undefined` as a callback's result (N-API reads a NULL result so), and nothing else: as an
    /// argument, N-API refuses NULL with `napi_invalid_arg`.
    pub(crate) const UNDEFINED: Self = Value {
        raw: ptr::null_mut(),
        _scope: PhantomData,
    };

    /// # Safety
    /// `raw` is NULL or a value N-API handed out in the current scope (see [`Env::from_raw`]).
    #[inline(always)]
    pub(crate) unsafe fn from_raw(raw: sys::napi_value) -> Self {
        Value {
            raw,
            _scope: PhantomData,
        }
    }

    /// The pointer, for an N-API call.
    #[inline(always)]
    pub(crate) fn raw(self) -> sys::napi_value {
        self.raw
    }
}

/// The arguments of the running callback.
#[derive(Clone, Copy)]
pub(crate) struct Info<'s> {
    raw: sys::napi_callback_info,
    _scope: PhantomData<&'s ()>,
}

/// Runs the body of a callback with its scope: an error is thrown as a JS exception, a panic
/// becomes an Error with code `AP_ERR_INTERNAL`. A result of [`Value::UNDEFINED`] is `undefined`
/// in JS.
///
/// # Safety
/// N-API is calling the callback this runs in, with `env` and `info`, on this thread (it opened
/// the handle scope that the values of `body` live in, and closes it after the callback returns).
#[inline(always)]
pub(crate) unsafe fn run(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    body: impl for<'s> FnOnce(Env<'s>, Info<'s>) -> Result<Value<'s>>,
) -> sys::napi_value {
    // SAFETY: the callback's own environment, used only within this call (the contract above).
    let env = unsafe { Env::from_raw(env) };
    let info = Info {
        raw: info,
        _scope: PhantomData,
    };
    let fail = match catch_unwind(AssertUnwindSafe(|| body(env, info))) {
        Ok(Ok(v)) => return v.raw,
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
pub(crate) fn args<'s, const N: usize>(env: Env<'s>, info: Info<'s>) -> Result<[Value<'s>; N]> {
    Ok(args_counted::<N>(env, info)?.0)
}

/// The first `N` arguments (missing ones `undefined`), and how many the caller passed (which
/// may be more than `N`).
#[inline(always)]
pub(crate) fn args_counted<'s, const N: usize>(
    env: Env<'s>,
    info: Info<'s>,
) -> Result<([Value<'s>; N], usize)> {
    let mut argc = N;
    let mut argv = [ptr::null_mut(); N];
    // SAFETY: `info` is the running callback's (only `run` makes an `Info`), `env` its
    // environment; argv has room for `argc` values and the other out-pointers may be NULL.
    let status = unsafe {
        sys::napi_get_cb_info(
            env.raw(),
            info.raw,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    check(status, "reading the arguments")?;
    // SAFETY: napi_ok: every slot holds an argument, or the `undefined` N-API filled in, of the
    // callback's scope.
    Ok((argv.map(|v| unsafe { Value::from_raw(v) }), argc))
}

/// An N-API callback.
pub(crate) type Callback =
    unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;

/// One exported function: its JS name (NUL-terminated) and its callback.
pub(crate) type Export = (&'static str, Callback);

/// The export table entry for a callback declared with [`callbacks!`].
macro_rules! export {
    ($name:literal, $f:ident) => {
        (concat!($name, "\0"), $f as $crate::callback::Callback)
    };
}
pub(crate) use export;

/// Defines `functions` on `target`.
pub(crate) fn define(env: Env<'_>, target: Value<'_>, functions: &[Export]) -> Result<()> {
    let descriptors: Vec<sys::napi_property_descriptor> = functions
        .iter()
        .map(|&(name, cb)| {
            assert!(name.ends_with('\0'), "export names are NUL-terminated");
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
    // SAFETY: `env` is live (an `Env`), `target` a value of its scope; each descriptor names a
    // NUL-terminated 'static string and a callback with N-API's signature, and the array outlives
    // the call (N-API copies what it keeps).
    let status = unsafe {
        sys::napi_define_properties(
            env.raw(),
            target.raw(),
            descriptors.len(),
            descriptors.as_ptr(),
        )
    };
    check(status, "defining functions")
}

/// Gives a callback body's closure the signature [`run`] needs (one that works for every scope).
#[inline(always)]
pub(crate) fn body<F>(f: F) -> F
where
    F: for<'s> FnOnce(Env<'s>, Info<'s>) -> Result<Value<'s>>,
{
    f
}

/// Declares N-API callbacks whose bodies run under [`run`], with `env: Env<'s>` and
/// `info: Info<'s>` in scope: `callbacks!(fn name(env, info) { ...; Ok(value) })`. The bodies
/// are safe Rust.
macro_rules! callbacks {
    ($( $(#[$m:meta])* fn $name:ident($env:ident, $info:ident) $body:block )*) => {$(
        $(#[$m])*
        pub(crate) unsafe extern "C" fn $name(
            env: napi::sys::napi_env,
            info: napi::sys::napi_callback_info,
        ) -> napi::sys::napi_value {
            // Outside the unsafe block below: the body is checked as safe code.
            let body = $crate::callback::body(|$env, $info| $body);
            // SAFETY: N-API calls a callback only on the JS thread of `env`, with the `info` of
            // this call and a handle scope open until it returns (the callback is unsafe to call
            // from Rust, and only the export table hands it out, to N-API).
            unsafe { $crate::callback::run(env, info, body) }
        }
    )*};
}
pub(crate) use callbacks;
