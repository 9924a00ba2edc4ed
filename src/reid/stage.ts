/**
 * Re-identification from the Encrypted Attributes Sequence (PS3.15 E.1.2): a token stage
 * that puts back the original values a de-identifier encrypted into (0400,0500).
 *
 *   tokens ──► held until (0400,0500) is complete ──► decrypt an item, read the originals
 *          ──► file meta anew ──► merge, in tag order, of the dataset and the originals ──► next
 *
 * 1. Hold. The file meta can only be written once the original SOP Instance UID is known,
 *    and that comes out of (0400,0500), after the attributes that precede it in tag order.
 *    So the top-level attributes before it, and the sequence itself, are held (bounded by
 *    `maxHeldBytes`). A top-level attribute past (0400,0500), or the end, without the
 *    sequence: DG_CMS_NOT_ENCRYPTED.
 * 2. Decrypt (PS3.15 E.1.2 step 1). Each item of the sequence in turn goes to the injected
 *    `decrypt` with its Encrypted Content (0400,0520); an item encrypted for other recipients
 *    throws DG_CMS_NO_RECIPIENT and the next is tried; when none is for this key, that error
 *    is thrown. The decrypted content is read in the syntax (0400,0510) names, and the item
 *    of Modified Attributes Sequence (0400,0550) holds the originals (modified-attributes.ts).
 * 3. Merge (step 2). The held attributes, then the rest as it streams (pixel data is never
 *    held), are written in tag order with the originals: an original replaces the attribute
 *    of its tag, and originals of removed attributes are inserted where they belong.
 * 4. What de-identification added goes (step 3): the item of (0400,0500) that was used (the
 *    sequence with it when no other item is left), and dicomgate's markers (markers.ts:
 *    Patient Identity Removed, De-identification Method and its Code Sequence, Longitudinal
 *    Temporal Information Modified) unless the originals hold them. PS3.15 allows Patient
 *    Identity Removed to be set to NO instead; removing it leaves the instance as it was.
 * 5. The file meta is written anew (markers.ts `fileMetaTokens`): Media Storage SOP Instance
 *    UID is the restored SOP Instance UID (PS3.10 §7.1), the preamble zeroed.
 *
 * Originals are written in the dataset's encoding: lengths undefined, binary values swapped
 * when the dataset is Big Endian and the content Little Endian (byte-order.ts).
 */

import { Buffer } from 'node:buffer'
import { DicomgateError, isDicomgateError } from '../errors.js'
import type { TokenStage } from '../dicom/stream.js'
import { isGroupLengthTag, makeTag, UNDEFINED_LENGTH, type Tag } from '../dicom/tags.js'
import type { DatasetToken, Token, TokenSink } from '../dicom/tokens.js'
import type { TransferSyntax } from '../dicom/transfer-syntax.js'
import { fileMetaTokens, isMarkerTag } from '../deid/markers.js'
import { contentInfoBytes, decodeEncryptedAttributesDataSet, ENCRYPTED_ATTRIBUTES_TAGS, splitItems, tokensForReencoding, topLevelValue } from '../deid/modified-attributes.js'
import { heldCopy, TopLevelTracker, valueBytes, type Attribute } from '../deid/top-level.js'

export const DEFAULT_MAX_HELD_BYTES = 16 * 1024 * 1024

export interface ReidentifyStageOptions {
  /**
   * Decrypts the DER of a CMS ContentInfo (EnvelopedData, RFC 5652 §6) with the recipient's
   * key. Throws DicomgateError DG_CMS_NO_RECIPIENT when it was not encrypted for that key,
   * DG_CMS_INVALID when it is malformed or does not decrypt.
   */
  readonly decrypt: (der: Uint8Array) => Uint8Array
  /** Bytes held before (0400,0500) is complete; default 16 MiB. */
  readonly maxHeldBytes?: number
}

const ENCRYPTED_ATTRIBUTES_SEQUENCE = ENCRYPTED_ATTRIBUTES_TAGS.EncryptedAttributesSequence
const SOP_CLASS_UID = makeTag(0x0008, 0x0016)
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018)
const META_SOP_CLASS_UID = makeTag(0x0002, 0x0002)
const META_SOP_INSTANCE_UID = makeTag(0x0002, 0x0003)

/** What happens to the tokens of the top-level attribute being merged. */
type Disposition = 'pass' | 'skip' | 'encrypted'

export class ReidentifyStage implements TokenStage {
  readonly #next: TokenSink
  readonly #decrypt: (der: Uint8Array) => Uint8Array
  readonly #maxHeldBytes: number
  readonly #stable: boolean

  // ── holding ──
  readonly #input = new TopLevelTracker()
  #held: Token[] | null = []
  #heldBytes = 0
  #dataset: DatasetToken | null = null
  #lastTag = -1
  /** Index in #held where the (0400,0500) sequence starts, once it has. */
  #encryptedStart = -1
  readonly #values = new Map<Tag, string>()

