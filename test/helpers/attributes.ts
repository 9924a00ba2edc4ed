/**
 * The top-level attributes of a DICOM file, for comparing an original with its
 * re-identified copy: each reduced to a digest of its tag, VR and value bytes and the
 * structure of its sequences, items and fragments, ignoring lengths (sequences come back
 * with undefined length) and how values were split into tokens. Group lengths are left
 * out. Written independently of src/deid/top-level.ts, whose digest the code under test uses.
 */
import { Buffer } from 'node:buffer'
import { createHash, type Hash } from 'node:crypto'
import { readTokens } from '../../src/dicom/stream.js'
import { formatTag, isGroupLengthTag, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'

export interface FileAttributes {
  /** Top-level dataset attributes: tag → digest, in file order. */
  readonly dataset: Map<Tag, string>
  /** File meta elements: tag → value as text (padding removed). */
  readonly meta: Map<Tag, string>
  /** Top-level element values as text (padding removed), for readable assertions. */
  readonly text: Map<Tag, string>
  readonly transferSyntax: string
}

export function fileAttributes (bytes: Uint8Array): FileAttributes {
  const meta = new Map<Tag, string>()
  let transferSyntax = ''
  const tokens = readTokens(bytes)
  const start = tokens.findIndex((token) => token.type === 'dataset')
  for (const token of tokens.slice(0, start)) if (token.type === 'element') meta.set(token.tag, asText(token.value))
  const dataset = tokens[start]
  if (dataset?.type === 'dataset') transferSyntax = dataset.transferSyntax.uid
  return { ...datasetAttributes(tokens.slice(start + 1)), meta, transferSyntax }
}

/**
 * The attributes of a dataset's tokens (after its `dataset` token, or inside an item):
 * tag → digest, and element values as text.
 */
export function datasetAttributes (tokens: Iterable<Token>): { dataset: Map<Tag, string>, text: Map<Tag, string> } {
  const dataset = new Map<Tag, string>()
  const text = new Map<Tag, string>()
  let depth = 0
  let tag = 0
  let hash: Hash | null = null
  const line = (s: string): void => { hash?.update(`${s}\n`) }
  for (const token of tokens) {
    if (depth === 0 && 'tag' in token) {
      tag = token.tag
      hash = createHash('sha256')
      if (token.type === 'element') text.set(tag, asText(token.value))
    }
    describe(token, line, (b) => { hash?.update(b) })
    if (token.type === 'sequence-start' || token.type === 'encapsulated-start' || token.type === 'value-start') depth++
    else if (token.type === 'sequence-end' || token.type === 'encapsulated-end' || token.type === 'value-end') depth--
    if (depth === 0 && hash !== null) {
      // Group lengths are left out: dropped on output (PS3.5 §7.2), and zero padding after
      // a dataset reads as a run of (0000,0000) elements.
      if (isGroupLengthTag(tag)) {
        hash = null
        continue
      }
      if (dataset.has(tag)) throw new Error(`${formatTag(tag)} twice at the top level`)
      dataset.set(tag, hash.digest('hex'))
      hash = null
    }
  }
  return { dataset, text }
}

function describe (token: Token, line: (s: string) => void, bytes: (b: Uint8Array) => void): void {
  switch (token.type) {
    case 'element':
      line(`value ${token.tag} ${token.vr} ${token.vrCode ?? '-'} ${token.value.length}`)
      bytes(token.value)
      return
    case 'value-start':
      line(`value ${token.tag} ${token.vr} - ${token.length}`)
      return
    case 'value-chunk':
      bytes(token.bytes)
      return
    case 'sequence-start': line(`sequence ${token.tag} ${token.vr}`); return
    case 'encapsulated-start': line(`encapsulated ${token.tag} ${token.vr}`); return
    case 'fragment-start': line(`fragment ${token.length}`); return
    default: line(token.type)
  }
}

function asText (value: Uint8Array): string {
  return Buffer.from(value).toString('latin1').replace(/[\0 ]+$/, '')
}

/** Tags whose digests differ between `a` and `b`, or that only one has, among those `keep` accepts. */
export function differingTags (a: Map<Tag, string>, b: Map<Tag, string>, keep: (tag: Tag) => boolean = () => true): string[] {
  const tags = new Set([...a.keys(), ...b.keys()])
  return [...tags].filter((tag) => keep(tag) && a.get(tag) !== b.get(tag)).sort((x, y) => x - y).map(formatTag)
}
