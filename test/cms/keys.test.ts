/**
 * Certificate and private key loading (src/cms/keys.ts): PEM files made in the test; a
 * private key readable by others, a key of another kind or size, a key that is not the
 * certificate's, and a certificate not meant for encryption are refused with DG_KEY_INVALID.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { certificateFromPem, loadCertificate, loadPrivateKey, privateKeyFromPem } from '../../src/cms/keys.js'
import { OPENSSL_SKIP, makeRecipient } from '../helpers/cms-recipients.js'

const KEY_INVALID = { code: 'DG_KEY_INVALID' } as const
const posix = process.platform !== 'win32'

function openssl (args: readonly string[]): void {
  const run = spawnSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  if (run.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${run.stderr.toString()}`)
}

t.test('loadCertificate and loadPrivateKey read what createRecipient makes', async (t) => {
  const dir = t.testdir()
  const r = await makeRecipient(dir, 'r')
  const certificate = await loadCertificate(r.certificatePath)
  t.equal(certificate.fingerprint256, r.certificate.fingerprint256)
  t.equal(certificate.modulusBits, 2048)
  t.ok(Object.isFrozen(certificate))
  t.ok(certificate.subjectKeyIdentifier !== undefined && certificate.subjectKeyIdentifier.byteLength === 20, 'SKI: SHA-1 of the key')
  const key = await loadPrivateKey(r.keyPath, certificate)
  t.equal(key.modulusBytes, 256)
  t.equal(key.certificate, certificate)
  t.equal((await loadPrivateKey(r.keyPath)).certificate, undefined)
  t.notMatch(JSON.stringify(key), /PRIVATE|BEGIN/, 'the key does not serialize its material')

  const der = Buffer.from(readFileSync(r.certificatePath, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64')
  writeFileSync(join(dir, 'r.der'), der)
  t.equal((await loadCertificate(join(dir, 'r.der'))).fingerprint256, certificate.fingerprint256, 'a DER certificate file too')
})

t.test('a private key file readable by group or others is refused before it is read', { skip: posix ? false : 'no POSIX modes on Windows' }, async (t) => {
  const dir = t.testdir()
  const r = await makeRecipient(dir, 'r')
  for (const mode of [0o644, 0o640, 0o604, 0o620]) {
    chmodSync(r.keyPath, mode)
    await t.rejects(loadPrivateKey(r.keyPath), { code: 'DG_KEY_INVALID', message: new RegExp(`mode 0${mode.toString(8)}.*chmod 600`) }, mode.toString(8))
  }
  chmodSync(r.keyPath, 0o400)
  t.ok(await loadPrivateKey(r.keyPath), '0400 is fine')
  chmodSync(r.certificatePath, 0o644)
  t.ok(await loadCertificate(r.certificatePath), 'a certificate is public: 0644 is fine')
})

t.test('missing, empty, wrong and mismatched files', async (t) => {
  const dir = t.testdir({ 'empty.pem': '', 'text.pem': 'hello\n' })
  chmodSync(join(dir, 'empty.pem'), 0o600)
  chmodSync(join(dir, 'text.pem'), 0o600)
  const alice = await makeRecipient(dir, 'alice')
  const bob = await makeRecipient(dir, 'bob')
  await t.rejects(loadCertificate(join(dir, 'none.crt')), { code: 'DG_KEY_INVALID', message: /none\.crt does not exist/ })
  await t.rejects(loadPrivateKey(join(dir, 'none.key')), { code: 'DG_KEY_INVALID', message: /none\.key does not exist/ })
  await t.rejects(loadPrivateKey(dir), KEY_INVALID, 'a folder')
  await t.rejects(loadCertificate(join(dir, 'empty.pem')), KEY_INVALID)
  await t.rejects(loadPrivateKey(join(dir, 'text.pem')), KEY_INVALID)
  await t.rejects(loadCertificate(alice.keyPath), KEY_INVALID, 'a key where a certificate belongs')
  await t.rejects(loadPrivateKey(alice.certificatePath), KEY_INVALID, 'a certificate where a key belongs')
  await t.rejects(loadPrivateKey(alice.keyPath, bob.certificate), { code: 'DG_KEY_INVALID', message: /does not belong to the certificate/ })
})

t.test('keys and certificates that cannot be used', { skip: OPENSSL_SKIP }, async (t) => {
  const dir = t.testdir()
  const at = (name: string): string => join(dir, name)
  // EC: no RSA key transport.
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('ec.key'), '-out', at('ec.crt'), '-subj', '/CN=ec', '-days', '1'])
  t.throws(() => certificateFromPem(readFileSync(at('ec.crt'), 'utf8')), { code: 'DG_KEY_INVALID', message: /ec key; RSA key transport needs an RSA certificate/ })
  t.throws(() => privateKeyFromPem(readFileSync(at('ec.key'), 'utf8')), { code: 'DG_KEY_INVALID', message: /ec key/ })
  // RSA 1024: too weak to encrypt to.
  openssl(['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-keyout', at('small.key'), '-out', at('small.crt'), '-subj', '/CN=small', '-days', '1'])
  t.throws(() => certificateFromPem(readFileSync(at('small.crt'), 'utf8')), { code: 'DG_KEY_INVALID', message: /1024-bit RSA key; at least 2048/ })
  // keyUsage without keyEncipherment: a signing certificate (RFC 5280 §4.2.1.3).
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('sign.key'), '-out', at('sign.crt'), '-subj', '/CN=sign', '-days', '1', '-addext', 'keyUsage=critical,digitalSignature'])
  t.throws(() => certificateFromPem(readFileSync(at('sign.crt'), 'utf8')), { code: 'DG_KEY_INVALID', message: /without keyEncipherment/ })
  // A passphrase-protected key.
  openssl(['pkey', '-in', at('sign.key'), '-aes256', '-passout', 'pass:secret', '-out', at('locked.key')])
  t.throws(() => privateKeyFromPem(readFileSync(at('locked.key'), 'utf8')), { code: 'DG_KEY_INVALID', message: /passphrase/ }, 'PKCS#8')
  openssl(['pkey', '-in', at('sign.key'), '-traditional', '-aes256', '-passout', 'pass:secret', '-out', at('locked1.key')])
  t.throws(() => privateKeyFromPem(readFileSync(at('locked1.key'), 'utf8')), { code: 'DG_KEY_INVALID', message: /passphrase/ }, 'PKCS#1, Proc-Type')
  // PKCS#1 ("RSA PRIVATE KEY") and an openssl certificate without extensions are fine.
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('plain.key'), '-out', at('plain.crt'), '-subj', '/CN=plain', '-days', '1'])
  openssl(['pkey', '-in', at('plain.key'), '-traditional', '-out', at('pkcs1.key')])
  t.match(readFileSync(at('pkcs1.key'), 'utf8'), /BEGIN RSA PRIVATE KEY/)
  const plain = certificateFromPem(readFileSync(at('plain.crt'), 'utf8'))
  t.equal(privateKeyFromPem(readFileSync(at('pkcs1.key'), 'utf8'), plain).modulusBytes, 256)
})
