//! Writes `atomicperf.pc` beside the built library (target/<profile>/), so that C builds and cgo
//! (`#cgo pkg-config: atomicperf`) find the header and the library with
//! `PKG_CONFIG_PATH=target/<profile>`.
//!
//! On ELF platforms the shared library also gets its SONAME: `libatomicperf.so.<major>`, or
//! `libatomicperf.so.0.<minor>` while the version is 0.x (a 0.x minor release may break the ABI;
//! this is cargo-c's rule too). Programs linked against it record that name (NEEDED), so the
//! build writes a `libatomicperf.so.0.<minor>` symlink next to `libatomicperf.so` for programs
//! that run from the build tree (tests/c, the Go tests) through the .pc's rpath.
//! scripts/dist-c.sh reads the SONAME back from the built library, so the rule lives only here.

use std::path::{Path, PathBuf};

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    // include/ holds atomicperf.h: in the repository a symlink to the committed header at the
    // root, in the published crate the file itself.
    let include = manifest.join("include");
    // OUT_DIR is target/<profile>/build/<crate>-<hash>/out: the library lands three levels up.
    let out = PathBuf::from(env("OUT_DIR"));
    let libdir = out.ancestors().nth(3).unwrap();
    let version = env("CARGO_PKG_VERSION");

    if is_elf(&env("CARGO_CFG_TARGET_OS")) {
        let major = env("CARGO_PKG_VERSION_MAJOR");
        let soname = if major == "0" {
            format!("libatomicperf.so.0.{}", env("CARGO_PKG_VERSION_MINOR"))
        } else {
            format!("libatomicperf.so.{major}")
        };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        link_soname(libdir, &soname);
    }

    // Libs.private lists what libatomicperf.a needs beyond libc (rustc --print native-static-libs
    // without -lgcc_s: there is no static libgcc_s, and gcc's driver links libgcc and libgcc_eh,
    // which provide the unwinder, by itself, so naming it only breaks `gcc -static`).
    let pc = format!(
        "prefix={prefix}\nlibdir={prefix}\nincludedir={include}\n\n\
         Name: atomicperf\n\
         Description: Lock-free concurrency and metrics primitives (C ABI)\n\
         Version: {version}\n\
         Cflags: -I${{includedir}}\n\
         Libs: -L${{libdir}} -latomicperf -Wl,-rpath,${{libdir}}\n\
         Libs.private: -lutil -lrt -lpthread -lm -ldl -lc\n",
        prefix = libdir.display(),
        include = include.display(),
    );
    std::fs::write(libdir.join("atomicperf.pc"), pc).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"))
}

fn is_elf(target_os: &str) -> bool {
    matches!(
        target_os,
        "linux"
            | "android"
            | "freebsd"
            | "netbsd"
            | "openbsd"
            | "dragonfly"
            | "illumos"
            | "solaris"
    )
}

/// `<libdir>/<soname>` -> `libatomicperf.so` (dangling until the link step writes the library).
fn link_soname(libdir: &Path, soname: &str) {
    let link = libdir.join(soname);
    if std::fs::read_link(&link).is_ok_and(|target| target == Path::new("libatomicperf.so")) {
        return;
    }
    let _ = std::fs::remove_file(&link);
    #[cfg(unix)]
    std::os::unix::fs::symlink("libatomicperf.so", &link).unwrap();
}
