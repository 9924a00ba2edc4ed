/**
 * What every de-identified instance says about itself, and its regenerated file meta.
 *
 * - PS3.15 §E.1.1: Patient Identity Removed (0012,0062) = YES; De-identification Method
 *   (0012,0063); De-identification Method Code Sequence (0012,0064) with the CID 7050 codes
 *   of the profile and every option applied; Longitudinal Temporal Information Modified
 *   (0028,0303) (PS3.3 §C.7.6.1.1.8 via §E.3.6).
 * - PS3.10 §7.1: the file meta is written anew: our Implementation Class UID and Version
 *   Name, the (mapped) Media Storage SOP Instance UID, and nothing else the source put there
 *   (Source/Sending/Receiving AE Titles, private information). The 128-byte preamble is
 *   zeroed: a preamble may hold an executable (CVE-2019-11687), and it is not covered by any
 *   attribute rule.
 */

import { Buffer } from 'node:buffer'
import { makeTag, UNDEFINED_LENGTH, type Tag } from '../dicom/tags.js'
import type { Token } from '../dicom/tokens.js'
import type { TransferSyntax } from '../dicom/transfer-syntax.js'
import type { VR } from '../dicom/vr.js'
import type { CompiledProfile } from './profile/types.js'

/** dicomgate's Implementation Class UID (a UUID-derived UID, PS3.5 §B.2), fixed forever. */
export const IMPLEMENTATION_CLASS_UID = '2.25.209597171986872250555168893187776488258'
/** Implementation Version Name (0002,0013), SH of at most 16 characters. */
export const IMPLEMENTATION_VERSION_NAME = 'DICOMGATE_0_1'

export const MARKER_TAGS = {
  PatientIdentityRemoved: makeTag(0x0012, 0x0062),
  DeidentificationMethod: makeTag(0x0012, 0x0063),
  DeidentificationMethodCodeSequence: makeTag(0x0012, 0x0064),
  LongitudinalTemporalInformationModified: makeTag(0x0028, 0x0303)
} as const

const MARKER_TAG_SET: ReadonlySet<Tag> = new Set(Object.values(MARKER_TAGS))

export function isMarkerTag (tag: Tag): boolean {
  return MARKER_TAG_SET.has(tag)
}

/** Encodes an ASCII string value padded to even length (PS3.5 §6.2). */
export function textValue (text: string, vr: VR): Buffer {
  const padded = text.length % 2 === 0 ? text : text + (vr === 'UI' ? '\0' : ' ')
  return Buffer.from(padded, 'latin1')
}

function element (tag: Tag, vr: VR, text: string): Token {
  return { type: 'element', tag, vr, value: textValue(text, vr) }
}

/** PS3.15 §E.3.6: what happened to dates and times. */
function temporalState (profile: CompiledProfile): 'MODIFIED' | 'UNMODIFIED' | 'REMOVED' {
  if (profile.options.has('retainLongitudinalFullDates')) return 'UNMODIFIED'
  if (profile.options.has('retainLongitudinalModifiedDates')) return 'MODIFIED'
  return 'REMOVED'
}

export interface Marker {
  readonly tag: Tag
  readonly tokens: readonly Token[]
}

/** Markers depend on the profile only: built once per compiled profile, not per instance. */
const markersByProfile = new WeakMap<CompiledProfile, readonly Marker[]>()

/**
 * The marker attributes, each as the tokens to insert at its place in the top-level
 * dataset, in ascending tag order.
 */
export function markerTokens (profile: CompiledProfile): readonly Marker[] {
  let markers = markersByProfile.get(profile)
  if (markers === undefined) {
    markers = Object.freeze(buildMarkers(profile))
    markersByProfile.set(profile, markers)
  }
  return markers
}

function buildMarkers (profile: CompiledProfile): Marker[] {
  const codeItems: Token[] = []
  for (const code of profile.methodCodes) {
    codeItems.push(
      { type: 'item-start', length: UNDEFINED_LENGTH },
      element(makeTag(0x0008, 0x0100), 'SH', code.codeValue),
      element(makeTag(0x0008, 0x0102), 'SH', code.codingSchemeDesignator),
      element(makeTag(0x0008, 0x0104), 'LO', code.codeMeaning),
      { type: 'item-end' }
    )
  }
  return [
    { tag: MARKER_TAGS.PatientIdentityRemoved, tokens: [element(MARKER_TAGS.PatientIdentityRemoved, 'CS', 'YES')] },
    { tag: MARKER_TAGS.DeidentificationMethod, tokens: [element(MARKER_TAGS.DeidentificationMethod, 'LO', profile.methodDescription.slice(0, 64))] },
    {
      tag: MARKER_TAGS.DeidentificationMethodCodeSequence,
      tokens: [
        { type: 'sequence-start', tag: MARKER_TAGS.DeidentificationMethodCodeSequence, vr: 'SQ', length: UNDEFINED_LENGTH },
        ...codeItems,
        { type: 'sequence-end' }
      ]
    },
    {
      tag: MARKER_TAGS.LongitudinalTemporalInformationModified,
      tokens: [element(MARKER_TAGS.LongitudinalTemporalInformationModified, 'CS', temporalState(profile))]
    }
  ]
}

export interface MetaFields {
  readonly sopClassUID: string | undefined
  readonly sopInstanceUID: string | undefined
  readonly transferSyntax: TransferSyntax
}

const ZERO_PREAMBLE = new Uint8Array(128)

/** Preamble (zeroed) and file meta (PS3.10 §7.1), ready to be followed by the dataset token. */
export function fileMetaTokens (fields: MetaFields): Token[] {
  const tokens: Token[] = [
    { type: 'preamble', bytes: ZERO_PREAMBLE },
    // The writer recomputes the group length; the value here is a placeholder.
    { type: 'element', tag: makeTag(0x0002, 0x0000), vr: 'UL', value: new Uint8Array(4) },
    { type: 'element', tag: makeTag(0x0002, 0x0001), vr: 'OB', value: Uint8Array.of(0x00, 0x01) }
  ]
  if (fields.sopClassUID !== undefined && fields.sopClassUID !== '') tokens.push(element(makeTag(0x0002, 0x0002), 'UI', fields.sopClassUID))
  if (fields.sopInstanceUID !== undefined && fields.sopInstanceUID !== '') tokens.push(element(makeTag(0x0002, 0x0003), 'UI', fields.sopInstanceUID))
  tokens.push(
    element(makeTag(0x0002, 0x0010), 'UI', fields.transferSyntax.uid),
    element(makeTag(0x0002, 0x0012), 'UI', IMPLEMENTATION_CLASS_UID),
    element(makeTag(0x0002, 0x0013), 'SH', IMPLEMENTATION_VERSION_NAME)
  )
  return tokens
}
