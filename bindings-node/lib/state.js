'use strict'
// ShardedMap, Ledger, SnapshotCell, OnceMap and CancellationToken: JS classes over the native
// functions of src/sharded_map.rs, ledger.rs, snapshot_cell.rs, once_map.rs and cancellation.rs.
//
// index.js calls this module's function once with its native calls. The classes keep their
// handles in private fields; the native functions check every handle's type tag themselves.
//
// Byte strings: keys and values are Buffers, Uint8Arrays or strings (stored as their UTF-8
// bytes, so 'a' and Buffer.from('a') are the same key). Reads return Buffers (copies); the
// *String variants decode them as UTF-8.

const inspect = Symbol.for('nodejs.util.inspect.custom')

function withCode(e, code) {
  e.code = code
  return e
}
const typeError = (message) => withCode(new TypeError(message), 'AP_ERR_INVALID_ARGUMENT')
const describe = (v) => (v === null ? 'null' : typeof v)

function options(value, what) {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') {
    throw typeError(`${what} options must be an object, got ${describe(value)}`)
  }
  return value
}

module.exports = function defineState(calls, internals) {
  const {
    shardedMapNew, shardedMapGet, shardedMapGetInto, shardedMapGetString, shardedMapHas, shardedMapInsert,
    shardedMapInsertIfAbsent, shardedMapRemove, shardedMapSize, shardedMapShards, shardedMapClear,
    shardedMapEntries,
    ledgerNew, ledgerOpen, ledgerDeposit, ledgerWithdraw, ledgerTransfer, ledgerBalance,
    ledgerBalanceBigInt, ledgerTotal, ledgerTotalBigInt, ledgerSize, ledgerOpenHot, ledgerClose,
    ledgerReopen, ledgerTransferMany, ledgerStatusNames,
    snapshotCellNew, snapshotCellLoad, snapshotCellLoadInto, snapshotCellLoadString, snapshotCellLoadWithRevision,
    snapshotCellStore, snapshotCellCompareAndStore, snapshotCellRevision, snapshotCellAgeMs,
    snapshotCellLastUpdated,
    onceMapNew, onceMapGet, onceMapDelete, onceMapSize, onceMapClaim, onceMapComplete, onceMapAbandon,
    cancellationNew, cancellationCancel, cancellationIsCancelled, cancellationChild, cancellationWait,
    cancellationWatchSignal, cancellationUnwatchSignal,
  } = calls

  // This thread's scratch for ShardedMap.get and SnapshotCell.load (this module is loaded once
  // per thread): their native `...Into` calls copy a value that fits into it, and `fromScratch`
  // copies it on into a Buffer made here, which costs a fraction of a Buffer made by N-API
  // (about a microsecond). A larger value comes as a Buffer from the plain native call.
  const scratch = Buffer.allocUnsafeSlow(4096)

  /** A new Buffer of its own holding the first `n` bytes of `scratch`. */
  function fromScratch(n) {
    const value = Buffer.allocUnsafeSlow(n)
    scratch.copy(value, 0, 0, n)
    return value
  }

  /** The value of `key` in map `h` as a new Buffer, or undefined. */
  function mapGet(h, key) {
    const n = shardedMapGetInto(h, key, scratch)
    if (n < 0) return undefined
    // Too large for the scratch: the value as it is now (it may have changed since).
    return n > scratch.length ? shardedMapGet(h, key) : fromScratch(n)
  }

  /** A concurrent hash map of byte strings, sharded over independently locked shards. */
  class ShardedMap {
    #h

    constructor(opts) {
      const { shards } = options(opts, 'ShardedMap')
      this.#h = shardedMapNew(shards)
    }

    get(key) {
      return mapGet(this.#h, key)
    }

    getString(key) {
      return shardedMapGetString(this.#h, key)
    }

    has(key) {
      return shardedMapHas(this.#h, key)
    }

    insert(key, value) {
      return shardedMapInsert(this.#h, key, value)
    }

    remove(key) {
      return shardedMapRemove(this.#h, key)
    }

    // fn runs here, on the JS thread, with no lock held: it may use this map. Callers racing on
    // one key (other threads, or a nested call from fn) may each run their fn; the first insert
    // wins and every caller gets the winning value.
    computeIfAbsent(key, fn) {
      if (typeof fn !== 'function') throw typeError(`computeIfAbsent() expects a function, got ${describe(fn)}`)
      const h = this.#h
      const found = mapGet(h, key)
      if (found !== undefined) return found
      return shardedMapInsertIfAbsent(h, key, fn(key))
    }

    get size() {
      return shardedMapSize(this.#h)
    }

    get shards() {
      return shardedMapShards(this.#h)
    }

    clear() {
      shardedMapClear(this.#h)
    }

    snapshot() {
      return shardedMapEntries(this.#h)
    }

    entries() {
      return shardedMapEntries(this.#h)
    }

    [Symbol.iterator]() {
      return shardedMapEntries(this.#h)[Symbol.iterator]()
    }

    toString() {
      return `ShardedMap(size=${this.size})`
    }

    [inspect]() {
      return `ShardedMap { size: ${this.size}, shards: ${this.shards} }`
    }
  }

  // Status names by code (the core's table), to read ledgerTransferMany's status bytes with.
  const statusNames = ledgerStatusNames()

  // A batch as a Float64Array of [from, to, amount] triples when every value is a number (the
  // native side then reads it without one N-API call per value), else null: the array goes to
  // the native side as it is, which converts BigInts and reports what is wrong with it.
  function packNumbers(transfers) {
    const n = transfers.length
    const packed = new Float64Array(n * 3)
    for (let i = 0; i < n; i++) {
      const t = transfers[i]
      if (!Array.isArray(t) || t.length !== 3) return null
      const from = t[0], to = t[1], amount = t[2]
      if (typeof from !== 'number' || typeof to !== 'number' || typeof amount !== 'number') return null
      packed[3 * i] = from
      packed[3 * i + 1] = to
      packed[3 * i + 2] = amount
    }
    return packed
  }

  /** Accounts keyed by u64 with i64 balances; transfers are atomic and conserve the total. */
  class Ledger {
    #h

    constructor() {
      this.#h = ledgerNew()
    }

    open(id, opts) {
      const { overdraft = false } = options(opts, 'open()')
      if (typeof overdraft !== 'boolean') throw typeError(`overdraft must be a boolean, got ${describe(overdraft)}`)
      ledgerOpen(this.#h, id, overdraft)
    }

    openHot(id, opts) {
      const { overdraft = false } = options(opts, 'openHot()')
      if (typeof overdraft !== 'boolean') throw typeError(`overdraft must be a boolean, got ${describe(overdraft)}`)
      ledgerOpenHot(this.#h, id, overdraft)
    }

    close(id) {
      ledgerClose(this.#h, id)
    }

    reopen(id) {
      ledgerReopen(this.#h, id)
    }

    transferMany(transfers) {
      if (!Array.isArray(transfers)) {
        throw typeError(`transfers must be an array of [from, to, amount] arrays, got ${describe(transfers)}`)
      }
      const statuses = new Uint8Array(transfers.length)
      const failed = ledgerTransferMany(this.#h, packNumbers(transfers) ?? transfers, statuses)
      const results = new Array(transfers.length).fill(null)
      if (failed > 0) {
        for (let i = 0; i < statuses.length; i++) if (statuses[i] !== 0) results[i] = statusNames[statuses[i]]
      }
      return results
    }

    deposit(id, amount) {
      return ledgerDeposit(this.#h, id, amount)
    }

    withdraw(id, amount) {
      return ledgerWithdraw(this.#h, id, amount)
    }

    transfer(from, to, amount) {
      ledgerTransfer(this.#h, from, to, amount)
    }

    balance(id) {
      return ledgerBalance(this.#h, id)
    }

    balanceBigInt(id) {
      return ledgerBalanceBigInt(this.#h, id)
    }

    total() {
      return ledgerTotal(this.#h)
    }

    totalBigInt() {
      return ledgerTotalBigInt(this.#h)
    }

    get size() {
      return ledgerSize(this.#h)
    }

    toString() {
      return `Ledger(accounts=${this.size}, total=${this.totalBigInt()})`
    }

    [inspect]() {
      return `Ledger { accounts: ${this.size}, total: ${this.totalBigInt()} }`
    }
  }

  /** A read-mostly byte string swapped atomically, with a revision and a last-updated time. */
  class SnapshotCell {
    #h

    constructor(value) {
      this.#h = snapshotCellNew(value)
    }

    load() {
      const n = snapshotCellLoadInto(this.#h, scratch)
      // Too large for the scratch: the value as it is now (it may have changed since).
      return n > scratch.length ? snapshotCellLoad(this.#h) : fromScratch(n)
    }

    loadString() {
      return snapshotCellLoadString(this.#h)
    }

    loadWithRevision() {
      return snapshotCellLoadWithRevision(this.#h)
    }

    store(value) {
      return snapshotCellStore(this.#h, value)
    }

    compareAndStore(expected, value) {
      return snapshotCellCompareAndStore(this.#h, expected, value)
    }

    get revision() {
      return snapshotCellRevision(this.#h)
    }

    get ageMs() {
      return snapshotCellAgeMs(this.#h)
    }

    get lastUpdated() {
      return snapshotCellLastUpdated(this.#h)
    }

    toString() {
      return `SnapshotCell(revision=${this.revision})`
    }

    [inspect]() {
      return `SnapshotCell { revision: ${this.revision}, ageMs: ${this.ageMs} }`
    }
  }

  function timeoutError(ms) {
    return withCode(new Error(`timed out after ${ms} ms waiting for another caller's initialiser`), 'AP_ERR_TIMEOUT')
  }

  function toBytes(value, what) {
    if (typeof value === 'string') return Buffer.from(value, 'utf8')
    if (value instanceof Uint8Array) return value
    throw typeError(`${what} must be a Buffer, a Uint8Array or a string, got ${describe(value)}`)
  }

  /**
   * Get-or-initialise per key: concurrent callers for one key run one initialiser; a failed
   * initialiser is not cached, and the next caller runs its own.
   *
   * Within this thread, callers of one key wait for the attempt in progress (a JS promise), so
   * that at most one claim per key is pending at a time; the claim itself (which waits when
   * another thread initialises the key) holds no thread (src/waits.rs).
   */
  class OnceMap {
    #h
    // Attempts in progress in this thread: key bytes as a latin1 string -> Promise<Buffer>.
    #attempts = new Map()

    constructor() {
      this.#h = onceMapNew()
    }

    get(key) {
      return onceMapGet(this.#h, key)
    }

    delete(key) {
      return onceMapDelete(this.#h, key)
    }

    get size() {
      return onceMapSize(this.#h)
    }

    getOrInit(key, init, opts) {
      let timeoutMs
      try {
        if (typeof init !== 'function') throw typeError(`getOrInit() expects an initialiser function, got ${describe(init)}`)
        timeoutMs = options(opts, 'getOrInit()').timeoutMs
        if (timeoutMs !== undefined && typeof timeoutMs !== 'number') {
          throw typeError(`timeoutMs must be a number, got ${describe(timeoutMs)}`)
        }
        if (!(timeoutMs === undefined || timeoutMs >= 0)) {
          throw withCode(new RangeError(`timeoutMs must be a number of milliseconds >= 0, got ${timeoutMs}`), 'AP_ERR_OUT_OF_RANGE')
        }
        const found = onceMapGet(this.#h, key) // also checks the key's type
        if (found !== undefined) return Promise.resolve(found)
      } catch (e) {
        return Promise.reject(e)
      }
      return this.#getOrInit(key, toBytes(key, 'key').toString('latin1'), init, timeoutMs)
    }

    async #getOrInit(key, local, init, timeoutMs) {
      const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs
      for (;;) {
        const pending = this.#attempts.get(local)
        if (pending === undefined) break
        try {
          return await withDeadline(pending, deadline, timeoutMs)
        } catch (e) {
          if (e && e.code === 'AP_ERR_TIMEOUT' && e.ownTimeout) throw timeoutError(timeoutMs)
          // That caller's initialiser failed (its error is its own): not cached; try again.
        }
      }
      const left = deadline === undefined ? undefined : Math.max(0, deadline - Date.now())
      const attempt = this.#attempt(key, init, left, timeoutMs)
      this.#attempts.set(local, attempt)
      try {
        return await attempt
      } finally {
        if (this.#attempts.get(local) === attempt) this.#attempts.delete(local)
      }
    }

    async #attempt(key, init, left, timeoutMs) {
      const claimed = await onceMapClaim(this.#h, key, left)
      if (claimed === null) throw timeoutError(timeoutMs)
      if (claimed instanceof Uint8Array) return claimed
      // This caller initialises the key: `claimed` is the ticket.
      let value
      try {
        value = await init(key)
        if (typeof value !== 'string' && !(value instanceof Uint8Array)) {
          throw typeError(`the initialiser must return (or resolve to) a Buffer, a Uint8Array or a string, got ${describe(value)}`)
        }
        // Throws for a value it refuses (a string with a lone surrogate), keeping the ticket.
        return onceMapComplete(claimed, value)
      } catch (e) {
        onceMapAbandon(claimed)
        throw e
      }
    }

    toString() {
      return `OnceMap(size=${this.size})`
    }
  }

  /** Rejects with a marked AP_ERR_TIMEOUT if `deadline` passes before `p` settles. */
  function withDeadline(p, deadline, timeoutMs) {
    if (deadline === undefined) return p
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        const e = timeoutError(timeoutMs)
        e.ownTimeout = true
        reject(e)
      }, Math.max(0, deadline - Date.now()))
      p.then((v) => {
        clearTimeout(t)
        resolve(v)
      }, (e) => {
        clearTimeout(t)
        reject(e)
      })
    })
  }

  // The AbortSignals of tokens, not aborted yet. Each has a record {h, key, controller}: the
  // token's handle, the key of the native wait that resolves true when the token is cancelled,
  // from any thread (src/cancellation_token.rs: it does not keep the event loop alive), and a WeakRef
  // to the signal's AbortController. A cancel() made in this thread also aborts the signals of
  // every token it cancelled (children included) before it returns.
  const liveSignals = new Set()
  // Each controller lives as long as its signal (whoever holds the signal can still see it
  // abort), even after the token is collected; the records hold them only weakly.
  const controllers = new WeakMap()
  // A signal collected before its token was cancelled: forget its record, withdraw its wait.
  const collected = new FinalizationRegistry((record) => {
    liveSignals.delete(record)
    if (record.key !== null) cancellationUnwatchSignal(record.h, record.key)
  })

  function abortSignal(record) {
    if (!liveSignals.delete(record)) return
    collected.unregister(record)
    // The platform's own reason: a DOMException named 'AbortError'.
    const controller = record.controller.deref()
    if (controller !== undefined) controller.abort()
  }

  function abortCancelled() {
    for (const record of liveSignals) {
      if (cancellationIsCancelled(record.h)) abortSignal(record)
    }
  }

  function watchSignal(h, controller) {
    const record = { h, key: null, controller: new WeakRef(controller) }
    controllers.set(controller.signal, controller)
    liveSignals.add(record)
    collected.register(controller.signal, record, record)
    const [cancelled, key] = cancellationWatchSignal(h)
    record.key = key
    cancelled.then((yes) => {
      if (yes) abortSignal(record)
    }, () => {})
  }

  const FROM_HANDLE = Symbol('atomicperf handle')

  /** A cancellation signal shared by a tree of tasks. */
  class CancellationToken {
    #h
    #signal = null

    constructor(handle, h) {
      this.#h = handle === FROM_HANDLE ? h : cancellationNew()
    }

    cancel() {
      cancellationCancel(this.#h)
      if (liveSignals.size > 0) abortCancelled()
    }

    get isCancelled() {
      return cancellationIsCancelled(this.#h)
    }

    child() {
      return new CancellationToken(FROM_HANDLE, cancellationChild(this.#h))
    }

    wait(timeoutMs) {
      try {
        if (cancellationIsCancelled(this.#h)) return Promise.resolve(true)
        return cancellationWait(this.#h, timeoutMs)
      } catch (e) {
        return Promise.reject(e)
      }
    }

    /**
     * An AbortSignal that aborts when this token is cancelled (on it or an ancestor), or at once
     * if it already is: during a cancel() made in this thread, and from this thread's event loop
     * for a cancel made anywhere else (another worker thread, native code).
     */
    get signal() {
      if (this.#signal === null) {
        const controller = new AbortController()
        this.#signal = controller.signal
        if (this.isCancelled) controller.abort()
        else watchSignal(this.#h, controller)
      }
      return this.#signal
    }

    /** A token cancelled when `signal` aborts (at once if it already has). */
    static fromSignal(signal) {
      if (!(signal instanceof AbortSignal)) throw typeError(`fromSignal() expects an AbortSignal, got ${describe(signal)}`)
      const token = new CancellationToken()
      if (signal.aborted) token.cancel()
      else signal.addEventListener('abort', () => token.cancel(), { once: true })
      return token
    }

    toString() {
      return `CancellationToken(${this.isCancelled ? 'cancelled' : 'active'})`
    }

    static {
      // For the tests: the handle, to cancel the token from a native thread.
      internals.cancellationToken = { handle: (t) => t.#h }
    }
  }

  return { ShardedMap, Ledger, SnapshotCell, OnceMap, CancellationToken }
}
