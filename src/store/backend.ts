/**
 * What a database must do for the store (store.ts), and what the SQLite and PostgreSQL
 * backends share: table names, the meta check at open, row decoding, error translation.
 *
 * The schema, in both databases:
 *   dicomgate_meta      (name PRIMARY KEY, value)     schema_version, key_check
 *   dicomgate_mappings  (pseudonym PRIMARY KEY, kind, key_id, iv, ciphertext, mac)
 * Rows are only ever inserted, never updated or deleted.
 */
import { Buffer } from 'node:buffer'
import { DicomgateError } from '../errors.js'
import type { SealedRow, StoreCipher } from './cipher.js'

export const SCHEMA_VERSION = 1
export const MAPPINGS_TABLE = 'dicomgate_mappings'
export const META_TABLE = 'dicomgate_meta'

/** What a write learns about a pseudonym that was already recorded. */
export interface StoredState {
  readonly kind: string
  readonly keyId: string
  readonly mac: Buffer
}

export interface StoreBackend {
  /**
   * Inserts in one transaction the rows whose pseudonym is not recorded yet, never
   * overwriting one (INSERT … ON CONFLICT (pseudonym) DO NOTHING), and returns what is stored
   * for each row that was not inserted, so that the caller can compare MACs. `rows` are
   * unique and sorted by pseudonym: concurrent writers then take row locks in the same
   * order and cannot deadlock.
   */
  insert (rows: readonly SealedRow[]): Promise<Map<string, StoredState>>
  read (pseudonym: string): Promise<SealedRow | undefined>
  close (): Promise<void>
}

/** DG_STORE_UNAVAILABLE with the driver's error as cause; `message` never carries a value. */
export function unavailable (message: string, cause?: unknown): DicomgateError {
  if (cause instanceof DicomgateError) return cause
  return new DicomgateError('DG_STORE_UNAVAILABLE', message, cause === undefined ? undefined : { cause })
}

/**
 * Checks the meta rows read when opening a store, inside the transaction that created the
 * tables; returns the rows to insert into a new store (then the store is this secret's).
 * An existing store must carry this secret's key-check value: DG_STORE_KEY_MISMATCH otherwise.
 */
export function checkMeta (meta: ReadonlyMap<string, string>, cipher: StoreCipher): Array<[string, string]> {
  const keyCheck = meta.get('key_check')
  if (keyCheck === undefined) {
    return [['schema_version', String(SCHEMA_VERSION)], ['key_check', cipher.keyCheck]]
  }
  const version = Number(meta.get('schema_version'))
  if (!Number.isSafeInteger(version) || version < 1) throw unavailable('the pseudonym store has no valid schema version')
  if (version > SCHEMA_VERSION) {
    throw unavailable(`the pseudonym store has schema version ${version}; this dicomgate reads version ${SCHEMA_VERSION}: upgrade dicomgate`)
  }
  if (!cipher.matchesKeyCheck(keyCheck)) {
    throw new DicomgateError('DG_STORE_KEY_MISMATCH', 'the pseudonym store was created with another secret: its mappings cannot be read with this one')
  }
  return []
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** A row of `SELECT kind, key_id, iv, ciphertext, mac` as a SealedRow. */
export function sealedRow (pseudonym: string, value: unknown): SealedRow {
  if (!isRecord(value)) throw unavailable('the pseudonym store returned a row of an unexpected shape')
  const { kind, key_id: keyId, iv, ciphertext, mac } = value
  if (typeof kind !== 'string' || typeof keyId !== 'string' || !Buffer.isBuffer(iv) || !Buffer.isBuffer(ciphertext) || !Buffer.isBuffer(mac)) {
    throw unavailable('the pseudonym store returned a row of an unexpected shape')
  }
  return { pseudonym, kind, keyId, iv, ciphertext, mac }
}

/** A row of `SELECT pseudonym, kind, key_id, mac` as [pseudonym, StoredState]. */
export function storedState (value: unknown): [string, StoredState] {
  if (!isRecord(value)) throw unavailable('the pseudonym store returned a row of an unexpected shape')
  const { pseudonym, kind, key_id: keyId, mac } = value
  if (typeof pseudonym !== 'string' || typeof kind !== 'string' || typeof keyId !== 'string' || !Buffer.isBuffer(mac)) {
    throw unavailable('the pseudonym store returned a row of an unexpected shape')
  }
  return [pseudonym, { kind, keyId, mac }]
}
