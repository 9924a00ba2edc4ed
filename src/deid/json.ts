/**
 * The de-identification engine for the DICOM JSON model (PS3.18 §F.2): QIDO-RS results and
 * WADO-RS metadata. The same compiled profile, rules (attribute-rule.ts), value operations
 * (values.ts), pseudonyms, UIDs and date shift apply as for Part 10 streams, so that an
 * instance's metadata and its file de-identify alike.
 *
 * The input is never changed: a new dataset is returned, its attributes in tag order. Bulk
 * data stays where it is: a BulkDataURI is passed to `bulkDataURI` to be rewritten (the URI
 * carries the original UIDs), and dropped when no rewriter is given (fail closed).
 */

import { Buffer } from 'node:buffer'
import { DicomgateError } from '../errors.js'
import type { DicomJsonAttribute, DicomJsonDataset, DicomJsonPersonName, DicomJsonValue } from '../dicom/json.js'
import { isPrivateCreatorTag, type Tag } from '../dicom/tags.js'
import { isStringVR, type VR } from '../dicom/vr.js'
import { attributeRule, creatorKey, effectiveVR, insideMode, insideOverrides, sequenceOperation, type LevelScope } from './attribute-rule.js'
import { CONCEPT_NAME_CODE_SEQUENCE, ConceptReader, contentItemOverrides, VALUE_TYPE } from './content-items.js'
import { CONTEXT_TAGS, InstanceContext, isContextTag, type MappingListener } from './context.js'
import { markerTokens } from './markers.js'
import type { CompiledProfile, CompiledRule, Operation } from './profile/types.js'
import { applyToValues, dummyBytes, dummyText, resolveCompound } from './values.js'
import type { DeidKeys } from '../pseudonym/keys.js'
import type { Token } from '../dicom/tokens.js'

export interface DeidJsonOptions {
  readonly profile: CompiledProfile
  readonly keys: DeidKeys
  /**
   * Rewrites a kept BulkDataURI (its path names the attribute: `7FE00010`,
   * `00880200/0/7FE00010`); undefined drops it. Without this option every BulkDataURI is
   * dropped: it points at the origin with the original UIDs.
   */
  readonly bulkDataURI?: (uri: string, path: string) => string | undefined
  /** Add the de-identification markers (PS3.15 §E.1.1); default true. */
  readonly markers?: boolean
  /** Told of every pseudonym made, with its original (as DeidEngineOptions.onMapping). */
  readonly onMapping?: MappingListener
}

const NUMERIC_STRING_VRS: ReadonlySet<string> = new Set(['IS', 'DS'])

/** De-identifies one dataset (an instance's metadata or one QIDO-RS result). */
export function deidentifyJson (dataset: DicomJsonDataset, options: DeidJsonOptions): DicomJsonDataset {
  const { profile } = options
  if (profile.mode === 'passthrough') return dataset
  const ctx = new InstanceContext(profile, options.keys, options.onMapping)
  readContext(dataset, ctx, true)
  checkReject(profile, ctx)
  const out = walk(dataset, { top: true, creators: creatorsOf(dataset), overrides: null, mode: 'none' }, ctx, options, '')
  if (options.markers !== false) addMarkers(out, profile)
  return sortKeys(out)
}

/**
 * Reads what the Part 10 engine reads from its head (engine.ts): the top-level attributes up
 * to Burned In Annotation (0028,0301) and what they contain, so that both forms clean text
 * with the same identifiers.
 */
function readContext (dataset: DicomJsonDataset, ctx: InstanceContext, top: boolean): void {
  for (const [key, attr] of Object.entries(dataset)) {
    if (top && Number.parseInt(key, 16) > CONTEXT_TAGS.BurnedInAnnotation) continue
    if (attr.vr === 'SQ') {
      for (const item of attr.Value ?? []) if (isDataset(item)) readContext(item, ctx, false)
      continue
    }
    const tag = Number.parseInt(key, 16)
    if (isContextTag(tag) && isStringVR(attr.vr)) ctx.record(tag, stringsOf(attr), top)
  }
}

function checkReject (profile: CompiledProfile, ctx: InstanceContext): void {
  const sopClass = ctx.top(CONTEXT_TAGS.SOPClassUID)
  if (sopClass !== undefined && profile.reject.sopClasses.has(sopClass)) {
    throw new DicomgateError('DG_DEID_REJECTED_SOP_CLASS', `SOP class ${sopClass} is rejected by profile ${profile.name}`)
  }
  if (profile.reject.burnedInAnnotation && ctx.top(CONTEXT_TAGS.BurnedInAnnotation)?.toUpperCase() === 'YES') {
    throw new DicomgateError('DG_DEID_BURNED_IN_ANNOTATION', `Burned In Annotation (0028,0301) is YES and profile ${profile.name} rejects such instances`)
  }
}

