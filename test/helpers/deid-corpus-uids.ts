/**
 * Every UID of a DICOM file by where it stands, for comparing an input with its
 * de-identified output (test/deid/corpus.test.ts): the same attribute path on both sides
 * holds the input UID and its replacement.
 *
 * A path names each level by tag and item number (from 1, as dciodvfy counts), e.g.
 * `0040A730[2]/00081199[1]/00081155`; file meta elements are top-level paths `0002xxxx`.
 * A public element encoded as UN is read with its dictionary VR (PS3.5 §6.2.2), and a UN
 * element whose dictionary VR is SQ is read as the Implicit VR LE sequence it holds, as the
 * engine reads it: otherwise the UIDs inside would be seen on one side only.
 */
import { Buffer } from 'node:buffer'
import { lookupTag } from '../../src/dicom/dictionary.js'
import { DicomParser } from '../../src/dicom/parser.js'
import { readTokens } from '../../src/dicom/stream.js'
import { isPrivateTag, tagKey, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { IMPLICIT_VR_LITTLE_ENDIAN } from '../../src/dicom/transfer-syntax.js'
import type { VR } from '../../src/dicom/vr.js'

export interface UidWalk {
  /** Attribute path → its UI values, split at `\` and without padding; [] when empty. */
  readonly uids: ReadonlyMap<string, readonly string[]>
  /** Transfer syntax UID of the dataset as read. */
  readonly transferSyntaxUID: string
  /** Top-level Burned In Annotation (0028,0301), trimmed, if present. */
  readonly burnedInAnnotation: string | undefined
  /** UN sequences that do not read as Implicit VR LE: their UIDs are not compared. */
  readonly unreadableSequences: number
}

const BURNED_IN_ANNOTATION: Tag = 0x00280301
const UID_PADDING = /^[\0 ]+|[\0 ]+$/g

function uidValues (value: Uint8Array): string[] {
  if (value.length === 0) return []
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1').split('\\').map((v) => v.replace(UID_PADDING, ''))
}

/** The VR to read a value with: the encoded one, or the dictionary's for a public UN. */
function readingVR (tag: Tag, vr: VR): VR | undefined {
  if (vr !== 'UN' || isPrivateTag(tag)) return vr
  return lookupTag(tag)?.vr
}

/** The tokens of a UN sequence value read as Implicit VR LE, or undefined if it does not read. */
function unknownSequenceTokens (tag: Tag, value: Uint8Array): Token[] | undefined {
  const tokens: Token[] = []
  const parser = new DicomParser({ token: (t) => { if (t.type !== 'dataset') tokens.push(t) } }, { datasetTransferSyntax: IMPLICIT_VR_LITTLE_ENDIAN })
  const header = Buffer.alloc(8)
  header.writeUInt16LE(tag >>> 16, 0)
  header.writeUInt16LE(tag & 0xffff, 2)
  header.writeUInt32LE(value.length, 4)
  try {
    parser.write(header)
    parser.write(value)
    parser.end()
  } catch {
    return undefined
  }
  return tokens[0]?.type === 'sequence-start' ? tokens : undefined
}

class Walker {
  readonly uids = new Map<string, string[]>()
  transferSyntaxUID = ''
  burnedInAnnotation: string | undefined
  unreadableSequences = 0
  readonly #prefixes: string[] = ['']
  readonly #sequences: Array<{ readonly base: string, items: number }> = []
  #encapsulated = false
  /** A value arriving in chunks: collected when it is a UI, else skipped. */
  #value: { readonly tag: Tag, readonly vr: VR, readonly chunks: Uint8Array[] } | null = null
  #skipValue = false

  token (token: Token): void {
    if (this.#encapsulated) {
      if (token.type === 'encapsulated-end') this.#encapsulated = false
      return
    }
    if (this.#value !== null || this.#skipValue) {
      if (token.type === 'value-chunk') this.#value?.chunks.push(token.bytes)
      else if (token.type === 'value-end') {
        const value = this.#value
        this.#value = null
        this.#skipValue = false
        if (value !== null) this.#element(value.tag, value.vr, Buffer.concat(value.chunks))
      }
      return
    }
    switch (token.type) {
      case 'dataset': this.transferSyntaxUID = token.transferSyntax.uid; break
      case 'element': this.#element(token.tag, token.vr, token.value); break
      case 'value-start': {
        const vr = readingVR(token.tag, token.vr)
        if (vr === 'UI' || (token.vr === 'UN' && vr === 'SQ')) this.#value = { tag: token.tag, vr: token.vr, chunks: [] }
        else this.#skipValue = true
        break
      }
      case 'sequence-start': this.#sequences.push({ base: `${this.#prefix()}${tagKey(token.tag)}`, items: 0 }); break
      case 'item-start': {
        const sequence = this.#sequences[this.#sequences.length - 1]
        if (sequence === undefined) break
        sequence.items++
        this.#prefixes.push(`${sequence.base}[${sequence.items}]/`)
        break
      }
      case 'item-end': this.#prefixes.pop(); break
      case 'sequence-end': this.#sequences.pop(); break
      case 'encapsulated-start': this.#encapsulated = true; break
      default: break
    }
  }

  #prefix (): string {
    return this.#prefixes[this.#prefixes.length - 1] ?? ''
  }

  #element (tag: Tag, encodedVR: VR, value: Uint8Array): void {
    const vr = readingVR(tag, encodedVR)
    if (vr === 'UI') {
      this.uids.set(`${this.#prefix()}${tagKey(tag)}`, uidValues(value))
    } else if (vr === 'SQ' && encodedVR === 'UN') {
      const tokens = unknownSequenceTokens(tag, value)
      if (tokens === undefined) this.unreadableSequences++
      else for (const t of tokens) this.token(t)
    } else if (tag === BURNED_IN_ANNOTATION && this.#prefix() === '') {
      this.burnedInAnnotation = Buffer.from(value).toString('latin1').trim()
    }
  }
}

/** Reads `bytes` with dicomgate's codec (deflated datasets inflated) and lists its UIDs. */
export function walkUids (bytes: Uint8Array): UidWalk {
  const walker = new Walker()
  for (const token of readTokens(bytes)) walker.token(token)
  return walker
}

/** The last tag of a path, as a uint32. */
export function leafTag (path: string): Tag {
  return parseInt(path.slice(-8), 16) >>> 0
}
