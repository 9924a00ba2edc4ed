/**
 * CMS EnvelopedData (src/cms/enveloped.ts): round trips for one and two recipients and both
 * ciphers, with and without the key's certificate; the DER written; errors by code for a
 * wrong key, damaged input and unsupported options.
 */
import { Buffer } from 'node:buffer'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { OID, WRITABLE_CIPHERS, type ContentCipherName } from '../../src/cms/algorithms.js'
import { readEnvelopedData } from '../../src/cms/enveloped-data.js'
import { decryptEnveloped, encryptEnveloped } from '../../src/cms/enveloped.js'
import { makeRecipient, type TestRecipient } from '../helpers/cms-recipients.js'

const INVALID = { code: 'DG_CMS_INVALID' } as const
const NO_RECIPIENT = { code: 'DG_CMS_NO_RECIPIENT' } as const
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0

let alice: TestRecipient
let bob: TestRecipient
let mallory: TestRecipient

t.before(async () => {
  const dir = t.testdir()
  ;[alice, bob, mallory] = await Promise.all([makeRecipient(dir, 'alice'), makeRecipient(dir, 'bob'), makeRecipient(dir, 'mallory')])
})

/** A content of a few kilobytes, the size of a Modified Attributes Sequence. */
const CONTENT = new Uint8Array(randomBytes(3000))

t.test('round trip: one recipient, both ciphers, key with and without certificate', async (t) => {
  for (const cipher of WRITABLE_CIPHERS) {
    const der = encryptEnveloped(CONTENT, [alice.certificate], { cipher })
    t.ok(same(decryptEnveloped(der, alice.key), CONTENT), `${cipher}: by certificate`)
    t.ok(same(decryptEnveloped(der, alice.keyOnly), CONTENT), `${cipher}: by trial`)
  }
  t.ok(same(decryptEnveloped(encryptEnveloped(new Uint8Array(0), [alice.certificate]), alice.key), new Uint8Array(0)), 'empty content')
  const block = new Uint8Array(16).fill(7)
  t.ok(same(decryptEnveloped(encryptEnveloped(block, [alice.certificate]), alice.keyOnly), block), 'a whole block: padded with a block')
})

t.test('round trip: two recipients, each decrypts', async (t) => {
  for (const cipher of WRITABLE_CIPHERS) {
    const der = encryptEnveloped(CONTENT, [alice.certificate, bob.certificate], { cipher })
    for (const r of [alice, bob]) {
      t.ok(same(decryptEnveloped(der, r.key), CONTENT), `${cipher}: ${r === alice ? "alice" : "bob"}`)
      t.ok(same(decryptEnveloped(der, r.keyOnly), CONTENT), `${cipher}: ${r === alice ? "alice" : "bob"}, key only`)
    }
    t.throws(() => decryptEnveloped(der, mallory.key), NO_RECIPIENT)
  }
})

t.test('what is written: RFC 5652 §6 as gdcmanon and openssl write it', async (t) => {
  const expectations: ReadonlyArray<readonly [ContentCipherName | undefined, string, number]> = [
    [undefined, '2.16.840.1.101.3.4.1.42', 32],
    ['aes-256-cbc', '2.16.840.1.101.3.4.1.42', 32],
    ['aes-128-cbc', '2.16.840.1.101.3.4.1.2', 16]
  ]
  for (const [cipher, oid] of expectations) {
    const der = encryptEnveloped(CONTENT, [alice.certificate, bob.certificate], cipher === undefined ? {} : { cipher })
    t.equal(der[0], 0x30, 'a DER SEQUENCE')
    const parsed = readEnvelopedData(der)
    t.equal(parsed.contentEncryptionAlgorithm, oid, `${cipher ?? 'default'}: content cipher`)
    t.equal(parsed.iv?.byteLength, 16)
    t.equal(parsed.encryptedContent.byteLength, (Math.floor(CONTENT.byteLength / 16) + 1) * 16, 'PKCS#7 padded')
    t.equal(parsed.otherRecipients, 0)
    t.equal(parsed.keyTransRecipients.length, 2)
    const ids = parsed.keyTransRecipients.map((r) => Buffer.from(r.issuerAndSerialNumber ?? []).toString('hex')).sort()
    t.same(ids, [alice, bob].map((r) => Buffer.from(r.certificate.issuerAndSerialNumber).toString('hex')).sort(), 'issuerAndSerialNumber of each certificate')
    for (const r of parsed.keyTransRecipients) {
      t.equal(r.keyEncryptionAlgorithm, OID.rsaEncryption, 'rsaEncryption (PKCS#1 v1.5)')
      t.equal(r.encryptedKey.byteLength, 256, 'one RSA-2048 block')
    }
  }
  const a = encryptEnveloped(CONTENT, [alice.certificate])
  const b = encryptEnveloped(CONTENT, [alice.certificate])
  t.not(Buffer.from(readEnvelopedData(a).iv ?? []).toString('hex'), Buffer.from(readEnvelopedData(b).iv ?? []).toString('hex'), 'a fresh IV per call')
})

