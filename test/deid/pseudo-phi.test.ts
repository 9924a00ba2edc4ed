/**
 * Issue 3, must show 4: the corpus's fake-PHI files (pseudo-phi/: TCIA Pseudo-PHI-DICOM-Data
 * via Presidio and Flywheel, and a Siemens phantom with planted PII) come out of every
 * shipped profile with none of their planted values.
 *
 * The planted values are read from each input itself: the values of every attribute the basic
 * profile must not keep (Table E.1-1 and the profile files, test/helpers/deid-expectations.ts:
 * names, IDs, dates, addresses, phone numbers, institution, physicians, accession number,
 * UIDs, private strings…), person names also component by component, plus Presidio's ground
 * truth for the text burned into 0_ORIGINAL (its names and dates, which its header repeats).
 *
 * What is not a planted value (the whole exclusion rule):
 * 1. values shorter than 3 characters (after padding is removed);
 * 2. coded values: VR CS, and Code Value / Coding Scheme Designator / Version (0008,0100-0103);
 * 3. numbers (digits, sign, point, exponent) with fewer than 6 digits: counts, sizes,
 *    weights, short serial numbers are not identifying on their own, and are found by chance;
 * 4. for a profile, values the profile keeps as they are somewhere in the same input (e.g.
 *    a Code Meaning repeated in a kept code sequence, sex and age under research): they
 *    legitimately survive, so they are checked at their own place only (see below).
 * Free text under Clean Descriptors is not checked as a whole (its clinical words stay); the
 * identifiers inside it are, as the planted values of their own attributes.
 *
 * Each profile's output (deidentifyBuffer, and deidentifyJson of the input's DICOM JSON) must
 * not contain a planted value the profile must remove: not in the raw bytes (Pixel Data left
 * out: it is kept, and 4 MB of pixels hold any short string by chance), not in the decoded
 * text of any value, not in the JSON. Values match case-insensitively as whole words (not
 * inside a longer run of letters and digits). Planted dates must not appear in any DICOM date
 * form (YYYYMMDD, YYYY.MM.DD, YYYY-MM-DD, YYYY/MM/DD): research shifts them, safe-harbor keeps
 * the year, the others remove them. Values under rule 4 are checked at their place: the
 * output value at the same path must not contain them.
 *
 * Only tags, counts and codes are printed: never a planted value (fake PHI, but the rule is
 * no PHI in test output).
 */
import { Buffer } from 'node:buffer'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loadProfile } from '../../src/deid/profile/load.js'
import type { DicomJsonDataset } from '../../src/dicom/json.js'
import { keywordOf } from '../../src/dicom/dictionary.js'
import { isMultiValuedText, type VR } from '../../src/dicom/vr.js'
import { isDicomgateError } from '../../src/errors.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { CORPUS_DIR, corpusEntries, corpusSkip } from '../helpers/corpus.js'
import { judge, judgedVR, mustVanish, SHIPPED_DEID_PROFILES } from '../helpers/deid-expectations.js'
import { decodeOutput, jsonOf, jsonStrings, runBuffer, runJson, type DecodedOutput, type OutputValue } from '../helpers/deid-output.js'

type Kind = 'text' | 'name' | 'number' | 'date'

interface Planted {
  /** The value (never printed). */
  readonly value: string
  readonly kind: Kind
  /** Where it was read: path and keyword, for messages. */
  readonly path: string
  readonly where: string
  readonly source: OutputValue | undefined
}

/**
 * Leaks the engine still has on these files: `path` of the planted value, profiles and forms.
 * The test fails when a listed leak stops leaking. Diagnoses: test/deid/canary.test.ts.
 */
interface KnownLeak { readonly file: string, readonly path: string, readonly profiles: readonly string[], readonly forms: readonly Form[], readonly diagnosis: string }
type Form = 'buffer' | 'json'

const KNOWN_LEAKS: readonly KnownLeak[] = []

