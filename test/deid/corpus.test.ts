/**
 * Issue 3, must show 3: the de-identified corpus is still good DICOM, and its UIDs are
 * replaced as one function.
 *
 * Every file of ../shared/corpus that dcmtk's dcmdump parses is de-identified with
 * `deidentifyBuffer` under the shipped profiles basic, research and strict, with one fixed
 * secret. Then:
 *
 * 1. Rejections: an instance the profile refuses (DG_DEID_REJECTED_SOP_CLASS,
 *    DG_DEID_BURNED_IN_ANNOTATION) must be one the profile names (its SOP class, Burned In
 *    Annotation YES), and the stream form must fail before writing a byte. Any other error
 *    on a file dcmdump reads is a failure (an engine or codec bug) unless KNOWN_FAILURES
 *    lists it. Counts per code are printed.
 * 2. Every output parses with dcmdump (exit 0, no "E:"/"F:" line), with dicom-parser (but
 *    DICOM_PARSER_CANNOT_READ, while it cannot read the input either), and with dicomgate's
 *    own reader.
 * 3. File meta (PS3.10 §7.1): zero preamble and "DICM"; (0002,0003) = (0008,0018);
 *    (0002,0002) = (0008,0016); (0002,0010) = the syntax the dataset is written in;
 *    (0002,0012) = dicomgate's Implementation Class UID; no (0002,0016).
 * 4. dciodvfy (basic and research only): every Error line of the output, without the values
 *    it quotes, is one the input had, or matches one of DCIODVFY_ALLOWED, the differences
 *    de-identification is expected to cause. The strict profile is an allow-list that
 *    removes whole modules' worth of attributes, so dciodvfy reports what is missing: it
 *    is checked for parsing, file meta and UIDs only.
 * 5. UIDs: input and output are walked side by side, attribute path by attribute path.
 *    Each output UID is the input UID (kept) or keyedUid(keys, input) (replaced); where the
 *    profile's rule for a public attribute maps UIDs (U, or D on a UI) it must be replaced,
 *    where it keeps (K) it must be kept; well-known DICOM UIDs (1.2.840.10008.*) never
 *    change. Across the whole run, input → output is a function and one-to-one, and a
 *    reference from one file to another's SOP Instance UID still finds it.
 *
 * Nothing printed carries PHI: files by their corpus path, attributes by tag path, codes and
 * counts; never a value (dciodvfy lines are printed without the values they quote).
 */
import { Buffer } from 'node:buffer'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inflateRawSync } from 'node:zlib'
import dicomParser from 'dicom-parser'
import t, { type Test } from 'tap'
import { createDeidTransform, deidentifyBuffer, IMPLEMENTATION_CLASS_UID, type CompiledProfile, type DeidOptions } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { ruleFor } from '../../src/deid/profile/lookup.js'
import { lookupTag } from '../../src/dicom/dictionary.js'
import { isPrivateTag } from '../../src/dicom/tags.js'
import { isDicomgateError } from '../../src/errors.js'
import { deriveKeys, keyedUid } from '../../src/pseudonym/keys.js'
import { corpusEntries, corpusSkip, type CorpusEntry } from '../helpers/corpus.js'
import {
  createLimiter,
  dciodvfy,
  dciodvfyLeafTag,
  dciodvfyPath,
  dcmdumpVerdict,
  explicitLittleEndianCopy,
  hasCommand,
  normalizeDciodvfyLine,
  type DciodvfyReport
} from '../helpers/deid-corpus-tools.js'
import { leafTag, walkUids, type UidWalk } from '../helpers/deid-corpus-uids.js'
import { dcmdumpParses, hasDcmdump } from '../helpers/tokens.js'

/** A fixed secret: the same outputs on every run. */
const SECRET = new Uint8Array(32).fill(0x5a)
const KEYS = deriveKeys(SECRET)
const PROFILES = ['basic', 'research', 'strict'] as const
type ProfileName = typeof PROFILES[number]
/** See point 4 of the header: strict is not compared with dciodvfy. */
const DCIODVFY_PROFILES: ReadonlySet<ProfileName> = new Set(['basic', 'research'])
const WELL_KNOWN_UID_ROOT = '1.2.840.10008.'
const DEFLATED_TS = '1.2.840.10008.1.2.1.99'
/** Refusals a profile asks for; any other error is a failure. */
const POLICY_REJECTIONS = new Set(['DG_DEID_REJECTED_SOP_CLASS', 'DG_DEID_BURNED_IN_ANNOTATION'])
/** Two validators at a time: the test machine and CI have 2 cores. */
const TOOL_CONCURRENCY = 2

