/**
 * What the file commands (`deid`, `reidentify`) share: the inputs of a run as jobs (files,
 * and folders walked in name order with their structure kept under the output folder), and
 * errors as a run's summary shows them.
 */
import { readdir, stat } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { DicomgateError, isDicomgateError, UsageError } from '../errors.js'
import { printable } from './common.js'

export interface Job {
  readonly input: string
  readonly output: string
}

/** Files to process and where each goes; refuses two inputs onto one output, or an input overwritten. */
export async function collectJobs (inputs: readonly string[], out: string): Promise<Job[]> {
  const jobs: Job[] = []
  for (const input of inputs) {
    const info = await stat(input).catch(() => { throw new UsageError(`no such file or folder: ${printable(input)}`) })
    if (info.isDirectory()) {
      const root = resolve(input)
      for (const file of await walk(root)) jobs.push({ input: file, output: join(out, relative(root, file)) })
    } else {
      jobs.push({ input: resolve(input), output: join(out, basename(input)) })
    }
  }
  const seen = new Set<string>()
  for (const job of jobs) {
    if (seen.has(job.output)) throw new UsageError(`two inputs would be written to the same output file ${printable(relative(out, job.output))}`)
    if (job.output === job.input) throw new UsageError('--out must not be the folder an input is in: a file would be overwritten')
    seen.add(job.output)
  }
  return jobs
}

async function walk (dir: string): Promise<string[]> {
  const files: string[] = []
  const entries = await readdir(dir, { withFileTypes: true })
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  for (const entry of entries) {
    // Hidden files and folders (.DS_Store, .git) are not studies.
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) files.push(...await walk(path))
    else if (entry.isFile()) files.push(path)
  }
  return files
}

/** Errors as a summary shows them: a code and a PHI-free message; file system errors as DG_IO, without the path. */
export function asDicomgateError (err: unknown): DicomgateError {
  if (isDicomgateError(err)) return err
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unknown'
  return new DicomgateError('DG_IO', `the file could not be read or written (${code})`, { cause: err })
}
