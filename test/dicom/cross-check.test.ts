/**
 * Must show 4 of the codec issue: for every corpus file and project fixture, the DICOM
 * JSON that `dicomgate dump --json` prints (toDicomJson with the CLI's defaults) agrees
 * with two independent parsers on tags, VRs and values:
 *
 *  (a) dcmtk's dcm2json (3.6.7), a C++ reader and its own DICOM JSON writer: every tag,
 *      VR and value, recursively through sequences; binary values byte for byte when we
 *      inline them, and by size when we leave them out as bulk data;
 *  (b) cornerstone's dicom-parser (1.8), a JavaScript reader that shares no code with
 *      dicomgate: the tags at every level it parses, the VRs where the file states them
 *      (Explicit VR), and string and binary numeric values.
 *
 * Files that dcmtk's dcmdump parses must agree fully: a difference fails the test unless
 * it is one of the named tolerances below, each counted and printed per file. Files that
 * dcmdump rejects are compared when every reader reads them, and differences are noted
 * (not failed); dicomgate must then either read them or fail with a typed error.
 */
import { Buffer, isAscii } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import dicomParser from 'dicom-parser'
import t, { type Test } from 'tap'
import { compileCharset, type TextCodec } from '../../src/dicom/charset.js'
import { lookupTag } from '../../src/dicom/dictionary.js'
import {
  DEFAULT_BULK_DATA_THRESHOLD_BYTES,
  decodeNumbers,
  isBinaryVR,
  toDicomJson,
  type DicomJsonAttribute,
  type DicomJsonDataset,
  type DicomJsonPersonName,
  type DicomJsonValue
} from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { isPrivateCreatorTag, isPrivateTag } from '../../src/dicom/tags.js'
import type { TransferSyntax } from '../../src/dicom/transfer-syntax.js'
import type { VR } from '../../src/dicom/vr.js'
import { isDicomgateError } from '../../src/errors.js'
import { corpusEntries, corpusSkip, fixtureEntries, type CorpusEntry } from '../helpers/corpus.js'
import { dcmdumpParses, hasDcmdump } from '../helpers/tokens.js'

const DEBUG = process.env.DICOMGATE_CROSS_CHECK_DEBUG === '1'

function hasTool (name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0
}
const HAS_DCMTK = hasTool('dcm2json') && hasTool('dcmodify')
const DCMTK_SKIP = HAS_DCMTK ? false : 'dcmtk (dcm2json, dcmodify) not installed: dcmtk comparison skipped (apt-get install dcmtk)'

// ── Named tolerances ─────────────────────────────────────────────────────────────────
// Each is a known, explained way in which a reader legitimately differs from the DICOM JSON
// dicomgate prints. A difference is tolerated only where its predicate (at the place of
// use, marked with the name) matches exactly; every use is counted and printed.

