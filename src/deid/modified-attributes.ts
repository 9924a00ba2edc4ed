/**
 * The Encrypted Attributes Data Set (PS3.3 C.12.1.1.4.1, PS3.15 E.1.2): the original values
 * of the attributes de-identification replaced or removed, in the single item of Modified
 * Attributes Sequence (0400,0550), and the item of Encrypted Attributes Sequence (0400,0500)
 * that carries it encrypted.
 *
 * The layout is GDCM's (`gdcmanon -e`, checked against GDCM 3.0.21), so that each tool
 * re-identifies the other's output: the encrypted content is a bare dataset (no preamble,
 * no file meta) whose only attribute is (0400,0550) SQ of undefined length holding one item
 * of undefined length, encoded Explicit VR Little Endian, the syntax that Encrypted Content
 * Transfer Syntax UID (0400,0510) names. GDCM reads exactly one data element from the
 * decrypted bytes and accepts no other transfer syntax.
 */

import { Buffer } from 'node:buffer'
import { DicomgateError, isDicomgateError } from '../errors.js'
import { byteOrderUnit, swapUnits } from '../dicom/byte-order.js'
import { readTokens, writeTokens } from '../dicom/stream.js'
import { formatTag, makeTag, UNDEFINED_LENGTH, type Tag } from '../dicom/tags.js'
import type { Token } from '../dicom/tokens.js'
import { EXPLICIT_VR_LITTLE_ENDIAN, lookupTransferSyntax, type TransferSyntax } from '../dicom/transfer-syntax.js'
import type { VR } from '../dicom/vr.js'
import { textValue } from './markers.js'
import type { Attribute } from './top-level.js'

export const ENCRYPTED_ATTRIBUTES_TAGS = {
  EncryptedAttributesSequence: makeTag(0x0400, 0x0500),
  EncryptedContentTransferSyntaxUID: makeTag(0x0400, 0x0510),
  EncryptedContent: makeTag(0x0400, 0x0520),
  ModifiedAttributesSequence: makeTag(0x0400, 0x0550)
} as const

/** The transfer syntax of the encrypted content dicomgate writes (and the only one GDCM reads). */
export const ENCRYPTED_CONTENT_SYNTAX: TransferSyntax = EXPLICIT_VR_LITTLE_ENDIAN

/**
 * The Encrypted Attributes Data Set for `originals` (top-level attributes in ascending tag
 * order, as read from a dataset in byte order `littleEndian`), encoded in Explicit VR Little
 * Endian: the content to encrypt.
 */
export function encodeEncryptedAttributesDataSet (originals: readonly Attribute[], littleEndian: boolean): Buffer {
  const tokens: Token[] = [
    { type: 'dataset', transferSyntax: ENCRYPTED_CONTENT_SYNTAX, source: 'inferred' },
    { type: 'sequence-start', tag: ENCRYPTED_ATTRIBUTES_TAGS.ModifiedAttributesSequence, vr: 'SQ', length: UNDEFINED_LENGTH },
    { type: 'item-start', length: UNDEFINED_LENGTH }
  ]
  const swap = !littleEndian
  for (const attribute of originals) tokens.push(...tokensForReencoding(attribute, swap))
  tokens.push({ type: 'item-end' }, { type: 'sequence-end' })
  return writeTokens(tokens)
}

/**
 * The item of Encrypted Attributes Sequence (0400,0500) for `contentInfo`, the DER CMS
 * ContentInfo (RFC 5652 §3) of the encrypted data set. OB is padded to even length with
 * one zero byte (PS3.5 §6.2), as GDCM does; a DER length says where the ContentInfo ends.
 */
export function encryptedAttributesItem (contentInfo: Uint8Array): Token[] {
  const content = contentInfo.length % 2 === 0 ? contentInfo : Buffer.concat([contentInfo, Buffer.alloc(1)])
  return [
    { type: 'item-start', length: UNDEFINED_LENGTH },
    { type: 'element', tag: ENCRYPTED_ATTRIBUTES_TAGS.EncryptedContentTransferSyntaxUID, vr: 'UI', value: textValue(ENCRYPTED_CONTENT_SYNTAX.uid, 'UI') },
    { type: 'element', tag: ENCRYPTED_ATTRIBUTES_TAGS.EncryptedContent, vr: 'OB', value: content },
    { type: 'item-end' }
  ]
}

