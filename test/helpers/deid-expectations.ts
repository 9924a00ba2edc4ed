/**
 * What a shipped profile must do to an attribute, derived for the leak tests (canary,
 * pseudo-phi) from the data the profile is made of, not from the engine's compiled tables:
 * PS3.15 Table E.1-1 (profiles/standard/ps3.15-e.1-1.json), Table E.3.10-1 (safe private)
 * and the profile files with their `extends` chain. The precedence mirrors docs/profiles.md:
 *
 *   tag or keyword rule → tag-pattern rule → VR rule → Table E.1-1 row → table pattern row
 *   → unlisted default (basic: keep; strict: remove)
 *
 * and, within a row, an enabled option's K beats its other codes, which beat C (dicomgate's
 * reading of several option columns; PS3.15 E.3 leaves it open).
 *
 * The answer is an `Expectation`: whether the original value may survive. A leak test plants
 * values and asserts that every value whose expectation says "must not survive" is absent.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { lookupTag, tagForKeyword } from '../../src/dicom/dictionary.js'
import { parseTag, type Tag } from '../../src/dicom/tags.js'
import type { VR } from '../../src/dicom/vr.js'
import { REPO_ROOT } from './corpus.js'
import type { ProfileRuleSource } from '../../src/deid/profile/types.js'

/**
 * - remove: the value must not survive (removed, emptied, dummy, pseudonym, new UID, date
 *   shifted or cut to its year: for a date, the original date must not survive);
 * - clean: free text kept with the patient's identifiers masked (Clean Descriptors, E.3.5);
 * - keep: kept as it is (K; times under Modified Dates, E.3.6; ages, capped);
 * - keep-items: a sequence kept, its items processed attribute by attribute (K);
 * - clean-items: a sequence kept under a Clean option, its free text cleaned (C);
 * - dummy-items: a sequence whose action is D, X/D, Z/D or X/Z/D (Table E.1-1a: replaced
 *   with dummy content), so nothing it holds may survive as it was;
 * - uid-items: X/Z/U*, a reference sequence kept with the UIDs inside it replaced.
 */
export type Expectation = 'remove' | 'clean' | 'keep' | 'keep-items' | 'clean-items' | 'dummy-items' | 'uid-items'

export interface Judgement {
  readonly expectation: Expectation
  /** Where it came from, for messages: 'Table E.1-1 (0010,0010) basic Z', 'research.json rule P'. */
  readonly because: string
}

export const SHIPPED_DEID_PROFILES = ['basic', 'research', 'safe-harbor', 'strict'] as const
export type ShippedProfile = typeof SHIPPED_DEID_PROFILES[number]

const PROFILES_DIR = join(REPO_ROOT, 'profiles')
const STANDARD_DIR = join(PROFILES_DIR, 'standard')

// ── the standard's tables ───────────────────────────────────────────────────────────────

interface RowJson {
  readonly tag?: string
  readonly pattern?: string
  readonly private?: boolean
  readonly keyword?: string
  readonly basic: string
  readonly options?: Readonly<Record<string, string>>
}

export interface TableRow {
  readonly text: string
  readonly tag: Tag | undefined
  readonly pattern: { readonly mask: number, readonly value: number } | undefined
  readonly private: boolean
  readonly keyword: string | undefined
  readonly basic: string
  readonly options: Readonly<Record<string, string>>
}

function readJson (file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8'))
}

function parsePattern (text: string): { mask: number, value: number } | undefined {
  const m = /^\(?([0-9A-Fa-fx]{4}),?([0-9A-Fa-fx]{4})\)?$/.exec(text.trim())
  if (m === null) return undefined
  let mask = 0
  let value = 0
  for (const digit of `${m[1] ?? ''}${m[2] ?? ''}`) {
    const free = digit === 'x'
    mask = mask * 16 + (free ? 0 : 0xf)
    value = value * 16 + (free ? 0 : parseInt(digit, 16))
  }
  return { mask: mask >>> 0, value: value >>> 0 }
}

let rows: readonly TableRow[] | undefined

/** Table E.1-1 as shipped (profiles/standard/ps3.15-e.1-1.json). */
export function tableRows (): readonly TableRow[] {
  rows ??= ((readJson(join(STANDARD_DIR, 'ps3.15-e.1-1.json')) as { rows: RowJson[] }).rows).map((r) => ({
    text: r.tag ?? r.pattern ?? 'private',
    tag: r.tag === undefined ? undefined : parseTag(r.tag),
    pattern: r.pattern === undefined ? undefined : parsePattern(r.pattern),
    private: r.private === true,
    keyword: r.keyword,
    basic: r.basic,
    options: r.options ?? {}
  }))
  return rows
}

