//! Writes `atomicperf.pc` beside the built library (target/<profile>/), so that C builds and cgo
//! (`#cgo pkg-config: atomicperf`) find the header and the library with
//! `PKG_CONFIG_PATH=target/<profile>`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let include = manifest.parent().unwrap().join("include");
    // OUT_DIR is target/<profile>/build/<crate>-<hash>/out: the library lands three levels up.
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let libdir = out.ancestors().nth(3).unwrap();
    let version = std::env::var("CARGO_PKG_VERSION").unwrap();
    let pc = format!(
        "prefix={prefix}\nlibdir={prefix}\nincludedir={include}\n\n\
         Name: atomicperf\n\
         Description: Lock-free concurrency and metrics primitives (C ABI)\n\
         Version: {version}\n\
         Cflags: -I${{includedir}}\n\
         Libs: -L${{libdir}} -latomicperf -Wl,-rpath,${{libdir}}\n\
         Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc\n",
        prefix = libdir.display(),
        include = include.display(),
    );
    std::fs::write(libdir.join("atomicperf.pc"), pc).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
