/**
 * Compiles a profile and the profiles it extends into the frozen lookup tables the engine
 * runs on (see CompiledProfile in types.ts and `ruleFor` in lookup.ts). docs/profiles.md
 * describes the semantics; in short:
 *
 * 1. Table E.1-1 (PS3.15): each row's action is its Basic Profile column unless an enabled
 *    option's column has an action for the row; among the options, K (retain) beats C (clean).
 *    C is resolved by the column it came from (`cleanByColumn`).
 * 2. Retain Safe Private adds Table E.3.10-1 as keep rules for private attributes.
 * 3. Profile rules override the table, the parent's rules first, so that a child's rule
 *    replaces its parent's rule with the same selector.
 */
import { isAbsolute } from 'node:path'
import type { Tag } from '../../dicom/tags.js'
import { lookupTag } from '../../dicom/dictionary.js'
import type { VR } from '../../dicom/vr.js'
import { BASIC_PROFILE_CODE, OPTIONS, OPTION_SPECS, isOptionName, type OptionName } from '../options.js'
import { didYouMean, invalid, quote } from './messages.js'
import { CLEANABLE_VRS, DEFAULT_PSEUDONYM_FORMAT, TABLE_OPERATIONS, compileRule, type ProfileRule } from './rules.js'
import { standardTables, type AttributeRow } from './standard.js'
import {
  privateBlockKey, privateKey, structuredKey,
  type CodeItem, type CompiledProfile, type CompiledRule, type EncryptionSettings, type Operation, type ProfileSource, type TableAction, type TagPatternRule
} from './types.js'

/** One profile file of a chain: what it says, and where it was read from (for messages). */
export interface ProfileLayer {
  readonly source: ProfileSource
  readonly file: string
}

/** PS3.15 leaves the shift to the implementation; dicomgate's default is up to ten years back. */
export const DEFAULT_DATE_SHIFT: { readonly minDays: number, readonly maxDays: number } = Object.freeze({ minDays: -3652, maxDays: -1 })
/** A shift beyond a century is certainly a mistake. */
export const MAX_DATE_SHIFT_DAYS = 36500
/** De-identification Method (0012,0063) is LO. */
const METHOD_DESCRIPTION_MAX = 64

/** The chain each compiled profile came from, so that a child can be compiled on top of it. */
const LAYERS = new WeakMap<CompiledProfile, readonly ProfileLayer[]>()

/**
 * Compiles `source` (read from `file`) on top of `parent`. A source with `extends` needs its
 * parent: `loadProfile` resolves and compiles it first.
 */
export function compileProfile (source: ProfileSource, file: string, parent?: CompiledProfile): CompiledProfile {
  if (source.extends !== undefined && parent === undefined) {
    throw invalid(file, 'extends', 'names a parent profile: load this profile with loadProfile(), which compiles the parent first')
  }
  const parentLayers = parent === undefined ? [] : LAYERS.get(parent)
  if (parentLayers === undefined) throw invalid(file, 'extends', 'names a parent that compileProfile did not compile')
  const layers = Object.freeze([...parentLayers, Object.freeze({ source, file })])
  const profile = compileLayers(layers)
  LAYERS.set(profile, layers)
  return profile
}

/** The layers a profile was compiled from, root first. */
export function profileLayers (profile: CompiledProfile): readonly ProfileLayer[] {
  return LAYERS.get(profile) ?? []
}

const rule = (operation: Operation, source: CompiledRule['source'], extra: { format?: string, note?: string } = {}): CompiledRule =>
  Object.freeze({ operation, source: Object.freeze(source), ...extra })

/**
 * Among the enabled options that have an action for a row: K first, then any other code, C
 * last; ties in OPTIONS order. One exception: under Retain Longitudinal Temporal Information
 * with Modified Dates, a date that another option would keep (Date of Last Detector
 * Calibration under Retain Device Identity) is shifted: a true date beside shifted ones
 * would undo the shift (PS3.15 §E.3.6).
 */
function decide (basic: TableAction, actions: Readonly<Partial<Record<OptionName, TableAction>>>, options: ReadonlySet<OptionName>): { code: TableAction, option: OptionName | undefined } {
  let best: { code: TableAction, option: OptionName | undefined } = { code: basic, option: undefined }
  let bestRank = 3
  for (const option of OPTIONS) {
    const code = actions[option]
    if (code === undefined || !options.has(option)) continue
    const rank = option === 'retainLongitudinalModifiedDates' && code === 'C' ? -1 : code === 'K' ? 0 : code === 'C' ? 2 : 1
    if (rank < bestRank) {
      best = { code, option }
      bestRank = rank
    }
  }
  return best
}