function walk (dataset: DicomJsonDataset, level: LevelScope, ctx: InstanceContext, options: DeidJsonOptions, path: string): DicomJsonDataset {
  const out: DicomJsonDataset = {}
  for (const [key, attr] of Object.entries(dataset)) {
    const tag = Number.parseInt(key, 16)
    const vr = effectiveVR(tag, attr.vr)
    if (vr === undefined) continue
    const rule = attributeRule(options.profile, tag, vr, level)
    if (rule === null || rule.operation === 'remove') continue
    const result = vr === 'SQ'
      ? sequence(attr, rule, level, ctx, options, `${path}${key}`)
      : attribute(tag, attr, vr, rule, ctx, options, `${path}${key}`)
    if (result !== undefined) out[key] = result
  }
  return out
}

function sequence (attr: DicomJsonAttribute, rule: CompiledRule, level: LevelScope, ctx: InstanceContext, options: DeidJsonOptions, path: string): DicomJsonAttribute | undefined {
  const op = sequenceOperation(rule.operation)
  if (op === 'remove') return undefined
  if (op === 'empty' || attr.Value === undefined) return { vr: attr.vr }
  const overrides = insideOverrides(rule.operation, level.overrides)
  const mode = insideMode(rule, level.mode)
  const structured = rule.operation === 'clean-structured'
  const items: DicomJsonDataset[] = []
  attr.Value.filter(isDataset).forEach((item, i) => {
    let itemOverrides = overrides
    if (structured) {
      // A content item (content-items.ts): Table E.3.4-1 by its concept name and value type.
      const itemRule = conceptOf(item).rule(options.profile)
      if (itemRule?.operation === 'remove') return
      itemOverrides = contentItemOverrides(itemRule)
    }
    items.push(walk(item, { top: false, creators: creatorsOf(item), overrides: itemOverrides, mode }, ctx, options, `${path}/${i}/`))
  })
  return { vr: attr.vr, Value: items }
}

function attribute (tag: Tag, attr: DicomJsonAttribute, vr: VR, rule: CompiledRule, ctx: InstanceContext, options: DeidJsonOptions, path: string): DicomJsonAttribute | undefined {
  if (!isStringVR(vr)) return binary(attr, vr, rule.operation, options, path)
  if (rule.operation === 'keep' && vr !== 'AS') return attr
  const values = stringsOf(attr)
  const outcome = applyToValues(rule, rule.operation, vr, values, ctx, tag)
  switch (outcome.kind) {
    case 'remove': return undefined
    case 'keep': return attr
    case 'empty': return { vr: attr.vr }
    case 'dummy': return { vr: attr.vr, Value: [fromString(dummyText(vr) ?? '', vr)] }
    case 'replace': return { vr: attr.vr, Value: outcome.values.map((v) => fromString(v, vr)) }
  }
}

/** Binary and numeric VRs: kept, emptied or a dummy; nothing else applies to them. */
function binary (attr: DicomJsonAttribute, vr: VR, operation: Operation, options: DeidJsonOptions, path: string): DicomJsonAttribute | undefined {
  const isEmpty = attr.Value === undefined && attr.InlineBinary === undefined && attr.BulkDataURI === undefined
  const op = resolveCompound(operation, isEmpty)
  if (op === 'empty') return { vr: attr.vr }
  if (op === 'dummy') {
    return attr.Value !== undefined ? { vr: attr.vr, Value: [0] } : { vr: attr.vr, InlineBinary: Buffer.from(dummyBytes(vr)).toString('base64') }
  }
  if (op !== 'keep') return undefined
  if (attr.BulkDataURI === undefined) return attr
  const uri = options.bulkDataURI?.(attr.BulkDataURI, path)
  return uri === undefined ? { vr: attr.vr } : { vr: attr.vr, BulkDataURI: uri }
}

/** The values of a string attribute as the Part 10 form decodes them (PN: "A=I=P"). */
function stringsOf (attr: DicomJsonAttribute): string[] {
  return (attr.Value ?? []).map((v) => {
    if (v === null) return ''
    if (typeof v === 'string') return v
    if (typeof v === 'number') return String(v)
    if (isPersonName(v)) return personNameString(v)
    return ''
  })
}

