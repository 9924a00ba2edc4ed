/**
 * The rule for one attribute where it stands: the profile's rule (profile/lookup.ts) plus
 * what depends on the attribute's surroundings, the same for the Part 10 and JSON forms:
 * its private creator (PS3.5 §7.8.1), the sequence it is in, the marker attributes written
 * anew, and overlay planes that go as a whole.
 */

import { lookupTag } from '../dicom/dictionary.js'
import { isGroupLengthTag, isPrivateCreatorTag, isPrivateTag, makeTag, type Tag } from '../dicom/tags.js'
import type { VR } from '../dicom/vr.js'
import { isMarkerTag } from './markers.js'
import { ruleFor } from './profile/lookup.js'
import type { CompiledProfile, CompiledRule, Operation } from './profile/types.js'

const TEXT_VALUE = makeTag(0x0040, 0xa160)
const UNFORMATTED_TEXT_VALUE = makeTag(0x0070, 0x0006)

/**
 * Inside a sequence replaced by a dummy (D: Content Sequence, Graphic Annotation Sequence)
 * the free text that no row names is replaced too; inside a sequence under a Clean option it
 * is cleaned. A stricter rule for the attribute (remove, empty) still wins.
 */
const INSIDE_DUMMY: ReadonlyMap<Tag, Operation> = new Map([[TEXT_VALUE, 'dummy'], [UNFORMATTED_TEXT_VALUE, 'dummy']])
const INSIDE_CLEAN: ReadonlyMap<Tag, Operation> = new Map([[TEXT_VALUE, 'clean-text'], [UNFORMATTED_TEXT_VALUE, 'clean-text']])

/**
 * What a sequence replaced by a dummy (D and the compounds that resolve to it) or cleaned (C)
 * does to the attributes inside it that no row names: Table E.1-1 lists the identifying
 * attributes, but inside such a sequence the codes and texts (Code Meaning of an
 * Institution Code Sequence, of an Admitting Diagnoses Code Sequence) are its value.
 * `dummy`: free text, names and dates in no row are replaced; `clean`: free text is cleaned.
 */
export type InsideMode = 'none' | 'dummy' | 'clean'

/** What a dataset level (the top level or an item) contributes to the rules inside it. */
export interface LevelScope {
  readonly top: boolean
  /** Private creators of this level: key `creatorKey` → creator (trimmed). */
  readonly creators: ReadonlyMap<number, string> | null
  /** Operations that replace the profile's inside the enclosing sequence. */
  readonly overrides: ReadonlyMap<Tag, Operation> | null
  readonly mode: InsideMode
}

const DUMMY_INSIDE_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN', 'DA', 'DT', 'TM', 'AE', 'UR'])
const CLEAN_INSIDE_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN'])

/** The rule for an attribute of `level`, or null when it is dropped outright. */
export function attributeRule (profile: CompiledProfile, tag: Tag, vr: VR, level: LevelScope): CompiledRule | null {
  if (isGroupLengthTag(tag)) return null
  if (level.top && isMarkerTag(tag)) return null // the engine writes its own
  if (isPrivateTag(tag)) {
    const creator = level.creators?.get(isPrivateCreatorTag(tag) ? creatorKey(tag) : dataCreatorKey(tag))
    return ruleFor(profile, tag, vr, creator)
  }
  if (isOverlayTag(tag) && (tag & 0xffff) !== 0x3000 && !keepsOverlay(profile, tag)) return null
  const rule = ruleFor(profile, tag, vr)
  // An even-group attribute that is not in the dictionary (e.g. in reserved group 0001) is
  // no standard attribute: Table E.1-1 cannot have meant to keep it (fail closed).
  if (rule.source.kind === 'default' && rule.operation === 'keep') {
    if (lookupTag(tag) === undefined) return null
    if (level.mode === 'dummy' && DUMMY_INSIDE_VRS.has(vr)) return { operation: 'dummy', source: rule.source }
    if (level.mode === 'clean' && CLEAN_INSIDE_VRS.has(vr)) return { operation: 'clean-text', source: rule.source }
  }
  const override = level.overrides?.get(tag)
  if (override !== undefined && rule.operation !== 'remove' && rule.operation !== 'empty') {
    return { operation: override, source: rule.source }
  }
  return rule
}

/** The overrides the items of a kept sequence get (see INSIDE_DUMMY). */
export function insideOverrides (sequenceOperation: Operation, outer: ReadonlyMap<Tag, Operation> | null): ReadonlyMap<Tag, Operation> | null {
  if (sequenceOperation === 'dummy') return INSIDE_DUMMY
  if (sequenceOperation.startsWith('clean-')) return INSIDE_CLEAN
  return outer
}

/** The mode the items of a kept sequence get under its rule (see InsideMode); the stricter wins. */
export function insideMode (rule: CompiledRule, outer: InsideMode): InsideMode {
  switch (rule.operation) {
    case 'dummy': case 'remove-or-dummy': case 'empty-or-dummy': case 'remove-empty-or-dummy':
      return 'dummy'
    default:
      if (outer === 'dummy') return outer
      if (rule.operation.startsWith('clean-') || (rule.source.kind === 'table' && rule.source.code === 'C')) return 'clean'
      return outer
  }
}

/** What a sequence's operation means for the sequence itself (Table E.1-1a). */
export function sequenceOperation (op: Operation): 'remove' | 'empty' | 'keep' {
  switch (op) {
    case 'remove': return 'remove'
    case 'empty': case 'remove-or-empty': return 'empty'
    // D, K, C, U and the other compounds on a sequence: keep it and clean every item; an
    // input sequence without items stays without (Z when it was empty, see values.ts).
    default: return 'keep'
  }
}

/**
 * An overlay plane (group 60xx, PS3.3 §C.9.2) goes as a whole when its Overlay Data goes:
 * a plane without its bitmap would be invalid, and its label and description are text.
 */
function keepsOverlay (profile: CompiledProfile, tag: Tag): boolean {
  return ruleFor(profile, ((tag & 0xffff0000) | 0x3000) >>> 0, 'OW').operation === 'keep'
}

/** Overlay groups 6000-601E, even (PS3.3 §C.9.2). */
function isOverlayTag (tag: Tag): boolean {
  const group = tag >>> 16
  return group >= 0x6000 && group <= 0x601e && (group & 1) === 0
}

/**
 * The VR to act on: the encoded one, or for UN the dictionary's (PS3.5 §6.2.2: UN holds the
 * Implicit VR LE encoding of the value). undefined for a public UN of no known VR: it cannot
 * be interpreted, so it is removed.
 */
export function effectiveVR (tag: Tag, vr: VR): VR | undefined {
  if (vr !== 'UN' || isPrivateTag(tag)) return vr
  return lookupTag(tag)?.vr
}

/** Key of a private creator element (gggg,00bb) in `LevelScope.creators`. */
export function creatorKey (tag: Tag): number {
  return ((tag >>> 16) << 8) | (tag & 0xff)
}

/** Key of the creator of a private data element (gggg,bbxx). */
export function dataCreatorKey (tag: Tag): number {
  return ((tag >>> 16) << 8) | ((tag >>> 8) & 0xff)
}
