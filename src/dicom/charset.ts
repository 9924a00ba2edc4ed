/**
 * DICOM text ↔ JavaScript strings, per Specific Character Set (0008,0005).
 *
 * PS3.5 §6.1 defines the repertoires and the ISO 2022 code extensions; PS3.3 C.12.1.1.2
 * (Tables C.12-2 to C.12-5) the Defined Terms. `compileCharset` validates the terms once
 * per dataset and returns a codec; an unknown term throws DG_DICOM_UNKNOWN_CHARSET, because
 * text that is decoded by guessing cannot be de-identified with certainty.
 *
 * Accepted spellings. A term is compared after removing trailing NUL/space padding and
 * every space, hyphen and underscore, upper-cased: so "ISO_IR 100", "ISO-IR 100",
 * "ISO IR 100", "ISO_IR100" and "iso-ir-100" all name ISO_IR 100, and "ISO2022IR100" names
 * ISO 2022 IR 100. Beyond the Defined Terms we accept:
 * - "ISO_IR 6" (the standard writes the default repertoire as an empty value);
 * - "ISO_IR 87", "ISO_IR 159", "ISO_IR 149", "ISO_IR 58": the IR number names the set
 *   unambiguously (Orthanc writes "ISO_IR 149"); they behave as "ISO 2022 IR n";
 * - in a multi-valued (0008,0005), "ISO_IR n" as "ISO 2022 IR n" (as pydicom does);
 * - ISO_IR 192, GB18030 and GBK must stand alone (PS3.3 C.12.1.1.2: no code extensions);
 *   repeats of the same term and empty values beside it are tolerated.
 *
 * Choices where the standard leaves room:
 * - Default repertoire (no or empty (0008,0005)) and VRs that never use the Specific
 *   Character Set (PS3.5 §6.1.2.3: AE, CS, DA, UI…): bytes above 0x7F are invalid ISO-IR 6,
 *   yet common (Latin-1 written without declaring it). They are decoded as ISO 8859-1, as
 *   pydicom does (with a warning); `dcmdump +U8` refuses the file instead. The mapping is one
 *   byte to one code point, so encoding the text again gives the same bytes.
 * - ISO 8859 sets map 0x80-0x9F to the C1 controls U+0080-U+009F (WHATWG's "iso-8859-1"
 *   is windows-1252, which does not); bytes a set leaves undefined decode to U+FFFD.
 * - JIS X 0201 Romaji (ESC ( J, the G0 of ISO 2022 IR 13) is decoded as ASCII: 0x5C must
 *   stay the value delimiter, not a Yen sign (pydicom and dcmtk agree).
 * - Any escape sequence of PS3.3 Tables C.12-3/C.12-4 is honoured when code extensions are
 *   on, even for a set (0008,0005) does not list: escape sequences name their set. An
 *   escape sequence outside those tables throws DG_DICOM_UNKNOWN_CHARSET.
 *
 * Decode a whole value field, then split it on backslash (and a PN on ^ and =): in GBK and
 * GB18030 0x5C can be the second byte of a character, and ISO 2022 state spans values.
 * Padding is not removed here.
 */
import { Buffer, isAscii } from 'node:buffer'
import { TextDecoder, TextEncoder } from 'node:util'
import { DicomError } from '../errors.js'
import { isMultiValuedText, usesSpecificCharacterSet } from './vr.js'

export interface TextCodec {
  /** The Specific Character Set values as compiled (normalised spelling). */
  readonly terms: readonly string[]
  /** Decodes one value field of an element of the given VR. Never throws for byte content, except an unknown ISO 2022 escape sequence. */
  decode (bytes: Uint8Array, vr: string): string
  /** Encodes text for an element of the given VR; throws DG_DICOM_UNENCODABLE_TEXT for a character the set cannot encode. */
  encode (text: string, vr: string): Uint8Array
}