const TOLERANCES = {
  // dcmtk (dcm2json 3.6.7) ──────────────────────────────────────────────────────────
  /**
   * dcm2json refuses encapsulated pixel data ("JSON InlineBinary encoding not supported
   * for compressed pixel data") and has no bulk data option: dcmtk's dcmodify erases every
   * (7FE0,0010) in a temporary copy, and Pixel Data is compared by presence only. The copy
   * dcmodify writes also lacks Data Set Trailing Padding (FFFC,FFFC), if the file had it.
   */
  DCMTK_NO_ENCAPSULATED_JSON: 'dcm2json cannot write encapsulated pixel data: compared on a dcmodify copy without it',
  /**
   * dcm2json converts text to UTF-8 through iconv and gives up when iconv lacks the set
   * (ISO 2022 IR 87 here) or (0008,0005) is not spelled as a Defined Term ("ISO-IR 100",
   * which dicomgate accepts, see charset.ts). dcmodify erases (0008,0005) in a temporary
   * copy so that dcm2json writes the raw bytes, which are decoded with dicomgate's codec for
   * the character set in scope: this checks value splitting, PN groups and item scoping,
   * not the decoder (charset.test.ts checks that).
   */
  DCMTK_CHARSET_UNCONVERTED: 'dcm2json cannot convert this character set: compared on raw bytes',
  /**
   * dcm2json converts nothing when the dataset's (0008,0005) is ISO_IR 192 or absent, so an
   * item with its own (0008,0005) comes out as raw bytes, decoded here with dicomgate's
   * codec for the item's character set (PS3.5 §6.1.2.5).
   */
  DCMTK_ITEM_CHARSET_RAW: 'dcm2json leaves an item with its own character set unconverted',
  /** After converting to UTF-8, dcm2json rewrites the dataset's (0008,0005) as ISO_IR 192. */
  DCMTK_CHARSET_REWRITTEN: 'dcm2json rewrites (0008,0005) to ISO_IR 192',
  /**
   * dcm2json prints FL with 9 significant digits (-11.1999998); dicomgate prints the
   * shortest decimal that reads back as the same float32 (-11.2). Compared as float32.
   */
  FL_DIGITS: 'FL printed with other digits, same float32',
  /**
   * dcm2json's own float formatting is not correctly rounded: 0.027239 (the shortest
   * round-trip form of the stored double) comes out as 0.027239000000000003, and 7.23e+75 as
   * 7.229999999999997e+75 (4 ulp). FD values must agree to 15 significant digits.
   */
  FD_DCMTK_ROUNDING: 'dcm2json prints FD a few ulp off',
  /**
   * Real files pad DS, DA, SH… with NUL (PS3.5 §6.2 pads only UI with NUL): dicomgate and
   * dicom-parser read trailing NULs as padding, dcm2json keeps them ("1\u0000" as a string,
   * "\u0000\u0000" as a value). Tolerated where dcmtk's value is ours plus trailing NULs.
   */
  DCMTK_KEEPS_NUL_PADDING: 'dcm2json keeps trailing NUL padding of non-UI text',
  /**
   * dcmtk has a private dictionary (private.dic, e.g. SIEMENS CSA HEADER); dicomgate does
   * not, by design (dictionary.ts), so a private element in Implicit VR is UN to us and, say,
   * LO to dcmtk. The value is compared: our bytes read with dcmtk's VR.
   */
  DCMTK_PRIVATE_DICTIONARY: 'private element in Implicit VR: dcmtk knows its VR, dicomgate says UN',
  /**
   * dcm2json drops trailing empty PN components ("OB^^^^" → "OB", "A^B^" → "A^B") and so a
   * group of delimiters only; PS3.5 §6.2.1.1 makes them the same name. dicomgate keeps the
   * text as encoded. Compared after removing trailing "^" (and trailing "=" for groups).
   */
  PN_TRAILING_EMPTY_COMPONENTS: 'trailing empty PN components dropped by the other reader',
  /** dcm2json pads an odd-length binary value with one NUL (dcmtk writes even lengths). */
  DCMTK_PADS_ODD_LENGTH: 'dcm2json pads an odd-length value',
  /**
   * In Implicit VR, an element whose PS3.6 VR is "OB or OW" and that PS3.5 §A.1 does not
   * fix (Curve Data (50xx,3000)) is OB to dcmtk and OW to dicomgate (dictionary.ts: OW
   * keeps a 32-bit length). The bytes are the same and compared as such.
   */
  IMPLICIT_OB_OR_OW: 'implicit "OB or OW" element read as OB by dcmtk, OW by dicomgate',
  /**
   * A value longer than the CLI's 1 KiB inline limit is a BulkDataURI placeholder in our
   * output; dcm2json always inlines. Compared by size: dcmtk's value must be over 1 KiB.
   */
  BULK_DATA_BY_SIZE: 'binary value over 1 KiB: BulkDataURI, compared by size',

  // dicom-parser 1.8 ─────────────────────────────────────────────────────────────────
  /**
   * dicom-parser keeps the Item Delimitation Item (FFFE,E00D) that ends an undefined-length
   * item as an element of the item; it is a delimiter, not an attribute (PS3.5 §7.5.2).
   */
  DICOM_PARSER_ITEM_DELIMITER: 'dicom-parser lists (FFFE,E00D) as an element of an item',
  /**
   * A UN element of undefined length is a sequence in Implicit VR LE (PS3.5 §6.2.2):
   * dicom-parser reports the encoded VR UN (and reads the items), dicomgate and dcmtk SQ.
   */
  DICOM_PARSER_UN_SEQUENCE: 'dicom-parser keeps VR UN for a UN sequence of undefined length',
  /**
   * dicom-parser maps text bytes to chars one to one (no Specific Character Set): a value
   * with bytes above 0x7F or ESC is read at dicom-parser's offset and length and decoded
   * with dicomgate's codec, so the element boundaries are checked, not the decoding.
   */
  DICOM_PARSER_NO_CHARSET: 'dicom-parser does not decode character sets: compared at its offsets',
  /** dicom-parser's string() trims leading spaces too; dicomgate keeps them (not padding). */
  DICOM_PARSER_TRIMS_LEADING_SPACES: 'dicom-parser trims leading spaces',
  /** Files dicom-parser cannot read, each for a reason found by hand (see DICOM_PARSER_FAILS). */
  DICOM_PARSER_CANNOT_READ: 'dicom-parser throws on this file'
} as const

type ToleranceName = keyof typeof TOLERANCES

