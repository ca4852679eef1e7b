'use strict'
// The native functions behind the classes are reachable by anyone who loads `binding.js`; they
// must reject every value that is not a handle of the right kind rather than crash.
const test = require('node:test')
const assert = require('node:assert/strict')
const native = require('../binding.js')
const { type } = require('./helpers')

const handles = {
  Counter: native.counterNew(),
  Gauge: native.gaugeNew(),
  Histogram: native.histogramNew(),
}

test('there is no unchecked build of the native functions to claim', () => {
  require('..')
  assert.equal(native.claimTrustedCalls, undefined)
})

const byKind = {
  Counter: Object.keys(native).filter((k) => k.startsWith('counter') && k !== 'counterNew'),
  Gauge: Object.keys(native).filter((k) => k.startsWith('gauge') && k !== 'gaugeNew'),
  // histogramBucketIndexes takes a precision, not a handle.
  Histogram: Object.keys(native).filter((k) => k.startsWith('histogram') && k !== 'histogramNew' && k !== 'histogramBucketIndexes'),
}

test('every native function rejects a missing, foreign or wrong-kind handle with TypeError', () => {
  const notHandles = [undefined, null, 0, 1, 'x', {}, [], 1n, Symbol('h'), () => {}]
  for (const [kind, names] of Object.entries(byKind)) {
    assert.ok(names.length >= 5, `${kind}: ${names}`)
    const others = Object.entries(handles).filter(([k]) => k !== kind).map(([, h]) => h)
    for (const name of names) {
      for (const bad of [...notHandles, ...others]) type(() => native[name](bad, 1, 1))
    }
  }
})

test('histogramMerge rejects a second argument that is not a histogram handle', () => {
  for (const bad of [undefined, {}, handles.Counter]) type(() => native.histogramMerge(handles.Histogram, bad))
})

test('benchIdentity returns its argument (napi-derive 3.5.10 with napi 3 works)', () => {
  assert.equal(native.benchIdentity(42.5), 42.5)
  assert.throws(() => native.benchIdentity('x'))
})
