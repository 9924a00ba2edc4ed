/**
 * Generates profiles/standard/*.json, the standard's de-identification tables as the
 * profile compiler (src/deid/profile/) reads them, from the shared reference folder
 * (../shared/reference, or $DICOMGATE_REFERENCE). Run with `npm run generate`, after the
 * dictionary generator: keywords come from src/dicom/dictionary.generated.ts.
 *
 * | output                 | source                                         | standard             |
 * |------------------------|------------------------------------------------|----------------------|
 * | ps3.15-e.1-1.json      | ps3.15-table-E.1-1.json, …-E.1-1a-action-codes | PS3.15 Tables E.1-1, E.1-1a |
 * | ps3.15-e.3.10-1.json   | ps3.15-table-E.3.10-1-safe-private.json        | PS3.15 Table E.3.10-1 |
 * | ps3.15-e.3.4-1.json    | ps3.15-table-E.3.4-1-clean-structured-content  | PS3.15 Table E.3.4-1 |
 * | cid-7050.json          | cid-7050-deidentification-methods.json         | PS3.16 CID 7050      |
 * | sop-classes.json       | ps3.4-sop-classes.json                         | PS3.4 Annex B        |
 *
 * Everything is checked on the way: every action code is one of Table E.1-1a, every tag
 * parses and names a dictionary element whose name matches the row, every option column is
 * one of src/deid/options.ts, every CID 7050 code an option needs exists. Anything
 * unexpected stops the generator with a message; nothing is guessed. The output depends
 * only on the input: rows are sorted, and nothing like a date is written.
 *
 * `renderProfileData` is exported so that test/deid/profile-generate.test.ts can check that
 * the checked-in files are current.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lookupTag } from '../src/dicom/dictionary.js'
import { parseTag } from '../src/dicom/tags.js'
import { isVR } from '../src/dicom/vr.js'
import { BASIC_PROFILE_CODE, OPTIONS, OPTION_SPECS, type OptionName } from '../src/deid/options.js'
import { STANDARD_FILES, TABLE_ACTIONS, isTableAction, parseTagPattern } from '../src/deid/profile/standard.js'
import { isMain } from './lib/is-main.js'

const REPO_ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const REFERENCE_DIR = resolve(process.env.DICOMGATE_REFERENCE ?? join(REPO_ROOT, '..', 'shared', 'reference'))
export const OUTPUT_DIR = join(REPO_ROOT, 'profiles', 'standard')

export const SOURCE_FILES = {
  attributes: 'ps3.15-table-E.1-1.json',
  actions: 'ps3.15-table-E.1-1a-action-codes.json',
  safePrivate: 'ps3.15-table-E.3.10-1-safe-private.json',
  contentItems: 'ps3.15-table-E.3.4-1-clean-structured-content.json',
  methodCodes: 'cid-7050-deidentification-methods.json',
  sopClasses: 'ps3.4-sop-classes.json'
} as const

/** The parsed reference files, one per SOURCE_FILES entry. */
export type Reference = Readonly<Record<keyof typeof SOURCE_FILES, unknown>>

type Json = Readonly<Record<string, unknown>>

function fail (file: string, detail: string): Error {
  return new Error(`${file}: ${detail}`)
}

function rowsOf (value: unknown, file: string): Json[] {
  if (!Array.isArray(value)) throw fail(file, 'expected an array of rows')
  return value.map((row: unknown, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) throw fail(file, `row ${i} is not an object`)
    return row as Json
  })
}

function field (row: Json, name: string, file: string): string {
  const value = row[name]
  if (typeof value !== 'string') throw fail(file, `a row lacks "${name}": ${JSON.stringify(row).slice(0, 80)}`)
  return value
}

/** Only these fields may appear: a new column in the source must be looked at, not dropped. */
function onlyFields (row: Json, allowed: readonly string[], file: string): void {
  for (const key of Object.keys(row)) {
    if (!allowed.includes(key)) throw fail(file, `unexpected column "${key}"`)
  }
}

