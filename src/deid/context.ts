/**
 * What the engine knows about one instance before it writes anything: the patient's own
 * identifying values (for Clean Descriptors, PS3.15 §E.3.5), the key of the per-patient
 * date shift (§E.3.6), and what the reject rules look at (SOP Class, Burned In Annotation).
 *
 * The Part 10 engine fills it from the attributes it holds back before writing (all of
 * groups 0002 to 0028); the JSON form fills it from the whole dataset.
 */

import { makeTag, type Tag } from '../dicom/tags.js'
import { compileIdentifiers, type IdentifierMatcher, type PatientIdentifiers } from './clean-text.js'
import { patientDayOffset, patientKey, type DeidKeys } from '../pseudonym/keys.js'
import type { CompiledProfile } from './profile/types.js'

/**
 * A pseudonym as it is made: the attribute it replaces a value of, the pseudonym, and the
 * original (PHI: for the mapping store only, src/store/, which encrypts it at rest).
 */
export interface PseudonymMapping {
  readonly tag: Tag
  readonly pseudonym: string
  readonly original: string
}

/** Called once per distinct pseudonym of an instance, synchronously, as it is made. */
export type MappingListener = (mapping: PseudonymMapping) => void

type IdentifierKind = keyof PatientIdentifiers

/**
 * Attributes whose values identify the patient (or people and places close to them): found
 * in any free text the profile keeps under Clean Descriptors, they are removed from it.
 */
export const IDENTIFYING_TAGS: ReadonlyMap<Tag, IdentifierKind> = new Map<Tag, IdentifierKind>([
  [makeTag(0x0010, 0x0010), 'names'],
  [makeTag(0x0010, 0x1001), 'names'], // Other Patient Names
  [makeTag(0x0010, 0x1005), 'names'], // Patient's Birth Name
  [makeTag(0x0010, 0x1060), 'names'], // Patient's Mother's Birth Name
  [makeTag(0x0010, 0x2297), 'names'], // Responsible Person
  [makeTag(0x0008, 0x0090), 'names'], // Referring Physician's Name
  [makeTag(0x0008, 0x1048), 'names'], // Physician(s) of Record
  [makeTag(0x0008, 0x1050), 'names'], // Performing Physician's Name
  [makeTag(0x0008, 0x1060), 'names'], // Name of Physician(s) Reading Study
  [makeTag(0x0008, 0x1070), 'names'], // Operators' Name
  [makeTag(0x0010, 0x0020), 'ids'],
  [makeTag(0x0010, 0x1000), 'ids'], // Other Patient IDs
  [makeTag(0x0010, 0x1090), 'ids'], // Medical Record Locator
  [makeTag(0x0010, 0x1050), 'ids'], // Insurance Plan Identification
  [makeTag(0x0008, 0x0050), 'ids'], // Accession Number
  [makeTag(0x0020, 0x0010), 'ids'], // Study ID
  [makeTag(0x0010, 0x0030), 'dates'], // Patient's Birth Date
  [makeTag(0x0008, 0x0020), 'dates'], // Study Date
  [makeTag(0x0008, 0x0021), 'dates'], // Series Date
  [makeTag(0x0008, 0x0022), 'dates'], // Acquisition Date
  [makeTag(0x0008, 0x0023), 'dates'], // Content Date
  [makeTag(0x0010, 0x1040), 'addresses'], // Patient's Address
  [makeTag(0x0008, 0x0081), 'addresses'], // Institution Address
  [makeTag(0x0010, 0x2152), 'addresses'], // Region of Residence
  [makeTag(0x0010, 0x2154), 'phones'], // Patient's Telephone Numbers
  [makeTag(0x0010, 0x2155), 'phones'], // Patient's Telecom Information
  [makeTag(0x0010, 0x2180), 'other'], // Occupation
  [makeTag(0x0008, 0x0080), 'other'] // Institution Name
])

/** Top-level attributes the context keeps by value. */
export const CONTEXT_TAGS = {
  PatientID: makeTag(0x0010, 0x0020),
  IssuerOfPatientID: makeTag(0x0010, 0x0021),
  PatientName: makeTag(0x0010, 0x0010),
  PatientBirthDate: makeTag(0x0010, 0x0030),
  SOPClassUID: makeTag(0x0008, 0x0016),
  SOPInstanceUID: makeTag(0x0008, 0x0018),
  BurnedInAnnotation: makeTag(0x0028, 0x0301)
} as const

