/**
 * `dicomgate deid`, in-process: files and folders (structure kept, worker threads), stdin to
 * stdout, the summary and exit statuses, rejected inputs without output files, the secret
 * file created with mode 0600, and usage errors.
 */
import { Buffer } from 'node:buffer'
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/main.js'
import { readTokens } from '../../src/dicom/stream.js'
import { FIXTURES_DIR } from '../helpers/corpus.js'
import { runCli, tempDir } from '../helpers/cli.js'

const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const MR = join(FIXTURES_DIR, 'pydicom', 'MR_small_implicit.dcm')
const SC = join(FIXTURES_DIR, 'pydicom', 'SC_rgb_jpeg_dcmtk.dcm')
const SR = join(FIXTURES_DIR, 'dcmjs', 'sample-sr.dcm')

const cli = runCli

function workdir (t: Test): string {
  const dir = tempDir(t, 'dicomgate-deid-')
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

function patientName (bytes: Buffer): string {
  const token = readTokens(bytes).find((tk) => tk.type === 'element' && tk.tag === 0x00100010)
  return token?.type === 'element' ? Buffer.from(token.value).toString('latin1').replace(/[\0 ]+$/, '') : ''
}

function secretIn (dir: string): string {
  const path = join(dir, 'secret')
  writeFileSync(path, Buffer.alloc(32, 3), { mode: 0o600 })
  return path
}

t.test('a folder: structure kept, rejected files listed, exit 1, no output for them', async (t) => {
  const dir = workdir(t)
  const input = join(dir, 'in')
  mkdirSync(join(input, 'study', 'series'), { recursive: true })
  copyFileSync(CT, join(input, 'study', 'series', 'ct.dcm'))
  copyFileSync(MR, join(input, 'study', 'mr.dcm'))
  copyFileSync(SR, join(input, 'sr.dcm'))
  copyFileSync(SC, join(input, 'study', 'sc.dcm'))
  writeFileSync(join(input, '.DS_Store'), 'not dicom')
  const out = join(dir, 'out')
  const r = await cli(['deid', input, '--out', out, '--secret-file', secretIn(dir), '--threads', '2'])
  t.equal(r.code, EXIT_FAILURE, 'a rejected input makes exit 1')
  t.same(files(out), ['sr.dcm', 'study/mr.dcm', 'study/series/ct.dcm'], 'outputs mirror the input tree; no file for the rejected one; hidden files skipped')
  t.match(r.stderr, /3 of 4 files de-identified, 1 rejected/)
  t.match(r.stderr, /study\/sc\.dcm: DG_DEID_REJECTED_SOP_CLASS/)
  for (const file of [SC, CT, MR, SR]) {
    const name = patientName(readFileSync(file))
    if (name.length >= 3) t.notOk(r.stderr.includes(name), 'the summary carries no patient name')
  }
  for (const f of files(out)) t.doesNotThrow(() => readTokens(readFileSync(join(out, f))), `${f} parses`)
  t.notMatch(readFileSync(join(out, 'study/series/ct.dcm')).toString('latin1'), /CompressedSamples\^CT1/, 'the patient name is gone')
})

t.test('all done: exit 0; the same secret gives the same output in one thread or two', async (t) => {
  const dir = workdir(t)
  const input = join(dir, 'in')
  mkdirSync(input)
  copyFileSync(CT, join(input, 'a.dcm'))
  copyFileSync(MR, join(input, 'b.dcm'))
  const secret = secretIn(dir)
  const one = await cli(['deid', input, '--out', join(dir, 'one'), '--secret-file', secret, '--threads', '1', '--profile', 'research'])
  const two = await cli(['deid', input, '--out', join(dir, 'two'), '--secret-file', secret, '--threads', '2', '--profile', 'research'])
  t.equal(one.code, EXIT_OK)
  t.equal(two.code, EXIT_OK)
  for (const f of ['a.dcm', 'b.dcm']) t.ok(readFileSync(join(dir, 'one', f)).equals(readFileSync(join(dir, 'two', f))), `${f} identical`)
  t.match(one.stderr, /2 of 2 files de-identified, 0 rejected; .* \(profile research\)/)
})

t.test('standard input to standard output', async (t) => {
  const dir = workdir(t)
  const r = await cli(['deid', '-', '--out', '-', '--secret-file', secretIn(dir)], Readable.from([readFileSync(CT)]))
  t.equal(r.code, EXIT_OK)
  t.ok(r.stdout.length > 128 && r.stdout.subarray(128, 132).toString('latin1') === 'DICM', 'a Part 10 file on stdout')
  t.doesNotThrow(() => readTokens(r.stdout))
})

t.test('a missing secret file is created with mode 0600 and a notice', async (t) => {
  const dir = workdir(t)
  const secret = join(dir, 'keys', 'secret')
  const r = await cli(['deid', CT, '--out', join(dir, 'out'), '--secret-file', secret])
  t.equal(r.code, EXIT_OK)
  t.equal(statSync(secret).mode & 0o777, 0o600)
  t.match(r.stderr, /secret/)
  t.equal(statSync(join(dir, 'out', 'CT_small.dcm')).isFile(), true)
})

t.test('usage errors', async (t) => {
  const dir = workdir(t)
  const cases: string[][] = [
    ['deid'],
    ['deid', CT],
    ['deid', '-', '--out', join(dir, 'x')],
    ['deid', CT, MR, '--out', '-'],
    ['deid', CT, '--out', dir, '--threads', '0'],
    ['deid', join(dir, 'nope.dcm'), '--out', dir]
  ]
  for (const args of cases) {
    const r = await cli(args)
    t.equal(r.code, EXIT_USAGE, args.slice(1).map((a) => relative(dir, a) || a).join(' '))
  }
  const bad = await cli(['deid', CT, '--out', join(dir, 'out'), '--profile', 'no-such-profile', '--secret-file', secretIn(dir)])
  t.equal(bad.code, EXIT_FAILURE, 'an unknown profile stops before any file is read')
  t.match(bad.stderr, /DG_PROFILE_NOT_FOUND/)
})
