'use strict'
// Metrics of a Node `cluster`, served whole by any worker: the primary creates a SharedRegistry
// (one shared-memory segment) and forks WORKERS workers (default 4) that share one port. Every
// worker opens the same segment and records each request into it, with the ordinary Counter,
// Gauge and Histogram classes (their cells are in the segment, so a record costs what it costs in
// process: no IPC, no lock). GET /metrics, answered by whichever worker gets it, exports every
// worker's totals, where prom-client's AggregatorRegistry would ask each worker over IPC.
//
//   WORKERS=4 PORT=9464 node examples/cluster-metrics.js
//   curl -s localhost:9464/            # "hello from <pid>"
//   curl -s localhost:9464/work?ms=50  # blocks its worker for 50 ms, as CPU-bound work would
//   curl -s localhost:9464/metrics     # every worker's requests, in the format the Accept header
//                                      # negotiates (?format=prometheus|openmetrics|json|protobuf)
//
// Metrics:
//   http_requests_total{route, code}    counter: requests answered, by all workers together
//   http_requests_in_flight             gauge, mode 'livesum': requests being answered; a worker
//                                       that dies (even by SIGKILL) drops out on its own
//   worker_jobs_running{pid}            gauge, mode 'liveall': /work jobs running, per live worker
//   http_request_duration_seconds       histogram of the time to answer (all workers)
//
// The primary replaces a worker that dies. Counters never go backwards: what a dead worker
// counted stays counted. Every response carries the answering worker's pid in X-Worker-Pid. The
// primary writes one JSON line per event to stdout ({"event":"listening","pid","port"},
// {"event":"exit","pid","code","signal"}); on SIGINT or SIGTERM it stops its workers and removes
// the segment file. METRICS_SEGMENT names the segment (default: cluster-metrics-<primary pid>, in
// /dev/shm or in METRICS_DIR). PORT=0 picks a free port, shared by every worker.

const cluster = require('node:cluster')
const http = require('node:http')
const { SharedRegistry, negotiate } = require('..')

const WORKERS = Number(process.env.WORKERS || 4)
const PORT = Number(process.env.PORT ?? 9464)
const HOST = process.env.HOST || '127.0.0.1'

const CONTENT_TYPES = {
  prometheus: SharedRegistry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: SharedRegistry.OPENMETRICS_CONTENT_TYPE,
  json: SharedRegistry.JSON_CONTENT_TYPE,
  protobuf: SharedRegistry.PROTOBUF_CONTENT_TYPE,
}

function log(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`)
}

function primary() {
  // Created here, before any worker: the workers open it (openExisting), so a typo in the name
  // is an error instead of a second, separate segment.
  const metrics = new SharedRegistry(process.env.METRICS_SEGMENT || `cluster-metrics-${process.pid}`, {
    dir: process.env.METRICS_DIR || undefined,
  })
  const env = { METRICS_PATH: metrics.path }
  let stopping = false
  cluster.on('listening', (worker, address) => log({ event: 'listening', pid: worker.process.pid, port: address.port }))
  cluster.on('exit', (worker, code, signal) => {
    log({ event: 'exit', pid: worker.process.pid, code, signal })
    if (!stopping) cluster.fork(env) // a dead worker is replaced; its counts stay in the segment
    else if (Object.keys(cluster.workers).length === 0) process.exit(0)
  })
  const stop = () => {
    if (stopping) return
    stopping = true
    metrics.unlink() // workers keep their mapping until they exit
    for (const worker of Object.values(cluster.workers)) worker.process.kill('SIGTERM')
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  for (let i = 0; i < WORKERS; i++) cluster.fork(env)
}

function worker() {
  const metrics = new SharedRegistry(process.env.METRICS_PATH, { openExisting: true })
  const inFlight = metrics.gauge('http_requests_in_flight', {
    help: 'Requests being answered, by all live workers.',
    mode: 'livesum',
  })
  const jobsRunning = metrics.gauge('worker_jobs_running', {
    help: '/work jobs running, per live worker.',
    mode: 'liveall',
  })
  const latency = metrics.histogram('http_request_duration_seconds', {
    help: 'Time to answer a request, in seconds.',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
  })
  // Look-ups are cached per process: no native call per request after the first of a label set.
  const requests = (route, code) => metrics.counter('http_requests', {
    help: 'Requests answered, by route and status code.',
    labels: { route, code },
  })
  const pid = String(process.pid)
  const sleeper = new Int32Array(new SharedArrayBuffer(4))

  function handle(req, res) {
    const started = process.hrtime.bigint()
    const url = new URL(req.url, 'http://localhost')
    res.setHeader('X-Worker-Pid', pid)
    if (url.pathname === '/metrics') {
      // ?format= wins; otherwise what the scraper's Accept header asks for (protobuf for a
      // Prometheus with native histograms enabled).
      const asked = url.searchParams.get('format')
      const { format, contentType } = asked === null
        ? negotiate(req.headers.accept)
        : { format: asked, contentType: CONTENT_TYPES[asked] }
      if (!Object.hasOwn(CONTENT_TYPES, format)) {
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`unknown format ${format}\n`)
      } else {
        res.writeHead(200, { 'Content-Type': contentType }).end(metrics.metrics({ format }))
      }
      return
    }
    inFlight.inc()
    let code = 200
    let route = url.pathname
    if (route === '/') {
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end(`hello from ${pid}\n`)
    } else if (route === '/work') {
      const ms = Math.min(Math.max(Number(url.searchParams.get('ms')) || 0, 0), 60_000)
      jobsRunning.inc()
      Atomics.wait(sleeper, 0, 0, ms) // the worker answers nothing else meanwhile
      jobsRunning.dec()
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end(`worked ${ms} ms in ${pid}\n`)
    } else {
      code = 404
      route = 'other' // one label value for every unknown path: a label per path grows without bound
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end('not found\n')
    }
    requests(route, code).inc()
    latency.record(process.hrtime.bigint() - started)
    inFlight.dec()
  }

  http.createServer(handle).listen(PORT, HOST)
  // Ctrl-C reaches the whole process group: the primary alone decides, and stops the workers.
  process.on('SIGINT', () => {})
}

if (cluster.isPrimary) primary()
else worker()
