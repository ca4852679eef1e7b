'use strict'
// Timing shared by `npx atomicperf overhead` and the scripts in bench/: rounds that time every
// case in turn, best kept.
//
// A shared machine has slow stretches of seconds (another tenant, a frequency change). Timed one
// case after another (every pass of a case, then the next case), such a stretch lands on
// whichever case runs then, and a ratio between two rows measures the machine instead of the
// calls. Here each round times every case once, one after another, and a case's figure is its
// best round, so a slow stretch costs every case a round alike.

/**
 * Best nanoseconds per call of each case, by name. A case is `run`, or `{ run, n, after }`:
 * `run(n)` makes `n` calls (`n` defaults to `opts.n`; a Promise it returns is awaited, inside the
 * timed span), and `after()`, if given, runs (awaited) after each pass, outside the timed span.
 * Each case first makes a warm-up pass of `min(n, opts.warmup)` calls, so that the JIT compiles
 * its loop and calls before any timed pass.
 *
 * @param {Record<string, Function | {run: Function, n?: number, after?: Function}>} cases
 * @param {{n: number, rounds?: number, warmup?: number}} opts
 * @returns {Promise<Record<string, number>>}
 */
async function bestPerCall(cases, { n, rounds = 5, warmup = 100_000 }) {
  const entries = Object.entries(cases).map(([name, c]) => [name, typeof c === 'function' ? { run: c } : c])
  const best = {}
  for (const [name, c] of entries) {
    await pass(c, Math.min(c.n ?? n, warmup))
    best[name] = Infinity
  }
  for (let r = 0; r < rounds; r++) {
    for (const [name, c] of entries) {
      const calls = c.n ?? n
      const ns = (await pass(c, calls)) / calls
      if (ns < best[name]) best[name] = ns
    }
  }
  return best
}

/** Nanoseconds of one pass of `calls` calls of case `c`. */
async function pass(c, calls) {
  const start = process.hrtime.bigint()
  const done = c.run(calls)
  if (done !== undefined) await done
  const ns = Number(process.hrtime.bigint() - start)
  if (c.after) await c.after()
  return ns
}

module.exports = { bestPerCall }