/** Whitespace as one space; PS3.15 cells sometimes carry a note: "Icon Image Sequence\n\n(see Note 11)". */
function cleanName (name: string): string {
  return name.replace(/\(see Note \d+\)/gi, '').replace(/\s+/g, ' ').trim()
}

/** Names compared without case and spaces: PS3.6 and PS3.15 differ in both ("Field Of View"). */
function sameName (a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/\s+/g, '').toLowerCase()
  return norm(a) === norm(b)
}

const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, '0')

function header (from: readonly string[], standard: string): Json {
  return {
    by: 'scripts/generate-profiles.ts',
    from,
    standard,
    note: 'Generated: do not edit. Run `npm run generate`.'
  }
}

function render (generated: Json, extra: Json, rows: readonly Json[]): string {
  return `${JSON.stringify({ generated, ...extra, rows }, null, 2)}\n`
}

// ── Table E.1-1a: the action codes ──────────────────────────────────────────────────────

function actionCodes (value: unknown): Record<string, string> {
  const file = SOURCE_FILES.actions
  const codes: Record<string, string> = {}
  for (const row of rowsOf(value, file)) {
    onlyFields(row, ['code', 'meaning'], file)
    codes[field(row, 'code', file)] = cleanName(field(row, 'meaning', file))
  }
  const listed = Object.keys(codes)
  if (listed.length !== TABLE_ACTIONS.length || !TABLE_ACTIONS.every((a) => a in codes)) {
    throw fail(file, `codes ${listed.join(' ')} differ from the TableAction codes dicomgate implements (${TABLE_ACTIONS.join(' ')})`)
  }
  return codes
}

// ── Table E.1-1: attributes ─────────────────────────────────────────────────────────────

/** Command elements (PS3.7 §E.1) are not in the PS3.6 data dictionary; Table E.1-1 lists two. */
const COMMAND_ELEMENTS: Readonly<Record<string, { keyword: string, name: string }>> = {
  '(0000,1000)': { keyword: 'AffectedSOPInstanceUID', name: 'Affected SOP Instance UID' },
  '(0000,1001)': { keyword: 'RequestedSOPInstanceUID', name: 'Requested SOP Instance UID' }
}

const PRIVATE_ROW = '(GGGG,EEEE) WHERE GGGG IS ODD'
const E11_FIELDS = ['name', 'tag', 'id', 'stdCompIOD', 'basicProfile', ...OPTIONS.map((o) => OPTION_SPECS[o].column)]

function attributeRow (row: Json, codes: Record<string, string>): Json {
  const file = SOURCE_FILES.attributes
  onlyFields(row, E11_FIELDS, file)
  const tagText = field(row, 'tag', file)
  const name = cleanName(field(row, 'name', file))
  const action = (column: string): string => {
    const code = field(row, column, file)
    if (!(code in codes) || !isTableAction(code)) throw fail(file, `${tagText} ${column} has "${code}", not an action code of Table E.1-1a`)
    return code
  }
  const options: Record<string, string> = {}
  for (const option of OPTIONS) {
    if (row[OPTION_SPECS[option].column] !== undefined) options[option] = action(OPTION_SPECS[option].column)
  }
  const stdCompIOD = field(row, 'stdCompIOD', file)
  if (stdCompIOD !== 'Y' && stdCompIOD !== 'N') throw fail(file, `${tagText} stdCompIOD is "${stdCompIOD}"`)
  const common = { name, inStandardIOD: stdCompIOD === 'Y', basic: action('basicProfile'), options }
  if (tagText === PRIVATE_ROW) return { private: true, ...common }

  const tag = parseTag(tagText)
  if (tag !== undefined) {
    const command = COMMAND_ELEMENTS[tagText]
    const entry = lookupTag(tag)
    const keyword = command?.keyword ?? entry?.keyword
    const dictionaryName = command?.name ?? entry?.name
    if (keyword === undefined || keyword === '' || dictionaryName === undefined || (entry !== undefined && entry.mask !== 0xffffffff)) {
      throw fail(file, `${tagText} "${name}" is not an element of the PS3.6 dictionary`)
    }
    if (!sameName(name, dictionaryName)) throw fail(file, `${tagText} is "${name}" here but "${dictionaryName}" in PS3.6`)
    return { tag: `(${hex(tag >>> 16, 4)},${hex(tag & 0xffff, 4)})`, keyword, ...common }
  }
  const patternText = tagText.replace(/X/g, 'x')
  const pattern = parseTagPattern(patternText)
  if (pattern === undefined) throw fail(file, `${tagText} is neither a tag nor a tag pattern`)
  // A pattern row names a dictionary element only when every member is that element.
  const entry = lookupTag(pattern.value)
  const keyword = entry !== undefined && entry.mask !== 0xffffffff && (entry.mask & pattern.mask) >>> 0 === pattern.mask ? entry.keyword : undefined
  if (keyword !== undefined && entry !== undefined && !sameName(name, entry.name)) throw fail(file, `${tagText} is "${name}" here but "${entry.name}" in PS3.6`)
  return { pattern: patternText, ...(keyword === undefined ? {} : { keyword }), ...common }
}