let rowByTag: Map<Tag, TableRow> | undefined

function tableRow (tag: Tag): TableRow | undefined {
  rowByTag ??= new Map(tableRows().filter((r) => r.tag !== undefined).map((r) => [r.tag as Tag, r]))
  return rowByTag.get(tag)
}

function tablePatternRow (tag: Tag): TableRow | undefined {
  return tableRows().find((r) => r.pattern !== undefined && ((tag & r.pattern.mask) >>> 0) === r.pattern.value)
}

export interface SafePrivateEntry { readonly creator: string, readonly group: number, readonly element: number }

let safePrivate: readonly SafePrivateEntry[] | undefined

/** Table E.3.10-1, safe private attributes. */
export function safePrivateRows (): readonly SafePrivateEntry[] {
  safePrivate ??= (readJson(join(STANDARD_DIR, 'ps3.15-e.3.10-1.json')) as { rows: Array<{ creator: string, group: string, element: string }> }).rows
    .map((r) => ({ creator: r.creator.trim(), group: parseInt(r.group, 16), element: parseInt(r.element, 16) }))
  return safePrivate
}

// ── the profile files ───────────────────────────────────────────────────────────────────

/** A rule as a profile file writes it (the file format, not the compiler's reading of it). */
type RuleJson = ProfileRuleSource

interface ProfileJson {
  readonly name: string
  readonly extends?: string
  readonly mode?: string
  readonly options?: readonly string[]
  readonly rules?: readonly RuleJson[]
}

interface RuleEntry { readonly rule: RuleJson, readonly file: string }

export interface ProfileFacts {
  readonly name: string
  readonly mode: string
  readonly options: ReadonlySet<string>
  readonly byTag: ReadonlyMap<Tag, RuleEntry>
  readonly patterns: ReadonlyArray<{ readonly mask: number, readonly value: number, readonly entry: RuleEntry }>
  readonly byVR: ReadonlyMap<string, RuleEntry>
  readonly privateRules: ReadonlyMap<string, RuleEntry>
}

const facts = new Map<string, ProfileFacts>()

/** A shipped profile as its files say, `extends` followed (parents first, children win). */
export function profileFacts (name: string): ProfileFacts {
  const cached = facts.get(name)
  if (cached !== undefined) return cached
  const chain: Array<{ json: ProfileJson, file: string }> = []
  for (let n: string | undefined = name; n !== undefined;) {
    const file = `${n}.json`
    const json = readJson(join(PROFILES_DIR, file)) as ProfileJson
    chain.unshift({ json, file })
    n = json.extends
  }
  let mode = 'basic'
  const options = new Set<string>()
  const byTag = new Map<Tag, RuleEntry>()
  const patterns: Array<{ mask: number, value: number, entry: RuleEntry }> = []
  const byVR = new Map<string, RuleEntry>()
  const privateRules = new Map<string, RuleEntry>()
  for (const { json, file } of chain) {
    mode = json.mode ?? mode
    for (const o of json.options ?? []) options.add(o)
    for (const rule of json.rules ?? []) {
      const entry = { rule, file }
      if (rule.keyword !== undefined) {
        const tag = tagForKeyword(rule.keyword)
        if (tag === undefined) throw new Error(`${file}: unknown keyword ${rule.keyword}`)
        byTag.set(tag, entry)
      } else if (rule.tag !== undefined) {
        const tag = parseTag(rule.tag)
        if (tag === undefined) throw new Error(`${file}: bad tag ${rule.tag}`)
        byTag.set(tag, entry)
      } else if (rule.tagPattern !== undefined) {
        const p = parsePattern(rule.tagPattern)
        if (p === undefined) throw new Error(`${file}: bad pattern ${rule.tagPattern}`)
        patterns.push({ ...p, entry })
      } else if (rule.vr !== undefined) {
        byVR.set(rule.vr, entry)
      } else if (rule.privateCreator !== undefined) {
        privateRules.set(`${rule.privateCreator.trim()}|${parseInt(rule.group ?? '', 16)}|${parseInt(rule.element ?? '', 16)}`, entry)
      }
    }
  }
  const result = { name, mode, options, byTag, patterns, byVR, privateRules }
  facts.set(name, result)
  return result
}

