/**
 * The streaming DICOM parser: bytes in, tokens out (see tokens.ts for the grammar).
 *
 * A push parser: `write(chunk)` parses as far as the bytes allow and emits tokens
 * synchronously to the sink; `end()` checks that the input stopped at a boundary. It keeps
 * back only what it must: an incomplete element header, or an incomplete value small enough
 * to be delivered whole. Larger values and fragments go out as views of the input chunks,
 * so memory stays bounded whatever the size of the input.
 *
 * Deflated datasets (PS3.5 §A.5): the parser does not inflate. When the file meta names a
 * deflated transfer syntax, `write` returns the bytes after the meta and `needsInflate`
 * becomes true: the caller feeds the inflated bytes back through `write`. That keeps the
 * parser synchronous, and lets the caller use zlib's stream or one-shot form as it suits.
 *
 * Errors are DicomError with a stable code and the byte offset (in the inflated stream);
 * after an error the parser is finished and must not be written to again.
 */

import { Buffer } from 'node:buffer'
import { DicomError, type ErrorCode } from '../errors.js'
import { implicitVR } from './dictionary.js'
import { DEFAULT_WHOLE_VALUE_THRESHOLD_BYTES, resolveLimits, type CodecLimits } from './limits.js'
import { TAG, UNDEFINED_LENGTH, formatTag } from './tags.js'
import type { Token, TokenSink } from './tokens.js'
import {
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  lookupTransferSyntax,
  type TransferSyntax
} from './transfer-syntax.js'
import { VRS, hasLongLength, type VR } from './vr.js'

export interface ParserOptions {
  readonly limits?: Partial<CodecLimits>
  /** Values up to this many bytes arrive whole in an `element` token; larger ones stream. */
  readonly wholeValueThreshold?: number
  /**
   * The input is a bare dataset in this transfer syntax: no preamble, no file meta, nothing
   * inferred (e.g. the value of a UN element re-read as Implicit VR LE, PS3.5 §6.2.2).
   */
  readonly datasetTransferSyntax?: TransferSyntax
}

/** PS3.10 §7.1: 128-byte preamble, then the four bytes "DICM". */
const PREAMBLE_LENGTH = 128
const MAGIC_END = PREAMBLE_LENGTH + 4
const DICM = 0x4449434d

/** Explicit VR codes as read big-endian from the two VR bytes, e.g. 'OB' → 0x4f42. */
const VR_BY_CODE: ReadonlyMap<number, VR> = new Map(VRS.map((vr) => [(vr.charCodeAt(0) << 8) | vr.charCodeAt(1), vr]))

type Phase = 'start' | 'meta' | 'dataset' | 'inflate' | 'failed'

/** A container the parser is inside of. `end` is an absolute offset, or -1 when undefined. */
interface Frame {
  readonly kind: 'sequence' | 'item' | 'encapsulated'
  readonly end: number
  /** Encoding of what the frame contains (a UN sequence switches to Implicit VR LE). */
  readonly explicit: boolean
  readonly little: boolean
}

export class DicomParser {
  readonly #sink: TokenSink
  readonly #limits: CodecLimits
  readonly #threshold: number

  #phase: Phase = 'start'
  /**
   * Bytes kept back from earlier chunks: the first `#leftoverLength` bytes of `#leftover`,
   * whose capacity grows to `#leftoverNeed`, the bytes the next step needs. Growing to the
   * need at once keeps a slow sender linear: re-joining on every small chunk is quadratic.
   */
  #leftover: Buffer | null = null
  #leftoverLength = 0
  #leftoverNeed = 0
  /** Absolute offset of byte 0 of the buffer being parsed. */
  #base = 0

  #metaBytes = 0
  /** Where File Meta Information Group Length (0002,0000) says the meta ends, if present. */
  #metaEnd = -1
  #transferSyntaxUID: string | undefined
  #transferSyntax: TransferSyntax | undefined

  /** Encoding of the current dataset level. */
  #explicit = true
  #little = true
  readonly #stack: Frame[] = []
  #sequenceDepth = 0

  /** Bytes still to come of a value or fragment being streamed, and which it is. */
  #remaining = 0
  #streaming: 'value' | 'fragment' | null = null
  #fragmentIndex = 0

