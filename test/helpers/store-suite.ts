/**
 * The behaviour every store backend must have, run against a real database by
 * test/store/sqlite.test.ts and test/store/postgres.test.ts: round trips, idempotence, conflicts that never
 * overwrite, the key check, non-ASCII originals, batching, close, persistence, tampering,
 * and two processes writing overlapping mappings at once.
 */
import { Buffer } from 'node:buffer'
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import type { Test } from 'tap'
import { DicomgateError } from '../../src/errors.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { openStore, type Mapping, type MappingStore, type StoreConfig, type StoreOptions, type StoreStats } from '../../src/store/index.js'
import { REPO_ROOT } from './corpus.js'
import { numberedMapping } from './store-mappings.js'

/** A new, empty store, and a way to run SQL on its database directly (to count, read raw rows, tamper). */
export interface StoreFixture {
  readonly config: StoreConfig
  raw (sql: string): Promise<Array<Record<string, unknown>>>
}

export interface SuiteBackend {
  readonly name: string
  fresh (t: Test): Promise<StoreFixture>
}

export const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i)
export const OTHER_SECRET = Uint8Array.from({ length: 32 }, (_, i) => 255 - i)
export const KEY_ID = deriveKeys(SECRET).fingerprint

export const mapping = (pseudonym: string, original: string, kind = 'PatientID'): Mapping => ({ pseudonym, original, kind, keyId: KEY_ID })

/** Opens a store that the test closes at its end, whatever happens. */
export async function open (t: Test, config: StoreConfig, options: StoreOptions = {}, secret = SECRET): Promise<MappingStore> {
  const store = await openStore(config, secret, options)
  t.teardown(() => store.close())
  return store
}

const count = async (fixture: StoreFixture): Promise<number> =>
  Number((await fixture.raw('SELECT count(*) AS n FROM dicomgate_mappings'))[0]?.n)

/** What the caught error is, for assertions on code and message. */
async function failure (promise: Promise<unknown>): Promise<DicomgateError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof DicomgateError) return err
    throw err
  }
  throw new Error('expected a rejection')
}

