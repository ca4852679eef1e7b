#!/usr/bin/env node
'use strict'
// atomicperf's command line for Node users:
//
//   npx atomicperf bench [--threads 1,2,4] [--duration-ms 1500] [--filter counter[,map]]
//                        [--json FILE] [--markdown FILE]
//       the core's benchmark suite (every primitive against the lock it replaces), run on Rust
//       threads off the JS thread; prints the text table; --json/--markdown also write the
//       report (schema atomicperf-bench/1) to FILE ('-' for stdout instead of the table).
//   npx atomicperf overhead [--iterations N] [--json]
//       ns/op of the binding's hot calls from a JS loop, beside plain JS and prom-client.
//   npx atomicperf workloads
//       the workload names --filter matches.
//
// Exit status: 0 done, 2 bad arguments (the message says which), 1 anything else.

const fs = require('node:fs')

const USAGE = `usage: atomicperf bench [--threads 1,2,4] [--duration-ms 1500] [--filter NAME[,NAME]] [--json FILE] [--markdown FILE]
       atomicperf overhead [--iterations N] [--json]
       atomicperf workloads`

class UsageError extends Error {}

/** `--name value` and `--name=value` options; flags in `flags` take no value. */
function parse(argv, known, flags = []) {
  const out = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-h' || arg === '--help') {
      out.help = true
      continue
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg)
    if (m === null || (!known.includes(m[1]) && !flags.includes(m[1]))) throw new UsageError(`unknown argument ${JSON.stringify(arg)}`)
    if (flags.includes(m[1])) {
      out[m[1]] = true
      continue
    }
    const value = m[2] !== undefined ? m[2] : argv[++i]
    if (value === undefined) throw new UsageError(`${arg} needs a value`)
    out[m[1]] = value
  }
  return out
}

function number(text, what) {
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${what} must be a number, got ${JSON.stringify(text)}`)
  return n
}

async function bench(argv) {
  const opts = parse(argv, ['threads', 'duration-ms', 'filter', 'json', 'markdown'])
  if (opts.help) return console.log(USAGE)
  const config = {}
  if (opts.threads !== undefined) config.threads = opts.threads.split(',').map((t) => number(t, '--threads'))
  if (opts['duration-ms'] !== undefined) config.durationMs = number(opts['duration-ms'], '--duration-ms')
  if (opts.filter !== undefined) config.filter = opts.filter.split(',').filter((f) => f !== '')
  const { bench } = require('..')
  process.stderr.write('atomicperf: running the benchmark suite on Rust threads (the full suite takes about two minutes)...\n')
  let report
  try {
    report = await bench.run(config)
  } catch (e) {
    // The core's judgement of the configuration (thread counts, duration, filter).
    if (e && (e.code === 'AP_ERR_OUT_OF_RANGE' || e.code === 'AP_ERR_INVALID_ARGUMENT')) throw new UsageError(e.message)
    throw e
  }
  let stdoutTaken = false
  const write = (file, text) => {
    if (file === '-') {
      process.stdout.write(text)
      stdoutTaken = true
    } else {
      fs.writeFileSync(file, text)
      process.stderr.write(`atomicperf: wrote ${file}\n`)
    }
  }
  if (opts.json !== undefined) write(opts.json, `${JSON.stringify(report, null, 2)}\n`)
  if (opts.markdown !== undefined) write(opts.markdown, report.toMarkdown())
  if (!stdoutTaken) process.stdout.write(report.toTable())
}

async function overhead(argv) {
  const opts = parse(argv, ['iterations', 'rounds'], ['json'])
  if (opts.help) return console.log(USAGE)
  const config = {}
  if (opts.iterations !== undefined) config.iterations = number(opts.iterations, '--iterations')
  if (opts.rounds !== undefined) config.rounds = number(opts.rounds, '--rounds')
  for (const [k, v] of Object.entries(config)) {
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${k} must be a positive integer, got ${v}`)
  }
  const o = require('../lib/overhead.js')
  const result = await o.run(config)
  console.log(opts.json ? JSON.stringify(result, null, 2) : o.format(result))
}

async function main(argv) {
  const [command, ...rest] = argv
  switch (command) {
    case 'bench': return bench(rest)
    case 'overhead': return overhead(rest)
    case 'workloads': return console.log(require('..').bench.workloads().join('\n'))
    case undefined: case '-h': case '--help': case 'help': return console.log(USAGE)
    default: throw new UsageError(`unknown command ${JSON.stringify(command)}`)
  }
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UsageError) {
    console.error(`atomicperf: ${e.message}\n${USAGE}`)
    process.exitCode = 2
  } else {
    console.error(e)
    process.exitCode = 1
  }
})
