//! Handles: how a Rust object travels to JS and back. A handle is a JS External holding an
//! `Arc<T>` (its data pointer is `Arc::into_raw`, so it points at the `T` itself; the External's
//! finalizer releases that reference), tagged with a type tag unique to `T`
//! (`napi_type_tag_object`). Being an `Arc`, the `T` can have other owners that outlive the
//! External: [`get_arc`] clones one (an external ArrayBuffer over a counter's cells, another
//! metric that refers to this one).
//!
//! Every handle argument is checked by its tag ([`get`]) before it is dereferenced, so a number,
//! an object, another kind's handle or another addon's External raises a TypeError (code
//! `AP_ERR_INVALID_ARGUMENT`) instead of reading foreign memory. There is no unchecked build:
//! anyone can load `binding.js` and call these functions with anything, and no JavaScript may be
//! able to crash the process or corrupt memory. The check costs a few ns a call (see the README's
//! overhead table).
//!
//! The kinds and their tags are the one table of [`kinds!`] below.

use std::ffi::c_void;
use std::sync::Arc;

use napi::sys;

use crate::callback::{callbacks, export, Env, Export, Value};
use crate::convert;
use crate::error::{check, Fail, Result};

/// Implemented by [`kinds!`] alone (the trait is private to this module), so that no kind can
/// have a tag outside the table.
trait Sealed {}

/// A Rust type that travels to JS as a tagged External handle. Implemented only by [`kinds!`].
#[allow(private_bounds)]
pub(crate) trait Handle: Sealed + Send + Sync + Sized + 'static {
    /// Unique per type: the check that tells our handles from every other External.
    const TAG: sys::napi_type_tag;
    /// Name in error messages.
    const NAME: &'static str;
}

/// The tag of kind `n`: the first half spells "atomicpf", the second holds the kind's number.
const fn tag(n: u64) -> sys::napi_type_tag {
    sys::napi_type_tag {
        lower: 0x6174_6f6d_6963_7066,
        upper: 0x0001_c0de_0000_0000 | n,
    }
}

/// Declares every handle kind, once: its Rust type, its name in messages and its tag number.
/// Numbers are never reused: a handle of one build must not pass for another kind in another.
macro_rules! kinds {
    ($($ty:ty => $name:literal, $n:literal;)*) => {
        $(impl Sealed for $ty {}
        impl Handle for $ty {
            const TAG: sys::napi_type_tag = tag($n);
            const NAME: &'static str = $name;
        })*

        /// Every kind: name and tag.
        pub(crate) const KINDS: &[(&str, sys::napi_type_tag)] = &[$(($name, tag($n))),*];
    };
}

kinds! {
    atomicperf::Counter => "Counter", 0x01;
    atomicperf::Gauge => "Gauge", 0x02;
    atomicperf::Histogram => "Histogram", 0x03;
    atomicperf::MinMax => "MinMax", 0x04;
    atomicperf::Timer => "Timer", 0x05;
    atomicperf::RateTracker => "RateTracker", 0x06;
    atomicperf::ThroughputWindow => "ThroughputWindow", 0x07;
    crate::async_recorder::JsRecorder => "AsyncRecorder", 0x08;
    atomicperf::NativeHistogram => "NativeHistogram", 0x09;
    crate::sharded_map::ByteMap => "ShardedMap", 0x10;
    atomicperf::Ledger => "Ledger", 0x11;
    crate::snapshot_cell::ByteCell => "SnapshotCell", 0x12;
    crate::once_map::ByteOnceMap => "OnceMap", 0x13;
    crate::once_map::Ticket => "OnceMap ticket", 0x14;
    atomicperf::CancellationToken => "CancellationToken", 0x15;
    atomicperf::Info => "Info", 0x16;
    atomicperf::Enum => "Enum", 0x17;
    atomicperf::Summary => "Summary", 0x18;
    atomicperf::Registry => "Registry", 0x20;
    crate::shared_registry::JsShared => "SharedRegistry", 0x21;
}

unsafe extern "C" fn finalize<T: Handle>(
    _env: sys::napi_env,
    data: *mut c_void,
    _hint: *mut c_void,
) {
    // SAFETY: N-API passes the data pointer the External was created with in `new_arc`, which
    // is `Arc::into_raw` of an `Arc<T>`; the finalizer runs once, so this releases that one
    // reference once.
    drop(unsafe { Arc::from_raw(data.cast::<T>().cast_const()) });
}

