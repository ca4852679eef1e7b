//! C ABI of atomicperf, built as `libatomicperf.so` / `libatomicperf.a`, described by the generated
//! header `include/atomicperf.h`.
//!
//! This crate only translates: handles to `Arc`s of the core types, core errors to status codes
//! and a thread-local message, panics to `AP_ERR_INTERNAL`. All behaviour lives in `atomicperf`.
#![allow(non_camel_case_types)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// cbindgen writes the header in this order, so it reads as a manual: status codes first, then
// one section per type (rustfmt.toml keeps rustfmt from sorting them).
mod status;
mod handle;
mod counter;
mod gauge;
mod cells;
mod histogram;
mod native_histogram;
mod minmax;
mod timer;
mod summary;
mod rate_tracker;
mod throughput_window;
mod async_recorder;
mod sharded_map;
mod ledger;
mod snapshot_cell;
mod once_map;
mod cancellation_token;
mod exemplar;
mod info;
mod registry;
mod shared_registry;
mod push;
mod bench;

pub use async_recorder::*;
pub use bench::*;
pub use cancellation_token::*;
pub use cells::*;
pub use counter::*;
pub use exemplar::*;
pub use gauge::*;
pub use histogram::*;
pub use info::*;
pub use ledger::*;
pub use minmax::*;
pub use native_histogram::*;
pub use once_map::*;
pub use push::*;
pub use rate_tracker::*;
pub use registry::*;
pub use sharded_map::*;
pub use shared_registry::*;
pub use snapshot_cell::*;
pub use status::*;
pub use summary::*;
pub use throughput_window::*;
pub use timer::*;

use std::ffi::c_char;

/// Version of the C ABI. Adding functions keeps it; changing or removing any signature bumps it.
/// Compare with ap_abi_version() to check that the loaded library matches this header.
pub const AP_ABI_VERSION: u32 = 2;

/// The ABI version of the loaded library (AP_ABI_VERSION of the header it was built with).
#[no_mangle]
pub extern "C" fn ap_abi_version() -> u32 {
    AP_ABI_VERSION
}

/// The library version as a static NUL-terminated string, e.g. "0.1.0". Never NULL; do not free.
#[no_mangle]
pub extern "C" fn ap_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