const HAS_DCMDUMP = hasDcmdump()
const HAS_DCIODVFY = hasCommand('dciodvfy') && hasCommand('dcmconv')
const DCMDUMP_SKIP = HAS_DCMDUMP ? false : 'dcmtk (dcmdump) not installed: outputs not checked with dcmdump (apt-get install dcmtk)'
const DCIODVFY_SKIP = HAS_DCIODVFY ? false : 'dicom3tools (dciodvfy) or dcmtk (dcmconv) not installed: dciodvfy comparison skipped (apt-get install dicom3tools dcmtk)'

// ── what may differ, and what is known to fail ─────────────────────────────────────────

type Check = 'de-identify' | 'dcmdump' | 'dicom-parser' | 'read-back' | 'file-meta' | 'dciodvfy' | 'uids'

interface KnownFailure {
  readonly file: string
  readonly check: Check
  readonly profiles: readonly ProfileName[]
  /** Every problem reported must match: a new, different problem still fails. */
  readonly problem: RegExp
  /** What is wrong, where, and the fix to make in src/ (then delete the entry). */
  readonly bug: string
}

/**
 * Engine or codec bugs this test found, not fixed yet. A listed check that passes again
 * fails the test, so that the entry is removed with the fix.
 */
const KNOWN_FAILURES: readonly KnownFailure[] = []

interface Allowance {
  /** Why de-identification is expected to cause it (PS3.15 Annex E). */
  readonly reason: string
  readonly applies: (line: string, ctx: AllowanceContext) => boolean
}

interface AllowanceContext {
  readonly profile: CompiledProfile
  /** The input's Error lines, normalized. */
  readonly inputLines: ReadonlySet<string>
}

/** The operation of a public attribute's rule at the top level, or undefined. */
function operationOf (profile: CompiledProfile, tag: number | undefined): string | undefined {
  if (tag === undefined || isPrivateTag(tag)) return undefined
  return ruleFor(profile, tag, lookupTag(tag)?.vr ?? 'UN').operation
}

/**
 * 1C/2C attributes that Table E.1-1 keeps (no row) but whose condition is an attribute it
 * removes, so that they stand without their condition (PS3.3 §C.7.1.1, Patient module).
 */
const CONDITIONED_ON: ReadonlyMap<number, number> = new Map([
  [0x00102298, 0x00102297] // Responsible Person Role: "Required if Responsible Person is present"
])

/**
 * The dciodvfy Error lines de-identification may add, each with its reason. Each applies
 * only where the profile's own rule explains it.
 */
const DCIODVFY_ALLOWED = {
  /**
   * Table E.1-1 gives Z or X to attributes that some IODs or records make Type 1 or 2:
   * Study Date, Study Time and Study ID are Z, Study Description X, in a DICOMDIR's Study
   * Directory Record (PS3.3 §F.5.2, Type 1 and 2 keys); Responsible Person and Responsible
   * Organization are X, and Type 2C for a non-human patient (PS3.3 §C.7.1.1). Emptying or
   * removing them is the table's action, not a fault.
   */
  TABLE_EMPTIES_OR_REMOVES: {
    reason: 'Table E.1-1 empties (Z) or removes (X) an attribute this IOD or directory record requires',
    applies: (line, { profile }) =>
      / - (Missing attribute for Type (1|1C|2|2C) |Empty attribute \(no value\) for Type (1|1C) )/.test(line) &&
      ['remove', 'empty', 'remove-or-empty'].includes(operationOf(profile, dciodvfyLeafTag(dciodvfyPath(line))) ?? '')
  },
  /** A 1C attribute kept (no row in Table E.1-1) whose condition attribute the table removes. */
  CONDITION_REMOVED: {
    reason: 'a kept 1C attribute whose condition attribute Table E.1-1 removes (Responsible Person Role without Responsible Person)',
    applies: (line, { profile }) => {
      if (!line.includes(' - Attribute present when condition unsatisfied')) return false
      const condition = CONDITIONED_ON.get(dciodvfyLeafTag(dciodvfyPath(line)) ?? 0)
      return condition !== undefined && operationOf(profile, condition) === 'remove'
    }
  },
  /**
   * X/Z on a sequence is resolved as Z (values.ts: an attribute present in the input stays
   * present), which for a sequence is zero items; dciodvfy wants 1-n items in a Type 3
   * sequence such as Referenced Study Sequence (PS3.3 §C.7.2.1).
   */
  SEQUENCE_EMPTIED: {
    reason: 'X/Z or Z on a sequence leaves it with zero items',
    applies: (line, { profile }) =>
      / - (Bad Sequence number of Items|Bad attribute Value Multiplicity for Type 3)/.test(line) &&
      ['empty', 'remove-or-empty'].includes(operationOf(profile, dciodvfyLeafTag(dciodvfyPath(line))) ?? '')
  },
  /**
   * A date or time that does not parse cannot be shifted; values.ts empties it rather than
   * pass the original on (fail closed). The input's "Value invalid for this VR" becomes an
   * "Empty attribute" at the same place.
   */
  INVALID_DATE_EMPTIED: {
    reason: 'an unparsable date or time, emptied instead of shifted',
    applies: (line, { inputLines }) => {
      if (!line.includes(' - Empty attribute (no value)')) return false
      const path = dciodvfyPath(line)
      for (const input of inputLines) {
        if (/ - Value invalid for this VR \[(DA|DT|TM)\]/.test(input) && dciodvfyPath(input).replace(/\[\d+\]$/, '') === path) return true
      }
      return false
    }
  },
  /**
   * dciodvfy gives up on an input whose unknown public group (0001,xxxx: no standard
   * attribute, which the engine removes, attribute-rule.ts) leaves its tags "out of order";
   * on the output it reads on and finds what the input already had wrong further down
   * (Pixel Data of two bytes with no Rows or Columns).
   */
  INPUT_UNREADABLE_TO_DCIODVFY: {
    reason: 'the input stopped dciodvfy early ("Tags out of order"); the output lets it reach a problem the input already had',
    applies: (line, { inputLines }) =>
      / - PixelData has incorrect value length/.test(line) && [...inputLines].some((input) => input.startsWith('Error - Tags out of order'))
  }
} as const satisfies Record<string, Allowance>

