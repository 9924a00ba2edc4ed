/**
 * Measures an external command (gdcmanon, the dicomgate CLI) run as a user runs it: one
 * process for the whole input, its wall time from spawn to exit, start-up included.
 *
 * Peak RSS comes from GNU time (`/usr/bin/time -f %M`), which reads the child's ru_maxrss
 * from wait4(2) when it ends: exact, with no polling that could miss a late peak. It counts
 * the process and its threads (dicomgate's worker threads share its RSS); for descendants
 * it is the largest one, not a sum. Unlike a Node workload child (measure.ts), the figure
 * is ru_maxrss and not VmHWM, but it has no inflated floor: the process is forked from
 * `time`, about 2 MB, not from the benchmark's parent, and ru_maxrss starts from the
 * forking process's RSS.
 */

import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

import { WorkloadFailure, runProcess, withOthersCpu, type Measurement } from './measure.js'
import { totalBytes, treeBytes } from './sizes.js'

export const GNU_TIME = '/usr/bin/time'
const KIB = 1024

export interface CommandSpec {
  /** The program and its arguments. */
  readonly argv: readonly [string, ...string[]]
  /** The input files, as a user would count them (the command may be given their folder). */
  readonly inputs: readonly string[]
  /** Where the command writes; every file under it counts as output. */
  readonly outDir: string
}

export async function measureCommand (spec: CommandSpec): Promise<Measurement> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} not found: install GNU time (Debian package time)`)
  const statsDir = await mkdtemp(join(os.tmpdir(), 'dicomgate-bench-time-'))
  const statsFile = join(statsDir, 'stats')
  try {
    const measured = await withOthersCpu(async () => {
      const started = performance.now()
      // -o: the figures go to their own file, apart from the command's stderr.
      const { code, stderr } = await runProcess(GNU_TIME, ['-f', '%M %U %S', '-o', statsFile, ...spec.argv])
      const wallMs = performance.now() - started
      if (code !== 0) throw new WorkloadFailure(spec.argv[0], code, stderr)
      // The last line: GNU time puts "Command exited with non-zero status" before it.
      const fields = (await readFile(statsFile, 'utf8')).trim().split('\n').at(-1)?.split(' ').map(Number) ?? []
      const [maxRssKiB, userSeconds, systemSeconds] = fields
      if (fields.length !== 3 || maxRssKiB === undefined || userSeconds === undefined || systemSeconds === undefined || fields.some(Number.isNaN)) {
        throw new Error(`unexpected ${GNU_TIME} output in ${statsFile}`)
      }
      return { wallMs, cpuMs: (userSeconds + systemSeconds) * 1000, peakRssBytes: maxRssKiB * KIB, maxRssBytes: maxRssKiB * KIB }
    })
    return {
      ...measured,
      files: spec.inputs.length,
      bytesIn: await totalBytes(spec.inputs),
      bytesOut: await treeBytes(spec.outDir)
    }
  } finally {
    await rm(statsDir, { recursive: true, force: true })
  }
}
