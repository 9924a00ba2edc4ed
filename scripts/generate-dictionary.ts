/**
 * Generates src/dicom/dictionary.generated.ts from the PS3.6 data dictionary.
 *
 * Source: ps3.6-attributes.json (DICOM PS3.6 Table 6-1 "Registry of DICOM Data Elements",
 * extracted by innolitics/dicom-standard, MIT licence) in the shared reference folder,
 * or $DICOMGATE_REFERENCE. Run with `npm run generate`.
 *
 * The output is one string table (a row a line, fields separated by `|`) that
 * src/dicom/dictionary.ts turns into maps on first use, plus the repeating-group patterns
 * as mask/value pairs. A string literal is the cheapest thing for V8 to parse, so the CLI
 * pays nothing for the dictionary until it looks a tag up. The output depends only on the
 * input: rows are sorted by tag, and nothing like a date is written.
 *
 * `renderDictionaryModule` is exported so that test/dicom/dictionary.test.ts can check that
 * the checked-in file is current.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { isVR } from '../src/dicom/vr.js'
import { isMain } from './lib/is-main.js'

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const REFERENCE_DIR = resolve(process.env.DICOMGATE_REFERENCE ?? join(REPO_ROOT, '..', 'shared', 'reference'))
export const SOURCE_FILE = 'ps3.6-attributes.json'
export const OUTPUT_PATH = join(REPO_ROOT, 'src', 'dicom', 'dictionary.generated.ts')

/** One PS3.6 row as the reference JSON spells it. */
interface SourceRow {
  readonly tag: string
  readonly keyword: string
  readonly name: string
  readonly valueRepresentation: string
  readonly valueMultiplicity: string
  readonly retired: string
}

interface Row {
  /** Eight hex digits, upper case; `X` where PS3.6 writes `x` (a repeating group). */
  readonly hex: string
  readonly keyword: string
  readonly name: string
  /** Allowed VRs joined by `/` ("US/SS"), empty for Item and the delimiters (PS3.5 §7.5). */
  readonly vrs: string
  readonly vm: string
  readonly retired: boolean
}

const SOURCE_FIELDS = ['tag', 'keyword', 'name', 'valueRepresentation', 'valueMultiplicity', 'retired'] as const

function isSourceRow (value: unknown): value is SourceRow {
  if (typeof value !== 'object' || value === null) return false
  const record: Partial<Record<string, unknown>> = value
  return SOURCE_FIELDS.every((field) => typeof record[field] === 'string')
}

function toSourceRow (value: unknown, index: number): SourceRow {
  if (!isSourceRow(value)) throw new Error(`${SOURCE_FILE}: row ${index} lacks one of ${SOURCE_FIELDS.join(', ')}`)
  return value
}

