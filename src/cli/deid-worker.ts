/** A worker thread of `dicomgate deid`: runs the jobs the pool sends, one result per job. */

import { parentPort, workerData } from 'node:worker_threads'
import { deriveKeys } from '../pseudonym/keys.js'
import { runJob, type Job } from './deid-job.js'
import type { WorkerData } from './deid-pool.js'

const data = workerData as WorkerData
const options = { profile: data.profile, keys: deriveKeys(data.secret) }
let jobs: readonly Job[] = []
const port = parentPort
if (port === null) throw new Error('deid-worker runs as a worker thread only')

port.on('message', (message: { jobs?: readonly Job[], index?: number }) => {
  if (message.jobs !== undefined) {
    jobs = message.jobs
    return
  }
  const index = message.index as number
  void runJob(jobs[index] as Job, options).then((result) => { port.postMessage({ index, result }) })
})
