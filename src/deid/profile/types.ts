/**
 * Profiles: the source form (a JSON file in profiles/, described by
 * profiles/profile.schema.json) and the compiled form the engine runs on.
 *
 * A profile is data. It names the Table E.1-1 options it applies (PS3.15 §E.3), adds rules
 * that override the table per attribute, and says which instances to reject. The compiler
 * (compile.ts) resolves `extends`, checks every keyword, tag, option and action against the
 * dictionary and the standard's tables, and freezes the result into lookup tables keyed by
 * the tag as a uint32, so that the engine does one Map lookup per element.
 */

import type { Tag } from '../../dicom/tags.js'
import type { VR } from '../../dicom/vr.js'
import type { OptionName } from '../options.js'

// ── actions ─────────────────────────────────────────────────────────────────────────────

/** The action codes of PS3.15 Table E.1-1a, as they appear in Table E.1-1. */
export type TableAction = 'D' | 'Z' | 'X' | 'K' | 'C' | 'U' | 'Z/D' | 'X/Z' | 'X/D' | 'X/Z/D' | 'X/Z/U*'

/**
 * dicomgate's actions beyond Table E.1-1a, usable in profile rules:
 * - `P`: replace with a keyed pseudonym of the original value (a `D` whose dummy value is
 *   the same for the same input and key, so that records stay linkable).
 * - `Y`: keep the year of a date only (YYYY0101), as HIPAA Safe Harbor allows
 *   (45 CFR 164.514(b)(2)(i)(C)).
 */
export type ExtraAction = 'P' | 'Y'

export type ProfileAction = TableAction | ExtraAction

/**
 * What the engine does with one element, after the compiler has resolved `C` by the column
 * it came from and kept compound codes for the engine to resolve per element (see
 * `resolveCompound` in actions.ts: an attribute present in the input stays present).
 */
export type Operation =
  | 'remove'             // X
  | 'empty'              // Z (a sequence: no items)
  | 'dummy'              // D (a sequence: kept, items cleaned)
  | 'keep'               // K (a sequence: kept, items cleaned)
  | 'uid'                // U: keyed 2.25 UID
  | 'pseudonym'          // P, and C under Retain Device Identity (AE titles)
  | 'year'               // Y
  | 'shift-date'         // C under Retain Longitudinal Modified Dates: DA/DT shifted, TM kept
  | 'clean-text'         // C under Clean Descriptors / Retain Patient Characteristics
  | 'clean-structured'   // C under Clean Structured Content: content items per Table E.3.4-1
  | 'clean-graphics'     // C under Clean Graphics
  | 'empty-or-dummy'     // Z/D
  | 'remove-or-empty'    // X/Z
  | 'remove-or-dummy'    // X/D
  | 'remove-empty-or-dummy' // X/Z/D
  | 'remove-empty-or-uids'  // X/Z/U*

// ── where a decision came from (for `dicomgate profile show` and tests) ───────────────

export type RuleSource =
  /** A row of Table E.1-1; `column` is 'basicProfile' or the option column that decided. */
  | { readonly kind: 'table', readonly row: string, readonly column: string, readonly code: TableAction }
  /** A rule of a profile file: the file and the rule's index in its `rules` array. */
  | { readonly kind: 'rule', readonly file: string, readonly index: number, readonly code: ProfileAction }
  /** A default of the mode: attributes in no row (basic: keep; strict: remove), private. */
  | { readonly kind: 'default', readonly reason: string }
  /** Table E.3.10-1, safe private attributes, under Retain Safe Private. */
  | { readonly kind: 'safe-private', readonly creator: string }

export interface CompiledRule {
  readonly operation: Operation
  readonly source: RuleSource
  /** For `pseudonym`: the format, e.g. 'PAT-{hash:10}' (see docs/profiles.md). */
  readonly format?: string
  /** Free text from the profile rule, shown by `profile show`. */
  readonly note?: string
}

// ── the source form: a profile file ────────────────────────────────────────────────────

/** One override; exactly one of keyword, tag, tagPattern, privateCreator or vr selects. */
export interface ProfileRuleSource {
  readonly keyword?: string
  /** '(0010,0010)' or '00100010'. */
  readonly tag?: string
  /** 8 hex digits or x: '50xxxxxx', '(60xx,3000)'. */
  readonly tagPattern?: string
  /** Private creator (gggg,00xx) value, with `group` (odd, 4 hex) and `element` (2 hex, the low byte). */
  readonly privateCreator?: string
  readonly group?: string
  readonly element?: string
  readonly vr?: string
  readonly action: ProfileAction
  readonly format?: string
  readonly note?: string
}

