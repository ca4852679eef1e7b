'use strict'
// The shared conformance cases (tests/conformance/cases/*.txt, format in
// tests/conformance/README.md) run against the Node binding.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ap = require('..')

const CASES = path.join(__dirname, '..', '..', 'tests', 'conformance', 'cases')

function tokenize (line) {
  const toks = []
  let i = 0
  for (;;) {
    while (i < line.length && /\s/.test(line[i])) i++
    if (i >= line.length) return toks
    let text = ''
    let quoted = false
    let inQuote = false
    while (i < line.length && (inQuote || !/\s/.test(line[i]))) {
      const c = line[i++]
      if (c === '"') {
        inQuote = !inQuote
        quoted = true
      } else if (c === '\\' && inQuote && i < line.length) {
        const e = line[i++]
        text += e === 'n' ? '\n' : e
      } else {
        text += c
      }
    }
    toks.push({ text, quoted })
  }
}

function parse (file) {
  const cases = []
  fs.readFileSync(path.join(CASES, file), 'utf8').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '')
    if (line.startsWith('|')) {
      const steps = cases[cases.length - 1].steps
      steps[steps.length - 1].text += (line.startsWith('| ') ? line.slice(2) : line.slice(1)) + '\n'
      return
    }
    if (!line.trim() || line.startsWith('#')) return
    const toks = tokenize(line)
    if (toks[0].text === 'case' && !toks[0].quoted) {
      cases.push({ name: toks[1].text, file, line: i + 1, steps: [] })
      return
    }
    const arrow = toks.findIndex((t) => t.text === '->' && !t.quoted)
    const op = (arrow < 0 ? toks : toks.slice(0, arrow)).map((t) => t.text)
    const expect = arrow < 0 ? null : toks.slice(arrow + 1)
    cases[cases.length - 1].steps.push({ line: i + 1, op, expect, text: '' })
  })
  return cases
}

const NONE = Symbol('none')
const FAILED = Symbol('failed')
const num = (s) => s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : Number(s)
// Integers as JS numbers when exact, else bigints (the binding takes both).
const int = (s) => Number.isSafeInteger(Number(s)) ? Number(s) : BigInt(s)
const opt = (v) => v === null || v === undefined ? NONE : v

/** `k=v` tokens as an object. */
function pairs (toks) {
  const out = {}
  for (const t of toks) {
    const eq = t.indexOf('=')
    out[t.slice(0, eq)] = t.slice(eq + 1)
  }
  return out
}

function register (r, kind, args, env) {
  const [name, help] = args
  const labels = {}
  let buckets
  let states
  let bind
  let mode
  for (let i = 2; i < args.length; i++) {
    if (args[i] === 'as') {
      bind = args[++i]
    } else if (args[i].startsWith('@mode=')) {
      mode = args[i].slice('@mode='.length)
    } else if (args[i].startsWith('@states=')) {
      states = args[i].slice('@states='.length).split(',')
    } else if (args[i].startsWith('@buckets=')) {
      buckets = args[i].slice('@buckets='.length).split(',').map(num)
    } else {
      const eq = args[i].indexOf('=')
      labels[args[i].slice(0, eq)] = args[i].slice(eq + 1)
    }
  }
  const options = buckets ? { help, labels, buckets, scale: 1 } : { help, labels }
  if (mode) options.mode = mode
  if (states) options.states = states
  const metric = r[kind](name, options)
  if (bind) env[bind] = metric
}

let sharedIds = 0

