/**
 * Entry point of one measured workload, run in a fresh process by measure.ts so that
 * process.resourceUsage().maxRSS is the peak of this workload alone.
 *
 * Usage (internal), on the transpiled copy (compile.ts):
 *   node node_modules/.cache/dicomgate-bench/bench/lib/workload-child.js '<WorkloadSpec JSON>'
 * Prints one line `BENCH_RESULT <WorkloadResult JSON>` on stdout.
 */

import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { performance } from 'node:perf_hooks'

import { totalBytes } from './sizes.js'
import { loadOperation, type FileOperation } from './workloads.js'
import { RESULT_PREFIX, parseSpec, type WorkloadResult, type WorkloadSpec } from './workload-spec.js'

const KIB = 1024

/** Runs `operation` over the inputs with at most `concurrency` files in flight. */
async function runAll (spec: WorkloadSpec, operation: FileOperation): Promise<void> {
  let next = 0
  const lane = async (): Promise<void> => {
    while (next < spec.inputs.length) {
      const input = spec.inputs[next++] as string
      await operation(input, join(spec.outDir, basename(input)))
    }
  }
  await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.inputs.length) }, lane))
}

/**
 * The peak RSS of this process image alone. On Linux, ru_maxrss (resourceUsage().maxRSS)
 * is kept across execve and starts from the parent's RSS at fork: spawned from the
 * benchmark's parent (about 70 MB with tsx), every child reported at least that much,
 * whatever it did. VmHWM is the high-water mark of the memory map created by execve, so
 * it counts this workload only. Elsewhere maxRSS is the best there is.
 */
async function ownPeakRssBytes (maxRssBytes: number): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8')
    const kib = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]
    return kib === undefined ? maxRssBytes : Number(kib) * KIB
  } catch {
    return maxRssBytes
  }
}

async function main (): Promise<void> {
  const spec = parseSpec(process.argv[2] ?? '')
  let wallMs = 0
  if (spec.kind !== 'idle') {
    const operation = await loadOperation(spec)
    const started = performance.now()
    await runAll(spec, operation)
    wallMs = performance.now() - started
  }
  const usage = process.resourceUsage()
  // Linux reports ru_maxrss in KiB.
  const maxRssBytes = usage.maxRSS * KIB
  const result: WorkloadResult = {
    wallMs,
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssBytes: await ownPeakRssBytes(maxRssBytes),
    maxRssBytes,
    files: spec.kind === 'idle' ? 0 : spec.inputs.length,
    bytesIn: spec.kind === 'idle' ? 0 : await totalBytes(spec.inputs),
    bytesOut: spec.kind === 'idle' ? 0 : await totalBytes(spec.inputs.map((i) => join(spec.outDir, basename(i))))
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
}

await main()