const NON_ASCII = [
  mapping('PAT-LATIN1', 'MÜLLER^JÜRGEN^Ångström', 'PatientName'), // ISO-IR 100 repertoire
  mapping('PAT-GREEK', 'Παπαδόπουλος^Γιώργος', 'PatientName'),
  mapping('PAT-JAPANESE', 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう', 'PatientName'), // ISO 2022 IR 13/87 style groups
  mapping('PAT-KOREAN', '홍길동', 'PatientName'),
  mapping('PAT-ASTRAL', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀', 'PatientComments'),
  mapping('PAT-EMPTY', '', 'OtherPatientIDs'),
  mapping('PAT-CONTROL', 'a\\b\0c\r\n', 'PatientID')
]

export function storeSuite (t: Test, backend: SuiteBackend): void {
  t.test(`${backend.name}: round trip, unknown pseudonym, persistence across reopen`, async (t) => {
    const fixture = await backend.fresh(t)
    const written = [
      mapping('2.25.111', '1.2.840.113619.2.1', 'StudyInstanceUID'),
      mapping('PAT-7QK2M9XD0B', '12345678', 'PatientID'),
      mapping('ACC-1', 'A0001', 'AccessionNumber')
    ]
    const store = await open(t, fixture.config)
    await store.record(written)
    for (const m of written) t.same(await store.lookup(m.pseudonym), m)
    t.equal(await store.lookup('2.25.999'), undefined, 'an unknown pseudonym is undefined')
    t.equal(await store.lookup(''), undefined)
    t.match(store.stats(), { transactions: 1, inserted: 3 })
    await store.close()

    const reopened = await open(t, fixture.config, { cacheEntries: 0 })
    for (const m of written) t.same(await reopened.lookup(m.pseudonym), m, 'read back from the database after reopening')
    t.equal(await reopened.lookup('2.25.999'), undefined)
    t.equal(await count(fixture), 3)
  })

  t.test(`${backend.name}: recording again is a no-op`, async (t) => {
    const fixture = await backend.fresh(t)
    const m = mapping('2.25.42', '1.2.3.4', 'SeriesInstanceUID')
    const store = await open(t, fixture.config)
    await store.record([m])
    await store.record([m, m])
    t.match(store.stats(), { transactions: 1, inserted: 1, unchanged: 2 }, 'the cache answers: nothing written again')
    await store.close()

    const uncached = await open(t, fixture.config, { cacheEntries: 0 })
    await uncached.record([m, { ...m, kind: 'ReferencedSeriesInstanceUID' }])
    t.match(uncached.stats(), { transactions: 1, inserted: 0, unchanged: 1 }, 'the database says it is recorded')
    t.same(await uncached.lookup(m.pseudonym), m, 'the first recording (its kind included) stays')
    t.equal(await count(fixture), 1)
  })

  t.test(`${backend.name}: a different original is a conflict and never overwrites`, async (t) => {
    const fixture = await backend.fresh(t)
    const first = mapping('PAT-ZX81', 'SMITH^ANNA')
    const store = await open(t, fixture.config)
    await store.record([first])
    const before = await fixture.raw('SELECT * FROM dicomgate_mappings')

    const err = await failure(store.record([mapping('PAT-OTHER', 'JONES^BOB'), mapping('PAT-ZX81', 'DOE^JANE')]))
    t.equal(err.code, 'DG_STORE_CONFLICT')
    for (const value of ['PAT-ZX81', 'DOE^JANE', 'SMITH^ANNA', 'PAT-OTHER', 'JONES^BOB']) {
      t.notOk(err.message.includes(value), 'no pseudonym or original in the message')
    }
    t.same(await store.lookup('PAT-ZX81'), first, 'the recorded mapping is untouched')
    t.same(await store.lookup('PAT-OTHER'), mapping('PAT-OTHER', 'JONES^BOB'), 'the call\'s other mapping is recorded')
    t.equal(store.stats().conflicts, 1)
    await store.close()

    const uncached = await open(t, fixture.config, { cacheEntries: 0 })
    t.equal((await failure(uncached.record([mapping('PAT-ZX81', 'SMITH^ANNA ')]))).code, 'DG_STORE_CONFLICT',
      'decided by the database (MAC), not only by the cache; one trailing space is another original')
    t.same(await uncached.lookup('PAT-ZX81'), first)
    const after = await fixture.raw('SELECT * FROM dicomgate_mappings')
    const row = (rows: Array<Record<string, unknown>>): Record<string, unknown> | undefined => rows.find((r) => r.pseudonym === 'PAT-ZX81')
    t.same(row(after), row(before), 'the row is byte for byte what it was')
    t.equal(after.length, 2)
  })

  t.test(`${backend.name}: two originals for one new pseudonym in one batch: one wins, the other conflicts`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    const results = await Promise.allSettled([
      store.record([mapping('PAT-RACE', 'FIRST^ONE')]),
      store.record([mapping('PAT-RACE', 'SECOND^ONE')]),
      store.record([mapping('PAT-FINE', 'THIRD^ONE')])
    ])
    t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
    const rejected = results[1]
    t.equal(rejected?.status === 'rejected' && rejected.reason instanceof DicomgateError ? rejected.reason.code : undefined, 'DG_STORE_CONFLICT')
    t.equal((await store.lookup('PAT-RACE'))?.original, 'FIRST^ONE', 'the first call queued wins')
    t.equal(store.stats().transactions, 1, 'all three shared one transaction')
  })

  t.test(`${backend.name}: another secret cannot open the store`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    await store.record([mapping('PAT-1', 'ORIGINAL')])
    await store.close()
    const err = await failure(openStore(fixture.config, OTHER_SECRET))
    t.equal(err.code, 'DG_STORE_KEY_MISMATCH')
    const again = await open(t, fixture.config)
    t.equal((await again.lookup('PAT-1'))?.original, 'ORIGINAL', 'the right secret still opens it')
    t.equal((await failure(openStore(fixture.config, new Uint8Array(16)))).code, 'DG_SECRET_INVALID', 'a short secret is refused')
  })

  t.test(`${backend.name}: non-ASCII and unusual originals round-trip exactly`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    await store.record(NON_ASCII)
    await store.close()
    const reopened = await open(t, fixture.config, { cacheEntries: 0 })
    for (const m of NON_ASCII) t.same(await reopened.lookup(m.pseudonym), m, m.pseudonym)
  })

  t.test(`${backend.name}: concurrent record() calls share transactions`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    const CALLS = 200
    await Promise.all(Array.from({ length: CALLS }, (_, i) => store.record([numberedMapping(i, KEY_ID)])))
    const sameTick = store.stats()
    t.ok(sameTick.transactions < CALLS, `${CALLS} calls in one tick: ${sameTick.transactions} transaction(s)`)
    t.equal(sameTick.inserted, CALLS)


    // Callers that each await their previous call (streams in parallel) meet again after
    // each commit, and share the next transaction.
    const before = store.stats().transactions
    const CALLERS = 16
    const ROUNDS = 10
    await Promise.all(Array.from({ length: CALLERS }, async (_, c) => {
      for (let r = 0; r < ROUNDS; r++) await store.record([numberedMapping(10_000 + c * ROUNDS + r, KEY_ID)])
    }))
    const rounds = store.stats().transactions - before
    t.ok(rounds < CALLERS * ROUNDS, `${CALLERS} callers × ${ROUNDS} sequential calls: ${rounds} transactions`)
    await store.close()

    // With a window, calls a few turns of the event loop apart share a transaction too.
    const windowed = await open(t, fixture.config, { windowMs: 20 })
    const SPACED = 20
    const spaced: Array<Promise<void>> = []
    for (let i = 0; i < SPACED; i++) {
      spaced.push(windowed.record([numberedMapping(CALLS + i, KEY_ID)]))
      await new Promise<void>((resolve) => { setImmediate(resolve) })
    }
    await Promise.all(spaced)
    const transactions = windowed.stats().transactions
    t.ok(transactions < SPACED, `${SPACED} calls a turn of the event loop apart, window 20 ms: ${transactions} transaction(s)`)

    const capped = await open(t, (await backend.fresh(t)).config, { maxMappings: 10 })
    await Promise.all(Array.from({ length: 100 }, (_, i) => capped.record([numberedMapping(i, KEY_ID)])))
    t.equal(capped.stats().transactions, 10, 'a batch holds at most maxMappings')
    await windowed.close()

    const reopened = await open(t, fixture.config, { cacheEntries: 0 })
    const written = [...range(0, CALLS + SPACED), ...range(10_000, 10_000 + CALLERS * ROUNDS)].map((i) => numberedMapping(i, KEY_ID))
    let missing = 0
    for (const m of written) if (!isDeepStrictEqual(await reopened.lookup(m.pseudonym), m)) missing++
    t.equal(missing, 0, `all ${written.length} mappings read back after reopening`)
    t.equal(await count(fixture), CALLS + SPACED + CALLERS * ROUNDS)
  })

  t.test(`${backend.name}: a mapping already queued is not sent twice; a batch that fails for another mapping does not fail it`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config, { windowMs: 20 })
    const study = mapping('STUDY-UID', '1.2.3.4', 'StudyInstanceUID')
    // File after file within one window: the study's UID each time, and one UID of its own.
    await Promise.all(Array.from({ length: 10 }, async (_, i) => { await store.record([study, mapping(`SOP-${i}`, `1.2.3.4.${i}`, 'SOPInstanceUID')]) }))
    t.equal(store.stats().transactions, 1, 'one transaction')
    t.equal(store.stats().inserted, 11, 'the shared mapping inserted once')
    t.equal(await count(fixture), 11)

    // A conflicts with what is stored for PAT-X, and queues SHARED; B records SHARED alone
    // meanwhile: A fails with DG_STORE_CONFLICT, B succeeds, and SHARED is stored.
    await store.record([mapping('PAT-X', 'first original')])
    const a = store.record([mapping('SHARED', 'same'), mapping('PAT-X', 'another original')])
    const b = store.record([mapping('SHARED', 'same')])
    t.equal((await failure(a)).code, 'DG_STORE_CONFLICT', 'the conflicting call fails')
    await b
    t.pass('the call that shared a mapping with it succeeds')
    const reopened = await open(t, fixture.config, { cacheEntries: 0 })
    t.same(await reopened.lookup('SHARED'), mapping('SHARED', 'same'))
  })

  t.test(`${backend.name}: lookups hit memory after a record or a read`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    await store.record([mapping('PAT-C', 'CACHED')])
    await store.lookup('PAT-C')
    t.equal(store.stats().cacheHits, 1, 'recorded → in memory')
    await store.close()
    const reopened = await open(t, fixture.config)
    const [a, b] = await Promise.all([reopened.lookup('PAT-C'), reopened.lookup('PAT-C')])
    t.same(a, b)
    t.equal(reopened.stats().cacheHits, 0, 'the first reads share one query')
    await reopened.lookup('PAT-C')
    t.equal(reopened.stats().cacheHits, 1, 'read → in memory')
  })

  t.test(`${backend.name}: close() writes what is pending; afterwards calls reject`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await openStore(fixture.config, SECRET)
    const pending = store.record([mapping('PAT-LATE', 'LATE^ONE')])
    await store.close()
    await pending
    t.pass('the pending record() resolved')
    t.equal((await failure(store.record([mapping('PAT-X', 'X')]))).code, 'DG_STORE_UNAVAILABLE')
    t.equal((await failure(store.lookup('PAT-LATE'))).code, 'DG_STORE_UNAVAILABLE')
    t.match((await failure(store.lookup('PAT-LATE'))).message, /closed/)
    await store.close()
    t.pass('close() twice is fine')
    const reopened = await open(t, fixture.config)
    t.equal((await reopened.lookup('PAT-LATE'))?.original, 'LATE^ONE')
  })

  t.test(`${backend.name}: malformed mappings are refused whole`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    const good = mapping('PAT-GOOD', 'GOOD')
    const bad: unknown[] = [
      { ...good, pseudonym: '' }, { ...good, pseudonym: 'A\0B' }, { ...good, pseudonym: 'x'.repeat(1025) },
      { ...good, pseudonym: '\ud800' }, { ...good, original: 7 }, { ...good, original: 'a\udc00' },
      { ...good, kind: '' }, { ...good, kind: 'Patient ID' }, { ...good, keyId: 'ABCDEF0123456789' },
      { ...good, keyId: '0123' }, null, 'PAT'
    ]
    for (const b of bad) await t.rejects(store.record([good, b as Mapping]), TypeError)
    await t.rejects(store.record('PAT' as unknown as Mapping[]), TypeError)
    t.equal(await count(fixture), 0, 'nothing of a refused call was written')
    await store.record([])
    t.equal(store.stats().transactions, 0, 'an empty call writes nothing')
  })

  t.test(`${backend.name}: the table holds no original in clear, and rows cannot be swapped or edited`, async (t) => {
    const fixture = await backend.fresh(t)
    const store = await open(t, fixture.config)
    const originals: Record<string, string> = { 'PAT-A': 'CANARY^ALPHA', 'PAT-B': 'CANARY^BRAVO', 'PAT-C': 'CANARY^CHARLIÉ' }
    await store.record(Object.entries(originals).map(([p, o]) => mapping(p, o)))
    await store.close()
    const rows = await fixture.raw('SELECT * FROM dicomgate_mappings')
    t.same(rows.map((r) => r.pseudonym).sort(), ['PAT-A', 'PAT-B', 'PAT-C'], 'pseudonyms are in clear')
    t.same(rows.map((r) => r.kind), ['PatientID', 'PatientID', 'PatientID'])
    const dump = rows.map((r) => Object.values(r).map((v) => Buffer.isBuffer(v) ? v.toString('latin1') : String(v)).join('|')).join('\n')
    t.notOk(dump.includes('CANARY'), 'no original in any column')
    for (const r of rows) {
      t.equal((r.iv as Buffer).length, 12, '96-bit IV')
      t.equal((r.ciphertext as Buffer).length, 32 + 16, 'UTF-8 padded to 32 bytes, and a 16-byte tag: the exact length does not show')
      t.equal((r.mac as Buffer).length, 32)
    }

    await fixture.raw("UPDATE dicomgate_mappings SET ciphertext = (SELECT ciphertext FROM dicomgate_mappings WHERE pseudonym = 'PAT-B'), " +
      "iv = (SELECT iv FROM dicomgate_mappings WHERE pseudonym = 'PAT-B') WHERE pseudonym = 'PAT-A'")
    await fixture.raw("UPDATE dicomgate_mappings SET kind = 'StudyInstanceUID' WHERE pseudonym = 'PAT-C'")
    const reopened = await open(t, fixture.config, { cacheEntries: 0 })
    t.equal((await failure(reopened.lookup('PAT-A'))).code, 'DG_STORE_KEY_MISMATCH', 'a ciphertext moved to another row does not decrypt')
    t.equal((await failure(reopened.lookup('PAT-C'))).code, 'DG_STORE_KEY_MISMATCH', 'an edited kind does not authenticate')
    t.same(await reopened.lookup('PAT-B'), mapping('PAT-B', 'CANARY^BRAVO'), 'the untouched row still reads')
  })

  t.test(`${backend.name}: two stores record the same mappings in opposite orders at once`, async (t) => {
    // Regression: unsorted, these two batches deadlock in PostgreSQL (40P01), each INSERT
    // waiting for a row the other inserted first. Sorted, the second waits for the first.
    const fixture = await backend.fresh(t)
    const [a, b] = await Promise.all([open(t, fixture.config, { maxMappings: 5000 }), open(t, fixture.config, { maxMappings: 5000 })])
    const mappings = Array.from({ length: 5000 }, (_, i) => numberedMapping(i, KEY_ID))
    const results = await Promise.allSettled([a.record(mappings), b.record([...mappings].reverse())])
    t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled'])
    t.equal(a.stats().inserted + b.stats().inserted, 5000, 'each row inserted once')
    t.equal(await count(fixture), 5000)
  })

  t.test(`${backend.name}: two processes record overlapping mappings at once`, async (t) => {
    const fixture = await backend.fresh(t)
    const PER_WRITER = 3000
    const SHARED = PER_WRITER / 2
    const total = PER_WRITER + PER_WRITER - SHARED
    // Both start with the shared half at the same moment: one in order, the other shuffled,
    // so that their batches hold the same pseudonyms in different orders (the deadlock case
    // that sorted batches prevent in PostgreSQL, and lock waits in SQLite).
    const indexes = [
      range(0, PER_WRITER),
      shuffled([...range(0, SHARED), ...range(PER_WRITER, PER_WRITER + PER_WRITER - SHARED)])
    ]
    const writers = indexes.map((list) => startWriter({
      config: fixture.config, secret: Buffer.from(SECRET).toString('hex'), keyId: KEY_ID, indexes: list
    }))
    await Promise.all(writers.map((w) => w.ready))
    for (const w of writers) w.go()
    const results = await Promise.all(writers.map((w) => w.done))
    for (const r of results) t.equal(r.code, 0, `writer exit code 0${r.stderr === '' ? '' : `: ${r.stderr}`}`)
    const stats = results.map((r) => {
      const last = r.stdout.split('\n').at(-1) ?? ''
      return JSON.parse(last === '' ? '{}' : last) as Partial<StoreStats>
    })
    t.comment(`writers: ${stats.map((s) => `${s.transactions} transactions, ${s.inserted} inserted, ${s.unchanged} found recorded`).join('; ')}`)
    t.equal(stats.reduce((n, s) => n + (s.inserted ?? 0), 0), total, 'each mapping inserted by exactly one writer')
    t.equal(stats.reduce((n, s) => n + (s.unchanged ?? 0), 0), SHARED, 'each shared mapping found recorded by the other writer')
    t.equal(stats.reduce((n, s) => n + (s.conflicts ?? 0), 0), 0)

    t.equal(await count(fixture), total, 'each pseudonym exactly once')
    const store = await open(t, fixture.config, { cacheEntries: 0 })
    let wrong = 0
    for (let i = 0; i < total; i++) {
      const expected = numberedMapping(i, KEY_ID)
      const found = await store.lookup(expected.pseudonym)
      if (found?.original !== expected.original || found.kind !== expected.kind) wrong++
    }
    t.equal(wrong, 0, `all ${total} mappings read back with their originals`)
  })
}

