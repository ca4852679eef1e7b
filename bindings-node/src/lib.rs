//! Node.js binding of atomicperf: the native half of every class of the npm package.
//!
//! The native module exports plain functions that take a handle (a tagged JS External) as their
//! first argument; `index.js` and `lib/` wrap them in the public classes. Logic lives in the core
//! crate: this crate translates JS values and errors, and nothing else.
//!
//! Modules by concern: `callback` (the N-API callbacks, their scope and arguments, the export
//! table), `handle` (handles and their type tags), `convert` (numbers, BigInts, strings, bytes,
//! result values), `error` (failures and their status codes), `cells` (external ArrayBuffers over
//! a metric's cells), `waits` (Promises no thread blocks on); then one module per primitive,
//! named as the core's module for it, and `bench` (the benchmark suite).
//!
//! Every function that takes a handle is a hand-written N-API callback (see `callback.rs` for why
//! and for the safety model). napi-derive (pinned to 3.5.10) registers the module and exports
//! `benchIdentity`, the baseline the benchmark measures a plain napi-rs call with.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod callback;
mod cells;
mod convert;
mod error;
mod handle;
mod waits;

mod async_recorder;
mod cancellation_token;
mod counter;
mod exemplar;
mod default_metrics;
mod gauge;
mod histogram;
mod info;
mod ledger;
mod minmax;
mod native_histogram;
mod once_map;
mod push;
mod rate_tracker;
mod registry;
mod shared_registry;
mod sharded_map;
mod snapshot_cell;
mod summary;
mod throughput_window;
mod timer;

mod bench;

use napi::bindgen_prelude::{Env, JsValue, Object, Result};
use napi_derive::napi;

/// Returns its argument. Exists only for the benchmark: the cost of an ordinary napi-rs function
/// taking and returning one number, measured in the same run as `counter.inc()`.
#[napi]
pub fn bench_identity(n: f64) -> f64 {
    n
}

const EXPORTS: [&[callback::Export]; 24] = [
    counter::EXPORTS,
    gauge::EXPORTS,
    histogram::EXPORTS,
    minmax::EXPORTS,
    timer::EXPORTS,
    native_histogram::EXPORTS,
    rate_tracker::EXPORTS,
    throughput_window::EXPORTS,
    async_recorder::EXPORTS,
    sharded_map::EXPORTS,
    ledger::EXPORTS,
    snapshot_cell::EXPORTS,
    once_map::EXPORTS,
    cancellation_token::EXPORTS,
    registry::EXPORTS,
    summary::EXPORTS,
    info::EXPORTS,
    default_metrics::EXPORTS,
    shared_registry::EXPORTS,
    push::EXPORTS,
    bench::EXPORTS,
    handle::EXPORTS,
    error::EXPORTS,
    waits::EXPORTS,
];

/// Adds the N-API callbacks of every primitive to the exports.
#[napi(module_exports)]
pub fn register(exports: Object, env: Env) -> Result<()> {
    // SAFETY: napi-rs calls this while N-API initialises the module, on the JS thread of `env`
    // and inside a handle scope that lasts until it returns; neither value leaves this call.
    let (env, exports) = unsafe {
        (
            callback::Env::from_raw(env.raw()),
            callback::Value::from_raw(exports.raw()),
        )
    };
    for functions in EXPORTS {
        callback::define(env, exports, functions).map_err(|_| define_failed())?;
    }
    Ok(())
}

fn define_failed() -> napi::Error {
    napi::Error::from_reason("atomicperf: could not define the native exports")
}
