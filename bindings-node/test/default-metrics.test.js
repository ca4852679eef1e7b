'use strict'
// Default metrics: registerDefaultMetrics / collectDefaultMetrics, the process metrics and
// prom-client's Node.js ones, set at each metrics().
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const ap = require('..')
const { Registry, collectDefaultMetrics } = ap
const { throwsCode } = require('./helpers')

const linux = process.platform === 'linux'

function sample(text, series) {
  for (const line of text.split('\n')) {
    const i = line.lastIndexOf(' ')
    if (line.slice(0, i) === series) return Number(line.slice(i + 1))
  }
  assert.fail(`no sample ${series} in\n${text}`)
}

// `# HELP`/`# TYPE` of every family: name -> [type, help].
function families(text) {
  const out = new Map()
  for (const line of text.split('\n')) {
    let m = /^# HELP (\S+) (.*)$/.exec(line)
    if (m) out.set(m[1], [undefined, m[2]])
    m = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (m) out.get(m[1])[0] = m[2]
  }
  return out
}

const vmRss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]) * 1024

test('the default metrics are in the export, with values of the moment', { skip: !linux }, async () => {
  const r = new Registry()
  r.registerDefaultMetrics()
  r.registerDefaultMetrics() // nothing more
  let text = r.metrics()
  const fams = families(text)
  for (const name of ['process_cpu_seconds_total']) assert.equal(fams.get(name)[0], 'counter', name)
  for (const name of [
    'process_resident_memory_bytes', 'process_virtual_memory_bytes', 'process_open_fds', 'process_max_fds',
    'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_eventloop_lag_min_seconds',
    'nodejs_eventloop_lag_max_seconds', 'nodejs_eventloop_lag_mean_seconds', 'nodejs_eventloop_lag_stddev_seconds',
    'nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p90_seconds', 'nodejs_eventloop_lag_p99_seconds',
    'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes',
    'nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_version_info',
  ]) {
    assert.equal(fams.get(name)?.[0], 'gauge', name)
  }
  assert.equal(fams.get('nodejs_gc_duration_seconds')[0], 'histogram')
  const rss = sample(text, 'process_resident_memory_bytes')
  assert.ok(rss > vmRss() / 2 && rss < vmRss() * 2, `${rss} vs VmRSS ${vmRss()}`)
  const [major, minor, patch] = process.version.slice(1).split('.')
  assert.equal(sample(text, `nodejs_version_info{major="${major}",minor="${minor}",patch="${patch}",version="${process.version}"}`), 1)
  // Heap used as process.memoryUsage() has it at the export (within 2x: allocation in between).
  const used = sample(text, 'nodejs_heap_size_used_bytes')
  const now = process.memoryUsage().heapUsed
  assert.ok(used > now / 2 && used < now * 2, `${used} vs ${now}`)
  // The lag gauge is measured from one scrape to the next setImmediate, as prom-client does.
  await new Promise((resolve) => setImmediate(resolve))
  text = r.metrics()
  assert.ok(sample(text, 'nodejs_eventloop_lag_seconds') > 0)
  // Open files show at the next export.
  const fds = sample(text, 'process_open_fds')
  const opened = Array.from({ length: 16 }, () => fs.openSync('/proc/self/stat', 'r'))
  try {
    assert.ok(sample(r.metrics(), 'process_open_fds') >= fds + 16)
  } finally {
    for (const fd of opened) fs.closeSync(fd)
  }
  // Active handles: a listening server is one more.
  const before = sample(r.metrics(), 'nodejs_active_handles_total')
  const server = require('node:net').createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    assert.equal(sample(r.metrics(), 'nodejs_active_handles_total'), before + 1)
  } finally {
    server.close()
  }
})

test('garbage collections are recorded by kind', { skip: !linux }, async () => {
  const r = new Registry()
  r.registerDefaultMetrics()
  // A full collection, on demand (the flag exposes gc() to new contexts).
  require('node:v8').setFlagsFromString('--expose-gc')
  require('node:vm').runInNewContext('gc')()
  // Observer callbacks run after the collection, on a later turn.
  let text = ''
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10))
    text = r.metrics()
    if (sample(text, 'nodejs_gc_duration_seconds_count{kind="major"}') >= 1) break
  }
  assert.ok(sample(text, 'nodejs_gc_duration_seconds_count{kind="major"}') >= 1, text)
  assert.ok(text.includes('nodejs_gc_duration_seconds_bucket{kind="major",le="0.001"}'))
  assert.ok(text.includes('nodejs_gc_duration_seconds_bucket{kind="major",le="5"}'))
})

test('names, types and help texts are prom-client\'s', { skip: !linux }, () => {
  const promClient = require('prom-client')
  const theirs = new promClient.Registry()
  promClient.collectDefaultMetrics({ register: theirs })
  const ours = new Registry()
  ours.registerDefaultMetrics()
  return theirs.metrics().then((text) => {
    const want = families(text)
    const got = families(ours.metrics())
    for (const [name, fam] of got) assert.deepEqual(fam, want.get(name), name)
    // prom-client's that we do not have: per-type handle/request/resource counts, the heap
    // spaces, the split user/system CPU and process_heap_bytes.
    const missing = [...want.keys()].filter((n) => !got.has(n)).sort()
    for (const name of missing) {
      assert.match(name, /^(nodejs_active_(handles|requests|resources)(_total)?|nodejs_heap_space_size_\w+|process_cpu_(user|system)_seconds_total|process_heap_bytes)$/)
    }
  })
})

test('collectDefaultMetrics({ register }) is prom-client\'s call', { skip: !linux }, () => {
  const r = new Registry()
  collectDefaultMetrics({ register: r, gcDurationBuckets: [0.5, 1] })
  assert.ok(r.metrics().includes('# TYPE nodejs_heap_size_used_bytes gauge'))
  assert.ok(r.metrics().includes('nodejs_gc_duration_seconds_bucket{kind="major",le="0.5"} 0'))
  throwsCode(() => collectDefaultMetrics({ register: {} }), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  throwsCode(() => collectDefaultMetrics({ register: new Registry(), prefix: 'x_' }), TypeError, 'AP_ERR_INVALID_ARGUMENT')
  throwsCode(() => collectDefaultMetrics(5), TypeError, 'AP_ERR_INVALID_ARGUMENT')
})

test('the names are taken both ways', { skip: !linux }, () => {
  const r = new Registry()
  r.registerDefaultMetrics()
  throwsCode(() => r.gauge('nodejs_heap_size_used_bytes'), Error, 'AP_ERR_INVALID_ARGUMENT')
  throwsCode(() => r.gauge('process_open_fds'), Error, 'AP_ERR_INVALID_ARGUMENT')
  throwsCode(() => r.counter('process_cpu_seconds'), Error, 'AP_ERR_INVALID_ARGUMENT')
  const mine = new Registry()
  mine.gauge('process_max_fds').set(1)
  assert.throws(() => mine.registerDefaultMetrics(), (e) => e.code === 'AP_ERR_INVALID_ARGUMENT' && /process_max_fds/.test(e.message))
  assert.equal(mine.size, 1)
  const other = new Registry()
  other.gauge('nodejs_version_info').set(1)
  assert.throws(() => other.registerDefaultMetrics(), /nodejs_version_info/)
})

test('the gauges come back after clear()', { skip: !linux }, () => {
  const r = new Registry()
  r.registerDefaultMetrics()
  r.clear()
  const text = r.metrics()
  assert.ok(/\nnodejs_heap_size_used_bytes \d/.test(text))
  assert.ok(/\nprocess_open_fds \d/.test(text))
})
