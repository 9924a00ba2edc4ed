/**
 * `dicomgate deid --store` and `dicomgate lookup`, in-process, on a real SQLite store:
 * every replaced UID of every output can be looked up to its original, on one thread or
 * two and from standard output too; an output appears only once its mappings are stored
 * (a store that cannot be written leaves no output); a lookup is audited without the
 * original, and an argument that is not a pseudonym is neither logged nor echoed.
 */
import { Buffer } from 'node:buffer'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { EXIT_FAILURE, EXIT_OK } from '../../src/cli/main.js'
import { readTokens } from '../../src/dicom/stream.js'
import { makeTag } from '../../src/dicom/tags.js'
import { openStore } from '../../src/store/index.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { runCli, tempDir } from '../helpers/cli.js'

const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const MR = join(FIXTURES_DIR, 'pydicom', 'MR_small_implicit.dcm')
const SECRET = Buffer.alloc(32, 3)
const STUDY_UID = makeTag(0x0020, 0x000d)
const SOP_INSTANCE_UID = makeTag(0x0008, 0x0018)

const cli = runCli

function workdir (t: Test): string {
  const dir = tempDir(t, 'dicomgate-store-cli-')
  writeFileSync(join(dir, 'secret'), SECRET, { mode: 0o600 })
  return dir
}

function uid (bytes: Uint8Array, tag: number): string {
  const token = readTokens(bytes).find((tk) => tk.type === 'element' && tk.tag === tag)
  return token?.type === 'element' ? Buffer.from(token.value).toString('latin1').replace(/[\0 ]+$/, '') : ''
}

function inputs (dir: string): string {
  const folder = join(dir, 'in')
  mkdirSync(join(folder, 'a'), { recursive: true })
  copyFileSync(CT, join(folder, 'a', 'ct.dcm'))
  copyFileSync(MR, join(folder, 'mr.dcm'))
  return folder
}

for (const threads of ['1', '2']) {
  t.test(`deid --store records every replaced UID (${threads} thread(s)); lookup answers for them`, async (t) => {
    const dir = workdir(t)
    const store = join(dir, 'map.sqlite')
    const run = await cli(['deid', inputs(dir), '--out', join(dir, 'out'), '--secret-file', join(dir, 'secret'), '--store', store, '--threads', threads])
    t.equal(run.code, EXIT_OK, run.stderr)
    t.match(run.stderr, /pseudonym mappings recorded in SQLite/)

    const opened = await openStore({ kind: 'sqlite', path: store }, SECRET)
    t.teardown(async () => { await opened.close() })
    for (const [input, output] of [[CT, join(dir, 'out', 'a', 'ct.dcm')], [MR, join(dir, 'out', 'mr.dcm')]] as const) {
      const original = readFileSync(input)
      const deidentified = readFileSync(output)
      for (const tag of [STUDY_UID, SOP_INSTANCE_UID]) {
        const mapping = await opened.lookup(uid(deidentified, tag))
        t.equal(mapping?.original, uid(original, tag), 'the pseudonym maps back to the original')
      }
    }

    const audit = join(dir, 'audit.jsonl')
    const pseudonym = uid(readFileSync(join(dir, 'out', 'mr.dcm')), STUDY_UID)
    const lookup = await cli(['lookup', pseudonym, 'Doe^Jane', '--store', store, '--secret-file', join(dir, 'secret'), '--audit', audit])
    t.equal(lookup.code, EXIT_FAILURE, 'one argument is not a pseudonym')
    const [line] = lookup.stdout.toString('utf8').trim().split('\n')
    t.same(line?.split('\t').slice(0, 3), [pseudonym, 'StudyInstanceUID', uid(readFileSync(MR), STUDY_UID)])
    t.match(lookup.stderr, /argument 2 is not a recorded pseudonym/)
    t.notMatch(lookup.stderr, /Doe|Jane/, 'a non-pseudonym argument is not echoed')
    const events = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    t.match(events, [{ action: 'lookup', outcome: 'ok', details: { pseudonym, kind: 'StudyInstanceUID' } }, { action: 'lookup', outcome: 'not-found' }])
    const auditText = readFileSync(audit, 'utf8')
    t.notOk(auditText.includes(uid(readFileSync(MR), STUDY_UID)), 'the audit log holds no original')
    t.notOk(auditText.includes('Doe'), 'nor a non-pseudonym argument')
  })
}

t.test('standard output with --store: the mappings are committed before success', async (t) => {
  const dir = workdir(t)
  const store = join(dir, 'map.sqlite')
  const run = await cli(['deid', '-', '--out', '-', '--secret-file', join(dir, 'secret'), '--store', store], Readable.from([readFileSync(CT)]))
  t.equal(run.code, EXIT_OK, run.stderr)
  const opened = await openStore({ kind: 'sqlite', path: store }, SECRET)
  t.teardown(async () => { await opened.close() })
  t.equal((await opened.lookup(uid(run.stdout, STUDY_UID)))?.original, uid(readFileSync(CT), STUDY_UID))
})

t.test('a store that cannot be written: no output file, the inputs rejected with a store error', async (t) => {
  const dir = workdir(t)
  // A folder where the SQLite file should be: it cannot be opened as a database.
  const store = join(dir, 'map.sqlite')
  mkdirSync(store)
  const run = await cli(['deid', inputs(dir), '--out', join(dir, 'out'), '--secret-file', join(dir, 'secret'), '--store', store, '--threads', '1'])
  t.not(run.code, EXIT_OK)
  t.match(run.stderr, /DG_STORE_UNAVAILABLE/)
  let written: string[] = []
  try { written = readdirSync(join(dir, 'out'), { recursive: true }) as string[] } catch { /* never made */ }
  t.same(written.filter((f) => f.endsWith('.dcm')), [], 'no output file')
})
