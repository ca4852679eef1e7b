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
    // The corpus holds the unedited template (read and updated). Whether an edited seed is
    // refused depends on where its edits land, which moves with the template's contents (process
    // ids, the file's length): the refusals are checked below instead.
    assert!(outcomes.contains(&Outcome::Accepted), "{outcomes:?}");
}

#[test]
fn files_that_are_not_segments_are_refused_cleanly() {
    // Raw inputs without the segment magic: the first few such inputs of a fixed byte stream.
    let mut refused = 0;
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..2000 {
        let data: Vec<u8> = (0..64)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let described = segment::decode(&data);
        if described.starts_with("Raw") && described.contains("magic: false") {
            assert_eq!(segment::run(&data), Outcome::Refused, "{described}");
            refused += 1;
            if refused == 5 {
                return;
            }
        }
    }
    panic!("only {refused} raw inputs without the magic in 2000");
}
