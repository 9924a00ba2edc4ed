/**
 * The PostgreSQL store (src/store/postgres.ts): the shared suite on a throwaway server
 * (test/helpers/postgres.ts), one new database per test; then what only a server has:
 * concurrent opens of an empty database, a least-privilege role, an unreachable server. Skipped, with a note, where
 * PostgreSQL is not installed.
 */
import { createServer } from 'node:net'
import pg from 'pg'
import t from 'tap'
import { DicomgateError } from '../../src/errors.js'
import { openStore } from '../../src/store/index.js'
import { postgresSkip, startPostgres } from '../helpers/postgres.js'
import { SECRET, mapping, open, storeSuite } from '../helpers/store-suite.js'

t.test('PostgreSQL store', { skip: postgresSkip }, async (t) => {
  const server = await startPostgres()
  t.teardown(() => server.stop())

  storeSuite(t, {
    name: 'postgres',
    async fresh () {
      const connectionString = await server.createDatabase()
      return {
        config: { kind: 'postgres', connectionString, poolSize: 3 },
        async raw (sql) {
          const client = new pg.Client({ connectionString })
          await client.connect()
          try {
            return (await client.query<Record<string, unknown>>(sql)).rows
          } finally {
            await client.end()
          }
        }
      }
    }
  })

  t.test('postgres: stores opened at once on an empty database all work', async (t) => {
    const config = { kind: 'postgres', connectionString: await server.createDatabase() } as const
    const stores = await Promise.all(Array.from({ length: 6 }, () => open(t, config)))
    await Promise.all(stores.map((s, i) => s.record([mapping(`PAT-${i}`, `ORIGINAL-${i}`)])))
    for (let i = 0; i < stores.length; i++) t.equal((await stores[0]?.lookup(`PAT-${i}`))?.original, `ORIGINAL-${i}`)
  })

  t.test('postgres: an unreachable server is DG_STORE_UNAVAILABLE, and the password is not in the message', async (t) => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address()
        probe.close(() => { resolve(typeof address === 'object' && address !== null ? address.port : 1) })
      })
    })
    try {
      await openStore({ kind: 'postgres', connectionString: `postgresql://someone:pw-s3cret-x@127.0.0.1:${port}/db` }, SECRET)
      t.fail('expected a rejection')
    } catch (err) {
      t.ok(err instanceof DicomgateError)
      t.equal((err as DicomgateError).code, 'DG_STORE_UNAVAILABLE')
      t.notOk((err as Error).message.includes('pw-s3cret-x'))
      t.ok((err as Error).cause !== undefined, 'the driver error is the cause')
    }
  })

  t.test('postgres: once the tables exist, a role with only SELECT and INSERT can use the store', async (t) => {
    const connectionString = await server.createDatabase()
    const owner = await open(t, { kind: 'postgres', connectionString })
    await owner.record([mapping('PAT-OWNER', 'OWNER')])
    await owner.close()
    const admin = new pg.Client({ connectionString })
    await admin.connect()
    try {
      await admin.query('CREATE ROLE gateway LOGIN')
      await admin.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC')
      await admin.query('GRANT SELECT, INSERT ON dicomgate_mappings, dicomgate_meta TO gateway')
    } finally {
      await admin.end()
    }
    const url = new URL(connectionString)
    url.username = 'gateway'
    const store = await open(t, { kind: 'postgres', connectionString: url.href })
    await store.record([mapping('PAT-GATEWAY', 'GATEWAY')])
    t.equal((await store.lookup('PAT-OWNER'))?.original, 'OWNER')
    t.equal((await store.lookup('PAT-GATEWAY'))?.original, 'GATEWAY')
  })

  t.test('postgres: a bad poolSize is refused', async (t) => {
    for (const poolSize of [0, 1.5, 101, '4']) {
      await t.rejects(openStore({ kind: 'postgres', connectionString: server.connectionString(), poolSize } as never, SECRET), { code: 'DG_STORE_UNAVAILABLE' })
    }
  })
})
