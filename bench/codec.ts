/**
 * Codec suite (issue 2, "Must show" 6): read + write pass-through of a large multi-frame
 * file and of many small CT files, beside a plain Node stream copy and dcmjs measured in
 * the same run. Run by bench/run.ts: `npm run bench:codec` (see `npm run bench -- --help`).
 */

import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'

import { CODEC_WORKLOADS, codecNotes, codecTargets } from './lib/codec-report.js'
import { buildCodecPlan } from './lib/plan.js'
import { profileDicomgate } from './lib/profile.js'
import { commonNotes } from './lib/report.js'
import { inputsOf, measurePlan, runChild, type Suite, type SuiteEnv, type SuiteReport } from './lib/runner.js'
import { InputHashes, mismatchedOutputs } from './lib/verify.js'

const PROFILE_TOP_FUNCTIONS = 20

/** `--profile`: one more dicomgate run on the large file, with its hot spots printed. */
async function profileBigFile (env: SuiteEnv): Promise<void> {
  const outDir = join(env.outRoot, 'profile')
  await mkdir(outDir, { recursive: true })
  try {
    const { hotSpots, file } = await profileDicomgate(
      { kind: 'dicomgate', inputs: [env.data.bigFile], outDir, concurrency: 1 }, env.entry, join(env.dataDir, 'profiles'), PROFILE_TOP_FUNCTIONS)
    process.stdout.write(`\nHot spots of dicomgate on the large file (self time; ${file}):\n`)
    for (const h of hotSpots) process.stdout.write(`${(h.share * 100).toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.frame}\n`)
  } finally {
    await rm(outDir, { recursive: true, force: true })
  }
}

export const codecSuite: Suite = {
  name: 'codec',
  async run (env: SuiteEnv): Promise<SuiteReport> {
    const plan = buildCodecPlan({ sets: env.options.sets, concurrency: env.options.concurrency })
    const hashes = new InputHashes()
    env.log('hashing inputs (warms the page cache, and gives the expected output of the pass-through)...')
    for (const def of plan.filter((d) => d.check === 'identical')) for (const input of inputsOf(def, env.data)) await hashes.of(input)
    const rows = await measurePlan(plan, {
      run: async (def, outDir) => await runChild(def, env, outDir),
      check: async (def, outDir) => {
        const mismatched = await mismatchedOutputs(inputsOf(def, env.data), outDir, hashes)
        return mismatched.length === 0 ? [] : [`${mismatched.length} file(s) differ from their input (${mismatched.slice(0, 5).join(', ')})`]
      }
    }, env)
    if (env.options.profile && env.options.sets.includes('big')) await profileBigFile(env)
    return {
      title: 'Codec: read + write pass-through',
      rows,
      workloads: CODEC_WORKLOADS,
      method: [],
      targetsTitle: 'Targets (issue 2, "Must show" 6)',
      targets: codecTargets(rows, env.idleRssBytes),
      notes: [...codecNotes(rows), ...commonNotes(rows)]
    }
  }
}
