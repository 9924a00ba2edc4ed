/**
 * The shared backend: PostgreSQL through a pg Pool, for several gateways on several hosts.
 *
 * - A batch is one INSERT … SELECT FROM unnest(arrays) … ON CONFLICT (pseudonym) DO NOTHING
 *   RETURNING pseudonym: one statement, so one round trip and one (autocommitted)
 *   transaction whatever the batch size. Rows go in sorted by pseudonym, so two gateways
 *   inserting overlapping batches wait for each other's rows in the same order and cannot
 *   deadlock; a deadlock or serialization failure is retried all the same.
 * - Rows not inserted were recorded before (or by a concurrent writer, whose commit the
 *   INSERT waited for): their MACs are read in a second statement. Rows are never updated
 *   or deleted, so reading them after the insert committed sees what is stored.
 * - Opening creates the tables if missing, inside a transaction that holds a transaction-level
 *   advisory lock, so that gateways starting together on an empty database do not race on
 *   CREATE TABLE IF NOT EXISTS (which is not safe under concurrency: it can fail with a
 *   unique violation on the system catalogue) or on the key-check value.
 */
import pg from 'pg'
import type { SealedRow, StoreCipher } from './cipher.js'
import { POSTGRES_CONNECT_TIMEOUT_MS, POSTGRES_QUERY_TIMEOUT_MS } from './defaults.js'
import {
  MAPPINGS_TABLE, META_TABLE, checkMeta, sealedRow, storedState, unavailable, type StoreBackend, type StoredState
} from './backend.js'

/** Tries of a batch that failed on a deadlock or serialization failure (SQLSTATE 40P01, 40001). */
const INSERT_ATTEMPTS = 3
const RETRYABLE = new Set(['40P01', '40001'])
/** pg_advisory_xact_lock key of schema creation: the bytes of 'dicomgat' as an int8. */
const SCHEMA_LOCK = '7235423606575423860'

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ${META_TABLE} (
    name text PRIMARY KEY,
    value text NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS ${MAPPINGS_TABLE} (
    pseudonym text PRIMARY KEY,
    kind text NOT NULL,
    key_id text NOT NULL,
    iv bytea NOT NULL,
    ciphertext bytea NOT NULL,
    mac bytea NOT NULL
  )`
]
const INSERT = `INSERT INTO ${MAPPINGS_TABLE} (pseudonym, kind, key_id, iv, ciphertext, mac)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::bytea[])
  ON CONFLICT (pseudonym) DO NOTHING
  RETURNING pseudonym`
const STORED = `SELECT pseudonym, kind, key_id, mac FROM ${MAPPINGS_TABLE} WHERE pseudonym = ANY($1::text[])`
const READ = `SELECT kind, key_id, iv, ciphertext, mac FROM ${MAPPINGS_TABLE} WHERE pseudonym = $1`

function sqlState (err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined
}

export async function openPostgresBackend (connectionString: string, poolSize: number, cipher: StoreCipher): Promise<StoreBackend> {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: POSTGRES_CONNECT_TIMEOUT_MS,
    query_timeout: POSTGRES_QUERY_TIMEOUT_MS,
    application_name: 'dicomgate'
  })
  // An idle connection that breaks (database restart) is dropped by the pool; without a
  // listener the 'error' event would end the process. The next query reconnects or fails
  // with DG_STORE_UNAVAILABLE.
  pool.on('error', () => undefined)
  try {
    const client = await pool.connect()
    let failure: unknown
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [SCHEMA_LOCK])
      // Only when missing: CREATE TABLE IF NOT EXISTS checks the CREATE privilege on the
      // schema first, and a gateway's role needs only SELECT and INSERT once tables exist.
      const present = await client.query<{ present: unknown }>(
        `SELECT to_regclass('${META_TABLE}') IS NOT NULL AND to_regclass('${MAPPINGS_TABLE}') IS NOT NULL AS present`)
      if (present.rows[0]?.present !== true) for (const statement of SCHEMA) await client.query(statement)
      const meta = new Map<string, string>()
      const { rows } = await client.query<{ name: unknown, value: unknown }>(`SELECT name, value FROM ${META_TABLE}`)
      for (const { name, value } of rows) if (typeof name === 'string' && typeof value === 'string') meta.set(name, value)
      for (const [name, value] of checkMeta(meta, cipher)) {
        await client.query(`INSERT INTO ${META_TABLE} (name, value) VALUES ($1, $2)`, [name, value])
      }
      await client.query('COMMIT')
    } catch (err) {
      failure = err
      await client.query('ROLLBACK').catch(() => undefined)
      throw err
    } finally {
      client.release(failure !== undefined) // true: a connection in an unknown state is not reused
    }
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw unavailable('the PostgreSQL pseudonym store cannot be opened', err)
  }
  return new PostgresBackend(pool)
}

class PostgresBackend implements StoreBackend {
  readonly #pool: pg.Pool

  constructor (pool: pg.Pool) {
    this.#pool = pool
  }

  async insert (rows: readonly SealedRow[]): Promise<Map<string, StoredState>> {
    const columns = [
      rows.map((r) => r.pseudonym), rows.map((r) => r.kind), rows.map((r) => r.keyId),
      rows.map((r) => r.iv), rows.map((r) => r.ciphertext), rows.map((r) => r.mac)
    ]
    for (let attempt = 1; ; attempt++) {
      try {
        const inserted = await this.#pool.query<{ pseudonym: unknown }>(INSERT, columns)
        const existing = new Map<string, StoredState>()
        if (inserted.rows.length === rows.length) return existing
        const fresh = new Set(inserted.rows.map((r) => r.pseudonym))
        const others = rows.filter((r) => !fresh.has(r.pseudonym)).map((r) => r.pseudonym)
        const stored = await this.#pool.query(STORED, [others])
        for (const row of stored.rows) {
          const [pseudonym, state] = storedState(row)
          existing.set(pseudonym, state)
        }
        if (existing.size !== others.length) throw unavailable(`${others.length - existing.size} mappings were neither inserted nor found`)
        return existing
      } catch (err) {
        if (attempt < INSERT_ATTEMPTS && RETRYABLE.has(sqlState(err) ?? '')) continue
        throw unavailable(`recording ${rows.length} mappings in the PostgreSQL pseudonym store failed`, err)
      }
    }
  }

  async read (pseudonym: string): Promise<SealedRow | undefined> {
    let row: unknown
    try {
      const result = await this.#pool.query({ name: 'dicomgate-store-read', text: READ, values: [pseudonym] })
      row = result.rows[0]
    } catch (err) {
      throw unavailable('reading the PostgreSQL pseudonym store failed', err)
    }
    return row === undefined ? undefined : sealedRow(pseudonym, row)
  }

  async close (): Promise<void> {
    try {
      await this.#pool.end()
    } catch (err) {
      throw unavailable('closing the PostgreSQL pseudonym store failed', err)
    }
  }
}
