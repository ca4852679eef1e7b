#!/usr/bin/env bash
# The C library, into dist/c/ (run through scripts/dist.sh c): per platform an install tree
# atomicperf-<version>-<triple>/ and its tarball atomicperf-<version>-<triple>.tar.gz:
#
#   include/atomicperf.h
#   lib/libatomicperf.so.<version>        SONAME libatomicperf.so.0.<minor> while the version is
#   lib/libatomicperf.so.<soname suffix>  0.x (a 0.x minor release may break the ABI; cargo-c's
#   lib/libatomicperf.so                  rule), libatomicperf.so.<major> from 1.0 on
#   lib/libatomicperf.a
#   atomicperf.pc.in   Makefile   README.md   LICENSE-MIT   LICENSE-APACHE
#
# Users run `make install PREFIX=/usr/local` (DESTDIR=... to stage a package), which installs the
# libraries with their symlinks, the header and lib/pkgconfig/atomicperf.pc with that prefix.
#
# Why by hand and not cargo-c (`cargo cinstall`, the usual tool for a Rust library with a C ABI):
# installing cargo-c compiles it and its copy of cargo, about 7 minutes on a 2-core machine, on
# every fresh CI machine, to do what this script does in a few lines: the SONAME is set by
# ffi/build.rs (the same rule as cargo-c's), the rest is copying files and writing a .pc.
#
# glibc: a plain build on a current distribution links against that glibc's symbol versions
# (measured on glibc 2.36: GLIBC_2.34, since pthread_* and dl* moved into libc in 2.34), so the
# shared library of a platform with a glibc floor (field 4 of AP_PLATFORMS) is linked with zig
# against that floor (cargo-zigbuild, `--target <triple>.<floor>`), then checked with
# ap_check_glibc_floor. The static library is not linked here: it takes the user's libc.
#
# It builds in its own target directory (target/dist-c), so that other release builds cannot
# replace the library between the build and the copy.
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

out="$AP_DIST/c"
export CARGO_TARGET_DIR="$AP_ROOT/target/dist-c"
mkdir -p "$out"

# cargo-zigbuild and zig, from the tools venv (shared with the other dist scripts).
zigbuild_ready() {
    ap_zigbuild_path
}

for platform in "${AP_PLATFORMS[@]}"; do
    triple="$(ap_platform_field "$platform" 1)"
    floor="$(ap_platform_field "$platform" 4)"
    if ! ap_target_installed "$triple"; then
        echo "dist-c: skipping $triple: Rust target not installed (rustup target add $triple)"
        continue
    fi
    case "$triple" in
        *-linux-*) ;;
        *)
            # The install tree is ELF-specific (SONAME, symlinks, ldconfig); other systems need
            # their own layout (install_name on macOS, an import library on Windows).
            echo "dist-c: skipping $triple: only Linux install trees are made"
            continue
            ;;
    esac

    cd "$AP_ROOT"
    if [ -n "$floor" ]; then
        zigbuild_ready
        cargo zigbuild --release --locked -p atomicperf-ffi --lib --target "$triple.$floor"
    else
        cargo build --release --locked -p atomicperf-ffi --lib --target "$triple"
    fi
    built="$CARGO_TARGET_DIR/$triple/release"
    so="$built/libatomicperf.so"

    soname="$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
    [ -n "$soname" ] || { echo "dist-c: $so has no SONAME (ffi/build.rs sets it)" >&2; exit 1; }
    [ -z "$floor" ] || ap_check_glibc_floor "$so" "$floor"
    # Libs.private as ffi/build.rs wrote it for this build (the libraries libatomicperf.a needs).
    libs_private="$(sed -n 's/^Libs.private: *//p' "$built/atomicperf.pc")"
    real="libatomicperf.so.$AP_VERSION"
    case "$AP_VERSION" in 0.*) soname_note=": a 0.x minor release may break the ABI" ;; *) soname_note="" ;; esac

    name="atomicperf-$AP_VERSION-$triple"
    tree="$out/$name"
    rm -rf "$tree" "$tree.tar.gz"
    mkdir -p "$tree/include" "$tree/lib"
    cp "$AP_ROOT/include/atomicperf.h" "$tree/include/"
    cp "$so" "$tree/lib/$real"
    ln -s "$real" "$tree/lib/$soname"
    ln -s "$soname" "$tree/lib/libatomicperf.so"
    # The archive holds the Rust standard library's objects with their debug information (28 MB
    # of it, 19 MB without, at 0.1); users' builds do not need it.
    cp "$built/libatomicperf.a" "$tree/lib/"
    strip --strip-debug "$tree/lib/libatomicperf.a"
    cp "$AP_ROOT/LICENSE-MIT" "$AP_ROOT/LICENSE-APACHE" "$tree/"

    cat >"$tree/atomicperf.pc.in" <<EOF
