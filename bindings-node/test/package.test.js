'use strict'
// The package as others load it: every export by name from CommonJS and from an ES module, the
// `exports` map, the typings under `tsc --strict` with no Node types, and the error thrown when
// the addon is missing.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const PKG = path.resolve(__dirname, '..')
const manifest = require('../package.json')

function node(args, cwd, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } })
  return r
}

/** A temporary project whose node_modules/atomicperf links to this package. */
function project(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-pkg-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'atomicperf'), 'dir')
  return dir
}

test('the ES module exports by name exactly what the CommonJS module exports', async () => {
  const cjs = require('..')
  const esm = await import('../index.mjs')
  const named = Object.keys(esm).filter((k) => k !== 'default').sort()
  assert.deepEqual(named, Object.keys(cjs).sort())
  for (const k of named) assert.equal(esm[k], cjs[k], `${k} is the same value in both`)
  assert.equal(esm.default, cjs)
})

test('import { ... } from "atomicperf" and require("atomicperf") resolve through the exports map', (t) => {
  const dir = project(t)
  const names = Object.keys(require('..'))
  fs.writeFileSync(
    path.join(dir, 'all.mjs'),
    `import { ${names.join(', ')} } from 'atomicperf'\n` +
      `import { createRequire } from 'node:module'\n` +
      `const cjs = createRequire(import.meta.url)('atomicperf')\n` +
      `const esm = { ${names.join(', ')} }\n` +
      `for (const k of Object.keys(cjs)) if (esm[k] !== cjs[k]) throw new Error('differs: ' + k)\n` +
      `registry.counter('esm_total').inc()\n` +
      `console.log(cjs.registry.counter('esm_total').get())\n`,
  )
  const r = node(['all.mjs'], dir)
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.stdout.trim(), '1')
})

test('the exports map exposes only the entry points and package.json', (t) => {
  const dir = project(t)
  const script = `
    const out = {}
    for (const s of ['atomicperf', 'atomicperf/package.json', 'atomicperf/binding.js', 'atomicperf/lib/load.js', 'atomicperf/index.js']) {
      try { require.resolve(s); out[s] = 'ok' } catch (e) { out[s] = e.code }
    }
    console.log(JSON.stringify(out))`
  const r = node(['-e', script], dir)
  assert.equal(r.status, 0, r.stderr)
  assert.deepEqual(JSON.parse(r.stdout), {
    'atomicperf': 'ok',
    'atomicperf/package.json': 'ok',
    'atomicperf/binding.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    'atomicperf/lib/load.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
    'atomicperf/index.js': 'ERR_PACKAGE_PATH_NOT_EXPORTED',
  })
})

test('index.d.ts type-checks under tsc --strict without @types/node', (t) => {
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!fs.existsSync(tsc)) {
    t.skip('typescript is not installed (npm ci installs it)')
    return
  }
  const dir = project(t)
  fs.writeFileSync(
    path.join(dir, 'use.ts'),
    `import { Counter, Gauge, Histogram, ShardedMap, SnapshotCell, SharedRegistry, registry, type Bytes, type GaugeMode } from 'atomicperf'\n` +
      `const c: Counter = new Counter({ stripes: 4 })\n` +
      `c.add(2n)\n` +
      `const h = new Histogram()\n` +
      `h.record(5)\n` +
      `const m = new ShardedMap()\n` +
      `const key: Bytes = new Uint8Array([1, 2])\n` +
      `m.insert(key, 'v')\n` +
      `const got: Uint8Array | undefined = m.get(key)\n` +
      `const bytes: Uint8Array = new SnapshotCell('x').load()\n` +
      `registry.counter('ts_total', { labels: { a: 1 } }).inc()\n` +
      `const shared = new SharedRegistry('ts-' + String(Date.now()), { maxSeries: 16, openExisting: false })\n` +
      `const busy: Gauge = shared.gauge('busy', { mode: 'livesum' })\n` +
      `const mode: GaugeMode = 'mostrecent'\n` +
      `shared.gauge('last', { mode }).set(1)\n` +
      `busy.inc()\n` +
      `const text: string = shared.metrics({ format: 'openmetrics' })\n` +
      `shared.unlink()\n` +
      `shared.close()\n` +
      `// @ts-expect-error: not a gauge mode\n` +
      `shared.gauge('bad', { mode: 'average' })\n` +
      `SharedRegistry.remove('ts-none', { dir: '/tmp' })\n` +
      `export const out: Array<number | undefined> = [c.get(), h.count(), got?.length, bytes.length, text.length]\n`,
  )
  fs.writeFileSync(
    path.join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, types: [], module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'] },
      files: ['use.ts'],
    }),
  )
  const r = node([tsc, '-p', dir], dir)
  assert.equal(r.status, 0, `tsc --strict failed:\n${r.stdout}${r.stderr}`)
})

