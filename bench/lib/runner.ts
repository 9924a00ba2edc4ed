/**
 * Runs a suite's plan: a warm-up round, then the measured rounds, each round every
 * workload once in plan order (so that load on the shared machine falls on all alike),
 * each run in a fresh process writing to a fresh output folder, its output checked after
 * the run and deleted.
 *
 * A workload that fails (its process exits with an error) is not run again and its row
 * says why; the other workloads go on. A workload marked unavailable is not run at all.
 */

import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

import type { BenchOptions, SuiteName } from './args.js'
import type { BenchData } from './generate.js'
import { WorkloadFailure, measureInChild, type Measurement } from './measure.js'
import { isCommandTool, workloadLabel, type WorkloadDef } from './plan.js'
import { MB, summarize, type ReportContext, type Row } from './report.js'
import type { DeidSettings } from './workload-spec.js'

/** What every suite is given by bench/run.ts. */
export interface SuiteEnv {
  readonly options: BenchOptions
  readonly data: BenchData
  /** The compiled workload child (compile.ts). */
  readonly entry: string
  /** Where outputs go (tmpfs when there is one); deleted after each run. */
  readonly outRoot: string
  readonly dataDir: string
  /** Peak RSS of a Node child that does nothing: the floor under every Node row. */
  readonly idleRssBytes: number
  readonly log: (line: string) => void
}

/** What a suite adds to the report; run.ts adds the machine, load, command and inputs. */
export type SuiteReport = Pick<ReportContext, 'title' | 'rows' | 'workloads' | 'method' | 'targetsTitle' | 'targets' | 'notes' | 'baselines'>

export interface Suite {
  /** Also the name of its section in docs/benchmarks.md (`bench:NAME` markers). */
  readonly name: SuiteName
  run (env: SuiteEnv): Promise<SuiteReport>
}

export interface Executor {
  /** Measures one run of `def`, its output written under `outDir`. */
  run (def: WorkloadDef, outDir: string): Promise<Measurement>
  /** What is wrong with that run's output; empty when nothing is. */
  check (def: WorkloadDef, outDir: string): Promise<string[]>
}

export function inputsOf (def: Pick<WorkloadDef, 'set'>, data: BenchData): readonly string[] {
  return def.set === 'big' ? [data.bigFile] : data.smallFiles
}

/** A Node workload child on the inputs of `def` (commands are the suite's own business). */
export async function runChild (def: WorkloadDef, env: SuiteEnv, outDir: string, deid?: DeidSettings): Promise<Measurement> {
  if (isCommandTool(def.tool)) throw new Error(`${def.tool} is a command, not a Node workload`)
  const spec = { kind: def.tool, inputs: inputsOf(def, env.data), outDir, concurrency: def.concurrency }
  return await measureInChild(deid === undefined ? spec : { ...spec, deid }, { entry: env.entry, nodeFlags: def.nodeFlags })
}

interface Tally {
  readonly results: Measurement[]
  failedChecks: number
  readonly problems: Set<string>
  failure: string | undefined
}

function describeRun (result: Measurement): string {
  return `${(result.wallMs / 1000).toFixed(3)} s  ${(result.bytesIn / MB / (result.wallMs / 1000)).toFixed(0)} MB/s  ` +
    `RSS ${(result.peakRssBytes / MB).toFixed(1)} MB  ` +
    `others' CPU ${result.otherCpuShare === undefined ? '?' : `${(result.otherCpuShare * 100).toFixed(0)}%`}`
}

async function runOnce (def: WorkloadDef, executor: Executor, env: SuiteEnv, tally: Tally, round: string, counted: boolean): Promise<void> {
  const outDir = join(env.outRoot, `${def.tool}-${def.set}-c${def.concurrency}`)
  await rm(outDir, { recursive: true, force: true })
  await mkdir(outDir, { recursive: true })
  const label = `${round}  ${workloadLabel(def).padEnd(16)} ${def.set.padEnd(5)}`
  try {
    const result = await executor.run(def, outDir)
    const problems = def.check === 'none' ? [] : await executor.check(def, outDir)
    if (counted) tally.results.push(result)
    env.log(`${label}  ${describeRun(result)}`)
    if (problems.length > 0) {
      tally.failedChecks++
      for (const p of problems) tally.problems.add(p)
      env.log(`\n!!! OUTPUT CHECK FAILED: ${workloadLabel(def)} on ${def.set}: ${problems.join('; ')}\n`)
    }
  } catch (error) {
    tally.failure = error instanceof WorkloadFailure ? error.summary : error instanceof Error ? error.message : String(error)
    env.log(`${label}  FAILED: ${error instanceof Error ? error.message : String(error)}`)
  } finally {
    // tmpfs is RAM: a 524 MB output left behind would weigh on the next workload.
    await rm(outDir, { recursive: true, force: true })
  }
}

export async function measurePlan (plan: readonly WorkloadDef[], executor: Executor, env: SuiteEnv): Promise<Row[]> {
  const tallies = plan.map((): Tally => ({ results: [], failedChecks: 0, problems: new Set(), failure: undefined }))
  const { runs, warmup } = env.options
  for (let round = 1 - warmup; round <= runs; round++) {
    const roundLabel = round < 1 ? 'warm-up' : `run ${round}/${runs}`
    for (const [i, def] of plan.entries()) {
      const tally = tallies[i]
      if (tally === undefined || def.unavailable !== undefined || tally.failure !== undefined) continue
      await runOnce(def, executor, env, tally, roundLabel.padEnd(9), round >= 1)
    }
  }
  for (const def of plan.filter((d) => d.unavailable !== undefined)) env.log(`not run: ${workloadLabel(def)} on ${def.set}: ${def.unavailable ?? ''}`)
  return plan.map((def, i) => {
    const tally = tallies[i]
    return summarize(def, { results: tally?.results ?? [], failedChecks: tally?.failedChecks ?? 0, problems: [...(tally?.problems ?? [])], failure: tally?.failure })
  })
}
