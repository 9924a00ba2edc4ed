/**
 * One file through the engine: read, de-identify, write to a temporary name beside the
 * target, rename. A rejected or failed file leaves no output (the partial file is removed),
 * so an output folder only ever holds complete, de-identified files.
 *
 * Small files are read whole (`deidentifyBuffer`: no stream machinery per file); larger
 * ones stream, so memory stays bounded whatever their size.
 */

import type { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { DicomgateError, isDicomgateError } from '../errors.js'
import { createDeidTransform, deidentifyBuffer, type DeidOptions } from '../deid/index.js'

/** Files up to this size are read whole; larger ones stream. */
export const WHOLE_FILE_MAX_BYTES = 32 * 1024 * 1024

export interface Job {
  readonly input: string
  readonly output: string
}

export type JobResult =
  | { readonly ok: true, readonly bytesIn: number, readonly bytesOut: number }
  | { readonly ok: false, readonly code: string, readonly message: string, readonly bytesIn: number }

export async function runJob (job: Job, options: DeidOptions): Promise<JobResult> {
  let bytesIn = 0
  const partial = `${job.output}.partial-${randomBytes(6).toString('hex')}`
  try {
    await ensureDir(dirname(job.output))
    const input = await open(job.input, 'r')
    let bytesOut: number
    try {
      bytesIn = (await input.stat()).size
      bytesOut = bytesIn <= WHOLE_FILE_MAX_BYTES
        ? await whole(await input.readFile(), partial, options)
        : await streamed(job.input, partial, options)
    } finally {
      await input.close()
    }
    await rename(partial, job.output)
    return { ok: true, bytesIn, bytesOut }
  } catch (err) {
    await unlink(partial).catch(() => {})
    const error = asDicomgateError(err)
    return { ok: false, code: error.code, message: error.message, bytesIn }
  }
}

/** Output folders made so far by this thread: one mkdir per folder, not per file. */
const madeDirs = new Set<string>()

async function ensureDir (dir: string): Promise<void> {
  if (madeDirs.has(dir)) return
  await mkdir(dir, { recursive: true })
  madeDirs.add(dir)
}

async function whole (bytes: Buffer, output: string, options: DeidOptions): Promise<number> {
  const chunks = deidentifyBuffer(bytes, options)
  const handle = await open(output, 'wx', 0o644)
  try {
    let written = 0
    // writev takes at most IOV_MAX (1024) buffers at a time.
    for (let i = 0; i < chunks.length; i += 1024) {
      const { bytesWritten } = await handle.writev(chunks.slice(i, i + 1024) as Buffer[])
      written += bytesWritten
    }
    return written
  } finally {
    await handle.close()
  }
}

async function streamed (input: string, output: string, options: DeidOptions): Promise<number> {
  const out = createWriteStream(output, { flags: 'wx', mode: 0o644 })
  await pipeline(createReadStream(input, { highWaterMark: 1024 * 1024 }), createDeidTransform(options), out)
  return out.bytesWritten
}

/** Errors as the summary shows them: a code and a PHI-free message; file system errors as DG_IO. */
function asDicomgateError (err: unknown): DicomgateError {
  if (isDicomgateError(err)) return err
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unknown'
  return new DicomgateError('DG_IO', `the file could not be read or written (${code})`, { cause: err })
}
