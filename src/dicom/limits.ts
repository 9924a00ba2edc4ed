/**
 * Named limits of the codec. Each has a default that stops hostile input early without
 * refusing real studies, and each has its own error code when exceeded.
 */

export interface CodecLimits {
  /** Largest element value accepted, in bytes (DG_DICOM_ELEMENT_TOO_LONG). */
  readonly maxElementLength: number
  /** Deepest nesting of sequences (DG_DICOM_DEPTH_EXCEEDED). */
  readonly maxDepth: number
  /** Largest file meta information group, in bytes (DG_DICOM_HEADER_TOO_LARGE). */
  readonly maxMetaLength: number
  /** Largest inflated size of a deflated dataset, in bytes (DG_DICOM_DEFLATE_BOMB). */
  readonly maxInflatedLength: number
}

/** 4 GiB - 2: the largest even defined length PS3.5 §7.1 can express. */
export const DEFAULT_MAX_ELEMENT_LENGTH_BYTES = 0xfffffffe
/** Real files nest 6 deep (SR templates); 64 leaves ample room and stops depth bombs. */
export const DEFAULT_MAX_DEPTH = 64
/** File meta is a few hundred bytes in practice; 64 KiB allows long private meta. */
export const DEFAULT_MAX_META_LENGTH_BYTES = 64 * 1024
/** Deflated datasets are headers and SR in practice; 1 GiB is far past any seen. */
export const DEFAULT_MAX_INFLATED_LENGTH_BYTES = 1024 * 1024 * 1024

/** Values up to this size arrive whole in one `element` token; larger ones are streamed. */
export const DEFAULT_WHOLE_VALUE_THRESHOLD_BYTES = 64 * 1024

export const DEFAULT_LIMITS: CodecLimits = Object.freeze({
  maxElementLength: DEFAULT_MAX_ELEMENT_LENGTH_BYTES,
  maxDepth: DEFAULT_MAX_DEPTH,
  maxMetaLength: DEFAULT_MAX_META_LENGTH_BYTES,
  maxInflatedLength: DEFAULT_MAX_INFLATED_LENGTH_BYTES
})

export function resolveLimits (partial: Partial<CodecLimits> | undefined): CodecLimits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...partial })
}