/**
 * What C means in each option's column of Table E.1-1, for an attribute of VRs `vrs`
 * (undefined when unknown). Undefined when it cannot apply to that VR (e.g. Clean
 * Descriptors on Maker Note, OB): the row then keeps its Basic Profile action.
 */
function cleanByColumn (option: OptionName, vrs: readonly VR[] | undefined): { operation: Operation, format?: string } | undefined {
  const all = (allowed: readonly VR[]): boolean => vrs === undefined || vrs.every((vr) => allowed.includes(vr))
  switch (option) {
    case 'retainLongitudinalModifiedDates': // PS3.15 E.3.6: dates shifted, times kept
      return all(['DA', 'DT', 'TM']) ? { operation: 'shift-date' } : undefined
    case 'cleanDescriptors': // E.3.5, and E.3.7 for the free text of patient characteristics
    case 'retainPatientCharacteristics':
      if (vrs !== undefined && vrs.every((vr) => vr === 'SQ')) return { operation: 'keep' } // K on a sequence: items cleaned
      return all(CLEANABLE_VRS) ? { operation: 'clean-text' } : undefined
    case 'retainDeviceIdentity': // E.3.8: AE titles, replaced consistently
      return all(['AE']) ? { operation: 'pseudonym', format: DEFAULT_PSEUDONYM_FORMAT } : undefined
    case 'cleanStructuredContent':
      return { operation: 'clean-structured' }
    case 'cleanGraphics':
      return { operation: 'clean-graphics' }
    default:
      throw new Error(`profiles/standard: C in the ${OPTION_SPECS[option].column} column, which dicomgate does not resolve: run npm run generate`)
  }
}

function tableRule (row: AttributeRow, options: ReadonlySet<OptionName>): CompiledRule {
  const { code, option } = decide(row.basic, row.options, options)
  const column = option === undefined ? 'basicProfile' : OPTION_SPECS[option].column
  if (code !== 'C') return rule(TABLE_OPERATIONS[code], { kind: 'table', row: row.text, column, code })
  const vrs = row.selector.kind === 'tag' ? lookupTag(row.selector.tag)?.vrs : undefined
  const clean = option === undefined ? undefined : cleanByColumn(option, vrs)
  if (clean !== undefined) return rule(clean.operation, { kind: 'table', row: row.text, column, code }, clean.format === undefined ? {} : { format: clean.format })
  if (row.basic === 'C') throw new Error(`profiles/standard: ${row.text} has C in the basic column: run npm run generate`)
  return rule(TABLE_OPERATIONS[row.basic], { kind: 'table', row: row.text, column: 'basicProfile', code: row.basic },
    { note: `${column} C does not apply to ${vrs?.join('/') ?? 'this VR'}: Basic Profile action` })
}

function bitCount (n: number): number {
  let count = 0
  for (let v = n >>> 0; v !== 0; v >>>= 1) count += v & 1
  return count
}

/** Most specific first (more fixed bits); equal ones keep their order. */
function bySpecificity (patterns: Iterable<TagPatternRule>): TagPatternRule[] {
  return [...patterns].sort((a, b) => bitCount(b.mask) - bitCount(a.mask))
}

interface Builder {
  readonly byTag: Map<Tag, CompiledRule>
  readonly tablePatterns: TagPatternRule[]
  readonly rulePatterns: Map<string, TagPatternRule>
  readonly privateRules: Map<string, CompiledRule>
  readonly blockOf: Map<string, string>
  readonly byVR: Map<VR, CompiledRule>
  privateDefault: CompiledRule
}

function applyTable (b: Builder, options: ReadonlySet<OptionName>): void {
  for (const row of standardTables().attributes) {
    if (row.selector.kind === 'private') {
      // Its option column (Retain Safe Private: C) is Table E.3.10-1, below; the rest is removed.
      if (row.basic === 'C') throw new Error('profiles/standard: C for private attributes in the basic column: run npm run generate')
      b.privateDefault = rule(TABLE_OPERATIONS[row.basic], { kind: 'table', row: row.text, column: 'basicProfile', code: row.basic })
      continue
    }
    const compiled = tableRule(row, options)
    if (row.selector.kind === 'tag') b.byTag.set(row.selector.tag, compiled)
    else b.tablePatterns.push(Object.freeze({ mask: row.selector.mask, value: row.selector.value, rule: compiled }))
  }
  if (!options.has('retainSafePrivate')) return
  for (const row of standardTables().safePrivate) {
    const key = privateKey(row.creator, row.group, row.element)
    b.privateRules.set(key, rule('keep', { kind: 'safe-private', creator: row.creator }, { note: row.meaning }))
    b.blockOf.set(key, privateBlockKey(row.creator, row.group))
  }
}

