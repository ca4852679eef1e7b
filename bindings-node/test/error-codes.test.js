'use strict'
// The error codes index.d.ts declares are the ones the package uses: AtomicperfErrorCode is
// exactly the status table the addon reports from (statusNames(), the core's table without the
// C-only rows), and every code the JavaScript layer sets is declared too.
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
  for (const s of members) assert.match(s, /^'AP_[A-Z_]+'$/, `${name} has a member that is not a code literal: ${s}`)
  return members.map((s) => s.slice(1, -1))
}

/** Every 'AP_...' string literal of the package's JavaScript files. */
function codesInJs() {
  const files = ['index.js', ...fs.readdirSync(path.join(PKG, 'lib')).map((f) => path.join('lib', f))]
  const codes = new Set()
  for (const f of files.filter((f) => f.endsWith('.js'))) {
    for (const [, code] of fs.readFileSync(path.join(PKG, f), 'utf8').matchAll(/'(AP_ERR_[A-Z_]+)'/g)) codes.add(code)
  }
  return codes
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
    ['AP_ERR_BUFFER_TOO_SMALL', 'AP_ERR_EMPTY', 'AP_ERR_NULL_HANDLE', 'AP_ERR_NULL_POINTER', 'AP_OK'])
})

test('every code the JavaScript layer sets is declared, and the JS-only codes are not statuses', () => {
  const statuses = new Set(union('AtomicperfErrorCode'))
  const jsOnly = union('AtomicperfJsErrorCode')
  const used = codesInJs()
  for (const code of used) {
    assert.ok(statuses.has(code) || jsOnly.includes(code), `${code} is used in the JS layer but not declared in index.d.ts`)
  }
  for (const code of jsOnly) {
    assert.ok(used.has(code), `${code} is declared as a JS code but no JS file sets it`)
    assert.ok(!native.ledgerStatusNames().includes(code), `${code} is a status of the core's table`)
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
