'use strict'
// examples/cluster-metrics.js, the real server: a cluster primary and 4 workers sharing a port on
// loopback, each counting into one SharedRegistry. Requests go over fresh connections (no
// keep-alive) so that they spread over the workers; /metrics, answered by any worker, must equal
// what the test saw answered. Then a worker is SIGKILLed in the middle of a load (while it runs a
// /work job, so that it dies between requests, not half-way through counting one): the primary
// replaces it, counters never go backwards, the total is the requests that got a response, and
// the livesum in-flight gauge no longer includes the dead worker. Bounded: a few seconds.
const test = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')

const EXAMPLE = path.join(__dirname, '..', 'examples', 'cluster-metrics.js')
const HOST = '127.0.0.1'
// A request that gets no response in this time counts as failed (one handed to the dying worker).
const REQUEST_TIMEOUT_MS = 2000

/** GET over a connection of its own: {status, pid (X-Worker-Pid), body}; rejects on any failure. */
function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: HOST, port, path: urlPath, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode, pid: Number(res.headers['x-worker-pid']), body }))
      res.on('error', reject)
    })
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error('timed out')))
    req.on('error', reject)
  })
}

/**
 * GETs of `urlPath`, `concurrency` at a time, `n` of them, or while `more(result)` when `n` is a
 * function: {ok, failed, pids (a Map pid -> answers)}.
 */
