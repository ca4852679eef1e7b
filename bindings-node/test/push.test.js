'use strict'
// Pushgateway: prom-client's API over Node's http module, against a local server that records
// each request, and against a real Pushgateway when AP_PUSHGATEWAY_URL names one
// (scripts/test-pushgateway.sh).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const net = require('node:net')
const path = require('node:path')

const { Pushgateway, Registry, SharedRegistry } = require('..')

/** A server answering every request with `status` and `reason`; `requests` records them. */
async function gateway(t, status = 200, reason = '') {
  const requests = []
  const server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      requests.push({ method: req.method, path: req.url, contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString() })
      res.writeHead(status).end(reason)
    })
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => server.close())
  return { url: `http://127.0.0.1:${server.address().port}`, requests }
}

test('push, pushAdd and delete send their method to the core\'s path, with the export as the body', async (t) => {
  const gw = await gateway(t)
  const registry = new Registry()
  registry.counter('backups_done', { help: 'Backups done.', labels: { kind: 'full' } }).add(3)
  const pg = new Pushgateway(gw.url + '/prefix/', { timeout: 5000 }, registry)
  const params = { jobName: 'backup', groupings: { instance: 'h 1', path: '/var/tmp', shard: 2 } }
  const pushed = await pg.push(params)
  assert.equal(pushed.resp.statusCode, 200)
  assert.equal(pushed.body, '')
  await pg.pushAdd(params)
  await pg.delete(params)
  const body = registry.metrics()
  assert.match(body, /backups_done_total\{kind="full"\} 3/)
  const p = '/prefix/metrics/job/backup/instance/h%201/path@base64/L3Zhci90bXA/shard/2'
  assert.deepEqual(gw.requests, [
    { method: 'PUT', path: p, contentType: Registry.PROMETHEUS_CONTENT_TYPE, body },
    { method: 'POST', path: p, contentType: Registry.PROMETHEUS_CONTENT_TYPE, body },
    { method: 'DELETE', path: p, contentType: undefined, body: '' },
  ])
})

test('the default registry and a SharedRegistry can be pushed', async (t) => {
  const gw = await gateway(t)
  await new Pushgateway(gw.url).push({ jobName: 'j' })
  const shared = new SharedRegistry(path.join(require('node:os').tmpdir(), `atomicperf-push-${process.pid}`))
  t.after(() => { shared.unlink(); shared.close() })
  shared.counter('shared_pushed').inc()
  await new Pushgateway(gw.url, {}, shared).push({ jobName: 'j' })
  assert.equal(gw.requests.length, 2)
  assert.match(gw.requests[1].body, /shared_pushed_total 1/)
})

