'use strict'
// Info and Enum: JS classes over the native functions of src/info.rs (the core's `Info` and
// `Enum`, the OpenMetrics info and stateset types, as prom-client has neither: prometheus_client's
// names). Not a hot path: every call is a native one.
//
// index.js calls this module's function once with the native calls and its private FROM_HANDLE
// symbol, with which lib/registry.js's wrappers make a registry's Info or Enum from its handle.

const { flatLabels, typeError, typeName } = require('./registry.js').lookup

const inspect = Symbol.for('nodejs.util.inspect.custom')

module.exports = function defineInfo(calls, FROM_HANDLE) {
  const { infoNew, infoSet, infoGet, enumNew, enumSet, enumGet, enumIndex, enumStates } = calls

  /** `[name, value, ...]` as an object. */
  function pairsOf(flat) {
    const out = {}
    for (let i = 0; i < flat.length; i += 2) out[flat[i]] = flat[i + 1]
    return out
  }

  /**
   * Label pairs that describe something (a build's version and commit), exported as one sample
   * `<name>_info{...} 1`. `set` replaces the pairs as a whole.
   */
  class Info {
    #h

    constructor(from, handle) {
      // FROM_HANDLE (private): an Info of a Registry.
      this.#h = from === FROM_HANDLE ? handle : infoNew()
    }

    /** Replaces the pairs (an object {name: value}; exported sorted by name). */
    set(pairs) {
      infoSet(this.#h, flatLabels(pairs))
    }

    /** The pairs, an object in name order. */
    get() {
      return pairsOf(infoGet(this.#h))
    }

    toString() {
      return `Info(${JSON.stringify(this.get())})`
    }

    [inspect]() {
      return `Info ${JSON.stringify(this.get())}`
    }
  }

  /**
   * Which one of a fixed set of states something is in, exported as one sample per state (1 for
   * the current one). Starts in its first state.
   */
  class Enum {
    #h

    constructor(states, handle) {
      if (states === FROM_HANDLE) {
        this.#h = handle // an Enum of a Registry
      } else {
        if (!Array.isArray(states)) throw typeError(`states must be an array of strings, got ${typeName(states)}`)
        this.#h = enumNew(states)
      }
    }

    /** Makes `state` the current state (an Error, code AP_ERR_INVALID_ARGUMENT, if unknown). */
    set(state) {
      enumSet(this.#h, state)
    }

    /** The current state. */
    get() {
      return enumGet(this.#h)
    }

    /** The index of the current state in `states`. */
    get index() {
      return enumIndex(this.#h)
    }

    /** Every state, in the order given. */
    get states() {
      return enumStates(this.#h)
    }

    toString() {
      return `Enum(${this.get()})`
    }

    [inspect]() {
      return `Enum { state: ${JSON.stringify(this.get())}, states: ${JSON.stringify(this.states)} }`
    }
  }

  return { Info, Enum }
}
