/**
 * De-identification suite (issue 3, must show 5): the `basic` profile on the large
 * multi-frame file and on the folder of small CT files, dicomgate (library stream form and
 * CLI) beside gdcmanon and dcmjs, and the plain-copy baselines, in the same run. Run by
 * bench/run.ts: `npm run bench:deid` (see `npm run bench -- --help`).
 *
 * dicomgate's workloads (dicomgate-deid.ts, deid-tools.ts) check that the library and the
 * CLI are there: in a tree without them (an older commit), their rows say "not available"
 * and the rest of the suite runs.
 */

import { DEID_METHOD, DEID_TARGETS, DEID_WORKLOADS, deidNotes, deidTargets } from './lib/deid-report.js'
import { PROFILE, commandLine, makeDeidFiles, requiredTags, unavailableTools } from './lib/deid-tools.js'
import { measureCommand } from './lib/measure-command.js'
import { buildDeidPlan, isCommandTool } from './lib/plan.js'
import { commonNotes, mb } from './lib/report.js'
import { inputsOf, measurePlan, runChild, type Suite, type SuiteEnv, type SuiteReport } from './lib/runner.js'
import { deidProblems } from './lib/verify-deid.js'

export const deidSuite: Suite = {
  name: 'deid',
  async run (env: SuiteEnv): Promise<SuiteReport> {
    const files = await makeDeidFiles(env.dataDir)
    const unavailable = await unavailableTools(files)
    const plan = buildDeidPlan(env.options.sets).map((def) => {
      const reason = unavailable[def.tool]
      return reason === undefined ? def : { ...def, unavailable: reason }
    })
    const deid = { profile: PROFILE, secretFile: files.secretFile }
    const rows = await measurePlan(plan, {
      run: async (def, outDir) => isCommandTool(def.tool)
        ? await measureCommand({ argv: commandLine(def.tool, def.set, env.data, outDir, files), inputs: inputsOf(def, env.data), outDir })
        : await runChild(def, env, outDir, def.tool === 'dicomgate-deid' ? deid : undefined),
      check: async (def, outDir) => await deidProblems(inputsOf(def, env.data), outDir, { requiredTags: requiredTags(def.tool) })
    }, env)
    return {
      title: `De-identification: profile \`${PROFILE}\`, beside gdcmanon and dcmjs`,
      rows,
      workloads: DEID_WORKLOADS,
      method: DEID_METHOD,
      targetsTitle: `Targets (issue 3, must show 5: ≥ ${DEID_TARGETS.bigMBps} MB/s at ≤ ${mb(DEID_TARGETS.bigRssBytes)} MB on the large file, ` +
        `≥ ${DEID_TARGETS.smallFilesPerSecond} files/s with the CLI)`,
      targets: deidTargets(rows),
      notes: [...deidNotes(rows), ...commonNotes(rows)],
      baselines: { big: 'stream-copy', small: 'file-copy' }
    }
  }
}
