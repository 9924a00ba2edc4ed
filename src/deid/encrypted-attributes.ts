/**
 * Encrypted Attributes on de-identification (PS3.15 E.1.1 and E.1.2; PS3.3 C.12.1.1.4.1): the
 * original values of the attributes the profile replaced or removed are kept, encrypted for
 * the recipients' certificates (CMS EnvelopedData, RFC 5652 §6), in an item of Encrypted
 * Attributes Sequence (0400,0500), so that a holder of a recipient's private key can
 * re-identify the instance (src/reid/).
 *
 * A token stage around the de-identification stage:
 *
 *   input ──┬──► recorder: top-level attributes before (7FE0,0000), copied, digested
 *           └──► de-identification stage ──► output side ──► next (the writer)
 *                                            digests each top-level attribute; holds those
 *                                            from (0400,0500) on until the boundary
 *
 * The boundary is the first top-level output attribute at or after (7FE0,0000) (Pixel Data,
 * kept by every profile), or the end. There every input attribute whose output is absent or
 * differs (by digest, top-level.ts) is an original; they are encoded (modified-attributes.ts),
 * encrypted by the injected `encrypt`, and written as an item of (0400,0500) in its place in
 * tag order: appended to the output's own (0400,0500) when it has one (the basic profile keeps
 * it: it is in no row of Table E.1-1), else as a new sequence. Then the held output follows,
 * and the rest (pixel data and whatever follows it) streams on, never held.
 *
 * What is recorded, and why:
 * - Attributes at or after (7FE0,0000) are not: Pixel Data is kept, and what may follow it
 *   (Data Set Trailing Padding, Digital Signatures Sequence) is not patient information;
 *   holding them would hold the pixel data.
 * - The file meta is not: the engine writes it anew, and the one identifying value it held,
 *   Media Storage SOP Instance UID, equals SOP Instance UID (PS3.10 §7.1), which is recorded.
 * - Group lengths (gggg,0000) are not: they are dropped on output (PS3.5 §7.2) and would be
 *   wrong once the originals are back.
 * - Some are recorded whenever the input has them, changed or not: Specific Character Set
 *   (0008,0005), which says how the text of the originals is encoded (PS3.5 §6.1.2.3); SOP
 *   Instance UID (0008,0018), without which GDCM's re-identifier (`gdcmanon -d`) refuses the
 *   encrypted content (but for a DICOMDIR); and the de-identification markers (markers.ts),
 *   which re-identification removes unless they are among the originals, so that an input
 *   that already said Patient Identity Removed YES keeps saying it.
 *
 * Memory: an input attribute is held until its output is seen; if the output is the same it
 * is released, so what stays is what changed, plus the output from (0400,0500) to the
 * boundary. Both count against `maxOriginalsBytes` (DG_DEID_ORIGINALS_TOO_LARGE).
 *
 * Big Endian input (retired, PS3.5 §A.3): binary originals are swapped to Little Endian for
 * the Explicit VR Little Endian content; an original of VR UN cannot be, and the instance is
 * refused (DG_DEID_UNREADABLE_VALUE) rather than written with a wrong value.
 */

import { DicomgateError } from '../errors.js'
import type { TokenStage } from '../dicom/stream.js'
import { isGroupLengthTag, makeTag, TAG, UNDEFINED_LENGTH, type Tag } from '../dicom/tags.js'
import type { Token, TokenSink } from '../dicom/tokens.js'
import { MARKER_TAGS } from './markers.js'
import { encodeEncryptedAttributesDataSet, encryptedAttributesItem, ENCRYPTED_ATTRIBUTES_TAGS } from './modified-attributes.js'
import { AttributeDigest, heldCopy, TopLevelTracker, valueBytes, type Attribute } from './top-level.js'

export const DEFAULT_MAX_ORIGINALS_BYTES = 16 * 1024 * 1024

export interface EncryptedAttributesOptions {
  /**
   * Encrypts the Encrypted Attributes Data Set (Explicit VR Little Endian bytes) for the
   * recipients: the DER of a CMS ContentInfo holding EnvelopedData (RFC 5652 §3, §6).
   */
  readonly encrypt: (content: Uint8Array) => Uint8Array
  /** Bytes held at once: originals not yet released, and the output held until Pixel Data. */
  readonly maxOriginalsBytes?: number
  /** As for DeidStage: the tokens' bytes stay valid until `end`, so held ones are not copied. */
  readonly stableInput?: boolean
}

