/**
 * What a shipped profile must do to each attribute, derived without the compiler
 * (src/deid/profile): from the generated Table E.1-1 (profiles/standard/ps3.15-e.1-1.json),
 * Table E.3.10-1, and the profile files themselves (profiles/NAME.json, `extends` followed),
 * read as docs/profiles.md describes them. Tests compare the engine's output with this, so
 * it must stay a plain reading of the documents, not a copy of the compiler.
 *
 * The outcome is an expected effect on an attribute present in the input with a non-empty
 * value, the compound codes of Table E.1-1a already resolved by the documented rule (an
 * attribute present stays present): X/Z → Z; X/D, Z/D, X/Z/D → D; X/Z/U* → U.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO_ROOT } from './corpus.js'
import type { ProfileRuleSource } from '../../src/deid/profile/types.js'

export interface TableRow {
  readonly tag?: string
  readonly pattern?: string
  readonly private?: boolean
  readonly keyword?: string
  readonly name: string
  readonly basic: string
  readonly options: Readonly<Record<string, string>>
}

export interface SafePrivateRow {
  readonly creator: string
  readonly group: string
  readonly element: string
  readonly vr: string
  readonly meaning: string
}

/** A rule as a profile file writes it (the file format, not the compiler's reading of it). */
type RuleSource = ProfileRuleSource

interface ProfileFile {
  readonly extends?: string
  readonly mode?: 'basic' | 'strict' | 'passthrough'
  readonly options?: readonly string[]
  readonly rules?: readonly RuleSource[]
  readonly dateShift?: { readonly minDays?: number, readonly maxDays?: number }
}

/** The effects a test checks (on a present, non-empty input value). */
export type Effect =
  | 'X' // absent
  | 'Z' // present, empty (a sequence: no items)
  | 'D' // present, a value valid for the VR that differs from the input (a sequence: kept, items cleaned)
  | 'K' // unchanged (a sequence: kept, items cleaned)
  | 'U' // a keyed 2.25 UID (a sequence: kept, items cleaned)
  | 'P' // a keyed pseudonym in `format`
  | 'Y' // DA: YYYY0101, DT: YYYY
  | 'SHIFT' // DA, DT: shifted by the instance's day offset; TM kept
  | 'CLEAN' // free text cleaned: a clean input comes out unchanged

export interface Expected {
  readonly effect: Effect
  /** The code that decided: a Table E.1-1a code of the row or the action of a profile rule. */
  readonly code: string
  readonly format?: string
  /** Where it came from, for failure messages. */
  readonly why: string
}

const STANDARD = join(REPO_ROOT, 'profiles', 'standard')
const PROFILES = join(REPO_ROOT, 'profiles')

function readJson<T> (path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T
}

export function tableRows (): readonly TableRow[] {
  return readJson<{ rows: TableRow[] }>(join(STANDARD, 'ps3.15-e.1-1.json')).rows
}

export function safePrivateRows (): readonly SafePrivateRow[] {
  return readJson<{ rows: SafePrivateRow[] }>(join(STANDARD, 'ps3.15-e.3.10-1.json')).rows
}

/** The option columns in the table's own order (which is also the order of PS3.15 E.3). */
const OPTION_ORDER: readonly string[] = Object.keys(readJson<{ columns: Record<string, string> }>(join(STANDARD, 'ps3.15-e.1-1.json')).columns)

export interface OracleProfile {
  readonly name: string
  readonly mode: 'basic' | 'strict' | 'passthrough'
  readonly options: ReadonlySet<string>
  /** Rules of the chain, root first, each with where it came from. */
  readonly rules: ReadonlyArray<{ readonly rule: RuleSource, readonly where: string }>
  readonly dateShift: { readonly minDays: number, readonly maxDays: number }
}

/** docs/profiles.md: "Default −3652 to −1". */
const DEFAULT_SHIFT = { minDays: -3652, maxDays: -1 }