/** Files dicom-parser 1.8 throws on although dcmdump reads them, and why. */
const DICOM_PARSER_FAILS: Readonly<Record<string, string>> = {
  'pydicom/nested_priv_SQ.dcm': 'nested undefined-length sequences of the unknown tag (0001,0001) in Implicit VR, with a 9-byte (odd) element: ByteStream position error',
  'fo-dicom/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_undefined_length.dcm': 'a UN sequence of undefined length in a big endian dataset: dicom-parser does not switch to Implicit VR LE for its items (PS3.5 §6.2.2)',
  'pydicom/meta_missing_tsyntax.dcm': 'the file meta has no Transfer Syntax UID (0002,0010): dicom-parser requires one (dcmdump and dicomgate infer the syntax from the dataset)'
}

class Report {
  readonly differences: string[] = []
  readonly tolerated = new Map<ToleranceName, number>()
  /** Attributes present on both sides and compared (at every level). */
  compared = 0

  differ (path: string, what: string): void {
    this.differences.push(`${path}: ${what}`)
  }

  tolerate (name: ToleranceName): void {
    this.tolerated.set(name, (this.tolerated.get(name) ?? 0) + 1)
  }

  summary (): string {
    return [...this.tolerated].map(([name, n]) => `${name} ×${n}`).join(', ')
  }
}

// ── dicomgate ────────────────────────────────────────────────────────────────────────

interface Ours {
  /** What `dicomgate dump --json` prints: toDicomJson with its defaults. */
  readonly json: DicomJsonDataset
  /** The dataset's transfer syntax, and whether the file began with a preamble. */
  readonly syntax: TransferSyntax
  readonly preamble: boolean
  readonly encapsulated: boolean
}

function readOurs (bytes: Uint8Array): Ours {
  const tokens = readTokens(bytes)
  let syntax: TransferSyntax | undefined
  let preamble = false
  let encapsulated = false
  for (const token of tokens) {
    if (token.type === 'dataset') syntax = token.transferSyntax
    if (token.type === 'preamble') preamble = true
    if (token.type === 'encapsulated-start') encapsulated = true
  }
  if (syntax === undefined) throw new Error('no dataset token')
  return { json: toDicomJson(tokens), syntax, preamble, encapsulated }
}

/** The character set terms in effect in a dataset of our JSON (items inherit them). */
function charsetTerms (dataset: DicomJsonDataset, inherited: readonly string[]): readonly string[] {
  const value = dataset['00080005']?.Value
  if (value === undefined) return inherited
  return value.map((v) => (typeof v === 'string' ? v : ''))
}

/** ISO 2022 escape sequences (PS3.5 §6.1.2.5) are 7-bit, but still need decoding. */
const ESC = 0x1b
const CHARSET_VRS = new Set(['PN', 'LO', 'LT', 'SH', 'ST', 'UC', 'UT'])
const SINGLE_VALUED_TEXT = new Set(['LT', 'ST', 'UT', 'UR'])

/** PS3.5 §6.2.1.1: trailing empty components and groups may be left out. */
function trimPersonName (group: string | undefined): string | undefined {
  const trimmed = group?.replace(/\^+$/, '')
  return trimmed === '' ? undefined : trimmed
}

// ── dcmtk ────────────────────────────────────────────────────────────────────────────

type DcmtkValue = string | number | null | Record<string, string> | DcmtkDataset
interface DcmtkAttribute {
  vr: string
  Value?: DcmtkValue[]
  InlineBinary?: string
  BulkDataURI?: string
}
type DcmtkDataset = Record<string, DcmtkAttribute>

interface DcmtkResult {
  readonly json: DcmtkDataset
  /** Whether dcm2json converted the text to UTF-8 (else its strings are the raw bytes). */
  readonly converted: boolean
  readonly tolerances: ToleranceName[]
  /** Keys of the elements erased in the copy dcmtk read. */
  readonly erased: ReadonlySet<string>
  /** Why dcmtk read a dcmodify'd copy instead of the file, if it did. */
  readonly copiedFor: ToleranceName | undefined
}