/**
 * The DER ContentInfo in an Encrypted Content (0400,0520) value: without the byte that
 * padded it to even length, which a strict DER reader would take for trailing garbage.
 */
export function contentInfoBytes (value: Uint8Array): Uint8Array {
  const length = derLength(value)
  return length !== undefined && length === value.length - 1 && value[length] === 0 ? value.subarray(0, length) : value
}

/** The length of the DER TLV at the start of `bytes` (X.690 §8.1.3), when definite. */
function derLength (bytes: Uint8Array): number | undefined {
  const first = bytes[1]
  if (first === undefined) return undefined
  if (first < 0x80) return 2 + first
  const count = first & 0x7f
  if (count === 0 || count > 4 || bytes.length < 2 + count) return undefined // indefinite (BER) or absurd
  let length = 0
  for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] as number)
  return 2 + count + length
}

/**
 * The original attributes in a decrypted Encrypted Attributes Data Set: the top-level
 * attributes of the single item of Modified Attributes Sequence (0400,0550), in ascending
 * tag order, their tokens as read (values in the byte order of `transferSyntaxUID`).
 */
export function decodeEncryptedAttributesDataSet (content: Uint8Array, transferSyntaxUID: string): { readonly originals: Attribute[], readonly syntax: TransferSyntax } {
  const syntax = lookupTransferSyntax(transferSyntaxUID)
  // A bare dataset in a native syntax: a deflated or encapsulated one has no place here.
  if (syntax === undefined || syntax.deflated || syntax.encapsulated) {
    throw new DicomgateError('DG_CMS_INVALID', 'the Encrypted Content Transfer Syntax UID (0400,0510) is not an uncompressed transfer syntax')
  }
  let tokens: Token[]
  try {
    tokens = readTokens(content, { datasetTransferSyntax: syntax })
  } catch (err) {
    if (!isDicomgateError(err)) throw err
    throw new DicomgateError('DG_CMS_INVALID', `the decrypted Encrypted Attributes Data Set does not parse (${err.code})`, { cause: err })
  }
  const sequence = tokens[1]
  if (sequence?.type !== 'sequence-start' || sequence.tag !== ENCRYPTED_ATTRIBUTES_TAGS.ModifiedAttributesSequence) {
    throw new DicomgateError('DG_CMS_INVALID', 'the decrypted Encrypted Attributes Data Set does not begin with Modified Attributes Sequence (0400,0550)')
  }
  const items = splitItems(tokens, 1)
  // PS3.3 C.12.1.1.4.1: "Only a single Item shall be present."
  if (items.tokens.length !== 1) throw new DicomgateError('DG_CMS_INVALID', `Modified Attributes Sequence (0400,0550) has ${items.tokens.length} items; PS3.3 C.12.1.1.4.1 requires one`)
  const originals = splitAttributes(items.tokens[0] as Token[])
  for (let i = 1; i < originals.length; i++) {
    if ((originals[i] as Attribute).tag <= (originals[i - 1] as Attribute).tag) {
      throw new DicomgateError('DG_CMS_INVALID', `the Modified Attributes item is not in ascending tag order at ${formatTag((originals[i] as Attribute).tag)}`)
    }
  }
  return { originals, syntax }
}

/**
 * The items of the sequence whose `sequence-start` is `tokens[start]`: each item's tokens
 * without its item-start and item-end, and the index of the sequence's `sequence-end`.
 */
export function splitItems (tokens: readonly Token[], start: number): { readonly tokens: Token[][], readonly end: number } {
  const items: Token[][] = []
  let current: Token[] | null = null
  let depth = 0
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i] as Token
    switch (token.type) {
      case 'sequence-start': case 'encapsulated-start': case 'value-start':
        depth++
        break
      case 'sequence-end': case 'encapsulated-end': case 'value-end':
        depth--
        if (depth === 0) return { tokens: items, end: i }
        break
      case 'item-start':
        if (depth === 1) {
          current = []
          items.push(current)
          continue
        }
        break
      case 'item-end':
        if (depth === 1) {
          current = null
          continue
        }
        break
      default:
        break
    }
    if (depth > 1 || (depth === 1 && token.type !== 'sequence-start')) current?.push(token)
  }
  throw new DicomgateError('DG_CMS_INVALID', 'a sequence of the Encrypted Attributes ends early')
}

