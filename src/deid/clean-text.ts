/**
 * Clean Descriptors (PS3.15 §E.3.5): free text keeps its descriptive words and loses the
 * patient's identifying values and the common kinds of PHI (45 CFR 164.514(b)(2)(i)).
 *
 * `compileIdentifiers` runs once per instance and builds one RegExp from the patient's
 * values; the fixed patterns are one RegExp for the process. `cleanText` scans a value
 * with both, and returns the value itself (same string) when nothing matched, so clean
 * text is never rewritten.
 *
 * What is removed:
 * - Patient values: name components (family, given, middle: prefixes and suffixes such as
 *   MR, DR, JR are no names and are also clinical words) as whole words, in any order and
 *   case, with an adjacent initial of the name ('J. DOE'); in CJK text, where there are no
 *   word boundaries, as substrings, and family+given written together (王小东: a one-character
 *   component alone is not searched). IDs as whole words, separators written any way or
 *   not at all; a numeric ID also with leading zeros dropped or added (when 6 digits or
 *   more remain). Dates in numeric written forms and with the month's name, also with
 *   2-digit years. Addresses as a whole and line by line
 *   (split on ^ , and newlines; lines of 5 characters or more). Phones by their digits,
 *   whatever the separators, also the last 10 and last 7 digits.
 * - Patterns, whoever they belong to: e-mail addresses, URLs, IPv4 addresses, US SSNs,
 *   dates (YYYY-MM-DD, DD.MM.YYYY, MM/DD/YYYY…, 'March 5, 2020', '5 Mar 2020': a descriptor
 *   should not carry any date), phone numbers (international '+…', NANP with area code),
 *   and runs of 7 digits or more (MRNs, accession numbers, YYYYMMDD).
 *
 * How: each match is widened to whole words (never a partial word is left, except in CJK
 * text), matches separated only by spaces and punctuation merge, and each merged span
 * becomes '*' repeated min(3, its length). The value never gets longer (VR maximum lengths
 * hold: SH 16, LO 64…), the reader sees that something was removed, and the mask says
 * nothing about how long or how many. Other whitespace is left as it is.
 */

export interface PatientIdentifiers {
  /** PN values: 'DOE^JOHN^Q^DR^JR', 'Yamada^Tarou=山田^太郎=やまだ^たろう'. */
  readonly names: readonly string[]
  readonly ids: readonly string[]
  /** DA values (YYYYMMDD; DT values are read by their first 8 digits). */
  readonly dates: readonly string[]
  readonly addresses: readonly string[]
  readonly phones: readonly string[]
  /** Any other identifying phrase, matched whole (3 characters or more). */
  readonly other: readonly string[]
}

/** Compiled form of a patient's identifiers; opaque, reusable for every value of an instance. */
export interface IdentifierMatcher {
  /** The patient's values, or undefined when there are none to search. */
  readonly patient: RegExp | undefined
  /** Upper-case initials of the Latin name components. */
  readonly initials: ReadonlySet<string>
}

export const NO_IDENTIFIERS: PatientIdentifiers = Object.freeze({ names: [], ids: [], dates: [], addresses: [], phones: [], other: [] })

/** The longest mask: '***'. */
export const MASK_MAX = 3
const MIN_NAME = 2
const MIN_ID = 3
const MIN_LINE = 5
const MIN_LONG_NUMBER = 6
const MIN_PHONE = 7

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u
const WORD_CHAR = /[\p{L}\p{M}\p{N}_]/u
/** Surname particles: not searched alone ('DE LA CRUZ' is searched whole and as 'CRUZ'). */
const PARTICLES: ReadonlySet<string> = new Set(['al', 'ap', 'bin', 'da', 'das', 'de', 'del', 'della', 'den', 'der', 'di', 'do', 'dos', 'du', 'el', 'ibn', 'la', 'le', 'st', 'van', 'von', 'y', 'zu'])

// ── the fixed patterns ───────────────────────────────────────────────────────────────────

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'] as const
const MONTH = 'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?'
const NOT_WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}])'
const SEP = '[-\\/. ]'
/** 2-digit years only with '-', '/' or '.': '5 3 20' is more likely three numbers. */
const SHORT_SEP = '[-\\/.]'

