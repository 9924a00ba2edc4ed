/**
 * Interoperability with OpenSSL's CMS: what dicomgate encrypts, `openssl cms -decrypt`
 * decrypts; what `openssl cms -encrypt` writes (every cipher PS3.15 E.1.2 requires a
 * re-identifier to read, streamed BER, a subject key identifier), dicomgate decrypts.
 */
import { Buffer } from 'node:buffer'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { WRITABLE_CIPHERS } from '../../src/cms/algorithms.js'
import { decryptEnveloped, encryptEnveloped } from '../../src/cms/enveloped.js'
import { OPENSSL_SKIP, makeRecipient, type TestRecipient } from '../helpers/cms-recipients.js'

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

function openssl (args: readonly string[]): Buffer {
  const run = spawnSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  if (run.status !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${run.stderr.toString()}`)
  return run.stdout
}

t.test('OpenSSL', { skip: OPENSSL_SKIP }, async (t) => {
  const dir = t.testdir()
  const [alice, bob]: TestRecipient[] = await Promise.all([makeRecipient(dir, 'alice'), makeRecipient(dir, 'bob')])
  if (alice === undefined || bob === undefined) throw new Error('no recipients')
  const content = new Uint8Array(randomBytes(2500))
  const contentPath = join(dir, 'content.bin')
  writeFileSync(contentPath, content)

  t.test('dicomgate encrypts, openssl cms -decrypt decrypts', async (t) => {
    for (const cipher of WRITABLE_CIPHERS) {
      const derPath = join(dir, `ours-${cipher}.der`)
      writeFileSync(derPath, encryptEnveloped(content, [alice.certificate, bob.certificate], { cipher }))
      for (const r of [alice, bob]) {
        const out = openssl(['cms', '-decrypt', '-inform', 'DER', '-in', derPath, '-inkey', r.keyPath, '-binary'])
        t.ok(same(out, content), `${cipher}, key only`)
        const byCert = openssl(['cms', '-decrypt', '-inform', 'DER', '-in', derPath, '-recip', r.certificatePath, '-inkey', r.keyPath, '-binary'])
        t.ok(same(byCert, content), `${cipher}, matched by certificate`)
      }
      const printed = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', derPath]).toString('utf8')
      t.match(printed, /contentType: pkcs7-envelopedData/)
      t.match(printed, new RegExp(`algorithm: ${cipher}`))
      t.equal(printed.match(/d\.issuerAndSerialNumber/g)?.length, 2)
      t.equal(printed.match(/algorithm: rsaEncryption/g)?.length, 2)
    }
  })

  t.test('openssl cms -encrypt encrypts, dicomgate decrypts', async (t) => {
    const variants: ReadonlyArray<readonly [string, readonly string[]]> = [
      ['-aes256', ['-aes256']],
      ['-aes128', ['-aes128']],
      ['-aes192', ['-aes192']],
      ['-des3 (Triple-DES, PS3.15 E.1.2)', ['-des3']],
      ['-stream: indefinite-length BER', ['-aes256', '-stream']],
      ['-keyid: recipient by subject key identifier', ['-aes128', '-keyid']]
    ]
    for (const [name, options] of variants) {
      const derPath = join(dir, 'theirs.der')
      openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', ...options, '-in', contentPath, '-out', derPath, alice.certificatePath, bob.certificatePath])
      const der = readFileSync(derPath)
      for (const r of [alice, bob]) {
        t.ok(same(decryptEnveloped(der, r.key), content), `${name}: by certificate`)
        t.ok(same(decryptEnveloped(der, r.keyOnly), content), `${name}: key only`)
      }
    }
  })

  t.test('RSAES-OAEP key transport is named as unsupported', async (t) => {
    const derPath = join(dir, 'oaep.der')
    openssl(['cms', '-encrypt', '-binary', '-outform', 'DER', '-aes256', '-in', contentPath, '-out', derPath, '-recip', alice.certificatePath, '-keyopt', 'rsa_padding_mode:oaep'])
    t.throws(() => decryptEnveloped(readFileSync(derPath), alice.key), { code: 'DG_CMS_INVALID', message: /RSAES-OAEP is not supported/ })
  })
})
