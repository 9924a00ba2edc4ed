/**
 * A worker thread of `dicomgate deid`: loads the engine, waits for the work (one message:
 * deid-pool.ts), then takes jobs from the shared counter until none is left, posting one
 * result per job as it settles (deid-job.ts: runJobs), and ends.
 */

import { once } from 'node:events'
import { parentPort, workerData } from 'node:worker_threads'
import { openRunner, runJobs } from './deid-job.js'
import { takeJob, type WorkerData, type WorkerResult, type WorkerStart } from './deid-pool.js'

const port = parentPort
if (port === null) throw new Error('deid-worker runs as a worker thread only')
// The store's driver loads while the main thread compiles the profile (a failure shows
// again, with its code, when the store is opened).
const { store } = workerData as WorkerStart
const preloaded = store === undefined ? undefined : import('../store/index.js').then(async ({ preloadStore }) => { await preloadStore(store) }).catch(() => {})
const [data] = await once(port, 'message') as [WorkerData]
await preloaded
// Without this the port's listener would keep the thread alive after the last job.
port.unref()
const { runner, close } = await openRunner(data)
const counter = new Int32Array(data.next)
try {
  await runJobs(runner, data.jobs, () => takeJob(counter), (index, result) => {
    const message: WorkerResult = { index, result }
    port.postMessage(message)
  })
} finally {
  await close()
}
