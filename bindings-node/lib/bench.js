'use strict'
// bench.run(): the core's benchmark suite (every primitive against the lock it replaces, over
// thread counts), run by src/bench.rs on a thread of its own; the workloads run on Rust
// threads, as from the CLI and every other binding. This module parses the JSON report (schema
// atomicperf-bench/1) and attaches the core's text table and Markdown.

function withCode(e, code) {
  e.code = code
  return e
}
const typeError = (message) => withCode(new TypeError(message), 'AP_ERR_INVALID_ARGUMENT')
const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v)

module.exports = function defineBench(calls) {
  const { benchRun, benchWorkloads } = calls

  function config(opts) {
    if (opts === undefined) opts = {}
    if (opts === null || typeof opts !== 'object') {
      throw typeError(`bench.run options must be an object, got ${typeName(opts)}`)
    }
    const { threads = [1, 2, 4], durationMs = 1500, filter } = opts
    if (!Array.isArray(threads)) throw typeError(`threads must be an array of numbers, got ${typeName(threads)}`)
    if (typeof durationMs !== 'number') throw typeError(`durationMs must be a number, got ${typeName(durationMs)}`)
    let filters
    if (filter === undefined || filter === null) filters = []
    else if (typeof filter === 'string') filters = [filter]
    else if (Array.isArray(filter)) filters = filter
    else throw typeError(`filter must be a string or an array of strings, got ${typeName(filter)}`)
    return [threads, durationMs, filters]
  }

  function report([json, table, markdown]) {
    const r = JSON.parse(json)
    Object.defineProperties(r, {
      toTable: { value: () => table },
      toMarkdown: { value: () => markdown },
    })
    return r
  }

  return {
    /** Runs the suite off the JS thread; resolves the parsed report. */
    run(opts) {
      let pending
      try {
        pending = benchRun(...config(opts))
      } catch (e) {
        return Promise.reject(e)
      }
      // A bad configuration (as the core judges it) resolves the Error to reject with.
      return pending.then((r) => {
        if (r instanceof Error) throw r
        return report(r)
      })
    },

    /** Names of every workload, in report order (what `filter` matches by substring). */
    workloads() {
      return benchWorkloads()
    },
  }
}
