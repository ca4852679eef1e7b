#!/usr/bin/env bash
# Installs the npm packages of scripts/dist-node.sh the way users do and runs programs on them
# (scripts/test-dist.sh node):
# 1. a real npm registry on loopback (verdaccio 6.8.0, from target/dist-tools/verdaccio; it serves
#    only atomicperf* and proxies nothing) receives `npm publish` of the platform package(s) and
#    then of the main package;
# 2. in a fresh project outside the checkout, with no Rust toolchain reachable, `npm install
#    atomicperf` from that registry, then: a CommonJS program; an ES module importing every export
#    by name; `tsc --strict` on TypeScript using the API (CommonJS and ES module files), without
#    and then with @types/node; 4 worker_threads adding to one counter of the process-wide
#    registry (exactly 400,000); and a check that the addon was loaded from the platform package;
# 3. a second project installed with --omit=optional gets the error naming the missing package.
# TypeScript and @types/node come from the normal registry into target/dist-tools/node-tools.
set -euo pipefail
# shellcheck source=lib/dist-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/dist-common.sh"

src="$AP_DIST/npm"
main_tgz="$src/atomicperf-$AP_VERSION.tgz"
[ -f "$main_tgz" ] || { echo "test-dist-node: no $main_tgz; run scripts/dist.sh node" >&2; exit 1; }
host="$(rustc -vV | sed -n 's/^host: //p')"
platform_tgzs=() host_suffix=""
for entry in "${AP_PLATFORMS[@]}"; do
    suffix="$(ap_platform_field "$entry" 2)"
    [ -n "$suffix" ] || continue
    f="$src/atomicperf-$suffix-$AP_VERSION.tgz"
    if [ -f "$f" ]; then
        platform_tgzs+=("$f")
    else
        echo "test-dist-node: no package for $suffix (its Rust target was not installed at dist time)"
    fi
    [ "$(ap_platform_field "$entry" 1)" = "$host" ] && host_suffix=$suffix
done
[ -n "$host_suffix" ] && [ -f "$src/atomicperf-$host_suffix-$AP_VERSION.tgz" ] \
    || { echo "test-dist-node: no platform package for this machine ($host) in $src" >&2; exit 1; }

echo "tarballs:"
for f in "$main_tgz" "${platform_tgzs[@]}"; do
    printf '  %-40s %8s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done

# ---- tools: the registry, TypeScript and Node's types ------------------------------------------
verdaccio_dir="$AP_ROOT/target/dist-tools/verdaccio"
if [ ! -x "$verdaccio_dir/node_modules/.bin/verdaccio" ]; then
    mkdir -p "$verdaccio_dir"
    # 6.10.x needs Node 22; 6.8.0 runs on Node 20 once node-fetch is held at 2.7.0.
    cat >"$verdaccio_dir/package.json" <<'JSON'
{
  "private": true,
  "dependencies": { "verdaccio": "6.8.0" },
  "overrides": { "node-fetch": "2.7.0" }
}
JSON
    (cd "$verdaccio_dir" && npm install --no-audit --no-fund)
fi
tools="$AP_ROOT/target/dist-tools/node-tools"
if [ ! -f "$tools/node_modules/typescript/bin/tsc" ] || [ ! -d "$tools/node_modules/@types/node" ]; then
    mkdir -p "$tools"
    [ -f "$tools/package.json" ] || echo '{ "private": true }' >"$tools/package.json"
    (cd "$tools" && npm install --no-audit --no-fund typescript@6.0.3 @types/node@20)
fi

# ---- the registry --------------------------------------------------------------------------------
work="$(mktemp -d /tmp/atomicperf-dist-node.XXXXXX)"
server=""
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    [ -z "$server" ] || wait "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port="$(ap_free_port)"
registry="http://127.0.0.1:$port/"
cat >"$work/verdaccio.yaml" <<YAML
storage: $work/storage
auth:
  htpasswd:
    file: $work/htpasswd
    max_users: -1
uplinks: {}
packages:
  'atomicperf*':
    access: \$all
    publish: \$anonymous
    unpublish: \$anonymous
  '**':
    access: \$all
listen: 127.0.0.1:$port
log: { type: stdout, format: pretty, level: warn }
max_body_size: 100mb
YAML
"$verdaccio_dir/node_modules/.bin/verdaccio" --config "$work/verdaccio.yaml" >"$work/verdaccio.log" 2>&1 &
server=$!
ap_wait_http "${registry}-/ping" 60 || { cat "$work/verdaccio.log" >&2; exit 1; }

