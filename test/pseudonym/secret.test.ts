/**
 * The secret file (src/pseudonym/secret.ts): created 0600 and atomically, reused, refused
 * when short, too large, not a file, or readable by others.
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import {
  CREATED_SECRET_BYTES, MAX_SECRET_BYTES, createdSecretNotice, defaultSecretPath, loadOrCreateSecret, loadSecret
} from '../../src/pseudonym/secret.js'
import { REPO_ROOT } from '../helpers/corpus.js'

const SECRET_INVALID = { code: 'DG_SECRET_INVALID' } as const
const posix = process.platform !== 'win32'
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

function writeSecret (path: string, content: Uint8Array | string, mode = 0o600): void {
  writeFileSync(path, content, { mode })
  chmodSync(path, mode) // writeFileSync's mode is filtered by the umask
}

t.test('loadOrCreateSecret creates a 32-byte secret, mode 0600, in a 0700 directory', async (t) => {
  const dir = t.testdir()
  const path = join(dir, 'config', 'dicomgate', 'secret')
  const notices: string[] = []
  const first = await loadOrCreateSecret(path, { onCreate: (p) => notices.push(p) })
  t.equal(first.created, true)
  t.equal(first.secret.byteLength, CREATED_SECRET_BYTES)
  t.same(notices, [path], 'onCreate is told where')
  t.equal(hex(readFileSync(path)), hex(first.secret), 'the file holds the secret, as raw bytes')
  if (posix) {
    t.equal(statSync(path).mode & 0o777, 0o600, 'file mode 0600')
    t.equal(statSync(join(dir, 'config', 'dicomgate')).mode & 0o777, 0o700, 'directory mode 0700')
  }
  t.same(readdirSync(join(dir, 'config', 'dicomgate')), ['secret'], 'no temporary file left behind')

  const again = await loadOrCreateSecret(path, { onCreate: (p) => notices.push(p) })
  t.equal(again.created, false)
  t.equal(hex(again.secret), hex(first.secret), 'the same secret is reused')
  t.equal(notices.length, 1, 'onCreate only on creation')
  t.equal(hex(await loadSecret(path)), hex(first.secret))

  const other = await loadOrCreateSecret(join(dir, 'other'))
  t.not(hex(other.secret), hex(first.secret), 'random')
  t.match(createdSecretNotice(path), path)
  t.match(createdSecretNotice(path), /keep it/)
})

t.test('concurrent creation: one secret wins, every caller gets it', async (t) => {
  const path = join(t.testdir(), 'secret')
  const results = await Promise.all(Array.from({ length: 8 }, async () => await loadOrCreateSecret(path)))
  t.equal(new Set(results.map((r) => hex(r.secret))).size, 1, 'the same secret for all')
  t.equal(results.filter((r) => r.created).length, 1, 'created once')
  t.equal(hex(readFileSync(path)), hex(results[0]?.secret ?? new Uint8Array()))
  t.same(readdirSync(join(path, '..')), ['secret'], 'no temporary files left behind')
})

t.test('concurrent creation across processes', async (t) => {
  const path = join(t.testdir(), 'secret')
  const script = `import { loadOrCreateSecret } from ${JSON.stringify(join(REPO_ROOT, 'src', 'pseudonym', 'secret.ts'))}
const { secret, created } = await loadOrCreateSecret(process.argv[1])
process.stdout.write(Buffer.from(secret).toString('hex') + ' ' + created)`
  const run = async (): Promise<string> => await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path], { cwd: REPO_ROOT })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`child exited with ${code}`))
    })
  })
  const outputs = await Promise.all([run(), run(), run(), run()])
  t.equal(new Set(outputs.map((o) => o.split(' ')[0])).size, 1, 'one secret for every process')
  t.equal(outputs.filter((o) => o.endsWith('true')).length, 1, 'one process created it')
  t.equal(outputs[0]?.split(' ')[0], hex(readFileSync(path)))
})

t.test('loadSecret refuses what is not a good secret', async (t) => {
  const dir = t.testdir()
  const missing = join(dir, 'missing')
  const error = await t.rejects(loadSecret(missing), SECRET_INVALID)
  t.match(error, { message: missing }, 'names the file (paths are not PHI)')

  const short = join(dir, 'short')
  writeSecret(short, new Uint8Array(31).fill(1))
  await t.rejects(loadSecret(short), SECRET_INVALID, '31 bytes')
  await t.rejects(loadOrCreateSecret(short), SECRET_INVALID, 'a short file is not replaced')
  t.equal(readFileSync(short).length, 31, 'and stays as it was')

  const exact = join(dir, 'exact')
  writeSecret(exact, new Uint8Array(32).fill(2))
  t.equal((await loadSecret(exact)).byteLength, 32)

  const text = join(dir, 'text')
  const content = `${'ab'.repeat(32)}\n`
  writeSecret(text, content)
  t.equal(Buffer.from(await loadSecret(text)).toString('latin1'), content, 'raw bytes as they are: no decoding, no trimming')

  const large = join(dir, 'large')
  writeSecret(large, new Uint8Array(MAX_SECRET_BYTES + 1))
  await t.rejects(loadSecret(large), SECRET_INVALID, 'too large to be a secret')
  writeSecret(large, new Uint8Array(MAX_SECRET_BYTES))
  t.equal((await loadSecret(large)).byteLength, MAX_SECRET_BYTES)

  const directory = join(dir, 'directory')
  mkdirSync(directory, { mode: 0o700 })
  await t.rejects(loadSecret(directory), SECRET_INVALID, 'a directory')
  await t.rejects(loadOrCreateSecret(directory), SECRET_INVALID)
})

t.test('loadSecret refuses a secret readable by group or others', { skip: posix ? false : 'no POSIX modes on Windows' }, async (t) => {
  const dir = t.testdir()
  for (const mode of [0o640, 0o604, 0o644, 0o660, 0o602, 0o610]) {
    const path = join(dir, `mode-${mode.toString(8)}`)
    writeSecret(path, new Uint8Array(32).fill(3), mode)
    const error = await t.rejects(loadSecret(path), SECRET_INVALID, `mode ${mode.toString(8)}`)
    t.match(error, { message: `chmod 600 ${path}` }, 'says what to do')
    await t.rejects(loadOrCreateSecret(path), SECRET_INVALID, 'loadOrCreateSecret neither uses nor replaces it')
    t.equal(statSync(path).mode & 0o777, mode, 'and leaves it alone')
  }
  const owner = join(dir, 'owner-only')
  writeSecret(owner, new Uint8Array(32).fill(4), 0o400)
  t.equal((await loadSecret(owner)).byteLength, 32, '0400 is fine')
})

t.test('defaultSecretPath', async (t) => {
  t.equal(defaultSecretPath({ DICOMGATE_SECRET_FILE: '/etc/dg/secret', XDG_CONFIG_HOME: '/x', HOME: '/h' }), '/etc/dg/secret')
  t.equal(defaultSecretPath({ DICOMGATE_SECRET_FILE: '', XDG_CONFIG_HOME: '/x', HOME: '/h' }), join('/x', 'dicomgate', 'secret'))
  t.equal(defaultSecretPath({ XDG_CONFIG_HOME: 'relative', HOME: '/h' }), join('/h', '.config', 'dicomgate', 'secret'),
    'XDG Base Directory: a relative path is ignored')
  t.equal(defaultSecretPath({ HOME: '/h' }), join('/h', '.config', 'dicomgate', 'secret'))
  t.match(defaultSecretPath({}), /dicomgate[\\/]secret$/, 'falls back to os.homedir()')
  t.type(defaultSecretPath(), 'string')
})
