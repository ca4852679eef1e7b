'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const util = require('node:util')
const { Gauge } = require('..')
const { type } = require('./helpers')

test('a new gauge starts at 0 or at the given value', () => {
  assert.equal(new Gauge().get(), 0)
  assert.equal(new Gauge(2.5).get(), 2.5)
  assert.equal(new Gauge(undefined).get(), 0)
})

test('set add sub inc dec', () => {
  const g = new Gauge()
  g.set(3.5)
  g.add(1.5)
  g.sub(2)
  g.inc()
  g.dec()
  g.dec()
  assert.equal(g.get(), 2)
  g.add(-5)
  assert.equal(g.get(), -3)
})

test('setMax only raises and setMin only lowers', () => {
  const g = new Gauge(5)
  g.setMax(3)
  assert.equal(g.get(), 5)
  g.setMax(7)
  assert.equal(g.get(), 7)
  g.setMin(9)
  assert.equal(g.get(), 7)
  g.setMin(-1)
  assert.equal(g.get(), -1)
})

test('NaN and infinities are values: set stores them, setMax and setMin ignore NaN', () => {
  const g = new Gauge(1)
  g.setMax(NaN)
  g.setMin(NaN)
  assert.equal(g.get(), 1)
  g.set(Infinity)
  assert.equal(g.get(), Infinity)
  g.set(NaN)
  assert.ok(Number.isNaN(g.get()))
})

test('every method that takes a value rejects non-numbers with TypeError', () => {
  const g = new Gauge()
  for (const bad of ['1', 1n, null, undefined, {}, true]) {
    for (const m of ['set', 'add', 'sub', 'setMax', 'setMin']) type(() => g[m](bad))
  }
  for (const bad of ['1', 1n, null, {}]) type(() => new Gauge(bad))
  assert.equal(g.get(), 0)
})

test('inspect and toString show the value', () => {
  const g = new Gauge(1.25)
  assert.equal(String(g), 'Gauge(1.25)')
  assert.equal(util.inspect(g), 'Gauge { value: 1.25 }')
})
