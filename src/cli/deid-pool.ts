/**
 * Runs de-identification jobs on `threads` threads, one per core by default (the engine is
 * CPU-bound, and reads and writes of cached files are memory copies): this thread plus
 * `threads - 1` worker threads.
 *
 * Workers start before the profile is compiled (`DeidPool.start`) and get the work, with
 * the compiled profile and the secret, in one message.
 *
 * Jobs are taken, not sent: every thread claims the next job index from one shared counter
 * (Atomics.add on a SharedArrayBuffer) when it finishes the previous one, so there is no
 * round trip per file and a fast thread takes more files. This thread starts working at
 * once; a worker joins when it has started (tens of milliseconds), and on a short list may
 * find nothing left. This thread returns to its event loop between files, to receive the
 * workers' results and draw the progress bar.
 *
 * Workers get the compiled profile and the secret by message (never by a file name or the
 * environment) and derive the keys themselves.
 */

import { availableParallelism } from 'node:os'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import type { StoreConfig } from '../store/types.js'
import type { Job, JobResult, RunSettings } from './deid-job.js'

/** What a worker is started with, before the work is known. */
export interface WorkerStart {
  /** The store the run will record into: the worker loads its driver while it waits. */
  readonly store?: StoreConfig | undefined
}

export interface WorkerData extends RunSettings {
  readonly jobs: readonly Job[]
  /** One Int32: the index of the next job to take. */
  readonly next: SharedArrayBuffer
}

/** What a worker posts: one result per job it took. */
export interface WorkerResult {
  readonly index: number
  readonly result: JobResult
}

export function defaultThreads (): number {
  return availableParallelism()
}

/** Claims the next job index; at or past the number of jobs when none is left. */
export function takeJob (next: Int32Array): number {
  return Atomics.add(next, 0, 1)
}

/**
 * The threads of one `dicomgate deid` run. Workers are started by `start`, before the
 * profile is compiled and the inputs are listed, so that their start-up (a Node.js realm
 * and the engine's modules) overlaps this thread's; they wait for the work in `run`.
 */
export class DeidPool {
  readonly #workers: Worker[]
  readonly #exited: Array<Promise<void>>

  private constructor (workers: Worker[]) {
    this.#workers = workers
    this.#exited = workers.map((worker) => new Promise<void>((resolve, reject) => {
      worker.once('error', reject)
      worker.once('exit', () => { resolve() })
    }))
    // Until `run` waits on them, a failed start must not be an unhandled rejection.
    for (const exited of this.#exited) exited.catch(() => {})
  }

  /**
   * `threads` de-identifying threads, this one included (default: one per core). Workers
   * given the store's config load its driver while this thread compiles the profile.
   */
  static start (threads = defaultThreads(), start: WorkerStart = {}): DeidPool {
    return new DeidPool(Array.from({ length: Math.max(0, threads - 1) }, () => startWorker(start)))
  }

  /** Runs every job once, reporting each result as it comes; then the workers end. */
  async run (jobs: readonly Job[], settings: RunSettings, onResult: (job: Job, result: JobResult) => void): Promise<void> {
    const next = new SharedArrayBuffer(4)
    const counter = new Int32Array(next)
    let reported = 0
    const report = (index: number, result: JobResult): void => {
      reported++
      onResult(jobs[index] as Job, result)
    }
    // More workers than jobs beyond the first would only start to find nothing left.
    const used = this.#workers.slice(0, Math.max(0, jobs.length - 1))
    for (const idle of this.#workers.slice(used.length)) void idle.terminate()
    const work: WorkerData = { ...settings, jobs, next }
    for (const worker of used) {
      worker.on('message', (message: WorkerResult) => { report(message.index, message.result) })
      worker.postMessage(work)
    }
    // Loaded here, not on import: the workers are started before this thread loads the engine.
    const { openRunner, runJobs } = await import('./deid-job.js')
    const { runner, close } = await openRunner(settings)
    try {
      // After each file, let the workers' results, the progress bar and the store's commits through.
      await runJobs(runner, jobs, () => takeJob(counter), report, async () => await nextTurn())
    } finally {
      await close()
    }
    await Promise.all(this.#exited.slice(0, used.length))
    // A worker that died with a job taken would leave it unreported: never a silent gap.
    if (reported !== jobs.length) throw new Error(`${jobs.length - reported} jobs were taken by a worker that stopped`)
  }

  /** Stops the workers, whether or not `run` was called or finished. */
  async close (): Promise<void> {
    await Promise.all(this.#workers.map(async (worker) => await worker.terminate()))
  }
}

/**
 * The worker runs dist/cli/deid-worker.js; when this module runs from its TypeScript source
 * (tests, development), the worker registers tsx first, since loader hooks of the main
 * thread do not reach worker threads.
 */
function startWorker (workerData: WorkerStart): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./deid-worker.js', import.meta.url), { workerData })
  const source = new URL('./deid-worker.ts', import.meta.url).href
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}) })`
  return new Worker(bootstrap, { eval: true, workerData })
}
