/**
 * One file through the engine: read, de-identify, write to a temporary name beside the
 * target, rename. A rejected or failed file leaves no output (the partial file is removed),
 * so an output folder only ever holds complete, de-identified files.
 *
 * Files up to WHOLE_FILE_MAX_BYTES are read whole into one buffer the runner reuses, and
 * read and written with synchronous calls: a runner lives on a thread that has nothing else
 * to do meanwhile (a worker, or the main thread between two turns of its event loop), and
 * for files in the page cache a synchronous call costs a fraction of a thread-pool round
 * trip. Reusing the buffer spares a fresh half-megabyte allocation, and its page faults,
 * per file.
 *
 * Larger files stream through the same synchronous calls, 1 MiB at a time into two read
 * buffers used in turn (DicomChunkTransform says why two): memory stays a few megabytes
 * whatever the file's size, where a Node.js stream allocates a buffer per read and leaves
 * tens of megabytes to the garbage collector. A deflated dataset needs zlib's asynchronous
 * stream: such a file starts over on the stream form.
 */

import { Buffer } from 'node:buffer'
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writevSync } from 'node:fs'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { threadId } from 'node:worker_threads'
import { asDicomgateError, type Job } from './inputs.js'
import { createDeidChunkTransform, createDeidTransform, deidentifyBuffer, type DeidEncryption, type DeidOptions } from '../deid/index.js'
import type { ContentCipherName } from '../cms/enveloped.js'
import type { PseudonymMapping } from '../deid/context.js'
import { keywordOf } from '../dicom/dictionary.js'
import { formatTag } from '../dicom/tags.js'
import type { CompiledProfile } from '../deid/profile/types.js'
import { deriveKeys } from '../pseudonym/keys.js'
import type { Mapping, PseudonymStore, StoreConfig } from '../store/types.js'

/**
 * With a store: files whose output is written but whose mappings are not committed yet, per
 * thread. The thread goes on with the next file meanwhile, so that one commit carries the
 * mappings of several files (STORE_WINDOW_MS) instead of one commit per file.
 */
export const MAX_UNCOMMITTED_FILES = 32
/**
 * The store's batch window for the CLI: the first mapping waits this long for others to
 * join its transaction. No caller waits on a single commit here (MAX_UNCOMMITTED_FILES), so
 * a window costs nothing and saves most commits.
 */
export const STORE_WINDOW_MS = 10
/** Files up to this size are read whole; larger ones stream. */
export const WHOLE_FILE_MAX_BYTES = 32 * 1024 * 1024
/** The read size of a streamed file. */
const CHUNK_BYTES = 1024 * 1024
/** writev takes at most IOV_MAX (1024 on Linux) buffers per call. */
const IOV_MAX = 1024

export type { Job } from './inputs.js'

/** What every thread of a run builds its runner from: structured-cloneable, sent to workers as is. */
export interface RunSettings {
  /** The compiled profile: workers never load or validate profile files. */
  readonly profile: CompiledProfile
  readonly secret: Uint8Array
  /** Where to record the pseudonyms made; each thread opens its own connection. */
  readonly store?: StoreConfig | undefined
  /** Encrypted Attributes (PS3.15 §E.1.2) for these recipient certificates (DER). */
  readonly encryption?: { readonly certificates: readonly Uint8Array[], readonly cipher: ContentCipherName } | undefined
}

/** A runner for this thread, with the store it records into; `close` when the jobs are done. */
export async function openRunner (settings: RunSettings): Promise<{ readonly runner: JobRunner, close: () => Promise<void> }> {
  const options = await openRunnerOptions(settings)
  if (settings.store === undefined) return { runner: new JobRunner(options), close: async () => {} }
  const { openStore } = await import('../store/index.js')
  const store = await openStore(settings.store, settings.secret, { windowMs: STORE_WINDOW_MS })
  return { runner: new JobRunner(options, { store }), close: async () => { await store.close() } }
}

/** The engine's options from the settings: keys derived, certificates parsed. */
export async function openRunnerOptions (settings: Omit<RunSettings, 'store'>): Promise<DeidOptions> {
  return {
    profile: settings.profile,
    keys: deriveKeys(settings.secret),
    ...(settings.encryption === undefined ? {} : { encryption: await encryptionFor(settings.encryption) })
  }
}