const PATTERNS: readonly string[] = [
  // Each pattern starts where its first character cannot continue a longer run (lookbehind),
  // so a long value is scanned in linear time, not retried from every character of a run.
  '(?<email>(?<![\\p{L}\\p{N}._%+-])[\\p{L}\\p{N}._%+-]+@[\\p{L}\\p{N}-]+(?:\\.[\\p{L}\\p{N}-]+)+)',
  '(?<url>(?:https?|ftp|file):\\/\\/[^\\s<>"]+|www\\.[^\\s<>"]+)',
  '(?<ip>(?<![\\d.])(?:\\d{1,3}\\.){3}\\d{1,3}(?!\\.?\\d))',
  // Validated in code: a year 1800-2199 and a month and day that can be one.
  '(?<date>(?<![\\d.\\/-])(?:\\d{4}[-\\/.]\\d{1,2}[-\\/.]\\d{1,2}|\\d{1,2}[-\\/.]\\d{1,2}[-\\/.]\\d{4})(?!\\d|[-\\/.]\\d))',
  `(?<mdate>${NOT_WORD_BEFORE}(?:(?:${MONTH})\\.?\\s*\\d{1,2}(?:st|nd|rd|th)?,?\\s*\\d{4}|\\d{1,2}(?:st|nd|rd|th)?[\\s.-]*(?:${MONTH})\\.?[\\s.,-]*\\d{4})(?!\\d))`,
  '(?<ssn>(?<!\\d)\\d{3}-\\d{2}-\\d{4}(?!\\d))',
  // International (+ and 7 digits or more, checked in code) and NANP with area code.
  '(?<phone>(?<![\\p{L}\\p{N}+])\\+\\d{1,3}(?:[\\s.-]?\\(?\\d{1,4}\\)?){2,5}(?!\\d)|(?<!\\d)(?:1[\\s.-]?)?(?:\\(\\d{3}\\)\\s?|\\d{3}[\\s.-])\\d{3}[\\s.-]\\d{4}(?!\\d))'
]
const DIGIT_RUN = '(?<digits>\\d{7,})'
/** One RegExp for the process: V8 compiles its Unicode classes once, not per instance. */
const FIXED = new RegExp([...PATTERNS, DIGIT_RUN].join('|'), 'giu')

/**
 * The patient's RegExp is new for every instance, so it avoids what is slow to compile
 * (\\p{…} classes, the `i` flag on them: milliseconds each). Case is spelled out per
 * letter ([Dd][Oo][Ee]); word boundaries use this class of letters, marks and digits by
 * blocks (Latin to Ethiopic and beyond, Hangul, full-width forms), which leaves out CJK
 * ideographs and kana (no word boundaries there) and punctuation such as ’ and “.
 */
const WORD_RANGES = '0-9A-Za-z_\\u00AA\\u00B2\\u00B3\\u00B5\\u00B9\\u00BA\\u00BC-\\u00BE\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u1FFF' +
  '\\u2C00-\\u2DFF\\uA640-\\uA7FF\\uAC00-\\uD7AF\\uFB00-\\uFDFF\\uFE70-\\uFEFF\\uFF10-\\uFF19\\uFF21-\\uFF3A\\uFF41-\\uFF5A'
const NOT_WORD_BEFORE_FAST = `(?<![${WORD_RANGES}])`
const NOT_WORD_AFTER_FAST = `(?![${WORD_RANGES}])`

// ── compiling a patient's identifiers ───────────────────────────────────────────────────

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A phrase as a pattern: letters in either case, any whitespace run for any other, either apostrophe. */
function phrase (text: string): string {
  let out = ''
  for (const char of text) {
    if (/\s/.test(char)) {
      if (!out.endsWith('\\s+')) out += '\\s+'
    } else if (char === "'" || char === '’') {
      out += "['’]"
    } else {
      const lower = char.toLowerCase()
      const upper = char.toUpperCase()
      // 'ß' → 'SS' and the like have no one-character other case: matched as written.
      out += lower !== upper && [...lower].length === 1 && [...upper].length === 1 ? `[${lower}${upper}]` : escape(char)
    }
  }
  return out
}

/** Digits with any separators between them ('5551234567' matches '(555) 123-4567'). */
const spacedDigits = (digits: string, separators: string): string => digits.split('').join(`${separators}*`)

interface Terms { names: Set<string>, cjk: Set<string>, words: Set<string>, numbers: Set<string>, initials: Set<string> }

function addName (terms: Terms, component: string): void {
  if (component.length === 0) return
  if (CJK.test(component)) {
    if (component.length >= MIN_NAME) terms.cjk.add(escape(component))
    return
  }
  terms.initials.add((component[0] ?? '').toUpperCase())
  if (component.length >= MIN_NAME) terms.names.add(phrase(component))
  const words = component.split(/[\s-]+/)
  if (words.length < 2) return
  for (const word of words) {
    if (word.length >= MIN_NAME && !PARTICLES.has(word.toLowerCase())) terms.names.add(phrase(word))
  }
}

