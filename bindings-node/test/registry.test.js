'use strict'
// Registry: get-or-create of every kind with labels, errors that register nothing, export.
const test = require('node:test')
const assert = require('node:assert/strict')
const ap = require('..')
const { registry, Registry, Counter, Gauge, Histogram, Timer, MinMax } = ap
const { throwsCode, type } = require('./helpers')

const internals = ap[Symbol.for('atomicperf.internals')]
const invalid = (fn) => throwsCode(fn, Error, 'AP_ERR_INVALID_ARGUMENT')

test('every kind comes back as the ordinary class, the same object for the same name and labels', () => {
  const r = new Registry()
  const cases = [
    ['counter', Counter], ['gauge', Gauge], ['histogram', Histogram], ['timer', Timer], ['minmax', MinMax],
  ]
  for (const [kind, Class] of cases) {
    const a = r[kind](`k_${kind}`, { help: 'h', labels: { a: '1', b: '2' } })
    assert.ok(a instanceof Class, kind)
    assert.equal(r[kind](`k_${kind}`, { labels: { b: '2', a: '1' } }), a, `${kind}: label order does not matter`)
    assert.notEqual(r[kind](`k_${kind}`, { labels: { a: '1', b: '3' } }), a)
  }
  assert.equal(r.size, 5)
})

test('a registry counter adds through the direct Atomics cells and reads through Rust', () => {
  const r = new Registry()
  const c = r.counter('direct_total', { labels: { x: 'y' } })
  if (internals.directAvailable()) assert.notEqual(internals.counter.cells(c), null)
  c.inc()
  c.add(41)
  c.add(2n ** 60n)
  assert.equal(c.getBigInt(), 2n ** 60n + 42n)
  // Counts are exported as exact integers, also past 2^53.
  assert.match(r.metrics(), /^direct_total\{x="y"\} 1152921504606847018$/m)
})

test('wrappers from another JS object of the same registry share the metric', () => {
  const a = Registry.named('registry_test_named')
  assert.equal(Registry.named('registry_test_named'), a)
  assert.ok(a.isSameAs(Registry.named('registry_test_named')))
  assert.ok(!a.isSameAs(registry) && !a.isSameAs(new Registry()) && !a.isSameAs({}))
  assert.equal(Registry.global(), registry)
  a.counter('named_total').add(3)
  assert.equal(a.counter('named_total').get(), 3)
  assert.doesNotMatch(registry.metrics(), /named_total/)
})

test('label values may be numbers, bigints or booleans, exported as strings', () => {
  const r = new Registry()
  r.counter('codes', { labels: { code: 200, big: 1n, ok: true } }).inc()
  assert.equal(r.counter('codes', { labels: { code: '200', big: '1', ok: 'true' } }).get(), 1)
  assert.match(r.metrics(), /^codes_total\{big="1",code="200",ok="true"\} 1$/m)
})

