/**
 * The de-identification engine for Part 10 streams: a token stage between the DICOM reader
 * and writer (PS3.15 Annex E applied to every attribute, at every depth).
 *
 *   reader → [head: held, read for context] → decide reject → rules per attribute → writer
 *
 * 1. The head. Nothing is written until the attributes up to Burned In Annotation
 *    (0028,0301) have been read: they hold what the rest depends on (the Specific Character
 *    Set, the patient's identifying values for Clean Descriptors, the Patient ID that keys
 *    the date shift, the SOP Class and Burned In Annotation that reject rules test). They are
 *    held (a few kilobytes; bounded by `maxHeaderBytes`) and then replayed. A rejected
 *    instance therefore fails before its first byte is written.
 * 2. Every attribute then gets the operation of its rule (profile/lookup.ts): kept tokens
 *    pass untouched (bulk data is never held), removed ones are skipped with everything they
 *    contain, rewritten ones are decoded, transformed (values.ts) and encoded again.
 *    Sequences that are kept are cleaned inside (Table E.1-1a, K). Every sequence and item is
 *    written with undefined length, since its content may change.
 * 3. File meta, preamble and markers are written anew (markers.ts).
 *
 * Fail closed: what the engine cannot interpret (an element with a non-standard VR, a UN
 * element of no known VR, a UN sequence that does not parse, an unparsable date to shift)
 * is removed or emptied, or the instance is rejected with a typed error. An error destroys
 * the stream (stream.ts), so a partial output never looks complete.
 */

import { Buffer } from 'node:buffer'
import { DicomgateError } from '../errors.js'
import { compileCharset, DEFAULT_CHARSET, type TextCodec } from '../dicom/charset.js'
import { isPrivateCreatorTag, makeTag, TAG, UNDEFINED_LENGTH, type Tag } from '../dicom/tags.js'
import type { DatasetToken, ElementToken, Token, TokenSink } from '../dicom/tokens.js'
import type { TokenStage } from '../dicom/stream.js'
import { isStringVR, type VR } from '../dicom/vr.js'
import { CONTEXT_TAGS, InstanceContext, isContextTag, type MappingListener } from './context.js'
import { attributeRule, creatorKey, effectiveVR, insideMode, insideOverrides, sequenceOperation, type InsideMode } from './attribute-rule.js'
import { ConceptReader, CONCEPT_NAME_CODE_SEQUENCE, contentItemOverrides } from './content-items.js'
import { fileMetaTokens, markerTokens, type Marker } from './markers.js'
import { ruleFor } from './profile/lookup.js'
import type { CompiledProfile, CompiledRule, Operation } from './profile/types.js'
import { reparseUnknownSequence } from './reparse.js'
import { decodeValues, encodeValues } from './text-values.js'
import { applyToValues, dummyBytes, dummyText, resolveCompound } from './values.js'
import type { DeidKeys } from '../pseudonym/keys.js'

export interface DeidLimits {
  /** Bytes held before anything is written (the attributes up to (0028,0301)). */
  readonly maxHeaderBytes: number
  /** Bytes of one value that must be rewritten (text to clean, UIDs, dates). */
  readonly maxRewrittenValueBytes: number
}

export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024
export const DEFAULT_MAX_REWRITTEN_VALUE_BYTES = 16 * 1024 * 1024

export interface DeidEngineOptions {
  readonly profile: CompiledProfile
  readonly keys: DeidKeys
  readonly limits?: Partial<DeidLimits>
  /**
   * Told of every pseudonym made (keyed UIDs, pseudonym texts) with its original, once per
   * instance each, as it is made: for the mapping store (src/store/). Synchronous; the
   * caller batches and records them before it releases the output.
   */
  readonly onMapping?: MappingListener
}

/** The last tag of the head: Burned In Annotation, which the reject rules read. */
const HEAD_END: Tag = CONTEXT_TAGS.BurnedInAnnotation
const SOP_INSTANCE_UID = CONTEXT_TAGS.SOPInstanceUID
const META_SOP_CLASS = makeTag(0x0002, 0x0002)
const META_SOP_INSTANCE = makeTag(0x0002, 0x0003)
/** A dataset level: the top level or an item. */
interface Level {
  charset: TextCodec
  /** Private creators of this level: key (group << 8) | block (PS3.5 §7.8.1). */
  creators: Map<number, string> | null
  readonly overrides: ReadonlyMap<Tag, Operation> | null
  readonly mode: InsideMode
  readonly top: boolean
}

