/**
 * Summaries of the runs, the console table, and a suite's section of docs/benchmarks.md;
 * what each suite adds (targets, notes, the description of its workloads) is in
 * codec-report.ts and deid-report.ts.
 *
 * Units: MB = 10^6 bytes everywhere (throughput and RSS), as in FIELD-NOTES.md; an RSS
 * target of "100 MB" is checked against 100 × 10^6 bytes, the stricter reading.
 */

import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'

import type { Measurement } from './measure.js'
import { workloadLabel, type InputSet, type Tool, type WorkloadDef } from './plan.js'

export const MB = 1e6

export interface Row {
  readonly def: WorkloadDef
  readonly label: string
  /** Measured runs (the warm-up is not one). 0 when the workload did not run. */
  readonly runs: number
  readonly wallMs: number
  readonly mbPerSecond: number
  readonly filesPerSecond: number
  readonly cpuMs: number
  readonly rssMedianBytes: number
  readonly rssMaxBytes: number
  readonly bytesIn: number
  readonly bytesOut: number
  /** For checked workloads: runs whose output failed its check. */
  readonly failedChecks: number
  /** What the checks found, each message once. */
  readonly problems: readonly string[]
  /** Why the workload stopped with an error, if it did; its figures then do not count. */
  readonly failure: string | undefined
  /** Median share of the machine's CPU that other processes used during the runs. */
  readonly otherCpuShare: number | undefined
}

export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

export interface RunRecord {
  readonly results: readonly Measurement[]
  readonly failedChecks: number
  readonly problems: readonly string[]
  readonly failure: string | undefined
}

export function summarize (def: WorkloadDef, record: RunRecord): Row {
  const { results } = record
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
    rssMaxBytes: results.length === 0 ? Number.NaN : Math.max(...results.map((r) => r.peakRssBytes)),
    bytesIn,
    bytesOut: first?.bytesOut ?? 0,
    failedChecks: record.failedChecks,
    problems: record.problems,
    failure: record.failure,
    otherCpuShare: results.length > 0 && results.every((r) => r.otherCpuShare !== undefined) ? median(results.map((r) => r.otherCpuShare ?? 0)) : undefined
  }
}

/** A row with figures that count: it ran, did not fail, and its outputs passed their check. */
export function counts (row: Row | undefined): row is Row {
  return row !== undefined && row.runs > 0 && row.failure === undefined && row.def.unavailable === undefined && row.failedChecks === 0
}

export interface InputDescription {
  readonly set: InputSet
  readonly name: string
  readonly description: string
}

export interface TargetCheck {
  readonly target: string
  readonly measured: string
  /** undefined: not measured in this run (the workload is not available or failed). */
  readonly met: boolean | undefined
}

export interface ReportContext {
  /** The section's heading, without the `##`. */
  readonly title: string
  readonly rows: readonly Row[]
  /** Peak RSS of a child that starts Node and does nothing: the floor under every row. */
  readonly idleRssBytes: number
  readonly inputs: readonly InputDescription[]
  /** One Markdown list item (without the `- `) per workload. */
  readonly workloads: readonly string[]
  /** Sentences the suite adds to the description of how figures are taken. */
  readonly method: readonly string[]
  readonly targetsTitle: string
  readonly targets: readonly TargetCheck[]
  readonly machine: string
  readonly load: string
  readonly command: string
  /** The smoke-run form of the command, which leaves docs/benchmarks.md alone. */
  readonly quickCommand: string
  readonly outputDir: string
  readonly notes: readonly string[]
  /** The tool each input set's rows are compared with, in a column "× baseline". */
  readonly baselines?: Partial<Record<InputSet, Tool>>
}

export const mbps = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))
export const mb = (bytes: number): string => (bytes / MB).toFixed(1)
export const rate = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1))

export function findRow (rows: readonly Row[], tool: Tool, set: InputSet, concurrency = 1): Row | undefined {
  return rows.find((r) => r.def.tool === tool && r.def.set === set && r.def.concurrency === concurrency)
}

/** Past this share of the machine's CPU used by others during a workload, say so. */
const BUSY_MACHINE_SHARE = 0.1

/** Notes any suite's rows may call for. */
export function commonNotes (rows: readonly Row[]): string[] {
  const notes: string[] = []
  const busy = rows.filter((r) => (r.otherCpuShare ?? 0) > BUSY_MACHINE_SHARE)
  if (busy.length > 0) {
    const worst = Math.max(...busy.map((r) => r.otherCpuShare ?? 0))
    notes.push(`The machine was shared: other processes used more than ${BUSY_MACHINE_SHARE * 100}% of its CPU during ${busy.length} ` +
      `of ${rows.length} workloads (up to ${(worst * 100).toFixed(0)}%, see "others' CPU"); those figures are lower than on an idle machine.`)
  }
  for (const r of rows.filter((row) => row.problems.length > 0)) {
    notes.push(`${r.label} on ${r.def.set}: ${r.problems.join('; ')}`)
  }
  return notes
}

const HEADERS = ['workload', 'input', 'runs', 'median s', 'MB/s', 'files/s', 'CPU s', 'peak RSS MB (median / max)', 'others\' CPU', 'output']
const BASELINE_HEADER = '× baseline'

function headers (context: ReportContext): string[] {
  if (context.baselines === undefined) return HEADERS
  const at = HEADERS.indexOf('files/s') + 1
  return [...HEADERS.slice(0, at), BASELINE_HEADER, ...HEADERS.slice(at)]
}

