/**
 * Every row of PS3.15 Table E.1-1, under every shipped profile but passthrough (basic,
 * research, safe-harbor, strict), gets the action the table requires: at the top level and
 * three sequences deep, in the Part 10 form (deidentifyBuffer; createDeidTransform checked
 * byte for byte against it) and in the DICOM JSON form (deidentifyJson).
 *
 * The expectation comes from test/helpers/table-e1-1-oracle.ts: the generated table, Table
 * E.3.10-1 and the profile files read as docs/profiles.md describes them, never from the
 * compiler or `ruleFor`. The semantics it encodes:
 *
 * - Precedence: a profile rule for the tag or keyword (a child's over its parent's), a tag
 *   pattern rule, a VR rule, then the row. Among a row's enabled option columns K beats C.
 * - C by its column: rtnLongModifDatesOpt → DA and DT shifted by the instance's keyed
 *   per-patient offset (the same for every date, within the profile's dateShift, never 0),
 *   TM kept; cleanDescOpt and rtnPatCharsOpt → text (SH LO ST LT UT UC PN) cleaned (these
 *   inputs hold no identifier, so they come out unchanged), a sequence kept and cleaned;
 *   rtnDevIdOpt → a keyed pseudonym {hash:16}; where C cannot apply to the VR (OB; CS,
 *   which holds defined terms; the SH Timezone Offset) the Basic Profile action;
 *   rtnSafePrivOpt → the private attributes of Table E.3.10-1 kept.
 * - Compound codes (the rows' values are non-empty): X/Z → Z; X/D, Z/D, X/Z/D → D;
 *   X/Z/U* → the sequence kept and its items cleaned. The rule's other branch is checked on
 *   a second top-level instance whose every row is present and empty (a sequence: no
 *   items): under a compound code it stays present and empty.
 * - Effects: X absent; Z present and empty (a sequence without items); D present, valid for
 *   its VR, not the input (a UI: a UID); K unchanged (AS capped at 090Y: '045Y' stays); U a
 *   2.25 UID equal to keyedUid (the same mapping everywhere); P a keyed pseudonym matching
 *   its format; Y the year (DA YYYY0101, DT YYYY). Sequences under D, K, U, C are kept with
 *   their item, whose harmless attribute (Referenced SOP Class UID) stays.
 * - strict mode removes attributes in no row unless a rule keeps them: it changes no row,
 *   but decides the containers used for depth 3, which must be kept (checked below).
 *
 * Placement: tag rows at their tag; (50xx,xxxx) as (5000,3000) and (5002,0010); (60xx,3000)
 * as (6000,3000) in a plane with rows, columns, type, origin and bits; (60xx,4000) as
 * (6002,4000); the private row as a block no table keeps ("ACME 1.0", (0009,1001)) and a
 * safe private block (ELSCINT1 (00E1,1021), DLP), creators checked too. Depth 3: inside
 * Shared Functional Groups > Pixel Measures > Plane Position sequences, one item each.
 * Rows that cannot be placed are listed in EXCLUDED, with the reason.
 *
 * Engine bugs found by this test are listed in KNOWN_ENGINE_BUGS: their rows must fail as
 * described (a listed row that passes fails the test, so that the list is emptied as bugs
 * are fixed).
 */
import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import t, { type Test } from 'tap'
import { createDeidChunkTransform, createDeidTransform, deidentifyBuffer, deidentifyJson, type DeidOptions } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { lookupTag } from '../../src/dicom/dictionary.js'
import { toDicomJson, type DicomJsonDataset } from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { deriveKeys, patientDayOffset, patientKey, type DeidKeys } from '../../src/pseudonym/keys.js'
import { attributeTag, binaryNumber, part10, sequence, text, type BuilderVR, type DatasetNode } from '../helpers/dataset-builder.js'
import { mismatch, type CheckContext } from '../helpers/table-e1-1-checks.js'
import { observeJson, observeTokens, tagKeyOf, type Observed, type ObservedDataset } from '../helpers/observed.js'
import { chunkTransformReusingBuffers } from '../helpers/tokens.js'
import {
  expectedCreator, expectedPrivate, expectedPublic, oracleProfile, safePrivateRows, tableRows,
  type Expected, type OracleProfile, type TableRow
} from '../helpers/table-e1-1-oracle.js'