/** Sort key: the eight digits, x after the hex digits; the private row last. */
function attributeKey (row: Json): string {
  if (row.private === true) return '~'
  const text = typeof row.tag === 'string' ? row.tag : String(row.pattern)
  return text.replace(/[(),]/g, '')
}

function attributesFile (reference: Reference): string {
  const codes = actionCodes(reference.actions)
  const rows = rowsOf(reference.attributes, SOURCE_FILES.attributes).map((row) => attributeRow(row, codes))
  rows.sort((a, b) => (attributeKey(a) < attributeKey(b) ? -1 : attributeKey(a) > attributeKey(b) ? 1 : 0))
  const seen = new Set<string>()
  for (const row of rows) {
    const key = attributeKey(row)
    if (seen.has(key)) throw fail(SOURCE_FILES.attributes, `${key} appears twice`)
    seen.add(key)
  }
  if (!seen.has('~')) throw fail(SOURCE_FILES.attributes, 'no row for private attributes')
  const columns = Object.fromEntries(OPTIONS.map((o) => [o, OPTION_SPECS[o].column]))
  return render(
    header([SOURCE_FILES.attributes, SOURCE_FILES.actions, 'ps3.6-attributes.json (keywords, via src/dicom/dictionary.generated.ts)'],
      'DICOM PS3.15 Table E.1-1 Application Level Confidentiality Profile Attributes, and Table E.1-1a action codes'),
    { actions: codes, columns },
    rows
  )
}

// ── Table E.3.10-1: safe private attributes ─────────────────────────────────────────────

function safePrivateFile (reference: Reference): string {
  const file = SOURCE_FILES.safePrivate
  const rows = rowsOf(reference.safePrivate, file).map((row) => {
    onlyFields(row, ['tag', 'privateCreator', 'vr', 'vm', 'meaning'], file)
    const tag = field(row, 'tag', file)
    const m = /^\(([0-9A-Fa-f]{4}),xx([0-9A-Fa-f]{2})\)$/.exec(tag)
    if (m === null) throw fail(file, `tag ${tag} is not (gggg,xxee)`)
    const group = parseInt(m[1] ?? '', 16)
    if ((group & 1) !== 1 || group <= 0x0008) throw fail(file, `tag ${tag} is not in a private group`)
    const creator = field(row, 'privateCreator', file).trim()
    if (creator === '' || creator.length > 64 || creator.includes('\\')) throw fail(file, `${tag} has private creator "${creator}", not a valid LO value`)
    const vr = field(row, 'vr', file)
    if (vr !== '' && !vr.split('/').every(isVR)) throw fail(file, `${tag} has VR "${vr}"`)
    return { creator, group: hex(group, 4), element: hex(parseInt(m[2] ?? '', 16), 2), vr, vm: field(row, 'vm', file), meaning: cleanName(field(row, 'meaning', file)) }
  })
  const key = (r: { creator: string, group: string, element: string }): string => `${r.creator}\u0000${r.group}\u0000${r.element}`
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  rows.forEach((row, i) => {
    const previous = rows[i - 1]
    if (previous !== undefined && key(previous) === key(row)) throw fail(file, `${row.creator} (${row.group},xx${row.element}) appears twice`)
  })
  return render(header([file], 'DICOM PS3.15 Table E.3.10-1 Safe Private Attributes'), {}, rows)
}

