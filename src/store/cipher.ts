/**
 * Encryption at rest of the mapping store.
 *
 * Three keys are derived from the deployment secret with HKDF-SHA256 (RFC 5869), each under
 * its own `info` label and with an empty salt, as src/pseudonym/keys.ts derives its
 * sub-keys: knowing one says nothing about the others, nor about the pseudonym keys.
 *
 * - The original is encrypted with AES-256-GCM (NIST SP 800-38D; RFC 5116 §5.2
 *   AEAD_AES_256_GCM): a random 96-bit IV per row (SP 800-38D §8.2.2), the 16-byte tag
 *   appended to the ciphertext (RFC 5116 §5.1). The row's pseudonym, kind and key id are
 *   the additional authenticated data, so that a ciphertext moved to another row, or a row
 *   whose kind or key id was edited, fails to decrypt instead of answering for another
 *   pseudonym. Random IVs bound a key to 2^32 encryptions (SP 800-38D §8.3): billions of
 *   mappings, far beyond any one store.
 * - GCM's ciphertext is as long as its plaintext, and the length of a name says something
 *   about it: the UTF-8 bytes are first padded to a multiple of 32 (one 0x80 byte, then
 *   zeros: ISO/IEC 7816-4, the padding of SP 800-38A Appendix A), so that a copy of the
 *   store shows lengths only in 32-byte steps.
 * - HMAC-SHA256 (RFC 2104) of (pseudonym, original) under a second key lets a write find out
 *   whether an existing row holds the same original without decrypting it. The pseudonym is
 *   part of the input so that equal originals under different pseudonyms (PatientID and
 *   OtherPatientIDs pseudonyms of one ID) get different MACs: the column links nothing.
 * - The key-check value, stored once per store, is the HKDF output of a third label: it
 *   tells whether a secret is the store's without revealing anything about the other keys.
 *
 * STABILITY: stored rows depend on these labels and encodings; a change is a new label
 * ('… v2') and a migration.
 */
import { Buffer } from 'node:buffer'
import {
  createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject
} from 'node:crypto'
import { DicomgateError } from '../errors.js'
import { MIN_SECRET_BYTES } from '../pseudonym/keys.js'
import type { Mapping } from './types.js'

const INFO = {
  encryption: 'dicomgate store encryption v1',
  mac: 'dicomgate store mac v1',
  keyCheck: 'dicomgate store key check v1'
} as const
const KEY_BYTES = 32
/** 96 bits: the IV length GCM is designed for (SP 800-38D §5.2.1.1). */
export const IV_BYTES = 12
export const TAG_BYTES = 16
export const MAC_BYTES = 32
/** Plaintexts are padded to a multiple of this many bytes, so that ciphertexts show no exact length. */
export const PAD_BLOCK_BYTES = 32
const PAD_MARK = 0x80
const ALGORITHM = 'aes-256-gcm'
const REDACTED = 'StoreCipher [redacted]'

/** A mapping as stored: the original only as ciphertext and MAC. */
export interface SealedRow {
  readonly pseudonym: string
  readonly kind: string
  readonly keyId: string
  readonly iv: Buffer
  /** AES-256-GCM ciphertext of the original's padded UTF-8 bytes, then the 16-byte tag. */
  readonly ciphertext: Buffer
  readonly mac: Buffer
}

function derive (secret: Uint8Array, info: string): Buffer {
  // RFC 5869 §2.2-2.3: Extract with an empty salt (HashLen zero bytes), then Expand with `info`.
  return Buffer.from(hkdfSync('sha256', secret, new Uint8Array(0), info, KEY_BYTES))
}

function secretKey (secret: Uint8Array, info: string): KeyObject {
  const bytes = derive(secret, info)
  const key = createSecretKey(bytes)
  bytes.fill(0) // createSecretKey copied it
  return key
}

/**
 * An unambiguous encoding of several strings: each as a 4-byte big-endian byte length, then
 * its UTF-8 bytes. ('a', 'bc') and ('ab', 'c') differ, whatever characters the values hold.
 */
function fields (...values: readonly string[]): Buffer {
  const parts: Buffer[] = []
  for (const value of values) {
    const bytes = Buffer.from(value, 'utf8')
    const length = Buffer.alloc(4)
    length.writeUInt32BE(bytes.length)
    parts.push(length, bytes)
  }
  return Buffer.concat(parts)
}

