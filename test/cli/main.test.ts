/**
 * The command line, run in-process with injected standard streams: routing, help and
 * version, exit statuses, `dump` and `dump --json` on files and stdin, errors without PHI,
 * backpressure and a closed stdout. One test spawns the published entry point when dist/
 * has been built (`npm run build`, which `npm test` runs first).
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough, Readable, Writable } from 'node:stream'
import t from 'tap'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main, type CliIO } from '../../src/cli/main.js'
import { toDicomJson } from '../../src/dicom/json.js'
import { readTokens } from '../../src/dicom/stream.js'
import { FIXTURES_DIR, REPO_ROOT } from '../helpers/corpus.js'

const CT = join(FIXTURES_DIR, 'pydicom', 'CT_small.dcm')
const TRUNCATED = join(FIXTURES_DIR, 'pydicom', 'MR_truncated.dcm')
const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

function collect (stream: PassThrough): () => string {
  const chunks: Buffer[] = []
  stream.on('data', (c: Buffer) => { chunks.push(c) })
  return () => Buffer.concat(chunks).toString('utf8')
}

async function cli (args: string[], stdin: Readable = Readable.from([])): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const out = collect(stdout)
  const err = collect(stderr)
  const io: CliIO = { stdin, stdout, stderr }
  const code = await main(args, io)
  return { code, stdout: out(), stderr: err() }
}

t.test('help and version', async (t) => {
  for (const args of [[], ['--help'], ['-h'], ['help']]) {
    const r = await cli(args)
    t.equal(r.code, EXIT_OK, `${args.join(' ') || '(no arguments)'}: exit 0`)
    t.match(r.stdout, /^dicomgate .*\n\nUsage: dicomgate <command>/, 'general help')
    t.match(r.stdout, /\n {2}dump +print a DICOM file/, 'lists dump')
    t.notMatch(r.stdout, /\n {2}(start|certs|token)\b/, 'lists only commands that exist')
  }
  // Every command the help lists has its own help.
  const listed = [...(await cli([])).stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1] as string)
  t.same(listed, ['deid', 'dump', 'keys', 'lookup', 'profile', 'reidentify'], 'the commands, in order')
  for (const name of listed) {
    const r = await cli(['help', name])
    t.equal(r.code, EXIT_OK, `help ${name}`)
    t.match(r.stdout, new RegExp(`^Usage: dicomgate ${name}`), `help ${name} is its usage`)
    const wide = r.stdout.split('\n').filter((line) => line.length > 80)
    t.same(wide, [], `help ${name} fits a terminal of 80 columns`)
  }
  for (const args of [['--version'], ['-V']]) {
    const r = await cli(args)
    t.equal(r.stdout, `${PACKAGE_VERSION}\n`, `${args[0] ?? ''}: the version from package.json`)
  }
  const dumpHelp = await cli(['help', 'dump'])
  t.equal(dumpHelp.code, EXIT_OK)
  t.match(dumpHelp.stdout, /^Usage: dicomgate dump \[options\] FILE/)
  t.equal((await cli(['dump', '--help'])).stdout, dumpHelp.stdout, 'dump --help is the same text')
})

t.test('usage errors exit 2 with DG_CLI_USAGE', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /no command "frobnicate"/],
    [['help', 'frobnicate'], /no command "frobnicate"/],
    [['--frob'], /unknown option --frob/],
    [['dump'], /dump takes one FILE/],
    [['dump', 'a', 'b'], /dump takes one FILE/],
    [['dump', '--frob', CT], /Unknown option '--frob'/],
    [['dump', '--include-meta', CT], /--include-meta applies to --json only/]
  ]
  for (const [args, message] of cases) {
    const r = await cli(args)
    t.equal(r.code, EXIT_USAGE, `${args.join(' ')}: exit 2`)
    t.match(r.stderr, /^dicomgate: DG_CLI_USAGE: /)
    t.match(r.stderr, message)
    t.equal(r.stdout, '', 'nothing on stdout')
  }
})

t.test('dump FILE and dump - (stdin)', async (t) => {
  const r = await cli(['dump', CT])
  t.equal(r.code, EXIT_OK)
  t.equal(r.stderr, '')
  const lines = r.stdout.split('\n')
  t.equal(lines[0], '# Preamble: 128 bytes, then "DICM" (PS3.10 §7.1)')
  t.ok(lines.includes('# Dataset: Explicit VR Little Endian (1.2.840.10008.1.2.1)'))
  t.ok(lines.some((l) => /^\(0010,0010\) PN \[.*\] +# +\d+, 1 PatientName$/.test(l)), 'an element line')
  t.equal(lines[lines.length - 1], '', 'ends with a newline')

  const fromStdin = await cli(['dump', '-'], Readable.from([readFileSync(CT)]))
  t.equal(fromStdin.stdout, r.stdout, 'stdin gives the same dump')
})

t.test('dump --json prints the DICOM JSON model', async (t) => {
  const bytes = readFileSync(CT)
  const r = await cli(['dump', '--json', CT])
  t.equal(r.code, EXIT_OK)
  const printed = JSON.parse(r.stdout) as Record<string, { vr: string, BulkDataURI?: string }>
  t.same(printed, toDicomJson(readTokens(bytes)), 'the same as toDicomJson')
  t.same(printed['7FE00010'], { vr: 'OW', BulkDataURI: 'bulkdata:7FE00010' }, 'pixel data over 1 KiB is a placeholder')
  t.notOk(Object.keys(printed).some((k) => k.startsWith('0002')), 'no file meta by default')
  const keys = Object.keys(JSON.parse(r.stdout) as object)
  t.same(keys, [...keys].sort(), 'attributes in ascending order')

  const withMeta = JSON.parse((await cli(['dump', '--json', '--include-meta', '-'], Readable.from([bytes]))).stdout) as Record<string, unknown>
  t.ok('00020010' in withMeta, '--include-meta adds group 0002')
})

t.test('bad input: exit 1, the code on stderr, no PHI', async (t) => {
  const r = await cli(['dump', TRUNCATED])
  t.equal(r.code, EXIT_FAILURE)
  t.match(r.stderr, /^dicomgate: DG_DICOM_TRUNCATED: .*\n$/)
  const lines = r.stdout.trimEnd().split('\n')
  t.ok(lines.length > 10, 'what was read is printed')
  t.equal(lines[lines.length - 1], '# dicomgate: the dump stopped at an error (DG_DICOM_TRUNCATED): what is above is incomplete', 'a partial dump says so at its end')
  const name = /PatientName/.test(r.stdout) ? (/\(0010,0010\) PN \[([^\]]*)\]/.exec(r.stdout)?.[1] ?? '') : ''
  t.ok(name !== '', 'the file has a patient name')
  t.notOk(r.stderr.includes(name), 'the error message does not carry it')

  const json = await cli(['dump', '--json', TRUNCATED])
  t.equal(json.code, EXIT_FAILURE)
  t.equal(json.stdout, '', '--json prints nothing unless the whole input was read')
  t.match(json.stderr, /^dicomgate: DG_DICOM_TRUNCATED: /)

  const notDicom = await cli(['dump', '-'], Readable.from([Buffer.from('hello, this is not DICOM at all, not even close to it')]))
  t.equal(notDicom.code, EXIT_FAILURE)
  t.match(notDicom.stderr, /^dicomgate: DG_DICOM_NOT_DICOM: /)
})

t.test('a file that cannot be read: DG_IO, without the path', async (t) => {
  const path = join(FIXTURES_DIR, 'no-such-patient-name.dcm')
  const r = await cli(['dump', path])
  t.equal(r.code, EXIT_FAILURE)
  t.equal(r.stderr, 'dicomgate: DG_IO: cannot read the input (ENOENT)\n')
  t.equal(r.stdout, '', 'no "incomplete" line when nothing was printed')
  const dir = await cli(['dump', FIXTURES_DIR])
  t.match(dir.stderr, /^dicomgate: DG_IO: cannot read the input \(EISDIR\)/)
})

t.test('backpressure: a slow stdout gets everything, in order', async (t) => {
  const expected = (await cli(['dump', CT])).stdout
  const chunks: Buffer[] = []
  let writes = 0
  const slow = new Writable({
    highWaterMark: 16,
    write (chunk: Buffer, _encoding, done) {
      chunks.push(chunk)
      writes++
      setTimeout(done, 1)
    }
  })
  const stderr = new PassThrough()
  const code = await main(['dump', CT], { stdin: Readable.from([]), stdout: slow, stderr })
  await new Promise<void>((resolve) => { slow.end(resolve) })
  t.equal(code, EXIT_OK)
  t.equal(Buffer.concat(chunks).toString('utf8'), expected)
  t.ok(writes >= 1)
})

t.test('a closed stdout (EPIPE, as with | head) ends the dump quietly', async (t) => {
  let writes = 0
  const closed = new Writable({
    highWaterMark: 1,
    write (_chunk, _encoding, done) {
      writes++
      done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))
    }
  })
  const stderr = new PassThrough()
  const err = collect(stderr)
  // A large streamed input: the dump must stop reading, not run to the end.
  const bytes = readFileSync(CT)
  const code = await main(['dump', '-'], { stdin: Readable.from([bytes]), stdout: closed, stderr })
  t.equal(code, EXIT_OK)
  t.equal(err(), '')
  t.ok(writes >= 1)
})

const BIN = join(REPO_ROOT, 'bin', 'dicomgate.js')
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'cli', 'main.js'))

t.test('the published entry point (node bin/dicomgate.js)', { skip: BUILT ? false : 'dist/ not built: run `npm run build` (npm test does) to spawn bin/dicomgate.js' }, async (t) => {
  const version = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8' })
  t.equal(version.status, 0)
  t.equal(version.stdout, `${PACKAGE_VERSION}\n`)
  const dump = spawnSync(process.execPath, [BIN, 'dump', '--json', CT], { encoding: 'utf8', maxBuffer: 1 << 26 })
  t.equal(dump.status, 0)
  t.same(JSON.parse(dump.stdout), toDicomJson(readTokens(readFileSync(CT))))
  const bad = spawnSync(process.execPath, [BIN, 'dump', TRUNCATED], { encoding: 'utf8', maxBuffer: 1 << 26 })
  t.equal(bad.status, 1)
  t.match(bad.stderr, /^dicomgate: DG_DICOM_TRUNCATED: /)
  const usage = spawnSync(process.execPath, [BIN, 'dump'], { encoding: 'utf8' })
  t.equal(usage.status, 2)
  const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" dump "${CT}" | head -n 1`], { encoding: 'utf8' })
  t.equal(piped.stdout, '# Preamble: 128 bytes, then "DICM" (PS3.10 §7.1)\n', '| head works')
  t.equal(piped.stderr, '', 'no EPIPE noise')
})
