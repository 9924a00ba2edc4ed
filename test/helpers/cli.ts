/**
 * Runs the dicomgate command line in-process, with its standard streams captured, and makes
 * throwaway folders for its inputs and outputs.
 */
import { Buffer } from 'node:buffer'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough, Readable } from 'node:stream'
import type { Test } from 'tap'
import { main, type CliIO } from '../../src/cli/main.js'

export interface CliRun {
  /** The exit status (a command's own `run` may resolve to undefined: 0). */
  readonly code: number | undefined
  readonly stdout: Buffer
  readonly stderr: string
}

/** `dicomgate ARGS...`, or, with `run`, one command's own entry (e.g. `reidentifyCommand.run`). */
export async function runCli (
  args: string[],
  stdin: Readable = Readable.from([]),
  run: (args: string[], io: CliIO) => Promise<number | undefined> = main
): Promise<CliRun> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out: Buffer[] = []
  const err: Buffer[] = []
  stdout.on('data', (c: Buffer) => { out.push(c) })
  stderr.on('data', (c: Buffer) => { err.push(c) })
  const code = await run(args, { stdin, stdout, stderr })
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }
}

/** A new folder under the system's temporary folder, removed when the test ends. */
export function tempDir (t: Test, prefix = 'dicomgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
