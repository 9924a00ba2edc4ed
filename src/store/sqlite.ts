/**
 * The embedded backend: one SQLite file, through node:sqlite on Node >= 24 and better-sqlite3
 * before (sqlite-driver.ts says why).
 *
 * - WAL journal (https://sqlite.org/wal.html): readers never block the writer, and several
 *   processes can share the file on one host (not over a network file system: WAL needs
 *   shared memory). synchronous=NORMAL is safe under WAL: a commit survives a crash of
 *   the process; a power loss can lose the last commits, never corrupt the file.
 * - Writes take the write lock up front (BEGIN IMMEDIATE), so a transaction never fails
 *   half-way on a lock upgrade; another process's lock is waited for up to the busy timeout.
 * - Both drivers are synchronous: a batch is one short transaction on the event loop (500
 *   rows took about 2 ms; a commit that triggers WAL auto-checkpointing, every 1000 pages,
 *   up to about 15 ms), a lookup a single indexed read. A write that waits for another
 *   process's lock waits on the event loop too, up to SQLITE_BUSY_TIMEOUT_MS.
 * - A new file is created with mode 0600 before SQLite opens it: SQLite gives its -wal and
 *   -shm files the database file's permissions.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import type { SealedRow, StoreCipher } from './cipher.js'
import { SQLITE_BUSY_TIMEOUT_MS } from './defaults.js'
import {
  MAPPINGS_TABLE, META_TABLE, checkMeta, sealedRow, storedState, unavailable, type StoreBackend, type StoredState
} from './backend.js'
import { immediateTransaction, openSqlite, type SqliteConnection, type SqliteStatement } from './sqlite-driver.js'

const STORE_FILE_MODE = 0o600

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${META_TABLE} (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${MAPPINGS_TABLE} (
  pseudonym TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  key_id TEXT NOT NULL,
  iv BLOB NOT NULL,
  ciphertext BLOB NOT NULL,
  mac BLOB NOT NULL
) STRICT, WITHOUT ROWID;`

/** Creates the file (mode 0600) if it does not exist; an existing file is left as it is. */
async function createPrivately (path: string): Promise<void> {
  try {
    const handle = await open(path, constants.O_WRONLY | constants.O_CREAT, STORE_FILE_MODE)
    await handle.close()
  } catch (err) {
    throw unavailable(`the SQLite pseudonym store ${path} cannot be created or opened (does its directory exist?)`, err)
  }
}

/** Opens (creating if needed) the store at `path`; creation is one transaction, safe under concurrent opens. */
export async function openSqliteBackend (path: string, cipher: StoreCipher): Promise<StoreBackend> {
  await createPrivately(path)
  let db: SqliteConnection | undefined
  try {
    db = openSqlite(path, SQLITE_BUSY_TIMEOUT_MS)
    // PRAGMA journal_mode answers with the mode in force: anything but 'wal' means WAL is refused.
    const mode: unknown = Object.values(db.prepare('PRAGMA journal_mode = WAL').get() ?? {})[0]
    if (mode !== 'wal') throw unavailable(`the SQLite pseudonym store ${path} cannot use WAL journal mode`)
    db.exec('PRAGMA synchronous = NORMAL')
    const handle = db
    immediateTransaction(handle, () => {
      handle.exec(SCHEMA)
      const meta = new Map<string, string>()
      for (const row of handle.prepare(`SELECT name, value FROM ${META_TABLE}`).all()) {
        const { name, value } = row as { name: unknown, value: unknown }
        if (typeof name === 'string' && typeof value === 'string') meta.set(name, value)
      }
      const insertMeta = handle.prepare(`INSERT INTO ${META_TABLE} (name, value) VALUES (?, ?)`)
      for (const [name, value] of checkMeta(meta, cipher)) insertMeta.run(name, value)
    })
    return new SqliteBackend(handle)
  } catch (err) {
    db?.close()
    throw unavailable(`the SQLite pseudonym store ${path} cannot be opened`, err)
  }
}

class SqliteBackend implements StoreBackend {
  readonly #db: SqliteConnection
  readonly #insert: SqliteStatement
  readonly #stored: SqliteStatement
  readonly #select: SqliteStatement

  constructor (db: SqliteConnection) {
    this.#db = db
    this.#insert = db.prepare(
      `INSERT INTO ${MAPPINGS_TABLE} (pseudonym, kind, key_id, iv, ciphertext, mac) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (pseudonym) DO NOTHING`)
    this.#stored = db.prepare(`SELECT pseudonym, kind, key_id, mac FROM ${MAPPINGS_TABLE} WHERE pseudonym = ?`)
    this.#select = db.prepare(`SELECT kind, key_id, iv, ciphertext, mac FROM ${MAPPINGS_TABLE} WHERE pseudonym = ?`)
  }

  #insertAll (rows: readonly SealedRow[]): Map<string, StoredState> {
    const existing = new Map<string, StoredState>()
    for (const row of rows) {
      if (Number(this.#insert.run(row.pseudonym, row.kind, row.keyId, row.iv, row.ciphertext, row.mac).changes) === 0) {
        const [pseudonym, state] = storedState(this.#stored.get(row.pseudonym))
        existing.set(pseudonym, state)
      }
    }
    return existing
  }

  async insert (rows: readonly SealedRow[]): Promise<Map<string, StoredState>> {
    try {
      return immediateTransaction(this.#db, () => this.#insertAll(rows))
    } catch (err) {
      throw unavailable(`recording ${rows.length} mappings in the SQLite pseudonym store failed`, err)
    }
  }

  async read (pseudonym: string): Promise<SealedRow | undefined> {
    let row: unknown
    try {
      row = this.#select.get(pseudonym)
    } catch (err) {
      throw unavailable('reading the SQLite pseudonym store failed', err)
    }
    return row === undefined ? undefined : sealedRow(pseudonym, row)
  }

  async close (): Promise<void> {
    try {
      this.#db.close()
    } catch (err) {
      throw unavailable('closing the SQLite pseudonym store failed', err)
    }
  }
}
