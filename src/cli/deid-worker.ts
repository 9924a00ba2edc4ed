/**
 * A worker thread of `dicomgate deid`: loads the engine, waits for the work (one message:
 * deid-pool.ts), then takes jobs from the shared counter until none is left, posting one
 * result per job, and ends.
 */

import { once } from 'node:events'
import { parentPort } from 'node:worker_threads'
import { openRunner, type Job } from './deid-job.js'
import { takeJob, type WorkerData, type WorkerResult } from './deid-pool.js'

const port = parentPort
if (port === null) throw new Error('deid-worker runs as a worker thread only')
const [data] = await once(port, 'message') as [WorkerData]
// Without this the port's listener would keep the thread alive after the last job.
port.unref()
const { runner, close } = await openRunner(data)
const counter = new Int32Array(data.next)
try {
  for (let index = takeJob(counter); index < data.jobs.length; index = takeJob(counter)) {
    const message: WorkerResult = { index, result: await runner.run(data.jobs[index] as Job) }
    port.postMessage(message)
  }
} finally {
  await close()
}