/** A shipped profile and the ones it extends, merged as docs/profiles.md "extends" says. */
export function oracleProfile (name: string): OracleProfile {
  const chain: Array<{ file: ProfileFile, name: string }> = []
  for (let n: string | undefined = name; n !== undefined;) {
    const file: ProfileFile = readJson<ProfileFile>(join(PROFILES, `${n}.json`))
    chain.unshift({ file, name: n })
    n = file.extends
  }
  let mode: OracleProfile['mode'] = 'basic'
  const options = new Set<string>()
  const rules: Array<{ rule: RuleSource, where: string }> = []
  const dateShift = { ...DEFAULT_SHIFT }
  for (const { file, name: n } of chain) {
    mode = file.mode ?? mode
    for (const o of file.options ?? []) options.add(o)
    for (const [i, rule] of (file.rules ?? []).entries()) rules.push({ rule, where: `profiles/${n}.json rules[${i}] ${rule.action}` })
    dateShift.minDays = file.dateShift?.minDays ?? dateShift.minDays
    dateShift.maxDays = file.dateShift?.maxDays ?? dateShift.maxDays
  }
  return { name, mode, options, rules, dateShift }
}

/** Table E.1-1a codes, compounds resolved for a present, non-empty value. */
const TABLE_EFFECT: Readonly<Record<string, Effect>> = {
  X: 'X', Z: 'Z', D: 'D', K: 'K', U: 'U', 'X/Z': 'Z', 'X/D': 'D', 'Z/D': 'D', 'X/Z/D': 'D', 'X/Z/U*': 'U'
}
const DATE_VRS = ['DA', 'DT', 'TM']
/** docs/profiles.md: "Text that can be cleaned is SH, LO, ST, LT, UT, UC and PN" (CS holds defined terms). */
const TEXT_VRS = ['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']

function tableEffect (code: string, why: string): Expected {
  const effect = TABLE_EFFECT[code]
  if (effect === undefined) throw new Error(`oracle: no effect for table code ${code} (${why})`)
  return { effect, code, why }
}

/** docs/profiles.md "C is resolved by the column it came from"; undefined: C cannot apply to the VR. */
function cleanByColumn (option: string, vr: string): Omit<Expected, 'why' | 'code'> | undefined {
  switch (option) {
    case 'retainLongitudinalModifiedDates': return DATE_VRS.includes(vr) ? { effect: 'SHIFT' } : undefined
    case 'cleanDescriptors':
    case 'retainPatientCharacteristics':
      if (vr === 'SQ') return { effect: 'K' }
      return TEXT_VRS.includes(vr) ? { effect: 'CLEAN' } : undefined
    case 'retainDeviceIdentity': return vr === 'AE' ? { effect: 'P', format: '{hash:16}' } : undefined
    default: throw new Error(`oracle: C in the ${option} column is not covered (no shipped profile used it when this test was written)`)
  }
}

/**
 * The action of a table row under the profile's options: K beats C, C by its column; but a
 * date that Modified Dates shifts is shifted even when another option keeps it (a true date
 * beside shifted ones would undo the shift, PS3.15 E.3.6).
 */
function fromTable (row: TableRow, vr: string, options: ReadonlySet<string>): Expected {
  const enabled = OPTION_ORDER.filter((o) => options.has(o) && row.options[o] !== undefined)
  if (enabled.includes('retainLongitudinalModifiedDates') && row.options.retainLongitudinalModifiedDates === 'C') {
    const shift = cleanByColumn('retainLongitudinalModifiedDates', vr)
    if (shift !== undefined) return { ...shift, code: 'C', why: 'E.1-1 retainLongitudinalModifiedDates C (shift wins over K)' }
  }
  const retain = enabled.find((o) => row.options[o] === 'K')
  if (retain !== undefined) return { effect: 'K', code: 'K', why: `E.1-1 ${retain} K` }
  const other = enabled.find((o) => row.options[o] !== 'C')
  if (other !== undefined) return tableEffect(row.options[other] as string, `E.1-1 ${other} ${row.options[other] ?? ''}`)
  for (const option of enabled) {
    const clean = cleanByColumn(option, vr)
    if (clean !== undefined) return { ...clean, code: 'C', why: `E.1-1 ${option} C` }
  }
  const note = enabled.length > 0 ? ` (${enabled.join(', ')} C does not apply to ${vr})` : ''
  return tableEffect(row.basic, `E.1-1 basic ${row.basic}${note}`)
}

/** A profile rule's action: docs/profiles.md "Rules" (C by VR). */
function fromRule (rule: RuleSource, vr: string, where: string): Expected {
  switch (rule.action) {
    case 'P': return { effect: 'P', code: 'P', format: rule.format ?? '{hash:16}', why: where }
    case 'Y': return { effect: 'Y', code: 'Y', why: where }
    case 'C':
      if (DATE_VRS.includes(vr)) return { effect: 'SHIFT', code: 'C', why: where }
      return { effect: vr === 'SQ' ? 'K' : 'CLEAN', code: 'C', why: where }
    default: return tableEffect(rule.action, where)
  }
}