function addDate (terms: Terms, value: string): void {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(value)
  if (m === null) return
  const [, y = '', mm = '', dd = ''] = m
  if (Number(mm) < 1 || Number(mm) > 12 || Number(dd) < 1 || Number(dd) > 31) return
  const month = `0?${Number(mm)}`
  const day = `0?${Number(dd)}`
  terms.numbers.add(`${y}${mm}${dd}`)
  terms.numbers.add(`${y}${SEP}${month}${SEP}${day}`)
  for (const [first, second] of [[day, month], [month, day]] as const) {
    terms.numbers.add(`${first}${SEP}${second}${SEP}${y}`)
    terms.numbers.add(`${first}${SHORT_SEP}${second}${SHORT_SEP}${y.slice(2)}`)
  }
  // With the month's name, also with a 2-digit year ('15-Mar-70', 'March 15, 70').
  const name = MONTH_NAMES[Number(mm) - 1] ?? ''
  const months = `(?:${phrase(name)}|${phrase(name.slice(0, 3))})\\.?`
  const years = `(?:${y}|${y.slice(2)})`
  terms.words.add(`${day}(?:st|nd|rd|th)?[\\s.-]*${months}[\\s.,-]*${years}`)
  terms.words.add(`${months}\\s*${day}(?:st|nd|rd|th)?,?\\s*${years}`)
}

function addId (terms: Terms, id: string): void {
  if (/^[\d\s./-]+$/.test(id)) {
    const digits = id.replace(/\D/g, '')
    const significant = digits.replace(/^0+/, '')
    if (significant.length >= MIN_LONG_NUMBER) terms.numbers.add(`0*${spacedDigits(significant, '[\\s.\\/-]')}`)
    else if (digits.length >= MIN_ID) terms.numbers.add(spacedDigits(digits, '[\\s.\\/-]'))
    return
  }
  // Separators may be written differently or not at all: 'PAT-001', 'PAT001', 'PAT 001'.
  terms.words.add(id.split(/[-./\s]+/).map(phrase).join('[-./\\s]?'))
}

function addPhone (terms: Terms, phone: string): void {
  const digits = phone.replace(/\D/g, '')
  if (digits.length < MIN_PHONE) return
  for (const tail of new Set([digits, digits.slice(-10), digits.length >= 10 ? digits.slice(-7) : digits])) {
    terms.numbers.add(spacedDigits(tail, '[\\s().\\/-]'))
  }
}

/** Longest first, so that of two terms starting at the same place the longer wins. */
const alternation = (set: ReadonlySet<string>): string => [...set].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).join('|')

function build (terms: Terms): RegExp | undefined {
  const parts: string[] = []
  if (terms.numbers.size > 0) parts.push(`(?<!\\d)(?:${alternation(terms.numbers)})(?!\\d)`)
  if (terms.words.size > 0) parts.push(`${NOT_WORD_BEFORE_FAST}(?:${alternation(terms.words)})${NOT_WORD_AFTER_FAST}`)
  if (terms.names.size > 0) parts.push(`(?<name>${NOT_WORD_BEFORE_FAST}(?:${alternation(terms.names)})${NOT_WORD_AFTER_FAST})`)
  if (terms.cjk.size > 0) parts.push(alternation(terms.cjk))
  return parts.length === 0 ? undefined : new RegExp(parts.join('|'), 'gu')
}

const trimmed = (values: readonly string[]): string[] => values.map((v) => v.trim()).filter((v) => v !== '')

/** Compiles the patient's values into a matcher (once per instance). */
export function compileIdentifiers (ids: PatientIdentifiers): IdentifierMatcher {
  const terms: Terms = { names: new Set(), cjk: new Set(), words: new Set(), numbers: new Set(), initials: new Set() }
  for (const pn of trimmed(ids.names)) {
    for (const group of pn.split('=')) {
      // PS3.5 §6.2.1.1: family ^ given ^ middle ^ prefix ^ suffix; the first three name the person.
      const [family = '', given = '', middle = ''] = group.split('^').map((c) => c.trim())
      for (const component of [family, given, middle]) addName(terms, component)
      if (family !== '' && given !== '' && CJK.test(family + given)) terms.cjk.add(escape(family + given))
    }
  }
  for (const id of trimmed(ids.ids)) if (id.length >= MIN_ID) addId(terms, id)
  for (const date of trimmed(ids.dates)) addDate(terms, date)
  for (const address of trimmed(ids.addresses)) {
    for (const line of [address, ...address.split(/[\^,\r\n]+/)]) {
      if (line.trim().length >= MIN_LINE) terms.words.add(phrase(line.trim()))
    }
  }
  for (const phone of trimmed(ids.phones)) addPhone(terms, phone)
  for (const other of trimmed(ids.other)) if (other.length >= MIN_ID) terms.words.add(phrase(other))
  return Object.freeze({ patient: build(terms), initials: terms.initials })
}

