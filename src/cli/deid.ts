/**
 * `dicomgate deid INPUT... --out DIR [--profile NAME|FILE] [--secret-file FILE]`
 *
 * De-identifies files and folders (recursively, keeping the folder structure) into DIR, or
 * standard input to standard output (`-` and `--out -`). Folders use every core. A
 * progress bar shows on a terminal; a summary (done, rejected with reasons, time) ends
 * every run. Exit status: 0 all done; 1 any input rejected (it has no output file); 2 usage.
 */

import { createReadStream, statSync } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import { basename, join, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { DeidPool } from './deid-pool.js'
import type { Job, JobResult } from './deid-job.js'
import { EXIT_FAILURE, EXIT_OK, printable } from './common.js'
import type { CliIO, Command } from './main.js'
import { Progress } from './progress.js'

const HELP = `Usage: dicomgate deid [options] INPUT... --out DIR
       dicomgate deid [options] - --out -      (standard input to standard output)

De-identifies DICOM files (PS3.15 Annex E) with a profile: files and folders
(recursively, skipping hidden names; the folder structure is kept under DIR). Rejected inputs (a SOP
class or burned-in annotation the profile rejects, input that is not valid
DICOM) get no output file.

Options:
  --out DIR            where the de-identified files go (- for standard output:
                       one input only)
  --profile NAME|FILE  a shipped profile (basic, research, safe-harbor, strict,
                       passthrough; see \`dicomgate profile list\`) or a profile
                       file (default: basic)
  --secret-file FILE   the secret that keys pseudonyms, UIDs and date shifts
                       (default: $DICOMGATE_SECRET_FILE, or
                       ~/.config/dicomgate/secret). Created with mode 0600 when
                       missing; keep it to get the same pseudonyms again.
  --threads N          threads that de-identify, for many files (default: one per core)
  -h, --help           show this help

Exit status: 0 all inputs de-identified; 1 any input rejected (the summary on
stderr lists each with its error code); 2 usage error.
`

export const deidCommand: Command = {
  help: HELP,
  run
}

interface DeidArgs {
  readonly inputs: readonly string[]
  readonly out: string
  readonly profile: string
  readonly secretFile: string | undefined
  readonly threads: number | undefined
}

function parse (args: readonly string[]): DeidArgs | 'help' {
  let parsed
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        profile: { type: 'string', short: 'p' },
        'secret-file': { type: 'string' },
        threads: { type: 'string', short: 'j' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.split('\n')[0] ?? 'invalid options' : 'invalid options')
  }
  const { values, positionals } = parsed
  if (values.help === true) return 'help'
  if (positionals.length === 0) throw new UsageError('deid needs at least one INPUT (a file, a folder, or - for standard input)')
  if (values.out === undefined) throw new UsageError('deid needs --out DIR (or --out - for standard output)')
  let threads: number | undefined
  if (values.threads !== undefined) {
    threads = Number(values.threads)
    if (!Number.isInteger(threads) || threads < 1 || threads > 256) throw new UsageError('--threads takes a whole number from 1 to 256')
  }
  if (positionals.includes('-') && values.out !== '-') throw new UsageError('standard input (-) goes to standard output: use --out -')
  if (values.out === '-' && positionals.length !== 1) throw new UsageError('--out - takes exactly one input')
  return { inputs: positionals, out: values.out, profile: values.profile ?? 'basic', secretFile: values['secret-file'], threads }
}

async function run (args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse(args)
  if (parsed === 'help') {
    io.stdout.write(HELP)
    return EXIT_OK
  }
  // Workers start first: their start-up overlaps the profile's compilation and the walk.
  // One file needs no worker (a large one streams through a few megabytes on this thread).
  const threads = parsed.inputs.length === 1 && isFile(parsed.inputs[0] as string) ? 1 : parsed.threads
  const pool = parsed.out === '-' ? undefined : DeidPool.start(threads)
  try {
    const [{ createDeidTransform }, { loadProfile }, { deriveKeys }, { createdSecretNotice, defaultSecretPath, loadOrCreateSecret }] = await Promise.all([
      import('../deid/index.js'), import('../deid/profile/load.js'), import('../pseudonym/keys.js'), import('../pseudonym/secret.js')
    ])
    // The profile compiles before any input is read: an invalid one stops here (exit 1).
    const profile = loadProfile(parsed.profile)
    const secretPath = parsed.secretFile ?? defaultSecretPath()
    const { secret } = await loadOrCreateSecret(secretPath, { onCreate: (path) => { io.stderr.write(`${createdSecretNotice(path)}\n`) } })
    if (pool === undefined) {
      const input = parsed.inputs[0] as string
      const source = input === '-' ? io.stdin : createReadStream(input, { highWaterMark: 1024 * 1024 })
      await pipeline(source, createDeidTransform({ profile, keys: deriveKeys(secret) }), io.stdout)
      return EXIT_OK
    }
    const jobs = await collectJobs(parsed.inputs, resolve(parsed.out))
    const started = performance.now()
    const progress = new Progress(io.stderr, jobs.length)
    const rejected: Array<{ job: Job, result: JobResult & { ok: false } }> = []
    let done = 0
    let bytes = 0
    await pool.run(jobs, { profile, secret }, (job, result) => {
      if (result.ok) done++
      else rejected.push({ job, result })
      bytes += result.bytesIn
      progress.update(result.ok, result.bytesIn)
    })
    progress.finish()
    const seconds = (performance.now() - started) / 1000
    io.stderr.write(`dicomgate deid: ${done} of ${jobs.length} files de-identified, ${rejected.length} rejected; ` +
      `${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s (profile ${profile.name})\n`)
    if (rejected.length > 0) {
      io.stderr.write('rejected (no output written):\n')
      const cwd = process.cwd()
      for (const { job, result } of rejected.sort((a, b) => a.job.input.localeCompare(b.job.input))) {
        io.stderr.write(`  ${relative(cwd, job.input)}: ${result.code}: ${result.message}\n`)
      }
    }
    return rejected.length > 0 ? EXIT_FAILURE : EXIT_OK
  } finally {
    await pool?.close()
  }
}

/** Files to de-identify and where each goes; folders are walked in name order. */
async function collectJobs (inputs: readonly string[], out: string): Promise<Job[]> {
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

function isFile (path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
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
