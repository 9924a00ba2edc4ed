/**
 * The SQLite driver under the embedded store: Node's own `node:sqlite` on Node >= 24,
 * better-sqlite3 on Node 20 and 22. Both are synchronous and take the same SQL; this module
 * gives them one small interface (exec, prepare, run/get/all, close) and the one
 * transaction form the store uses.
 *
 * Why two drivers: better-sqlite3 12, the last release that runs on Node 20, wraps its
 * objects in `node::ObjectWrap`. Built against Node 24's headers (24.19 and later), that
 * class removes an environment cleanup hook in its destructor and asserts that an
 * Environment is current; a Statement collected by the garbage collector outside any
 * context aborts the process (`Assertion failed: (env) != nullptr`, WiseLibs/better-sqlite3
 * #1515). better-sqlite3 13 (Node-API) does not, but needs Node-API 10 (Node >= 22) and
 * crashes on Node 20. `node:sqlite` needs no addon, has no flag and prints no warning from
 * Node 24 on (on Node 22 it is still experimental and warns at load).
 */
import { Buffer } from 'node:buffer'
import { createRequire } from 'node:module'

export interface SqliteStatement {
  run (...params: unknown[]): { changes: number | bigint }
  get (...params: unknown[]): unknown
  all (...params: unknown[]): unknown[]
}

export interface SqliteConnection {
  exec (sql: string): void
  prepare (sql: string): SqliteStatement
  close (): void
}

export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3'

/** The driver this Node uses: node:sqlite from Node 24 on (see the module comment). */
export const SQLITE_DRIVER: SqliteDriverName =
  Number(process.versions.node.split('.')[0]) >= 24 ? 'node:sqlite' : 'better-sqlite3'

/** What `node:sqlite` offers that is used here (@types/node for Node 20 does not declare it). */
interface NodeSqlite {
  DatabaseSync: new (path: string, options: { timeout: number }) => SqliteConnection
}

/** What better-sqlite3 offers that is used here. */
type BetterSqlite3 = new (path: string, options: { timeout: number }) => SqliteConnection

const require = createRequire(import.meta.url)

/**
 * Loads the driver without opening a database: a thread can do this while it waits for
 * work (better-sqlite3's addon takes about 15 ms to load).
 */
export function loadSqliteDriver (): void {
  require(SQLITE_DRIVER)
}

/**
 * Opens the SQLite file at `path` (it must exist: the caller creates it with its mode), with
 * `busyTimeoutMs` to wait for another connection's lock. Rows come back as plain records,
 * BLOBs as Buffers, whichever the driver.
 */
export function openSqlite (path: string, busyTimeoutMs: number): SqliteConnection {
  if (SQLITE_DRIVER === 'node:sqlite') {
    const { DatabaseSync } = require('node:sqlite') as NodeSqlite
    return new NodeSqliteConnection(new DatabaseSync(path, { timeout: busyTimeoutMs }))
  }
  const Database = require('better-sqlite3') as BetterSqlite3
  return new Database(path, { timeout: busyTimeoutMs })
}

/**
 * Runs `body` in a transaction that takes the write lock up front (BEGIN IMMEDIATE): it never
 * fails half-way on a lock upgrade. Commits what `body` returns; rolls back what it throws.
 */
export function immediateTransaction<T> (db: SqliteConnection, body: () => T): T {
  db.exec('BEGIN IMMEDIATE')
  let result: T
  try {
    result = body()
    db.exec('COMMIT')
  } catch (err) {
    try {
      db.exec('ROLLBACK')
    } catch {
      // No transaction left to roll back (SQLite already ended it): the first error is the one to report.
    }
    throw err
  }
  return result
}

/** node:sqlite returns BLOBs as Uint8Array; the store works with Buffers (views, no copy). */
function withBuffers (row: unknown): unknown {
  if (typeof row !== 'object' || row === null) return row
  const out: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(row)) {
    out[name] = value instanceof Uint8Array && !Buffer.isBuffer(value)
      ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : value
  }
  return out
}

class NodeSqliteConnection implements SqliteConnection {
  readonly #db: SqliteConnection

  constructor (db: SqliteConnection) {
    this.#db = db
  }

  exec (sql: string): void {
    this.#db.exec(sql)
  }

  prepare (sql: string): SqliteStatement {
    const statement = this.#db.prepare(sql)
    return {
      run: (...params) => statement.run(...params),
      get: (...params) => withBuffers(statement.get(...params)),
      all: (...params) => statement.all(...params).map(withBuffers)
    }
  }

  close (): void {
    this.#db.close()
  }
}