t.test('wrong key: DG_CMS_NO_RECIPIENT', async (t) => {
  const der = encryptEnveloped(CONTENT, [alice.certificate])
  t.throws(() => decryptEnveloped(der, bob.key), NO_RECIPIENT, 'by certificate: no recipient has its identifier')
  for (let i = 0; i < 8; i++) {
    t.throws(() => decryptEnveloped(der, bob.keyOnly), NO_RECIPIENT, 'by trial: nothing unwraps')
  }
  t.throws(() => decryptEnveloped(der, bob.key), { message: /none of the 1 recipients .* is the given certificate \(SHA-256 [0-9A-F:]+\)/ })
})

t.test('damaged input: DG_CMS_INVALID', async (t) => {
  const der = encryptEnveloped(CONTENT, [alice.certificate])
  t.throws(() => decryptEnveloped(der.subarray(0, der.byteLength - 10), alice.key), INVALID, 'truncated')
  t.throws(() => decryptEnveloped(new Uint8Array(0), alice.key), INVALID, 'empty')
  t.throws(() => decryptEnveloped(Buffer.from('not DER at all'), alice.key), INVALID, 'text')
  const tagged = Uint8Array.from(der)
  tagged[0] = 0x31
  t.throws(() => decryptEnveloped(tagged, alice.key), INVALID, 'SET instead of SEQUENCE')
  const wrongType = Uint8Array.from(der)
  wrongType[14] = (wrongType[14] ?? 0) ^ 0x01 // the last byte of the id-envelopedData OID: after 30 82 LL LL 06 09 and 8 bytes
  t.throws(() => decryptEnveloped(wrongType, alice.key), { code: 'DG_CMS_INVALID', message: /not EnvelopedData/ })

  t.ok(same(decryptEnveloped(Buffer.concat([der, Uint8Array.of(0)]), alice.key), CONTENT), 'one zero byte after it: OB padding (PS3.5 §7.1), accepted')
  t.throws(() => decryptEnveloped(Buffer.concat([der, Uint8Array.of(0, 0)]), alice.key), INVALID, 'more than padding')
  t.throws(() => decryptEnveloped(Buffer.concat([der, Uint8Array.of(1)]), alice.key), INVALID, 'a non-zero byte')

  // The last block of ciphertext: its padding no longer checks.
  const content = Uint8Array.from(der)
  content[content.byteLength - 1] = (content[content.byteLength - 1] ?? 0) ^ 0xff
  t.throws(() => decryptEnveloped(content, alice.key), INVALID, 'damaged ciphertext, by certificate')
  t.throws(() => decryptEnveloped(content, alice.keyOnly), NO_RECIPIENT, 'by trial, not told apart from a wrong key (RFC 3218 §2.3)')
})

t.test('a damaged encrypted key is a content that does not decrypt, never a key error (RFC 3218 §2.3.2)', async (t) => {
  const der = encryptEnveloped(CONTENT, [alice.certificate])
  const encryptedKey = readEnvelopedData(der).keyTransRecipients[0]?.encryptedKey ?? new Uint8Array(0)
  const at = Buffer.from(der).indexOf(Buffer.from(encryptedKey))
  t.ok(at > 0)
  let outcomes = 0
  for (let i = 0; i < 4; i++) {
    const damaged = Uint8Array.from(der)
    damaged[at + 10 + i] = (damaged[at + 10 + i] ?? 0) ^ 0x5a
    try {
      decryptEnveloped(damaged, alice.key)
      t.pass('random content (about 1 in 256): the caller\'s parse catches it')
    } catch (err) {
      t.match(err, INVALID)
    }
    outcomes++
  }
  t.equal(outcomes, 4)
})

t.test('unsupported requests', async (t) => {
  t.throws(() => encryptEnveloped(CONTENT, []), { code: 'DG_KEY_INVALID' }, 'no recipient')
  t.throws(() => encryptEnveloped(CONTENT, [alice.certificate], { cipher: 'des-ede3-cbc' as ContentCipherName }), INVALID, 'Triple-DES is read, never written')
  t.throws(() => encryptEnveloped(CONTENT, [alice.certificate], { cipher: 'aes-192-cbc' as ContentCipherName }), INVALID)
})