/** Where recording stops and the Encrypted Attributes are written (see the header). */
const BOUNDARY: Tag = makeTag(0x7fe0, 0x0000)
const ENCRYPTED_ATTRIBUTES_SEQUENCE = ENCRYPTED_ATTRIBUTES_TAGS.EncryptedAttributesSequence
/** Recorded even when unchanged (see the header). */
const ALWAYS_RECORDED: ReadonlySet<Tag> = new Set([TAG.SpecificCharacterSet, makeTag(0x0008, 0x0018), ...Object.values(MARKER_TAGS)])

interface Recording {
  readonly tag: Tag
  readonly tokens: Token[]
  readonly digest: AttributeDigest
  bytes: number
}

interface Original extends Attribute {
  readonly digest: string
  readonly bytes: number
}

export class EncryptedAttributesStage implements TokenStage {
  readonly #next: TokenSink
  readonly #inner: TokenStage
  readonly #encrypt: (content: Uint8Array) => Uint8Array
  readonly #maxBytes: number
  readonly #stable: boolean
  #heldBytes = 0

  // ── input side ──
  readonly #input = new TopLevelTracker()
  #littleEndian = true
  #lastInputTag = -1
  #disordered = false
  #recording: Recording | null = null
  /** Complete input attributes not (yet) known to be unchanged, in tag order. */
  readonly #originals = new Map<Tag, Original>()

  // ── output side ──
  readonly #output = new TopLevelTracker()
  readonly #outputDigests = new Map<Tag, string>()
  #outputDigest: AttributeDigest | null = null
  #holdingAttribute = false
  /** Output from (0400,0500) on, until the boundary. */
  #held: Token[] = []
  #passed = false

  constructor (next: TokenSink, inner: (sink: TokenSink) => TokenStage, options: EncryptedAttributesOptions) {
    this.#next = next
    this.#encrypt = options.encrypt
    this.#maxBytes = options.maxOriginalsBytes ?? DEFAULT_MAX_ORIGINALS_BYTES
    this.#stable = options.stableInput ?? false
    this.#inner = inner({ token: (t) => { this.#out(t) } })
  }

  token (token: Token): void {
    this.#record(token)
    this.#inner.token(token)
  }

  end (): void {
    this.#inner.end?.()
    if (!this.#passed) this.#boundary()
  }

  // ── input side: record the originals ────────────────────────────────────────────

  #record (token: Token): void {
    const input = this.#input
    if (!input.step(token)) {
      if (token.type === 'dataset') this.#littleEndian = token.transferSyntax.littleEndian
      return
    }
    if (input.first && !isGroupLengthTag(input.tag)) {
      // The originals are matched to the output by tag, and the boundary assumes that no
      // attribute before it comes after it: both need the order PS3.5 §7.1 prescribes.
      // Group lengths are exempt: they are not recorded, and zero padding after a dataset
      // reads as a run of (0000,0000) elements (tokens.ts).
      if (this.#passed && input.tag < BOUNDARY) throw disordered()
      // Before the boundary, noted and thrown there: a rejection decided by the head
      // (SOP class, burned-in annotation) keeps its own error.
      if (input.tag <= this.#lastInputTag) this.#disordered = true
      this.#lastInputTag = input.tag
      if (input.tag < BOUNDARY) this.#recording = { tag: input.tag, tokens: [], digest: new AttributeDigest(), bytes: 0 }
    }
    const recording = this.#recording
    if (recording === null) return
    recording.tokens.push(this.#stable ? token : heldCopy(token))
    recording.digest.update(token)
    const bytes = valueBytes(token)
    recording.bytes += bytes
    this.#count(bytes)
    if (!input.last) return
    this.#recording = null
    const original: Original = { tag: recording.tag, tokens: recording.tokens, digest: recording.digest.digest(), bytes: recording.bytes }
    if (this.#unchanged(original.tag, original.digest)) this.#heldBytes -= original.bytes
    else this.#originals.set(original.tag, original)
  }

  /** Whether the output of `tag` is already known to equal an input of `digest`. */
  #unchanged (tag: Tag, digest: string): boolean {
    return !ALWAYS_RECORDED.has(tag) && this.#outputDigests.get(tag) === digest
  }

  #count (bytes: number): void {
    this.#heldBytes += bytes
    if (this.#heldBytes > this.#maxBytes) {
      throw new DicomgateError('DG_DEID_ORIGINALS_TOO_LARGE', `the attributes held for the Encrypted Attributes (originals, and the output until Pixel Data) exceed ${this.#maxBytes} bytes`)
    }
  }

  // ── output side: compare, hold, write the Encrypted Attributes at the boundary ──────

  #out (token: Token): void {
    if (this.#passed) {
      this.#next.token(token)
      return
    }
    const output = this.#output
    if (!output.step(token)) {
      this.#next.token(token) // preamble, file meta, the dataset token
      return
    }
    if (output.first) {
      if (output.tag >= BOUNDARY) {
        this.#boundary()
        this.#next.token(token)
        return
      }
      this.#outputDigest = new AttributeDigest()
      this.#holdingAttribute = output.tag >= ENCRYPTED_ATTRIBUTES_SEQUENCE
    }
    const digest = this.#outputDigest as AttributeDigest
    digest.update(token)
    if (this.#holdingAttribute) {
      this.#held.push(this.#stable ? token : heldCopy(token))
      this.#count(valueBytes(token))
    } else {
      this.#next.token(token)
    }
    if (output.last) this.#outputDone(output.tag, digest.digest())
  }

  #outputDone (tag: Tag, digest: string): void {
    this.#outputDigests.set(tag, digest)
    const original = this.#originals.get(tag)
    if (original !== undefined && this.#unchanged(tag, original.digest)) {
      this.#originals.delete(tag)
      this.#heldBytes -= original.bytes
    }
  }