const PROFILES = ['basic', 'research', 'safe-harbor', 'strict'] as const
type ProfileName = typeof PROFILES[number]
const FORMS = ['part10', 'json'] as const
type Form = typeof FORMS[number]
const DEPTHS = ['top', 'depth3'] as const
type Depth = typeof DEPTHS[number]

const keys: DeidKeys = deriveKeys(Buffer.alloc(32, 0x5a))
const ROWS = tableRows()
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2'
const REFERENCED_SOP_CLASS_UID = 0x00081150
/** Kept by every profile at any depth (strict.json keeps it by a rule): the item content of sequence rows. */
const HARMLESS = (): DatasetNode => text(REFERENCED_SOP_CLASS_UID, 'UI', CT_IMAGE_STORAGE)
/** Shared Functional Groups > Pixel Measures > Plane Position: in no row; strict.json keeps them (K). */
const CONTAINERS = [0x52009229, 0x00289110, 0x00209113] as const

/** Rows not placed, by form and depth, with why. */
const EXCLUDED: ReadonlyArray<{ row: string, where: (form: Form, depth: Depth) => boolean, why: string }> = [
  { row: '(0000,1000)', where: () => true, why: 'group 0000: a DIMSE command element (PS3.7 §E.1), never part of a Data Set, and not in the PS3.6 data dictionary' },
  { row: '(0000,1001)', where: () => true, why: 'group 0000: a DIMSE command element (PS3.7 §E.1), never part of a Data Set, and not in the PS3.6 data dictionary' },
  { row: '(0002,0003)', where: (form, depth) => form === 'json' || depth === 'depth3', why: 'file meta (PS3.10 §7.1): only at the start of a Part 10 file, not in the JSON model; checked in the Part 10 form at the top, where the engine writes it anew' }
]

/** One check of a profile: a form at a depth, or the two forms' agreement at a depth. */
type Check = `${Form} ${Depth}` | `forms agree ${Depth}` | `${Form} empty values`

/**
 * Rows the engine gets wrong today (found by this test; diagnosis in the issue 3 reply). A
 * listed row must fail where listed, in the way `shows` says (a different wrong output is
 * reported like any other), so that the list is emptied as the bugs are fixed.
 */
const KNOWN_ENGINE_BUGS: ReadonlyArray<{ profiles: readonly ProfileName[], row: string, checks: readonly Check[], shows: string, why: string }> = []

/** Rows checked in each form at each depth: 621 rows but those EXCLUDED there. */
const CHECKED_ROWS: Readonly<Record<`${Form} ${Depth}`, number>> = { 'part10 top': 619, 'json top': 618, 'part10 depth3': 618, 'json depth3': 618 }

// ── the instance ─────────────────────────────────────────────────────────────────────────

function rowId (row: TableRow): string {
  return row.tag ?? row.pattern ?? 'private attributes'
}

function parseTagText (text: string): number {
  return parseInt(text.replace(/[(),]/g, ''), 16) >>> 0
}

/** A word no other value contains (Clean Descriptors matches identifiers as whole words). */
function word (index: number): string {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
  return `Q${a[Math.floor(index / 676) % 26] ?? ''}${a[Math.floor(index / 26) % 26] ?? ''}${a[index % 26] ?? ''}`
}

const formatTagKey = (tag: number): string => `(${tagKeyOf(tag).slice(0, 4)},${tagKeyOf(tag).slice(4)})`
const pad2 = (n: number): string => String(n).padStart(2, '0')

/** A real date, one per row: 2019-01-01 plus `index` days. */
function dateOf (index: number): string {
  const d = new Date(Date.UTC(2019, 0, 1) + index * 86_400_000)
  return `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}`
}

