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

import type { CodecOptions, DicomTransformStream, TokenStage } from '../dicom/stream.js'
import { createDicomTransform, DicomChunkTransform, transformBuffer } from '../dicom/stream.js'
import type { TokenSink } from '../dicom/tokens.js'
import { EncryptedAttributesStage } from './encrypted-attributes.js'
import { DeidStage, type DeidEngineOptions } from './engine.js'

/**
 * Encrypted Attributes (PS3.15 E.1.2): the originals of what the profile replaced or removed,
 * encrypted for recipients, in (0400,0500) (encrypted-attributes.ts).
 */
export interface DeidEncryption {
  /** The Encrypted Attributes Data Set in, the DER of a CMS ContentInfo (EnvelopedData) out. */
  readonly encrypt: (content: Uint8Array) => Uint8Array
  /** Bytes of originals (and output until Pixel Data) held at once; default 16 MiB. */
  readonly maxOriginalsBytes?: number
}

export interface DeidOptions extends DeidEngineOptions {
  /** Limits of the codec underneath (element length, depth, inflated size). */
  readonly codec?: Omit<CodecOptions, 'dropGroupLengths'>
  /** Keep the originals encrypted in the output; not applied by a `passthrough` profile. */
  readonly encryption?: DeidEncryption
}

/** `stableInput`: the whole input is one buffer, valid until the call returns (engine.ts). */
function codecOptions (options: DeidOptions, stableInput: boolean): CodecOptions & { stage?: (next: TokenSink) => TokenStage } {
  if (options.profile.mode === 'passthrough') return { ...options.codec }
  const deid = (next: TokenSink): TokenStage => new DeidStage(next, options, { stableInput })
  const encryption = options.encryption
  const stage = encryption === undefined
    ? deid
    : (next: TokenSink): TokenStage => new EncryptedAttributesStage(next, deid, { ...encryption, stableInput })
  // Group lengths are dropped (PS3.5 §7.2: optional, and wrong once values change).
  return { ...options.codec, dropGroupLengths: true, stage }
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

export { EncryptedAttributesStage, DEFAULT_MAX_ORIGINALS_BYTES, type EncryptedAttributesOptions } from './encrypted-attributes.js'
export { DeidStage, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_REWRITTEN_VALUE_BYTES, type DeidEngineOptions, type DeidLimits } from './engine.js'
export { deidentifyJson, type DeidJsonOptions } from './json.js'
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './markers.js'
export { OPTIONS, OPTION_SPECS, type OptionName } from './options.js'
export type { CompiledProfile, CompiledRule, Operation, ProfileSource, RuleSource } from './profile/types.js'