  // ── merging ──
  readonly #merge = new TopLevelTracker()
  #originals: readonly Attribute[] = []
  #nextOriginal = 0
  #originalSyntax: TransferSyntax | null = null
  #disposition: Disposition = 'pass'
  /** The (0400,0500) item that was decrypted, and how many items the sequence has. */
  #usedItem = -1
  #itemCount = 0
  #itemIndex = -1
  #encryptedDepth = 0

  constructor (next: TokenSink, options: ReidentifyStageOptions, { stableInput = false }: { stableInput?: boolean } = {}) {
    this.#next = next
    this.#decrypt = options.decrypt
    this.#maxHeldBytes = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES
    this.#stable = stableInput
  }

  token (token: Token): void {
    if (this.#held === null) this.#mergeToken(token)
    else this.#hold(token, this.#held)
  }

  end (): void {
    if (this.#held !== null) {
      if (this.#dataset === null) throw new DicomgateError('DG_DICOM_TOKEN_ORDER', 'the input ended before its dataset began')
      throw new DicomgateError('DG_CMS_NOT_ENCRYPTED', 'the instance has no Encrypted Attributes Sequence (0400,0500)')
    }
    this.#originalsBefore(0x100000000)
  }

  // ── 1. hold ─────────────────────────────────────────────────────────────────────

  #hold (token: Token, held: Token[]): void {
    const input = this.#input
    if (!input.step(token)) {
      if (token.type === 'dataset') this.#dataset = token
      else if (token.type === 'element') this.#readValue(token.tag, token.value) // file meta
      return // the preamble and file meta are written anew
    }
    if (input.first) {
      // Group lengths aside (not merged, dropped on output; zero padding reads as (0000,0000)).
      if (!isGroupLengthTag(input.tag)) {
        if (input.tag <= this.#lastTag) throw new DicomgateError('DG_DICOM_MALFORMED', 'top-level attributes are not in ascending tag order (PS3.5 §7.1); the originals cannot be merged')
        this.#lastTag = input.tag
      }
      if (input.tag > ENCRYPTED_ATTRIBUTES_SEQUENCE && this.#encryptedStart === -1) {
        throw new DicomgateError('DG_CMS_NOT_ENCRYPTED', 'the instance has no Encrypted Attributes Sequence (0400,0500)')
      }
      if (input.tag === ENCRYPTED_ATTRIBUTES_SEQUENCE) {
        if (token.type !== 'sequence-start') throw new DicomgateError('DG_CMS_INVALID', 'the Encrypted Attributes Sequence (0400,0500) is not encoded as a sequence')
        this.#encryptedStart = held.length
      }
      if (token.type === 'element') this.#readValue(input.tag, token.value)
    }
    held.push(this.#stable ? token : heldCopy(token))
    this.#heldBytes += valueBytes(token)
    if (this.#heldBytes > this.#maxHeldBytes) {
      throw new DicomgateError('DG_REID_HELD_TOO_LARGE', `the attributes before the Encrypted Attributes Sequence (0400,0500), held to re-identify the instance, exceed ${this.#maxHeldBytes} bytes (maxHeldBytes)`)
    }
    if (input.last && input.tag === ENCRYPTED_ATTRIBUTES_SEQUENCE) this.#release(held)
  }

  /** Keeps the few values the file meta is made of: SOP Class and Instance UIDs. */
  #readValue (tag: Tag, value: Uint8Array): void {
    if (tag === SOP_CLASS_UID || tag === SOP_INSTANCE_UID || tag === META_SOP_CLASS_UID || tag === META_SOP_INSTANCE_UID) this.#values.set(tag, uidText(value))
  }

  // ── 2. decrypt, then write the meta and what was held ─────────────────────────────

  #release (held: Token[]): void {
    const dataset = this.#dataset as DatasetToken
    const items = splitItems(held, this.#encryptedStart).tokens
    const { originals, syntax, index } = this.#decryptOne(items)
    this.#originals = originals
    this.#originalSyntax = syntax
    this.#usedItem = index
    this.#itemCount = items.length

    const restored = (tag: Tag): string | undefined => {
      const value = originals.find((o) => o.tag === tag)
      const bytes = value === undefined ? undefined : topLevelValue(value.tokens, tag)
      return bytes === undefined ? undefined : uidText(bytes)
    }
    const sopClassUID = nonEmpty(restored(SOP_CLASS_UID)) ?? nonEmpty(this.#values.get(SOP_CLASS_UID)) ?? this.#values.get(META_SOP_CLASS_UID)
    const sopInstanceUID = nonEmpty(restored(SOP_INSTANCE_UID)) ?? nonEmpty(this.#values.get(SOP_INSTANCE_UID)) ?? this.#values.get(META_SOP_INSTANCE_UID)
    for (const t of fileMetaTokens({ sopClassUID, sopInstanceUID, transferSyntax: dataset.transferSyntax })) this.#next.token(t)
    this.#next.token(dataset)
    this.#merge.step(dataset)
    this.#held = null
    for (const t of held) this.#mergeToken(t)
  }

  /**
   * The first item that decrypts with this key and whose content reads as an Encrypted
   * Attributes Data Set. EnvelopedData is not authenticated: a key it was not meant for may
   * pass every check by chance and give random bytes (OpenSSL's and dicomgate's decryption
   * both return a random content key rather than reveal a padding error, RFC 3218 §2.3), so
   * content that does not read is also a reason to try the next item. Errors: DG_CMS_INVALID
   * if any item decrypted but did not read, else DG_CMS_NO_RECIPIENT.
   */
  #decryptOne (items: readonly Token[][]): { originals: Attribute[], syntax: TransferSyntax, index: number } {
    let notForThisKey: DicomgateError | undefined
    let unreadable: DicomgateError | undefined
    for (let index = 0; index < items.length; index++) {
      const item = items[index] as Token[]
      const content = topLevelValue(item, ENCRYPTED_ATTRIBUTES_TAGS.EncryptedContent)
      if (content === undefined || content.length === 0) continue
      let decrypted: Uint8Array
      try {
        decrypted = this.#decrypt(contentInfoBytes(content))
      } catch (err) {
        if (isDicomgateError(err) && err.code === 'DG_CMS_NO_RECIPIENT') {
          notForThisKey = err
          continue
        }
        if (isDicomgateError(err)) throw err
        throw new DicomgateError('DG_CMS_INVALID', 'the Encrypted Content (0400,0520) could not be decrypted', { cause: err })
      }
      const syntaxValue = topLevelValue(item, ENCRYPTED_ATTRIBUTES_TAGS.EncryptedContentTransferSyntaxUID)
      if (syntaxValue === undefined) throw new DicomgateError('DG_CMS_INVALID', 'an item of the Encrypted Attributes Sequence has no Encrypted Content Transfer Syntax UID (0400,0510)')
      try {
        return { ...decodeEncryptedAttributesDataSet(decrypted, uidText(syntaxValue)), index }
      } catch (err) {
        if (!isDicomgateError(err) || err.code !== 'DG_CMS_INVALID') throw err
        unreadable ??= err
      }
    }
    throw unreadable ?? notForThisKey ?? new DicomgateError('DG_CMS_INVALID', 'no item of the Encrypted Attributes Sequence (0400,0500) has Encrypted Content (0400,0520)')
  }

  // ── 3. merge ──────────────────────────────────────────────────────────────────────

  #mergeToken (token: Token): void {
    const merge = this.#merge
    merge.step(token)
    if (merge.first) {
      const tag = merge.tag
      this.#originalsBefore(tag)
      const original = this.#originals[this.#nextOriginal]
      if (original?.tag === tag) {
        this.#nextOriginal++
        this.#emitOriginal(original)
        this.#disposition = 'skip'
      } else if (isMarkerTag(tag)) {
        this.#disposition = 'skip'
      } else if (tag === ENCRYPTED_ATTRIBUTES_SEQUENCE) {
        this.#disposition = this.#itemCount > 1 ? 'encrypted' : 'skip'
        this.#itemIndex = -1
        this.#encryptedDepth = 0
      } else {
        this.#disposition = 'pass'
      }
    }
    switch (this.#disposition) {
      case 'pass': this.#next.token(token); return
      case 'skip': return
      case 'encrypted': this.#encryptedToken(token)
    }
  }

  /** The tokens of (0400,0500) but for the item that was decrypted. */
  #encryptedToken (token: Token): void {
    switch (token.type) {
      case 'sequence-start':
        // The sequence loses an item: its length is no longer the one it had (PS3.5 §7.5).
        if (this.#encryptedDepth++ === 0) {
          this.#next.token({ ...token, length: UNDEFINED_LENGTH })
          return
        }
        break
      case 'sequence-end': case 'encapsulated-end': case 'value-end':
        this.#encryptedDepth--
        break
      case 'encapsulated-start': case 'value-start':
        this.#encryptedDepth++
        break
      case 'item-start':
        if (this.#encryptedDepth === 1) this.#itemIndex++
        break
      default:
        break
    }
    if (this.#itemIndex !== this.#usedItem || (this.#encryptedDepth === 0 && token.type === 'sequence-end')) this.#next.token(token)
  }

  /** Writes the originals whose tag comes before `tag`: those of removed attributes. */
  #originalsBefore (tag: number): void {
    while (this.#nextOriginal < this.#originals.length) {
      const original = this.#originals[this.#nextOriginal] as Attribute
      if (original.tag >= tag) return
      this.#nextOriginal++
      this.#emitOriginal(original)
    }
  }

  #emitOriginal (original: Attribute): void {
    const dataset = this.#dataset as DatasetToken
    const swap = (this.#originalSyntax as TransferSyntax).littleEndian !== dataset.transferSyntax.littleEndian
    for (const t of tokensForReencoding(original, swap)) this.#next.token(t)
  }
}

/** A UI value as text: its NUL or space padding removed (PS3.5 §6.2). */
function uidText (value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.length).toString('latin1').replace(/[\0 ]+$/, '')
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}
