/**
 * Runs de-identification jobs on worker threads, one per core (the engine is CPU-bound
 * between reads and writes), or in this thread for a single file. Workers get the compiled
 * profile and the secret by message (never by a file name or the environment) and derive
 * the keys themselves.
 */

import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { deriveKeys } from '../pseudonym/keys.js'
import type { CompiledProfile } from '../deid/profile/types.js'
import { runJob, type Job, type JobResult } from './deid-job.js'

export interface PoolOptions {
  readonly profile: CompiledProfile
  readonly secret: Uint8Array
  /** Worker threads; default: the available parallelism. 1 runs in this thread. */
  readonly threads?: number
}

export interface WorkerData {
  /** The compiled profile, structured-cloned: workers never load or validate profile files. */
  readonly profile: CompiledProfile
  readonly secret: Uint8Array
}

/** Jobs each worker has in flight: one being computed while the next ones are read and written. */
const IN_FLIGHT_PER_WORKER = 4

export function defaultThreads (): number {
  return availableParallelism()
}

export async function runJobs (jobs: readonly Job[], options: PoolOptions, onResult: (job: Job, result: JobResult) => void): Promise<void> {
  const threads = Math.max(1, Math.min(options.threads ?? defaultThreads(), jobs.length))
  if (threads === 1) {
    const deid = { profile: options.profile, keys: deriveKeys(options.secret) }
    for (const job of jobs) onResult(job, await runJob(job, deid))
    return
  }
  const workerData: WorkerData = { profile: options.profile, secret: options.secret }
  let next = 0
  await Promise.all(Array.from({ length: threads }, async () => {
    const worker = startWorker(workerData)
    try {
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0
        const send = (): void => {
          while (inFlight < IN_FLIGHT_PER_WORKER && next < jobs.length) {
            worker.postMessage({ index: next++ })
            inFlight++
          }
          if (inFlight === 0) resolve()
        }
        worker.on('message', (message: { index: number, result: JobResult }) => {
          inFlight--
          onResult(jobs[message.index] as Job, message.result)
          send()
        })
        worker.on('error', reject)
        worker.on('exit', (code) => { if (inFlight > 0) reject(new Error(`a worker exited (${code}) with jobs in flight`)) })
        // Jobs go by index: the worker gets the list once.
        worker.postMessage({ jobs })
        send()
      })
    } finally {
      await worker.terminate()
    }
  }))
}

/**
 * The worker runs dist/cli/deid-worker.js; when this module runs from its TypeScript source
 * (tests, development), the worker registers tsx first, since loader hooks of the main
 * thread do not reach worker threads.
 */
function startWorker (workerData: WorkerData): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./deid-worker.js', import.meta.url), { workerData })
  const source = new URL('./deid-worker.ts', import.meta.url).href
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}
