/**
 * `dicomgate reidentify INPUT... --out DIR --key KEY.pem`
 *
 * Re-identifies files and folders (recursively, keeping the folder structure) into DIR, or
 * standard input to standard output (`-` and `--out -`), from their Encrypted Attributes
 * Sequence (0400,0500) (PS3.15 E.1.2; src/reid/). The key is the recipient's RSA private
 * key (`dicomgate keys init` makes one; mode 0600 required). Files de-identified by
 * dicomgate and by GDCM's `gdcmanon -e` are read alike.
 *
 * One file at a time, on this thread: files up to WHOLE_FILE_MAX_BYTES are read whole,
 * larger ones stream (the pixel data after (0400,0500) is never held). Each output is
 * written to a partial name and renamed when complete, with mode 0600 since it holds the
 * patient's identity again; a failed input leaves no output. A progress bar shows on a
 * terminal; a summary ends every run. Exit status: 0 all re-identified; 1 any failed (the
 * summary names each with its error code); 2 usage.
 */

import { createReadStream, createWriteStream, readFileSync, statSync } from 'node:fs'
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { AuditLog, DEFAULT_AUDIT_FILE, localSubject } from '../audit/log.js'
import { type DicomgateError, UsageError } from '../errors.js'
import { EXIT_FAILURE, EXIT_OK, parseCommandLine } from './common.js'
import { asDicomgateError, collectJobs, type Job } from './inputs.js'
import type { CliIO, Command } from './main.js'
import { Progress } from './progress.js'

const HELP = `Usage: dicomgate reidentify INPUT... --out DIR --key KEY.pem
       dicomgate reidentify - --out - --key KEY.pem    (stdin to stdout)

Re-identifies DICOM files de-identified with Encrypted Attributes (PS3.15
E.1.2): the original values kept encrypted in the Encrypted Attributes Sequence
(0400,0500) are decrypted with the recipient's private key and put back; the
de-identification markers and the item used are removed, and the file meta
names the original SOP Instance UID again. Files de-identified by dicomgate and
by GDCM's gdcmanon -e are read alike. Files and folders (recursively, skipping
hidden names; the folder structure is kept under DIR). The outputs hold the
patients' identities again: they are written with mode 0600. An input that
fails gets no output file.

Options:
  --out DIR      where the re-identified files go (- for standard output: one
                 input only)
  --key KEY.pem  the recipient's RSA private key, unencrypted PEM, mode 0600
                 (recipient.key of \`dicomgate keys init\`)
  --audit FILE   the audit log, JSON Lines (default: ${DEFAULT_AUDIT_FILE}): each
                 run is recorded (who, when, how many files, how many restored;
                 never a file name or value) before anything is decrypted
  -h, --help     show this help

Exit status: 0 all inputs re-identified; 1 any input failed (the summary on
stderr lists each with its error code: DG_CMS_NOT_ENCRYPTED, DG_CMS_NO_RECIPIENT
when the key is not one it was encrypted for, DG_CMS_INVALID…), or the key
cannot be read (DG_KEY_INVALID); 2 usage error.
`

/** Files up to this size are read whole; larger ones stream. */
const WHOLE_FILE_MAX_BYTES = 32 * 1024 * 1024
/** Re-identified files hold PHI: readable by their owner only. */
const OUTPUT_MODE = 0o600

export const reidentifyCommand: Command = {
  help: HELP,
  run
}

interface ReidentifyArgs {
  readonly inputs: readonly string[]
  readonly out: string
  readonly key: string
  readonly audit: string
}

