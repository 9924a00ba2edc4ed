/**
 * Building the datasets of the canary test: an instance (preamble, file meta, dataset, and
 * the identifiers its free text embeds) and the scopes it is made of (the top level, each
 * item), which plant a canary of the right form for each VR and register where it went.
 *
 * Clean Descriptors rows (PS3.15 E.3.5) get free text with a patient identifier embedded:
 * "CT CHEST for CANARY0123ZQ", where CANARY0123ZQ is also one of the Other Patient Names
 * (0010,1001) or Other Patient IDs (0010,1000): the identifier must vanish, the clinical
 * words must stay.
 */
import { Buffer } from 'node:buffer'
import { keywordOf } from '../../src/dicom/dictionary.js'
import { formatTag, makeTag, type Tag } from '../../src/dicom/tags.js'
import type { VR } from '../../src/dicom/vr.js'
import type { Element, Item, Part10 } from './canary-encoding.js'
import { needlesOf, pad, type Ancestor, type Canary, type CharsetCase, type Flavour, type Planter } from './canary-values.js'
import { judge, SHIPPED_DEID_PROFILES } from './deid-expectations.js'

export function describe (tag: Tag): string {
  const keyword = keywordOf(tag)
  return keyword === undefined ? formatTag(tag) : `${formatTag(tag)} ${keyword}`
}

export function latin1 (text: string): Buffer {
  return Buffer.from(text, 'latin1')
}

/** Which profiles clean the attribute as free text (so its canary is an embedded identifier). */
function cleanedBySomeProfile (tag: Tag, vr: VR): boolean {
  return SHIPPED_DEID_PROFILES.some((p) => judge(p, tag, vr).expectation === 'clean')
}

/** Clinical text that fits a VR's length, around an embedded identifier. */
function clinicalFor (vr: VR, charset: CharsetCase): string {
  if (vr === 'SH' || vr === 'PN') return 'CT'
  return charset.clinical
}

const NUMERIC_VALUE: ReadonlySet<string> = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'AT'])
const BINARY: ReadonlySet<string> = new Set(['OB', 'OW', 'UN', 'OD', 'OF', 'OL', 'OV'])

/** Builds one instance: its top-level scope, the identifiers descriptors embed, its canaries. */
export class InstanceBuilder {
  readonly canaries: Canary[] = []
  readonly planter: Planter
  readonly charset: CharsetCase
  readonly top: Scope
  /** Values of Other Patient Names (0010,1001) and Other Patient IDs (0010,1000). */
  readonly #names: string[] = []
  readonly #ids: string[] = []
  #preamble = Buffer.alloc(128)
  readonly #meta: Element[] = []

  constructor (planter: Planter, charset: CharsetCase) {
    this.planter = planter
    this.charset = charset
    this.top = new Scope(this, charset, '', [], new Map())
    if (charset.terms.length > 0) this.top.plain(makeTag(0x0008, 0x0005), 'CS', charset.terms.join('\\'))
  }

  register (canary: Omit<Canary, 'needles' | 'valueOnly'> & { needles?: Buffer[], valueOnly?: boolean }): void {
    this.canaries.push({ ...canary, needles: canary.needles ?? needlesOf(canary.text), valueOnly: canary.valueOnly ?? false })
  }

  /**
   * A patient identifier to embed in free text: a new canary, listed in Other Patient Names
   * or Other Patient IDs so that Clean Descriptors knows it (PS3.15 E.3.5).
   */
  identifier (flavour: Flavour): string {
    const text = this.planter.token(flavour)
    const asName = this.#names.length <= this.#ids.length || flavour !== 'ascii'
    if (asName) this.#names.push(flavour === 'kanji' || flavour === 'hanzi' || flavour === 'kana' ? `=${text}` : text)
    else this.#ids.push(text)
    return text
  }

