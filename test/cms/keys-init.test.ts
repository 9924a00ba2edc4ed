/**
 * `dicomgate keys init` (src/cli/keys.ts), run in-process: the three files with their
 * modes, a certificate OpenSSL reads and that matches the key, what it prints, and a
 * second run that refuses and changes nothing.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../../src/cli/main.js'
import { decryptEnveloped, encryptEnveloped } from '../../src/cms/enveloped.js'
import { loadCertificate, loadPrivateKey } from '../../src/cms/keys.js'
import { deriveKeys } from '../../src/pseudonym/keys.js'
import { loadSecret } from '../../src/pseudonym/secret.js'
import { OPENSSL_SKIP } from '../helpers/cms-recipients.js'
import { runCli } from '../helpers/cli.js'

const posix = process.platform !== 'win32'

async function cli (args: string[]): Promise<{ code: number | undefined, stdout: string, stderr: string }> {
  const run = await runCli(args)
  return { ...run, stdout: run.stdout.toString('utf8') }
}

function openssl (args: readonly string[]): string {
  const run = spawnSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (run.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${run.stderr.toString()}`)
  return run.stdout.toString('utf8')
}

/** Names, bytes and modification times: what "changes nothing" compares. */
function snapshot (dir: string): string {
  return readdirSync(dir).sort().map((name) => {
    const path = join(dir, name)
    return `${name} ${statSync(path).mtimeMs} ${statSync(path).mode.toString(8)} ${readFileSync(path).toString('hex')}`
  }).join('\n')
}

t.test('keys init creates the secret, the key and the certificate', async (t) => {
  const dir = join(t.testdir(), 'certs')
  const r = await cli(['keys', 'init', '--dir', dir])
  t.equal(r.code, EXIT_OK, r.stderr)
  t.equal(r.stderr, '')
  const secretPath = join(dir, 'pseudonym.key')
  const keyPath = join(dir, 'recipient.key')
  const certificatePath = join(dir, 'recipient.crt')
  t.same(readdirSync(dir).sort(), ['pseudonym.key', 'recipient.crt', 'recipient.key'], 'the three files, no temporary left')
  if (posix) {
    t.equal(statSync(dir).mode & 0o777, 0o700, 'folder 0700')
    t.equal(statSync(secretPath).mode & 0o777, 0o600, 'secret 0600')
    t.equal(statSync(keyPath).mode & 0o777, 0o600, 'private key 0600')
    t.equal(statSync(certificatePath).mode & 0o777, 0o644, 'certificate 0644')
  }

  const secret = await loadSecret(secretPath)
  t.equal(secret.byteLength, 32)
  const certificate = await loadCertificate(certificatePath)
  const key = await loadPrivateKey(keyPath, certificate)
  t.equal(certificate.modulusBits, 3072)
  const content = Buffer.from('the originals')
  t.same(Buffer.from(decryptEnveloped(encryptEnveloped(content, [certificate]), key)), content, 'the pair works')

  t.match(r.stdout, new RegExp(`^created ${escape(secretPath)}: pseudonymization secret, key id ${deriveKeys(secret).fingerprint}$`, 'm'))
  t.match(r.stdout, /keep it private and back it up/)
  t.match(r.stdout, new RegExp(`^created ${escape(keyPath)}: re-identification private key \\(RSA 3072\\)$`, 'm'))
  t.match(r.stdout, /give it only to the honest broker/)
  t.match(r.stdout, new RegExp(`^created ${escape(certificatePath)}: recipient certificate, SHA-256 fingerprint ${certificate.fingerprint256}$`, 'm'))
  t.match(r.stdout, /encrypt the original values to it/)
  t.notMatch(r.stdout, Buffer.from(secret).toString('hex'), 'the secret itself is not printed')

  t.test('openssl reads the certificate, and it is the key\'s', { skip: OPENSSL_SKIP }, async (t) => {
    const text = openssl(['x509', '-noout', '-text', '-in', certificatePath])
    t.match(text, /Version: 3 \(0x2\)/)
    t.match(text, /Signature Algorithm: sha256WithRSAEncryption/)
    t.match(text, /Issuer: CN = dicomgate re-identification recipient/)
    t.match(text, /Subject: CN = dicomgate re-identification recipient/)
    t.match(text, /Public-Key: \(3072 bit\)/)
    t.match(text, /X509v3 Key Usage: critical\s+Key Encipherment\n/)
    t.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/)
    const serial = /Serial Number:\s+([0-9a-f:]+)/.exec(text)?.[1] ?? ''
    t.ok(serial.split(':').length >= 15, 'a random serial of about 16 bytes')
    const notBefore = new Date(/Not Before: (.+)/.exec(text)?.[1] ?? '')
    const notAfter = new Date(/Not After : (.+)/.exec(text)?.[1] ?? '')
    t.ok(notAfter.getUTCFullYear() - notBefore.getUTCFullYear() === 10, 'valid 10 years')
    t.equal(openssl(['x509', '-noout', '-pubkey', '-in', certificatePath]), openssl(['pkey', '-pubout', '-in', keyPath]), 'the certificate holds the key\'s public key')
    t.equal(openssl(['x509', '-noout', '-fingerprint', '-sha256', '-in', certificatePath]).trim().split('=')[1], certificate.fingerprint256, 'the printed fingerprint is openssl\'s')
    t.match(openssl(['verify', '-CAfile', certificatePath, certificatePath]), /: OK/, 'self-signed, the signature verifies')
  })

  t.test('a second run refuses and changes nothing', async (t) => {
    const before = snapshot(dir)
    const again = await cli(['keys', 'init', '--dir', dir])
    t.equal(again.code, EXIT_FAILURE)
    t.equal(again.stdout, '')
    t.match(again.stderr, /^dicomgate: DG_KEY_EXISTS: .*pseudonym\.key already exists; nothing was created/)
    t.equal(snapshot(dir), before)
  })
})

t.test('one existing file: it is named, and nothing else is created', async (t) => {
  for (const name of ['pseudonym.key', 'recipient.key', 'recipient.crt']) {
    const dir = join(t.testdir(), name)
    mkdirSync(dir)
    writeFileSync(join(dir, name), 'old', { mode: 0o600 })
    const before = snapshot(dir)
    const r = await cli(['keys', 'init', '--dir', dir])
    t.equal(r.code, EXIT_FAILURE, name)
    t.match(r.stderr, new RegExp(`DG_KEY_EXISTS: .*${escape(name)} already exists`))
    t.equal(snapshot(dir), before, `${name}: the folder is as it was`)
  }
})

t.test('usage', async (t) => {
  for (const args of [['keys'], ['keys', 'make'], ['keys', 'init', 'extra'], ['keys', 'init', '--dir'], ['keys', 'init', '--dir', ''], ['keys', 'init', '--force']]) {
    const r = await cli(args)
    t.equal(r.code, EXIT_USAGE, args.join(' '))
    t.match(r.stderr, /DG_CLI_USAGE/)
  }
  const help = await cli(['keys', '--help'])
  t.equal(help.code, EXIT_OK)
  t.match(help.stdout, /^Usage: dicomgate keys init \[--dir DIR\]/)
  t.match(help.stdout, /default: certs/)
  t.equal((await cli(['help', 'keys'])).stdout, help.stdout)
  t.match((await cli(['--help'])).stdout, /^ {2}keys +create the pseudonymization secret/m)
})

function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
