/**
 * The top level of a dataset, attribute by attribute: what the Encrypted Attributes stage
 * (encrypted-attributes.ts) records and compares, and what re-identification (src/reid/)
 * holds and merges.
 *
 * - `TopLevelTracker` follows a token stream and says, for each token after the `dataset`
 *   token, which top-level attribute it belongs to and whether it begins or ends it.
 * - `AttributeDigest` hashes an attribute's content canonically: tag, VR and value bytes,
 *   and the structure of sequences, items and fragments, but not how the value was split
 *   into tokens nor the lengths of sequences and items. The engine rewrites every sequence
 *   and item with undefined length (PS3.5 §7.5), so an unchanged sequence must hash alike
 *   whatever length it had.
 */

import { Buffer } from 'node:buffer'
import { createHash, type Hash } from 'node:crypto'
import type { Tag } from '../dicom/tags.js'
import type { Token } from '../dicom/tokens.js'

/** One top-level attribute: its tag and its tokens, from the one that begins it to the one that ends it. */
export interface Attribute {
  readonly tag: Tag
  readonly tokens: readonly Token[]
}

export class TopLevelTracker {
  #inDataset = false
  #depth = 0
  #tag: Tag = 0
  #first = false
  #last = false

  /**
   * Follows `token`. False for what comes before the dataset (preamble, file meta, the
   * `dataset` token itself); true once inside it, with `tag`, `first` and `last` set.
   */
  step (token: Token): boolean {
    if (!this.#inDataset) {
      if (token.type === 'dataset') this.#inDataset = true
      return false
    }
    const top = this.#depth === 0
    switch (token.type) {
      case 'element':
        if (top) this.#tag = token.tag
        this.#first = top
        this.#last = top
        return true
      case 'value-start': case 'sequence-start': case 'encapsulated-start':
        if (top) this.#tag = token.tag
        this.#first = top
        this.#last = false
        this.#depth++
        return true
      case 'value-end': case 'sequence-end': case 'encapsulated-end':
        this.#depth--
        this.#first = false
        this.#last = this.#depth === 0
        return true
      default:
        this.#first = false
        this.#last = false
        return true
    }
  }

  /** The tag of the top-level attribute the last token belongs to. */
  get tag (): Tag {
    return this.#tag
  }

  /** The last token began a top-level attribute. */
  get first (): boolean {
    return this.#first
  }

  /** The last token ended a top-level attribute (an element both begins and ends one). */
  get last (): boolean {
    return this.#last
  }
}

/** Kinds of record in the canonical form; one byte each. */
const KIND = {
  value: 0x56, // V: tag, VR, VR code, length, then the value bytes
  sequence: 0x53, // S: tag, VR
  item: 0x49, // I
  itemEnd: 0x69, // i
  sequenceEnd: 0x73, // s
  encapsulated: 0x50, // P: tag, VR
  fragment: 0x46, // F: length
  fragmentEnd: 0x66, // f
  encapsulatedEnd: 0x70 // p
} as const

/** Hashes one attribute's tokens in the canonical form (header above). */
export class AttributeDigest {
  readonly #hash: Hash = createHash('sha256')
  readonly #header = Buffer.alloc(13)

  update (token: Token): void {
    switch (token.type) {
      case 'element':
        this.#record(KIND.value, token.tag, token.vr, token.vrCode ?? 0, token.value.length)
        this.#hash.update(token.value)
        return
      case 'value-start':
        this.#record(KIND.value, token.tag, token.vr, 0, token.length)
        return
      case 'value-chunk':
        this.#hash.update(token.bytes)
        return
      case 'value-end':
        return
      case 'sequence-start':
        this.#record(KIND.sequence, token.tag, token.vr, 0, 0)
        return
      case 'item-start':
        this.#record(KIND.item, 0, '', 0, 0)
        return
      case 'item-end':
        this.#record(KIND.itemEnd, 0, '', 0, 0)
        return
      case 'sequence-end':
        this.#record(KIND.sequenceEnd, 0, '', 0, 0)
        return
      case 'encapsulated-start':
        this.#record(KIND.encapsulated, token.tag, token.vr, 0, 0)
        return
      case 'fragment-start':
        this.#record(KIND.fragment, 0, '', 0, token.length)
        return
      case 'fragment-end':
        this.#record(KIND.fragmentEnd, 0, '', 0, 0)
        return
      case 'encapsulated-end':
        this.#record(KIND.encapsulatedEnd, 0, '', 0, 0)
        return
      default:
        // preamble and dataset tokens never belong to an attribute
        return
    }
  }

  /** The digest, hex; the digest cannot be updated afterwards. */
  digest (): string {
    return this.#hash.digest('hex')
  }

  #record (kind: number, tag: Tag, vr: string, vrCode: number, length: number): void {
    const h = this.#header
    h[0] = kind
    h.writeUInt32BE(tag >>> 0, 1)
    h[5] = vr.charCodeAt(0) || 0
    h[6] = vr.charCodeAt(1) || 0
    h.writeUInt16BE(vrCode, 7)
    h.writeUInt32BE(length >>> 0, 9)
    this.#hash.update(h)
  }
}

/**
 * A token to hold past the current input chunk: its bytes copied, since they are views of
 * the chunk (tokens.ts), which its producer may reuse once the write has returned.
 */
export function heldCopy<T extends Token> (token: T): T {
  if (token.type === 'element') return { ...token, value: Uint8Array.prototype.slice.call(token.value) }
  if (token.type === 'value-chunk') return { ...token, bytes: Uint8Array.prototype.slice.call(token.bytes) }
  return token
}

/** The value bytes a token carries (what holding it costs). */
export function valueBytes (token: Token): number {
  if (token.type === 'element') return token.value.length
  if (token.type === 'value-chunk') return token.bytes.length
  return 0
}