test('bad jobs, grouping label names and gateway URLs reject before any request', async (t) => {
  const gw = await gateway(t)
  const cases = [
    [gw.url, { jobName: '' }, /job name must not be empty/],
    [gw.url, { jobName: 'j', groupings: { 'a-b': 'x' } }, /invalid grouping label name "a-b"/],
    [gw.url, { jobName: 'j', groupings: { '': 'x' } }, /must not be empty/],
    [gw.url, { jobName: 'j', groupings: { job: 'x' } }, /given as the job name/],
    ['ftp://h', { jobName: 'j' }, /scheme must be http or https/],
    ['', { jobName: 'j' }, /invalid Pushgateway URL/],
  ]
  for (const [url, params, message] of cases) {
    const pg = new Pushgateway(url, {}, new Registry())
    for (const method of ['push', 'pushAdd', 'delete']) {
      await assert.rejects(pg[method](params), (e) => e.code === 'AP_ERR_INVALID_ARGUMENT' && message.test(e.message),
        `${method}(${JSON.stringify(params)}) at ${url}`)
    }
  }
  const pg = new Pushgateway(gw.url, {}, new Registry())
  await assert.rejects(pg.push({ jobName: 1 }), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
  await assert.rejects(pg.push({ jobName: 'j', groupings: { a: {} } }), (e) => e instanceof TypeError && /grouping label "a"/.test(e.message))
  await assert.rejects(pg.push(), (e) => e instanceof TypeError)
  assert.deepEqual(gw.requests, [])
  assert.throws(() => new Pushgateway(9091), (e) => e instanceof TypeError && e.code === 'AP_ERR_INVALID_ARGUMENT')
  assert.throws(() => new Pushgateway(gw.url, { timeout: 0 }), /timeout must be a positive number/)
  assert.throws(() => new Pushgateway(gw.url, {}, {}), /must be an atomicperf Registry or SharedRegistry/)
})

test("a refusal rejects with the status and the gateway's reason", async (t) => {
  const gw = await gateway(t, 400, 'pushed metrics are invalid or inconsistent with existing metrics\n')
  const pg = new Pushgateway(gw.url, {}, new Registry())
  await assert.rejects(pg.push({ jobName: 'j' }), (e) => {
    assert.equal(e.status, 400)
    assert.equal(e.method, 'PUT')
    assert.equal(e.url, gw.url + '/metrics/job/j')
    assert.match(e.body, /inconsistent with existing metrics/)
    assert.match(e.message, /status 400: pushed metrics are invalid/)
    return true
  })
})

test('an unreachable gateway rejects with the connection error as the cause', async () => {
  const server = net.createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  const pg = new Pushgateway(`http://127.0.0.1:${port}`, { timeout: 5000 }, new Registry())
  await assert.rejects(pg.delete({ jobName: 'j' }), (e) => e.cause?.code === 'ECONNREFUSED' && /could not reach the gateway/.test(e.message))
})

test('the timeout is honoured against a gateway that accepts and never answers', async (t) => {
  const sockets = []
  const server = net.createServer((s) => sockets.push(s))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { for (const s of sockets) s.destroy(); server.close() })
  const pg = new Pushgateway(`http://127.0.0.1:${server.address().port}`, { timeout: 200 }, new Registry())
  await assert.rejects(pg.push({ jobName: 'j' }), (e) => e.code === 'AP_ERR_TIMEOUT' && /no answer within 200 ms/.test(e.message))
})

test('index.d.ts declares exactly the methods of Pushgateway', () => {
  const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')
  const body = dts.match(/export declare class Pushgateway \{([\s\S]*?)\n\}/)?.[1]
  assert.ok(body, 'index.d.ts declares no class Pushgateway')
  const declared = [...body.matchAll(/^ {2}([a-zA-Z]+)\(/gm)].map((m) => m[1]).filter((n) => n !== 'constructor').sort()
  const runtime = Object.getOwnPropertyNames(Pushgateway.prototype).filter((n) => n !== 'constructor').sort()
  assert.deepEqual(declared, runtime)
})

test('push, pushAdd and delete on a real Pushgateway', { skip: !process.env.AP_PUSHGATEWAY_URL && 'AP_PUSHGATEWAY_URL is not set (scripts/test-pushgateway.sh sets it)' }, async () => {
  const url = process.env.AP_PUSHGATEWAY_URL
  const scrape = async () => (await fetch(url + '/metrics')).text()
  const registry = new Registry()
  registry.counter('ap_push_node', { help: 'Pushed from Node.', labels: { kind: 'full' } }).add(7)
  const params = { jobName: 'node/batch', groupings: { path: '/var/tmp', empty: '' } }
  await new Pushgateway(url, { timeout: 10_000 }, registry).push(params)
  const series = 'ap_push_node_total{empty="",instance="",job="node/batch",kind="full",path="/var/tmp"} 7'
  assert.ok((await scrape()).includes(series))
  const other = new Registry()
  other.gauge('ap_push_node_extra', { help: 'Added.' }).set(2)
  await new Pushgateway(url, { timeout: 10_000 }, other).pushAdd(params)
  const text = await scrape()
  assert.ok(text.includes(series), text)
  assert.ok(text.includes('ap_push_node_extra{empty="",instance="",job="node/batch",path="/var/tmp"} 2'), text)
  await new Pushgateway(url, { timeout: 10_000 }, registry).delete(params)
  assert.ok(!(await scrape()).includes('ap_push_node'))
})