function create (ty, a) {
  switch (ty) {
    case 'counter': return new ap.Counter()
    case 'gauge': return a.length ? new ap.Gauge(num(a[0])) : new ap.Gauge()
    case 'minmax': return new ap.MinMax()
    case 'histogram':
      return a.length ? new ap.Histogram({ significantFigures: Number(a[0]), highest: BigInt(a[1]) }) : new ap.Histogram()
    case 'timer': return new ap.Timer()
    case 'registry': return new ap.Registry()
    case 'native': return a.length ? new ap.NativeHistogram({ schema: Number(a[0]) }) : new ap.NativeHistogram()
    case 'shared': {
      // A new segment of its own; its file is removed at once (the registry keeps working).
      const opts = { dir: os.tmpdir() }
      for (const o of a) {
        const [k, v] = o.split('=')
        if (k !== 'max_series') throw new Error(`unknown shared registry option ${o}`)
        opts.maxSeries = Number(v)
      }
      const r = new ap.SharedRegistry(`conformance-node-${process.pid}-${sharedIds++}`, opts)
      r.unlink()
      return r
    }
    case 'ledger': return new ap.Ledger()
    case 'oncemap': return new ap.OnceMap()
    case 'cell': return new ap.SnapshotCell(Buffer.from(a[0]))
    case 'map': return a.length ? new ap.ShardedMap({ shards: Number(a[0]) }) : new ap.ShardedMap()
  }
  throw new Error(`unknown type ${ty}`)
}

async function call (env, v, op, a) {
  const o = env[v]
  const key = () => Buffer.from(a[0])
  if (o instanceof ap.NativeHistogram) {
    switch (op) {
      case 'record': return o.record(num(a[0]))
      case 'quantile': return opt(o.quantile(num(a[0])))
      case 'count': return o.count()
      case 'zero_count': return o.zeroCount()
    }
    const snap = o.snapshot()
    if (op === 'nan_count') return snap.nanCount
    const found = snap[op].find(([key]) => key === Number(a[0]))
    return found ? found[1] : 0
  }
  if (o instanceof ap.SharedRegistry) {
    if (op === 'export') return o.metrics({ format: a[0] })
    if (op === 'series_count') return o.seriesCount
    if (op === 'refused_series') return o.refusedSeries
    if (op === 'max_series') return o.maxSeries
    return register(o, op, a, env)
  }
  if (o instanceof ap.Registry) {
    if (op === 'negotiate') return Buffer.from(ap.negotiate(a[0]).format)
    if (op === 'export') return o.metrics({ format: a[0] })
    if (op === 'series_limit') {
      o.seriesLimit = Number(a[0]) > 0 ? Number(a[0]) : null
      return undefined
    }
    if (op === 'series_count') return o.seriesCount
    if (op === 'refused_series') return o.refusedSeries
    if (op === 'remove') return o.remove(a[0], pairs(a.slice(1)))
    if (op === 'clear_family') return o.clearFamily(a[0])
    if (op === 'clear') return o.clear()
    return register(o, op, a, env)
  }
  if (o instanceof ap.Info && op === 'set') return o.set(pairs(a))
  if (o instanceof ap.Enum) return op === 'set' ? o.set(a[0]) : Buffer.from(o.get())
  if (o instanceof ap.Counter && op === 'add_exemplar') return o.addWithExemplar(int(a[0]), pairs(a.slice(1)))
  if (o instanceof ap.Histogram && op === 'record_exemplar') return o.recordWithExemplar(int(a[0]), pairs(a.slice(1)))
  if (o instanceof ap.Ledger) {
    switch (op) {
      case 'open': return o.open(int(a[0]), { overdraft: a[1] === 'overdraft' })
      case 'deposit': return o.deposit(int(a[0]), int(a[1]))
      case 'withdraw': return o.withdraw(int(a[0]), int(a[1]))
      case 'transfer': return o.transfer(int(a[0]), int(a[1]), int(a[2]))
      case 'balance': return o.balanceBigInt(int(a[0]))
      case 'total': return o.totalBigInt()
    }
  }
  if (o instanceof ap.OnceMap) {
    switch (op) {
      case 'init': return o.getOrInit(key(), () => Buffer.from(a[1]))
      case 'fail': {
        const failure = new Error('initialiser failed')
        try {
          return await o.getOrInit(key(), () => { throw failure })
        } catch (e) {
          assert.equal(e, failure, 'another error than the initialiser\'s')
          return FAILED
        }
      }
      case 'get': return opt(o.get(key()))
      case 'remove': return o.delete(key())
      case 'len': return o.size
    }
  }
  if (o instanceof ap.SnapshotCell) {
    switch (op) {
      case 'load': return o.load()
      case 'revision': return o.revision
      case 'store': return o.store(Buffer.from(a[0]))
      case 'cas': return o.compareAndStore(int(a[0]), Buffer.from(a[1]))
    }
  }
  if (o instanceof ap.ShardedMap) {
    switch (op) {
      case 'insert': return o.insert(key(), Buffer.from(a[1])) !== undefined
      case 'get': return opt(o.get(key()))
      case 'remove': return o.remove(key()) !== undefined
      case 'contains': return o.has(key())
      case 'len': return o.size
    }
  }
  if (o instanceof ap.Timer && op === 'record') return o.record(int(a[0]), a[1] === 'ok')
  if (o instanceof ap.Gauge) {
    const m = { set_max: 'setMax', set_min: 'setMin' }[op] || op
    return o[m](...a.map(num))
  }
  // Counter, MinMax, Histogram, Timer statistics: exact integers through the bigint variants.
  const big = { get: 'getBigInt', count: 'countBigInt', sum: 'sumBigInt', errors: 'errorsBigInt', total: 'totalBigInt' }
  if (o instanceof ap.MinMax && (op === 'min' || op === 'max')) return opt(o[op + 'BigInt']())
  const m = big[op] || { record_n: 'recordN', overflow_count: 'overflowCount' }[op] || op
  return opt(o[m](...a.map((x) => op === 'quantile' ? num(x) : int(x))))
}