type AllowanceName = keyof typeof DCIODVFY_ALLOWED

/**
 * Outputs dicom-parser 1.8 throws on, while dcmdump and dicomgate read them, because they
 * keep what dicom-parser cannot read in the input either (DICOM_PARSER_FAILS in
 * test/dicom/cross-check.test.ts): tolerated only while it also throws on the input.
 */
const DICOM_PARSER_CANNOT_READ: Readonly<Record<string, string>> = {
  'pydicom/nested_priv_SQ.dcm': 'nested undefined-length sequences of the unknown tag (0001,0001) in Implicit VR; basic and research keep them (a public group, in no row of Table E.1-1), strict removes them and dicom-parser reads that output',
  'pydicom/meta_missing_tsyntax.dcm': 'the same (0001,0001) sequences as nested_priv_SQ.dcm (the input also lacks (0002,0010), which the output has)',
  'fo-dicom/GH177_D_CLUNIE_CT1_IVRLE_BigEndian_undefined_length.dcm': 'a UN sequence of undefined length in a big endian dataset, kept as such: dicom-parser does not read its items in Implicit VR LE (PS3.5 §6.2.2)'
}

// ── the run's records ──────────────────────────────────────────────────────────────────

interface Input {
  readonly entry: CorpusEntry
  readonly walk: UidWalk
  /** dciodvfy on the input, run once and shared by the profiles. */
  dciodvfy?: Promise<DciodvfyReport>
}

interface UidPair {
  readonly path: string
  readonly input: string
  readonly output: string
}

interface UidCounts {
  readonly kept: number
  readonly keyed: number
  readonly emptied: number
  /** Distinct input UIDs. */
  readonly distinct: number
}

interface ProfileRun {
  readonly outputs: Map<string, readonly UidPair[]>
  readonly rejected: Map<string, string[]>
}

const totals = {
  inputs: 0,
  skippedInputs: [] as string[],
  outputs: new Map<ProfileName, number>(),
  dcmdump: 0,
  dicomParser: 0,
  dicomParserInputFails: 0,
  dciodvfyCompared: 0,
  dciodvfyLines: 0,
  dciodvfyMatched: 0,
  dciodvfyNewWarnings: 0,
  allowed: new Map<AllowanceName, number>(),
  uidPairs: new Map<ProfileName, UidCounts>(),
  references: new Map<ProfileName, { sameStudy: number, otherStudy: number, studies: number }>(),
  knownFailures: new Map<KnownFailure, number>(),
  dciodvfyInputCrashes: [] as string[]
}
const runs = new Map<ProfileName, ProfileRun>()
const limit = createLimiter(TOOL_CONCURRENCY)

function knownFailure (file: string, check: Check, profile: ProfileName): KnownFailure | undefined {
  return KNOWN_FAILURES.find((k) => k.file === file && k.check === check && k.profiles.includes(profile))
}

/** Passes when `problems` is empty, or when they are a listed known failure (then comments). */
function verdict (t: Test, profile: ProfileName, file: string, check: Check, problems: readonly string[], what: string): void {
  const known = knownFailure(file, check, profile)
  if (known === undefined) {
    t.same(problems, [], what)
    return
  }
  if (problems.length === 0) {
    t.fail(`${what}: passes, but KNOWN_FAILURES lists it (${known.bug.slice(0, 80)}…): remove the entry`)
    return
  }
  const unexpected = problems.filter((p) => !known.problem.test(p))
  t.same(unexpected, [], `${what}: known failure (${check}), and nothing else`)
  totals.knownFailures.set(known, (totals.knownFailures.get(known) ?? 0) + 1)
  t.comment(`KNOWN FAILURE (${check}): see KNOWN_FAILURES`)
}

