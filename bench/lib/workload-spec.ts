/**
 * What the parent asks a workload child to do, and what the child reports back. Shared by
 * measure.ts (parent) and workload-child.ts (child); the child's answer crosses a process
 * boundary as JSON, so it is checked rather than trusted.
 */

/** `idle` starts the child and does nothing: the floor of Node under every figure. */
export const WORKLOAD_KINDS = [
  'stream-copy', 'dicomgate', 'file-copy', 'dicomgate-file', 'dcmjs', 'dcmjs-deid', 'dicomgate-deid', 'idle'
] as const
export type WorkloadKind = typeof WORKLOAD_KINDS[number]

/** What the de-identifying workloads need beyond their inputs. */
export interface DeidSettings {
  /** A profile name (`basic`) or file, as the CLI's --profile takes it. */
  readonly profile: string
  /** The pseudonymization secret (--secret-file). */
  readonly secretFile: string
}

export interface WorkloadSpec {
  readonly kind: WorkloadKind
  /** The files to process, each written under its base name into outDir. */
  readonly inputs: readonly string[]
  readonly outDir: string
  /** Files processed at the same time; 1 is one after another. */
  readonly concurrency: number
  /** For dicomgate-deid. */
  readonly deid?: DeidSettings
}

export interface WorkloadResult {
  /** Wall time of the processing alone: module loading and process start-up excluded. */
  readonly wallMs: number
  /** User + system CPU time of the whole child, in ms. */
  readonly cpuMs: number
  /**
   * Peak RSS of the child's own process image: VmHWM of /proc/self/status on Linux, else
   * process.resourceUsage().maxRSS. See workload-child.ts for why not maxRSS everywhere.
   */
  readonly peakRssBytes: number
  /** process.resourceUsage().maxRSS, in bytes, kept for comparison. */
  readonly maxRssBytes: number
  readonly files: number
  readonly bytesIn: number
  readonly bytesOut: number
}

/** Marks the child's result line on stdout, apart from anything a library might print. */
export const RESULT_PREFIX = 'BENCH_RESULT '

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isDeidSettings (value: unknown): value is DeidSettings {
  return isRecord(value) && typeof value.profile === 'string' && typeof value.secretFile === 'string'
}

function isKind (value: unknown): value is WorkloadKind {
  return typeof value === 'string' && (WORKLOAD_KINDS as readonly string[]).includes(value)
}

export function parseSpec (json: string): WorkloadSpec {
  const value: unknown = JSON.parse(json)
  if (!isRecord(value) || !isKind(value.kind) || !Array.isArray(value.inputs) ||
    !value.inputs.every((i): i is string => typeof i === 'string') ||
    typeof value.outDir !== 'string' || typeof value.concurrency !== 'number' || value.concurrency < 1 ||
    (value.deid !== undefined && !isDeidSettings(value.deid))) {
    throw new TypeError(`not a workload spec: ${json.slice(0, 200)}`)
  }
  const spec = { kind: value.kind, inputs: value.inputs, outDir: value.outDir, concurrency: value.concurrency }
  return isDeidSettings(value.deid) ? { ...spec, deid: value.deid } : spec
}

const RESULT_FIELDS = ['wallMs', 'cpuMs', 'peakRssBytes', 'maxRssBytes', 'files', 'bytesIn', 'bytesOut'] as const

export function parseResult (json: string): WorkloadResult {
  const value: unknown = JSON.parse(json)
  if (!isRecord(value) || !RESULT_FIELDS.every((f) => typeof value[f] === 'number')) {
    throw new TypeError(`not a workload result: ${json.slice(0, 200)}`)
  }
  const n = (f: typeof RESULT_FIELDS[number]): number => value[f] as number
  return { wallMs: n('wallMs'), cpuMs: n('cpuMs'), peakRssBytes: n('peakRssBytes'), maxRssBytes: n('maxRssBytes'), files: n('files'), bytesIn: n('bytesIn'), bytesOut: n('bytesOut') }
}
