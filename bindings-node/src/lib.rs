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

// Promises of waits that hold no thread (CancellationToken, OnceMap, AsyncRecorder).
mod waits;

use napi::bindgen_prelude::{Env, JsValue, Object, Result};
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

/// Adds the N-API callbacks of every metric to the exports.
#[napi(module_exports)]
pub fn register(exports: Object, env: Env) -> Result<()> {
    unsafe {
        for functions in EXPORTS {
            raw::define(env.raw(), exports.raw(), functions).map_err(|_| define_failed())?;
        }
    }
    Ok(())
}

fn define_failed() -> napi::Error {
    napi::Error::from_reason("atomicperf: could not define the native exports")
}
