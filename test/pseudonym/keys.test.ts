/**
 * Keyed derivations (src/pseudonym/keys.ts). The known-answer tests pin every derivation:
 * persistent mappings and shared data depend on them, so a change must fail here and be
 * made on purpose (a new HKDF label), never by accident.
 */
import { Buffer } from 'node:buffer'
import { createHmac, hkdfSync } from 'node:crypto'
import { inspect } from 'node:util'
import fc from 'fast-check'
import t from 'tap'
import {
  DeidKeys, MIN_SECRET_BYTES, UID_CACHE_ENTRIES, deriveKeys, formatMaxLength, keyedPseudonym, keyedUid,
  normalizeValue, parseFormat, patientDayOffset, patientKey
} from '../../src/pseudonym/keys.js'
import { HASH_ALPHABET } from '../../src/pseudonym/format.js'

const SECRET_INVALID = { code: 'DG_SECRET_INVALID' } as const
const PROFILE_INVALID = { code: 'DG_PROFILE_INVALID' } as const
/** The known-answer secret: bytes 0x00 to 0x1f. */
const SECRET = Uint8Array.from({ length: 32 }, (_, i) => i)
const keys = deriveKeys(SECRET)
const otherKeys = deriveKeys(Uint8Array.from({ length: 32 }, (_, i) => 255 - i))
const UID = /^2\.25\.(0|[1-9][0-9]*)$/

/** The sub-key of one purpose, computed here from RFC 5869 as the module documents it. */
const subKey = (info: string): Buffer => Buffer.from(hkdfSync('sha256', SECRET, new Uint8Array(0), info, 32))
const hmac = (key: Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest()

t.test('deriveKeys: a secret of at least 32 bytes', async (t) => {
  t.throws(() => deriveKeys(new Uint8Array(MIN_SECRET_BYTES - 1)), SECRET_INVALID)
  t.throws(() => deriveKeys(new Uint8Array(0)), SECRET_INVALID)
  t.throws(() => deriveKeys('0123456789abcdef0123456789abcdef' as unknown as Uint8Array), SECRET_INVALID, 'a string is no secret')
  t.ok(deriveKeys(Buffer.alloc(32, 7)) instanceof DeidKeys, 'a Buffer is a Uint8Array')
  t.ok(deriveKeys(new Uint8Array(4096)) instanceof DeidKeys)
  t.throws(() => Reflect.construct(DeidKeys, []), 'the constructor is private in practice: no key material without deriveKeys')
})

t.test('no secret material in strings, JSON or inspect', async (t) => {
  const shown = [String(keys), `${keys}`, JSON.stringify(keys), JSON.stringify({ keys }), inspect(keys), inspect({ keys }, { depth: 5, showHidden: true })]
  const material = ['dicomgate uid v1', 'dicomgate pseudonym v1', 'dicomgate date v1'].map((info) => subKey(info).toString('hex'))
  for (const text of shown) {
    t.match(text, /redacted/)
    for (const hex of material) t.notOk(text.includes(hex), 'no sub-key')
    t.notOk(text.includes(Buffer.from(SECRET).toString('hex')), 'no secret')
  }
  t.same(Object.keys(keys), ['fingerprint'], 'the only own property is the fingerprint')
  t.ok(Object.isFrozen(keys))
  t.match(keys.fingerprint, /^[0-9a-f]{16}$/)
})

t.test('known answers (never change these: persistent mappings depend on them)', async (t) => {
  t.equal(keys.fingerprint, '9b5294ae2ca3802a')
  t.equal(keyedUid(keys, '1.2.840.10008.1.2'), '2.25.53666504528953411895358304309283995672')
  t.equal(keyedUid(keys, '1.2.3.4\0'), '2.25.213511283427393604280728971202468546043')
  t.equal(keyedUid(keys, '1.2.826.0.1.3680043.2.1125.1.34918616334675416012314560123456789'), '2.25.275064788141972442652384591133854709122')
  t.equal(keyedPseudonym(keys, 'DOE^JOHN', 'PAT-{hash:10}'), 'PAT-N2P11TS7DF')
  t.equal(keyedPseudonym(keys, 'DOE^JOHN', 'PAT-{hash:10}', 'PatientName'), 'PAT-KZTAC6KFF4')
  t.equal(keyedPseudonym(keys, '12345', '{hash:3}-{hash:4}'), 'Z1G-XQP1')
  t.equal(keyedPseudonym(keys, '山田^太郎', '{hash:32}'), '9ZKCB1GE6HSKBCBB8AZBRZT3V90A51WT')
  t.equal(patientDayOffset(keys, 'HOSP\\123', -3652, -1), -2168)
  t.equal(patientDayOffset(keys, 'HOSP\\123', -10, 10), -6)
})

t.test('the derivations are the documented ones (RFC 5869, RFC 9562, PS3.5 §B.2)', async (t) => {
  const fingerprint = subKey('dicomgate fingerprint v1').subarray(0, 8).toString('hex')
  t.equal(keys.fingerprint, fingerprint)
  for (const uid of ['1.2.3', '1.2.840.113619.2.55.3.604688119.969.1268071029.320', '9']) {
    const digest = hmac(subKey('dicomgate uid v1'), uid)
    digest[6] = ((digest[6] ?? 0) & 0x0f) | 0x80
    digest[8] = ((digest[8] ?? 0) & 0x3f) | 0x80
    t.equal(keyedUid(keys, uid), `2.25.${BigInt(`0x${digest.subarray(0, 16).toString('hex')}`)}`, uid)
  }
  const digest = hmac(subKey('dicomgate pseudonym v1'), 'dom\0DOE^JOHN')
  const bits = [...digest].map((b) => b.toString(2).padStart(8, '0')).join('')
  const expected = Array.from({ length: 12 }, (_, i) => HASH_ALPHABET[parseInt(bits.slice(i * 5, i * 5 + 5), 2)]).join('')
  t.equal(keyedPseudonym(keys, ' DOE^JOHN ', 'X{hash:5}Y{hash:7}', 'dom'), `X${expected.slice(0, 5)}Y${expected.slice(5)}`)
  const word = hmac(subKey('dicomgate date v1'), 'K').readBigUInt64BE(0)
  t.equal(patientDayOffset(keys, 'K', -100, -1), -100 + Number(word % 100n))
})

t.test('keyedUid: valid 2.25 UIDs, deterministic, keyed', async (t) => {
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }), (input) => {
    const uid = keyedUid(keys, input)
    if (input.replace(/^[\0 ]+|[\0 ]+$/g, '') === '') return uid === ''
    if (!UID.test(uid) || uid.length > 64) return false
    const value = BigInt(uid.slice(5))
    const hex = value.toString(16).padStart(32, '0')
    return value < 2n ** 128n && hex[12] === '8' && '89ab'.includes(hex[16] ?? '') && keyedUid(keys, input) === uid
  }), { numRuns: 2000 })
  const uid = '1.2.840.113619.2.55.3.604688119.969.1268071029.320'
  t.equal(keyedUid(keys, `${uid}\0`), keyedUid(keys, uid), 'NUL padding (PS3.5 §6.2) is not part of the UID')
  t.equal(keyedUid(keys, ` ${uid}  `), keyedUid(keys, uid), 'nor are spaces')
  t.equal(keyedUid(keys, ''), '', 'empty stays empty')
  t.equal(keyedUid(keys, '\0'), '')
  t.not(keyedUid(otherKeys, uid), keyedUid(keys, uid), 'another secret, another UID')
  t.not(keyedUid(keys, `${uid}1`), keyedUid(keys, uid))
  t.equal(keyedUid(deriveKeys(SECRET), uid), keyedUid(keys, uid), 'the same secret derived again')
})

