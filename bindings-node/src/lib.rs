//! Node.js binding of atomicperf: `Counter`, `Gauge` and `Histogram` for JavaScript.
//!
//! The native module exports plain functions that take a metric handle (a tagged JS External)
//! as their first argument; `index.js` wraps them in the public classes. Logic lives in the core
//! crate: this crate translates JS numbers, BigInts and errors, and nothing else.
//!
//! Every function that takes a handle is a hand-written N-API callback (see `raw.rs` for why and
//! for the safety model). napi-derive (pinned to 3.5.10) registers the module and exports
//! `benchIdentity`, the baseline the benchmark measures a plain napi-rs call with.

mod counter;
mod gauge;
mod histogram;
mod raw;

use napi::bindgen_prelude::{Env, JsValue, Object, Result};
use napi_derive::napi;

/// Returns its argument. Exists only for the benchmark: the cost of an ordinary napi-rs function
/// taking and returning one number, measured in the same run as `counter.inc()`.
#[napi]
pub fn bench_identity(n: f64) -> f64 {
    n
}

/// Adds the raw N-API callbacks of every metric to the module's exports.
#[napi(module_exports)]
pub fn register(exports: Object, env: Env) -> Result<()> {
    let define = |functions| unsafe {
        raw::define(env.raw(), exports.raw(), functions)
            .map_err(|_| napi::Error::from_reason("atomicperf: could not define the native exports"))
    };
    define(counter::EXPORTS)?;
    define(gauge::EXPORTS)?;
    define(histogram::EXPORTS)
}