function fromString (value: string, vr: VR): DicomJsonValue {
  if (vr === 'PN') return personNameObject(value)
  if (NUMERIC_STRING_VRS.has(vr)) {
    const n = Number(value)
    return value === '' || !Number.isFinite(n) ? null : n
  }
  return value === '' ? null : value
}

function personNameString (pn: DicomJsonPersonName): string {
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '')
}

/** PS3.18 §F.2.2: the three component groups of a PN value as an object. */
function personNameObject (value: string): DicomJsonPersonName | null {
  if (value === '') return null
  const [alphabetic, ideographic, phonetic] = value.split('=')
  const pn: DicomJsonPersonName = {}
  if (alphabetic !== undefined && alphabetic !== '') pn.Alphabetic = alphabetic
  if (ideographic !== undefined && ideographic !== '') pn.Ideographic = ideographic
  if (phonetic !== undefined && phonetic !== '') pn.Phonetic = phonetic
  return pn
}

function isPersonName (v: DicomJsonValue): v is DicomJsonPersonName {
  return typeof v === 'object' && v !== null && ('Alphabetic' in v || 'Ideographic' in v || 'Phonetic' in v)
}

function isDataset (v: DicomJsonValue): v is DicomJsonDataset {
  return typeof v === 'object' && v !== null && !isPersonName(v)
}

function conceptOf (item: DicomJsonDataset): ConceptReader {
  const reader = new ConceptReader()
  const first = (attr: DicomJsonAttribute | undefined): string => {
    const v = attr?.Value?.[0]
    return typeof v === 'string' ? v : ''
  }
  reader.read(VALUE_TYPE, first(item[tagKeyOf(VALUE_TYPE)]), false)
  const concept = item[tagKeyOf(CONCEPT_NAME_CODE_SEQUENCE)]?.Value?.[0]
  if (concept !== undefined && isDataset(concept)) {
    for (const [key, attr] of Object.entries(concept)) reader.read(Number.parseInt(key, 16), first(attr), true)
  }
  return reader
}

function tagKeyOf (tag: Tag): string {
  return tag.toString(16).toUpperCase().padStart(8, '0')
}

function creatorsOf (dataset: DicomJsonDataset): ReadonlyMap<number, string> | null {
  let creators: Map<number, string> | null = null
  for (const [key, attr] of Object.entries(dataset)) {
    const tag: Tag = Number.parseInt(key, 16)
    if (!isPrivateCreatorTag(tag)) continue
    const value = attr.Value?.[0]
    if (typeof value !== 'string') continue
    creators ??= new Map()
    creators.set(creatorKey(tag), value.trim())
  }
  return creators
}

/** The markers in the JSON model, once per compiled profile (QIDO results come by the hundred). */
const markersJsonByProfile = new WeakMap<CompiledProfile, ReadonlyArray<readonly [string, DicomJsonAttribute]>>()

/** The same markers as the Part 10 form (markers.ts), in the JSON model. */
function addMarkers (out: DicomJsonDataset, profile: CompiledProfile): void {
  let markers = markersJsonByProfile.get(profile)
  if (markers === undefined) {
    markers = markerTokens(profile).map((marker) => [tagKeyOf(marker.tag), tokensToJson(marker.tokens)] as const)
    markersJsonByProfile.set(profile, markers)
  }
  // A copy per dataset: callers may change what they get back.
  for (const [key, attr] of markers) out[key] = structuredClone(attr)
}

function tokensToJson (tokens: readonly Token[]): DicomJsonAttribute {
  const first = tokens[0] as Token
  if (first.type === 'element') {
    return { vr: first.vr, Value: [Buffer.from(first.value).toString('latin1').trimEnd()] }
  }
  const items: DicomJsonDataset[] = []
  let item: DicomJsonDataset | null = null
  for (const t of tokens) {
    if (t.type === 'item-start') item = {}
    else if (t.type === 'item-end' && item !== null) items.push(item)
    else if (t.type === 'element' && item !== null) {
      item[tagKeyOf(t.tag)] = { vr: t.vr, Value: [Buffer.from(t.value).toString('latin1').trimEnd()] }
    }
  }
  return { vr: 'SQ', Value: items }
}

function sortKeys (dataset: DicomJsonDataset): DicomJsonDataset {
  const sorted: DicomJsonDataset = {}
  for (const key of Object.keys(dataset).sort()) sorted[key] = dataset[key] as DicomJsonAttribute
  return sorted
}
