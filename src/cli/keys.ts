/**
 * `dicomgate keys init [--dir DIR]`: creates the key material of a dicomgate installation,
 * and never overwrites any of it.
 *
 *   DIR/pseudonym.key   the pseudonymization secret (src/pseudonym/secret.ts), 0600
 *   DIR/recipient.key   the re-identification recipient's RSA private key, PEM, 0600
 *   DIR/recipient.crt   its self-signed certificate, PEM: what encryption is done to
 *
 * All three names are checked before anything is made; if one exists, nothing is created
 * (DG_KEY_EXISTS, naming it). Each file is written whole to a temporary name and linked to
 * its own (link(2) fails if the name exists), so a file is never half-written nor
 * overwritten even when another process races; the secret is made last, and if it lost a
 * race, the two recipient files just made are removed again.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, lstat, mkdir, open, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { parseCommandLine } from './common.js'
import { DicomgateError, UsageError } from '../errors.js'
import type { CliIO, Command } from './main.js'

const HELP = `Usage: dicomgate keys init [--dir DIR]

Creates the keys of a dicomgate installation in DIR (default: certs), and never
overwrites one: if any of the three files exists, nothing is created.

  pseudonym.key   the pseudonymization secret: 32 random bytes (mode 0600) from
                  which pseudonyms, replacement UIDs and date shifts are derived
                  (pass it to deid with --secret-file). Keep it private and back
                  it up: without it the same pseudonyms cannot be made again.
  recipient.key   an RSA 3072 private key (PEM, mode 0600) that decrypts the
                  Encrypted Attributes Sequence (0400,0500), i.e. re-identifies.
                  Give it only to the honest broker; the gateway never needs it.
  recipient.crt   its self-signed X.509 certificate (PEM, valid 10 years): the
                  gateway and the CLI encrypt the original values to it.

It prints the files made, the secret's key id and the certificate's SHA-256
fingerprint (compare it with
\`openssl x509 -noout -fingerprint -sha256 -in FILE\`).

Options:
  --dir DIR   the folder (created with mode 0700 when missing)
  -h, --help  show this help

Exit status: 0 created; 1 a file exists (DG_KEY_EXISTS) or cannot be written;
2 usage error.
`

export const FILES = {
  secret: 'pseudonym.key',
  key: 'recipient.key',
  certificate: 'recipient.crt'
} as const

export const DEFAULT_KEYS_DIR = 'certs'

const PRIVATE_MODE = 0o600
const PUBLIC_MODE = 0o644
const DIR_MODE = 0o700

export const keysCommand: Command = {
  help: HELP,
  run
}

async function run (args: readonly string[], io: CliIO): Promise<undefined> {
  const { values, positionals } = parseCommandLine('keys', args, { dir: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } })
  if (values.help) {
    io.stdout.write(HELP)
    return
  }
  const [sub, ...rest] = positionals
  if (sub !== 'init') throw new UsageError(sub === undefined ? 'keys needs a subcommand: init' : 'the keys subcommand is init')
  if (rest.length > 0) throw new UsageError('keys init takes no arguments; use --dir DIR')
  if (values.dir === '') throw new UsageError('keys init --dir needs a folder')
  const dir = values.dir ?? DEFAULT_KEYS_DIR
  const made = await initKeys(dir)
  io.stdout.write(report(made))
}

export interface InitializedKeys {
  readonly secretPath: string
  readonly keyPath: string
  readonly certificatePath: string
  /** deriveKeys(secret).fingerprint: names the secret without revealing it. */
  readonly secretKeyId: string
  readonly certificateFingerprint256: string
}

/** Creates the three files in `dir`; DG_KEY_EXISTS if any exists, and then none is created. */
export async function initKeys (dir: string): Promise<InitializedKeys> {
  const paths = { secret: join(dir, FILES.secret), key: join(dir, FILES.key), certificate: join(dir, FILES.certificate) }
  for (const path of Object.values(paths)) await refuseExisting(path)
  // Loaded only now: `--help` and usage errors need no crypto.
  const [{ createRecipient }, { deriveKeys }, { CREATED_SECRET_BYTES }] = await Promise.all([
    import('../cms/recipient.js'), import('../pseudonym/keys.js'), import('../pseudonym/secret.js')
  ])
  const recipient = await createRecipient()
  try {
    await mkdir(dir, { recursive: true, mode: DIR_MODE })
  } catch (err) {
    throw new DicomgateError('DG_IO', `cannot create the folder ${dir}`, { cause: err })
  }
  const created: string[] = []
  const secret = new Uint8Array(randomBytes(CREATED_SECRET_BYTES))
  try {
    await createFile(paths.key, recipient.privateKeyPem, PRIVATE_MODE)
    created.push(paths.key)
    await createFile(paths.certificate, recipient.certificatePem, PUBLIC_MODE)
    created.push(paths.certificate)
    await createFile(paths.secret, secret, PRIVATE_MODE)
    await syncDirectory(dir)
    return {
      secretPath: paths.secret,
      keyPath: paths.key,
      certificatePath: paths.certificate,
      secretKeyId: deriveKeys(secret).fingerprint,
      certificateFingerprint256: recipient.certificate.fingerprint256
    }
  } catch (err) {
    // Only files this call made, and never a secret: it is made last.
    await Promise.all(created.map(async (path) => { await unlink(path).catch(() => undefined) }))
    throw err
  } finally {
    secret.fill(0)
  }
}

async function refuseExisting (path: string): Promise<void> {
  try {
    await lstat(path)
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return
    throw new DicomgateError('DG_IO', `cannot check whether ${path} exists`, { cause: err })
  }
  throw exists(path)
}

function exists (path: string): DicomgateError {
  return new DicomgateError('DG_KEY_EXISTS', `${path} already exists; nothing was created (keys are never overwritten: move the old files away, or use --dir)`)
}

/** Writes and syncs a temporary file in the same folder, then links it to `path`, which must not exist. */
async function createFile (path: string, content: string | Uint8Array, mode: number): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const handle = await open(temporary, 'wx', mode)
    try {
      await handle.chmod(mode) // open's mode is filtered by the umask; 0644 may have been narrowed
      await handle.writeFile(content)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(temporary, path)
  } catch (err) {
    if (errorCode(err) === 'EEXIST') throw exists(path)
    throw new DicomgateError('DG_IO', `cannot create ${path}`, { cause: err })
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
}

/** Makes the new directory entries durable (POSIX); a platform that cannot is not an error. */
async function syncDirectory (dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Windows cannot open a directory; the files are written and synced all the same.
  }
}

function errorCode (err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

function report (made: InitializedKeys): string {
  return [
    `created ${made.secretPath}: pseudonymization secret, key id ${made.secretKeyId}`,
    `  keep it private and back it up: it makes the same pseudonyms, UIDs and date shifts again (deid --secret-file ${made.secretPath})`,
    `created ${made.keyPath}: re-identification private key (RSA 3072)`,
    '  give it only to the honest broker who may re-identify; the gateway does not need it',
    `created ${made.certificatePath}: recipient certificate, SHA-256 fingerprint ${made.certificateFingerprint256}`,
    '  the gateway and the CLI encrypt the original values to it (Encrypted Attributes Sequence)',
    ''
  ].join('\n')
}