/** A real time, never midnight. */
function timeOf (index: number): string {
  return `${pad2(8 + (index % 10))}${pad2(index % 60)}${pad2((index * 7) % 60)}`
}

/** A distinctive, non-empty value valid for `vr`, derived from `index`. */
function valueNode (tag: number, vr: BuilderVR, index: number): DatasetNode {
  const w = word(index)
  switch (vr) {
    case 'SQ': return sequence(tag, [HARMLESS()])
    case 'AE': case 'CS': case 'SH': case 'LO': case 'ST': case 'LT': case 'UT': case 'UC': return text(tag, vr, `${vr}${w}`)
    case 'PN': return text(tag, vr, `PN${w}^GN${w}`)
    case 'AS': return text(tag, vr, '045Y')
    case 'DA': return text(tag, vr, dateOf(index))
    case 'TM': return text(tag, vr, timeOf(index))
    case 'DT': return text(tag, vr, `${dateOf(index)}${timeOf(index)}`)
    case 'DS': return text(tag, vr, `${index}.5`)
    case 'IS': return text(tag, vr, String(index + 1))
    case 'UI': return text(tag, vr, `2.25.${329800735698586629295641978511506172918n + BigInt(index)}`)
    case 'UR': return text(tag, vr, `https://example.org/${w}`)
    case 'AT': return { tag, vr, value: attributeTag(0x00280010) }
    case 'US': case 'SS': case 'UL': case 'SL': case 'FL': case 'FD': case 'SV': case 'UV': return { tag, vr, value: binaryNumber(vr, index + 1) }
    // OB OW OF OL OD OV UN: 8 bytes, a whole number of values of any of them.
    default: return { tag, vr, value: Buffer.from([0x5a, index & 0xff, 0xa5, (index >> 8) & 0xff, 1, 2, 3, 4]) }
  }
}

/** One attribute a row is checked on; `expect` under a profile. */
interface Member {
  readonly row: TableRow
  readonly label: string
  readonly node: DatasetNode
  readonly expect: (profile: OracleProfile) => Expected
}

function publicMember (row: TableRow, tag: number, index: number): Member {
  const entry = lookupTag(tag)
  if (entry === undefined) throw new Error(`${rowId(row)}: (${tagKeyOf(tag)}) is not in the dictionary`)
  const vr = entry.vr as BuilderVR
  return {
    row,
    label: `${row.tag ?? `${rowId(row)} as ${formatTagKey(tag)}`} ${row.name} [${vr}]`,
    node: valueNode(tag, vr, index),
    expect: (p) => expectedPublic(p, { tag, keyword: row.keyword ?? (entry.keyword === '' ? undefined : entry.keyword), vr, row })
  }
}

const SAFE = safePrivateRows().find((r) => r.creator === 'ELSCINT1' && r.group === '00E1' && r.element === '21')
if (SAFE === undefined) throw new Error('Table E.3.10-1 lost ELSCINT1 (00E1,xx21): pick another safe private attribute')

function privateMembers (row: TableRow): Member[] {
  const acme = 'ACME 1.0'
  return [
    { row, label: '(0009,0010) private creator "ACME 1.0"', node: text(0x00090010, 'LO', acme), expect: (p) => expectedCreator(p, acme, 0x0009) },
    { row, label: '(0009,1001) "ACME 1.0" private LO', node: text(0x00091001, 'LO', 'LOACMEPRIVATE'), expect: (p) => expectedPrivate(p, row, acme, 0x0009, 0x01) },
    { row, label: '(00E1,0010) private creator "ELSCINT1"', node: text(0x00e10010, 'LO', 'ELSCINT1'), expect: (p) => expectedCreator(p, 'ELSCINT1', 0x00e1) },
    { row, label: `(00E1,1021) "ELSCINT1" ${SAFE?.meaning ?? ''} (E.3.10-1 safe)`, node: text(0x00e11021, 'DS', '812.5'), expect: (p) => expectedPrivate(p, row, 'ELSCINT1', 0x00e1, 0x21) }
  ]
}