# npm refuses to publish without a credential; the registry takes the publish as anonymous.
cat >"$work/npmrc" <<NPMRC
registry=$registry
//127.0.0.1:$port/:_authToken=anonymous
audit=false
fund=false
update-notifier=false
NPMRC
export npm_config_userconfig="$work/npmrc" npm_config_cache="$work/npm-cache"
for f in "${platform_tgzs[@]}" "$main_tgz"; do
    npm publish "$f" --registry "$registry" --tag latest --loglevel warn
done
npm view "atomicperf@$AP_VERSION" optionalDependencies --registry "$registry"

# ---- a user's project ----------------------------------------------------------------------------
app="$work/app"
mkdir "$app"
cd "$app"
user() { ap_scrubbed_env npm_config_userconfig="$work/npmrc" npm_config_cache="$work/npm-cache" "$@"; }
user bash -c "$(declare -f ap_assert_no_rust); ap_assert_no_rust"
echo '{ "name": "app", "private": true, "version": "1.0.0" }' >package.json
user npm install --no-audit --no-fund "atomicperf@$AP_VERSION"
user npm ls --all

# The addon is the platform package's, not a build: no .node in atomicperf itself, and the
# process maps the one from atomicperf-<platform>.
if find node_modules/atomicperf -name '*.node' | grep -q .; then
    echo "test-dist-node: the main package holds an addon" >&2; exit 1
fi
cat >where.js <<'JS'
const ap = require('atomicperf')
new ap.Counter().inc()
const want = require.resolve(`atomicperf-${process.argv[2]}`)
const loaded = process.report.getReport().sharedObjects.filter((f) => f.endsWith('.node'))
console.log('addon loaded from', loaded.join(', '))
if (!loaded.includes(want)) throw new Error(`expected ${want} to be loaded, got ${loaded}`)
const v = require(`atomicperf-${process.argv[2]}/package.json`).version
if (v !== require('atomicperf/package.json').version) throw new Error(`platform package version ${v}`)
JS
user node where.js "$host_suffix"

cat >app.cjs <<'JS'
const { Counter, Gauge, Histogram, Timer, ShardedMap, registry, Registry } = require('atomicperf')
const c = new Counter()
c.inc()
c.add(41)
const g = new Gauge(1.5)
g.add(1)
const h = new Histogram()
for (let i = 1; i <= 1000; i++) h.record(i * 1000)
const t = new Timer()
t.record(5_000)
const m = new ShardedMap()
m.insert('k', 'v')
registry.counter('cjs_requests_total', { help: 'Requests.', labels: { route: '/' } }).add(3)
const text = registry.metrics()
if (c.get() !== 42 || g.get() !== 2.5 || h.count() !== 1000 || m.getString('k') !== 'v') {
  throw new Error('wrong values')
}
if (!text.includes('cjs_requests_total{route="/"} 3')) throw new Error('metrics:\n' + text)
if (typeof Registry !== 'function') throw new Error('Registry')
try {
  h.quantile(2)
  throw new Error('no error')
} catch (e) {
  if (e.code !== 'AP_ERR_OUT_OF_RANGE') throw e
}
console.log('CommonJS ok: counter', c.get(), 'p50', h.quantile(0.5))
JS
user node app.cjs

# Every export by name, from the list CommonJS sees: the ES module must name them all.
names="$(user node -p "Object.keys(require('atomicperf')).join(', ')")"
echo "exports: $names"
cat >app.mjs <<JS
import { $names } from 'atomicperf'
import atomicperf from 'atomicperf'
import { createRequire } from 'node:module'
const cjs = createRequire(import.meta.url)('atomicperf')
const esm = { $names }
const keys = Object.keys(cjs)
if (keys.length !== Object.keys(esm).length) throw new Error('export count differs')
for (const k of keys) if (esm[k] !== cjs[k] || atomicperf[k] !== cjs[k]) throw new Error('differs: ' + k)
const c = new Counter()
c.add(7)
registry.gauge('esm_gauge').set(2)
console.log('ES module ok:', keys.length, 'named exports, counter', c.get())
JS
user node app.mjs

