/**
 * The benchmark entry: `npm run bench` runs every suite (`--suite codec|deid|store` one of
 * them), prints each suite's table and writes its section of docs/benchmarks.md.
 *
 * Shared by the suites: the generated data (bench/.data), the transpiled workload child,
 * the output folder on tmpfs, the Node floor (an idle child) and the report's frame.
 * See `npm run bench -- --help`.
 */

import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { codecSuite } from './codec.js'
import { deidSuite } from './deid.js'
import { storeSuite } from './store.js'
import { USAGE, parseOptions, type BenchOptions } from './lib/args.js'
import { benchBuildDir, compileForBench } from './lib/compile.js'
import { COLUMNS, ROWS } from './lib/ct-headers.js'
import { ensureData, type BenchData } from './lib/generate.js'
import { REPO_ROOT, measureInChild } from './lib/measure.js'
import { consoleReport, markdownSection, median, writeDocSection, type InputDescription, type ReportContext } from './lib/report.js'
import type { Suite, SuiteEnv } from './lib/runner.js'

const DATA_DIR = fileURLToPath(new URL('./.data', import.meta.url))
const DOC_PATH = join(REPO_ROOT, 'docs', 'benchmarks.md')
const SHM_DIR = '/dev/shm'
const SUITES: readonly Suite[] = [codecSuite, deidSuite, storeSuite]
const MB = 1e6

const log = (line: string): void => { process.stderr.write(`${line}\n`) }

/** tmpfs when there is one, so that the disk's write speed is not what gets measured. */
function outputRoot (): string {
  const base = existsSync(SHM_DIR) ? SHM_DIR : os.tmpdir()
  return join(base, `dicomgate-bench-${process.pid}`)
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

/** Which code was measured: the commit, and whether src/ differed from it (a shared tree). */
function codeVersion (): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const commit = git('rev-parse', '--short', 'HEAD')
    const dirty = git('status', '--porcelain', '--', 'src') !== ''
    return `code at commit ${commit}${dirty ? ' with uncommitted changes in src/' : ''}`
  } catch {
    return 'code version unknown (no git)'
  }
}

const loadAverage = (): string => os.loadavg()[0]?.toFixed(2) ?? '?'

async function idleRss (options: BenchOptions, entry: string, outDir: string): Promise<number> {
  const idle: number[] = []
  for (let run = 0; run < options.runs; run++) {
    idle.push((await measureInChild({ kind: 'idle', inputs: [], outDir, concurrency: 1 }, { entry })).peakRssBytes)
  }
  return median(idle)
}

async function runSuite (suite: Suite, env: SuiteEnv): Promise<ReportContext> {
  const loadStart = loadAverage()
  log(`\n== ${suite.name} suite: ${env.options.runs} run(s) after ${env.options.warmup} warm-up round(s); load average ${loadStart}`)
  const report = await suite.run(env)
  const argv = process.argv.slice(2)
  return {
    ...report,
    idleRssBytes: env.idleRssBytes,
    // The input sets the suite's rows measured (the store suite: the small files only).
    inputs: describeInputs(env.data).filter((i) => report.rows.some((r) => r.def.set === i.set)),
    machine: `${machineLine()}; ${codeVersion()}`,
    load: `1-minute load average ${loadStart} at start, ${loadAverage()} at end (the benchmark's own processes count in it); ` +
      `${env.options.runs} measured run(s) per workload after ${env.options.warmup} warm-up round(s).`,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    quickCommand: `npm run bench -- --suite ${suite.name} --quick`,
    outputDir: env.outRoot.startsWith(SHM_DIR) ? 'tmpfs (/dev/shm)' : os.tmpdir()
  }
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
  const data = await ensureData({ dataDir: DATA_DIR, frames: options.frames, smallCount: options.smallFiles, log })
  const entry = await compileForBench(REPO_ROOT, benchBuildDir(REPO_ROOT))
  const outRoot = outputRoot()
  await mkdir(outRoot, { recursive: true })
  // tmpfs is RAM: an interrupted run must not leave half a gigabyte behind in /dev/shm.
  process.once('SIGINT', () => {
    rmSync(outRoot, { recursive: true, force: true })
    process.exit(130)
  })
  let failed = false
  try {
    const env: SuiteEnv = { options, data, entry, outRoot, dataDir: DATA_DIR, idleRssBytes: await idleRss(options, entry, outRoot), log }
    for (const suite of SUITES.filter((s) => options.suites.includes(s.name))) {
      const context = await runSuite(suite, env)
      process.stdout.write(`\n${consoleReport(context)}\n`)
      if (options.writeDocs) {
        await writeDocSection(DOC_PATH, suite.name, markdownSection(context))
        log(`\nwrote the ${suite.name} section of ${DOC_PATH}`)
      } else {
        log('\ndocs/benchmarks.md not written (quick, partial or --no-docs run)')
      }
      const bad = context.rows.filter((r) => r.failedChecks > 0 || r.failure !== undefined)
      if (bad.length > 0) {
        failed = true
        log(`\n!!! ${suite.name}: ${bad.map((r) => `${r.label} on ${r.def.set}`).join(', ')} failed a check or did not finish; those figures do not count.`)
      }
    }
  } finally {
    await rm(outRoot, { recursive: true, force: true })
  }
  return failed ? 1 : 0
}

process.exitCode = await main()
