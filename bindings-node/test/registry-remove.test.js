'use strict'
// Registry: removing series (remove, clearFamily, clear). A removed series is no longer
// exported; a metric object of it keeps working (its direct writes too: its cells live as long
// as the object); a new look-up creates a new series from zero, also where this thread's look-up
// cache held the removed one, whichever thread removed it; errors as for look-ups.
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const { Registry, registry, Counter } = require('..')
const { type } = require('./helpers.js')

const PKG = path.join(__dirname, '..')
const internals = require('..')[Symbol.for('atomicperf.internals')]

function exported(r) {
  return Object.fromEntries(JSON.parse(r.metrics({ format: 'json' })).families.map((f) => [f.name, f.series.map((s) => s.labels)]))
}

function runWorker(source, workerData, onMessage) {
  return new Promise((resolve, reject) => {
    const w = new Worker(source, { eval: true, workerData: { pkg: PKG, ...workerData } })
    let result
    w.on('message', (m) => {
      result = m
      if (onMessage) onMessage(w, m)
    })
    w.once('error', reject)
    w.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`worker exited with ${code}`))))
  })
}

test('a removed series is no longer exported; its family stays', () => {
  const r = new Registry()
  r.counter('jobs', { help: 'Jobs done.', labels: { queue: 'mail' } }).inc()
  r.counter('jobs', { labels: { queue: 'sms' } }).add(2)
  assert.equal(r.seriesCount, 2)
  assert.equal(r.remove('jobs', { queue: 'mail' }), true)
  const text = r.metrics()
  assert.doesNotMatch(text, /queue="mail"/)
  assert.match(text, /^jobs_total\{queue="sms"\} 2$/m)
  assert.deepEqual(exported(r), { jobs: [{ queue: 'sms' }] })
  assert.equal(r.seriesCount, 1)
  assert.equal(r.size, 1)
  assert.equal(r.remove('jobs', { queue: 'mail' }), false)
})

test('a held metric keeps working after its removal, on the direct path too, unexported', () => {
  const r = new Registry()
  const c = r.counter('jobs', { labels: { queue: 'mail' } })
  c.add(5)
  const direct = internals.counter.cells(c) !== null
  // Owners: the registry, the handle and (direct path) the cell buffer.
  assert.equal(internals.counter.refs(c), direct ? 3 : 2)
  assert.ok(r.remove('jobs', { queue: 'mail' }))
  // The registry let go; the object's handle and cells keep the series alive.
  assert.equal(internals.counter.refs(c), direct ? 2 : 1)
  c.inc()
  c.add(10n)
  assert.equal(c.get(), 16)
  const g = r.gauge('temp')
  g.set(3.5)
  const h = r.histogram('latency', { labels: { route: '/' } })
  h.record(1000)
  const m = r.minmax('depth')
  const t = r.timer('job')
  const n = r.nativeHistogram('size')
  assert.equal(r.clear(), 5)
  g.inc()
  h.record(2000)
  m.record(7)
  t.record(1500)
  n.record(0.5)
  assert.deepEqual([g.get(), h.count(), m.max(), t.count(), n.count()], [4.5, 2, 7, 1, 1])
  assert.deepEqual(exported(r), { jobs: [], temp: [], latency: [], depth: [], job: [], size: [] })
  assert.equal(r.seriesCount, 0)
})

test('a look-up after a removal returns a new series from zero, not the cached removed one', () => {
  const r = new Registry()
  const kinds = {
    counter: (m) => m.inc(),
    gauge: (m) => m.set(2),
    histogram: (m) => m.record(5),
    timer: (m) => m.record(5),
    minmax: (m) => m.record(5),
    nativeHistogram: (m) => m.record(5),
  }
  const zero = {
    counter: (m) => m.get() === 0,
    gauge: (m) => m.get() === 0,
    histogram: (m) => m.count() === 0,
    timer: (m) => m.count() === 0,
    minmax: (m) => m.max() === null,
    nativeHistogram: (m) => m.count() === 0,
  }
  for (const [kind, update] of Object.entries(kinds)) {
    const name = `${kind}_metric`
    const labels = { k: 'v' }
    const old = r[kind](name, { labels })
    update(old)
    assert.equal(r[kind](name, { labels }), old, `${kind}: cached`)
    assert.ok(r.remove(name, labels))
    const fresh = r[kind](name, { labels })
    assert.notEqual(fresh, old, `${kind}: the removed series came back from the cache`)
    assert.ok(zero[kind](fresh), `${kind}: not from zero`)
    assert.equal(r[kind](name, { labels }), fresh, `${kind}: the new series is cached`)
    update(fresh)
    assert.ok(!zero[kind](old) && !zero[kind](fresh))
  }
  // clearFamily and clear invalidate the cache too.
  const a = r.counter('jobs', { labels: { q: 'a' } })
  a.inc()
  assert.equal(r.clearFamily('jobs'), 1)
  const b = r.counter('jobs', { labels: { q: 'a' } })
  assert.notEqual(b, a)
  assert.equal(b.get(), 0)
  b.inc()
  assert.equal(r.clear(), 7)
  assert.equal(r.counter('jobs', { labels: { q: 'a' } }).get(), 0)
  // A series that was not removed keeps its value through the emptied cache.
  const kept = r.counter('kept')
  kept.add(3)
  r.counter('other').inc()
  r.remove('other')
  assert.equal(r.counter('kept').get(), 3)
})

