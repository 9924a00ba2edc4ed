/**
 * `dicomgate profile list` and `dicomgate profile show`, run in-process with injected
 * streams; one test spawns the published entry point when dist/ has been built, which
 * checks that the compiled code finds profiles/ from dist/.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import t from 'tap'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main } from '../../src/cli/main.js'
import { REPO_ROOT } from '../helpers/corpus.js'
import { runCli } from '../helpers/cli.js'

async function cli (args: string[]): Promise<{ code: number | undefined, stdout: string, stderr: string }> {
  const run = await runCli(args)
  return { ...run, stdout: run.stdout.toString('utf8') }
}

t.test('profile list', async (t) => {
  const r = await cli(['profile', 'list'])
  t.equal(r.code, EXIT_OK)
  t.equal(r.stderr, '')
  const lines = r.stdout.trimEnd().split('\n')
  t.same(lines.map((l) => l.split(/\s+/)[0]), ['basic', 'passthrough', 'research', 'safe-harbor', 'strict'])
  t.match(r.stdout, /^research {5}For research data sets/m, 'names aligned, then the first sentence')
})

t.test('profile show basic', async (t) => {
  const r = await cli(['profile', 'show', 'basic'])
  t.equal(r.code, EXIT_OK)
  t.equal(r.stderr, '')
  t.match(r.stdout, /^profile basic: profiles\/basic\.json$/m)
  t.match(r.stdout, /^mode: basic$/m)
  t.match(r.stdout, /^options: none$/m)
  t.match(r.stdout, /^De-identification Method \(0012,0063\): dicomgate basic \(PS3\.15 E\.1-1 basic\)$/m)
  t.match(r.stdout, /^De-identification Method Code Sequence \(0012,0064\): \(113100, DCM, "Basic Application Confidentiality Profile"\)$/m)
  t.match(r.stdout, /^reject burned-in annotation: yes$/m)
  t.match(r.stdout, /^reject SOP classes: EncapsulatedPDFStorage \(1\.2\.840\.10008\.5\.1\.4\.1\.1\.104\.1\), /m)
  t.match(r.stdout, /^\(0010,0010\) +PatientName +empty +Z +E\.1-1 basicProfile$/m)
  t.match(r.stdout, /^\(0008,0018\) +SOPInstanceUID +uid +U +E\.1-1 basicProfile$/m)
  t.match(r.stdout, /^\(0040,A160\) +TextValue +dummy +D +profiles\/basic\.json rules\[0\]$/m)
  t.match(r.stdout, /^\(0000,1000\) +AffectedSOPInstanceUID +remove +X +E\.1-1 basicProfile$/m, 'command elements keep their keyword')
  t.match(r.stdout, /^\(60xx,3000\) +OverlayData +remove +X +E\.1-1 basicProfile$/m)
  t.match(r.stdout, /^\(50xx,xxxx\) +- +remove +X +E\.1-1 basicProfile$/m)
  t.match(r.stdout, /^private attributes \(0 rules; creator elements kept for 0 blocks\):$/m)
  t.match(r.stdout, /^private +without a rule +remove +X +E\.1-1 basicProfile$/m)
  t.match(r.stdout, /^public +in no row or rule +keep +- +default: in no row of Table E\.1-1/m)
})

t.test('profile show research', async (t) => {
  const r = await cli(['profile', 'show', 'research'])
  t.equal(r.code, EXIT_OK)
  t.match(r.stdout, /^profile research: profiles\/research\.json extends profiles\/basic\.json$/m)
  t.match(r.stdout, /^options: retainSafePrivate, retainDeviceIdentity, retainPatientCharacteristics, retainLongitudinalModifiedDates, cleanDescriptors$/m)
  t.match(r.stdout, /^\(0010,0010\) +PatientName +pseudonym +P +profiles\/research\.json rules\[1\] +format ANON\^\{hash:10\}$/m)
  t.match(r.stdout, /^\(0008,0020\) +StudyDate +shift-date +C +E\.1-1 rtnLongModifDatesOpt$/m)
  t.match(r.stdout, /^\(0008,0055\) +StationAETitle +pseudonym +C +E\.1-1 rtnDevIdOpt +format \{hash:16\}$/m)
  t.match(r.stdout, /^\(0016,002B\) +MakerNote +remove +X +E\.1-1 basicProfile +\(cleanDescOpt C does not apply to OB: Basic Profile action\)$/m)
  t.match(r.stdout, /^\(00E1,xx21\) +"ELSCINT1" +keep +- +E\.3\.10-1 safe private +\(DLP\)$/m)
  t.match(r.stdout, /^… 469 more: --all lists them$/m)
  t.match(r.stdout, /^DCM:111018:DATE +shift-date +C +E\.3\.4-1 rtnLongModifDatesOpt +\(Content Date\)$/m)

  const all = await cli(['profile', 'show', '--all', 'research'])
  t.equal(all.code, EXIT_OK)
  t.equal(all.stdout.split('\n').filter((l) => l.includes('E.3.10-1 safe private')).length, 479, '--all lists every private rule')
  t.notMatch(all.stdout, /--all lists them/)
})

t.test('profile show safe-harbor lists its VR rules', async (t) => {
  const r = await cli(['profile', 'show', 'safe-harbor'])
  t.match(r.stdout, /^DA +year +Y +profiles\/safe-harbor\.json rules\[0\]$/m)
  t.match(r.stdout, /^DT +year +Y +profiles\/safe-harbor\.json rules\[1\]$/m)
})

t.test('profile show FILE, and invalid profiles: exit 1 with the code', async (t) => {
  const dir = t.testdir({
    'good.json': JSON.stringify({ name: 'good', extends: 'basic', rules: [{ keyword: 'PatientName', action: 'X' }] }),
    'bad.json': JSON.stringify({ name: 'bad', rules: [{ keyword: 'PatientNmae', action: 'Z' }] })
  })
  const good = await cli(['profile', 'show', join(dir, 'good.json')])
  t.equal(good.code, EXIT_OK)
  t.match(good.stdout, /^\(0010,0010\) +PatientName +remove +X +.*good\.json rules\[0\]$/m)

  const bad = await cli(['profile', 'show', join(dir, 'bad.json')])
  t.equal(bad.code, EXIT_FAILURE)
  t.equal(bad.stdout, '')
  t.match(bad.stderr, /^dicomgate: DG_PROFILE_INVALID: .*bad\.json: rules\[0\]\.keyword "PatientNmae" is not a DICOM keyword \(did you mean "PatientName"\?\)\n$/)

  const missing = await cli(['profile', 'show', 'nope'])
  t.equal(missing.code, EXIT_FAILURE)
  t.match(missing.stderr, /^dicomgate: DG_PROFILE_NOT_FOUND: no profile named "nope"/)
})

t.test('usage errors exit 2', async (t) => {
  for (const [args, message] of [
    [['profile'], /profile needs a subcommand: list or show/],
    [['profile', 'frob'], /profile subcommands are list and show/],
    [['profile', 'show'], /profile show takes one NAME or FILE/],
    [['profile', 'show', 'a', 'b'], /profile show takes one NAME or FILE/],
    [['profile', 'list', 'x'], /profile list takes no arguments/],
    [['profile', 'show', '--frob', 'basic'], /Unknown option '--frob'/]
  ] as const) {
    const r = await cli([...args])
    t.equal(r.code, EXIT_USAGE, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, /^dicomgate: DG_CLI_USAGE: /)
    t.match(r.stderr, message)
  }
})

t.test('help', async (t) => {
  const help = await cli(['help', 'profile'])
  t.equal(help.code, EXIT_OK)
  t.match(help.stdout, /^Usage: dicomgate profile list\n {7}dicomgate profile show \[--all\] NAME\|FILE/)
  t.equal((await cli(['profile', '--help'])).stdout, help.stdout)
  t.match((await cli(['--help'])).stdout, /\n {2}profile +list the de-identification profiles, or show what one compiles to\n/)
})

t.test('a closed stdout (EPIPE) ends the output quietly', async (t) => {
  const closed = new Writable({
    write (_chunk, _encoding, done) { done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) }
  })
  const stderr = new PassThrough()
  const err: Buffer[] = []
  stderr.on('data', (c: Buffer) => { err.push(c) })
  const code = await main(['profile', 'show', 'research'], { stdin: Readable.from([]), stdout: closed, stderr })
  t.equal(code, EXIT_OK)
  t.equal(Buffer.concat(err).toString('utf8'), '')
})

const BIN = join(REPO_ROOT, 'bin', 'dicomgate.js')
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'cli', 'profile.js'))

t.test('the published entry point finds profiles/ from dist/', { skip: BUILT ? false : 'dist/ not built: run `npm run build` (npm test does)' }, async (t) => {
  const r = spawnSync(process.execPath, [BIN, 'profile', 'show', 'research'], { encoding: 'utf8', cwd: '/', maxBuffer: 1 << 24 })
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /^\(0010,0010\) +PatientName +pseudonym +P +profiles\/research\.json rules\[1\]/m)
  const bad = spawnSync(process.execPath, [BIN, 'profile', 'show', 'nope'], { encoding: 'utf8', cwd: '/' })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /^dicomgate: DG_PROFILE_NOT_FOUND: /)
})
