/**
 * The token stream: the one shape in which DICOM flows through dicomgate.
 *
 * The reader turns bytes into tokens, transforms (the de-identification engine) map tokens
 * to tokens, and the writer turns tokens back into bytes. Tokens mirror the encoding of
 * PS3.5 §7 closely enough that an unchanged stream is written back byte for byte:
 *
 *   preamble?                      128-byte preamble followed by "DICM" (PS3.10 §7.1)
 *   element*                       file meta elements, group 0002 (always Explicit VR LE)
 *   dataset                        the dataset begins, with its transfer syntax
 *   ( element                      a value small enough to arrive whole
 *   | value-start value-chunk* value-end          a larger value, streamed in chunks
 *   | sequence-start ( item-start …dataset tokens… item-end )* sequence-end
 *   | encapsulated-start ( fragment-start value-chunk* fragment-end )* encapsulated-end
 *   )*
 *
 * Lengths: `sequence-start` and `item-start` carry the length read from the input, or
 * `UNDEFINED_LENGTH`. The writer writes exactly that length and, for undefined length, the
 * delimitation items (PS3.5 §7.5). A transform that changes anything inside a container
 * sets the container's length to `UNDEFINED_LENGTH`, so that nothing has to be measured
 * ahead; the writer checks every defined length it writes and fails if the content does
 * not match it.
 *
 * Values are raw bytes in the byte order of the dataset's transfer syntax. `value` and
 * `bytes` may be views into the input chunks: they are never written to by the codec.
 */

import type { TransferSyntax } from './transfer-syntax.js'
import type { Tag } from './tags.js'
import type { VR } from './vr.js'

export interface PreambleToken {
  readonly type: 'preamble'
  /** The 128 bytes before "DICM" (PS3.10 §7.1). */
  readonly bytes: Uint8Array
}

export interface DatasetToken {
  readonly type: 'dataset'
  /** The transfer syntax of everything that follows (PS3.5 §10). */
  readonly transferSyntax: TransferSyntax
  /**
   * How the transfer syntax was found: from the file meta (0002,0010), or inferred from the
   * first bytes when the input has no file meta or its meta lacks the UID.
   */
  readonly source: 'meta' | 'inferred'
}

export interface ElementToken {
  readonly type: 'element'
  readonly tag: Tag
  /** The VR as encoded (Explicit VR) or from the dictionary (Implicit VR; UN if unknown). */
  readonly vr: VR
  /** The whole value, without padding removed. */
  readonly value: Uint8Array
  /**
   * Explicit VR only: the two VR bytes as encoded, when they are not a standard VR. `vr` is
   * then UN, and the length field is 16-bit, as dcmtk reads such elements (e.g. zero
   * padding after the dataset reads as (0000,0000) with VR bytes 00 00).
   */
  readonly vrCode?: number
}

export interface ValueStartToken {
  readonly type: 'value-start'
  readonly tag: Tag
  readonly vr: VR
  /** Total length of the value; the value-chunk tokens that follow add up to it. */
  readonly length: number
}

export interface ValueChunkToken {
  readonly type: 'value-chunk'
  readonly bytes: Uint8Array
}

export interface ValueEndToken {
  readonly type: 'value-end'
}

export interface SequenceStartToken {
  readonly type: 'sequence-start'
  readonly tag: Tag
  /**
   * SQ, or UN for a sequence of unknown VR with undefined length: its items are encoded in
   * Implicit VR Little Endian whatever the transfer syntax (PS3.5 §6.2.2).
   */
  readonly vr: 'SQ' | 'UN'
  /** Byte length of the whole sequence value, or UNDEFINED_LENGTH. */
  readonly length: number
}

export interface ItemStartToken {
  readonly type: 'item-start'
  /** Byte length of the item, or UNDEFINED_LENGTH. */
  readonly length: number
}

export interface ItemEndToken {
  readonly type: 'item-end'
}

export interface SequenceEndToken {
  readonly type: 'sequence-end'
}

export interface EncapsulatedStartToken {
  readonly type: 'encapsulated-start'
  /** Pixel Data (7FE0,0010) in practice: encapsulated per PS3.5 §A.4. */
  readonly tag: Tag
  readonly vr: VR
}

export interface FragmentStartToken {
  readonly type: 'fragment-start'
  /** Position of the fragment: 0 is the Basic Offset Table (PS3.5 §A.4). */
  readonly index: number
  readonly length: number
}

export interface FragmentEndToken {
  readonly type: 'fragment-end'
}

export interface EncapsulatedEndToken {
  readonly type: 'encapsulated-end'
}

export type Token =
  | PreambleToken
  | DatasetToken
  | ElementToken
  | ValueStartToken
  | ValueChunkToken
  | ValueEndToken
  | SequenceStartToken
  | ItemStartToken
  | ItemEndToken
  | SequenceEndToken
  | EncapsulatedStartToken
  | FragmentStartToken
  | FragmentEndToken
  | EncapsulatedEndToken

export type TokenType = Token['type']

/** Anything that consumes tokens: the writer, a transform, a collector in a test. */
export interface TokenSink {
  token (token: Token): void
}