/** Throughput against the same run's baseline for the row's input set. */
function baselineCell (row: Row, context: ReportContext): string {
  const tool = context.baselines?.[row.def.set]
  const baseline = tool === undefined ? undefined : findRow(context.rows, tool, row.def.set)
  if (row.runs === 0 || !counts(baseline)) return '–'
  return `${(row.mbPerSecond / baseline.mbPerSecond).toFixed(2)}×`
}

function outputCell (row: Row): string {
  if (row.def.unavailable !== undefined) return `not available: ${row.def.unavailable}`
  if (row.failure !== undefined) return `FAILED: ${row.failure}`
  switch (row.def.check) {
    case 'none': return `${mb(row.bytesOut)} MB written`
    case 'identical': return row.failedChecks > 0 ? `MISMATCH in ${row.failedChecks} run(s)` : 'identical'
    case 'deidentified': return row.failedChecks > 0 ? `CHECK FAILED in ${row.failedChecks} run(s)` : `de-identified (checked); ${mb(row.bytesOut)} MB written`
  }
}

function cells (row: Row, context: ReportContext): string[] {
  const input = context.inputs.find((i) => i.set === row.def.set)?.name ?? row.def.set
  const figures = row.runs === 0
    ? Array.from({ length: 6 }, () => '–')
    : [
        (row.wallMs / 1000).toFixed(3),
        mbps(row.mbPerSecond),
        row.def.set === 'small' ? rate(row.filesPerSecond) : '–',
        (row.cpuMs / 1000).toFixed(2),
        `${mb(row.rssMedianBytes)} / ${mb(row.rssMaxBytes)}`,
        row.otherCpuShare === undefined ? '?' : `${(row.otherCpuShare * 100).toFixed(0)}%`
      ]
  const line = [row.label, input, String(row.runs), ...figures, outputCell(row)]
  if (context.baselines !== undefined) line.splice(HEADERS.indexOf('files/s') + 1, 0, baselineCell(row, context))
  return line
}

const verdict = (met: boolean | undefined): string => (met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'MISSED')

export function consoleReport (context: ReportContext): string {
  const table = [headers(context), ...context.rows.map((r) => cells(r, context))]
  const widths = headers(context).map((_, c) => Math.max(...table.map((line) => (line[c] ?? '').length)))
  const lines = table.map((line) => line.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  '))
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '))
  lines.push('', `Node floor (idle child): ${mb(context.idleRssBytes)} MB peak RSS`, '')
  for (const t of context.targets) lines.push(`${verdict(t.met).padEnd(12)}  ${t.target}: ${t.measured}`)
  for (const note of context.notes) lines.push(`note: ${note}`)
  return `${context.title}\n\n${lines.join('\n')}`
}

export function markdownSection (context: ReportContext): string {
  const row = (values: readonly string[]): string => `| ${values.join(' | ')} |`
  return [
    `## ${context.title}`,
    '',
    `Measured ${context.machine}. ${context.load}`,
    '',
    `Reproduce: \`${context.command}\` (the data is generated into \`bench/.data/\` on first use; ` +
      `\`${context.quickCommand}\` is a smoke run that leaves this file alone).`,
    '',
    'Inputs (generated by `bench/lib/generate.ts`, checked with dcmtk `dcmdump`):',
    ...context.inputs.map((i) => `- **${i.name}**: ${i.description}`),
    '',
    'Workloads, file to file:',
    ...context.workloads.map((w) => `- ${w}`),
    '',
    [
      `Outputs go to ${context.outputDir} and are deleted after each run. Each workload runs once as a warm-up, ` +
        'not counted, then the measured runs, all in fresh processes; figures are medians of the measured runs. ' +
        'MB = 10^6 bytes; MB/s counts input bytes; CPU s is user + system time of the process; ' +
        '"others\' CPU" is the share of the machine\'s CPU that other processes (and hypervisor steal) used ' +
        'while the workload ran, from /proc/stat (median of the runs). Node workloads run in a child on JavaScript ' +
        'transpiled from this tree beforehand (`bench/lib/compile.ts`, so that no loader weighs on the figures); their ' +
        'time counts the processing alone, modules loaded before, and their peak RSS is the child\'s VmHWM ' +
        '(`/proc/self/status`), not `process.resourceUsage().maxRSS`: on Linux ru_maxrss survives execve and starts at ' +
        'the parent\'s RSS at fork, which put a floor of the parent\'s ~70 MB under every child here. ' +
        `A child that starts Node and does nothing peaks at ${mb(context.idleRssBytes)} MB.`,
      ...context.method
    ].join(' '),
    '',
    row(headers(context)),
    row(headers(context).map(() => '---')),
    ...context.rows.map((r) => row(cells(r, context))),
    '',
    `### ${context.targetsTitle}`,
    '',
    row(['target', 'measured', 'met']),
    row(['---', '---', '---']),
    ...context.targets.map((t) => row([t.target, t.measured, t.met === undefined ? 'not measured' : t.met ? 'met' : '**missed**'])),
    ...(context.notes.length > 0 ? ['', '### Notes', '', ...context.notes.map((n) => `- ${n}`)] : [])
  ].join('\n')
}

const DOC_TITLE = [
  '# Benchmarks',
  '',
  'Each section below is written by one suite of `npm run bench` (`bench/run.ts`; `npm run bench:codec`',
  'and `npm run bench:deid` run one suite) between its `bench:NAME` markers, and overwritten on every',
  'full run of that suite; text outside the markers is kept.',
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
