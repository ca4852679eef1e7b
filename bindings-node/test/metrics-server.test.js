'use strict'
// examples/metrics-server.js: a /metrics route over node's http module, fetched over HTTP.
const test = require('node:test')
const assert = require('node:assert/strict')
const { start } = require('../examples/metrics-server.js')
const { registry, Registry } = require('..')

test('GET /metrics serves the default registry with its content type', async (t) => {
  const server = await start({ port: 0, host: '127.0.0.1' })
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const base = `http://127.0.0.1:${server.address().port}`
  registry.counter('example_jobs', { help: 'Jobs.', labels: { kind: 'test' } }).add(3)
  for (let i = 0; i < 2; i++) assert.equal((await (await fetch(`${base}/`)).text()), 'hello\n')
  assert.equal((await fetch(`${base}/nope`)).status, 404)

  const res = await fetch(`${base}/metrics`)
  assert.equal(res.status, 200)
  assert.equal(res.headers.get('content-type'), Registry.PROMETHEUS_CONTENT_TYPE)
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  const text = await res.text()
  assert.match(text, /^example_jobs_total\{kind="test"\} 3$/m)
  assert.match(text, /^http_requests_total\{code="200",route="\/"\} 2$/m)
  assert.match(text, /^http_requests_total\{code="404",route="other"\} 1$/m)
  assert.match(text, /^# TYPE http_request_duration_seconds histogram$/m)

  const om = await fetch(`${base}/metrics?format=openmetrics`)
  assert.equal(om.headers.get('content-type'), Registry.OPENMETRICS_CONTENT_TYPE)
  assert.ok((await om.text()).endsWith('# EOF\n'))
  const json = await fetch(`${base}/metrics?format=json`)
  assert.equal(json.headers.get('content-type'), 'application/json')
  assert.ok(Array.isArray((await json.json()).families))
  assert.equal((await fetch(`${base}/metrics?format=xml`)).status, 400)
})