function codeOf (err: unknown): string {
  return isDicomgateError(err) ? err.code : `not a DicomgateError: ${err instanceof Error ? err.name : typeof err}`
}

/** Feeds the input to the stream form; the bytes it wrote before failing, and the error code. */
function streamUntilError (bytes: Uint8Array, options: DeidOptions): Promise<{ written: number, code: string | undefined }> {
  return new Promise((resolve) => {
    const stream = createDeidTransform(options)
    let written = 0
    stream.on('data', (b: Buffer) => { written += b.length })
    stream.once('error', (err) => { resolve({ written, code: codeOf(err) }) })
    stream.once('end', () => { resolve({ written, code: undefined }) })
    stream.end(bytes)
  })
}

// ── checks of one output ───────────────────────────────────────────────────────────────

type DpDataSet = ReturnType<typeof dicomParser.parseDicom>

/**
 * dicom-parser's reading of a file, or why it failed. An input without preamble needs its
 * transfer syntax named (dicom-parser infers none), as in test/dicom/cross-check.test.ts.
 */
function parseWithDicomParser (bytes: Uint8Array, input?: UidWalk): DpDataSet | string {
  const part10 = Buffer.from(bytes.subarray(128, 132)).toString('latin1') === 'DICM'
  try {
    return dicomParser.parseDicom(bytes, {
      ...(part10 || input === undefined ? {} : { TransferSyntaxUID: input.transferSyntaxUID }),
      // dicom-parser 1.8 would parse the inflated copy from byte 0: hand it the dataset only.
      inflater: (array: Uint8Array, position: number) => inflateRawSync(array.subarray(position))
    })
  } catch (err) {
    // It throws strings, and objects with an `exception` string.
    if (typeof err === 'string') return err
    if (err instanceof Error) return err.message
    const exception = typeof err === 'object' && err !== null && 'exception' in err ? err.exception : undefined
    return typeof exception === 'string' ? exception : 'dicom-parser threw a non-error'
  }
}

/**
 * PS3.10 §7.1 and markers.ts: what the regenerated file meta must say. The meta is read by
 * dicom-parser's readPart10Header (parseDicom's result lacks the meta of a deflated file),
 * the dataset's UIDs by dicomgate's reader.
 */
function fileMetaProblems (bytes: Uint8Array, walk: UidWalk, input: UidWalk): string[] {
  const problems: string[] = []
  if (bytes.subarray(0, 128).some((b) => b !== 0)) problems.push('preamble not zero')
  if (Buffer.from(bytes.subarray(128, 132)).toString('latin1') !== 'DICM') problems.push('no "DICM" after the preamble')
  let meta: DpDataSet
  try {
    meta = dicomParser.readPart10Header(bytes)
  } catch {
    return [...problems, 'dicom-parser cannot read the file meta']
  }
  const text = (tag: string): string | undefined => meta.string(tag)?.replace(/\0+$/, '')
  const instance = walk.uids.get('00080018')?.[0]
  const metaInstance = text('x00020003')
  if (instance !== undefined && metaInstance !== instance) problems.push('(0002,0003) differs from (0008,0018)')
  if (instance === undefined && metaInstance !== undefined && input.uids.get('00020003') === undefined) problems.push('(0002,0003) without (0008,0018) nor an input (0002,0003)')
  const sopClass = walk.uids.get('00080016')?.[0]
  if (sopClass !== undefined && text('x00020002') !== sopClass) problems.push('(0002,0002) differs from (0008,0016)')
  if (text('x00020010') !== walk.transferSyntaxUID) problems.push('(0002,0010) is not the syntax of the dataset')
  if (text('x00020012') !== IMPLEMENTATION_CLASS_UID) problems.push('(0002,0012) is not dicomgate\'s Implementation Class UID')
  if (meta.elements.x00020016 !== undefined) problems.push('(0002,0016) Source Application Entity Title is present')
  return problems
}

/** Operations under which a public UI attribute's UIDs must come out replaced. */
const MAPPING_OPERATIONS = new Set(['uid', 'dummy', 'remove-empty-or-uids', 'remove-or-dummy', 'empty-or-dummy', 'remove-empty-or-dummy'])

