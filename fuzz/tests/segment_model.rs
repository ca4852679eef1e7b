//! The shared-segment fuzzing harness (src/segment.rs: random and mutated segment files opened,
//! updated and exported through the C ABI) on stable Rust, without sanitizers or coverage: a
//! bounded proptest run of random inputs, and every input of the committed seed corpus
//! (corpus/shared_segment). scripts/fuzz.sh runs it before the coverage-guided run.

use atomicperf_fuzz::segment::{self, Outcome};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_and_mutated_segment_files_are_refused_or_read_whole(
        data in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let _ = segment::run(&data);
    }
}

#[test]
fn seed_corpus_opens_or_is_refused_cleanly() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/shared_segment");
    let mut outcomes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("corpus/shared_segment") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        match std::panic::catch_unwind(|| segment::run(&data)) {
            Ok(outcome) => outcomes.push(outcome),
            Err(e) => {
                eprintln!("{}: input:\n{}", path.display(), segment::decode(&data));
                std::panic::resume_unwind(e);
            }
        }
    }
    // The corpus holds the unedited template (read and updated) and files that are refused.
    assert!(outcomes.contains(&Outcome::Accepted), "{outcomes:?}");
    assert!(outcomes.contains(&Outcome::Refused), "{outcomes:?}");
}
