/**
 * Summaries of the runs, the console table, the target checks of issue 2, and the codec
 * section of docs/benchmarks.md.
 *
 * Units: MB = 10^6 bytes everywhere (throughput and RSS), as in FIELD-NOTES.md; the RSS
 * target "< 100 MB" is checked against 100 × 10^6 bytes, the stricter reading.
 */

import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'

import type { Measurement } from './measure.js'
import { workloadLabel, type InputSet, type WorkloadDef } from './plan.js'

const MB = 1e6
/** FIELD-NOTES.md, "Figures to beat": Node 20 stream copy, 524 MB to tmpfs, 1 MiB chunks. */
const FIELD_NOTES_STREAM_COPY_MBPS = 3200

export interface Row {
  readonly def: WorkloadDef
  readonly label: string
  readonly runs: number
  readonly wallMs: number
  readonly mbPerSecond: number
  readonly filesPerSecond: number
  readonly cpuMs: number
  readonly rssMedianBytes: number
  readonly rssMaxBytes: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** For verified workloads: runs whose output differed from the input. */
  readonly failedChecks: number
  /** Median share of the machine's CPU that other processes used during the runs. */
  readonly otherCpuShare: number | undefined
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export function summarize (def: WorkloadDef, results: readonly Measurement[], failedChecks: number): Row {
  const wallMs = median(results.map((r) => r.wallMs))
  const first = results[0]
  const bytesIn = first?.bytesIn ?? 0
  const files = first?.files ?? 0
  return {
    def,
    label: workloadLabel(def),
    runs: results.length,
    wallMs,
    // Throughput of the median run; the median of per-run rates would be the same here.
    mbPerSecond: bytesIn / MB / (wallMs / 1000),
    filesPerSecond: files / (wallMs / 1000),
    cpuMs: median(results.map((r) => r.cpuMs)),
    rssMedianBytes: median(results.map((r) => r.peakRssBytes)),
    rssMaxBytes: Math.max(...results.map((r) => r.peakRssBytes)),
    bytesIn,
    bytesOut: first?.bytesOut ?? 0,
    failedChecks,
    otherCpuShare: results.every((r) => r.otherCpuShare !== undefined) ? median(results.map((r) => r.otherCpuShare ?? 0)) : undefined
  }
}

export interface InputDescription {
  readonly set: InputSet
  readonly name: string
  readonly description: string
}

export interface TargetCheck {
  readonly target: string
  readonly measured: string
  readonly met: boolean
}

export interface ReportContext {
  readonly rows: readonly Row[]
  /** Peak RSS of a child that starts Node and does nothing: the floor under every row. */
  readonly idleRssBytes: number
  readonly inputs: readonly InputDescription[]
  readonly targets: readonly TargetCheck[]
  readonly machine: string
  readonly load: string
  readonly command: string
  readonly outputDir: string
  readonly notes: readonly string[]
}

const mbps = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))
const mb = (bytes: number): string => (bytes / MB).toFixed(1)
const rate = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))

function find (rows: readonly Row[], tool: WorkloadDef['tool'], set: InputSet, concurrency = 1): Row | undefined {
  return rows.find((r) => r.def.tool === tool && r.def.set === set && r.def.concurrency === concurrency)
}

/** Facts a reader needs beside the targets, whatever the outcome. */
export function standingNotes (rows: readonly Row[]): string[] {
  const notes: string[] = []
  const copyBig = find(rows, 'stream-copy', 'big')
  const gateBig = find(rows, 'dicomgate', 'big')
  if (copyBig !== undefined && gateBig !== undefined) {
    notes.push(`The stream-copy baseline of this run (${mbps(copyBig.mbPerSecond)} MB/s) is not the ${FIELD_NOTES_STREAM_COPY_MBPS} MB/s ` +
      `of FIELD-NOTES.md; the target is judged against the baseline measured side by side. Against that anchor the ` +
      `pass-through's ${mbps(gateBig.mbPerSecond)} MB/s would be ${(gateBig.mbPerSecond / FIELD_NOTES_STREAM_COPY_MBPS).toFixed(2)}×.`)
    notes.push(`CPU time tells where the time goes: on the large file the pass-through used ${(gateBig.cpuMs / 1000).toFixed(2)} s ` +
      `of CPU against ${(copyBig.cpuMs / 1000).toFixed(2)} s for the plain copy (process start included in both).`)
  }
  return notes
}