const TAG_PATTERN = /^\(([0-9A-FX]{4}),([0-9A-FX]{4})\)$/
/** PS3.6 writes "See Note 2" for Item, Item Delimitation and Sequence Delimitation Items. */
const NO_VR = 'See Note 2'
/** Characters that would break the row format or the template literal around it. */
const FORBIDDEN = /[|\n\r`\\]|\$\{/

function toRow (source: SourceRow): Row | undefined {
  // Three retired rows of PS3.6 have neither keyword, name nor VR: nothing to look up. Three
  // more have a VR but no keyword or name; they stay, as the VR matters to Implicit VR.
  if (source.keyword === '' && source.valueRepresentation === '') return undefined
  const m = TAG_PATTERN.exec(source.tag.toUpperCase())
  if (m === null) throw new Error(`${SOURCE_FILE}: bad tag ${source.tag}`)
  const vr = source.valueRepresentation
  if (vr !== NO_VR && !vr.split(' or ').every(isVR)) throw new Error(`${SOURCE_FILE}: ${source.tag} has VR "${vr}"`)
  if (source.retired !== 'Y' && source.retired !== 'N') throw new Error(`${SOURCE_FILE}: ${source.tag} has retired "${source.retired}"`)
  const row: Row = {
    hex: `${m[1] ?? ''}${m[2] ?? ''}`,
    keyword: source.keyword,
    name: source.name,
    vrs: vr === NO_VR ? '' : vr.split(' or ').join('/'),
    vm: source.valueMultiplicity,
    retired: source.retired === 'Y'
  }
  for (const text of [row.keyword, row.name, row.vm]) {
    if (FORBIDDEN.test(text)) throw new Error(`${SOURCE_FILE}: ${source.tag} has a character the table cannot hold`)
  }
  return row
}

/**
 * Mask and value of a repeating-group tag: a tag t matches when (t & mask) === value.
 * `x` digits in the element are free. In the group (50xx, 60xx, 7Fxx), PS3.5 §7.6 allows
 * only the even groups xx = 00-1E: the mask keeps bit 0 (even) and bits 5-7 (at most 1E)
 * of the low group byte, which also keeps (7FE0,eeee) Pixel Data out of (7Fxx,eeee).
 */
function patternOf (hex: string): { mask: number, value: number } {
  let mask = 0
  let value = 0
  for (const digit of hex) {
    mask = mask * 16 + (digit === 'X' ? 0 : 0xf)
    value = value * 16 + (digit === 'X' ? 0 : parseInt(digit, 16))
  }
  if (hex.slice(2, 4) === 'XX') mask |= 0x00e10000
  return { mask: mask >>> 0, value: value >>> 0 }
}

interface Pattern {
  readonly mask: number
  readonly value: number
  /** The member that tagForKeyword returns: the lowest matching tag that no exact entry claims. */
  readonly first: number
  readonly keyword: string
}

/** The n-th member of a pattern in ascending order (n spread over the free bits), if any. */
function memberAt (mask: number, value: number, n: number): number | undefined {
  let tag = value
  let rest = n
  for (let bit = 0; bit < 32 && rest !== 0; bit++) {
    if (((mask >>> bit) & 1) === 0) {
      if ((rest & 1) === 1) tag = (tag | (1 << bit)) >>> 0
      rest >>>= 1
    }
  }
  return rest === 0 ? tag : undefined
}

function patternsOf (rows: readonly Row[]): Pattern[] {
  const exact = new Set(rows.filter((r) => !r.hex.includes('X')).map((r) => parseInt(r.hex, 16)))
  const patterns: Pattern[] = []
  for (const row of rows) {
    if (!row.hex.includes('X')) continue
    const { mask, value } = patternOf(row.hex)
    let first: number | undefined
    for (let n = 0; first === undefined; n++) {
      const t = memberAt(mask, value, n)
      if (t === undefined) throw new Error(`${row.hex}: no member free for tagForKeyword`)
      if ((t & 0xffff) !== 0 && !exact.has(t)) first = t
    }
    for (const other of patterns) {
      if (((other.value ^ value) & other.mask & mask) === 0) throw new Error(`${row.hex} overlaps another repeating group`)
    }
    patterns.push({ mask, value, first, keyword: row.keyword })
  }
  return patterns
}

const hex8 = (n: number): string => `0x${n.toString(16).toUpperCase().padStart(8, '0')}`

/** Renders the generated module from the parsed reference JSON (an array of PS3.6 rows). */
export function renderDictionaryModule (json: unknown): string {
  if (!Array.isArray(json)) throw new Error(`${SOURCE_FILE}: expected an array of rows`)
  const rows = json.map(toSourceRow).map(toRow).filter((r): r is Row => r !== undefined)
  rows.sort((a, b) => (a.hex < b.hex ? -1 : a.hex > b.hex ? 1 : 0))
  const seenTags = new Set<string>()
  const seenKeywords = new Set<string>()
  for (const row of rows) {
    if (seenTags.has(row.hex)) throw new Error(`${SOURCE_FILE}: tag ${row.hex} appears twice`)
    if (seenKeywords.has(row.keyword)) throw new Error(`${SOURCE_FILE}: keyword ${row.keyword} appears twice`)
    seenTags.add(row.hex)
    if (row.keyword !== '') seenKeywords.add(row.keyword)
  }
  const patterns = patternsOf(rows)
  const lines = rows.map((r) => [r.hex, r.keyword, r.name, r.vrs, r.vm, r.retired ? 'R' : ''].join('|'))
  return [
    `// Generated by scripts/generate-dictionary.ts from ${SOURCE_FILE}`,
    '// (DICOM PS3.6 Table 6-1 as extracted by innolitics/dicom-standard, MIT licence).',
    '// Do not edit: run `npm run generate`. src/dicom/dictionary.ts is the API over this data.',
    '',
    '/**',
    ` * ${rows.length} data elements, one a line, sorted by tag:`,
    ' * `tag|keyword|name|VRs|VM|retired` where tag is eight hex digits (X marks a repeating',
    ' * digit, PS3.5 §7.6), VRs are the allowed VRs joined by "/" (empty for Item and the',
    ' * delimitation items, which have no VR: PS3.5 §7.5), and retired is "R" or empty.',
    ' */',
    `export const DICTIONARY_ROWS = \`${lines.join('\n')}\``,
    '',
    '/**',
    ' * Repeating-group data elements: [mask, value, first, keyword]. A tag t is a member when',
    ' * (t & mask) === value; first is the member that tagForKeyword returns (the lowest one',
    ' * that no exact entry claims). Group digits xx match even groups 00-1E only (PS3.5 §7.6).',
    ' */',
    'export const REPEATING_GROUP_PATTERNS: readonly (readonly [mask: number, value: number, first: number, keyword: string])[] = [',
    patterns.map((p) => `  [${hex8(p.mask)}, ${hex8(p.value)}, ${hex8(p.first)}, '${p.keyword}']`).join(',\n'),
    ']',
    ''
  ].join('\n')
}

export function readReference (dir: string = REFERENCE_DIR): unknown {
  return JSON.parse(readFileSync(join(dir, SOURCE_FILE), 'utf8'))
}

if (isMain(import.meta.url)) {
  const text = renderDictionaryModule(readReference())
  writeFileSync(OUTPUT_PATH, text)
  process.stdout.write(`wrote ${OUTPUT_PATH} (${text.length} characters)\n`)
}
