/**
 * `--store`: where the pseudonym mappings live (docs/store.md). A `postgres://` or
 * `postgresql://` URL names the shared PostgreSQL backend; anything else is the path of
 * the embedded SQLite file. The URL may hold a password: it is never echoed.
 */
import { UsageError } from '../errors.js'
import type { StoreConfig } from '../store/types.js'

/** The embedded store of commands that read mappings when no --store is given. */
export const DEFAULT_STORE_PATH = 'data/pseudonyms.sqlite'

export function parseStoreOption (value: string): StoreConfig {
  if (/^postgres(ql)?:\/\//i.test(value)) return { kind: 'postgres', connectionString: value }
  if (value.trim() === '') throw new UsageError('--store takes a SQLite file path or a postgres:// URL')
  return { kind: 'sqlite', path: value }
}

/** A store named without its credentials, for messages. */
export function describeStore (config: StoreConfig): string {
  if (config.kind === 'sqlite') return `SQLite ${config.path}`
  try {
    const url = new URL(config.connectionString)
    return `PostgreSQL ${url.hostname}${url.port === '' ? '' : `:${url.port}`}${url.pathname}`
  } catch {
    return 'PostgreSQL'
  }
}
