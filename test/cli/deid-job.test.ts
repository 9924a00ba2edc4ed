/**
 * JobRunner, the per-file path of `dicomgate deid`: a file read whole and a file streamed
 * give the same bytes as the library; a rejected or unreadable file leaves no output and no
 * partial file; errors carry codes, never paths or values; one job at a time.
 */
import { Buffer } from 'node:buffer'
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { JobRunner, MAX_UNCOMMITTED_FILES, runJobs, type JobResult } from '../../src/cli/deid-job.js'
import { DicomgateError } from '../../src/errors.js'
import type { Mapping } from '../../src/store/types.js'
import { deidentifyBuffer } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { tempDir } from '../helpers/cli.js'

const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const SC = join(FIXTURES_DIR, 'pydicom', 'SC_rgb_jpeg_dcmtk.dcm')
const options = { profile: loadProfile('basic'), keys: deriveKeys(Buffer.alloc(32, 7)) }
const expected = Buffer.concat(deidentifyBuffer(readFileSync(CT), options))

function workdir (t: Test): string {
  return tempDir(t, 'dicomgate-job-')
}

for (const [name, wholeFileMaxBytes] of [['read whole', Infinity], ['streamed', 0]] as const) {
  t.test(`a file ${name} gives the library's bytes, into a folder made on demand`, async (t) => {
    const dir = workdir(t)
    const runner = new JobRunner(options, { wholeFileMaxBytes })
    const output = join(dir, 'a', 'b', 'out.dcm')
    // Twice through one runner: the reused read buffer must not leak the first file into the second.
    for (let i = 0; i < 2; i++) {
      rmSync(output, { force: true })
      const result = await runner.run({ input: CT, output })
      t.same(result, { ok: true, bytesIn: readFileSync(CT).length, bytesOut: expected.length })
      t.ok(readFileSync(output).equals(expected), 'same bytes as deidentifyBuffer')
    }
    t.same(readdirSync(join(dir, 'a', 'b')), ['out.dcm'], 'no partial file left')
  })
}

t.test('a smaller file after a larger one reads only its own bytes', async (t) => {
  const dir = workdir(t)
  const runner = new JobRunner(options)
  t.equal((await runner.run({ input: SC, output: join(dir, 'sc.dcm') })).ok, false, 'Secondary Capture is rejected by basic')
  const big = join(dir, 'big.bin')
  writeFileSync(big, Buffer.concat([readFileSync(CT), Buffer.alloc(1000)]))
  await runner.run({ input: big, output: join(dir, 'ignored.dcm') })
  const result = await runner.run({ input: CT, output: join(dir, 'ct.dcm') })
  t.equal(result.ok, true)
  t.ok(readFileSync(join(dir, 'ct.dcm')).equals(expected))
})

for (const [name, wholeFileMaxBytes] of [['read whole', Infinity], ['streamed', 0]] as const) {
  t.test(`a rejected file (${name}) leaves nothing behind`, async (t) => {
    const dir = workdir(t)
    const result = await new JobRunner(options, { wholeFileMaxBytes }).run({ input: SC, output: join(dir, 'sc.dcm') })
    t.match(result, { ok: false, code: 'DG_DEID_REJECTED_SOP_CLASS' })
    t.same(readdirSync(dir), [], 'no output, no partial file')
  })
}

t.test('file system errors are DG_IO without the path', async (t) => {
  const dir = workdir(t)
  const runner = new JobRunner(options)
  const missing = await runner.run({ input: join(dir, 'Doe^Jane.dcm'), output: join(dir, 'out.dcm') })
  t.match(missing, { ok: false, code: 'DG_IO', message: /\(ENOENT\)/ })
  t.notMatch(missing.ok ? '' : missing.message, /Doe|Jane/, 'the message names no file')
  writeFileSync(join(dir, 'taken.dcm'), 'x')
  // The output folder is a file: mkdir fails, and nothing is written anywhere.
  const blocked = await runner.run({ input: CT, output: join(dir, 'taken.dcm', 'out.dcm') })
  t.match(blocked, { ok: false, code: 'DG_IO' })
  t.same(readdirSync(dir).sort(), ['taken.dcm'])
})