/** Attributes that only make the instance valid; not checked. */
function overlayPlane (): DatasetNode[] {
  return [
    { tag: 0x60000010, vr: 'US', value: binaryNumber('US', 4) },
    { tag: 0x60000011, vr: 'US', value: binaryNumber('US', 4) },
    text(0x60000040, 'CS', 'G'),
    { tag: 0x60000050, vr: 'SS', value: Buffer.concat([binaryNumber('SS', 1), binaryNumber('SS', 1)]) },
    { tag: 0x60000100, vr: 'US', value: binaryNumber('US', 1) },
    { tag: 0x60000102, vr: 'US', value: binaryNumber('US', 0) }
  ]
}

function isExcluded (row: TableRow, form: Form, depth: Depth): boolean {
  return EXCLUDED.some((e) => e.row === rowId(row) && e.where(form, depth))
}

/** Every row's members, but those excluded everywhere and group 0002 (file meta, below). */
function members (): Member[] {
  const out: Member[] = []
  ROWS.forEach((row, index) => {
    if (row.private === true) out.push(...privateMembers(row))
    else if (row.pattern === '(50xx,xxxx)') out.push(publicMember(row, 0x50003000, index), publicMember(row, 0x50020010, index))
    else if (row.pattern === '(60xx,3000)') out.push(publicMember(row, 0x60003000, index))
    else if (row.pattern === '(60xx,4000)') out.push(publicMember(row, 0x60024000, index))
    else if (row.pattern !== undefined) throw new Error(`a new pattern row ${row.pattern}: place a member of it`)
    else if (!isExcluded(row, 'part10', 'top') && !(row.tag ?? '').startsWith('(0002,')) out.push(publicMember(row, parseTagText(row.tag ?? ''), index))
  })
  return out
}

const MEMBERS = members()
const META_ROW = ROWS.find((r) => r.tag === '(0002,0003)') as TableRow
const valueOfRow = (tagText: string): DatasetNode => {
  const m = MEMBERS.find((x) => x.row.tag === tagText)
  if (m === undefined) throw new Error(`no member for ${tagText}`)
  return m.node
}
const TOP_SOP_INSTANCE = Buffer.from((valueOfRow('(0008,0018)') as { value: Uint8Array }).value).toString('latin1')
/** The patient of both instances: the date shift is keyed by these (one offset for both). */
const PATIENT = ['(0010,0010)', '(0010,0020)', '(0010,0021)', '(0010,0030)'].map(valueOfRow)

function nest (content: DatasetNode[]): DatasetNode {
  let inner = content
  for (const tag of [...CONTAINERS].reverse()) inner = [sequence(tag, inner)]
  return inner[0] as DatasetNode
}

function instance (depth: Depth): Buffer {
  const content = [...MEMBERS.map((m) => m.node), ...overlayPlane()]
  const sopClass = text(0x00080016, 'UI', CT_IMAGE_STORAGE)
  if (depth === 'top') return part10({ sopClassUID: CT_IMAGE_STORAGE, sopInstanceUID: TOP_SOP_INSTANCE }, [sopClass, ...content], 'defined')
  const sopInstance = '2.25.1234567890123456789'
  return part10({ sopClassUID: CT_IMAGE_STORAGE, sopInstanceUID: sopInstance }, [sopClass, text(0x00080018, 'UI', sopInstance), ...PATIENT, nest(content)], 'undefined')
}

/** Every tag row present with an empty value, a sequence without items (compound codes' Z branch). */
function emptyInstance (): Buffer {
  const nodes = MEMBERS.filter((m) => m.row.tag !== undefined).map((m): DatasetNode => (m.node.vr === 'SQ' ? sequence(m.node.tag) : { ...m.node, value: new Uint8Array(0) }))
  return part10({ sopClassUID: CT_IMAGE_STORAGE, sopInstanceUID: '2.25.987654321' }, [text(0x00080016, 'UI', CT_IMAGE_STORAGE), ...nodes])
}

const COMPOUND_CODES: readonly string[] = ['X/Z', 'X/D', 'Z/D', 'X/Z/D', 'X/Z/U*']

