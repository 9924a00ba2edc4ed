/**
 * A writer process for the two-process tests (store-suite.ts): opens the store given as JSON in
 * argv[2], prints 'ready', waits for a line on stdin (so that both writers start writing at
 * the same moment), records the numbered mappings of its indexes, in that order, in waves of concurrent record()
 * calls, and prints its stats as JSON. Any error: its code on stderr and exit code 1.
 *
 *   node --import tsx test/helpers/store-writer.ts '{"config":…,"secret":"<hex>","keyId":…,"indexes":[0,1,…]}'
 */
import { Buffer } from 'node:buffer'
import { once } from 'node:events'
import { openStore, type StoreConfig } from '../../src/store/index.js'
import { numberedMapping } from './store-mappings.js'

interface Job {
  readonly config: StoreConfig
  readonly secret: string
  readonly keyId: string
  readonly indexes: readonly number[]
}

const PER_CALL = 10
const CALLS_PER_WAVE = 25

const job = JSON.parse(process.argv[2] ?? '{}') as Job
try {
  const store = await openStore(job.config, new Uint8Array(Buffer.from(job.secret, 'hex')))
  try {
    process.stdout.write('ready\n')
    await once(process.stdin, 'data')
    process.stdin.pause()
    const WAVE = PER_CALL * CALLS_PER_WAVE
    for (let wave = 0; wave < job.indexes.length; wave += WAVE) {
      const calls: Array<Promise<void>> = []
      for (let start = wave; start < Math.min(job.indexes.length, wave + WAVE); start += PER_CALL) {
        calls.push(store.record(job.indexes.slice(start, start + PER_CALL).map((i) => numberedMapping(i, job.keyId))))
      }
      await Promise.all(calls)
    }
  } finally {
    await store.close()
  }
  process.stdout.write(JSON.stringify(store.stats()))
} catch (err) {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'unknown'
  const cause = err instanceof Error && err.cause instanceof Error ? ` (cause: ${err.cause.message})` : ''
  process.stderr.write(`writer failed: ${code}: ${err instanceof Error ? err.message : ''}${cause}\n`)
  process.exitCode = 1
}
