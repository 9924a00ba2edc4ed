/**
 * Runs one workload in a fresh Node process and returns what it measured: peak RSS is
 * per process, so a child per run keeps one tool's memory out of another's figure, and
 * a run's garbage out of the next run's.
 */

import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

import { RESULT_PREFIX, parseResult, type WorkloadResult, type WorkloadSpec } from './workload-spec.js'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildOptions {
  /** The compiled workload-child.js (see compile.ts): plain node, no loader in the figures. */
  readonly entry: string
  /** Extra Node flags, e.g. a larger heap for dcmjs or --cpu-prof. */
  readonly nodeFlags?: readonly string[]
}

export interface Measurement extends WorkloadResult {
  /**
   * Share of the machine's CPU capacity used by other processes (and the hypervisor's steal)
   * while the child ran, 0 to 1; undefined where /proc/stat is not available. Other
   * engineers' test runs share this machine: this says how much they weighed on a figure.
   */
  readonly otherCpuShare: number | undefined
}

/** USER_HZ: /proc/stat counts in 1/100 s on every Linux architecture Node supports. */
const CLOCK_TICKS_PER_SECOND = 100

/** Busy CPU seconds of the whole machine so far (proc(5): all but idle and iowait). */
function machineBusySeconds (): number | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? []
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS_PER_SECOND
  } catch {
    return undefined
  }
}

/**
 * Runs `measure` and adds the share of the machine's CPU that others used meanwhile:
 * the machine's busy time over the elapsed time, less what the workload itself used.
 */
export async function withOthersCpu<T extends { readonly cpuMs: number }> (measure: () => Promise<T>): Promise<T & { otherCpuShare: number | undefined }> {
  const busyBefore = machineBusySeconds()
  const started = performance.now()
  const result = await measure()
  const busyAfter = machineBusySeconds()
  const elapsedSeconds = (performance.now() - started) / 1000
  const otherCpuShare = busyBefore === undefined || busyAfter === undefined || elapsedSeconds <= 0
    ? undefined
    : Math.min(1, Math.max(0, (busyAfter - busyBefore - result.cpuMs / 1000) / (elapsedSeconds * os.cpus().length)))
  return { ...result, otherCpuShare }
}

/** Standard error kept of a process, for the message of its failure. */
const STDERR_TAIL_CHARS = 2000

/** A measured process that failed; `summary` is the line of its stderr that says why. */
export class WorkloadFailure extends Error {
  readonly summary: string

  constructor (what: string, code: number | null, stderr: string) {
    const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '')
    // An uncaught error prints the source line, then `SomeError: message`, then the stack.
    const summary = lines.find((l) => /^\w*Error\b[^:]*:/.test(l)) ?? lines.filter((l) => !l.startsWith('at ')).at(-1) ?? 'no message'
    super(`${what} failed (exit ${code ?? 'by signal'}): ${summary}`)
    this.name = 'WorkloadFailure'
    this.summary = summary
  }
}

export interface ProcessOutcome {
  /** Exit code; null when ended by a signal. */
  readonly code: number | null
  readonly stdout: string
  /** The last STDERR_TAIL_CHARS characters. */
  readonly stderr: string
}

/** Runs a process to its end in the repository root, its output captured. */
export async function runProcess (file: string, args: readonly string[], options: { readonly passStderr?: boolean } = {}): Promise<ProcessOutcome> {
  const child = spawn(file, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (text: string) => { stdout += text })
  child.stderr.on('data', (text: string) => {
    // The workload children's warnings stay visible on the benchmark's own stderr.
    if (options.passStderr === true) process.stderr.write(text)
    stderr = (stderr + text).slice(-STDERR_TAIL_CHARS)
  })
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (exitCode, signal) => { resolve(signal === null ? exitCode : null) })
  })
  return { code, stdout, stderr }
}

export async function measureInChild (spec: WorkloadSpec, options: ChildOptions): Promise<Measurement> {
  return await withOthersCpu(async () => {
    const args = [...(options.nodeFlags ?? []), options.entry, JSON.stringify(spec)]
    const { code, stdout, stderr } = await runProcess(process.execPath, args, { passStderr: true })
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
    if (code !== 0 || line === undefined) throw new WorkloadFailure(`workload ${spec.kind}`, code, stderr)
    return parseResult(line.slice(RESULT_PREFIX.length))
  })
}
