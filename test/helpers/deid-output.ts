/**
 * Looking into de-identified output for the leak tests: the three forms of the engine run
 * on one input (whole buffer, stream in chunks, DICOM JSON), the output's values decoded with
 * the character set in scope at their place, and a multi-needle byte search.
 */
import { Buffer } from 'node:buffer'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createDeidTransform, deidentifyBuffer, deidentifyJson, type DeidOptions } from '../../src/deid/index.js'
import { lookupTag } from '../../src/dicom/dictionary.js'
import { decodeStrings, toDicomJson, ValueScope, type DicomJsonDataset } from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { formatTag, type Tag } from '../../src/dicom/tags.js'
import type { Token } from '../../src/dicom/tokens.js'
import { isStringVR, type VR } from '../../src/dicom/vr.js'
import { inflateDicom } from './tokens.js'

// ── the forms ───────────────────────────────────────────────────────────────────────────

export type Form = 'buffer' | 'stream-7' | 'stream-64k' | 'json'
export const FORMS: readonly Form[] = ['buffer', 'stream-7', 'stream-64k', 'json']

/** deidentifyBuffer, joined. */
export function runBuffer (input: Uint8Array, options: DeidOptions): Buffer {
  return Buffer.concat(deidentifyBuffer(input, options))
}

/** createDeidTransform fed `input` in chunks of `chunkSize` bytes. */
export async function runStream (input: Uint8Array, options: DeidOptions, chunkSize: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  for (let i = 0; i < input.length; i += chunkSize) chunks.push(Buffer.from(input.subarray(i, i + chunkSize)))
  const out: Buffer[] = []
  await pipeline(
    Readable.from(chunks, { objectMode: false }),
    createDeidTransform(options),
    new Writable({ write (chunk: Buffer, _encoding, done) { out.push(chunk); done() } })
  )
  return Buffer.concat(out)
}

/** The DICOM JSON model of a Part 10 input, binary values inlined (so that canaries in them are visible). */
export function jsonOf (input: Uint8Array): DicomJsonDataset {
  return toDicomJson(readTokens(input), { bulkDataThreshold: 16 * 1024 * 1024 })
}

export function runJson (input: DicomJsonDataset, options: DeidOptions): DicomJsonDataset {
  return deidentifyJson(input, { profile: options.profile, keys: options.keys })
}

// ── the output, decoded ─────────────────────────────────────────────────────────────────

export interface OutputValue {
  /** '(0010,0010)', '(0040,A730)[0]>(0040,A160)'; file meta elements too. */
  readonly path: string
  readonly tag: Tag
  readonly vr: VR
  readonly bytes: Buffer
  /** Text through the character set in scope (string VRs, and UN of a string VR); else latin1 of the bytes. */
  readonly text: string
  /** The sequences around it, outermost first, each with the private creator of its block. */
  readonly ancestors: ReadonlyArray<{ readonly tag: Tag, readonly creator?: string }>
  /** The private creator of its block (PS3.5 §7.8.1), for a private data element. */
  readonly creator: string | undefined
  /** Part of Pixel Data (7FE0,0010) at the top level, native or encapsulated. */
  readonly pixelData: boolean
}

export interface DecodedOutput {
  readonly tokens: readonly Token[]
  readonly values: readonly OutputValue[]
  /** The bytes as a reader sees them: a deflated dataset inflated. */
  readonly raw: Buffer
}

/**
 * Reads a Part 10 output back (readTokens: throws if it does not parse) and decodes every
 * value at every depth, large values joined from their chunks.
 */