test('the removal count is read without a native call where the direct path is available', () => {
  const r = new Registry()
  r.counter('x')
  if (internals.directAvailable()) {
    const view = internals.registry.removalsView(r)
    assert.ok(view instanceof Float64Array)
    const bits = () => Buffer.from(view.buffer).readBigUInt64LE(0)
    const before = bits()
    r.remove('x')
    assert.equal(bits(), before + 1n)
  } else {
    assert.equal(internals.registry.removalsView(r), null)
  }
})

test('the look-up cache is right without the direct path (native calls for the count)', () => {
  const source = `
    const assert = require('node:assert/strict')
    const { Registry } = require(${JSON.stringify(PKG)})
    const internals = require(${JSON.stringify(PKG)})[Symbol.for('atomicperf.internals')]
    const r = new Registry()
    const old = r.counter('jobs', { labels: { q: 'a' } })
    old.inc()
    assert.equal(internals.registry.removalsView(r), null)
    assert.equal(r.counter('jobs', { labels: { q: 'a' } }), old)
    assert.ok(r.remove('jobs', { q: 'a' }))
    const fresh = r.counter('jobs', { labels: { q: 'a' } })
    assert.notEqual(fresh, old)
    assert.equal(fresh.get(), 0)
    assert.equal(r.counter('jobs', { labels: { q: 'a' } }), fresh)
    console.log('ok')
  `
  for (const direct of ['0', 'simulate-copy']) {
    const out = spawnSync(process.execPath, ['-e', source], { encoding: 'utf8', env: { ...process.env, ATOMICPERF_DIRECT: direct } })
    assert.equal(out.status, 0, out.stderr)
    assert.equal(out.stdout.trim(), 'ok')
  }
})

test('labels match by name whatever their order; values convert as in look-ups', () => {
  const r = new Registry()
  r.gauge('temp', { labels: { room: 'a', floor: 1 } }).set(1)
  assert.equal(r.remove('temp', { floor: '1', room: 'a' }), true)
  r.gauge('temp', { labels: { room: 'a', floor: '2' } }).set(1)
  assert.equal(r.remove('temp', { floor: 2, room: 'a' }), true)
  assert.equal(r.seriesCount, 0)
  r.counter('plain').inc()
  assert.equal(r.remove('plain'), true)
  r.counter('plain').inc()
  assert.equal(r.remove('plain', {}), true)
})

test('clearFamily and clear count what they removed; families keep their kind and labels', () => {
  const r = new Registry()
  for (const q of ['a', 'b', 'c']) r.counter('jobs', { labels: { queue: q } }).inc()
  r.gauge('temp').set(1)
  r.histogram('latency', { labels: { route: '/' } }).record(5)
  assert.equal(r.clearFamily('jobs'), 3)
  assert.equal(r.clearFamily('jobs'), 0)
  assert.deepEqual(exported(r).jobs, [])
  assert.equal(r.seriesCount, 2)
  assert.equal(r.clear(), 2)
  assert.equal(r.clear(), 0)
  assert.equal(r.seriesCount, 0)
  assert.equal(r.size, 3)
  assert.throws(() => r.gauge('jobs', { labels: { queue: 'a' } }), { code: 'AP_ERR_INVALID_ARGUMENT' })
  assert.throws(() => r.counter('jobs', { labels: { other: 'a' } }), { code: 'AP_ERR_INVALID_ARGUMENT' })
  assert.equal(r.counter('jobs', { labels: { queue: 'a' } }).get(), 0)
})

test('unknown families and series: false and 0', () => {
  const r = new Registry()
  assert.equal(r.remove('nothing'), false)
  assert.equal(r.remove('nothing', { k: 'v' }), false)
  assert.equal(r.clearFamily('nothing'), 0)
  assert.equal(r.clear(), 0)
  r.counter('jobs', { labels: { queue: 'mail' } })
  assert.equal(r.remove('jobs', { queue: 'sms' }), false)
  assert.equal(r.seriesCount, 1)
})

