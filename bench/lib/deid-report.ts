/**
 * What the de-identification suite (issue 3, must show 5) adds to its report: the targets
 * as the issue states them, judged on the medians of this run, and gdcmanon's figures of
 * this run beside those the targets were set from.
 */

import type { Tool } from './plan.js'
import { MB, counts, findRow, mb, mbps, rate, type Row, type TargetCheck } from './report.js'

/** FIELD-NOTES.md, "Figures to beat": gdcmanon -e -c cert.pem, where the targets come from. */
const FIELD_NOTES_GDCMANON = { bigMBps: 1100, bigRssBytes: 1.0e9, smallFilesPerSecond: 2378 } as const

/** Issue 3, must show 5. */
export const DEID_TARGETS = { bigMBps: 1500, bigRssBytes: 100 * MB, smallFilesPerSecond: 2400 } as const

const DICOMGATE_FORMS: ReadonlyArray<{ readonly tool: Tool, readonly name: string }> = [
  { tool: 'dicomgate-cli', name: 'CLI' },
  { tool: 'dicomgate-deid', name: 'library stream form' }
]

/** Why a row has no figure that counts, for the "measured" cell. */
function notMeasured (row: Row | undefined): string {
  if (row === undefined) return 'not in this run (--only)'
  if (row.def.unavailable !== undefined) return `not available: ${row.def.unavailable}`
  if (row.failure !== undefined) return `failed: ${row.failure}`
  return row.failedChecks > 0 ? 'output check failed' : 'no run'
}

/** `; gdcmanon in this run …`: the same-run comparison a target row carries. */
function versusGdcmanon (ours: number, gdcmanon: Row | undefined, value: (r: Row) => number, format: (v: number) => string): string {
  if (!counts(gdcmanon)) return ''
  const theirs = value(gdcmanon)
  return `; gdcmanon in this run ${format(theirs)} (dicomgate / gdcmanon ${(ours / theirs).toFixed(2)})`
}

export function deidTargets (rows: readonly Row[]): TargetCheck[] {
  const checks: TargetCheck[] = []
  const gdcBig = findRow(rows, 'gdcmanon', 'big')
  const gdcSmall = findRow(rows, 'gdcmanon', 'small')
  for (const form of DICOMGATE_FORMS) {
    const big = findRow(rows, form.tool, 'big')
    const measured = counts(big)
    checks.push({
      target: `524 MB file ≥ ${DEID_TARGETS.bigMBps} MB/s, ${form.name} (gdcmanon in FIELD-NOTES.md: ${FIELD_NOTES_GDCMANON.bigMBps} MB/s)`,
      measured: measured ? `${mbps(big.mbPerSecond)} MB/s${versusGdcmanon(big.mbPerSecond, gdcBig, (r) => r.mbPerSecond, (v) => `${mbps(v)} MB/s`)}` : notMeasured(big),
      met: measured ? big.mbPerSecond >= DEID_TARGETS.bigMBps : undefined
    })
    checks.push({
      target: `524 MB file peak RSS ≤ ${mb(DEID_TARGETS.bigRssBytes)} MB (worst run), ${form.name} (gdcmanon in FIELD-NOTES.md: ${(FIELD_NOTES_GDCMANON.bigRssBytes / 1e9).toFixed(1)} GB)`,
      measured: measured ? `${mb(big.rssMaxBytes)} MB${versusGdcmanon(big.rssMaxBytes, gdcBig, (r) => r.rssMaxBytes, (v) => `${mb(v)} MB`)}` : notMeasured(big),
      met: measured ? big.rssMaxBytes <= DEID_TARGETS.bigRssBytes : undefined
    })
  }
  const cliSmall = findRow(rows, 'dicomgate-cli', 'small')
  const measuredSmall = counts(cliSmall)
  checks.push({
    target: `500 small CT files ≥ ${DEID_TARGETS.smallFilesPerSecond} files/s with the CLI, one process for the folder (gdcmanon in FIELD-NOTES.md: ${FIELD_NOTES_GDCMANON.smallFilesPerSecond} files/s)`,
    measured: measuredSmall
      ? `${rate(cliSmall.filesPerSecond)} files/s${versusGdcmanon(cliSmall.filesPerSecond, gdcSmall, (r) => r.filesPerSecond, (v) => `${rate(v)} files/s`)}`
      : notMeasured(cliSmall),
    met: measuredSmall ? cliSmall.filesPerSecond >= DEID_TARGETS.smallFilesPerSecond : undefined
  })
  const gateRows = rows.filter((r) => r.def.tool.startsWith('dicomgate') && r.def.check === 'deidentified' && r.runs > 0)
  if (gateRows.length > 0) {
    const bad = gateRows.filter((r) => r.failedChecks > 0)
    checks.push({
      target: 'dicomgate outputs parse (dcmdump), carry Patient Identity Removed, and hold no trace of the input\'s PatientName',
      measured: bad.length === 0 ? 'every run checked' : `failed: ${bad.map((r) => `${r.label} ${r.def.set}`).join(', ')}`,
      met: bad.length === 0
    })
  }
  return checks
}

