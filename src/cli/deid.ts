/**
 * `dicomgate deid INPUT... --out DIR [--profile NAME|FILE] [--secret-file FILE]`
 *
 * De-identifies files and folders (recursively, keeping the folder structure) into DIR, or
 * standard input to standard output (`-` and `--out -`). Folders use every core. A
 * progress bar shows on a terminal; a summary (done, rejected with reasons, time) ends
 * every run. Exit status: 0 all done; 1 any input rejected (it has no output file); 2 usage.
 */

import { createReadStream, statSync } from 'node:fs'
import { relative, resolve } from 'node:path'
import type { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ContentCipherName } from '../cms/enveloped.js'
import type { DeidOptions } from '../deid/index.js'
import type { CompiledProfile } from '../deid/profile/types.js'
import { UsageError } from '../errors.js'
import type { StoreConfig } from '../store/types.js'
import { EXIT_FAILURE, EXIT_OK, parseCommandLine } from './common.js'
import type { JobResult, RunSettings } from './deid-job.js'
import { DeidPool } from './deid-pool.js'
import { collectJobs, type Job } from './inputs.js'
import type { CliIO, Command } from './main.js'
import { Progress } from './progress.js'
import { describeStore, parseStoreOption } from './store-option.js'

const HELP = `Usage: dicomgate deid [options] INPUT... --out DIR
       dicomgate deid [options] - --out -    (standard input to standard output)

De-identifies DICOM files (PS3.15 Annex E) with a profile: files and folders
(recursively, skipping hidden names; the folder structure is kept under DIR).
Rejected inputs (a SOP class or burned-in annotation the profile rejects, input
that is not valid DICOM) get no output file.

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
  --store S            record every pseudonym made (UIDs, pseudonymized IDs)
                       with its original, encrypted, in the mapping store: a
                       SQLite file, or a postgres:// URL (docs/store.md). An
                       output file appears only once its mappings are stored.
  --encrypt-to CERT    keep the originals of what the profile replaces or
                       removes, CMS-encrypted for this recipient certificate
                       (PEM), in the Encrypted Attributes Sequence
                       (0400,0500), for \`dicomgate reidentify\`; repeatable,
                       added to the profile's recipients
                       (docs/reidentification.md)
  --encrypt-cipher C   aes-256-cbc (default) or aes-128-cbc
  --threads N          threads that de-identify, for many files (default: one
                       per core)
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
  readonly store: StoreConfig | undefined
  readonly encryptTo: readonly string[]
  readonly encryptCipher: ContentCipherName | undefined
}

function parse (args: readonly string[]): DeidArgs | 'help' {
  const { values, positionals } = parseCommandLine('deid', args, {
      out: { type: 'string', short: 'o' },
      profile: { type: 'string', short: 'p' },
      'secret-file': { type: 'string' },
      threads: { type: 'string', short: 'j' },
      store: { type: 'string' },
      'encrypt-to': { type: 'string', multiple: true },
      'encrypt-cipher': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    })
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
  const store = values.store === undefined ? undefined : parseStoreOption(values.store)
  const cipher = values['encrypt-cipher']
  if (cipher !== undefined && cipher !== 'aes-256-cbc' && cipher !== 'aes-128-cbc') throw new UsageError('--encrypt-cipher takes aes-256-cbc or aes-128-cbc')
  return {
    inputs: positionals,
    out: values.out,
    profile: values.profile ?? 'basic',
    secretFile: values['secret-file'],
    threads,
    store,
    encryptTo: values['encrypt-to'] ?? [],
    encryptCipher: cipher
  }
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
  const pool = parsed.out === '-' ? undefined : DeidPool.start(threads, { store: parsed.store })
  try {
    const [{ createDeidTransform }, { loadProfile }, { createdSecretNotice, defaultSecretPath, loadOrCreateSecret }] = await Promise.all([
      import('../deid/index.js'), import('../deid/profile/load.js'), import('../pseudonym/secret.js')
    ])
    // The profile compiles before any input is read: an invalid one stops here (exit 1).
    const profile = loadProfile(parsed.profile)
    const secretPath = parsed.secretFile ?? defaultSecretPath()
    const { secret } = await loadOrCreateSecret(secretPath, { onCreate: (path) => { io.stderr.write(`${createdSecretNotice(path)}\n`) } })
    const encryption = await encryptionSettings(profile, parsed)
    if (pool === undefined) {
      const input = parsed.inputs[0] as string
      const source = input === '-' ? io.stdin : createReadStream(input, { highWaterMark: 1024 * 1024 })
      const { openRunnerOptions } = await import('./deid-job.js')
      await streamToStdout(source, await openRunnerOptions({ profile, secret, encryption }), parsed.store, secret, io, createDeidTransform)
      return EXIT_OK
    }
    const jobs = await collectJobs(parsed.inputs, resolve(parsed.out))
    const started = performance.now()
    const progress = new Progress(io.stderr, jobs.length)
    const rejected: Array<{ job: Job, result: JobResult & { ok: false } }> = []
    let done = 0
    let bytes = 0
    await pool.run(jobs, { profile, secret, store: parsed.store, encryption }, (job, result) => {
      if (result.ok) done++
      else rejected.push({ job, result })
      bytes += result.bytesIn
      progress.update(result.ok, result.bytesIn)
    })
    progress.finish()
    const seconds = (performance.now() - started) / 1000
    io.stderr.write(`dicomgate deid: ${done} of ${jobs.length} files de-identified, ${rejected.length} rejected; ` +
      `${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s (profile ${profile.name})\n`)
    if (parsed.store !== undefined) io.stderr.write(`pseudonym mappings recorded in ${describeStore(parsed.store)}\n`)
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

/**
 * The recipients of the Encrypted Attributes: the profile's, then --encrypt-to's, each
 * certificate read and checked here (DG_KEY_INVALID stops the run before any input is
 * read) and handed to the threads as DER.
 */
async function encryptionSettings (profile: CompiledProfile, parsed: DeidArgs): Promise<RunSettings['encryption']> {
  const paths = [...(profile.encryption?.recipients ?? []), ...parsed.encryptTo]
  if (paths.length === 0) {
    if (parsed.encryptCipher !== undefined) throw new UsageError('--encrypt-cipher needs recipients: --encrypt-to CERT, or a profile with encryptedAttributes')
    return undefined
  }
  if (profile.mode === 'passthrough') throw new UsageError('a passthrough profile removes nothing, so there is nothing to encrypt: drop --encrypt-to')
  const { loadCertificate } = await import('../cms/keys.js')
  const certificates = await Promise.all([...new Set(paths)].map(async (path) => (await loadCertificate(path)).der))
  return { certificates, cipher: parsed.encryptCipher ?? profile.encryption?.cipher ?? 'aes-256-cbc' }
}

/**
 * One stream to standard output. Its bytes go out as they are made, so a mapping cannot
 * hold them back: mappings are recorded as they come (the store batches them), a store
 * failure destroys the stream (the output ends short, exit 1), and success waits for every
 * mapping to be committed.
 */
async function streamToStdout (
  source: NodeJS.ReadableStream,
  options: DeidOptions,
  storeConfig: StoreConfig | undefined,
  secret: Uint8Array,
  io: CliIO,
  create: (options: DeidOptions) => Transform
): Promise<void> {
  if (storeConfig === undefined) {
    await pipeline(source, create(options), io.stdout)
    return
  }
  const [{ openStore }, { storedMapping }] = await Promise.all([import('../store/index.js'), import('./deid-job.js')])
  const store = await openStore(storeConfig, secret)
  try {
    const pending: Array<Promise<void>> = []
    const keyId = options.keys.fingerprint
    const transform: Transform = create({
      ...options,
      onMapping: (m) => {
        pending.push(store.record([storedMapping(m, keyId)]).catch((err: unknown) => {
          transform.destroy(err instanceof Error ? err : new Error(String(err)))
          throw err
        }))
      }
    })
    await pipeline(source, transform, io.stdout)
    await Promise.all(pending)
  } finally {
    await store.close()
  }
}

function isFile (path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