function run (command: string, args: string[]): { status: number | null, stdout: Buffer, stderr: string } {
  const r = spawnSync(command, args, { maxBuffer: 1 << 30 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') }
}

/** dcm2json's complaint when it cannot convert the Specific Character Set to UTF-8. */
function charsetRefused (stderr: string): boolean {
  return /not supported/.test(stderr) && /SpecificCharacterSet|character set/i.test(stderr)
}

/** Runs dcm2json, on a dcmodify'd copy when it cannot take the file as it is (see TOLERANCES). */
function readDcmtk (entry: CorpusEntry, ours: Ours): DcmtkResult | { failure: string } {
  const tolerances: ToleranceName[] = []
  const erase: string[] = []
  if (ours.encapsulated) {
    tolerances.push('DCMTK_NO_ENCAPSULATED_JSON')
    erase.push('(7fe0,0010)')
  }
  let result = erase.length === 0 ? run('dcm2json', ['-fc', entry.absolutePath]) : undefined
  if (result !== undefined && result.status !== 0 && charsetRefused(result.stderr)) result = undefined
  if (result === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'dicomgate-cross-'))
    try {
      const copy = join(dir, 'copy.dcm')
      const modify = (tags: string[]): boolean => {
        copyFileSync(entry.absolutePath, copy)
        // -nb: no backup, -dc: no "automatic data correction", -imt: a missing tag is fine.
        return run('dcmodify', ['-q', '-nb', '-dc', '-imt', ...tags.flatMap((tag) => ['-ea', tag]), copy]).status === 0
      }
      if (!modify(erase)) return { failure: 'dcmodify failed' }
      result = run('dcm2json', ['-fc', copy])
      if (result.status !== 0 && charsetRefused(result.stderr)) {
        tolerances.push('DCMTK_CHARSET_UNCONVERTED')
        erase.push('(0008,0005)')
        if (!modify(erase)) return { failure: 'dcmodify failed' }
        result = run('dcm2json', ['-fc', copy])
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  if (result.status !== 0) return { failure: `dcm2json exit ${String(result.status)}: ${result.stderr.split('\n')[0] ?? ''}` }
  // Unconverted text is written as its bytes: read the output one byte a char.
  const json = JSON.parse(result.stdout.toString('latin1')) as DcmtkDataset
  const top = charsetTerms(ours.json, [])
  const converted = !erase.includes('(0008,0005)') && top.some((term) => !['', 'ISO_IR 6', 'ISO_IR 192'].includes(term))
  const erased = new Set(erase.map((tag) => tag.replace(/[(),]/g, '').toUpperCase()))
  // dcmodify writes the copy without Data Set Trailing Padding (FFFC,FFFC).
  if (erase.length > 0) erased.add('FFFCFFFC')
  return { json, converted, tolerances, erased, copiedFor: tolerances[0] }
}

interface DcmtkContext {
  readonly dcmtk: DcmtkResult
  readonly ours: Ours
  readonly report: Report
}

/** dcmtk's string as text: UTF-8 where dcm2json converted it, else raw bytes through our codec. */
function dcmtkText (value: string, vr: string, ctx: DcmtkContext, codec: TextCodec, ownCharset: boolean): string {
  if (!CHARSET_VRS.has(vr)) return value
  const bytes = Buffer.from(value, 'latin1')
  if (ctx.dcmtk.converted) return bytes.toString('utf8')
  if (ownCharset && !isAscii(bytes)) ctx.report.tolerate('DCMTK_ITEM_CHARSET_RAW')
  return codec.decode(bytes, vr)
}

function compareWithDcmtk (ours: DicomJsonDataset, theirs: DcmtkDataset, ctx: DcmtkContext, path: string, terms: readonly string[]): void {
  const scope = charsetTerms(ours, terms)
  const codec = compileCharset(scope)
  const ownCharset = path !== '' && ours['00080005'] !== undefined
  const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)])
  for (const key of [...keys].sort()) {
    const where = `${path}${key}`
    const a = ours[key]
    const b = theirs[key]
    if (a !== undefined && b === undefined && ctx.dcmtk.erased.has(key)) {
      const reason = key === '7FE00010' ? 'DCMTK_NO_ENCAPSULATED_JSON' : key === '00080005' ? 'DCMTK_CHARSET_UNCONVERTED' : ctx.dcmtk.copiedFor
      if (reason !== undefined) {
        ctx.report.tolerate(reason)
        continue
      }
    }
    if (a === undefined) { ctx.report.differ(where, `only dcmtk has it (${b?.vr ?? '?'})`); continue }
    if (b === undefined) { ctx.report.differ(where, `only dicomgate has it (${a.vr})`); continue }
    if (key === '00080005' && path === '' && a.vr === b.vr && b.Value?.length === 1 && b.Value[0] === 'ISO_IR 192' && !ctx.dcmtk.erased.has(key)) {
      if (!sameStrings(a.Value, b.Value)) ctx.report.tolerate('DCMTK_CHARSET_REWRITTEN')
      continue
    }
    ctx.report.compared++
    if (a.vr !== b.vr) {
      const tag = parseInt(key, 16)
      const vrs = lookupTag(tag)?.vrs ?? []
      if (a.vr === 'OW' && b.vr === 'OB' && !ctx.ours.syntax.explicitVR && vrs.includes('OB') && vrs.includes('OW')) {
        ctx.report.tolerate('IMPLICIT_OB_OR_OW')
      } else if (a.vr === 'UN' && !ctx.ours.syntax.explicitVR && isPrivateTag(tag) && !isPrivateCreatorTag(tag)) {
        ctx.report.tolerate('DCMTK_PRIVATE_DICTIONARY')
        comparePrivateValue(a, b, ctx, where, codec, ownCharset)
        continue
      } else {
        ctx.report.differ(where, `VR ${a.vr} vs dcmtk ${b.vr}`)
        continue
      }
    }
    compareAttribute(a, b, ctx, where, scope, codec, ownCharset)
  }
}

