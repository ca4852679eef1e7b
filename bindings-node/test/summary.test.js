'use strict'
// Summary: quantiles over a sliding window (standalone and from a registry), the window's
// expiry, the options and their errors, hostile arguments, the export (and prom-client's shape of
// it), and the typings.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { Summary, Registry } = require('..')
const { range, type, throwsCode, OUT_OF_RANGE_U64, WRONG_TYPE_U64 } = require('./helpers.js')

const PKG = path.resolve(__dirname, '..')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
/** Relative error of a quantile with 2 significant figures (the default precision). */
const PRECISION = 0.0078

/** Asserts |got - want| <= rel * want. */
function near(got, want, rel, what) {
  assert.ok(Math.abs(got - want) <= rel * want, `${what}: ${got} is not within ${rel * 100}% of ${want}`)
}

// ---- Values ----------------------------------------------------------------------------------

test('quantiles of known data are within the precision; 0 and 1 are the exact min and max', () => {
  const s = new Summary()
  assert.equal(s.quantile(0.5), null) // empty window
  assert.deepEqual(s.quantiles(), [
    { quantile: 0.5, value: null }, { quantile: 0.9, value: null }, { quantile: 0.99, value: null },
  ])
  // 1..10000 in a shuffled order (a fixed permutation: 7919 is prime to 10000).
  let sum = 0
  for (let i = 0; i < 10000; i++) {
    const v = ((i * 7919) % 10000) + 1
    s.record(v)
    sum += v
  }
  assert.equal(s.count(), 10000)
  assert.equal(s.countBigInt(), 10000n)
  assert.equal(s.sum(), sum)
  assert.equal(s.sumBigInt(), BigInt(sum))
  assert.equal(s.windowCount(), 10000)
  assert.equal(s.quantile(0), 1)
  assert.equal(s.quantile(1), 10000)
  for (const q of [0.01, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999]) {
    near(s.quantile(q), q * 10000, PRECISION + 1e-3, `q=${q}`)
  }
  const qs = s.quantiles()
  assert.deepEqual(qs.map((e) => e.quantile), [0.5, 0.9, 0.99])
  for (const { quantile, value } of qs) assert.equal(value, s.quantile(quantile))
  // BigInts and integral numbers past 2^53 are values too (clamped to highest, 60 s in ns).
  s.record(5n)
  s.record(2 ** 60)
  assert.equal(s.count(), 10002)
  assert.equal(s.quantile(1), 60e9)
  assert.equal(s.sumBigInt(), BigInt(sum) + 5n + 60_000_000_000n)
})

test('the options lay out the summary: quantiles sorted, window, precision', () => {
  const s = new Summary({ quantiles: [0.99, 0.5, 0.1], maxAgeSeconds: 60, ageBuckets: 6, significantFigures: 3, highest: 1e6 })
  assert.deepEqual(s.objectives, [0.1, 0.5, 0.99])
  assert.equal(s.maxAgeSeconds, 60)
  assert.equal(s.ageBuckets, 6)
  assert.equal(s.significantFigures, 3)
  assert.equal(s.highest, 1_000_000n)
  s.objectives.push(7) // a copy
  assert.deepEqual(s.objectives, [0.1, 0.5, 0.99])
  assert.ok(s.memoryBytes() > 0)
  s.record(2e6) // clamped
  assert.equal(s.quantile(1), 1e6)
  const d = new Summary()
  assert.deepEqual(d.objectives, [0.5, 0.9, 0.99])
  assert.equal(d.maxAgeSeconds, 600)
  assert.equal(d.ageBuckets, 5)
  assert.equal(d.significantFigures, 2)
  assert.equal(d.highest, 60_000_000_000n)
  assert.deepEqual(new Summary({ quantiles: [] }).quantiles(), [])
  assert.equal(String(d), 'Summary(count=0)')
  d.record(3)
  assert.match(require('node:util').inspect(d), /^Summary \{ count: 1, sum: 3, window: 1, quantiles: \{ 0\.5: 3, 0\.9: 3, 0\.99: 3 \} \}$/)
})

