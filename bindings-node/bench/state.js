'use strict'
// Per-call cost of the concurrent-state primitives against plain JS, all measured in this run:
//   shardedMap.get(key)            vs Map.prototype.get (string keys, Buffer values), both hits;
//   shardedMap.getString(key)      the same read, decoded to a string;
//   ledger.transfer(from, to, n)   vs a plain JS object of balances with the same checks;
//   ledger.transferMany(batch)     1,000 [from, to, n] transfers in one native call, per transfer,
//                                  vs ledger.transfer once per transfer (target: >= 10x cheaper).
// Single-threaded: the plain JS baselines cannot be shared across threads at all, so these ratios
// are the price of crossing into Rust, not a contention result. Each case: a warm-up pass, then
// the best of 5 rounds that time every case in turn (lib/rounds.js). Usage: node bench/state.js [--iterations N] [--json]

const { ShardedMap, Ledger } = require('..')
const { bestPerCall } = require('../lib/rounds')

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : fallback
}
const N = option('--iterations', 1_000_000)
const ROUNDS = 5

const KEYS = 1024
const MASK = KEYS - 1
const keys = Array.from({ length: KEYS }, (_, i) => `session:${i.toString(36).padStart(6, '0')}`)
const sharded = new ShardedMap()
const jsMap = new Map()
for (const k of keys) {
  const v = Buffer.from(`value of ${k}`)
  sharded.insert(k, v)
  jsMap.set(k, v)
}

const ACCOUNTS = 256
const ledger = new Ledger()
const plain = Object.create(null)
for (let i = 0; i < ACCOUNTS; i++) {
  ledger.open(i)
  ledger.deposit(i, 1_000_000_000)
  plain[i] = 1_000_000_000
}
function plainTransfer(accounts, from, to, amount) {
  if (!(amount > 0)) throw new Error('invalid amount')
  if (from === to) throw new Error('same account')
  const a = accounts[from]
  const b = accounts[to]
  if (a === undefined || b === undefined) throw new Error('unknown account')
  if (a - amount < 0) throw new Error('insufficient funds')
  accounts[from] = a - amount
  accounts[to] = b + amount
}

let sink = 0
const cases = {
  'atomicperf shardedMap.get(key)': (n) => { for (let i = 0; i < n; i++) sink += sharded.get(keys[i & MASK]).length },
  'atomicperf shardedMap.getString(key)': (n) => { for (let i = 0; i < n; i++) sink += sharded.getString(keys[i & MASK]).length },
  'JS Map.get(key)': (n) => { for (let i = 0; i < n; i++) sink += jsMap.get(keys[i & MASK]).length },
  'atomicperf ledger.transfer': (n) => {
    for (let i = 0; i < n; i++) ledger.transfer(i & 255, (i * 7 + 1) & 255 || 1, 1 + (i & 3))
  },
  'plain JS object transfer': (n) => {
    for (let i = 0; i < n; i++) plainTransfer(plain, i & 255, (i * 7 + 1) & 255 || 1, 1 + (i & 3))
  },
}
// (i * 7 + 1) & 255 is never equal to i & 255 for the same i: 6i + 1 is odd, never 0 mod 256.

// The same transfers as batches of 1,000, built once (as a caller holding a batch would).
const BATCH = 1000
const batches = Array.from({ length: 8 }, (_, b) =>
  Array.from({ length: BATCH }, (_, j) => {
    const i = b * BATCH + j
    return [i & 255, (i * 7 + 1) & 255 || 1, 1 + (i & 3)]
  }),
)
cases['atomicperf ledger.transferMany(1,000), per transfer'] = (n) => {
  for (let i = 0; i < n / BATCH; i++) sink += ledger.transferMany(batches[i & 7]).length
}

async function main() {
  const results = await bestPerCall(cases, { n: N, rounds: ROUNDS })
  if (sink === 42) console.log('') // keep the reads alive

  const ratios = {
    'shardedMap.get / Map.get': results['atomicperf shardedMap.get(key)'] / results['JS Map.get(key)'],
    'shardedMap.getString / Map.get': results['atomicperf shardedMap.getString(key)'] / results['JS Map.get(key)'],
    'ledger.transfer / plain JS transfer': results['atomicperf ledger.transfer'] / results['plain JS object transfer'],
  }
  // Above 1: the batch is cheaper per transfer (target >= 10x).
  const batchGain = results['atomicperf ledger.transfer'] / results['atomicperf ledger.transferMany(1,000), per transfer']
  if (ledger.totalBigInt() !== BigInt(ACCOUNTS) * 1_000_000_000n) throw new Error('ledger total not conserved')

  if (args.includes('--json')) {
    console.log(JSON.stringify({ nsPerOp: results, ratios, transferManyGain: batchGain }, null, 2))
  } else {
    console.log(`atomicperf state benchmark (node ${process.version}, ${N} iterations, best of ${ROUNDS})`)
    for (const [name, ns] of Object.entries(results)) console.log(`  ${name.padEnd(40)} ${ns.toFixed(1).padStart(8)} ns/op`)
    console.log('ratios (>1: atomicperf slower; single-threaded, so a plain JS structure is the floor):')
    for (const [name, r] of Object.entries(ratios)) console.log(`  ${name.padEnd(40)} ${r.toFixed(2).padStart(8)}x`)
    const verdict = batchGain >= 10 ? 'met' : 'MISSED'
    console.log(`transferMany(1,000) cheaper per transfer than transfer by ${batchGain.toFixed(2)}x (target >= 10x: ${verdict})`)
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