test('wrong label names: an Error AP_ERR_INVALID_ARGUMENT, nothing removed', () => {
  const r = new Registry()
  r.counter('jobs', { labels: { queue: 'mail' } }).inc()
  for (const labels of [{ other: 'mail' }, {}, undefined, { queue: 'mail', extra: 'x' }]) {
    assert.throws(() => r.remove('jobs', labels), (e) => {
      assert.ok(!(e instanceof TypeError), e.message)
      assert.equal(e.code, 'AP_ERR_INVALID_ARGUMENT')
      return true
    })
  }
  assert.equal(r.seriesCount, 1)
  assert.match(r.metrics(), /^jobs_total\{queue="mail"\} 1$/m)
})

test('wrong argument types: TypeError AP_ERR_INVALID_ARGUMENT, nothing removed', () => {
  const r = new Registry()
  r.counter('jobs', { labels: { queue: 'mail' } })
  type(() => r.remove(1))
  type(() => r.remove(undefined))
  type(() => r.remove('jobs', null))
  type(() => r.remove('jobs', 'queue=mail'))
  type(() => r.remove('jobs', ['queue', 'mail']))
  type(() => r.remove('jobs', { queue: {} }))
  type(() => r.remove('jobs', { queue: undefined }))
  type(() => r.clearFamily())
  type(() => r.clearFamily(Symbol('jobs')))
  for (const method of ['remove', 'clearFamily', 'clear']) {
    assert.throws(() => Registry.prototype[method].call({}, 'jobs'), TypeError)
  }
  assert.equal(r.seriesCount, 1)
})