function parse (args: readonly string[]): ReidentifyArgs | 'help' {
  const { values, positionals } = parseCommandLine('reidentify', args, {
      out: { type: 'string', short: 'o' },
      key: { type: 'string', short: 'k' },
      audit: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    })
  if (values.help === true) return 'help'
  if (positionals.length === 0) throw new UsageError('reidentify needs at least one INPUT (a file, a folder, or - for standard input)')
  if (values.out === undefined) throw new UsageError('reidentify needs --out DIR (or --out - for standard output)')
  if (values.key === undefined) throw new UsageError('reidentify needs --key KEY.pem, the recipient\'s private key')
  if (positionals.includes('-') && values.out !== '-') throw new UsageError('standard input (-) goes to standard output: use --out -')
  if (values.out === '-' && positionals.length !== 1) throw new UsageError('--out - takes exactly one input')
  return { inputs: positionals, out: values.out, key: values.key, audit: values.audit ?? DEFAULT_AUDIT_FILE }
}

async function run (args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parse(args)
  if (parsed === 'help') {
    io.stdout.write(HELP)
    return EXIT_OK
  }
  const [{ createReidentifyTransform, reidentifyBuffer }, { decryptEnveloped }, { loadPrivateKey }] = await Promise.all([
    import('../reid/index.js'), import('../cms/enveloped.js'), import('../cms/keys.js')
  ])
  // The key is read before any input: a missing or unprotected key stops here (exit 1).
  const key = await loadPrivateKey(parsed.key)
  const options = { decrypt: (der: Uint8Array): Uint8Array => decryptEnveloped(der, key) }
  // Re-identifying is a deliberate act: it is on record before anything is decrypted, and
  // nothing is decrypted when it cannot be recorded.
  const audit = new AuditLog(parsed.audit)
  const subject = localSubject()

  if (parsed.out === '-') {
    const input = parsed.inputs[0] as string
    const source = input === '-' ? io.stdin : createReadStream(input, { highWaterMark: 1024 * 1024 })
    await audit.write({ action: 'reidentify', subject, outcome: 'ok', details: { files: 1, stream: true } })
    await pipeline(source, createReidentifyTransform(options), io.stdout)
    return EXIT_OK
  }

  const jobs = await collectJobs(parsed.inputs, resolve(parsed.out))
  await audit.write({ action: 'reidentify', subject, outcome: 'ok', details: { files: jobs.length } })
  const started = performance.now()
  const progress = new Progress(io.stderr, jobs.length)
  const failed: Array<{ job: Job, error: DicomgateError }> = []
  const madeDirs = new Set<string>()
  let bytes = 0
  for (const job of jobs) {
    let size = 0
    let ok = true
    const partial = `${job.output}.partial-${process.pid}`
    try {
      const dir = dirname(job.output)
      if (!madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true })
        madeDirs.add(dir)
      }
      const info = statSync(job.input)
      size = info.size
      if (size <= WHOLE_FILE_MAX_BYTES) {
        await writeFile(partial, reidentifyBuffer(readFileSync(job.input), options), { flag: 'wx', mode: OUTPUT_MODE })
      } else {
        await pipeline(createReadStream(job.input, { highWaterMark: 1024 * 1024 }), createReidentifyTransform(options), createWriteStream(partial, { flags: 'wx', mode: OUTPUT_MODE }))
      }
      await rename(partial, job.output)
    } catch (err) {
      await unlink(partial).catch(() => { /* never created, or already gone */ })
      failed.push({ job, error: asDicomgateError(err) })
      ok = false
    }
    bytes += size
    progress.update(ok, size)
  }
  progress.finish()
  await audit.write({ action: 'reidentify-done', subject, outcome: failed.length === 0 ? 'ok' : 'error', details: { restored: jobs.length - failed.length, failed: failed.length } })
  const seconds = (performance.now() - started) / 1000
  io.stderr.write(`dicomgate reidentify: ${jobs.length - failed.length} of ${jobs.length} files re-identified, ${failed.length} failed; ` +
    `${(bytes / 1e6).toFixed(1)} MB in ${seconds.toFixed(2)} s\n`)
  if (failed.length > 0) {
    io.stderr.write('failed (no output written):\n')
    const cwd = process.cwd()
    for (const { job, error } of failed) io.stderr.write(`  ${relative(cwd, job.input)}: ${error.code}: ${error.message}\n`)
  }
  return failed.length > 0 ? EXIT_FAILURE : EXIT_OK
}
