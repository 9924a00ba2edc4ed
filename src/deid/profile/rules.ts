/**
 * One rule of a profile file, checked and compiled: its selector (which attributes) and its
 * CompiledRule (what to do). Everything a schema cannot check is checked here: the keyword
 * exists, the tag is public, the action fits the attribute's VR, the pseudonym format fits
 * the VR's maximum length (PS3.5 Table 6.2-1).
 */
import { DICTIONARY_ROWS } from '../../dicom/dictionary.generated.js'
import { lookupTag, tagForKeyword } from '../../dicom/dictionary.js'
import { isGroupLengthTag, isPrivateTag, parseTag, type Tag } from '../../dicom/tags.js'
import { isVR, type VR } from '../../dicom/vr.js'
import { parseFormat } from '../../pseudonym/format.js'
import { didYouMean, invalid, quote } from './messages.js'
import { parseTagPattern } from './standard.js'
import type { CompiledRule, Operation, ProfileAction, ProfileRuleSource, TableAction } from './types.js'

export type Selector =
  | { readonly kind: 'tag', readonly tag: Tag }
  | { readonly kind: 'pattern', readonly mask: number, readonly value: number }
  | { readonly kind: 'private', readonly creator: string, readonly group: number, readonly element: number }
  | { readonly kind: 'vr', readonly vr: VR }

export interface ProfileRule {
  readonly selector: Selector
  readonly rule: CompiledRule
}

/** The operation of each Table E.1-1a code but C, whose operation depends on where it applies. */
export const TABLE_OPERATIONS: Readonly<Record<Exclude<TableAction, 'C'>, Operation>> = Object.freeze({
  D: 'dummy',
  Z: 'empty',
  X: 'remove',
  K: 'keep',
  U: 'uid',
  'Z/D': 'empty-or-dummy',
  'X/Z': 'remove-or-empty',
  'X/D': 'remove-or-dummy',
  'X/Z/D': 'remove-empty-or-dummy',
  'X/Z/U*': 'remove-empty-or-uids'
})

/** `{hash:16}`: the pseudonym of a P rule without `format`, and of AE titles under Retain Device Identity. */
export const DEFAULT_PSEUDONYM_FORMAT = '{hash:16}'

/** Maximum value length in characters (PS3.5 Table 6.2-1) of the VRs a pseudonym may take; PN per component group. */
const TEXT_MAX_LENGTH: Readonly<Partial<Record<VR, number>>> = { AE: 16, CS: 16, SH: 16, LO: 64, PN: 64, ST: 1024, LT: 10240, UC: Infinity, UT: Infinity }
const DATE_VRS: readonly VR[] = ['DA', 'DT', 'TM']
/**
 * The text a person typed, which Clean Descriptors cleans: the VRs whose values the engine
 * can clean (src/deid/values.ts). CS is not among them: its values are defined terms.
 */
export const CLEANABLE_VRS: readonly VR[] = ['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN']

const SELECTORS = ['keyword', 'tag', 'tagPattern', 'privateCreator', 'vr'] as const

let keywords: readonly string[] | undefined

/** Every PS3.6 keyword, for suggestions (built only when a keyword is unknown). */
function allKeywords (): readonly string[] {
  keywords ??= DICTIONARY_ROWS.split('\n').map((line) => line.split('|')[1] ?? '').filter((k) => k !== '')
  return keywords
}

/** Operation of C where the attribute's VRs are known (profile rules): dates shift, sequences keep (items cleaned), text is cleaned. */
function cleanOperation (vrs: readonly VR[] | undefined): Operation {
  if (vrs === undefined || vrs.length === 0) return 'clean-text'
  if (vrs.every((vr) => DATE_VRS.includes(vr))) return 'shift-date'
  if (vrs.every((vr) => vr === 'SQ')) return 'keep'
  return 'clean-text'
}

/**
 * Checks a pseudonym format with the pseudonym module's own parser ({hash:N} fields of
 * Crockford base32, literal text around them), then that every value it renders fits each
 * of `vrs`: the whole value, or for PN each component group (`=` separates them).
 */