test('index.d.ts declares exactly the methods and properties of Registry', () => {
  const dts = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8')
  const body = dts.match(/export declare class Registry \{\n([\s\S]*?)\n\}\n/)
  assert.ok(body, 'index.d.ts declares no class Registry')
  const declared = { instance: new Set(), static: new Set() }
  for (const line of body[1].split('\n')) {
    const m = line.match(/^ {2}(static )?(?:readonly )?([A-Za-z_]+)[(:?]/)
    if (m && m[2] !== 'constructor') declared[m[1] ? 'static' : 'instance'].add(m[2])
  }
  const actual = {
    instance: new Set(Object.getOwnPropertyNames(Registry.prototype).filter((k) => k !== 'constructor')),
    static: new Set(Object.getOwnPropertyNames(Registry).filter((k) => !['length', 'name', 'prototype'].includes(k))),
  }
  assert.deepEqual([...declared.instance].sort(), [...actual.instance].sort())
  assert.deepEqual([...declared.static].sort(), [...actual.static].sort())
})

test('a removal in the main thread reaches the look-up cache of a worker, and back', async () => {
  const name = 'remove_across_threads_total'
  const labels = { queue: 'mail' }
  registry.counter(name, { labels }).add(5)
  // The worker caches the series, then (told that the main thread removed it) looks it up again;
  // then removes the new one itself.
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { registry } = require(workerData.pkg)
    const labels = { queue: 'mail' }
    const old = registry.counter(workerData.name, { labels })
    const seen = old.get()
    old.inc()
    const cachedSame = registry.counter(workerData.name, { labels }) === old
    parentPort.postMessage({ step: 'cached', seen, cachedSame })
    parentPort.once('message', () => {
      const fresh = registry.counter(workerData.name, { labels })
      const after = { fresh: fresh !== old, value: fresh.get(), oldValue: old.get() }
      fresh.add(3)
      old.inc() // still works, unexported
      const removed = registry.remove(workerData.name, labels)
      parentPort.postMessage({ step: 'done', ...after, removed })
    })
  `
  const mainOld = registry.counter(name, { labels })
  const result = await runWorker(source, { name }, (w, m) => {
    if (m.step === 'cached') {
      assert.deepEqual(m, { step: 'cached', seen: 5, cachedSame: true })
      assert.equal(registry.remove(name, labels), true)
      w.postMessage('removed')
    }
  })
  assert.deepEqual(result, { step: 'done', fresh: true, value: 0, oldValue: 6, removed: true })
  // The main thread's cache held the first series: the worker's removal of the second reached it.
  const again = registry.counter(name, { labels })
  assert.notEqual(again, mainOld)
  assert.equal(again.get(), 0)
  assert.equal(mainOld.get(), 7)
  assert.match(registry.metrics(), new RegExp(`^${name}\\{queue="mail"\\} 0$`, 'm'))
  registry.clearFamily(name)
})

test('writers in 4 workers racing a remover never fail and lose no increment', async () => {
  const regName = 'remove_race'
  const name = 'raced_total'
  const labels = { queue: 'mail' }
  const writers = 4
  const perWriter = 200_000
  // [0]: go, [1]: writers done.
  const flags = new Int32Array(new SharedArrayBuffer(8))
  const source = `
    const { parentPort, workerData } = require('node:worker_threads')
    const { Registry } = require(workerData.pkg)
    const r = Registry.named(workerData.regName)
    const labels = { queue: 'mail' }
    const flags = workerData.flags
    parentPort.postMessage('ready')
    Atomics.wait(flags, 0, 0)
    const seen = new Set()
    for (let i = 0; i < workerData.perWriter; i++) {
      const c = r.counter(workerData.name, { labels })
      seen.add(c)
      c.inc()
    }
    Atomics.add(flags, 1, 1)
    parentPort.postMessage({ incarnations: seen.size })
  `
  const r = Registry.named(regName)
  let ready = 0
  let started
  const allReady = new Promise((resolve) => {
    started = resolve
  })
  const done = Array.from({ length: writers }, () => runWorker(source, { regName, name, perWriter, flags }, (w, m) => {
    if (m === 'ready' && ++ready === writers) started()
  }))
  await allReady
  // The remover (this thread): looks the current series up, then removes it, so that it holds
  // every series ever removed once (an object per series), whose values then add up to every
  // increment, made through whatever object, cached or not, removed or not.
  const removedSeries = []
  let removals = 0
  Atomics.store(flags, 0, 1)
  Atomics.notify(flags, 0)
  for (let i = 0; Atomics.load(flags, 1) < writers; i++) {
    const c = r.counter(name, { labels })
    if (i % 16 === 15 ? r.clear() === 1 : r.remove(name, labels)) {
      removedSeries.push(c)
      removals++
    }
  }
  const results = await Promise.all(done)
  const live = r.counter(name, { labels })
  assert.ok(!removedSeries.includes(live))
  const total = removedSeries.reduce((sum, c) => sum + c.get(), 0) + live.get()
  assert.equal(total, writers * perWriter)
  assert.ok(removals > 0)
  // Each worker saw several incarnations: its cache let go of the removed ones.
  for (const { incarnations } of results) assert.ok(incarnations > 1, `a worker saw ${incarnations} series`)
  assert.ok(removedSeries.every((c) => c instanceof Counter))
  r.clear()
})

test('1,000,000 create/update/remove cycles with new labels each keep RSS flat', (t) => {
  // In a process of its own: a small baseline makes 10% strict, and no other test's garbage
  // counts. A removed series' memory is freed with its last handle, which in Node is when the
  // garbage collector has collected the metric object and Node has run the finalizers (in a
  // later turn of the event loop): so the cycles run in batches, as requests would, each ending
  // with a collection (gc(), exposed) and a turn of the event loop. Every 10th cycle also makes
  // a histogram, whose cells (kilobytes) would show at once if they were never freed.
  const source = `
    const { Registry } = require(${JSON.stringify(PKG)})
    const r = new Registry()
    const cycles = Number(process.argv[1]), warmup = Number(process.argv[2])
    const BATCH = 10000
    const turn = () => new Promise((resolve) => setImmediate(resolve))
    async function run(start, n) {
      for (let i = start; i < start + n; i++) {
        const labels = { id: String(i) } // never repeated
        r.counter('jobs', { labels }).inc()
        if (!r.remove('jobs', labels)) throw new Error('not removed')
        if (i % 10 === 0) {
          r.histogram('latency', { labels }).record(i)
          if (!r.remove('latency', labels)) throw new Error('not removed')
        }
        if (i % BATCH === BATCH - 1) {
          gc()
          await turn()
        }
      }
    }
    ;(async () => {
      await run(0, warmup)
      const before = process.memoryUsage().rss
      const t0 = process.hrtime.bigint()
      await run(warmup, cycles)
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      const after = process.memoryUsage().rss
      console.log(JSON.stringify({ before, after, series: r.seriesCount, seconds }))
    })()
  `
  const out = spawnSync(process.execPath, ['--expose-gc', '-e', source, '1000000', '100000'], { encoding: 'utf8', timeout: 900_000 })
  assert.equal(out.status, 0, out.stderr)
  const { before, after, series, seconds } = JSON.parse(out.stdout)
  t.diagnostic(`RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(after / 2 ** 20).toFixed(1)} MiB, 1,000,000 cycles in ${seconds.toFixed(1)} s`)
  assert.equal(series, 0)
  assert.ok(after <= before * 1.1, `RSS grew from ${before} to ${after}`)
})