prefix=@PREFIX@
libdir=@LIBDIR@
includedir=@INCLUDEDIR@

Name: atomicperf
Description: Lock-free concurrency and metrics primitives (C ABI)
Version: $AP_VERSION
URL: $(sed -n '/^\[workspace.package\]/,/^\[/s/^repository *= *"\(.*\)"/\1/p' "$AP_ROOT/Cargo.toml")
Cflags: -I\${includedir}
Libs: -L\${libdir} -latomicperf
Libs.private: $libs_private
EOF

    cat >"$tree/Makefile" <<EOF
# Installs atomicperf $AP_VERSION (C library, $triple):
#
#   make install PREFIX=/usr/local       # then, as root: ldconfig
#   make install PREFIX=/usr DESTDIR=/tmp/pkgroot LIBDIR=/usr/lib/x86_64-linux-gnu
#   make uninstall PREFIX=/usr/local
#
# Nothing is compiled: lib/ holds the built libraries. The pkg-config file gets PREFIX (and
# LIBDIR / INCLUDEDIR when set) and no rpath: a program finds libatomicperf.so.* through the
# dynamic linker's search path (ldconfig for /usr/local/lib), LD_LIBRARY_PATH, or an rpath of
# its own (-Wl,-rpath,\$(LIBDIR)).

PREFIX       ?= /usr/local
LIBDIR       ?= \$(PREFIX)/lib
INCLUDEDIR   ?= \$(PREFIX)/include
PKGCONFIGDIR ?= \$(LIBDIR)/pkgconfig
DESTDIR      ?=
INSTALL      ?= install

REAL   := $real
SONAME := $soname
SRC    := \$(patsubst %/,%,\$(dir \$(abspath \$(lastword \$(MAKEFILE_LIST)))))
# In the .pc, directories under the prefix are written as \${prefix}/... (pkg-config
# --define-prefix can then relocate them).
PC_LIBDIR     := \$(patsubst \$(PREFIX)/%,\$\${prefix}/%,\$(LIBDIR))
PC_INCLUDEDIR := \$(patsubst \$(PREFIX)/%,\$\${prefix}/%,\$(INCLUDEDIR))

.PHONY: all install uninstall
all:
	@echo "Nothing to build. Run: make install PREFIX=/usr/local (DESTDIR=... to stage)"

