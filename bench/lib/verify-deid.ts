/**
 * Correctness inside the de-identification benchmark: a fast de-identifier whose output
 * does not parse, is missing, or still names the patient is a failure, not a figure.
 *
 * After every run of a de-identifying workload:
 * - every input has an output of the same base name somewhere under the output folder (a
 *   CLI may keep the input's folder structure; a skipped file must not look fast);
 * - for a sample (the large file; the first, middle and last small file), dcmtk `dcmdump`
 *   reads the output without error;
 * - the input's PatientName (0010,0010), read with dcmdump, is nowhere in the output's
 *   bytes: not in PatientName, not copied to another attribute (compared without the
 *   trailing `^` and spaces a re-encoder may drop);
 * - attributes the tool is expected to add are there, e.g. gdcmanon's Encrypted Attributes
 *   Sequence (0400,0500), which shows that `-e` did its work.
 */

import { execFile } from 'node:child_process'
import { createReadStream, existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { promisify } from 'node:util'

export const DCMDUMP = '/usr/bin/dcmdump'
/** dcmdump's output can be long (the per-frame groups of the large file). */
const DCMDUMP_MAX_BUFFER = 256 << 20
const SCAN_CHUNK_BYTES = 1 << 20

const run = promisify(execFile)

/** `(gggg,eeee)` as dcmdump prints it, for the tags the checks look for. */
export type DumpTag = `(${string},${string})`
const PATIENT_NAME: DumpTag = '(0010,0010)'

export interface DeidCheckOptions {
  /** Tags every checked output must hold (dcmdump's `(gggg,eeee)` form). */
  readonly requiredTags?: readonly DumpTag[]
}

/** dcmdump's listing; -M leaves values over 4 kB unloaded, so the large file costs no memory. */
async function dump (path: string): Promise<string> {
  const { stdout } = await run(DCMDUMP, ['-M', path], { maxBuffer: DCMDUMP_MAX_BUFFER })
  return stdout
}

/** The value of a top-level element in a dcmdump listing; undefined when absent or empty. */
function dumpedValue (listing: string, tag: DumpTag): string | undefined {
  const line = listing.split('\n').find((l) => l.startsWith(tag))
  return line === undefined ? undefined : /\[(.*)\]/.exec(line)?.[1]
}

/** Whether `needle` occurs in the file, streamed (chunks overlap by the needle's length). */
async function fileContains (path: string, needle: Buffer): Promise<boolean> {
  let tail = Buffer.alloc(0)
  for await (const chunk of createReadStream(path, { highWaterMark: SCAN_CHUNK_BYTES }) as AsyncIterable<Buffer>) {
    const window = Buffer.concat([tail, chunk])
    if (window.includes(needle)) return true
    tail = window.subarray(Math.max(0, window.length - needle.length + 1))
  }
  return false
}

/** Output files under `dir` at any depth, by base name. */
async function outputsByName (dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) found.set(entry.name, join(entry.parentPath, entry.name))
  }
  return found
}

/** The inputs whose outputs are inspected in full: first, middle and last. */
function sample (inputs: readonly string[]): string[] {
  return [...new Set([inputs[0], inputs[Math.floor(inputs.length / 2)], inputs.at(-1)])].filter((i): i is string => i !== undefined)
}

/** Input path → its PatientName: the inputs do not change during a benchmark. */
const inputNames = new Map<string, string | undefined>()

async function inputPatientName (input: string): Promise<string | undefined> {
  if (!inputNames.has(input)) {
    // Without the empty trailing components and padding that PS3.5 §6.2 allows.
    inputNames.set(input, dumpedValue(await dump(input), PATIENT_NAME)?.replace(/[\^ ]+$/, ''))
  }
  return inputNames.get(input)
}

async function checkOne (input: string, output: string, options: DeidCheckOptions): Promise<string[]> {
  const problems: string[] = []
  const name = basename(input)
  const patientName = await inputPatientName(input)
  if (patientName === undefined || patientName === '') {
    problems.push(`${name}: the input has no PatientName to look for (is it the generated data?)`)
  } else if (await fileContains(output, Buffer.from(patientName, 'latin1'))) {
    problems.push(`${name}: the input's PatientName is still in the output`)
  }
  let listing: string
  try {
    listing = await dump(output)
  } catch (error) {
    const stderr = typeof error === 'object' && error !== null && 'stderr' in error ? String(error.stderr).trim() : String(error)
    return [...problems, `${name}: dcmdump cannot read the output (${stderr.split('\n')[0] ?? ''})`]
  }
  for (const tag of options.requiredTags ?? []) {
    if (!listing.split('\n').some((l) => l.startsWith(tag))) problems.push(`${name}: ${tag} missing from the output`)
  }
  return problems
}

/** What is wrong with a de-identifying run's outputs; empty when nothing is. */
export async function deidProblems (inputs: readonly string[], outDir: string, options: DeidCheckOptions = {}): Promise<string[]> {
  if (!existsSync(DCMDUMP)) return [`${DCMDUMP} not found: install dcmtk to check the outputs`]
  const outputs = await outputsByName(outDir)
  const missing = inputs.filter((i) => !outputs.has(basename(i)))
  const problems = missing.length === 0 ? [] : [`${missing.length} of ${inputs.length} input(s) have no output (${missing.slice(0, 3).map((m) => basename(m)).join(', ')})`]
  for (const input of sample(inputs)) {
    const output = outputs.get(basename(input))
    if (output !== undefined) problems.push(...await checkOne(input, output, options))
  }
  return problems
}
