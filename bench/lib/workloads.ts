/**
 * The per-file operations that are measured, each from a file on disk to a file on disk:
 *
 * - stream-copy: the baseline, bytes from one Node stream to another (1 MiB chunks);
 * - dicomgate: the same pipeline with the codec's read-then-write transform in between;
 * - file-copy: the whole-file baseline, readFile then writeFile;
 * - dicomgate-file: the codec's whole-file form, readFile then `transformBuffer` (parse to
 *   tokens, write back) then one vectored write: how small files are best handled;
 * - dcmjs: whole-file parse then whole-file write, the way dcmjs is used (PS3.10 file in an
 *   ArrayBuffer, DicomMessage.readFile, DicomDict.write);
 * - dcmjs-deid: the same with dcmjs's de-identifier (`anonymizer.cleanTags`) in between;
 * - dicomgate-deid: the stream pipeline with dicomgate's de-identifying Transform in
 *   between (dicomgate-deid.ts), profile loaded and keys derived before timing starts.
 *
 * Loaded in the workload child only, so that each tool's memory shows in its own process.
 */

import { createReadStream, createWriteStream } from 'node:fs'
import { open, readFile, writeFile } from 'node:fs/promises'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import type { transformBuffer } from '../../src/dicom/stream.js'
import { dcmjsRewrite, loadDcmjs } from './dcmjs.js'
import { loadDeidTransformFactory } from './dicomgate-deid.js'
import type { WorkloadSpec } from './workload-spec.js'

/** 1 MiB reads: the chunk size of the 3.2 GB/s stream-copy figure in FIELD-NOTES.md. */
export const READ_CHUNK_BYTES = 1 << 20

export type FileOperation = (input: string, output: string) => Promise<void>

async function streamCopy (input: string, output: string): Promise<void> {
  await pipeline(createReadStream(input, { highWaterMark: READ_CHUNK_BYTES }), createWriteStream(output))
}

/** A stream copy with a Transform from `create` (one per file) in between. */
function throughTransform (create: () => Duplex): FileOperation {
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

/** The folder that holds src/: the transpiled copy's when this runs from it. */
const SOURCE_ROOT = new URL('../../', import.meta.url)

/** The operation of a workload, with whatever it imports loaded before timing starts. */
export async function loadOperation (spec: WorkloadSpec): Promise<FileOperation> {
  switch (spec.kind) {
    case 'idle': throw new Error('the idle workload has no operation')
    case 'stream-copy': return streamCopy
    // Imported here, not at the top, so that the baseline children do not load the codec.
    case 'dicomgate': {
      const { createDicomTransform } = await import('../../src/dicom/stream.js')
      return throughTransform(() => createDicomTransform())
    }
    case 'file-copy': return fileCopy
    case 'dicomgate-file': return dicomgateWholeFile((await import('../../src/dicom/stream.js')).transformBuffer)
    case 'dcmjs': {
      const dcmjs = await loadDcmjs()
      return async (input, output) => { await dcmjsRewrite(dcmjs, input, output) }
    }
    case 'dcmjs-deid': {
      const dcmjs = await loadDcmjs()
      // cleanTags with its defaults: the list and replacements dcmjs users get.
      return async (input, output) => { await dcmjsRewrite(dcmjs, input, output, (dataset) => { dcmjs.anonymizer.cleanTags(dataset) }) }
    }
    case 'dicomgate-deid': {
      if (spec.deid === undefined) throw new Error('dicomgate-deid needs the deid settings (profile, secret file)')
      return throughTransform(await loadDeidTransformFactory(SOURCE_ROOT, spec.deid.profile, spec.deid.secretFile))
    }
  }
}