const keys = deriveKeys(Buffer.alloc(32, 0x3c))
const ENTRIES = corpusEntries().filter((e) => e.path.startsWith('pseudo-phi/'))
const GROUND_TRUTH = join(CORPUS_DIR, 'pseudo-phi', 'presidio', 'dicom_pii_verify_integration.json')
/** Presidio's ground truth describes the burned-in text of 0_ORIGINAL (and so of its twins). */
const GROUND_TRUTH_FILES = /pseudo-phi\/presidio\/0_ORIGINAL/

/** Values read as text (binary values, e.g. a CSA header, are removed whole and not searched). */
const TEXT_VRS: ReadonlySet<string> = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT'])
/** Rule 2: coded values. */
const CODE_TAGS: ReadonlySet<number> = new Set([0x00080100, 0x00080102, 0x00080103])
const NUMBER = /^[+-]?\d*\.?\d*(?:[eE][+-]?\d+)?$/
/** File meta the source may fill with its own identity: what the engine must not pass on (PS3.10 §7.1). */
const META_PLANTED: ReadonlySet<number> = new Set([0x00020003, 0x00020016, 0x00020017, 0x00020018, 0x00020026, 0x00020027, 0x00020028, 0x00020100, 0x00020102])

const observed = new Set<string>()
const PIXEL_DATA = 0x7fe00010

/** Where a value was read, for messages: its path and keyword. */
function where (v: OutputValue): string {
  const keyword = keywordOf(v.tag)
  return keyword === undefined ? v.path : `${v.path} ${keyword}`
}

function digitCount (s: string): number {
  return s.replace(/\D/g, '').length
}

/** Splits a decoded value into what is searched: values, and for PN each name component. */
function pieces (v: OutputValue, vr: string): Array<{ value: string, kind: Kind }> {
  const out: Array<{ value: string, kind: Kind }> = []
  const values = isMultiValuedText(vr) ? v.text.split('\\') : [v.text]
  for (const raw of values) {
    const value = raw.replace(/[\0 ]+$/, '').trim()
    if (vr === 'DA' || vr === 'DT') {
      if (/^\d{8}/.test(value)) out.push({ value: value.slice(0, 8), kind: 'date' })
      continue
    }
    out.push({ value, kind: NUMBER.test(value) ? 'number' : 'text' })
    if (vr === 'PN') {
      for (const group of value.split('=')) {
        for (const component of group.split('^').slice(0, 3)) out.push({ value: component.trim(), kind: 'name' })
      }
    }
  }
  return out
}

/** Private values read as text when they are text (Implicit VR gives them as UN). */
function privateText (v: OutputValue): boolean {
  const b = v.bytes
  if (b.length < 3 || b.length > 1024) return false
  const body = b.subarray(0, b.length - (b[b.length - 1] === 0 || b[b.length - 1] === 0x20 ? 1 : 0))
  return body.every((c) => c >= 0x20 && c < 0x7f)
}

/** Rules 1-3: which rule leaves this piece out, if any. */
function exclusion (p: { value: string, kind: Kind }, v: OutputValue, vr: string): 'short' | 'coded' | 'shortNumber' | undefined {
  if (p.value.length < 3) return 'short' // rule 1
  if (vr === 'CS' || CODE_TAGS.has(v.tag)) return 'coded' // rule 2
  if (p.kind === 'number' && digitCount(p.value) < 6) return 'shortNumber' // rule 3
  return undefined
}

interface FileFacts {
  readonly input: Buffer
  readonly values: readonly OutputValue[]
  /** Every planted value with where it came from (basic must remove them all). */
  readonly planted: readonly Planted[]
  /** How many pieces each of rules 1-3 left out. */
  readonly excluded: { short: number, coded: number, shortNumber: number }
}

function vrOf (v: OutputValue): VR {
  const vr = judgedVR(v.tag, v.vr)
  if (vr === 'UN' && (v.tag >>> 16) % 2 === 1 && privateText(v)) return 'LO'
  return vr
}