const ESC = 0x1b
const REPLACEMENT = 0xfffd

// ── The character sets (PS3.3 Tables C.12-2 to C.12-5) ─────────────────────────────────

/**
 * Single-byte sets by ISO-IR number: the WHATWG label whose 0xA0-0xFF matches the right
 * half of the set, and the escape sequence (bytes after ESC) that designates it to G1.
 */
const SINGLE_BYTE_SETS = {
  100: { label: 'iso-8859-1', escape: [0x2d, 0x41] }, // Latin 1, ESC - A
  101: { label: 'iso-8859-2', escape: [0x2d, 0x42] }, // Latin 2, ESC - B
  109: { label: 'iso-8859-3', escape: [0x2d, 0x43] }, // Latin 3, ESC - C
  110: { label: 'iso-8859-4', escape: [0x2d, 0x44] }, // Latin 4, ESC - D
  144: { label: 'iso-8859-5', escape: [0x2d, 0x4c] }, // Cyrillic, ESC - L
  127: { label: 'iso-8859-6', escape: [0x2d, 0x47] }, // Arabic, ESC - G
  126: { label: 'iso-8859-7', escape: [0x2d, 0x46] }, // Greek, ESC - F
  138: { label: 'iso-8859-8', escape: [0x2d, 0x48] }, // Hebrew, ESC - H
  148: { label: 'iso-8859-9', escape: [0x2d, 0x4d] }, // Latin 5, ESC - M
  203: { label: 'iso-8859-15', escape: [0x2d, 0x62] }, // Latin 9, ESC - b
  166: { label: 'windows-874', escape: [0x2d, 0x54] }, // TIS 620-2533 Thai, ESC - T
  13: { label: 'jis-x0201-katakana', escape: [0x29, 0x49] } // JIS X 0201 Katakana, ESC ) I
} as const

/**
 * Multi-byte (94×94) sets usable only with code extensions (Table C.12-4). Each is decoded
 * through its EUC form: G1 bytes arrive with the high bit set already; G0 bytes (JIS X 0208
 * and 0212 are invoked in G0, 7-bit) get it set, and JIS X 0212 the EUC-JP prefix 0x8F.
 */
const MULTI_BYTE_SETS = {
  87: { g: 0, decoder: 'euc-jp', prefix: 0, escape: [0x24, 0x42] }, // JIS X 0208, ESC $ B
  159: { g: 0, decoder: 'euc-jp', prefix: 0x8f, escape: [0x24, 0x28, 0x44] }, // JIS X 0212, ESC $ ( D
  149: { g: 1, decoder: 'euc-kr', prefix: 0, escape: [0x24, 0x29, 0x43] }, // KS X 1001, ESC $ ) C
  58: { g: 1, decoder: 'gbk', prefix: 0, escape: [0x24, 0x29, 0x41] } // GB 2312, ESC $ ) A
} as const

/** Sets without code extensions that decode a whole value (Table C.12-5 and ISO_IR 192). */
const WHOLE_VALUE_SETS = { ISOIR192: 'utf-8', GB18030: 'gb18030', GBK: 'gbk' } as const

/** G0 escape sequences: ISO-IR 6 (ESC ( B) and JIS X 0201 Romaji (ESC ( J), both read as ASCII. */
const ASCII_ESCAPES: readonly (readonly number[])[] = [[0x28, 0x42], [0x28, 0x4a]]

type SingleByteIR = keyof typeof SINGLE_BYTE_SETS
type MultiByteIR = keyof typeof MULTI_BYTE_SETS
type WholeValueLabel = typeof WHOLE_VALUE_SETS[keyof typeof WHOLE_VALUE_SETS]

interface TableSet { readonly width: 1, readonly ir: SingleByteIR, readonly table: Uint16Array, readonly identity: boolean }
interface PairSet { readonly width: 2, readonly ir: MultiByteIR, readonly decoder: TextDecoder, readonly prefix: number }
type G1Set = TableSet | PairSet | undefined
/** G0 is ASCII (undefined) or a 94×94 Japanese set. */
type G0Set = PairSet | undefined

