# Shared by scripts/dist*.sh and scripts/test-dist*.sh (sourced, not run).
#
# - AP_ROOT: the repository root; AP_DIST: where artifacts go (dist/ unless DIST_DIR is set).
# - AP_VERSION: the one version of every artifact, read from the workspace Cargo.toml
#   ([workspace.package] version). Nothing else in the tree states it.
# - AP_PLATFORMS: the platforms artifacts are built for. Adding a platform is one entry here,
#   plus its Rust target on the build machine (`rustup target add <triple>`); a platform whose
#   target is not installed is skipped with a message, never silently.
# - ap_scrubbed_env: runs a command the way a user's machine would: no cargo, rustc or rustup on
#   PATH, no CARGO_*/RUSTUP_* variables, from a directory outside the checkout.

AP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
AP_DIST="${DIST_DIR:-$AP_ROOT/dist}"
AP_VERSION="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$AP_ROOT/Cargo.toml")"
[ -n "$AP_VERSION" ] || { echo "dist: no [workspace.package] version in Cargo.toml" >&2; exit 1; }

# One entry per platform, fields separated by '|':
#   Rust target triple | npm platform suffix (napi-rs names) | Go GOOS_GOARCH | glibc floor
# Entries a CI runner with those Rust targets would add (they cannot be built on a machine that
# has only x86_64-unknown-linux-gnu; maturin/napi/zig take the triple as it is):
#   aarch64-unknown-linux-gnu|linux-arm64-gnu|linux_arm64|2.17
#   x86_64-unknown-linux-musl|linux-x64-musl||
#   aarch64-apple-darwin|darwin-arm64|darwin_arm64|
#   x86_64-pc-windows-msvc|win32-x64-msvc|windows_amd64|
AP_PLATFORMS=(
    "x86_64-unknown-linux-gnu|linux-x64-gnu|linux_amd64|2.17"
)

# ap_platform_field ENTRY N: the Nth field (1-based) of a platform entry.
ap_platform_field() { printf '%s' "$1" | cut -d'|' -f"$2"; }

# ap_target_installed TRIPLE: true when rustc can build for TRIPLE on this machine.
ap_target_installed() {
    rustup target list --installed 2>/dev/null | grep -qx "$1" \
        || [ "$1" = "$(rustc -vV | sed -n 's/^host: //p')" ]
}

# ap_scrubbed_path: the current PATH without any directory that holds cargo, rustc or rustup, and
# without any directory inside the checkout.
ap_scrubbed_path() {
    local out="" dir
    local IFS=:
    for dir in $PATH; do
        [ -n "$dir" ] || continue
        case "$dir" in "$AP_ROOT" | "$AP_ROOT"/*) continue ;; esac
        if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || [ -e "$dir/rustup" ]; then continue; fi
        out="${out:+$out:}$dir"
    done
    printf '%s' "$out"
}

# ap_scrubbed_env CMD...: CMD with the scrubbed PATH and no Rust environment, and a check that
# no Rust tool is reachable.
ap_scrubbed_env() {
    env -u CARGO_HOME -u RUSTUP_HOME -u CARGO_TARGET_DIR -u RUSTFLAGS -u LD_LIBRARY_PATH \
        -u PKG_CONFIG_PATH -u PYTHONPATH -u NODE_PATH -u VIRTUAL_ENV \
        CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent PATH="$(ap_scrubbed_path)" "$@"
}

# ap_assert_no_rust: fails when cargo or rustc can be found (run it inside ap_scrubbed_env).
ap_assert_no_rust() {
    if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then
        echo "test-dist: a Rust tool is still on PATH: $(command -v cargo rustc)" >&2
        return 1
    fi
}

# ap_free_port: a TCP port nothing listens on (for a registry on loopback).
ap_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# ap_wait_http URL [SECONDS]: waits until URL answers.
ap_wait_http() {
    local url=$1 limit=${2:-60} i
    for ((i = 0; i < limit * 5; i++)); do
        if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=2)" "$url" 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    echo "test-dist: $url did not answer within ${limit}s" >&2
    return 1
}

# ap_max_glibc FILE: the highest GLIBC_x.y version FILE's dynamic symbols need.
ap_max_glibc() {
    objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
}

# ap_check_glibc_floor FILE FLOOR: fails when FILE needs a glibc newer than FLOOR.
ap_check_glibc_floor() {
    local file=$1 floor=$2 max
    max="$(ap_max_glibc "$file")"
    if [ -n "$max" ] && [ "$(printf '%s\n%s\n' "$max" "$floor" | sort -V | tail -1)" != "$floor" ]; then
        echo "glibc floor: $file needs GLIBC_$max, above $floor" >&2
        return 1
    fi
    echo "glibc floor: $(basename "$file") needs at most GLIBC_${max:-none} (floor $floor)"
}

# ap_tools_venv: a virtualenv of the packaging tools (target/dist-tools/venv), created on first
# use; prints its path. maturin builds the wheel, ziglang links against an old glibc (maturin
# --zig, cargo-zigbuild), cargo-zigbuild (its prebuilt binary from PyPI: compiling it takes
# minutes) builds the C library and the Node addon against that glibc, auditwheel checks the
# wheel's platform tag, pypiserver serves a local package index, mypy checks the typed snippet.
ap_tools_venv() {
    local venv="$AP_ROOT/target/dist-tools/venv"
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" >&2
    fi
    if ! "$venv/bin/python" -c 'import maturin, ziglang, auditwheel, pypiserver, mypy' 2>/dev/null \
        || [ ! -x "$venv/bin/cargo-zigbuild" ]; then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "maturin>=1.16,<2" "ziglang==0.17.1" "cargo-zigbuild==0.24.1" "auditwheel>=6,<7" \
            "pypiserver>=2,<3" "mypy>=1.10,<2" >&2
    fi
    printf '%s' "$venv"
}

# ap_zigbuild_path: puts cargo-zigbuild and zig (both from the tools venv) first on PATH.
ap_zigbuild_path() {
    local venv
    venv="$(ap_tools_venv)"
    PATH="$venv/bin:$(ap_zig_dir):$PATH"
    export PATH
}

# ap_zig_dir: the folder holding the `zig` binary of the ziglang package (for cargo-zigbuild).
ap_zig_dir() {
    local venv
    venv="$(ap_tools_venv)"
    "$venv/bin/python" -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))'
}
