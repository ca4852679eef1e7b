'use strict'
// Hostile JavaScript against the native functions: binding.js is reachable by absolute path
// whatever the package's exports map says, so a module can load it before index.js does (in a
// fresh worker thread, say) and call every function with handles of the wrong kind. Every call
// must throw a TypeError with code AP_ERR_INVALID_ARGUMENT; none may crash the process. Run in
// a child process, so that a crash fails the test instead of killing the test runner.
//
// The attack is generated from the addon's own list of handle kinds (handleKinds()): one handle
// of every kind, and every native function that takes a handle is called with the handle of
// every other kind (and with values that are no handle at all), in the first argument and in
// every later argument that takes a handle.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')

const BINDING = require.resolve('../binding.js')
const PKG = require.resolve('..')

// Runs in a fresh worker of the child (before anything loaded index.js there) and then in the
// child's main thread. Resolves with {calls, failures, kinds, covered}.
const attack = `(async () => {
  const b = require(${JSON.stringify(BINDING)})
  // Whoever claims first would get an unchecked build, if there were one.
  const claimed = typeof b.claimTrustedCalls === 'function' ? b.claimTrustedCalls() : null
  const t = claimed ?? b
  const failures = []
  let calls = 0
  const expectTypeError = (what, expected, fn) => {
    calls++
    try {
      const r = fn()
      if (r && typeof r.then === 'function') r.catch(() => {})
      failures.push(what + ': returned ' + typeof r)
    } catch (e) {
      if (!(e instanceof TypeError) || e.code !== 'AP_ERR_INVALID_ARGUMENT') {
        failures.push(what + ': threw ' + (e && e.constructor && e.constructor.name) + ' ' + (e && e.code) + ' ' + (e && e.message))
      } else if (expected !== null && e.message !== 'expected a ' + expected + ' handle') {
        failures.push(what + ': wrong message: ' + e.message)
      }
    }
  }

  // One handle of every kind the addon has.
  const factories = {
    Counter: () => b.counterNew(),
    Gauge: () => b.gaugeNew(),
    Histogram: () => b.histogramNew(),
    MinMax: () => b.minmaxNew(),
    Timer: () => b.timerNew(),
    NativeHistogram: () => b.nativeHistogramNew(),
    RateTracker: () => b.rateTrackerNew(['a'], [b.counterNew()]),
    ThroughputWindow: () => b.throughputNew(1000, 10, 100),
    AsyncRecorder: () => b.asyncRecorderNew('counter', b.counterNew()),
    ShardedMap: () => b.shardedMapNew(),
    Ledger: () => b.ledgerNew(),
    SnapshotCell: () => b.snapshotCellNew('x'),
    OnceMap: () => b.onceMapNew(),
    'OnceMap ticket': () => b.onceMapClaim(b.onceMapNew(), 'k'),
    CancellationToken: () => b.cancellationNew(),
    Summary: () => b.summaryNew(),
    Info: () => b.infoNew(),
    Enum: () => b.enumNew(['a', 'b']),
    Registry: () => b.registryNew(),
    // A segment file of this thread's own, unlinked at the end.
    SharedRegistry: () => b.sharedRegistryNew(require('node:path').join(require('node:os').tmpdir(),
      'atomicperf-hostile-' + process.pid + '-' + require('node:worker_threads').threadId)),
  }
  const kinds = b.handleKinds()
  const handles = {}
  for (const kind of kinds) {
    if (!(kind in factories)) { failures.push('no factory for the handle kind ' + kind); continue }
    handles[kind] = await factories[kind]()
  }
  // Which kind of handle each function takes first, by the prefix of its name.
  const prefixes = [
    ['onceMapComplete', 'OnceMap ticket'], ['onceMapAbandon', 'OnceMap ticket'],
    ['counter', 'Counter'], ['gauge', 'Gauge'], ['histogram', 'Histogram'], ['minmax', 'MinMax'],
    ['timer', 'Timer'], ['nativeHistogram', 'NativeHistogram'], ['rateTracker', 'RateTracker'], ['throughput', 'ThroughputWindow'],
    ['asyncRecorder', 'AsyncRecorder'], ['shardedMap', 'ShardedMap'], ['ledger', 'Ledger'],
    ['snapshotCell', 'SnapshotCell'], ['onceMap', 'OnceMap'], ['cancellation', 'CancellationToken'],
    ['summary', 'Summary'],
    ['info', 'Info'], ['enum', 'Enum'],
    ['registry', 'Registry'], ['sharedRegistry', 'SharedRegistry'],
  ]
  const noHandle = new Set(['registryGlobal', 'registryNamed', 'registryContentTypes', 'benchRun', 'benchWorkloads',
    'benchIdentity', 'claimTrustedCalls', '__napiBindingTarget', 'ledgerStatusNames', 'statusNames', 'handleKinds', 'waitStats',
    'histogramBucketIndexes', 'sharedRegistryRemove', 'exportNegotiate', 'pushgatewayUrl'])
  const notHandles = [undefined, null, 0, 1n, 'x', {}, [], () => {}, new Uint8Array(8)]
  const covered = new Set()
  for (const name of Object.keys(t)) {
    if (typeof t[name] !== 'function' || noHandle.has(name) || name.endsWith('New')) continue
    const kind = prefixes.find(([p]) => name.startsWith(p))?.[1]
    if (kind === undefined) { failures.push('no kind for ' + name); continue }
    covered.add(kind)
    for (const [k, h] of Object.entries(handles)) {
      if (k !== kind) expectTypeError(name + '(' + k + ' handle)', kind, () => t[name](h, 1, 1, 1))
    }
    for (const v of notHandles) expectTypeError(name + '(' + String(v) + ')', kind, () => t[name](v, 1, 1, 1))
  }
  // Handles in later arguments: every wrong kind where another handle is expected.
  for (const [k, h] of Object.entries(handles)) {
    if (k !== 'Histogram') expectTypeError('histogramMerge(_, ' + k + ')', 'Histogram', () => t.histogramMerge(handles.Histogram, h))
    if (k !== 'NativeHistogram') {
      expectTypeError('nativeHistogramMerge(_, ' + k + ')', 'NativeHistogram', () => t.nativeHistogramMerge(handles.NativeHistogram, h))
    }
    if (k !== 'Registry') expectTypeError('registrySame(_, ' + k + ')', 'Registry', () => t.registrySame(handles.Registry, h))
    if (k !== 'SharedRegistry') {
      expectTypeError('sharedRegistrySame(_, ' + k + ')', 'SharedRegistry', () => t.sharedRegistrySame(handles.SharedRegistry, h))
    }
    if (k !== 'Counter') expectTypeError('rateTrackerNew(_, [' + k + '])', 'Counter', () => t.rateTrackerNew(['a'], [h]))
    for (const [metric, wanted] of [['counter', 'Counter'], ['gauge', 'Gauge'], ['histogram', 'Histogram'], ['timer', 'Timer'], ['minmax', 'MinMax']]) {
      if (k !== wanted) expectTypeError('asyncRecorderNew(' + metric + ', ' + k + ')', wanted, () => t.asyncRecorderNew(metric, h))
    }
  }
  // index.js still works in this thread, whoever loaded binding.js first.
  const { Counter } = require(${JSON.stringify(PKG)})
  const c = new Counter()
  c.add(2)
  if (c.get() !== 2) failures.push('Counter after the attack: ' + c.get())
  t.onceMapAbandon(handles['OnceMap ticket'])
  t.sharedRegistryUnlink(handles.SharedRegistry)
  return { calls, failures, kinds, covered: [...covered].sort() }
})()`

const child = `
  const { Worker } = require('node:worker_threads')
  const w = new Worker(${JSON.stringify(`${attack}.then((r) => require('node:worker_threads').parentPort.postMessage(r))`)}, { eval: true })
  w.once('error', (e) => { console.error(e); process.exit(3) })
  w.once('message', async (fromWorker) => {
    const main = await ${attack}
    console.log(JSON.stringify({ worker: fromWorker, main }))
  })
`

test('every native function, given a handle of every other kind, throws a TypeError and never crashes', () => {
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.signal, null, `the child was killed by ${r.signal}: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  const { worker, main } = JSON.parse(r.stdout)
  for (const [where, { calls, failures, kinds, covered }] of Object.entries({ worker, main })) {
    assert.deepEqual(failures, [], where)
    assert.equal(kinds.length, 20, `${where}: ${kinds}`)
    // Every kind is the expected kind of some function, so every kind was refused as the wrong one.
    assert.deepEqual(covered, [...kinds].sort(), where)
    assert.ok(calls > 17 * 16 * 10, `${where}: only ${calls} calls`)
  }
})
