/**
 * The per-file operations that are measured, each from a file on disk to a file on disk:
 *
 * - stream-copy: the baseline, bytes from one Node stream to another (1 MiB chunks);
 * - dicomgate: the same pipeline with the codec's read-then-write transform in between;
 * - file-copy: the whole-file baseline, readFile then writeFile;
 * - dicomgate-file: the codec's whole-file form, readFile then `transformBuffer` (parse to
 *   tokens, write back) then one vectored write: how small files are best handled;
 * - dcmjs: whole-file parse then whole-file write, the way dcmjs is used (PS3.10 file in an
 *   ArrayBuffer, DicomMessage.readFile, DicomDict.write).
 *
 * Loaded in the workload child only, so that each tool's memory shows in its own process.
 */

import { createReadStream, createWriteStream } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import { pipeline } from 'node:stream/promises'

import type { createDicomTransform, transformBuffer } from '../../src/dicom/stream.js'
import type { WorkloadKind } from './workload-spec.js'

/** 1 MiB reads: the chunk size of the 3.2 GB/s stream-copy figure in FIELD-NOTES.md. */
export const READ_CHUNK_BYTES = 1 << 20

export type FileOperation = (input: string, output: string) => Promise<void>

async function streamCopy (input: string, output: string): Promise<void> {
  await pipeline(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }), createWriteStream(output))
}

function dicomgatePassThrough (create: typeof createDicomTransform): FileOperation {
  return async (input, output) => {
    await pipeline(
      createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }),
      create(),
      createWriteStream(output)
    )
  }
}

async function fileCopy (input: string, output: string): Promise<void> {
  await writeFile(output, await readFile(input))
}

function dicomgateWholeFile (transform: typeof transformBuffer): FileOperation {
  return async (input, output) => {
    const chunks = transform(await readFile(input))
    const handle = await open(output, 'w')
    try {
      await handle.writev(chunks)
    } finally {
      await handle.close()
    }
  }
}

/** The slice of dcmjs's untyped API the benchmark calls (dcmjs ships no type declarations). */
interface DcmjsApi {
  readonly data: {
    readonly DicomMessage: {
      readFile: (buffer: ArrayBuffer) => { write: () => ArrayBuffer }
    }
  }
}

function isDcmjsApi (value: unknown): value is DcmjsApi {
  if (typeof value !== 'object' || value === null || !('data' in value)) return false
  const data: unknown = value.data
  if (typeof data !== 'object' || data === null || !('DicomMessage' in data)) return false
  const message: unknown = data.DicomMessage
  return typeof message === 'function' && 'readFile' in message && typeof message.readFile === 'function'
}

async function loadDcmjs (): Promise<DcmjsApi> {
  // A variable specifier keeps tsc from looking for declarations dcmjs does not ship.
  const specifier = 'dcmjs'
  const module: unknown = await import(specifier)
  if (!isDcmjsApi(module)) throw new Error('dcmjs does not expose data.DicomMessage.readFile')
  return module
}

function dcmjsReadWrite (dcmjs: DcmjsApi): FileOperation {
  return async (input, output) => {
    const bytes = await readFile(input)
    // readFile wants an ArrayBuffer of exactly the file: Buffer.slice of the pool would not do.
    const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
    const written = dcmjs.data.DicomMessage.readFile(arrayBuffer).write()
    await writeFile(output, new Uint8Array(written))
  }
}

/** The operation of a workload, with whatever it imports loaded before timing starts. */
export async function loadOperation (kind: Exclude<WorkloadKind, 'idle'>): Promise<FileOperation> {
  switch (kind) {
    case 'stream-copy': return streamCopy
    // Imported here, not at the top, so that the baseline children do not load the codec.
    case 'dicomgate': return dicomgatePassThrough((await import('../../src/dicom/stream.js')).createDicomTransform)
    case 'file-copy': return fileCopy
    case 'dicomgate-file': return dicomgateWholeFile((await import('../../src/dicom/stream.js')).transformBuffer)
    case 'dcmjs': return dcmjsReadWrite(await loadDcmjs())
  }
}
