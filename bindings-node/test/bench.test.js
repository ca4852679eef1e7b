'use strict'
// bench.run (the core's suite, off the JS thread) and the atomicperf bin. No timing is asserted.
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFile } = require('node:child_process')
const path = require('node:path')
const { bench } = require('..')

const CELL_KEYS = [
  'workload', 'description', 'design', 'baseline', 'threads', 'ops', 'seconds', 'ops_per_sec', 'ns_per_op',
  'p50_ns', 'p99_ns', 'speedup',
].sort()

async function rejects(promise, Class, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e && e.constructor.name}: ${e && e.message}`)
    assert.equal(e.code, code, e.message)
    return true
  })
}

test('bench.run resolves the documented report (schema atomicperf-bench/1), every cell measured', async () => {
  const pending = bench.run({ threads: [1], durationMs: 5, filter: 'counter' })
  assert.ok(pending instanceof Promise)
  const r = await pending
  assert.equal(r.schema, 'atomicperf-bench/1')
  assert.deepEqual(Object.keys(r).sort(), ['cell_seconds', 'cells', 'cpus', 'published', 'schema', 'threads', 'total_seconds', 'version'])
  assert.deepEqual(r.threads, [1])
  assert.equal(r.cell_seconds, 0.005)
  assert.ok(r.cpus >= 1 && typeof r.version === 'string')
  assert.ok(r.cells.length >= 2)
  for (const c of r.cells) {
    assert.deepEqual(Object.keys(c).sort(), CELL_KEYS)
    assert.equal(c.workload, 'counter')
    assert.equal(c.threads, 1)
    assert.ok(c.ops > 0, `${c.design}: ops ${c.ops}`)
    assert.ok(c.ops_per_sec > 0 && c.ns_per_op > 0)
  }
  assert.equal(r.cells.filter((c) => c.baseline).length, 1)
  assert.ok(r.published.every((p) => ['source', 'what', 'figure', 'answered_by'].every((k) => typeof p[k] === 'string')))
  // The core's renderings ride along, outside the JSON.
  assert.match(r.toTable(), /^counter\s+/m)
  assert.match(r.toMarkdown(), /^\| workload \| design \|/m)
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(r))).sort(), Object.keys(r).sort())
})

test('bench.run keeps the JS thread free while the suite runs', async () => {
  let ticks = 0
  const timer = setInterval(() => ticks++, 1)
  await bench.run({ threads: [1], durationMs: 20, filter: ['gauge'] })
  clearInterval(timer)
  assert.ok(ticks > 0)
})

test('bad configurations reject with RangeError AP_ERR_OUT_OF_RANGE, wrong types with TypeError', async () => {
  const range = (opts) => rejects(bench.run(opts), RangeError, 'AP_ERR_OUT_OF_RANGE')
  await range({ threads: [], durationMs: 5 })
  await range({ threads: [0], durationMs: 5 })
  await range({ threads: [257], durationMs: 5 })
  await range({ threads: [1.5], durationMs: 5 })
  await range({ threads: [-1], durationMs: 5 })
  await range({ threads: [1], durationMs: 0 })
  await range({ threads: [1], durationMs: -1 })
  await range({ threads: [1], durationMs: NaN })
  await range({ threads: [1], durationMs: 5, filter: 'no such workload' })
  const type = (opts) => rejects(bench.run(opts), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  await type(null)
  await type({ threads: 1 })
  await type({ threads: ['1'] })
  await type({ durationMs: '5' })
  await type({ filter: 1 })
  await type({ filter: [1] })
})

test('bench.workloads lists what filter matches', () => {
  const names = bench.workloads()
  assert.ok(names.includes('counter') && names.includes('histogram'))
})

function bin(args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(__dirname, '..', 'bin', 'atomicperf.js'), ...args], (error, stdout, stderr) => {
      resolve({ status: error ? error.code : 0, stdout, stderr })
    })
  })
}

test('npx atomicperf bench prints the table; bad arguments exit 2', async () => {
  const ok = await bin(['bench', '--threads', '1', '--duration-ms', '5', '--filter', 'counter'])
  assert.equal(ok.status, 0, ok.stderr)
  assert.match(ok.stdout, /^workload\s+design\s+thr\s+Mops\/s\s+ns\/op/m)
  assert.match(ok.stdout, /^counter\s+Mutex<u64> \*/m)
  const json = await bin(['bench', '--threads=1', '--duration-ms=5', '--filter=gauge', '--json', '-'])
  assert.equal(json.status, 0, json.stderr)
  assert.equal(JSON.parse(json.stdout).schema, 'atomicperf-bench/1')
  for (const args of [['bench', '--threads', '0'], ['bench', '--threads', 'x'], ['bench', '--bogus'], ['nope']]) {
    const bad = await bin(args)
    assert.equal(bad.status, 2, `${args}: ${bad.stderr}`)
    assert.match(bad.stderr, /usage: atomicperf/)
  }
})

test('npx atomicperf overhead prints ns/op and ratios', async () => {
  const r = await bin(['overhead', '--iterations', '2000', '--rounds', '1', '--json'])
  assert.equal(r.status, 0, r.stderr)
  const out = JSON.parse(r.stdout)
  assert.ok(out.nsPerOp['atomicperf counter.inc() (direct Atomics)'] > 0)
  assert.ok(out.nsPerOp['plain JS counter (o.n++)'] >= 0)
  assert.ok(typeof out.ratios['shardedMap.get / Map.get'] === 'number')
})
