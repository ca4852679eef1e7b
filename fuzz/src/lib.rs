//! The fuzzing harnesses, as a library so that the fuzz targets and the bounded proptest runs in
//! fuzz/tests share them: the C ABI's calls against a shadow model (harness.rs), and shared-registry
//! segment files (segment.rs).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

// The ffi crate's library is called `atomicperf`, like the core crate; here it is `ffi`.
use atomicperf as ffi;

pub mod harness;
pub mod segment;
