'use strict'
// SharedRegistry: metrics shared by Node processes through one segment. Child processes open it
// by path (as the workers of a cluster, or separate programs, do) and record with the ordinary
// Counter/Gauge/Histogram/Timer classes on their direct Atomics path; the parent reads the totals.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn, spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { threadId } = require('node:worker_threads')
const { throwsCode, range, type } = require('./helpers.js')

const PKG = path.resolve(__dirname, '..')
const ap = require('..')
const { SharedRegistry, Registry, Counter, Gauge, Histogram, Timer } = ap
const internals = ap[Symbol.for('atomicperf.internals')]

/** The value of the sample named `series` (name and labels) in a text exposition, or null. */
function sample(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return null
}

/** A directory of this test's own, removed afterwards. */
function tmpdir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-shared-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `node -e source` with SEGMENT and `env` in its environment; stdout is piped. */
function child(source, env, args = []) {
  return spawn(process.execPath, [...args, '-e', source], {
    env: { ...process.env, ATOMICPERF_PKG: PKG, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
}

/** Resolves with the exit code and signal of a child. */
function exited(p) {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve({ code: p.exitCode, signal: p.signalCode })
  return new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal })))
}

/** Resolves once a child has written `n` lines to stdout (with them). */
function lines(p, n) {
  return new Promise((resolve, reject) => {
    let buf = ''
    const onData = (d) => {
      buf += d
      const got = buf.split('\n').filter((l) => l !== '')
      if (got.length >= n) {
        p.stdout.off('data', onData)
        resolve(got)
      }
    }
    p.stdout.on('data', onData)
    p.once('exit', (code, signal) => reject(new Error(`child exited (${code}, ${signal}) before writing ${n} lines: ${buf}`)))
  })
}

const COUNT_SOURCE = `
const { SharedRegistry } = require(process.env.ATOMICPERF_PKG)
const r = new SharedRegistry(process.env.SEGMENT, { openExisting: true })
const jobs = r.counter('jobs', { help: 'Jobs done.', labels: { queue: 'mail' } })
const latency = r.histogram('job_seconds', { help: 'Job time.' })
const rule = r.timer('rule_seconds', { help: 'Rule time.' })
const n = Number(process.env.N)
for (let i = 0; i < n; i++) jobs.inc()
for (let i = 0; i < 1000; i++) latency.record(2_000_000)
for (let i = 0; i < 100; i++) rule.record(1_000 + i, i % 10 !== 0)
jobs.add(0)
`

test('4 processes x 100,000 increments into one series: every process reads exactly 400,000', async (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  const r = new SharedRegistry(segment)
  const n = 100_000
  const procs = Array.from({ length: 4 }, () => child(COUNT_SOURCE, { SEGMENT: segment, N: String(n) }))
  for (const p of procs) assert.deepEqual(await exited(p), { code: 0, signal: null })
  const text = r.metrics()
  assert.equal(sample(text, 'jobs_total{queue="mail"}'), 4 * n)
  assert.equal(sample(text, 'job_seconds_count'), 4000)
  assert.equal(sample(text, 'job_seconds_sum'), 4000 * 0.002)
  assert.equal(sample(text, 'rule_seconds_count'), 400)
  assert.equal(sample(text, 'rule_seconds_errors_total'), 40)
  // The parent's own handles are the same series, whole.
  assert.equal(r.counter('jobs', { labels: { queue: 'mail' } }).get(), 4 * n)
  const h = r.histogram('job_seconds')
  assert.equal(h.count(), 4000)
  assert.equal(h.sum(), 4000 * 2_000_000)
  assert.equal(h.min(), h.max())
  const rule = r.timer('rule_seconds')
  assert.equal(rule.total(), 4 * (100 * 1000 + (99 * 100) / 2))
  assert.equal(rule.errors(), 40)
  const json = JSON.parse(r.metrics({ format: 'json' }))
  assert.deepEqual(json.families.map((f) => f.name), ['job_seconds', 'jobs', 'rule_seconds'])
  // A process that opens it later reads the same.
  const reader = child(`
    const { SharedRegistry } = require(process.env.ATOMICPERF_PKG)
    console.log(new SharedRegistry(process.env.SEGMENT, { openExisting: true }).metrics())`, { SEGMENT: segment })
  let out = ''
  reader.stdout.on('data', (d) => (out += d))
  assert.deepEqual(await exited(reader), { code: 0, signal: null })
  assert.equal(out.trimEnd(), text.trimEnd())
})