/** Pairs the UIDs at the same paths; problems name paths, never values. */
function uidProblems (profile: CompiledProfile, input: UidWalk, output: UidWalk, pairs: UidPair[]): string[] {
  const problems: string[] = []
  for (const [path, outValues] of output.uids) {
    // The file meta is written anew (markers.ts) and checked as such: (0002,0012) is
    // dicomgate's, and (0002,0002) and (0002,0003) must repeat the dataset's (0008,0016) and
    // (0008,0018) (checked here); only without those are they paired with the input's meta.
    if (path === '00020012') continue
    if (path === '00020002' && input.uids.has('00080016')) continue
    if (path === '00020003' && input.uids.has('00080018')) continue
    const inValues = input.uids.get(path)
    if (inValues === undefined) {
      if (!path.startsWith('0002')) problems.push(`${path}: a UI the input does not have there`)
      continue
    }
    if (outValues.length !== 0 && outValues.length !== inValues.length) {
      problems.push(`${path}: ${inValues.length} values became ${outValues.length}`)
      continue
    }
    const tag = leafTag(path)
    const operation = operationOf(profile, tag)
    inValues.forEach((inValue, i) => {
      const outValue = outValues[i] ?? ''
      if (inValue === '') return
      pairs.push({ path, input: inValue, output: outValue })
      if (outValue === '') return
      const kept = outValue === inValue
      if (inValue.startsWith(WELL_KNOWN_UID_ROOT)) {
        if (!kept) problems.push(`${path}[${i + 1}]: a well-known DICOM UID was changed`)
        return
      }
      const keyed = !kept && outValue === keyedUid(KEYS, inValue)
      if (!kept && !keyed) problems.push(`${path}[${i + 1}]: neither the input UID nor keyedUid of it`)
      else if (operation === 'keep' && !kept) problems.push(`${path}[${i + 1}]: rule keeps it (K) but it was replaced`)
      else if (operation !== undefined && MAPPING_OPERATIONS.has(operation) && !keyed) problems.push(`${path}[${i + 1}]: rule replaces UIDs (${operation}) but it was kept`)
    })
  }
  return problems
}

let copies = 0

/** dciodvfy on `path`; a deflated file through an Explicit VR LE copy in `scratch`. */
async function dciodvfyOf (path: string, transferSyntaxUID: string, scratch: string): Promise<DciodvfyReport> {
  if (transferSyntaxUID !== DEFLATED_TS) return limit(() => dciodvfy(path))
  const copy = join(scratch, `explicit-${++copies}.dcm`)
  return limit(async () => {
    try {
      if (!await explicitLittleEndianCopy(path, copy)) return { errors: [], warnings: 0, crashed: 'dcmconv +te failed' }
      return await dciodvfy(copy)
    } finally {
      rmSync(copy, { force: true })
    }
  })
}

function dciodvfyProblems (file: string, profile: CompiledProfile, input: DciodvfyReport, output: DciodvfyReport, t: Test): string[] {
  if (output.crashed !== undefined && input.crashed === undefined) return [`dciodvfy did not finish on the output (${output.crashed})`]
  if (input.crashed !== undefined) {
    t.comment(`dciodvfy did not finish on the input (${input.crashed}): not compared`)
    totals.dciodvfyInputCrashes.push(file)
    return []
  }
  const inputLines = new Set(input.errors.map(normalizeDciodvfyLine))
  const problems: string[] = []
  const allowed = new Map<AllowanceName, number>()
  for (const line of new Set(output.errors.map(normalizeDciodvfyLine))) {
    totals.dciodvfyLines++
    if (inputLines.has(line)) {
      totals.dciodvfyMatched++
      continue
    }
    const name = (Object.keys(DCIODVFY_ALLOWED) as AllowanceName[]).find((n) => DCIODVFY_ALLOWED[n].applies(line, { profile, inputLines }))
    if (name === undefined) problems.push(line)
    else {
      allowed.set(name, (allowed.get(name) ?? 0) + 1)
      t.comment(`dciodvfy, allowed (${name}): ${line}`)
    }
  }
  for (const [name, n] of allowed) totals.allowed.set(name, (totals.allowed.get(name) ?? 0) + n)
  totals.dciodvfyCompared++
  totals.dciodvfyNewWarnings += Math.max(0, output.warnings - input.warnings)
  return problems
}

// ── the test ───────────────────────────────────────────────────────────────────────────

function readInputs (t: Test): Input[] {
  const inputs: Input[] = []
  for (const entry of corpusEntries()) {
    const parses = HAS_DCMDUMP ? dcmdumpParses(entry.absolutePath) : !/malformed|dcmdump reports error/.test(entry.notes)
    if (!parses) {
      totals.skippedInputs.push(entry.path)
      continue
    }
    let walk: UidWalk
    try {
      walk = walkUids(readFileSync(entry.absolutePath))
    } catch (err) {
      // dicomgate cannot read a file dcmdump parses: the codec's own tests report it; here
      // it shows up as a de-identification failure too.
      t.fail(`${entry.path}: dicomgate's reader fails on a file dcmdump parses (${codeOf(err)})`)
      continue
    }
    inputs.push({ entry, walk })
  }
  totals.inputs = inputs.length
  return inputs
}