const decoders = new Map<string, TextDecoder>()
function decoderFor (label: string): TextDecoder {
  let decoder = decoders.get(label)
  if (decoder === undefined) {
    decoder = new TextDecoder(label, { ignoreBOM: true })
    decoders.set(label, decoder)
  }
  return decoder
}

const tableSets = new Map<SingleByteIR, TableSet>()
/** The 256-entry decoding table of a single-byte set, built on first use. */
function tableSet (ir: SingleByteIR): TableSet {
  const cached = tableSets.get(ir)
  if (cached !== undefined) return cached
  const table = new Uint16Array(256)
  for (let b = 0; b < 0xa0; b++) table[b] = b // G0 ASCII, then the C1 controls
  if (ir === 13) {
    // JIS X 0201 katakana 0xA1-0xDF are U+FF61-U+FF9F, in order; the rest is undefined.
    for (let b = 0xa0; b <= 0xff; b++) table[b] = b >= 0xa1 && b <= 0xdf ? 0xff61 + b - 0xa1 : REPLACEMENT
  } else {
    const right = decoderFor(SINGLE_BYTE_SETS[ir].label).decode(Uint8Array.from({ length: 0x60 }, (_, i) => 0xa0 + i))
    if (right.length !== 0x60) throw new Error(`charset table for ISO-IR ${ir} is not single-byte`)
    for (let i = 0; i < 0x60; i++) {
      const unit = right.charCodeAt(i)
      // WHATWG maps the holes of windows-874 to private-use code points; TIS 620 has holes there.
      table[0xa0 + i] = unit >= 0xe000 && unit <= 0xf8ff ? REPLACEMENT : unit
    }
  }
  const set: TableSet = { width: 1, ir, table, identity: table.every((unit, b) => unit === b) }
  tableSets.set(ir, set)
  return set
}

function pairSet (ir: MultiByteIR): PairSet {
  const spec = MULTI_BYTE_SETS[ir]
  return { width: 2, ir, decoder: decoderFor(spec.decoder), prefix: spec.prefix }
}

// ── Decoding ───────────────────────────────────────────────────────────────────────────

/**
 * Below this length a JavaScript loop beats a call into C++ (measured on Node 20 with
 * 12-byte values: String.fromCharCode 95 ns against 260 ns for Buffer#toString('latin1')).
 */
const SHORT = 64
/** Enough arguments for String.fromCharCode to stay well inside the engine's limits. */
const CHUNK = 4096

function fromCharCodes (units: ArrayLike<number>): string {
  const text: unknown = Reflect.apply(String.fromCharCode, undefined, units)
  return text as string
}

/** ISO 8859-1 proper: one byte, one code point (WHATWG's "latin1" label is windows-1252). */
function latin1 (bytes: Uint8Array): string {
  if (bytes.length <= SHORT) return fromCharCodes(bytes)
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
}

function ascii (bytes: Uint8Array): boolean {
  if (bytes.length > SHORT) return isAscii(bytes)
  for (let i = 0; i < bytes.length; i++) if ((bytes[i] ?? 0) > 0x7f) return false
  return true
}

function decodeTable (bytes: Uint8Array, set: TableSet): string {
  if (set.identity || ascii(bytes)) return latin1(bytes)
  const units = new Uint16Array(bytes.length)
  for (let i = 0; i < bytes.length; i++) units[i] = set.table[bytes[i] ?? 0] ?? REPLACEMENT
  let text = ''
  for (let start = 0; start < units.length; start += CHUNK) text += fromCharCodes(units.subarray(start, start + CHUNK))
  return text
}

/** Builds the decoded text of an ISO 2022 value: single characters, and runs for a TextDecoder. */
class TextBuilder {
  private text = ''
  private pending: number[] = []
  private pendingDecoder: TextDecoder | undefined

