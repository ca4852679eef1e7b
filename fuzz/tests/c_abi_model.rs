//! The C ABI fuzzing harness (src/harness.rs: byte strings decoded into sequences of `ap_*` calls
//! over every handle type, checked against a shadow model) on stable Rust, without sanitizers or
//! coverage: a bounded proptest run of random inputs, shrunk on failure, and every input of the
//! committed seed corpus (corpus/c_abi). scripts/fuzz.sh runs it before the coverage-guided run.
//!
//! It lives here and not in ffi/tests because the ffi crate's library and the core crate it
//! depends on are both called `atomicperf`, which an integration test of ffi cannot tell apart.

use atomicperf_fuzz::harness;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_call_sequences_keep_the_shadow_model(data in proptest::collection::vec(any::<u8>(), 0..1536)) {
        harness::run(&data);
    }
}

#[test]
fn seed_corpus_keeps_the_shadow_model() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/c_abi");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("corpus/c_abi") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        if let Err(e) = std::panic::catch_unwind(|| harness::run(&data)) {
            eprintln!("{}: operations:\n{}", path.display(), harness::decode(&data).join("\n"));
            std::panic::resume_unwind(e);
        }
        n += 1;
    }
    assert!(n > 0, "empty seed corpus");
}