  constructor (sink: TokenSink, options: ParserOptions = {}) {
    this.#sink = sink
    this.#limits = resolveLimits(options.limits)
    this.#threshold = options.wholeValueThreshold ?? DEFAULT_WHOLE_VALUE_THRESHOLD_BYTES
    if (options.datasetTransferSyntax !== undefined) this.#beginDataset(options.datasetTransferSyntax, 'inferred')
  }

  /** True once the file meta named a deflated syntax: further input must be inflated first. */
  get needsInflate (): boolean {
    return this.#phase === 'inflate'
  }

  /** The dataset's transfer syntax, once known. */
  get transferSyntax (): TransferSyntax | undefined {
    return this.#transferSyntax
  }

  /**
   * Parses a chunk. Returns the bytes the caller must inflate and feed back when this chunk
   * holds the end of the file meta of a deflated dataset; otherwise undefined.
   */
  write (chunk: Uint8Array): Uint8Array | undefined {
    if (this.#phase === 'failed') throw new DicomError('DG_DICOM_MALFORMED', 'the parser was written to after an error')
    if (this.#phase === 'inflate') {
      // The caller now passes inflated bytes: they are the dataset.
      this.#phase = 'dataset'
    }
    let buf: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    try {
      // Top up what was kept back until the pending step can proceed, without copying more
      // of the new chunk than that step needs.
      while (this.#leftover !== null) {
        const have = this.#leftoverLength
        if (have + buf.length < this.#leftoverNeed) {
          this.#keep(this.#leftover, buf)
          return undefined
        }
        const take = this.#leftoverNeed - have
        const combined = this.#keep(this.#leftover, buf.subarray(0, take))
        buf = buf.subarray(take)
        this.#leftover = null
        const rest = this.#run(combined)
        if (rest !== undefined) return Buffer.concat([rest, buf])
      }
      return this.#run(buf)
    } catch (err) {
      this.#phase = 'failed'
      throw err
    }
  }

  /** Signals the end of input: throws DG_DICOM_TRUNCATED unless it ended at a boundary. */
  end (): void {
    if (this.#phase === 'failed') return
    try {
      if (this.#phase === 'start') {
        // Shorter than a preamble: only a raw dataset can be this small.
        const bytes = this.#leftover?.subarray(0, this.#leftoverLength) ?? Buffer.alloc(0)
        this.#leftover = null
        this.#startRawDataset(bytes, true)
        const rest = this.#run(bytes)
        if (rest !== undefined) throw this.#error('DG_DICOM_TRUNCATED', 'the input ended after the file meta', this.#base)
      }
      if (this.#phase === 'meta') {
        throw this.#error('DG_DICOM_TRUNCATED', 'the input ended inside or right after the file meta information', this.#base)
      }
      if (this.#phase === 'inflate') {
        throw this.#error('DG_DICOM_TRUNCATED', 'the deflated dataset is missing', this.#base)
      }
      if (this.#leftover !== null) {
        throw this.#error('DG_DICOM_TRUNCATED', `the input ended inside an element (${this.#leftoverNeed - this.#leftoverLength} more bytes expected)`, this.#base + this.#leftoverLength)
      }
      if (this.#streaming !== null) {
        throw this.#error('DG_DICOM_TRUNCATED', `the input ended inside a ${this.#streaming} (${this.#remaining} more bytes expected)`, this.#base)
      }
      const open = this.#stack[this.#stack.length - 1]
      if (open !== undefined) {
        throw this.#error('DG_DICOM_TRUNCATED', `the input ended inside ${open.kind === 'item' ? 'an item' : `a ${open.kind}`}`, this.#base)
      }
    } catch (err) {
      this.#phase = 'failed'
      throw err
    }
  }

  /**
   * Appends to the kept-back bytes, moving them into a buffer of the needed size first when
   * they are still a view of an input chunk (never written to). Returns the bytes kept.
   */
  #keep (kept: Buffer, bytes: Buffer): Buffer {
    let target = kept
    const have = this.#leftoverLength
    if (target.length < have + bytes.length) {
      target = Buffer.allocUnsafe(this.#leftoverNeed)
      kept.copy(target, 0, 0, have)
      this.#leftover = target
    }
    bytes.copy(target, have)
    this.#leftoverLength = have + bytes.length
    return target.subarray(0, this.#leftoverLength)
  }

  // ── the parse loop ───────────────────────────────────────────────────────────────

  /** Parses `buf` as far as possible; keeps back what is incomplete. See `write` for the return. */
  #run (buf: Buffer): Uint8Array | undefined {
    let pos = 0
    const len = buf.length
    for (;;) {
      if (this.#streaming !== null) {
        const n = Math.min(this.#remaining, len - pos)
        if (n > 0) {
          this.#emit({ type: 'value-chunk', bytes: buf.subarray(pos, pos + n) })
          pos += n
          this.#remaining -= n
        }
        if (this.#remaining > 0) break
        this.#finishStreaming(this.#base + pos)
        continue
      }
      if (pos === len) break
      let next: number
      switch (this.#phase) {
        case 'start': next = this.#parseStart(buf, pos); break
        case 'meta': next = this.#parseMeta(buf, pos); break
        case 'dataset': next = this.#parseDataset(buf, pos); break
        case 'inflate': {
          // Everything after the meta is deflated: hand it back to the caller. Offsets go on
          // counting in the inflated stream from here.
          this.#base += pos
          return buf.subarray(pos)
        }
        case 'failed': throw new DicomError('DG_DICOM_MALFORMED', 'the parser failed earlier')
      }
      if (next < 0) {
        // Incomplete: keep the tail back; -next is how many bytes the step needs in all.
        this.#leftover = buf.subarray(pos)
        this.#leftoverLength = len - pos
        this.#leftoverNeed = -next
        this.#base += pos
        return undefined
      }
      pos = next
    }
    this.#base += len
    return undefined
  }

  #emit (token: Token): void {
    this.#sink.token(token)
  }

  #error (code: ErrorCode, message: string, offset: number): DicomError {
    return new DicomError(code, message, { offset })
  }

  // ── preamble and file meta (PS3.10 §7.1) ─────────────────────────────────────────

  #parseStart (buf: Buffer, pos: number): number {
    if (len(buf, pos) < MAGIC_END) return -MAGIC_END
    if (buf.readUInt32BE(pos + PREAMBLE_LENGTH) === DICM) {
      this.#emit({ type: 'preamble', bytes: buf.subarray(pos, pos + PREAMBLE_LENGTH) })
      this.#phase = 'meta'
      return pos + MAGIC_END
    }
    this.#startRawDataset(buf.subarray(pos), false)
    return pos
  }

  /**
   * A dataset with no preamble and no file meta (several real files are like this): its
   * transfer syntax is inferred from its first element.
   */
  #startRawDataset (bytes: Buffer, atEnd: boolean): void {
    const syntax = inferTransferSyntax(bytes)
    if (syntax === undefined) {
      if (!atEnd && bytes.length < 8) return
      throw this.#error('DG_DICOM_NOT_DICOM', 'no DICM magic after a preamble, and the first bytes are not a DICOM element', this.#base)
    }
    if (syntax === EXPLICIT_VR_LITTLE_ENDIAN && bytes.readUInt16LE(0) === 0x0002) {
      // File meta without preamble and magic (seen in the wild): read it as file meta, so
      // that its Transfer Syntax UID decides how the dataset is read.
      this.#phase = 'meta'
      return
    }
    this.#beginDataset(syntax, 'inferred')
  }

