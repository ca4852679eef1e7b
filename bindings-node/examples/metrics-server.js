'use strict'
// A /metrics route for Prometheus with node's own http module: every request to /metrics gets
// the process-wide default registry in the format its Accept header asks for (negotiate():
// protobuf for a Prometheus with native histograms enabled, OpenMetrics or Prometheus text
// otherwise), with its content type; `?format=prometheus|openmetrics|json|protobuf` overrides
// the header. Every other route counts itself in `http_requests_total{route, code}` and answers
// 404 or 200, and the size of every answer goes into a native histogram,
// `http_response_size_bytes` (native buckets in protobuf; `+Inf`, `_sum` and `_count` in text).
//
//   node examples/metrics-server.js            # listens on 127.0.0.1:9464 (PORT, HOST override)
//   curl -s localhost:9464/metrics
//
// Metrics that worker_threads record into `registry` appear here too: the default registry is
// one per process. Export reads the metrics' atomic cells, so it never blocks a request that is
// recording.

const http = require('node:http')
const { registry, Registry, negotiate } = require('..')

const CONTENT_TYPES = {
  prometheus: Registry.PROMETHEUS_CONTENT_TYPE,
  openmetrics: Registry.OPENMETRICS_CONTENT_TYPE,
  json: Registry.JSON_CONTENT_TYPE,
  protobuf: Registry.PROTOBUF_CONTENT_TYPE,
}

const latency = registry.histogram('http_request_duration_seconds', {
  help: 'Time to answer a request, in seconds.',
  buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
})
const sizes = registry.nativeHistogram('http_response_size_bytes', {
  help: 'Size of the answers, in bytes.',
})

/** The format and content type to answer a /metrics request with. */
function formatOf(req, url) {
  const asked = url.searchParams.get('format')
  if (asked === null) return negotiate(req.headers.accept)
  return Object.hasOwn(CONTENT_TYPES, asked) ? { format: asked, contentType: CONTENT_TYPES[asked] } : null
}

function handle(req, res) {
  const started = process.hrtime.bigint()
  const url = new URL(req.url, 'http://localhost')
  let code = 200
  let body
  if (url.pathname === '/metrics') {
    const chosen = formatOf(req, url)
    if (chosen === null) {
      code = 400
      body = `unknown format ${url.searchParams.get('format')}\n`
      res.writeHead(code, { 'Content-Type': 'text/plain' }).end(body)
    } else {
      body = registry.metrics({ format: chosen.format }) // a Buffer for protobuf, a string otherwise
      res.writeHead(code, { 'Content-Type': chosen.contentType }).end(body)
    }
  } else if (url.pathname === '/') {
    body = 'hello\n'
    res.writeHead(code, { 'Content-Type': 'text/plain' }).end(body)
  } else {
    code = 404
    body = 'not found\n'
    res.writeHead(code, { 'Content-Type': 'text/plain' }).end(body)
  }
  sizes.record(typeof body === 'string' ? Buffer.byteLength(body) : body.length)
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
