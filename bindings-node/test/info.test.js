'use strict'
// Info and Enum: standalone and from a registry, their exports, errors, and the typings.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Info, Enum, Registry } = require('..')

const code = (c, ctor = Error) => (e) => e instanceof ctor && e.code === c

test('an Info replaces its pairs, read back in name order', () => {
  const i = new Info()
  assert.deepEqual(i.get(), {})
  i.set({ version: '1.4.2', commit: '9b339de' })
  assert.deepEqual(Object.entries(i.get()), [['commit', '9b339de'], ['version', '1.4.2']])
  i.set({ build: 7 }) // numbers as label values, as everywhere in the package
  assert.deepEqual(i.get(), { build: '7' })
  i.set({})
  assert.deepEqual(i.get(), {})
  assert.equal(String(new Info()), 'Info({})')
})

test('an Info refuses bad label names and keeps its pairs', () => {
  const i = new Info()
  i.set({ version: '1' })
  for (const bad of [{ '1x': 'v' }, { __x: 'v' }, { 'a-b': 'v' }]) {
    assert.throws(() => i.set(bad), code('AP_ERR_INVALID_ARGUMENT'), JSON.stringify(bad))
  }
  assert.throws(() => i.set('version=1'), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.throws(() => i.set({ v: {} }), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.deepEqual(i.get(), { version: '1' })
})

test('a registry Info exports one sample, its family labels first', () => {
  const r = new Registry()
  const build = r.info('build', { help: 'Build facts.', labels: { service: 'api' } })
  build.set({ version: '1.2', commit: 'abc' })
  // Another look-up is the same series.
  assert.deepEqual(r.info('build', { labels: { service: 'api' } }).get(), { commit: 'abc', version: '1.2' })
  const text = r.metrics()
  assert.match(text, /# TYPE build_info gauge\n/)
  assert.ok(text.includes('build_info{service="api",commit="abc",version="1.2"} 1\n'), text)
  assert.match(r.metrics({ format: 'openmetrics' }), /# TYPE build info\n/)
  assert.throws(() => build.set({ service: 'x' }), code('AP_ERR_INVALID_ARGUMENT'))
  assert.throws(() => r.counter('build'), code('AP_ERR_INVALID_ARGUMENT'))
  assert.throws(() => r.info(7), code('AP_ERR_INVALID_ARGUMENT', TypeError))
})

test('an Enum starts in its first state and refuses unknown ones', () => {
  const e = new Enum(['starting', 'running', 'stopped'])
  assert.equal(e.get(), 'starting')
  assert.equal(e.index, 0)
  assert.deepEqual(e.states, ['starting', 'running', 'stopped'])
  e.set('running')
  assert.equal(e.get(), 'running')
  assert.equal(e.index, 1)
  assert.throws(() => e.set('exploded'), (err) => err.code === 'AP_ERR_INVALID_ARGUMENT' && /exploded/.test(err.message))
  assert.equal(e.get(), 'running')
  assert.throws(() => e.set(1), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.equal(String(e), 'Enum(running)')
})

test('an Enum refuses bad states', () => {
  for (const bad of [[], ['a', ''], ['a', 'a']]) {
    assert.throws(() => new Enum(bad), code('AP_ERR_INVALID_ARGUMENT'), JSON.stringify(bad))
  }
  assert.throws(() => new Enum('abc'), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.throws(() => new Enum([1, 2]), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.throws(() => new Enum(), code('AP_ERR_INVALID_ARGUMENT', TypeError))
})

test('a registry Enum exports one sample per state', () => {
  const r = new Registry()
  const task = r.enum('task_state', { help: 'Task.', labels: { task: 'mail' }, states: ['idle', 'busy'] })
  task.set('busy')
  // The states of an existing family are ignored: the same series, in its state.
  assert.equal(r.enum('task_state', { labels: { task: 'mail' }, states: ['other'] }).get(), 'busy')
  const text = r.metrics()
  assert.ok(text.includes('task_state{task="mail",task_state="idle"} 0\n'), text)
  assert.ok(text.includes('task_state{task="mail",task_state="busy"} 1\n'), text)
  assert.match(r.metrics({ format: 'openmetrics' }), /# TYPE task_state stateset\n/)
  assert.throws(() => r.enum('other_state'), code('AP_ERR_INVALID_ARGUMENT', TypeError))
  assert.throws(() => r.enum('a:b', { states: ['x'] }), code('AP_ERR_INVALID_ARGUMENT'))
  assert.throws(() => r.enum('st', { labels: { st: '1' }, states: ['x'] }), code('AP_ERR_INVALID_ARGUMENT'))
})

test('index.d.ts declares exactly the methods and properties of Info and Enum', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  for (const [name, cls] of [['Info', Info], ['Enum', Enum]]) {
    const body = dts.match(new RegExp(`export declare class ${name} \\{\\n([\\s\\S]*?)\\n\\}\\n`))
    assert.ok(body, `index.d.ts declares no class ${name}`)
    const declared = new Set()
    for (const line of body[1].split('\n')) {
      const m = line.match(/^ {2}(?:readonly )?([A-Za-z_]+)[(:?]/)
      if (m && m[1] !== 'constructor') declared.add(m[1])
    }
    const actual = Object.getOwnPropertyNames(cls.prototype).filter((k) => k !== 'constructor')
    assert.deepEqual([...declared].sort(), actual.sort(), name)
  }
})
