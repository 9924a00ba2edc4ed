/**
 * The SQLite store (src/store/sqlite.ts): the shared suite on a real file, then what only a
 * file has: a copy of it (database, -wal, -shm) reveals no original, it is created 0600,
 * and a missing folder, a file that is not SQLite and bad configs fail with codes.
 */
import { Buffer } from 'node:buffer'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { DicomgateError } from '../../src/errors.js'
import { openStore, type StoreConfig } from '../../src/store/index.js'
import { openSqlite } from '../../src/store/sqlite-driver.js'
import { SECRET, mapping, open, storeSuite, type StoreFixture } from '../helpers/store-suite.js'

let stores = 0
/** One folder per test: t.testdir() called again would empty it. */
const dirs = new WeakMap<Test, string>()

async function fresh (t: Test): Promise<StoreFixture> {
  let dir = dirs.get(t)
  if (dir === undefined) {
    dir = t.testdir()
    dirs.set(t, dir)
  }
  const path = join(dir, `store-${++stores}.sqlite`)
  return {
    config: { kind: 'sqlite', path },
    async raw (sql) {
      const db = openSqlite(path, 5000)
      try {
        const statement = db.prepare(sql)
        if (!/^\s*SELECT\b/i.test(sql)) {
          statement.run()
          return []
        }
        return statement.all() as Array<Record<string, unknown>>
      } finally {
        db.close()
      }
    }
  }
}

storeSuite(t, { name: 'sqlite', fresh })

/** The files a copy of the store would take: the database and, while open, its WAL and shared memory. */
function storeBytes (path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)))
}

const CANARIES = [
  'ZQXCANARY-PATIENT-0001',
  'KANARIENVOGEL^MÜLLER^JÜRGEN', // ISO-IR 100: one byte a letter in latin1
  '山田カナリア^太郎', // Japanese: UTF-8 and UTF-16 forms differ entirely
  'CANARY-1.2.840.99999.1.2.3.4.5'
]
const PSEUDONYMS = ['PSEUDONYM-CONTROL-AAAA', 'PSEUDONYM-CONTROL-BBBB', 'PSEUDONYM-CONTROL-CCCC', 'PSEUDONYM-CONTROL-DDDD']

/** Every byte form a canary could take on disk: UTF-8, UTF-16LE, and latin1 where it has one. */
function forms (text: string): Array<[string, Buffer]> {
  const out: Array<[string, Buffer]> = [['UTF-8', Buffer.from(text, 'utf8')], ['UTF-16LE', Buffer.from(text, 'utf16le')]]
  if ([...text].every((c) => c.charCodeAt(0) <= 0xff)) out.push(['latin1', Buffer.from(text, 'latin1')])
  return out
}

function assertReveals (t: Test, bytes: Buffer, when: string): void {
  for (const canary of CANARIES) {
    for (const [encoding, needle] of forms(canary)) t.equal(bytes.indexOf(needle), -1, `${when}: no canary as ${encoding}`)
  }
  for (const pseudonym of PSEUDONYMS) {
    t.not(bytes.indexOf(Buffer.from(pseudonym, 'utf8')), -1, `${when}: the pseudonym is found (the search works)`)
  }
}

t.test('sqlite: a copy of the store files reveals no original', async (t) => {
  const { config } = await fresh(t)
  if (config.kind !== 'sqlite') throw new Error('a sqlite fixture')
  const store = await openStore(config, SECRET)
  await store.record(CANARIES.map((original, i) => mapping(PSEUDONYMS[i] ?? '', original, 'PatientName')))
  assertReveals(t, storeBytes(config.path), 'open (database, -wal, -shm)')
  await store.close()
  assertReveals(t, storeBytes(config.path), 'closed')
  if (process.platform !== 'win32') t.equal(statSync(config.path).mode & 0o777, 0o600, 'the file is created 0600')
})

t.test('sqlite: failures have codes', async (t) => {
  const dir = t.testdir()
  const code = async (config: unknown, secret = SECRET): Promise<string | undefined> => {
    try {
      await openStore(config as StoreConfig, secret)
    } catch (err) {
      return err instanceof DicomgateError ? err.code : 'not a DicomgateError'
    }
    return undefined
  }
  t.equal(await code({ kind: 'sqlite', path: join(dir, 'missing', 'store.sqlite') }), 'DG_STORE_UNAVAILABLE', 'no such folder')
  writeFileSync(join(dir, 'garbage.sqlite'), Buffer.alloc(4096, 0x5a))
  t.equal(await code({ kind: 'sqlite', path: join(dir, 'garbage.sqlite') }), 'DG_STORE_UNAVAILABLE', 'not a SQLite file')
  t.equal(await code({ kind: 'sqlite', path: ':memory:' }), 'DG_STORE_UNAVAILABLE', 'an in-memory store would lose everything')
  t.equal(await code({ kind: 'sqlite', path: '' }), 'DG_STORE_UNAVAILABLE')
  t.equal(await code({ kind: 'sqlite', path: join(dir, 'a.sqlite'), pool: 3 }), 'DG_STORE_UNAVAILABLE', 'unknown keys are refused')
  t.equal(await code({ kind: 'mysql' }), 'DG_STORE_UNAVAILABLE')
  t.equal(await code(null), 'DG_STORE_UNAVAILABLE')
  t.equal(await code({ kind: 'sqlite', path: join(dir, 'b.sqlite') }, new Uint8Array(31)), 'DG_SECRET_INVALID')
  t.notOk(existsSync(join(dir, 'b.sqlite')), 'a refused secret creates no file')
})

t.test('sqlite: several stores in one process share the file', async (t) => {
  const { config } = await fresh(t)
  const [a, b] = await Promise.all([open(t, config), open(t, config)])
  await Promise.all([a.record([mapping('PAT-A', 'ALPHA')]), b.record([mapping('PAT-B', 'BRAVO')])])
  t.equal((await a.lookup('PAT-B'))?.original, 'BRAVO')
  t.equal((await b.lookup('PAT-A'))?.original, 'ALPHA')
})
