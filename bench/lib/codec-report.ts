/**
 * What the codec suite (issue 2, "Must show" 6) adds to its report: its targets judged on
 * the medians of the run, and the notes a reader needs beside them.
 */

import { MB, counts, findRow, mb, mbps, rate, type Row, type TargetCheck } from './report.js'

/** FIELD-NOTES.md, "Figures to beat": Node 20 stream copy, 524 MB to tmpfs, 1 MiB chunks. */
const FIELD_NOTES_STREAM_COPY_MBPS = 3200

/** Facts a reader needs beside the targets, whatever the outcome. */
export function codecNotes (rows: readonly Row[]): string[] {
  const notes: string[] = []
  const copyBig = findRow(rows, 'stream-copy', 'big')
  const gateBig = findRow(rows, 'dicomgate', 'big')
  if (counts(copyBig) && counts(gateBig)) {
    notes.push(`The stream-copy baseline of this run (${mbps(copyBig.mbPerSecond)} MB/s) is not the ${FIELD_NOTES_STREAM_COPY_MBPS} MB/s ` +
      `of FIELD-NOTES.md; the target is judged against the baseline measured side by side. Against that anchor the ` +
      `pass-through's ${mbps(gateBig.mbPerSecond)} MB/s would be ${(gateBig.mbPerSecond / FIELD_NOTES_STREAM_COPY_MBPS).toFixed(2)}×.`)
    notes.push(`CPU time tells where the time goes: on the large file the pass-through used ${(gateBig.cpuMs / 1000).toFixed(2)} s ` +
      `of CPU against ${(copyBig.cpuMs / 1000).toFixed(2)} s for the plain copy (process start included in both).`)
  }
  for (const r of rows.filter((row) => row.def.tool === 'dcmjs' && row.runs > 0 && row.bytesOut !== row.bytesIn)) {
    const delta = r.bytesOut - r.bytesIn
    notes.push(`dcmjs re-encodes rather than passing through: its ${r.def.set} output is ${delta > 0 ? '+' : ''}${delta} bytes against the input (lengths and delimiters rewritten).`)
  }
  return notes
}

/** The targets of issue 2, "Must show" 6, judged on the medians of this run. */
export function codecTargets (rows: readonly Row[], idleRssBytes: number): TargetCheck[] {
  const checks: TargetCheck[] = []
  const copyBig = findRow(rows, 'stream-copy', 'big')
  const gateBig = findRow(rows, 'dicomgate', 'big')
  if (counts(copyBig) && counts(gateBig)) {
    const ratio = gateBig.mbPerSecond / copyBig.mbPerSecond
    checks.push({
      target: 'pass-through ≥ 0.60 × stream copy (large file, MB/s)',
      measured: `${ratio.toFixed(2)} (${mbps(gateBig.mbPerSecond)} / ${mbps(copyBig.mbPerSecond)} MB/s)`,
      met: ratio >= 0.6
    })
  }
  const dcmjsSmall = findRow(rows, 'dcmjs', 'small')
  const gateFile = findRow(rows, 'dicomgate-file', 'small')
  const gateSmall = findRow(rows, 'dicomgate', 'small')
  if (counts(gateFile) && counts(dcmjsSmall)) {
    // Whole file against whole file, one at a time: dcmjs reads and writes whole files too.
    // The stream form and the plain copies are shown beside it, so the bound is visible.
    const ratio = gateFile.filesPerSecond / dcmjsSmall.filesPerSecond
    const beside = [
      counts(gateSmall) ? `stream form ${(gateSmall.filesPerSecond / dcmjsSmall.filesPerSecond).toFixed(1)}×` : undefined,
      ...[findRow(rows, 'file-copy', 'small'), findRow(rows, 'stream-copy', 'small')]
        .filter(counts)
        .map((r) => `plain ${r.def.tool} ${(r.filesPerSecond / dcmjsSmall.filesPerSecond).toFixed(1)}×`)
    ].filter((x): x is string => x !== undefined).join('; ')
    checks.push({
      target: 'pass-through ≥ 10 × dcmjs (small files, files/s, whole file, one at a time)',
      measured: `${ratio.toFixed(1)}× (${rate(gateFile.filesPerSecond)} / ${rate(dcmjsSmall.filesPerSecond)} files/s; ${beside})`,
      met: ratio >= 10
    })
  }
  const gateRows = rows.filter((r) => r.def.tool.startsWith('dicomgate') && r.runs > 0)
  if (gateRows.length > 0) {
    const worst = Math.max(...gateRows.map((r) => r.rssMaxBytes))
    const perSet = gateRows.map((r) => `${r.label} ${r.def.set}: ${mb(r.rssMaxBytes)}`).join('; ')
    checks.push({
      target: 'pass-through peak RSS < 100 MB, whatever the file size (worst run)',
      measured: `${mb(worst)} MB (${perSet}; Node alone: ${mb(idleRssBytes)})`,
      met: worst < 100 * MB
    })
  }
  const checked = rows.filter((r) => r.def.check === 'identical')
  if (checked.some((r) => r.failedChecks > 0 || r.failure !== undefined)) {
    checks.push({ target: 'pass-through output byte-identical to input (sha256)', measured: 'MISMATCH or failure', met: false })
  } else if (checked.length > 0) {
    checks.push({ target: 'pass-through output byte-identical to input (sha256)', measured: 'identical in every run', met: true })
  }
  return checks
}

export const CODEC_WORKLOADS = [
  '**stream-copy**: `fs.createReadStream` (1 MiB chunks) piped to `fs.createWriteStream`: the baseline;',
  '**dicomgate**: the same pipeline with `createDicomTransform()` between (parse to tokens, write back); ' +
    'its output is compared with the input by sha256 after every run;',
  '**file-copy**: `readFile` then `writeFile`: the whole-file baseline;',
  '**dicomgate-file**: `readFile`, then `transformBuffer()` (the same parse and write, with no stream per file), then one vectored write; its output is compared with the input too;',
  '**dcmjs** 0.51.1: `DicomMessage.readFile(arrayBuffer)` then `.write()`, file read and written whole.'
] as const
