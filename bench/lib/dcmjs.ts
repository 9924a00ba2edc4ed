/**
 * The slice of dcmjs 0.51.1 the benchmarks call, checked at load: dcmjs ships no type
 * declarations, so its untyped module is narrowed here once, by a guard, not by casts.
 *
 * - `data.DicomMessage.readFile(arrayBuffer)` parses a whole PS3.10 file into a DicomDict;
 * - `dict.dict` is its dataset (tag → element), `dict.write()` encodes it back;
 * - `anonymizer.cleanTags(dataset)` is dcmjs's de-identifier: it empties its list of
 *   attributes by keyword and replaces PatientName and PatientID (top level only).
 */

import { readFile, writeFile } from 'node:fs/promises'

interface DcmjsDict {
  readonly dict: Record<string, unknown>
  write: () => ArrayBuffer
}

export interface DcmjsApi {
  readonly data: {
    readonly DicomMessage: {
      readFile: (buffer: ArrayBuffer) => DcmjsDict
    }
  }
  readonly anonymizer: {
    cleanTags: (dataset: Record<string, unknown>) => void
  }
}

function hasFunction (value: unknown, name: string): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null &&
    name in value && typeof (value as Record<string, unknown>)[name] === 'function'
}

function isDcmjsApi (value: unknown): value is DcmjsApi {
  if (typeof value !== 'object' || value === null || !('data' in value) || !('anonymizer' in value)) return false
  const data: unknown = value.data
  if (typeof data !== 'object' || data === null || !('DicomMessage' in data)) return false
  return hasFunction(data.DicomMessage, 'readFile') && hasFunction(value.anonymizer, 'cleanTags')
}

export async function loadDcmjs (): Promise<DcmjsApi> {
  // A variable specifier keeps tsc from looking for declarations dcmjs does not ship.
  const specifier = 'dcmjs'
  const module: unknown = await import(specifier)
  if (!isDcmjsApi(module)) throw new Error('dcmjs does not expose data.DicomMessage.readFile and anonymizer.cleanTags')
  return module
}

/**
 * Reads a whole file, lets `change` edit the parsed dataset, writes the whole file back:
 * the way dcmjs is used. `change` is where de-identification goes; none for a pass-through.
 */
export async function dcmjsRewrite (dcmjs: DcmjsApi, input: string, output: string, change?: (dataset: Record<string, unknown>) => void): Promise<void> {
  const bytes = await readFile(input)
  // readFile wants an ArrayBuffer of exactly the file: Buffer.slice of the pool would not do.
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  const message = dcmjs.data.DicomMessage.readFile(arrayBuffer)
  change?.(message.dict)
  await writeFile(output, new Uint8Array(message.write()))
}