function parseHexTag (text: string): number {
  return parseInt(text.replace(/[(),]/g, ''), 16) >>> 0
}

/** A tag pattern such as (60xx,3000): its fixed digits, for matching and specificity. */
function matchesPattern (pattern: string, tag: number): boolean {
  const digits = pattern.replace(/[(),]/g, '').toLowerCase()
  const hex = tag.toString(16).padStart(8, '0')
  return [...digits].every((d, i) => d === 'x' || d === hex[i])
}

function fixedDigits (pattern: string): number {
  return [...pattern.replace(/[(),]/g, '')].filter((d) => d.toLowerCase() !== 'x').length
}

export interface PublicTarget {
  readonly tag: number
  readonly keyword: string | undefined
  readonly vr: string
  /** The Table E.1-1 row that lists it, if any. */
  readonly row: TableRow | undefined
}

/**
 * docs/profiles.md "Precedence" for a public attribute: a rule for its tag or keyword (the
 * child's over the parent's), a tag pattern rule (most fixed digits), a VR rule, the table
 * row, and for attributes in no row the mode's default (basic: keep; strict: remove).
 */
export function expectedPublic (profile: OracleProfile, target: PublicTarget): Expected {
  let byTag: Expected | undefined
  let byPattern: { expected: Expected, digits: number } | undefined
  let byVR: Expected | undefined
  for (const { rule, where } of profile.rules) {
    if ((rule.keyword !== undefined && rule.keyword === target.keyword) || (rule.tag !== undefined && parseHexTag(rule.tag) === target.tag)) {
      byTag = fromRule(rule, target.vr, where)
    } else if (rule.tagPattern !== undefined && matchesPattern(rule.tagPattern, target.tag)) {
      const digits = fixedDigits(rule.tagPattern)
      if (byPattern === undefined || digits > byPattern.digits) byPattern = { expected: fromRule(rule, target.vr, where), digits }
    } else if (rule.vr !== undefined && rule.vr === target.vr) {
      byVR = fromRule(rule, target.vr, where)
    }
  }
  const decided = byTag ?? byPattern?.expected ?? byVR
  if (decided !== undefined) return decided
  if (target.row !== undefined) return fromTable(target.row, target.vr, profile.options)
  return profile.mode === 'strict'
    ? { effect: 'X', code: 'X', why: 'in no row or rule (strict mode)' }
    : { effect: 'K', code: 'K', why: 'in no row or rule (basic mode, PS3.15 E.1.1)' }
}

function privateEffects (profile: OracleProfile, creator: string, group: number): Map<number, Expected> {
  const out = new Map<number, Expected>()
  if (profile.options.has('retainSafePrivate')) {
    for (const row of safePrivateRows()) {
      if (row.creator === creator && parseInt(row.group, 16) === group) out.set(parseInt(row.element, 16), { effect: 'K', code: 'C', why: `E.3.10-1 safe private (${row.meaning}) under retainSafePrivate` })
    }
  }
  for (const { rule, where } of profile.rules) {
    if (rule.privateCreator?.trim() === creator && parseInt(rule.group ?? '', 16) === group) {
      out.set(parseInt(rule.element ?? '', 16), fromRule(rule, '', where))
    }
  }
  return out
}

/** A private data element (gggg,xxee) of `creator`: its rule, else the table's private row. */
export function expectedPrivate (profile: OracleProfile, privateRow: TableRow, creator: string, group: number, elementByte: number): Expected {
  return privateEffects(profile, creator, group).get(elementByte) ?? tableEffect(privateRow.basic, `E.1-1 private attributes ${privateRow.basic}`)
}

/** A private creator element: kept when some element of its block stays (docs/profiles.md "Private attributes"). */
export function expectedCreator (profile: OracleProfile, creator: string, group: number): Expected {
  const kept = [...privateEffects(profile, creator, group).values()].some((e) => e.effect !== 'X')
  return kept
    ? { effect: 'K', code: 'K', why: 'creator of a block with kept elements' }
    : { effect: 'X', code: 'X', why: 'creator of a block with nothing kept' }
}
