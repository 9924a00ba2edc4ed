/**
 * A readable text dump of a token stream, in the manner of dcmtk's dcmdump:
 *
 *   # Dataset: Explicit VR Little Endian (1.2.840.10008.1.2.1)
 *   (0010,0010) PN [Doe^John]                                   #     8, 1 PatientName
 *   (0008,1115) SQ (Sequence with undefined length)             #   u/l, 1 ReferencedSeriesSequence
 *     (FFFE,E000) na (Item #1 with defined length)              #    48, 1 Item
 *       (0020,000E) UI [1.2.3.4]                                #     8, 1 SeriesInstanceUID
 *     (FFFE,E00D) na (end of item #1)
 *   (FFFE,E0DD) na (SequenceDelimitationItem)
 *
 * One line per element, item and delimiter, indented two spaces per level; `# length, VM
 * Keyword` at the end (u/l: undefined length). Comment lines mark the preamble, the file
 * meta and the dataset with its transfer syntax.
 *
 * Streaming: `DicomDumper` is a TokenSink that hands each line to a callback as soon as it
 * is complete, and keeps at most a short preview of a value (the first bytes of a streamed
 * value or fragment), so dumping a 500 MB file needs no more memory than a small one.
 *
 * Values: text decoded with the Specific Character Set in effect (see ValueScope in
 * json.ts), trailing padding removed, values joined with "\" as in DICOM, cut after
 * `maxValueLength` characters; control characters are escaped (\n, \r, \t, \xNN) so that a
 * line stays a line. Numbers as decimals, AT as (gggg,eeee). Binary values as hex bytes of
 * their beginning (`maxBinaryBytes`), in the order they are encoded.
 */
import { Buffer } from 'node:buffer'
import { lookupTag } from './dictionary.js'
import { ValueScope, decodeNumbers, decodeStrings, isBinaryVR } from './json.js'
import { TAG, UNDEFINED_LENGTH, formatTag, isGroupLengthTag, isPrivateCreatorTag, isPrivateTag, type Tag } from './tags.js'
import type { Token, TokenSink } from './tokens.js'
import { binaryValueWidth, isStringVR, type VR } from './vr.js'

/** dcmdump cuts long values too; 64 characters keep a line readable. */
export const DEFAULT_DUMP_MAX_VALUE_LENGTH = 64
/** Bytes of a binary value shown as hex. */
export const DEFAULT_DUMP_MAX_BINARY_BYTES = 16
/** Numbers shown of a multi-valued binary numeric element (FD arrays can be long). */
const MAX_NUMBERS_SHOWN = 16
/** The left part of a line is padded to this width so that the `#` comments line up. */
const COMMENT_COLUMN = 60
const INDENT = '  '

export interface DumpOptions {
  /** Characters of a text value shown before "..." (default 64). */
  readonly maxValueLength?: number
  /** Bytes of a binary value shown as hex before "..." (default 16). */
  readonly maxBinaryBytes?: number
}

export type LineWriter = (line: string) => void

/** A value or fragment being streamed: only its first bytes are kept, for the preview. */
interface Pending {
  readonly kind: 'value' | 'fragment'
  readonly tag: Tag
  readonly vr: VR
  readonly length: number
  readonly index: number
  preview: Uint8Array[]
  kept: number
}

interface Container {
  readonly kind: 'sequence' | 'item' | 'encapsulated'
  readonly undefinedLength: boolean
  /** Items seen so far (sequences), or the item's number (items). */
  count: number
}

export class DicomDumper implements TokenSink {
  readonly #write: LineWriter
  readonly #maxValue: number
  readonly #maxBinary: number
  /** Bytes kept of a streamed value: enough for the preview of any VR. */
  readonly #previewBytes: number
  readonly #scope = new ValueScope()
  readonly #open: Container[] = []
  #metaStarted = false
  #pending: Pending | null = null