// ── Table E.3.4-1: content items under Clean Structured Content ─────────────────────────

/** The option columns of Table E.3.4-1 as dicomgate names the options. */
const CONTENT_COLUMNS: Readonly<Record<string, OptionName>> = {
  'Rtn. UIDs Opt.': 'retainUIDs',
  'Rtn. Dev. Id. Opt.': 'retainDeviceIdentity',
  'Rtn. Inst. Id. Opt.': 'retainInstitutionIdentity',
  'Rtn. Pat. Chars. Opt.': 'retainPatientCharacteristics',
  'Rtn. Long. Full Dates Opt.': 'retainLongitudinalFullDates',
  'Rtn. Long. Modif. Dates Opt.': 'retainLongitudinalModifiedDates',
  'Clean Desc. Opt.': 'cleanDescriptors'
}
/** Columns read but not written: every row of this edition is current and in a standard template. */
const CONTENT_IGNORED = ['Retd. (from )', 'In Std. Tpl. (from )']
const VALUE_TYPES = ['TEXT', 'NUM', 'CODE', 'DATETIME', 'DATE', 'TIME', 'UIDREF', 'PNAME', 'COMPOSITE', 'IMAGE', 'WAVEFORM', 'SCOORD', 'SCOORD3D', 'TCOORD', 'CONTAINER', 'TABLE']

function contentItemsFile (reference: Reference): string {
  const file = SOURCE_FILES.contentItems
  const rows = rowsOf(reference.contentItems, file).map((row) => {
    onlyFields(row, ['Code Meaning', 'Code Value', 'Coding Scheme Designator', 'Value Type', 'Basic Prof.', ...CONTENT_IGNORED, ...Object.keys(CONTENT_COLUMNS)], file)
    const code = `${field(row, 'Coding Scheme Designator', file)}:${field(row, 'Code Value', file)}`
    const action = (column: string): string => {
      const value = field(row, column, file)
      if (!isTableAction(value)) throw fail(file, `${code} ${column} has "${value}", not an action code of Table E.1-1a`)
      return value
    }
    const options: Record<string, string> = {}
    for (const [column, option] of Object.entries(CONTENT_COLUMNS)) {
      if (field(row, column, file) !== '') options[option] = action(column)
    }
    const valueType = field(row, 'Value Type', file)
    if (!VALUE_TYPES.includes(valueType)) throw fail(file, `${code} has Value Type "${valueType}"`)
    return {
      scheme: field(row, 'Coding Scheme Designator', file).trim(),
      value: field(row, 'Code Value', file).trim(),
      meaning: cleanName(field(row, 'Code Meaning', file)),
      valueType,
      basic: action('Basic Prof.'),
      options
    }
  })
  const key = (r: { scheme: string, value: string, valueType: string }): string => `${r.scheme}:${r.value}:${r.valueType}`
  rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
  rows.forEach((row, i) => {
    const previous = rows[i - 1]
    if (previous !== undefined && key(previous) === key(row)) throw fail(file, `${key(row)} appears twice`)
  })
  return render(header([file], 'DICOM PS3.15 Table E.3.4-1 Clean Structured Content: content items'), {}, rows)
}

// ── CID 7050 and the SOP classes ────────────────────────────────────────────────────────

function methodCodesFile (reference: Reference): string {
  const file = SOURCE_FILES.methodCodes
  const optionOf = new Map(OPTIONS.map((o) => [OPTION_SPECS[o].code, o]))
  const rows = rowsOf(reference.methodCodes, file).map((row) => {
    onlyFields(row, ['codeValue', 'codingSchemeDesignator', 'codeMeaning'], file)
    const codeValue = field(row, 'codeValue', file)
    const option = optionOf.get(codeValue)
    return {
      codeValue,
      codingSchemeDesignator: field(row, 'codingSchemeDesignator', file),
      codeMeaning: cleanName(field(row, 'codeMeaning', file)),
      ...(option === undefined ? {} : { option })
    }
  })
  rows.sort((a, b) => (a.codeValue < b.codeValue ? -1 : a.codeValue > b.codeValue ? 1 : 0))
  for (const code of [BASIC_PROFILE_CODE, ...optionOf.keys()]) {
    if (!rows.some((r) => r.codeValue === code && r.codingSchemeDesignator === 'DCM')) throw fail(file, `no code ${code} (DCM), which src/deid/options.ts uses`)
  }
  return render(header([file], 'DICOM PS3.16 CID 7050 De-identification Methods'), {}, rows)
}