/** Rows whose compound code decides, present and empty in the input: present and empty in the output. */
function checkEmpty (profile: OracleProfile, output: ObservedDataset): { mismatches: Array<{ row: string, text: string }>, checked: number } {
  const mismatches: Array<{ row: string, text: string }> = []
  let checked = 0
  for (const m of MEMBERS) {
    const expected = m.expect(profile)
    if (m.row.tag === undefined || !COMPOUND_CODES.includes(expected.code)) continue
    checked++
    const out = output.get(tagKeyOf(m.node.tag))
    const ok = out !== undefined && (out.kind === 'sequence' ? out.items.length === 0 : out.empty)
    if (!ok) mismatches.push({ row: rowId(m.row), text: `${m.label}: empty in the input, expected present and empty (${expected.why}), got ${out === undefined ? 'absent' : out.kind === 'sequence' ? `${out.items.length} item(s)` : 'a value'}` })
  }
  return { mismatches, checked }
}

// ── checking ─────────────────────────────────────────────────────────────────────────────

/** The item three sequences deep, or an empty dataset when a container went missing. */
function innermost (dataset: ObservedDataset): ObservedDataset {
  let level: ObservedDataset | undefined = dataset
  for (const tag of CONTAINERS) {
    const s: Observed | undefined = level?.get(tagKeyOf(tag))
    level = s?.kind === 'sequence' ? s.items[0] : undefined
  }
  return level ?? new Map()
}

interface RunResult {
  readonly mismatches: Array<{ row: string, text: string }>
  readonly checkedRows: Set<string>
}

function checkInstance (profile: OracleProfile, form: Form, depth: Depth, input: ObservedDataset, output: ObservedDataset, meta?: { input: ObservedDataset, output: ObservedDataset }): RunResult {
  const inLevel = depth === 'top' ? input : innermost(input)
  const outLevel = depth === 'top' ? output : innermost(output)
  const ctx: CheckContext = { keys, itemAttribute: { key: tagKeyOf(REFERENCED_SOP_CLASS_UID), value: CT_IMAGE_STORAGE }, offsets: [] }
  const result: RunResult = { mismatches: [], checkedRows: new Set() }
  const record = (row: TableRow, label: string, text: string | null): void => {
    result.checkedRows.add(rowId(row))
    if (text !== null) result.mismatches.push({ row: rowId(row), text: `${label}: ${text}` })
  }
  for (const m of MEMBERS) {
    const key = tagKeyOf(m.node.tag)
    const inObserved = inLevel.get(key)
    if (inObserved === undefined) throw new Error(`${m.label} is missing from the ${form} input`)
    record(m.row, m.label, mismatch(m.expect(profile), inObserved, outLevel.get(key), ctx))
  }
  if (meta !== undefined) {
    // Media Storage SOP Instance UID: the file meta the engine writes anew (PS3.10 §7.1).
    const key = tagKeyOf(0x00020003)
    const expected = expectedPublic(profile, { tag: 0x00020003, keyword: META_ROW.keyword, vr: 'UI', row: META_ROW })
    record(META_ROW, `(0002,0003) ${META_ROW.name} [UI] in the file meta`, mismatch(expected, meta.input.get(key) as Observed, meta.output.get(key), ctx))
  }
  if (ctx.offsets.length > 0) {
    const offsets = [...new Set(ctx.offsets)]
    const patient = (tag: string): string => (input.get(tag)?.kind === 'value' ? ((input.get(tag) as { strings: string[] | null }).strings ?? []).join('\\') : '')
    const want = patientDayOffset(keys, patientKey({ patientId: patient('00100020'), issuer: patient('00100021'), name: patient('00100010'), birthDate: patient('00100030') }), profile.dateShift.minDays, profile.dateShift.maxDays)
    const inRange = want !== 0 && want >= profile.dateShift.minDays && want <= profile.dateShift.maxDays
    if (offsets.length !== 1 || offsets[0] !== want || !inRange) {
      result.mismatches.push({ row: 'date shift', text: `date shift: every date must move by the patient's keyed offset ${want} days (within ${profile.dateShift.minDays}..${profile.dateShift.maxDays}), got ${offsets.join(', ')}` })
    }
  }
  return result
}