/** The three targets of issue 2, "Must show" 6, judged on the medians of this run. */
export function checkTargets (rows: readonly Row[], idleRssBytes: number): TargetCheck[] {
  const checks: TargetCheck[] = []
  const copyBig = find(rows, 'stream-copy', 'big')
  const gateBig = find(rows, 'dicomgate', 'big')
  if (copyBig !== undefined && gateBig !== undefined) {
    const ratio = gateBig.mbPerSecond / copyBig.mbPerSecond
    checks.push({
      target: 'pass-through ≥ 0.60 × stream copy (large file, MB/s)',
      measured: `${ratio.toFixed(2)} (${mbps(gateBig.mbPerSecond)} / ${mbps(copyBig.mbPerSecond)} MB/s)`,
      met: ratio >= 0.6
    })
  }
  const dcmjsSmall = find(rows, 'dcmjs', 'small')
  const gateFile = find(rows, 'dicomgate-file', 'small')
  const gateSmall = find(rows, 'dicomgate', 'small')
  if (gateFile !== undefined && dcmjsSmall !== undefined) {
    // Whole file against whole file, one at a time: dcmjs reads and writes whole files too.
    // The stream form and the plain copies are shown beside it, so the bound is visible.
    const ratio = gateFile.filesPerSecond / dcmjsSmall.filesPerSecond
    const beside = [
      gateSmall === undefined ? undefined : `stream form ${(gateSmall.filesPerSecond / dcmjsSmall.filesPerSecond).toFixed(1)}×`,
      ...[find(rows, 'file-copy', 'small'), find(rows, 'stream-copy', 'small')]
        .filter((r): r is Row => r !== undefined)
        .map((r) => `plain ${r.def.tool} ${(r.filesPerSecond / dcmjsSmall.filesPerSecond).toFixed(1)}×`)
    ].filter((x): x is string => x !== undefined).join('; ')
    checks.push({
      target: 'pass-through ≥ 10 × dcmjs (small files, files/s, whole file, one at a time)',
      measured: `${ratio.toFixed(1)}× (${rate(gateFile.filesPerSecond)} / ${rate(dcmjsSmall.filesPerSecond)} files/s; ${beside})`,
      met: ratio >= 10
    })
  }
  const gateRows = rows.filter((r) => r.def.tool.startsWith('dicomgate'))
  if (gateRows.length > 0) {
    const worst = Math.max(...gateRows.map((r) => r.rssMaxBytes))
    const perSet = gateRows.map((r) => `${r.label} ${r.def.set}: ${mb(r.rssMaxBytes)}`).join('; ')
    checks.push({
      target: 'pass-through peak RSS < 100 MB, whatever the file size (worst run)',
      measured: `${mb(worst)} MB (${perSet}; Node alone: ${mb(idleRssBytes)})`,
      met: worst < 100 * MB
    })
  }
  if (gateRows.some((r) => r.failedChecks > 0)) {
    checks.push({ target: 'pass-through output byte-identical to input (sha256)', measured: 'MISMATCH', met: false })
  } else if (gateRows.length > 0) {
    checks.push({ target: 'pass-through output byte-identical to input (sha256)', measured: 'identical in every run', met: true })
  }
  return checks
}

const HEADERS = ['workload', 'input', 'runs', 'median s', 'MB/s', 'files/s', 'CPU s', 'peak RSS MB (median / max)', 'others\' CPU', 'output']

function cells (row: Row, inputs: readonly InputDescription[]): string[] {
  const input = inputs.find((i) => i.set === row.def.set)?.name ?? row.def.set
  const output = !row.def.verify ? `${mb(row.bytesOut)} MB written` : row.failedChecks > 0 ? `MISMATCH in ${row.failedChecks} run(s)` : 'identical'
  return [
    row.label,
    input,
    String(row.runs),
    (row.wallMs / 1000).toFixed(3),
    mbps(row.mbPerSecond),
    row.def.set === 'small' ? rate(row.filesPerSecond) : '–',
    (row.cpuMs / 1000).toFixed(2),
    `${mb(row.rssMedianBytes)} / ${mb(row.rssMaxBytes)}`,
    row.otherCpuShare === undefined ? '?' : `${(row.otherCpuShare * 100).toFixed(0)}%`,
    output
  ]
}