// ── the judgement ───────────────────────────────────────────────────────────────────────

/**
 * The VRs Clean Descriptors rewrites as text (PS3.15 E.3.5; docs/profiles.md): other VRs keep
 * the basic action (CS holds defined terms, not typed text).
 */
const CLEANABLE: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN'])
const DATE_VRS: ReadonlySet<string> = new Set(['DA', 'DT'])
/** File meta the engine keeps (PS3.10 §7.1); everything else of group 0002 is written anew. */
const META_KEPT: ReadonlySet<Tag> = new Set([0x00020000, 0x00020001, 0x00020002, 0x00020010])

/** An action code (table or profile) as an expectation for an element of VR `vr`. */
function fromCode (code: string, vr: VR): Expectation {
  if (vr === 'SQ') {
    switch (code) {
      case 'K': return 'keep-items'
      case 'X': case 'Z': case 'X/Z': return 'remove'
      case 'X/Z/U*': return 'uid-items'
      case 'C': return 'clean-items'
      default: return 'dummy-items' // D, X/D, Z/D, X/Z/D: Table E.1-1a, "replace with a dummy value"
    }
  }
  return code === 'K' ? 'keep' : 'remove'
}

/** Among enabled options with an action for the row: K first, any other code, C last (docs/profiles.md). */
function decide (row: TableRow, options: ReadonlySet<string>): { code: string, option: string | undefined } {
  let best: { code: string, option: string | undefined } = { code: row.basic, option: undefined }
  let rank = 3
  for (const [option, code] of Object.entries(row.options)) {
    if (!options.has(option)) continue
    const r = code === 'K' ? 0 : code === 'C' ? 2 : 1
    if (r < rank) {
      best = { code, option }
      rank = r
    }
  }
  return best
}

function fromRow (row: TableRow, vr: VR, options: ReadonlySet<string>, profile: string): Judgement {
  const { code, option } = decide(row, options)
  const because = `Table E.1-1 ${row.text} ${option ?? 'basic'} ${code} (${profile})`
  // Under Modified Dates every date of a row that option modifies is shifted, even where
  // another option keeps the row (Retain Device Identity on calibration dates): one real date
  // beside shifted ones would give the shift away (PS3.15 E.3.6; docs/profiles.md).
  if (code === 'K' && DATE_VRS.has(vr) && options.has('retainLongitudinalModifiedDates') && row.options.retainLongitudinalModifiedDates === 'C') {
    return { expectation: 'remove', because: `${because}, but retainLongitudinalModifiedDates C: a date must be shifted, not kept (E.3.6)` }
  }
  if (code !== 'C') return { expectation: fromCode(code, vr), because }
  // C: what cleaning means depends on the column (PS3.15 E.3.5-E.3.8).
  switch (option) {
    case 'retainLongitudinalModifiedDates':
      if (DATE_VRS.has(vr)) return { expectation: 'remove', because: `${because}: shifted` }
      if (vr === 'TM') return { expectation: 'keep', because: `${because}: times kept with whole-day shifts (E.3.6)` }
      break
    case 'cleanDescriptors': case 'retainPatientCharacteristics':
      if (vr === 'SQ') return { expectation: 'clean-items', because }
      if (CLEANABLE.has(vr)) return { expectation: 'clean', because }
      break
    case 'retainDeviceIdentity':
      if (vr === 'AE') return { expectation: 'remove', because: `${because}: pseudonym` }
      break
    default:
      return { expectation: vr === 'SQ' ? 'clean-items' : 'remove', because }
  }
  return { expectation: fromCode(row.basic, vr), because: `${because}: C does not apply to ${vr}, basic ${row.basic}` }
}

function fromRule (entry: RuleEntry, vr: VR, profile: string): Judgement {
  const code = entry.rule.action
  const because = `${entry.file} rule ${code} (${profile})`
  if (code === 'C') {
    if (DATE_VRS.has(vr)) return { expectation: 'remove', because }
    if (vr === 'TM') return { expectation: 'keep', because }
    return { expectation: vr === 'SQ' ? 'clean-items' : 'clean', because }
  }
  return { expectation: fromCode(code, vr), because } // P, Y and the table codes
}

function isOverlayGroup (group: number): boolean {
  return group >= 0x6000 && group <= 0x601e && (group & 1) === 0
}