/** A private element that is UN to us: its bytes read with the VR dcmtk's private dictionary gives. */
function comparePrivateValue (a: DicomJsonAttribute, b: DcmtkAttribute, ctx: DcmtkContext, where: string, codec: TextCodec, ownCharset: boolean): void {
  if (isBinaryVR(b.vr) || a.BulkDataURI !== undefined) {
    compareAttribute(a, { ...b, vr: a.vr }, ctx, where, [], codec, ownCharset)
    return
  }
  const bytes = a.InlineBinary === undefined ? Buffer.alloc(0) : Buffer.from(a.InlineBinary, 'base64')
  const vr = b.vr as VR
  const theirs = (b.Value ?? []).map((v) => (typeof v === 'string' ? dcmtkText(v, vr, ctx, codec, ownCharset) : v))
  let mine: unknown[]
  if (['US', 'SS', 'UL', 'SL', 'FL', 'FD'].includes(vr)) {
    mine = decodeNumbers(vr, bytes, true).map(Number)
  } else {
    // The same reading as dicomgate's for that VR: decoded, split, trailing padding removed.
    const text = CHARSET_VRS.has(vr) ? codec.decode(bytes, vr) : bytes.toString('latin1')
    const values = (SINGLE_VALUED_TEXT.has(vr) ? [text] : text.split('\\')).map((v) => v.replace(/[\0 ]+$/, ''))
    mine = values.every((v) => v === '') ? [] : values.map((v) => (['IS', 'DS'].includes(vr) ? Number(v) : v))
  }
  const same = mine.length === theirs.length && mine.every((v, i) => v === theirs[i] || (vr === 'FL' && Math.fround(Number(v)) === Math.fround(Number(theirs[i]))))
  if (!same) ctx.report.differ(where, `private value read as ${vr} differs${show(mine, theirs)}`)
}

function sameStrings (a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? [])
}

function compareAttribute (a: DicomJsonAttribute, b: DcmtkAttribute, ctx: DcmtkContext, where: string, terms: readonly string[], codec: TextCodec, ownCharset: boolean): void {
  const { report } = ctx
  if (isBinaryVR(a.vr)) {
    const theirs = b.InlineBinary === undefined ? Buffer.alloc(0) : Buffer.from(b.InlineBinary, 'base64')
    if (a.BulkDataURI !== undefined) {
      if (theirs.length > DEFAULT_BULK_DATA_THRESHOLD_BYTES) report.tolerate('BULK_DATA_BY_SIZE')
      else report.differ(where, `BulkDataURI vs dcmtk InlineBinary of ${theirs.length} bytes`)
      return
    }
    const mine = a.InlineBinary === undefined ? Buffer.alloc(0) : Buffer.from(a.InlineBinary, 'base64')
    if (mine.equals(theirs)) return
    if (mine.length % 2 === 1 && theirs.length === mine.length + 1 && theirs[mine.length] === 0 && theirs.subarray(0, mine.length).equals(mine)) {
      report.tolerate('DCMTK_PADS_ODD_LENGTH')
      return
    }
    report.differ(where, `InlineBinary differs (${mine.length} vs dcmtk ${theirs.length} bytes)`)
    return
  }
  if (a.BulkDataURI !== undefined) { report.differ(where, 'BulkDataURI for a non-binary VR'); return }
  const av = a.Value ?? []
  const bv = b.Value ?? []
  if (a.vr === 'PN' && av.length === 1 && bv.length === 0 && trimPersonName((av[0] as DicomJsonPersonName | null)?.Alphabetic) === undefined) {
    report.tolerate('PN_TRAILING_EMPTY_COMPONENTS')
    return
  }
  if (av.length === 0 && bv.length === 1 && typeof bv[0] === 'string' && /^\0+$/.test(bv[0])) {
    report.tolerate('DCMTK_KEEPS_NUL_PADDING')
    return
  }
  if (av.length !== bv.length) { report.differ(where, `${av.length} values vs dcmtk ${bv.length}`); return }
  for (let i = 0; i < av.length; i++) {
    const x = av[i] as DicomJsonValue
    const y = bv[i] as DcmtkValue
    const at = `${where}[${i}]`
    if (a.vr === 'SQ') {
      compareWithDcmtk(x as DicomJsonDataset, y as DcmtkDataset, ctx, `${at}/`, terms)
    } else if (a.vr === 'PN') {
      const name = (x ?? {}) as DicomJsonPersonName
      const theirs = (y ?? {}) as Record<string, string>
      for (const group of ['Alphabetic', 'Ideographic', 'Phonetic'] as const) {
        const mine = name[group]
        const other = theirs[group] === undefined ? undefined : dcmtkText(theirs[group], 'PN', ctx, codec, ownCharset)
        if (mine === other) continue
        if (trimPersonName(mine) === trimPersonName(other)) report.tolerate('PN_TRAILING_EMPTY_COMPONENTS')
        else report.differ(at, `PN ${group} differs${show(mine, other)}`)
      }
    } else if (typeof y === 'string' && /\0$/.test(y) && String(x ?? '') === y.replace(/\0+$/, '').replace(/ +$/, '')) {
      report.tolerate('DCMTK_KEEPS_NUL_PADDING')
    } else if (typeof x === 'string' && typeof y === 'string') {
      const other = dcmtkText(y, a.vr, ctx, codec, ownCharset)
      if (x !== other) report.differ(at, `${a.vr} value differs${show(x, other)}`)
    } else if (typeof x === 'number' && typeof y === 'number' && x !== y) {
      if (a.vr === 'FL' && Math.fround(x) === Math.fround(y)) report.tolerate('FL_DIGITS')
      else if (a.vr === 'FD' && Math.abs(x - y) <= FD_DIGITS_AGREE * Math.abs(x)) report.tolerate('FD_DCMTK_ROUNDING')
      else report.differ(at, `${a.vr} value differs${show(x, y)}`)
    } else if (x !== y) {
      report.differ(at, `${a.vr} value differs (${typeof x} vs dcmtk ${typeof y})${show(x, y)}`)
    }
  }
}