test('values leave a short window (0.2 s in 2 steps); count and sum stay', async () => {
  const s = new Summary({ maxAgeSeconds: 0.2, ageBuckets: 2 })
  for (let v = 1; v <= 100; v++) s.record(v)
  assert.equal(s.windowCount(), 100)
  near(s.quantile(0.5), 50, PRECISION + 0.02, 'p50')
  // The window covers between 0.1 and 0.2 s: 0.35 s later everything has left it.
  await sleep(350)
  assert.equal(s.windowCount(), 0)
  assert.equal(s.quantile(0.5), null)
  assert.deepEqual(s.quantiles().map((e) => e.value), [null, null, null])
  assert.equal(s.count(), 100)
  assert.equal(s.sum(), 5050)
  // New values fill the window again, alone.
  for (let i = 0; i < 10; i++) s.record(1000)
  assert.equal(s.windowCount(), 10)
  assert.equal(s.quantile(0), 1000)
  assert.equal(s.count(), 110)
  assert.equal(s.sum(), 15050)
})

// ---- Errors ------------------------------------------------------------------------------------

test('bad options: RangeError AP_ERR_OUT_OF_RANGE for values the core refuses, TypeError for wrong types', () => {
  for (const opts of [
    { quantiles: [1.5] }, { quantiles: [-0.1] }, { quantiles: [NaN] }, { quantiles: [0.5, 0.9, 0.5] },
    { ageBuckets: 0 }, { ageBuckets: 256 }, { ageBuckets: 2 ** 40 }, { ageBuckets: -1 }, { ageBuckets: 1.5 }, { ageBuckets: NaN },
    { maxAgeSeconds: 0 }, { maxAgeSeconds: -1 }, { maxAgeSeconds: NaN }, { maxAgeSeconds: Infinity }, { maxAgeSeconds: 1e300 },
    { maxAgeSeconds: 0.001, ageBuckets: 2 }, // steps of 0.5 ms: under 1 ms
    { significantFigures: 0 }, { significantFigures: 6 }, { significantFigures: 300 }, { highest: 1 }, { highest: -5 },
  ]) {
    range(() => new Summary(opts))
  }
  for (const opts of [
    null, 5, 'x', { quantiles: 0.5 }, { quantiles: 'x' }, { quantiles: ['0.5'] }, { quantiles: [1n] },
    { maxAgeSeconds: '60' }, { maxAgeSeconds: 60n }, { ageBuckets: '5' }, { significantFigures: '2' }, { highest: {} },
  ]) {
    type(() => new Summary(opts))
  }
  // The core's message says what is wrong.
  assert.throws(() => new Summary({ ageBuckets: 0 }), /1 to 255 age buckets, got 0/)
  assert.throws(() => new Summary({ quantiles: [0.5, 0.5] }), /given twice/)
  // Edges the core accepts.
  new Summary({ quantiles: [0, 1], ageBuckets: 255, maxAgeSeconds: 0.255 })
  new Summary({ ageBuckets: 1, maxAgeSeconds: 0.001 })
  new Summary({ ageBuckets: 5n, highest: 2n ** 63n })
})

