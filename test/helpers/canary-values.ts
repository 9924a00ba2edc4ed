/**
 * The canaries of the canary test (issue 3, must show 2): what one is (where it was planted,
 * the byte forms it is searched by), the unique values they take per VR and character set,
 * the character sets the instances are written in, and whether a profile must make a canary
 * vanish (test/helpers/deid-expectations.ts).
 *
 * Canary forms, unique per planted value:
 * - text: `CANARY0042ZQ` (a single word: Clean Descriptors masks whole words);
 * - UI `1.2.826.0.1.3680043.99999.42420042`, DA/DT/TM/DS/IS as distinctive numbers;
 * - DA dates 3,700 days apart and never 1 January, so that a date shifted by up to ten
 *   years or cut to its year (Safe Harbor) never equals another canary;
 * - non-ASCII: `CANÄRY0042ÉZ`, `金糸雀〇〇四二`, `かなりあおおええ`, `КАНАРЕЙКА0042`.
 * Values too short to be searched as bytes (AS, US) are checked by the value at their place.
 */
import { Buffer } from 'node:buffer'
import { compileCharset, type TextCodec } from '../../src/dicom/charset.js'
import { makeTag, type Tag } from '../../src/dicom/tags.js'
import type { VR } from '../../src/dicom/vr.js'
import { encodeIso2022Jp, jisBytes } from './canary-encoding.js'
import { judge, judgedVR, mustVanish } from './deid-expectations.js'

export interface Ancestor { readonly tag: Tag, readonly creator?: string }

export interface Canary {
  /** The planted string as it reads. */
  readonly text: string
  /** Where it was planted, for failure messages: '(0040,A730)[0]>(0040,A160) TextValue'. */
  readonly label: string
  readonly where: 'preamble' | 'meta' | 'dataset'
  /** The element holding it and the sequences around it (outermost first). */
  readonly tag: Tag | undefined
  readonly vr: VR | undefined
  readonly creator: string | undefined
  readonly ancestors: readonly Ancestor[]
  /** Path of the element, as the output walk writes it: '(0040,A730)[0]>(0040,A160)'. */
  readonly path: string
  /** A patient identifier embedded in free text (Clean Descriptors). */
  readonly descriptor: boolean
  /** The free text around an embedded identifier, which Clean Descriptors keeps. */
  readonly clinical: string | undefined
  /** Byte forms searched in the raw output (each charset's encoding; OW also byte-swapped). */
  readonly needles: readonly Buffer[]
  /** Too short to search as bytes: checked by the value at `path` (top level only). */
  readonly valueOnly: boolean
}

/** Whether `profile` must make this canary vanish (see deid-expectations.ts). */
export function canaryMustVanish (canary: Canary, profile: string): boolean {
  if (profile === 'passthrough') return false
  if (canary.where === 'preamble') return true
  const leaf = judge(profile, canary.tag ?? 0, judgedVR(canary.tag ?? 0, canary.vr ?? 'UN'), canary.creator)
  const ancestors = canary.ancestors.map((a) => judge(profile, a.tag, 'SQ', a.creator))
  return mustVanish(leaf, ancestors, canary.descriptor)
}

/**
 * Attributes whose whole value is itself an identifying phrase: Clean Descriptors masks all
 * of it wherever it appears, itself included, so no clinical words are expected to stay.
 */
const SELF_IDENTIFYING: ReadonlySet<Tag> = new Set([makeTag(0x0010, 0x2180)]) // Occupation

/** Whether `profile` keeps the free text around this descriptor canary (Clean Descriptors). */
export function canaryTextIsCleaned (canary: Canary, profile: string): boolean {
  if (!canary.descriptor || canary.clinical === undefined || canary.where !== 'dataset' || canary.tag === undefined) return false
  if (SELF_IDENTIFYING.has(canary.tag)) return false
  const vr = judgedVR(canary.tag, canary.vr ?? 'UN')
  if (!['SH', 'LO', 'ST', 'LT', 'UT', 'UC'].includes(vr)) return false
  const leaf = judge(profile, canary.tag, vr, canary.creator)
  const ancestors = canary.ancestors.map((a) => judge(profile, a.tag, 'SQ', a.creator))
  return leaf.expectation === 'clean' && ancestors.every((a) => a.expectation === 'keep-items' || a.expectation === 'clean-items' || a.expectation === 'uid-items')
}

// ── canary values ───────────────────────────────────────────────────────────────────────

const KANJI_DIGITS = '〇一二三四五六七八九'
const KANA_DIGITS = 'あいうえおかきくけこ'
const DAY_MS = 86_400_000
/** DA canaries: 3,700 days apart (> the 3,652-day maximum shift), from 1300-03-17. */
const DA_BASE_MS = Date.UTC(1300, 2, 17)
const DA_STEP_DAYS = 3700
/** DT canaries: from 2101-03-05, one day apart, told apart by their time fraction. */
const DT_BASE_MS = Date.UTC(2101, 2, 5)

export const pad = (n: number, width: number): string => String(n).padStart(width, '0')