/** FD values printed by dcmtk agree with the stored double to 15 significant digits. */
const FD_DIGITS_AGREE = 1e-15

/** Values appear in failure messages only when debugging: the corpus holds (fake) PHI. */
function show (a: unknown, b: unknown): string {
  return DEBUG ? ` (${JSON.stringify(a)} vs ${JSON.stringify(b)})` : ''
}

// ── dicom-parser ─────────────────────────────────────────────────────────────────────

type DpDataSet = ReturnType<typeof dicomParser.parseDicom>
type DpElement = DpDataSet['elements'][string]

function readDicomParser (bytes: Uint8Array, ours: Ours): DpDataSet | { failure: string } {
  try {
    return dicomParser.parseDicom(bytes, {
      // Without a preamble dicom-parser reads nothing unless told the transfer syntax (it
      // does not look for file meta, and cannot infer a raw dataset's syntax): it is told the
      // one dicomgate found; dcm2json makes its own inference and is compared too.
      ...(ours.preamble ? {} : { TransferSyntaxUID: ours.syntax.uid }),
      // dicom-parser 1.8 inflates a deflated dataset into a copy of the whole file but then
      // parses it from byte 0, preamble and meta included; handing it only the inflated
      // dataset makes it parse what it should. (Not a tolerance: a workaround of its bug.)
      inflater: (array: Uint8Array, position: number) => inflateRawSync(array.subarray(position))
    })
  } catch (err) {
    const reason = err instanceof Error ? err.message : typeof err === 'string' ? err : JSON.stringify((err as { exception?: unknown }).exception ?? 'unknown')
    return { failure: `dicom-parser failed: ${reason}` }
  }
}

function compareWithDicomParser (ours: DicomJsonDataset, theirs: DpDataSet, report: Report, path: string, terms: readonly string[], explicit: boolean): void {
  const scope = charsetTerms(ours, terms)
  const codec = compileCharset(scope)
  const theirKeys = Object.keys(theirs.elements)
    .map((k) => k.slice(1).toUpperCase())
    // Not in the JSON model: the file meta, and group lengths (PS3.18 §F.2.2).
    .filter((k) => !k.startsWith('0002') && !k.endsWith('0000'))
  const keys = new Set([...Object.keys(ours), ...theirKeys])
  for (const key of [...keys].sort()) {
    const where = `${path}${key}`
    const a = ours[key]
    const tag = `x${key.toLowerCase()}`
    const element = theirs.elements[tag]
    if (a === undefined && key === 'FFFEE00D' && path !== '') { report.tolerate('DICOM_PARSER_ITEM_DELIMITER'); continue }
    if (a === undefined) { report.differ(where, 'only dicom-parser has it'); continue }
    if (element === undefined) { report.differ(where, `only dicomgate has it (${a.vr})`); continue }
    report.compared++
    if (explicit && element.vr !== undefined && element.vr !== a.vr) {
      if (a.vr === 'SQ' && element.vr === 'UN' && element.hadUndefinedLength === true) report.tolerate('DICOM_PARSER_UN_SEQUENCE')
      else { report.differ(where, `VR ${a.vr} vs dicom-parser ${element.vr}`); continue }
    }
    if (a.vr === 'SQ') {
      const items = element.items ?? []
      const mine = a.Value ?? []
      if (items.length !== mine.length) { report.differ(where, `${mine.length} items vs dicom-parser ${items.length}`); continue }
      items.forEach((item, i) => {
        if (item.dataSet !== undefined) compareWithDicomParser(mine[i] as DicomJsonDataset, item.dataSet, report, `${where}[${i}]/`, scope, explicit)
      })
      continue
    }
    if (a.Value === undefined || a.BulkDataURI !== undefined) continue
    compareDicomParserValues(a, theirs, element, tag, report, where, codec)
  }
}

