//! The fuzzing harness of the C ABI, as a library so that the fuzz target and the proptest run in
//! ffi/tests share it (see harness.rs).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The ffi crate's library is called `atomicperf`, like the core crate; here it is `ffi`.
use atomicperf as ffi;

pub mod harness;