export function decodeOutput (bytes: Uint8Array): DecodedOutput {
  const tokens = readTokens(bytes)
  const scope = new ValueScope()
  const values: OutputValue[] = []
  const path: string[] = []
  const itemCounts: number[] = []
  // Private creators by level (the top level, then each item): key (group << 8) | block.
  const creators: Array<Map<number, string>> = [new Map()]
  const ancestors: Array<{ tag: Tag, creator?: string }> = []
  let streamed: { tag: Tag, vr: VR, chunks: Buffer[] } | null = null
  let encapsulated: Tag | undefined
  const creatorOf = (tag: Tag): string | undefined => {
    const group = tag >>> 16
    if ((group & 1) === 0 || (tag & 0xffff) < 0x1000) return undefined
    return creators[creators.length - 1]?.get((group << 8) | ((tag >>> 8) & 0xff))
  }
  const push = (tag: Tag, vr: VR, value: Uint8Array): void => {
    const b = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
    const stringVR = isStringVR(vr) ? vr : vr === 'UN' ? lookupTag(tag)?.vr : undefined
    const text = stringVR !== undefined && isStringVR(stringVR) ? decodeStrings(stringVR, b, scope).join('\\') : b.toString('latin1')
    const group = tag >>> 16
    const element = tag & 0xffff
    if ((group & 1) === 1 && element >= 0x10 && element <= 0xff) creators[creators.length - 1]?.set((group << 8) | element, b.toString('latin1').replace(/[\0 ]+$/, ''))
    values.push({
      path: `${path.join('')}${formatTag(tag)}`, tag, vr, bytes: b, text, ancestors: [...ancestors], creator: creatorOf(tag), pixelData: tag === PIXEL_DATA && ancestors.length === 0
    })
  }
  for (const t of tokens) {
    switch (t.type) {
      case 'element': push(t.tag, t.vr, t.value); break
      case 'encapsulated-start': encapsulated = t.tag; streamed = { tag: t.tag, vr: t.vr, chunks: [] }; break
      case 'encapsulated-end':
        if (streamed !== null && encapsulated !== undefined) push(encapsulated, streamed.vr, Buffer.concat(streamed.chunks))
        streamed = null
        encapsulated = undefined
        break
      case 'value-start': streamed = { tag: t.tag, vr: t.vr, chunks: [] }; break
      case 'value-chunk':
        if (streamed !== null) streamed.chunks.push(Buffer.from(t.bytes))
        break
      case 'value-end':
        if (streamed !== null && encapsulated === undefined) {
          push(streamed.tag, streamed.vr, Buffer.concat(streamed.chunks))
          streamed = null
        }
        break
      case 'sequence-start': {
        path.push(`${formatTag(t.tag)}[`)
        itemCounts.push(0)
        const creator = creatorOf(t.tag)
        ancestors.push(creator === undefined ? { tag: t.tag } : { tag: t.tag, creator })
        break
      }
      case 'item-start': {
        const n = itemCounts[itemCounts.length - 1] ?? 0
        path.push(`${n}]>`)
        creators.push(new Map())
        break
      }
      case 'item-end':
        path.pop()
        creators.pop()
        itemCounts[itemCounts.length - 1] = (itemCounts[itemCounts.length - 1] ?? 0) + 1
        break
      case 'sequence-end':
        path.pop()
        itemCounts.pop()
        ancestors.pop()
        break
      default: break
    }
    scope.observe(t)
  }
  return { tokens, values, raw: inflateDicom(bytes) }
}

const PIXEL_DATA: Tag = 0x7fe00010

// ── searching many byte strings at once ─────────────────────────────────────────────────

/**
 * A set of byte strings searched together: grouped by their first bytes, each group found
 * with Buffer.indexOf, candidates then compared whole. Fast enough for a thousand needles
 * in a megabyte, with few hits expected.
 */
export class NeedleIndex<K> {
  readonly #groups = new Map<string, { prefix: Buffer, needles: Array<{ key: K, bytes: Buffer }> }>()
  static readonly PREFIX = 3

  constructor (needles: Iterable<{ key: K, bytes: Uint8Array }>) {
    for (const { key, bytes } of needles) {
      if (bytes.length < NeedleIndex.PREFIX) throw new Error('needle too short to search')
      const b = Buffer.from(bytes)
      const prefix = b.subarray(0, NeedleIndex.PREFIX)
      const id = prefix.toString('hex')
      let group = this.#groups.get(id)
      if (group === undefined) {
        group = { prefix, needles: [] }
        this.#groups.set(id, group)
      }
      group.needles.push({ key, bytes: b })
    }
  }

  /** Every key whose needle occurs in `haystack`, with the first offset. */
  find (haystack: Uint8Array): Map<K, number> {
    const h = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength)
    const found = new Map<K, number>()
    for (const { prefix, needles } of this.#groups.values()) {
      for (let at = h.indexOf(prefix); at !== -1; at = h.indexOf(prefix, at + 1)) {
        for (const n of needles) {
          if (!found.has(n.key) && at + n.bytes.length <= h.length && h.compare(n.bytes, 0, n.bytes.length, at, at + n.bytes.length) === 0) found.set(n.key, at)
        }
      }
    }
    return found
  }
}

/** Every string of a DICOM JSON dataset (values, person name groups, keys aside) and its decoded InlineBinary. */
export function jsonStrings (dataset: DicomJsonDataset): { text: string, binary: Buffer[] } {
  const binary: Buffer[] = []
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x)
    } else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'InlineBinary' && typeof x === 'string') binary.push(Buffer.from(x, 'base64'))
        else visit(x)
      }
    }
  }
  visit(dataset)
  return { text: JSON.stringify(dataset), binary }
}
