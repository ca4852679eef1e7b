'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { Worker } = require('node:worker_threads')
const { Ledger } = require('..')
const { throwsCode, range, type } = require('./helpers')

function coded(fn, code, props = {}) {
  assert.throws(fn, (e) => {
    assert.ok(e instanceof Error)
    assert.equal(e.constructor, Error, `expected a plain Error, got ${e.constructor.name}`)
    assert.equal(e.code, code, e.message)
    for (const [k, v] of Object.entries(props)) assert.equal(e[k], v, k)
    return true
  })
}

function bank() {
  const l = new Ledger()
  l.open(1)
  l.open(2n)
  l.open(3, { overdraft: true })
  assert.equal(l.deposit(1, 100), 100)
  return l
}

test('Ledger: open, deposit, withdraw, transfer, balance, total, size', () => {
  const l = bank()
  assert.equal(l.size, 3)
  assert.equal(l.withdraw(1, 30), 70)
  assert.equal(l.transfer(1, 2, 20), undefined)
  assert.deepEqual([l.balance(1), l.balance(2n), l.balance(3)], [50, 20, 0])
  assert.equal(l.withdraw(3, 5n), -5) // overdraft
  assert.equal(l.total(), 65)
  assert.equal(l.totalBigInt(), 65n)
  assert.equal(l.balanceBigInt(3), -5n)
  l.open(2n ** 64n - 1n) // the largest id
  assert.equal(l.deposit(2n ** 64n - 1n, 1), 1)
  assert.match(String(l), /Ledger\(accounts=4, total=66\)/)
})

test('Ledger: each core error is an Error with its own code and the values involved', () => {
  const l = bank()
  coded(() => l.open(1), 'AP_ERR_ACCOUNT_EXISTS', { account: 1 })
  coded(() => l.deposit(9, 1), 'AP_ERR_UNKNOWN_ACCOUNT', { account: 9 })
  coded(() => l.balance(9), 'AP_ERR_UNKNOWN_ACCOUNT', { account: 9 })
  coded(() => l.balanceBigInt(9), 'AP_ERR_UNKNOWN_ACCOUNT')
  coded(() => l.transfer(1, 9, 1), 'AP_ERR_UNKNOWN_ACCOUNT', { account: 9 })
  coded(() => l.deposit(1, 0), 'AP_ERR_INVALID_AMOUNT', { amount: 0 })
  coded(() => l.withdraw(1, -5), 'AP_ERR_INVALID_AMOUNT', { amount: -5 })
  coded(() => l.transfer(1, 2, -1n), 'AP_ERR_INVALID_AMOUNT', { amount: -1 })
  coded(() => l.transfer(1, 1, 5), 'AP_ERR_SAME_ACCOUNT', { account: 1 })
  coded(() => l.withdraw(1, 101), 'AP_ERR_INSUFFICIENT_FUNDS', { account: 1, balance: 100, amount: 101 })
  coded(() => l.transfer(2, 1, 5), 'AP_ERR_INSUFFICIENT_FUNDS', { account: 2, balance: 0, amount: 5 })
  assert.equal(l.deposit(2, 2n ** 63n - 1n), 2n ** 63n - 1n) // beyond 2^53: a BigInt
  coded(() => l.deposit(2, 1), 'AP_ERR_OVERFLOW', { account: 2 })
  coded(() => l.transfer(1, 2, 1), 'AP_ERR_OVERFLOW', { account: 2 })
  // Nothing changed on error.
  assert.equal(l.balance(1), 100)
  range(() => l.balance(2)) // a number would lose precision
  assert.equal(l.balanceBigInt(2), 2n ** 63n - 1n)
  range(() => l.total())
  assert.equal(l.totalBigInt(), 2n ** 63n - 1n + 100n)
})

test('Ledger: bad ids, amounts and options are TypeError/RangeError with codes', () => {
  const l = bank()
  for (const id of [-1, 1.5, NaN, Infinity, 2 ** 64, -1n, 2n ** 64n]) {
    range(() => l.deposit(id, 1))
    range(() => l.open(id))
  }
  for (const id of ['1', null, undefined, {}, true]) {
    type(() => l.deposit(id, 1))
    type(() => l.transfer(1, id, 1))
    type(() => l.balance(id))
  }
  for (const a of [1.5, NaN, Infinity, -Infinity, 2 ** 63, -(2 ** 64), 2n ** 63n, -(2n ** 63n) - 1n]) range(() => l.deposit(1, a))
  for (const a of ['1', null, undefined, {}, true]) type(() => l.withdraw(1, a))
  type(() => l.open(5, { overdraft: 'yes' }))
  type(() => l.open(5, 1))
  assert.equal(l.size, 3)
  assert.equal(l.total(), 100)
})

test('Ledger: many interleaved async transfers conserve the total', async () => {
  const l = new Ledger()
  const N = 64
  for (let i = 0; i < N; i++) {
    l.open(i, { overdraft: i % 8 === 0 })
    l.deposit(i, 1000)
  }
  let seed = 42
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  let ok = 0
  let refused = 0
  await Promise.all(Array.from({ length: 32 }, async () => {
    for (let i = 0; i < 500; i++) {
      const from = rand(N)
      const to = (from + 1 + rand(N - 1)) % N
      try {
        l.transfer(from, to, 1 + rand(300))
        ok++
      } catch (e) {
        assert.equal(e.code, 'AP_ERR_INSUFFICIENT_FUNDS')
        refused++
      }
      if (i % 16 === 0) await new Promise(setImmediate)
    }
  }))
  assert.equal(ok + refused, 32 * 500)
  assert.ok(ok > 0)
  assert.equal(l.total(), N * 1000)
  for (let i = 0; i < N; i++) if (i % 8 !== 0) assert.ok(l.balance(i) >= 0)
})

test('Ledger: works in a worker thread (its own ledger)', async () => {
  const code = `
    const { parentPort } = require('node:worker_threads')
    const { Ledger } = require(${JSON.stringify(require.resolve('..'))})
    const l = new Ledger()
    for (let i = 1; i <= 10; i++) { l.open(i); l.deposit(i, 100) }
    let refused = 0
    for (let i = 0; i < 20000; i++) {
      const from = 1 + (i * 7) % 10, to = 1 + (i * 3 + 1) % 10
      if (from === to) continue
      try { l.transfer(from, to, 1 + (i % 50)) } catch (e) { if (e.code !== 'AP_ERR_INSUFFICIENT_FUNDS') throw e; refused++ }
    }
    parentPort.postMessage({ total: l.total(), size: l.size })
  `
  const result = await new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true })
    w.once('message', resolve)
    w.once('error', reject)
  })
  assert.deepEqual(result, { total: 1000, size: 10 })
})

test('Ledger: throwsCode helper agrees on plain Errors', () => {
  throwsCode(() => new Ledger().balance(1), Error, 'AP_ERR_UNKNOWN_ACCOUNT')
})
