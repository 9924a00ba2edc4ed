/**
 * The pseudonymization secret file.
 *
 * The file's bytes are the secret, as they are: no decoding, no trimming. Any content of 32
 * to 4096 bytes works (32 random bytes, or a text file of hex or base64 digits, newline
 * included: editing the file, even its final newline, changes every pseudonym). More than
 * 4096 bytes is refused as probably the wrong file.
 *
 * The secret decides every replacement UID, pseudonym and date offset (keys.ts): whoever
 * has it can confirm a guess of who a patient is. So the file must not be readable by group
 * or others (checked on POSIX, on the open file, so nothing can swap it in between), and a
 * created secret is written with mode 0600 in a directory created with mode 0700.
 *
 * Paths are not PHI: messages name the file, so that the fix can be copied.
 */
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, unlink } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join } from 'node:path'
import { DicomgateError } from '../errors.js'
import { MIN_SECRET_BYTES } from './keys.js'

/** Larger files are refused: a secret is short, a large file is the wrong one. */
export const MAX_SECRET_BYTES = 4096
/** Bytes of a created secret: the 256 bits of HMAC-SHA256's key strength. */
export const CREATED_SECRET_BYTES = 32

const SECRET_FILE_MODE = 0o600
const SECRET_DIR_MODE = 0o700
const GROUP_OTHER_BITS = 0o077
const CHECKS_MODE = process.platform !== 'win32'

function invalid (message: string, cause?: unknown): DicomgateError {
  return new DicomgateError('DG_SECRET_INVALID', message, cause === undefined ? undefined : { cause })
}

function errorCode (err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

/**
 * Reads the secret; rejects with DG_SECRET_INVALID when the file is missing or unreadable,
 * not a regular file, readable by group or others (POSIX), shorter than 32 bytes or longer
 * than 4096.
 */
export async function loadSecret (path: string): Promise<Uint8Array> {
  let handle
  try {
    handle = await open(path, constants.O_RDONLY)
  } catch (err) {
    const reason = errorCode(err) === 'ENOENT' ? 'does not exist' : 'cannot be opened'
    throw invalid(`secret file ${path} ${reason}; create one with \`head -c 32 /dev/urandom > ${path} && chmod 600 ${path}\`, or let dicomgate create it`, err)
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw invalid(`secret file ${path} is not a regular file`)
    if (CHECKS_MODE && (stats.mode & GROUP_OTHER_BITS) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0')
      throw invalid(`secret file ${path} is readable or writable by group or others (mode ${mode}); run \`chmod 600 ${path}\``)
    }
    if (stats.size > MAX_SECRET_BYTES) throw invalid(`secret file ${path} has more than ${MAX_SECRET_BYTES} bytes; is it the right file?`)
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > MAX_SECRET_BYTES) throw invalid(`secret file ${path} has more than ${MAX_SECRET_BYTES} bytes; is it the right file?`)
    }
    if (length < MIN_SECRET_BYTES) {
      throw invalid(`secret file ${path} has ${length} bytes, fewer than ${MIN_SECRET_BYTES}; use at least ${MIN_SECRET_BYTES} random bytes`)
    }
    const secret = new Uint8Array(buffer.subarray(0, length))
    buffer.fill(0)
    return secret
  } catch (err) {
    if (err instanceof DicomgateError) throw err
    throw invalid(`secret file ${path} cannot be read`, err)
  } finally {
    await handle.close()
  }
}

export interface CreateOptions {
  /** Called once after this call created the file (the CLI prints where, and why to keep it). */
  readonly onCreate?: (path: string) => void
}

/**
 * Loads the secret, or creates a random one when the file does not exist. Creation is
 * atomic: the secret is written and synced to a temporary file in the same directory, then
 * linked to its name; link(2) fails if the name exists, so of several processes racing,
 * one creates and the others load the winner's secret, and none ever reads a file that is
 * still being written (as with open(O_EXCL) then write).
 */
export async function loadOrCreateSecret (path: string, options: CreateOptions = {}): Promise<{ secret: Uint8Array, created: boolean }> {
  try {
    return { secret: await loadSecret(path), created: false }
  } catch (err) {
    if (!(err instanceof DicomgateError) || errorCode(err.cause) !== 'ENOENT') throw err
  }
  const dir = dirname(path)
  try {
    await mkdir(dir, { recursive: true, mode: SECRET_DIR_MODE })
  } catch (err) {
    throw invalid(`cannot create the directory of secret file ${path}`, err)
  }
  const secret = new Uint8Array(randomBytes(CREATED_SECRET_BYTES))
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    const handle = await open(temporary, 'wx', SECRET_FILE_MODE)
    try {
      await handle.writeFile(secret)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await link(temporary, path)
  } catch (err) {
    if (errorCode(err) === 'EEXIST') return { secret: await loadSecret(path), created: false }
    throw invalid(`cannot create secret file ${path}; create it yourself: \`head -c 32 /dev/urandom > ${path} && chmod 600 ${path}\``, err)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
  await syncDirectory(dir)
  options.onCreate?.(path)
  return { secret, created: true }
}

/** Makes the new directory entry durable (POSIX); a platform that cannot is not an error. */
async function syncDirectory (dir: string): Promise<void> {
  try {
    const handle = await open(dir, constants.O_RDONLY)
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Windows cannot open a directory; the secret is written and synced all the same.
  }
}

/**
 * Where the secret lives by default: $DICOMGATE_SECRET_FILE, else
 * $XDG_CONFIG_HOME/dicomgate/secret (XDG Base Directory: only an absolute path counts),
 * else ~/.config/dicomgate/secret.
 */
export function defaultSecretPath (env: Readonly<Record<string, string | undefined>> = process.env): string {
  const explicit = env.DICOMGATE_SECRET_FILE
  if (explicit !== undefined && explicit !== '') return explicit
  const config = env.XDG_CONFIG_HOME
  if (config !== undefined && isAbsolute(config)) return join(config, 'dicomgate', 'secret')
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir()
  return join(home, '.config', 'dicomgate', 'secret')
}

/** The notice the CLI prints when `loadOrCreateSecret` created a secret. */
export function createdSecretNotice (path: string): string {
  return `created a new pseudonymization secret at ${path}; keep it (and a backup): the same secret ` +
    'is needed to get the same pseudonyms, UIDs and date shifts again, and to re-identify; ' +
    'anyone who has it can confirm who a pseudonym stands for'
}
