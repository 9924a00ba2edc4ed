/**
 * The standard's tables as dicomgate ships them: profiles/standard/*.json, generated from
 * the DICOM standard by scripts/generate-profiles.ts (`npm run generate`, never edited by
 * hand). This module reads them on first use, checks their shape, and freezes them.
 *
 * - ps3.15-e.1-1.json: PS3.15 Table E.1-1, the Basic Profile and its options per attribute
 * - ps3.15-e.3.10-1.json: PS3.15 Table E.3.10-1, safe private attributes
 * - ps3.15-e.3.4-1.json: PS3.15 Table E.3.4-1, content items under Clean Structured Content
 * - cid-7050.json: PS3.16 CID 7050, De-identification Method codes
 * - sop-classes.json: PS3.4 Storage SOP Classes (keyword → UID, for reject lists)
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseTag, type Tag } from '../../dicom/tags.js'
import { isOptionName, type OptionName } from '../options.js'
import type { TableAction } from './types.js'

/** The action codes of PS3.15 Table E.1-1a, in the order the table lists them. */
export const TABLE_ACTIONS = ['D', 'Z', 'X', 'K', 'C', 'U', 'Z/D', 'X/Z', 'X/D', 'X/Z/D', 'X/Z/U*'] as const satisfies readonly TableAction[]

export function isTableAction (value: unknown): value is TableAction {
  return typeof value === 'string' && (TABLE_ACTIONS as readonly string[]).includes(value)
}

/**
 * Mask and value of a tag pattern: eight hex digits or `x`, with or without `(gggg,eeee)`
 * punctuation ('50xxxxxx', '(60xx,3000)'). Each `x` is a free hex digit (a 0 nibble in the
 * mask); a tag t matches when (t & mask) === value. Undefined when the text is not a pattern
 * or has no `x` (then it is a tag).
 */
export function parseTagPattern (text: string): { readonly mask: number, readonly value: number } | undefined {
  const m = /^\(?([0-9A-Fa-fXx]{4}),?([0-9A-Fa-fXx]{4})\)?$/.exec(text.trim())
  if (m === null) return undefined
  const digits = `${m[1] ?? ''}${m[2] ?? ''}`
  if (!/[Xx]/.test(digits)) return undefined
  let mask = 0
  let value = 0
  for (const digit of digits) {
    const free = digit === 'x' || digit === 'X'
    mask = mask * 16 + (free ? 0 : 0xf)
    value = value * 16 + (free ? 0 : parseInt(digit, 16))
  }
  return { mask: mask >>> 0, value: value >>> 0 }
}

/** `(60xx,3000)`: a pattern as `profile show` prints it (an x for every nibble not fully fixed). */
export function formatTagPattern (mask: number, value: number): string {
  let text = ''
  for (let shift = 28; shift >= 0; shift -= 4) {
    const fixed = ((mask >>> shift) & 0xf) === 0xf
    text += fixed ? ((value >>> shift) & 0xf).toString(16).toUpperCase() : 'x'
  }
  return `(${text.slice(0, 4)},${text.slice(4)})`
}

// ── the rows, as this module hands them out ─────────────────────────────────────────────

export interface AttributeRow {
  /** How the generated file writes the row: '(0010,0010)', '(60xx,3000)' or 'private'. */
  readonly text: string
  readonly selector:
    | { readonly kind: 'tag', readonly tag: Tag }
    | { readonly kind: 'pattern', readonly mask: number, readonly value: number }
    | { readonly kind: 'private' }
  readonly keyword: string | undefined
  readonly name: string
  readonly basic: TableAction
  /** The action of each option column that has one for this row. */
  readonly options: Readonly<Partial<Record<OptionName, TableAction>>>
}

export interface SafePrivateRow {
  readonly creator: string
  readonly group: number
  /** The low byte of the element (PS3.15 writes (gggg,xxEE)). */
  readonly element: number
  readonly meaning: string
}

export interface ContentItemRow {
  readonly scheme: string
  readonly value: string
  readonly meaning: string
  /** Content item Value Type (PS3.3 §C.17.3): TEXT, DATE, UIDREF… */
  readonly valueType: string
  readonly basic: TableAction
  readonly options: Readonly<Partial<Record<OptionName, TableAction>>>
}

export interface MethodCodeRow {
  readonly codeValue: string
  readonly codingSchemeDesignator: string
  readonly codeMeaning: string
}

export interface SopClassRow {
  readonly keyword: string
  readonly uid: string
  readonly name: string
}

export interface StandardTables {
  readonly attributes: readonly AttributeRow[]
  readonly safePrivate: readonly SafePrivateRow[]
  readonly contentItems: readonly ContentItemRow[]
  readonly methodCodes: ReadonlyMap<string, MethodCodeRow>
  /** By keyword. */
  readonly sopClasses: ReadonlyMap<string, SopClassRow>
}

/** profiles/standard/, from src/deid/profile/ and from dist/deid/profile/ alike. */
export const STANDARD_DIR: string = fileURLToPath(new URL('../../../profiles/standard/', import.meta.url))

export const STANDARD_FILES = {
  attributes: 'ps3.15-e.1-1.json',
  safePrivate: 'ps3.15-e.3.10-1.json',
  contentItems: 'ps3.15-e.3.4-1.json',
  methodCodes: 'cid-7050.json',
  sopClasses: 'sop-classes.json'
} as const