/** A sequence being written: what its items inherit. */
interface SequenceLevel {
  readonly overrides: ReadonlyMap<Tag, Operation> | null
  readonly mode: InsideMode
  /** Its items are content items (Clean Structured Content, content-items.ts). */
  readonly structured: boolean
}

/** A content item held until its concept name is known (content-items.ts). */
interface HeldItem {
  readonly tokens: Token[]
  readonly reader: ConceptReader
  /** Sequence depth inside the item; 1 inside its Concept Name Code Sequence. */
  depth: number
  inConceptName: boolean
  bytes: number
}

type Pending = { readonly tag: Tag, readonly vr: VR, readonly chunks: Uint8Array[], length: number, readonly reparse: boolean }

export class DeidStage implements TokenStage {
  readonly #next: TokenSink
  readonly #profile: CompiledProfile
  readonly #ctx: InstanceContext
  readonly #limits: DeidLimits
  readonly #stableInput: boolean

  // ── the head ──
  #held: Token[] | null = []
  #heldBytes = 0
  #headDepth = 0
  #headCharset: TextCodec = DEFAULT_CHARSET

  // ── processing ──
  #dataset: DatasetToken | null = null
  #metaSopClass: string | undefined
  #metaSopInstance: string | undefined
  readonly #levels: Level[] = []
  readonly #sequences: SequenceLevel[] = []
  readonly #markers: readonly Marker[]
  /** How many of the markers have been written. */
  #markersWritten = 0
  /** > 0 while skipping a removed sequence or encapsulated value: its nesting depth. */
  #skip = 0
  #skipValue = false
  #passValue = false
  #pending: Pending | null = null
  #heldItem: HeldItem | null = null
  /** The overrides the next item-start gets: a content item replayed after its decision. */
  #itemOverrides: ReadonlyMap<Tag, Operation> | null = null
  /** > 0 while skipping a removed content item: item nesting depth. */
  #skipItem = 0