  char (unit: number): void {
    this.flush()
    this.text += String.fromCharCode(unit)
  }

  bytes (decoder: TextDecoder, ...bytes: number[]): void {
    if (decoder !== this.pendingDecoder) this.flush()
    this.pendingDecoder = decoder
    this.pending.push(...bytes)
  }

  finish (): string {
    this.flush()
    return this.text
  }

  private flush (): void {
    if (this.pendingDecoder === undefined) return
    this.text += this.pendingDecoder.decode(Uint8Array.from(this.pending))
    this.pending = []
    this.pendingDecoder = undefined
  }
}

const BACKSLASH = 0x5c
const CARET = 0x5e
const EQUALS = 0x3d

/** All escape sequences of Tables C.12-3 and C.12-4, as the state they select. */
const DESIGNATIONS: readonly { readonly escape: readonly number[], select: (state: State) => void }[] = [
  ...ASCII_ESCAPES.map((escape) => ({ escape, select: (s: State): void => { s.g0 = undefined } })),
  ...(Object.keys(SINGLE_BYTE_SETS).map(Number) as SingleByteIR[]).map((ir) => ({
    escape: SINGLE_BYTE_SETS[ir].escape,
    select: (s: State): void => { s.g1 = tableSet(ir) }
  })),
  ...(Object.keys(MULTI_BYTE_SETS).map(Number) as MultiByteIR[]).map((ir) => ({
    escape: MULTI_BYTE_SETS[ir].escape,
    select: (s: State): void => {
      if (MULTI_BYTE_SETS[ir].g === 0) s.g0 = pairSet(ir)
      else s.g1 = pairSet(ir)
    }
  }))
]

interface State { g0: G0Set, g1: G1Set }

function matchEscape (bytes: Uint8Array, at: number): typeof DESIGNATIONS[number] | undefined {
  return DESIGNATIONS.find(({ escape }) => escape.every((b, i) => bytes[at + i] === b))
}

/**
 * ISO 2022 decoding (PS3.5 §6.1.2.5). The state starts as value 1 of (0008,0005) sets it,
 * escape sequences change G0 or G1, and PS3.5 §6.1.2.5.3 requires the encoder to return to
 * the initial state before CR, LF, FF, TAB and other controls, before the value delimiter
 * 0x5C (multi-valued VRs) and before ^ and = in PN: the decoder resets there too, which is
 * how the Korean example of PS3.5 Annex I repeats ESC $ ) C after each delimiter. Inside a
 * 94×94 G0 set bytes pair up, so 0x5C or 0x5E there is half a character, not a delimiter.
 */
function decodeIso2022 (bytes: Uint8Array, vr: string, initial: Readonly<State>): string {
  const isPN = vr === 'PN'
  const multiValued = isMultiValuedText(vr)
  const state: State = { ...initial }
  const out = new TextBuilder()
  let i = 0
  while (i < bytes.length) {
    const b = bytes[i] ?? 0
    if (b === ESC) {
      const designation = matchEscape(bytes, i + 1)
      if (designation === undefined) {
        throw new DicomError('DG_DICOM_UNKNOWN_CHARSET', `a ${vr} value uses an ISO 2022 escape sequence that PS3.3 C.12.1.1.2 does not define`)
      }
      designation.select(state)
      i += 1 + designation.escape.length
    } else if (b < 0x80) {
      const next = bytes[i + 1] ?? 0
      if (state.g0 !== undefined && b > 0x20 && b < 0x7f) {
        if (next > 0x20 && next < 0x7f) {
          const g0 = state.g0
          if (g0.prefix !== 0) out.bytes(g0.decoder, g0.prefix, b | 0x80, next | 0x80)
          else out.bytes(g0.decoder, b | 0x80, next | 0x80)
          i += 2
        } else {
          out.char(REPLACEMENT)
          i += 1
        }
        continue
      }
      if (b < 0x20 || (multiValued && b === BACKSLASH) || (isPN && (b === CARET || b === EQUALS))) {
        state.g0 = initial.g0
        state.g1 = initial.g1
      }
      out.char(b)
      i += 1
    } else if (state.g1 === undefined) {
      out.char(b) // No G1 set: the same leniency as the default repertoire (ISO 8859-1).
      i += 1
    } else if (state.g1.width === 1) {
      out.char(state.g1.table[b] ?? REPLACEMENT)
      i += 1
    } else {
      const next = bytes[i + 1] ?? 0
      if (next >= 0xa1 && next <= 0xfe) {
        out.bytes(state.g1.decoder, b, next)
        i += 2
      } else {
        out.char(REPLACEMENT)
        i += 1
      }
    }
  }
  return out.finish()
}