/// Moves `value` into a new External handle owned by the JS garbage collector.
pub(crate) fn new<T: Handle>(env: Env<'_>, value: T) -> Result<Value<'_>> {
    new_arc(env, Arc::new(value))
}

/// A new External handle that owns one reference to `value` (released when V8 collects it).
pub(crate) fn new_arc<T: Handle>(env: Env<'_>, value: Arc<T>) -> Result<Value<'_>> {
    let data = Arc::into_raw(value).cast_mut().cast::<c_void>();
    // SAFETY: `env` is live; `data` stays valid until `finalize::<T>` (which N-API calls once,
    // when the External is collected) releases it; the hint is unused.
    let external = unsafe {
        env.make("creating a handle", |e, out| {
            sys::napi_create_external(e, data, Some(finalize::<T>), std::ptr::null_mut(), out)
        })
    };
    let external = match external {
        Ok(v) => v,
        Err(_) => {
            // SAFETY: not created, so no finalizer will run: the reference is still ours.
            drop(unsafe { Arc::from_raw(data.cast::<T>().cast_const()) });
            return Err(Fail::internal(format!(
                "could not create a {} handle",
                T::NAME
            )));
        }
    };
    // SAFETY: `env` is live, `external` an object of its scope, the tag a 'static.
    let status = unsafe { sys::napi_type_tag_object(env.raw(), external.raw(), &T::TAG) };
    check(status, "tagging a handle")?;
    Ok(external)
}

/// The `T` behind a handle argument, or a TypeError if `v` is anything else (checked by its type
/// tag).
///
/// The reference lives as long as the scope: `v` is a value of it, so the External (and the Arc
/// reference it owns) cannot be collected before the callback returns.
#[inline(always)]
pub(crate) fn get<'s, T: Handle>(env: Env<'s>, v: Value<'s>) -> Result<&'s T> {
    let mut tagged = false;
    // SAFETY: `env` is live, `v` of its scope, the tag a 'static, `tagged` a local.
    let status =
        unsafe { sys::napi_check_object_type_tag(env.raw(), v.raw(), &T::TAG, &mut tagged) };
    if status != sys::Status::napi_ok || !tagged {
        if status == sys::Status::napi_pending_exception {
            // The check converts its argument with ToObject, which throws for undefined and
            // null; replace that exception with ours, which says what was expected.
            let mut discarded = std::ptr::null_mut();
            // SAFETY: `env` is live, `discarded` a local.
            unsafe { sys::napi_get_and_clear_last_exception(env.raw(), &mut discarded) };
        }
        return Err(Fail::type_error(format!("expected a {} handle", T::NAME)));
    }
    let mut data = std::ptr::null_mut();
    // SAFETY: `env` is live, `v` an External of its scope (only Externals are tagged with our
    // tags: `new_arc` tags nothing else), `data` a local.
    let status = unsafe { sys::napi_get_value_external(env.raw(), v.raw(), &mut data) };
    check(status, "reading a handle")?;
    // SAFETY: an External tagged `T::TAG` was made by `new_arc::<T>` (tags are unique per kind:
    // see the test below), so `data` is `Arc::into_raw` of an `Arc<T>` whose reference the
    // External owns, alive while `v` is (for `'s`). Only shared references are ever made.
    Ok(unsafe { &*data.cast::<T>() })
}

/// A new owning reference to the `T` behind a handle argument (checked as [`get`] does), for an
/// owner that may outlive the handle.
pub(crate) fn get_arc<T: Handle>(env: Env<'_>, v: Value<'_>) -> Result<Arc<T>> {
    let t: *const T = get::<T>(env, v)?;
    // SAFETY: `t` came from `Arc::into_raw` in `new_arc`, and the handle (a value of the
    // running scope) keeps that reference alive while the count is raised.
    unsafe { Arc::increment_strong_count(t) };
    // SAFETY: the reference just added is the one this Arc owns.
    Ok(unsafe { Arc::from_raw(t) })
}

callbacks! {
    /// `handleKinds(): string[]`: the name of every kind of handle, for the tests that pass
    /// each native function every other kind.
    fn handle_kinds(env, _info) {
        let out = convert::array(env, KINDS.len())?;
        for (i, (name, _)) in KINDS.iter().enumerate() {
            convert::set_element(env, out, i as u32, convert::string(env, name)?)?;
        }
        Ok(out)
    }
}

pub(crate) const EXPORTS: &[Export] = &[export!("handleKinds", handle_kinds)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_tag_and_a_name_of_its_own() {
        assert_eq!(KINDS.len(), 20);
        for (i, (name, t)) in KINDS.iter().enumerate() {
            for (other, u) in &KINDS[i + 1..] {
                assert!(
                    (t.lower, t.upper) != (u.lower, u.upper),
                    "{name} and {other} share a tag"
                );
                assert_ne!(name, other);
            }
        }
    }
}