function compareDicomParserValues (a: DicomJsonAttribute, ds: DpDataSet, element: DpElement, tag: string, report: Report, where: string, codec: TextCodec): void {
  const values = a.Value ?? []
  if (a.vr === 'AT') {
    values.forEach((v, i) => {
      // AT: pairs of uint16 (group, element) in the dataset's byte order (PS3.5 §6.2).
      const other = `${hex4(ds.uint16(tag, 2 * i))}${hex4(ds.uint16(tag, 2 * i + 1))}`
      if (v !== other) report.differ(`${where}[${i}]`, `AT value differs${show(v, other)}`)
    })
    return
  }
  const read = numberReader(ds, a.vr)
  if (read !== undefined) {
    values.forEach((v, i) => {
      const other = read(tag, i)
      const mine = typeof v === 'number' ? v : Number(v)
      const same = a.vr === 'FL' ? Math.fround(mine) === Math.fround(other ?? NaN) : (mine === other || (Number.isNaN(mine) && Number.isNaN(other)))
      if (!same) report.differ(`${where}[${i}]`, `${a.vr} value differs${show(mine, other)}`)
    })
    return
  }
  // Text. dicom-parser reads a byte as a char and stops at the first NUL.
  const raw = ds.byteArray.subarray(element.dataOffset, element.dataOffset + element.length)
  let others: string[]
  if (CHARSET_VRS.has(a.vr) && (!isAscii(raw) || raw.includes(ESC))) {
    report.tolerate('DICOM_PARSER_NO_CHARSET')
    const text = codec.decode(raw, a.vr).replace(/[\0 ]+$/, '')
    others = SINGLE_VALUED_TEXT.has(a.vr) ? [text] : text.split('\\')
  } else if (SINGLE_VALUED_TEXT.has(a.vr)) {
    others = [ds.text(tag) ?? '']
  } else {
    others = Array.from({ length: ds.numStringValues(tag) ?? 0 }, (_, i) => ds.string(tag, i) ?? '')
  }
  if (others.length !== values.length) { report.differ(where, `${values.length} values vs dicom-parser ${others.length}`); return }
  values.forEach((v, i) => {
    const other = (others[i] ?? '').replace(/[\0 ]+$/, '')
    const at = `${where}[${i}]`
    if (a.vr === 'PN') {
      const mine = flattenPersonName(v as DicomJsonPersonName | null)
      const theirs = other.replace(/=+$/, '')
      if (mine === theirs) return
      if (mine.replace(/\^+(?==|$)/g, '') === theirs.replace(/\^+(?==|$)/g, '')) report.tolerate('PN_TRAILING_EMPTY_COMPONENTS')
      else if (mine.trimStart() === theirs) report.tolerate('DICOM_PARSER_TRIMS_LEADING_SPACES')
      else report.differ(at, `PN value differs${show(mine, theirs)}`)
      return
    }
    if (typeof v === 'number') {
      if (Number(other) !== v) report.differ(at, `${a.vr} value differs${show(v, other)}`)
      return
    }
    const mine = typeof v === 'string' ? v : ''
    if (mine === other) return
    if (mine.trimStart() === other) report.tolerate('DICOM_PARSER_TRIMS_LEADING_SPACES')
    else report.differ(at, `${a.vr} value differs${show(mine, other)}`)
  })
}

function hex4 (n: number | undefined): string {
  return (n ?? 0).toString(16).toUpperCase().padStart(4, '0')
}

function flattenPersonName (name: DicomJsonPersonName | null): string {
  const groups = [name?.Alphabetic ?? '', name?.Ideographic ?? '', name?.Phonetic ?? '']
  while (groups.length > 1 && groups[groups.length - 1] === '') groups.pop()
  return groups.join('=')
}