// ── Part 10 and JSON: one engine ─────────────────────────────────────────────────────────

function canonical (value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical)
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
  }
  return value
}

/** Where two DICOM JSON datasets differ: the tag path and what each holds. */
function jsonDiff (a: DicomJsonDataset, b: DicomJsonDataset, path = ''): Array<{ path: string, text: string }> {
  const out: Array<{ path: string, text: string }> = []
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[key]
    const y = b[key]
    if (x?.vr === 'SQ' && y?.vr === 'SQ' && (x.Value?.length ?? 0) === (y.Value?.length ?? 0)) {
      (x.Value ?? []).forEach((item, i) => out.push(...jsonDiff(item as DicomJsonDataset, (y.Value ?? [])[i] as DicomJsonDataset, `${path}${key}/${i}/`)))
    } else if (JSON.stringify(canonical(x)) !== JSON.stringify(canonical(y))) {
      out.push({ path: `${path}${key}`, text: `${path}${key}: JSON form ${JSON.stringify(x) ?? 'absent'}, Part 10 form ${JSON.stringify(y) ?? 'absent'}` })
    }
  }
  return out
}

async function streamed (bytes: Uint8Array, options: DeidOptions, chunk: number): Promise<Buffer> {
  const pieces: Uint8Array[] = []
  for (let i = 0; i < bytes.length; i += chunk) pieces.push(bytes.subarray(i, i + chunk))
  return buffer(Readable.from(pieces).pipe(createDeidTransform(options)))
}

/** The row a JSON tag path ends in (its last tag), or the path itself. */
function rowOfPath (path: string): string {
  const key = path.split('/').pop() ?? ''
  const member = MEMBERS.find((m) => tagKeyOf(m.node.tag) === key)
  return member === undefined ? path : rowId(member.row)
}

/**
 * No mismatch but those KNOWN_ENGINE_BUGS lists for this check, and each listed one still
 * there. Up to 50 are listed, each with its row's tag, name and VR (or its tag path).
 */
function expectClean (t: Test, profile: ProfileName, check: Check, mismatches: ReadonlyArray<{ row: string, text: string }>): void {
  const known = KNOWN_ENGINE_BUGS.filter((b) => b.profiles.includes(profile) && b.checks.includes(check))
  const isKnown = (m: { row: string, text: string }): boolean => known.some((b) => b.row === m.row && m.text.includes(b.shows))
  const unexpected = mismatches.filter((m) => !isKnown(m))
  const what = check.startsWith('forms agree')
    ? `${unexpected.length} difference(s) between the two forms`
    : `${unexpected.length} row(s) not as Table E.1-1 and profiles/${profile}.json require`
  t.same(unexpected.slice(0, 50).map((m) => m.text), [], `${profile}, ${check}: ${what}${unexpected.length > 50 ? ' (first 50 listed)' : ''}`)
  for (const bug of known) {
    t.ok(mismatches.some((m) => m.row === bug.row && m.text.includes(bug.shows)), `KNOWN_ENGINE_BUGS ${bug.row} still fails here (${bug.why}); if it passes now, remove it from the list`)
  }
}

// ── the tests ────────────────────────────────────────────────────────────────────────────

const INPUT = { top: instance('top'), depth3: instance('depth3') } as const
const EMPTY_INPUT = emptyInstance()