  preambleCanary (at: number): void {
    const text = this.planter.token()
    latin1(text).copy(this.#preamble, at)
    this.register({ text, label: `preamble at byte ${at}`, where: 'preamble', tag: undefined, vr: undefined, creator: undefined, ancestors: [], path: 'preamble', descriptor: false, clinical: undefined })
  }

  metaCanary (tag: Tag, vr: VR, text?: string, bytes?: Buffer): string {
    const value = text ?? (vr === 'UI' ? this.planter.uid() : vr === 'UR' ? `https://canary.invalid/${this.planter.token()}` : this.planter.token())
    const canaryText = vr === 'UR' ? value.slice(value.lastIndexOf('/') + 1) : value
    this.#meta.push({ tag, vr, value: bytes ?? latin1(value) })
    this.register({ text: canaryText, label: `file meta ${describe(tag)}`, where: 'meta', tag, vr, creator: undefined, ancestors: [], path: formatTag(tag), descriptor: false, clinical: undefined })
    return value
  }

  metaPlain (tag: Tag, vr: VR, value: string | Uint8Array): void {
    this.#meta.push({ tag, vr, value: typeof value === 'string' ? latin1(value) : value })
  }

  /** Writes (0010,1001) and (0010,1000): their own canary first, then the embedded identifiers. */
  finish (): Part10 {
    const own = (tag: Tag, vr: VR, list: string[]): void => {
      const text = this.planter.token()
      this.register({ text, label: describe(tag), where: 'dataset', tag, vr, creator: undefined, ancestors: [], path: formatTag(tag), descriptor: false, clinical: undefined })
      this.top.add({ tag, vr, value: this.charset.encode([text, ...list].join('\\'), vr) })
    }
    own(makeTag(0x0010, 0x1001), 'PN', this.#names)
    own(makeTag(0x0010, 0x1000), 'LO', this.#ids)
    return { preamble: this.#preamble, meta: this.#meta, dataset: this.top.elements }
  }
}

export class Scope {
  readonly elements: Element[] = []
  readonly #instance: InstanceBuilder
  readonly charset: CharsetCase
  readonly path: string
  readonly ancestors: readonly Ancestor[]
  readonly creators: Map<number, string>

  constructor (instance: InstanceBuilder, charset: CharsetCase, path: string, ancestors: readonly Ancestor[], creators: Map<number, string>) {
    this.#instance = instance
    this.charset = charset
    this.path = path
    this.ancestors = ancestors
    this.creators = creators
  }

  add (element: Element): void {
    this.elements.push(element)
  }

  has (tag: Tag): boolean {
    return this.elements.some((e) => e.tag === tag)
  }

  /** A value that is no canary (structure the instance needs). */
  plain (tag: Tag, vr: VR, text: string): void {
    this.add({ tag, vr, value: this.charset.encode(text, vr) })
  }

  numbers (tag: Tag, vr: VR, values: readonly number[]): void {
    this.add({ tag, vr, value: values })
  }

  bytes (tag: Tag, vr: VR, value: Uint8Array, options: { asUN?: boolean } = {}): void {
    this.add({ tag, vr, value, ...options })
  }

  /** A private creator (gggg,00bb) for block `block` of `group`; a canary unless `plainText` is given. */
  creator (group: number, block: number, plainText?: string): string {
    const tag = makeTag(group, block)
    const text = plainText ?? this.#instance.planter.token()
    this.add({ tag, vr: 'LO', value: latin1(text) })
    this.creators.set((group << 8) | block, text)
    if (plainText === undefined) this.#register(text, tag, 'LO', `${this.#label(tag)} private creator`, false, undefined)
    return text
  }

  #creatorOf (tag: Tag): string | undefined {
    const group = tag >>> 16
    if ((group & 1) === 0) return undefined
    const element = tag & 0xffff
    if (element < 0x1000) return undefined
    return this.creators.get((group << 8) | (element >>> 8))
  }

  #label (tag: Tag): string {
    return `${this.path}${describe(tag)}`
  }

  #register (text: string, tag: Tag, vr: VR, label: string, descriptor: boolean, clinical: string | undefined, extra: { needles?: Buffer[], valueOnly?: boolean } = {}): void {
    this.#instance.register({
      text, label, where: 'dataset', tag, vr, creator: this.#creatorOf(tag), ancestors: this.ancestors, path: `${this.path}${formatTag(tag)}`, descriptor, clinical, ...extra
    })
  }

  /**
   * Plants a canary of the right form for `vr` at `tag`. `descriptor`: free text with an
   * embedded identifier (default: when some shipped profile cleans the attribute).
   */
  canary (tag: Tag, vr: VR, options: { descriptor?: boolean, asUN?: boolean, flavour?: Flavour } = {}): void {
    const planter = this.#instance.planter
    const label = this.#label(tag)
    const flavour = options.flavour ?? this.charset.alphabetic
    const asUN = options.asUN === true ? { asUN: true } : {}
    const descriptor = options.descriptor ?? ((vr === 'SH' || vr === 'LO' || vr === 'ST' || vr === 'LT' || vr === 'UT' || vr === 'UC' || vr === 'PN') && cleanedBySomeProfile(tag, vr))
    if (descriptor) {
      const clinical = clinicalFor(vr, this.charset)
      const ident = this.#instance.identifier(flavour === 'ascii' && this.charset.ideographic !== undefined ? this.charset.ideographic : flavour)
      this.add({ tag, vr, value: this.charset.encode(`${clinical} ${ident}`, vr), ...asUN })
      this.#register(ident, tag, vr, `${label} (embedded identifier, also in (0010,1001)/(0010,1000))`, true, clinical)
      return
    }
    if (vr === 'PN') {
      this.personName(tag, options)
      return
    }
    if (NUMERIC_VALUE.has(vr)) {
      const n = planter.next()
      this.add({ tag, vr, value: [vr === 'FL' || vr === 'FD' ? n + 0.25 : n], ...asUN })
      this.#register(String(vr === 'FL' || vr === 'FD' ? n + 0.25 : n), tag, vr, label, false, undefined, { needles: [], valueOnly: true })
      return
    }
    if (BINARY.has(vr)) {
      const text = planter.token()
      this.add({ tag, vr, value: latin1(text), ...asUN })
      this.#register(text, tag, vr, label, false, undefined, { needles: needlesOf(text, true) })
      return
    }
    let value: string
    let text: string
    let valueOnly = false
    switch (vr) {
      case 'UI': value = text = planter.uid(); break
      case 'DA': value = text = planter.date(); break
      case 'DT': value = text = planter.dateTime(); break
      case 'TM': value = text = planter.time(); break
      case 'DS': value = text = `4242${pad(planter.next(), 4)}.5`; break
      case 'IS': value = text = `4242${pad(planter.next(), 4)}`; break
      case 'AS': value = text = `0${pad(planter.next() % 100, 2)}Y`; valueOnly = true; break
      case 'UR': text = planter.token(); value = `https://canary.invalid/${text}`; break
      case 'AE': case 'CS': text = value = planter.token('ascii'); break
      default: text = value = planter.token(flavour)
    }
    this.add({ tag, vr, value: this.charset.encode(value, vr), ...asUN })
    this.#register(text, tag, vr, label, false, undefined, valueOnly ? { needles: [], valueOnly: true } : {})
  }

  /** A PN with a distinct canary in each component of each group the charset can write. */
  personName (tag: Tag, options: { asUN?: boolean } = {}): void {
    const planter = this.#instance.planter
    const groups: Array<[string, Flavour]> = [['alphabetic', this.charset.alphabetic]]
    if (this.charset.ideographic !== undefined) groups.push(['ideographic', this.charset.ideographic])
    if (this.charset.phonetic !== undefined) groups.push(['phonetic', this.charset.phonetic])
    const parts: string[] = []
    for (const [group, flavour] of groups) {
      const family = planter.token(flavour)
      const given = planter.token(flavour)
      parts.push(`${family}^${given}`)
      this.#register(family, tag, 'PN', `${this.#label(tag)} ${group} family name`, false, undefined)
      this.#register(given, tag, 'PN', `${this.#label(tag)} ${group} given name`, false, undefined)
    }
    this.add({ tag, vr: 'PN', value: this.charset.encode(parts.join('='), 'PN'), ...(options.asUN === true ? { asUN: true } : {}) })
  }

  /** A sequence of `count` items, each built by `build`; its items inherit this charset. */
  sequence (tag: Tag, build: (item: Scope, index: number) => void, options: { count?: number, asUN?: boolean, definedLength?: boolean, charset?: CharsetCase } = {}): void {
    const items: Item[] = []
    const creator = this.#creatorOf(tag)
    const ancestor: Ancestor = creator === undefined ? { tag } : { tag, creator }
    for (let i = 0; i < (options.count ?? 1); i++) {
      const charset = options.charset ?? this.charset
      const item = new Scope(this.#instance, charset, `${this.path}${formatTag(tag)}[${i}]>`, [...this.ancestors, ancestor], new Map())
      if (options.charset !== undefined) item.plain(makeTag(0x0008, 0x0005), 'CS', options.charset.terms.join('\\'))
      build(item, i)
      items.push(item.elements)
    }
    this.add({ tag, vr: 'SQ', value: items, ...(options.asUN === true ? { asUN: true } : {}), ...(options.definedLength === true ? { definedLength: true } : {}) })
  }

  /** A code sequence item: CodeValue, scheme, a Code Meaning with an identifier, a referenced UID. */
  codeItem (item: Scope): void {
    item.plain(makeTag(0x0008, 0x0100), 'SH', 'CODE42')
    item.plain(makeTag(0x0008, 0x0102), 'SH', '99TEST')
    item.canary(makeTag(0x0008, 0x0104), 'LO', { descriptor: true })
    item.canary(makeTag(0x0008, 0x1155), 'UI')
  }

  /** A large free-text value (> 64 KiB: streamed by the parser) with identifiers at its start, middle and end. */
  largeDescriptor (tag: Tag, vr: VR, bytes: number, options: { asUN?: boolean } = {}): void {
    const clinical = 'CT CHEST follow-up, stable nodules. '
    const idents = ['start', 'middle', 'end'].map((where) => {
      const text = this.#instance.identifier('ascii')
      this.#register(text, tag, vr, `${this.#label(tag)} (streamed value, identifier at its ${where})`, true, 'CT CHEST follow-up')
      return text
    })
    const filler = clinical.repeat(Math.ceil(bytes / 2 / clinical.length))
    this.add({ tag, vr, value: latin1(`${clinical}${idents[0] ?? ''} ${filler}${idents[1] ?? ''} ${filler}${idents[2] ?? ''}`), ...(options.asUN === true ? { asUN: true } : {}) })
  }

  /** A large private OB (> 64 KiB: streamed) with canaries at its start, middle and end. */
  largeBinary (tag: Tag, bytes: number): void {
    const value = Buffer.alloc(bytes)
    for (const at of [0, bytes / 2, bytes - 16]) {
      const text = this.#instance.planter.token()
      latin1(text).copy(value, at)
      this.#register(text, tag, 'OB', `${this.#label(tag)} (streamed value, byte ${at})`, false, undefined, { needles: needlesOf(text, true) })
    }
    this.add({ tag, vr: 'OB', value })
  }
}
