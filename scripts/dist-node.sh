#!/usr/bin/env bash
# The npm packages, as napi-rs projects (@node-rs/*) publish them, into dist/npm/:
#
#   atomicperf-<ver>.tgz                  the main package: JS, types, the generated loader, and
#                                         optionalDependencies naming every platform package
#                                         below at exactly <ver>; no addon of its own
#   atomicperf-linux-x64-gnu-<ver>.tgz    the release addon for x86_64 Linux, glibc 2.17 or later
#                                         (one package per built entry of AP_PLATFORMS)
#
# npm installs the main package and, of its optional dependencies, the one whose os/cpu/libc
# match the machine. The packages are staged in target/npm-stage/ with the napi CLI
# (create-npm-dirs, artifacts, pre-publish) and packed with `npm pack`, whose prepack check
# (bindings-node/scripts/check-pack.js) refuses a package without its addon or generated files.
# The host's addon also lands in bindings-node/, where scripts/test-node.sh and bench-node.sh use it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/dist-common.sh
source "$here/lib/dist-common.sh"
# shellcheck source=lib/node-build.sh
source "$here/lib/node-build.sh"

pkg_version="$(node -p 'require(process.argv[1]).version' "$AP_NODE_PKG/package.json")"
if [ "$pkg_version" != "$AP_VERSION" ]; then
    echo "dist-node: bindings-node/package.json has version $pkg_version, the workspace Cargo.toml $AP_VERSION;" \
        "set \"version\": \"$AP_VERSION\" in bindings-node/package.json (and rebuild binding.js, which embeds it)" >&2
    exit 1
fi

ap_node_build_addons

stage="$AP_ROOT/target/npm-stage/atomicperf"
out="$AP_DIST/npm"
rm -rf "$stage"
mkdir -p "$stage" "$out"
rm -f "$out"/atomicperf-*.tgz

# The main package: what its "files" lists, plus package.json, README and the prepack check.
(
    cd "$AP_NODE_PKG"
    node -e '
        const fs = require("fs"), path = require("path")
        const [stage] = process.argv.slice(1)
        const pkg = require("./package.json")
        for (const f of [...pkg.files, "package.json", "README.md", "scripts/check-pack.js"]) {
            if (f.startsWith("LICENSE")) continue
            if (!fs.existsSync(f)) { console.error(`dist-node: ${f} (listed in package.json) is missing`); process.exit(1) }
            fs.cpSync(f, path.join(stage, f), { recursive: true })
        }' "$stage"
)
cp "$AP_ROOT/LICENSE-MIT" "$AP_ROOT/LICENSE-APACHE" "$stage/"

# napi.targets: the platforms built now (a skipped one gets no package and no optional dependency).
built_triples=()
for entry in "${AP_NODE_BUILT[@]}"; do built_triples+=("$(ap_platform_field "$entry" 1)"); done
node -e '
    const fs = require("fs")
    const [file, ...targets] = process.argv.slice(1)
    const pkg = JSON.parse(fs.readFileSync(file, "utf8"))
    pkg.napi.targets = targets
    delete pkg.devDependencies
    for (const s of ["build", "build:debug", "test", "bench"]) delete pkg.scripts[s]
    fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n")' "$stage/package.json" "${built_triples[@]}"

napi() { (cd "$stage" && "$AP_NODE_PKG/node_modules/.bin/napi" "$@"); }
# npm/<platform>/package.json (name, os, cpu, libc, main) and README.md, from the main package.
napi create-npm-dirs --npm-dir npm
# The addons into their packages.
napi artifacts --output-dir "$AP_NODE_ARTIFACTS" --npm-dir npm
# optionalDependencies of the main package: every platform package, at exactly its version.
napi pre-publish --npm-dir npm --tag-style npm --skip-optional-publish

for entry in "${AP_NODE_BUILT[@]}"; do
    suffix="$(ap_platform_field "$entry" 2)"
    floor="$(ap_platform_field "$entry" 4)"
    dir="$stage/npm/$suffix"
    cp "$AP_ROOT/LICENSE-MIT" "$AP_ROOT/LICENSE-APACHE" "$dir/"
    mkdir -p "$dir/scripts"
    cp "$AP_NODE_PKG/scripts/check-pack.js" "$dir/scripts/"
    node -e '
        const fs = require("fs")
        const [file, floor] = process.argv.slice(1)
        const pkg = JSON.parse(fs.readFileSync(file, "utf8"))
        pkg.files = [...new Set([...(pkg.files || []), pkg.main, "LICENSE-MIT", "LICENSE-APACHE"])]
        pkg.scripts = { ...(pkg.scripts || {}), prepack: "node scripts/check-pack.js" }
        pkg.description = `The native addon of atomicperf for ${pkg.os}-${pkg.cpu}` +
            (floor ? ` (glibc ${floor} or later)` : "") + "; installed by atomicperf as an optional dependency"
        fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n")' "$dir/package.json" "$floor"
    name="atomicperf-$suffix"
    cat > "$dir/README.md" <<README
\`\`\`sh
npm install atomicperf
\`\`\`

# $name

The native addon of [atomicperf](https://www.npmjs.com/package/atomicperf) $AP_VERSION for
\`$suffix\`${floor:+ (glibc $floor or later)}. Install \`atomicperf\`, not this package: npm
installs \`$name\` with it, as an optional dependency, on the machines it fits. If
\`require('atomicperf')\` says this package is missing, install again without \`--no-optional\` /
\`--omit=optional\`.
README
done

# Pack (prepack checks each package first); platform packages before the main package.
for entry in "${AP_NODE_BUILT[@]}"; do
    (cd "$stage/npm/$(ap_platform_field "$entry" 2)" && npm pack --silent --pack-destination "$out" >/dev/null)
done
(cd "$stage" && npm pack --silent --pack-destination "$out" >/dev/null)

echo "dist-node: optionalDependencies of atomicperf $AP_VERSION:"
node -p 'JSON.stringify(require(process.argv[1]).optionalDependencies)' "$stage/package.json"
for f in "$out"/atomicperf-*"$AP_VERSION".tgz; do
    printf '  %-50s %8s bytes\n' "${f#"$AP_ROOT"/}" "$(stat -c %s "$f")"
done
