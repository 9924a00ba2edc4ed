/**
 * The DICOM JSON Model (PS3.18 §F.2), built from a token stream.
 *
 * `DicomJsonBuilder` is a TokenSink: feed it the reader's tokens as they arrive and take
 * `result()` at the end. It never holds a large value: a binary value over
 * `bulkDataThreshold` (and any value that arrives streamed and is over it) is counted, not
 * kept, and becomes a BulkDataURI placeholder. Memory is that of the attributes, not of the
 * file.
 *
 * Mapping (PS3.18 Table F.2.3-1):
 * - keys are the tag as eight upper-case hex digits (§F.2.1.1); group length elements
 *   (gggg,0000) are left out (§F.2.2); so is the file meta (group 0002), which is not part
 *   of the dataset, unless `includeFileMeta` asks for it.
 * - text VRs → strings, decoded with the Specific Character Set in scope (ValueScope, below),
 *   split on backslash for multi-valued VRs (§F.2.4), trailing padding removed (PS3.5 §6.2).
 * - PN → objects of component groups Alphabetic, Ideographic, Phonetic (§F.2.2), split on
 *   "=" after decoding; the text of each group is kept as encoded (trailing "^" included).
 * - US SS UL SL FL FD → numbers. SV UV → numbers when they are safe integers, else decimal
 *   strings (§F.2.3 note: a string avoids losing precision).
 * - IS DS → numbers when the text is a valid IS/DS (PS3.5 §6.2; an IS within its range
 *   -2^31..2^31-1); otherwise the text itself as a string. §F.2.3 allows a string "to
 *   preserve the original format … or to avoid losing precision": a malformed DS such as
 *   "1.2.3" is kept rather than dropped or turned into NaN.
 * - Implicit VR "US or SS" elements are SS when Pixel Representation is 1 (ValueScope).
 * - AT → "GGGGEEEE" strings.
 * - SQ → arrays of nested objects; an empty item is {} (§F.2.2). A UN of undefined length
 *   is a sequence in Implicit VR LE (PS3.5 §6.2.2): it is shown as SQ, as dcmtk does.
 * - OB OD OF OL OV OW UN → "InlineBinary" base64 (§F.2.7) up to `bulkDataThreshold`
 *   bytes, "BulkDataURI" above (§F.2.6). Encapsulated pixel data is always a BulkDataURI.
 *   InlineBinary is little endian: words of an Explicit VR Big Endian dataset are swapped,
 *   as the JSON model is independent of the transfer syntax.
 * - An empty value (length 0, or only padding) → the attribute with no "Value" (§F.2.5);
 *   an empty value among several → null.
 * - FL/FD values that are NaN or ±Infinity have no JSON number: they are written as the
 *   strings "NaN", "Infinity", "-Infinity" rather than silently becoming null.
 *
 * BulkDataURI placeholders: `bulkdata:` followed by the tag path, tags and item indices
 * joined by "/", e.g. `bulkdata:7FE00010` or `bulkdata:00880200/0/7FE00010` (Pixel Data
 * of the first item of Icon Image Sequence). Pass `bulkDataURI` to build real WADO-RS
 * bulk data URLs instead.
 *
 * Key order: PS3.18 §F.2.2 orders attributes by key. A JavaScript object puts keys that
 * look like array indices ("30060020", "60003000") first whatever the insertion order, so
 * `stringifyDicomJson` sorts keys itself: use it rather than JSON.stringify for output.
 */
import { Buffer } from 'node:buffer'
import { DicomError } from '../errors.js'
import { DEFAULT_CHARSET, compileCharset, type TextCodec } from './charset.js'
import { lookupTag } from './dictionary.js'
import { TAG, isGroupLengthTag, tagGroup, tagKey, type Tag } from './tags.js'
import type { Token, TokenSink } from './tokens.js'
import { binaryValueWidth, isMultiValuedText, isStringVR, usesSpecificCharacterSet, type VR } from './vr.js'

/** PS3.18 §F.2.7 does not fix a size; the issue asks for binary over 1 KiB as bulk data. */
export const DEFAULT_BULK_DATA_THRESHOLD_BYTES = 1024