export interface ProfileSource {
  readonly $schema?: string
  readonly name: string
  readonly description?: string
  /** Name of a shipped profile or a path relative to this file. */
  readonly extends?: string
  /** 'basic': attributes in no row are kept (PS3.15 §E.1.1); 'strict': removed unless a rule keeps them. */
  readonly mode?: 'basic' | 'strict' | 'passthrough'
  readonly options?: readonly OptionName[]
  readonly rules?: readonly ProfileRuleSource[]
  readonly reject?: {
    /** SOP Class UIDs or keywords of Table ps3.4 SOP classes (e.g. 'EncapsulatedPDFStorage'). */
    readonly sopClasses?: readonly string[]
    /** Reject instances with Burned In Annotation (0028,0301) = YES. */
    readonly burnedInAnnotation?: boolean
  }
  readonly dateShift?: {
    /** Range of the keyed per-patient shift in days, inclusive (default -3652..-1). */
    readonly minDays?: number
    readonly maxDays?: number
  }
  /** Originals kept encrypted in the Encrypted Attributes Sequence (PS3.15 §E.1.2). */
  readonly encryptedAttributes?: {
    /** Recipient certificate files (PEM), relative to the profile file. */
    readonly recipients: readonly string[]
    readonly cipher?: ContentCipher
  }
}

/** CMS content encryption of the Encrypted Attributes (RFC 3565: AES-CBC). */
export type ContentCipher = 'aes-256-cbc' | 'aes-128-cbc'

/** Where and how the originals are encrypted: recipients as absolute paths. */
export interface EncryptionSettings {
  readonly recipients: readonly string[]
  readonly cipher: ContentCipher
}

// ── the compiled form ───────────────────────────────────────────────────────────────────

export interface TagPatternRule {
  /** A tag matches when (tag & mask) === value. */
  readonly mask: number
  readonly value: number
  readonly rule: CompiledRule
}

export interface CodeItem {
  readonly codeValue: string
  readonly codingSchemeDesignator: string
  readonly codeMeaning: string
}

export interface CompiledProfile {
  readonly name: string
  readonly description: string
  /** The files it was compiled from, child first (for messages and `profile show`). */
  readonly files: readonly string[]
  readonly mode: 'basic' | 'strict' | 'passthrough'
  readonly options: ReadonlySet<OptionName>

  /** Public tags and profile tag rules (both merged; profile rules win). */
  readonly byTag: ReadonlyMap<Tag, CompiledRule>
  /** Tag patterns, most specific first (profile patterns before table patterns). */
  readonly patterns: readonly TagPatternRule[]
  /**
   * Private attributes by block: key `privateKey(creator, group, elementByte)`. Holds the
   * safe private attributes (E.3.10-1) under Retain Safe Private, and profile rules.
   */
  readonly privateRules: ReadonlyMap<string, CompiledRule>
  /**
   * Private blocks, key `privateBlockKey(creator, group)`, in which some element may stay
   * (a privateRules entry whose operation is not `remove`): their private creator element
   * (gggg,00xx) is kept, every other creator element removed (PS3.5 §7.8.1).
   */
  readonly keptPrivateBlocks: ReadonlySet<string>
  /** Profile VR rules, applied after tag rules and before the table. */
  readonly byVR: ReadonlyMap<VR, CompiledRule>
  /** Private attributes with no rule: remove (PS3.15 Table E.1-1, last row). */
  readonly privateDefault: CompiledRule
  /** Public attributes in no row and no rule: keep (basic) or remove (strict). */
  readonly unlistedDefault: CompiledRule

  /**
   * Content items by concept name and value type, key `structuredKey(scheme, value, valueType)`
   * (Table E.3.4-1 under the profile's options). Used inside sequences whose operation is
   * `clean-structured`: the rule applies to the content item's value.
   */
  readonly structuredContent: ReadonlyMap<string, CompiledRule>

  readonly reject: {
    readonly sopClasses: ReadonlySet<string>
    readonly burnedInAnnotation: boolean
  }
  readonly dateShift: { readonly minDays: number, readonly maxDays: number }
  /** Encrypted Attributes for these recipients, or null for none (the profile's or a parent's). */
  readonly encryption: EncryptionSettings | null

  /** De-identification Method (0012,0063): short text naming the profile. */
  readonly methodDescription: string
  /** De-identification Method Code Sequence (0012,0064) items: CID 7050 codes applied. */
  readonly methodCodes: readonly CodeItem[]
}

/** Key of `privateRules`: creator as stored (trailing spaces trimmed), odd group, low byte. */
export function privateKey (creator: string, group: number, elementByte: number): string {
  return `${creator.trim()}\u0000${group}\u0000${elementByte & 0xff}`
}

/** Key of `keptPrivateBlocks`: creator as stored (trailing spaces trimmed), odd group. */
export function privateBlockKey (creator: string, group: number): string {
  return `${creator.trim()}\u0000${group}`
}

/** Key of `structuredContent`: coding scheme, code value, content item Value Type (PS3.3 §C.17.3). */
export function structuredKey (scheme: string, value: string, valueType: string): string {
  return `${scheme.trim()}:${value.trim()}:${valueType.trim()}`
}