async function checkFile (t: Test, name: ProfileName, profile: CompiledProfile, input: Input, run: ProfileRun, scratch: string): Promise<void> {
  const { entry } = input
  const bytes = readFileSync(entry.absolutePath)
  const options: DeidOptions = { profile, keys: KEYS }
  let output: Buffer
  try {
    output = Buffer.concat(deidentifyBuffer(bytes, options))
  } catch (err) {
    const code = codeOf(err)
    run.rejected.set(code, [...(run.rejected.get(code) ?? []), entry.path])
    t.comment(`rejected: ${code}`)
    if (!POLICY_REJECTIONS.has(code)) {
      verdict(t, name, entry.path, 'de-identify', [`${code} on a file dcmdump parses`], 'de-identified, or refused by the profile')
      return
    }
    const sopClass = input.walk.uids.get('00080016')?.[0] ?? input.walk.uids.get('00020002')?.[0]
    if (code === 'DG_DEID_REJECTED_SOP_CLASS') t.ok(sopClass !== undefined && profile.reject.sopClasses.has(sopClass), 'the profile rejects its SOP class')
    else t.equal(input.walk.burnedInAnnotation?.toUpperCase(), 'YES', 'Burned In Annotation is YES')
    const streamed = await streamUntilError(bytes, options)
    t.same(streamed, { written: 0, code }, 'the stream form fails the same way before writing a byte')
    return
  }
  verdict(t, name, entry.path, 'de-identify', [], 'de-identified')
  totals.outputs.set(name, (totals.outputs.get(name) ?? 0) + 1)

  const file = join(scratch, `${name}-${entry.path.replace(/[^A-Za-z0-9._-]/g, '_')}`)
  writeFileSync(file, output)
  const dcmdump = HAS_DCMDUMP ? limit(() => dcmdumpVerdict(file)) : undefined
  const validate = HAS_DCIODVFY && DCIODVFY_PROFILES.has(name)
  if (validate) input.dciodvfy ??= dciodvfyOf(entry.absolutePath, input.walk.transferSyntaxUID, scratch)

  let walk: UidWalk | undefined
  try {
    walk = walkUids(output)
    verdict(t, name, entry.path, 'read-back', [], 'dicomgate reads the output back')
  } catch (err) {
    verdict(t, name, entry.path, 'read-back', [`dicomgate's reader: ${codeOf(err)}`], 'dicomgate reads the output back')
  }
  const dp = parseWithDicomParser(output)
  if (typeof dp !== 'string') totals.dicomParser++
  const cannotRead = DICOM_PARSER_CANNOT_READ[entry.path]
  if (typeof dp === 'string' && cannotRead !== undefined && typeof parseWithDicomParser(bytes, input.walk) === 'string') {
    totals.dicomParserInputFails++
    t.comment(`dicom-parser throws on the output, and on the input too: tolerated (${cannotRead})`)
  } else {
    verdict(t, name, entry.path, 'dicom-parser', typeof dp === 'string' ? [`dicom-parser: ${dp}`] : [], 'dicom-parser parses the output')
  }
  if (walk !== undefined) {
    verdict(t, name, entry.path, 'file-meta', fileMetaProblems(output, walk, input.walk), 'file meta regenerated as PS3.10 and markers.ts say')
    const pairs: UidPair[] = []
    verdict(t, name, entry.path, 'uids', uidProblems(profile, input.walk, walk, pairs), 'every UID kept or replaced by keyedUid, as the rule says')
    run.outputs.set(entry.path, pairs)
  }

  if (dcmdump !== undefined) {
    const v = await dcmdump
    if (v.ok) totals.dcmdump++
    verdict(t, name, entry.path, 'dcmdump', v.ok ? [] : [`exit ${String(v.status)}`, ...v.errors.slice(0, 5)], 'dcmdump parses the output')
  }
  if (validate && input.dciodvfy !== undefined) {
    const [before, after] = await Promise.all([input.dciodvfy, dciodvfyOf(file, walk?.transferSyntaxUID ?? '', scratch)])
    verdict(t, name, entry.path, 'dciodvfy', dciodvfyProblems(entry.path, profile, before, after, t), 'dciodvfy: every Error line was the input\'s too, or is in DCIODVFY_ALLOWED')
  }
  rmSync(file, { force: true })
}