test('label values with quotes, backslashes and newlines are escaped', () => {
  const r = new Registry()
  r.gauge('esc', { labels: { v: 'a"b\\c\nd' } }).set(1)
  assert.match(r.metrics(), /^esc\{v="a\\"b\\\\c\\nd"\} 1$/m)
  // Length-prefixed cache keys: these two label sets must not be confused.
  const x = r.gauge('pair', { labels: { a: '1', b: '2' } })
  invalid(() => r.gauge('pair', { labels: { a: '1:b1:2' } }))
  assert.equal(r.gauge('pair', { labels: { a: '1', b: '2' } }), x)
})

test('invalid names, another kind, other labels, reserved labels and bad buckets: Error, nothing registered', () => {
  const r = new Registry()
  r.counter('taken_total', { labels: { a: 'x' } })
  const before = r.metrics()
  invalid(() => r.counter('bad name'))
  invalid(() => r.counter('1bad'))
  invalid(() => r.counter(''))
  invalid(() => r.counter('ok', { labels: { 'bad-label': 'v' } }))
  invalid(() => r.counter('ok', { labels: { __reserved: 'v' } }))
  invalid(() => r.gauge('taken_total', { labels: { a: 'x' } }))
  invalid(() => r.histogram('taken_total', { labels: { a: 'x' } }))
  invalid(() => r.counter('taken_total'))
  invalid(() => r.counter('taken_total', { labels: { b: 'x' } }))
  invalid(() => r.counter('taken_total', { labels: { a: 'x', b: 'y' } }))
  invalid(() => r.histogram('h', { labels: { le: '1' } }))
  invalid(() => r.timer('t', { labels: { le: '1' } }))
  invalid(() => r.histogram('h', { buckets: [1, 1] }))
  invalid(() => r.histogram('h', { buckets: [2, 1] }))
  invalid(() => r.histogram('h', { buckets: [1, Infinity] }))
  invalid(() => r.histogram('h', { scale: 0 }))
  invalid(() => r.histogram('h', { scale: -1 }))
  assert.equal(r.size, 1)
  assert.equal(r.metrics(), before)
})

test('arguments of the wrong JS type: TypeError, nothing registered', () => {
  const r = new Registry()
  type(() => r.counter(1))
  type(() => r.counter(undefined))
  type(() => r.counter('c', 'help'))
  type(() => r.counter('c', null))
  type(() => r.counter('c', { help: 1 }))
  type(() => r.counter('c', { labels: [['a', 'b']] }))
  type(() => r.counter('c', { labels: 'a=b' }))
  type(() => r.counter('c', { labels: { a: null } }))
  type(() => r.counter('c', { labels: { a: {} } }))
  type(() => r.histogram('h', { buckets: '1,2' }))
  type(() => r.histogram('h', { buckets: ['1'] }))
  type(() => r.histogram('h', { scale: '1' }))
  type(() => Registry.named(1))
  type(() => r.metrics({ format: 1 }))
  throwsCode(() => r.metrics({ format: 'xml' }), RangeError, 'AP_ERR_OUT_OF_RANGE')
  throwsCode(() => r.metrics({ format: 'toString' }), RangeError, 'AP_ERR_OUT_OF_RANGE')
  assert.equal(r.size, 0)
})

test('histogram buckets and scale set the export of a new family', () => {
  const r = new Registry()
  const h = r.histogram('size_bytes', { help: 'Sizes.', buckets: [10, 100, 1000], scale: 1 })
  for (const v of [5, 50, 500, 5000]) h.record(v)
  const text = r.metrics()
  assert.match(text, /^# TYPE size_bytes histogram$/m)
  assert.match(text, /^size_bytes_bucket\{le="10"\} 1$/m)
  assert.match(text, /^size_bytes_bucket\{le="100"\} 2$/m)
  assert.match(text, /^size_bytes_bucket\{le="1000"\} 3$/m)
  assert.match(text, /^size_bytes_bucket\{le="\+Inf"\} 4$/m)
  assert.match(text, /^size_bytes_sum 5555$/m)
  assert.match(text, /^size_bytes_count 4$/m)
  // Default: nanoseconds recorded, seconds exported.
  r.histogram('latency_seconds').record(2_000_000)
  assert.match(r.metrics(), /^latency_seconds_sum 0\.002$/m)
})

test('metrics() in Prometheus text, OpenMetrics and JSON, with the content types', () => {
  const r = new Registry()
  r.counter('jobs', { help: 'Jobs done.', labels: { queue: 'a' } }).add(7)
  r.timer('work').record(1_000_000, false)
  r.minmax('depth').record(9)
  const prom = r.metrics()
  assert.equal(r.contentType, 'text/plain; version=0.0.4; charset=utf-8')
  assert.equal(Registry.PROMETHEUS_CONTENT_TYPE, r.contentType)
  assert.match(prom, /^# HELP jobs_total Jobs done\.$/m)
  assert.match(prom, /^jobs_total\{queue="a"\} 7$/m)
  assert.match(prom, /^work_errors_total 1$/m)
  assert.match(prom, /^depth_max 9$/m)
  const om = r.metrics({ format: 'openmetrics' })
  assert.match(Registry.OPENMETRICS_CONTENT_TYPE, /^application\/openmetrics-text/)
  assert.ok(om.endsWith('# EOF\n'))
  const json = JSON.parse(r.metrics({ format: 'json' }))
  const jobs = json.families.find((f) => f.name === 'jobs')
  assert.deepEqual(jobs.series, [{ labels: { queue: 'a' }, value: 7 }])
  assert.equal(r.metrics({ format: 'prometheus' }), prom)
})

test('the default registry is one object per thread and exports what is recorded into it', () => {
  const c = registry.counter('registry_test_default_total', { help: 'From the test.' })
  c.add(5)
  assert.equal(require('..').registry, registry)
  assert.match(registry.metrics(), /^registry_test_default_total 5$/m)
})

test('a series limit refuses new series, counts them, and keeps the existing ones working', () => {
  const { Registry } = require('..')
  const r = new Registry()
  assert.equal(r.seriesLimit, null)
  r.seriesLimit = 2
  const a = r.counter('req', { labels: { user: 'a' } })
  r.counter('req', { labels: { user: 'b' } })
  assert.throws(() => r.counter('req', { labels: { user: 'c' } }),
    (e) => e.code === 'AP_ERR_INVALID_ARGUMENT' && /series limit \(2\)/.test(e.message))
  assert.deepEqual([r.seriesCount, r.seriesLimit, r.refusedSeries], [2, 2, 1])
  a.inc()
  assert.throws(() => { r.seriesLimit = -1 }, (e) => e.code === 'AP_ERR_OUT_OF_RANGE')
  r.seriesLimit = null
  r.counter('req', { labels: { user: 'c' } })
  assert.equal(r.seriesCount, 3)
})