function numberReader (ds: DpDataSet, vr: string): ((tag: string, i: number) => number | undefined) | undefined {
  switch (vr) {
    case 'US': return (tag, i) => ds.uint16(tag, i)
    case 'SS': return (tag, i) => ds.int16(tag, i)
    case 'UL': return (tag, i) => ds.uint32(tag, i)
    case 'SL': return (tag, i) => ds.int32(tag, i)
    case 'FL': return (tag, i) => ds.float(tag, i)
    case 'FD': return (tag, i) => ds.double(tag, i)
    default: return undefined
  }
}

// ── the test ─────────────────────────────────────────────────────────────────────────

const totals = { read: 0, rejected: 0, tolerated: new Map<ToleranceName, number>(), files: new Map<string, number>(), attributes: new Map<string, number>() }

function checkFile (t: Test, entry: CorpusEntry): void {
  t.test(entry.path, async (t) => {
    const mustAgree = hasDcmdump() ? dcmdumpParses(entry.absolutePath) : !/malformed|dcmdump reports error/.test(entry.notes)
    const bytes = readFileSync(entry.absolutePath)
    let ours: Ours
    try {
      ours = readOurs(bytes)
    } catch (err) {
      if (mustAgree) t.fail(`dicomgate fails on a file dcmdump parses: ${isDicomgateError(err) ? err.code : String(err)}`)
      else t.ok(isDicomgateError(err), `dcmdump rejects it too; dicomgate: typed error ${isDicomgateError(err) ? err.code : String(err)}`)
      totals.rejected++
      return
    }
    totals.read++
    const check = (tool: string, report: Report): void => {
      for (const [name, n] of report.tolerated) totals.tolerated.set(name, (totals.tolerated.get(name) ?? 0) + n)
      totals.files.set(tool, (totals.files.get(tool) ?? 0) + 1)
      totals.attributes.set(tool, (totals.attributes.get(tool) ?? 0) + report.compared)
      if (report.tolerated.size > 0) t.comment(`${tool}, tolerated: ${report.summary()}`)
      if (DEBUG) for (const d of report.differences.slice(0, 12)) t.comment(`DIFF ${tool} ${d}`)
      if (mustAgree) t.same(report.differences, [], `agrees with ${tool}`)
      else if (report.differences.length > 0) t.comment(`dcmdump rejects this file; ${tool} differs at ${report.differences.length} places (not failed)`)
      else t.pass(`agrees with ${tool} (a file dcmdump rejects)`)
    }

    if (HAS_DCMTK) {
      const dcmtk = readDcmtk(entry, ours)
      if ('failure' in dcmtk) {
        if (mustAgree) t.fail(`dcmtk: ${dcmtk.failure}`)
        else t.comment(`dcmtk cannot convert it either: ${dcmtk.failure}`)
      } else {
        const report = new Report()
        for (const name of dcmtk.tolerances) report.tolerate(name)
        compareWithDcmtk(ours.json, dcmtk.json, { dcmtk, ours, report }, '', [])
        check('dcmtk dcm2json', report)
      }
    }

    const dp = readDicomParser(bytes, ours)
    if ('failure' in dp) {
      const known = DICOM_PARSER_FAILS[entry.path]
      if (known !== undefined) {
        totals.tolerated.set('DICOM_PARSER_CANNOT_READ', (totals.tolerated.get('DICOM_PARSER_CANNOT_READ') ?? 0) + 1)
        t.comment(`dicom-parser, tolerated: DICOM_PARSER_CANNOT_READ (${known})`)
      } else if (mustAgree) t.fail(dp.failure)
      else t.comment(dp.failure)
    } else {
      const report = new Report()
      compareWithDicomParser(ours.json, dp, report, '', [], ours.syntax.explicitVR)
      check('dicom-parser', report)
    }
  })
}

t.test('project fixtures', async (t) => {
  if (DCMTK_SKIP !== false) t.comment(DCMTK_SKIP)
  const entries = fixtureEntries()
  t.ok(entries.length > 0, 'fixtures are present')
  for (const entry of entries) checkFile(t, entry)
})

t.test('shared corpus', { skip: corpusSkip }, async (t) => {
  if (DCMTK_SKIP !== false) t.comment(DCMTK_SKIP)
  for (const entry of corpusEntries()) checkFile(t, entry)
})

t.test('dcmtk is installed for the comparison', { skip: DCMTK_SKIP }, async (t) => {
  t.pass('dcm2json and dcmodify found')
})

t.test('summary', async (t) => {
  t.comment(`read ${totals.read} files; ${totals.rejected} rejected with a typed error (dcmdump rejects them too)`)
  for (const [tool, files] of totals.files) t.comment(`compared with ${tool}: ${files} files, ${totals.attributes.get(tool) ?? 0} attributes`)
  for (const [name, n] of [...totals.tolerated].sort()) t.comment(`  ${name} ×${n}: ${TOLERANCES[name]}`)
  t.pass('summary printed')
})
