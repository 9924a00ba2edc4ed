/**
 * The pseudonym mapping store: `openStore(config, secret)`. See docs/store.md.
 *
 * The backend's module (and its driver: node:sqlite or better-sqlite3's native addon, or pg) is loaded only
 * when a store of its kind is opened.
 */
import { DicomgateError } from '../errors.js'
import type { StoreBackend } from './backend.js'
import { StoreCipher } from './cipher.js'
import { POSTGRES_MAX_POOL_SIZE, POSTGRES_POOL_SIZE } from './defaults.js'
import { SealedStore, type StoreOptions } from './store.js'
import type { MappingStore, StoreConfig } from './types.js'

export type { Mapping, MappingStore, PseudonymStore, StoreConfig, StoreStats } from './types.js'
export type { StoreOptions } from './store.js'
export * from './defaults.js'

const KEYS = { sqlite: ['kind', 'path'], postgres: ['kind', 'connectionString', 'poolSize'] } as const

function configError (message: string): DicomgateError {
  return new DicomgateError('DG_STORE_UNAVAILABLE', `store config: ${message}`)
}

/**
 * Checks a store config; the messages name the key and what is expected. The connection
 * string is never quoted: it may carry a password.
 */
function checkConfig (config: unknown): StoreConfig {
  if (typeof config !== 'object' || config === null) throw configError('expected an object with a kind')
  const fields = config as Record<string, unknown>
  const kind = fields.kind
  if (kind !== 'sqlite' && kind !== 'postgres') throw configError('kind must be \'sqlite\' or \'postgres\'')
  const allowed: readonly string[] = KEYS[kind]
  const unknown = Object.keys(fields).find((key) => !allowed.includes(key))
  if (unknown !== undefined) throw configError(`unknown key '${unknown}' for a ${kind} store (allowed: ${allowed.join(', ')})`)
  if (kind === 'sqlite') {
    const path = fields.path
    if (typeof path !== 'string' || path === '' || path === ':memory:') {
      throw configError('path must be the path of the SQLite file (an in-memory store would lose every mapping)')
    }
    return { kind, path }
  }
  const { connectionString, poolSize } = fields
  if (typeof connectionString !== 'string' || connectionString === '') {
    throw configError('connectionString must be a PostgreSQL connection URI, e.g. postgresql://user@host/db')
  }
  if (poolSize !== undefined && (typeof poolSize !== 'number' || !Number.isSafeInteger(poolSize) || poolSize < 1 || poolSize > POSTGRES_MAX_POOL_SIZE)) {
    throw configError(`poolSize must be an integer from 1 to ${POSTGRES_MAX_POOL_SIZE} (default ${POSTGRES_POOL_SIZE})`)
  }
  return poolSize === undefined ? { kind, connectionString } : { kind, connectionString, poolSize }
}

async function openBackend (config: StoreConfig, cipher: StoreCipher): Promise<StoreBackend> {
  if (config.kind === 'sqlite') {
    const { openSqliteBackend } = await import('./sqlite.js')
    return await openSqliteBackend(config.path, cipher)
  }
  const { openPostgresBackend } = await import('./postgres.js')
  return await openPostgresBackend(config.connectionString, config.poolSize ?? POSTGRES_POOL_SIZE, cipher)
}

/** Loads the modules and the driver a store of this config needs, without connecting. */
export async function preloadStore (config: StoreConfig): Promise<void> {
  if (config.kind === 'sqlite') {
    const [{ loadSqliteDriver }] = await Promise.all([import('./sqlite-driver.js'), import('./sqlite.js')])
    loadSqliteDriver()
  } else {
    await import('./postgres.js')
  }
}

/**
 * Opens the store, creating its tables if they are missing. Rejects with DG_SECRET_INVALID
 * for a secret under 32 bytes, DG_STORE_KEY_MISMATCH when the store was created with another
 * secret, and DG_STORE_UNAVAILABLE for a bad config or a database that cannot be reached.
 */
export async function openStore (config: StoreConfig, secret: Uint8Array, options: StoreOptions = {}): Promise<MappingStore> {
  const checked = checkConfig(config)
  const cipher = new StoreCipher(secret)
  return new SealedStore(cipher, await openBackend(checked, cipher), options)
}