  constructor (write: LineWriter, options: DumpOptions = {}) {
    this.#write = write
    this.#maxValue = options.maxValueLength ?? DEFAULT_DUMP_MAX_VALUE_LENGTH
    this.#maxBinary = options.maxBinaryBytes ?? DEFAULT_DUMP_MAX_BINARY_BYTES
    // UTF-8 and GB18030 take up to 4 bytes a character; 8 bytes is the widest number.
    this.#previewBytes = Math.max(this.#maxBinary, this.#maxValue * 4, MAX_NUMBERS_SHOWN * 8) + 1
  }

  token (token: Token): void {
    this.#scope.observe(token)
    switch (token.type) {
      case 'preamble':
        this.#write('# Preamble: 128 bytes, then "DICM" (PS3.10 §7.1)')
        return
      case 'dataset': {
        const ts = token.transferSyntax
        const how = token.source === 'inferred' ? ', inferred from the first bytes: the file meta does not name it' : ''
        this.#write(`# Dataset: ${ts.name} (${ts.uid})${how}`)
        return
      }
      case 'element':
        if (!this.#metaStarted && token.tag >>> 16 === 0x0002 && this.#open.length === 0) {
          this.#metaStarted = true
          this.#write('# File meta information (group 0002, Explicit VR Little Endian)')
        }
        this.#element(token.tag, this.#scope.resolveVR(token.tag, token.vr), token.value, token.value.length, false)
        return
      case 'value-start':
        this.#pending = { kind: 'value', tag: token.tag, vr: this.#scope.resolveVR(token.tag, token.vr), length: token.length, index: 0, preview: [], kept: 0 }
        return
      case 'fragment-start':
        this.#pending = { kind: 'fragment', tag: TAG.Item, vr: 'OB', length: token.length, index: token.index, preview: [], kept: 0 }
        return
      case 'value-chunk': this.#keep(token.bytes); return
      case 'value-end': case 'fragment-end': this.#flushPending(); return
      case 'sequence-start': {
        const what = token.vr === 'UN'
          ? 'Sequence of unknown VR, items in Implicit VR Little Endian (PS3.5 §6.2.2)'
          : `Sequence with ${token.length === UNDEFINED_LENGTH ? 'undefined' : 'defined'} length`
        this.#line(token.tag, 'SQ', `(${what})`, token.length, '1')
        this.#open.push({ kind: 'sequence', undefinedLength: token.length === UNDEFINED_LENGTH, count: 0 })
        return
      }
      case 'item-start': {
        const sequence = this.#open[this.#open.length - 1]
        const number = sequence === undefined ? 0 : ++sequence.count
        const undefinedLength = token.length === UNDEFINED_LENGTH
        this.#line(TAG.Item, 'na', `(Item #${number} with ${undefinedLength ? 'undefined' : 'defined'} length)`, token.length, '1', 'Item')
        this.#open.push({ kind: 'item', undefinedLength, count: number })
        return
      }
      case 'item-end': {
        const item = this.#open.pop()
        this.#marker(TAG.ItemDelimitationItem, item?.undefinedLength === true ? '(ItemDelimitationItem)' : `(end of item #${item?.count ?? 0})`)
        return
      }
      case 'sequence-end': {
        const sequence = this.#open.pop()
        this.#marker(TAG.SequenceDelimitationItem, sequence?.undefinedLength === true ? '(SequenceDelimitationItem)' : '(end of sequence)')
        return
      }
      case 'encapsulated-start':
        this.#line(token.tag, token.vr, '(encapsulated pixel data, PS3.5 §A.4)', UNDEFINED_LENGTH, '1')
        this.#open.push({ kind: 'encapsulated', undefinedLength: true, count: 0 })
        return
      case 'encapsulated-end':
        this.#open.pop()
        this.#marker(TAG.SequenceDelimitationItem, '(SequenceDelimitationItem)')
    }
  }

  #keep (bytes: Uint8Array): void {
    const pending = this.#pending
    if (pending === null || pending.kept >= this.#previewBytes) return
    const piece = bytes.subarray(0, this.#previewBytes - pending.kept)
    // Copied: chunks are views of input buffers that the source may reuse.
    pending.preview.push(Buffer.from(piece))
    pending.kept += piece.length
  }

  #flushPending (): void {
    const pending = this.#pending
    this.#pending = null
    if (pending === null) return
    const preview = Buffer.concat(pending.preview)
    if (pending.kind === 'fragment') {
      const label = pending.index === 0 ? 'Basic Offset Table' : `fragment #${pending.index}`
      const hex = pending.length === 0 ? '(empty)' : this.#hex(preview, pending.length)
      this.#line(TAG.Item, 'pi', `${label}: ${hex}`, pending.length, '1', 'Item')
      return
    }
    this.#element(pending.tag, pending.vr, preview, pending.length, preview.length < pending.length)
  }