/** Input UID → output UIDs and back, over one profile's whole run: a one-to-one function. */
function mappingProblems (run: ProfileRun): { problems: string[], counts: UidCounts } {
  const forward = new Map<string, Map<string, string>>()
  const backward = new Map<string, Map<string, string>>()
  const counts = { kept: 0, keyed: 0, emptied: 0 }
  for (const [file, pairs] of run.outputs) {
    for (const pair of pairs) {
      if (pair.output === '') { counts.emptied++; continue }
      if (pair.output === pair.input) counts.kept++
      else counts.keyed++
      const site = `${file} ${pair.path}`
      const outs = forward.get(pair.input) ?? forward.set(pair.input, new Map()).get(pair.input) as Map<string, string>
      if (!outs.has(pair.output)) outs.set(pair.output, site)
      const ins = backward.get(pair.output) ?? backward.set(pair.output, new Map()).get(pair.output) as Map<string, string>
      if (!ins.has(pair.input)) ins.set(pair.input, site)
    }
  }
  const problems: string[] = []
  for (const outs of forward.values()) {
    if (outs.size > 1) problems.push(`one input UID has ${outs.size} outputs, at: ${[...outs.values()].join('; ')}`)
  }
  for (const ins of backward.values()) {
    if (ins.size > 1) problems.push(`${ins.size} input UIDs have one output, at: ${[...ins.values()].join('; ')}`)
  }
  return { problems, counts: { ...counts, distinct: forward.size } }
}

/**
 * References from one file to another's SOP Instance UID (Referenced SOP Instance UID,
 * Referenced Image Sequence, SR evidence, DICOMDIR records…): after de-identification the
 * reference must name the other file's new SOP Instance UID.
 */
function referenceProblems (inputs: readonly Input[], run: ProfileRun): { problems: string[], sameStudy: number, otherStudy: number, studies: number } {
  const byInstance = new Map<string, Input[]>()
  for (const input of inputs) {
    const instance = input.walk.uids.get('00080018')?.[0]
    if (instance !== undefined && instance !== '') byInstance.set(instance, [...(byInstance.get(instance) ?? []), input])
  }
  const problems: string[] = []
  let sameStudy = 0
  let otherStudy = 0
  for (const input of inputs) {
    const pairs = run.outputs.get(input.entry.path)
    if (pairs === undefined) continue
    const study = input.walk.uids.get('0020000D')?.[0]
    for (const pair of pairs) {
      if (pair.path === '00080018' || pair.path === '00020003') continue
      for (const target of byInstance.get(pair.input) ?? []) {
        if (target === input) continue
        const targetPairs = run.outputs.get(target.entry.path)
        if (targetPairs === undefined) continue // the target was rejected: nothing to point at
        const targetInstance = targetPairs.find((p) => p.path === '00080018')?.output
        if (target.walk.uids.get('0020000D')?.[0] === study && study !== undefined) sameStudy++
        else otherStudy++
        if (pair.output !== targetInstance) problems.push(`${input.entry.path} ${pair.path} no longer names ${target.entry.path}`)
      }
    }
  }
  return { problems, sameStudy, otherStudy, studies: studyProblems(inputs, run, problems) }
}

/** Files of one input study have one output Study Instance UID; returns how many such studies had 2+ outputs. */
function studyProblems (inputs: readonly Input[], run: ProfileRun, problems: string[]): number {
  const byStudy = new Map<string, Set<string>>()
  for (const input of inputs) {
    const study = input.walk.uids.get('0020000D')?.[0]
    const output = run.outputs.get(input.entry.path)?.find((p) => p.path === '0020000D')?.output
    if (study === undefined || study === '' || output === undefined) continue
    const outputs = byStudy.get(study) ?? byStudy.set(study, new Set()).get(study) as Set<string>
    outputs.add(`${output}\0${input.entry.path}`)
  }
  let studies = 0
  for (const outputs of byStudy.values()) {
    if (outputs.size < 2) continue
    studies++
    const uids = new Set([...outputs].map((o) => o.split('\0')[0]))
    if (uids.size > 1) problems.push(`one input study has ${uids.size} output Study Instance UIDs: ${[...outputs].map((o) => o.split('\0')[1]).join(', ')}`)
  }
  return studies
}