// ── Encoding ───────────────────────────────────────────────────────────────────────────

function unencodable (index: number, vr: string, terms: readonly string[]): DicomError {
  const set = terms.length === 0 || terms.every((t) => t === '') ? 'the default repertoire' : `Specific Character Set ${terms.join('\\')}`
  return new DicomError('DG_DICOM_UNENCODABLE_TEXT', `character ${index} of a ${vr} value cannot be encoded in ${set}`)
}

/** One code unit → one byte, for every unit below 256: the inverse of `latin1`. */
function encodeLatin1 (text: string, vr: string, terms: readonly string[]): Uint8Array {
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit > 0xff) throw unencodable(i, vr, terms)
    out[i] = unit
  }
  return out
}

const reverseTables = new Map<string, ReadonlyMap<number, number>>()

/** Code unit → byte (or lead << 8 | trail) of a set, built once from its decoding table. */
function reverseTable (key: string, build: () => Iterable<readonly [number, number]>): ReadonlyMap<number, number> {
  let reverse = reverseTables.get(key)
  if (reverse === undefined) {
    const map = new Map<number, number>()
    for (const [unit, code] of build()) if (unit !== REPLACEMENT && !map.has(unit)) map.set(unit, code)
    reverse = map
    reverseTables.set(key, reverse)
  }
  return reverse
}

function * singleByteCodes (set: TableSet): Iterable<readonly [number, number]> {
  for (let b = 0; b < 0x100; b++) yield [set.table[b] ?? REPLACEMENT, b]
}

/** Two-byte codes of a decoder: every lead × trail pair that decodes to one character. */
function * pairCodes (label: string, leads: readonly [number, number], trails: readonly [number, number]): Iterable<readonly [number, number]> {
  const bytes: number[] = []
  for (let lead = leads[0]; lead <= leads[1]; lead++) {
    for (let trail = trails[0]; trail <= trails[1]; trail++) if (trail !== 0x7f) bytes.push(lead, trail, 0x0a)
  }
  // A newline after each pair keeps a pair that fails (U+FFFD, trail re-read) from shifting the rest.
  const pieces = decoderFor(label).decode(Uint8Array.from(bytes)).split('\n')
  let index = 0
  for (let lead = leads[0]; lead <= leads[1]; lead++) {
    for (let trail = trails[0]; trail <= trails[1]; trail++) {
      if (trail === 0x7f) continue
      const piece = pieces[index++] ?? ''
      if (piece.length === 1) yield [piece.charCodeAt(0), (lead << 8) | trail]
    }
  }
}

/** ASCII directly, anything else through a reverse table (one or two bytes a character). */
function encodeByTable (text: string, vr: string, terms: readonly string[], reverse: ReadonlyMap<number, number>): Uint8Array {
  const out: number[] = []
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    const code = unit < 0x80 ? unit : reverse.get(unit)
    if (code === undefined) throw unencodable(i, vr, terms)
    if (code > 0xff) out.push(code >>> 8, code & 0xff)
    else out.push(code)
  }
  return Uint8Array.from(out)
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/
const utf8Encoder = new TextEncoder()

