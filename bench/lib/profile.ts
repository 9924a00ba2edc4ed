/**
 * `--profile`: one more dicomgate run on the large file under `node --cpu-prof`, and the
 * functions with the most self time, so that a missed target comes with its hot spots.
 */

import { mkdir, readdir, readFile, rm } from 'node:fs/promises'
import { join, relative } from 'node:path'

import { REPO_ROOT, measureInChild } from './measure.js'
import type { WorkloadSpec } from './workload-spec.js'

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame }
interface CpuProfile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

function isCpuProfile (value: unknown): value is CpuProfile {
  return typeof value === 'object' && value !== null &&
    'nodes' in value && Array.isArray(value.nodes) &&
    'samples' in value && Array.isArray(value.samples) &&
    'timeDeltas' in value && Array.isArray(value.timeDeltas)
}

export interface HotSpot {
  readonly frame: string
  readonly selfMs: number
  readonly share: number
}

/** Self time per function (summed over call sites), largest first. */
export function hotSpots (profile: CpuProfile, top: number): HotSpot[] {
  const nodeFrame = new Map<number, string>()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const where = url === '' ? '' : ` ${url.startsWith('file://') ? relative(REPO_ROOT, new URL(url).pathname) : url}:${lineNumber + 1}`
    nodeFrame.set(node.id, `${functionName === '' ? '(anonymous)' : functionName}${where}`)
  }
  const selfUs = new Map<string, number>()
  let totalUs = 0
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0
    const frame = nodeFrame.get(id) ?? '(unknown)'
    selfUs.set(frame, (selfUs.get(frame) ?? 0) + delta)
    totalUs += delta
  })
  return [...selfUs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: totalUs === 0 ? 0 : us / totalUs }))
}

export async function profileDicomgate (spec: WorkloadSpec, entry: string, profileDir: string, top: number): Promise<{ hotSpots: HotSpot[], file: string }> {
  await rm(profileDir, { recursive: true, force: true })
  await mkdir(profileDir, { recursive: true })
  await measureInChild(spec, { entry, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] })
  const name = (await readdir(profileDir)).find((f) => f.endsWith('.cpuprofile'))
  if (name === undefined) throw new Error(`no .cpuprofile written to ${profileDir}`)
  const file = join(profileDir, name)
  const profile: unknown = JSON.parse(await readFile(file, 'utf8'))
  if (!isCpuProfile(profile)) throw new Error(`${file} is not a V8 CPU profile`)
  return { hotSpots: hotSpots(profile, top), file }
}
