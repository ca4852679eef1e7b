'use strict'
// Exemplars: Counter.incWithExemplar / addWithExemplar and Histogram.recordWithExemplar,
// exported in OpenMetrics and protobuf only, their errors, and that the direct-path records of
// the same metric still count.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Counter, Histogram, Registry } = require('..')

const invalid = (e) => e.code === 'AP_ERR_INVALID_ARGUMENT' && !(e instanceof TypeError)
const typeErr = (e) => e.code === 'AP_ERR_INVALID_ARGUMENT' && e instanceof TypeError

test('a counter keeps its latest exemplar and counts its increments with the direct ones', () => {
  const c = new Counter()
  assert.equal(c.exemplar(), null)
  c.inc()
  c.incWithExemplar({ trace_id: 'abc' })
  c.addWithExemplar(5, { trace_id: 'def', span_id: '1' }, new Date(1700000000500))
  c.add(2n)
  assert.equal(c.get(), 9)
  const e = c.exemplar()
  assert.deepEqual(Object.entries(e.labels), [['span_id', '1'], ['trace_id', 'def']])
  assert.equal(e.value, 5)
  assert.equal(e.timestamp, 1700000000.5)
})

test('a histogram outside a registry keeps one exemplar', () => {
  const h = new Histogram()
  h.record(7)
  h.recordWithExemplar(43, { trace_id: 't' })
  assert.equal(h.count(), 2)
  assert.equal(h.sum(), 50)
  assert.deepEqual(h.exemplars(), [{ labels: { trace_id: 't' }, value: 43, timestamp: null }])
})

test('a registry exports exemplars in OpenMetrics and protobuf, never in Prometheus text', () => {
  const r = new Registry()
  r.counter('requests', { help: 'Requests.' }).incWithExemplar({ trace_id: '4bf92f3577b34da6' })
  const h = r.histogram('latency_seconds', { help: 'Latency.' })
  h.recordWithExemplar(43_000_000, { trace_id: '00f067aa0ba902b7' }, new Date(1700000000000))
  const om = r.metrics({ format: 'openmetrics' })
  assert.ok(om.includes('requests_total 1 # {trace_id="4bf92f3577b34da6"} 1\n'), om)
  assert.ok(om.includes('latency_seconds_bucket{le="0.05"} 1 # {trace_id="00f067aa0ba902b7"} 0.043 1700000000\n'), om)
  assert.ok(!r.metrics().includes(' # {'))
  assert.ok(r.metrics({ format: 'protobuf' }).includes(Buffer.from('4bf92f3577b34da6')))
  // Per bucket, +Inf last.
  const ex = h.exemplars()
  assert.equal(ex.length, 12)
  assert.equal(ex[3].value, 0.043)
})

test('bad exemplars are errors with the status code, and record nothing', () => {
  const c = new Counter()
  const h = new Histogram()
  for (const bad of [{ '1x': 'v' }, { trace_id: 'x'.repeat(121) }, { a: '\0' }]) {
    assert.throws(() => c.incWithExemplar(bad), invalid, JSON.stringify(bad))
    assert.throws(() => h.recordWithExemplar(5, bad), invalid, JSON.stringify(bad))
  }
  c.incWithExemplar({ trace_id: 'x'.repeat(120) }) // 8 + 120: OpenMetrics' 128
  assert.throws(() => c.incWithExemplar({ trace_id: 'x'.repeat(121) }), /128/)
  assert.throws(() => c.incWithExemplar(), typeErr)
  assert.throws(() => c.incWithExemplar('trace_id=1'), typeErr)
  assert.throws(() => c.incWithExemplar({ trace_id: 'a' }, 1700000000), typeErr)
  assert.throws(() => c.incWithExemplar({ trace_id: 'a' }, new Date(NaN)), invalid)
  assert.throws(() => c.addWithExemplar(-1, { trace_id: 'a' }), (e) => e.code === 'AP_ERR_OUT_OF_RANGE')
  assert.throws(() => h.recordWithExemplar(1.5, { trace_id: 'a' }), (e) => e.code === 'AP_ERR_OUT_OF_RANGE')
  assert.equal(c.get(), 1)
  assert.equal(h.count(), 0)
})

test('exemplars from worker threads land in the same registry series', async () => {
  const { Worker } = require('node:worker_threads')
  const path = require('node:path')
  const { registry } = require('..')
  const source = `
    const { registry } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const c = registry.counter('exemplar_workers')
    for (let i = 0; i < 1000; i++) c.incWithExemplar({ trace_id: 'w' + i })
  `
  await Promise.all([0, 1].map(() => new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true })
    w.once('error', reject)
    w.once('exit', resolve)
  })))
  const c = registry.counter('exemplar_workers')
  assert.equal(c.get(), 2000)
  assert.equal(c.exemplar().labels.trace_id, 'w999')
})