# ---- TypeScript -------------------------------------------------------------------------------
cat >use.ts <<'TS'
import { Counter, Histogram, ShardedMap, SnapshotCell, CancellationToken, registry, type Bytes, type U64 } from 'atomicperf'
const c: Counter = new Counter({ stripes: 4 })
const n: U64 = 2n
c.add(n)
const h = new Histogram({ significantFigures: 3 })
h.record(1_000)
const m = new ShardedMap()
const key: Bytes = new Uint8Array([1, 2])
m.insert(key, 'v')
const got: Uint8Array | undefined = m.get(key)
const cell = new SnapshotCell('x')
const bytes: Uint8Array = cell.load()
const token = new CancellationToken()
const aborted: boolean = token.signal.aborted
registry.counter('ts_total', { labels: { a: 1 } }).inc()
const text: string = registry.metrics()
export const out = [c.get(), h.count(), got?.length, bytes.length, aborted, text.length]
TS
cat >use.mts <<'TS'
import { Counter, registry, Registry } from 'atomicperf'
import atomicperf from 'atomicperf'
const c = new Counter()
c.inc()
const r: Registry = registry
export const total: number = c.get() + r.counter('mts_total').get() + new atomicperf.Gauge(1).get()
TS
cat >use-node.ts <<'TS'
// With @types/node: the bytes read back are Buffers.
import { SnapshotCell, ShardedMap } from 'atomicperf'
const hex: string = new SnapshotCell(Buffer.from('ab')).load().toString('hex')
const b: Buffer | undefined = new ShardedMap().get('k')
export { hex, b }
TS
tsconfig() { # $1: types array, then files
    local types=$1
    shift
    printf '{ "compilerOptions": { "strict": true, "noEmit": true, "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022", "lib": ["es2022"], "types": %s }, "files": %s }\n' \
        "$types" "$(printf '%s\n' "$@" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0, "utf8").trim().split("\n")))')" >tsconfig.json
}
tsc() { user node "$tools/node_modules/typescript/bin/tsc" -p tsconfig.json; }
[ ! -e node_modules/@types ] || { echo "test-dist-node: @types present before the no-@types check" >&2; exit 1; }
tsconfig '[]' use.ts use.mts
tsc
echo "tsc --strict without @types/node (lib es2022 only): ok"
# Node's types, as `npm install -D @types/node` would place them.
mkdir -p node_modules/@types
cp -r "$tools/node_modules/@types/node" node_modules/@types/
cp -r "$tools/node_modules/undici-types" node_modules/
tsconfig '["node"]' use.ts use.mts use-node.ts
tsc
echo "tsc --strict with @types/node: ok"

# ---- 4 workers, one counter of the process-wide registry --------------------------------------
cat >workers.js <<'JS'
const { Worker, isMainThread } = require('node:worker_threads')
const { registry } = require('atomicperf')
const N = 100_000
if (isMainThread) {
  const workers = Array.from({ length: 4 }, () => new Worker(__filename))
  Promise.all(workers.map((w) => new Promise((resolve, reject) => {
    w.on('error', reject)
    w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exit ${code}`))))
  }))).then(() => {
    const total = registry.counter('shared_total').get()
    const line = registry.metrics().split('\n').find((l) => l.startsWith('shared_total '))
    console.log('4 workers x', N, '->', total, '|', line)
    if (total !== 4 * N || line !== `shared_total ${4 * N}`) process.exit(1)
  }, (e) => { console.error(e); process.exit(1) })
} else {
  const c = registry.counter('shared_total')
  for (let i = 0; i < N; i++) c.inc()
}
JS
user node workers.js

# ---- without the optional dependency: a clear error ---------------------------------------------
mkdir "$work/no-optional"
cd "$work/no-optional"
echo '{ "name": "no-optional", "private": true, "version": "1.0.0" }' >package.json
user npm install --no-audit --no-fund --omit=optional "atomicperf@$AP_VERSION" >/dev/null
msg="$(user node -e "try { require('atomicperf') } catch (e) { console.log(e.code + ': ' + e.message) }")"
echo "without optional dependencies: $msg"
case "$msg" in
    "MODULE_NOT_FOUND: "*"atomicperf-$host_suffix"*"--no-optional"*) ;;
    *) echo "test-dist-node: unexpected error without the platform package" >&2; exit 1 ;;
esac
echo "test-dist-node: ok"
