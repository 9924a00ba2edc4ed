/**
 * What the store suite (issue 4, must show 5) adds to its report: mappings recorded per
 * second on each backend, and the target as the issue states it, judged on the medians of
 * this run against the CLI without a store measured in the same rounds.
 */

import type { Tool } from './plan.js'
import { counts, findRow, rate, type Row, type TargetCheck } from './report.js'

/** Issue 4, must show 5: "the store costs under 10% of de-id throughput on SQLite". */
export const STORE_TARGET_RATIO = 0.9

export const STORE_BACKENDS: ReadonlyArray<{ readonly tool: Tool, readonly name: string }> = [
  { tool: 'dicomgate-cli-sqlite', name: 'SQLite' },
  { tool: 'dicomgate-cli-postgres', name: 'PostgreSQL' }
]

/** Mappings found in the store after each run of a backend's row (warm-up included). */
export type MappingCounts = ReadonlyMap<Tool, readonly number[]>

function notMeasured (row: Row | undefined): string {
  if (row === undefined) return 'not in this run'
  if (row.def.unavailable !== undefined) return `not available: ${row.def.unavailable}`
  if (row.failure !== undefined) return `failed: ${row.failure}`
  return row.failedChecks > 0 ? 'output check failed' : 'no run'
}

/** The mappings one run records: every run records the same (the check makes sure). */
function mappingsPerRun (mappings: MappingCounts, tool: Tool): number | undefined {
  return mappings.get(tool)?.[0]
}

export function storeTargets (rows: readonly Row[], mappings: MappingCounts): TargetCheck[] {
  const checks: TargetCheck[] = []
  const plain = findRow(rows, 'dicomgate-cli', 'small')
  for (const backend of STORE_BACKENDS) {
    const row = findRow(rows, backend.tool, 'small')
    const n = mappingsPerRun(mappings, backend.tool)
    const measured = counts(row) && n !== undefined
    checks.push({
      target: `mappings recorded per second, ${backend.name} (no figure set: reported)`,
      measured: measured
        ? `${rate(n / (row.wallMs / 1000))} mappings/s (${n} mappings per run, at ${rate(row.filesPerSecond)} files/s)`
        : notMeasured(row),
      met: measured ? n > 0 : undefined
    })
  }
  const sqlite = findRow(rows, 'dicomgate-cli-sqlite', 'small')
  const both = counts(sqlite) && counts(plain)
  const ratio = both ? sqlite.filesPerSecond / plain.filesPerSecond : Number.NaN
  checks.push({
    target: `the store costs under 10% of de-id throughput on SQLite: files/s with \`--store FILE.sqlite\` ≥ ${STORE_TARGET_RATIO.toFixed(2)} × without a store`,
    measured: both
      ? `${rate(sqlite.filesPerSecond)} files/s with the store, ${rate(plain.filesPerSecond)} without: ${ratio.toFixed(2)}×`
      : notMeasured(counts(plain) ? sqlite : plain),
    met: both ? ratio >= STORE_TARGET_RATIO : undefined
  })
  const all = STORE_BACKENDS.flatMap((b) => mappings.get(b.tool) ?? [])
  if (all.length > 0) {
    const same = all.every((n) => n === all[0])
    checks.push({
      target: 'every run of both backends records the same mappings (same inputs and secret, a fresh store each run)',
      measured: same ? `${all[0] ?? 0} mappings in each of ${all.length} stores` : `differing counts: ${all.join(', ')}`,
      met: same && (all[0] ?? 0) > 0
    })
  }
  return checks
}

export const STORE_WORKLOADS = [
  '**dicomgate-cli**: `node bin/dicomgate.js deid SMALL_DIR --out DIR --profile basic --secret-file FILE`, the folder of small files in one ' +
    'process, without a store: the baseline of "× baseline";',
  '**dicomgate-cli-sqlite**: the same with `--store DIR/mappings.sqlite`, a new SQLite file for each run on the disk (not tmpfs: `bench/.data/store/`), ' +
    'WAL with synchronous=NORMAL (docs/store.md);',
  '**dicomgate-cli-postgres**: the same with `--store postgresql://…`, a new database for each run on a PostgreSQL server started for the suite ' +
    'on 127.0.0.1 (Debian postgresql, `initdb` into a temporary folder) with the durability defaults on: fsync, synchronous_commit, full_page_writes.'
] as const

export const STORE_METHOD = [
  'Each store row writes every pseudonym it makes (UIDs, IDs) with its original, encrypted, before the output file that carries it appears; ' +
    'the CLI batches mappings into transactions. After each run the suite counts the rows of the store (`SELECT count(*)`); a store with no row ' +
    'fails the run\'s check. "mappings/s" is that count over the whole run\'s wall time, start-up and de-identification included: what a user sees.',
  'The outputs are checked as in the deid suite (`bench/lib/verify-deid.ts`); the three rows run in turn within each round, so that load on the ' +
    'shared machine falls on all alike. The CLI is measured from `spawn` to exit, peak RSS and CPU from GNU time.'
] as const