/** This machine against the one the targets were measured on, through gdcmanon. */
export function deidNotes (rows: readonly Row[]): string[] {
  const notes: string[] = []
  const gdcBig = findRow(rows, 'gdcmanon', 'big')
  const gdcSmall = findRow(rows, 'gdcmanon', 'small')
  if (counts(gdcBig) || counts(gdcSmall)) {
    const parts = [
      counts(gdcBig) ? `${mbps(gdcBig.mbPerSecond)} MB/s on the large file (${(gdcBig.mbPerSecond / FIELD_NOTES_GDCMANON.bigMBps).toFixed(2)}× the ${FIELD_NOTES_GDCMANON.bigMBps} MB/s of FIELD-NOTES.md) at ${mb(gdcBig.rssMaxBytes)} MB` : undefined,
      counts(gdcSmall) ? `${rate(gdcSmall.filesPerSecond)} files/s on the folder (${(gdcSmall.filesPerSecond / FIELD_NOTES_GDCMANON.smallFilesPerSecond).toFixed(2)}× the ${FIELD_NOTES_GDCMANON.smallFilesPerSecond} files/s)` : undefined
    ].filter((p): p is string => p !== undefined)
    notes.push(`gdcmanon ran here at ${parts.join(' and ')}. The targets are absolute figures from FIELD-NOTES.md; ` +
      `relative to gdcmanon they ask for ${(DEID_TARGETS.bigMBps / FIELD_NOTES_GDCMANON.bigMBps).toFixed(2)}× its speed on the large file and ` +
      `${(DEID_TARGETS.smallFilesPerSecond / FIELD_NOTES_GDCMANON.smallFilesPerSecond).toFixed(2)}× on the folder: compare those with the ` +
      '"dicomgate / gdcmanon" ratios above, a reading that does not depend on the machine.')
  }
  const dcmjsBig = findRow(rows, 'dcmjs-deid', 'big')
  if (counts(dcmjsBig)) notes.push(`dcmjs holds the whole file, its parsed form and the written copy: ${mb(dcmjsBig.rssMaxBytes)} MB peak RSS on the large file.`)
  return notes
}

export const DEID_WORKLOADS = [
  '**stream-copy** (large file) and **file-copy** (small files): the plain-copy baselines of the codec suite; "× baseline" compares each row\'s MB/s with the one of its input set;',
  '**gdcmanon** (GDCM 3.0, Debian libgdcm-tools): `gdcmanon -e -c cert.pem -i IN -o OUT`, the Basic Application Level Confidentiality ' +
    'Profile with the removed values CMS-encrypted into the Encrypted Attributes Sequence (0400,0500) for a throwaway RSA-2048 certificate made ' +
    'at bench time (`openssl req -x509`); one process for the large file, one for the folder of small files, as a user runs it;',
  '**dcmjs-deid** (dcmjs 0.51.1): `DicomMessage.readFile`, then `anonymizer.cleanTags(dict)` with its defaults, then `.write()`, file read and written whole;',
  '**dicomgate-deid**: the library stream form, `createReadStream` (1 MiB chunks) → `createDeidTransform({ profile, keys })` (profile `basic`, ' +
    'keys from a 32-byte secret file) → `createWriteStream`, one file at a time; profile compiled and keys derived before timing starts;',
  '**dicomgate-cli**: `node bin/dicomgate.js deid INPUT --out DIR --profile basic --secret-file FILE` on the large file, and on the folder of ' +
    'small files in one process (which uses both cores).'
] as const

export const DEID_METHOD = [
  'After every run (warm-up included) the outputs of the de-identifying workloads are checked (`bench/lib/verify-deid.ts`): one output per ' +
    'input; for the large file and the first, middle and last small file, dcmtk `dcmdump` reads the output, the input\'s PatientName occurs ' +
    'nowhere in its bytes, and gdcmanon\'s output holds (0400,0500), dicomgate\'s Patient Identity Removed (0012,0062). A failed check marks ' +
    'the row, and its figures do not count.',
  'gdcmanon and the dicomgate CLI are measured as a user runs them: one process from `spawn` to exit, so their time includes process start-up ' +
    '(a few ms for gdcmanon, Node\'s start and module loading for the CLI); their peak RSS and CPU time come from GNU time ' +
    '(`/usr/bin/time -f "%M %U %S"`), i.e. the process\'s ru_maxrss from wait4(2), threads included (`bench/lib/measure-command.ts`).'
] as const