/**
 * A keyword from a SOP class name, after the style of PS3.6 Table A-1: words capitalised and
 * joined, punctuation dropped ("Encapsulated PDF Storage" → EncapsulatedPDFStorage). A leading
 * number is spelled out, as PS3.6 does for the one class that has it.
 */
export function sopClassKeyword (name: string): string {
  const words = name.replace(/^12-lead\b/i, 'Twelve Lead').split(/[^A-Za-z0-9]+/).filter((w) => w !== '')
  return words.map((w) => `${w.charAt(0).toUpperCase()}${w.slice(1)}`).join('')
}

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/

function sopClassesFile (reference: Reference): string {
  const file = SOURCE_FILES.sopClasses
  const rows = rowsOf(reference.sopClasses, file).map((row) => {
    onlyFields(row, ['name', 'id', 'ciod'], file)
    const name = cleanName(field(row, 'name', file))
    const uid = field(row, 'id', file)
    if (!UID.test(uid) || uid.length > 64) throw fail(file, `${name} has UID "${uid}"`)
    const keyword = sopClassKeyword(name)
    if (!/^[A-Z][A-Za-z0-9]*$/.test(keyword)) throw fail(file, `no keyword for "${name}"`)
    return { keyword, uid, name, iod: cleanName(field(row, 'ciod', file)) }
  })
  rows.sort((a, b) => (a.keyword < b.keyword ? -1 : a.keyword > b.keyword ? 1 : 0))
  rows.forEach((row, i) => {
    const previous = rows[i - 1]
    if (previous !== undefined && previous.keyword === row.keyword) throw fail(file, `keyword ${row.keyword} names two SOP classes`)
  })
  if (new Set(rows.map((r) => r.uid)).size !== rows.length) throw fail(file, 'a UID appears twice')
  return render(header([file], 'DICOM PS3.4 Annex B Storage SOP Classes (keywords derived from the names)'), {}, rows)
}

// ── entry points ────────────────────────────────────────────────────────────────────────

/** The generated files' names (as in STANDARD_FILES) and contents, from the parsed reference. */
export function renderProfileData (reference: Reference): ReadonlyMap<string, string> {
  return new Map([
    [STANDARD_FILES.attributes, attributesFile(reference)],
    [STANDARD_FILES.safePrivate, safePrivateFile(reference)],
    [STANDARD_FILES.contentItems, contentItemsFile(reference)],
    [STANDARD_FILES.methodCodes, methodCodesFile(reference)],
    [STANDARD_FILES.sopClasses, sopClassesFile(reference)]
  ])
}

export function readReference (dir: string = REFERENCE_DIR): Reference {
  const read = (file: string): unknown => JSON.parse(readFileSync(join(dir, file), 'utf8'))
  return {
    attributes: read(SOURCE_FILES.attributes),
    actions: read(SOURCE_FILES.actions),
    safePrivate: read(SOURCE_FILES.safePrivate),
    contentItems: read(SOURCE_FILES.contentItems),
    methodCodes: read(SOURCE_FILES.methodCodes),
    sopClasses: read(SOURCE_FILES.sopClasses)
  }
}

if (isMain(import.meta.url)) {
  mkdirSync(OUTPUT_DIR, { recursive: true })
  for (const [name, text] of renderProfileData(readReference())) {
    writeFileSync(join(OUTPUT_DIR, name), text)
    process.stdout.write(`wrote ${join(OUTPUT_DIR, name)} (${text.length} characters)\n`)
  }
}