function checkFormat (format: string, vrs: readonly VR[], file: string, path: string): void {
  let parts
  try {
    parts = parseFormat(format).parts
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^pseudonym format "(?:[^"\\]|\\.)*": /, '') : 'is not a pseudonym format'
    throw invalid(file, path, `${quote(format)}: ${reason}`)
  }
  const groups = [0]
  for (const part of parts) {
    if ('hash' in part) {
      groups[groups.length - 1] = (groups[groups.length - 1] ?? 0) + part.hash
      continue
    }
    for (const [i, piece] of part.literal.split('=').entries()) {
      if (i > 0) groups.push(0)
      groups[groups.length - 1] = (groups[groups.length - 1] ?? 0) + piece.length
    }
  }
  for (const vr of vrs) {
    const max = TEXT_MAX_LENGTH[vr] ?? 0
    const length = vr === 'PN' ? Math.max(...groups) : groups.reduce((a, b) => a + b, 0) + groups.length - 1
    if (length > max) {
      const what = vr === 'PN' ? 'a component group' : 'it'
      throw invalid(file, path, `${quote(format)}: ${what} can be ${length} characters long, more than ${vr} allows (${max})`)
    }
  }
}

function requireVRs (action: ProfileAction, vrs: readonly VR[] | undefined, allowed: readonly VR[], what: string, file: string, path: string): void {
  if (vrs === undefined || vrs.length === 0) {
    throw invalid(file, path, `${quote(action)} needs the attribute's VR, which this selector does not give: select by keyword, tag or vr`)
  }
  const wrong = vrs.filter((vr) => !allowed.includes(vr))
  if (wrong.length > 0) throw invalid(file, path, `${quote(action)} applies to ${what} (${allowed.join(', ')}), not to ${vrs.join(' or ')}`)
}

function selectorOf (source: ProfileRuleSource, file: string, where: string): { selector: Selector, vrs: readonly VR[] | undefined } {
  const used = SELECTORS.filter((key) => source[key] !== undefined)
  if (used.length !== 1) throw invalid(file, where, `must select attributes by exactly one of keyword, tag, tagPattern, privateCreator (with group and element) or vr, not ${used.length === 0 ? 'none' : used.join(' and ')}`)
  if (source.privateCreator === undefined && (source.group !== undefined || source.element !== undefined)) {
    throw invalid(file, where, 'has group or element without privateCreator')
  }
  if (source.keyword !== undefined) {
    const keyword = source.keyword
    const tag = tagForKeyword(keyword)
    const entry = tag === undefined ? undefined : lookupTag(tag)
    if (tag === undefined || entry === undefined) throw invalid(file, `${where}.keyword`, `${quote(keyword)} is not a DICOM keyword${didYouMean(keyword, allKeywords())}`)
    if (entry.vrs.length === 0 || isGroupLengthTag(tag)) throw invalid(file, `${where}.keyword`, `${quote(keyword)} is not an attribute a rule can select (an item delimiter or a group length)`)
    // A repeating-group element (PS3.5 §7.6: OverlayData in 6000-601E) is selected in every group.
    if (entry.mask !== 0xffffffff) return { selector: { kind: 'pattern', mask: entry.mask, value: (entry.tag & entry.mask) >>> 0 }, vrs: entry.vrs }
    return { selector: { kind: 'tag', tag }, vrs: entry.vrs }
  }
  if (source.tag !== undefined) {
    const tag = parseTag(source.tag)
    const path = `${where}.tag`
    if (tag === undefined) throw invalid(file, path, `${quote(source.tag)} is not a tag: write it as "(0010,0010)" or "00100010"`)
    if (isPrivateTag(tag)) throw invalid(file, path, `${quote(source.tag)} is private: select it by privateCreator, group and element`)
    if (isGroupLengthTag(tag) || tag >>> 16 === 0xfffe) throw invalid(file, path, `${quote(source.tag)} is a group length or an item delimiter, which no rule selects`)
    const vrs = lookupTag(tag)?.vrs
    return { selector: { kind: 'tag', tag }, vrs: vrs === undefined || vrs.length === 0 ? undefined : vrs }
  }
  if (source.tagPattern !== undefined) {
    const pattern = parseTagPattern(source.tagPattern)
    const path = `${where}.tagPattern`
    if (pattern === undefined && parseTag(source.tagPattern) !== undefined) throw invalid(file, path, `${quote(source.tagPattern)} has no x: select one attribute with "tag"`)
    if (pattern === undefined) throw invalid(file, path, `${quote(source.tagPattern)} is not a tag pattern: eight hex digits where x is any digit, e.g. "(60xx,3000)"`)
    return { selector: { kind: 'pattern', ...pattern }, vrs: undefined }
  }
  if (source.privateCreator !== undefined) {
    const creator = source.privateCreator.trim()
    if (creator === '' || creator.length > 64 || creator.includes('\\')) throw invalid(file, `${where}.privateCreator`, `${quote(source.privateCreator)} is not a private creator (1 to 64 characters of LO, no backslash)`)
    const group = parseInt(source.group ?? '', 16)
    const element = parseInt(source.element ?? '', 16)
    if (!/^[0-9A-Fa-f]{4}$/.test(source.group ?? '') || (group & 1) !== 1 || group <= 0x0008 || group === 0xffff) {
      throw invalid(file, `${where}.group`, `${quote(source.group)} is not a private group: four hex digits, odd, 0009 to FFFD`)
    }
    if (!/^[0-9A-Fa-f]{2}$/.test(source.element ?? '')) throw invalid(file, `${where}.element`, `${quote(source.element)} is not the two hex digits ee of (gggg,xxee)`)
    return { selector: { kind: 'private', creator, group, element }, vrs: undefined }
  }
  const vr = source.vr ?? ''
  if (!isVR(vr)) throw invalid(file, `${where}.vr`, `${quote(vr)} is not a VR of PS3.5 Table 6.2-1`)
  return { selector: { kind: 'vr', vr }, vrs: [vr] }
}