// ── cleaning one value ──────────────────────────────────────────────────────────────────

/** Letters and digits that a span widens over; CJK text has no words to widen to. */
const isWordChar = (char: string | undefined): boolean => char !== undefined && WORD_CHAR.test(char) && !CJK.test(char)
const isNameGap = (char: string | undefined): boolean => char === ' ' || char === ',' || char === '^'
const isInitialEdge = (char: string | undefined): boolean => char === undefined || isNameGap(char) || char === '(' || char === ')' || /\s/.test(char)
/** Between two removed spans, only these: the spans merge into one mask. */
const JOINERS = /^[\s,;:^=.\\/+()&-]*$/

function accept (groups: Record<string, string | undefined>): boolean {
  const date = groups.date
  if (date !== undefined) {
    const [a = 0, b = 0, c = 0] = date.split(/[-/.]/).map(Number)
    const yearFirst = /^\d{4}/.test(date)
    const year = yearFirst ? a : c
    const [x, y] = yearFirst ? [b, c] : [a, b] // year first: month, day; else day, month or month, day
    return year >= 1800 && year <= 2199 && x >= 1 && y >= 1 && ((x <= 12 && y <= 31) || (!yearFirst && x <= 31 && y <= 12))
  }
  if (groups.ip !== undefined) return groups.ip.split('.').every((octet) => Number(octet) <= 255)
  if (groups.phone !== undefined) return groups.phone.replace(/\D/g, '').length >= MIN_PHONE
  return true
}

/** Widens a name span over an initial of the patient's names next to it: 'J. DOE', 'DOE, J'. */
function withInitials (text: string, start: number, end: number, initials: ReadonlySet<string>): readonly [number, number] {
  let i = start
  while (isNameGap(text[i - 1])) i--
  if (text[i - 1] === '.') i--
  const left = text[i - 1]
  if (i < start && left !== undefined && initials.has(left.toUpperCase()) && isInitialEdge(text[i - 2])) start = i - 1
  let j = end
  while (isNameGap(text[j])) j++
  const right = text[j]
  if (j > end && right !== undefined && initials.has(right.toUpperCase())) {
    if (text[j + 1] === '.') end = j + 2
    else if (isInitialEdge(text[j + 1])) end = j + 1
  }
  return [start, end]
}

/** Adds the spans `pattern` finds, widened to whole words, to `spans` (start, end, start, end…). */
function collect (text: string, pattern: RegExp, spans: number[], initials: ReadonlySet<string>): void {
  pattern.lastIndex = 0
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    let start = m.index
    let end = start + m[0].length
    if (end === start || !accept(m.groups ?? {})) {
      pattern.lastIndex = start + 1
      continue
    }
    if (m.groups?.name !== undefined) [start, end] = withInitials(text, start, end, initials)
    while (start > 0 && isWordChar(text[start]) && isWordChar(text[start - 1])) start--
    while (end < text.length && isWordChar(text[end - 1]) && isWordChar(text[end])) end++
    pattern.lastIndex = end
    spans.push(start, end)
  }
}

/** `text` with the patient's identifiers and the fixed PHI patterns masked (see the header). */
export function cleanText (text: string, matcher: IdentifierMatcher): string {
  const found: number[] = []
  collect(text, FIXED, found, matcher.initials)
  const fixedCount = found.length
  if (matcher.patient !== undefined) collect(text, matcher.patient, found, matcher.initials)
  if (found.length === 0) return text
  let order = Array.from({ length: found.length / 2 }, (_, k) => k * 2)
  if (fixedCount > 0 && fixedCount < found.length) order = order.sort((a, b) => (found[a] ?? 0) - (found[b] ?? 0))
  // Merge spans that overlap or have only spaces and punctuation between them.
  const spans: number[] = []
  for (const k of order) {
    const start = found[k] ?? 0
    const end = found[k + 1] ?? 0
    const last = spans.length - 1
    if (last > 0 && (start <= (spans[last] ?? 0) || JOINERS.test(text.slice(spans[last] ?? 0, start)))) {
      spans[last] = Math.max(end, spans[last] ?? 0)
    } else {
      spans.push(start, end)
    }
  }
  let out = ''
  let at = 0
  for (let k = 0; k < spans.length; k += 2) {
    const start = spans[k] ?? 0
    const end = spans[k + 1] ?? 0
    out += text.slice(at, start) + '*'.repeat(Math.min(MASK_MAX, end - start))
    at = end
  }
  return out + text.slice(at)
}
