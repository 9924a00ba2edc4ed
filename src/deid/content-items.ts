/**
 * Clean Structured Content (PS3.15 §E.3.4): the items of Content Sequence (0040,A730),
 * Acquisition Context Sequence (0040,0555) and Specimen Preparation Sequence (0040,0610)
 * are content items (PS3.3 §C.17.3), each a concept name with a value. Table E.3.4-1 says,
 * per concept name and value type, what happens to the value: X removes the whole content
 * item (with its children), any other action applies to the attributes that hold the value.
 * A content item whose concept is not in the table keeps its value, its free text cleaned.
 */

import { makeTag, type Tag } from '../dicom/tags.js'
import { structuredKey, type CompiledProfile, type CompiledRule, type Operation } from './profile/types.js'

export const VALUE_TYPE = makeTag(0x0040, 0xa040)
export const CONCEPT_NAME_CODE_SEQUENCE = makeTag(0x0040, 0xa043)
const CODE_VALUE = makeTag(0x0008, 0x0100)
const CODING_SCHEME_DESIGNATOR = makeTag(0x0008, 0x0102)
const LONG_CODE_VALUE = makeTag(0x0008, 0x0119)
const URN_CODE_VALUE = makeTag(0x0008, 0x0120)

/** The attributes that hold a content item's value, by value type (PS3.3 Table C.17-5 ff.). */
export const CONTENT_VALUE_TAGS: readonly Tag[] = [
  makeTag(0x0040, 0xa160), // Text Value: TEXT
  makeTag(0x0040, 0xa120), // DateTime: DATETIME
  makeTag(0x0040, 0xa121), // Date: DATE
  makeTag(0x0040, 0xa122), // Time: TIME
  makeTag(0x0040, 0xa123), // Person Name: PNAME
  makeTag(0x0040, 0xa124), // UID: UIDREF
  makeTag(0x0040, 0xa168), // Concept Code Sequence: CODE
  makeTag(0x0040, 0xa300), // Measured Value Sequence: NUM
  makeTag(0x0008, 0x1199) // Referenced SOP Sequence: COMPOSITE, IMAGE, WAVEFORM
]

const TEXT_VALUE = makeTag(0x0040, 0xa160)
const UNLISTED: ReadonlyMap<Tag, Operation> = new Map([[TEXT_VALUE, 'clean-text']])
const overridesByOperation = new Map<Operation, ReadonlyMap<Tag, Operation>>()

/** The operations a content item's value attributes get under its Table E.3.4-1 rule. */
export function contentItemOverrides (rule: CompiledRule | undefined): ReadonlyMap<Tag, Operation> {
  if (rule === undefined) return UNLISTED
  let overrides = overridesByOperation.get(rule.operation)
  if (overrides === undefined) {
    overrides = new Map(CONTENT_VALUE_TAGS.map((tag) => [tag, rule.operation]))
    overridesByOperation.set(rule.operation, overrides)
  }
  return overrides
}

/** Reads a content item's value type and concept name from its attributes as they pass. */
export class ConceptReader {
  #valueType = ''
  #codeValue = ''
  #scheme = ''

  /** An attribute of the item (`inConceptName` false) or of its concept name code item. */
  read (tag: Tag, value: string, inConceptName: boolean): void {
    if (!inConceptName) {
      if (tag === VALUE_TYPE) this.#valueType = value
      return
    }
    if (tag === CODE_VALUE || tag === LONG_CODE_VALUE || tag === URN_CODE_VALUE) this.#codeValue = value
    else if (tag === CODING_SCHEME_DESIGNATOR) this.#scheme = value
  }

  /** The item's Table E.3.4-1 rule, if its concept is in the table. */
  rule (profile: CompiledProfile): CompiledRule | undefined {
    return profile.structuredContent.get(structuredKey(this.#scheme, this.#codeValue, this.#valueType))
  }
}
