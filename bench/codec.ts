/**
 * Codec benchmark (issue 2, "Must show" 6): read + write pass-through of a large
 * multi-frame file and of many small CT files, beside a plain Node stream copy and dcmjs
 * measured in the same run; prints the table and writes the codec section of
 * docs/benchmarks.md. Run: `npm run bench` (see `npm run bench -- --help`).
 */

import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { USAGE, parseOptions, type BenchOptions } from './lib/args.js'
import { benchBuildDir, compileForBench } from './lib/compile.js'
import { COLUMNS, ROWS } from './lib/ct-headers.js'
import { ensureData, type BenchData } from './lib/generate.js'
import { REPO_ROOT, measureInChild, type Measurement } from './lib/measure.js'
import { buildPlan, workloadLabel, type WorkloadDef } from './lib/plan.js'
import { profileDicomgate } from './lib/profile.js'
import {
  checkTargets, consoleReport, markdownSection, median, standingNotes, summarize, writeDocSection,
  type InputDescription, type Row
} from './lib/report.js'
import { InputHashes, mismatchedOutputs } from './lib/verify.js'
import type { WorkloadSpec } from './lib/workload-spec.js'

const DATA_DIR = fileURLToPath(new URL('./.data', import.meta.url))
const DOC_PATH = join(REPO_ROOT, 'docs', 'benchmarks.md')
const DOC_SECTION = 'codec'
const SHM_DIR = '/dev/shm'
const PROFILE_TOP_FUNCTIONS = 20
const MB = 1e6

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

/** tmpfs when there is one, so that the disk's write speed is not what gets measured. */
function outputRoot (): string {
  const base = existsSync(SHM_DIR) ? SHM_DIR : os.tmpdir()
  return join(base, `dicomgate-bench-${process.pid}`)
}

function inputsOf (def: Pick<WorkloadDef, 'set'>, data: BenchData): readonly string[] {
  return def.set === 'big' ? [data.bigFile] : data.smallFiles
}

function describeInputs (data: BenchData): InputDescription[] {
  const perFile = data.smallBytes / Math.max(1, data.smallFiles.length)
  return [
    {
      set: 'big',
      name: `multiframe-${Math.round(data.bigBytes / MB)}mb`,
      description: `one Enhanced CT file, ${data.frames} frames of ${ROWS}×${COLUMNS}×16 bit native Pixel Data (OW), ` +
        `Explicit VR LE, Shared and Per-frame Functional Groups for every frame, private blocks; ${(data.bigBytes / MB).toFixed(1)} MB`
    },
    {
      set: 'small',
      name: `ct-${data.smallFiles.length}x${Math.round(perFile / 1000)}kb`,
      description: `${data.smallFiles.length} single-frame CT images, ${ROWS}×${COLUMNS}×16 bit, Explicit VR LE, ` +
        `~105 header elements with sequences and private blocks, varied UIDs; ${(perFile / 1000).toFixed(1)} kB each, ` +
        `${(data.smallBytes / MB).toFixed(1)} MB in all`
    }
  ]
}

function machineLine (): string {
  const cpus = os.cpus()
  const model = cpus[0]?.model.trim() ?? 'unknown CPU'
  return `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on Node ${process.version}, ` +
    `${os.type()} ${os.release()}, ${cpus.length} × ${model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`
}

/** Which codec was measured: the commit, and whether src/ differed from it (a shared tree). */
function codecVersion (): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const commit = git('rev-parse', '--short', 'HEAD')
    const dirty = git('status', '--porcelain', '--', 'src') !== ''
    return `codec at commit ${commit}${dirty ? ' with uncommitted changes in src/' : ''}`
  } catch {
    return 'codec version unknown (no git)'
  }
}

const loadAverage = (): string => os.loadavg()[0]?.toFixed(2) ?? '?'

async function runOnce (def: WorkloadDef, data: BenchData, outRoot: string, hashes: InputHashes, entry: string): Promise<{ result: Measurement, mismatched: string[] }> {
  const outDir = join(outRoot, `${def.tool}-${def.set}-c${def.concurrency}`)
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  const inputs = inputsOf(def, data)
  try {
    const result = await measureInChild({ kind: def.tool, inputs, outDir, concurrency: def.concurrency }, { entry, nodeFlags: def.nodeFlags })
    const mismatched = def.verify ? await mismatchedOutputs(inputs, outDir, hashes) : []
    return { result, mismatched }
  } finally {
    // tmpfs is RAM: a 524 MB output left behind would weigh on the next workload.
    await rm(outDir, { recursive: true, force: true })
  }
}

