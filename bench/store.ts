/**
 * Store suite (issue 4, must show 5): what recording every pseudonym costs the CLI on the
 * folder of small files, on SQLite and on PostgreSQL, against the CLI without a store in the
 * same rounds; and the mappings recorded per second on each backend. Run by bench/run.ts:
 * `npm run bench:store` (see `npm run bench -- --help`).
 *
 * PostgreSQL is Debian's server, started for the suite on 127.0.0.1 by the tests' helper
 * (test/helpers/postgres.ts) with its durability settings left on; without it installed,
 * its row says "not available" and the rest of the suite runs.
 */

import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

import pg from 'pg'

import { openSqlite } from '../src/store/sqlite-driver.js'
import { postgresSkip, startPostgres, type PostgresServer } from '../test/helpers/postgres.js'
import { PROFILE, commandLine, makeDeidFiles, requiredTags, unavailableTools } from './lib/deid-tools.js'
import { measureCommand } from './lib/measure-command.js'
import { buildStorePlan, isCommandTool, type Tool, type WorkloadDef } from './lib/plan.js'
import { commonNotes } from './lib/report.js'
import { inputsOf, measurePlan, type Suite, type SuiteEnv, type SuiteReport } from './lib/runner.js'
import { STORE_METHOD, STORE_TARGET_RATIO, STORE_WORKLOADS, storeTargets } from './lib/store-report.js'
import { deidProblems } from './lib/verify-deid.js'

const COUNT_SQL = 'SELECT count(*) AS n FROM dicomgate_mappings'

/** Where each store row writes, made anew before each of its runs. */
interface StoreTargets {
  /** The --store argument of the run in progress, per tool. */
  readonly current: Map<Tool, string>
  next (tool: Tool): Promise<string>
  count (tool: Tool): Promise<number>
  close (): Promise<void>
}

async function openStoreTargets (dataDir: string, server: PostgresServer | undefined): Promise<StoreTargets> {
  const storeDir = join(dataDir, 'store')
  const sqlitePath = join(storeDir, 'mappings.sqlite')
  const removeSqlite = async (): Promise<void> => {
    await Promise.all(['', '-wal', '-shm'].map(async (suffix) => await rm(`${sqlitePath}${suffix}`, { force: true })))
  }
  await mkdir(storeDir, { recursive: true })
  const current = new Map<Tool, string>()
  return {
    current,
    async next (tool) {
      let target: string
      if (tool === 'dicomgate-cli-sqlite') {
        await removeSqlite()
        target = sqlitePath
      } else {
        if (server === undefined) throw new Error('no PostgreSQL server')
        target = await server.createDatabase()
      }
      current.set(tool, target)
      return target
    },
    async count (tool) {
      const target = current.get(tool)
      if (target === undefined) throw new Error(`${tool} has not run`)
      if (tool === 'dicomgate-cli-sqlite') {
        const db = openSqlite(target, 5000)
        try {
          return Number((db.prepare(COUNT_SQL).get() as { n: number | bigint }).n)
        } finally {
          db.close()
        }
      }
      const client = new pg.Client({ connectionString: target })
      await client.connect()
      try {
        return Number((await client.query<{ n: string }>(COUNT_SQL)).rows[0]?.n)
      } finally {
        await client.end()
      }
    },
    async close () {
      await removeSqlite()
    }
  }
}

export const storeSuite: Suite = {
  name: 'store',
  async run (env: SuiteEnv): Promise<SuiteReport> {
    const files = await makeDeidFiles(env.dataDir)
    const cliUnavailable = (await unavailableTools(files))['dicomgate-cli']
    const server = cliUnavailable === undefined && postgresSkip === false ? await startPostgres({ durable: true }) : undefined
    const mappings = new Map<Tool, number[]>()
    try {
      const targets = await openStoreTargets(env.dataDir, server)
      const plan = buildStorePlan().map((def): WorkloadDef => {
        const reason = cliUnavailable ?? (def.tool === 'dicomgate-cli-postgres' && postgresSkip !== false ? postgresSkip : undefined)
        return reason === undefined ? def : { ...def, unavailable: reason }
      })
      const rows = await measurePlan(plan, {
        async run (def, outDir) {
          if (!isCommandTool(def.tool)) throw new Error(`${def.tool} is not a command`)
          const store = def.tool === 'dicomgate-cli' ? undefined : await targets.next(def.tool)
          return await measureCommand({ argv: commandLine(def.tool, def.set, env.data, outDir, files, store), inputs: inputsOf(def, env.data), outDir })
        },
        async check (def, outDir) {
          const problems = await deidProblems(inputsOf(def, env.data), outDir, { requiredTags: requiredTags(def.tool) })
          if (def.tool !== 'dicomgate-cli') {
            const n = await targets.count(def.tool)
            mappings.set(def.tool, [...(mappings.get(def.tool) ?? []), n])
            if (n === 0) problems.push('the store holds no mapping after the run')
          }
          return problems
        }
      }, env)
      await targets.close()
      return {
        title: `The pseudonym store's cost: the CLI on the small files, profile \`${PROFILE}\`, without a store, with SQLite, with PostgreSQL`,
        rows,
        workloads: STORE_WORKLOADS,
        method: STORE_METHOD,
        targetsTitle: `Targets (issue 4, must show 5: mappings recorded per second on each backend; the store costs under ${Math.round((1 - STORE_TARGET_RATIO) * 100)}% of de-id throughput on SQLite)`,
        targets: storeTargets(rows, mappings),
        notes: commonNotes(rows),
        baselines: { small: 'dicomgate-cli' }
      }
    } finally {
      await server?.stop()
    }
  }
}