  /** One element line; `bytes` is the whole value, or its beginning when `partial`. */
  #element (tag: Tag, vr: VR, bytes: Uint8Array, length: number, partial: boolean): void {
    if (length === 0) {
      this.#line(tag, vr, '(no value available)', 0, '0')
      return
    }
    if (isBinaryVR(vr)) {
      this.#line(tag, vr, this.#hex(bytes, length), length, '1')
      return
    }
    if (isStringVR(vr)) {
      const values = decodeStrings(vr, bytes, this.#scope)
      const empty = values.every((v) => v === '')
      const text = values.join('\\')
      const cut = partial || text.length > this.#maxValue
      const shown = `[${escapeControls(text.slice(0, this.#maxValue))}]${cut ? '...' : ''}`
      this.#line(tag, vr, empty ? '(no value available)' : shown, length, partial ? '?' : empty ? '0' : String(values.length))
      return
    }
    const width = vr === 'AT' ? 4 : binaryValueWidth(vr)
    const numbers = decodeNumbers(vr, bytes, this.#scope.littleEndian)
    const shown = numbers.slice(0, MAX_NUMBERS_SHOWN).map((n) => (vr === 'AT' ? formatTag(Number(n)) : String(n)))
    const more = partial || numbers.length > MAX_NUMBERS_SHOWN
    const vm = width === 0 ? '1' : String(Math.floor(length / width))
    this.#line(tag, vr, `${shown.join('\\')}${more ? '...' : ''}`, length, vm)
  }

  #hex (bytes: Uint8Array, length: number): string {
    const shown = Math.min(bytes.length, this.#maxBinary)
    const parts: string[] = []
    for (let i = 0; i < shown; i++) parts.push((bytes[i] as number).toString(16).padStart(2, '0'))
    return parts.join('\\') + (length > shown ? '...' : '')
  }

  #line (tag: Tag, vr: string, value: string, length: number, vm: string, keyword = keywordFor(tag)): void {
    const left = `${INDENT.repeat(this.#open.length)}${formatTag(tag)} ${vr} ${value}`
    const len = length === UNDEFINED_LENGTH ? 'u/l' : String(length)
    this.#write(`${left.padEnd(COMMENT_COLUMN)} # ${len.padStart(5)}, ${vm} ${keyword}`)
  }

  #marker (tag: Tag, text: string): void {
    this.#write(`${INDENT.repeat(this.#open.length)}${formatTag(tag)} na ${text}`)
  }
}

/** Dumps a whole token stream into lines (one-shot form, for small inputs and tests). */
export function dumpTokens (tokens: Iterable<Token>, options: DumpOptions = {}): string[] {
  const lines: string[] = []
  const dumper = new DicomDumper((line) => { lines.push(line) }, options)
  for (const token of tokens) dumper.token(token)
  return lines
}

/** The PS3.6 keyword, or what kind of element it is when the dictionary has none. */
function keywordFor (tag: Tag): string {
  if (isGroupLengthTag(tag)) return lookupTag(tag)?.keyword ?? 'GroupLength'
  if (isPrivateCreatorTag(tag)) return 'PrivateCreator'
  if (isPrivateTag(tag)) return 'PrivateTag'
  const entry = lookupTag(tag)
  if (entry === undefined || entry.keyword === '') return 'UnknownTag'
  return entry.retired ? `${entry.keyword} (retired)` : entry.keyword
}

/** C0 and C1 controls (and DEL) as escapes, so that one element stays on one line. */
function escapeControls (text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    switch (c) {
      case '\n': return '\\n'
      case '\r': return '\\r'
      case '\t': return '\\t'
      default: return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`
    }
  })
}