function applyRule (b: Builder, { selector, rule: compiled }: ProfileRule): void {
  switch (selector.kind) {
    case 'tag':
      b.byTag.set(selector.tag, compiled)
      break
    case 'pattern':
      b.rulePatterns.set(`${selector.mask}:${selector.value}`, Object.freeze({ mask: selector.mask, value: selector.value, rule: compiled }))
      break
    case 'private': {
      const key = privateKey(selector.creator, selector.group, selector.element)
      b.privateRules.set(key, compiled)
      b.blockOf.set(key, privateBlockKey(selector.creator, selector.group))
      break
    }
    case 'vr':
      b.byVR.set(selector.vr, compiled)
  }
}

/** Table E.3.4-1 under the options: content items in sequences under `clean-structured`. */
function structuredContent (options: ReadonlySet<OptionName>): Map<string, CompiledRule> {
  const out = new Map<string, CompiledRule>()
  for (const row of standardTables().contentItems) {
    const { code, option } = decide(row.basic, row.options, options)
    const column = option === undefined ? 'basicProfile' : OPTION_SPECS[option].column
    const source = { kind: 'table' as const, row: `E.3.4-1 ${row.scheme}:${row.value} ${row.valueType}`, column, code }
    let operation: Operation
    if (code !== 'C') operation = TABLE_OPERATIONS[code]
    else if (option === 'retainLongitudinalModifiedDates') operation = 'shift-date'
    else if (option === 'cleanDescriptors') operation = 'clean-text'
    else throw new Error(`profiles/standard: E.3.4-1 ${source.row} has C in ${column}: run npm run generate`)
    out.set(structuredKey(row.scheme, row.value, row.valueType), rule(operation, source, { note: row.meaning }))
  }
  return out
}

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$/

function sopClassUID (entry: string, file: string, path: string): string {
  const known = standardTables().sopClasses.get(entry)
  if (known !== undefined) return known.uid
  if (UID.test(entry) && entry.length <= 64) return entry
  throw invalid(file, path, `${quote(entry)} is neither a SOP class keyword of profiles/standard/sop-classes.json nor a UID${didYouMean(entry, standardTables().sopClasses.keys())}`)
}

function checkShift (value: number | undefined, file: string, path: string): void {
  if (value !== undefined && (!Number.isInteger(value) || Math.abs(value) > MAX_DATE_SHIFT_DAYS)) {
    throw invalid(file, path, `${quote(value)} must be a whole number of days from -${MAX_DATE_SHIFT_DAYS} to ${MAX_DATE_SHIFT_DAYS}`)
  }
}

function methodDescription (name: string, options: number, mode: string): string {
  const tail = ` (PS3.15 E.1-1 basic${options === 0 ? '' : ` + ${options} option${options === 1 ? '' : 's'}`}${mode === 'strict' ? ', strict' : ''})`
  const room = METHOD_DESCRIPTION_MAX - 'dicomgate '.length - tail.length
  return `dicomgate ${name.length > room ? name.slice(0, room) : name}${tail}`
}

function methodCodes (options: ReadonlySet<OptionName>): CodeItem[] {
  const codes = [BASIC_PROFILE_CODE, ...OPTIONS.filter((o) => options.has(o)).map((o) => OPTION_SPECS[o].code)]
  return codes.map((code) => {
    const row = standardTables().methodCodes.get(code)
    if (row === undefined) throw new Error(`profiles/standard/cid-7050.json has no code ${code}: run npm run generate`)
    return row
  })
}