t.test('keyedUid: the cache is bounded and never changes an answer', async (t) => {
  const fresh = deriveKeys(SECRET)
  const first = keyedUid(fresh, '1.2.3.0')
  const seen = new Map<string, string>()
  for (let i = 0; i < UID_CACHE_ENTRIES * 2 + 10; i++) seen.set(`1.2.3.${i}`, keyedUid(fresh, `1.2.3.${i}`))
  t.equal(keyedUid(fresh, '1.2.3.0'), first, 'an evicted entry is computed again, the same')
  t.equal(new Set(seen.values()).size, seen.size, 'no collisions')
  for (const [input, uid] of seen) if (keyedUid(keys, input) !== uid) t.fail(input)
})

t.test('pseudonym formats', async (t) => {
  for (const bad of ['', 'PAT', '{hash:0}', '{hash:33}', '{hash:01}', '{hash}', '{hash:}', '{hash:5', 'A}{hash:4}', '{{hash:4}}',
    'A\\{hash:4}', 'A\n{hash:4}', 'A\u007f{hash:4}', '{HASH:4}', '{hash: 4}', '{hash:32}{hash:20}']) {
    t.throws(() => parseFormat(bad), PROFILE_INVALID, JSON.stringify(bad))
    t.throws(() => keyedPseudonym(keys, 'value', bad), PROFILE_INVALID, `keyedPseudonym ${JSON.stringify(bad)}`)
  }
  t.same(parseFormat('PAT-{hash:10}'), { parts: [{ literal: 'PAT-' }, { hash: 10 }], hashChars: 10, length: 14 })
  t.equal(formatMaxLength('{hash:1}'), 1)
  t.equal(formatMaxLength('{hash:32}{hash:19}'), 51, '51 hash characters fit in 256 bits')
  t.equal(formatMaxLength('ANON^{hash:8}=x'), 15, 'PN delimiters are allowed in literal text')
  t.equal(formatMaxLength('Ü-{hash:4}'), 6)
  const error = t.throws(() => parseFormat('ID-{hash:99}'))
  t.match(error, { message: /character 4/ }, 'the message says where')
})

