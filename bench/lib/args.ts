/**
 * Command-line options of `npm run bench`, validated once, defaults named with their units.
 * One set of options for every suite; --concurrency and --profile concern the codec suite.
 */

import { parseArgs } from 'node:util'

import { FRAME_BYTES } from './ct-headers.js'
import type { InputSet } from './plan.js'

/** 1000 frames of 512×512×16 bit: 524 MB, the size of the FIELD-NOTES.md anchors. */
export const DEFAULT_SIZE_MB = 524
export const DEFAULT_SMALL_FILES = 500
export const DEFAULT_RUNS = 3
/** Rounds run first and not counted: page cache, CPU frequency and lazy set-up settle. */
export const DEFAULT_WARMUP = 1
export const SUITES = ['codec', 'deid', 'store'] as const
export type SuiteName = typeof SUITES[number]
export const DEFAULT_CONCURRENCY = 2
const QUICK_SIZE_MB = 64
const QUICK_SMALL_FILES = 50
const QUICK_RUNS = 1
const MB = 1e6

export const USAGE = `Usage: npm run bench -- [options]     (npm run bench:codec, bench:deid, bench:store: one suite)

  --suite NAME       ${SUITES.join(', ')} or all (default all): codec pass-through (issue 2), de-identification (issue 3),
                     the pseudonym store's cost (issue 4: small files only)
  --quick            smoke run: ${QUICK_SIZE_MB} MB file, ${QUICK_SMALL_FILES} small files, ${QUICK_RUNS} run; docs/benchmarks.md untouched
  --runs N           measured runs per workload, medians reported (default ${DEFAULT_RUNS})
  --warmup N         rounds run first and not counted (default ${DEFAULT_WARMUP}; 0: none)
  --size-mb N        pixel data of the multi-frame file, in MB of 10^6 bytes (default ${DEFAULT_SIZE_MB})
  --files N          number of small CT files (default ${DEFAULT_SMALL_FILES})
  --concurrency N    codec: also run the small files N at a time (default ${DEFAULT_CONCURRENCY}; 1: no extra rows)
  --only big|small   measure one input set (docs/benchmarks.md untouched)
  --profile          codec: afterwards, profile one dicomgate run on the large file (node --cpu-prof)
  --no-docs          do not write docs/benchmarks.md
  --help`

export interface BenchOptions {
  readonly suites: readonly SuiteName[]
  readonly frames: number
  readonly smallFiles: number
  readonly runs: number
  readonly warmup: number
  readonly concurrency: number
  readonly sets: readonly InputSet[]
  readonly profile: boolean
  /** Only a full-size run of both sets may overwrite the recorded figures. */
  readonly writeDocs: boolean
  readonly help: boolean
}

function wholeNumber (name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < min) throw new RangeError(`--${name} takes a whole number ≥ ${min}, not "${text}"`)
  return value
}

function parseSuites (text: string | undefined): SuiteName[] {
  if (text === undefined || text === 'all') return [...SUITES]
  const suite = SUITES.find((s) => s === text)
  if (suite === undefined) throw new RangeError(`--suite takes ${SUITES.join(', ')} or all, not "${text}"`)
  return [suite]
}

export function parseOptions (argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      suite: { type: 'string' },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      'size-mb': { type: 'string' },
      files: { type: 'string' },
      concurrency: { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'no-docs': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    }
  })
  const quick = values.quick === true
  const sizeMB = wholeNumber('size-mb', values['size-mb'], quick ? QUICK_SIZE_MB : DEFAULT_SIZE_MB)
  const only = values.only
  if (only !== undefined && only !== 'big' && only !== 'small') throw new RangeError(`--only takes big or small, not "${only}"`)
  const sets: InputSet[] = only === undefined ? ['big', 'small'] : [only]
  const frames = Math.ceil(sizeMB * MB / FRAME_BYTES)
  const smallFiles = wholeNumber('files', values.files, quick ? QUICK_SMALL_FILES : DEFAULT_SMALL_FILES)
  return {
    suites: parseSuites(values.suite),
    frames,
    smallFiles,
    runs: wholeNumber('runs', values.runs, quick ? QUICK_RUNS : DEFAULT_RUNS),
    warmup: wholeNumber('warmup', values.warmup, DEFAULT_WARMUP, 0),
    concurrency: wholeNumber('concurrency', values.concurrency, DEFAULT_CONCURRENCY),
    sets,
    profile: values.profile === true,
    writeDocs: !quick && values['no-docs'] !== true && only === undefined,
    help: values.help === true
  }
}