t.test('de-identified corpus', { skip: corpusSkip }, async (t) => {
  if (DCMDUMP_SKIP !== false) t.comment(DCMDUMP_SKIP)
  if (DCIODVFY_SKIP !== false) t.comment(DCIODVFY_SKIP)
  const scratch = mkdtempSync(join(tmpdir(), 'dicomgate-deid-corpus-'))
  t.teardown(() => { rmSync(scratch, { recursive: true, force: true }) })
  const inputs = readInputs(t)
  t.ok(inputs.length > 0, 'the corpus has files dcmdump parses')
  t.comment(`${inputs.length} inputs; ${totals.skippedInputs.length} files dcmdump does not parse are left out`)

  for (const name of PROFILES) {
    const profile = loadProfile(name)
    const run: ProfileRun = { outputs: new Map(), rejected: new Map() }
    runs.set(name, run)
    await t.test(`profile ${name}`, async (t) => {
      if (!DCIODVFY_PROFILES.has(name)) t.comment(`${name}: dciodvfy not compared (the allow-list removes modules' worth of attributes); parsing, file meta and UIDs are`)
      for (const input of inputs) {
        await t.test(input.entry.path, async (t) => { await checkFile(t, name, profile, input, run, scratch) })
      }
      await t.test('UIDs: one input UID, one output UID, across the corpus', async (t) => {
        const { problems, counts } = mappingProblems(run)
        totals.uidPairs.set(name, counts)
        t.comment(`${counts.distinct} distinct input UIDs at ${counts.keyed + counts.kept + counts.emptied} places: ${counts.keyed} replaced, ${counts.kept} kept, ${counts.emptied} emptied`)
        t.same(problems, [], 'input → output is a one-to-one function')
      })
      await t.test('UIDs: a study stays one study, references to other files still find them', async (t) => {
        const { problems, sameStudy, otherStudy, studies } = referenceProblems(inputs, run)
        totals.references.set(name, { sameStudy, otherStudy, studies })
        t.comment(`${studies} input studies with 2+ outputs, each one output study; ${sameStudy} references within a study, ${otherStudy} across studies (DICOMDIR records)`)
        t.ok(sameStudy + otherStudy > 0 || run.outputs.size === 0, 'the corpus has cross-file references to check')
        t.same(problems, [], 'every reference names the referenced file\'s new SOP Instance UID')
      })
      for (const [code, files] of [...run.rejected].sort()) t.comment(`rejected ${code} ×${files.length}: ${files.join(', ')}`)
    })
  }

  // Without dcmdump the inputs are chosen by MANIFEST.tsv notes, and some listed files drop out.
  t.test('KNOWN_FAILURES name inputs of this run', { skip: DCMDUMP_SKIP }, async (t) => {
    const paths = new Set(inputs.map((i) => i.entry.path))
    for (const k of KNOWN_FAILURES) t.ok(paths.has(k.file), `${k.file} is an input`)
  })

  t.test('summary', async (t) => {
    t.comment(`inputs: ${totals.inputs} (${HAS_DCMDUMP ? 'dcmdump parses them' : 'not marked malformed in MANIFEST.tsv'}); left out: ${totals.skippedInputs.length}`)
    for (const name of PROFILES) {
      const run = runs.get(name)
      const rejected = [...(run?.rejected ?? [])].map(([code, files]) => `${code} ×${files.length}`).join(', ') || 'none'
      const uids = totals.uidPairs.get(name)
      const refs = totals.references.get(name)
      t.comment(`${name}: ${totals.outputs.get(name) ?? 0} outputs; rejected: ${rejected}; UIDs compared: ${uids?.distinct ?? 0} distinct at ${(uids?.keyed ?? 0) + (uids?.kept ?? 0) + (uids?.emptied ?? 0)} places (${uids?.keyed ?? 0} replaced, ${uids?.kept ?? 0} kept, ${uids?.emptied ?? 0} emptied); ${refs?.studies ?? 0} studies of 2+ files; cross-file references: ${refs?.sameStudy ?? 0} in a study, ${refs?.otherStudy ?? 0} across studies`)
    }
    const codecErrors = [...runs.values()].flatMap((run) => [...run.rejected].filter(([code]) => !POLICY_REJECTIONS.has(code)).flatMap(([code, files]) => files.map((f) => `${f} ${code}`)))
    t.comment(`errors other than the profiles' refusals, on files dcmdump parses: ${codecErrors.length === 0 ? 'none' : codecErrors.join(', ')}`)
    t.comment(`dcmdump parsed ${totals.dcmdump} outputs, dicom-parser ${totals.dicomParser} (${totals.dicomParserInputFails} more it cannot read, nor their inputs)`)
    t.comment(`dciodvfy: ${totals.dciodvfyCompared} outputs compared, ${totals.dciodvfyLines} distinct Error lines, ${totals.dciodvfyMatched} also in the input; ${totals.dciodvfyNewWarnings} more Warning lines than the inputs (not checked)`)
    for (const [name, n] of [...totals.allowed].sort()) t.comment(`  allowed ${name} ×${n}: ${DCIODVFY_ALLOWED[name].reason}`)
    if (totals.dciodvfyInputCrashes.length > 0) t.comment(`  not compared, dciodvfy aborts on the input: ${[...new Set(totals.dciodvfyInputCrashes)].join(', ')}`)
    const bugs = new Map<string, string[]>()
    for (const [k, n] of totals.knownFailures) bugs.set(k.bug, [...(bugs.get(k.bug) ?? []), `${k.file} (${k.check} ×${n})`])
    for (const [bug, where] of bugs) t.comment(`KNOWN FAILURE in ${where.join(', ')}: ${bug}`)
    t.pass('summary printed')
  })
})