function encodeWhole (text: string, vr: string, terms: readonly string[], label: WholeValueLabel): Uint8Array {
  if (label === 'utf-8') {
    const lone = LONE_SURROGATE.exec(text)
    if (lone !== null) throw unencodable(lone.index, vr, terms)
    return utf8Encoder.encode(text)
  }
  // GB18030 four-byte sequences are not generated: characters outside GBK throw.
  return encodeByTable(text, vr, terms, reverseTable('gbk', () => pairCodes('gbk', [0x81, 0xfe], [0x40, 0xfe])))
}

// ── Compiling (0008,0005) ──────────────────────────────────────────────────────────────

type Term =
  | { readonly kind: 'default', readonly extensions: boolean }
  | { readonly kind: 'single', readonly ir: SingleByteIR, readonly extensions: boolean }
  | { readonly kind: 'multi', readonly ir: MultiByteIR }
  | { readonly kind: 'whole', readonly label: WholeValueLabel }

/** Normalised spelling (see the module comment) → meaning. */
const TERMS: ReadonlyMap<string, Term> = new Map<string, Term>([
  ['', { kind: 'default', extensions: false }],
  ['ISOIR6', { kind: 'default', extensions: false }],
  ['ISO2022IR6', { kind: 'default', extensions: true }],
  ...(Object.keys(SINGLE_BYTE_SETS).map(Number) as SingleByteIR[]).flatMap((ir): [string, Term][] => [
    [`ISOIR${ir}`, { kind: 'single', ir, extensions: false }],
    [`ISO2022IR${ir}`, { kind: 'single', ir, extensions: true }]
  ]),
  ...(Object.keys(MULTI_BYTE_SETS).map(Number) as MultiByteIR[]).flatMap((ir): [string, Term][] => [
    [`ISOIR${ir}`, { kind: 'multi', ir }],
    [`ISO2022IR${ir}`, { kind: 'multi', ir }]
  ]),
  ...Object.entries(WHOLE_VALUE_SETS).map(([key, label]): [string, Term] => [key, { kind: 'whole', label }])
])

export function normaliseTerm (value: string): string {
  return value.replace(/[\0 ]+$/, '').replace(/[ _-]/g, '').toUpperCase()
}

/** Names the offending term if it looks like one (a CS value is at most 16 characters), else only its length. */
function describeTerm (value: string): string {
  return /^[\x20-\x7e]{1,16}$/.test(value) ? `"${value}"` : `a value of ${value.length} characters`
}

function unknown (detail: string): DicomError {
  return new DicomError('DG_DICOM_UNKNOWN_CHARSET', `Specific Character Set (0008,0005): ${detail}`)
}

function makeCodec (terms: readonly string[], decodeText: (bytes: Uint8Array, vr: string) => string, encodeText: (text: string, vr: string) => Uint8Array): TextCodec {
  return Object.freeze({
    terms,
    decode: (bytes: Uint8Array, vr: string): string => usesSpecificCharacterSet(vr) ? decodeText(bytes, vr) : latin1(bytes),
    encode: (text: string, vr: string): Uint8Array => usesSpecificCharacterSet(vr) ? encodeText(text, vr) : encodeLatin1(text, vr, terms)
  })
}