test('labels read on the stack or not, up to 8 or more: the same answers', () => {
  // The labels string is read into a stack buffer when short, the pairs of up to 8 labels
  // built on the stack; longer strings and larger sets take the general path. A bad set right
  // after a good one with other names is refused (the library remembers the last names it
  // checked).
  const c = new Counter()
  const small = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`l${i}`, String(i)]))
  const large = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`l${i}`, String(i)]))
  for (const labels of [small, large, Object.fromEntries(Object.entries(small).reverse()), {}]) {
    c.incWithExemplar(labels)
    assert.deepEqual(Object.keys(c.exemplar().labels), Object.keys(labels).sort())
    assert.deepEqual(c.exemplar().labels, labels)
  }
  const long = '😀'.repeat(300) // 1,200 bytes of UTF-8: past the stack buffer
  for (const bad of [{ l0: '0', '1l': '1' }, { ...large, __l: 'x' }, { trace_id: long }, { trace_id: '\ud800' }]) {
    c.incWithExemplar(small)
    assert.throws(() => c.incWithExemplar(bad), (e) => invalid(e) || typeErr(e))
  }
  assert.throws(() => c.incWithExemplar({ trace_id: long }), /at most 128/)
  c.incWithExemplar({ trace_id: '😀'.repeat(119) })
  assert.equal(c.exemplar().labels.trace_id, '😀'.repeat(119))
  assert.equal(c.get(), 4 + 4 + 1)
})

test('up to two string labels go as arguments, others packed: the same exemplars and errors', () => {
  // index.js passes an exemplar of at most two labels with string values to the native call as
  // they are, and packs any other into one string. Each pair below gives the same label set both
  // ways (a number value forces the packed path), with and without a timestamp.
  const c = new Counter()
  const h = new Histogram()
  const at = new Date(1700000000250)
  const sets = [
    [{}, {}],
    [{ trace_id: 'abc' }, { trace_id: 'abc' }],
    [{ trace_id: 'abc', span_id: '7' }, { trace_id: 'abc', span_id: 7 }],
    [{ span_id: '7', trace_id: 'é😀' }, { trace_id: 'é😀', span_id: 7 }],
    [{ trace_id: 'x'.repeat(120) }, { trace_id: 'x'.repeat(120), ...{} }],
  ]
  for (const [argsPath, packedPath] of sets) {
    for (const ts of [undefined, at]) {
      const seen = []
      for (const labels of [argsPath, packedPath]) {
        c.addWithExemplar(3, labels, ts)
        h.recordWithExemplar(43, labels, ts)
        seen.push([c.exemplar(), h.exemplars()])
      }
      assert.deepEqual(seen[0], seen[1], JSON.stringify([argsPath, ts]))
      assert.deepEqual(seen[0][0].labels, Object.fromEntries(Object.entries(argsPath).sort()))
      assert.equal(seen[0][0].timestamp, ts === undefined ? null : 1700000000.25)
    }
  }
  const before = [c.get(), h.count()]
  for (const bad of [{ 'a\0': 'v' }, { a: 'v\0' }, { a: 'v', 'b\0': 'w' }, { a: 'v', b: '\0' }, { a: 'v', '1b': 'w' }, { a: 'v', a_: 'x'.repeat(125) }]) {
    for (const ts of [undefined, at]) {
      assert.throws(() => c.incWithExemplar(bad, ts), invalid, JSON.stringify(bad))
      assert.throws(() => h.recordWithExemplar(5, bad, ts), invalid, JSON.stringify(bad))
    }
  }
  for (const bad of [{ a: '\udc00' }, { a: 'v', b: 'w\ud800' }]) {
    assert.throws(() => c.incWithExemplar(bad), typeErr)
    assert.throws(() => c.incWithExemplar(bad, at), typeErr)
  }
  assert.throws(() => c.incWithExemplar({ a: 'v' }, new Date(NaN)), invalid)
  assert.throws(() => c.incWithExemplar({ a: 'v', b: 'w' }, 5), typeErr)
  assert.deepEqual([c.get(), h.count()], before)
})

test('the native call of the argument path refuses what index.js never passes', () => {
  const b = require('../binding.js')
  const t = typeof b.claimTrustedCalls === 'function' ? (b.claimTrustedCalls() ?? b) : b
  const c = t.counterNew()
  const h = t.histogramNew()
  const attempts = [
    [1, 2], // a name and a value that are not strings
    ['a', 2],
    ['a', 'v', 3, 'w'],
    ['a'], // one argument after the value: a timestamp, not a number
    ['a', 'v', 'b', 'w', 'ts'],
    ['a', 'v', 'b', 'w', 1, 'extra'], // more than a timestamp after two pairs
  ]
  for (const rest of attempts) {
    assert.throws(() => t.counterAddWithExemplarPairs(c, 1, ...rest), typeErr, JSON.stringify(rest))
    assert.throws(() => t.histogramRecordWithExemplarPairs(h, 1, ...rest), typeErr, JSON.stringify(rest))
  }
  assert.equal(t.counterGet(c), 0)
  assert.equal(t.histogramCount(h), 0)
  t.counterAddWithExemplarPairs(c, 2, 'trace_id', 'a', 'span_id', 'b', 1700000000)
  assert.deepEqual(t.counterExemplar(c), { labels: { span_id: 'b', trace_id: 'a' }, value: 2, timestamp: 1700000000 })
})
