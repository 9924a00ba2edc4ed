/**
 * What an operation does to the values of one attribute: the part of the engine shared by
 * the Part 10 form (bytes decoded to strings) and the DICOM JSON form (PS3.18 §F.2, strings
 * already). Values arrive split at the backslash (PS3.5 §6.4) for multi-valued VRs.
 *
 * An operation on a value either keeps the attribute with new values, empties it, or
 * removes it. What cannot be interpreted is never passed on: an unparsable date under
 * `shift-date` becomes an empty value, not the original.
 */

import type { Tag } from '../dicom/tags.js'
import type { VR } from '../dicom/vr.js'
import { capAge, shiftDate, shiftDateTime, yearOnlyDate, yearOnlyDateTime } from './dates.js'
import { cleanText } from './clean-text.js'
import type { InstanceContext } from './context.js'
import type { CompiledRule, Operation } from './profile/types.js'
import { keyedPseudonym, keyedUid } from '../pseudonym/keys.js'

/** The outcome for one attribute. `values` replace the originals; `null` keeps them as they are. */
export type ValueOutcome =
  | { readonly kind: 'remove' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'keep' }
  | { readonly kind: 'replace', readonly values: readonly string[] }
  | { readonly kind: 'dummy' }

const REMOVE: ValueOutcome = Object.freeze({ kind: 'remove' })
const EMPTY: ValueOutcome = Object.freeze({ kind: 'empty' })
const KEEP: ValueOutcome = Object.freeze({ kind: 'keep' })
const DUMMY: ValueOutcome = Object.freeze({ kind: 'dummy' })

/**
 * The compound codes of Table E.1-1a, resolved per attribute. dicomgate does not know the
 * Type (1, 2, 3) an attribute has in the IOD of each instance, so it keeps the input's own
 * evidence: an attribute present in the input stays present, so that a conformant input
 * stays conformant. X/Z becomes Z; X/D, Z/D and X/Z/D become D when the input value is
 * non-empty (it may be Type 1) and Z when it is empty (then it is not Type 1); X/Z/U*
 * replaces the UIDs it holds (for a sequence: keeps it and cleans its items).
 */
export function resolveCompound (operation: Operation, isEmpty: boolean): Operation {
  switch (operation) {
    case 'remove-or-empty': return 'empty'
    case 'empty-or-dummy':
    case 'remove-or-dummy':
    case 'remove-empty-or-dummy': return isEmpty ? 'empty' : 'dummy'
    case 'remove-empty-or-uids': return 'uid'
    default: return operation
  }
}

/** The VRs whose text is free text a person typed: what Clean Descriptors cleans. */
const TEXT_VRS: ReadonlySet<string> = new Set(['SH', 'LO', 'ST', 'LT', 'UT', 'UC', 'PN'])

/**
 * Applies a (non-compound, non-sequence) operation to the values of an attribute.
 * `values` are the decoded values without padding; for single-valued text VRs one value.
 */
export function applyToValues (rule: CompiledRule, operation: Operation, vr: VR, values: readonly string[], ctx: InstanceContext, tag: Tag): ValueOutcome {
  switch (operation) {
    case 'remove': return REMOVE
    case 'empty': return EMPTY
    case 'dummy': return vr === 'UI' ? mapValues(values, (v) => replaceUid(ctx, tag, v)) : DUMMY
    case 'keep': return vr === 'AS' ? mapChecked(values, capAge) : KEEP
    case 'uid': return vr === 'UI' ? mapValues(values, (v) => replaceUid(ctx, tag, v)) : DUMMY
    case 'pseudonym': {
      if (!TEXT_VRS.has(vr) && vr !== 'AE' && vr !== 'CS') return DUMMY
      const format = rule.format ?? '{hash:16}'
      // No per-attribute domain: the same value under the same format gets the same
      // pseudonym wherever it appears (a Patient ID also listed in Other Patient IDs links).
      return mapValues(values, (v) => ctx.mapped(tag, keyedPseudonym(ctx.keys, v, format), v))
    }
    case 'year':
      if (vr === 'DA') return mapChecked(values, yearOnlyDate)
      if (vr === 'DT') return mapChecked(values, yearOnlyDateTime)
      return KEEP
    case 'shift-date': {
      if (vr === 'DA') return mapChecked(values, (v) => shiftDate(v, ctx.dayOffset))
      if (vr === 'DT') return mapChecked(values, (v) => shiftDateTime(v, ctx.dayOffset))
      // PS3.15 §E.3.6 lets times be kept when dates are shifted by whole days: the shift
      // keeps the time of day, so TM values are not identifying on their own.
      if (vr === 'TM') return KEEP
      return TEXT_VRS.has(vr) ? mapValues(values, (v) => cleanText(v, ctx.matcherFor(tag))) : EMPTY
    }
    case 'clean-text':
    case 'clean-structured':
    case 'clean-graphics':
      if (TEXT_VRS.has(vr)) return mapValues(values, (v) => cleanText(v, ctx.matcherFor(tag)))
      // A non-text attribute under a clean option (e.g. an overlay bitmap under Clean
      // Graphics): dicomgate cannot clean it, so it removes it (fail closed).
      return REMOVE
    default:
      return resolveAndApply(rule, operation, vr, values, ctx, tag)
  }
}