/** The CMS encryption of the originals (src/cms/), loaded only when asked for. */
async function encryptionFor ({ certificates, cipher }: NonNullable<RunSettings['encryption']>): Promise<DeidEncryption> {
  const [{ encryptEnveloped }, { certificateFromPem }] = await Promise.all([import('../cms/enveloped.js'), import('../cms/keys.js')])
  const recipients = certificates.map((der, i) => certificateFromPem(der, `recipient certificate ${i + 1}`))
  return { encrypt: (content) => encryptEnveloped(content, recipients, { cipher }) }
}

/** A mapping as the engine reports it, as the store records it. */
export function storedMapping (m: PseudonymMapping, keyId: string): Mapping {
  return { pseudonym: m.pseudonym, original: m.original, kind: keywordOf(m.tag) ?? formatTag(m.tag), keyId }
}

export interface RunnerOptions {
  /** Files up to this size are read whole (default WHOLE_FILE_MAX_BYTES). */
  readonly wholeFileMaxBytes?: number
  /**
   * Where the file's pseudonyms are recorded (docs/store.md): an output is renamed into
   * place only after its mappings are committed, so no output carries a pseudonym the
   * store cannot answer for.
   */
  readonly store?: Pick<PseudonymStore, 'record'>
}

export type JobResult =
  | { readonly ok: true, readonly bytesIn: number, readonly bytesOut: number }
  | { readonly ok: false, readonly code: string, readonly message: string, readonly bytesIn: number }

/**
 * Runs jobs one at a time on the calling thread. One at a time is what makes reusing the
 * read buffer safe: the output of deidentifyBuffer refers to it (kept pixel data is not
 * copied) until the file is written.
 */
export class JobRunner {
  readonly #options: DeidOptions
  readonly #wholeFileMaxBytes: number
  readonly #store: Pick<PseudonymStore, 'record'> | undefined
  /** The mappings of the file being done, when there is a store. */
  #mappings: Mapping[] = []
  #buffer = Buffer.allocUnsafeSlow(0)
  /** The two read buffers of streamed files, made on the first one. */
  #chunks: readonly [Buffer, Buffer] | null = null
  #busy = false
  /** Output folders made so far: one mkdir per folder, not per file. */
  readonly #madeDirs = new Set<string>()
  /** Partial file names: unique per process, thread and file without a random source. */
  #partials = 0

