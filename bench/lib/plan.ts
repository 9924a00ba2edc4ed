/**
 * Which workloads a benchmark run measures, in what order, with which Node flags.
 */

import type { WorkloadKind } from './workload-spec.js'

export type Tool = Exclude<WorkloadKind, 'idle'>
export type InputSet = 'big' | 'small'

export interface WorkloadDef {
  readonly tool: Tool
  readonly set: InputSet
  readonly concurrency: number
  /** dicomgate's output must equal its input byte for byte. */
  readonly verify: boolean
  readonly nodeFlags: readonly string[]
}

/**
 * dcmjs holds the file, its parsed form and the written copy at once: ~3.5 GB for 524 MB
 * (FIELD-NOTES.md), past V8's default old-space limit on some machines.
 */
const DCMJS_NODE_FLAGS = ['--max-old-space-size=16384'] as const

export interface PlanOptions {
  readonly sets: readonly InputSet[]
  /** Extra concurrency tried on the small files, beside one file at a time; 1 for none. */
  readonly concurrency: number
}

export function buildPlan (options: PlanOptions): WorkloadDef[] {
  const plan: WorkloadDef[] = []
  const add = (tool: Tool, set: InputSet, concurrency: number): void => {
    plan.push({ tool, set, concurrency, verify: tool.startsWith('dicomgate'), nodeFlags: tool === 'dcmjs' ? DCMJS_NODE_FLAGS : [] })
  }
  // Baseline, codec and dcmjs side by side within each run, so that load on the shared
  // machine falls on all three alike.
  if (options.sets.includes('big')) {
    add('stream-copy', 'big', 1)
    add('dicomgate', 'big', 1)
    add('dcmjs', 'big', 1)
  }
  if (options.sets.includes('small')) {
    add('stream-copy', 'small', 1)
    add('dicomgate', 'small', 1)
    // Whole-file forms: how dcmjs is used, and how dicomgate handles small files best.
    add('file-copy', 'small', 1)
    add('dicomgate-file', 'small', 1)
    add('dcmjs', 'small', 1)
    if (options.concurrency > 1) {
      add('stream-copy', 'small', options.concurrency)
      add('dicomgate', 'small', options.concurrency)
    }
  }
  return plan
}

export function workloadLabel (def: WorkloadDef): string {
  return def.concurrency > 1 ? `${def.tool} ×${def.concurrency}` : def.tool
}