  /**
   * `stableInput`: the tokens' bytes stay valid and unchanged until `end` (a whole buffer
   * parsed in one call), so held tokens need no copy. In a stream they are views of chunks
   * the parser may reuse, and are copied when held.
   */
  constructor (next: TokenSink, options: DeidEngineOptions, { stableInput = false }: { stableInput?: boolean } = {}) {
    this.#next = next
    this.#stableInput = stableInput
    this.#profile = options.profile
    this.#ctx = new InstanceContext(options.profile, options.keys, options.onMapping)
    this.#limits = {
      maxHeaderBytes: options.limits?.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES,
      maxRewrittenValueBytes: options.limits?.maxRewrittenValueBytes ?? DEFAULT_MAX_REWRITTEN_VALUE_BYTES
    }
    this.#markers = markerTokens(options.profile)
  }

  token (token: Token): void {
    if (this.#held === null) {
      this.#process(token)
      return
    }
    if (this.#endsHead(token)) {
      this.#releaseHead()
      this.#process(token)
      return
    }
    this.#hold(token)
  }

  end (): void {
    if (this.#held !== null) this.#releaseHead()
    if (this.#dataset === null) throw new DicomgateError('DG_DICOM_TOKEN_ORDER', 'the input ended before its dataset began')
    this.#emitMarkersBefore(0xffffffff)
  }

  // ── the head: hold, read what the context needs, decide ─────────────────────────

  #endsHead (token: Token): boolean {
    if (this.#headDepth !== 0) return false
    switch (token.type) {
      case 'element': case 'value-start': case 'sequence-start': case 'encapsulated-start':
        return this.#dataset !== null && token.tag > HEAD_END
      default: return false
    }
  }

  #hold (token: Token): void {
    const held = this.#held as Token[]
    let copy = token
    switch (token.type) {
      case 'dataset':
        this.#dataset = token
        break
      case 'element':
        this.#read(token)
        copy = this.#keep(token)
        this.#count(token.value.length)
        break
      case 'value-chunk':
        copy = this.#keep(token)
        this.#count(token.bytes.length)
        break
      case 'sequence-start': case 'encapsulated-start':
        this.#headDepth++
        break
      case 'sequence-end': case 'encapsulated-end':
        this.#headDepth--
        break
      default:
        break
    }
    held.push(copy)
  }

  /** A token to hold past this call: copied unless the input is stable. */
  #keep<T extends Token> (token: T): T {
    return this.#stableInput ? token : heldCopy(token)
  }

  #count (bytes: number): void {
    this.#heldBytes += bytes
    if (this.#heldBytes > this.#limits.maxHeaderBytes) {
      throw new DicomgateError('DG_DEID_HEADER_TOO_LARGE', `the attributes up to (0028,0301) exceed ${this.#limits.maxHeaderBytes} bytes`)
    }
  }

  /** Reads the values the context needs from an element of the head. */
  #read (token: ElementToken): void {
    if (this.#dataset === null) return // file meta: read when replayed
    const top = this.#headDepth === 0
    if (top && token.tag === TAG.SpecificCharacterSet) {
      this.#headCharset = compileCharset(decodeValues(DEFAULT_CHARSET, token.value, 'CS'))
      return
    }
    if (!isContextTag(token.tag) || token.vrCode !== undefined) return
    const vr = effectiveVR(token.tag, token.vr)
    if (vr === undefined || !isStringVR(vr)) return
    this.#ctx.record(token.tag, decodeValues(this.#headCharset, token.value, vr), top)
  }

  #releaseHead (): void {
    const held = this.#held as Token[]
    this.#held = null
    this.#checkReject()
    for (const token of held) this.#process(token)
  }

  #checkReject (): void {
    const reject = this.#profile.reject
    const sopClass = this.#ctx.top(CONTEXT_TAGS.SOPClassUID)
    if (sopClass !== undefined && reject.sopClasses.has(sopClass)) {
      // A SOP Class UID identifies a kind of object, not a person: safe to name.
      throw new DicomgateError('DG_DEID_REJECTED_SOP_CLASS', `SOP class ${sopClass} is rejected by profile ${this.#profile.name}`)
    }
    if (reject.burnedInAnnotation && this.#ctx.top(CONTEXT_TAGS.BurnedInAnnotation)?.toUpperCase() === 'YES') {
      throw new DicomgateError('DG_DEID_BURNED_IN_ANNOTATION', `Burned In Annotation (0028,0301) is YES and profile ${this.#profile.name} rejects such instances`)
    }
  }

  // ── processing ───────────────────────────────────────────────────────────────────

  #process (token: Token): void {
    if (this.#heldItem !== null) {
      this.#holdItemToken(this.#heldItem, token)
      return
    }
    if (this.#skipItem > 0) {
      if (token.type === 'item-start') this.#skipItem++
      else if (token.type === 'item-end') this.#skipItem--
      return
    }
    if (this.#skip > 0) {
      this.#skipToken(token)
      return
    }
    if (this.#skipValue) {
      if (token.type === 'value-end') this.#skipValue = false
      return
    }
    if (this.#passValue) {
      this.#next.token(token)
      if (token.type === 'value-end') this.#passValue = false
      return
    }
    if (this.#pending !== null) {
      this.#collect(token)
      return
    }
    switch (token.type) {
      case 'preamble':
        return // a zeroed one is written with the regenerated meta
      case 'dataset':
        this.#beginDataset(token)
        return
      case 'element':
        if (this.#dataset === null || this.#levels.length === 0) this.#readMeta(token)
        else this.#element(token, this.#level())
        return
      case 'value-start':
        this.#valueStart(token.tag, token.vr, token.length)
        return
      case 'sequence-start':
        this.#sequenceStart(token.tag, token.vr)
        return
      case 'item-start': {
        const sequence = this.#sequences[this.#sequences.length - 1]
        let overrides = sequence?.overrides ?? null
        if (this.#itemOverrides !== null) {
          overrides = this.#itemOverrides
          this.#itemOverrides = null
        } else if (sequence?.structured === true) {
          this.#heldItem = { tokens: [token], reader: new ConceptReader(), depth: 0, inConceptName: false, bytes: 0 }
          return
        }
        const parent = this.#level()
        this.#levels.push({ charset: parent.charset, creators: null, overrides, mode: sequence?.mode ?? 'none', top: false })
        this.#next.token({ type: 'item-start', length: UNDEFINED_LENGTH })
        return
      }
      case 'item-end':
        this.#levels.pop()
        this.#next.token(token)
        return
      case 'sequence-end':
        this.#sequences.pop()
        this.#next.token(token)
        return
      case 'encapsulated-start':
        this.#encapsulatedStart(token)
        return
      default:
        // fragments and their chunks of kept encapsulated pixel data
        this.#next.token(token)
    }
  }

  #level (): Level {
    return this.#levels[this.#levels.length - 1] as Level
  }

  #skipToken (token: Token): void {
    if (token.type === 'sequence-start' || token.type === 'encapsulated-start') this.#skip++
    else if (token.type === 'sequence-end' || token.type === 'encapsulated-end') this.#skip--
  }

  #readMeta (token: ElementToken): void {
    if (token.tag === META_SOP_CLASS) this.#metaSopClass = decodeValues(DEFAULT_CHARSET, token.value, 'UI')[0]
    else if (token.tag === META_SOP_INSTANCE) this.#metaSopInstance = decodeValues(DEFAULT_CHARSET, token.value, 'UI')[0]
    // Everything else of the source's file meta is dropped; the meta is written anew.
  }

  #beginDataset (token: DatasetToken): void {
    this.#dataset = token
    // The dataset's own values, read in the head, decide (PS3.10 §7.1: the meta repeats
    // them); the source's meta is the fallback (a DICOMDIR has no SOP Instance UID).
    const sopClass = nonEmpty(this.#ctx.top(CONTEXT_TAGS.SOPClassUID)) ?? this.#metaSopClass
    const sopInstance = nonEmpty(this.#ctx.top(SOP_INSTANCE_UID)) ?? this.#metaSopInstance
    // The Media Storage SOP Instance UID maps as the SOP Instance UID does (PS3.10 §7.1).
    const instanceRule = ruleFor(this.#profile, SOP_INSTANCE_UID, 'UI')
    const mapped = sopInstance === undefined
      ? undefined
      : (applyToValues(instanceRule, instanceRule.operation, 'UI', [sopInstance], this.#ctx, SOP_INSTANCE_UID))
    const instanceUID = mapped === undefined ? undefined : mapped.kind === 'replace' ? mapped.values[0] : mapped.kind === 'keep' ? sopInstance : undefined
    for (const t of fileMetaTokens({ sopClassUID: sopClass, sopInstanceUID: instanceUID, transferSyntax: token.transferSyntax })) this.#next.token(t)
    this.#next.token(token)
    this.#levels.push({ charset: DEFAULT_CHARSET, creators: null, overrides: null, mode: 'none', top: true })
  }

  #ruleFor (tag: Tag, vr: VR, level: Level): CompiledRule | null {
    return attributeRule(this.#profile, tag, vr, level)
  }

  #element (token: ElementToken, level: Level): void {
    const { tag } = token
    if (token.vrCode !== undefined) return // a non-standard VR: not interpretable, removed
    if (isPrivateCreatorTag(tag)) {
      level.creators ??= new Map()
      level.creators.set(creatorKey(tag), decodeValues(DEFAULT_CHARSET, token.value, 'LO')[0] ?? '')
    }
    const vr = effectiveVR(tag, token.vr)
    if (vr === undefined) return // UN of no known VR: cannot be interpreted, removed
    const rule = this.#ruleFor(tag, vr, level)
    if (rule === null || rule.operation === 'remove') return
    // PS3.5 §6.1.2.3: the Specific Character Set of a level (top or item) applies to it and
    // to the items it contains, unless they have their own.
    if (tag === TAG.SpecificCharacterSet) level.charset = compileCharset(decodeValues(DEFAULT_CHARSET, token.value, 'CS'))
    if (level.top) this.#emitMarkersBefore(tag)
    if (vr === 'SQ') {
      // A sequence encoded as UN with a defined length (PS3.5 §6.2.2): read it as the
      // Implicit VR LE sequence it is, and clean it like any other.
      this.#reparse(tag, token.value)
      return
    }
    if (rule.operation === 'keep' && vr !== 'AS') this.#next.token(token)
    else this.#rewrite(token, vr, rule, level)
  }

  #rewrite (token: ElementToken, vr: VR, rule: CompiledRule, level: Level): void {
    const { tag } = token
    if (!isStringVR(vr)) {
      const op = resolveCompound(rule.operation, token.value.length === 0)
      if (op === 'keep') this.#next.token(token)
      else if (op === 'empty') this.#emit(tag, token.vr, new Uint8Array(0))
      else if (op === 'dummy') this.#emit(tag, token.vr, dummyBytes(vr))
      // Anything else (clean, shift, pseudonym) cannot apply to binary data: removed.
      return
    }
    const values = decodeValues(level.charset, token.value, vr)
    const outcome = applyToValues(rule, rule.operation, vr, values, this.#ctx, tag)
    switch (outcome.kind) {
      case 'remove': return
      case 'keep': this.#next.token(token); return
      case 'empty': this.#emit(tag, token.vr, new Uint8Array(0)); return
      case 'dummy': this.#emit(tag, token.vr, encodeValues(DEFAULT_CHARSET, [dummyText(vr) ?? ''], vr)); return
      case 'replace': this.#emit(tag, token.vr, this.#encodeOrDummy(level.charset, outcome.values, vr))
    }
  }

  /**
   * Rewritten text in the level's character set. Text the set's encoder cannot write (the
   * codec writes no ISO 2022 escape sequences yet, so cleaned Japanese text under
   * ISO 2022 IR 87 cannot be written back) becomes the dummy value: the original is never
   * written, and the instance is not lost for one descriptor.
   */
  #encodeOrDummy (charset: TextCodec, values: readonly string[], vr: VR): Uint8Array {
    try {
      return encodeValues(charset, values, vr)
    } catch (err) {
      if (!(err instanceof DicomgateError) || err.code !== 'DG_DICOM_UNENCODABLE_TEXT') throw err
      return encodeValues(DEFAULT_CHARSET, [dummyText(vr) ?? ''], vr)
    }
  }

  #emit (tag: Tag, vr: VR, value: Uint8Array): void {
    this.#next.token({ type: 'element', tag, vr, value })
  }

  #valueStart (tag: Tag, encodedVR: VR, length: number): void {
    const level = this.#level()
    const vr = effectiveVR(tag, encodedVR)
    const rule = vr === undefined ? null : this.#ruleFor(tag, vr, level)
    if (vr === undefined || rule === null || rule.operation === 'remove') {
      this.#skipValue = true
      return
    }
    if (level.top) this.#emitMarkersBefore(tag)
    if (vr !== 'SQ' && rule.operation === 'keep' && vr !== 'AS') {
      this.#next.token({ type: 'value-start', tag, vr: encodedVR, length })
      this.#passValue = true
      return
    }
    if (vr !== 'SQ' && !isStringVR(vr)) {
      // Binary data that is not kept needs no reading: empty or a dummy value.
      const op = resolveCompound(rule.operation, length === 0)
      if (op === 'empty' || op === 'dummy') this.#emit(tag, encodedVR, op === 'empty' ? new Uint8Array(0) : dummyBytes(vr))
      this.#skipValue = true
      return
    }
    if (length > this.#limits.maxRewrittenValueBytes) {
      throw new DicomgateError('DG_DEID_VALUE_TOO_LARGE', `(${hex(tag >>> 16)},${hex(tag & 0xffff)}) is ${length} bytes; the limit for a value to rewrite is ${this.#limits.maxRewrittenValueBytes}`)
    }
    this.#pending = { tag, vr: encodedVR, chunks: [], length: 0, reparse: vr === 'SQ' }
  }

  #collect (token: Token): void {
    const pending = this.#pending as Pending
    if (token.type === 'value-chunk') {
      pending.chunks.push(Uint8Array.prototype.slice.call(token.bytes))
      pending.length += token.bytes.length
      return
    }
    if (token.type !== 'value-end') throw new DicomgateError('DG_DICOM_TOKEN_ORDER', `${token.type} inside a value`)
    this.#pending = null
    const value = Buffer.concat(pending.chunks, pending.length)
    if (pending.reparse) this.#reparse(pending.tag, value)
    else this.#element({ type: 'element', tag: pending.tag, vr: pending.vr, value }, this.#level())
  }

  #reparse (tag: Tag, value: Uint8Array): void {
    if (this.#dataset?.transferSyntax.littleEndian === false) return // values would be in the wrong byte order: removed
    for (const t of reparseUnknownSequence(tag, value)) this.#process(t)
  }

  #sequenceStart (tag: Tag, encodedVR: 'SQ' | 'UN'): void {
    const level = this.#level()
    const rule = this.#ruleFor(tag, 'SQ', level)
    const op = rule === null ? 'remove' : sequenceOperation(rule.operation)
    if (op === 'remove') {
      this.#skip = 1
      return
    }
    if (level.top) this.#emitMarkersBefore(tag)
    this.#next.token({ type: 'sequence-start', tag, vr: encodedVR, length: UNDEFINED_LENGTH })
    if (op === 'empty') {
      this.#next.token({ type: 'sequence-end' })
      this.#skip = 1
      return
    }
    const operation = (rule as CompiledRule).operation
    this.#sequences.push({
      overrides: insideOverrides(operation, level.overrides),
      mode: insideMode(rule as CompiledRule, level.mode),
      structured: operation === 'clean-structured'
    })
  }

  // ── content items (Clean Structured Content) ─────────────────────────────────────

  /**
   * Holds a content item's tokens until its concept name is known: up to its first
   * attribute after Concept Name Code Sequence (0040,A043), or its end. Only Referenced SOP
   * Sequence, Relationship Type and Value Type come before it: a few hundred bytes.
   */
  #holdItemToken (held: HeldItem, token: Token): void {
    if (held.depth === 0 && (token.type === 'item-end' || ('tag' in token && token.tag > CONCEPT_NAME_CODE_SEQUENCE))) {
      this.#decideItem(held, token)
      return
    }
    switch (token.type) {
      case 'sequence-start':
        if (held.depth === 0 && token.tag === CONCEPT_NAME_CODE_SEQUENCE) held.inConceptName = true
        held.depth++
        break
      case 'sequence-end':
        held.depth--
        if (held.depth === 0) held.inConceptName = false
        break
      case 'element': {
        const inConceptName = held.inConceptName && held.depth === 1
        if ((held.depth === 0 || inConceptName) && isStringVR(token.vr)) {
          held.reader.read(token.tag, decodeValues(DEFAULT_CHARSET, token.value, token.vr)[0] ?? '', inConceptName)
        }
        held.tokens.push(this.#keep(token))
        this.#countItem(held, token.value.length)
        return
      }
      case 'value-chunk':
        held.tokens.push(this.#keep(token))
        this.#countItem(held, token.bytes.length)
        return
      default:
        break
    }
    held.tokens.push(token)
  }

  #countItem (held: HeldItem, bytes: number): void {
    held.bytes += bytes
    if (held.bytes > this.#limits.maxHeaderBytes) {
      throw new DicomgateError('DG_DEID_HEADER_TOO_LARGE', `a content item holds more than ${this.#limits.maxHeaderBytes} bytes before its concept name`)
    }
  }

  #decideItem (held: HeldItem, next: Token): void {
    this.#heldItem = null
    const rule = held.reader.rule(this.#profile)
    if (rule?.operation === 'remove') {
      // X: the whole content item goes, with the content items it contains.
      if (next.type !== 'item-end') this.#skipItem = 1
      return
    }
    this.#itemOverrides = contentItemOverrides(rule)
    for (const t of held.tokens) this.#process(t)
    this.#process(next)
  }

  #encapsulatedStart (token: Token & { type: 'encapsulated-start' }): void {
    const level = this.#level()
    const rule = this.#ruleFor(token.tag, token.vr, level)
    const op = rule === null ? 'remove' : rule.operation
    if (op !== 'keep') {
      if (op === 'empty' || op === 'remove-or-empty') {
        if (level.top) this.#emitMarkersBefore(token.tag)
        this.#emit(token.tag, token.vr, new Uint8Array(0))
      }
      this.#skip = 1
      return
    }
    if (level.top) this.#emitMarkersBefore(token.tag)
    this.#next.token(token)
  }

  /** Writes the markers whose tag comes before `tag`, in ascending order. */
  #emitMarkersBefore (tag: Tag): void {
    while (this.#markersWritten < this.#markers.length) {
      const marker = this.#markers[this.#markersWritten] as Marker
      if (marker.tag >= tag) return
      this.#markersWritten++
      for (const t of marker.tokens) this.#next.token(t)
    }
  }
}

/**
 * A token to hold past the current input chunk: its bytes copied, since they are views of
 * the chunk (tokens.ts), which its producer may reuse once the write has returned.
 */
function heldCopy<T extends Token> (token: T): T {
  if (token.type === 'element') return { ...token, value: Uint8Array.prototype.slice.call(token.value) }
  if (token.type === 'value-chunk') return { ...token, bytes: Uint8Array.prototype.slice.call(token.bytes) }
  return token
}

function nonEmpty (value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value
}

function hex (n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0')
}
