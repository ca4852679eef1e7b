'use strict'
// A /metrics route for Prometheus with node's own http module: every request to /metrics gets
// the process-wide default registry in the Prometheus text format, with its content type
// (`?format=openmetrics` or `?format=json` for the others). Every other route counts itself in
// `http_requests_total{route, code}` and answers 404 or 200.
//
//   node examples/metrics-server.js            # listens on 127.0.0.1:9464 (PORT, HOST override)
//   curl -s localhost:9464/metrics
//
// Metrics that worker_threads record into `registry` appear here too: the default registry is
// one per process. Export reads the metrics' atomic cells, so it never blocks a request that is
// recording.

const http = require('node:http')
const { registry, Registry } = require('..')

const CONTENT_TYPES = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
  json: Registry.JSON_CONTENT_TYPE,
}

const latency = registry.histogram('http_request_duration_seconds', {
  help: 'Time to answer a request, in seconds.',
  buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
})

function handle(req, res) {
  const started = process.hrtime.bigint()
  const url = new URL(req.url, 'http://localhost')
  let code = 200
  if (url.pathname === '/metrics') {
    const format = url.searchParams.get('format') || 'prometheus'
    if (!Object.hasOwn(CONTENT_TYPES, format)) {
      code = 400
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end(`unknown format ${format}\n`)
    } else {
      res.writeHead(code, { 'Content-Type': CONTENT_TYPES[format] }).end(registry.metrics({ format }))
    }
  } else if (url.pathname === '/') {
    res.writeHead(code, { 'Content-Type': 'text/plain' }).end('hello\n')
  } else {
    code = 404
    res.writeHead(code, { 'Content-Type': 'text/plain' }).end('not found\n')
  }
  // Cached after the first look-up of each label set: no native call per request.
  registry.counter('http_requests', {
    help: 'Requests answered, by route and status code.',
    // Unknown paths share one label value: a label per path would grow without bound.
    labels: { route: code === 404 ? 'other' : url.pathname, code },
  }).inc()
  latency.record(process.hrtime.bigint() - started)
}

/**
 * Starts the server; resolves it once it listens.
 * @param {{port?: number, host?: string}} [opts] port 0 picks a free port.
 * @returns {Promise<http.Server>}
 */
function start({ port = 9464, host = '127.0.0.1' } = {}) {
  const server = http.createServer(handle)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}

module.exports = { start }

if (require.main === module) {
  start({ port: Number(process.env.PORT || 9464), host: process.env.HOST || '127.0.0.1' }).then((server) => {
    const { address, port } = server.address()
    console.log(`metrics on http://${address}:${port}/metrics`)
  })
}