test('shared metrics take the direct path, on a stripe offset by the pid', (t) => {
  const r = new SharedRegistry(path.join(tmpdir(t), 'segment'), { counterStripes: 8 })
  const c = r.counter('direct')
  assert.ok(c instanceof Counter)
  if (!internals.directAvailable()) return
  const cells = internals.counter.cells(c)
  assert.notEqual(cells, null)
  assert.equal(c.stripes, 8)
  assert.equal(internals.counter.slot(c), ((threadId + process.pid) % 8) * (cells.length / 8))
  c.inc()
  c.add(41)
  c.add(2n)
  assert.equal(c.get(), 44)
  const g = r.gauge('direct_gauge', { mode: 'mostrecent' })
  assert.notEqual(internals.gauge.cell(g), null)
  g.set(2.5)
  g.add(1)
  assert.equal(internals.gauge.getNative(g), 3.5)
  assert.notEqual(internals.histogram.cells(r.histogram('direct_seconds')), null)
})

const BUSY_SOURCE = `
const { SharedRegistry } = require(process.env.ATOMICPERF_PKG)
const r = new SharedRegistry(process.env.SEGMENT, { openExisting: true })
const busy = r.gauge('busy', { help: 'Busy workers.', mode: 'livesum' })
const served = r.counter('served')
busy.inc() // this process's own value, from 0
for (let i = 0; i < 1000; i++) served.inc()
console.log('ready')
process.stdin.resume()
process.stdin.on('end', () => { busy.dec(); process.exit(0) })
`

