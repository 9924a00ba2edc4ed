/**
 * Keyed derivations for de-identification: replacement UIDs, pseudonyms and per-patient
 * date offsets, all from one secret.
 *
 * `deriveKeys` expands the secret with HKDF-SHA256 (RFC 5869) into one sub-key per purpose,
 * each with its own `info` label, so that no output of one purpose says anything about
 * another (a UID reveals nothing about the date offset). The salt is empty: RFC 5869 §3.1
 * makes it optional, and the secret is already uniformly random (secret.ts creates 32
 * random bytes). Every output is then an HMAC-SHA256 (RFC 2104) of the value under that
 * sub-key: the same input and secret give the same output in any process, on any machine,
 * which is what lets a study de-identified twice link up.
 *
 * STABILITY: persistent mappings and already shared data depend on these derivations. The
 * labels, the input encodings and the bit layouts below must never change silently; a
 * change is a new label ('… v2') and a documented migration. Known-answer tests in
 * test/pseudonym/keys.test.ts pin them.
 */
import { Buffer } from 'node:buffer'
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto'
import { DicomgateError } from '../errors.js'
import { pseudonymText } from './format.js'

export { formatMaxLength, parseFormat, type FormatPart, type PseudonymFormat } from './format.js'

/** Shorter secrets are refused: 256 bits is the strength of HMAC-SHA256 itself. */
export const MIN_SECRET_BYTES = 32
/** Replacement UIDs remembered per key set: a study repeats the same UIDs in every file. */
export const UID_CACHE_ENTRIES = 4096
/** Largest accepted |offset| in days (10 000 years): beyond it every date is out of range. */
export const MAX_SHIFT_DAYS = 3_652_425

const INFO = {
  uid: 'dicomgate uid v1',
  pseudonym: 'dicomgate pseudonym v1',
  date: 'dicomgate date v1',
  fingerprint: 'dicomgate fingerprint v1'
} as const
const SUB_KEY_BYTES = 32
const FINGERPRINT_BYTES = 8
const REDACTED = 'DeidKeys [redacted]'
/** Only this module constructs DeidKeys (TypeScript's `private` is gone at run time). */
const CONSTRUCT = Symbol('DeidKeys')

interface KeyMaterial {
  readonly uid: KeyObject
  readonly pseudonym: KeyObject
  readonly date: KeyObject
  /** Trimmed input UID → replacement UID, least recently used first (Map insertion order). */
  readonly uidCache: Map<string, string>
}

let materialOf: (keys: DeidKeys) => KeyMaterial
let createKeys: (material: KeyMaterial, fingerprint: string) => DeidKeys

/**
 * The sub-keys derived from one secret. Opaque: the key material cannot be read through
 * this object, and `toString`, `toJSON` and `util.inspect` print a redacted form, so that a
 * stray log line or error report never carries it.
 */
export class DeidKeys {
  readonly #material: KeyMaterial
  /**
   * 16 hex digits that name the secret without revealing it (its own HKDF label): for audit
   * records and mapping stores, to tell which secret produced an output.
   */
  readonly fingerprint: string

  private constructor (token: symbol, material: KeyMaterial, fingerprint: string) {
    if (token !== CONSTRUCT) throw new DicomgateError('DG_SECRET_INVALID', 'DeidKeys are made by deriveKeys(secret)')
    this.#material = material
    this.fingerprint = fingerprint
    Object.freeze(this)
  }

  static {
    materialOf = (keys) => keys.#material
    createKeys = (material, fingerprint) => new DeidKeys(CONSTRUCT, material, fingerprint)
  }

  toString (): string {
    return REDACTED
  }

  toJSON (): string {
    return REDACTED
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return REDACTED
  }
}

function subKey (secret: Uint8Array, info: string): Buffer {
  // RFC 5869 §2.2-2.3: HKDF-Extract (empty salt → HashLen zero bytes), then Expand with `info`.
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), info, SUB_KEY_BYTES))
}

function secretKey (secret: Uint8Array, info: string): KeyObject {
  const bytes = subKey(secret, info)
  const key = createSecretKey(bytes)
  bytes.fill(0) // createSecretKey copied it; leave no plain copy behind
  return key
}

/** Derives the per-purpose keys; throws DG_SECRET_INVALID for a secret under 32 bytes. */
export function deriveKeys (secret: Uint8Array): DeidKeys {
  if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) {
    throw new DicomgateError('DG_SECRET_INVALID', `the pseudonymization secret must be at least ${MIN_SECRET_BYTES} bytes`)
  }
  const fingerprint = subKey(secret, INFO.fingerprint).subarray(0, FINGERPRINT_BYTES).toString('hex')
  return createKeys({
    uid: secretKey(secret, INFO.uid),
    pseudonym: secretKey(secret, INFO.pseudonym),
    date: secretKey(secret, INFO.date),
    uidCache: new Map()
  }, fingerprint)
}

function hmac (key: KeyObject, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest()
}

// ── UIDs ────────────────────────────────────────────────────────────────────────────────

/** UI values are padded with NUL (PS3.5 §6.2); writers that pad with a space exist too. */
const UID_PADDING = /^[\0 ]+|[\0 ]+$/g

function trimUid (uid: string): string {
  const last = uid.charCodeAt(uid.length - 1)
  const first = uid.charCodeAt(0)
  return last === 0 || last === 0x20 || first === 0 || first === 0x20 ? uid.replace(UID_PADDING, '') : uid
}

/**
 * The replacement UID for `uid`: `2.25.` and the decimal form of a 128-bit UUID (PS3.5
 * §B.2), at most 44 characters. The UUID is the first 16 bytes of HMAC-SHA256(uid key,
 * trimmed UID) with the version set to 8, "custom" (RFC 9562 §5.8: content defined by the
 * application), and the variant bits to 10 (RFC 9562 §4.1, as RFC 4122). An empty UID
 * stays empty: there is nothing to replace.
 */
