'use strict'
// No binding invents a code: every code the package sets on an error is a status of the core's
// table or one of Node's own standard codes. AtomicperfErrorCode in index.d.ts is exactly the
// status table the addon reports from (statusNames(), the core's table without the C-only rows);
// AtomicperfJsErrorCode is exactly the standard codes the JavaScript layer sets.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const native = require('../binding.js')
const PKG = path.resolve(__dirname, '..')
const DTS = fs.readFileSync(path.join(PKG, 'index.d.ts'), 'utf8')

/** The string literals of `export type <name> = 'A' | 'B' ...` in index.d.ts. */
function union(name) {
  const m = DTS.match(new RegExp(`export type ${name} =([\\s\\S]*?)\\n(?:\\n|/|export)`))
  assert.ok(m, `index.d.ts declares no type ${name}`)
  const members = m[1].split('|').map((s) => s.trim()).filter((s) => s !== '')
  for (const s of members) assert.match(s, /^'[A-Z_]+'$/, `${name} has a member that is not a code literal: ${s}`)
  return members.map((s) => s.slice(1, -1))
}

/**
 * Every code the package's JavaScript files set on an error: each 'AP_ERR_*' literal, and the
 * literal of every `.code = '...'` and `withCode(..., '...')`.
 */
function codesInJs() {
  const files = ['index.js', ...fs.readdirSync(path.join(PKG, 'lib')).map((f) => path.join('lib', f))]
  const codes = new Set()
  for (const f of files.filter((f) => f.endsWith('.js'))) {
    const text = fs.readFileSync(path.join(PKG, f), 'utf8')
    for (const re of [/'(AP_ERR_[A-Z_]+)'/g, /\.code = '([^']+)'/g, /withCode\([^;]*?,\s*'([^']+)',?\s*\)/g]) {
      for (const [, code] of text.matchAll(re)) codes.add(code)
    }
  }
  return codes
}

/** Node's standard codes the package may use, each checked against what Node itself sets. */
const NODE_CODES = {
  MODULE_NOT_FOUND: () => require(path.join(__dirname, 'no-such-module')),
}

test('AtomicperfErrorCode in index.d.ts is the set of status codes the native module reports', () => {
  const declared = union('AtomicperfErrorCode')
  const reported = native.statusNames()
  assert.equal(new Set(declared).size, declared.length, 'a code is listed twice')
  assert.deepEqual([...declared].sort(), [...reported].sort())
})

test('statusNames() is the core table without the rows only the C ABI reports', () => {
  const reported = native.statusNames()
  // ledgerStatusNames() is the whole table, by code (what transferMany's status bytes index).
  const table = native.ledgerStatusNames()
  assert.deepEqual(table.filter((n) => reported.includes(n)), reported, 'same order as the table')
  assert.deepEqual(table.filter((n) => !reported.includes(n)).sort(),
    ['AP_ERR_BUFFER_TOO_SMALL', 'AP_ERR_EMPTY', 'AP_ERR_IO', 'AP_ERR_NULL_HANDLE', 'AP_ERR_NULL_POINTER', 'AP_OK'])
})

test("every code the JavaScript layer sets is the core's or Node's own, and is declared", () => {
  for (const [code, provoke] of Object.entries(NODE_CODES)) {
    assert.throws(provoke, (e) => e.code === code, `Node does not set ${code}`)
  }
  const table = new Set(native.ledgerStatusNames())
  const statuses = new Set(union('AtomicperfErrorCode'))
  const standard = union('AtomicperfJsErrorCode')
  const used = codesInJs()
  assert.ok(used.has('AP_ERR_INVALID_ARGUMENT') && used.has('MODULE_NOT_FOUND'), `codes found: ${[...used]}`)
  for (const code of used) {
    assert.ok(table.has(code) || code in NODE_CODES,
      `${code} is set by the JS layer but is neither a status of the core's table nor a Node standard code`)
    assert.ok(statuses.has(code) || standard.includes(code), `${code} is used in the JS layer but not declared in index.d.ts`)
  }
  for (const code of standard) {
    assert.ok(code in NODE_CODES, `${code} is declared as a Node standard code but is not one`)
    assert.ok(used.has(code), `${code} is declared as a JS code but no JS file sets it`)
  }
  assert.match(DTS, /export type AtomicperfAnyErrorCode = AtomicperfErrorCode \| AtomicperfJsErrorCode\n/)
})

test('errors thrown by the native module carry codes of the declared union', async () => {
  const ap = require('..')
  const declared = new Set(union('AtomicperfErrorCode'))
  const codeOf = (fn) => {
    try {
      fn()
    } catch (e) {
      return e.code
    }
    assert.fail('did not throw')
  }
  const ledger = new ap.Ledger()
  ledger.open(1)
  const cell = new ap.SnapshotCell('x')
  const samples = [
    codeOf(() => new ap.Counter().add(-1)),
    codeOf(() => new ap.Counter().add('1')),
    codeOf(() => ledger.withdraw(1, 5)),
    codeOf(() => ledger.open(1)),
    codeOf(() => ledger.deposit(2, 1)),
    codeOf(() => cell.compareAndStore(7, 'y')),
  ]
  assert.deepEqual(samples, ['AP_ERR_OUT_OF_RANGE', 'AP_ERR_INVALID_ARGUMENT', 'AP_ERR_INSUFFICIENT_FUNDS',
    'AP_ERR_ACCOUNT_EXISTS', 'AP_ERR_UNKNOWN_ACCOUNT', 'AP_ERR_REVISION_MISMATCH'])
  for (const code of samples) assert.ok(declared.has(code), code)
})