test('a livesum gauge drops a process killed with SIGKILL; counts never go back', async (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  const r = new SharedRegistry(segment)
  const busy = r.gauge('busy', { help: 'Busy workers.', mode: 'livesum' })
  const procs = Array.from({ length: 3 }, () => child(BUSY_SOURCE, { SEGMENT: segment }))
  t.after(() => procs.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL')))
  await Promise.all(procs.map((p) => lines(p, 1)))
  assert.equal(sample(r.metrics(), 'busy'), 3)
  procs[0].kill('SIGKILL') // no exit hook runs
  assert.deepEqual(await exited(procs[0]), { code: null, signal: 'SIGKILL' })
  let text = r.metrics()
  assert.equal(sample(text, 'busy'), 2)
  assert.equal(sample(text, 'served_total'), 3000)
  for (const p of procs.slice(1)) p.stdin.end()
  for (const p of procs.slice(1)) assert.deepEqual(await exited(p), { code: 0, signal: null })
  text = r.metrics()
  assert.equal(sample(text, 'busy'), 0)
  assert.equal(sample(text, 'served_total'), 3000)
  assert.equal(busy.get(), 0) // the parent's own value
})

test("gauge modes combine the processes' values", async (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  const r = new SharedRegistry(segment)
  const modes = ['all', 'liveall', 'sum', 'livesum', 'max', 'livemax', 'min', 'livemin', 'mostrecent']
  for (const m of modes) r.gauge(`g_${m}`, { mode: m }).set(5)
  for (const value of [1, 7]) {
    const p = child(`
      const { SharedRegistry } = require(process.env.ATOMICPERF_PKG)
      const r = new SharedRegistry(process.env.SEGMENT, { openExisting: true })
      for (const m of ${JSON.stringify(modes)}) r.gauge('g_' + m, { mode: m }).set(${value})`, { SEGMENT: segment })
    assert.deepEqual(await exited(p), { code: 0, signal: null })
  }
  const text = r.metrics()
  assert.equal(sample(text, 'g_sum'), 13)
  assert.equal(sample(text, 'g_livesum'), 5)
  assert.deepEqual([sample(text, 'g_max'), sample(text, 'g_livemax')], [7, 5])
  assert.deepEqual([sample(text, 'g_min'), sample(text, 'g_livemin')], [1, 5])
  assert.equal(sample(text, 'g_mostrecent'), 7)
  assert.equal(text.split('\n').filter((l) => l.startsWith('g_all{pid=')).length, 3)
  assert.equal(text.split('\n').filter((l) => l.startsWith('g_liveall{pid=')).length, 1)
  assert.equal(sample(text, `g_liveall{pid="${process.pid}"}`), 5)
  // This process's own values.
  assert.equal(r.gauge('g_sum', { mode: 'sum' }).get(), 5)
  assert.equal(r.gauge('g_mostrecent', { mode: 'mostrecent' }).get(), 7)
})

test('the API mirrors Registry and exports the same text', (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  const shared = new SharedRegistry(segment)
  const local = new Registry()
  for (const reg of [shared, local]) {
    reg.counter('requests', { help: 'Requests.', labels: { code: 200 } }).add(3)
    reg.histogram('size', { help: 'Sizes.', buckets: [1, 10], scale: 1 }).record(4)
    reg.timer('rule', { help: 'Rule time.' }).record(250_000_000, false)
  }
  shared.gauge('temperature', { help: 'Degrees.', mode: 'mostrecent' }).set(21.5)
  local.gauge('temperature', { help: 'Degrees.' }).set(21.5)
  for (const format of ['prometheus', 'openmetrics', 'json']) {
    assert.equal(shared.metrics({ format }), local.metrics({ format }), format)
  }
  assert.equal(shared.metrics(), local.metrics())
  const c = shared.counter('requests', { labels: { code: '200' } })
  assert.ok(c instanceof Counter)
  assert.equal(c, shared.counter('requests', { labels: { code: 200 } }))
  assert.ok(shared.gauge('temperature', { mode: 'mostrecent' }) instanceof Gauge)
  assert.ok(shared.histogram('size') instanceof Histogram)
  assert.ok(shared.timer('rule') instanceof Timer)
  assert.equal(shared.size, 4)
  assert.equal(shared.seriesCount, 4)
  assert.equal(shared.maxSeries, 4096)
  assert.equal(shared.maxProcesses, 64)
  assert.equal(shared.refusedSeries, 0)
  assert.equal(shared.refusedProcesses, 0)
  assert.equal(shared.path, segment)
  assert.equal(shared.contentType, Registry.PROMETHEUS_CONTENT_TYPE)
  assert.equal(SharedRegistry.OPENMETRICS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE)
  assert.equal(SharedRegistry.JSON_CONTENT_TYPE, 'application/json')
  assert.equal(String(shared), `SharedRegistry("${segment}", families=4)`)
  const again = new SharedRegistry(segment, { openExisting: true })
  assert.ok(shared.isSameAs(shared) && !again.isSameAs(shared) && !shared.isSameAs(local))
  assert.equal(again.counter('requests', { labels: { code: '200' } }).get(), 3)
  again.close()
})

test('close: later calls throw AP_ERR_CLOSED, metrics keep working', (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  const r = new SharedRegistry(segment)
  const c = r.counter('kept')
  const g = r.gauge('kept_gauge', { mode: 'livesum' })
  const h = r.histogram('kept_seconds')
  r.close()
  r.close() // a no-op
  assert.equal(r.closed, true)
  const closed = (fn) => throwsCode(fn, Error, 'AP_ERR_CLOSED')
  closed(() => r.counter('kept')) // cached before the close: still refused
  closed(() => r.counter('other'))
  closed(() => r.gauge('kept_gauge', { mode: 'livesum' }))
  closed(() => r.histogram('x'))
  closed(() => r.timer('x'))
  closed(() => r.metrics())
  closed(() => r.seriesCount)
  closed(() => r.size)
  closed(() => r.unlink())
  assert.equal(r.path, segment)
  assert.match(String(r), /closed/)
  c.inc()
  g.set(4)
  h.record(10)
  const text = new SharedRegistry(segment).metrics()
  assert.equal(sample(text, 'kept_total'), 1)
  assert.equal(sample(text, 'kept_gauge'), 4)
  assert.equal(sample(text, 'kept_seconds_count'), 1)
})

test('the mapping lives as long as any metric or cell buffer over it', (t) => {
  const segment = path.join(tmpdir(t), 'segment')
  // In a child with --expose-gc: the registry and the metric are collected (a FinalizationRegistry
  // says so), a buffer over the counter's cells is all that is left, and writes through it still
  // land in the segment.
  const source = `
    const ap = require(process.env.ATOMICPERF_PKG)
    const internals = ap[Symbol.for('atomicperf.internals')]
    if (!internals.directAvailable()) { console.log('no direct path'); process.exit(0) }
    let collected = 0
    const watch = new FinalizationRegistry(() => collected++)
    let cells
    ;(() => {
      const r = new ap.SharedRegistry(process.env.SEGMENT)
      const c = r.counter('survivor')
      cells = internals.counter.cells(c)
      watch.register(r, 'registry')
      watch.register(c, 'counter')
      r.close()
    })()
    const settle = (n) => {
      globalThis.gc()
      if (collected < 2 && n > 0) return setTimeout(() => settle(n - 1), 10)
      for (let i = 0; i < 1000; i++) Atomics.add(cells, 0, 1n)
      console.log(collected)
    }
    settle(100)`
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', source], {
    env: { ...process.env, ATOMICPERF_PKG: PKG, SEGMENT: segment }, encoding: 'utf8',
  })
  assert.equal(r.status, 0, r.stderr)
  assert.equal(r.signal, null)
  if (r.stdout.trim() === 'no direct path') return
  assert.equal(r.stdout.trim(), '2', 'the registry and the counter were collected')
  assert.equal(new SharedRegistry(segment).counter('survivor').get(), 1000)
})