  #boundary (): void {
    this.#passed = true
    if (this.#disordered) throw disordered()
    const originals = [...this.#originals.values()].filter((o) => !this.#unchanged(o.tag, o.digest))
    this.#originals.clear()
    const content = encodeEncryptedAttributesDataSet(originals, this.#littleEndian)
    const item = encryptedAttributesItem(this.#encrypt(content))
    const held = this.#held
    this.#held = []
    this.#heldBytes = 0
    const existing = held[0]
    let rest = 0
    if (existing !== undefined && 'tag' in existing && existing.tag === ENCRYPTED_ATTRIBUTES_SEQUENCE) {
      if (existing.type !== 'sequence-start') {
        throw new DicomgateError('DG_DEID_UNREADABLE_VALUE', 'the Encrypted Attributes Sequence (0400,0500) of the input is not a sequence; another item cannot be added to it')
      }
      // Undefined length (as the engine writes every sequence), so an item can go before its end.
      this.#next.token({ ...existing, length: UNDEFINED_LENGTH })
      rest = sequenceEnd(held)
      for (let i = 1; i < rest; i++) this.#next.token(held[i] as Token)
    } else {
      this.#next.token({ type: 'sequence-start', tag: ENCRYPTED_ATTRIBUTES_SEQUENCE, vr: 'SQ', length: UNDEFINED_LENGTH })
      held.unshift({ type: 'sequence-end' })
    }
    for (const t of item) this.#next.token(t)
    for (let i = rest; i < held.length; i++) this.#next.token(held[i] as Token)
  }
}

function disordered (): DicomgateError {
  return new DicomgateError('DG_DICOM_MALFORMED', 'top-level attributes are not in ascending tag order (PS3.5 §7.1); their original values cannot be recorded for the Encrypted Attributes')
}

/** The index of the `sequence-end` that closes the sequence beginning at `tokens[0]`. */
function sequenceEnd (tokens: readonly Token[]): number {
  let depth = 0
  for (let i = 0; i < tokens.length; i++) {
    const type = (tokens[i] as Token).type
    if (type === 'sequence-start' || type === 'encapsulated-start' || type === 'value-start') depth++
    else if (type === 'sequence-end' || type === 'encapsulated-end' || type === 'value-end') {
      depth--
      if (depth === 0) return i
    }
  }
  throw new DicomgateError('DG_DICOM_TOKEN_ORDER', 'the Encrypted Attributes Sequence (0400,0500) of the output does not end')
}