function check (got, err, expect, text) {
  const want = expect[0]
  if (err) return want.text === 'error' && err.code === expect[1].text
  if (want.quoted) return Buffer.isBuffer(got) && got.equals(Buffer.from(want.text))
  switch (want.text) {
    case 'ok': return true
    case 'none': return got === NONE
    case 'failed': return got === FAILED
    case 'text': return got === text
    case 'true': case 'false': return got === (want.text === 'true')
  }
  if (typeof got === 'bigint') return got === BigInt(want.text)
  if (typeof got === 'number') {
    const w = num(want.text)
    return Number.isNaN(w) ? Number.isNaN(got) : (Number.isInteger(got) && /^-?\d+$/.test(want.text) ? BigInt(got) === BigInt(want.text) : w === got)
  }
  return false
}

const show = (v) => typeof v === 'symbol' ? v.description : Buffer.isBuffer(v) ? JSON.stringify(v.toString()) : typeof v === 'string' ? JSON.stringify(v) : String(v)

async function run (c) {
  const env = {}
  for (const step of c.steps) {
    const [head, ...args] = step.op
    let got
    let err
    try {
      const dot = head.indexOf('.')
      if (dot >= 0) got = await call(env, head.slice(0, dot), head.slice(dot + 1), args)
      else env[args[0]] = create(head, args.slice(1))
    } catch (e) {
      if (typeof e.code !== 'string' || !e.code.startsWith('AP_')) throw new Error(`${c.file}:${step.line}: case ${c.name}: ${e.stack}`)
      err = e
    }
    const where = `${c.file}:${step.line}: case ${c.name}`
    if (!step.expect) {
      assert.ok(!err, `${where}: failed with ${err && err.code}: ${err && err.message}`)
    } else {
      const want = step.expect.map((t) => t.text).join(' ')
      assert.ok(check(got, err, step.expect, step.text),
        `${where}: expected ${want} ${JSON.stringify(step.text)}, got ${err ? `error ${err.code}: ${err.message}` : show(got)}`)
    }
  }
}

const files = fs.readdirSync(CASES).filter((f) => f.endsWith('.txt')).sort()
const all = files.flatMap(parse)

test('conformance: the shared cases are found', () => {
  assert.ok(all.length >= 150, `${all.length} cases`)
})

for (const file of files) {
  test(`conformance: ${file}`, async (t) => {
    for (const c of all.filter((x) => x.file === file)) {
      await t.test(c.name, () => run(c))
    }
  })
}
