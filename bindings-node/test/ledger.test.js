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

test('Ledger: close only an empty account; a closed one fails with AP_ERR_ACCOUNT_CLOSED until reopen', () => {
  const l = bank()
  coded(() => l.close(1), 'AP_ERR_ACCOUNT_NOT_EMPTY', { account: 1, balance: 100 })
  assert.equal(l.balance(1), 100)
  assert.equal(l.close(2), undefined)
  assert.equal(l.size, 2)
  for (const call of [
    () => l.balance(2), () => l.deposit(2, 1), () => l.withdraw(2, 1), () => l.transfer(1, 2, 1),
    () => l.transfer(2, 1, 1), () => l.open(2), () => l.close(2), () => l.openHot(2),
  ]) coded(call, 'AP_ERR_ACCOUNT_CLOSED', { account: 2 })
  coded(() => l.reopen(1), 'AP_ERR_ACCOUNT_EXISTS', { account: 1 })
  coded(() => l.reopen(9), 'AP_ERR_UNKNOWN_ACCOUNT', { account: 9 })
  coded(() => l.close(9), 'AP_ERR_UNKNOWN_ACCOUNT', { account: 9 })
  range(() => l.close(-1))
  type(() => l.reopen('2'))
  assert.equal(l.reopen(2n), undefined)
  l.transfer(1, 2, 40)
  assert.deepEqual([l.balance(1), l.balance(2), l.total(), l.size], [60, 40, 100, 3])
})

test('Ledger: a hot account takes credits, debits, refusals and close like any other', () => {
  const l = bank()
  l.openHot(7)
  coded(() => l.openHot(7), 'AP_ERR_ACCOUNT_EXISTS', { account: 7 })
  for (let i = 0; i < 10; i++) l.transfer(1, 7, 3)
  assert.equal(l.balance(7), 30)
  assert.equal(l.withdraw(7, 25), 5)
  coded(() => l.transfer(7, 1, 6), 'AP_ERR_INSUFFICIENT_FUNDS', { account: 7, balance: 5, amount: 6 })
  coded(() => l.close(7), 'AP_ERR_ACCOUNT_NOT_EMPTY', { account: 7, balance: 5 })
  l.transfer(7, 1, 5)
  l.close(7)
  coded(() => l.transfer(1, 7, 1), 'AP_ERR_ACCOUNT_CLOSED', { account: 7 })
  l.openHot(8, { overdraft: true })
  assert.equal(l.withdraw(8, 9), -9)
  type(() => l.openHot(9, { overdraft: 1 }))
  assert.equal(l.total(), 66)
})

test('Ledger: transferMany returns null or the error code per transfer, numbers and BigInts alike', () => {
  for (const big of [false, true]) {
    const l = bank()
    l.open(4)
    l.close(4)
    const n = big ? BigInt : Number
    const results = l.transferMany([
      [n(1), n(2), n(30)], [n(2), n(1), n(1000)], [n(1), n(9), n(1)], [n(1), n(1), n(1)],
      [n(1), n(2), n(0)], [n(1), n(4), n(1)], [n(2), n(1), n(5)],
    ])
    assert.deepEqual(results, [
      null, 'AP_ERR_INSUFFICIENT_FUNDS', 'AP_ERR_UNKNOWN_ACCOUNT', 'AP_ERR_SAME_ACCOUNT',
      'AP_ERR_INVALID_AMOUNT', 'AP_ERR_ACCOUNT_CLOSED', null,
    ])
    assert.deepEqual([l.balance(1), l.balance(2), l.total()], [75, 25, 100])
    assert.deepEqual(l.transferMany([]), [])
  }
  const l = bank()
  assert.deepEqual(l.transferMany([[1, 2n ** 64n - 1n, 1], [1, 2n, 1]]), ['AP_ERR_UNKNOWN_ACCOUNT', null])
})

test('Ledger: a malformed batch throws before any transfer runs', () => {
  const l = bank()
  for (const bad of [
    [[1, 2, 1], [1, 2]], [[1, 2, 1], 5], [[1, 2, 1], [1, '2', 1]], [[1, 2, 1], [1, 2, null]],
    [[1, 2, 1], [1n, 2, {}]],
  ]) type(() => l.transferMany(bad))
  for (const bad of [[[1, 2, 1], [-1, 2, 1]], [[1, 2, 1], [1, 2, 1.5]], [[1, 2, 1], [1, 2 ** 64, 1]],
    [[1, 2, 1], [1, 2, NaN]], [[1, 2, 1], [1n, -2n, 1]], [[1, 2, 1], [1, 2n, 2n ** 63n]]]) {
    range(() => l.transferMany(bad))
  }
  for (const bad of [undefined, null, 5, 'x', new Float64Array(3), { length: 1, 0: [1, 2, 1] }]) type(() => l.transferMany(bad))
  assert.throws(() => l.transferMany([[1, 2, 1], [-1, 2, 1]]), /transfers\[1\] from must be an integer/)
  assert.deepEqual([l.balance(1), l.balance(2)], [100, 0])
})

test('Ledger: 800,000 random transfers in batches and single calls, with opens and closes, conserve the total', () => {
  // A Ledger cannot cross worker threads (each worker loads its own handles), so this runs on
  // one thread: batches of 1,000 (half of them) and single calls, opposite directions on one
  // pair, accounts without overdraft (refusals), a hot account, and accounts opened, filled,
  // drained and closed in between.
  const l = new Ledger()
  l.openHot(100)
  for (let i = 0; i < 10; i++) {
    l.open(i, { overdraft: i >= 4 })
    l.deposit(i, i < 4 ? 1000 : 100000)
  }
  const start = l.total()
  let seed = 7
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  let refused = 0
  for (let round = 0; round < 800; round++) {
    const batch = []
    for (let step = 0; step < 1000; step++) {
      let from, to
      if (step % 4 === 0) [from, to] = (step / 4 + round) % 2 ? [0, 1] : [1, 0]
      else if (step % 10 === 1) [from, to] = [rand(10), 100]
      else {
        from = rand(10)
        to = (from + 1 + rand(9)) % 10
      }
      batch.push([from, to, 1 + rand(600)])
    }
    if (round % 2) {
      for (const r of l.transferMany(batch)) {
        if (r !== null) {
          assert.equal(r, 'AP_ERR_INSUFFICIENT_FUNDS')
          refused++
        }
      }
    } else {
      for (const [from, to, amount] of batch) {
        try {
          l.transfer(from, to, amount)
        } catch (e) {
          assert.equal(e.code, 'AP_ERR_INSUFFICIENT_FUNDS')
          refused++
        }
      }
    }
    const own = 1000 + (round % 3)
    try {
      l.open(own)
    } catch (e) {
      assert.equal(e.code, 'AP_ERR_ACCOUNT_CLOSED')
      l.reopen(own)
    }
    l.transfer(4 + (round % 6), own, 50)
    assert.deepEqual(l.transferMany([[own, 4 + (round % 6), 50], [own, 0, 1]]), [null, 'AP_ERR_INSUFFICIENT_FUNDS'])
    l.close(own)
  }
  assert.equal(l.total(), start)
  let sum = 0
  for (const i of [...Array(10).keys(), 100]) sum += l.balance(i)
  assert.equal(sum, start)
  for (let i = 0; i < 4; i++) assert.ok(l.balance(i) >= 0)
  assert.ok(refused > 0)
  assert.equal(l.size, 11)
})