export class InstanceContext {
  readonly keys: DeidKeys
  readonly profile: CompiledProfile
  /** Identifying values by the attribute they were read from. */
  readonly #identifiers = new Map<Tag, { kind: IdentifierKind, values: string[] }>()
  /** Top-level values by tag (CONTEXT_TAGS), without padding. */
  readonly #top = new Map<Tag, string>()
  #matcher: IdentifierMatcher | undefined
  /** Matchers that leave out one attribute's own values (see `matcherFor`). */
  readonly #matchersWithout = new Map<Tag, IdentifierMatcher>()
  #dayOffset: number | undefined
  readonly #onMapping: MappingListener | undefined
  /** Pseudonyms of this instance already reported: a study UID recurs in every reference. */
  readonly #reported: Set<string> | undefined

  constructor (profile: CompiledProfile, keys: DeidKeys, onMapping?: MappingListener) {
    this.profile = profile
    this.keys = keys
    this.#onMapping = onMapping
    this.#reported = onMapping === undefined ? undefined : new Set()
  }

  /** Reports a pseudonym (keyed UID or pseudonym text) made for attribute `tag`; returns it. */
  mapped (tag: Tag, pseudonym: string, original: string): string {
    if (this.#onMapping !== undefined && pseudonym !== original) {
      const reported = this.#reported as Set<string>
      if (!reported.has(pseudonym)) {
        reported.add(pseudonym)
        this.#onMapping({ tag, pseudonym, original })
      }
    }
    return pseudonym
  }

  /** Records a value of an identifying attribute (any depth) or a top-level context value. */
  record (tag: Tag, values: readonly string[], topLevel: boolean): void {
    const kind = IDENTIFYING_TAGS.get(tag)
    if (kind !== undefined) {
      let entry = this.#identifiers.get(tag)
      if (entry === undefined) this.#identifiers.set(tag, entry = { kind, values: [] })
      for (const v of values) if (v.trim().length > 0) entry.values.push(v.trim())
    }
    if (topLevel) this.#top.set(tag, values.join('\\').trim())
  }

  top (tag: Tag): string | undefined {
    return this.#top.get(tag)
  }

  /**
   * Matches the patient's identifying values in the free text of attribute `tag` (compiled
   * on first use). An identifying attribute that is itself cleaned (Occupation under Retain
   * Patient Characteristics) is matched against the others only: its own value is what is
   * being kept, so matching it against itself would always mask it.
   */
  matcherFor (tag: Tag): IdentifierMatcher {
    if (!this.#identifiers.has(tag)) {
      this.#matcher ??= this.#compile(undefined)
      return this.#matcher
    }
    let matcher = this.#matchersWithout.get(tag)
    if (matcher === undefined) this.#matchersWithout.set(tag, matcher = this.#compile(tag))
    return matcher
  }

  #compile (without: Tag | undefined): IdentifierMatcher {
    const ids: { [K in IdentifierKind]: string[] } = { names: [], ids: [], dates: [], addresses: [], phones: [], other: [] }
    for (const [tag, entry] of this.#identifiers) if (tag !== without) ids[entry.kind].push(...entry.values)
    return compileIdentifiers(ids)
  }

  /** The keyed per-patient date shift in days (PS3.15 §E.3.6), computed on first use. */
  get dayOffset (): number {
    if (this.#dayOffset === undefined) {
      const key = patientKey({
        patientId: this.#top.get(CONTEXT_TAGS.PatientID) ?? '',
        issuer: this.#top.get(CONTEXT_TAGS.IssuerOfPatientID) ?? '',
        name: this.#top.get(CONTEXT_TAGS.PatientName) ?? '',
        birthDate: this.#top.get(CONTEXT_TAGS.PatientBirthDate) ?? ''
      })
      this.#dayOffset = patientDayOffset(this.keys, key, this.profile.dateShift.minDays, this.profile.dateShift.maxDays)
    }
    return this.#dayOffset
  }
}

/** True for attributes the context wants to see (so the engine decodes only those). */
export function isContextTag (tag: Tag): boolean {
  return IDENTIFYING_TAGS.has(tag) || tag === CONTEXT_TAGS.IssuerOfPatientID || tag === CONTEXT_TAGS.SOPClassUID ||
    tag === CONTEXT_TAGS.SOPInstanceUID || tag === CONTEXT_TAGS.BurnedInAnnotation
}
