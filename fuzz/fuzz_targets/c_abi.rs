//! Coverage-guided fuzzing of the C ABI: each input is a sequence of `ap_*` calls over every
//! handle type, checked against a shadow model (see fuzz/src/harness.rs).
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    atomicperf_fuzz::harness::run(data);
});