async function load(port, urlPath, n, concurrency, onAnswer = () => {}) {
  const result = { ok: 0, failed: 0, pids: new Map() }
  const more = typeof n === 'function' ? n : () => sent < n
  let sent = 0
  const runner = async () => {
    while (more(result)) {
      sent++
      try {
        const r = await get(port, urlPath)
        assert.equal(r.status, 200)
        result.ok++
        result.pids.set(r.pid, (result.pids.get(r.pid) || 0) + 1)
        onAnswer(result)
      } catch {
        result.failed++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, runner))
  return result
}

/** The value of the sample named `series` in a text exposition, or null. */
function sample(text, series) {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return null
}

// ATOMICPERF_TEST_DEBUG=1 prints the test's progress (with times) to stderr.
const debug = process.env.ATOMICPERF_TEST_DEBUG ? (...a) => console.error(Date.now() % 100000, ...a) : () => {}
const SERVED = 'http_requests_total{code="200",route="/"}'

/** Starts the example; resolves {primary, port, events, waitFor(pred)} once 4 workers listen. */
async function startExample(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'atomicperf-cluster-'))
  const primary = spawn(process.execPath, [EXAMPLE], {
    env: { ...process.env, WORKERS: '4', PORT: '0', HOST, METRICS_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.after(async () => {
    if (primary.exitCode === null && primary.signalCode === null) {
      primary.kill('SIGTERM')
      await new Promise((resolve) => primary.once('exit', resolve))
    }
    const left = fs.readdirSync(dir)
    fs.rmSync(dir, { recursive: true, force: true })
    assert.deepEqual(left, [], 'the primary removes its segment when stopped')
  })
  const events = []
  const waiters = []
  let buf = ''
  primary.stdout.setEncoding('utf8')
  primary.stdout.on('data', (d) => {
    buf += d
    let nl
    while ((nl = buf.indexOf('\n')) >= 0) {
      events.push(JSON.parse(buf.slice(0, nl)))
      buf = buf.slice(nl + 1)
      for (const w of [...waiters]) w()
    }
  })
  const waitFor = (pred, what) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(events)}`)), 10_000)
    const check = () => {
      const found = pred(events)
      if (found) {
        clearTimeout(timer)
        waiters.splice(waiters.indexOf(check), 1)
        resolve(found)
      }
    }
    waiters.push(check)
    check()
  })
  const listening = await waitFor((e) => {
    const l = e.filter((x) => x.event === 'listening')
    return l.length >= 4 && l
  }, '4 workers listening')
  const port = listening[0].port
  assert.ok(listening.every((l) => l.port === port), 'every worker listens on the same port')
  return { primary, port, events, waitFor, workers: new Set(listening.map((l) => l.pid)) }
}

test('cluster example: /metrics from any worker counts every worker\'s requests, across a SIGKILL', { timeout: 20_000 }, async (t) => {
  const { port, waitFor, workers } = await startExample(t)
  const metrics = async () => (await get(port, '/metrics')).body
  // While a worker is blocked in a /work job, a scrape handed to it gets no answer: ask again.
  const metricsFromLive = async () => {
    for (const deadline = Date.now() + 10_000; ;) {
      try {
        return await metrics()
      } catch (e) {
        if (Date.now() > deadline) throw e
      }
    }
  }

  debug('started')
  // 1. 2,000 requests, 16 at a time, each on a connection of its own.
  const first = await load(port, '/', 2000, 16)
  assert.equal(first.failed, 0)
  assert.equal(first.ok, 2000)
  for (const pid of first.pids.keys()) assert.ok(workers.has(pid), `${pid} is a worker`)
  assert.ok(first.pids.size >= 2, `the requests spread over the workers: ${[...first.pids]}`)
  debug('first', first.ok, first.failed, [...first.pids])
  let text = await metrics()
  assert.equal(sample(text, SERVED), 2000)
  assert.equal(sample(text, 'http_request_duration_seconds_count'), 2000)
  assert.equal(sample(text, 'http_requests_in_flight'), 0)
  // Every worker answers /metrics with the same totals.
  for (let i = 0; i < 8; i++) assert.equal(sample(await metrics(), SERVED), 2000)

  // 2. A load, a worker SIGKILLed in the middle of it, a scraper checking that totals never go
  // back. The victim is the worker running a /work job (it answers nothing else meanwhile).
  const seen = []
  let scraping = true
  t.after(() => (scraping = false)) // also when an assertion below fails
  const scraper = (async () => {
    while (scraping) {
      try {
        seen.push(sample(await metrics(), SERVED))
      } catch {} // a scrape handed to the dying worker gets no answer
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  })()
  let started
  const begun = new Promise((resolve) => (started = resolve))
  // Until 300 answers after the kill (at most 8,000 requests): the kill lands mid-load.
  let killedAt = Infinity
  let progress = null
  const loading = load(port, '/', (r) => r.ok + r.failed < 8000 && r.ok < killedAt + 300, 8, (r) => {
    progress = r
    if (r.ok === 300) started()
  })
  await begun
  debug('begun')
  const job = get(port, '/work?ms=15000').then(() => 'answered', () => 'failed')
  const victim = await (async () => {
    for (const deadline = Date.now() + 8000; Date.now() < deadline;) {
      try {
        const m = (await metrics()).match(/^worker_jobs_running\{pid="(\d+)"\} 1$/m)
        if (m) return Number(m[1])
      } catch {} // a scrape handed to the blocked worker gets no answer
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    throw new Error('no worker ran the /work job')
  })()
  debug('victim', victim)
  assert.ok(workers.has(victim))
  assert.ok(sample(await metricsFromLive(), 'http_requests_in_flight') >= 1)
  process.kill(victim, 'SIGKILL')
  killedAt = progress.ok
  await waitFor((e) => e.some((x) => x.event === 'exit' && x.pid === victim && x.signal === 'SIGKILL'), 'the victim\'s exit')
  const replacement = (await waitFor((e) => {
    const fresh = e.filter((x) => x.event === 'listening' && !workers.has(x.pid))
    return fresh.length > 0 && fresh
  }, 'a replacement worker'))[0].pid
  debug('replacement', replacement)
  const second = await loading
  debug('second', second.ok, second.failed, 'killed at', killedAt)
  assert.equal(await job, 'failed')
  // 3. More requests, which the replacement shares.
  const third = await load(port, '/', 400, 8)
  assert.equal(third.failed, 0)
  assert.ok(third.pids.has(replacement), `the replacement ${replacement} answers: ${[...third.pids]}`)
  assert.ok(!third.pids.has(victim))
  debug('third', third.ok, third.failed)
  scraping = false
  await scraper

  assert.ok(second.ok >= killedAt + 300, 'the load went on after the kill')
  assert.ok(seen.length >= 3, `scrapes: ${seen.length}`)
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `went back: ${seen[i - 1]} -> ${seen[i]}`)
  text = await metrics()
  // Exactly the requests that got a response: none of the victim's earlier answers is lost, and
  // nothing it was handed after it blocked was counted.
  assert.equal(sample(text, SERVED), first.ok + second.ok + third.ok)
  assert.ok(seen.every((v) => v <= first.ok + second.ok + third.ok))
  // The dead worker's in-flight /work request is no longer counted, nor its job.
  assert.equal(sample(text, 'http_requests_in_flight'), 0)
  assert.doesNotMatch(text, new RegExp(`worker_jobs_running\\{pid="${victim}"\\}`))
  assert.match(text, new RegExp(`^worker_jobs_running\\{pid="${replacement}"\\} 0$`, 'm'))
  assert.equal(sample(text, 'http_requests_total{code="200",route="/work"}'), null)
})