// A copy of the package without any addon: what a user gets after `npm install --no-optional`.
function packageWithoutAddon(t, optionalDependencies) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-noaddon-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const copy = path.join(dir, 'node_modules', 'atomicperf')
  fs.mkdirSync(copy, { recursive: true })
  for (const f of ['index.js', 'index.mjs', 'binding.js', 'lib']) {
    fs.cpSync(path.join(PKG, f), path.join(copy, f), { recursive: true })
  }
  fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...manifest, optionalDependencies }))
  return dir
}

const loadScript = `
  try { require('atomicperf'); console.log('loaded') }
  catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, cause: !!e.cause })) }`

test('a missing platform package: the error names it, the platform and what to do', (t) => {
  const dir = packageWithoutAddon(t, { 'atomicperf-linux-x64-gnu': manifest.version, 'atomicperf-darwin-arm64': manifest.version })
  const r = node(['-e', loadScript], dir, { NAPI_RS_NATIVE_LIBRARY_PATH: '' })
  assert.equal(r.status, 0, r.stderr)
  const e = JSON.parse(r.stdout)
  assert.equal(e.code, 'MODULE_NOT_FOUND') // Node's own code for a module that cannot be found
  assert.ok(e.cause, 'the loader error is kept as cause')
  const { platformName } = require('../lib/load.js')
  const wanted = `atomicperf-${platformName()}`
  if (wanted === 'atomicperf-linux-x64-gnu') {
    assert.match(e.message, /the package atomicperf-linux-x64-gnu \(the native addon for linux x64 \(glibc\)\) is not installed/)
    assert.match(e.message, /npm install atomicperf` without --no-optional/)
    assert.match(e.message, /build the addon from source/)
  } else {
    assert.match(e.message, new RegExp(wanted))
  }
})

test('a platform without a prebuilt package: the error says so and how to build from source', (t) => {
  const dir = packageWithoutAddon(t, { 'atomicperf-sunos-sparc': manifest.version })
  const r = node(['-e', loadScript], dir, { NAPI_RS_NATIVE_LIBRARY_PATH: '' })
  assert.equal(r.status, 0, r.stderr)
  const e = JSON.parse(r.stdout)
  assert.equal(e.code, 'MODULE_NOT_FOUND') // Node's own code for a module that cannot be found
  const { platformName } = require('../lib/load.js')
  assert.match(e.message, new RegExp(`has no prebuilt addon for ${process.platform} ${process.arch}`))
  assert.match(e.message, new RegExp(`the package atomicperf-${platformName()} does not exist`))
  assert.match(e.message, /prebuilt: atomicperf-sunos-sparc/)
  assert.match(e.message, /build the addon from source/)
})

test('npm pack of the package as it is in the repository fails (no licences, no platform packages)', () => {
  const r = spawnSync(process.execPath, [path.join(PKG, 'scripts', 'check-pack.js')], { cwd: PKG, encoding: 'utf8' })
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /refusing to pack atomicperf@/)
  assert.match(r.stderr, /no optionalDependencies name a platform package/)
})

test('a platform package without its addon fails to pack', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-platform-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  for (const f of ['LICENSE-MIT', 'LICENSE-APACHE', 'README.md']) fs.writeFileSync(path.join(dir, f), 'x')
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'atomicperf-linux-x64-gnu', version: manifest.version, os: ['linux'], cpu: ['x64'], main: 'atomicperf.linux-x64-gnu.node',
  }))
  const r = spawnSync(process.execPath, [path.join(PKG, 'scripts', 'check-pack.js')], { cwd: dir, encoding: 'utf8' })
  assert.notEqual(r.status, 0)
  assert.match(r.stderr, /atomicperf\.linux-x64-gnu\.node is missing/)
})
