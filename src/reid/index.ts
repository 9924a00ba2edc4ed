/**
 * Re-identification (PS3.15 E.1.2) from the Encrypted Attributes Sequence (0400,0500), in
 * the three Part 10 forms of de-identification (src/deid/index.ts), one stage (stage.ts):
 *
 * - `createReidentifyTransform`: a stream, bytes → bytes (bulk data after (0400,0500) streamed);
 * - `reidentifyBuffer`: a file held whole; the output as chunks for a vectored write;
 * - `createReidentifyChunkTransform`: a stream fed synchronously, for a caller that reuses
 *   its read buffers (see DicomChunkTransform for when a buffer may be reused).
 *
 * Decryption is injected (`decrypt`), so this layer knows nothing of keys or CMS.
 */

import type { CodecOptions, DicomTransformStream, TokenStage } from '../dicom/stream.js'
import { createDicomTransform, DicomChunkTransform, transformBuffer } from '../dicom/stream.js'
import type { TokenSink } from '../dicom/tokens.js'
import { ReidentifyStage, type ReidentifyStageOptions } from './stage.js'

export interface ReidentifyOptions extends ReidentifyStageOptions {
  /** Limits of the codec underneath (element length, depth, inflated size). */
  readonly codec?: Omit<CodecOptions, 'dropGroupLengths'>
}

/** `stableInput`: the whole input is one buffer, valid until the call returns (no copies held). */
function codecOptions (options: ReidentifyOptions, stableInput: boolean): CodecOptions & { stage: (next: TokenSink) => TokenStage } {
  // Group lengths are dropped (PS3.5 §7.2: optional, and wrong once values change).
  return { ...options.codec, dropGroupLengths: true, stage: (next) => new ReidentifyStage(next, options, { stableInput }) }
}

/** A Part 10 stream re-identified as it flows: bytes in, bytes out. */
export function createReidentifyTransform (options: ReidentifyOptions): DicomTransformStream {
  return createDicomTransform(codecOptions(options, false))
}

/** A Part 10 stream re-identified synchronously, chunk by chunk (null from `write`: deflated, use the stream form). */
export function createReidentifyChunkTransform (options: ReidentifyOptions): DicomChunkTransform {
  return new DicomChunkTransform(codecOptions(options, false))
}

/** A Part 10 file held whole, re-identified; the output as chunks for a vectored write. */
export function reidentifyBuffer (bytes: Uint8Array, options: ReidentifyOptions): Uint8Array[] {
  return transformBuffer(bytes, codecOptions(options, true))
}

export { ReidentifyStage, DEFAULT_MAX_HELD_BYTES, type ReidentifyStageOptions } from './stage.js'