t.test('the table and what is placed', async (t) => {
  t.equal(ROWS.length, 621, 'Table E.1-1 has 621 rows')
  t.equal(new Set(ROWS.map(rowId)).size, ROWS.length, 'row ids are unique')
  for (const e of EXCLUDED) t.ok(ROWS.some((r) => rowId(r) === e.row), `excluded row ${e.row} exists: ${e.why}`)
  for (const name of PROFILES) {
    const p = oracleProfile(name)
    for (const tag of [...CONTAINERS, REFERENCED_SOP_CLASS_UID]) {
      const entry = lookupTag(tag)
      t.equal(expectedPublic(p, { tag, keyword: entry?.keyword, vr: entry?.vr ?? 'UN', row: undefined }).effect, 'K',
        `${name} keeps ${entry?.keyword ?? tag} (a depth-3 container or the item content of sequence rows)`)
      t.notOk(ROWS.some((r) => r.tag !== undefined && parseTagText(r.tag) === tag), `${entry?.keyword ?? tag} is in no row`)
    }
    t.equal(loadProfile(name).reject.sopClasses.has(CT_IMAGE_STORAGE), false, `${name} does not reject CT Image Storage`)
  }
})

for (const name of PROFILES) {
  t.test(name, async (t) => {
    const profile = loadProfile(name)
    const oracle = oracleProfile(name)
    const options: DeidOptions = { profile, keys }
    for (const depth of DEPTHS) {
      const where = depth === 'top' ? 'top level' : 'three sequences deep'
      const bytes = INPUT[depth]
      const inputTokens = readTokens(bytes)
      const inFile = observeTokens(inputTokens)
      const part10Out = Buffer.concat(deidentifyBuffer(bytes, options))
      const outTokens = readTokens(part10Out)
      const outFile = observeTokens(outTokens)
      const jsonIn = toDicomJson(inputTokens)
      const jsonOut = deidentifyJson(jsonIn, { profile, keys })
      const results: Record<Form, RunResult> = {
        part10: checkInstance(oracle, 'part10', depth, inFile.dataset, outFile.dataset, depth === 'top' ? { input: inFile.meta, output: outFile.meta } : undefined),
        json: checkInstance(oracle, 'json', depth, observeJson(jsonIn), observeJson(jsonOut))
      }
      for (const form of FORMS) {
        t.test(`${form}, ${where}`, async (t) => {
          const check: Check = `${form} ${depth}`
          const { mismatches, checkedRows } = results[form]
          const excluded = ROWS.filter((r) => isExcluded(r, form, depth)).map(rowId)
          t.same([...checkedRows].sort(), ROWS.map(rowId).filter((r) => !excluded.includes(r)).sort(), `every row checked but ${excluded.join(', ')}`)
          t.equal(checkedRows.size, CHECKED_ROWS[check], `${CHECKED_ROWS[check]} of ${ROWS.length} rows checked`)
          expectClean(t, name, check, mismatches)
        })
      }
      t.test(`${where}: the JSON form equals the Part 10 form read as JSON`, async (t) => {
        const diff = jsonDiff(jsonOut, toDicomJson(outTokens)).map((d) => ({ row: rowOfPath(d.path), text: d.text }))
        expectClean(t, name, `forms agree ${depth}`, diff)
      })
      t.test(`${where}: the stream forms write the same bytes as the whole-buffer form`, async (t) => {
        for (const chunk of [1, 7, 64, 65536]) t.ok((await streamed(bytes, options, chunk)).equals(part10Out), `chunks of ${chunk} bytes`)
        for (const chunk of [7, 65536]) {
          const out = chunkTransformReusingBuffers(createDeidChunkTransform(options), bytes, chunk)
          t.ok(out?.equals(part10Out), `synchronous chunk form, ${chunk}-byte buffers reused`)
        }
      })
    }
    t.test('compound codes on empty values, top level', async (t) => {
      const tokens = readTokens(EMPTY_INPUT)
      const outputs: Record<Form, ObservedDataset> = {
        part10: observeTokens(readTokens(Buffer.concat(deidentifyBuffer(EMPTY_INPUT, options)))).dataset,
        json: observeJson(deidentifyJson(toDicomJson(tokens), { profile, keys }))
      }
      for (const form of FORMS) {
        const { mismatches, checked } = checkEmpty(oracle, outputs[form])
        t.ok(checked > 0, `${form}: ${checked} rows under a compound code`)
        expectClean(t, name, `${form} empty values`, mismatches)
      }
    })
  })
}