t.test('keyedPseudonym: format, normalization, domains', async (t) => {
  const format = 'P{hash:6}-{hash:4}'
  const shape = new RegExp(`^P[${HASH_ALPHABET}]{6}-[${HASH_ALPHABET}]{4}$`)
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 64 }), (value) => {
    const out = keyedPseudonym(keys, value, format)
    return normalizeValue(value) === '' ? out === '' : shape.test(out) && out.length === formatMaxLength(format)
  }), { numRuns: 1000 })
  const name = keyedPseudonym(keys, 'DOE^JOHN', format)
  for (const padded of ['DOE^JOHN ', ' DOE^JOHN', 'DOE^JOHN^^^', 'DOE ^JOHN', 'DOE^ JOHN ^', 'DOE^JOHN=', 'DOE^JOHN^^^^=^=', 'DOE^JOHN\0']) {
    t.equal(keyedPseudonym(keys, padded, format), name, JSON.stringify(padded))
  }
  t.not(keyedPseudonym(keys, 'Doe^John', format), name, 'case is significant')
  t.not(keyedPseudonym(keys, 'DOE^JOHN', format, 'OtherPatientNames'), name, 'domains separate')
  t.not(keyedPseudonym(otherKeys, 'DOE^JOHN', format), name, 'keyed')
  t.equal(keyedPseudonym(keys, '', format), '', 'empty: nothing to pseudonymize')
  t.equal(keyedPseudonym(keys, '   ', format), '')
  t.equal(keyedPseudonym(keys, '^^=', format), '')
  t.throws(() => keyedPseudonym(keys, 'x', format, 'a\0b'), PROFILE_INVALID)
  t.equal(normalizeValue(' Yamada^Tarou = 山田^太郎 =やまだ^たろう '), 'Yamada^Tarou=山田^太郎=やまだ^たろう')
  t.equal(normalizeValue('=山田^太郎'), '=山田^太郎', 'an empty leading group stays')
  const many = new Set(Array.from({ length: 2000 }, (_, i) => keyedPseudonym(keys, `ID${i}`, '{hash:8}')))
  t.equal(many.size, 2000, 'no collisions among 2000 IDs at 40 bits')
})

t.test('patientDayOffset: uniform, in range, never 0', async (t) => {
  fc.assert(fc.property(fc.string(), fc.integer({ min: -5000, max: 5000 }), fc.nat(5000), (key, min, span) => {
    const max = min + span
    const offset = patientDayOffset(keys, key, min, max)
    return Number.isInteger(offset) && offset >= min && offset <= max && (offset !== 0 || (min === 0 && max === 0))
  }), { numRuns: 2000 })
  t.equal(patientDayOffset(keys, 'a', 0, 0), 0, '[0, 0] is the only way to get 0')
  t.equal(patientDayOffset(keys, 'a', 5, 5), 5)
  for (let i = 0; i < 50; i++) {
    t.equal(patientDayOffset(keys, `p${i}`, 0, 1), 1)
    t.equal(patientDayOffset(keys, `p${i}`, -1, 0), -1)
  }
  const counts = new Map<number, number>()
  for (let i = 0; i < 10000; i++) {
    const offset = patientDayOffset(keys, `patient ${i}`, -5, 5)
    counts.set(offset, (counts.get(offset) ?? 0) + 1)
  }
  t.same([...counts.keys()].sort((a, b) => a - b), [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5])
  for (const [offset, n] of counts) t.ok(n > 850 && n < 1150, `offset ${offset}: ${n} of 10000 (expected 1000)`)
  t.equal(patientDayOffset(keys, 'K', -3652, -1), patientDayOffset(deriveKeys(SECRET), 'K', -3652, -1), 'deterministic')
  for (const [min, max] of [[1, 0], [0.5, 2], [Number.NaN, 1], [-1e9, 0], [0, Number.POSITIVE_INFINITY]] as const) {
    t.throws(() => patientDayOffset(keys, 'k', min, max), PROFILE_INVALID, `[${min}, ${max}]`)
  }
})

t.test('patientKey', async (t) => {
  t.equal(patientKey({ patientId: ' 123 ', issuer: ' HOSP ' }), 'HOSP\\123')
  t.equal(patientKey({ patientId: '123' }), '\\123')
  t.equal(patientKey({ patientId: '123', name: 'DOE^JOHN', birthDate: '19700101' }), '\\123', 'the ID wins')
  t.equal(patientKey({ patientId: '  ', name: 'DOE^JOHN^^ ', birthDate: '19700101 ' }), 'DOE^JOHN\\19700101')
  t.equal(patientKey({ name: 'DOE^JOHN' }), 'DOE^JOHN\\')
  t.equal(patientKey({ birthDate: '19700101' }), '\\19700101')
  t.equal(patientKey({}), '')
  t.equal(patientKey({ issuer: 'HOSP', name: ' ', birthDate: '' }), '')
})
