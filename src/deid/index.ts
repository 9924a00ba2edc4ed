/**
 * De-identification (PS3.15 Annex E) in its three forms, one engine:
 *
 * - `createDeidTransform`: a Part 10 stream, bytes → bytes (bulk data streamed);
 * - `deidentifyBuffer`: a Part 10 file held whole (small files: no stream machinery);
 * - `createDeidChunkTransform`: a Part 10 stream fed synchronously (large files, reused buffers);
 * - `deidentifyJson`: the DICOM JSON model (QIDO-RS results, WADO-RS metadata).
 *
 * A `passthrough` profile changes nothing (the codec still checks the input is DICOM).
 */

import type { CodecOptions, DicomTransformStream } from '../dicom/stream.js'
import { createDicomTransform, DicomChunkTransform, transformBuffer } from '../dicom/stream.js'
import type { TokenSink } from '../dicom/tokens.js'
import { DeidStage, type DeidEngineOptions } from './engine.js'

export interface DeidOptions extends DeidEngineOptions {
  /** Limits of the codec underneath (element length, depth, inflated size). */
  readonly codec?: Omit<CodecOptions, 'dropGroupLengths'>
}

/** `stableInput`: the whole input is one buffer, valid until the call returns (engine.ts). */
function codecOptions (options: DeidOptions, stableInput: boolean): CodecOptions & { stage?: (next: TokenSink) => DeidStage } {
  if (options.profile.mode === 'passthrough') return { ...options.codec }
  // Group lengths are dropped (PS3.5 §7.2: optional, and wrong once values change).
  return { ...options.codec, dropGroupLengths: true, stage: (next) => new DeidStage(next, options, { stableInput }) }
}

/** A Part 10 stream de-identified as it flows: bytes in, bytes out. */
export function createDeidTransform (options: DeidOptions): DicomTransformStream {
  return createDicomTransform(codecOptions(options, false))
}

/**
 * A Part 10 stream de-identified synchronously, chunk by chunk, for a caller that reuses its
 * read buffers (see DicomChunkTransform for when a buffer may be reused).
 */
export function createDeidChunkTransform (options: DeidOptions): DicomChunkTransform {
  return new DicomChunkTransform(codecOptions(options, false))
}

/** A Part 10 file held whole, de-identified; the output as chunks for a vectored write. */
export function deidentifyBuffer (bytes: Uint8Array, options: DeidOptions): Uint8Array[] {
  return transformBuffer(bytes, codecOptions(options, true))
}

export { DeidStage, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_REWRITTEN_VALUE_BYTES, type DeidEngineOptions, type DeidLimits } from './engine.js'
export { deidentifyJson, type DeidJsonOptions } from './json.js'
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './markers.js'
export { OPTIONS, OPTION_SPECS, type OptionName } from './options.js'
export type { CompiledProfile, CompiledRule, Operation, ProfileSource, RuleSource } from './profile/types.js'