t.test('one job at a time', async (t) => {
  const dir = workdir(t)
  const runner = new JobRunner(options, { wholeFileMaxBytes: 0 })
  // A deflated dataset over the size limit takes the (asynchronous) stream form.
  const deflated = join(FIXTURES_DIR, 'dicomparser', 'report_dfl')
  const first = runner.run({ input: deflated, output: join(dir, '1.dcm') })
  await t.rejects(runner.run({ input: CT, output: join(dir, '2.dcm') }), /one job at a time/)
  t.equal((await first).ok, true)
})

t.test('a deflated file on the streamed path starts over on the stream form', async (t) => {
  const dir = workdir(t)
  const input = join(FIXTURES_DIR, 'dicomparser', 'report_dfl')
  const result = await new JobRunner(options, { wholeFileMaxBytes: 0 }).run({ input, output: join(dir, 'out.dcm') })
  t.equal(result.ok, true)
  t.ok(readFileSync(join(dir, 'out.dcm')).equals(Buffer.concat(deidentifyBuffer(readFileSync(input), options))), 'same bytes as deidentifyBuffer')
  t.same(readdirSync(dir), ['out.dcm'])
})

/** A store whose commits the test settles by hand, one record() call at a time. */
function manualStore (): { store: { record: (m: readonly Mapping[]) => Promise<void> }, calls: Array<{ mappings: readonly Mapping[], commit: () => void, fail: (err: unknown) => void }> } {
  const calls: Array<{ mappings: readonly Mapping[], commit: () => void, fail: (err: unknown) => void }> = []
  return {
    calls,
    store: {
      record: async (mappings) => await new Promise<void>((resolve, reject) => { calls.push({ mappings, commit: resolve, fail: reject }) })
    }
  }
}

t.test('with a store, the runner goes on while a commit is pending; the output appears only once committed', async (t) => {
  const dir = workdir(t)
  const { store, calls } = manualStore()
  const runner = new JobRunner(options, { store })
  const first = await runner.start({ input: CT, output: join(dir, '1.dcm') })
  t.equal(calls.length, 1, 'the mappings were handed to the store')
  t.ok(calls[0]?.mappings.some((m) => m.kind === 'SOPInstanceUID'), 'with the instance UID among them')
  t.notOk(readdirSync(dir).includes('1.dcm'), 'no output before the commit')
  const second = await runner.start({ input: join(FIXTURES_DIR, 'pydicom', 'MR_small_implicit.dcm'), output: join(dir, '2.dcm') })
  t.equal(calls.length, 2, 'the next file was done meanwhile')
  calls[1]?.fail(new DicomgateError('DG_STORE_UNAVAILABLE', 'the store is down'))
  t.match(await second.done, { ok: false, code: 'DG_STORE_UNAVAILABLE' }, 'a failed commit fails its file')
  calls[0]?.commit()
  t.match(await first.done, { ok: true }, 'a commit renames the output into place')
  t.same(readdirSync(dir), ['1.dcm'], 'the failed file left nothing, not even its partial file')
})

t.test(`runJobs keeps at most ${MAX_UNCOMMITTED_FILES} files waiting for their commit`, async (t) => {
  const dir = workdir(t)
  const { store, calls } = manualStore()
  const runner = new JobRunner(options, { store })
  const jobs = Array.from({ length: MAX_UNCOMMITTED_FILES + 8 }, (_, i) => ({ input: CT, output: join(dir, `${i}.dcm`) }))
  let next = 0
  const results: JobResult[] = []
  const running = runJobs(runner, jobs, () => next++, (_, result) => { results.push(result) })
  while (calls.length < MAX_UNCOMMITTED_FILES) await new Promise((resolve) => { setImmediate(resolve) })
  for (let i = 0; i < 5; i++) await new Promise((resolve) => { setImmediate(resolve) })
  t.equal(calls.length, MAX_UNCOMMITTED_FILES, 'no file started beyond the limit while none is committed')
  t.equal(results.length, 0)
  // Commit as they come, until every job is reported.
  while (results.length < jobs.length) {
    for (const call of calls.splice(0)) call.commit()
    await new Promise((resolve) => { setImmediate(resolve) })
  }
  await running
  t.ok(results.every((r) => r.ok), 'every file done')
  t.equal(readdirSync(dir).length, jobs.length, 'every output in place, no partial file')
})