  #parseMeta (buf: Buffer, pos: number): number {
    // PS3.10 §7.1: the meta is group 0002, Explicit VR Little Endian. A deflated dataset
    // follows it as compressed bytes, which may begin like a group 0002 tag: then the meta
    // ends where its group length says. Otherwise it ends at the first element of another
    // group (files get the group length wrong; dcmtk reads them the same way).
    if (this.#metaEnd === this.#base + pos && this.#transferSyntaxUID !== undefined && lookupTransferSyntax(this.#transferSyntaxUID)?.deflated === true) {
      this.#endMeta(buf, pos)
      return pos
    }
    if (len(buf, pos) < 8) return -8
    if (buf.readUInt16LE(pos) !== 0x0002) {
      this.#endMeta(buf, pos)
      return pos
    }
    const vr = VR_BY_CODE.get(buf.readUInt16BE(pos + 4))
    if (vr === undefined) throw this.#error('DG_DICOM_MALFORMED', 'a file meta element has no valid VR', this.#base + pos)
    const long = hasLongLength(vr)
    const headerLength = long ? 12 : 8
    if (len(buf, pos) < headerLength) return -headerLength
    const length = long ? buf.readUInt32LE(pos + 8) : buf.readUInt16LE(pos + 6)
    const total = headerLength + length
    if (length === UNDEFINED_LENGTH || this.#metaBytes + total > this.#limits.maxMetaLength) {
      throw this.#error('DG_DICOM_HEADER_TOO_LARGE', `the file meta information exceeds ${this.#limits.maxMetaLength} bytes`, this.#base + pos)
    }
    if (len(buf, pos) < total) return -total
    const tag = ((0x0002 << 16) | buf.readUInt16LE(pos + 2)) >>> 0
    const value = buf.subarray(pos + headerLength, pos + total)
    if (tag === TAG.TransferSyntaxUID) this.#transferSyntaxUID = value.toString('latin1')
    if (tag === TAG.FileMetaInformationGroupLength && length === 4) this.#metaEnd = this.#base + pos + total + value.readUInt32LE(0)
    this.#metaBytes += total
    this.#emit({ type: 'element', tag, vr, value })
    return pos + total
  }

  #endMeta (buf: Buffer, pos: number): void {
    if (this.#transferSyntaxUID === undefined) {
      // PS3.10 requires (0002,0010); some files lack it. Infer from the dataset, as dcmtk does.
      const syntax = inferTransferSyntax(buf.subarray(pos), true)
      if (syntax === undefined) {
        throw this.#error('DG_DICOM_UNKNOWN_TRANSFER_SYNTAX', 'the file meta has no Transfer Syntax UID and the dataset encoding cannot be recognised', this.#base + pos)
      }
      this.#beginDataset(syntax, 'inferred')
      return
    }
    const syntax = lookupTransferSyntax(this.#transferSyntaxUID)
    if (syntax === undefined) {
      // A UID is not PHI; naming it tells the user what to convert from.
      const uid = this.#transferSyntaxUID.replace(/[^0-9.]/g, '').slice(0, 64)
      throw this.#error('DG_DICOM_UNKNOWN_TRANSFER_SYNTAX', `transfer syntax ${uid} is not supported`, this.#base + pos)
    }
    this.#beginDataset(syntax, 'meta')
  }

  #beginDataset (syntax: TransferSyntax, source: 'meta' | 'inferred'): void {
    this.#transferSyntax = syntax
    this.#explicit = syntax.explicitVR
    this.#little = syntax.littleEndian
    this.#emit({ type: 'dataset', transferSyntax: syntax, source })
    this.#phase = syntax.deflated && source === 'meta' ? 'inflate' : 'dataset'
  }

  // ── the dataset (PS3.5 §7) ───────────────────────────────────────────────────────

  #parseDataset (buf: Buffer, pos: number): number {
    if (len(buf, pos) < 8) return -8
    const little = this.#little
    const group = little ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos)
    const element = little ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2)
    const tag = ((group << 16) | element) >>> 0
    const top = this.#stack[this.#stack.length - 1]

    if (group === 0xfffe) return this.#parseDelimiter(buf, pos, tag, top)
    if (top !== undefined && top.kind !== 'item') {
      throw this.#error('DG_DICOM_MALFORMED', `expected an item in a ${top.kind}, found ${formatTag(tag)}`, this.#base + pos)
    }

    let vr: VR
    let headerLength: number
    let length: number
    if (this.#explicit) {
      const code = buf.readUInt16BE(pos + 4)
      const explicitVR = VR_BY_CODE.get(code)
      if (explicitVR === undefined) return this.#parseNonStandardVR(buf, pos, tag, code)
      vr = explicitVR
      if (hasLongLength(vr)) {
        if (len(buf, pos) < 12) return -12
        headerLength = 12
        length = little ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8)
      } else {
        headerLength = 8
        length = little ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6)
      }
    } else {
      vr = implicitVR(tag)
      headerLength = 8
      length = little ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4)
    }

    const start = this.#base + pos
    if (length === UNDEFINED_LENGTH) return this.#openUndefined(tag, vr, pos + headerLength, start)

    const end = start + headerLength + length
    this.#checkFits(end, start, tag)
    if (vr === 'SQ') {
      this.#emit({ type: 'sequence-start', tag, vr: 'SQ', length })
      this.#push({ kind: 'sequence', end, explicit: this.#explicit, little: this.#little }, start)
      this.#closeDefined(start + headerLength)
      return pos + headerLength
    }
    if (length > this.#limits.maxElementLength) {
      throw this.#error('DG_DICOM_ELEMENT_TOO_LONG', `element ${formatTag(tag)} is ${length} bytes, over the limit of ${this.#limits.maxElementLength}`, start)
    }
    if (length <= this.#threshold) {
      const total = headerLength + length
      if (len(buf, pos) < total) return -total
      this.#emit({ type: 'element', tag, vr, value: buf.subarray(pos + headerLength, pos + total) })
      this.#closeDefined(end)
      return pos + total
    }
    this.#emit({ type: 'value-start', tag, vr, length })
    this.#streaming = 'value'
    this.#remaining = length
    return pos + headerLength
  }

  /**
   * An Explicit VR element whose VR bytes are not a standard VR. Read as dcmtk does: a
   * 16-bit length follows. The value is kept whole, and the token keeps the VR bytes, so
   * the element is written back as it came; what to do with it is the consumer's choice.
   */
  #parseNonStandardVR (buf: Buffer, pos: number, tag: number, code: number): number {
    const length = this.#little ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6)
    const start = this.#base + pos
    const end = start + 8 + length
    this.#checkFits(end, start, tag)
    if (len(buf, pos) < 8 + length) return -(8 + length)
    this.#emit({ type: 'element', tag, vr: 'UN', value: buf.subarray(pos + 8, pos + 8 + length), vrCode: code })
    this.#closeDefined(end)
    return pos + 8 + length
  }

  /**
   * An element of undefined length (PS3.5 §7.1.1): a sequence, a sequence of unknown VR
   * (PS3.5 §6.2.2: its content is Implicit VR Little Endian), or encapsulated pixel data
   * (PS3.5 §A.4). Anything else is malformed.
   */
  #openUndefined (tag: number, vr: VR, next: number, start: number): number {
    if (tag === TAG.PixelData || (this.#explicit && (vr === 'OB' || vr === 'OW'))) {
      this.#emit({ type: 'encapsulated-start', tag, vr })
      this.#push({ kind: 'encapsulated', end: -1, explicit: this.#explicit, little: this.#little }, start)
      this.#fragmentIndex = 0
      return next
    }
    if (vr === 'SQ') {
      this.#emit({ type: 'sequence-start', tag, vr: 'SQ', length: UNDEFINED_LENGTH })
      this.#push({ kind: 'sequence', end: -1, explicit: this.#explicit, little: this.#little }, start)
      return next
    }
    if (vr === 'UN') {
      this.#emit({ type: 'sequence-start', tag, vr: 'UN', length: UNDEFINED_LENGTH })
      this.#push({ kind: 'sequence', end: -1, explicit: false, little: true }, start)
      return next
    }
    throw this.#error('DG_DICOM_UNDEFINED_LENGTH', `element ${formatTag(tag)} with VR ${vr} has undefined length`, start)
  }

  /** Item, Item Delimitation and Sequence Delimitation (PS3.5 §7.5): always tag + 32-bit length. */
  #parseDelimiter (buf: Buffer, pos: number, tag: number, top: Frame | undefined): number {
    const length = this.#little ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4)
    const start = this.#base + pos
    const next = pos + 8
    if (tag === TAG.Item && top?.kind === 'sequence') {
      const end = length === UNDEFINED_LENGTH ? -1 : start + 8 + length
      if (end !== -1) this.#checkFits(end, start, tag)
      this.#emit({ type: 'item-start', length })
      this.#push({ kind: 'item', end, explicit: top.explicit, little: top.little }, start)
      this.#closeDefined(start + 8)
      return next
    }
    if (tag === TAG.Item && top?.kind === 'encapsulated') {
      // PS3.5 §A.4: fragments have defined length; the first is the Basic Offset Table.
      if (length === UNDEFINED_LENGTH) throw this.#error('DG_DICOM_UNDEFINED_LENGTH', 'a pixel data fragment has undefined length', start)
      if (length > this.#limits.maxElementLength) {
        throw this.#error('DG_DICOM_ELEMENT_TOO_LONG', `a pixel data fragment is ${length} bytes, over the limit of ${this.#limits.maxElementLength}`, start)
      }
      this.#emit({ type: 'fragment-start', index: this.#fragmentIndex++, length })
      this.#streaming = 'fragment'
      this.#remaining = length
      return next
    }
    if ((tag === TAG.ItemDelimitationItem || tag === TAG.SequenceDelimitationItem) && length !== 0) {
      // PS3.5 §7.5.1-2: delimitation items have length 0; anything else is not DICOM.
      throw this.#error('DG_DICOM_MALFORMED', `${formatTag(tag)} has non-zero length`, start)
    }
    if (tag === TAG.ItemDelimitationItem && top?.kind === 'item' && top.end === -1) {
      this.#pop()
      this.#emit({ type: 'item-end' })
      this.#closeDefined(start + 8)
      return next
    }
    if (tag === TAG.SequenceDelimitationItem && top !== undefined && top.kind !== 'item' && top.end === -1) {
      this.#pop()
      this.#emit({ type: top.kind === 'sequence' ? 'sequence-end' : 'encapsulated-end' })
      this.#closeDefined(start + 8)
      return next
    }
    throw this.#error('DG_DICOM_MALFORMED', `unexpected ${formatTag(tag)} ${top === undefined ? 'at the top level' : `in ${top.kind === 'item' ? 'an item' : `a ${top.kind}`}`}`, start)
  }

  #finishStreaming (at: number): void {
    const kind = this.#streaming
    this.#streaming = null
    this.#emit(kind === 'fragment' ? { type: 'fragment-end' } : { type: 'value-end' })
    if (kind === 'value') this.#closeDefined(at)
  }

  #push (frame: Frame, start: number): void {
    if (frame.kind === 'sequence') {
      if (++this.#sequenceDepth > this.#limits.maxDepth) {
        throw this.#error('DG_DICOM_DEPTH_EXCEEDED', `sequences are nested deeper than ${this.#limits.maxDepth}`, start)
      }
    }
    this.#stack.push(frame)
    this.#explicit = frame.explicit
    this.#little = frame.little
  }

  #pop (): void {
    const frame = this.#stack.pop()
    if (frame?.kind === 'sequence') this.#sequenceDepth--
    const parent = this.#stack[this.#stack.length - 1]
    if (parent !== undefined) {
      this.#explicit = parent.explicit
      this.#little = parent.little
    } else if (this.#transferSyntax !== undefined) {
      this.#explicit = this.#transferSyntax.explicitVR
      this.#little = this.#transferSyntax.littleEndian
    }
  }

  /** Closes every defined-length container that ends exactly at `at`. */
  #closeDefined (at: number): void {
    for (;;) {
      const top = this.#stack[this.#stack.length - 1]
      if (top === undefined || top.end === -1 || top.kind === 'encapsulated') return
      if (at < top.end) return
      if (at > top.end) throw this.#error('DG_DICOM_LENGTH_EXCEEDS_CONTAINER', `content runs ${at - top.end} bytes past the end of its ${top.kind}`, at)
      this.#pop()
      this.#emit(top.kind === 'item' ? { type: 'item-end' } : { type: 'sequence-end' })
    }
  }

  /** An element or item that would end past its defined-length container is malformed. */
  #checkFits (end: number, start: number, tag: number): void {
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const frame = this.#stack[i] as Frame
      if (frame.end !== -1) {
        if (end > frame.end) {
          throw this.#error('DG_DICOM_LENGTH_EXCEEDS_CONTAINER', `${formatTag(tag)} runs ${end - frame.end} bytes past the end of its ${frame.kind}`, start)
        }
        return
      }
    }
  }
}

function len (buf: Buffer, pos: number): number {
  return buf.length - pos
}

/**
 * Infers the transfer syntax of a dataset from its first element header, for inputs with no
 * file meta or a meta without (0002,0010). The first group must read as a small group in one
 * byte order: an even group from 0002 to 00FF for a bare dataset (datasets begin with group
 * 0008, ACR-NEMA files with its group length, some files with headerless meta); after a
 * valid preamble and meta (`afterMeta`), any group from 0001 to 00FF, as dcmtk accepts.
 * Explicit VR is recognised by a valid VR in bytes 4-5. Implicit VR Big Endian was never
 * standard. Anything else, zero bytes included, is not recognised.
 */
export function inferTransferSyntax (bytes: Uint8Array, afterMeta = false): TransferSyntax | undefined {
  if (bytes.length < 8) return undefined
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const explicit = VR_BY_CODE.has(b.readUInt16BE(4))
  const plausible = (group: number): boolean => group >= 0x0001 && group <= 0x00ff && (afterMeta || (group >= 0x0002 && (group & 1) === 0))
  if (plausible(b.readUInt16LE(0))) return explicit ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN
  if (plausible(b.readUInt16BE(0)) && explicit) return EXPLICIT_VR_BIG_ENDIAN
  return undefined
}