export function consoleReport (context: ReportContext): string {
  const table = [HEADERS, ...context.rows.map((r) => cells(r, context.inputs))]
  const widths = HEADERS.map((_, c) => Math.max(...table.map((line) => (line[c] ?? '').length)))
  const lines = table.map((line) => line.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '))
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  lines.push('', `Node floor (idle child): ${mb(context.idleRssBytes)} MB peak RSS`, '')
  for (const t of context.targets) lines.push(`${t.met ? 'MET   ' : 'MISSED'}  ${t.target}: ${t.measured}`)
  for (const note of context.notes) lines.push(`note: ${note}`)
  return lines.join('\n')
}

export function markdownSection (context: ReportContext): string {
  const row = (values: readonly string[]): string => `| ${values.join(' | ')} |`
  return [
    '## Codec: read + write pass-through',
    '',
    `Measured ${context.machine}. ${context.load}`,
    '',
    `Reproduce: \`${context.command}\` (the data is generated into \`bench/.data/\` on first use; ` +
      '`npm run bench -- --quick` is a smoke run that leaves this file alone).',
    '',
    'Inputs (generated by `bench/lib/generate.ts`, checked with dcmtk `dcmdump`):',
    ...context.inputs.map((i) => `- **${i.name}**: ${i.description}`),
    '',
    'Workloads, each run in a fresh Node process on JavaScript transpiled from this tree beforehand ' +
      '(`bench/lib/compile.ts`, so that no loader weighs on the figures), file to file:',
    '- **stream-copy**: `fs.createReadStream` (1 MiB chunks) piped to `fs.createWriteStream`: the baseline;',
    '- **dicomgate**: the same pipeline with `createDicomTransform()` between (parse to tokens, write back);',
    '  its output is compared with the input by sha256 after every run;',
    '- **file-copy**: `readFile` then `writeFile`: the whole-file baseline;',
    '- **dicomgate-file**: `readFile`, then `transformBuffer()` (the same parse and write, with no stream per file), then one vectored write; its output is compared with the input too;',
    '- **dcmjs** 0.51.1: `DicomMessage.readFile(arrayBuffer)` then `.write()`, file read and written whole.',
    '',
    `Outputs go to ${context.outputDir} and are deleted after each run. Figures are medians of the runs; ` +
      'MB = 10^6 bytes; MB/s counts input bytes; CPU s is user + system time of the child; ' +
      '"others\' CPU" is the share of the machine\'s CPU that other processes (and hypervisor steal) used ' +
      'while the workload ran, from /proc/stat (median of the runs); peak RSS is the child\'s VmHWM (`/proc/self/status`), not ' +
      '`process.resourceUsage().maxRSS`: on Linux ru_maxrss survives execve and starts at the parent\'s RSS at ' +
      'fork, which put a floor of the parent\'s ~70 MB under every child here. ' +
      `A child that starts Node and does nothing peaks at ${mb(context.idleRssBytes)} MB.`,
    '',
    row(HEADERS),
    row(HEADERS.map(() => '---')),
    ...context.rows.map((r) => row(cells(r, context.inputs))),
    '',
    '### Targets (issue 2, "Must show" 6)',
    '',
    row(['target', 'measured', 'met']),
    row(['---', '---', '---']),
    ...context.targets.map((t) => row([t.target, t.measured, t.met ? 'met' : '**missed**'])),
    ...(context.notes.length > 0 ? ['', '### Notes', '', ...context.notes.map((n) => `- ${n}`)] : [])
  ].join('\n')
}

const DOC_TITLE = [
  '# Benchmarks',
  '',
  'Each section below is written by a benchmark script between its `bench:NAME` markers and',
  'overwritten on every full run; text outside the markers is kept.',
  ''
].join('\n')

/** Replaces (or appends) the section between `<!-- bench:NAME:start/end -->` markers. */
export async function writeDocSection (path: string, name: string, body: string): Promise<void> {
  const start = `<!-- bench:${name}:start -->`
  const end = `<!-- bench:${name}:end -->`
  const section = `${start}\n${body.trimEnd()}\n${end}`
  const existing = existsSync(path) ? await readFile(path, 'utf8') : ''
  const current = existing.trim() === '' ? DOC_TITLE : existing
  const from = current.indexOf(start)
  const to = current.indexOf(end)
  const next = from !== -1 && to > from
    ? current.slice(0, from) + section + current.slice(to + end.length)
    : `${current.trimEnd()}\n\n${section}\n`
  await writeFile(path, next)
}
