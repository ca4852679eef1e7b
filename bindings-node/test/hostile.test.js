'use strict'
// Hostile JavaScript against the native functions: binding.js is reachable by absolute path
// whatever the package's exports map says, so a module can load it before index.js does (in a
// fresh worker thread, say) and call every function with handles of the wrong kind. Each call
// must throw a TypeError with a code; none may crash the process. Run in a child process, so
// that a crash fails the test instead of killing the test runner.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawnSync } = require('node:child_process')

const BINDING = require.resolve('../binding.js')
const PKG = require.resolve('..')

// Runs in a fresh worker of the child (before anything loaded index.js there) and then in the
// child's main thread. Posts or prints {calls, failures}.
const attack = `
  const b = require(${JSON.stringify(BINDING)})
  // Whoever claims first would get an unchecked build, if there were one.
  const claimed = typeof b.claimTrustedCalls === 'function' ? b.claimTrustedCalls() : null
  const t = claimed ?? b
  const failures = []
  let calls = 0
  const expectTypeError = (what, fn) => {
    calls++
    try {
      const r = fn()
      if (r && typeof r.then === 'function') r.catch(() => {})
      failures.push(what + ': returned ' + typeof r)
    } catch (e) {
      if (!(e instanceof TypeError) || e.code !== 'AP_ERR_INVALID_ARGUMENT') {
        failures.push(what + ': threw ' + (e && e.constructor && e.constructor.name) + ' ' + (e && e.code) + ' ' + (e && e.message))
      }
    }
  }
  // The sequence of the original report.
  expectTypeError('counterAdd(histogram handle)', () => t.counterAdd(b.histogramNew(), 1))
  const handles = {
    counter: b.counterNew(), gauge: b.gaugeNew(), histogram: b.histogramNew(), minmax: b.minmaxNew(),
    timer: b.timerNew(), rateTracker: b.rateTrackerNew(['a'], [b.counterNew()]),
    throughput: b.throughputNew(1000, 10, 100), asyncRecorder: b.asyncRecorderNew('counter', b.counterNew()),
    shardedMap: b.shardedMapNew(), ledger: b.ledgerNew(), snapshotCell: b.snapshotCellNew('x'),
    onceMap: b.onceMapNew(), cancellation: b.cancellationNew(), registry: b.registryNew(),
  }
  const kinds = Object.keys(handles).sort((x, y) => y.length - x.length)
  const noHandle = new Set(['registryGlobal', 'registryNamed', 'registryContentTypes', 'benchRun', 'benchWorkloads',
    'benchIdentity', 'claimTrustedCalls', '__napiBindingTarget', 'ledgerStatusNames'])
  for (const name of Object.keys(t)) {
    if (typeof t[name] !== 'function' || noHandle.has(name) || name.endsWith('New')) continue
    // onceMapComplete / onceMapAbandon take a ticket: every handle here is of another kind.
    const kind = name.startsWith('onceMapComplete') || name.startsWith('onceMapAbandon')
      ? 'ticket' : kinds.find((k) => name.startsWith(k))
    if (kind === undefined) { failures.push('no kind for ' + name); continue }
    for (const [k, h] of Object.entries(handles)) {
      if (k !== kind) expectTypeError(name + '(' + k + ' handle)', () => t[name](h, 1, 1, 1))
    }
  }
  // Handles as later arguments.
  expectTypeError('histogramMerge', () => t.histogramMerge(handles.histogram, handles.timer))
  expectTypeError('registrySame', () => t.registrySame(handles.registry, handles.counter))
  expectTypeError('rateTrackerNew', () => t.rateTrackerNew(['a'], [handles.histogram]))
  expectTypeError('asyncRecorderNew', () => t.asyncRecorderNew('counter', handles.gauge))
  // index.js still works in this thread, whoever loaded binding.js first.
  const { Counter } = require(${JSON.stringify(PKG)})
  const c = new Counter()
  c.add(2)
  if (c.get() !== 2) failures.push('Counter after the attack: ' + c.get())
  const result = { calls, failures }
`

const child = `
  const { Worker } = require('node:worker_threads')
  const w = new Worker(${JSON.stringify(`${attack}; require('node:worker_threads').parentPort.postMessage(result)`)}, { eval: true })
  w.once('error', (e) => { console.error(e); process.exit(3) })
  w.once('message', (fromWorker) => {
    ${attack}
    console.log(JSON.stringify({ worker: fromWorker, main: result }))
  })
`

test('a module that loads binding.js first and passes wrong-kind handles gets TypeErrors, no crash', () => {
  const r = spawnSync(process.execPath, ['-e', child], { encoding: 'utf8', timeout: 120_000 })
  assert.equal(r.signal, null, `the child was killed by ${r.signal}: ${r.stderr}`)
  assert.equal(r.status, 0, r.stderr)
  const { worker, main } = JSON.parse(r.stdout)
  for (const [where, { calls, failures }] of Object.entries({ worker, main })) {
    assert.deepEqual(failures, [], where)
    assert.ok(calls > 500, `${where}: only ${calls} calls`)
  }
})