function compile (values: readonly string[]): TextCodec {
  const terms = values.map(normaliseTerm)
  const meanings = terms.map((term, i): Term => {
    const meaning = TERMS.get(term)
    if (meaning === undefined) throw unknown(`${describeTerm(values[i] ?? '')} is not a Defined Term of PS3.3 C.12.1.1.2`)
    return meaning
  })
  const first = meanings[0] ?? { kind: 'default', extensions: false }

  const whole = meanings.find((m) => m.kind === 'whole')
  if (whole !== undefined) {
    // PS3.3 C.12.1.1.2: ISO_IR 192, GB18030 and GBK take no code extensions.
    const others = terms.filter((t) => t !== '' && TERMS.get(t) !== whole)
    if (others.length > 0) throw unknown('ISO_IR 192, GB18030 and GBK cannot be combined with other character sets (PS3.3 C.12.1.1.2)')
    const decoder = decoderFor(whole.label)
    return makeCodec(terms, (bytes) => decoder.decode(bytes), (text, vr) => encodeWhole(text, vr, terms, whole.label))
  }

  const extensions = meanings.length > 1 || first.kind === 'multi' || (first.kind !== 'whole' && first.extensions)
  if (!extensions) {
    if (first.kind !== 'single') return makeCodec(terms, latin1, (text, vr) => encodeLatin1(text, vr, terms))
    const set = tableSet(first.ir)
    const reverse = (): ReadonlyMap<number, number> => reverseTable(`ir${first.ir}`, () => singleByteCodes(set))
    return makeCodec(terms, (bytes) => decodeTable(bytes, set), (text, vr) => encodeByTable(text, vr, terms, reverse()))
  }

  // Code extensions (PS3.5 §6.1.2.5): value 1 sets the initial G1; G0 starts as ASCII
  // (JIS X 0201 Romaji for IR 13, read as ASCII). A G0 multi-byte set as value 1 is reached
  // only through its escape sequence, as in ISO-2022-JP.
  const initial: State = { g0: undefined, g1: undefined }
  if (first.kind === 'single') initial.g1 = tableSet(first.ir)
  else if (first.kind === 'multi' && MULTI_BYTE_SETS[first.ir].g === 1) initial.g1 = pairSet(first.ir)
  const g1 = initial.g1
  // Without escape sequences the value is in the initial state throughout.
  const decodeInitial = g1 === undefined
    ? latin1
    : g1.width === 1 ? (bytes: Uint8Array) => decodeTable(bytes, g1) : (bytes: Uint8Array) => g1.decoder.decode(bytes)
  // Encoding uses the initial state only: no escape sequences are written, and an ESC in
  // the text is refused, as a decoder would take it for one.
  const reverse = (): ReadonlyMap<number, number> => g1 === undefined
    ? new Map()
    : g1.width === 1
      ? reverseTable(`ir${g1.ir}`, () => singleByteCodes(g1))
      : reverseTable(`ir${g1.ir}`, () => pairCodes(MULTI_BYTE_SETS[g1.ir].decoder, [0xa1, 0xfe], [0xa1, 0xfe]))
  return makeCodec(
    terms,
    (bytes, vr) => bytes.includes(ESC) ? decodeIso2022(bytes, vr, initial) : decodeInitial(bytes),
    (text, vr) => {
      const esc = text.indexOf('\x1b')
      if (esc !== -1) throw unencodable(esc, vr, terms)
      return g1 === undefined ? encodeLatin1(text, vr, terms) : encodeByTable(text, vr, terms, reverse())
    }
  )
}

const CACHE_LIMIT = 64
const cache = new Map<string, TextCodec>()

/**
 * Compiles the values of Specific Character Set (0008,0005) into a codec; `[]` or `['']` is
 * the default repertoire. Throws DG_DICOM_UNKNOWN_CHARSET for an unknown term or a term
 * that cannot be combined. Codecs are cached: datasets of one source repeat their terms.
 */
export function compileCharset (values: readonly string[]): TextCodec {
  const key = values.map(normaliseTerm).join('\\')
  let codec = cache.get(key)
  if (codec === undefined) {
    codec = compile(values)
    if (cache.size < CACHE_LIMIT) cache.set(key, codec)
  }
  return codec
}

/** The default repertoire (ISO-IR 6), for datasets without (0008,0005). */
export const DEFAULT_CHARSET: TextCodec = compileCharset([])