function resolveAndApply (rule: CompiledRule, operation: Operation, vr: VR, values: readonly string[], ctx: InstanceContext, tag: Tag): ValueOutcome {
  const isEmpty = values.every((v) => v.length === 0)
  const resolved = resolveCompound(operation, isEmpty)
  if (resolved === operation) return REMOVE // unreachable: every compound resolves
  return applyToValues(rule, resolved, vr, values, ctx, tag)
}

/**
 * UIDs defined by the standard itself (PS3.6 Annex A: the 1.2.840.10008 root, e.g. the
 * well-known Hot Iron palette instance) identify no patient and must stay resolvable.
 */
const STANDARD_UID_ROOT = '1.2.840.10008.'

function replaceUid (ctx: InstanceContext, tag: Tag, uid: string): string {
  return uid.startsWith(STANDARD_UID_ROOT) ? uid : ctx.mapped(tag, keyedUid(ctx.keys, uid), uid)
}

function mapValues (values: readonly string[], f: (value: string) => string): ValueOutcome {
  return { kind: 'replace', values: values.map((v) => (v.length === 0 ? v : f(v))) }
}

/** Like mapValues, for functions that return undefined for values they cannot parse. */
function mapChecked (values: readonly string[], f: (value: string) => string | undefined): ValueOutcome {
  const out: string[] = []
  for (const v of values) {
    if (v.length === 0) {
      out.push(v)
      continue
    }
    const mapped = f(v)
    // Unparsable: the original is never passed on; an empty value keeps the attribute.
    if (mapped === undefined) return EMPTY
    out.push(mapped)
  }
  return { kind: 'replace', values: out }
}

// ── dummy values (action D), consistent with the VR (PS3.15 Table E.1-1a) ────────────

const DUMMY_TEXT: Readonly<Partial<Record<VR, string>>> = Object.freeze({
  AE: 'ANONYMIZED',
  AS: '000D',
  CS: 'ANONYMIZED',
  DA: '19000101',
  DS: '0',
  DT: '19000101000000',
  IS: '0',
  LO: 'ANONYMIZED',
  LT: 'ANONYMIZED',
  PN: 'ANONYMIZED',
  SH: 'ANONYMIZED',
  ST: 'ANONYMIZED',
  TM: '000000',
  UC: 'ANONYMIZED',
  UR: 'urn:x-dicomgate:removed',
  UT: 'ANONYMIZED'
})

/** The dummy text for a string VR, or undefined for binary VRs (zeros, see dummyBytes). */
export function dummyText (vr: VR): string | undefined {
  return DUMMY_TEXT[vr]
}

/** A dummy binary value: zeros of one value's width (the same in either byte order). */
export function dummyBytes (vr: VR): Uint8Array {
  switch (vr) {
    case 'SS': case 'US': case 'OW': case 'OB': case 'UN': return new Uint8Array(2)
    case 'FD': case 'OD': case 'SV': case 'UV': case 'OV': return new Uint8Array(8)
    default: return new Uint8Array(4)
  }
}
