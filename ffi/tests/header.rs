//! The committed include/atomicperf.h must be exactly what cbindgen generates from ffi/src today.
//! Regenerate with `AP_BLESS=1 cargo test -p atomicperf-ffi --test header`.

use std::path::Path;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header_path = crate_dir.join("../include/atomicperf.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut fresh = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut fresh);
    let fresh = String::from_utf8(fresh).unwrap();
    if std::env::var_os("AP_BLESS").is_some() {
        std::fs::write(&header_path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&header_path).unwrap_or_default();
    assert!(
        committed == fresh,
        "include/atomicperf.h is stale: run `AP_BLESS=1 cargo test -p atomicperf-ffi --test header` and commit it"
    );
}