export interface DicomJsonPersonName {
  Alphabetic?: string
  Ideographic?: string
  Phonetic?: string
}

export type DicomJsonValue = string | number | null | DicomJsonPersonName | DicomJsonDataset

export interface DicomJsonAttribute {
  vr: VR
  Value?: DicomJsonValue[]
  InlineBinary?: string
  BulkDataURI?: string
}

export interface DicomJsonDataset {
  [key: string]: DicomJsonAttribute
}

export interface DicomJsonOptions {
  /** Binary values up to this many bytes are inlined (base64); larger ones are bulk data. */
  readonly bulkDataThreshold?: number
  /** Include the file meta information (group 0002): not part of the dataset, off by default. */
  readonly includeFileMeta?: boolean
  /** Builds the BulkDataURI from the tag path (`7FE00010`, `00880200/0/7FE00010`). */
  readonly bulkDataURI?: (path: string) => string
}

/** VRs whose value is an octet stream in JSON (PS3.18 Table F.2.3-1). */
const BINARY_VRS: ReadonlySet<string> = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN'])

export function isBinaryVR (vr: string): boolean {
  return BINARY_VRS.has(vr)
}

interface DatasetLevel {
  readonly kind: 'dataset'
  readonly dataset: DicomJsonDataset
  /** Tag path of this dataset: '' at the top, `00880200/0/` in the first item of (0088,0200). */
  readonly path: string
}

interface SequenceLevel {
  readonly kind: 'sequence'
  /** The SQ attribute; undefined when the sequence is left out (file meta). */
  readonly attribute: DicomJsonAttribute | undefined
  readonly items: DicomJsonDataset[]
  readonly path: string
}

/** A value that arrives in chunks: kept only when it is small enough to be inlined. */
interface StreamedValue {
  readonly tag: Tag
  readonly vr: VR
  readonly length: number
  readonly chunks: Uint8Array[] | null
  readonly keep: boolean
}

export class DicomJsonBuilder implements TokenSink {
  readonly #threshold: number
  readonly #includeMeta: boolean
  readonly #uri: (path: string) => string
  readonly #scope = new ValueScope()
  readonly #root: DicomJsonDataset = {}
  readonly #levels: Array<DatasetLevel | SequenceLevel> = [{ kind: 'dataset', dataset: this.#root, path: '' }]
  #inDataset = false
  #streamed: StreamedValue | null = null
  /** Inside encapsulated pixel data: its fragments are skipped. */
  #encapsulated = false

  constructor (options: DicomJsonOptions = {}) {
    this.#threshold = options.bulkDataThreshold ?? DEFAULT_BULK_DATA_THRESHOLD_BYTES
    this.#includeMeta = options.includeFileMeta ?? false
    this.#uri = options.bulkDataURI ?? ((path) => `bulkdata:${path}`)
  }

