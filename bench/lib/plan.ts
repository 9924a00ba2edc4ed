/**
 * Which workloads a benchmark run measures, in what order, with which Node flags, and how
 * each output is checked.
 */

import type { WorkloadKind } from './workload-spec.js'

/** Workloads run in a Node child of the benchmark (workload-child.ts). */
export type ChildTool = Exclude<WorkloadKind, 'idle'>
/** Workloads that are an external command, one process for the whole input (measure-command.ts). */
export const COMMAND_TOOLS = ['gdcmanon', 'dicomgate-cli', 'dicomgate-cli-sqlite', 'dicomgate-cli-postgres'] as const
export type CommandTool = typeof COMMAND_TOOLS[number]
export type Tool = ChildTool | CommandTool
export type InputSet = 'big' | 'small'

/**
 * - identical: the output must equal the input byte for byte (a pass-through);
 * - deidentified: the output must parse and hold no trace of the input's PatientName;
 * - none: a baseline or a foreign tool whose output is only counted.
 */
export type OutputCheck = 'identical' | 'deidentified' | 'none'

export interface WorkloadDef {
  readonly tool: Tool
  readonly set: InputSet
  readonly concurrency: number
  readonly check: OutputCheck
  readonly nodeFlags: readonly string[]
  /** Why the workload cannot run here (a tool not installed, an API not written yet). */
  readonly unavailable?: string
}

export function isCommandTool (tool: Tool): tool is CommandTool {
  return (COMMAND_TOOLS as readonly string[]).includes(tool)
}

/**
 * dcmjs holds the file, its parsed form and the written copy at once: ~3.5 GB for 524 MB
 * (FIELD-NOTES.md), past V8's default old-space limit on some machines.
 */
const DCMJS_NODE_FLAGS = ['--max-old-space-size=16384'] as const

function def (tool: Tool, set: InputSet, check: OutputCheck, concurrency = 1): WorkloadDef {
  return { tool, set, concurrency, check, nodeFlags: tool.startsWith('dcmjs') ? DCMJS_NODE_FLAGS : [] }
}

export interface PlanOptions {
  readonly sets: readonly InputSet[]
  /** Extra concurrency tried on the small files, beside one file at a time; 1 for none. */
  readonly concurrency: number
}

/** The codec suite: read + write pass-through (issue 2). */
export function buildCodecPlan (options: PlanOptions): WorkloadDef[] {
  const plan: WorkloadDef[] = []
  // Baseline, codec and dcmjs side by side within each run, so that load on the shared
  // machine falls on all three alike.
  if (options.sets.includes('big')) {
    plan.push(def('stream-copy', 'big', 'none'), def('dicomgate', 'big', 'identical'), def('dcmjs', 'big', 'none'))
  }
  if (options.sets.includes('small')) {
    plan.push(
      def('stream-copy', 'small', 'none'),
      def('dicomgate', 'small', 'identical'),
      // Whole-file forms: how dcmjs is used, and how dicomgate handles small files best.
      def('file-copy', 'small', 'none'),
      def('dicomgate-file', 'small', 'identical'),
      def('dcmjs', 'small', 'none'))
    if (options.concurrency > 1) {
      plan.push(def('stream-copy', 'small', 'none', options.concurrency), def('dicomgate', 'small', 'identical', options.concurrency))
    }
  }
  return plan
}

/**
 * The de-identification suite (issue 3, must show 5): for each input set, its plain-copy
 * baseline, then gdcmanon, dcmjs and dicomgate (library stream form, then the CLI).
 */
export function buildDeidPlan (sets: readonly InputSet[]): WorkloadDef[] {
  const plan: WorkloadDef[] = []
  for (const set of sets) {
    // Big: the stream copy the gateway's stream form is measured against; small: the
    // whole-file copy, which is what a folder tool does per file.
    plan.push(def(set === 'big' ? 'stream-copy' : 'file-copy', set, 'none'))
    for (const tool of ['gdcmanon', 'dcmjs-deid', 'dicomgate-deid', 'dicomgate-cli'] as const) plan.push(def(tool, set, 'deidentified'))
  }
  return plan
}

/**
 * The store suite (issue 4, must show 5): the CLI on the folder of small files without a
 * store (the baseline), then recording every pseudonym in SQLite, then in PostgreSQL.
 */
export function buildStorePlan (): WorkloadDef[] {
  return (['dicomgate-cli', 'dicomgate-cli-sqlite', 'dicomgate-cli-postgres'] as const).map((tool) => def(tool, 'small', 'deidentified'))
}

export function workloadLabel (def: Pick<WorkloadDef, 'tool' | 'concurrency'>): string {
  return def.concurrency > 1 ? `${def.tool} ×${def.concurrency}` : def.tool
}