  constructor (options: DeidOptions, { wholeFileMaxBytes = WHOLE_FILE_MAX_BYTES, store }: RunnerOptions = {}) {
    this.#store = store
    this.#wholeFileMaxBytes = wholeFileMaxBytes
    if (store === undefined) {
      this.#options = options
      return
    }
    const keyId = options.keys.fingerprint
    const onMapping = (m: PseudonymMapping): void => { this.#mappings.push(storedMapping(m, keyId)) }
    this.#options = { ...options, onMapping }
  }

  /** Runs a job to its end: output in place (after its mappings are stored), or removed. */
  async run (job: Job): Promise<JobResult> {
    return await (await this.start(job)).done
  }

  /**
   * Runs a job up to its output written under a partial name and its mappings handed to
   * the store; resolves then, when the runner is free for the next job. `done` settles once
   * the mappings are committed and the output renamed into place, or the partial file
   * removed: a result either way, never a rejection. Without a store, `done` is settled
   * when `start` resolves.
   */
  async start (job: Job): Promise<{ readonly done: Promise<JobResult> }> {
    if (this.#busy) throw new Error('JobRunner runs one job at a time')
    this.#busy = true
    let bytesIn = 0
    const partial = `${job.output}.partial-${process.pid}-${threadId}-${this.#partials++}`
    const failed = (err: unknown): JobResult => {
      try { unlinkSync(partial) } catch { /* never created, or already gone */ }
      const error = asDicomgateError(err)
      return { ok: false, code: error.code, message: error.message, bytesIn }
    }
    this.#mappings = []
    try {
      const dir = dirname(job.output)
      if (!this.#madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true })
        this.#madeDirs.add(dir)
      }
      const input = openSync(job.input, 'r')
      let bytesOut: number
      try {
        bytesIn = fstatSync(input).size
        if (bytesIn <= this.#wholeFileMaxBytes) {
          bytesOut = this.#whole(input, bytesIn, partial)
        } else {
          bytesOut = this.#chunked(input, partial) ??
            await streamed(createReadStream('', { fd: input, autoClose: false, start: 0, highWaterMark: CHUNK_BYTES }), partial, this.#options)
        }
      } finally {
        closeSync(input)
      }
      const result: JobResult = { ok: true, bytesIn, bytesOut }
      if (this.#store === undefined || this.#mappings.length === 0) {
        renameSync(partial, job.output)
        return { done: Promise.resolve(result) }
      }
      const committed = this.#store.record(this.#mappings)
      return {
        done: committed.then(() => {
          renameSync(partial, job.output)
          return result
        }).catch(failed)
      }
    } catch (err) {
      return { done: Promise.resolve(failed(err)) }
    } finally {
      this.#busy = false
    }
  }

  #whole (input: number, size: number, output: string): number {
    if (this.#buffer.length < size) this.#buffer = Buffer.allocUnsafeSlow(size)
    const bytes = this.#buffer.subarray(0, readFully(input, this.#buffer, size))
    const chunks = deidentifyBuffer(bytes, this.#options)
    const fd = openSync(output, 'wx', 0o644)
    try {
      return writeFully(fd, chunks)
    } finally {
      closeSync(fd)
    }
  }

  /** Streams synchronously; null (and no output file) when the dataset is deflated. */
  #chunked (input: number, output: string): number | null {
    const buffers = this.#chunks ??= [Buffer.allocUnsafeSlow(CHUNK_BYTES), Buffer.allocUnsafeSlow(CHUNK_BYTES)]
    const transform = createDeidChunkTransform(this.#options)
    const fd = openSync(output, 'wx', 0o644)
    let total = 0
    try {
      for (let turn = 0; ; turn ^= 1) {
        const buffer = buffers[turn] as Buffer
        const n = readSync(input, buffer, 0, buffer.length, null)
        const out = n === 0 ? transform.end() : transform.write(buffer.subarray(0, n))
        if (out === null) break
        total += writeFully(fd, out)
        if (n === 0) return total
      }
    } finally {
      closeSync(fd)
    }
    unlinkSync(output)
    return null
  }
}

/** Writes every chunk, IOV_MAX at a time, resuming after a short write; returns the total. */
function writeFully (fd: number, chunks: readonly Uint8Array[]): number {
  let total = 0
  let pending = chunks.slice()
  while (pending.length > 0) {
    const batch = pending.slice(0, IOV_MAX)
    let written = writevSync(fd, batch)
    if (written === 0 && batch.some((chunk) => chunk.length > 0)) throw Object.assign(new Error('no progress writing'), { code: 'EIO' })
    total += written
    let done = 0
    while (done < batch.length && written >= (batch[done] as Uint8Array).length) written -= (batch[done++] as Uint8Array).length
    pending = pending.slice(done)
    // A chunk written in part: what is left of it goes first in the next call.
    if (written > 0) pending[0] = (pending[0] as Uint8Array).subarray(written)
  }
  return total
}

/** Reads up to `size` bytes (fewer when the file shrank since fstat); returns how many. */
function readFully (fd: number, buffer: Buffer, size: number): number {
  let offset = 0
  while (offset < size) {
    const n = readSync(fd, buffer, offset, size - offset, null)
    if (n === 0) break
    offset += n
  }
  return offset
}

async function streamed (source: NodeJS.ReadableStream, output: string, options: DeidOptions): Promise<number> {
  const out = createWriteStream(output, { flags: 'wx', mode: 0o644 })
  await pipeline(source, createDeidTransform(options), out)
  return out.bytesWritten
}

/**
 * Runs through `runner` the jobs whose indexes `take` hands out, until it returns one past
 * the list, reporting each result as it settles. With a store, up to MAX_UNCOMMITTED_FILES
 * outputs wait for their commit while the next files are done. `between` runs after each
 * file (the main thread returns to its event loop there). Resolves when every result is
 * reported.
 */
export async function runJobs (
  runner: JobRunner,
  jobs: readonly Job[],
  take: () => number,
  report: (index: number, result: JobResult) => void,
  between?: () => Promise<unknown>
): Promise<void> {
  const waiting = new Set<Promise<void>>()
  for (let index = take(); index < jobs.length; index = take()) {
    const taken = index
    const { done } = await runner.start(jobs[taken] as Job)
    const reported = done.then((result) => { report(taken, result) })
    waiting.add(reported)
    reported.then(() => waiting.delete(reported), () => waiting.delete(reported))
    if (waiting.size >= MAX_UNCOMMITTED_FILES) await Promise.race(waiting)
    await between?.()
  }
  await Promise.all(waiting)
}