const PROFILE_ACTIONS: readonly string[] = [...Object.keys(TABLE_OPERATIONS), 'C', 'P', 'Y']

function isProfileAction (value: unknown): value is ProfileAction {
  return typeof value === 'string' && PROFILE_ACTIONS.includes(value)
}

/** Compiles `rules[index]` of `file`. */
export function compileRule (source: ProfileRuleSource, index: number, file: string): ProfileRule {
  const where = `rules[${index}]`
  const { selector, vrs } = selectorOf(source, file, where)
  const action: unknown = source.action
  if (!isProfileAction(action)) throw invalid(file, `${where}.action`, `${quote(action)} is not an action: ${PROFILE_ACTIONS.join(', ')}`)
  if (source.format !== undefined && action !== 'P') throw invalid(file, `${where}.format`, 'applies to action P only')
  const at = `${where}.action`
  let operation: Operation
  let format: string | undefined
  switch (action) {
    case 'C':
      operation = cleanOperation(vrs)
      break
    case 'P':
      requireVRs(action, vrs, Object.keys(TEXT_MAX_LENGTH).filter(isVR), 'text', file, at)
      format = source.format ?? DEFAULT_PSEUDONYM_FORMAT
      checkFormat(format, vrs ?? [], file, source.format === undefined ? at : `${where}.format`)
      operation = 'pseudonym'
      break
    case 'Y':
      requireVRs(action, vrs, ['DA', 'DT'], 'dates', file, at)
      operation = 'year'
      break
    case 'U':
      requireVRs(action, vrs, ['UI'], 'UIDs', file, at)
      operation = 'uid'
      break
    case 'X/Z/U*':
      requireVRs(action, vrs, ['SQ'], 'sequences', file, at)
      operation = TABLE_OPERATIONS[action]
      break
    default:
      operation = TABLE_OPERATIONS[action]
  }
  const rule: CompiledRule = Object.freeze({
    operation,
    source: Object.freeze({ kind: 'rule' as const, file, index, code: action }),
    ...(format === undefined ? {} : { format }),
    ...(source.note === undefined ? {} : { note: source.note })
  })
  return Object.freeze({ selector: Object.freeze(selector), rule })
}