test('named segments live in dir with the given mode, and can be removed', (t) => {
  const dir = tmpdir(t)
  const name = `nodetest-${process.pid}`
  const r = new SharedRegistry(name, { dir, mode: 0o640 })
  assert.equal(r.path, path.join(dir, `atomicperf-${name}`))
  assert.equal(fs.statSync(r.path).mode & 0o777, 0o640)
  const c = r.counter('kept')
  SharedRegistry.remove(name, { dir })
  assert.equal(fs.existsSync(r.path), false)
  c.inc() // still mapped
  assert.equal(c.get(), 1)
  const fresh = new SharedRegistry(name, { dir })
  assert.equal(fresh.size, 0) // a new, empty one
  fresh.unlink()
  throwsCode(() => fresh.unlink(), Error, 'AP_ERR_INVALID_ARGUMENT')
  throwsCode(() => SharedRegistry.remove(name, { dir }), Error, 'AP_ERR_INVALID_ARGUMENT')
})

test("errors are the registry's, and bad files are refused, never a crash", (t) => {
  const dir = tmpdir(t)
  const segment = path.join(dir, 'segment')
  const invalid = (fn, pattern) => assert.throws(fn, (e) => {
    assert.ok(e instanceof Error && !(e instanceof TypeError), `${e.constructor.name}: ${e.message}`)
    assert.equal(e.code, 'AP_ERR_INVALID_ARGUMENT')
    assert.match(e.message, pattern)
    return true
  })
  const r = new SharedRegistry(segment, { maxSeries: 3 })
  r.counter('a')
  invalid(() => r.gauge('a'), /registered as a counter/)
  invalid(() => r.gauge('g', { mode: 'average' }), /unknown gauge mode/)
  invalid(() => r.gauge('g', { labels: { pid: '1' } }), /reserved/)
  invalid(() => r.counter('1bad'), /name/)
  r.gauge('g', { mode: 'livesum' })
  invalid(() => r.gauge('g', { mode: 'sum' }), /./) // another mode than the family's
  type(() => r.counter('b', { labels: { k: {} } }))
  type(() => r.counter(1))
  type(() => r.gauge('g', { mode: 4 }))
  type(() => r.histogram('h', { buckets: 'x' }))
  r.counter('b')
  invalid(() => r.counter('c'), /is full/)
  assert.equal(r.refusedSeries, 1)
  assert.equal(r.counter('a').get(), 0) // existing series keep working
  range(() => r.metrics({ format: 'xml' }))

  const junk = path.join(dir, 'junk')
  fs.writeFileSync(junk, Buffer.from('not a segment'.repeat(1000)))
  invalid(() => new SharedRegistry(junk), /not an atomicperf shared registry/)
  const empty = path.join(dir, 'empty')
  fs.writeFileSync(empty, '')
  invalid(() => new SharedRegistry(empty), /./)
  // A copy of the segment's first 64 KiB: truncated.
  const fd = fs.openSync(segment, 'r')
  const head = Buffer.alloc(65536)
  fs.readSync(fd, head, 0, head.length, 0)
  fs.closeSync(fd)
  const truncated = path.join(dir, 'truncated')
  fs.writeFileSync(truncated, head)
  invalid(() => new SharedRegistry(truncated), /truncated/)
  // The same header with a byte of its geometry changed: corrupted.
  const corrupt = path.join(dir, 'corrupt')
  fs.copyFileSync(segment, corrupt)
  const cfd = fs.openSync(corrupt, 'r+')
  fs.writeSync(cfd, Buffer.from([0x7f]), 0, 1, 28)
  fs.closeSync(cfd)
  invalid(() => new SharedRegistry(corrupt), /corrupted/)
  invalid(() => new SharedRegistry(path.join(dir, 'missing'), { openExisting: true }), /no shared registry/)
  invalid(() => new SharedRegistry(path.join(dir, 'no-such-dir', 'x')), /./)
  invalid(() => new SharedRegistry('a b'), /invalid shared registry name/)
  invalid(() => new SharedRegistry(path.join(dir, 'odd'), { counterStripes: 3 }), /invalid shared registry options/)
  invalid(() => new SharedRegistry(path.join(dir, 'big'), { maxProcesses: 2 ** 40 }), /invalid shared registry options/)
  invalid(() => new SharedRegistry(path.join(dir, 'mode'), { mode: 0o100000 }), /permission mode/)
  range(() => new SharedRegistry(path.join(dir, 'neg'), { maxSeries: -1 }))
  range(() => new SharedRegistry(path.join(dir, 'frac'), { dataBytes: 1.5 }))
  type(() => new SharedRegistry(path.join(dir, 'str'), { maxSeries: '10' }))
  type(() => new SharedRegistry(path.join(dir, 'dir'), { dir: 1 }))
  type(() => new SharedRegistry(path.join(dir, 'open'), { openExisting: 'yes' }))
  type(() => new SharedRegistry(path.join(dir, 'opts'), null))
  type(() => new SharedRegistry(42))
  type(() => SharedRegistry.remove(undefined))
  // Permission: a segment this user cannot read and write (root reads and writes anything).
  if (process.getuid && process.getuid() !== 0) {
    const locked = path.join(dir, 'locked')
    new SharedRegistry(locked).close()
    fs.chmodSync(locked, 0o000)
    invalid(() => new SharedRegistry(locked), /permission|denied/i)
  }
  // Nothing above left a file behind but the files it was given.
  assert.deepEqual(fs.readdirSync(dir).sort(), ['corrupt', 'empty', 'junk', 'segment', 'truncated'].concat(
    process.getuid && process.getuid() !== 0 ? ['locked'] : []).sort())
})

