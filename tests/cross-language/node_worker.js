// One Node process of the cross-language test: THREADS worker threads each increment the counter
// `jobs{lang="any"}` of the segment PATH N times (direct writes to the shared cells), and the
// process holds a livesum gauge at 1 while they run.
'use strict'
const { Worker, isMainThread, workerData } = require('node:worker_threads')
const { SharedRegistry } = require(process.env.ATOMICPERF_NODE || 'atomicperf')

const open = (path) => new SharedRegistry(path, { openExisting: true })
const jobsOf = (metrics) => metrics.counter('jobs', { help: 'Jobs done, by every process.', labels: { lang: 'any' } })

if (isMainThread) {
  const [path, threads, n] = process.argv.slice(2)
  const metrics = open(path)
  const busy = metrics.gauge('busy', { help: 'Processes counting.', mode: 'livesum' })
  busy.set(1)
  let running = Number(threads)
  for (let i = 0; i < Number(threads); i++) {
    const w = new Worker(__filename, { workerData: { path, n: Number(n) } })
    w.on('error', (e) => { console.error(e); process.exitCode = 1 })
    w.on('exit', (code) => {
      if (code !== 0) process.exitCode = 1
      if (--running === 0) busy.set(0)
    })
  }
} else {
  const jobs = jobsOf(open(workerData.path))
  for (let i = 0; i < workerData.n; i++) jobs.inc()
}
