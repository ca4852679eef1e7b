# The Node addon build shared by scripts/dist-node.sh, scripts/test-node.sh and
# scripts/bench-node.sh (sourced after lib/dist-common.sh, not run): one release build serves the
# npm packages, the tests and the benchmarks.
#
# ap_node_deps: the package's devDependencies (the napi CLI, TypeScript, prom-client), from the
# lockfile.
# ap_node_build_addons: for every entry of AP_PLATFORMS whose Rust target is installed (the others
# are skipped with a message), `napi build --release` with cargo-zigbuild against the entry's glibc
# floor, checks the floor, and leaves atomicperf.<platform>.node in
# target/npm-stage/artifacts/. The host's addon is also copied to
# bindings-node/atomicperf.<platform>.node, which the in-repo tests, benchmarks and README
# examples load. binding.js / binding.d.ts are regenerated from the Rust source (a warning if they
# no longer match the committed ones). Sets AP_NODE_BUILT (the platform entries built).

AP_NODE_PKG="$AP_ROOT/bindings-node"
AP_NODE_ARTIFACTS="$AP_ROOT/target/npm-stage/artifacts"
# A target dir of its own: the zig-linked release build would otherwise share
# target/<triple>/release with other release builds for that triple (the Python wheel's), and each
# would rebuild what the other left there.
AP_NODE_TARGET_DIR="$AP_ROOT/target/node"

ap_node_deps() {
    (
        cd "$AP_NODE_PKG"
        # npm ci reinstalls everything (about 6 s): only when the lockfile changed since the last
        # install, or a tool is missing.
        if [ ! -x node_modules/.bin/napi ] || [ ! -x node_modules/.bin/tsc ] \
            || [ package-lock.json -nt node_modules/.package-lock.json ]; then
            npm ci --no-audit --no-fund
        fi
    )
}

# ap_node_zigbuild: cargo-zigbuild and zig (from the tools venv) on PATH.
ap_node_zigbuild() {
    ap_zigbuild_path
}

ap_node_host_suffix() {
    local host entry
    host="$(rustc -vV | sed -n 's/^host: //p')"
    for entry in "${AP_PLATFORMS[@]}"; do
        if [ "$(ap_platform_field "$entry" 1)" = "$host" ]; then
            ap_platform_field "$entry" 2
            return 0
        fi
    done
}

ap_node_build_addons() {
    ap_node_deps
    ap_node_zigbuild
    AP_NODE_BUILT=()
    mkdir -p "$AP_NODE_ARTIFACTS"
    local entry triple suffix floor target host_suffix addon js_args
    host_suffix="$(ap_node_host_suffix)"
    for entry in "${AP_PLATFORMS[@]}"; do
        triple="$(ap_platform_field "$entry" 1)"
        suffix="$(ap_platform_field "$entry" 2)"
        floor="$(ap_platform_field "$entry" 4)"
        [ -n "$suffix" ] || continue
        if ! ap_target_installed "$triple"; then
            echo "node: skipping $suffix: Rust target $triple is not installed (rustup target add $triple)"
            continue
        fi
        # zig links against the glibc of the floor when the triple carries it (…-gnu.2.17).
        target="$triple${floor:+.$floor}"
        addon="atomicperf.$suffix.node"
        js_args=(--no-js)
        [ "$suffix" = "$host_suffix" ] && js_args=(--js binding.js --dts binding.d.ts)
        echo "node: building $addon (napi build --release --target $target, cargo-zigbuild)"
        (
            cd "$AP_NODE_PKG"
            rm -f "$addon"
            npx napi build --platform --release --target "$target" -x --target-dir "$AP_NODE_TARGET_DIR" "${js_args[@]}"
        )
        [ -f "$AP_NODE_PKG/$addon" ] || { echo "node: napi build wrote no $addon" >&2; return 1; }
        if [ -n "$floor" ]; then
            ap_check_glibc_floor "$AP_NODE_PKG/$addon" "$floor"
        fi
        cp "$AP_NODE_PKG/$addon" "$AP_NODE_ARTIFACTS/$addon"
        # Only the host's addon stays in the package folder (the others cannot load here).
        [ "$suffix" = "$host_suffix" ] || rm -f "$AP_NODE_PKG/$addon"
        AP_NODE_BUILT+=("$entry")
    done
    ((${#AP_NODE_BUILT[@]})) || { echo "node: no platform of AP_PLATFORMS could be built" >&2; return 1; }
    if ! git -C "$AP_ROOT" diff --quiet -- bindings-node/binding.js bindings-node/binding.d.ts 2>/dev/null; then
        echo "node: warning: the regenerated binding.js / binding.d.ts differ from the committed ones (commit them)" >&2
    fi
}