let tables: StandardTables | undefined

/** The shipped tables, read and checked on first use. */
export function standardTables (): StandardTables {
  tables ??= Object.freeze({
    attributes: Object.freeze(readAttributes()),
    safePrivate: Object.freeze(readSafePrivate()),
    contentItems: Object.freeze(readContentItems()),
    methodCodes: readMethodCodes(),
    sopClasses: readSopClasses()
  })
  return tables
}

// ── reading and checking ────────────────────────────────────────────────────────────────

type Json = Readonly<Record<string, unknown>>

function isRecord (value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Reads one generated file's rows; its checks name the file, should it be malformed. */
class RowReader {
  readonly #file: string

  constructor (file: string) {
    this.#file = file
  }

  rows (): Json[] {
    const parsed: unknown = JSON.parse(readFileSync(`${STANDARD_DIR}${this.#file}`, 'utf8'))
    if (!isRecord(parsed) || !Array.isArray(parsed.rows)) throw this.inconsistent('no rows')
    return parsed.rows.map((row: unknown, i) => {
      if (!isRecord(row)) throw this.inconsistent(`row ${i}`)
      return row
    })
  }

  inconsistent (detail: string): Error {
    return new Error(`profiles/standard/${this.#file} is inconsistent (${detail}): run npm run generate`)
  }

  text (row: Json, field: string): string {
    const value = row[field]
    if (typeof value !== 'string') throw this.inconsistent(`${field} of ${JSON.stringify(row).slice(0, 60)}`)
    return value
  }

  hex (row: Json, field: string, digits: number): number {
    const value = this.text(row, field)
    if (value.length !== digits || !/^[0-9A-F]+$/.test(value)) throw this.inconsistent(`${field} ${value}`)
    return parseInt(value, 16)
  }

  action (row: Json, field: string): TableAction {
    const value = row[field]
    if (!isTableAction(value)) throw this.inconsistent(`${field} "${String(value)}"`)
    return value
  }

  optionActions (row: Json): Readonly<Partial<Record<OptionName, TableAction>>> {
    const options = row.options
    if (!isRecord(options)) throw this.inconsistent('options')
    const out: Partial<Record<OptionName, TableAction>> = {}
    for (const name of Object.keys(options)) {
      if (!isOptionName(name)) throw this.inconsistent(`option ${name}`)
      out[name] = this.action(options, name)
    }
    return Object.freeze(out)
  }
}

function readAttributes (): AttributeRow[] {
  const r = new RowReader(STANDARD_FILES.attributes)
  return r.rows().map((row) => {
    const base = {
      keyword: row.keyword === undefined ? undefined : r.text(row, 'keyword'),
      name: r.text(row, 'name'),
      basic: r.action(row, 'basic'),
      options: r.optionActions(row)
    }
    if (row.private === true) return Object.freeze({ ...base, text: 'private', selector: Object.freeze({ kind: 'private' as const }) })
    if (row.pattern !== undefined) {
      const text = r.text(row, 'pattern')
      const pattern = parseTagPattern(text)
      if (pattern === undefined) throw r.inconsistent(`pattern ${text}`)
      return Object.freeze({ ...base, text, selector: Object.freeze({ kind: 'pattern' as const, ...pattern }) })
    }
    const text = r.text(row, 'tag')
    const tag = parseTag(text)
    if (tag === undefined) throw r.inconsistent(`tag ${text}`)
    return Object.freeze({ ...base, text, selector: Object.freeze({ kind: 'tag' as const, tag }) })
  })
}

function readSafePrivate (): SafePrivateRow[] {
  const r = new RowReader(STANDARD_FILES.safePrivate)
  return r.rows().map((row) => Object.freeze({
    creator: r.text(row, 'creator'),
    group: r.hex(row, 'group', 4),
    element: r.hex(row, 'element', 2),
    meaning: r.text(row, 'meaning')
  }))
}

function readContentItems (): ContentItemRow[] {
  const r = new RowReader(STANDARD_FILES.contentItems)
  return r.rows().map((row) => Object.freeze({
    scheme: r.text(row, 'scheme'),
    value: r.text(row, 'value'),
    meaning: r.text(row, 'meaning'),
    valueType: r.text(row, 'valueType'),
    basic: r.action(row, 'basic'),
    options: r.optionActions(row)
  }))
}

function readMethodCodes (): Map<string, MethodCodeRow> {
  const r = new RowReader(STANDARD_FILES.methodCodes)
  return new Map(r.rows().map((row) => {
    const code = Object.freeze({ codeValue: r.text(row, 'codeValue'), codingSchemeDesignator: r.text(row, 'codingSchemeDesignator'), codeMeaning: r.text(row, 'codeMeaning') })
    return [code.codeValue, code]
  }))
}

function readSopClasses (): Map<string, SopClassRow> {
  const r = new RowReader(STANDARD_FILES.sopClasses)
  return new Map(r.rows().map((row) => {
    const sop = Object.freeze({ keyword: r.text(row, 'keyword'), uid: r.text(row, 'uid'), name: r.text(row, 'name') })
    return [sop.keyword, sop]
  }))
}