test('hostile arguments: TypeError / RangeError, nothing recorded, never a crash', () => {
  const s = new Summary()
  for (const v of OUT_OF_RANGE_U64) range(() => s.record(v))
  for (const v of WRONG_TYPE_U64) type(() => s.record(v))
  type(() => s.record())
  assert.equal(s.count(), 0)
  for (const q of [NaN, -0.1, 1.1, Infinity]) range(() => s.quantile(q))
  for (const q of ['0.5', null, undefined, 1n, {}]) type(() => s.quantile(q))
  // The native functions refuse anything but a Summary handle.
  const native = require('../binding.js')
  for (const h of [undefined, null, 1, {}, native.histogramNew(), native.counterNew()]) {
    throwsCode(() => native.summaryRecord(h, 1), TypeError, 'AP_ERR_INVALID_ARGUMENT')
    throwsCode(() => native.summaryQuantile(h, 0.5), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  }
  // Getters that throw, a Proxy, an array with holes: errors, not crashes.
  const evil = { get quantiles() { throw new Error('boom') } }
  assert.throws(() => new Summary(evil), /boom/)
  type(() => new Summary({ quantiles: [0.5, , 0.9] })) // eslint-disable-line no-sparse-arrays
  type(() => new Summary({ quantiles: new Proxy([0.5], { get: (t, k) => (k === 'length' ? 1 : { no: 'number' }) }) }))
})

// ---- Registry and export ------------------------------------------------------------------------

test('registry.summary: get-or-create, cached per labels, exported as a Prometheus summary', () => {
  const r = new Registry()
  const opts = { help: 'RPC latency.', labels: { method: 'get' }, quantiles: [0.5, 0.99], maxAgeSeconds: 60, ageBuckets: 6 }
  const rpc = r.summary('rpc_duration_seconds', opts)
  assert.ok(rpc instanceof Summary)
  assert.equal(r.summary('rpc_duration_seconds', { labels: { method: 'get' } }), rpc) // options ignored once created
  const put = r.summary('rpc_duration_seconds', { labels: { method: 'put' } })
  assert.notEqual(put, rpc)
  assert.deepEqual(put.objectives, [0.5, 0.99]) // the family's layout
  assert.equal(put.maxAgeSeconds, 60)
  for (let ms = 1; ms <= 100; ms++) rpc.record(ms * 1_000_000) // ns
  const text = r.metrics()
  assert.match(text, /^# HELP rpc_duration_seconds RPC latency\.\n# TYPE rpc_duration_seconds summary\n/m)
  assert.ok(text.includes('rpc_duration_seconds_count{method="get"} 100\n'), text)
  assert.ok(text.includes('rpc_duration_seconds_sum{method="get"} 5.05\n'), text)
  assert.ok(text.includes('rpc_duration_seconds_count{method="put"} 0\n'), text)
  const p50 = text.match(/^rpc_duration_seconds\{method="get",quantile="0\.5"\} (\S+)$/m)
  assert.ok(p50, text)
  near(Number(p50[1]), 0.05, PRECISION + 0.01, 'exported p50')
  assert.match(text, /^rpc_duration_seconds\{method="get",quantile="0\.99"\} \S+$/m)
  assert.match(text, /^rpc_duration_seconds\{method="put",quantile="0\.5"\} NaN$/m) // empty window
  assert.match(r.metrics({ format: 'openmetrics' }), /^# TYPE rpc_duration_seconds summary$/m)
  const json = JSON.parse(r.metrics({ format: 'json' }))
  assert.ok(JSON.stringify(json).includes('rpc_duration_seconds'))
  assert.ok(r.metrics({ format: 'protobuf' }).length > 0)
  // scale: 1 exports what is recorded.
  r.summary('queue_depth', { scale: 1, quantiles: [] }).record(7)
  assert.ok(r.metrics().includes('queue_depth_sum 7\n'))
  assert.doesNotMatch(r.metrics(), /queue_depth\{quantile/)
})

test('registry.summary: errors as the other look-ups, and for bad options', () => {
  const r = new Registry()
  const invalid = (fn) => throwsCode(fn, Error, 'AP_ERR_INVALID_ARGUMENT')
  r.counter('taken_total')
  invalid(() => r.summary('taken_total')) // another kind
  invalid(() => r.summary('bad name'))
  invalid(() => r.summary('s1', { labels: { quantile: 'x' } })) // reserved
  invalid(() => r.summary('s2', { scale: 0 }))
  invalid(() => r.summary('s3', { scale: -1 }))
  invalid(() => r.summary('s4', { scale: NaN }))
  range(() => r.summary('s5', { quantiles: [2] }))
  range(() => r.summary('s6', { ageBuckets: 0 }))
  range(() => r.summary('s7', { maxAgeSeconds: -1 }))
  type(() => r.summary('s8', { scale: '1' }))
  type(() => r.summary('s9', { quantiles: 0.5 }))
  type(() => r.summary('s10', { maxAgeSeconds: '1' }))
  type(() => r.summary('s11', { help: 5 }))
  type(() => r.summary('s12', null))
  type(() => r.summary(5))
  assert.equal(r.size, 1) // nothing was created
  r.summary('s13', { labels: { a: '1' } })
  invalid(() => r.summary('s13', { labels: { b: '1' } })) // other label names
})

test('registry.summary: a removed series is a new one at the next look-up', () => {
  const r = new Registry()
  const a = r.summary('jobs_seconds', { labels: { q: 'x' } })
  a.record(5)
  assert.equal(r.remove('jobs_seconds', { q: 'x' }), true)
  const b = r.summary('jobs_seconds', { labels: { q: 'x' } })
  assert.notEqual(b, a)
  assert.equal(b.count(), 0)
  a.record(1) // keeps working, never exported again
  assert.ok(r.metrics().includes('jobs_seconds_count{q="x"} 0\n'))
})

test('a summary is served beside prom-client\'s metrics in one /metrics route, in prom-client\'s shape', async () => {
  const client = require('prom-client')
  const theirs = new client.Registry()
  const legacy = new client.Counter({ name: 'legacy_requests_total', help: 'Requests.', registers: [theirs] })
  const ours = new Registry()
  const latency = ours.summary('http_latency_seconds', { help: 'Latency.', labels: { route: '/a' }, quantiles: [0.5, 0.9] })
  // The same data through prom-client's Summary: the same series, count and sum.
  const pcRegistry = new client.Registry()
  const pc = new client.Summary({ name: 'http_latency_seconds', help: 'Latency.', labelNames: ['route'], percentiles: [0.5, 0.9], registers: [pcRegistry] })
  for (let ms = 1; ms <= 200; ms++) {
    latency.record(ms * 1e6)
    pc.observe({ route: '/a' }, ms / 1000)
  }
  legacy.inc()
  const server = http.createServer(async (req, res) => {
    // A route that served prom-client's registry and now serves both.
    const body = (await theirs.metrics()) + ours.metrics()
    res.writeHead(200, { 'Content-Type': ours.contentType }).end(body)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const res = await fetch(`http://127.0.0.1:${server.address().port}/metrics`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    assert.match(text, /^legacy_requests_total 1$/m)
    // Sample name and labels (in name order: prom-client puts quantile first) -> value.
    const samples = (t) => new Map(t.split('\n').filter((l) => l.startsWith('http_latency_seconds')).map((l) => {
      const m = l.match(/^(\w+)(?:\{(.*)\})? (\S+)$/)
      const labels = m[2] === undefined ? '' : m[2].split(',').sort().join(',')
      return [`${m[1]}{${labels}}`, Number(m[3])]
    }))
    const got = samples(text)
    const want = samples(await pcRegistry.metrics())
    assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort())
    for (const [k, v] of want) near(got.get(k), v, 0.03, k) // prom-client's quantiles are a t-digest's
    assert.equal(got.get('http_latency_seconds_count{route="/a"}'), 200)
  } finally {
    server.close()
  }
})

// ---- Typings ---------------------------------------------------------------------------------

test('index.d.ts declares exactly the methods and properties of Summary, and Registry.summary', () => {
  const dts = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8')
  const body = dts.match(/export declare class Summary \{\n([\s\S]*?)\n\}\n/)
  assert.ok(body, 'index.d.ts declares no class Summary')
  const declared = new Set()
  for (const line of body[1].split('\n')) {
    const m = line.match(/^ {2}(?:readonly )?([A-Za-z_]+)[(:?]/)
    if (m && m[1] !== 'constructor') declared.add(m[1])
  }
  const actual = Object.getOwnPropertyNames(Summary.prototype).filter((k) => k !== 'constructor')
  assert.deepEqual([...declared].sort(), actual.sort())
  assert.match(dts, /^ {2}summary\(name: string, options\?: RegistrySummaryOptions\): Summary$/m)
})

test('the Summary typings type-check under tsc --strict', (t) => {
  const tsc = path.join(PKG, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!fs.existsSync(tsc)) {
    t.skip('typescript is not installed (npm ci installs it)')
    return
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-summary-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, 'node_modules'))
  fs.symlinkSync(PKG, path.join(dir, 'node_modules', 'atomicperf'), 'dir')
  fs.writeFileSync(path.join(dir, 'use.ts'), [
    `import { Summary, registry, type SummaryOptions, type RegistrySummaryOptions } from 'atomicperf'`,
    `const o: SummaryOptions = { quantiles: [0.5, 0.99], maxAgeSeconds: 60, ageBuckets: 6, significantFigures: 2, highest: 10n }`,
    `const s = new Summary(o)`,
    `s.record(5)`,
    `s.record(5n)`,
    `const q: number | null = s.quantile(0.5)`,
    `const all: Array<{ quantile: number, value: number | null }> = s.quantiles()`,
    `const ro: RegistrySummaryOptions = { help: 'h', labels: { a: 1 }, scale: 1, quantiles: [] }`,
    `const r: Summary = registry.summary('ts_summary_seconds', ro)`,
    `const n: number = s.count() + s.sum() + s.windowCount() + s.maxAgeSeconds + s.ageBuckets + r.objectives.length`,
    `const b: bigint = s.countBigInt() + s.sumBigInt() + s.highest`,
    `// @ts-expect-error: not a number`,
    `s.record('5')`,
    `// @ts-expect-error: prom-client's name of the option is not ours`,
    `new Summary({ percentiles: [0.5] })`,
    `export const out = [q, all, n, b]`,
    ``,
  ].join('\n'))
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, types: [], module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'] },
    files: ['use.ts'],
  }))
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' })
  assert.equal(r.status, 0, `tsc --strict failed:\n${r.stdout}${r.stderr}`)
})
