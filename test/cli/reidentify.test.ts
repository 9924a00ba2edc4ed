/**
 * `dicomgate reidentify`, in-process through its command object: folders (structure kept)
 * and files, standard input to standard output, outputs with mode 0600, the summary and
 * exit statuses, failed inputs without output files, and usage and key errors.
 */
import { Buffer } from 'node:buffer'
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { EXIT_FAILURE, EXIT_OK } from '../../src/cli/common.js'
import { reidentifyCommand } from '../../src/cli/reidentify.js'
import { deidentifyBuffer } from '../../src/deid/index.js'
import { loadProfile } from '../../src/deid/profile/load.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { differingTags, fileAttributes } from '../helpers/attributes.js'
import { makeRecipient, opensslSkip, type Recipient } from '../helpers/cms-tools.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { runCli, tempDir, type CliRun } from '../helpers/cli.js'

const keys = deriveKeys(Buffer.alloc(32, 7))
const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const MR = join(FIXTURES_DIR, 'pydicom', 'MR_small_implicit.dcm')
const restorable = (tag: number): boolean => tag < 0x7fe00000

/** Every run audits into this file, never into the working folder's data/. */
const AUDIT_DIR = mkdtempSync(join(tmpdir(), 'dicomgate-reid-audit-'))
const AUDIT = join(AUDIT_DIR, 'audit.jsonl')
t.teardown(() => { rmSync(AUDIT_DIR, { recursive: true, force: true }) })

function auditEvents (): Array<Record<string, unknown>> {
  try {
    return readFileSync(AUDIT, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  } catch {
    return []
  }
}

async function cli (args: string[], stdin: Readable = Readable.from([])): Promise<CliRun> {
  return await runCli([...args, '--audit', AUDIT], stdin, reidentifyCommand.run)
}

function workdir (t: Test): string {
  const dir = tempDir(t, 'dicomgate-reid-')
  return dir
}

function files (dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name))
      else out.push(relative(dir, join(d, e.name)))
    }
  }
  walk(dir)
  return out.sort()
}

function encrypted (path: string, recipient: Recipient): Buffer {
  return Buffer.concat(deidentifyBuffer(readFileSync(path), { profile: loadProfile('basic'), keys, encryption: { encrypt: recipient.encrypt } }))
}

t.test('a folder: structure kept, originals back, mode 0600, summary', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const dir = workdir(t)
  const input = join(dir, 'in')
  mkdirSync(join(input, 'series'), { recursive: true })
  writeFileSync(join(input, 'ct.dcm'), encrypted(CT, recipient))
  writeFileSync(join(input, 'series', 'mr.dcm'), encrypted(MR, recipient))
  writeFileSync(join(input, '.hidden'), 'not a study')
  const out = join(dir, 'out')
  const before = auditEvents().length
  const run = await cli([input, '--out', out, '--key', recipient.key])
  t.equal(run.code, EXIT_OK)
  t.same(files(out), ['ct.dcm', 'series/mr.dcm'])
  t.match(auditEvents().slice(before), [
    { action: 'reidentify', outcome: 'ok', details: { files: 2 } },
    { action: 'reidentify-done', outcome: 'ok', details: { restored: 2, failed: 0 } }
  ], 'the run is audited, before and after')
  t.notMatch(readFileSync(AUDIT, 'utf8'), /ct\.dcm|mr\.dcm|CompressedSamples/, 'with no file name and no value')
  for (const [name, original] of [['ct.dcm', CT], ['series/mr.dcm', MR]] as const) {
    t.same(differingTags(fileAttributes(readFileSync(original)).dataset, fileAttributes(readFileSync(join(out, name))).dataset, restorable), [], `${name}: the original dataset`)
    t.equal(statSync(join(out, name)).mode & 0o777, 0o600, `${name}: mode 0600`)
  }
  t.match(run.stderr, /dicomgate reidentify: 2 of 2 files re-identified, 0 failed; [\d.]+ MB in [\d.]+ s/)
})

t.test('failed inputs get no output; the summary names each with its code; exit 1', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t, 'recipient')
  const stranger = makeRecipient(t, 'stranger')
  const dir = workdir(t)
  const input = join(dir, 'in')
  mkdirSync(input)
  writeFileSync(join(input, 'a-good.dcm'), encrypted(CT, recipient))
  writeFileSync(join(input, 'b-plain.dcm'), readFileSync(CT))
  writeFileSync(join(input, 'c-other-key.dcm'), encrypted(MR, stranger))
  writeFileSync(join(input, 'd-not-dicom.dcm'), 'hello')
  const out = join(dir, 'out')
  const run = await cli([input, '--out', out, '--key', recipient.key])
  t.equal(run.code, EXIT_FAILURE)
  t.same(files(out), ['a-good.dcm'], 'only the good one, and no partial file')
  t.match(run.stderr, /1 of 4 files re-identified, 3 failed/)
  t.match(run.stderr, /b-plain\.dcm: DG_CMS_NOT_ENCRYPTED: /)
  t.match(run.stderr, /c-other-key\.dcm: DG_CMS_NO_RECIPIENT: /)
  t.match(run.stderr, /d-not-dicom\.dcm: DG_DICOM_/)
  t.notMatch(run.stderr, /CompressedSamples|1CT1/, 'no patient value in the summary')
})

t.test('standard input to standard output', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const run = await cli(['-', '--out', '-', '--key', recipient.key], Readable.from([encrypted(CT, recipient)]))
  t.equal(run.code, EXIT_OK)
  t.same(differingTags(fileAttributes(readFileSync(CT)).dataset, fileAttributes(run.stdout).dataset, restorable), [])
})

t.test('usage and key errors', { skip: opensslSkip }, async (t) => {
  const recipient = makeRecipient(t)
  const dir = workdir(t)
  await t.rejects(cli([CT, '--key', recipient.key]), { code: 'DG_CLI_USAGE' }, 'no --out')
  await t.rejects(cli([CT, '--out', dir]), { code: 'DG_CLI_USAGE' }, 'no --key')
  await t.rejects(cli(['--out', dir, '--key', recipient.key]), { code: 'DG_CLI_USAGE' }, 'no input')
  await t.rejects(cli(['-', '--out', dir, '--key', recipient.key]), { code: 'DG_CLI_USAGE' }, 'standard input to a folder')
  await t.rejects(cli([CT, MR, '--out', '-', '--key', recipient.key]), { code: 'DG_CLI_USAGE' }, 'two inputs to standard output')
  await t.rejects(cli([CT, '--out', dir, '--key', recipient.key, '--bogus']), { code: 'DG_CLI_USAGE' }, 'unknown option')
  await t.rejects(cli([join(dir, 'missing.dcm'), '--out', join(dir, 'out'), '--key', recipient.key]), { code: 'DG_CLI_USAGE' }, 'missing input')
  await t.rejects(cli([CT, '--out', dir, '--key', join(dir, 'missing.pem')]), { code: 'DG_KEY_INVALID' }, 'missing key file')
  chmodSync(recipient.key, 0o644)
  await t.rejects(cli([CT, '--out', dir, '--key', recipient.key]), { code: 'DG_KEY_INVALID' }, 'a key readable by others is refused')
  t.match((await cli(['--help'])).stdout.toString(), /^Usage: dicomgate reidentify/)
})