function compileLayers (layers: readonly ProfileLayer[]): CompiledProfile {
  const top = layers[layers.length - 1]
  if (top === undefined) throw new Error('compileLayers: no layers')
  const files = Object.freeze(layers.map((l) => l.file).reverse())
  let mode: CompiledProfile['mode'] = 'basic'
  const options = new Set<OptionName>()
  const rules: ProfileRule[] = []
  const sopClasses = new Set<string>()
  let burnedInAnnotation = false
  const dateShift = { ...DEFAULT_DATE_SHIFT }
  let encryption: EncryptionSettings | null = null

  const passthroughLayer = layers.find((l) => l.source.mode === 'passthrough')
  if (passthroughLayer !== undefined && layers.length > 1) {
    throw invalid(top.file, 'extends', passthroughLayer === top ? 'is not allowed in a passthrough profile' : `names a passthrough profile (${passthroughLayer.file}), which has nothing to build on`)
  }
  for (const { source, file } of layers) {
    if (source.mode === 'passthrough' && [source.options, source.rules, source.reject, source.dateShift, source.encryptedAttributes].some((v) => v !== undefined)) {
      throw invalid(file, 'mode', 'passthrough changes nothing: remove options, rules, reject, dateShift and encryptedAttributes')
    }
    mode = source.mode ?? mode
    for (const [i, option] of (source.options ?? []).entries()) {
      if (!isOptionName(option)) throw invalid(file, `options[${i}]`, `${quote(option)} is not an option${didYouMean(option, OPTIONS)}`)
      options.add(option)
    }
    if (options.has('retainLongitudinalFullDates') && options.has('retainLongitudinalModifiedDates')) {
      throw invalid(file, 'options', 'has both retainLongitudinalFullDates and retainLongitudinalModifiedDates (with its parents), which exclude each other (PS3.15 E.3.6): keep one')
    }
    for (const [i, ruleSource] of (source.rules ?? []).entries()) rules.push(compileRule(ruleSource, i, file))
    for (const [i, entry] of (source.reject?.sopClasses ?? []).entries()) sopClasses.add(sopClassUID(entry, file, `reject.sopClasses[${i}]`))
    burnedInAnnotation = source.reject?.burnedInAnnotation ?? burnedInAnnotation
    checkShift(source.dateShift?.minDays, file, 'dateShift.minDays')
    checkShift(source.dateShift?.maxDays, file, 'dateShift.maxDays')
    dateShift.minDays = source.dateShift?.minDays ?? dateShift.minDays
    dateShift.maxDays = source.dateShift?.maxDays ?? dateShift.maxDays
    const encrypted = source.encryptedAttributes
    if (encrypted !== undefined) {
      // The loader made the paths absolute (relative to the file); a profile given as
      // parsed JSON without a file must use absolute paths.
      for (const [i, r] of encrypted.recipients.entries()) {
        if (!isAbsolute(r)) throw invalid(file, `encryptedAttributes.recipients[${i}]`, 'must be an absolute path in a profile that is not read from a file')
      }
      encryption = Object.freeze({ recipients: Object.freeze([...encrypted.recipients]), cipher: encrypted.cipher ?? 'aes-256-cbc' })
    }
  }
  if (dateShift.minDays > dateShift.maxDays) {
    throw invalid(top.file, 'dateShift', `minDays ${dateShift.minDays} is greater than maxDays ${dateShift.maxDays} (with what the parents set)`)
  }

  const passthrough = mode === 'passthrough'
  const b: Builder = {
    byTag: new Map(),
    tablePatterns: [],
    rulePatterns: new Map(),
    privateRules: new Map(),
    blockOf: new Map(),
    byVR: new Map(),
    privateDefault: rule('keep', { kind: 'default', reason: 'passthrough: nothing is changed' })
  }
  if (!passthrough) applyTable(b, options)
  for (const r of rules) applyRule(b, r)
  const keptPrivateBlocks = new Set<string>()
  for (const [key, compiled] of b.privateRules) {
    const block = b.blockOf.get(key)
    if (compiled.operation !== 'remove' && block !== undefined) keptPrivateBlocks.add(block)
  }
  const unlistedDefault = passthrough
    ? b.privateDefault
    : mode === 'strict'
      ? rule('remove', { kind: 'default', reason: 'in no row of Table E.1-1 and no rule keeps it (strict mode)' })
      : rule('keep', { kind: 'default', reason: 'in no row of Table E.1-1 (basic mode, PS3.15 E.1.1)' })

  return Object.freeze({
    name: top.source.name,
    description: top.source.description ?? '',
    files,
    mode,
    options,
    byTag: b.byTag,
    patterns: Object.freeze([...bySpecificity(b.rulePatterns.values()), ...bySpecificity(b.tablePatterns)]),
    privateRules: b.privateRules,
    keptPrivateBlocks,
    byVR: b.byVR,
    privateDefault: b.privateDefault,
    unlistedDefault,
    structuredContent: passthrough ? new Map() : structuredContent(options),
    reject: Object.freeze({ sopClasses, burnedInAnnotation }),
    dateShift: Object.freeze(dateShift),
    encryption,
    methodDescription: passthrough ? `dicomgate ${top.source.name.slice(0, 32)} (passthrough: not de-identified)` : methodDescription(top.source.name, options.size, mode),
    methodCodes: Object.freeze(passthrough ? [] : methodCodes(options))
  })
}