install:
	\$(INSTALL) -d "\$(DESTDIR)\$(LIBDIR)" "\$(DESTDIR)\$(INCLUDEDIR)" "\$(DESTDIR)\$(PKGCONFIGDIR)"
	\$(INSTALL) -m 755 "\$(SRC)/lib/\$(REAL)" "\$(DESTDIR)\$(LIBDIR)/\$(REAL)"
	ln -sf "\$(REAL)" "\$(DESTDIR)\$(LIBDIR)/\$(SONAME)"
	ln -sf "\$(SONAME)" "\$(DESTDIR)\$(LIBDIR)/libatomicperf.so"
	\$(INSTALL) -m 644 "\$(SRC)/lib/libatomicperf.a" "\$(DESTDIR)\$(LIBDIR)/libatomicperf.a"
	\$(INSTALL) -m 644 "\$(SRC)/include/atomicperf.h" "\$(DESTDIR)\$(INCLUDEDIR)/atomicperf.h"
	sed -e 's|@PREFIX@|\$(PREFIX)|g' -e 's|@LIBDIR@|\$(PC_LIBDIR)|g' \\
	    -e 's|@INCLUDEDIR@|\$(PC_INCLUDEDIR)|g' "\$(SRC)/atomicperf.pc.in" >"\$(DESTDIR)\$(PKGCONFIGDIR)/atomicperf.pc"
	chmod 644 "\$(DESTDIR)\$(PKGCONFIGDIR)/atomicperf.pc"
	@echo "atomicperf $AP_VERSION installed in \$(DESTDIR)\$(PREFIX). If \$(LIBDIR) is not searched by the"
	@echo "dynamic linker yet, run ldconfig as root (or set LD_LIBRARY_PATH=\$(LIBDIR))."

uninstall:
	rm -f "\$(DESTDIR)\$(LIBDIR)/\$(REAL)" "\$(DESTDIR)\$(LIBDIR)/\$(SONAME)" \\
	      "\$(DESTDIR)\$(LIBDIR)/libatomicperf.so" "\$(DESTDIR)\$(LIBDIR)/libatomicperf.a" \\
	      "\$(DESTDIR)\$(INCLUDEDIR)/atomicperf.h" "\$(DESTDIR)\$(PKGCONFIGDIR)/atomicperf.pc"
EOF

    cat >"$tree/README.md" <<EOF
# atomicperf $AP_VERSION: C library for $triple

    sudo make install PREFIX=/usr/local && sudo ldconfig

Then build with pkg-config:

    cc app.c \$(pkg-config --cflags --libs atomicperf) -o app                  # shared
    cc -static app.c \$(pkg-config --static --cflags --libs atomicperf) -o app  # fully static

Another prefix: \`make install PREFIX=\$HOME/.local\`, then
\`PKG_CONFIG_PATH=\$HOME/.local/lib/pkgconfig\` for the build and \`LD_LIBRARY_PATH=\$HOME/.local/lib\`
(or \`-Wl,-rpath,\$HOME/.local/lib\`) for the program. Packagers: \`DESTDIR\`, \`LIBDIR\`,
\`INCLUDEDIR\`; \`make uninstall\` with the same variables removes the files.

The static link makes glibc's linker warn that \`getaddrinfo\` and \`getpwuid_r\` would need the
shared glibc at run time: the Rust standard library references them, atomicperf never calls them.

Contents:

- include/atomicperf.h: the manual (every function documents its errors)
- lib/$real, with the symlinks $soname (the SONAME$soname_note)
  and libatomicperf.so; it needs glibc ${floor:-of the build machine}${floor:+ or newer}
- lib/libatomicperf.a
- atomicperf.pc.in: the pkg-config file, completed by \`make install\`

Handles are opaque and reference counted (\`ap_<type>_new\`, \`ap_<type>_clone\`,
\`ap_<type>_free\`) and safe to share between threads; functions that can fail return an
\`ap_status\` and \`ap_last_error()\` explains it.

Licensed under either of MIT (LICENSE-MIT) or Apache-2.0 (LICENSE-APACHE) at your option.
EOF

    # A reproducible tarball: sorted, no owner, files dated by the last commit, no gzip timestamp.
    mtime="$(git -C "$AP_ROOT" log -1 --format=%ct 2>/dev/null || date +%s)"
    tar -C "$out" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -cf - "$name" \
        | gzip -9n >"$tree.tar.gz"
    echo "dist-c: $tree.tar.gz ($(du -h "$tree.tar.gz" | cut -f1)):"
    (cd "$tree" && ls -l lib && readelf -d "lib/$real" | grep -E 'SONAME|NEEDED')
done