  token (token: Token): void {
    this.#scope.observe(token)
    switch (token.type) {
      case 'preamble': return
      case 'dataset': this.#inDataset = true; return
      case 'element': this.#element(token.tag, this.#scope.resolveVR(token.tag, token.vr), token.value); return
      case 'value-start': {
        const keep = token.length <= this.#threshold
        const vr = this.#scope.resolveVR(token.tag, token.vr)
        this.#streamed = { tag: token.tag, vr, length: token.length, chunks: keep ? [] : null, keep }
        return
      }
      case 'value-chunk':
        // Copied: chunks are views of input buffers that the source may reuse.
        if (this.#streamed?.chunks != null) this.#streamed.chunks.push(Buffer.from(token.bytes))
        return
      case 'value-end': this.#valueEnd(); return
      case 'sequence-start': {
        const attribute = this.#attribute(token.tag, 'SQ')
        this.#levels.push({ kind: 'sequence', attribute, items: [], path: `${this.#datasetLevel().path}${tagKey(token.tag)}/` })
        return
      }
      case 'item-start': {
        const sequence = this.#levels[this.#levels.length - 1]
        if (sequence?.kind !== 'sequence') throw order('an item outside a sequence')
        const dataset: DicomJsonDataset = {}
        sequence.items.push(dataset)
        this.#levels.push({ kind: 'dataset', dataset, path: `${sequence.path}${sequence.items.length - 1}/` })
        return
      }
      case 'item-end':
      case 'sequence-end': {
        const level = this.#levels.pop()
        if (level === undefined || this.#levels.length === 0) throw order(`${token.type} with nothing open`)
        if (level.kind !== (token.type === 'item-end' ? 'dataset' : 'sequence')) throw order(`${token.type} does not match what is open`)
        // §F.2.5: a sequence with no items has no "Value".
        if (level.kind === 'sequence' && level.attribute !== undefined && level.items.length > 0) level.attribute.Value = level.items
        return
      }
      case 'encapsulated-start': {
        this.#encapsulated = true
        const attribute = this.#attribute(token.tag, token.vr)
        if (attribute !== undefined) attribute.BulkDataURI = this.#uri(this.#datasetLevel().path + tagKey(token.tag))
        return
      }
      case 'fragment-start': case 'fragment-end': return
      case 'encapsulated-end': this.#encapsulated = false
    }
  }

  /** The DICOM JSON object of the dataset. Throws if the token stream is incomplete. */
  result (): DicomJsonDataset {
    if (this.#levels.length !== 1 || this.#streamed !== null || this.#encapsulated) {
      throw order('the token stream ended inside a sequence, item or value')
    }
    return this.#root
  }

  #datasetLevel (): DatasetLevel {
    const level = this.#levels[this.#levels.length - 1]
    if (level?.kind !== 'dataset') throw order('an element directly inside a sequence')
    return level
  }

  /** Creates the attribute object for a tag, or undefined when it is left out of the model. */
  #attribute (tag: Tag, vr: VR): DicomJsonAttribute | undefined {
    const level = this.#datasetLevel()
    if (isGroupLengthTag(tag)) return undefined
    if (!this.#inDataset && (!this.#includeMeta || tagGroup(tag) !== 0x0002)) return undefined
    const attribute: DicomJsonAttribute = { vr }
    level.dataset[tagKey(tag)] = attribute
    return attribute
  }

  #element (tag: Tag, vr: VR, bytes: Uint8Array): void {
    if (this.#encapsulated) return
    const attribute = this.#attribute(tag, vr)
    if (attribute === undefined || bytes.length === 0) return
    if (isBinaryVR(vr)) {
      if (bytes.length > this.#threshold) attribute.BulkDataURI = this.#uri(this.#datasetLevel().path + tagKey(tag))
      else attribute.InlineBinary = inlineBinary(vr, bytes, this.#scope.littleEndian)
      return
    }
    const values = this.#values(vr, bytes)
    if (values.length > 0) attribute.Value = values
  }

  #values (vr: VR, bytes: Uint8Array): DicomJsonValue[] {
    if (vr === 'PN') {
      const names = decodeStrings(vr, bytes, this.#scope)
      return names.every((n) => n === '') ? [] : names.map(personName)
    }
    if (isStringVR(vr)) {
      const strings = decodeStrings(vr, bytes, this.#scope)
      if (strings.every((s) => s === '')) return []
      if (vr === 'IS' || vr === 'DS') return strings.map((s) => numberString(vr, s))
      return strings.map((s) => (s === '' ? null : s))
    }
    if (vr === 'AT') return decodeNumbers('AT', bytes, this.#scope.littleEndian).map((n) => tagKey(Number(n)))
    return decodeNumbers(vr, bytes, this.#scope.littleEndian).map(jsonNumber)
  }

  #valueEnd (): void {
    const streamed = this.#streamed
    this.#streamed = null
    if (streamed === null) throw order('value-end without value-start')
    if (streamed.keep && streamed.chunks !== null) {
      this.#element(streamed.tag, streamed.vr, Buffer.concat(streamed.chunks))
      return
    }
    // PS3.18 §F.2.2 allows BulkDataURI for binary VRs and for the long text and numeric VRs
    // (DS FL FD IS LT SL SS ST SV UC UL US UT UV): the only ones that can be this long.
    const attribute = this.#attribute(streamed.tag, streamed.vr)
    if (attribute !== undefined) attribute.BulkDataURI = this.#uri(this.#datasetLevel().path + tagKey(streamed.tag))
  }
}

/** Builds the DICOM JSON object of a whole token stream (one-shot form of the builder). */
export function toDicomJson (tokens: Iterable<Token>, options: DicomJsonOptions = {}): DicomJsonDataset {
  const builder = new DicomJsonBuilder(options)
  for (const token of tokens) builder.token(token)
  return builder.result()
}

function order (what: string): DicomError {
  return new DicomError('DG_DICOM_TOKEN_ORDER', `DICOM JSON builder: ${what}`)
}

/** §F.2.7: base64 of the value in little endian (words of a big endian dataset swapped). */
function inlineBinary (vr: VR, bytes: Uint8Array, little: boolean): string {
  const width = vr === 'OB' || vr === 'UN' ? 1 : binaryValueWidth(vr)
  if (little || width <= 1 || bytes.length % width !== 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
  const copy = Buffer.from(bytes)
  if (width === 2) copy.swap16()
  else if (width === 4) copy.swap32()
  else copy.swap64()
  return copy.toString('base64')
}

function personName (value: string): DicomJsonPersonName | null {
  if (value === '') return null
  const [alphabetic, ideographic, phonetic] = splitPersonName(value)
  const name: DicomJsonPersonName = {}
  if (alphabetic !== undefined && alphabetic !== '') name.Alphabetic = alphabetic
  if (ideographic !== undefined && ideographic !== '') name.Ideographic = ideographic
  if (phonetic !== undefined && phonetic !== '') name.Phonetic = phonetic
  return name
}

/** PS3.5 §6.2: IS is an optionally signed integer, DS a fixed or floating point decimal. */
const IS_PATTERN = /^[+-]?\d+$/
const DS_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** PS3.5 §6.2: an IS value lies in -2^31 ≤ n ≤ 2^31 - 1. */
const IS_MIN = -(2 ** 31)
const IS_MAX = 2 ** 31 - 1

/**
 * §F.2.3: a number when the text is a valid IS/DS (an IS within its PS3.5 range) whose
 * value a JSON number holds; otherwise the text, so that nothing is lost or invented.
 */
function numberString (vr: 'IS' | 'DS', text: string): number | string | null {
  const trimmed = text.trim()
  if (trimmed === '') return null
  const valid = vr === 'IS' ? IS_PATTERN.test(trimmed) : DS_PATTERN.test(trimmed)
  if (!valid) return trimmed
  const n = Number(trimmed)
  if (!Number.isFinite(n) || (vr === 'IS' && (n < IS_MIN || n > IS_MAX))) return trimmed
  return n
}

function jsonNumber (n: number | bigint): number | string {
  if (typeof n === 'bigint') {
    // §F.2.3 note: SV/UV outside ±(2^53 - 1) are strings so that no digit is lost.
    const asNumber = Number(n)
    return Number.isSafeInteger(asNumber) ? asNumber : n.toString()
  }
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  return n
}

/**
 * JSON text of a DICOM JSON object, attributes in ascending key order (§F.2.2), which
 * JSON.stringify cannot guarantee (see the module comment). `indent` as in JSON.stringify.
 */
export function stringifyDicomJson (dataset: DicomJsonDataset, indent = 0): string {
  const pad = ' '.repeat(indent)
  const nl = indent > 0 ? '\n' : ''
  const colon = indent > 0 ? ': ' : ':'
  const write = (value: unknown, depth: string): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
    const inner = depth + pad
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]'
      return `[${nl}${value.map((v) => inner + write(v, inner)).join(`,${nl}`)}${nl}${depth}]`
    }
    const entries = Object.entries(value as Record<string, unknown>)
    if (entries.length === 0) return '{}'
    // Attribute keys (8 hex digits) sort by tag; "vr" comes before "Value" and the rest.
    entries.sort(([a], [b]) => (a === 'vr' ? -1 : b === 'vr' ? 1 : a < b ? -1 : a > b ? 1 : 0))
    return `{${nl}${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}${colon}${write(v, inner)}`).join(`,${nl}`)}${nl}${depth}}`
  }
  return write(dataset, '')
}


// ── Reading values: shared by the JSON builder and the text dump ──────────────────────

interface ScopeLevel {
  /** Byte order of the values at this level. */
  little: boolean
  /** Whether VRs are in the stream (else they came from the dictionary). */
  explicit: boolean
  /** Pixel Representation (0028,0103) in effect: 1 means signed pixel values. */
  pixelRepresentation: number | undefined
  /** The Specific Character Set in effect: the default repertoire until a (0008,0005). */
  charset: TextCodec
}

/**
 * What a value needs to be read that the value itself does not carry: the byte order and
 * the Specific Character Set in effect at its place in the stream. Feed it every token
 * (before acting on it).
 *
 * - Byte order: the file meta is Explicit VR Little Endian (PS3.10 §7.1); the dataset is in
 *   its transfer syntax's order; the items of a UN sequence of undefined length are
 *   Implicit VR Little Endian whatever the transfer syntax (PS3.5 §6.2.2).
 * - Character set: (0008,0005) applies to the dataset it is in, and to the items nested in
 *   it; an item may carry its own, which applies to that item only (PS3.5 §6.1.2.5: "the
 *   Specific Character Set of the Data Set in which the Sequence is encoded" unless the
 *   item says otherwise). An unknown character set is DG_DICOM_UNKNOWN_CHARSET, thrown by
 *   compileCharset: text is never decoded by guessing.
 */
export class ValueScope {
  // The file meta is Explicit VR Little Endian (PS3.10 §7.1).
  readonly #levels: ScopeLevel[] = [{ little: true, explicit: true, pixelRepresentation: undefined, charset: DEFAULT_CHARSET }]

  get littleEndian (): boolean {
    return this.#top().little
  }

  observe (token: Token): void {
    switch (token.type) {
      case 'dataset': {
        const top = this.#top()
        top.little = token.transferSyntax.littleEndian
        top.explicit = token.transferSyntax.explicitVR
        return
      }
      case 'sequence-start': {
        const top = this.#top()
        const un = token.vr === 'UN'
        this.#levels.push({ ...top, little: un || top.little, explicit: !un && top.explicit })
        return
      }
      case 'item-start': this.#levels.push({ ...this.#top() }); return
      case 'item-end': case 'sequence-end':
        if (this.#levels.length > 1) this.#levels.pop()
        return
      case 'element':
        if (token.tag === TAG.SpecificCharacterSet && isStringVR(token.vr)) this.#top().charset = this.#compile(token.value)
        else if (token.tag === PIXEL_REPRESENTATION && token.vr === 'US' && token.value.length >= 2) {
          this.#top().pixelRepresentation = Number(decodeNumbers('US', token.value, this.#top().little)[0])
        }
        return
      default:
    }
  }

  /**
   * The VR to show for an element. In Implicit VR the parser takes the dictionary's first
   * choice, US for "US or SS"; PS3.5 §A.1 and PS3.3 §C.7.6.3.1.1 make such elements (Smallest
   * Image Pixel Value, Pixel Padding Value…) signed when Pixel Representation is 1. The bytes
   * are the same; the value read from them is not. Explicit VR says which it is.
   */
  resolveVR (tag: Tag, vr: VR): VR {
    const top = this.#top()
    if (vr !== 'US' || top.explicit || top.pixelRepresentation !== 1) return vr
    return lookupTag(tag)?.vrs.includes('SS') === true ? 'SS' : vr
  }

  /** Text of a string value: through the character set for the VRs it applies to (PS3.5 §6.1.2.3). */
  decode (bytes: Uint8Array, vr: VR): string {
    return usesSpecificCharacterSet(vr) ? this.#top().charset.decode(bytes, vr) : latin1(bytes)
  }

  #top (): ScopeLevel {
    return this.#levels[this.#levels.length - 1] as ScopeLevel
  }

  #compile (value: Uint8Array): TextCodec {
    // CS: backslash-separated terms. An empty first term is the default repertoire
    // (PS3.3 §C.12.1.1.2), so positions are kept; compileCharset caches by terms.
    const terms = latin1(value).split('\\').map((t) => t.replace(/[\0 ]+$/, '').replace(/^ +/, ''))
    return compileCharset(terms.every((t) => t === '') ? [] : terms)
  }
}

const PIXEL_REPRESENTATION: Tag = 0x00280103

/** Bytes → one char per byte: lossless, and exact for the default repertoire (ISO-IR 6). */
function latin1 (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

/**
 * The values of a string VR, decoded, split on backslash where the VR is multi-valued
 * (PS3.5 §6.4; PS3.18 §F.2.4), each without trailing padding. PS3.5 §6.2 pads UI with NUL
 * and other text with spaces; real files also pad DS, DA and others with NUL (fo-dicom's
 * D_CLUNIE_CT1_RLE_FRAGS, GH195), which dcmtk and dicom-parser read as padding too, so
 * trailing NULs and spaces are padding for every text VR. Only padding: leading spaces and
 * the text inside a value are kept.
 */
export function decodeStrings (vr: VR, bytes: Uint8Array, scope: ValueScope): string[] {
  const text = scope.decode(bytes, vr)
  if (!isMultiValuedText(vr)) return [text.replace(PADDING, '')]
  return text.split('\\').map((v) => v.replace(PADDING, ''))
}

const PADDING = /[\0 ]+$/

/**
 * PS3.5 §6.2.1.1: a person name is up to three component groups separated by "=":
 * alphabetic, ideographic, phonetic. Trailing spaces of a group are padding.
 */
export function splitPersonName (value: string): [string, string | undefined, string | undefined] {
  const [alphabetic = '', ideographic, phonetic] = value.split('=').map((g) => g.replace(/ +$/, ''))
  return [alphabetic, ideographic, phonetic]
}

/**
 * The values of a binary numeric VR (US SS UL SL FL FD SV UV, and AT as group << 16 |
 * element) in the given byte order. SV and UV come as bigint. Bytes past the last whole
 * value (a malformed length) are ignored. FL values are given as the shortest decimal that
 * reads back as the same float32, so 0.3f is 0.3 and not 0.30000001192092896.
 */
export function decodeNumbers (vr: VR, bytes: Uint8Array, little: boolean): Array<number | bigint> {
  const width = vr === 'AT' ? 4 : binaryValueWidth(vr)
  if (width === 0) return []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const count = Math.floor(bytes.byteLength / width)
  const out: Array<number | bigint> = new Array<number | bigint>(count)
  for (let i = 0; i < count; i++) {
    const at = i * width
    switch (vr) {
      case 'US': out[i] = view.getUint16(at, little); break
      case 'SS': out[i] = view.getInt16(at, little); break
      case 'UL': out[i] = view.getUint32(at, little); break
      case 'SL': out[i] = view.getInt32(at, little); break
      case 'FL': out[i] = shortestFloat32(view.getFloat32(at, little)); break
      case 'FD': out[i] = view.getFloat64(at, little); break
      case 'SV': out[i] = view.getBigInt64(at, little); break
      case 'UV': out[i] = view.getBigUint64(at, little); break
      case 'AT': out[i] = ((view.getUint16(at, little) << 16) | view.getUint16(at + 2, little)) >>> 0; break
      default: return []
    }
  }
  return out
}

/** float32 has at most 9 significant decimal digits: the first precision that reads back wins. */
const FLOAT32_MAX_DIGITS = 9

function shortestFloat32 (f: number): number {
  if (!Number.isFinite(f) || f === 0) return f
  for (let digits = 1; digits < FLOAT32_MAX_DIGITS; digits++) {
    const n = Number(f.toPrecision(digits))
    if (Math.fround(n) === f) return n
  }
  return f
}