/** A dataset's tokens (no `dataset` token) as its top-level attributes. */
export function splitAttributes (tokens: readonly Token[]): Attribute[] {
  const attributes: Attribute[] = []
  let current: Token[] = []
  let depth = 0
  for (const token of tokens) {
    current.push(token)
    switch (token.type) {
      case 'sequence-start': case 'encapsulated-start': case 'value-start':
        depth++
        if (depth > 1) continue
        break
      case 'sequence-end': case 'encapsulated-end': case 'value-end':
        depth--
        break
      default:
        break
    }
    if (depth === 0) {
      const head = current[0] as Token
      attributes.push({ tag: 'tag' in head ? head.tag : 0, tokens: current })
      current = []
    }
  }
  if (depth !== 0) throw new DicomgateError('DG_CMS_INVALID', 'an attribute of the Encrypted Attributes ends early')
  return attributes
}

/** The value of the top-level element `tag` of a dataset's tokens (joined if it came in chunks). */
export function topLevelValue (tokens: readonly Token[], tag: number): Uint8Array | undefined {
  for (const attribute of splitAttributes(tokens)) {
    if (attribute.tag !== tag) continue
    const head = attribute.tokens[0]
    if (head?.type === 'element') return head.value
    if (head?.type === 'value-start') return Buffer.concat(attribute.tokens.flatMap((t) => (t.type === 'value-chunk' ? [t.bytes] : [])))
    return undefined
  }
  return undefined
}

/**
 * An attribute's tokens made ready to be written into a dataset of another encoding: every
 * sequence and item of undefined length (their lengths depend on the encoding, PS3.5 §7.5),
 * every value whole in one element, and with `swapByteOrder` every binary value in the other
 * byte order (byte-order.ts). The items of a UN sequence are Implicit VR Little Endian
 * whatever the dataset (PS3.5 §6.2.2): nothing inside one is swapped.
 */
export function tokensForReencoding (attribute: Attribute, swapByteOrder: boolean): Token[] {
  const out: Token[] = []
  /** One entry per open sequence: whether it is, or is inside, a UN sequence. */
  const insideUN: boolean[] = []
  const swapHere = (): boolean => swapByteOrder && insideUN[insideUN.length - 1] !== true
  let pending: { readonly tag: Tag, readonly vr: VR, readonly chunks: Uint8Array[] } | null = null
  for (const token of attribute.tokens) {
    switch (token.type) {
      case 'sequence-start':
        insideUN.push(token.vr === 'UN' || insideUN[insideUN.length - 1] === true)
        out.push({ ...token, length: UNDEFINED_LENGTH })
        break
      case 'sequence-end':
        insideUN.pop()
        out.push(token)
        break
      case 'item-start':
        out.push({ type: 'item-start', length: UNDEFINED_LENGTH })
        break
      case 'value-start':
        pending = { tag: token.tag, vr: token.vr, chunks: [] }
        break
      case 'value-chunk':
        if (pending !== null) pending.chunks.push(token.bytes)
        else out.push(token) // a fragment's bytes
        break
      case 'value-end': {
        const whole = pending as NonNullable<typeof pending>
        pending = null
        out.push(swapped({ type: 'element', tag: whole.tag, vr: whole.vr, value: Buffer.concat(whole.chunks) }, swapHere()))
        break
      }
      case 'element':
        out.push(swapped(token, swapHere()))
        break
      default:
        out.push(token)
    }
  }
  return out
}

function swapped (token: Token & { type: 'element' }, swap: boolean): Token & { type: 'element' } {
  if (!swap) return token
  const unit = token.vrCode === undefined ? byteOrderUnit(token.vr) : undefined
  if (unit === 1) return token
  if (token.value.length === 0) return token
  const value = unit === undefined ? undefined : swapUnits(token.value, unit)
  if (value === undefined) {
    // UN (or a non-standard VR) in a Big Endian dataset: its structure is unknown, so its
    // bytes cannot be put in the other byte order. Refused rather than written wrong.
    throw new DicomgateError('DG_DEID_UNREADABLE_VALUE', `${formatTag(token.tag)} (VR ${token.vr}, ${token.value.length} bytes) cannot be converted between Big and Little Endian`)
  }
  return { ...token, value }
}
