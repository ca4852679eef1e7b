//! Coverage-guided fuzzing of shared-registry segment files: random and mutated files opened,
//! read, updated and exported through the C ABI (see fuzz/src/segment.rs).
#![no_main]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = atomicperf_fuzz::segment::run(data);
});