async function measureAll (options: BenchOptions, data: BenchData, outRoot: string, entry: string): Promise<{ rows: Row[], idleRssBytes: number }> {
  const plan = buildPlan({ sets: options.sets, concurrency: options.concurrency })
  const hashes = new InputHashes()
  log('hashing inputs (warms the page cache, and gives the expected output of the pass-through)...')
  for (const def of plan.filter((d) => d.verify)) for (const input of inputsOf(def, data)) await hashes.of(input)
  const results = plan.map((): Measurement[] => [])
  const failures = plan.map(() => 0)
  for (let run = 1; run <= options.runs; run++) {
    for (const [i, def] of plan.entries()) {
      const { result, mismatched } = await runOnce(def, data, outRoot, hashes, entry)
      results[i]?.push(result)
      if (mismatched.length > 0) {
        failures[i] = (failures[i] ?? 0) + 1
        log(`\n!!! OUTPUT MISMATCH: ${workloadLabel(def)} on ${def.set}: ${mismatched.length} file(s) differ from their input (${mismatched.slice(0, 5).join(', ')})\n`)
      }
      log(`run ${run}/${options.runs}  ${workloadLabel(def).padEnd(16)} ${def.set.padEnd(5)}  ${(result.wallMs / 1000).toFixed(3)} s  ` +
        `${(result.bytesIn / MB / (result.wallMs / 1000)).toFixed(0)} MB/s  RSS ${(result.peakRssBytes / MB).toFixed(1)} MB  ` +
        `others' CPU ${result.otherCpuShare === undefined ? '?' : `${(result.otherCpuShare * 100).toFixed(0)}%`}`)
    }
  }
  const idle: number[] = []
  for (let run = 0; run < options.runs; run++) {
    const spec: WorkloadSpec = { kind: 'idle', inputs: [], outDir: outRoot, concurrency: 1 }
    idle.push((await measureInChild(spec, { entry })).peakRssBytes)
  }
  const rows = plan.map((def, i) => summarize(def, results[i] ?? [], failures[i] ?? 0))
  return { rows, idleRssBytes: median(idle) }
}

/** Past this share of the machine's CPU used by others during a workload, say so. */
const BUSY_MACHINE_SHARE = 0.1

function notesFor (rows: readonly Row[]): string[] {
  const notes: string[] = []
  const dcmjsChanged = rows.filter((r) => r.def.tool === 'dcmjs' && r.bytesOut !== r.bytesIn)
  for (const r of dcmjsChanged) {
    const delta = r.bytesOut - r.bytesIn
    notes.push(`dcmjs re-encodes rather than passing through: its ${r.def.set} output is ${delta > 0 ? '+' : ''}${delta} bytes against the input (lengths and delimiters rewritten).`)
  }
  const busy = rows.filter((r) => (r.otherCpuShare ?? 0) > BUSY_MACHINE_SHARE)
  if (busy.length > 0) {
    const worst = Math.max(...busy.map((r) => r.otherCpuShare ?? 0))
    notes.push(`The machine was shared: other processes used more than ${BUSY_MACHINE_SHARE * 100}% of its CPU during ${busy.length} ` +
      `of ${rows.length} workloads (up to ${(worst * 100).toFixed(0)}%, see "others' CPU"); those figures are lower than on an idle machine.`)
  }
  return notes
}

async function main (): Promise<number> {
  let options: BenchOptions
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (error) {
    // parseArgs and parseOptions throw on unknown flags and bad values: a usage error.
    log(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
    return 2
  }
  if (options.help) {
    log(USAGE)
    return 0
  }
  const loadStart = loadAverage()
  log(`dicomgate codec benchmark: ${options.runs} run(s); load average ${loadStart}`)
  const data = await ensureData({ dataDir: DATA_DIR, frames: options.frames, smallCount: options.smallFiles, log })
  const entry = await compileForBench(REPO_ROOT, benchBuildDir(REPO_ROOT))
  const outRoot = outputRoot()
  await mkdir(outRoot, { recursive: true })
  // tmpfs is RAM: an interrupted run must not leave half a gigabyte behind in /dev/shm.
  process.once('SIGINT', () => {
    rmSync(outRoot, { recursive: true, force: true })
    process.exit(130)
  })
  let measured: { rows: Row[], idleRssBytes: number }
  try {
    measured = await measureAll(options, data, outRoot, entry)
  } finally {
    await rm(outRoot, { recursive: true, force: true })
  }
  const loadEnd = loadAverage()
  const { rows, idleRssBytes } = measured
  const targets = checkTargets(rows, idleRssBytes)
  const context = {
    rows,
    idleRssBytes,
    inputs: describeInputs(data).filter((i) => options.sets.includes(i.set)),
    targets,
    machine: `${machineLine()}; ${codecVersion()}`,
    load: `1-minute load average ${loadStart} at start, ${loadEnd} at end (the benchmark's own children count in it); ` +
      `${options.runs} run(s) per workload.`,
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    outputDir: `${outRoot.startsWith(SHM_DIR) ? 'tmpfs (/dev/shm)' : os.tmpdir()}`,
    notes: [...standingNotes(rows), ...notesFor(rows)]
  }
  process.stdout.write(`\n${consoleReport(context)}\n`)
  if (options.writeDocs) {
    await writeDocSection(DOC_PATH, DOC_SECTION, markdownSection(context))
    log(`\nwrote the ${DOC_SECTION} section of ${DOC_PATH}`)
  } else {
    log('\ndocs/benchmarks.md not written (quick, partial or --no-docs run)')
  }
  if (options.profile && options.sets.includes('big')) {
    const outDir = join(outputRoot(), 'profile')
    await mkdir(outDir, { recursive: true })
    try {
      const { hotSpots, file } = await profileDicomgate(
        { kind: 'dicomgate', inputs: [data.bigFile], outDir, concurrency: 1 }, entry, join(DATA_DIR, 'profiles'), PROFILE_TOP_FUNCTIONS)
      process.stdout.write(`\nHot spots of dicomgate on the large file (self time; ${file}):\n`)
      for (const h of hotSpots) process.stdout.write(`${(h.share * 100).toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.frame}\n`)
    } finally {
      await rm(outputRoot(), { recursive: true, force: true })
    }
  }
  const failed = rows.some((r) => r.failedChecks > 0)
  if (failed) log('\n!!! FAILED: the dicomgate pass-through did not reproduce its input; its figures do not count.')
  return failed ? 1 : 0
}

process.exitCode = await main()
