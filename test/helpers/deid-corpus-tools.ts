/**
 * External readers and validators for the de-identified corpus test
 * (test/deid/corpus.test.ts): dcmtk's dcmdump and dcmconv, and dicom3tools' dciodvfy, run
 * as child processes with limited concurrency, and dciodvfy's Error lines made comparable
 * between an input and its de-identified output.
 */
import { spawn, spawnSync } from 'node:child_process'

/** Whether `command` can be started at all (its exit status does not matter). */
export function hasCommand (command: string): boolean {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined
}

export interface ToolRun {
  /** Exit status; null when the process ended on a signal. */
  readonly status: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to its end; stdout is read only when `keepStdout` (dcmdump's is large). */
export function runTool (command: string, args: readonly string[], keepStdout = true): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'] })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', (b: Buffer) => { out.push(b) })
    child.stderr?.on('data', (b: Buffer) => { err.push(b) })
    child.once('error', reject)
    child.once('close', (status, signal) => {
      resolve({ status, signal, stdout: Buffer.concat(out).toString('latin1'), stderr: Buffer.concat(err).toString('latin1') })
    })
  })
}

/** At most `concurrency` tasks at a time; the others wait in order. */
export function createLimiter (concurrency: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0
  const waiting: Array<() => void> = []
  const release = (): void => {
    running--
    waiting.shift()?.()
  }
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running >= concurrency) await new Promise<void>((resolve) => { waiting.push(resolve) })
    running++
    try {
      return await task()
    } finally {
      release()
    }
  }
}

export interface DcmdumpVerdict {
  readonly ok: boolean
  readonly status: number | null
  /** dcmtk's error and fatal log lines ("E: …", "F: …"); they name tags, not values. */
  readonly errors: readonly string[]
}

/**
 * dcmdump reads the whole file: exit status 0 and no error line. (dcmdumpParses in
 * tokens.ts looks at the exit status only; dcmtk logs some errors it recovers from, such
 * as a bad item in a sequence, and still exits with 0.)
 */
export async function dcmdumpVerdict (path: string): Promise<DcmdumpVerdict> {
  const run = await runTool('dcmdump', [path], false)
  const errors = run.stderr.split('\n').filter((line) => /^[EF]: /.test(line))
  return { ok: run.status === 0 && errors.length === 0, status: run.status, errors }
}

/**
 * dcmconv +te: the same dataset in Explicit VR Little Endian. dciodvfy (dicom3tools
 * 2022-06) cannot read a deflated dataset (PS3.5 §A.5): it takes the compressed bytes for
 * tags ("Tag read failed", a different garbage tag on every run of the deflater), so
 * deflated files, inputs and outputs alike, are validated on such a copy.
 */
export async function explicitLittleEndianCopy (path: string, copy: string): Promise<boolean> {
  const run = await runTool('dcmconv', ['+te', path, copy], false)
  return run.status === 0
}

export interface DciodvfyReport {
  /** The Error lines as dciodvfy printed them (they may hold values: never print them). */
  readonly errors: readonly string[]
  readonly warnings: number
  /** Set when dciodvfy did not finish (it aborts on a few inputs). */
  readonly crashed: string | undefined
}

/**
 * dciodvfy -new: the new-style messages name each attribute by its full path, e.g.
 * `</ContentSequence(0040,a730)[2]/ConceptNameCodeSequence(0040,a043)[1]/CodeValue(0008,0100)>`.
 */
export async function dciodvfy (path: string): Promise<DciodvfyReport> {
  const run = await runTool('dciodvfy', ['-new', path])
  const lines = `${run.stdout}\n${run.stderr}`.split('\n')
  return {
    errors: lines.filter((line) => line.startsWith('Error - ')),
    warnings: lines.filter((line) => line.startsWith('Warning - ')).length,
    crashed: run.signal !== null ? `ended by ${run.signal}` : undefined
  }
}

/**
 * A dciodvfy line without the values it quotes, so that an input's line and its output's
 * match although de-identification changed the value: `= <1.2.3…>` (UIDs, names, dates),
 * `should be <0x…>`, and the character of "Character invalid for this VR = 'N' (0x4e)".
 * The attribute path, item numbers and the message stay: they say where and what.
 */
export function normalizeDciodvfyLine (line: string): string {
  return line
    .replace(/ = <[^>]*>/g, ' = <…>')
    .replace(/should be <[^>]*>/g, 'should be <…>')
    .replace(/ = '[^']*' \([^)]*\)/g, " = '…'")
    .trimEnd()
}

/** The attribute path of a new-style dciodvfy line, e.g. `/StudyDate(0008,0020)`, or ''. */
export function dciodvfyPath (line: string): string {
  return /^(?:Error|Warning) - <([^>]*)>/.exec(line)?.[1] ?? ''
}

/** The tag of the last attribute of a dciodvfy path, as a uint32; undefined for none. */
export function dciodvfyLeafTag (path: string): number | undefined {
  const m = /\(([0-9a-fA-F]{4}),([0-9a-fA-F]{4})\)(?:\[\d+\])?$/.exec(path)
  if (m === null) return undefined
  return ((parseInt(m[1] as string, 16) << 16) | parseInt(m[2] as string, 16)) >>> 0
}
