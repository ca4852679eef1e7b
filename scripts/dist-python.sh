#!/usr/bin/env bash
# Python artifacts, into dist/python/ (run through scripts/dist.sh python):
# - one abi3 wheel per platform (CPython >= 3.10), linked against the platform's glibc floor with
#   zig (maturin --zig) and tagged accordingly (manylinux2014 = glibc 2.17 on x86_64 linux);
#   `auditwheel show` must agree with the tag, and no symbol may need a newer glibc;
# - the sdist, which builds on its own (scripts/test-dist-python.sh builds it).
# The version is the workspace's (maturin reads it from Cargo.toml).
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

venv="$(ap_tools_venv)"
out="$AP_DIST/python"
rm -rf "$out"
mkdir -p "$out"
cd "$AP_ROOT/bindings-python"

for platform in "${AP_PLATFORMS[@]}"; do
    triple="$(ap_platform_field "$platform" 1)"
    floor="$(ap_platform_field "$platform" 4)"
    if ! ap_target_installed "$triple"; then
        echo "dist-python: skipping $triple: Rust target not installed (rustup target add $triple)"
        continue
    fi
    compat=()
    case "$triple" in
        *-linux-gnu) compat=(--zig --compatibility "manylinux_${floor/./_}") ;;
        *-linux-musl) compat=(--zig --compatibility musllinux_1_2) ;;
    esac
    # Its own interpreter: the tools venv (an abi3 wheel does not depend on which one).
    PATH="$(ap_zig_dir):$venv/bin:$PATH" \
        maturin build --release --locked --target "$triple" "${compat[@]}" \
        --interpreter "$venv/bin/python" --out "$out"
done
PATH="$venv/bin:$PATH" maturin sdist --out "$out"

# Check every wheel: its platform tag as auditwheel reads the binary, the glibc floor, and that
# the typing files and licences are inside.
for wheel in "$out"/*.whl; do
    case "$wheel" in
        *manylinux*)
            floor="$(basename "$wheel" | sed -n 's/.*manylinux_\([0-9]*\)_\([0-9]*\)_.*/\1.\2/p')"
            "$venv/bin/auditwheel" show "$wheel" | tee "$out/.auditwheel.txt"
            grep -q "manylinux_${floor/./_}_" "$out/.auditwheel.txt" \
                || { echo "dist-python: auditwheel does not confirm manylinux_$floor for $wheel" >&2; exit 1; }
            rm -f "$out/.auditwheel.txt"
            tmp="$(mktemp -d)"
            "$venv/bin/python" -m zipfile -e "$wheel" "$tmp"
            for so in "$tmp"/atomicperf/*.so; do ap_check_glibc_floor "$so" "$floor"; done
            rm -rf "$tmp"
            ;;
    esac
    "$venv/bin/python" - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
need = ["atomicperf/py.typed", "atomicperf/_atomicperf.pyi", "atomicperf/__init__.py",
        "/licenses/LICENSE-MIT", "/licenses/LICENSE-APACHE"]
missing = [n for n in need if not any(x == n or (n.startswith("/") and x.endswith(n)) for x in names)]
if missing:
    sys.exit(f"dist-python: {sys.argv[1]} lacks {missing}")
PY
done
ls -l "$out"