/** UTF-8 bytes, 0x80, then zeros up to a multiple of PAD_BLOCK_BYTES (at least one byte of padding). */
function pad (text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  const padded = Buffer.alloc((Math.floor(bytes.length / PAD_BLOCK_BYTES) + 1) * PAD_BLOCK_BYTES)
  bytes.copy(padded)
  padded[bytes.length] = PAD_MARK
  bytes.fill(0)
  return padded
}

/** The text before the padding, or undefined when the padding is malformed. */
function unpad (padded: Buffer): string | undefined {
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  return end >= 0 && padded[end] === PAD_MARK ? padded.toString('utf8', 0, end) : undefined
}

function mismatch (): DicomgateError {
  return new DicomgateError('DG_STORE_KEY_MISMATCH',
    'a stored mapping does not authenticate under this secret: the row was altered, or written with another secret')
}

/** The keys of one store. Opaque: strings, JSON and inspect print a redacted form. */
export class StoreCipher {
  readonly #encryption: KeyObject
  readonly #mac: KeyObject
  /** 64 hex digits: the key-check value the store keeps in its meta table. */
  readonly keyCheck: string

  /** Throws DG_SECRET_INVALID for a secret under 32 bytes (as deriveKeys does). */
  constructor (secret: Uint8Array) {
    if (!(secret instanceof Uint8Array) || secret.byteLength < MIN_SECRET_BYTES) {
      throw new DicomgateError('DG_SECRET_INVALID', `the pseudonymization secret must be at least ${MIN_SECRET_BYTES} bytes`)
    }
    this.#encryption = secretKey(secret, INFO.encryption)
    this.#mac = secretKey(secret, INFO.mac)
    this.keyCheck = derive(secret, INFO.keyCheck).toString('hex')
  }

  /** Whether `stored` (a meta table's key-check value) is this secret's, in constant time. */
  matchesKeyCheck (stored: string): boolean {
    const ours = Buffer.from(this.keyCheck, 'hex')
    const theirs = Buffer.from(stored, 'hex')
    return theirs.length === ours.length && timingSafeEqual(theirs, ours)
  }

  /** HMAC-SHA256 of (pseudonym, original): equal for the same original under the same pseudonym. */
  mac (pseudonym: string, original: string): Buffer {
    return createHmac('sha256', this.#mac).update(fields(pseudonym, original)).digest()
  }

  seal (mapping: Mapping): SealedRow {
    const { pseudonym, kind, keyId, original } = mapping
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv(ALGORITHM, this.#encryption, iv, { authTagLength: TAG_BYTES })
    cipher.setAAD(fields(pseudonym, kind, keyId))
    const plaintext = pad(original)
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    plaintext.fill(0)
    return { pseudonym, kind, keyId, iv, ciphertext, mac: this.mac(pseudonym, original) }
  }

  /** Decrypts a row; throws DG_STORE_KEY_MISMATCH when it does not authenticate. */
  open (row: SealedRow): Mapping {
    const { pseudonym, kind, keyId, iv, ciphertext } = row
    if (iv.length !== IV_BYTES || ciphertext.length < TAG_BYTES || row.mac.length !== MAC_BYTES) throw mismatch()
    const decipher = createDecipheriv(ALGORITHM, this.#encryption, iv, { authTagLength: TAG_BYTES })
    decipher.setAAD(fields(pseudonym, kind, keyId))
    decipher.setAuthTag(ciphertext.subarray(ciphertext.length - TAG_BYTES))
    let plaintext: Buffer
    try {
      plaintext = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - TAG_BYTES)), decipher.final()])
    } catch {
      throw mismatch() // GCM tag check failed (SP 800-38D §7.2 step 8: FAIL, no plaintext)
    }
    const original = unpad(plaintext)
    plaintext.fill(0)
    if (original === undefined) throw mismatch()
    // The MAC column is not covered by GCM: an edited MAC would only cause false conflicts,
    // but checking it here means every row read is whole.
    if (!timingSafeEqual(this.mac(pseudonym, original), row.mac)) throw mismatch()
    return Object.freeze({ pseudonym, original, kind, keyId })
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