/**
 * What `profile` must do with the attribute `tag` of VR `vr`; `creator` is the private
 * creator of its block for a private data element. Passthrough keeps everything.
 */
export function judge (profile: string, tag: Tag, vr: VR, creator?: string): Judgement {
  if (profile === 'passthrough') return { expectation: vr === 'SQ' ? 'keep-items' : 'keep', because: 'passthrough' }
  const p = profileFacts(profile)
  const group = tag >>> 16
  const element = tag & 0xffff
  if (group === 0x0002) {
    return META_KEPT.has(tag)
      ? { expectation: 'keep', because: 'file meta (PS3.10 §7.1)' }
      : { expectation: 'remove', because: 'file meta written anew (PS3.10 §7.1)' }
  }
  if ((group & 1) === 1 && group > 0x0008 && group !== 0xffff) return judgePrivate(p, group, element, creator)
  const exact = p.byTag.get(tag)
  if (exact !== undefined) return fromRule(exact, vr, profile)
  const pattern = p.patterns.find((q) => ((tag & q.mask) >>> 0) === q.value)
  if (pattern !== undefined) return fromRule(pattern.entry, vr, profile)
  // An overlay plane goes as a whole with its Overlay Data (PS3.3 §C.9.2: a plane without
  // its bitmap is invalid; its label and description are free text).
  if (isOverlayGroup(group) && element !== 0x3000) {
    const data = judge(profile, ((tag & 0xffff0000) | 0x3000) >>> 0, 'OW')
    if (data.expectation !== 'keep') return { expectation: 'remove', because: `overlay plane goes with its Overlay Data: ${data.because}` }
  }
  const byVR = p.byVR.get(vr)
  if (byVR !== undefined) return fromRule(byVR, vr, profile)
  const row = tableRow(tag) ?? tablePatternRow(tag)
  if (row !== undefined) return fromRow(row, vr, p.options, profile)
  if (p.mode === 'strict') return { expectation: 'remove', because: `in no row, strict (${profile})` }
  return { expectation: vr === 'SQ' ? 'keep-items' : 'keep', because: `in no row, basic mode keeps it (${profile})` }
}

function judgePrivate (p: ProfileFacts, group: number, element: number, creator: string | undefined): Judgement {
  const safe = p.options.has('retainSafePrivate')
  const c = creator?.trim()
  if (element >= 0x0010 && element <= 0x00ff) {
    // A creator element stays when something of its block may stay (PS3.5 §7.8.1).
    const kept = c !== undefined && ((safe && safePrivateRows().some((r) => r.creator === c && r.group === group)) ||
      [...p.privateRules.entries()].some(([k, e]) => k.startsWith(`${c}|${group}|`) && e.rule.action !== 'X'))
    return kept ? { expectation: 'keep', because: `creator of a kept private block (${p.name})` } : { expectation: 'remove', because: `private creator (${p.name})` }
  }
  if (c !== undefined && element >= 0x1000) {
    const byte = element & 0xff
    const rule = p.privateRules.get(`${c}|${group}|${byte}`)
    if (rule !== undefined) return { expectation: fromCode(rule.rule.action, 'UN'), because: `${rule.file} private rule (${p.name})` }
    if (safe && safePrivateRows().some((r) => r.creator === c && r.group === group && r.element === byte)) {
      return { expectation: 'keep', because: `Table E.3.10-1 safe private (${p.name})` }
    }
  }
  return { expectation: 'remove', because: `Table E.1-1 private attributes X (${p.name})` }
}

/** The VR to judge an element by: its own, or for UN the dictionary's (PS3.5 §6.2.2). */
export function judgedVR (tag: Tag, vr: VR): VR {
  if (vr !== 'UN') return vr
  return lookupTag(tag)?.vr ?? 'UN'
}

/**
 * Whether a value planted at `leaf` (inside the sequences `ancestors`, outermost first) may
 * not survive `profile`. `descriptor`: the planted value is a patient identifier embedded in
 * free text, which Clean Descriptors must remove while keeping the text around it.
 */
export function mustVanish (leaf: Judgement, ancestors: readonly Judgement[], descriptor: boolean): boolean {
  if (leaf.expectation === 'remove' || (descriptor && leaf.expectation === 'clean')) return true
  return ancestors.some((a) => a.expectation === 'remove' || a.expectation === 'dummy-items' || (descriptor && a.expectation === 'clean-items'))
}