function readFacts (file: string, path: string): FileFacts {
  const input = readFileSync(file)
  const decoded = decodeOutput(input)
  const planted: Planted[] = []
  const excluded = { short: 0, coded: 0, shortNumber: 0 }
  for (const v of decoded.values) {
    if (v.pixelData) continue
    const vr = vrOf(v)
    if (!TEXT_VRS.has(vr)) continue
    if (v.tag >>> 16 === 0x0002 && !META_PLANTED.has(v.tag)) continue
    const leaf = judge('basic', v.tag, vr , v.creator)
    const ancestors = v.ancestors.map((a) => judge('basic', a.tag, 'SQ', a.creator))
    if (!mustVanish(leaf, ancestors, false)) continue
    for (const p of pieces(v, vr)) {
      const rule = exclusion(p, v, vr)
      if (rule !== undefined) {
        if (p.value.length > 0) excluded[rule]++
        continue
      }
      planted.push({ ...p, path: v.path, where: where(v), source: v })
    }
  }
  if (GROUND_TRUTH_FILES.test(path) && existsSync(GROUND_TRUTH)) {
    const truth = JSON.parse(readFileSync(GROUND_TRUTH, 'utf8')) as { ground_truth: Array<{ label: string }> }
    for (const { label } of truth.ground_truth) {
      const date = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(label)
      if (date !== null) planted.push({ value: `${date[3] ?? ''}${date[1] ?? ''}${date[2] ?? ''}`, kind: 'date', path: 'ground truth', where: 'Presidio ground truth (burned-in date)', source: undefined })
      else if (/^[A-Za-z]{3,}$/.test(label)) planted.push({ value: label, kind: 'name', path: 'ground truth', where: 'Presidio ground truth (burned-in name)', source: undefined })
    }
  }
  return { input, values: decoded.values, planted, excluded }
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** The forms a date may take in the output (PS3.5 DA, and the ACR-NEMA and ISO spellings). */
function dateForms (yyyymmdd: string): string[] {
  const [y, m, d] = [yyyymmdd.slice(0, 4), yyyymmdd.slice(4, 6), yyyymmdd.slice(6, 8)]
  return [`${y}${m}${d}`, `${y}.${m}.${d}`, `${y}-${m}-${d}`, `${y}/${m}/${d}`]
}

/** A matcher for one planted value: whole word, any case; a date in any of its forms, not inside a number or UID. */
function matcher (p: Planted): RegExp {
  if (p.kind === 'date') return new RegExp(`(?<![\\d.])(?:${dateForms(p.value).map(escape).join('|')})`, 'u')
  return new RegExp(`(?<![\\p{L}\\p{N}])${escape(p.value)}(?![\\p{L}\\p{N}])`, 'iu')
}

/** Values `profile` keeps as they are (rule 4), as text to search. */
function keptText (values: readonly OutputValue[], profile: string): string[] {
  const kept: string[] = []
  for (const v of values) {
    if (v.pixelData) continue
    const vr = vrOf(v)
    const leaf = judge(profile, v.tag, vr , v.creator)
    const ancestors = v.ancestors.map((a) => judge(profile, a.tag, 'SQ', a.creator))
    if (leaf.expectation === 'keep' && !mustVanish(leaf, ancestors, false)) kept.push(v.text)
  }
  return kept
}

/** The planted values `profile` must remove, split by rule 4 into searched everywhere / at their place. */
function plantedFor (facts: FileFacts, profile: string): { everywhere: Planted[], atPlace: Planted[] } {
  const kept = keptText(facts.values, profile)
  const everywhere: Planted[] = []
  const atPlace: Planted[] = []
  for (const p of facts.planted) {
    if (p.source !== undefined) {
      const vr = vrOf(p.source)
      const leaf = judge(profile, p.source.tag, vr, p.source.creator)
      const ancestors = p.source.ancestors.map((a) => judge(profile, a.tag, 'SQ', a.creator))
      if (!mustVanish(leaf, ancestors, false)) continue
    }
    const m = matcher(p)
    if (kept.some((k) => m.test(k))) atPlace.push(p)
    else everywhere.push(p)
  }
  return { everywhere, atPlace }
}

/**
 * The output's bytes with the value of top-level Pixel Data (7FE0,0010) zeroed, native or
 * encapsulated. readTokens hands values and chunks out as views of the buffer it parses, so
 * their place in `out` is their byte offset.
 */
function rawWithoutPixels (out: Buffer, decoded: DecodedOutput): string {
  const copy = Buffer.from(out)
  let depth = 0
  let inPixels = false
  const zero = (bytes: Uint8Array): void => {
    if (bytes.buffer !== out.buffer) throw new Error('a pixel value is not a view of the output: cannot leave it out')
    const at = bytes.byteOffset - out.byteOffset
    copy.fill(0, at, at + bytes.length)
  }
  for (const token of decoded.tokens) {
    switch (token.type) {
      case 'sequence-start': depth++; break
      case 'sequence-end': depth--; break
      case 'element': if (depth === 0 && token.tag === PIXEL_DATA) zero(token.value); break
      case 'value-start': case 'encapsulated-start': inPixels = depth === 0 && token.tag === PIXEL_DATA; break
      case 'value-chunk': if (inPixels) zero(token.bytes); break
      case 'value-end': case 'encapsulated-end': inPixels = false; break
      default: break
    }
  }
  return copy.toString('latin1')
}

function knownLeak (path: string, planted: Planted, profile: string, form: Form): boolean {
  const k = KNOWN_LEAKS.find((x) => path.endsWith(x.file) && planted.path === x.path && x.profiles.includes(profile) && x.forms.includes(form))
  if (k === undefined) return false
  observed.add(`${leakKey(k)}|${profile}|${form}`)
  return true
}

function leakKey (k: KnownLeak): string {
  return `${k.file}|${k.path}`
}

/** Where a planted value is found in a Part 10 output; descriptions name tags only. */
function findInPart10 (out: Buffer, planted: { everywhere: Planted[], atPlace: Planted[] }): Array<[Planted, string]> {
  const decoded = decodeOutput(out)
  const raw = rawWithoutPixels(out, decoded)
  const found: Array<[Planted, string]> = []
  for (const p of planted.everywhere) {
    const m = matcher(p)
    const at = decoded.values.find((v) => !v.pixelData && m.test(v.text))
    if (at !== undefined) found.push([p, `decoded in output ${at.path}`])
    else if (m.test(raw)) found.push([p, 'raw output bytes'])
  }
  for (const p of planted.atPlace) {
    const m = matcher(p)
    const at = decoded.values.find((v) => v.path === p.path && m.test(v.text))
    if (at !== undefined) found.push([p, `at its own place ${at.path}`])
  }
  return found
}

function findInJson (out: DicomJsonDataset, planted: { everywhere: Planted[], atPlace: Planted[] }): Array<[Planted, string]> {
  // Pixel Data is left out here too (see rawWithoutPixels).
  const withoutPixels = Object.fromEntries(Object.entries(out).filter(([key]) => key !== '7FE00010'))
  const { text, binary } = jsonStrings(withoutPixels)
  const bin = binary.map((b) => b.toString('latin1')).join('\n')
  const found: Array<[Planted, string]> = []
  for (const p of planted.everywhere) {
    const m = matcher(p)
    if (m.test(text) || m.test(bin)) found.push([p, 'JSON output'])
  }
  return found
}

t.test('pseudo-phi files: no planted value survives', { skip: corpusSkip }, async (t) => {
  t.ok(ENTRIES.length > 0, 'the manifest lists pseudo-phi files')
  t.comment(`${ENTRIES.length} files`)
  for (const entry of ENTRIES) {
    await t.test(entry.path, async (t) => {
      const facts = readFacts(entry.absolutePath, entry.path)
      const kinds = (k: Kind): number => facts.planted.filter((p) => p.kind === k).length
      t.comment(`${facts.planted.length} planted values: ${kinds('text')} text, ${kinds('name')} name components, ${kinds('number')} numbers and UIDs, ${kinds('date')} dates, from ${new Set(facts.planted.map((p) => p.path)).size} attributes`)
      t.comment(`left out: ${facts.excluded.short} shorter than 3 characters, ${facts.excluded.coded} coded values, ${facts.excluded.shortNumber} numbers of fewer than 6 digits`)
      t.ok(facts.planted.length >= 10, 'the file has planted values to look for')
      negativeControl(t, facts)
      for (const profile of SHIPPED_DEID_PROFILES) await checkProfile(t, entry.path, facts, profile)
    })
  }
})

/** Passthrough keeps the file as it is: every planted value read from the header is found, so the search works. */
function negativeControl (t: Test, facts: FileFacts): void {
  const options = { profile: loadProfile('passthrough'), keys }
  const header = { everywhere: facts.planted.filter((p) => p.source !== undefined), atPlace: [] }
  const foundPart10 = new Set(findInPart10(runBuffer(facts.input, options), header).map(([p]) => p))
  const inDataset = header.everywhere.filter((p) => !p.path.startsWith('(0002,'))
  const foundJson = new Set(findInJson(runJson(jsonOf(facts.input), options), { everywhere: inDataset, atPlace: [] }).map(([p]) => p))
  const missed = [
    ...header.everywhere.filter((p) => !foundPart10.has(p)).map((p) => `buffer: ${p.kind} planted at ${p.where} not found`),
    ...inDataset.filter((p) => !foundJson.has(p)).map((p) => `json: ${p.kind} planted at ${p.where} not found`)
  ]
  if (missed.length === 0) t.pass(`negative control: passthrough keeps all ${header.everywhere.length} planted header values, and the search finds them`)
  else t.fail(`negative control: ${missed.length} planted values not found under passthrough`, { missed })
}

async function checkProfile (t: Test, path: string, facts: FileFacts, profile: string): Promise<void> {
  const options = { profile: loadProfile(profile), keys }
  const planted = plantedFor(facts, profile)
  const leaks: string[] = []
  let out: Buffer
  try {
    out = runBuffer(facts.input, options)
  } catch (err) {
    const code = isDicomgateError(err) ? err.code : 'not a DicomgateError'
    t.comment(`${profile}: rejected with ${code} (no output, nothing leaks)`)
    t.match(code, /^DG_DEID_/, `${profile}: a rejection is a de-identification refusal`)
    return
  }
  t.comment(`${profile}: accepted; ${planted.everywhere.length} planted values searched everywhere, ${planted.atPlace.length} at their place only (rule 4: kept elsewhere by ${profile})`)
  for (const [p, where] of findInPart10(out, planted)) {
    if (!knownLeak(path, p, profile, 'buffer')) leaks.push(`buffer: ${p.kind} planted at ${p.where} found in ${where}`)
  }
  const json = runJson(jsonOf(facts.input), options)
  for (const [p, where] of findInJson(json, planted)) {
    if (!knownLeak(path, p, profile, 'json')) leaks.push(`json: ${p.kind} planted at ${p.where} found in ${where}`)
  }
  if (leaks.length === 0) t.pass(`${profile}: no planted value survives`)
  else t.fail(`${profile}: ${leaks.length} planted values survive`, { leaks })
}

t.test('known leaks still leak (remove an entry once it is fixed)', { skip: corpusSkip }, async (t) => {
  for (const k of KNOWN_LEAKS) {
    for (const profile of k.profiles) {
      for (const form of k.forms) t.ok(observed.has(`${leakKey(k)}|${profile}|${form}`), `${k.file} ${k.path} leaks under ${profile} (${form}): ${k.diagnosis}`)
    }
  }
})