interface WriterJob {
  readonly config: StoreConfig
  readonly secret: string
  readonly keyId: string
  readonly indexes: readonly number[]
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i)

/** A fixed permutation (Fisher-Yates on a 32-bit LCG): the same in every run. */
function shuffled (list: readonly number[]): number[] {
  const out = [...list]
  let state = 12345
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    const j = state % (i + 1)
    const a = out[i] ?? 0
    out[i] = out[j] ?? 0
    out[j] = a
  }
  return out
}

interface WriterResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

interface Writer {
  /** Resolves when the writer has opened the store (or has ended: then `done` tells why). */
  readonly ready: Promise<void>
  /** Lets it write. */
  go (): void
  readonly done: Promise<WriterResult>
}

/** A writer process (store-writer.ts) that opens the store, then waits for go(). */
function startWriter (job: WriterJob): Writer {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'test', 'helpers', 'store-writer.ts'), JSON.stringify(job)], {
    cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  let signalReady = (): void => undefined
  const ready = new Promise<void>((resolve) => { signalReady = resolve })
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (stdout.includes('ready\n')) signalReady()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  child.stdin.on('error', () => undefined) // a writer that already ended: its exit code tells
  const done = new Promise<WriterResult>((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      signalReady()
      resolve({ code, stdout: stdout.trim(), stderr })
    })
  })
  return { ready, done, go: () => { child.stdin.end('go\n') } }
}
