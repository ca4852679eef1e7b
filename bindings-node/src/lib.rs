//! Node.js binding of atomicperf: `Counter`, `Gauge` and `Histogram` for JavaScript.
//!
//! The native module exports plain functions that take a metric handle (a tagged JS External)
//! as their first argument; `index.js` wraps them in the public classes. Logic lives in the core
//! crate: this crate translates JS numbers, BigInts and errors, and nothing else.
//!
//! Every function that takes a handle is a hand-written N-API callback (see `raw.rs` for why and
//! for the safety model). napi-derive (pinned to 3.5.10) registers the module and exports
//! `benchIdentity`, the baseline the benchmark measures a plain napi-rs call with.

mod cells;
mod counter;
mod gauge;
mod histogram;
mod raw;

// MinMax, Timer, RateTracker, ThroughputWindow, AsyncRecorder (classes in lib/metrics.js).
mod async_recorder;
mod js;
mod minmax;
mod rate;
mod throughput;
mod timer;

// ShardedMap, Ledger, SnapshotCell, OnceMap, CancellationToken (classes in lib/state.js).
mod bytes;
mod cancellation;
mod ledger;
mod map;
mod once_map;
mod snapshot_cell;

// Registry (lib/registry.js) and the benchmark suite (lib/bench.js).
mod bench;
mod registry;

use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::c_void;
use std::ptr;

use napi::bindgen_prelude::{Env, JsValue, Object, Result};
use napi::sys;
use napi_derive::napi;

/// Returns its argument. Exists only for the benchmark: the cost of an ordinary napi-rs function
/// taking and returning one number, measured in the same run as `counter.inc()`.
#[napi]
pub fn bench_identity(n: f64) -> f64 {
    n
}

const EXPORTS: [&[raw::Export]; 15] = [
    counter::EXPORTS,
    gauge::EXPORTS,
    histogram::EXPORTS,
    minmax::EXPORTS,
    timer::EXPORTS,
    rate::EXPORTS,
    throughput::EXPORTS,
    async_recorder::EXPORTS,
    map::EXPORTS,
    ledger::EXPORTS,
    snapshot_cell::EXPORTS,
    once_map::EXPORTS,
    cancellation::EXPORTS,
    registry::EXPORTS,
    bench::EXPORTS,
];

/// Adds the checked N-API callbacks of every metric, and `claimTrustedCalls`, to the exports.
#[napi(module_exports)]
pub fn register(exports: Object, env: Env) -> Result<()> {
    unsafe {
        for functions in EXPORTS {
            raw::define(env.raw(), exports.raw(), functions, false).map_err(|_| define_failed())?;
        }
        let claim: [raw::Export; 1] = [("claimTrustedCalls\0", claim_trusted_calls, claim_trusted_calls)];
        raw::define(env.raw(), exports.raw(), &claim, false).map_err(|_| define_failed())
    }
}

fn define_failed() -> napi::Error {
    napi::Error::from_reason("atomicperf: could not define the native exports")
}

thread_local! {
    /// Environments (one per Node thread) whose trusted calls were handed out.
    static CLAIMED: RefCell<HashSet<usize>> = RefCell::new(HashSet::new());
}

unsafe extern "C" fn forget_env(env: *mut c_void) {
    CLAIMED.with(|c| c.borrow_mut().remove(&(env as usize)));
}

/// `claimTrustedCalls(): object | null`: the first call in an environment gets an object with
/// the trusted build of every function (see `raw.rs`); every later call gets `null`. `index.js`
/// claims them as it loads.
unsafe extern "C" fn claim_trusted_calls(env: raw::Env, _info: raw::Info) -> raw::Value {
    raw::run(env, || {
        let first = CLAIMED.with(|c| c.borrow_mut().insert(env as usize));
        if !first {
            return raw::null(env);
        }
        // A later environment at the same address (a new worker) may claim again.
        raw::check(sys::napi_add_env_cleanup_hook(env, Some(forget_env), env.cast()), "adding a cleanup hook")?;
        let mut calls = ptr::null_mut();
        raw::check(sys::napi_create_object(env, &mut calls), "creating an object")?;
        for functions in EXPORTS {
            raw::define(env, calls, functions, true)?;
        }
        Ok(calls)
    })
}