test('index.d.ts declares exactly the methods and properties of SharedRegistry', () => {
  const dts = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8')
  const body = dts.match(/export declare class SharedRegistry \{\n([\s\S]*?)\n\}\n/)
  assert.ok(body, 'index.d.ts declares no class SharedRegistry')
  const declared = { instance: new Set(), static: new Set() }
  for (const line of body[1].split('\n')) {
    const m = line.match(/^ {2}(static )?(?:readonly )?([A-Za-z_]+)[(:?]/)
    if (m && m[2] !== 'constructor') declared[m[1] ? 'static' : 'instance'].add(m[2])
  }
  const actual = {
    instance: new Set(Object.getOwnPropertyNames(SharedRegistry.prototype).filter((k) => k !== 'constructor')),
    static: new Set(Object.getOwnPropertyNames(SharedRegistry).filter((k) => !['length', 'name', 'prototype'].includes(k))),
  }
  assert.deepEqual([...declared.instance].sort(), [...actual.instance].sort())
  assert.deepEqual([...declared.static].sort(), [...actual.static].sort())
  const modes = dts.match(/export type GaugeMode =([\s\S]*?)\n\n/)[1].split('|').map((s) => s.trim().slice(1, -1)).filter(Boolean)
  assert.deepEqual(modes, ['all', 'liveall', 'sum', 'livesum', 'max', 'livemax', 'min', 'livemin', 'mostrecent'])
})
