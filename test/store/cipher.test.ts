/**
 * Encryption at rest (src/store/cipher.ts): the keys are the documented HKDF derivations,
 * rows bind their pseudonym, kind and key id, the MAC tells originals apart per pseudonym.
 */
import { Buffer } from 'node:buffer'
import { createCipheriv, createHmac, hkdfSync } from 'node:crypto'
import { inspect } from 'node:util'
import t from 'tap'
import { StoreCipher } from '../../src/store/cipher.js'

const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i)
const cipher = new StoreCipher(SECRET)
const m = { pseudonym: 'PAT-1', original: 'DOE^JOHN', kind: 'PatientName', keyId: '9b5294ae2ca3802a' }
const subKey = (info: string): Buffer => Buffer.from(hkdfSync('sha256', SECRET, new Uint8Array(0), info, 32))
/** The length-prefixed field encoding, written out here from the module's documentation. */
const fields = (...values: string[]): Buffer =>
  Buffer.concat(values.flatMap((v) => { const b = Buffer.from(v, 'utf8'); const n = Buffer.alloc(4); n.writeUInt32BE(b.length); return [n, b] }))

t.test('the keys are HKDF-SHA256 of the secret under their own labels', async (t) => {
  t.equal(cipher.keyCheck, subKey('dicomgate store key check v1').toString('hex'))
  // Known answers: stored stores depend on them (a change is a new label and a migration).
  t.equal(cipher.keyCheck, '848c0c1c9d926c68f298c29bd7f6e7c1d3d70e74410a86da3df5c51f78ba9d82')
  t.equal(cipher.mac(m.pseudonym, m.original).toString('hex'), 'b205de8686c5e594dc0dcbffe41f387d07a9c68629531875d005f73d8d55d001')
  t.equal(cipher.mac(m.pseudonym, m.original).toString('hex'),
    createHmac('sha256', subKey('dicomgate store mac v1')).update(fields(m.pseudonym, m.original)).digest('hex'))
  const row = cipher.seal(m)
  const again = createCipheriv('aes-256-gcm', subKey('dicomgate store encryption v1'), row.iv)
  again.setAAD(fields(m.pseudonym, m.kind, m.keyId))
  const padded = Buffer.concat([Buffer.from(m.original, 'utf8'), Buffer.from([0x80]), Buffer.alloc(32 - m.original.length - 1)])
  const expected = Buffer.concat([again.update(padded), again.final(), again.getAuthTag()])
  t.equal(row.ciphertext.toString('hex'), expected.toString('hex'), 'AES-256-GCM of the padded original, AAD = (pseudonym, kind, keyId), tag appended')
  t.ok(cipher.matchesKeyCheck(cipher.keyCheck))
  t.notOk(cipher.matchesKeyCheck(new StoreCipher(new Uint8Array(32)).keyCheck))
  t.notOk(cipher.matchesKeyCheck('not hex'))
})

t.test('seal and open', async (t) => {
  const row = cipher.seal(m)
  t.same(cipher.open(row), m)
  t.ok(Object.isFrozen(cipher.open(row)))
  t.not(cipher.seal(m).iv.toString('hex'), row.iv.toString('hex'), 'a fresh IV each time')
  t.equal(cipher.seal(m).mac.toString('hex'), row.mac.toString('hex'), 'the MAC is deterministic')
  t.not(cipher.mac('PAT-2', m.original).toString('hex'), row.mac.toString('hex'), 'the same original under another pseudonym: another MAC')
  t.not(cipher.mac('PAT-1', 'DOE^JOHN ').toString('hex'), row.mac.toString('hex'))
  t.not(cipher.mac('PAT-1D', 'OE^JOHN').toString('hex'), row.mac.toString('hex'), 'fields cannot shift into each other')
})

t.test('padding: lengths show only in 32-byte steps, every length round-trips', async (t) => {
  const lengths = [0, 1, 30, 31, 32, 33, 63, 64, 65, 200]
  for (const n of lengths) {
    const original = 'x'.repeat(n)
    const row = cipher.seal({ ...m, original })
    t.equal(row.ciphertext.length, (Math.floor(n / 32) + 1) * 32 + 16, `length ${n}`)
    t.equal(cipher.open(row).original, original)
  }
  const trailing = 'ends in NUL\0\0'
  t.equal(cipher.open(cipher.seal({ ...m, original: trailing })).original, trailing, 'trailing NULs are the original\'s, not padding')
  t.equal(cipher.open(cipher.seal({ ...m, original: '€\u0080' })).original, '€\u0080', 'U+0080 is not the 0x80 mark')
})

t.test('a row that was moved, edited or sealed with another secret does not open', async (t) => {
  const row = cipher.seal(m)
  const mismatch = { code: 'DG_STORE_KEY_MISMATCH' }
  t.throws(() => cipher.open({ ...row, pseudonym: 'PAT-2' }), mismatch, 'another pseudonym')
  t.throws(() => cipher.open({ ...row, kind: 'PatientID' }), mismatch, 'another kind')
  t.throws(() => cipher.open({ ...row, keyId: '0000000000000000' }), mismatch, 'another key id')
  const flipped = Buffer.from(row.ciphertext)
  flipped[0] = (flipped[0] ?? 0) ^ 1
  t.throws(() => cipher.open({ ...row, ciphertext: flipped }), mismatch, 'a flipped bit')
  t.throws(() => cipher.open({ ...row, mac: Buffer.alloc(32) }), mismatch, 'an edited MAC')
  t.throws(() => cipher.open({ ...row, iv: Buffer.alloc(8) }), mismatch, 'a short IV')
  t.throws(() => cipher.open({ ...row, ciphertext: Buffer.alloc(4) }), mismatch, 'no room for a tag')
  t.throws(() => new StoreCipher(new Uint8Array(32).fill(1)).open(row), mismatch, 'another secret')
  t.throws(() => new StoreCipher(new Uint8Array(31)), { code: 'DG_SECRET_INVALID' })
})

t.test('no key material in strings, JSON or inspect', async (t) => {
  for (const text of [String(cipher), JSON.stringify({ cipher }), inspect(cipher, { showHidden: true, depth: 5 })]) {
    t.match(text, /redacted/)
    t.notOk(text.includes(subKey('dicomgate store encryption v1').toString('hex')))
  }
})