export function keyedUid (keys: DeidKeys, uid: string): string {
  const input = trimUid(uid)
  if (input === '') return ''
  const { uid: key, uidCache } = materialOf(keys)
  const cached = uidCache.get(input)
  if (cached !== undefined) {
    uidCache.delete(input) // move to the most recently used end
    uidCache.set(input, cached)
    return cached
  }
  const bytes = hmac(key, input)
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80 // version 8 in the high nibble of octet 6
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80 // variant 10 in the two high bits of octet 8
  const result = `2.25.${BigInt(`0x${bytes.toString('hex', 0, 16)}`).toString(10)}`
  if (uidCache.size >= UID_CACHE_ENTRIES) {
    const oldest = uidCache.keys().next()
    if (oldest.done !== true) uidCache.delete(oldest.value)
  }
  uidCache.set(input, result)
  return result
}

// ── pseudonyms ──────────────────────────────────────────────────────────────────────────

const EDGE_PADDING = /^[\0 ]+|[\0 ]+$/g

/**
 * The form of a value that is hashed: padding never changes a pseudonym.
 * - Leading and trailing spaces and NULs go (PS3.5 §6.2: insignificant in SH, LO, PN…).
 * - A value with `^` or `=` is read as a PN (PS3.5 §6.2.1.1): each component is trimmed,
 *   and empty trailing components and groups, which may be left out, are left out; so
 *   'DOE^JOHN^^^', 'DOE ^JOHN' and 'DOE^JOHN' are the same name.
 * Case is kept: IDs are case-sensitive, and a name written in two cases may be two records.
 */
export function normalizeValue (value: string): string {
  const trimmed = value.replace(EDGE_PADDING, '')
  if (!trimmed.includes('^') && !trimmed.includes('=')) return trimmed
  const groups = trimmed.split('=').map((group) => {
    const components = group.split('^').map((c) => c.replace(EDGE_PADDING, ''))
    while (components.length > 0 && components[components.length - 1] === '') components.pop()
    return components.join('^')
  })
  while (groups.length > 0 && groups[groups.length - 1] === '') groups.pop()
  return groups.join('=')
}

/**
 * A keyed pseudonym of `value` in `format` (literal text and `{hash:N}` fields, see
 * format.ts), e.g. 'PAT-{hash:10}' → 'PAT-7QK2M9XD0B'. The hash characters are Crockford
 * base32 of HMAC-SHA256(pseudonym key, domain + NUL + normalized value), so the same value
 * gives the same pseudonym in the same domain, and different ones in different domains
 * (e.g. 'PatientID' and 'AccessionNumber'). An empty value (after normalization) gives an
 * empty result: there is nothing to pseudonymize, and an empty value says nothing.
 * A bad format throws DG_PROFILE_INVALID.
 */
export function keyedPseudonym (keys: DeidKeys, value: string, format: string, domain = ''): string {
  const normalized = normalizeValue(value)
  if (normalized === '') return ''
  if (domain.includes('\0')) {
    throw new DicomgateError('DG_PROFILE_INVALID', 'a pseudonym domain must not contain NUL (it separates the domain from the value)')
  }
  return pseudonymText(format, hmac(materialOf(keys).pseudonym, `${domain}\0${normalized}`))
}

// ── date offsets ────────────────────────────────────────────────────────────────────────

/**
 * The key that identifies a patient for the date offset, so that all of a patient's
 * studies shift by the same number of days (PS3.15 §E.3.6, Retain Longitudinal Temporal
 * Information with Modified Dates): `issuer\id` when Patient ID is not empty; else
 * `name\birthDate` when either is not empty (the name normalized as for pseudonyms);
 * else '' (patients without identifiers share one offset). Values are trimmed.
 */
export function patientKey (fields: { patientId?: string, issuer?: string, name?: string, birthDate?: string }): string {
  const id = (fields.patientId ?? '').trim()
  if (id !== '') return `${(fields.issuer ?? '').trim()}\\${id}`
  const name = normalizeValue(fields.name ?? '')
  const birthDate = (fields.birthDate ?? '').trim()
  return name === '' && birthDate === '' ? '' : `${name}\\${birthDate}`
}

/**
 * A per-patient offset in days, uniform in [minDays, maxDays] and never 0 unless the range
 * is [0, 0]: a zero shift would keep the real dates. The first 64 bits of HMAC-SHA256(date
 * key, patientKey) are taken modulo the number of allowed offsets; for ranges under 2^23
 * days the modulo bias is below 2^-41, negligible, and unlike rejection sampling the
 * result needs one HMAC, always. Throws DG_PROFILE_INVALID for a bad range.
 */
export function patientDayOffset (keys: DeidKeys, patientKey: string, minDays: number, maxDays: number): number {
  if (!Number.isSafeInteger(minDays) || !Number.isSafeInteger(maxDays) || minDays > maxDays ||
      Math.abs(minDays) > MAX_SHIFT_DAYS || Math.abs(maxDays) > MAX_SHIFT_DAYS) {
    throw new DicomgateError('DG_PROFILE_INVALID',
      `dateShift needs integers minDays <= maxDays within ±${MAX_SHIFT_DAYS} days`)
  }
  if (minDays === maxDays) return minDays
  const skipZero = minDays <= 0 && maxDays >= 0
  const count = maxDays - minDays + 1 - (skipZero ? 1 : 0)
  const r = Number(hmac(materialOf(keys).date, patientKey).readBigUInt64BE(0) % BigInt(count))
  const offset = minDays + r
  return skipZero && offset >= 0 ? offset + 1 : offset
}
