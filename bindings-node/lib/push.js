'use strict'
// Pushgateway: pushes a registry to a Prometheus Pushgateway, with prom-client's API
// (`new Pushgateway(url, options, registry)`, `pushAdd`/`push`/`delete({ jobName, groupings })`,
// each a Promise of `{ resp, body }`), over Node's own http/https modules.
//
// The group's URL comes from the core (`pushgatewayUrl`, src/push.rs): the same check of the job
// and the grouping label names, and the same encoding of their values, as in every atomicperf
// language. The body of push and pushAdd is `registry.metrics()` (Prometheus text).

const http = require('node:http')
const https = require('node:https')

const { withCode, typeError, typeName } = require('./registry.js').lookup

// The most of a refusal's body kept on its error.
const MAX_REASON = 64 * 1024
const DEFAULT_TIMEOUT_MS = 30_000

module.exports = function definePushgateway(calls, { Registry, SharedRegistry, registry: defaultRegistry }) {
  const { pushgatewayUrl } = calls

  function groupingPairs(groupings) {
    if (groupings === undefined || groupings === null) return []
    if (typeof groupings !== 'object' || Array.isArray(groupings)) {
      throw typeError(`groupings must be an object of label names to values, got ${typeName(groupings)}`)
    }
    const flat = []
    for (const [name, v] of Object.entries(groupings)) {
      const t = typeof v
      if (t !== 'string' && t !== 'number' && t !== 'bigint' && t !== 'boolean') {
        throw typeError(`the value of grouping label ${JSON.stringify(name)} must be a string, got ${typeName(v)}`)
      }
      flat.push(name, String(v))
    }
    return flat
  }

  /**
   * Pushes a registry to a Prometheus Pushgateway. `url` is `http://host:port` or `https://...`,
   * optionally with a path prefix; `options.timeout` (ms, default 30000) bounds each request,
   * response included; `options.headers` are added to each request; `options.agent` is passed to
   * http.request. `registry` defaults to the process-wide one.
   */
  class Pushgateway {
    #url
    #timeout
    #headers
    #agent
    #registry

    constructor(url, options, registry) {
      if (typeof url !== 'string') throw typeError(`the Pushgateway url must be a string, got ${typeName(url)}`)
      const opts = options ?? {}
      if (typeof opts !== 'object' || Array.isArray(opts)) {
        throw typeError(`Pushgateway options must be an object, got ${typeName(options)}`)
      }
      const timeout = opts.timeout ?? DEFAULT_TIMEOUT_MS
      if (typeof timeout !== 'number' || !(timeout > 0) || !Number.isFinite(timeout)) {
        throw typeError(`timeout must be a positive number of milliseconds, got ${String(timeout)}`)
      }
      if (opts.headers !== undefined && (opts.headers === null || typeof opts.headers !== 'object')) {
        throw typeError(`headers must be an object, got ${typeName(opts.headers)}`)
      }
      const reg = registry ?? defaultRegistry
      if (!(reg instanceof Registry) && !(reg instanceof SharedRegistry)) {
        throw typeError(`the registry must be an atomicperf Registry or SharedRegistry, got ${typeName(reg)}`)
      }
      this.#url = url
      this.#timeout = timeout
      this.#headers = { ...opts.headers }
      this.#agent = opts.agent
      this.#registry = reg
    }

    /** POST: the registry's metrics replace only the group's families of the same names. */
    pushAdd(params) {
      return this.#send('POST', params)
    }

    /** PUT: the registry's metrics replace every metric of the group. */
    push(params) {
      return this.#send('PUT', params)
    }

    /** DELETE: the group and all its metrics are deleted. */
    delete(params) {
      return this.#send('DELETE', params)
    }

    async #send(method, params) {
      if (params === null || typeof params !== 'object') {
        throw typeError(`expected { jobName, groupings }, got ${typeName(params)}`)
      }
      // The core checks the job, the label names and the gateway address: nothing is sent if
      // any is invalid.
      const url = pushgatewayUrl(this.#url, params.jobName, groupingPairs(params.groupings))
      const body = method === 'DELETE' ? undefined : this.#registry.metrics()
      const headers = { ...this.#headers }
      if (body !== undefined) {
        headers['Content-Type'] = Registry.PROMETHEUS_CONTENT_TYPE
        headers['Content-Length'] = String(Buffer.byteLength(body))
      }
      const where = `Pushgateway ${method} ${url}`
      const target = new URL(url)
      const client = target.protocol === 'https:' ? https : http
      return new Promise((resolve, reject) => {
        let timedOut = false
        let settled = false
        const settle = (fn, value) => {
          if (settled) return
          settled = true
          clearTimeout(timer)
          fn(value)
        }
        // A failure before or during the response: the time-out, or the connection's own error.
        const failed = (cause) => {
          if (timedOut) {
            const e = new Error(`${where}: no answer within ${this.#timeout} ms`)
            settle(reject, withCode(Object.assign(e, { method, url }), 'AP_ERR_TIMEOUT'))
          } else {
            const e = new Error(`${where}: could not reach the gateway: ${cause.message}`, { cause })
            settle(reject, Object.assign(e, { method, url }))
          }
        }
        const req = client.request(target, { method, headers, agent: this.#agent }, (resp) => {
          const chunks = []
          let size = 0
          resp.on('data', (chunk) => {
            if (size < MAX_REASON) chunks.push(chunk)
            size += chunk.length
          })
          resp.on('error', failed)
          resp.on('close', () => {
            if (!resp.complete) failed(new Error('the connection closed before the response ended'))
          })
          resp.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8').slice(0, MAX_REASON)
            const status = resp.statusCode ?? 0
            if (status >= 200 && status < 300) {
              settle(resolve, { resp, body: text })
              return
            }
            const e = new Error(`${where}: status ${status}: ${text.trim() || resp.statusMessage || ''}`)
            settle(reject, Object.assign(e, { method, url, status, body: text }))
          })
        })
        const timer = setTimeout(() => {
          timedOut = true
          req.destroy(new Error('timed out'))
        }, this.#timeout)
        req.on('error', failed)
        req.end(body)
      })
    }
  }

  return { Pushgateway }
}
