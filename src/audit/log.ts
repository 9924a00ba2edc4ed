/**
 * The audit log: one JSON object per line (JSON Lines), appended, never rewritten. It says
 * who did what and when, and never carries PHI: events hold pseudonyms, codes, counts and
 * outcomes, never an original value (the caller's duty; `AuditEvent` has no field for one).
 *
 * The file is created with mode 0600 (in a folder created 0700): an audit trail says who
 * looked at which subject, which is itself sensitive. Each event is one `appendFile` of one
 * line, which POSIX O_APPEND keeps whole when several processes write the same file.
 */
import { appendFile, mkdir } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { dirname } from 'node:path'
import { DicomgateError } from '../errors.js'

export const DEFAULT_AUDIT_FILE = 'data/audit.jsonl'

export interface AuditEvent {
  /** What happened: 'lookup', 'reidentify', a gateway operation. */
  readonly action: string
  /** Who: a token's subject, or the local user for the command line. */
  readonly subject: string
  readonly outcome: 'ok' | 'not-found' | 'denied' | 'error'
  /** Pseudonyms, codes, counts: never an original value. */
  readonly details?: Readonly<Record<string, string | number | boolean>>
}

export class AuditLog {
  readonly #path: string
  #ready: Promise<void> | undefined

  constructor (path: string = DEFAULT_AUDIT_FILE) {
    this.#path = path
  }

  get path (): string {
    return this.#path
  }

  /** Appends one event; rejects with DG_IO when it cannot be written (the act must not go unlogged). */
  async write (event: AuditEvent): Promise<void> {
    const line = JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n'
    try {
      this.#ready ??= mkdir(dirname(this.#path), { recursive: true, mode: 0o700 }).then(() => {})
      await this.#ready
      await appendFile(this.#path, line, { mode: 0o600, flag: 'a' })
    } catch (err) {
      throw new DicomgateError('DG_IO', `the audit log ${this.#path} could not be written`, { cause: err })
    }
  }
}

/** The local user, for command-line events. */
export function localSubject (): string {
  try {
    return `local:${userInfo().username}`
  } catch {
    return `local:uid-${process.getuid?.() ?? 'unknown'}`
  }
}