function ymd (ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`
}

export type Flavour = 'ascii' | 'latin' | 'cyrillic' | 'kanji' | 'hanzi' | 'kana'

const GB18030 = compileCharset(['GB18030'])

/** The byte forms of a canary text in every charset the instances use. */
export function needlesOf (text: string, swap = false): Buffer[] {
  const forms: Buffer[] = []
  const add = (b: Buffer | undefined): void => {
    if (b !== undefined && b.length > 0 && !forms.some((f) => f.equals(b))) forms.push(b)
  }
  add(Buffer.from(text, 'utf8'))
  if ([...text].every((c) => (c.codePointAt(0) ?? 0) <= 0xff)) add(Buffer.from(text, 'latin1'))
  try {
    add(Buffer.from(GB18030.encode(text, 'LO')))
  } catch {
    // not in GBK: no GB18030 form
  }
  add(jisBytes(text))
  if (swap) {
    for (const f of [...forms]) {
      if (f.length % 2 === 0) add(Buffer.from(f).swap16())
    }
  }
  return forms
}

/** Hands out unique canaries. One per test file: numbers never repeat across instances. */
export class Planter {
  #n = 0
  #dates = 0

  next (): number {
    this.#n++
    return this.#n
  }

  token (flavour: Flavour = 'ascii'): string {
    const n = this.next()
    const digits = pad(n, 4)
    switch (flavour) {
      case 'ascii': return `CANARY${digits}ZQ`
      case 'latin': return `CANÄRY${digits}ÉZ`
      case 'cyrillic': return `КАНАРЕЙКА${digits}`
      case 'kanji': return `金糸雀${[...digits].map((d) => KANJI_DIGITS[Number(d)]).join('')}`
      case 'hanzi': return `金丝雀${[...digits].map((d) => KANJI_DIGITS[Number(d)]).join('')}`
      case 'kana': return `かなりあ${[...digits].map((d) => KANA_DIGITS[Number(d)]).join('')}`
    }
  }

  uid (): string {
    return `1.2.826.0.1.3680043.99999.4242${pad(this.next(), 4)}`
  }

  date (): string {
    for (;;) {
      const ms = DA_BASE_MS + this.#dates * DA_STEP_DAYS * DAY_MS
      this.#dates++
      const date = ymd(ms)
      if (!date.endsWith('0101')) return date
    }
  }

  dateTime (): string {
    const n = this.next()
    return `${ymd(DT_BASE_MS + n * DAY_MS)}1011${pad(n % 60, 2)}.${pad(n, 6)}`
  }

  time (): string {
    const n = this.next()
    return `1011${pad(n % 60, 2)}.${pad(n, 6)}`
  }
}

// ── character sets of the instances ─────────────────────────────────────────────────────

export interface CharsetCase {
  readonly name: string
  /** Specific Character Set (0008,0005); empty: the default repertoire. */
  readonly terms: readonly string[]
  encode (text: string, vr: VR): Uint8Array
  /** Flavours of text canaries in this charset: alphabetic, ideographic, phonetic groups. */
  readonly alphabetic: Flavour
  readonly ideographic: Flavour | undefined
  readonly phonetic: Flavour | undefined
  /** Free text around embedded identifiers. */
  readonly clinical: string
}

function codecCase (name: string, terms: string[], rest: Omit<CharsetCase, 'name' | 'terms' | 'encode'>): CharsetCase {
  const codec: TextCodec = compileCharset(terms)
  return { name, terms, encode: (text, vr) => codec.encode(text, vr), ...rest }
}

export const DEFAULT_CASE: CharsetCase = codecCase('default', [], { alphabetic: 'ascii', ideographic: undefined, phonetic: undefined, clinical: 'CT CHEST for' })

export const CHARSET_CASES: readonly CharsetCase[] = [
  codecCase('latin1', ['ISO_IR 100'], { alphabetic: 'latin', ideographic: undefined, phonetic: undefined, clinical: 'Scanner thoracique de contrôle pour' }),
  codecCase('utf8', ['ISO_IR 192'], { alphabetic: 'latin', ideographic: 'kanji', phonetic: 'kana', clinical: 'CT 胸部 Грудная клетка' }),
  {
    name: 'iso2022-ir87',
    terms: ['', 'ISO 2022 IR 87'],
    encode: (text) => encodeIso2022Jp(text),
    alphabetic: 'ascii',
    ideographic: 'kanji',
    phonetic: 'kana',
    clinical: 'CT 胸部 検査'
  },
  codecCase('gb18030', ['GB18030'], { alphabetic: 'ascii', ideographic: 'hanzi', phonetic: 'kana', clinical: 'CT 胸部 检查' })
]

/** Which canaries a profile must make vanish, and the judgement that says so (for messages). */
export function whyVanish (canary: Canary, profile: string): string {
  if (canary.where === 'preamble') return 'the preamble is zeroed (PS3.10 §7.1, CVE-2019-11687)'
  const leaf = judge(profile, canary.tag ?? 0, judgedVR(canary.tag ?? 0, canary.vr ?? 'UN'), canary.creator)
  const ancestors = canary.ancestors.map((a) => judge(profile, a.tag, 'SQ', a.creator))
  return [leaf, ...ancestors].map((j) => `${j.expectation}: ${j.because}`).join('; ')
}
